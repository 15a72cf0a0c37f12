/* SPDX-License-Identifier: GPL-2.0-only */
/* The probe model: what a tool declares (logical probes, each with candidate attach points
 * in order of preference), how a function target is matched against the kernel's names,
 * and the vtable each attach family in backends/ implements. The engine picks among the
 * candidates at run time. */
#ifndef IOTRACE_PROBE_H
#define IOTRACE_PROBE_H

#include "kfacts/kfacts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a tool declares: logical probes, each with candidate attach points in order of
 * preference. The engine (engine.h) picks among them at run time. */

enum attach_kind {
	ATTACH_TP_BTF,     /* BTF-typed raw tracepoint: cheapest, needs vmlinux BTF */
	ATTACH_RAW_TP,     /* raw tracepoint: needs no BTF at attach time */
	ATTACH_TRACEPOINT, /* classic tracepoint: needs tracefs, stable record layout */
	ATTACH_FENTRY,     /* fentry (+ fexit as ret_prog): needs BTF of the target's module */
	ATTACH_KPROBE,     /* kprobe (+ kretprobe as ret_prog): needs kprobes and a traceable symbol */
	ATTACH_KIND_COUNT,
};

/* The attach families, one per file in backends/, as --backend names them; AUTO lets the
 * engine choose among them all. */
enum backend_kind {
	BACKEND_AUTO,
	BACKEND_TRACEPOINT,
	BACKEND_FENTRY,
	BACKEND_KPROBE,
	BACKEND_KIND_COUNT,
};

struct probe_candidate {
	enum attach_kind kind;
	/* Tracepoints: "category:event". Functions: an exact name, or a stem followed by '*'
	 * ("zpl_iter_read*") that also accepts vendor/compiler suffixes (see pattern.h). */
	const char *target;
	const char *module; /* NULL for vmlinux, else e.g. "zfs" */
	const char *prog;   /* program in the tool's BPF object (entry side) */
	const char *ret_prog; /* fexit/kretprobe program for entry+return probes, else NULL */
	/* Expected BTF prototype, as the argument types' base names joined by ',', e.g.
	 * "request_queue,request" for an old block_rq_issue. NULL = do not check. Checked where
	 * the kernel has BTF for the target; a mismatch rejects the candidate. */
	const char *proto;
	/* Space-separated variant names this candidate belongs to (see probe_group). NULL =
	 * compatible with every variant of its group. */
	const char *variants;
};

struct probe_spec {
	const char *name;        /* "io_start" */
	const char *description; /* "request created (owner task)" */
	const char *group;       /* probes with the same group are resolved together; NULL = alone */
	bool optional;           /* the tool runs without it (with reduced output) */
	const struct probe_candidate *candidates;
	size_t candidate_count;
};

/* A group resolves to one variant at a time, tried in this order: within a variant every
 * probe that has candidates in it must resolve (unless optional), so paired probes come from
 * the same source (block_io_start with block_io_done, never with a kprobe on
 * blk_account_io_done). */
struct probe_group {
	const char *name;
	const char *variants; /* space-separated, in order of preference */
};

struct probe_table {
	const struct probe_spec *probes;
	size_t probe_count;
	const struct probe_group *groups;
	size_t group_count;
	/* The BPF object uses CO-RE: nothing loads without kernel BTF (or --btf). */
	bool needs_kernel_btf;
};

/* Table rows, one style for every tool: what a row does not name is NULL. */
/* A probe with one program: a tracepoint ("category:event") or a vmlinux function. */
#define CANDIDATE(kind_, target_, prog_, proto_, variants_)                                   \
	{ .kind = (kind_), .target = (target_), .prog = (prog_), .proto = (proto_),          \
	  .variants = (variants_) }
/* A function's entry and return (fentry+fexit, kprobe+kretprobe), in module_ (NULL:
 * vmlinux). */
#define CANDIDATE_PAIR(kind_, target_, module_, prog_, ret_prog_, proto_)                     \
	{ .kind = (kind_), .target = (target_), .module = (module_), .prog = (prog_),        \
	  .ret_prog = (ret_prog_), .proto = (proto_) }
/* A logical probe and its candidates (an array, counted here). */
#define PROBE(name_, description_, group_, optional_, candidates_)                            \
	{ .name = (name_), .description = (description_), .group = (group_),                 \
	  .optional = (optional_), .candidates = (candidates_),                                \
	  .candidate_count = sizeof(candidates_) / sizeof((candidates_)[0]) }

const char *attach_kind_name(enum attach_kind kind);
/* Whether a space-separated list (variants) holds this word. */
bool word_in_list(const char *list, const char *word);
/* Whether some group of the table has a variant of this name. */
bool probe_table_has_variant(const struct probe_table *table, const char *variant);
/* The backend serving an attach kind (never BACKEND_AUTO). */
enum backend_kind attach_kind_backend(enum attach_kind kind);
/* "auto", "tracepoint", "fentry" or "kprobe": as --backend spells it. */
const char *backend_kind_name(enum backend_kind kind);
/* The kind of that name, or -EINVAL. */
int backend_kind_parse(const char *name, enum backend_kind *out);
/* Every name, in order, sep between them and last_sep before the last ("auto, tracepoint,
 * fentry or kprobe"): for messages and completion. Returns the length (cut to size - 1). */
size_t backend_kind_list(char *buf, size_t size, const char *sep, const char *last_sep);


/* Resolving a candidate's function target against the kernel's traceable functions.
 *
 * A target without '*' is an exact name. "stem*" accepts the stem itself, or the stem
 * followed by a suffix that starts at a word boundary: "_" + letters/digits (repeatable:
 * "zpl_iter_read_ext", "zpl_iter_read_ext_v2") and/or ".llvm.<digits>". It never accepts
 * the stem followed directly by a letter or digit ("zpl_iter_readdir"), nor GCC clones
 * (".isra.N", ".constprop.N", ".part.N", ".cold", ".cold.N"), whose calling convention may
 * differ or which are not function entries; those are named in the reason as ignored. */

enum pattern_match {
	PATTERN_NO_MATCH,
	PATTERN_EXACT,    /* the name itself, or exactly the stem of "stem*" */
	PATTERN_SUFFIXED, /* the stem plus an accepted suffix */
	PATTERN_CLONE,    /* the name (or stem) plus a compiler clone suffix: never chosen */
};

/* How name relates to pattern. A malformed pattern (empty, or '*' anywhere but at the
 * end) matches nothing. */
enum pattern_match pattern_match(const char *pattern, const char *name);

/* Choose the function pattern names among syms that belong to module (NULL = vmlinux only;
 * "zfs" = only symbols of [zfs]). The exact stem beats any suffixed name; otherwise the
 * shortest match wins. Names listed several times count once.
 * Returns 0 with the name in out; -ENOENT when nothing matches; -ENOTUNIQ when two or more
 * different names tie for shortest (none is chosen); -EINVAL for a malformed pattern;
 * -ENAMETOOLONG when out is too small. reason (may be NULL) always gets one line for
 * humans: what was chosen or why nothing was, tied names, ignored compiler clones. */
int pattern_resolve(const char *pattern, const char *module, const struct ksym *syms, size_t n,
		    char *out, size_t out_size, char *reason, size_t reason_size);

/* Questions every backend asks of the kernel facts about a target, answered one way. Each
 * returns 0 when the target is usable, else -errno with a short reason for `iotrace probes`. */

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

/* One attach family per file in backends/, each exporting exactly one of these. */

struct bpf_program;
struct bpf_link;

/* KRETPROBE_MAXACTIVE_MAX in kernel/trace/trace_kprobe.c (4.12 to 6.18 at least): the most
 * instances a tracefs kretprobe may ask for.
 * commit 696ced4fb1d7 ("tracing/kprobes: expose maxactive for kretprobe in kprobe_events"),
 * v4.12 */
#define KRETPROBE_MAXACTIVE_MAX 4096

/* How to attach, beyond the candidate itself. Zeroed: every backend's defaults. */
struct attach_opts {
	int kretprobe_maxactive; /* 1 to KRETPROBE_MAXACTIVE_MAX; 0 = the most */
};

struct backend {
	enum backend_kind kind;
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
		      const struct probe_candidate *c, const char *target,
		      const struct attach_opts *opts, struct bpf_link *links[2]);
	/* Events the kernel dropped before the programs could run (a kretprobe out of
	 * instances, a kprobe hit while another ran), so that no loss stays silent: the sum
	 * over those of links[0..n) that this backend attached (the others are skipped), read
	 * once per call; entries_only leaves return probes out. NULL where the kind has no
	 * such count; -errno where the kernel cannot say. */
	int (*missed)(struct bpf_link *const *links, size_t n, bool entries_only, uint64_t *count);
};

extern const struct backend backend_tracepoint;
extern const struct backend backend_fentry;
extern const struct backend backend_kprobe;

/* The backend serving a kind of attach point (a unit test holds every kind to one). */
const struct backend *backend_for(enum attach_kind kind);

#endif
