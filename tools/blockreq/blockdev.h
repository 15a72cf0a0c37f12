/* SPDX-License-Identifier: GPL-2.0-only */
/* Block device names for kernel device numbers, read from sysfs (<root>/sys/class/block) or,
 * where sysfs is missing, /proc/partitions (names only, no partition ranges).
 *
 * Device numbers here are the kernel's encoding, major << 20 | minor, as BPF programs see
 * them (gendisk major/first_minor, tracepoint records); userspace's dev_t differs.
 *
 * Everything read is treated as hostile (fixtures, fuzzing, odd drivers): every file is read
 * with a bound, every number range-checked, and entries that do not parse are left out. */
#ifndef IOTRACE_BLOCKDEV_H
#define IOTRACE_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKDEV_NAME_MAX 32 /* the kernel's DISK_NAME_LEN, with the NUL */
#define BLOCKDEV_MAX_ENTRIES 65536
#define BLOCKDEV_MAJOR_MAX 0xfffu
#define BLOCKDEV_MINOR_MAX 0xfffffu

static inline uint32_t blockdev_kdev(uint32_t major, uint32_t minor)
{
	return major << 20 | minor;
}

static inline uint32_t blockdev_major(uint32_t kdev)
{
	return kdev >> 20;
}

static inline uint32_t blockdev_minor(uint32_t kdev)
{
	return kdev & BLOCKDEV_MINOR_MAX;
}

struct blockdev_entry {
	uint32_t dev;      /* this disk's or partition's own number */
	uint32_t disk_dev; /* the whole disk's number (== dev for a disk) */
	uint64_t start;    /* first sector on the whole disk; 0 for a disk */
	uint64_t sectors;  /* size in 512-byte sectors (0 if unknown) */
	bool partition;
	char name[BLOCKDEV_NAME_MAX];
};

struct blockdev_table {
	char root[4096];
	/* Sorted by (disk_dev, partition, start, name): a disk, then its partitions in order. */
	struct blockdev_entry *entries;
	size_t count;
	bool from_proc;             /* sysfs was missing: names only */
	size_t longest_disk_name;   /* for column widths */
	size_t longest_part_name;
	uint64_t refresh_interval_ns; /* at most one re-read per interval (default 1 s) */
	uint64_t last_scan_ns;
	uint64_t last_check_ns;
	uint64_t fingerprint;       /* of /proc/partitions at the last scan */
	unsigned scans;             /* full re-reads so far (tests, -v) */
};

/* What a lookup found. disk is always set (a name, or "MAJ:MIN" when unknown); partition is
 * NULL when the sector is in no known partition. Valid until the next lookup. */
struct blockdev_hit {
	const char *disk;
	const char *partition;
	bool known;
	char unknown[24];
};

/* A -d argument resolved: the whole disk and, for a partition, its sector range. */
struct blockdev_range {
	uint32_t disk_dev;
	uint64_t start; /* first sector */
	uint64_t end;   /* one past the last sector; 0 = the whole disk */
	bool partition;
};

/* Read the table from root ("/" on a live system). now_ns starts the refresh clock (any
 * monotonic clock; lookups must use the same). Returns 0 or -errno (nothing readable). */
int blockdev_init(struct blockdev_table *t, const char *root, uint64_t now_ns);
void blockdev_free(struct blockdev_table *t);

/* Re-read everything now. On failure the old table stays. */
int blockdev_refresh(struct blockdev_table *t, uint64_t now_ns);

/* Name the disk dev and the partition holding sector. A miss re-reads the tables at most once
 * per refresh_interval_ns (an unknown disk: sysfs; an unknown partition: only when
 * /proc/partitions changed), so a device attached after start-up gets its name. */
void blockdev_resolve(struct blockdev_table *t, uint32_t dev, uint64_t sector, uint64_t now_ns,
		      struct blockdev_hit *hit);

/* Look a disk or partition up by name ("sda", "nvme0n1p2", "/dev/loop0"). -ENOENT if none. */
int blockdev_find(const struct blockdev_table *t, const char *name, struct blockdev_range *out);

/* The same by the device's own number (a disk's or a partition's), e.g. from stat() of
 * /dev/mapper/vg-lv or /dev/disk/by-id/...: -ENOENT if none. */
int blockdev_find_devnum(const struct blockdev_table *t, uint32_t dev, struct blockdev_range *out);

/* The known names, disks and partitions, ", "-separated, cut with ", ..." to fit size. */
void blockdev_list(const struct blockdev_table *t, char *buf, size_t size);

/* Parsers, exposed for tests and fuzzing. Each takes exactly len bytes (no NUL needed) and
 * accepts one trailing newline. 0 or -EINVAL / -ERANGE. */
int blockdev_parse_devnum(const char *s, size_t len, uint32_t *kdev);
int blockdev_parse_u64(const char *s, size_t len, uint64_t *out);
/* A name usable as a device name: 1..31 bytes of printable ASCII, no '/', ' ', ',', '"', '\\'. */
bool blockdev_name_ok(const char *s, size_t len);
/* Parse /proc/partitions text into entries (disks only); returns how many were stored. */
size_t blockdev_parse_proc_partitions(const char *text, size_t len, struct blockdev_entry *out,
				      size_t max);

#endif
