/* SPDX-License-Identifier: GPL-2.0-only */
/* biosnoop: every block I/O request with its latency, on every kernel. */
#include "biosnoop_event.h"
#include "biosnoop.skel.h"
#include "biosnoop/biosnoop_print.h"
#include "blockreq/blockdev.h"
#include "blockreq/blockreq.h"
#include "util/util.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* ---- options ------------------------------------------------------------------------------ */

struct biosnoop_opts {
	uint64_t min_lat_ns;
	bool queued;
	bool wallclock;
	bool partition;
	bool pattern;
	const char *disk;              /* -d as given */
	struct blockdev_range range;   /* -d resolved by validate() */
	uint32_t pid;                  /* -p; 0 = any */
	const char *cgroup;            /* -c directory */
	const char *duration_arg;      /* positional DURATION as given */
	uint64_t duration_ms;          /* ... and parsed */
};

static const struct biosnoop_opts biosnoop_defaults;

/* Short letters are BCC's and libbpf-tools' biosnoop letters with their meanings, or none
 * (docs/FLAGS.md, checked by tests/unit/test_flags_doc.c): -P is BCC's --pattern, so the
 * partition column, which neither has, takes no letter. */
enum {
	OPT_CGROUP = 'c',
	OPT_DISK = 'd',
	OPT_MIN_MS = 'm',
	OPT_PID = 'p',
	OPT_PATTERN = 'P',
	OPT_QUEUED = 'Q',
	OPT_WALLCLOCK = 't',
	OPT_PARTITION = 0x100, /* long only; below the common options' 0x1000 */
};

static const struct argp_option biosnoop_options[] = {
	{ "disk", OPT_DISK, "DISK", 0,
	  "Only this disk or partition: sda, nvme0n1, loop3, sda1, loop0p1, MAJ:MIN, or a path "
	  "to its device node (/dev/disk/by-id/...); a device-mapper or md device is refused "
	  "with the names of its member disks, which carry its requests", 0 },
	{ "pid", OPT_PID, "PID", 0, "Only requests submitted by this process (it must exist)", 0 },
	{ "cgroup", OPT_CGROUP, "DIR", 0,
	  "Only requests submitted from this cgroup v2 directory or below it", 0 },
	{ "min-ms", OPT_MIN_MS, "MS", 0, "Show only requests whose device latency is at least MS", 0 },
	{ "queued", OPT_QUEUED, NULL, 0, "Add QUE(ms): time queued in the OS before issue", 0 },
	{ "timestamp", OPT_WALLCLOCK, NULL, 0,
	  "Wall-clock time of day instead of seconds since start", 0 },
	{ "pattern", OPT_PATTERN, NULL, 0,
	  "Add P: S (sequential) if the request starts where the previous request completed on "
	  "its disk ended, R (random) if not, as BCC's biosnoop -P", 0 },
	{ "partition", OPT_PARTITION, NULL, 0, "Add PART: the partition holding each request", 0 },
	{ 0 },
};

static int biosnoop_parse(int key, char *arg, struct argp_state *state, void *opts)
{
	struct biosnoop_opts *o = opts;
	uint64_t v;

	switch (key) {
	case OPT_MIN_MS:
		if (parse_decimal_ns(arg, 1000000ULL, 3600ULL * 1000000000ULL, &o->min_lat_ns))
			return opt_error(state, "invalid --min-ms '%s': expected milliseconds, 0 to 3600000", arg);
		return 0;
	case OPT_QUEUED:
		o->queued = true;
		return 0;
	case OPT_WALLCLOCK:
		o->wallclock = true;
		return 0;
	case OPT_PARTITION:
		o->partition = true;
		return 0;
	case OPT_PATTERN:
		o->pattern = true;
		return 0;
	case OPT_DISK:
		if (!*arg)
			return opt_error(state, "invalid --disk '': expected a disk name such as sda");
		o->disk = arg;
		return 0;
	case OPT_PID:
		return opt_parse_pid(state, arg, &o->pid);
	case OPT_CGROUP:
		if (!*arg)
			return opt_error(state, "invalid --cgroup '': expected a cgroup v2 directory");
		o->cgroup = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (o->duration_arg)
			return opt_error(state, "unexpected argument '%s': give one DURATION", arg);
		if (parse_decimal_ns(arg, 1000000000ULL, MAX_RUN_MS * 1000000ULL, &v) || v < 1000000ULL)
			return opt_error(state,
					 "invalid DURATION '%s': expected seconds, at least 0.001 and at most one year",
					 arg);
		o->duration_arg = arg;
		o->duration_ms = v / 1000000ULL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static void cgroup2_mount(char *buf, size_t size)
{
	struct mntent ent;
	char strings[1024];
	FILE *f = setmntent("/proc/self/mounts", "re");

	snprintf(buf, size, "not mounted");
	if (!f)
		return;
	while (getmntent_r(f, &ent, strings, sizeof(strings))) {
		if (strcmp(ent.mnt_type, "cgroup2") == 0) {
			snprintf(buf, size, "mounted at %s", ent.mnt_dir);
			break;
		}
	}
	endmntent(f);
}

static int validate_cgroup(struct invocation *inv, const struct biosnoop_opts *o)
{
	char where[512];
	struct statfs fs;
	struct stat st;

	if (stat(o->cgroup, &st) != 0)
		return usage_error(inv, "cannot use --cgroup '%s': %s", o->cgroup,
				   strerror(errno));
	if (!S_ISDIR(st.st_mode) || statfs(o->cgroup, &fs) != 0 ||
	    fs.f_type != CGROUP2_SUPER_MAGIC) {
		cgroup2_mount(where, sizeof(where));
		return usage_error(inv, "'%s' is not a cgroup v2 directory (cgroup v2 is %s)",
				   o->cgroup, where);
	}
	return 0;
}

static int biosnoop_validate(struct invocation *inv)
{
	struct biosnoop_opts *o = inv->opts;
	uint64_t common = inv->common.duration_ms;
	int err;

	if (o->duration_arg && common && common != o->duration_ms)
		return usage_error(inv, "--duration %llu.%03llu and DURATION %s differ: give one",
				   (unsigned long long)(common / 1000), (unsigned long long)(common % 1000),
				   o->duration_arg);
	if (o->duration_arg)
		inv->common.duration_ms = o->duration_ms;
	/* the threshold is applied in the kernel: the requests it hides are the very ones a
	 * pattern is judged against */
	if (o->pattern && o->min_lat_ns)
		return usage_error(inv, "--pattern cannot be combined with --min-ms: it judges each "
				   "request against the previous one on its disk, which --min-ms hides");
	if (o->disk && (err = blockreq_validate_disk(inv, o->disk, &o->range)))
		return err;
	if (o->pid && (err = proc_validate_pid(inv, o->pid)))
		return err;
	if (o->cgroup && (err = validate_cgroup(inv, o)))
		return err;
	return 0;
}

/* ---- tracing ------------------------------------------------------------------------------ */

struct biosnoop_state {
	struct blockreq req;
	struct biosnoop_printer printer;
};

static const struct loss_kind biosnoop_losses[] = {
	{ BIOSNOOP_LOST_RINGBUF, "ringbuf_full", "ring buffer full", true },
	{ BIOSNOOP_LOST_INFLIGHT, "inflight_full", "in-flight table full", true },
	/* not lost: no latency to report for a request that never reached the driver */
	{ BIOSNOOP_DONE_UNSEEN, "issue_unseen", "completed without a seen issue", false },
	{ BIOSNOOP_DONE_MISSED, "done_missed", "ended without a seen completion", true },
	{ BIOSNOOP_STALE, "stale", "dropped after 120 s in flight", true },
	/* not lost: a request merged into another did no I/O of its own */
	{ BIOSNOOP_MERGED, "merged", "merged away before issue", false },
};

static int biosnoop_open(struct tracer *t, const struct bpf_object_open_opts *opts,
			 struct bpf_object **obj)
{
	struct biosnoop_state *st = t->state;
	const struct biosnoop_opts *o = t->inv->opts;

	int err = blockreq_open(&st->req, t, opts, o->disk ? &o->range : NULL);

	if (err)
		return err;
	st->req.skel->rodata->min_lat_ns = o->min_lat_ns;
	st->req.skel->rodata->filter_tgid = o->pid;
	st->req.skel->rodata->filter_cgroup = o->cgroup != NULL;
	*obj = st->req.skel->obj;
	return 0;
}

/* Also called between the engine's attempts, before start(): everything here is optional. */
static void biosnoop_destroy(struct tracer *t)
{
	struct biosnoop_state *st = t->state;

	blockreq_close(&st->req);
}

static struct bpf_map *biosnoop_events(struct tracer *t)
{
	struct biosnoop_state *st = t->state;

	return st->req.skel->maps.events;
}

/* The map holds a reference to the cgroup itself, so the descriptor can go right away. */
static int set_cgroup_filter(struct biosnoop_state *st, const char *dir)
{
	uint32_t key = 0;
	int fd, err;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_error("cannot open cgroup %s: %s", dir, strerror(errno));
		return err;
	}
	err = bpf_map__update_elem(st->req.skel->maps.cgroup_filter, &key, sizeof(key), &fd, sizeof(fd),
				   BPF_ANY);
	if (err)
		log_error("cannot set the cgroup filter to %s: %s", dir, strerror(-err));
	close(fd);
	return err;
}

static int biosnoop_start(struct tracer *t)
{
	struct biosnoop_state *st = t->state;
	const struct biosnoop_opts *o = t->inv->opts;
	struct biosnoop_print_opts popts = {
		.format = t->inv->common.format,
		.queued = o->queued,
		.wallclock = o->wallclock,
		/* -d naming a partition shows which one matched, as if --partition */
		.partition = o->partition || (o->disk && o->range.partition),
		.pattern = o->pattern,
		.latency_filtered = o->min_lat_ns != 0,
		.start = t->start,
	};
	int err;

	if (o->cgroup && (err = set_cgroup_filter(st, o->cgroup)))
		return err;
	err = blockreq_start(&st->req, t, biosnoop_losses, ARRAY_SIZE(biosnoop_losses));
	if (err)
		return err;
	popts.disk_width = st->req.disks.longest_disk_name;
	popts.part_width = st->req.disks.longest_part_name;
	biosnoop_printer_init(&st->printer, &popts);
	biosnoop_print_header(&st->printer, t->out);
	return 0;
}

static int biosnoop_event(struct tracer *t, const void *data, size_t size)
{
	struct biosnoop_state *st = t->state;
	const struct biosnoop_event *e = data;
	struct blockdev_hit hit;

	if (size < sizeof(*e))
		return 0;
	blockdev_resolve(&st->req.disks, e->dev, e->sector, e->ts_ns, &hit);
	biosnoop_print_event(&st->printer, t->out, e, hit.disk, hit.partition);
	return 0;
}

static int biosnoop_tick(struct tracer *t, bool final)
{
	struct biosnoop_state *st = t->state;
	uint64_t now = tracer_now_ns(CLOCK_MONOTONIC);

	if (!st->req.started)
		return 0;
	blockreq_tick(&st->req, now);
	return losses_tick(&st->req.losses, t, final);
}

static const struct tracer_tool biosnoop_tracer = {
	.state_size = sizeof(struct biosnoop_state),
	.open = biosnoop_open,
	.destroy = biosnoop_destroy,
	.start = biosnoop_start,
	.events_map = biosnoop_events,
	.event = biosnoop_event,
	.tick = biosnoop_tick,
};

const struct tool tool_biosnoop = {
	.name = "biosnoop",
	.summary = "Trace block device I/O with latency and disk name",
	.args_doc = "[DURATION]",
	.doc = "Trace every block I/O request: who issued it, where, how big and how long the "
	       "device took. Runs until Ctrl-C, or for DURATION seconds (same as -D)."
	       "\v"
	       "Columns:\n"
	       "  TIME(s)  completion, seconds since tracing started (-t: TIME, local time of\n"
	       "           day HH:MM:SS.uuuuuu)\n"
	       "  COMM     name of the task that submitted the request (see Owner below)\n"
	       "  PID      its process ID\n"
	       "  DISK     whole disk: sda, nvme0n1, loop3; MAJ:MIN when it has no name\n"
	       "  PART     (--partition, or -d naming a partition) partition holding the\n"
	       "           first sector; - if none\n"
	       "  T        type, as blktrace's rwbs: R read, W write, D discard, DE secure\n"
	       "           erase, F flush, N other; F before the type is a preflush, after it\n"
	       "           FUA; then A readahead, S sync, M metadata\n"
	       "  SECTOR   first 512-byte sector, counted from the start of the whole disk;\n"
	       "           - for a request without one (a flush)\n"
	       "  BYTES    size of the request\n"
	       "  P        (-P) pattern, as BCC's biosnoop -P: S sequential (the request starts\n"
	       "           at the sector where the previous request completed on the same disk\n"
	       "           ended), R random, - for the first request seen on a disk and for a\n"
	       "           flush. The previous request is the previous one traced: under -p, -c\n"
	       "           or -d PARTITION, that process's, cgroup's or partition's own.\n"
	       "           Not with -m, whose hidden requests would be the previous ones.\n"
	       "  QUE(ms)  (-Q) time from creation to issue to the driver; - if not seen\n"
	       "  LAT(ms)  device latency: issue to completion\n"
	       "A column widens, under a new header line, when a longer value appears.\n"
	       "\n"
	       "Owner: COMM and PID are the task that created the request (or, on kernels that\n"
	       "cannot show creation, queued it). For requests created before tracing started\n"
	       "they are the task that issued it to the driver, often a kworker. Buffered\n"
	       "writes are submitted by writeback threads, not by the process that wrote.\n"
	       "-p and -c match that owner; -d, -p and -c filter in the kernel. Under -p or\n"
	       "-c a request created before tracing started is not shown where this kernel\n"
	       "shows creation (its owner is unknown), and another task's request is never\n"
	       "shown, whoever issues it.\n"
	       "-p refuses a PID that does not exist instead of waiting for it to appear.\n"
	       "-c takes a cgroup v2 directory (/sys/fs/cgroup/... or wherever cgroup2 is\n"
	       "mounted); its child cgroups are included.\n"
	       "\n"
	       "--json: one object per line, each with \"record\": \"io\", \"lost\" or \"summary\",\n"
	       "and \"schema\": 1 (the version of this layout).\n"
	       "  io       \"time_ns\" (completion, since start; slightly negative for requests\n"
	       "           that completed while attaching), \"timestamp\" (ISO-8601 UTC with\n"
	       "           microseconds), \"comm\", \"pid\", \"disk\", \"partition\" (null if\n"
	       "           none), \"dev_major\", \"dev_minor\", \"rwbs\" (the T column), \"sector\"\n"
	       "           (null for a flush), \"bytes\", \"queue_ns\" (null if not seen),\n"
	       "           \"latency_ns\",\n"
	       "           \"owner_at_issue\" (true: comm and pid are the issuing task),\n"
	       "           \"pattern\" (\"sequential\", \"random\", or null as P's -; always\n"
	       "           null under -m)\n"
	       "  lost     \"time_ns\", \"ringbuf_full\", \"inflight_full\", \"done_missed\",\n"
	       "           \"stale\", \"probe_missed\" (requests lost since the previous lost\n"
	       "           record), \"issue_unseen\", \"merged\"; at most one a second\n"
	       "  summary  last line, totals: \"time_ns\", \"events\", \"lost\", \"ringbuf_full\",\n"
	       "           \"inflight_full\", \"issue_unseen\" (completions whose issue to the\n"
	       "           driver was not seen: no latency, so no io record; not lost),\n"
	       "           \"done_missed\", \"stale\", \"merged\" (merged into another request\n"
	       "           before issue; not lost), \"probe_missed\" (dropped by the kernel's\n"
	       "           probes before ours ran)\n"
	       "--csv: a header line, then one line per request with the io fields in that\n"
	       "order (time_ns and timestamp first; empty for null).\n"
	       "Lost requests are reported on stderr at most once a second while it happens,\n"
	       "and the last line on stderr is \"N events, N lost (what was lost); what was\n"
	       "counted but not lost\", naming only counters that are not zero.\n"
	       "\n"
	       "Exit status: 0 when tracing ended normally (Ctrl-C, SIGTERM, DURATION, or the\n"
	       "reader of the output went away); 1 when it cannot trace on this kernel or\n"
	       "failed while running; 2 on usage errors (bad option, unknown disk, no such\n"
	       "process, not a cgroup v2 directory).",
	.options = biosnoop_options,
	.parse = biosnoop_parse,
	.validate = biosnoop_validate,
	.run = tracer_run,
	.tracer = &biosnoop_tracer,
	.probes = &blockreq_probe_table,
	.opts_size = sizeof(struct biosnoop_opts),
	.opts_defaults = &biosnoop_defaults,
	.common = COMMON_FORMAT | COMMON_DURATION | COMMON_BACKEND,
	.applet = true,
	.examples = "iotrace biosnoop\tevery request on every disk until Ctrl-C\n"
		    "iotrace biosnoop -d nvme0n1 -m 10\trequests on nvme0n1 slower than 10 ms\n"
		    "iotrace biosnoop -d sda2 -Q\tonly partition sda2, with queue time and a PART column\n"
		    "iotrace biosnoop -d sda -P\tsda's requests, each marked sequential or random\n"
		    "iotrace biosnoop -c /sys/fs/cgroup/system.slice/mysql.service --json 60\t"
		    "one minute of a service's I/O as JSON lines\n"
		    "iotrace probes biosnoop\twhich attach points this kernel offers, and why\n",
};
