/* SPDX-License-Identifier: GPL-2.0-only */
/* The engine against fixture kernels (tests/fixtures/kernels) and injected load/attach
 * failures: the chosen candidate for every probe is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "util/util.h"

#include <errno.h>

#include "blockreq/blockreq.h"

static void biosnoop_on(const char *kernel, enum backend_kind backend, const char *start,
			enum attach_kind start_kind, const char *insert, enum attach_kind insert_kind,
			const char *issue,
			enum attach_kind issue_kind, const char *done, enum attach_kind done_kind)
{
	struct fixture *fx = setup_kernel(kernel, backend, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_start", start_kind, start);
	expect(fx->e, "io_insert", insert_kind, insert);
	expect(fx->e, "io_issue", issue_kind, issue);
	expect(fx->e, "io_done", done_kind, done);
	assert_int_equal(fx->obj.opens, 1);
	teardown(fx);
	assert_int_equal(fx->obj.closes, fx->obj.opens);
}

/* ---- automatic choices on the four real kernels ---- */

static void biosnoop_618_lockdown_uses_block_io_tracepoints(void **state)
{
	biosnoop_on("linux-6.18-lockdown", BACKEND_AUTO, "block:block_io_start", ATTACH_TP_BTF, NULL, ATTACH_TP_BTF,
		    "block:block_rq_issue", ATTACH_TP_BTF, "block:block_rq_complete", ATTACH_TP_BTF);
}

static void biosnoop_612_uses_block_io_tracepoints(void **state)
{
	biosnoop_on("linux-6.12", BACKEND_AUTO, "block:block_io_start", ATTACH_TP_BTF, NULL, ATTACH_TP_BTF,
		    "block:block_rq_issue", ATTACH_TP_BTF, "block:block_rq_complete", ATTACH_TP_BTF);
}

/* Debian's 6.1 inlines the accounting functions (inline is notrace): the request
 * tracepoints serve, owner taken at insert. */
static void biosnoop_61_uses_request_tracepoints(void **state)
{
	biosnoop_on("linux-6.1", BACKEND_AUTO, NULL, ATTACH_TP_BTF, "block:block_rq_insert", ATTACH_TP_BTF,
		    "block:block_rq_issue", ATTACH_TP_BTF, "block:block_rq_complete", ATTACH_TP_BTF);
}

/* A 6.1 build whose accounting functions stayed out of line prefers them (owner at
 * creation) over the request tracepoints. */
static void biosnoop_61_acct_uses_fentry_on_accounting(void **state)
{
	biosnoop_on("linux-6.1-acct", BACKEND_AUTO, "__blk_account_io_start", ATTACH_FENTRY, NULL, ATTACH_TP_BTF,
		    "block:block_rq_issue", ATTACH_TP_BTF, "blk_account_io_done", ATTACH_FENTRY);
}

static void biosnoop_510_uses_fentry_on_accounting(void **state)
{
	biosnoop_on("linux-5.10", BACKEND_AUTO, "blk_account_io_start", ATTACH_FENTRY, NULL, ATTACH_TP_BTF,
		    "block:block_rq_issue", ATTACH_TP_BTF, "blk_account_io_done", ATTACH_FENTRY);
}

static void biosnoop_510_old_issue_prototype(void **state)
{
	struct fixture *fx = setup_kernel("linux-5.10-old-proto", BACKEND_AUTO, &blockreq_probe_table);
	int p;

	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_start", ATTACH_FENTRY, "blk_account_io_start");
	expect(fx->e, "io_done", ATTACH_FENTRY, "blk_account_io_done");
	p = probe_index(fx->e, "io_issue");
	assert_true(engine_probe(fx->e, p)->chosen >= 0);
	assert_string_equal(engine_table(fx->e)->probes[p].candidates[engine_probe(fx->e, p)->chosen].prog,
			    "tp_btf_rq_issue_q");
	/* the one-argument program was rejected for its prototype, not by luck */
	assert_non_null(strstr(cand_state(fx->e, "io_issue", "tp_btf_rq_issue", NULL)->reason,
			       "request_queue,request"));
	teardown(fx);
}

static void no_btf_says_so_once(void **state)
{
	struct fixture *fx = setup_kernel("no-btf", BACKEND_AUTO, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "no BTF"));
	assert_non_null(strstr(engine_failure(fx->e), "--btf FILE"));
	assert_int_equal(fx->obj.opens, 0);
	teardown(fx);
}

/* ---- forced backends ---- */

static void forced_tracepoint_on_61_uses_rq_tracepoints(void **state)
{
	biosnoop_on("linux-6.1", BACKEND_TRACEPOINT, NULL, ATTACH_TP_BTF, "block:block_rq_insert", ATTACH_TP_BTF,
		    "block:block_rq_issue", ATTACH_TP_BTF, "block:block_rq_complete", ATTACH_TP_BTF);
}

/* No traceable accounting functions: the blk-mq functions themselves, with completion seen
 * where every driver passes (blk_update_request, and the batches of NVMe). */
static void forced_kprobe_on_61_uses_blk_mq_functions(void **state)
{
	biosnoop_on("linux-6.1", BACKEND_KPROBE, NULL, ATTACH_KPROBE, "blk_mq_sched_insert_request",
		    ATTACH_KPROBE,
		    "blk_mq_start_request", ATTACH_KPROBE, "blk_update_request", ATTACH_KPROBE);
}

/* A kernel with batched completions (NVMe) and no way to see them must not run the mq
 * variant without: its completions would vanish. Here the batch probe cannot attach. */
static void mq_variant_refuses_without_the_batch_probe(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.1", BACKEND_KPROBE, &blockreq_probe_table);

	fx->obj.attach_fail[0] = (struct fake_failure){ "kprobe_end_request_batch", NULL, -EINVAL };
	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "io_done_batch"));
	assert_int_equal(fx->obj.attached, 0);
	teardown(fx);
	assert_int_equal(fx->obj.closes, fx->obj.opens);
}

/* Ends are attached before beginnings: a request whose creation is seen always has its
 * completion probe in place already, and is never left waiting for one. */
static void completion_probes_attach_before_creation(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.12", BACKEND_AUTO, &blockreq_probe_table);
	const char *order[] = { "tp_btf_rq_merge", "tp_btf_rq_complete", "tp_btf_rq_issue",
				"tp_btf_io_start" };

	assert_int_equal(engine_run(fx->e, false), 0);
	assert_int_equal(fx->obj.attached, ARRAY_SIZE(order));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		assert_string_equal(fx->obj.attach_order[i], order[i]);
	teardown(fx);
}

/* Plugged requests (O_DIRECT writes) reach the queue in a list or from kblockd: their owner
 * is taken where the submitter plugs them, in the mq variant only. */
static void forced_kprobe_on_61_sees_plugged_requests(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.1", BACKEND_KPROBE, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_plug", ATTACH_KPROBE, "blk_add_rq_to_plug");
	teardown(fx);
	fx = setup_kernel("linux-6.1", BACKEND_AUTO, &blockreq_probe_table);
	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_plug", ATTACH_KPROBE, NULL);
	teardown(fx);
}

static void forced_fentry_on_612_uses_blk_mq_functions(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.12", BACKEND_FENTRY, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_start", ATTACH_FENTRY, NULL);
	expect(fx->e, "io_insert", ATTACH_FENTRY, "blk_mq_insert_request");
	expect(fx->e, "io_issue", ATTACH_FENTRY, "blk_mq_start_request");
	expect(fx->e, "io_done", ATTACH_FENTRY, "blk_update_request");
	expect(fx->e, "io_done_batch", ATTACH_FENTRY, "blk_mq_end_request_batch");
	expect(fx->e, "io_gone", ATTACH_FENTRY, "blk_mq_free_request");
	expect(fx->e, "io_plug", ATTACH_FENTRY, "blk_add_rq_to_plug");
	teardown(fx);
}

static void forced_kprobe_on_61_acct(void **state)
{
	biosnoop_on("linux-6.1-acct", BACKEND_KPROBE, "__blk_account_io_start", ATTACH_KPROBE, NULL, ATTACH_TP_BTF,
		    "blk_mq_start_request", ATTACH_KPROBE, "blk_account_io_done", ATTACH_KPROBE);
}

/* 5.16: both halves out of line under their __ names (commit be6bfe36db17); the acct
 * variant must take them as a pair, not fall to mq for want of a completion */
static void forced_kprobe_on_516_acct(void **state)
{
	biosnoop_on("linux-5.16-acct", BACKEND_KPROBE, "__blk_account_io_start", ATTACH_KPROBE, NULL,
		    ATTACH_TP_BTF, "blk_mq_start_request", ATTACH_KPROBE, "__blk_account_io_done",
		    ATTACH_KPROBE);
}

static void forced_fentry_on_510(void **state)
{
	biosnoop_on("linux-5.10", BACKEND_FENTRY, "blk_account_io_start", ATTACH_FENTRY, NULL, ATTACH_TP_BTF,
		    "blk_mq_start_request", ATTACH_FENTRY, "blk_account_io_done", ATTACH_FENTRY);
}

static void forced_kprobe_on_612_acct(void **state)
{
	biosnoop_on("linux-6.12-acct", BACKEND_KPROBE, "blk_account_io_start", ATTACH_KPROBE, NULL, ATTACH_TP_BTF,
		    "blk_mq_start_request", ATTACH_KPROBE, "blk_account_io_done", ATTACH_KPROBE);
}

static void forced_kprobe_on_618_fails_clearly(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.18-lockdown", BACKEND_KPROBE, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "kprobes"));
	assert_non_null(strstr(engine_failure(fx->e), "--backend=kprobe"));
	assert_int_equal(fx->obj.opens, 0);
	/* tracepoints were excluded, not judged */
	assert_int_equal(cand_state(fx->e, "io_start", "tp_btf_io_start", NULL)->verdict,
			 VERDICT_FILTERED);
	teardown(fx);
}

static void forced_fentry_on_618_names_lockdown(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.18-lockdown", BACKEND_FENTRY, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "EPERM"));
	assert_non_null(strstr(engine_failure(fx->e), "lockdown"));
	assert_int_equal(fx->obj.opens, 0);
	teardown(fx);
}

/* ---- failures at load and attach time ---- */

static void load_failure_falls_back_from_a_clean_object(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.12", BACKEND_AUTO, &blockreq_probe_table);
	const struct candidate_state *st;

	fx->obj.load_fail[0] = (struct fake_failure){ "tp_btf_io_start", NULL, -EINVAL };
	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_start", ATTACH_RAW_TP, "block:block_io_start");
	expect(fx->e, "io_issue", ATTACH_TP_BTF, "block:block_rq_issue");
	expect(fx->e, "io_done", ATTACH_TP_BTF, "block:block_rq_complete");
	st = cand_state(fx->e, "io_start", "tp_btf_io_start", NULL);
	assert_int_equal(st->verdict, VERDICT_LOAD_FAILED);
	assert_int_equal(st->err, -EINVAL);
	assert_non_null(strstr(st->reason, "EINVAL"));
	/* first try, one load per chosen program to find the culprit (io_start, io_issue,
	 * io_done, io_gone), then the retry */
	assert_int_equal(fx->obj.opens, 1 + 4 + 1);
	assert_int_equal(fx->obj.closes, fx->obj.opens - 1);
	assert_int_equal(fx->obj.attached, 4);
	teardown(fx);
	assert_int_equal(fx->obj.closes, fx->obj.opens);
}

/* The creation probe's tracepoint family dies (EINVAL at load, EPERM at attach): the whole
 * group moves to the accounting functions, done included, never a mixed pair. */
static void attach_failure_moves_the_whole_pair(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.12-acct", BACKEND_AUTO, &blockreq_probe_table);

	fx->obj.load_fail[0] = (struct fake_failure){ "tp_btf_io_start", NULL, -EINVAL };
	fx->obj.attach_fail[0] = (struct fake_failure){ "raw_tp_io_start", NULL, -EPERM };
	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "io_start", ATTACH_FENTRY, "blk_account_io_start");
	expect(fx->e, "io_done", ATTACH_FENTRY, "blk_account_io_done");
	expect(fx->e, "io_issue", ATTACH_TP_BTF, "block:block_rq_issue");
	assert_int_equal(cand_state(fx->e, "io_start", "raw_tp_io_start", NULL)->verdict,
			 VERDICT_ATTACH_FAILED);
	assert_int_equal(cand_state(fx->e, "io_start", "raw_tp_io_start", NULL)->err, -EPERM);
	expect(fx->e, "io_gone", ATTACH_FENTRY, "blk_mq_free_request");
	assert_int_equal(fx->obj.attached, 4);
	teardown(fx);
	assert_int_equal(fx->obj.closes, fx->obj.opens);
}

static void nothing_works_leaves_nothing_attached(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.18-lockdown", BACKEND_AUTO, &blockreq_probe_table);
	static const char *const progs[] = { "tp_btf_rq_issue", "raw_tp_rq_issue", "tp_rq_issue" };

	for (int i = 0; i < 3; i++)
		fx->obj.attach_fail[i] = (struct fake_failure){ progs[i], NULL, -EINVAL };
	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_int_equal(fx->obj.attached, 0);
	assert_int_equal(fx->obj.closes, fx->obj.opens);
	assert_false(fx->obj.is_open);
	assert_non_null(strstr(engine_failure(fx->e), "io_issue"));
	assert_non_null(strstr(engine_failure(fx->e), "attach failed"));
	teardown(fx);
}

static void load_only_closes_again(void **state)
{
	struct fixture *fx = setup_kernel("linux-6.18-lockdown", BACKEND_AUTO, &blockreq_probe_table);

	assert_int_equal(engine_run(fx->e, true), 0);
	assert_int_equal(fx->obj.attached, 0);
	assert_false(fx->obj.is_open);
	assert_int_equal(fx->obj.loads, 1);
	teardown(fx);
}

/* Every attach kind has a backend that says it is of that kind, and the kinds' names are
 * spelled once: what --backend parses is what messages, completion and reports print. */
static void every_kind_has_its_backend_and_one_name(void **state)
{
	char list[128];
	enum backend_kind parsed;

	for (int k = 0; k < ATTACH_KIND_COUNT; k++) {
		const struct backend *b = backend_for((enum attach_kind)k);

		assert_non_null(b);
		assert_int_equal(b->kind, attach_kind_backend((enum attach_kind)k));
		assert_int_not_equal(b->kind, BACKEND_AUTO);
	}
	for (int k = 0; k < BACKEND_KIND_COUNT; k++) {
		assert_int_equal(backend_kind_parse(backend_kind_name((enum backend_kind)k), &parsed), 0);
		assert_int_equal(parsed, k);
	}
	assert_int_equal(backend_kind_parse("TRACEPOINT", &parsed), -EINVAL);
	assert_int_equal(backend_kind_parse("", &parsed), -EINVAL);
	backend_kind_list(list, sizeof(list), ", ", " or ");
	assert_string_equal(list, "auto, tracepoint, fentry or kprobe");
	/* a short buffer is cut, never overrun */
	assert_int_equal(backend_kind_list(list, 6, " ", " "), 5);
	assert_string_equal(list, "auto ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(biosnoop_618_lockdown_uses_block_io_tracepoints),
		cmocka_unit_test(biosnoop_612_uses_block_io_tracepoints),
		cmocka_unit_test(biosnoop_61_uses_request_tracepoints),
		cmocka_unit_test(biosnoop_61_acct_uses_fentry_on_accounting),
		cmocka_unit_test(biosnoop_510_uses_fentry_on_accounting),
		cmocka_unit_test(biosnoop_510_old_issue_prototype),
		cmocka_unit_test(no_btf_says_so_once),
		cmocka_unit_test(forced_tracepoint_on_61_uses_rq_tracepoints),
		cmocka_unit_test(forced_kprobe_on_61_uses_blk_mq_functions),
		cmocka_unit_test(forced_kprobe_on_61_sees_plugged_requests),
		cmocka_unit_test(forced_fentry_on_612_uses_blk_mq_functions),
		cmocka_unit_test(forced_kprobe_on_61_acct),
		cmocka_unit_test(forced_kprobe_on_516_acct),
		cmocka_unit_test(forced_fentry_on_510),
		cmocka_unit_test(forced_kprobe_on_612_acct),
		cmocka_unit_test(forced_kprobe_on_618_fails_clearly),
		cmocka_unit_test(forced_fentry_on_618_names_lockdown),
		cmocka_unit_test(load_failure_falls_back_from_a_clean_object),
		cmocka_unit_test(attach_failure_moves_the_whole_pair),
		cmocka_unit_test(mq_variant_refuses_without_the_batch_probe),
		cmocka_unit_test(completion_probes_attach_before_creation),
		cmocka_unit_test(nothing_works_leaves_nothing_attached),
		cmocka_unit_test(load_only_closes_again),
		cmocka_unit_test(every_kind_has_its_backend_and_one_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
