/* SPDX-License-Identifier: GPL-2.0-only */
/* What the block-request tools (biosnoop, biolatency) share beyond the probe table and the
 * BPF object: the -d check and the sweep of requests whose completion no probe saw. */
#ifndef IOTRACE_BLOCKREQ_H
#define IOTRACE_BLOCKREQ_H

#include "blockreq/blockdev.h"
#include "tracer/tracer.h"
#include "cli/cli.h"

#include <stdint.h>

struct bpf_map;
struct bpf_object_open_opts;
struct tracer;

/* The block-request BPF object (probes/biosnoop.bpf.c) opened for a tool of this family,
 * with the settings every one of them needs: the -d range (NULL: every disk) and whether the
 * chosen variant sees each request's creation. The caller sets its own rodata, then loads.
 * NULL with errno set on failure. */
struct biosnoop_bpf *blockreq_open_object(struct tracer *t, const struct bpf_object_open_opts *opts,
					  const struct blockdev_range *disk);

/* -d DISK: a disk or partition name, MAJ:MIN, or a path to the device node, resolved to a
 * range. A disk whose driver takes bios (device-mapper, md, zram) is refused, naming its
 * member disks, which carry its requests. 0 or a usage error (-EINVAL, message printed). */
int blockreq_validate_disk(struct invocation *inv, const char *disk, struct blockdev_range *range);

/* Entries of the in-flight table older than BIOSNOOP_STALE_NS (their completion went
 * unseen) are removed and counted as stale: at most a batch per call, each a syscall. */
void blockreq_sweep_stale(struct bpf_map *inflight, struct losses *losses, uint64_t now_ns);

#endif
