/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-CPU loss counters every tool keeps (read by core/tracer/losses.c), and count(). */
#ifndef IOTRACE_COUNTERS_BPF_H
#define IOTRACE_COUNTERS_BPF_H

#define DEFINE_COUNTERS(n)                                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, n);                                                            \
		__type(key, u32);                                                                  \
		__type(value, u64);                                                                \
	} counters SEC(".maps");                                                                   \
                                                                                                   \
	/* Atomic although per CPU: a program in interrupt context can preempt another           \
	 * halfway through its increment on the same CPU, and a plain += then loses one. */      \
	static __always_inline void count(u32 which)                                               \
	{                                                                                          \
		u64 *c = bpf_map_lookup_elem(&counters, &which);                                   \
                                                                                                   \
		if (c)                                                                             \
			__sync_fetch_and_add(c, 1);                                                \
	}

#endif
