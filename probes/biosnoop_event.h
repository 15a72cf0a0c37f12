/* SPDX-License-Identifier: GPL-2.0-only */
/* The event and map types probes/biosnoop.bpf.c shares with user space (tools/biosnoop,
 * tools/biolatency, tools/blockreq). */
#ifndef IOTRACE_BIOSNOOP_EVENT_H
#define IOTRACE_BIOSNOOP_EVENT_H

#define BIOSNOOP_COMM_LEN 16
#define BIOSNOOP_RWBS_LEN 8

/* One completed request. Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns). */
struct biosnoop_event {
	unsigned long long ts_ns;    /* completion */
	unsigned long long lat_ns;   /* issue to the device -> completion */
	unsigned long long queue_ns; /* created/inserted -> issue; 0 when not seen */
	unsigned long long sector;   /* first sector, relative to the whole disk */
	unsigned int bytes;
	unsigned int dev; /* kernel dev_t of the whole disk: major << 20 | minor */
	unsigned int pid; /* process (tgid) that submitted the request */
	unsigned int flags; /* BIOSNOOP_EV_* */
	char comm[BIOSNOOP_COMM_LEN];
	char rwbs[BIOSNOOP_RWBS_LEN]; /* R, W, WS, FWS, D, ... as blktrace prints it */
};

/* The sector of a request that has none (a flush): the kernel's (sector_t)-1. Shown as
 * "-" in the table and null in JSON and CSV, never as a number. */
#define BIOSNOOP_NO_SECTOR (~0ULL)

/* The owner (comm/pid) was captured when the request was issued, not created: no probe saw
 * the request's creation (e.g. it was created before tracing started). */
#define BIOSNOOP_EV_OWNER_AT_ISSUE 1u
/* (kernel side only) followed, but submitted by a task the -p/-c filter rejects: kept so
 * that whoever issues it later is not taken for its owner, never reported */
#define BIOSNOOP_INFLIGHT_FOREIGN 0x100u

/* Counters kept in the kernel (per CPU) so that no loss is silent. */
enum biosnoop_counter {
	BIOSNOOP_LOST_RINGBUF,  /* ring buffer full: event dropped */
	BIOSNOOP_LOST_INFLIGHT, /* in-flight map full: request not tracked */
	BIOSNOOP_DONE_UNSEEN,   /* completion of a request whose issue we did not see */
	BIOSNOOP_DONE_MISSED,   /* a request we followed ended without a completion any probe
				 * saw: found when it was freed, or when its struct was reused */
	BIOSNOOP_MERGED,        /* merged into another request before issue: no I/O of its own,
				 * not lost */
	BIOSNOOP_LOST_HIST,     /* (biolatency) histogram map full: completion not counted */
	BIOSNOOP_COUNTER_MAX,
	BIOSNOOP_STALE = BIOSNOOP_COUNTER_MAX, /* counted in user space: removed as stale */
};

#define BIOSNOOP_MAX_INFLIGHT 16384

/* A request the kernel side is following, from creation (or issue) to completion. */
struct biosnoop_inflight_key {
	unsigned long long a; /* request address, or dev on classic tracepoints */
	unsigned long long b; /* 0, or sector on classic tracepoints */
};

struct biosnoop_inflight {
	unsigned long long queued_ns;
	unsigned long long issue_ns;
	/* the request's start_time_ns when the entry was made (0: unknown): a request struct
	 * lives many times, and a different value is a new life of it */
	unsigned long long birth_ns;
	unsigned long long sector;
	unsigned int bytes;
	unsigned int pid;
	unsigned int flags;
	unsigned int dev; /* as in biosnoop_event, recorded when the entry is made */
	char comm[BIOSNOOP_COMM_LEN];
	char rwbs[BIOSNOOP_RWBS_LEN];
};

/* A request not completed after this long is taken for one whose completion no probe will
 * see (e.g. a path the chosen variant does not cover); user space removes it, so the
 * in-flight table cannot fill with the dead. Far above any block layer timeout. */
#define BIOSNOOP_STALE_NS (120ULL * 1000000000ULL)

/* biolatency: the same programs with `aggregate` set add each completion to a histogram
 * in the kernel instead of sending an event. Counts are cumulative and never cleared: user
 * space prints the difference between two reads, so no count arriving during a read is lost. */
#define BIOLAT_SLOTS 64 /* log2 buckets of a u64 latency */
#define BIOLAT_MAX_ENTRIES 10240

struct biolat_key {
	unsigned int dev;  /* whole disk as in biosnoop_event; 0 unless per disk (-D) */
	unsigned int slot; /* floor(log2(latency in usecs or msecs)), 0 for 0 and 1 */
	char rwbs[BIOSNOOP_RWBS_LEN]; /* all NUL unless per flags (-F) */
};

struct biolat_value {
	unsigned long long count;
	unsigned long long sum_ns; /* of the latencies counted in this slot, for averages */
};

#endif
