/* SPDX-License-Identifier: GPL-2.0-only */
/* Lost events are never silent: the BPF side counts them per CPU, this reads the counters
 * and tells the user while running (stderr, at most once a tick, only when they grew), as a
 * JSON record, and in the final summary. */
#ifndef IOTRACE_LOSSES_H
#define IOTRACE_LOSSES_H

#include "tracer.h"

#include <stdint.h>

#define LOSSES_MAX 8

struct loss_kind {
	uint32_t key;         /* index in the per-CPU counters map, or beyond it: counted here */
	const char *json_key; /* "ringbuf_full" */
	const char *what;     /* "ring buffer full" */
	bool is_loss;         /* false: counted and shown, but not a lost event */
};

/* Every tool's report ends with this kind: what the kernel's probes dropped before our
 * programs ran (tracer_probe_missed), counted by the kernel, not by the BPF side. */
#define LOSS_KEY_PROBE_MISSED UINT32_MAX

struct losses {
	struct bpf_map *map;
	struct loss_kind kinds[LOSSES_MAX]; /* the tool's, then probe_missed */
	size_t n;
	int ncpus;
	uint64_t *percpu;
	uint64_t total[LOSSES_MAX];
	uint64_t user[LOSSES_MAX]; /* counted by user space (losses_add) */
	uint64_t reported[LOSSES_MAX];
	uint64_t reported_ns;
};

/* kinds: the tool's own (at most LOSSES_MAX - 1); probe_missed is added after them. */
int losses_init(struct losses *l, struct bpf_map *map, const struct loss_kind *kinds, size_t n);
void losses_free(struct losses *l);
/* From the tool's tick hook. */
int losses_tick(struct losses *l, struct tracer *t, bool final);
uint64_t losses_lost(const struct losses *l);
/* Count n more of the kind with this key, seen by user space rather than the kernel. */
void losses_add(struct losses *l, uint32_t key, uint64_t n);

#endif
