/* SPDX-License-Identifier: GPL-2.0-only */
/* The engine's object operations on a real libbpf skeleton. */
#ifndef IOTRACE_BPFOBJ_H
#define IOTRACE_BPFOBJ_H

#include "engine.h"

#include <bpf/libbpf.h>

struct bpfobj {
	/* The tool opens its skeleton (and sets rodata) and destroys it. */
	int (*open)(void *tool, const struct bpf_object_open_opts *opts, struct bpf_object **obj);
	void (*destroy)(void *tool);
	void *tool;
	const char *btf_path; /* --btf */
	struct bpf_object *obj;
	struct bpf_link **links;
	enum attach_kind *link_kinds; /* links[i] came from a backend of this kind */
	size_t link_count, link_cap;
};

extern const struct engine_object_ops bpfobj_ops;

/* Events the kernel's probes dropped before our programs ran, over every attached link and
 * program: the backends' own counts plus BPF's recursion misses (a program that fired
 * while it was already running on that CPU, e.g. a completion in an interrupt). */
uint64_t bpfobj_missed(const struct bpfobj *b);

#endif
