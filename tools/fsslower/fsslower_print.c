/* SPDX-License-Identifier: GPL-2.0-only */
#include "fsslower/fsslower_print.h"

#include "util/util.h"

#include <stdio.h>
#include <string.h>

const char *fsslower_errno_name(int error, char *buf, size_t size)
{
	const char *name = error > 0 ? errno_name(error) : NULL;

	if (name)
		return name;
	snprintf(buf, size, "%d", error);
	return buf;
}

void fsslower_print_header(const struct fsslower_print_opts *p, struct outbuf *o)
{
	switch (p->format) {
	case FORMAT_CSV:
		out_str(o, "ENDTIME_us,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE,ERROR\n");
		break;
	case FORMAT_JSON:
		break;
	default:
		if (p->min_lat_ns)
			out_printf(o, "Tracing %s operations slower than %.3f ms\n", p->fs_title,
				   (double)p->min_lat_ns / 1e6);
		else
			out_printf(o, "Tracing %s operations\n", p->fs_title);
		out_str(o, "TIME     COMM             PID     T BYTES   OFF_KB   LAT(ms) ERR     FILENAME\n");
	}
}

static void print_table(struct fsslower_print_opts *p, struct outbuf *o,
			const struct fsslower_event *e)
{
	char opc = (char)e->op, errbuf[16], comm[4 * sizeof(e->comm)], lat[FMT_U64_MAX + 2];
	const char *err = e->error ? fsslower_errno_name(e->error, errbuf, sizeof(errbuf)) : "-";

	out_str(o, clock_local_hms(&p->clock, wall_clock_ns(&p->start, e->ts_ns)));
	out_str(o, " ");
	out_column(o, comm, escape_text(comm, sizeof(comm), e->comm, sizeof(e->comm)), -16);
	out_printf(o, " %-7u %c %-7lld %-8lld ", e->pid, opc, e->bytes, e->offset / 1024);
	out_column(o, lat, fmt_fixed(lat, e->lat_ns / 10000, 2), 7);
	out_str(o, " ");
	out_column(o, err, strlen(err), -7);
	out_str(o, " ");
	out_text(o, e->name, sizeof(e->name));
	out_str(o, "\n");
}

static void print_csv(const struct fsslower_print_opts *p, struct outbuf *o,
		      const struct fsslower_event *e)
{
	char errbuf[16];

	out_u64(o, e->ts_ns / 1000);
	out_str(o, ",");
	out_csv_field(o, e->comm, sizeof(e->comm));
	out_printf(o, ",%u,%c,%lld,%lld,", e->pid, (char)e->op, e->bytes, e->offset);
	out_u64(o, e->lat_ns / 1000);
	out_str(o, ",");
	out_csv_field(o, e->name, sizeof(e->name));
	out_str(o, ",");
	if (e->error)
		out_str(o, fsslower_errno_name(e->error, errbuf, sizeof(errbuf)));
	out_str(o, "\n");
}

/* As biosnoop's: "time_ns" is signed (an operation that ended before the start instant,
 * delivered late, reads negative), "timestamp" is UTC wall-clock time with microseconds. */
static void print_json(struct fsslower_print_opts *p, struct outbuf *o,
		       const struct fsslower_event *e)
{
	int64_t since_start = since_start_ns(&p->start, e->ts_ns);
	char utc[CLOCK_TEXT_MAX], errbuf[16];

	out_printf(o, "{\"record\":\"op\",\"schema\":%d,\"time_ns\":%lld", IOTRACE_JSON_SCHEMA,
		   (long long)since_start);
	out_str(o, ",\"timestamp\":\"");
	out_bytes(o, utc, clock_utc_iso(&p->clock, utc, wall_clock_ns(&p->start, e->ts_ns)));
	out_str(o, "\"");
	out_str(o, ",\"comm\":");
	out_json_string(o, e->comm, sizeof(e->comm));
	out_printf(o, ",\"pid\":%u,\"type\":\"%c\",\"bytes\":%lld,\"offset\":%lld,\"error\":",
		   e->pid, (char)e->op, e->bytes, e->offset);
	if (e->error)
		out_printf(o, "\"%s\"", fsslower_errno_name(e->error, errbuf, sizeof(errbuf)));
	else
		out_str(o, "null");
	out_str(o, ",\"latency_ns\":");
	out_u64(o, e->lat_ns);
	out_str(o, ",\"file\":");
	out_json_string(o, e->name, sizeof(e->name));
	out_str(o, "}\n");
}

void fsslower_print_event(struct fsslower_print_opts *p, struct outbuf *o,
			   const struct fsslower_event *e)
{
	if (p->format == FORMAT_JSON)
		print_json(p, o, e);
	else if (p->format == FORMAT_CSV)
		print_csv(p, o, e);
	else
		print_table(p, o, e);
}
