/* SPDX-License-Identifier: GPL-2.0-only */
/* The few kernel types the probes read, kept by hand instead of a vmlinux.h generated from
 * one machine's kernel. Every record is marked preserve_access_index, so field offsets are
 * relocated (CO-RE) against the running kernel's BTF at load time; only the fields named here
 * matter, not their position or the struct's size. Fields that exist on some kernels only
 * live in ___flavor structs and are read behind bpf_core_field_exists(). */
#ifndef IOTRACE_KERNEL_H
#define IOTRACE_KERNEL_H

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef __u32 dev_t;
typedef long long loff_t;
typedef unsigned int blk_opf_t;
typedef unsigned long size_t;
typedef _Bool bool;
#define true 1
#define false 0

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* BPF_KPROBE reads the arguments from the registers of the target the object is built for
 * (-D__TARGET_ARCH_x86 or _arm64, cmake/bpf.cmake): an object built for the wrong one reads
 * the wrong registers and loads without complaint. */
#if defined(__TARGET_ARCH_x86)
/* x86_64 kernel layout names (bpf_tracing.h reads di, si, ... when __VMLINUX_H__ is set). */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax, ip, cs, flags, sp, ss;
};
#elif defined(__TARGET_ARCH_arm64)
/* arm64: bpf_tracing.h casts the context to user_pt_regs (x0..x7 are regs[0..7]), which
 * the kernel's struct pt_regs starts with. */
struct user_pt_regs {
	u64 regs[31];
	u64 sp;
	u64 pc;
	u64 pstate;
};
#else
#error "probes/kernel.h knows the pt_regs of x86 and arm64 only: build with -D__TARGET_ARCH_x86 or _arm64"
#endif

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
};

struct gendisk {
	int major;
	int first_minor;
};

struct block_device {
	dev_t bd_dev;
	u64 bd_start_sect;
	struct gendisk *bd_disk;
};

/* commit d152c682f03c ("block: add an explicit ->disk backpointer to the request_queue"),
 * v5.15 */
struct request_queue {
	struct gendisk *disk;
};

struct bio;

struct request {
	struct request_queue *q;
	blk_opf_t cmd_flags; /* op in the low 8 bits, then flags */
	u64 __sector;
	unsigned int __data_len;
	u64 start_time_ns;
	struct block_device *part;
	struct bio *bio;
	/* links a completion batch; commit 47c122e35d7e ("block: pre-allocate requests if plug
	 * is started and is a batch"), v5.16 */
	struct request *rq_next;
};

/* A batch of completed requests (blk_mq_end_request_batch): a singly linked list through
 * rq_next, its head a plain pointer until 6.13 made it a struct rq_list.
 * commit f794f3351f26 ("block: add support for blk_mq_end_request_batch()"), v5.16
 * commit a3396b99990d ("block: add a rq_list type"), v6.13 */
struct rq_list {
	struct request *head;
	struct request *tail;
};

struct io_comp_batch___old {
	struct request *req_list;
};

struct io_comp_batch___new {
	struct rq_list req_list;
};

struct io_comp_batch;

struct blk_plug; /* only passed by pointer */

/* Before 5.17 a request carried its disk directly: commit f3fa33acca9f ("block: remove the
 * ->rq_disk field in struct request"), v5.17 */
struct request___with_rq_disk {
	struct gendisk *rq_disk;
};

struct qstr {
	const unsigned char *name;
	u32 len;
};

struct dentry {
	struct qstr d_name;
};

struct path {
	struct dentry *dentry;
};

struct super_block {
	unsigned long s_magic;
};

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
};

struct kiocb {
	struct file *ki_filp;
	loff_t ki_pos;
};

struct iov_iter {
	size_t count;
};

struct iovec {
	void *iov_base;
	size_t iov_len;
};

/* Classic tracepoint records (trace_event_raw_<class>); layouts are relocated too. */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

struct trace_event_raw_block_rq {
	struct trace_entry ent;
	dev_t dev;
	u64 sector;
	unsigned int nr_sector;
	unsigned int bytes;
	char rwbs[8];
	char comm[16];
};

/* block_rq_complete's record. Its class was block_rq_complete until commit d5869fdc189f
 * ("block: introduce block_rq_error tracepoint"), v5.18, shared it with block_rq_error:
 * older kernels' BTF has trace_event_raw_block_rq_complete, not this name. Both are here
 * (the same fields) and the program asks which one the kernel has. */
struct trace_event_raw_block_rq_completion {
	struct trace_entry ent;
	dev_t dev;
	u64 sector;
	unsigned int nr_sector;
	int error;
	char rwbs[8];
};

struct trace_event_raw_block_rq_complete {
	struct trace_entry ent;
	dev_t dev;
	u64 sector;
	unsigned int nr_sector;
	int error;
	char rwbs[8];
};

#pragma clang attribute pop

#define __VMLINUX_H__ /* tell bpf_tracing.h the pt_regs above uses kernel field names */

#endif
