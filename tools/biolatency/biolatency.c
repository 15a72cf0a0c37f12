/* SPDX-License-Identifier: GPL-2.0-only */
/* biolatency: block I/O latency as log2 histograms built in the kernel, printed each
 * interval. The probes are biosnoop's (one table, one BPF object): requests in flight are
 * followed exactly as there, and only the completion differs, counted into a histogram
 * (rodata `aggregate`) instead of sent to user space. */
#include "biolatency/biolatency_hist.h"
#include "biosnoop_event.h"
#include "biosnoop.skel.h"
#include "blockreq/blockdev.h"
#include "blockreq/blockreq.h"
#include "util/util.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* ---- options ------------------------------------------------------------------------------ */

#define MAX_INTERVAL_S (MAX_RUN_MS / 1000) /* one interval may be the whole run */
#define MAX_COUNT 1000000000ULL

struct biolatency_opts {
	bool timestamp;             /* -T */
	bool queued;                /* -Q */
	bool msecs;                 /* -m */
	bool per_disk;              /* -D */
	bool per_flags;             /* -F */
	bool extended;              /* -e */
	bool json_short;            /* -j */
	const char *disk;           /* -d as given */
	struct blockdev_range range;
	bool openmetrics;           /* --openmetrics */
	const char *openmetrics_file; /* ... =FILE; NULL: standard output */
	uint64_t interval_s;        /* 0: one histogram at the end */
	uint64_t count;             /* 0: until stopped */
	unsigned positional;
};

static const struct biolatency_opts biolatency_defaults;

/* Letters are BCC's biolatency letters with BCC's meanings: -D is per disk here, so the
 * common --duration keeps only its long name for this tool (core/cli/options.c). */
enum {
	OPT_DISK = 'd',
	OPT_PER_DISK = 'D',
	OPT_EXTENDED = 'e',
	OPT_PER_FLAGS = 'F',
	OPT_JSON_SHORT = 'j',
	OPT_MSECS = 'm',
	OPT_QUEUED = 'Q',
	OPT_TIMESTAMP = 'T',
	OPT_OPENMETRICS = 0x100, /* long only; below the common options' 0x1000 */
};

static const struct argp_option biolatency_options[] = {
	{ "timestamp", OPT_TIMESTAMP, NULL, 0,
	  "Print the time of day (HH:MM:SS) before each interval", 0 },
	{ "queued", OPT_QUEUED, NULL, 0,
	  "Include the time queued in the OS: latency from creation (or insertion) of the "
	  "request, not from its issue to the device", 0 },
	{ "milliseconds", OPT_MSECS, NULL, 0, "Buckets of milliseconds instead of microseconds", 0 },
	{ "disks", OPT_PER_DISK, NULL, 0, "One histogram per disk", 0 },
	{ "flags", OPT_PER_FLAGS, NULL, 0,
	  "One histogram per I/O type and flags (Read, Sync-Write, ...)", 0 },
	{ "extension", OPT_EXTENDED, NULL, 0,
	  "After each histogram: average and total latency, and the count", 0 },
	{ NULL, OPT_JSON_SHORT, NULL, 0, "JSON output: the same as --json", 0 },
	{ "disk", OPT_DISK, "DISK", 0,
	  "Only this disk or partition: sda, nvme0n1, loop3, sda1, MAJ:MIN, or a path to its "
	  "device node", 0 },
	{ "openmetrics", OPT_OPENMETRICS, "FILE", OPTION_ARG_OPTIONAL,
	  "Each interval, the histograms since start per disk in the OpenMetrics text format: "
	  "to standard output instead of the table, or with =FILE to FILE, replaced atomically "
	  "(for node_exporter's textfile collector); implies -D", 0 },
	{ 0 },
};

static int parse_positional(struct argp_state *state, struct biolatency_opts *o, const char *arg)
{
	uint64_t v;

	if (o->positional == 0) {
		if (parse_u64(arg, MAX_INTERVAL_S, &v) || v == 0)
			return opt_error(state, "invalid interval '%s': expected whole seconds, 1 to %llu",
					 arg, MAX_INTERVAL_S);
		o->interval_s = v;
	} else if (o->positional == 1) {
		if (parse_u64(arg, MAX_COUNT, &v) || v == 0)
			return opt_error(state, "invalid count '%s': expected a number of intervals, 1 to %llu",
					 arg, MAX_COUNT);
		o->count = v;
	} else {
		return opt_error(state, "unexpected argument '%s': give at most interval and count", arg);
	}
	o->positional++;
	return 0;
}

static int biolatency_parse(int key, char *arg, struct argp_state *state, void *opts)
{
	struct biolatency_opts *o = opts;
	struct invocation *inv = state->input;

	switch (key) {
	case OPT_TIMESTAMP:
		o->timestamp = true;
		return 0;
	case OPT_QUEUED:
		o->queued = true;
		return 0;
	case OPT_MSECS:
		o->msecs = true;
		return 0;
	case OPT_PER_DISK:
		o->per_disk = true;
		return 0;
	case OPT_PER_FLAGS:
		o->per_flags = true;
		return 0;
	case OPT_EXTENDED:
		o->extended = true;
		return 0;
	case OPT_JSON_SHORT:
		o->json_short = true;
		if (inv->common.format_set && inv->common.format != FORMAT_JSON)
			return opt_error(state, "-j (JSON) cannot be combined with --csv");
		inv->common.format = FORMAT_JSON;
		inv->common.format_set = true;
		return 0;
	case OPT_DISK:
		if (!*arg)
			return opt_error(state, "invalid --disk '': expected a disk name such as sda");
		o->disk = arg;
		return 0;
	case OPT_OPENMETRICS:
		if (arg && !*arg)
			return opt_error(state, "invalid --openmetrics '': expected a file name, or no "
					 "value for standard output");
		o->openmetrics = true;
		o->openmetrics_file = arg;
		return 0;
	case ARGP_KEY_ARG:
		return parse_positional(state, o, arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int validate_openmetrics_file(struct invocation *inv, const char *path)
{
	char copy[PATH_MAX];
	struct stat st;
	const char *dir;

	if (strlen(path) + sizeof(".tmp") > sizeof(copy))
		return usage_error(inv, "invalid --openmetrics '%s': path too long", path);
	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) != 0)
		return usage_error(inv, "cannot write --openmetrics '%s': directory '%s' %s", path, dir,
				   stat(dir, &st) != 0 ? strerror(errno) :
				   !S_ISDIR(st.st_mode) ? "is not a directory" : "is not writable");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return usage_error(inv, "invalid --openmetrics '%s': a directory, not a file", path);
	return 0;
}

static int biolatency_validate(struct invocation *inv)
{
	struct biolatency_opts *o = inv->opts;
	uint64_t by_count;
	int err;

	if (inv->common.format == FORMAT_CSV)
		return usage_error(inv, "--csv is not a format of biolatency: use --json (-j) or "
				   "--openmetrics");
	if (o->openmetrics && !o->openmetrics_file && inv->common.format_set)
		return usage_error(inv, "--openmetrics without FILE writes standard output: it cannot "
				   "be combined with --json; give --openmetrics=FILE");
	if (o->openmetrics)
		o->per_disk = true;
	/* interval and count end the run as BCC's do: the common --duration is the other way */
	if (o->count) {
		by_count = o->interval_s * o->count * 1000ULL;
		/* each alone may be large; their product is a run time, at most a year as
		 * --duration's */
		if (by_count > MAX_RUN_MS)
			return usage_error(inv, "interval %llu x count %llu is more than a year: give "
					   "fewer or shorter intervals", (unsigned long long)o->interval_s,
					   (unsigned long long)o->count);
		if (inv->common.duration_ms && inv->common.duration_ms != by_count)
			return usage_error(inv, "--duration and interval x count differ: give one");
		inv->common.duration_ms = by_count;
	}
	if (o->disk && (err = blockreq_validate_disk(inv, o->disk, &o->range)))
		return err;
	if (o->openmetrics_file && (err = validate_openmetrics_file(inv, o->openmetrics_file)))
		return err;
	return 0;
}

/* ---- tracing ------------------------------------------------------------------------------ */

struct biolatency_state {
	struct blockreq req;
	bool started; /* biolatency_start finished: intervals may be printed */
	struct biolat_set now, prev, delta;
	struct biolat_print_opts popts;
	uint64_t last_read_ns;  /* the previous snapshot: the current interval began here */
	uint64_t next_print_ns; /* when the current interval is due; 0 = only at the end */
	uint64_t printed;       /* intervals printed */
	struct outbuf om;       /* the OpenMetrics file being written */
	struct clock_text clock; /* -T, JSON timestamp */
};

static const struct loss_kind biolatency_losses[] = {
	{ BIOSNOOP_LOST_HIST, "hist_full", "histogram map full", true },
	{ BIOSNOOP_LOST_INFLIGHT, "inflight_full", "in-flight table full", true },
	{ BIOSNOOP_DONE_MISSED, "done_missed", "ended without a seen completion", true },
	{ BIOSNOOP_STALE, "stale", "dropped after 120 s in flight", true },
	/* not lost: no latency to count for a request whose issue was not seen */
	{ BIOSNOOP_DONE_UNSEEN, "issue_unseen", "completed without a seen issue", false },
	{ BIOSNOOP_MERGED, "merged", "merged away before issue", false },
};

static int biolatency_open(struct tracer *t, const struct bpf_object_open_opts *opts,
			   struct bpf_object **obj)
{
	struct biolatency_state *st = t->state;
	const struct biolatency_opts *o = t->inv->opts;
	int err;

	err = blockreq_open(&st->req, t, opts, o->disk ? &o->range : NULL);
	if (err)
		return err;
	st->req.skel->rodata->aggregate = true;
	st->req.skel->rodata->hist_per_disk = o->per_disk || o->openmetrics;
	st->req.skel->rodata->hist_per_flags = o->per_flags;
	st->req.skel->rodata->hist_queued = o->queued;
	st->req.skel->rodata->hist_unit_ns = o->msecs ? 1000000ULL : 1000ULL;
	/* no event ever goes through it: the smallest ring buffer the kernel takes */
	err = bpf_map__set_max_entries(st->req.skel->maps.events, (uint32_t)sysconf(_SC_PAGESIZE));
	if (err) {
		blockreq_close(&st->req);
		return err;
	}
	*obj = st->req.skel->obj;
	return 0;
}

static void biolatency_destroy(struct tracer *t)
{
	struct biolatency_state *st = t->state;

	blockreq_close(&st->req);
	biolat_set_free(&st->now);
	biolat_set_free(&st->prev);
	biolat_set_free(&st->delta);
	st->started = false;
}

static struct bpf_map *biolatency_events(struct tracer *t)
{
	struct biolatency_state *st = t->state;

	return st->req.skel->maps.events;
}

/* The whole map into st->now (cumulative since start), disks named. Entries a completion
 * adds during the walk are counted now or at the next read, never lost. */
static int read_hists(struct biolatency_state *st, uint64_t now_ns)
{
	struct bpf_map *map = st->req.skel->maps.hists;
	struct biolat_key key, next, *prev = NULL;
	struct biolat_value value;
	struct blockdev_hit hit;
	int err;

	biolat_set_clear(&st->now);
	while (bpf_map__get_next_key(map, prev, &next, sizeof(next)) == 0) {
		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), &value, sizeof(value), 0))
			continue;
		err = biolat_set_add(&st->now, &key, &value);
		if (err)
			return err;
	}
	biolat_set_sort(&st->now);
	for (size_t i = 0; i < st->now.n; i++) {
		struct biolat_hist *h = &st->now.h[i];

		if (!h->dev)
			continue;
		blockdev_resolve(&st->req.disks, h->dev, 0, now_ns, &hit);
		snprintf(h->disk, sizeof(h->disk), "%s", hit.disk);
	}
	return 0;
}

static void losses_for_openmetrics(const struct losses *l, struct biolat_loss *out, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (!l->kinds[i].is_loss)
			continue;
		out[*n].cause = l->kinds[i].json_key;
		out[(*n)++].count = l->total[i];
	}
}

/* FILE.tmp beside FILE, synced, then renamed over it: a reader sees the old or the new
 * exposition, never a part. */
static int write_openmetrics_file(struct biolatency_state *st, const char *path,
				  const struct biolat_loss *losses, size_t n_losses)
{
	char tmp[PATH_MAX];
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		log_error("cannot write %s: %s", tmp, strerror(errno));
		return err;
	}
	outbuf_init(&st->om, fd);
	biolat_print_openmetrics(&st->om, &st->now, &st->popts, losses, n_losses);
	err = outbuf_flush(&st->om);
	if (!err && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err) {
		log_error("cannot write %s: %s", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

/* One interval: read, difference against the previous read, print. */
static int print_interval(struct tracer *t, uint64_t now_ns)
{
	struct biolatency_state *st = t->state;
	const struct biolatency_opts *o = t->inv->opts;
	struct biolat_loss losses[LOSSES_MAX];
	uint64_t real_ns = tracer_now_ns(CLOCK_REALTIME);
	struct biolat_set swap;
	size_t n_losses;
	char clock[CLOCK_TEXT_MAX + 1];
	int err;

	err = read_hists(st, now_ns);
	if (!err)
		err = biolat_set_delta(&st->now, &st->prev, &st->delta);
	if (err)
		return err;
	t->events = 0;
	for (size_t i = 0; i < st->now.n; i++)
		t->events += st->now.h[i].count;
	losses_for_openmetrics(&st->req.losses, losses, &n_losses);
	if (o->openmetrics && !o->openmetrics_file) {
		biolat_print_openmetrics(t->out, &st->now, &st->popts, losses, n_losses);
	} else if (t->inv->common.format == FORMAT_JSON) {
		clock[clock_utc_iso(&st->clock, clock, real_ns)] = '\0';
		biolat_print_json(t->out, &st->delta, &st->popts, now_ns - t->start.mono_ns,
				  now_ns - st->last_read_ns, clock);
	} else {
		biolat_print_table(t->out, &st->delta, &st->popts,
				   o->timestamp ? clock_local_hms(&st->clock, real_ns) : NULL);
	}
	if (o->openmetrics_file)
		err = write_openmetrics_file(st, o->openmetrics_file, losses, n_losses);
	swap = st->prev;
	st->prev = st->now;
	st->now = swap;
	st->last_read_ns = now_ns;
	st->printed++;
	return err;
}

static int biolatency_start(struct tracer *t)
{
	struct biolatency_state *st = t->state;
	const struct biolatency_opts *o = t->inv->opts;
	struct biolat_loss losses[LOSSES_MAX];
	size_t n_losses;
	int err;

	err = blockreq_start(&st->req, t, biolatency_losses, ARRAY_SIZE(biolatency_losses));
	if (err)
		return err;
	st->popts = (struct biolat_print_opts){
		.msecs = o->msecs,
		.per_disk = o->per_disk || o->openmetrics,
		.per_flags = o->per_flags,
		.extended = o->extended,
	};
	st->last_read_ns = t->start.mono_ns;
	if (o->interval_s)
		st->next_print_ns = t->start.mono_ns + o->interval_s * 1000000000ULL;
	/* the metric exists from the start, so that a scrape before the first interval finds
	 * zeros rather than nothing */
	if (o->openmetrics_file) {
		losses_for_openmetrics(&st->req.losses, losses, &n_losses);
		err = write_openmetrics_file(st, o->openmetrics_file, losses, n_losses);
		if (err)
			return err;
	}
	if (t->inv->common.format == FORMAT_TABLE && !(o->openmetrics && !o->openmetrics_file))
		out_lit(t->out, "Tracing block device I/O... Hit Ctrl-C to end.\n");
	st->started = true;
	return 0;
}

/* Ticks come about once a second: an interval is printed at the first tick within half a
 * second of its end (the histogram covers exactly the time between the two reads). With a
 * count, the last interval is the final tick's, when the duration ends. */
#define DUE_SLACK_NS 500000000ULL

static int biolatency_tick(struct tracer *t, bool final)
{
	struct biolatency_state *st = t->state;
	const struct biolatency_opts *o = t->inv->opts;
	uint64_t now = tracer_now_ns(CLOCK_MONOTONIC);
	int err;

	if (!st->started)
		return 0;
	blockreq_tick(&st->req, now);
	/* (also refreshes the loss totals the OpenMetrics output shows) */
	if (!final && (err = losses_tick(&st->req.losses, t, false)))
		return err;
	if (final || (st->next_print_ns && now + DUE_SLACK_NS >= st->next_print_ns &&
		      (!o->count || st->printed + 1 < o->count))) {
		err = print_interval(t, now);
		if (err)
			return err;
		st->next_print_ns += o->interval_s * 1000000000ULL;
		if (st->next_print_ns && st->next_print_ns < now)
			st->next_print_ns = now + o->interval_s * 1000000000ULL;
	}
	return final ? losses_tick(&st->req.losses, t, true) : 0;
}

/* Nothing is ever submitted to the ring buffer under `aggregate`. */
static int biolatency_event(struct tracer *t, const void *data, size_t size)
{
	return 0;
}

static const struct tracer_tool biolatency_tracer = {
	.state_size = sizeof(struct biolatency_state),
	.open = biolatency_open,
	.destroy = biolatency_destroy,
	.start = biolatency_start,
	.events_map = biolatency_events,
	.event = biolatency_event,
	.tick = biolatency_tick,
};

const struct tool tool_biolatency = {
	.name = "biolatency",
	.summary = "Summarize block device I/O latency as histograms built in the kernel",
	.args_doc = "[INTERVAL [COUNT]]",
	.doc = "Block I/O latency (issue to the device -> completion; -Q: from creation) as log2 "
	       "histograms kept in the kernel: nothing per request reaches user space. Prints "
	       "one histogram at Ctrl-C, or one every INTERVAL seconds (COUNT times, then stops), "
	       "as BCC's biolatency. Options and layout are BCC's; -D is per disk, so the run "
	       "time is given as INTERVAL COUNT or --duration SECONDS (long form only here)."
	       "\v"
	       "Table: for each interval a blank line, with -T the time of day, then for each\n"
	       "histogram (with -D \"disk = NAME\", with -F \"flags = Sync-Write\" first) rows\n"
	       "\"low -> high : count |****|\" in usecs (-m: msecs) up to the last non-empty\n"
	       "bucket; an interval without I/O shows no histogram. -e adds \"avg = N usecs,\n"
	       "total: N usecs, count: N\" after each.\n"
	       "\n"
	       "--json (-j): one line per interval: {\"record\":\"interval\", \"schema\":1,\n"
	       "\"time_ns\" (end of the interval, since start), \"interval_ns\", \"timestamp\"\n"
	       "(ISO-8601 UTC), \"unit\" (\"usecs\" or \"msecs\"), \"histograms\": [{\"disk\",\n"
	       "\"dev_major\", \"dev_minor\" (null without -D), \"rwbs\", \"flags\" (null without\n"
	       "-F), \"count\", \"sum_ns\", \"buckets\": [{\"low\", \"high\", \"count\"}, ...]}]};\n"
	       "then \"lost\" records when requests were lost and a last \"summary\" record, as\n"
	       "biosnoop's (docs/biolatency.md).\n"
	       "\n"
	       "--openmetrics: iotrace_biolatency_seconds, a histogram per disk (label disk;\n"
	       "with -F also rwbs) with cumulative le buckets since start, _count and _sum, and\n"
	       "iotrace_biolatency_lost_total{cause=...}, ending in \"# EOF\". With =FILE, the\n"
	       "file is written at start and every interval as FILE.tmp, synced and renamed;\n"
	       "its directory must stay writable by root without CAP_DAC_OVERRIDE (iotrace\n"
	       "drops its capabilities once attached).\n"
	       "\n"
	       "Counts are never cleared in the kernel: each interval is the difference of two\n"
	       "reads, so a request completing during a read is in this interval or the next.\n"
	       "Lost requests (in-flight table or histogram map full, completions no probe saw)\n"
	       "are reported on stderr and in the last line, \"N events, N lost (...)\", where\n"
	       "events are the requests counted in the histograms.\n"
	       "\n"
	       "Exit status: 0 when tracing ended normally (Ctrl-C, SIGTERM, COUNT intervals,\n"
	       "--duration); 1 when it cannot trace here or failed while running; 2 on usage\n"
	       "errors.",
	.options = biolatency_options,
	.parse = biolatency_parse,
	.validate = biolatency_validate,
	.run = tracer_run,
	.tracer = &biolatency_tracer,
	.probes = &blockreq_probe_table,
	.opts_size = sizeof(struct biolatency_opts),
	.opts_defaults = &biolatency_defaults,
	.common = COMMON_FORMAT | COMMON_DURATION | COMMON_BACKEND,
	.applet = true,
	.examples = "iotrace biolatency\tone histogram of every disk's latency, at Ctrl-C\n"
		    "iotrace biolatency -D 1 10\tper disk, every second, ten times\n"
		    "iotrace biolatency -QFm -d sda 5\tsda by I/O type, with queue time, in ms, every 5 s\n"
		    "iotrace biolatency --openmetrics=/var/lib/prometheus/node-exporter/biolatency.prom 15\t"
		    "for node_exporter's textfile collector\n"
		    "iotrace probes biolatency\twhich attach points this kernel offers, and why\n",
};
