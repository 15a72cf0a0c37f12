/* SPDX-License-Identifier: GPL-2.0-only */
/* Questions every backend asks of the kernel facts about a target, answered one way. Each
 * returns 0 when the target is usable, else -errno with a short reason for `iotrace probes`. */
#ifndef IOTRACE_TARGETS_H
#define IOTRACE_TARGETS_H

#include "kfacts.h"
#include "probe.h"

/* Is the feature there? reason gets "<what>: <kfacts reason>" when not. */
int targets_need_feature(struct kfacts *kf, enum kfeature f, char *reason, size_t reason_size);

/* A function candidate (exact or pattern) against the traceable list, honouring the module;
 * target receives the concrete name. Explains inlined/notrace/missing module. */
int targets_resolve_function(struct kfacts *kf, const struct probe_candidate *c, char *target,
			     size_t target_size, char *reason, size_t reason_size);

/* Split "category:event"; event points into target. */
int targets_split_tracepoint(const char *target, char *category, size_t category_size,
			     const char **event);

/* Does the BTF prototype actual ("request_queue,request") start with expected ("request")?
 * Compared argument by argument. */
bool targets_proto_matches(const char *expected, const char *actual);

/* Check c->proto against BTF (vmlinux or the module's) for a function target. No BTF for it:
 * accepted (nothing to check against). */
int targets_check_func_proto(struct kfacts *kf, const struct probe_candidate *c,
			     const char *target, char *reason, size_t reason_size);

#endif
