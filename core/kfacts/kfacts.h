/* SPDX-License-Identifier: GPL-2.0-only */
/* Everything the engine knows about the running kernel comes through this interface, so
 * tests can hand it a fake kernel. Answers are cached: each question reaches the kernel
 * (or the fixture) at most once per run. */
#ifndef IOTRACE_KFACTS_H
#define IOTRACE_KFACTS_H

#include <stdbool.h>
#include <stddef.h>

/* Tri-state answers, libbpf features.c style. */
enum fact { FACT_UNKNOWN = 0, FACT_YES = 1, FACT_NO = 2 };

/* Feature probes: each really loads (and for fentry, attaches) a tiny program once. */
enum kfeature {
	KFEATURE_BTF_VMLINUX, /* kernel BTF readable (or --btf given) */
	KFEATURE_TRACEFS,     /* tracefs mounted (mounting it if needed) */
	KFEATURE_KPROBES,     /* kprobe PMU or kprobe_events exists */
	KFEATURE_RAW_TP,      /* a raw_tp program loads */
	KFEATURE_TP_BTF,      /* a tp_btf program loads */
	KFEATURE_FENTRY,      /* an fentry program loads and attaches */
	KFEATURE_TRACEPOINT,  /* a classic tracepoint program loads */
	KFEATURE_COUNT,
};

/* One traceable function: listed in available_filter_functions, not in the kprobe
 * blacklist. module is NULL for vmlinux. */
struct ksym {
	const char *name;
	const char *module;
};

struct kfacts;

/* The module argument of kfacts_ops.traceable that asks for every module's functions. */
extern const char kfacts_every_module[];

struct kfacts_ops {
	/* 0 with *present set, or -errno when the question could not be answered. proto (may
	 * be NULL) receives the argument base names joined by ',' (see probe_candidate.proto);
	 * for tracepoints the leading context pointer is left out. */
	int (*btf_func)(struct kfacts *kf, const char *module, const char *func, bool *present,
			char *proto, size_t proto_size);
	int (*btf_tracepoint)(struct kfacts *kf, const char *event, bool *present, char *proto,
			      size_t proto_size);
	int (*module_btf)(struct kfacts *kf, const char *module, bool *present);
	int (*module_loaded)(struct kfacts *kf, const char *module, bool *loaded);
	/* Classic tracepoint "cat:event" exists in tracefs. */
	int (*tracepoint)(struct kfacts *kf, const char *category, const char *event, bool *present);
	/* The traceable functions in the kernel's order, complete at least for module's (NULL:
	 * vmlinux's; kfacts_every_module: all). The array stays owned by kf and may move on
	 * the next call; the strings do not. */
	int (*traceable)(struct kfacts *kf, const char *module, const struct ksym **syms,
			 size_t *count);
	/* Symbol in kallsyms (any type), for explaining why a function is not traceable. */
	int (*kallsyms)(struct kfacts *kf, const char *module, const char *name, bool *present);
	/* Run one feature probe. reason gets a short human explanation of a NO. */
	enum fact (*feature)(struct kfacts *kf, enum kfeature f, char *reason, size_t reason_size);
	const char *(*kernel_release)(struct kfacts *kf);
	void (*free)(struct kfacts *kf);
	void (*trim)(struct kfacts *kf); /* optional: drop caches that can be rebuilt */
};

struct kfacts_feature_cache {
	enum fact value;
	char reason[160];
};

struct kfacts {
	const struct kfacts_ops *ops;
	struct kfacts_feature_cache features[KFEATURE_COUNT];
};

/* Cached feature lookup. */
enum fact kfacts_feature(struct kfacts *kf, enum kfeature f, const char **reason);
const char *kfeature_name(enum kfeature f);

struct kfacts_live_opts {
	const char *root;     /* "/" in production; a fixture directory in tests */
	const char *btf_path; /* --btf: external vmlinux BTF */
	bool run_feature_probes; /* false in fixture mode: features come from root/features */
};

/* The live kernel (or a fixture tree laid out like one). */
int kfacts_live_new(const struct kfacts_live_opts *opts, struct kfacts **out);
void kfacts_free(struct kfacts *kf);

#endif
