/* SPDX-License-Identifier: GPL-2.0-only */
/* Tracepoints, three ways: tp_btf (typed arguments, cheapest), raw_tp (no BTF needed to
 * attach), classic (needs tracefs; the record, not the arguments). */
#include "probe/probe.h"
#include "util/util.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_btf_proto(struct kfacts *kf, const struct probe_candidate *c, const char *event,
			   bool required, char *reason, size_t reason_size)
{
	char proto[256] = "";
	bool present = false;
	int err = kf->ops->btf_tracepoint(kf, event, &present, proto, sizeof(proto));

	if (err || !present) {
		if (!required)
			return 0;
		snprintf(reason, reason_size, "no such tracepoint in kernel BTF (btf_trace_%s)", event);
		return -ENOENT;
	}
	if (targets_proto_matches(c->proto, proto))
		return 0;
	snprintf(reason, reason_size, "arguments (%s) differ from the expected (%s)", proto, c->proto);
	return -EINVAL;
}

static int tracepoint_exists(struct kfacts *kf, const char *category, const char *event,
			     char *reason, size_t reason_size)
{
	char sym[160];
	bool present = false;

	/* raw_tp needs no tracefs: the tracepoint's own symbols prove it exists
	 * (__tracepoint_ is data, listed only with CONFIG_KALLSYMS_ALL; __traceiter_ is text) */
	static const char *const prefixes[] = { "__traceiter_", "__tracepoint_" };

	/* Cheaper first: the kernel's BTF, read already for tp_btf, has a btf_trace_<event>
	 * typedef for every tracepoint (since v5.5, for tp_btf); kallsyms is 200,000 lines. */
	if (kf->ops->btf_tracepoint(kf, event, &present, NULL, 0) == 0 && present)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		snprintf(sym, sizeof(sym), "%s%s", prefixes[i], event);
		if (kf->ops->kallsyms(kf, NULL, sym, &present) == 0 && present)
			return 0;
	}
	if (kf->ops->tracepoint(kf, category, event, &present) == 0 && present)
		return 0;
	snprintf(reason, reason_size, "no such tracepoint %s:%s", category, event);
	return -ENOENT;
}

static int tracepoint_available(struct kfacts *kf, const struct probe_candidate *c, char *target,
				size_t target_size, char *reason, size_t reason_size)
{
	char category[64];
	const char *event;
	bool present = false;
	int err;

	if (targets_split_tracepoint(c->target, category, sizeof(category), &event)) {
		snprintf(reason, reason_size, "bad tracepoint name '%s' (want category:event)", c->target);
		return -EINVAL;
	}
	snprintf(target, target_size, "%s", c->target);
	switch (c->kind) {
	case ATTACH_TP_BTF:
		err = targets_need_feature(kf, KFEATURE_BTF_VMLINUX, reason, reason_size);
		if (!err)
			err = check_btf_proto(kf, c, event, true, reason, reason_size);
		if (!err)
			err = targets_need_feature(kf, KFEATURE_TP_BTF, reason, reason_size);
		return err;
	case ATTACH_RAW_TP:
		err = tracepoint_exists(kf, category, event, reason, reason_size);
		if (!err && c->proto) {
			/* the argument layout can only be trusted when BTF confirms it */
			err = targets_need_feature(kf, KFEATURE_BTF_VMLINUX, reason, reason_size);
			if (!err)
				err = check_btf_proto(kf, c, event, true, reason, reason_size);
		}
		if (!err)
			err = targets_need_feature(kf, KFEATURE_RAW_TP, reason, reason_size);
		return err;
	case ATTACH_TRACEPOINT:
		err = targets_need_feature(kf, KFEATURE_TRACEFS, reason, reason_size);
		if (err)
			return err;
		err = kf->ops->tracepoint(kf, category, event, &present);
		if (err || !present) {
			snprintf(reason, reason_size, "no such tracepoint %s in tracefs", c->target);
			return -ENOENT;
		}
		return targets_need_feature(kf, KFEATURE_TRACEPOINT, reason, reason_size);
	default:
		snprintf(reason, reason_size, "not a tracepoint kind");
		return -EINVAL;
	}
}

static int tracepoint_prepare(struct bpf_program *prog, struct bpf_program *ret,
			      const struct probe_candidate *c, const char *target)
{
	const char *event = strchr(target, ':');

	if (!event)
		return -EINVAL;
	if (c->kind == ATTACH_TP_BTF)
		return bpf_program__set_attach_target(prog, 0, event + 1);
	return 0;
}

static int tracepoint_attach(struct bpf_program *prog, struct bpf_program *ret,
			     const struct probe_candidate *c, const char *target,
			     const struct attach_opts *opts, struct bpf_link *links[2])
{
	char category[64];
	const char *event;

	if (targets_split_tracepoint(target, category, sizeof(category), &event))
		return -EINVAL;
	if (c->kind == ATTACH_TP_BTF)
		links[0] = bpf_program__attach_trace(prog);
	else if (c->kind == ATTACH_RAW_TP)
		links[0] = bpf_program__attach_raw_tracepoint(prog, event);
	else
		links[0] = bpf_program__attach_tracepoint(prog, category, event);
	return links[0] ? 0 : (errno ? -errno : -EINVAL);
}

const struct backend backend_tracepoint = {
	.kind = BACKEND_TRACEPOINT,
	.available = tracepoint_available,
	.prepare = tracepoint_prepare,
	.attach = tracepoint_attach,
};
