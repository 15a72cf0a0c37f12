/* SPDX-License-Identifier: GPL-2.0-only */
/* The block-request tools' logical probes (biosnoop's and biolatency's: one table for the one
 * BPF object, probes/biosnoop.bpf.c, whose program names it gives).
 *
 * Variants of the "block" group, in order of preference:
 *   io     block_io_start tracepoint (6.5+): owner at creation; completion at
 *          block_rq_complete, which (unlike block_io_done) batches cannot skip
 *   acct   fentry/kprobe on blk_account_io_start/done, where those are real functions
 *          (5.10; from 5.17 they are static inline, and inline means notrace)
 *   rq     block_rq_insert/issue/complete tracepoints: owner at insert, else at issue
 *   mq     fentry/kprobe on blk_mq_insert_request / blk_mq_start_request /
 *          blk_update_request + blk_mq_end_request_batch: the function path where
 *          accounting is inlined. __blk_mq_end_request is declared inline, hence notrace,
 *          on every kernel, and SCSI ends requests through it, NVMe in batches through
 *          blk_mq_end_request_batch: blk_update_request sees the first, and the batch
 *          probe is required, so that no driver's completions go unseen
 *   io-classic, rq-classic   classic tracepoints, keyed by dev+sector (no request pointer)
 * The kernel changes behind them:
 *   commit 5a80bd075f3b ("block: introduce block_io_start/block_io_done tracepoints"), v6.5
 *   commit be6bfe36db17 ("block: inline hot paths of blk_account_io_*()"), v5.16: the
 *     out-of-line half became __blk_account_io_start/done (hence those targets)
 *   commit 450b7879e345 ("block: move blk_account_io_{start,done} to blk-mq.c"), v5.17:
 *     static inline there, so absent or notrace; kprobes refuse notrace functions since
 *     commit 45408c4f9250 ("tracing: kprobes: Prohibit probing on notrace function")
 *   commit 2bd215df791b ("blk-mq: move blk_mq_sched_insert_request to blk-mq.c"), v6.4:
 *     blk_mq_sched_insert_request became blk_mq_insert_request
 *   commit a54895fa057c ("block: remove the request_queue to argument request based
 *     tracepoints"), v5.11 and 5.10.137: block_rq_insert/issue lost their queue argument
 *     (the *_q programs serve the kernels before)
 *   commit f794f3351f26 ("block: add support for blk_mq_end_request_batch()"), v5.16
 * Issue tracepoints carry the request pointer and fit every pointer-keyed variant; insert
 * is optional: requests issued directly never pass through it, and then the owner is taken
 * at issue. In the mq variant a request a task plugs (O_DIRECT writes on a block device do)
 * reaches the queue later, in a list (blk_mq_insert_requests) or from kblockd, so the
 * submitter is taken where it plugs the request: blk_add_rq_to_plug (io_plug, optional).
 * io_gone (optional) drops the entry of a request merged into another (block_rq_merge) or
 * freed (blk_mq_free_request) without a seen completion, and counts which it was. */
#include "blockreq/blockreq.h"
#include "util/util.h"

#define PTR_VARIANTS "io acct rq mq"

static const struct probe_candidate created[] = {
	CANDIDATE(ATTACH_TP_BTF, "block:block_io_start", "tp_btf_io_start", "request", "io"),
	CANDIDATE(ATTACH_RAW_TP, "block:block_io_start", "raw_tp_io_start", "request", "io"),
	CANDIDATE(ATTACH_FENTRY, "__blk_account_io_start", "fentry_acct_start", "request", "acct"),
	CANDIDATE(ATTACH_FENTRY, "blk_account_io_start", "fentry_acct_start", "request", "acct"),
	CANDIDATE(ATTACH_KPROBE, "__blk_account_io_start", "kprobe_acct_start", "request", "acct"),
	CANDIDATE(ATTACH_KPROBE, "blk_account_io_start", "kprobe_acct_start", "request", "acct"),
	CANDIDATE(ATTACH_TRACEPOINT, "block:block_io_start", "tp_io_start", NULL, "io-classic"),
};

static const struct probe_candidate inserted[] = {
	CANDIDATE(ATTACH_TP_BTF, "block:block_rq_insert", "tp_btf_rq_insert", "request", "rq"),
	CANDIDATE(ATTACH_TP_BTF, "block:block_rq_insert", "tp_btf_rq_insert_q",
		  "request_queue,request", "rq"),
	CANDIDATE(ATTACH_RAW_TP, "block:block_rq_insert", "raw_tp_rq_insert", "request", "rq"),
	CANDIDATE(ATTACH_RAW_TP, "block:block_rq_insert", "raw_tp_rq_insert_q",
		  "request_queue,request", "rq"),
	CANDIDATE(ATTACH_FENTRY, "blk_mq_insert_request", "fentry_insert_request", "request", "mq"),
	CANDIDATE(ATTACH_FENTRY, "blk_mq_sched_insert_request", "fentry_insert_request",
		  "request", "mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_mq_insert_request", "kprobe_insert_request", "request", "mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_mq_sched_insert_request", "kprobe_insert_request",
		  "request", "mq"),
	CANDIDATE(ATTACH_TRACEPOINT, "block:block_rq_insert", "tp_rq_insert", NULL, "rq-classic"),
};

static const struct probe_candidate plugged[] = {
	CANDIDATE(ATTACH_FENTRY, "blk_add_rq_to_plug", "fentry_add_rq_to_plug",
		  "blk_plug,request", "mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_add_rq_to_plug", "kprobe_add_rq_to_plug",
		  "blk_plug,request", "mq"),
};

static const struct probe_candidate issued[] = {
	CANDIDATE(ATTACH_TP_BTF, "block:block_rq_issue", "tp_btf_rq_issue",
		  "request", PTR_VARIANTS),
	CANDIDATE(ATTACH_TP_BTF, "block:block_rq_issue", "tp_btf_rq_issue_q",
		  "request_queue,request", PTR_VARIANTS),
	CANDIDATE(ATTACH_RAW_TP, "block:block_rq_issue", "raw_tp_rq_issue",
		  "request", PTR_VARIANTS),
	CANDIDATE(ATTACH_RAW_TP, "block:block_rq_issue", "raw_tp_rq_issue_q",
		  "request_queue,request", PTR_VARIANTS),
	CANDIDATE(ATTACH_FENTRY, "blk_mq_start_request", "fentry_start_request",
		  "request", "acct mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_mq_start_request", "kprobe_start_request",
		  "request", "acct mq"),
	CANDIDATE(ATTACH_TRACEPOINT, "block:block_rq_issue", "tp_rq_issue",
		  NULL, "io-classic rq-classic"),
};

/* Tracepoint variants complete at block_rq_complete, not block_io_done: a batch of NVMe
 * completions skips the accounting (and so block_io_done) when no request of it needs a
 * timestamp (iostats=0, no scheduler), while block_rq_complete fires for every request,
 * batched or not (blk_update_request, blk_complete_request). */
static const struct probe_candidate done[] = {
	CANDIDATE(ATTACH_TP_BTF, "block:block_rq_complete", "tp_btf_rq_complete",
		  "request", "io rq"),
	CANDIDATE(ATTACH_RAW_TP, "block:block_rq_complete", "raw_tp_rq_complete",
		  "request", "io rq"),
	CANDIDATE(ATTACH_FENTRY, "__blk_account_io_done", "fentry_acct_done", "request", "acct"),
	CANDIDATE(ATTACH_FENTRY, "blk_account_io_done", "fentry_acct_done", "request", "acct"),
	CANDIDATE(ATTACH_KPROBE, "__blk_account_io_done", "kprobe_acct_done", "request", "acct"),
	CANDIDATE(ATTACH_KPROBE, "blk_account_io_done", "kprobe_acct_done", "request", "acct"),
	CANDIDATE(ATTACH_FENTRY, "blk_update_request", "fentry_update_request", "request", "mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_update_request", "kprobe_update_request", "request", "mq"),
	CANDIDATE(ATTACH_TRACEPOINT, "block:block_rq_complete", "tp_rq_complete",
		  NULL, "io-classic rq-classic"),
};

static const struct probe_candidate done_batch[] = {
	CANDIDATE(ATTACH_FENTRY, "blk_mq_end_request_batch", "fentry_end_request_batch",
		  "io_comp_batch", "mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_mq_end_request_batch", "kprobe_end_request_batch",
		  "io_comp_batch", "mq"),
};

static const struct probe_candidate gone[] = {
	CANDIDATE(ATTACH_TP_BTF, "block:block_rq_merge", "tp_btf_rq_merge", "request", "io rq"),
	CANDIDATE(ATTACH_RAW_TP, "block:block_rq_merge", "raw_tp_rq_merge", "request", "io rq"),
	CANDIDATE(ATTACH_FENTRY, "blk_mq_free_request", "fentry_free_request",
		  "request", "acct mq"),
	CANDIDATE(ATTACH_KPROBE, "blk_mq_free_request", "kprobe_free_request",
		  "request", "acct mq"),
	CANDIDATE(ATTACH_TRACEPOINT, "block:block_rq_merge", "tp_rq_merge",
		  NULL, "io-classic rq-classic"),
};

static const struct probe_spec blockreq_probes[] = {
	PROBE("io_start", "request created: owner task, queue start", "block", false, created),
	PROBE("io_insert", "request queued: owner where creation is not traceable",
	      "block", true, inserted),
	PROBE("io_plug", "request plugged by its submitter: owner where creation is not traceable",
	      "block", true, plugged),
	PROBE("io_issue", "request issued to the device", "block", false, issued),
	PROBE("io_done", "request completed", "block", false, done),
	PROBE("io_done_batch", "requests completed in a batch (NVMe, polled I/O)",
	      "block", false, done_batch),
	PROBE("io_gone", "request merged away or freed: its entry goes, counted",
	      "block", true, gone),
};

static const struct probe_group blockreq_groups[] = {
	{ "block", "io acct rq mq io-classic rq-classic" },
};

const struct probe_table blockreq_probe_table = {
	.probes = blockreq_probes,
	.probe_count = ARRAY_SIZE(blockreq_probes),
	.groups = blockreq_groups,
	.group_count = ARRAY_SIZE(blockreq_groups),
	.needs_kernel_btf = true,
};
