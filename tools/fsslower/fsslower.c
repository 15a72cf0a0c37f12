/* SPDX-License-Identifier: GPL-2.0-only */
/* The fsslower family: reads, writes, opens and fsyncs of one file system slower than a
 * threshold. ext4slower, xfsslower, btrfsslower, nfsslower, zfsslower and `fsslower -t FS`
 * are this one code path over the table of fs_table.c: only the probe table, the module to
 * look for and the s_magic filter differ. */
#include "fsslower_event.h"
#include "fsslower/fs_table.h"
#include "fsslower/fsslower_print.h"
#include "fsslower.skel.h"
#include "kfacts/kfacts.h"
#include "util/util.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- options ------------------------------------------------------------------------------ */

#define MAX_MIN_NS (3600ULL * 1000000000ULL)

struct fsslower_opts {
	const struct fs_desc *fs; /* set by the tool's defaults, or by -t */
	uint64_t min_lat_ns;
	bool min_given;
	uint32_t pid;
	bool bcc_csv; /* -j */
};

enum { OPT_MIN_MS = 'm', OPT_PID = 'p', OPT_BCC_CSV = 'j', OPT_TYPE = 't' };

static const struct argp_option fsslower_options[] = {
	{ "min-ms", OPT_MIN_MS, "MS", 0,
	  "Show operations slower than MS milliseconds (default 10; 0 shows all)", 0 },
	{ "pid", OPT_PID, "PID", 0, "Only this process (it must exist)", 0 },
	{ NULL, OPT_BCC_CSV, NULL, 0, "Same as --csv (BCC's flag)", 0 },
	{ 0 },
};

/* fsslower alone: the same, plus which file system (libbpf-tools' -t) */
static const struct argp_option fsslower_type_options[] = {
	{ "type", OPT_TYPE, "FS", 0,
	  "The file system to trace: btrfs, ext4, nfs, xfs or zfs (required)", 0 },
	{ "min-ms", OPT_MIN_MS, "MS", 0,
	  "Show operations slower than MS milliseconds (default 10; 0 shows all)", 0 },
	{ "pid", OPT_PID, "PID", 0, "Only this process (it must exist)", 0 },
	{ NULL, OPT_BCC_CSV, NULL, 0, "Same as --csv (BCC's flag)", 0 },
	{ 0 },
};

static int set_min(struct argp_state *state, struct fsslower_opts *o, const char *arg,
		   const char *what)
{
	uint64_t ns;

	if (parse_decimal_ns(arg, 1000000ULL, MAX_MIN_NS, &ns))
		return opt_error(state, "invalid %s '%s': expected milliseconds, 0 to 3600000", what, arg);
	if (o->min_given && ns != o->min_lat_ns)
		return opt_error(state, "conflicting thresholds: MIN_MS and --min-ms differ");
	o->min_lat_ns = ns;
	o->min_given = true;
	return 0;
}

static int fsslower_parse(int key, char *arg, struct argp_state *state, void *opts)
{
	struct fsslower_opts *o = opts;

	switch (key) {
	case OPT_TYPE:
		o->fs = fs_find(arg);
		if (!o->fs)
			return opt_error(state, "unknown file system '%s' for -t: expected one of %s",
					 arg, fs_names());
		return 0;
	case OPT_MIN_MS:
		return set_min(state, o, arg, "--min-ms");
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			return opt_error(state, "unexpected argument '%s': only MIN_MS is positional", arg);
		return set_min(state, o, arg, "MIN_MS");
	case OPT_PID:
		return opt_parse_pid(state, arg, &o->pid);
	case OPT_BCC_CSV:
		o->bcc_csv = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int fsslower_validate(struct invocation *inv)
{
	struct fsslower_opts *o = inv->opts;

	if (!o->fs)
		return usage_error(inv, "which file system? give -t FS (one of %s), or run "
				   "ext4slower, xfsslower, btrfsslower, nfsslower or zfsslower", fs_names());
	if (o->bcc_csv) {
		if (inv->common.format_set && inv->common.format != FORMAT_CSV)
			return usage_error(inv, "-j (CSV) cannot be combined with --json");
		inv->common.format = FORMAT_CSV;
	}
	return o->pid ? proc_validate_pid(inv, o->pid) : 0;
}

/* ---- tracing ------------------------------------------------------------------------------ */

struct fsslower_state {
	struct fsslower_bpf *skel;
	struct losses losses;
	struct fsslower_print_opts print;
	/* room for every key of the in-flight table, for the sweep; NULL where thread ids
	 * cannot be looked up (another pid namespace): no sweep */
	struct fsslower_inflight_key *keys;
};

/* (keys beyond the BPF counters: counted here) */
#define FSSLOWER_IN_FLIGHT_AT_END FSSLOWER_COUNTER_MAX

static const struct loss_kind fsslower_losses[] = {
	{ FSSLOWER_LOST_RINGBUF, "ringbuf_full", "ring buffer full", true },
	{ FSSLOWER_LOST_INFLIGHT, "inflight_full", "in-flight table full", true },
	{ FSSLOWER_RETURN_UNSEEN, "return_unseen", "returns never seen", true },
	{ FSSLOWER_IN_FLIGHT_AT_END, "in_flight_at_end", "calls still in progress at the end", false },
};

/* Thread ids from BPF are the initial pid namespace's: only there can they be looked up. */
static bool in_initial_pid_ns(void)
{
	char link[64];
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);

	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "pid:[4026531836]"); /* PROC_PID_INIT_INO */
}

static bool thread_exists(uint64_t pid_tgid)
{
	return syscall(SYS_tgkill, (pid_t)(pid_tgid >> 32), (pid_t)(uint32_t)pid_tgid, 0) == 0 ||
	       errno != ESRCH;
}

/* A thread that exited inside a traced call, as the table sees it, never returned from it
 * as far as the probes could tell: the entry BPF keeps for it would otherwise stay until
 * the table is full. Each is removed and counted as a return never seen. At the end, the
 * entries of live threads are calls still in progress (or whose return the kernel skipped
 * and that the thread has not repeated): shown, not counted as lost. */
static void sweep_inflight(struct fsslower_state *st, bool final)
{
	int fd = bpf_map__fd(st->skel->maps.inflight);
	size_t n = 0, cap = bpf_map__max_entries(st->skel->maps.inflight);
	struct fsslower_inflight_key *keys = st->keys, *prev = NULL;
	uint64_t gone = 0, live = 0;

	if (!keys)
		return;
	/* keys first: deleting while walking would restart the walk */
	while (n < cap && bpf_map_get_next_key(fd, prev, &keys[n]) == 0)
		prev = &keys[n++];
	for (size_t i = 0; i < n; i++) {
		if (thread_exists(keys[i].pid_tgid))
			live++;
		else if (bpf_map_delete_elem(fd, &keys[i]) == 0)
			gone++;
	}
	losses_add(&st->losses, FSSLOWER_RETURN_UNSEEN, gone);
	if (final)
		losses_add(&st->losses, FSSLOWER_IN_FLIGHT_AT_END, live);
}

static const struct fs_desc *fs_of(const struct tracer *t)
{
	return ((const struct fsslower_opts *)t->inv->opts)->fs;
}

/* One line instead of a table of rejected candidates for the two common cases: the file
 * system is not in this kernel at all, or nothing here can probe a function. A file system
 * built into the kernel (no module) is found by one of its own functions in kallsyms. */
static int fsslower_precheck(struct tracer *t, struct kfacts *kf)
{
	const struct fs_desc *fs = fs_of(t);
	const char *kprobes_why = NULL, *fentry_why = NULL;
	bool loaded = false, builtin = false, btf = false;
	char nobtf[64];

	if (kf->ops->module_loaded(kf, fs->module, &loaded) || !loaded) {
		if (!fs->builtin_sym || kf->ops->kallsyms(kf, NULL, fs->builtin_sym, &builtin) ||
		    !builtin) {
			log_error("%s is not loaded: no %s module here (check with 'lsmod | grep %s'; "
				  "load it with 'modprobe %s'), so there is nothing to trace",
				  fs->title, fs->module, fs->module, fs->module);
			return -ENOENT;
		}
	}
	if (kfacts_feature(kf, KFEATURE_KPROBES, &kprobes_why) == FACT_YES)
		return 0;
	if (builtin)
		btf = kfacts_feature(kf, KFEATURE_BTF_VMLINUX, NULL) == FACT_YES;
	else if (kf->ops->module_btf(kf, fs->module, &btf))
		btf = false;
	if (btf && kfacts_feature(kf, KFEATURE_FENTRY, &fentry_why) == FACT_YES)
		return 0;
	snprintf(nobtf, sizeof(nobtf), builtin ? "the kernel has no BTF" : "the %s module has no BTF",
		 fs->module);
	log_error("%s is %s, but this kernel offers no way to trace it: kprobes unavailable (%s) "
		  "and fentry impossible (%s)", fs->title, builtin ? "built in" : "loaded",
		  kprobes_why ? kprobes_why : "no", !btf ? nobtf : fentry_why ? fentry_why : "denied");
	return -EOPNOTSUPP;
}

static int fsslower_open(struct tracer *t, const struct bpf_object_open_opts *opts,
			 struct bpf_object **obj)
{
	struct fsslower_state *st = t->state;
	const struct fsslower_opts *o = t->inv->opts;

	st->skel = fsslower_bpf__open_opts(opts);
	if (!st->skel)
		return errno ? -errno : -ENOMEM;
	st->skel->rodata->min_lat_ns = o->min_lat_ns;
	st->skel->rodata->filter_tgid = o->pid;
	st->skel->rodata->filter_magic = o->fs->magic;
	*obj = st->skel->obj;
	return 0;
}

static void fsslower_destroy(struct tracer *t)
{
	struct fsslower_state *st = t->state;

	losses_free(&st->losses);
	free(st->keys);
	st->keys = NULL;
	fsslower_bpf__destroy(st->skel);
	st->skel = NULL;
}

static struct bpf_map *fsslower_events(struct tracer *t)
{
	struct fsslower_state *st = t->state;

	return st->skel->maps.events;
}

static int fsslower_start(struct tracer *t)
{
	struct fsslower_state *st = t->state;
	const struct fsslower_opts *o = t->inv->opts;
	int err = losses_init(&st->losses, st->skel->maps.counters, fsslower_losses,
			      ARRAY_SIZE(fsslower_losses));

	if (err)
		return err;
	if (in_initial_pid_ns()) {
		st->keys = calloc(bpf_map__max_entries(st->skel->maps.inflight), sizeof(*st->keys));
		if (!st->keys)
			return -ENOMEM;
	}
	st->print = (struct fsslower_print_opts){
		.format = t->inv->common.format,
		.fs_title = o->fs->title,
		.min_lat_ns = o->min_lat_ns,
		.start = t->start,
	};
	fsslower_print_header(&st->print, t->out);
	return 0;
}

static int fsslower_event(struct tracer *t, const void *data, size_t size)
{
	struct fsslower_state *st = t->state;
	const struct fsslower_event *e = data;

	if (size < sizeof(*e))
		return 0;
	fsslower_print_event(&st->print, t->out, e);
	return 0;
}

static int fsslower_tick(struct tracer *t, bool final)
{
	struct fsslower_state *st = t->state;

	sweep_inflight(st, final);
	return losses_tick(&st->losses, t, final);
}

/* one tracer for every file system: only the tool's probe table differs */
static const struct tracer_tool fsslower_tracer = {
	.state_size = sizeof(struct fsslower_state),
	.open = fsslower_open,
	.destroy = fsslower_destroy,
	.precheck = fsslower_precheck,
	.start = fsslower_start,
	.events_map = fsslower_events,
	.event = fsslower_event,
	.tick = fsslower_tick,
	.counts_unseen_returns = true,
};

/* fsslower -t FS runs as FS's own tool (its probe table, its name in `probes` reports);
 * messages keep saying "fsslower" (inv->progname) */
static int fsslower_type_run(struct invocation *inv)
{
	const struct fsslower_opts *o = inv->opts;
	struct invocation as_fs = *inv;

	as_fs.tool = o->fs->tool;
	return tracer_run(&as_fs);
}

/* ---- the tools ---------------------------------------------------------------------------- */

#define FS_COLUMNS                                                                                 \
	"Columns: TIME (wall clock), COMM, PID, T (R read, W write, O open, S fsync), BYTES "      \
	"(bytes read or written), OFF_KB (file offset of the data: where an O_APPEND write "       \
	"landed), LAT(ms), ERR (the errno name of a failed operation, such as EIO; - when "        \
	"it succeeded: a 0-byte read without error is end of file), FILENAME.\n"                   \
	"--csv/-j: ENDTIME_us,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE (as BCC), then "        \
	"ERROR (errno name, empty when none); ENDTIME_us on the monotonic clock.\n"                \
	"--json: {\"record\":\"op\",\"schema\":1,\"time_ns\" (since start; negative for an "       \
	"operation that ended before it),\"timestamp\" (UTC, ISO 8601),\"comm\",\"pid\","          \
	"\"type\",\"bytes\",\"offset\",\"error\" (null or \"EIO\"...),\"latency_ns\","             \
	"\"file\"}; also \"lost\" and \"summary\" records, with a count per cause of loss "        \
	"(probe_missed: operations the kernel's probes dropped before the tool saw them; "         \
	"return_unseen: operations whose return it never saw; in_flight_at_end, not a loss: "      \
	"calls still in progress when tracing stopped).\n"

#define FS_RETPROBES                                                                               \
	"Return probes (kretprobes, where the module has no BTF) are sized for 4096 threads "      \
	"inside one function at once (the kernel's maximum); fexit, chosen where the module "      \
	"(or the kernel, for a built-in file system) has BTF, has no such limit.\n"

#define FS_DOC(title, fns, extra)                                                                  \
	"Trace " title " file operations (" fns ", entry to return) slower than MIN_MS "        \
	"milliseconds (default 10; 0 traces every operation). " extra                              \
	"Same program as zfsslower and `fsslower -t`; docs/fsslower.md.\v" FS_COLUMNS FS_RETPROBES \
	"Exit status: 0 success, 1 cannot trace here (" title " not in this kernel, nothing "     \
	"attachable), 2 usage error."

/* One member of the family: its own name, file system, probe table and texts; the rest is
 * shared. (The defaults are a compound literal: static storage at file scope.) */
#define FS_TOOL(name_, fs_desc_, probe_table_, summary_, doc_, examples_)                         \
	{                                                                                          \
		.name = name_,                                                                     \
		.summary = summary_,                                                               \
		.args_doc = "[MIN_MS]", .doc = doc_, .options = fsslower_options,                  \
		.parse = fsslower_parse, .validate = fsslower_validate, .run = tracer_run,         \
		.tracer = &fsslower_tracer,                                                        \
		.probes = probe_table_,                                                            \
		.opts_size = sizeof(struct fsslower_opts),                                         \
		.opts_defaults = &(const struct fsslower_opts){ .fs = fs_desc_,                   \
								.min_lat_ns = 10 * 1000000ULL },   \
		.common = COMMON_FORMAT | COMMON_DURATION | COMMON_BACKEND, .applet = true,        \
		.examples = examples_,                                                             \
	}

const struct tool tool_btrfsslower = FS_TOOL(
	"btrfsslower", &fs_desc_btrfs, &btrfsslower_probe_table,
	"Trace Btrfs reads, writes, opens and fsyncs slower than a threshold",
	FS_DOC("Btrfs", "btrfs_file_read_iter, btrfs_file_write_iter, btrfs_file_open, "
	       "btrfs_sync_file", "Where a kernel reads or opens Btrfs files through the generic "
	       "functions (generic_file_read_iter, generic_file_open), those are probed and only "
	       "Btrfs files are kept (by the superblock's magic number, in the kernel). "),
	"iotrace btrfsslower\tBtrfs operations slower than 10 ms\n"
	"btrfsslower 1\tthrough the link, slower than 1 ms\n"
	"iotrace probes btrfsslower\twhich functions were found, and how they are probed\n");

const struct tool tool_ext4slower = FS_TOOL(
	"ext4slower", &fs_desc_ext4, &ext4slower_probe_table,
	"Trace ext4 reads, writes, opens and fsyncs slower than a threshold",
	FS_DOC("ext4", "ext4_file_read_iter, ext4_file_write_iter, ext4_file_open, "
	       "ext4_sync_file", "ext2 and ext3 file systems mounted by the ext4 driver are "
	       "included, as in BCC's ext4slower. "),
	"iotrace ext4slower\text4 operations slower than 10 ms\n"
	"ext4slower 1\tthrough the link, slower than 1 ms\n"
	"iotrace ext4slower 0 -p 1234 --json\tevery operation of process 1234, as JSON lines\n"
	"iotrace ext4slower -j 5 > slow.csv\tBCC-compatible CSV\n"
	"iotrace probes ext4slower\twhich functions were found, and how they are probed\n");

const struct tool tool_nfsslower = FS_TOOL(
	"nfsslower", &fs_desc_nfs, &nfsslower_probe_table,
	"Trace NFS client reads, writes, opens and fsyncs slower than a threshold",
	FS_DOC("NFS", "nfs_file_read, nfs_file_write, nfs_file_open or nfs4_file_open, "
	       "nfs_file_fsync", "NFS mounts of every version (nfs, nfs4) on the client side. "),
	"iotrace nfsslower\tNFS operations slower than 10 ms\n"
	"nfsslower 1\tthrough the link, slower than 1 ms\n"
	"iotrace probes nfsslower\twhich functions were found, and how they are probed\n");

const struct tool tool_xfsslower = FS_TOOL(
	"xfsslower", &fs_desc_xfs, &xfsslower_probe_table,
	"Trace XFS reads, writes, opens and fsyncs slower than a threshold",
	FS_DOC("XFS", "xfs_file_read_iter, xfs_file_write_iter, xfs_file_open, xfs_file_fsync", ""),
	"iotrace xfsslower\tXFS operations slower than 10 ms\n"
	"xfsslower 1\tthrough the link, slower than 1 ms\n"
	"iotrace probes xfsslower\twhich functions were found, and how they are probed\n");

/* zfsslower's text is as it was before the family shared its code */
const struct tool tool_zfsslower = FS_TOOL(
	"zfsslower", &fs_desc_zfs, &zfsslower_probe_table,
	"Trace ZFS reads, writes, opens and fsyncs slower than a threshold",
	"Trace ZFS file operations (zpl_* entry to return) slower than MIN_MS milliseconds "
	"(default 10; 0 traces every operation). The read and write functions are found "
	"by name at run time: tested on OpenZFS 2.1.11 (kprobes) and 2.3.2 (fentry/fexit); "
	"the names of 0.6.x (zpl_read/zpl_write), 0.6.4 to 2.2 (zpl_aio_* or zpl_iter_*) "
	"and vendor suffixes are expected from the name tables, checked on fixture "
	"kernels only.\v"
	"Columns: TIME (wall clock), COMM, PID, T (R read, W write, O open, S fsync), BYTES "
	"(bytes read or written), OFF_KB (file offset of the data: where an O_APPEND write "
	"landed), LAT(ms), ERR (the errno name of a failed operation, such as EIO; - when "
	"it succeeded: a 0-byte read without error is end of file), FILENAME.\n"
	"--csv/-j: ENDTIME_us,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE (as BCC), then "
	"ERROR (errno name, empty when none); ENDTIME_us on the monotonic clock.\n"
	"--json: {\"record\":\"op\",\"schema\":1,\"time_ns\" (since start; negative for an "
	"operation that ended before it),\"timestamp\" (UTC, ISO 8601),\"comm\",\"pid\","
	"\"type\",\"bytes\",\"offset\",\"error\" (null or \"EIO\"...),\"latency_ns\","
	"\"file\"}; also \"lost\" and \"summary\" records, with a count per cause of loss "
	"(probe_missed: operations the kernel's probes dropped before zfsslower saw them; "
	"return_unseen: operations whose return it never saw; in_flight_at_end, not a loss: "
	"calls still in progress when tracing stopped).\n"
	"Return probes (kretprobes, where the zfs module has no BTF) are sized for 4096 "
	"threads inside one function at once (the kernel's maximum); fexit, chosen where "
	"the module has BTF, has no such limit.\n"
	"Exit status: 0 success, 1 cannot trace here (ZFS not loaded, nothing attachable), "
	"2 usage error.",
	"iotrace zfsslower\tZFS operations slower than 10 ms\n"
	"zfsslower 1\tthrough the link, slower than 1 ms\n"
	"iotrace zfsslower 0 -p 1234 --json\tevery operation of process 1234, as JSON lines\n"
	"iotrace zfsslower -j 5 > slow.csv\tBCC-compatible CSV\n"
	"iotrace probes zfsslower\twhich zpl_* functions were found, and how they are probed\n");

static const struct fsslower_opts fsslower_defaults = { .min_lat_ns = 10 * 1000000ULL };

const struct tool tool_fsslower = {
	.name = "fsslower",
	.summary = "Trace one file system's slow operations: -t btrfs, ext4, nfs, xfs or zfs",
	.args_doc = "[MIN_MS]",
	.doc = "Trace the reads, writes, opens and fsyncs of the file system named by -t slower "
	       "than MIN_MS milliseconds (default 10; 0 traces every operation), as libbpf-tools' "
	       "fsslower. The same as running btrfsslower, ext4slower, nfsslower, xfsslower or "
	       "zfsslower (their --help and docs/fsslower.md tell which functions each probes); "
	       "`iotrace probes ext4slower` shows the choice for ext4.\v" FS_COLUMNS FS_RETPROBES
	       "Exit status: 0 success, 1 cannot trace here (the file system not in this kernel, "
	       "nothing attachable), 2 usage error (also: no -t).",
	.options = fsslower_type_options,
	.parse = fsslower_parse,
	.validate = fsslower_validate,
	.run = fsslower_type_run,
	.opts_size = sizeof(struct fsslower_opts),
	.opts_defaults = &fsslower_defaults,
	.common = COMMON_FORMAT | COMMON_DURATION | COMMON_BACKEND,
	.applet = true,
	.examples = "iotrace fsslower -t ext4\text4 operations slower than 10 ms\n"
		    "iotrace fsslower -t xfs 1 --json\tXFS operations slower than 1 ms, as JSON lines\n",
};
