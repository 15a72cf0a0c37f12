// SPDX-License-Identifier: GPL-2.0-only
/* The fsslower family (ext4slower, xfsslower, btrfsslower, nfsslower, zfsslower): reads,
 * writes, opens and fsyncs of one file system slower than a threshold, timed from its
 * file_operations' entry to their return. One entry/return program pair per operation,
 * signature and attach kind; the section names are placeholders: the engine sets each chosen
 * program's real target (ext4_file_read_iter, zpl_iter_read...) before load and loads only
 * the pairs it chose. The kernel types read here (kiocb, file, dentry, super_block) come
 * from vmlinux BTF, so modules without BTF (OpenZFS, Debian 5.10's) work through kprobes.
 *
 * Functions that several file systems share (generic_file_read_iter, the fallback for
 * btrfs reads on kernels before btrfs_file_read_iter) are filtered here by the superblock's
 * magic number: only operations on the wanted file system enter the in-flight table. */
#include "kernel.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "counters.bpf.h"

#include "fsslower_event.h"

const volatile __u32 filter_tgid;
const volatile __u64 min_lat_ns;
/* s_magic of the traced file system; 0 = every file the probed functions see (zfsslower: the
 * zpl_* functions are ZFS's own, and it kept no filter) */
const volatile __u64 filter_magic;

/* The most negative errno the kernel returns (MAX_ERRNO in include/linux/err.h). */
#define MAX_ERRNO 4095

struct inflight {
	u64 ts_ns;
	s64 offset;
	struct file *file;
	struct kiocb *iocb; /* read again at return: where the transfer really was */
	u32 op;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct fsslower_inflight_key);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

DEFINE_COUNTERS(FSSLOWER_COUNTER_MAX)

static __always_inline int entry(u32 op, struct file *file, s64 offset, struct kiocb *iocb)
{
	struct fsslower_inflight_key key = { .pid_tgid = bpf_get_current_pid_tgid(), .op = op };
	struct inflight v = {
		.ts_ns = bpf_ktime_get_ns(), .offset = offset, .file = file, .iocb = iocb, .op = op
	};

	if (filter_tgid && (key.pid_tgid >> 32) != filter_tgid)
		return 0;
	if (filter_magic && BPF_CORE_READ(file, f_inode, i_sb, s_magic) != filter_magic)
		return 0;
	/* This thread's previous call of this operation is still here: its return never came
	 * to us (a kretprobe out of instances, a return program the kernel skipped). Counted
	 * here, one by one, rather than from the kernel's nmissed, which is incremented without
	 * atomics from every CPU and, under contention, undercounts. User space counts the
	 * entries of threads that exited (tools/fsslower). */
	if (bpf_map_lookup_elem(&inflight, &key))
		count(FSSLOWER_RETURN_UNSEEN);
	if (bpf_map_update_elem(&inflight, &key, &v, BPF_ANY))
		count(FSSLOWER_LOST_INFLIGHT);
	return 0;
}

static __always_inline int leave(u32 op, s64 ret)
{
	struct fsslower_inflight_key key = { .pid_tgid = bpf_get_current_pid_tgid(), .op = op };
	struct inflight *v = bpf_map_lookup_elem(&inflight, &key);
	struct fsslower_event *e;
	struct dentry *dentry;
	struct kiocb *iocb;
	struct file *file;
	u64 now, lat;

	if (!v)
		return 0;
	now = bpf_ktime_get_ns();
	lat = now - v->ts_ns;
	if (lat < min_lat_ns)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(FSSLOWER_LOST_RINGBUF);
		goto out;
	}
	e->ts_ns = now;
	e->lat_ns = lat;
	e->offset = v->offset;
	e->op = v->op;
	e->error = ret < 0 && ret >= -MAX_ERRNO ? (int)-ret : 0;
	e->reserved = 0;
	e->bytes = (v->op == FS_OP_READ || v->op == FS_OP_WRITE) && ret > 0 ? ret : 0;
	/* read_iter/write_iter end with ki_pos += bytes moved, and an O_APPEND write's ki_pos
	 * at entry is not yet the end of the file: the start is ki_pos at return - bytes */
	iocb = v->iocb;
	if (e->bytes && iocb)
		e->offset = BPF_CORE_READ(iocb, ki_pos) - e->bytes;
	e->pid = key.pid_tgid >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* v->file outside BPF_CORE_READ: inside it, the access to our own struct inflight
	 * would become a CO-RE relocation that no kernel BTF can resolve */
	file = v->file;
	dentry = BPF_CORE_READ(file, f_path.dentry);
	e->name[0] = '\0';
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(dentry, d_name.name));
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&inflight, &key);
	return 0;
}

static __always_inline s64 kiocb_pos(struct kiocb *iocb)
{
	return BPF_CORE_READ(iocb, ki_pos);
}

static __always_inline struct file *kiocb_file(struct kiocb *iocb)
{
	return BPF_CORE_READ(iocb, ki_filp);
}

static __always_inline s64 read_pos(loff_t *ppos)
{
	loff_t pos = 0;

	bpf_probe_read_kernel(&pos, sizeof(pos), ppos);
	return pos;
}

/* ->read_iter/->write_iter(struct kiocb *, struct iov_iter *): every Linux file system's
 * (ext4_file_read_iter, nfs_file_read...), and OpenZFS's zpl_iter_* (0.6.5+ on iter kernels) */
#define ITER_PROGS(fentry_prog, fexit_prog, kprobe_prog, kretprobe_prog, fn, op)                   \
	SEC("fentry/" fn)                                                                          \
	int BPF_PROG(fentry_prog, struct kiocb *iocb)                                              \
	{                                                                                          \
		return entry(op, kiocb_file(iocb), kiocb_pos(iocb), iocb);                         \
	}                                                                                          \
	SEC("fexit/" fn)                                                                           \
	int BPF_PROG(fexit_prog, struct kiocb *iocb, struct iov_iter *it, long ret)                \
	{                                                                                          \
		return leave(op, ret);                                                             \
	}                                                                                          \
	SEC("kprobe/" fn)                                                                          \
	int BPF_KPROBE(kprobe_prog, struct kiocb *iocb)                                            \
	{                                                                                          \
		return entry(op, kiocb_file(iocb), kiocb_pos(iocb), iocb);                         \
	}                                                                                          \
	SEC("kretprobe/" fn)                                                                       \
	int BPF_KRETPROBE(kretprobe_prog, long ret)                                                \
	{                                                                                          \
		return leave(op, ret);                                                             \
	}

/* zpl_aio_read/write(struct kiocb *, const struct iovec *, unsigned long nr_segs, loff_t pos) */
#define AIO_PROGS(fentry_prog, fexit_prog, kprobe_prog, kretprobe_prog, fn, op)                    \
	SEC("fentry/" fn)                                                                          \
	int BPF_PROG(fentry_prog, struct kiocb *iocb, const struct iovec *iov,                     \
		     unsigned long nr_segs, loff_t pos)                                            \
	{                                                                                          \
		return entry(op, kiocb_file(iocb), pos, NULL);                                     \
	}                                                                                          \
	SEC("fexit/" fn)                                                                           \
	int BPF_PROG(fexit_prog, struct kiocb *iocb, const struct iovec *iov,                      \
		     unsigned long nr_segs, loff_t pos, long ret)                                  \
	{                                                                                          \
		return leave(op, ret);                                                             \
	}                                                                                          \
	SEC("kprobe/" fn)                                                                          \
	int BPF_KPROBE(kprobe_prog, struct kiocb *iocb, const struct iovec *iov,                   \
		       unsigned long nr_segs, loff_t pos)                                          \
	{                                                                                          \
		return entry(op, kiocb_file(iocb), pos, NULL);                                     \
	}                                                                                          \
	SEC("kretprobe/" fn)                                                                       \
	int BPF_KRETPROBE(kretprobe_prog, long ret)                                                \
	{                                                                                          \
		return leave(op, ret);                                                             \
	}

/* zpl_read/write(struct file *, char __user *, size_t, loff_t *): OpenZFS 0.6.x */
#define RW_PROGS(fentry_prog, fexit_prog, kprobe_prog, kretprobe_prog, fn, op)                     \
	SEC("fentry/" fn)                                                                          \
	int BPF_PROG(fentry_prog, struct file *file, char *buf, size_t len, loff_t *ppos)          \
	{                                                                                          \
		return entry(op, file, read_pos(ppos), NULL);                                      \
	}                                                                                          \
	SEC("fexit/" fn)                                                                           \
	int BPF_PROG(fexit_prog, struct file *file, char *buf, size_t len, loff_t *ppos,           \
		     long ret)                                                                     \
	{                                                                                          \
		return leave(op, ret);                                                             \
	}                                                                                          \
	SEC("kprobe/" fn)                                                                          \
	int BPF_KPROBE(kprobe_prog, struct file *file, char *buf, size_t len, loff_t *ppos)        \
	{                                                                                          \
		return entry(op, file, read_pos(ppos), NULL);                                      \
	}                                                                                          \
	SEC("kretprobe/" fn)                                                                       \
	int BPF_KRETPROBE(kretprobe_prog, long ret)                                                \
	{                                                                                          \
		return leave(op, ret);                                                             \
	}

/* Every program by its full name, as the probe tables (tools/fsslower/fs_table.c) name it. The
 * section's function is a placeholder: the backends set each program's target at run time. */
ITER_PROGS(fentry_iter_read, fexit_iter_read, kprobe_iter_read, kretprobe_iter_read,
	   "zpl_iter_read", FS_OP_READ)
ITER_PROGS(fentry_iter_write, fexit_iter_write, kprobe_iter_write, kretprobe_iter_write,
	   "zpl_iter_write", FS_OP_WRITE)
AIO_PROGS(fentry_aio_read, fexit_aio_read, kprobe_aio_read, kretprobe_aio_read, "zpl_aio_read",
	  FS_OP_READ)
AIO_PROGS(fentry_aio_write, fexit_aio_write, kprobe_aio_write, kretprobe_aio_write,
	  "zpl_aio_write", FS_OP_WRITE)
RW_PROGS(fentry_read, fexit_read, kprobe_read, kretprobe_read, "zpl_read", FS_OP_READ)
RW_PROGS(fentry_write, fexit_write, kprobe_write, kretprobe_write, "zpl_write", FS_OP_WRITE)

/* open(struct inode *, struct file *): zpl_open, ext4_file_open...; open2 is a second open
 * function of the same file system (nfs4_file_open beside nfs_file_open) */
#define OPEN_PROGS(fentry_prog, fexit_prog, kprobe_prog, kretprobe_prog)                           \
	SEC("fentry/zpl_open")                                                                     \
	int BPF_PROG(fentry_prog, struct inode *inode, struct file *file)                          \
	{                                                                                          \
		return entry(FS_OP_OPEN, file, 0, NULL);                                           \
	}                                                                                          \
	SEC("fexit/zpl_open")                                                                      \
	int BPF_PROG(fexit_prog, struct inode *inode, struct file *file, int ret)                  \
	{                                                                                          \
		return leave(FS_OP_OPEN, ret);                                                     \
	}                                                                                          \
	SEC("kprobe/zpl_open")                                                                     \
	int BPF_KPROBE(kprobe_prog, struct inode *inode, struct file *file)                        \
	{                                                                                          \
		return entry(FS_OP_OPEN, file, 0, NULL);                                           \
	}                                                                                          \
	SEC("kretprobe/zpl_open")                                                                  \
	int BPF_KRETPROBE(kretprobe_prog, int ret)                                                 \
	{                                                                                          \
		return leave(FS_OP_OPEN, ret);                                                     \
	}

OPEN_PROGS(fentry_open, fexit_open, kprobe_open, kretprobe_open)
OPEN_PROGS(fentry_open2, fexit_open2, kprobe_open2, kretprobe_open2)

/* fsync(struct file *, loff_t start, loff_t end, int datasync): zpl_fsync, ext4_sync_file... */
SEC("fentry/zpl_fsync")
int BPF_PROG(fentry_fsync, struct file *file)
{
	return entry(FS_OP_FSYNC, file, 0, NULL);
}
SEC("fexit/zpl_fsync")
int BPF_PROG(fexit_fsync, struct file *file, loff_t start, loff_t end, int datasync, int ret)
{
	return leave(FS_OP_FSYNC, ret);
}
SEC("kprobe/zpl_fsync")
int BPF_KPROBE(kprobe_fsync, struct file *file)
{
	return entry(FS_OP_FSYNC, file, 0, NULL);
}
SEC("kretprobe/zpl_fsync")
int BPF_KRETPROBE(kretprobe_fsync, int ret)
{
	return leave(FS_OP_FSYNC, ret);
}

char LICENSE[] SEC("license") = "GPL";
