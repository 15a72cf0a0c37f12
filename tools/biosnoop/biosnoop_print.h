/* SPDX-License-Identifier: GPL-2.0-only */
/* biosnoop's output (table, JSON lines, CSV), apart from the tracing so it can be tested with
 * made-up events. Nothing here allocates or makes a system call per event. Lost-event and
 * summary records come from core/tracer/losses.c, shared by every tool. */
#ifndef IOTRACE_BIOSNOOP_PRINT_H
#define IOTRACE_BIOSNOOP_PRINT_H

#include "biosnoop_event.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <stdbool.h>
#include <stdint.h>

struct biosnoop_print_opts {
	enum output_format format;
	bool queued;    /* -Q: QUE(ms) column */
	bool wallclock; /* -t: local time of day instead of seconds since start */
	bool partition; /* --partition: PART column */
	bool pattern;   /* -P: P column (sequential or random) */
	/* The kernel drops requests below a latency threshold (-m): a disk's previous request
	 * may never arrive, so no request can be judged sequential or random. */
	bool latency_filtered;
	struct start_clocks start; /* event times count from here */
	size_t disk_width;      /* longest disk name known at start */
	size_t part_width;      /* longest partition name known at start */
};

/* Table column widths; they only grow, and the header is printed again when they do. */
struct biosnoop_widths {
	int time, comm, pid, disk, part, type, sector, bytes, pattern, queue, latency;
};

enum biosnoop_pattern {
	BIOSNOOP_PATTERN_UNKNOWN,    /* first request seen on its disk, a flush, or -m */
	BIOSNOOP_PATTERN_SEQUENTIAL, /* starts where the disk's previous request ended */
	BIOSNOOP_PATTERN_RANDOM,
};

/* Where each disk's last completed request ended, as BCC's biosnoop -P keeps it: a request
 * is sequential when it starts there. Completion order, per whole disk. Disks beyond the
 * table's size stay unknown rather than evicting others. */
#define BIOSNOOP_PATTERN_DISKS 256

struct biosnoop_disk_end {
	uint32_t dev;
	bool used;
	uint64_t end_sector;
};

struct biosnoop_printer {
	struct biosnoop_print_opts opts;
	struct biosnoop_widths w;
	struct clock_text clock; /* -t (table), timestamp (JSON/CSV) */
	uint64_t records; /* io records printed */
	struct biosnoop_disk_end disk_ends[BIOSNOOP_PATTERN_DISKS]; /* open addressing by dev */
};

void biosnoop_printer_init(struct biosnoop_printer *p, const struct biosnoop_print_opts *opts);
/* Table and CSV header (nothing for JSON). */
void biosnoop_print_header(struct biosnoop_printer *p, struct outbuf *o);
/* Judge one request against its disk's previous one and remember where it ends. Every
 * format calls it once per request, in completion order. */
enum biosnoop_pattern biosnoop_pattern_next(struct biosnoop_printer *p,
					    const struct biosnoop_event *e);
/* One request. disk is never NULL ("MAJ:MIN" when unknown); partition may be. */
void biosnoop_print_event(struct biosnoop_printer *p, struct outbuf *o,
			  const struct biosnoop_event *e, const char *disk, const char *partition);

#endif
