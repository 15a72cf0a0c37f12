/* SPDX-License-Identifier: GPL-2.0-only */
/* The fsslower family: one entry per file system. Everything that differs between
 * ext4slower, xfsslower, btrfsslower, nfsslower and zfsslower is data in fs_table.c; the code
 * in fsslower.c serves them all. */
#ifndef IOTRACE_FS_TABLE_H
#define IOTRACE_FS_TABLE_H

#include "probe/probe.h"

#include <stdint.h>

struct tool;

struct fs_desc {
	const char *name;   /* as -t takes it: "ext4" */
	const char *title;  /* in messages and the table header: "ext4", "XFS", "ZFS" */
	const char *module; /* the module that registers it ("ext4", "zfs") */
	/* a symbol of the file system's own code: present in kallsyms when it is built in */
	const char *builtin_sym;
	/* superblock s_magic, compared in the kernel when a probed function may serve other file
	 * systems too; 0 = no filter (ZFS: its zpl_* functions are its own) */
	uint64_t magic;
	const struct probe_table *probes;
	const struct tool *tool; /* its own tool: ext4slower... */
};

extern const struct fs_desc fs_desc_btrfs, fs_desc_ext4, fs_desc_nfs, fs_desc_xfs, fs_desc_zfs;
extern const struct probe_table btrfsslower_probe_table, ext4slower_probe_table,
	nfsslower_probe_table, xfsslower_probe_table, zfsslower_probe_table;
extern const struct fs_desc *const fs_table[];
extern const unsigned fs_count;

/* NULL when no file system of the family has that name. */
const struct fs_desc *fs_find(const char *name);
/* "btrfs, ext4, nfs, xfs, zfs": for messages. */
const char *fs_names(void);

#endif
