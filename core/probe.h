/* SPDX-License-Identifier: GPL-2.0-only */
/* What a tool declares: logical probes, each with candidate attach points in order of
 * preference. The engine (engine.h) picks among them at run time. */
#ifndef IOTRACE_PROBE_H
#define IOTRACE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum attach_kind {
	ATTACH_TP_BTF,     /* BTF-typed raw tracepoint: cheapest, needs vmlinux BTF */
	ATTACH_RAW_TP,     /* raw tracepoint: needs no BTF at attach time */
	ATTACH_TRACEPOINT, /* classic tracepoint: needs tracefs, stable record layout */
	ATTACH_FENTRY,     /* fentry (+ fexit as ret_prog): needs BTF of the target's module */
	ATTACH_KPROBE,     /* kprobe (+ kretprobe as ret_prog): needs kprobes and a traceable symbol */
	ATTACH_KIND_COUNT,
};

/* The backend families users can force with --backend. */
enum backend_family { FAMILY_TRACEPOINT, FAMILY_FENTRY, FAMILY_KPROBE, FAMILY_COUNT };

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

const char *attach_kind_name(enum attach_kind kind);
/* Whether a space-separated list (variants) holds this word. */
bool word_in_list(const char *list, const char *word);
/* Whether some group of the table has a variant of this name. */
bool probe_table_has_variant(const struct probe_table *table, const char *variant);
enum backend_family attach_kind_family(enum attach_kind kind);
const char *backend_family_name(enum backend_family family);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
