// SPDX-License-Identifier: GPL-2.0-only
/* The floor for bench/run.sh: the least a per-request block tracer can do on the tracepoints
 * iotrace biosnoop uses here. Creation takes a timestamp; completion takes one and submits an
 * event the size of iotrace's (struct biosnoop_event) to a ring buffer without waking the
 * reader, which drains on a short timer. No map lookups, no filters, no request fields.
 *
 * with_map (floor --map) adds only the bookkeeping a per-request tracer needs: an insert
 * into a preallocated hash map keyed by the request at creation, and a lookup + delete at
 * completion; with_issue (floor --map --issue) adds a third program on block_rq_issue that
 * looks the request up and stores a timestamp. These decompose iotrace's in-kernel cost. */
#include "kernel.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "biosnoop_event.h"

const volatile bool with_map;
const volatile bool with_slots; /* the map is a direct-mapped array claimed by cmpxchg */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);
} events SEC(".maps");

struct entry {
	u64 start_ns;
	u64 issue_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BIOSNOOP_MAX_INFLIGHT);
	__type(key, u64);
	__type(value, struct entry);
} inflight SEC(".maps");

#define FLOOR_SLOTS 16384
struct slot {
	u64 rq;
	u64 start_ns;
	u64 issue_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLOOR_SLOTS);
	__type(key, u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* Fibonacci hashing of the address's low 32 bits: a 32-bit move of a pointer is the one
 * pointer-to-number conversion the verifier allows (to a tracer with CAP_PERFMON). */
static __always_inline struct slot *slot_of(u64 rq)
{
	u32 idx = ((u32)rq * 0x9E3779B9U) >> 18;

	return bpf_map_lookup_elem(&slots, &idx);
}

__u64 last_start_ns; /* written so the timestamp is not optimised away */
__u64 lost;

SEC("tp_btf/block_io_start")
int BPF_PROG(floor_io_start, struct request *rq)
{
	u64 key = (u64)rq;
	struct entry v = { .start_ns = bpf_ktime_get_ns() };

	if (with_slots) {
		struct slot *sl = slot_of(key);

		if (sl && __sync_val_compare_and_swap(&sl->rq, 0, key) == 0)
			sl->start_ns = v.start_ns;
		else
			bpf_map_update_elem(&inflight, &key, &v, BPF_ANY);
	} else if (with_map)
		bpf_map_update_elem(&inflight, &key, &v, BPF_ANY);
	else
		last_start_ns = v.start_ns;
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(floor_rq_issue, struct request *rq)
{
	u64 key = (u64)rq;
	struct entry *v;

	if (with_slots) {
		struct slot *sl = slot_of(key);

		if (sl && sl->rq == key) {
			sl->issue_ns = bpf_ktime_get_ns();
			return 0;
		}
	}
	v = bpf_map_lookup_elem(&inflight, &key);
	if (v)
		v->issue_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/block_io_done")
int BPF_PROG(floor_io_done, struct request *rq)
{
	struct biosnoop_event *e;
	u64 key = (u64)rq;
	struct entry *v = 0;
	struct slot *sl = 0;
	u64 start_ns = 0;

	if (with_slots) {
		sl = slot_of(key);
		if (sl && sl->rq == key) {
			start_ns = sl->start_ns;
			sl->rq = 0;
		} else {
			sl = 0;
		}
	}
	if (with_map && !sl) {
		v = bpf_map_lookup_elem(&inflight, &key);
		if (!v)
			return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		if (v)
			bpf_map_delete_elem(&inflight, &key);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	if (sl)
		e->lat_ns = e->ts_ns - start_ns;
	if (v) {
		e->lat_ns = e->ts_ns - v->start_ns;
		bpf_map_delete_elem(&inflight, &key);
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
