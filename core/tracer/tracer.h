/* SPDX-License-Identifier: GPL-2.0-only */
/* The life of a tracing tool, written once: engine, event loop, output, losses. */
#ifndef IOTRACE_TRACER_H
#define IOTRACE_TRACER_H

#include "cli/cli.h"
#include "engine/engine.h"
#include "tracer/outbuf.h" /* the output half of this face */

#include <bpf/libbpf.h>
#include <stddef.h>
#include <stdint.h>

/* The life of a tracing tool, written once: kernel facts, engine (choose, load, attach),
 * event loop over the ring buffer with signals and duration, summary, clean detach.
 * A tool supplies only what is its own (tracer_tool). */

/* The start of a run on both clocks: event times (bpf_ktime_get_ns, CLOCK_MONOTONIC) are
 * shown as time since start, or as wall-clock time (CLOCK_REALTIME). */
struct start_clocks {
	uint64_t mono_ns;
	uint64_t real_ns;
};

/* Signed: an event can precede the start mark (it completed while we were starting). */
static inline int64_t since_start_ns(const struct start_clocks *c, uint64_t mono_ns)
{
	return (int64_t)(mono_ns - c->mono_ns);
}

/* CLOCK_REALTIME of a CLOCK_MONOTONIC instant (never before 1970). */
static inline uint64_t wall_clock_ns(const struct start_clocks *c, uint64_t mono_ns)
{
	int64_t real = (int64_t)c->real_ns + since_start_ns(c, mono_ns);

	return real < 0 ? 0 : (uint64_t)real;
}

/* Wall-clock text (of wall_clock_ns() values), the same in every tool, converted once per
 * second: "12:34:56" local, "12:34:56.123456" local, "2024-05-01T12:34:56.123456Z" UTC.
 * Zeroed is ready for use. */
struct clock_text {
	int64_t local_sec, utc_sec; /* the second each text below shows (if not empty) */
	char local[16];             /* "HH:MM:SS" */
	char utc[32];               /* "YYYY-MM-DDTHH:MM:SS" */
};
/* Room for the longest text any of these writes. */
#define CLOCK_TEXT_MAX 32

const char *clock_local_hms(struct clock_text *c, uint64_t real_ns);
/* These two write to buf (CLOCK_TEXT_MAX bytes), no NUL, and return the length. */
size_t clock_local_hms_usec(struct clock_text *c, char *buf, uint64_t real_ns);
size_t clock_utc_iso(struct clock_text *c, char *buf, uint64_t real_ns);

struct tracer {
	struct invocation *inv;
	void *state; /* the tool's own, state_size bytes, zeroed */
	struct outbuf *out;
	struct start_clocks start;
	uint64_t events;        /* events handled */
};

struct tracer_tool {
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
	/* The BPF side counts every call whose entry it saw and whose return it never did
	 * (its own loss kind): the kernel's misses on return probes are then left out of
	 * probe_missed, where they would count the same calls twice. */
	bool counts_unseen_returns;
};

/* Run inv->tool (its tracer) until Ctrl-C, SIGTERM, SIGHUP, its duration, or its reader
 * going away: a tracing tool's run. */
int tracer_run(struct invocation *inv);

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

/* Lost events are never silent: the BPF side counts them per CPU, this reads the counters
 * and tells the user while running (stderr, at most once a tick, only when they grew), as a
 * JSON record, and in the final summary. */

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
