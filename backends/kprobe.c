/* SPDX-License-Identifier: GPL-2.0-only */
/* kprobe/kretprobe: work on any traceable symbol, including modules without BTF, but need
 * a kernel built with kprobes. */
#include "backend.h"
#include "targets.h"

#include <bpf/libbpf.h>
#include <errno.h>

static int kprobe_available(struct kfacts *kf, const struct probe_candidate *c, char *target,
			    size_t target_size, char *reason, size_t reason_size)
{
	int err = targets_need_feature(kf, KFEATURE_KPROBES, reason, reason_size);

	if (!err)
		err = targets_resolve_function(kf, c, target, target_size, reason, reason_size);
	if (!err)
		err = targets_check_func_proto(kf, c, target, reason, reason_size);
	return err;
}

static int kprobe_prepare(struct bpf_program *prog, struct bpf_program *ret,
			  const struct probe_candidate *c, const char *target)
{
	return 0; /* the target is given at attach time */
}

static int kprobe_attach(struct bpf_program *prog, struct bpf_program *ret,
			 const struct probe_candidate *c, const char *target,
			 struct bpf_link *links[2])
{
	links[0] = bpf_program__attach_kprobe(prog, false, target);
	if (!links[0])
		return errno ? -errno : -EINVAL;
	if (!ret)
		return 0;
	links[1] = bpf_program__attach_kprobe(ret, true, target);
	return links[1] ? 0 : (errno ? -errno : -EINVAL);
}

const struct backend backend_kprobe = {
	.family = FAMILY_KPROBE,
	.available = kprobe_available,
	.prepare = kprobe_prepare,
	.attach = kprobe_attach,
};
