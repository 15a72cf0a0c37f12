/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IOTRACE_ENGINE_H
#define IOTRACE_ENGINE_H

#include "kfacts/kfacts.h"
#include "probe/probe.h"

#include <bpf/libbpf.h>
#include <stdio.h>

/* The probe-resolution and attach engine: given a tool's probe table and the kernel's
 * facts, choose one candidate per probe, load, attach, and on any failure fall back to the
 * next candidate from a clean object. Every decision is recorded for `iotrace probes`. */

enum verdict {
	VERDICT_NOT_REACHED,     /* an earlier candidate was chosen */
	VERDICT_CHOSEN,
	VERDICT_FILTERED,        /* excluded by --backend */
	VERDICT_UNAVAILABLE,     /* the kernel does not offer it: see reason */
	VERDICT_VARIANT_UNUSED,  /* belongs only to variants of its group that were not chosen */
	VERDICT_LOAD_FAILED,
	VERDICT_ATTACH_FAILED,
};

struct candidate_state {
	enum verdict verdict;
	int err; /* -errno for UNAVAILABLE / LOAD_FAILED / ATTACH_FAILED */
	char reason[256];
	char target[128]; /* concrete target when available (pattern resolved) */
	bool dead;        /* failed to load or attach: never chosen again this run */
	bool checked;     /* availability asked of the kernel facts (once) */
	bool filtered;
	bool available;
	bool explained; /* already listed in e->failure (each candidate is listed once) */
};

struct probe_state {
	int chosen; /* candidate index, -1 = none */
	int pick;   /* while a group resolves: this probe's pick in the variant being tried */
	char variant[32]; /* the variant its group resolved to ("" if ungrouped) */
	struct candidate_state *cands;
};

/* What the engine does with BPF objects; production wraps libbpf (core/engine/bpfobj.c), tests
 * inject failures. Each call returns 0 or -errno. */
struct engine_object_ops {
	int (*open)(void *ctx, const struct probe_table *table, const struct probe_state *states);
	/* Called for every program named by any candidate: enable = whether it is loaded. */
	int (*prepare)(void *ctx, const struct probe_candidate *c, const char *target, bool enable);
	/* detail receives the loader's own explanation (verifier or libbpf message), if any. */
	int (*load)(void *ctx, char *detail, size_t detail_size);
	int (*attach)(void *ctx, const struct probe_candidate *c, const char *target, char *detail,
		      size_t detail_size);
	/* Detach everything and free the object; safe after a failed open. */
	void (*close)(void *ctx);
};

/* One resolution of one probe table against one kernel: opaque; what it decided is read
 * through the functions below. */
struct engine;

struct engine_opts {
	enum backend_kind backend; /* --backend: only candidates of this kind (AUTO: any) */
	/* --variant: resolve every group that has this variant to it alone (debugging, and
	 * tests that run a fallback variant on a kernel that would not choose it). */
	const char *only_variant;
	/* Judge every candidate, not only until one is found: for reports. Costs the feature
	 * probes a run would not need. */
	bool explain_all;
};

int engine_new(const struct probe_table *table, struct kfacts *kf, const struct engine_opts *opts,
	       const struct engine_object_ops *ops, void *ops_ctx, struct engine **out);
/* Detaches and closes the object first. NULL is fine. */
void engine_free(struct engine *e);
/* After attaching, the kernel facts may be freed: the engine will not ask them again. */
void engine_forget_kfacts(struct engine *e);

/* Why nothing could run ("" when it can): after engine_resolve / engine_run failed. */
const char *engine_failure(const struct engine *e);
const struct probe_table *engine_table(const struct engine *e);
/* What was decided for table->probes[index], every candidate with its verdict. */
const struct probe_state *engine_probe(const struct engine *e, size_t index);

/* Choose candidates from the facts alone (no loading). Returns 0 when every required probe
 * has a candidate, -ENOENT otherwise (e->failure explains). */
int engine_resolve(struct engine *e);

/* Resolve, open, load and (unless load_only) attach, falling back on failure. On success the
 * object stays open and attached (load_only: closed again). On failure nothing stays
 * attached and e->failure explains every candidate tried. */
int engine_run(struct engine *e, bool load_only);

/* Detach and close the object. */
void engine_close(struct engine *e);

const char *verdict_name(enum verdict v);
/* Human report of every probe and candidate (iotrace probes, -v). */
void engine_report(const struct engine *e, FILE *out);
void engine_report_json(const struct engine *e, const char *tool, FILE *out);
/* The candidate chosen for the probe of this name, NULL when none. */
const struct probe_candidate *engine_chosen(const struct engine *e, const char *probe);
/* One line per probe: "io_start: tp_btf block:block_io_start". */
void engine_report_chosen(const struct engine *e, FILE *out);

/* The engine's object operations on a real libbpf skeleton. */

struct bpfobj {
	/* The tool opens its skeleton (and sets rodata) and destroys it. */
	int (*open)(void *tool, const struct bpf_object_open_opts *opts, struct bpf_object **obj);
	void (*destroy)(void *tool);
	void *tool;
	const char *btf_path; /* --btf */
	struct attach_opts attach;
	struct bpf_object *obj;
	struct bpf_link **links;
	enum attach_kind *link_kinds; /* links[i] came from a backend of this kind */
	size_t link_count, link_cap;
};

extern const struct engine_object_ops bpfobj_ops;

/* Events the kernel's probes dropped before our programs ran, over every attached link and
 * program: the backends' own counts plus BPF's recursion misses (a program that fired
 * while it was already running on that CPU, e.g. a completion in an interrupt).
 * entries_only leaves return probes (kretprobe, fexit) and their programs out: for tools
 * that count the calls whose return they never saw themselves. */
uint64_t bpfobj_missed(const struct bpfobj *b, bool entries_only);

#endif
