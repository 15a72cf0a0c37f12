// SPDX-License-Identifier: GPL-2.0-only
/* biosnoop: one event per completed block request. Each life-cycle step (created, inserted,
 * issued, done) has several programs, one per attach kind and kernel signature; the engine
 * loads only the ones it chose for this kernel. Requests are keyed by their address where the
 * program sees the struct request, and by (dev, sector) on classic tracepoints, which only see
 * the record; the engine never mixes the two (see tools/biosnoop/biosnoop.c's variants). */
#include "kernel.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "counters.bpf.h"

#include "biosnoop_event.h"

#define EEXIST 17

const volatile __u32 filter_tgid;         /* 0 = any */
const volatile bool filter_cgroup;      /* cgroup_filter[0] holds the cgroup */
const volatile __u32 filter_dev;          /* 0 = any disk */
const volatile __u64 filter_sector_start; /* partition range on filter_dev; end 0 = whole disk */
const volatile __u64 filter_sector_end;
const volatile __u64 min_lat_ns;
/* The chosen variant sees every request's creation (io, acct): a request first met at
 * issue was created before tracing started, and its issuer is not its owner. */
const volatile bool owner_known_at_creation;
const volatile __u64 wakeup_bytes = 256 * 1024;
/* biolatency: completions go to the histograms below, never to the ring buffer */
const volatile bool aggregate;
const volatile bool hist_per_disk;  /* -D */
const volatile bool hist_per_flags; /* -F */
const volatile bool hist_queued;    /* -Q: from creation/insertion, where seen, not issue */
const volatile __u64 hist_unit_ns = 1000; /* usecs; 1000000 with -m */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BIOSNOOP_MAX_INFLIGHT);
	__type(key, struct biosnoop_inflight_key);
	__type(value, struct biosnoop_inflight);
} inflight SEC(".maps");

/* Requests the full table could not take, until they end: their loss is counted when they
 * complete (a request merged away, or met again at issue, is no second loss; one of a task
 * the filter rejects, value UNTRACKED_FOREIGN, none at all). An LRU never refuses; it is as
 * large as the table, so that it forgets none in practice. */
#define UNTRACKED_WANTED 1
#define UNTRACKED_FOREIGN 2

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BIOSNOOP_MAX_INFLIGHT);
	__type(key, struct biosnoop_inflight_key);
	__type(value, u8);
} untracked SEC(".maps");

/* commit 457f44363a88 ("bpf: Implement BPF ring buffer and verifier support for it"), v5.8 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);
} events SEC(".maps");

DEFINE_COUNTERS(BIOSNOOP_COUNTER_MAX)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BIOLAT_MAX_ENTRIES);
	__type(key, struct biolat_key);
	__type(value, struct biolat_value);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroup_filter SEC(".maps");

/* Owner filters apply in the context of the submitting task. */
static __always_inline bool task_wanted(void)
{
	if (filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
		return false;
	/* 1 = under it; 0 = not; < 0 = error (e.g. the map not filled yet): not wanted either */
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

static __always_inline bool owner_filtered(void)
{
	return filter_tgid || filter_cgroup;
}

static __always_inline bool disk_wanted(u32 dev, u64 sector)
{
	if (!filter_dev)
		return true;
	if (dev != filter_dev)
		return false;
	return !filter_sector_end || (sector >= filter_sector_start && sector < filter_sector_end);
}

/* ---- reading a struct request (CO-RE) ---- */

/* The disk moved from the request to its queue:
 * commit d152c682f03c ("block: add an explicit ->disk backpointer to the request_queue"), v5.15
 * commit f3fa33acca9f ("block: remove the ->rq_disk field in struct request"), v5.17 */
static __always_inline u32 rq_dev(struct request *rq, bool direct)
{
	struct gendisk *disk;

	if (bpf_core_field_exists(((struct request___with_rq_disk *)0)->rq_disk))
		disk = BPF_CORE_READ((struct request___with_rq_disk *)rq, rq_disk);
	else if (direct)
		disk = rq->q->disk;
	else
		disk = BPF_CORE_READ(rq, q, disk);
	if (!disk)
		return 0;
	/* major and first_minor are neighbours in every kernel's struct gendisk: one read */
	if (bpf_core_field_offset(disk->first_minor) == bpf_core_field_offset(disk->major) + 4) {
		struct {
			int major;
			int first_minor;
		} id;

		if (bpf_probe_read_kernel(&id, sizeof(id), (void *)disk + bpf_core_field_offset(disk->major)))
			return 0;
		return ((u32)id.major << 20) | (u32)id.first_minor;
	}
	return ((u32)BPF_CORE_READ(disk, major) << 20) | (u32)BPF_CORE_READ(disk, first_minor);
}

/* tp_btf and fentry see a typed struct request: its fields are plain loads, not a
 * bpf_probe_read_kernel call each. The verifier checks every typed pointer load against its
 * trusted-type lists, a scan of the kernel's BTF each, which costs about a millisecond of
 * start-up per program: pointer fields (rq->q->disk) are loaded directly only where each
 * request passes (creation), and read with probe reads on the rare paths. */
#define RQ_FIELD(direct, rq, f) ((direct) ? (rq)->f : BPF_CORE_READ(rq, f))

/* The request's op and flags as blktrace's rwbs string (kernel/trace/blktrace.c). Flag bit
 * numbers changed across kernels; CO-RE relocates the enum values. */
enum req_op___iot {
	REQ_OP_READ___iot = 0,
	REQ_OP_WRITE___iot = 1,
	REQ_OP_FLUSH___iot = 2,
	REQ_OP_DISCARD___iot = 3,
	REQ_OP_SECURE_ERASE___iot = 5,
	REQ_OP_WRITE_ZEROES___iot = 9,
};

/* Zone append was renumbered: 13 in enum req_opf, 7 in 6.0's enum req_op, and 15 in the
 * 5.10 and 5.15 stable kernels since their 2025 backports of commit 3f66ccbaaef3 ("block:
 * Make REQ_OP_ZONE_FINISH a write operation"). Ask the kernel.
 * commit ff07a02e9e8e ("treewide: Rename enum req_opf into enum req_op"), v6.0 */
enum req_op___new { REQ_OP_ZONE_APPEND___new = 7 };
enum req_opf___old { REQ_OP_ZONE_APPEND___old = 13 };

static __always_inline u32 zone_append_op(void)
{
	if (bpf_core_enum_value_exists(enum req_op___new, REQ_OP_ZONE_APPEND___new))
		return bpf_core_enum_value(enum req_op___new, REQ_OP_ZONE_APPEND___new);
	if (bpf_core_enum_value_exists(enum req_opf___old, REQ_OP_ZONE_APPEND___old))
		return bpf_core_enum_value(enum req_opf___old, REQ_OP_ZONE_APPEND___old);
	return 0x100; /* no such op: matches nothing */
}

enum req_flag_bits {
	__REQ_SYNC,
	__REQ_META,
	__REQ_FUA,
	__REQ_PREFLUSH,
	__REQ_RAHEAD,
};

static __always_inline u32 req_flag(u32 bit_value)
{
	return 1u << bit_value;
}

/* Built in a register and stored whole: indexing the stack with a running count makes
 * clang emit pointer arithmetic the verifier rejects. At most 7 letters, so the string
 * always ends in NUL. */
#define RWBS_PUT(acc, shift, ch)                                                                   \
	do {                                                                                       \
		(acc) |= (u64)(ch) << (shift);                                                     \
		(shift) += 8;                                                                      \
	} while (0)

static __always_inline void rq_rwbs(struct request *rq, char *rwbs, bool direct)
{
	u32 opf = RQ_FIELD(direct, rq, cmd_flags);
	u32 op = opf & 0xff;
	u64 acc = 0;
	u32 shift = 0;

	if (opf & req_flag(bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH)))
		RWBS_PUT(acc, shift, 'F');
	if (op == REQ_OP_WRITE___iot || op == zone_append_op() || op == REQ_OP_WRITE_ZEROES___iot) {
		RWBS_PUT(acc, shift, 'W');
	} else if (op == REQ_OP_DISCARD___iot) {
		RWBS_PUT(acc, shift, 'D');
	} else if (op == REQ_OP_SECURE_ERASE___iot) {
		RWBS_PUT(acc, shift, 'D');
		RWBS_PUT(acc, shift, 'E');
	} else if (op == REQ_OP_FLUSH___iot) {
		RWBS_PUT(acc, shift, 'F');
	} else if (op == REQ_OP_READ___iot) {
		RWBS_PUT(acc, shift, 'R');
	} else {
		RWBS_PUT(acc, shift, 'N');
	}
	if (opf & req_flag(bpf_core_enum_value(enum req_flag_bits, __REQ_FUA)))
		RWBS_PUT(acc, shift, 'F');
	if (opf & req_flag(bpf_core_enum_value(enum req_flag_bits, __REQ_RAHEAD)))
		RWBS_PUT(acc, shift, 'A');
	if (opf & req_flag(bpf_core_enum_value(enum req_flag_bits, __REQ_SYNC)))
		RWBS_PUT(acc, shift, 'S');
	if (opf & req_flag(bpf_core_enum_value(enum req_flag_bits, __REQ_META)))
		RWBS_PUT(acc, shift, 'M');
	__builtin_memcpy(rwbs, &acc, sizeof(acc));
}

/* ---- where a request in flight is kept ---- */

/* Most requests live in a slot of a direct-mapped array, found by hashing their key: an
 * array lookup the verifier inlines, where the hash table costs a hash, a bucket lock and a
 * free-list push and pop per request (bench/run.sh measures ~430 ns per I/O less). A slot is
 * claimed with an atomic add and a read, not a cmpxchg, so kernels before 5.12 load it too
 * (commit 5ffa25502b5a ("bpf: Add instructions for atomic_[cmp]xchg"), v5.12):
 * whoever reads 1 after its own add is alone and owns the slot until the completion gives it
 * back; the others take theirs back and use the hash table. Nothing sweeps slots: an entry
 * whose completion went unseen is found again when its request struct is reused (counted as
 * done_missed), like in the table. */
#define INFLIGHT_SLOT_BITS 13

/* All ones but in tests (--debug slot-mask), which crowd requests into a few slots to
 * drive the claim races and the hash table behind them. */
const volatile __u32 inflight_slot_mask = (1 << INFLIGHT_SLOT_BITS) - 1;

struct inflight_slot {
	struct biosnoop_inflight_key key; /* {0, 0} when free */
	s64 claims;
	struct biosnoop_inflight v;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << INFLIGHT_SLOT_BITS);
	__type(key, u32);
	__type(value, struct inflight_slot);
} inflight_slots SEC(".maps");

/* A request's key and its slot number, computed once per program. */
struct req_ref {
	struct biosnoop_inflight_key key;
	u32 slot;
};

/* The low half of a key as a number. On typed programs a key is a pointer, and the verifier
 * allows a tracer (CAP_PERFMON) one conversion of a pointer to a number: a 32-bit move.
 * Written out, so that the compiler cannot fold it into arithmetic on the pointer. */
static __always_inline u32 low_bits(u64 v)
{
	u32 lo;

	asm volatile("%[lo] = %[v]" : [lo] "=w"(lo) : [v] "w"((u32)v));
	return lo;
}

/* Fibonacci hashing of the key's low bits. */
static __always_inline void ref_init(struct req_ref *r, u64 a, u64 b)
{
	u32 h = low_bits(a) ^ (u32)b ^ (u32)(b >> 32);

	r->key.a = a;
	r->key.b = b;
	r->slot = ((h * 0x9E3779B9U) >> (32 - INFLIGHT_SLOT_BITS)) & inflight_slot_mask;
}

static __always_inline bool key_is(const struct biosnoop_inflight_key *k, const struct req_ref *r)
{
	return k->a == r->key.a && k->b == r->key.b;
}

static __always_inline bool slot_claim(struct inflight_slot *sl)
{
	/* (the added value is not used: a fetching add needs commit 5ca419f2864a ("bpf: Add
	 * BPF_FETCH field / create atomic_fetch_add instruction"), v5.12) */
	__sync_fetch_and_add(&sl->claims, 1);
	if (*(volatile s64 *)&sl->claims == 1)
		return true;
	__sync_fetch_and_add(&sl->claims, -1);
	return false;
}

static const struct biosnoop_inflight empty_inflight;

/* An entry still held when its request struct starts a new life: that life's end went
 * unseen. Counted, unless it was foreign (never ours to report). */
static __always_inline void count_unseen_end(const struct biosnoop_inflight *v)
{
	if (!(v->flags & BIOSNOOP_INFLIGHT_FOREIGN))
		count(BIOSNOOP_DONE_MISSED);
}

/* The entry of a request being created: its slot when free, else a hash table entry.
 * *sl says which. An entry still held under the same key is a life of this request struct
 * whose completion went unseen: counted (unless it was foreign: never ours to report), and
 * reused. NULL only when the table is full; untracked_as then says how its end counts. */
static __always_inline struct biosnoop_inflight *inflight_new(struct req_ref *r,
							      struct inflight_slot **sl, u8 untracked_as)
{
	struct inflight_slot *s = bpf_map_lookup_elem(&inflight_slots, &r->slot);
	long err;

	*sl = s;
	if (s && slot_claim(s)) {
		s->key = r->key;
		return &s->v;
	}
	if (s && key_is(&s->key, r)) {
		count_unseen_end(&s->v);
		return &s->v;
	}
	*sl = NULL;
	err = bpf_map_update_elem(&inflight, &r->key, &empty_inflight, BPF_NOEXIST);
	if (err == -EEXIST) {
		struct biosnoop_inflight *old = bpf_map_lookup_elem(&inflight, &r->key);

		if (old)
			count_unseen_end(old);
	} else if (err) {
		bpf_map_update_elem(&untracked, &r->key, &untracked_as, BPF_ANY);
		return NULL;
	}
	return bpf_map_lookup_elem(&inflight, &r->key);
}

static __always_inline struct biosnoop_inflight *inflight_find(struct req_ref *r,
							       struct inflight_slot **sl)
{
	struct inflight_slot *s = bpf_map_lookup_elem(&inflight_slots, &r->slot);

	if (s && key_is(&s->key, r)) {
		*sl = s;
		return &s->v;
	}
	*sl = NULL;
	return bpf_map_lookup_elem(&inflight, &r->key);
}

static __always_inline void inflight_drop(struct req_ref *r, struct inflight_slot *sl)
{
	if (!sl) {
		bpf_map_delete_elem(&inflight, &r->key);
		return;
	}
	sl->key.a = 0;
	sl->key.b = 0;
	__sync_fetch_and_add(&sl->claims, -1);
}

/* ---- the life-cycle steps, shared by every attach kind ---- */

static __always_inline void owner_init(struct biosnoop_inflight *v, u64 queued_ns, u32 flags,
				       u32 dev, u64 birth)
{
	/* every field written once (no memset first): this runs for every request */
	v->queued_ns = queued_ns;
	v->issue_ns = 0;
	v->birth_ns = birth;
	v->sector = 0;
	v->bytes = 0;
	v->dev = dev;
	v->pid = bpf_get_current_pid_tgid() >> 32;
	v->flags = flags;
	__builtin_memset(v->rwbs, 0, sizeof(v->rwbs));
	bpf_get_current_comm(v->comm, sizeof(v->comm));
}

/* Created (block_io_start, blk_account_io_start): the submitting task owns it. A request
 * of a task the filter rejects is followed all the same, marked foreign: otherwise the
 * task that later issues it (under a scheduler, often a wanted one) would be taken for its
 * owner. */
/* birth: the request's start_time_ns where it is final (see birth_of), else 0. */
static __always_inline int on_created(struct req_ref *r, u32 dev, u64 sector, u64 birth)
{
	struct biosnoop_inflight *v;
	struct inflight_slot *sl;
	bool wanted;

	if (!disk_wanted(dev, sector))
		return 0;
	wanted = task_wanted();
	v = inflight_new(r, &sl, wanted ? UNTRACKED_WANTED : UNTRACKED_FOREIGN);
	if (v)
		owner_init(v, bpf_ktime_get_ns(), wanted ? 0 : BIOSNOOP_INFLIGHT_FOREIGN, dev, birth);
	return 0;
}

/* The request's start_time_ns, which tells its lives apart (a request struct is reused):
 * unchanged when a request is requeued, new for each life. It is final by insert and issue,
 * but not at creation: since 6.12 blk_account_io_start stamps it after the block_io_start
 * tracepoint fires, before it at allocation. 0 where the probe has no request (classic
 * tracepoints) or the kernel keeps no stamp (iostats off and no scheduler). */
static __always_inline u64 birth_of(struct request *rq, bool direct)
{
	return rq ? RQ_FIELD(direct, rq, start_time_ns) : 0;
}

/* An entry found under a request's key whose birth differs from the request's is a
 * previous life of the struct: its completion went unseen (a probe the kernel skipped, a
 * path the variant does not cover). It is counted (unless foreign: never ours) and
 * dropped, so that the new life is judged afresh; kept, it would lend the new request its
 * owner, which under -p/-c prints another process's I/O. An entry made at creation learns
 * its birth here, at the first insert or issue. */
static __always_inline struct biosnoop_inflight *
drop_previous_life(struct req_ref *r, struct biosnoop_inflight *v, struct inflight_slot *sl, u64 birth)
{
	if (!v || !birth || v->birth_ns == birth)
		return v;
	if (!v->birth_ns) {
		v->birth_ns = birth;
		return v;
	}
	count_unseen_end(v);
	inflight_drop(r, sl);
	return NULL;
}

/* The device of a request, read only when a new entry needs it: classic tracepoints pass
 * it (rq NULL), the others read it from the request. */
static __always_inline u32 dev_of(struct request *rq, bool direct, u32 dev)
{
	return rq ? rq_dev(rq, direct) : dev;
}

/* Inserted into a scheduler queue: the owner when no creation probe exists (old kernels
 * without kprobes/fentry); otherwise only a queue time if creation was not seen. */
static __always_inline int on_inserted(struct req_ref *r, struct request *rq, bool direct, u32 dev,
				       u64 sector)
{
	struct inflight_slot *sl;
	struct biosnoop_inflight *v = inflight_find(r, &sl);
	u64 birth = birth_of(rq, direct);

	v = drop_previous_life(r, v, sl, birth);
	if (v) {
		if (!v->queued_ns)
			v->queued_ns = bpf_ktime_get_ns();
		return 0;
	}
	return on_created(r, dev_of(rq, direct, dev), sector, birth);
}

static __always_inline void record_issue(struct biosnoop_inflight *v, u64 sector, u32 bytes,
					 const char *rwbs_src, struct request *rq, bool direct)
{
	v->issue_ns = bpf_ktime_get_ns();
	v->sector = sector;
	v->bytes = bytes;
	if (rq) {
		rq_rwbs(rq, v->rwbs, direct);
		return;
	}
	bpf_probe_read_kernel_str(v->rwbs, sizeof(v->rwbs), rwbs_src);
	/* The tracepoints print N for every op without a letter of its own, write-zeroes and
	 * zone append among them (6.18 still does), which move data; rq_rwbs (and blkparse)
	 * call them W. An N with bytes is one of them (the zone management ops move none). */
	if (bytes && v->rwbs[0] == 'N')
		v->rwbs[0] = 'W';
	else if (bytes && v->rwbs[0] == 'F' && v->rwbs[1] == 'N')
		v->rwbs[1] = 'W';
}

/* Issued to the driver: device time starts. Sector, size and type are final here (merges
 * are done) and may be gone by completion, so they are recorded now. A request whose
 * creation no probe saw gets its owner here. rwbs comes from the request where there is one,
 * else from the tracepoint's string. */
static __always_inline int on_issued(struct req_ref *r, struct request *rq, bool direct, u32 dev,
				     u64 sector, u32 bytes, const char *rwbs_src)
{
	struct inflight_slot *sl;
	struct biosnoop_inflight *v = inflight_find(r, &sl);
	u64 birth = birth_of(rq, direct);

	v = drop_previous_life(r, v, sl, birth);
	if (v && (v->flags & BIOSNOOP_INFLIGHT_FOREIGN))
		return 0;
	if (!v) {
		/* (rare: requests created before tracing started; probe reads keep the typed
		 * pointer loads, which the verifier pays for at load time, out of this program).
		 * Under -p/-c the issuer stands in for the owner only where no creation probe
		 * could have seen it. */
		if (owner_filtered() && owner_known_at_creation)
			return 0;
		if (bpf_map_lookup_elem(&untracked, &r->key))
			return 0;
		dev = dev_of(rq, false, dev);
		if (!disk_wanted(dev, sector) || !task_wanted())
			return 0;
		v = inflight_new(r, &sl, UNTRACKED_WANTED);
		if (!v)
			return 0;
		owner_init(v, 0, BIOSNOOP_EV_OWNER_AT_ISSUE, dev, birth);
	}
	record_issue(v, sector, bytes, rwbs_src, rq, direct);
	return 0;
}

/* floor(log2(v)), 0 for 0: branch-free steps, no loop for the verifier to walk */
static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	return r | (u32)(v >> 1);
}

static const struct biolat_value empty_hist_value;

/* One completion into its histogram bucket. The counts are only ever added to: user space
 * takes differences between reads, so a read racing with this loses nothing. */
static __always_inline void hist_add(const struct biosnoop_inflight *v, u64 now)
{
	struct biolat_key key = {};
	struct biolat_value *val;
	u64 start = v->issue_ns, lat;

	if (hist_queued && v->queued_ns && v->queued_ns < start)
		start = v->queued_ns;
	lat = now - start;
	if (hist_per_disk)
		key.dev = v->dev;
	if (hist_per_flags)
		__builtin_memcpy(key.rwbs, v->rwbs, sizeof(key.rwbs));
	key.slot = log2_u64(lat / hist_unit_ns);
	val = bpf_map_lookup_elem(&hists, &key);
	if (!val) {
		/* (-EEXIST from a racing CPU is fine: the lookup below finds its entry) */
		bpf_map_update_elem(&hists, &key, &empty_hist_value, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&hists, &key);
		if (!val) {
			count(BIOSNOOP_LOST_HIST);
			return;
		}
	}
	__sync_fetch_and_add(&val->count, 1);
	__sync_fetch_and_add(&val->sum_ns, lat);
}

static __always_inline int on_done(struct req_ref *r)
{
	struct inflight_slot *sl;
	struct biosnoop_inflight *v = inflight_find(r, &sl);
	struct biosnoop_event *e;
	u64 now, lat;
	u64 avail;

	if (!v) {
		u8 *untracked_as = bpf_map_lookup_elem(&untracked, &r->key);

		if (untracked_as) {
			if (*untracked_as == UNTRACKED_WANTED)
				count(BIOSNOOP_LOST_INFLIGHT);
			bpf_map_delete_elem(&untracked, &r->key);
		}
		return 0;
	}
	if (v->flags & BIOSNOOP_INFLIGHT_FOREIGN) {
		inflight_drop(r, sl);
		return 0;
	}
	if (!v->issue_ns) {
		count(BIOSNOOP_DONE_UNSEEN);
		inflight_drop(r, sl);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (aggregate) {
		hist_add(v, now);
		inflight_drop(r, sl);
		return 0;
	}
	lat = now - v->issue_ns;
	if (lat < min_lat_ns) {
		inflight_drop(r, sl);
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(BIOSNOOP_LOST_RINGBUF);
		inflight_drop(r, sl);
		return 0;
	}
	e->ts_ns = now;
	e->lat_ns = lat;
	e->queue_ns = v->queued_ns && v->queued_ns < v->issue_ns ? v->issue_ns - v->queued_ns : 0;
	e->sector = v->sector;
	e->bytes = v->bytes;
	e->dev = v->dev;
	e->pid = v->pid;
	e->flags = v->flags;
	__builtin_memcpy(e->comm, v->comm, sizeof(e->comm));
	__builtin_memcpy(e->rwbs, v->rwbs, sizeof(e->rwbs));
	inflight_drop(r, sl);
	/* Wake the reader only once a batch has accumulated; it also polls on a timer. */
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(e, avail + sizeof(*e) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
								 : BPF_RB_NO_WAKEUP);
	return 0;
}

/* Merged into another request (block_rq_merge) or freed (blk_mq_free_request, after any
 * completion): whatever entry is left never completes. Issued, it is a completion no probe
 * saw, counted now rather than when the struct is reused; never issued, it was merged away
 * and did no I/O of its own. */
static __always_inline int on_gone(struct req_ref *r)
{
	struct inflight_slot *sl;
	struct biosnoop_inflight *v = inflight_find(r, &sl);

	if (!v) {
		/* (untracked, it was never counted: merged away, it is no loss either) */
		bpf_map_delete_elem(&untracked, &r->key);
		return 0;
	}
	if (!(v->flags & BIOSNOOP_INFLIGHT_FOREIGN))
		count(v->issue_ns ? BIOSNOOP_DONE_MISSED : BIOSNOOP_MERGED);
	inflight_drop(r, sl);
	return 0;
}

/* ---- request-address keyed entry points ---- */

/* The request is read only for what is needed: device and sector where a filter or a new
 * entry needs them, nothing at completion (the entry has it). */
static __always_inline int rq_created(struct request *rq, bool direct)
{
	struct req_ref r;

	ref_init(&r, (u64)rq, 0);
	/* (its birth is not final at creation: learnt at insert or issue) */
	return on_created(&r, rq_dev(rq, direct), RQ_FIELD(direct, rq, __sector), 0);
}

static __always_inline int rq_inserted(struct request *rq, bool direct)
{
	struct req_ref r;

	ref_init(&r, (u64)rq, 0);
	return on_inserted(&r, rq, direct, 0, RQ_FIELD(direct, rq, __sector));
}

static __always_inline int rq_issued(struct request *rq, bool direct)
{
	struct req_ref r;

	ref_init(&r, (u64)rq, 0);
	return on_issued(&r, rq, direct, 0, RQ_FIELD(direct, rq, __sector),
			 RQ_FIELD(direct, rq, __data_len), 0);
}

static __always_inline int rq_done(struct request *rq)
{
	struct req_ref r;

	ref_init(&r, (u64)rq, 0);
	return on_done(&r);
}

/* blk_update_request(rq, error, nr_bytes) and block_rq_complete: a driver may complete a
 * request in parts (SCSI, a short loop read), and only the call that ends its last bio ends
 * the request (the function then returns false). */
static __always_inline int rq_done_bytes(struct request *rq, u32 nr_bytes, bool direct)
{
	/* (the bio pointer only in the rare partial case: a typed pointer load costs the
	 * verifier, a probe read costs every request) */
	if (nr_bytes < RQ_FIELD(direct, rq, __data_len) && BPF_CORE_READ(rq, bio))
		return 0;
	return rq_done(rq);
}

static __always_inline int rq_gone(struct request *rq)
{
	struct req_ref r;

	ref_init(&r, (u64)rq, 0);
	return on_gone(&r);
}

/* blk_mq_end_request_batch (NVMe, polled I/O): every request of the batch, which neither
 * passes blk_update_request nor blk_mq_end_request. The walk needs bpf_loop, which came one
 * release after the batch: a 5.16 kernel cannot load this program.
 * commit f794f3351f26 ("block: add support for blk_mq_end_request_batch()"), v5.16
 * commit e6f2dd0f8067 ("bpf: Add bpf_loop helper"), v5.17 */
#define BATCH_MAX 65536

struct batch_walk {
	struct request *rq;
};

static long batch_step(u32 i, void *ctx)
{
	struct batch_walk *w = ctx;
	struct request *rq = w->rq;

	if (!rq)
		return 1;
	w->rq = BPF_CORE_READ(rq, rq_next);
	rq_done(rq);
	return 0;
}

static __always_inline int rq_batch_done(void *iob)
{
	struct batch_walk w = {};

	if (bpf_core_type_exists(struct rq_list))
		w.rq = BPF_CORE_READ((struct io_comp_batch___new *)iob, req_list.head);
	else
		w.rq = BPF_CORE_READ((struct io_comp_batch___old *)iob, req_list);
	bpf_loop(BATCH_MAX, batch_step, &w, 0);
	/* (a longer batch: its rest is found at free or reuse, counted as done_missed) */
	return 0;
}

#define RAW_ARG(ctx, n) ((struct request *)((struct bpf_raw_tracepoint_args *)(ctx))->args[n])

/* created: commit 5a80bd075f3b ("block: introduce block_io_start/block_io_done tracepoints"),
 * v6.5; before it, blk_account_io_start, a real function until commit be6bfe36db17 ("block:
 * inline hot paths of blk_account_io_*()"), v5.16, made it an inline wrapper around
 * __blk_account_io_start, and commit 450b7879e345 ("block: move blk_account_io_{start,done}
 * to blk-mq.c"), v5.17, made it a static inline that the compiler may keep or not */
SEC("tp_btf/block_io_start")
int BPF_PROG(tp_btf_io_start, struct request *rq) { return rq_created(rq, true); }
SEC("raw_tp/block_io_start")
int raw_tp_io_start(void *ctx) { return rq_created(RAW_ARG(ctx, 0), false); }
SEC("fentry/blk_account_io_start")
int BPF_PROG(fentry_acct_start, struct request *rq) { return rq_created(rq, true); }
SEC("kprobe/blk_account_io_start")
int BPF_KPROBE(kprobe_acct_start, struct request *rq) { return rq_created(rq, false); }

/* inserted: the tracepoint lost its request_queue argument in commit a54895fa057c ("block:
 * remove the request_queue to argument request based tracepoints"), v5.11, backported to
 * 5.10.137 */
SEC("tp_btf/block_rq_insert")
int BPF_PROG(tp_btf_rq_insert, struct request *rq) { return rq_inserted(rq, true); }
SEC("tp_btf/block_rq_insert")
int BPF_PROG(tp_btf_rq_insert_q, struct request_queue *q, struct request *rq) { return rq_inserted(rq, true); }
SEC("raw_tp/block_rq_insert")
int raw_tp_rq_insert(void *ctx) { return rq_inserted(RAW_ARG(ctx, 0), false); }
SEC("raw_tp/block_rq_insert")
int raw_tp_rq_insert_q(void *ctx) { return rq_inserted(RAW_ARG(ctx, 1), false); }

/* inserted through the block layer's own function, where accounting is inlined (6.1+);
 * blk_mq_sched_insert_request until commit 2bd215df791b ("blk-mq: move
 * blk_mq_sched_insert_request to blk-mq.c"), v6.4, renamed it blk_mq_insert_request */
SEC("fentry/blk_mq_insert_request")
int BPF_PROG(fentry_insert_request, struct request *rq) { return rq_inserted(rq, true); }
SEC("kprobe/blk_mq_insert_request")
int BPF_KPROBE(kprobe_insert_request, struct request *rq) { return rq_inserted(rq, false); }

/* plugged by the submitting task, queued later from a list or by kblockd (mq variant) */
SEC("fentry/blk_add_rq_to_plug")
int BPF_PROG(fentry_add_rq_to_plug, struct blk_plug *plug, struct request *rq) { return rq_inserted(rq, true); }
SEC("kprobe/blk_add_rq_to_plug")
int BPF_KPROBE(kprobe_add_rq_to_plug, struct blk_plug *plug, struct request *rq) { return rq_inserted(rq, false); }

/* issued (the tracepoint's arguments changed with block_rq_insert's, above) */
SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_btf_rq_issue, struct request *rq) { return rq_issued(rq, true); }
SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_btf_rq_issue_q, struct request_queue *q, struct request *rq) { return rq_issued(rq, true); }
SEC("raw_tp/block_rq_issue")
int raw_tp_rq_issue(void *ctx) { return rq_issued(RAW_ARG(ctx, 0), false); }
SEC("raw_tp/block_rq_issue")
int raw_tp_rq_issue_q(void *ctx) { return rq_issued(RAW_ARG(ctx, 1), false); }
SEC("fentry/blk_mq_start_request")
int BPF_PROG(fentry_start_request, struct request *rq) { return rq_issued(rq, true); }
SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(kprobe_start_request, struct request *rq) { return rq_issued(rq, false); }

/* done */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(tp_btf_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	return rq_done_bytes(rq, nr_bytes, true);
}
SEC("raw_tp/block_rq_complete")
int raw_tp_rq_complete(struct bpf_raw_tracepoint_args *ctx)
{
	return rq_done_bytes(RAW_ARG(ctx, 0), (u32)ctx->args[2], false);
}
SEC("fentry/blk_account_io_done")
int BPF_PROG(fentry_acct_done, struct request *rq) { return rq_done(rq); }
SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(kprobe_acct_done, struct request *rq) { return rq_done(rq); }
/* Where accounting is inlined (mq variant), completion is seen at blk_update_request, which
 * blk_mq_end_request and the drivers that end requests themselves (SCSI's
 * scsi_end_request, then __blk_mq_end_request: declared inline, so notrace) both call,
 * and at blk_mq_end_request_batch, which calls neither. */
SEC("fentry/blk_update_request")
int BPF_PROG(fentry_update_request, struct request *rq, int error, unsigned int nr_bytes)
{
	return rq_done_bytes(rq, nr_bytes, true);
}
SEC("kprobe/blk_update_request")
int BPF_KPROBE(kprobe_update_request, struct request *rq, int error, unsigned int nr_bytes)
{
	return rq_done_bytes(rq, nr_bytes, false);
}
SEC("fentry/blk_mq_end_request_batch")
int BPF_PROG(fentry_end_request_batch, struct io_comp_batch *iob) { return rq_batch_done(iob); }
SEC("kprobe/blk_mq_end_request_batch")
int BPF_KPROBE(kprobe_end_request_batch, struct io_comp_batch *iob) { return rq_batch_done(iob); }

/* gone: merged away (tracepoints), freed (functions; after the completion, if any).
 * commit f3bdc62fd82e ("blktrace: Provide event for request merging"), v5.9 */
SEC("tp_btf/block_rq_merge")
int BPF_PROG(tp_btf_rq_merge, struct request *rq) { return rq_gone(rq); }
SEC("raw_tp/block_rq_merge")
int raw_tp_rq_merge(void *ctx) { return rq_gone(RAW_ARG(ctx, 0)); }
SEC("fentry/blk_mq_free_request")
int BPF_PROG(fentry_free_request, struct request *rq) { return rq_gone(rq); }
SEC("kprobe/blk_mq_free_request")
int BPF_KPROBE(kprobe_free_request, struct request *rq) { return rq_gone(rq); }

/* ---- classic tracepoints: only the record, keyed by (dev, sector) ---- */

static __always_inline int tp_rq_created(struct trace_event_raw_block_rq *ctx)
{
	struct req_ref r;
	u32 dev = BPF_CORE_READ(ctx, dev);
	u64 sector = BPF_CORE_READ(ctx, sector);

	ref_init(&r, dev, sector);
	return on_created(&r, dev, sector, 0);
}

SEC("tracepoint/block/block_io_start")
int tp_io_start(struct trace_event_raw_block_rq *ctx) { return tp_rq_created(ctx); }

SEC("tracepoint/block/block_rq_insert")
int tp_rq_insert(struct trace_event_raw_block_rq *ctx)
{
	struct req_ref r;
	u32 dev = BPF_CORE_READ(ctx, dev);
	u64 sector = BPF_CORE_READ(ctx, sector);

	ref_init(&r, dev, sector);
	return on_inserted(&r, 0, false, dev, sector);
}

SEC("tracepoint/block/block_rq_issue")
int tp_rq_issue(struct trace_event_raw_block_rq *ctx)
{
	struct req_ref r;
	u32 dev = BPF_CORE_READ(ctx, dev);
	u64 sector = BPF_CORE_READ(ctx, sector);

	ref_init(&r, dev, sector);
	return on_issued(&r, 0, false, dev, sector, BPF_CORE_READ(ctx, bytes), ctx->rwbs);
}

SEC("tracepoint/block/block_rq_merge")
int tp_rq_merge(struct trace_event_raw_block_rq *ctx)
{
	struct req_ref r;

	ref_init(&r, BPF_CORE_READ(ctx, dev), BPF_CORE_READ(ctx, sector));
	return on_gone(&r);
}

SEC("tracepoint/block/block_rq_complete")
int tp_rq_complete(void *ctx)
{
	struct trace_event_raw_block_rq_completion *now = ctx;
	struct trace_event_raw_block_rq_complete *before_5_18 = ctx;
	struct req_ref r;

	/* the record's type was renamed in 5.18 (kernel.h): relocating against a name the
	 * kernel lacks would fail the load, so the constant test drops the other branch */
	if (bpf_core_type_exists(struct trace_event_raw_block_rq_completion))
		ref_init(&r, BPF_CORE_READ(now, dev), BPF_CORE_READ(now, sector));
	else
		ref_init(&r, BPF_CORE_READ(before_5_18, dev), BPF_CORE_READ(before_5_18, sector));
	return on_done(&r);
}

char LICENSE[] SEC("license") = "GPL";
