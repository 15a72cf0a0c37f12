/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between zfsslower.bpf.c and tools/zfsslower/zfsslower.c. */
#ifndef IOTRACE_ZFSSLOWER_H
#define IOTRACE_ZFSSLOWER_H

#define ZFSSLOWER_COMM_LEN 16
#define ZFSSLOWER_NAME_LEN 64

enum zfsslower_op { ZFS_OP_READ = 'R', ZFS_OP_WRITE = 'W', ZFS_OP_OPEN = 'O', ZFS_OP_FSYNC = 'S' };

struct zfsslower_event {
	unsigned long long ts_ns;  /* return, CLOCK_MONOTONIC */
	unsigned long long lat_ns;
	long long offset;          /* where the data was (reads, writes): for a transfer, the
				    * kiocb's position at return minus the bytes moved, so
				    * O_APPEND writes show where they landed */
	long long bytes;           /* bytes read or written; 0 for open, fsync and errors */
	unsigned int pid;
	unsigned int op;           /* enum zfsslower_op */
	int error;                 /* errno of a failed operation (a negative return), else 0 */
	unsigned int reserved;
	char comm[ZFSSLOWER_COMM_LEN];
	char name[ZFSSLOWER_NAME_LEN]; /* the file's name (last path component) */
};

enum zfsslower_counter {
	ZFSSLOWER_LOST_RINGBUF,
	ZFSSLOWER_LOST_INFLIGHT,
	ZFSSLOWER_COUNTER_MAX,
};

#endif
