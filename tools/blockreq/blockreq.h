/* SPDX-License-Identifier: GPL-2.0-only */
/* What the block-request tools (biosnoop, biolatency) share: the probe table of their one
 * BPF object, the -d check and the sweep of requests whose completion no probe saw. */
#ifndef IOTRACE_BLOCKREQ_H
#define IOTRACE_BLOCKREQ_H

#include "blockreq/blockdev.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <stdint.h>

struct bpf_map;
struct bpf_object_open_opts;
struct tracer;

/* Their logical probes (blockreq_probes.c), the program names of probes/biosnoop.bpf.c. */
extern const struct probe_table blockreq_probe_table;

/* What a block-request tool keeps while it runs, beside its own state. */
struct blockreq {
	struct biosnoop_bpf *skel;
	struct blockdev_table disks; /* names of disks and partitions, from sysfs */
	struct losses losses;
	uint64_t swept_ns; /* last sweep of stale in-flight entries */
	bool started;      /* blockreq_start succeeded */
};

/* Open the block-request BPF object (probes/biosnoop.bpf.c) with what every tool of the
 * family needs set: the -d range (NULL: every disk), whether the chosen variant sees each
 * request's creation, --debug slot-mask. The caller sets its own rodata, then the engine
 * loads. 0 or -errno. */
int blockreq_open(struct blockreq *b, struct tracer *t, const struct bpf_object_open_opts *opts,
		  const struct blockdev_range *disk);
/* Also between the engine's attempts, before blockreq_start: everything is optional. */
void blockreq_close(struct blockreq *b);
/* After attaching: disk names (without them disks show as MAJ:MIN, with a warning) and the
 * loss counters, of these kinds. 0 or -errno. */
int blockreq_start(struct blockreq *b, struct tracer *t, const struct loss_kind *kinds,
		   size_t n_kinds);
/* Every tick: entries of the in-flight table older than BIOSNOOP_STALE_NS (their
 * completion went unseen) are removed and counted as stale, every 5 seconds. */
void blockreq_tick(struct blockreq *b, uint64_t now_ns);

/* -d DISK: a disk or partition name, MAJ:MIN, or a path to the device node, resolved to a
 * range. A disk whose driver takes bios (device-mapper, md, zram) is refused, naming its
 * member disks, which carry its requests. 0 or a usage error (-EINVAL, message printed). */
int blockreq_validate_disk(struct invocation *inv, const char *disk, struct blockdev_range *range);

#endif
