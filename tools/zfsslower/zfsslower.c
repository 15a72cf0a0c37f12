/* SPDX-License-Identifier: GPL-2.0-only */
/* zfsslower: ZFS reads, writes, opens and fsyncs slower than a threshold. */
#include "zfsslower.h"
#include "zfsslower/zfsslower_print.h"
#include "zfsslower.skel.h"
#include "util/util.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- probes -------------------------------------------------------------------------------
 * The read/write entry points changed names across OpenZFS versions and kernels:
 *   0.6.0-0.6.4  zpl_read / zpl_write (file, buf, len, ppos)
 *   0.6.4-2.2    zpl_aio_read / zpl_aio_write (kiocb, iovec, nr_segs, pos) on older kernels
 *   0.6.5+       zpl_iter_read / zpl_iter_write (kiocb, iov_iter); 2.3+ only these
 * Vendor builds may add suffixes (zpl_iter_read_ext), hence the patterns; the old names are
 * matched exactly because zpl_read_common (a helper with another signature) sits beside them.
 * fentry needs BTF for the zfs module, which Debian's DKMS builds do not have: kprobes then. */

#define ZFS_PAIR(kind, target, entry, ret, proto) { kind, target, "zfs", entry, ret, proto, NULL }

static const struct probe_candidate reads[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_iter_read*", "fentry_iter_read", "fexit_iter_read", "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_aio_read*", "fentry_aio_read", "fexit_aio_read", "kiocb,iovec"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_read", "fentry_read", "fexit_read", "file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_iter_read*", "kprobe_iter_read", "kretprobe_iter_read", "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_aio_read*", "kprobe_aio_read", "kretprobe_aio_read", "kiocb,iovec"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_read", "kprobe_read", "kretprobe_read", "file"),
};

static const struct probe_candidate writes[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_iter_write*", "fentry_iter_write", "fexit_iter_write", "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_aio_write*", "fentry_aio_write", "fexit_aio_write", "kiocb,iovec"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_write", "fentry_write", "fexit_write", "file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_iter_write*", "kprobe_iter_write", "kretprobe_iter_write", "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_aio_write*", "kprobe_aio_write", "kretprobe_aio_write", "kiocb,iovec"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_write", "kprobe_write", "kretprobe_write", "file"),
};

static const struct probe_candidate opens[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_open*", "fentry_open", "fexit_open", "inode,file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_open*", "kprobe_open", "kretprobe_open", "inode,file"),
};

static const struct probe_candidate fsyncs[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_fsync*", "fentry_fsync", "fexit_fsync", "file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_fsync*", "kprobe_fsync", "kretprobe_fsync", "file"),
};

static const struct probe_spec zfsslower_probes[] = {
	{ "read", "ZFS file read (entry and return)", NULL, false, reads, ARRAY_SIZE(reads) },
	{ "write", "ZFS file write (entry and return)", NULL, false, writes, ARRAY_SIZE(writes) },
	{ "open", "ZFS file open (entry and return)", NULL, true, opens, ARRAY_SIZE(opens) },
	{ "fsync", "ZFS fsync (entry and return)", NULL, true, fsyncs, ARRAY_SIZE(fsyncs) },
};

const struct probe_table zfsslower_probe_table = {
	zfsslower_probes, ARRAY_SIZE(zfsslower_probes), NULL, 0, .needs_kernel_btf = true,
};

/* ---- options ------------------------------------------------------------------------------ */

#define MAX_MIN_NS (3600ULL * 1000000000ULL)

struct zfsslower_opts {
	uint64_t min_lat_ns;
	bool min_given;
	uint32_t pid;
	bool bcc_csv; /* -j */
};

static const struct zfsslower_opts zfsslower_defaults = { .min_lat_ns = 10 * 1000000ULL };

enum { OPT_MIN_MS = 'm', OPT_PID = 'p', OPT_BCC_CSV = 'j' };

static const struct argp_option zfsslower_options[] = {
	{ "min-ms", OPT_MIN_MS, "MS", 0,
	  "Show operations slower than MS milliseconds (default 10; 0 shows all)", 0 },
	{ "pid", OPT_PID, "PID", 0, "Only this process (it must exist)", 0 },
	{ NULL, OPT_BCC_CSV, NULL, 0, "Same as --csv (BCC's flag)", 0 },
	{ 0 },
};

static int set_min(struct argp_state *state, struct zfsslower_opts *o, const char *arg,
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

static int zfsslower_parse(int key, char *arg, struct argp_state *state, void *opts)
{
	struct zfsslower_opts *o = opts;
	uint64_t v;

	switch (key) {
	case OPT_MIN_MS:
		return set_min(state, o, arg, "--min-ms");
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			return opt_error(state, "unexpected argument '%s': only MIN_MS is positional", arg);
		return set_min(state, o, arg, "MIN_MS");
	case OPT_PID:
		if (parse_u64(arg, 0x3fffffff, &v) || v == 0)
			return opt_error(state, "invalid --pid '%s': expected a process ID", arg);
		o->pid = (uint32_t)v;
		return 0;
	case OPT_BCC_CSV:
		o->bcc_csv = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int zfsslower_validate(struct invocation *inv)
{
	struct zfsslower_opts *o = inv->opts;

	if (o->bcc_csv) {
		if (inv->common.format_set && inv->common.format != FORMAT_CSV)
			return usage_error(inv, "-j (CSV) cannot be combined with --json");
		inv->common.format = FORMAT_CSV;
	}
	return o->pid ? proc_validate_pid(inv, o->pid) : 0;
}

/* ---- tracing ------------------------------------------------------------------------------ */

struct zfsslower_state {
	struct zfsslower_bpf *skel;
	struct losses losses;
	struct zfsslower_print_opts print;
};

static const struct loss_kind zfsslower_losses[] = {
	{ ZFSSLOWER_LOST_RINGBUF, "ringbuf_full", "ring buffer full", true },
	{ ZFSSLOWER_LOST_INFLIGHT, "inflight_full", "in-flight table full", true },
};

/* One line instead of a table of rejected candidates for the two common cases. */
static int zfsslower_precheck(struct tracer *t, struct kfacts *kf)
{
	const char *kprobes_why = NULL, *fentry_why = NULL;
	bool loaded = false, btf = false;

	if (kf->ops->module_loaded(kf, "zfs", &loaded) || !loaded) {
		log_error("ZFS is not loaded: no zfs module here (check with 'lsmod | grep zfs'; load "
			  "it with 'modprobe zfs'), so there is nothing to trace");
		return -ENOENT;
	}
	if (kfacts_feature(kf, KFEATURE_KPROBES, &kprobes_why) == FACT_YES)
		return 0;
	if (kf->ops->module_btf(kf, "zfs", &btf) == 0 && btf &&
	    kfacts_feature(kf, KFEATURE_FENTRY, &fentry_why) == FACT_YES)
		return 0;
	log_error("ZFS is loaded, but this kernel offers no way to trace it: kprobes unavailable (%s) "
		  "and fentry impossible (%s)", kprobes_why ? kprobes_why : "no",
		  !btf ? "the zfs module has no BTF" : fentry_why ? fentry_why : "denied");
	return -EOPNOTSUPP;
}

static int zfsslower_open(struct tracer *t, const struct bpf_object_open_opts *opts,
			  struct bpf_object **obj)
{
	struct zfsslower_state *st = t->state;
	const struct zfsslower_opts *o = t->inv->opts;

	st->skel = zfsslower_bpf__open_opts(opts);
	if (!st->skel)
		return errno ? -errno : -ENOMEM;
	st->skel->rodata->min_lat_ns = o->min_lat_ns;
	st->skel->rodata->filter_tgid = o->pid;
	*obj = st->skel->obj;
	return 0;
}

static void zfsslower_destroy(struct tracer *t)
{
	struct zfsslower_state *st = t->state;

	losses_free(&st->losses);
	zfsslower_bpf__destroy(st->skel);
	st->skel = NULL;
}

static struct bpf_map *zfsslower_events(struct tracer *t)
{
	struct zfsslower_state *st = t->state;

	return st->skel->maps.events;
}

static int zfsslower_start(struct tracer *t)
{
	struct zfsslower_state *st = t->state;
	const struct zfsslower_opts *o = t->inv->opts;
	int err = losses_init(&st->losses, st->skel->maps.counters, zfsslower_losses,
			      ARRAY_SIZE(zfsslower_losses));

	if (err)
		return err;
	st->print = (struct zfsslower_print_opts){
		.format = t->inv->common.format,
		.min_lat_ns = o->min_lat_ns,
		.start_mono_ns = t->start.mono_ns,
		.start_real_ns = t->start.real_ns,
	};
	zfsslower_print_header(&st->print, t->out);
	return 0;
}

static int zfsslower_event(struct tracer *t, const void *data, size_t size)
{
	struct zfsslower_state *st = t->state;
	const struct zfsslower_event *e = data;

	if (size < sizeof(*e))
		return 0;
	zfsslower_print_event(&st->print, t->out, e);
	return 0;
}

static int zfsslower_tick(struct tracer *t, bool final)
{
	struct zfsslower_state *st = t->state;

	return losses_tick(&st->losses, t, final);
}

static const struct tracer_tool zfsslower_tracer = {
	.state_size = sizeof(struct zfsslower_state),
	.open = zfsslower_open,
	.destroy = zfsslower_destroy,
	.precheck = zfsslower_precheck,
	.start = zfsslower_start,
	.events_map = zfsslower_events,
	.event = zfsslower_event,
	.tick = zfsslower_tick,
};

static int zfsslower_run(struct invocation *inv)
{
	return tracer_run(inv, &zfsslower_tracer);
}

const struct tool tool_zfsslower = {
	.name = "zfsslower",
	.summary = "Trace ZFS reads, writes, opens and fsyncs slower than a threshold",
	.args_doc = "[MIN_MS]",
	.doc = "Trace ZFS file operations (zpl_* entry to return) slower than MIN_MS milliseconds "
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
	       "(probe_missed: operations the kernel's probes dropped before zfsslower saw them).\n"
	       "Return probes (kretprobes, where the zfs module has no BTF) are sized for 4096 "
	       "threads inside one function at once (the kernel's maximum); fexit, chosen where "
	       "the module has BTF, has no such limit.\n"
	       "Exit status: 0 success, 1 cannot trace here (ZFS not loaded, nothing attachable), "
	       "2 usage error.",
	.options = zfsslower_options,
	.parse = zfsslower_parse,
	.validate = zfsslower_validate,
	.run = zfsslower_run,
	.tracer = &zfsslower_tracer,
	.probes = &zfsslower_probe_table,
	.opts_size = sizeof(struct zfsslower_opts),
	.opts_defaults = &zfsslower_defaults,
	.common = COMMON_FORMAT | COMMON_DURATION | COMMON_BACKEND,
	.applet = true,
	.examples = "iotrace zfsslower\tZFS operations slower than 10 ms\n"
		    "zfsslower 1\tthrough the link, slower than 1 ms\n"
		    "iotrace zfsslower 0 -p 1234 --json\tevery operation of process 1234, as JSON lines\n"
		    "iotrace zfsslower -j 5 > slow.csv\tBCC-compatible CSV\n"
		    "iotrace probes zfsslower\twhich zpl_* functions were found, and how they are probed\n",
};
