/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between zfsslower.bpf.c and tools/zfsslower.c. */
#ifndef IOTRACE_ZFSSLOWER_H
#define IOTRACE_ZFSSLOWER_H

#define ZFSSLOWER_COMM_LEN 16
#define ZFSSLOWER_NAME_LEN 64

enum zfsslower_op { ZFS_OP_READ = 'R', ZFS_OP_WRITE = 'W', ZFS_OP_OPEN = 'O', ZFS_OP_FSYNC = 'S' };

struct zfsslower_event {
	unsigned long long ts_ns;  /* return, CLOCK_MONOTONIC */
	unsigned long long lat_ns;
	long long offset;          /* file position at entry (reads, writes) */
	long long bytes;           /* return value of reads and writes; 0 for open and fsync */
	unsigned int pid;
	unsigned int op;           /* enum zfsslower_op */
	char comm[ZFSSLOWER_COMM_LEN];
	char name[ZFSSLOWER_NAME_LEN]; /* the file's name (last path component) */
};

enum zfsslower_counter {
	ZFSSLOWER_LOST_RINGBUF,
	ZFSSLOWER_LOST_INFLIGHT,
	ZFSSLOWER_COUNTER_MAX,
};

#endif
