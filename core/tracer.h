/* SPDX-License-Identifier: GPL-2.0-only */
/* The life of a tracing tool, written once: kernel facts, engine (choose, load, attach),
 * event loop over the ring buffer with signals and duration, summary, clean detach.
 * A tool supplies only what is its own (tracer_tool). */
#ifndef IOTRACE_TRACER_H
#define IOTRACE_TRACER_H

#include "engine.h"
#include "outbuf.h"
#include "tool.h"

#include <bpf/libbpf.h>
#include <stdint.h>

struct tracer {
	struct invocation *inv;
	void *state; /* the tool's own, state_size bytes, zeroed */
	struct outbuf *out;
	uint64_t start_mono_ns; /* CLOCK_MONOTONIC at start (bpf_ktime_get_ns's clock) */
	uint64_t start_real_ns; /* CLOCK_REALTIME at the same moment, for -t */
	uint64_t events;        /* events handled */
};

struct tracer_tool {
	const struct probe_table *probes;
	size_t state_size;
	/* Open the skeleton and set rodata from t->inv->opts. Cleans up after itself on error. */
	int (*open)(struct tracer *t, const struct bpf_object_open_opts *opts,
		    struct bpf_object **obj);
	void (*destroy)(struct tracer *t);
	/* Before the engine runs: one-line checks that explain better than the engine would
	 * (e.g. "ZFS is not loaded"). May be NULL. */
	int (*precheck)(struct tracer *t, struct kfacts *kf);
	/* After everything is attached (maps are live): e.g. fill filter maps, print header. */
	int (*start)(struct tracer *t);
	struct bpf_map *(*events_map)(struct tracer *t);
	int (*event)(struct tracer *t, const void *data, size_t size);
	/* About once a second while running, and once at the end (final = true). */
	int (*tick)(struct tracer *t, bool final);
};

/* Run the tool until Ctrl-C, SIGTERM, SIGHUP, its duration, or its reader going away. */
int tracer_run(struct invocation *inv, const struct tracer_tool *tt);

/* For `iotrace probes`: resolve and load (never attach) with the tool's default options,
 * then report. Returns 0 when the tool can run here. */
int tracer_probe_report(struct invocation *tool_inv, const struct tracer_tool *tt, bool json,
			FILE *out);

uint64_t tracer_now_ns(int clock);

/* What the kernel's probes dropped so far before our programs ran (see bpfobj_missed). */
uint64_t tracer_probe_missed(const struct tracer *t);

/* During the tool's open(): the attach point the engine chose for the probe of this name,
 * NULL when none (an optional probe left out, or a variant it takes no part in). */
const struct probe_candidate *tracer_chosen(const struct tracer *t, const char *probe);

#endif
