/* SPDX-License-Identifier: GPL-2.0-only */
#include "blockreq/blockreq.h"
#include "util/util.h"

#include "biosnoop_event.h"
#include "biosnoop.skel.h"
#include "tracer/tracer.h"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A disk whose driver takes bios, not requests (device-mapper, md, zram, brd): no request
 * ever starts on it, so a filter on it would match nothing. Its members' names, if any, go
 * to members. */
static bool bio_based(uint32_t disk_dev, char *members, size_t size)
{
	char path[128];
	struct dirent *d;
	size_t used = 0;
	DIR *dir;

	members[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/mq", blockdev_major(disk_dev),
		 blockdev_minor(disk_dev));
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", blockdev_major(disk_dev),
		 blockdev_minor(disk_dev));
	dir = opendir(path);
	while (dir && (d = readdir(dir)) && used + 1 < size) {
		if (d->d_name[0] == '.')
			continue;
		used += (size_t)snprintf(members + used, size - used, "%s%s", used ? ", " : "",
					 d->d_name);
	}
	if (dir)
		closedir(dir);
	return true;
}

int blockreq_validate_disk(struct invocation *inv, const char *disk, struct blockdev_range *range)
{
	struct blockdev_table disks;
	char list[1024], members[256];
	struct stat st;
	uint32_t devnum;
	int err = blockdev_init(&disks, "/", 0);

	if (err) {
		err = usage_error(inv, "cannot check --disk '%s': no block device list (%s)",
				  disk, strerror(-err));
		goto out;
	}
	err = blockdev_find(&disks, disk, range);
	/* MAJ:MIN, as the DISK column shows a disk without a name */
	if (err == -ENOENT && blockdev_parse_devnum(disk, strlen(disk), &devnum) == 0)
		err = blockdev_find_devnum(&disks, devnum, range);
	/* any other path to the node: /dev/mapper/vg-lv, /dev/disk/by-id/... */
	if (err == -ENOENT && strchr(disk, '/') && stat(disk, &st) == 0 &&
	    S_ISBLK(st.st_mode))
		err = blockdev_find_devnum(&disks, blockdev_kdev(major(st.st_rdev), minor(st.st_rdev)),
					   range);
	if (err == -ENOENT) {
		blockdev_list(&disks, list, sizeof(list));
		err = usage_error(inv, "unknown disk '%s'; disks here: %s",
				  disk, list[0] ? list : "none");
	} else if (err) {
		err = usage_error(inv, "partition '%s' has no size", disk);
	} else if (bio_based(range->disk_dev, members, sizeof(members))) {
		err = members[0] ?
			usage_error(inv, "'%s' passes its I/O on to %s as their own requests: trace "
					 "those (-d %.*s), or leave out -d", disk, members,
				    (int)strcspn(members, ","), members) :
			usage_error(inv, "'%s' is not a request-based disk (no blk-mq queue): its I/O "
					 "never becomes block requests, so %s has nothing to show on it",
				    disk, inv->progname);
	}
out:
	blockdev_free(&disks);
	return err;
}

/* Entries whose completion no probe saw would otherwise stay until the table is full.
 * Walking the table costs a syscall per entry, so only every few seconds; keys are
 * collected first because deleting during the walk restarts it. */
#define SWEEP_BATCH 256

static void sweep_stale(struct bpf_map *inflight, struct losses *losses, uint64_t now_ns)
{
	struct bpf_map *map = inflight;
	struct biosnoop_inflight_key dead[SWEEP_BATCH], key, *prev = NULL;
	struct biosnoop_inflight v;
	size_t n_dead = 0, removed = 0;
	uint64_t since;

	while (n_dead < SWEEP_BATCH && bpf_map__get_next_key(map, prev, &key, sizeof(key)) == 0) {
		dead[n_dead] = key;
		prev = &dead[n_dead];
		if (bpf_map__lookup_elem(map, &key, sizeof(key), &v, sizeof(v), 0))
			continue;
		since = v.issue_ns ? v.issue_ns : v.queued_ns;
		if (since && now_ns > since && now_ns - since > BIOSNOOP_STALE_NS)
			n_dead++;
	}
	for (size_t i = 0; i < n_dead; i++)
		removed += bpf_map__delete_elem(map, &dead[i], sizeof(dead[i]), 0) == 0;
	if (removed)
		losses_add(losses, BIOSNOOP_STALE, removed);
}

int blockreq_open(struct blockreq *b, struct tracer *t, const struct bpf_object_open_opts *opts,
		  const struct blockdev_range *disk)
{
	struct biosnoop_bpf *skel = biosnoop_bpf__open_opts(opts);

	if (!skel)
		return errno ? -errno : -ENOMEM;
	skel->rodata->owner_known_at_creation = tracer_chosen(t, "io_start") != NULL;
	/* --debug slot-mask: fewer in-flight slots, so that the tests reach the table behind */
	skel->rodata->inflight_slot_mask &= t->inv->common.debug.slot_mask;
	if (t->inv->common.debug.slot_mask != UINT32_MAX)
		log_info("--debug slot-mask: in-flight slot mask 0x%x",
			 skel->rodata->inflight_slot_mask);
	if (disk) {
		skel->rodata->filter_dev = disk->disk_dev;
		skel->rodata->filter_sector_start = disk->start;
		skel->rodata->filter_sector_end = disk->end;
	}
	b->skel = skel;
	return 0;
}

void blockreq_close(struct blockreq *b)
{
	biosnoop_bpf__destroy(b->skel);
	b->skel = NULL;
	blockdev_free(&b->disks);
	losses_free(&b->losses);
	b->started = false;
}

int blockreq_start(struct blockreq *b, struct tracer *t, const struct loss_kind *kinds,
		   size_t n_kinds)
{
	int err = blockdev_init(&b->disks, "/", t->start.mono_ns);

	if (err)
		log_warn("cannot read block device names (%s): disks are shown as MAJ:MIN",
			 strerror(-err));
	err = losses_init(&b->losses, b->skel->maps.counters, kinds, n_kinds);
	if (err)
		return err;
	b->swept_ns = t->start.mono_ns;
	b->started = true;
	return 0;
}

void blockreq_tick(struct blockreq *b, uint64_t now_ns)
{
	if (!b->started || now_ns - b->swept_ns < 5000000000ULL)
		return;
	sweep_stale(b->skel->maps.inflight, &b->losses, now_ns);
	b->swept_ns = now_ns;
}
