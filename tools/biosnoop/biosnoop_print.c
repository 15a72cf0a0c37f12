/* SPDX-License-Identifier: GPL-2.0-only */
#include "biosnoop/biosnoop_print.h"

#include "blockreq/blockdev.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

/* Room for the escaped forms: a 16-byte comm can become 15 "\xNN" (60 bytes). */
#define FIELD_MAX 128

static const char csv_header[] = "time_ns,timestamp,comm,pid,disk,partition,dev_major,dev_minor,"
				 "rwbs,sector,bytes,queue_ns,latency_ns,owner_at_issue,pattern\n";

/* JSON and CSV values (null when unknown), and the table's P column as BCC prints it */
static const char *const pattern_names[] = {
	[BIOSNOOP_PATTERN_UNKNOWN] = NULL,
	[BIOSNOOP_PATTERN_SEQUENTIAL] = "sequential",
	[BIOSNOOP_PATTERN_RANDOM] = "random",
};
static const char pattern_letters[] = {
	[BIOSNOOP_PATTERN_UNKNOWN] = '-',
	[BIOSNOOP_PATTERN_SEQUENTIAL] = 'S',
	[BIOSNOOP_PATTERN_RANDOM] = 'R',
};

/* Signed nanoseconds as seconds with microseconds: "-0.000120", "12.345678". A request can
 * complete between attaching and the start mark, hence the sign. */
static size_t fmt_seconds(char *buf, int64_t ns)
{
	size_t n = 0;
	uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	if (ns < 0)
		buf[n++] = '-';
	return n + fmt_fixed(buf + n, mag / 1000, 6);
}

static int at_least(int floor, size_t want)
{
	return want > (size_t)floor && want < 1024 ? (int)want : floor;
}

void biosnoop_printer_init(struct biosnoop_printer *p, const struct biosnoop_print_opts *opts)
{
	memset(p, 0, sizeof(*p));
	p->opts = *opts;
	p->w = (struct biosnoop_widths){
		.time = opts->wallclock ? 15 : 11, /* HH:MM:SS.uuuuuu, 9999.999999 */
		.comm = 15,                        /* TASK_COMM_LEN - 1 */
		.pid = 7,
		.disk = at_least(4, opts->disk_width),
		.part = at_least(4, opts->part_width),
		.type = 4,
		.sector = 10,
		.bytes = 7,
		.pattern = 1,
		.queue = 7,
		.latency = 7,
	};
}

enum align { LEFT, RIGHT };

/* Every column but the first is preceded by one space; LAT(ms), right-aligned, ends the line
 * without trailing blanks. */
static void column(struct outbuf *o, const char *s, size_t n, int width, enum align align,
		   bool first)
{
	if (!first)
		out_bytes(o, " ", 1);
	out_column(o, s, n, align == RIGHT ? width : -width);
}

static void table_header(struct biosnoop_printer *p, struct outbuf *o)
{
	const struct biosnoop_widths *w = &p->w;
	const char *time = p->opts.wallclock ? "TIME" : "TIME(s)";

	column(o, time, strlen(time), w->time, LEFT, true);
	column(o, "COMM", 4, w->comm, LEFT, false);
	column(o, "PID", 3, w->pid, RIGHT, false);
	column(o, "DISK", 4, w->disk, LEFT, false);
	if (p->opts.partition)
		column(o, "PART", 4, w->part, LEFT, false);
	column(o, "T", 1, w->type, LEFT, false);
	column(o, "SECTOR", 6, w->sector, RIGHT, false);
	column(o, "BYTES", 5, w->bytes, RIGHT, false);
	if (p->opts.pattern)
		column(o, "P", 1, w->pattern, LEFT, false);
	if (p->opts.queued)
		column(o, "QUE(ms)", 7, w->queue, RIGHT, false);
	column(o, "LAT(ms)", 7, w->latency, RIGHT, false);
	out_bytes(o, "\n", 1);
}

void biosnoop_print_header(struct biosnoop_printer *p, struct outbuf *o)
{
	if (p->opts.format == FORMAT_TABLE)
		table_header(p, o);
	else if (p->opts.format == FORMAT_CSV)
		out_bytes(o, csv_header, sizeof(csv_header) - 1);
}

struct cell {
	char s[FIELD_MAX];
	size_t n;
};

static bool grow(int *width, size_t need)
{
	if ((size_t)*width >= need)
		return false;
	*width = (int)need;
	return true;
}

/* Knuth's multiplicative hash, top 8 bits: device numbers differ in both the major (high)
 * and the minor (low) bits, and 7:0 and 8:0 must not start in the same slot */
static size_t disk_slot(uint32_t dev, size_t probe)
{
	return (((dev * 2654435761u) >> 24) + probe) % BIOSNOOP_PATTERN_DISKS;
}

enum biosnoop_pattern biosnoop_pattern_next(struct biosnoop_printer *p,
					    const struct biosnoop_event *e)
{
	struct biosnoop_disk_end *d = NULL;
	enum biosnoop_pattern pattern;

	/* a flush has no place on the disk: it neither is judged nor moves the disk's end */
	if (p->opts.latency_filtered || e->sector == BIOSNOOP_NO_SECTOR)
		return BIOSNOOP_PATTERN_UNKNOWN;
	for (size_t i = 0; i < BIOSNOOP_PATTERN_DISKS; i++) {
		d = &p->disk_ends[disk_slot(e->dev, i)];
		if (!d->used || d->dev == e->dev)
			break;
		d = NULL;
	}
	if (!d)
		return BIOSNOOP_PATTERN_UNKNOWN;
	if (!d->used)
		pattern = BIOSNOOP_PATTERN_UNKNOWN;
	else if (e->sector == d->end_sector)
		pattern = BIOSNOOP_PATTERN_SEQUENTIAL;
	else
		pattern = BIOSNOOP_PATTERN_RANDOM;
	d->used = true;
	d->dev = e->dev;
	d->end_sector = e->sector + e->bytes / 512;
	return pattern;
}

static void print_table(struct biosnoop_printer *p, struct outbuf *o,
			const struct biosnoop_event *e, const char *disk, const char *partition,
			enum biosnoop_pattern pattern)
{
	struct cell time, comm, pid, dsk, part, type, sector, bytes, pat, queue, lat;
	struct biosnoop_widths *w = &p->w;
	bool grew = false;

	if (p->opts.wallclock) {
		time.n = clock_local_hms_usec(&p->clock, time.s,
					      wall_clock_ns(&p->opts.start, e->ts_ns));
	} else {
		time.n = fmt_seconds(time.s, since_start_ns(&p->opts.start, e->ts_ns));
	}
	comm.n = escape_text(comm.s, sizeof(comm.s), e->comm, sizeof(e->comm));
	pid.n = fmt_u64(pid.s, e->pid);
	dsk.n = escape_text(dsk.s, sizeof(dsk.s), disk, strlen(disk));
	part.n = partition ? escape_text(part.s, sizeof(part.s), partition, strlen(partition)) : 0;
	if (!part.n)
		part.s[part.n++] = '-';
	type.n = escape_text(type.s, sizeof(type.s), e->rwbs, sizeof(e->rwbs));
	if (e->sector == BIOSNOOP_NO_SECTOR)
		sector.s[0] = '-', sector.n = 1;
	else
		sector.n = fmt_u64(sector.s, e->sector);
	bytes.n = fmt_u64(bytes.s, e->bytes);
	pat.s[0] = pattern_letters[pattern];
	pat.n = 1;
	if (e->queue_ns)
		queue.n = fmt_fixed(queue.s, e->queue_ns / 1000, 3);
	else
		queue.s[0] = '-', queue.n = 1;
	lat.n = fmt_fixed(lat.s, e->lat_ns / 1000, 3);

	/* a wider value widens its column for good, under a fresh header */
	grew |= grow(&w->time, time.n);
	grew |= grow(&w->comm, text_columns(comm.s, comm.n));
	grew |= grow(&w->pid, pid.n);
	grew |= grow(&w->disk, text_columns(dsk.s, dsk.n));
	grew |= p->opts.partition && grow(&w->part, text_columns(part.s, part.n));
	grew |= grow(&w->type, type.n);
	grew |= grow(&w->sector, sector.n);
	grew |= grow(&w->bytes, bytes.n);
	grew |= p->opts.queued && grow(&w->queue, queue.n);
	grew |= grow(&w->latency, lat.n);
	if (grew)
		table_header(p, o);

	column(o, time.s, time.n, w->time, LEFT, true);
	column(o, comm.s, comm.n, w->comm, LEFT, false);
	column(o, pid.s, pid.n, w->pid, RIGHT, false);
	column(o, dsk.s, dsk.n, w->disk, LEFT, false);
	if (p->opts.partition)
		column(o, part.s, part.n, w->part, LEFT, false);
	column(o, type.s, type.n, w->type, LEFT, false);
	column(o, sector.s, sector.n, w->sector, RIGHT, false);
	column(o, bytes.s, bytes.n, w->bytes, RIGHT, false);
	if (p->opts.pattern)
		column(o, pat.s, pat.n, w->pattern, LEFT, false);
	if (p->opts.queued)
		column(o, queue.s, queue.n, w->queue, RIGHT, false);
	column(o, lat.s, lat.n, w->latency, RIGHT, false);
	out_bytes(o, "\n", 1);
}

/* (a literal: the whole `,"key":` is one constant-length copy) */
#define json_key(o, key) out_lit((o), ",\"" key "\":")

/* "record", "time_ns" and "timestamp": how every JSON record starts. */
static void json_open(struct biosnoop_printer *p, struct outbuf *o, const char *record,
		      uint64_t mono_ns)
{
	char buf[48];

	out_lit(o, "{\"record\":\"");
	out_str(o, record);
	out_lit(o, "\",\"schema\":");
	out_u64(o, IOTRACE_JSON_SCHEMA);
	json_key(o, "time_ns");
	out_bytes(o, buf, fmt_s64(buf, since_start_ns(&p->opts.start, mono_ns)));
	json_key(o, "timestamp");
	out_bytes(o, "\"", 1);
	out_bytes(o, buf, clock_utc_iso(&p->clock, buf, wall_clock_ns(&p->opts.start, mono_ns)));
	out_bytes(o, "\"", 1);
}

static void print_json(struct biosnoop_printer *p, struct outbuf *o,
		       const struct biosnoop_event *e, const char *disk, const char *partition,
		       enum biosnoop_pattern pattern)
{
	json_open(p, o, "io", e->ts_ns);
	json_key(o, "comm");
	out_json_string(o, e->comm, sizeof(e->comm));
	json_key(o, "pid");
	out_u64(o, e->pid);
	json_key(o, "disk");
	out_json_string(o, disk, strlen(disk));
	json_key(o, "partition");
	if (partition)
		out_json_string(o, partition, strlen(partition));
	else
		out_lit(o, "null");
	json_key(o, "dev_major");
	out_u64(o, blockdev_major(e->dev));
	json_key(o, "dev_minor");
	out_u64(o, blockdev_minor(e->dev));
	json_key(o, "rwbs");
	out_json_string(o, e->rwbs, sizeof(e->rwbs));
	json_key(o, "sector");
	if (e->sector == BIOSNOOP_NO_SECTOR)
		out_lit(o, "null");
	else
		out_u64(o, e->sector);
	json_key(o, "bytes");
	out_u64(o, e->bytes);
	json_key(o, "queue_ns");
	if (e->queue_ns)
		out_u64(o, e->queue_ns);
	else
		out_lit(o, "null");
	json_key(o, "latency_ns");
	out_u64(o, e->lat_ns);
	json_key(o, "owner_at_issue");
	if (e->flags & BIOSNOOP_EV_OWNER_AT_ISSUE)
		out_lit(o, "true");
	else
		out_lit(o, "false");
	json_key(o, "pattern");
	if (pattern_names[pattern]) {
		out_bytes(o, "\"", 1);
		out_str(o, pattern_names[pattern]);
		out_lit(o, "\"}\n");
	} else {
		out_lit(o, "null}\n");
	}
}

static void print_csv(struct biosnoop_printer *p, struct outbuf *o,
		      const struct biosnoop_event *e, const char *disk, const char *partition,
		      enum biosnoop_pattern pattern)
{
	char buf[48];

	out_bytes(o, buf, fmt_s64(buf, since_start_ns(&p->opts.start, e->ts_ns)));
	out_bytes(o, ",", 1);
	out_bytes(o, buf, clock_utc_iso(&p->clock, buf, wall_clock_ns(&p->opts.start, e->ts_ns)));
	out_bytes(o, ",", 1);
	out_csv_field(o, e->comm, sizeof(e->comm));
	out_bytes(o, ",", 1);
	out_u64(o, e->pid);
	out_bytes(o, ",", 1);
	out_csv_field(o, disk, strlen(disk));
	out_bytes(o, ",", 1);
	if (partition)
		out_csv_field(o, partition, strlen(partition));
	out_bytes(o, ",", 1);
	out_u64(o, blockdev_major(e->dev));
	out_bytes(o, ",", 1);
	out_u64(o, blockdev_minor(e->dev));
	out_bytes(o, ",", 1);
	out_csv_field(o, e->rwbs, sizeof(e->rwbs));
	out_bytes(o, ",", 1);
	if (e->sector != BIOSNOOP_NO_SECTOR)
		out_u64(o, e->sector);
	out_bytes(o, ",", 1);
	out_u64(o, e->bytes);
	out_bytes(o, ",", 1);
	if (e->queue_ns)
		out_u64(o, e->queue_ns);
	out_bytes(o, ",", 1);
	out_u64(o, e->lat_ns);
	out_str(o, e->flags & BIOSNOOP_EV_OWNER_AT_ISSUE ? ",true," : ",false,");
	if (pattern_names[pattern])
		out_str(o, pattern_names[pattern]);
	out_bytes(o, "\n", 1);
}

void biosnoop_print_event(struct biosnoop_printer *p, struct outbuf *o,
			  const struct biosnoop_event *e, const char *disk, const char *partition)
{
	enum biosnoop_pattern pattern = biosnoop_pattern_next(p, e);

	p->records++;
	switch (p->opts.format) {
	case FORMAT_JSON:
		print_json(p, o, e, disk, partition, pattern);
		break;
	case FORMAT_CSV:
		print_csv(p, o, e, disk, partition, pattern);
		break;
	default:
		print_table(p, o, e, disk, partition, pattern);
		break;
	}
}
