/* SPDX-License-Identifier: GPL-2.0-only */
/* Feature probes and tracefs. A feature is proven by doing it: a tiny program is really
 * loaded (and for fentry attached), because neither the kernel config nor its version says
 * what LSMs and lockdown allow. Fixtures answer from root/features instead. The one change
 * made to the system is mounting a missing tracefs on the real root. */
#include "internal.h"
#include "util/util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tracefs_dirs[] = { "sys/kernel/tracing", "sys/kernel/debug/tracing" };

int live_tracefs_find(struct live_kfacts *lk)
{
	size_t i;
	int attempt;

	if (lk->tracefs_checked)
		return lk->tracefs_err;
	lk->tracefs_checked = true;
	for (attempt = 0; attempt < 2; attempt++) {
		for (i = 0; i < ARRAY_SIZE(tracefs_dirs); i++) {
			if (live_root_has(lk, S_IFDIR, "%s/events", tracefs_dirs[i])) {
				lk->tracefs_dir = tracefs_dirs[i];
				lk->tracefs_err = 0;
				return 0;
			}
		}
		if (attempt || !lk->production)
			break;
		/* Minimal systems and VMs boot without it; raw_tp and tp_btf do not need it,
		 * but classic tracepoints and the traceable list do. */
		if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
			lk->tracefs_mount_err = negative_errno();
			break;
		}
	}
	lk->tracefs_err = lk->tracefs_mount_err ? lk->tracefs_mount_err : -ENOENT;
	return lk->tracefs_err;
}

int live_tracepoint(struct kfacts *kf, const char *category, const char *event, bool *present)
{
	struct live_kfacts *lk = to_live(kf);
	size_t i;
	int err;

	if (!present || !live_is_path_component(category) || !live_is_path_component(event))
		return -EINVAL;
	*present = false;
	err = live_tracefs_find(lk);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(tracefs_dirs) && !*present; i++)
		*present = live_root_has(lk, S_IFREG, "%s/events/%s/%s/id", tracefs_dirs[i],
					 category, event);
	return 0;
}

static enum fact tracefs_fact(struct live_kfacts *lk, char *reason, size_t size)
{
	if (!live_tracefs_find(lk))
		return FACT_YES;
	if (lk->tracefs_mount_err)
		snprintf(reason, size,
			 "tracefs not mounted and mounting it failed: %s; mount it with: "
			 "mount -t tracefs nodev /sys/kernel/tracing",
			 errno_text(lk->tracefs_mount_err).s);
	else
		snprintf(reason, size, "no tracefs: no tracing/events directory");
	return FACT_NO;
}

static enum fact kprobes_fact(struct live_kfacts *lk, char *reason, size_t size)
{
	if (live_root_has(lk, S_IFREG, "sys/bus/event_source/devices/kprobe/type"))
		return FACT_YES;
	if (!live_tracefs_find(lk) &&
	    live_root_has(lk, S_IFREG, "%s/kprobe_events", lk->tracefs_dir))
		return FACT_YES;
	snprintf(reason, size, "kernel built without CONFIG_KPROBES (no kprobe PMU, no kprobe_events)");
	return FACT_NO;
}

/* "r0 = 0; exit": the smallest program every program type accepts. */
static const struct bpf_insn return_zero[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_probe_prog(enum bpf_prog_type type, enum bpf_attach_type attach, __u32 btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .attach_btf_id = btf_id);

	return bpf_prog_load(type, NULL, "GPL", return_zero,
			     ARRAY_SIZE(return_zero), &opts);
}

/* Only reads: mounting securityfs just to word an error message would change the system
 * behind the user's back, so without it the reason names lockdown as a guess.
 * commit 000d388ed3bb ("security: Add a static lockdown policy LSM"), v5.4: the file
 * commit 9d1f8be5cf42 ("bpf: Restrict bpf when kernel lockdown is in confidentiality
 * mode"), v5.4 */
static int read_lockdown(struct live_kfacts *lk, char *mode, size_t size)
{
	char line[128];
	int err;

	err = live_read_root_line(lk, "sys/kernel/security/lockdown", line, sizeof(line));
	if (err)
		return err;
	return ktext_parse_lockdown(line, mode, size);
}

static void explain_failure(struct live_kfacts *lk, const char *what, bool attaching, int err,
			    char *reason, size_t size)
{
	char mode[32], why[64];
	int lockdown_err;

	if (err != -EPERM && err != -EACCES) {
		snprintf(reason, size, "%s %s failed: %s", what, attaching ? "attach" : "load",
			 errno_text(err).s);
		return;
	}
	lockdown_err = read_lockdown(lk, mode, sizeof(mode));
	if (!lockdown_err && strcmp(mode, "none"))
		snprintf(why, sizeof(why), "kernel lockdown: %s", mode);
	else if (geteuid())
		snprintf(why, sizeof(why), "not root: needs CAP_BPF and CAP_PERFMON");
	else if (lockdown_err)
		snprintf(why, sizeof(why), "kernel lockdown?");
	else
		snprintf(why, sizeof(why), "no lockdown: an LSM denies it");
	snprintf(reason, size, "%s%s denied: %s (%s)", what, attaching ? " attach" : "",
		 errno_text(err).s, why);
}

static enum fact probe_simple(struct live_kfacts *lk, enum bpf_prog_type type, const char *what,
			      char *reason, size_t size)
{
	int fd = load_probe_prog(type, 0, 0);

	if (fd < 0) {
		explain_failure(lk, what, false, fd, reason, size);
		return FACT_NO;
	}
	close(fd);
	return FACT_YES;
}

/* commit 9e15db66136a ("bpf: Implement accurate raw_tp context access via BTF"), v5.5 */
static enum fact probe_tp_btf(struct live_kfacts *lk, char *reason, size_t size)
{
	struct btf *btf;
	int err, id, fd;

	err = live_kernel_btf(lk, &btf);
	if (err) {
		snprintf(reason, size, "tp_btf needs kernel BTF: %s", errno_text(err).s);
		return FACT_NO;
	}
	id = live_find_own_type(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	if (id < 0) {
		snprintf(reason, size, "no btf_trace_sched_switch in kernel BTF");
		return FACT_NO;
	}
	fd = load_probe_prog(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, (__u32)id);
	if (fd < 0) {
		explain_failure(lk, "tp_btf", false, fd, reason, size);
		return FACT_NO;
	}
	close(fd);
	return FACT_YES;
}

static enum fact probe_fentry(struct live_kfacts *lk, char *reason, size_t size)
{
	/* The first one the kernel's BTF has is used. Attaching patches the target's first
	 * instruction while other CPUs may be running it: the bpf_*_test functions exist for
	 * this (BPF_PROG_TEST_RUN; commit faeb2dce084a ("bpf: Add kernel test functions for
	 * fentry testing"), v5.5) and nothing else calls them. Patching a hot
	 * function such as vfs_read also slows every reader for a moment, and under qemu's
	 * TCG it hung both CPUs of a guest in the int3 left by the patching (tests/vm). The
	 * hot ones are only the last resort, for kernels built without the test functions. */
	static const char *const targets[] = { "bpf_fentry_test1", "bpf_modify_return_test",
					       "security_file_open", "vfs_read" };
	enum fact value = FACT_NO;
	struct btf *btf;
	int err, id = -ENOENT, fd = -1, link = -1;
	size_t i;

	err = live_kernel_btf(lk, &btf);
	if (err) {
		snprintf(reason, size, "fentry needs kernel BTF: %s", errno_text(err).s);
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(targets) && id < 0; i++)
		id = live_find_own_type(btf, targets[i], BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(reason, size, "no fentry test target (bpf_fentry_test1, vfs_read...) in kernel BTF");
		goto out;
	}
	fd = load_probe_prog(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, (__u32)id);
	if (fd < 0) {
		explain_failure(lk, "fentry", false, fd, reason, size);
		goto out;
	}
	/* Loading is not enough: some kernels load fentry programs but cannot attach them
	 * (no trampoline support, or an LSM). The link lives only until it is closed. */
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (link == -EINVAL) /* kernels before 5.10 attach tracing programs this way */
		link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		explain_failure(lk, "fentry", true, link, reason, size);
		goto out;
	}
	value = FACT_YES;
out:
	if (link >= 0)
		close(link);
	if (fd >= 0)
		close(fd);
	return value;
}

/* 0 when root/features has a line for f. */
static int fixture_feature(struct live_kfacts *lk, enum kfeature f, enum fact *value,
			   char *reason, size_t size)
{
	FILE *file;
	int err;

	file = live_root_fopen(lk, "features", &err);
	if (!file)
		return err;
	err = ktext_parse_features(file, kfeature_name(f), value, reason, size);
	fclose(file);
	return err;
}

enum fact live_feature(struct kfacts *kf, enum kfeature f, char *reason, size_t size)
{
	struct live_kfacts *lk = to_live(kf);
	enum fact value;

	/* --btf is the user's file, not the kernel's: the fixture cannot know about it. */
	if (!lk->run_probes && !(f == KFEATURE_BTF_VMLINUX && lk->btf_path) &&
	    !fixture_feature(lk, f, &value, reason, size))
		return value;
	switch (f) {
	case KFEATURE_BTF_VMLINUX:
		return live_btf_vmlinux_fact(lk, reason, size);
	case KFEATURE_TRACEFS:
		return tracefs_fact(lk, reason, size);
	case KFEATURE_KPROBES:
		return kprobes_fact(lk, reason, size);
	default:
		break;
	}
	if (!lk->run_probes) {
		snprintf(reason, size, "not in fixture");
		return FACT_NO;
	}
	switch (f) {
	case KFEATURE_RAW_TP:
		return probe_simple(lk, BPF_PROG_TYPE_RAW_TRACEPOINT, "raw_tp", reason, size);
	case KFEATURE_TRACEPOINT:
		return probe_simple(lk, BPF_PROG_TYPE_TRACEPOINT, "tracepoint", reason, size);
	case KFEATURE_TP_BTF:
		return probe_tp_btf(lk, reason, size);
	case KFEATURE_FENTRY:
		return probe_fentry(lk, reason, size);
	default:
		snprintf(reason, size, "no such feature");
		return FACT_NO;
	}
}
