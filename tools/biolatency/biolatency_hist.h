/* SPDX-License-Identifier: GPL-2.0-only */
/* biolatency's histograms in user space: built from the kernel's cumulative map, turned into
 * per-interval differences, and written as BCC's table, JSON or OpenMetrics. Pure functions
 * over arrays, so that the unit tests drive them without BPF. */
#ifndef IOTRACE_BIOLATENCY_HIST_H
#define IOTRACE_BIOLATENCY_HIST_H

#include "biosnoop_event.h"
#include "blockreq/blockdev.h"
#include "tracer/tracer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One histogram: one disk (or all) and one rwbs (or all). */
struct biolat_hist {
	uint32_t dev;                  /* 0 = all disks */
	char rwbs[BIOSNOOP_RWBS_LEN];  /* "" = all flags */
	char disk[BLOCKDEV_NAME_MAX];  /* its name, filled by the caller ("" when dev is 0) */
	uint64_t slots[BIOLAT_SLOTS];
	uint64_t count;
	uint64_t sum_ns;
};

/* Histograms sorted by (dev, rwbs) once biolat_set_sort has run. */
struct biolat_set {
	struct biolat_hist *h;
	size_t n, cap;
};

/* Add one map entry. 0, -ENOMEM, or -ERANGE for a slot beyond BIOLAT_SLOTS. */
int biolat_set_add(struct biolat_set *s, const struct biolat_key *key,
		   const struct biolat_value *value);
void biolat_set_sort(struct biolat_set *s);
void biolat_set_clear(struct biolat_set *s); /* empty, memory kept */
void biolat_set_free(struct biolat_set *s);
/* out = now - prev, histogram by histogram (matched on dev and rwbs; one prev lacks counts
 * from 0). Both sorted. Counts only grow in the kernel; one that seems to shrink is taken
 * as 0 rather than wrapping. 0 or -ENOMEM. */
int biolat_set_delta(const struct biolat_set *now, const struct biolat_set *prev,
		     struct biolat_set *out);

/* rwbs as BCC's -F names flags: "WS" -> "Sync-Write", "RA" -> "ReadAhead-Read". */
void biolat_flags_name(const char *rwbs, char *buf, size_t size);

struct biolat_print_opts {
	bool msecs;     /* -m: buckets of milliseconds */
	bool per_disk;  /* -D */
	bool per_flags; /* -F */
	bool extended;  /* -e: average and total after each histogram */
};

/* BCC's log2 histogram: header "usecs : count distribution", rows "low -> high : count
 * |stars|" up to the last non-empty slot, 40 stars for the largest. Nothing if all empty. */
void biolat_print_log2(struct outbuf *o, const uint64_t *slots, size_t n, const char *unit);

/* One interval as the table: a blank line, the time (HH:MM:SS, NULL for none), then each
 * non-empty histogram under its "disk = ... flags = ..." line. */
void biolat_print_table(struct outbuf *o, const struct biolat_set *delta,
			const struct biolat_print_opts *p, const char *clock);

/* One interval as one JSON line (docs/biolatency.md). */
void biolat_print_json(struct outbuf *o, const struct biolat_set *delta,
		       const struct biolat_print_opts *p, uint64_t time_ns, uint64_t interval_ns,
		       const char *timestamp);

struct biolat_loss {
	const char *cause; /* label value: "inflight_full" */
	uint64_t count;    /* since start */
};

/* The OpenMetrics exposition of the cumulative histograms (seconds, cumulative `le`
 * buckets, _count, _sum) and the losses, ending in "# EOF". */
void biolat_print_openmetrics(struct outbuf *o, const struct biolat_set *total,
			      const struct biolat_print_opts *p, const struct biolat_loss *losses,
			      size_t n_losses);

/* The fixed bucket bounds OpenMetrics shows: slots 0 .. n-1 (+Inf catches the rest). */
#define BIOLAT_OM_SLOTS_USECS 27 /* up to 134 s */
#define BIOLAT_OM_SLOTS_MSECS 18 /* up to 262 s */

#endif
