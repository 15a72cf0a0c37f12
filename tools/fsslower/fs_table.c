/* SPDX-License-Identifier: GPL-2.0-only */
/* The fsslower family's file systems: names only. Adding one is an entry here (its
 * functions, module, s_magic) and a tool line in fsslower.c, no new code.
 *
 * The functions are each file system's own file_operations (read_iter, write_iter, open,
 * fsync), which Debian's 5.10, 6.1, 6.12 and this project's 6.18 all have under the same
 * names (nm of the modules, /proc/kallsyms on 6.18). Where a file system once used a
 * generic function instead (btrfs read through generic_file_read_iter and opened through
 * generic_file_open before 5.x), that function is the last candidate, and the BPF side keeps
 * only files of the wanted s_magic, since every other file system calls it too.
 * A file system may be a module (Debian) or built in (this 6.18): each function is a
 * candidate in the module and in vmlinux, fentry before kprobe (fentry needs BTF for the
 * module: Debian has it since 6.1, not on 5.10). */
#include "fsslower/fs_table.h"
#include "util/util.h"

#include <string.h>

/* one of the file system's own functions, in its module or built in */
#define FS_FN(mod, fn, prog, proto)                                                                \
	CANDIDATE_PAIR(ATTACH_FENTRY, fn, mod, "fentry_" prog, "fexit_" prog, proto),              \
	CANDIDATE_PAIR(ATTACH_FENTRY, fn, NULL, "fentry_" prog, "fexit_" prog, proto),             \
	CANDIDATE_PAIR(ATTACH_KPROBE, fn, mod, "kprobe_" prog, "kretprobe_" prog, proto),          \
	CANDIDATE_PAIR(ATTACH_KPROBE, fn, NULL, "kprobe_" prog, "kretprobe_" prog, proto)

/* a function the kernel shares between file systems: always in vmlinux, filtered by s_magic */
#define SHARED_FN(fn, prog, proto)                                                                 \
	CANDIDATE_PAIR(ATTACH_FENTRY, fn, NULL, "fentry_" prog, "fexit_" prog, proto),             \
	CANDIDATE_PAIR(ATTACH_KPROBE, fn, NULL, "kprobe_" prog, "kretprobe_" prog, proto)

/* a probe with that one function as its only candidates */
#define FS_ONLY(var, mod, fn, prog, proto)                                                         \
	static const struct probe_candidate var[] = { FS_FN(mod, fn, prog, proto) }

#define RW "kiocb,iov_iter"
#define OPEN "inode,file"
#define FSYNC "file"

/* The four logical probes every member has; open and fsync are optional (zfsslower's
 * choice, kept): the reads and writes are the point. */
#define FS_PROBES(title, r, w, o, s)                                                               \
	PROBE("read", title " file read (entry and return)", NULL, false, r),                     \
	PROBE("write", title " file write (entry and return)", NULL, false, w),                   \
	PROBE("open", title " file open (entry and return)", NULL, true, o),                      \
	PROBE("fsync", title " fsync (entry and return)", NULL, true, s)

#define FS_TABLE(var, ...)                                                                         \
	static const struct probe_spec var##_specs[] = { __VA_ARGS__ };                           \
	const struct probe_table var = { .probes = var##_specs,                                   \
					 .probe_count = ARRAY_SIZE(var##_specs),                           \
					 .needs_kernel_btf = true }

/* ---- ext4 (also serves ext2/ext3 mounts: same s_magic, as BCC's ext4slower) -------------- */
FS_ONLY(ext4_reads, "ext4", "ext4_file_read_iter", "iter_read", RW);
FS_ONLY(ext4_writes, "ext4", "ext4_file_write_iter", "iter_write", RW);
FS_ONLY(ext4_opens, "ext4", "ext4_file_open", "open", OPEN);
FS_ONLY(ext4_fsyncs, "ext4", "ext4_sync_file", "fsync", FSYNC);
FS_TABLE(ext4slower_probe_table,
	 FS_PROBES("ext4", ext4_reads, ext4_writes, ext4_opens, ext4_fsyncs));

/* ---- XFS ------------------------------------------------------------------------------------ */
FS_ONLY(xfs_reads, "xfs", "xfs_file_read_iter", "iter_read", RW);
FS_ONLY(xfs_writes, "xfs", "xfs_file_write_iter", "iter_write", RW);
FS_ONLY(xfs_opens, "xfs", "xfs_file_open", "open", OPEN);
FS_ONLY(xfs_fsyncs, "xfs", "xfs_file_fsync", "fsync", FSYNC);
FS_TABLE(xfsslower_probe_table, FS_PROBES("XFS", xfs_reads, xfs_writes, xfs_opens, xfs_fsyncs));

/* ---- Btrfs: its own read_iter and open since 5.x; before, the generic ones -------------- */
static const struct probe_candidate btrfs_reads[] = {
	FS_FN("btrfs", "btrfs_file_read_iter", "iter_read", RW),
	SHARED_FN("generic_file_read_iter", "iter_read", RW),
};
FS_ONLY(btrfs_writes, "btrfs", "btrfs_file_write_iter", "iter_write", RW);
static const struct probe_candidate btrfs_opens[] = {
	FS_FN("btrfs", "btrfs_file_open", "open", OPEN),
	SHARED_FN("generic_file_open", "open", OPEN),
};
FS_ONLY(btrfs_fsyncs, "btrfs", "btrfs_sync_file", "fsync", FSYNC);
FS_TABLE(btrfsslower_probe_table,
	 FS_PROBES("Btrfs", btrfs_reads, btrfs_writes, btrfs_opens, btrfs_fsyncs));

/* ---- NFS client: v2/v3 open through nfs_file_open, v4 through nfs4_file_open (nfsv4.ko) ---- */
FS_ONLY(nfs_reads, "nfs", "nfs_file_read", "iter_read", RW);
FS_ONLY(nfs_writes, "nfs", "nfs_file_write", "iter_write", RW);
FS_ONLY(nfs_opens, "nfs", "nfs_file_open", "open", OPEN);
FS_ONLY(nfs4_opens, "nfsv4", "nfs4_file_open", "open2", OPEN);
FS_ONLY(nfs_fsyncs, "nfs", "nfs_file_fsync", "fsync", FSYNC);
FS_TABLE(nfsslower_probe_table, FS_PROBES("NFS", nfs_reads, nfs_writes, nfs_opens, nfs_fsyncs),
	 PROBE("open_v4", "NFSv4 file open (entry and return)", NULL, true, nfs4_opens));

/* ---- ZFS ------------------------------------------------------------------------------------
 * The read/write entry points changed names across OpenZFS versions and kernels:
 *   zpl_read / zpl_write (file, buf, len, ppos): from commit 1efb473f8919 ("Add Hooks for
 *     Linux File Operations"), zfs-0.6.0-rc1, to commit 933ec999511f ("Retire .write/.read
 *     file operations"), zfs-0.7.0-rc4
 *   zpl_aio_read / zpl_aio_write (kiocb, iovec, nr_segs, pos), on older kernels: from commit
 *     cd3939c5f069 ("Linux AIO Support"), zfs-0.6.4, to commit 72be1f4062ae ("config:
 *     remove HAVE_VFS_RW_ITERATE"), zfs-2.3.0-rc1
 *   zpl_iter_read / zpl_iter_write (kiocb, iov_iter): from commit 57ae840077e6 ("Linux 4.1
 *     compat: use read_iter() / write_iter()"), zfs-0.6.5; 2.3+ only these
 *   zpl_fsync since 1efb473f8919 (zfs-0.6.0-rc1), zpl_open since commit 126400a1ca65 ("Add
 *     zfs_open()/zfs_close()"), zfs-0.6.0-rc2
 * Vendor builds may add suffixes (zpl_iter_read_ext), hence the patterns; the old names are
 * matched exactly because zpl_read_common (a helper with another signature) sits beside them.
 * fentry needs BTF for the zfs module, which Debian's DKMS builds do not have: kprobes then.
 * ZFS is never built into Linux: the module only. */
#define ZFS_PAIR(kind, target, entry, ret, proto)                                            \
	CANDIDATE_PAIR(kind, target, "zfs", entry, ret, proto)

static const struct probe_candidate zfs_reads[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_iter_read*", "fentry_iter_read", "fexit_iter_read",
		 "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_aio_read*", "fentry_aio_read", "fexit_aio_read",
		 "kiocb,iovec"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_read", "fentry_read", "fexit_read", "file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_iter_read*", "kprobe_iter_read", "kretprobe_iter_read",
		 "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_aio_read*", "kprobe_aio_read", "kretprobe_aio_read",
		 "kiocb,iovec"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_read", "kprobe_read", "kretprobe_read", "file"),
};

static const struct probe_candidate zfs_writes[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_iter_write*", "fentry_iter_write", "fexit_iter_write",
		 "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_aio_write*", "fentry_aio_write", "fexit_aio_write",
		 "kiocb,iovec"),
	ZFS_PAIR(ATTACH_FENTRY, "zpl_write", "fentry_write", "fexit_write", "file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_iter_write*", "kprobe_iter_write", "kretprobe_iter_write",
		 "kiocb,iov_iter"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_aio_write*", "kprobe_aio_write", "kretprobe_aio_write",
		 "kiocb,iovec"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_write", "kprobe_write", "kretprobe_write", "file"),
};

static const struct probe_candidate zfs_opens[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_open*", "fentry_open", "fexit_open", "inode,file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_open*", "kprobe_open", "kretprobe_open", "inode,file"),
};

static const struct probe_candidate zfs_fsyncs[] = {
	ZFS_PAIR(ATTACH_FENTRY, "zpl_fsync*", "fentry_fsync", "fexit_fsync", "file"),
	ZFS_PAIR(ATTACH_KPROBE, "zpl_fsync*", "kprobe_fsync", "kretprobe_fsync", "file"),
};

/* zfsslower's descriptions, as `iotrace probes zfsslower` has always printed them */
FS_TABLE(zfsslower_probe_table,
	 PROBE("read", "ZFS file read (entry and return)", NULL, false, zfs_reads),
	 PROBE("write", "ZFS file write (entry and return)", NULL, false, zfs_writes),
	 PROBE("open", "ZFS file open (entry and return)", NULL, true, zfs_opens),
	 PROBE("fsync", "ZFS fsync (entry and return)", NULL, true, zfs_fsyncs));

/* ---- the family ----------------------------------------------------------------------------- */
extern const struct tool tool_btrfsslower, tool_ext4slower, tool_nfsslower, tool_xfsslower,
	tool_zfsslower;

/* s_magic values from include/uapi/linux/magic.h; ZFS's zpl_* functions are its own: no filter.
 * builtin_sym: a function of the file system's own, in kallsyms when it is built in */
const struct fs_desc fs_desc_btrfs = { "btrfs", "Btrfs", "btrfs", "btrfs_file_write_iter",
				       0x9123683EULL, &btrfsslower_probe_table, &tool_btrfsslower };
const struct fs_desc fs_desc_ext4 = { "ext4", "ext4", "ext4", "ext4_file_write_iter", 0xEF53ULL,
				      &ext4slower_probe_table, &tool_ext4slower };
const struct fs_desc fs_desc_nfs = { "nfs", "NFS", "nfs", "nfs_file_write", 0x6969ULL,
				     &nfsslower_probe_table, &tool_nfsslower };
const struct fs_desc fs_desc_xfs = { "xfs", "XFS", "xfs", "xfs_file_write_iter", 0x58465342ULL,
				     &xfsslower_probe_table, &tool_xfsslower };
const struct fs_desc fs_desc_zfs = { "zfs", "ZFS", "zfs", NULL, 0, &zfsslower_probe_table,
				     &tool_zfsslower };

/* sorted by name */
const struct fs_desc *const fs_table[] = { &fs_desc_btrfs, &fs_desc_ext4, &fs_desc_nfs,
					    &fs_desc_xfs, &fs_desc_zfs };
const unsigned fs_count = ARRAY_SIZE(fs_table);

const struct fs_desc *fs_find(const char *name)
{
	for (unsigned i = 0; i < fs_count; i++)
		if (!strcmp(fs_table[i]->name, name))
			return fs_table[i];
	return NULL;
}

const char *fs_names(void)
{
	return "btrfs, ext4, nfs, xfs, zfs";
}
