/* SPDX-License-Identifier: GPL-2.0-only */
/* The fsslower family's output (table, JSON lines, CSV), apart from the tracing so it can be
 * tested with made-up events. Lost-event and summary records come from core/tracer/losses.c. */
#ifndef IOTRACE_FSSLOWER_PRINT_H
#define IOTRACE_FSSLOWER_PRINT_H

#include "fsslower_event.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <stddef.h>
#include <stdint.h>

struct fsslower_print_opts {
	enum output_format format;
	const char *fs_title;   /* "ZFS", "ext4": the table's first line names it */
	uint64_t min_lat_ns;    /* for the table's first line */
	struct start_clocks start; /* JSON time_ns counts from here */
	struct clock_text clock;   /* wall-clock text of the current second */
};

/* "EIO" for 5; kernel-internal codes by their kernel name ("ERESTARTSYS"); a code without a
 * name as its number, written to buf. Never NULL, never empty. */
const char *fsslower_errno_name(int error, char *buf, size_t size);

/* Table and CSV header (nothing for JSON). */
void fsslower_print_header(const struct fsslower_print_opts *p, struct outbuf *o);
void fsslower_print_event(struct fsslower_print_opts *p, struct outbuf *o,
			   const struct fsslower_event *e);

#endif
