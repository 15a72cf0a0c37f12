/* SPDX-License-Identifier: GPL-2.0-only */
/* fentry/fexit: BPF trampolines on a function's entry and return. Needs the function in BTF
 * (the module's own BTF for module functions) and a kernel that allows tracing programs
 * (lockdown can forbid them).
 * commit fec56f5890d9 ("bpf: Introduce BPF trampoline"), v5.5
 * commit 36e68442d1af ("bpf: Load and verify kernel module BTFs"), v5.11
 * commit 290248a5b7d8 ("bpf: Allow to specify kernel module BTFs when attaching BPF
 * programs"), v5.11: module functions */
#include "probe/probe.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>

static int fentry_available(struct kfacts *kf, const struct probe_candidate *c, char *target,
			    size_t target_size, char *reason, size_t reason_size)
{
	bool present = false;
	int err;

	/* the kernel-wide reasons first: they are the ones the user can act on */
	err = targets_need_feature(kf, KFEATURE_BTF_VMLINUX, reason, reason_size);
	if (!err)
		err = targets_need_feature(kf, KFEATURE_FENTRY, reason, reason_size);
	if (err)
		return err;
	err = targets_resolve_function(kf, c, target, target_size, reason, reason_size);
	if (err)
		return err;
	if (c->module && (kf->ops->module_btf(kf, c->module, &present) || !present)) {
		snprintf(reason, reason_size, "module %s has no BTF (fentry needs it; kprobes do not)",
			 c->module);
		return -ENOENT;
	}
	err = kf->ops->btf_func(kf, c->module, target, &present, NULL, 0);
	if (err || !present) {
		snprintf(reason, reason_size, "%s not in %s BTF", target, c->module ? c->module : "kernel");
		return -ENOENT;
	}
	return targets_check_func_proto(kf, c, target, reason, reason_size);
}

static int fentry_prepare(struct bpf_program *prog, struct bpf_program *ret,
			  const struct probe_candidate *c, const char *target)
{
	int err = bpf_program__set_attach_target(prog, 0, target);

	if (!err && ret)
		err = bpf_program__set_attach_target(ret, 0, target);
	return err;
}

static int fentry_attach(struct bpf_program *prog, struct bpf_program *ret,
			 const struct probe_candidate *c, const char *target,
			 const struct attach_opts *opts, struct bpf_link *links[2])
{
	/* the return side first: an entry seen before its fexit is in place never returns */
	if (ret) {
		links[1] = bpf_program__attach_trace(ret);
		if (!links[1])
			return errno ? -errno : -EINVAL;
	}
	links[0] = bpf_program__attach_trace(prog);
	return links[0] ? 0 : (errno ? -errno : -EINVAL);
}

const struct backend backend_fentry = {
	.kind = BACKEND_FENTRY,
	.available = fentry_available,
	.prepare = fentry_prepare,
	.attach = fentry_attach,
};
