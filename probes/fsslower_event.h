/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between fsslower.bpf.c and tools/fsslower/ (every member of the family, zfsslower
 * included: one event layout, one printer). */
#ifndef IOTRACE_FSSLOWER_EVENT_H
#define IOTRACE_FSSLOWER_EVENT_H

#define FSSLOWER_COMM_LEN 16
#define FSSLOWER_NAME_LEN 64

enum fsslower_op { FS_OP_READ = 'R', FS_OP_WRITE = 'W', FS_OP_OPEN = 'O', FS_OP_FSYNC = 'S' };

struct fsslower_event {
	unsigned long long ts_ns;  /* return, CLOCK_MONOTONIC */
	unsigned long long lat_ns;
	long long offset;          /* where the data was (reads, writes): for a transfer, the
				    * kiocb's position at return minus the bytes moved, so
				    * O_APPEND writes show where they landed */
	long long bytes;           /* bytes read or written; 0 for open, fsync and errors */
	unsigned int pid;
	unsigned int op;           /* enum fsslower_op */
	int error;                 /* errno of a failed operation (a negative return), else 0 */
	unsigned int reserved;
	char comm[FSSLOWER_COMM_LEN];
	char name[FSSLOWER_NAME_LEN]; /* the file's name (last path component) */
};

/* The in-flight table's key: a thread can be inside two traced calls at once, of different
 * operations only (an O_SYNC write syncs through the file system's fsync before returning:
 * generic_write_sync -> vfs_fsync_range -> ext4_sync_file, xfs_file_fsync, btrfs_sync_file).
 * User space walks the table to count the calls of threads that exited. */
struct fsslower_inflight_key {
	unsigned long long pid_tgid;
	unsigned int op; /* enum fsslower_op */
	unsigned int pad;
};

enum fsslower_counter {
	FSSLOWER_LOST_RINGBUF,
	FSSLOWER_LOST_INFLIGHT,
	FSSLOWER_RETURN_UNSEEN, /* a call whose entry was seen and whose return was not */
	FSSLOWER_COUNTER_MAX,
};

#endif
