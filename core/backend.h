/* SPDX-License-Identifier: GPL-2.0-only */
/* One attach family per file in backends/, each exporting exactly one of these. */
#ifndef IOTRACE_BACKEND_H
#define IOTRACE_BACKEND_H

#include "kfacts.h"
#include "probe.h"

#include <stdint.h>

struct bpf_program;
struct bpf_link;

struct backend {
	enum backend_family family;
	/* Can this kernel serve c? 0 = yes, with the concrete target name written to target
	 * (a pattern resolves to one function); else -errno with a short reason ("not in BTF",
	 * "kprobes unavailable: ..."). Pure: asks kfacts only, never loads anything. */
	int (*available)(struct kfacts *kf, const struct probe_candidate *c, char *target,
			 size_t target_size, char *reason, size_t reason_size);
	/* Before load: program type, expected attach type and attach target. ret may be NULL. */
	int (*prepare)(struct bpf_program *prog, struct bpf_program *ret,
		       const struct probe_candidate *c, const char *target);
	/* After load: attach prog (and ret). links[0..1] receive the links. */
	int (*attach)(struct bpf_program *prog, struct bpf_program *ret,
		      const struct probe_candidate *c, const char *target, struct bpf_link *links[2]);
	/* Events the kernel dropped on this link before its program could run (a kretprobe out
	 * of instances, a kprobe hit while another ran), so that no loss stays silent. NULL
	 * where the kind has no such count; -errno where the kernel cannot say. */
	int (*missed)(struct bpf_link *link, uint64_t *count);
};

extern const struct backend backend_tracepoint;
extern const struct backend backend_fentry;
extern const struct backend backend_kprobe;

/* The backend serving a kind of attach point. */
const struct backend *backend_for(enum attach_kind kind);

#endif
