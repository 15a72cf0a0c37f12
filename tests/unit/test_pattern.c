/* SPDX-License-Identifier: GPL-2.0-only */
/* Function-name patterns (core/probe/pattern.c): every rule, with the decoys it must reject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZFS(name) { name, "zfs" }
#define VMLINUX(name) { name, NULL }

struct outcome {
	int err;
	char name[128];
	char reason[512];
};

static struct outcome resolve(const char *pattern, const char *module, const struct ksym *syms,
			      size_t n)
{
	struct outcome o;

	memset(&o, 0x55, sizeof(o)); /* out must be written even on failure */
	o.err = pattern_resolve(pattern, module, syms, n, o.name, sizeof(o.name), o.reason,
				sizeof(o.reason));
	return o;
}

#define RESOLVE(pattern, module, syms) resolve(pattern, module, syms, sizeof(syms) / sizeof(syms[0]))

static void match_classifies_suffixes(void **state)
{
	static const struct {
		const char *name;
		enum pattern_match want;
	} cases[] = {
		{ "zpl_iter_read", PATTERN_EXACT },
		{ "zpl_iter_read_ext", PATTERN_SUFFIXED },
		{ "zpl_iter_read_ext_v2", PATTERN_SUFFIXED },
		{ "zpl_iter_read_2", PATTERN_SUFFIXED },
		{ "zpl_iter_read.llvm.12345", PATTERN_SUFFIXED },
		{ "zpl_iter_read_ext.llvm.7", PATTERN_SUFFIXED },
		{ "zpl_iter_readdir", PATTERN_NO_MATCH },
		{ "zpl_iter_read2", PATTERN_NO_MATCH },
		{ "zpl_iter_reaD", PATTERN_NO_MATCH },
		{ "zpl_iter_rea", PATTERN_NO_MATCH },
		{ "zpl_iter_read_", PATTERN_NO_MATCH },
		{ "zpl_iter_read__x", PATTERN_NO_MATCH },
		{ "zpl_iter_read-x", PATTERN_NO_MATCH },
		{ "zpl_iter_read.llvm.", PATTERN_NO_MATCH },
		{ "zpl_iter_read.llvm.x", PATTERN_NO_MATCH },
		{ "zpl_iter_read.lto_priv.0", PATTERN_NO_MATCH },
		{ "zpl_iter_read.coldx", PATTERN_NO_MATCH },
		{ "zpl_iter_read.isra.0", PATTERN_CLONE },
		{ "zpl_iter_read.constprop.0", PATTERN_CLONE },
		{ "zpl_iter_read.part.3", PATTERN_CLONE },
		{ "zpl_iter_read.cold", PATTERN_CLONE },
		{ "zpl_iter_read.cold.1", PATTERN_CLONE },
		{ "zpl_iter_read.constprop.0.isra.0", PATTERN_CLONE },
		{ "zpl_iter_read_ext.isra.0", PATTERN_CLONE },
		{ "zpl_iter_read.llvm.1.cold", PATTERN_CLONE },
		{ "", PATTERN_NO_MATCH },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pattern_match got = pattern_match("zpl_iter_read*", cases[i].name);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

static void exact_pattern_accepts_only_the_name(void **state)
{
	assert_int_equal(pattern_match("blk_account_io_start", "blk_account_io_start"), PATTERN_EXACT);
	assert_int_equal(pattern_match("blk_account_io_start", "blk_account_io_start_x"),
			 PATTERN_NO_MATCH);
	assert_int_equal(pattern_match("blk_account_io_start", "blk_account_io_start.llvm.1"),
			 PATTERN_NO_MATCH);
	assert_int_equal(pattern_match("blk_account_io_start", "__blk_account_io_start"),
			 PATTERN_NO_MATCH);
	assert_int_equal(pattern_match("blk_account_io_start", "blk_account_io_start.isra.0"),
			 PATTERN_CLONE);
	/* a clone of a different, longer function is not this function's clone */
	assert_int_equal(pattern_match("blk_account_io", "blk_account_io_start.isra.0"),
			 PATTERN_NO_MATCH);
	assert_int_equal(pattern_match("blk_account_io_start", NULL), PATTERN_NO_MATCH);
}

static void exact_pattern_resolves(void **state)
{
	static const struct ksym syms[] = {
		VMLINUX("blk_account_io_start_x"), VMLINUX("blk_account_io_start"),
		VMLINUX("__blk_account_io_start"),
	};
	struct outcome o = RESOLVE("blk_account_io_start", NULL, syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "blk_account_io_start");
	assert_non_null(strstr(o.reason, "exact match"));
}

static void exact_pattern_reports_only_clones(void **state)
{
	static const struct ksym syms[] = {
		VMLINUX("blk_account_io_completion.part.0"),
		VMLINUX("blk_account_io_completion_x"),
	};
	struct outcome o = RESOLVE("blk_account_io_completion", NULL, syms);

	assert_int_equal(o.err, -ENOENT);
	assert_string_equal(o.name, "");
	assert_non_null(strstr(o.reason, "no traceable function matches blk_account_io_completion"));
	assert_non_null(strstr(o.reason, "ignored compiler clone blk_account_io_completion.part.0"));
	assert_null(strstr(o.reason, "_x"));
}

static void exact_stem_beats_suffixes(void **state)
{
	/* OpenZFS 0.6.3: zpl_read_common is a helper, zpl_read the file operation */
	static const struct ksym syms[] = {
		ZFS("zpl_read_common"), ZFS("zpl_readpage"), ZFS("zpl_read"), ZFS("zpl_readpages"),
	};
	struct outcome o = RESOLVE("zpl_read*", "zfs", syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_read");
	assert_non_null(strstr(o.reason, "exact match"));
	assert_non_null(strstr(o.reason, "passed over zpl_read_common"));
	assert_null(strstr(o.reason, "readpage"));
}

static void vendor_suffix_is_accepted(void **state)
{
	static const struct ksym syms[] = {
		ZFS("zpl_iter_readdir"), ZFS("zpl_iter_read_ext"), ZFS("zpl_iter_read.isra.0"),
		ZFS("zpl_iter_write_ext"),
	};
	struct outcome o = RESOLVE("zpl_iter_read*", "zfs", syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_iter_read_ext");
	assert_non_null(strstr(o.reason, "shortest suffixed match"));
	assert_non_null(strstr(o.reason, "ignored compiler clone zpl_iter_read.isra.0"));
}

static void llvm_suffix_is_accepted(void **state)
{
	static const struct ksym syms[] = { VMLINUX("blk_mq_start_request.llvm.4242") };
	struct outcome o = RESOLVE("blk_mq_start_request*", NULL, syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "blk_mq_start_request.llvm.4242");
}

static void letters_after_the_stem_never_match(void **state)
{
	static const struct ksym syms[] = {
		ZFS("zpl_iter_readdir"), ZFS("zpl_readpage"), ZFS("zpl_readpages"), ZFS("zpl_iter_read2"),
	};
	struct outcome o = RESOLVE("zpl_iter_read*", "zfs", syms);

	assert_int_equal(o.err, -ENOENT);
	assert_non_null(strstr(o.reason, "no traceable function matches zpl_iter_read* in [zfs]"));
	o = RESOLVE("zpl_read*", "zfs", syms);
	assert_int_equal(o.err, -ENOENT);
}

static void clones_are_never_chosen(void **state)
{
	static const struct ksym syms[] = {
		ZFS("zpl_iter_read.isra.0"), ZFS("zpl_iter_read.constprop.0"), ZFS("zpl_iter_read.part.1"),
		ZFS("zpl_iter_read.cold"), ZFS("zpl_iter_read.cold.2"),
	};
	struct outcome o = RESOLVE("zpl_iter_read*", "zfs", syms);

	assert_int_equal(o.err, -ENOENT);
	assert_non_null(strstr(o.reason, "ignored compiler clones zpl_iter_read.isra.0, "
					 "zpl_iter_read.constprop.0, zpl_iter_read.part.1, "
					 "zpl_iter_read.cold, zpl_iter_read.cold.2"));
}

static void module_must_match(void **state)
{
	static const struct ksym syms[] = {
		{ "zpl_iter_read", "spl" }, ZFS("zpl_iter_read_ext"), VMLINUX("zpl_iter_read_x"),
		ZFS("blk_mq_start_request"),
	};
	struct outcome o;

	o = RESOLVE("zpl_iter_read*", "zfs", syms);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_iter_read_ext");
	o = RESOLVE("zpl_iter_read*", NULL, syms);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_iter_read_x");
	assert_non_null(strstr(o.reason, "in vmlinux"));
	o = RESOLVE("zpl_iter_read*", "spl", syms);
	assert_string_equal(o.name, "zpl_iter_read");
	/* NULL module means vmlinux only: a module's function never matches */
	o = RESOLVE("blk_mq_start_request", NULL, syms);
	assert_int_equal(o.err, -ENOENT);
	assert_non_null(strstr(o.reason, "in vmlinux"));
	o = RESOLVE("zpl_iter_read*", "zf", syms);
	assert_int_equal(o.err, -ENOENT);
}

static void shortest_suffix_wins(void **state)
{
	static const struct ksym syms[] = {
		ZFS("zpl_iter_read_ext_v2"), ZFS("zpl_iter_read_ext"), ZFS("zpl_iter_read_extra"),
	};
	struct outcome o = RESOLVE("zpl_iter_read*", "zfs", syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_iter_read_ext");
	assert_non_null(strstr(o.reason, "passed over zpl_iter_read_ext_v2, zpl_iter_read_extra"));
}

static void equal_lengths_are_ambiguous(void **state)
{
	static const struct ksym syms[] = {
		ZFS("zpl_iter_read_abc"), ZFS("zpl_iter_read_longer"), ZFS("zpl_iter_read_xyz"),
	};
	struct outcome o = RESOLVE("zpl_iter_read*", "zfs", syms);

	assert_int_equal(o.err, -ENOTUNIQ);
	assert_string_equal(o.name, "");
	assert_non_null(strstr(o.reason, "ambiguous"));
	assert_non_null(strstr(o.reason, "zpl_iter_read_abc, zpl_iter_read_xyz"));
	assert_null(strstr(o.reason, "longer"));
}

static void repeated_names_are_one(void **state)
{
	/* static functions of the same name in several files are listed several times */
	static const struct ksym syms[] = {
		ZFS("zpl_iter_read_ext"), ZFS("zpl_iter_read_ext"), ZFS("zpl_iter_read_ext"),
	};
	struct outcome o = RESOLVE("zpl_iter_read*", "zfs", syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_iter_read_ext");
}

static void malformed_patterns_are_rejected(void **state)
{
	static const struct ksym syms[] = { VMLINUX("a"), VMLINUX("ab") };
	static const char *const bad[] = { "", "*", "a*b", "**", "a**", "*a" };
	struct outcome o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = RESOLVE(bad[i], NULL, syms);
		assert_int_equal(o.err, -EINVAL);
		assert_non_null(strstr(o.reason, "malformed"));
		assert_int_equal(pattern_match(bad[i], "a"), PATTERN_NO_MATCH);
	}
	o = RESOLVE(NULL, NULL, syms);
	assert_int_equal(o.err, -EINVAL);
	assert_int_equal(pattern_resolve("a", NULL, NULL, 1, o.name, sizeof(o.name), NULL, 0),
			 -EINVAL);
	assert_int_equal(pattern_resolve("a", NULL, syms, 2, NULL, 0, NULL, 0), -EINVAL);
}

static void small_buffers_are_safe(void **state)
{
	static const struct ksym syms[] = { ZFS("zpl_iter_read_ext"), ZFS("zpl_iter_read.isra.0") };
	char out[8], reason[12];

	memset(reason, 'x', sizeof(reason));
	assert_int_equal(pattern_resolve("zpl_iter_read*", "zfs", syms, 2, out, sizeof(out), reason,
					 sizeof(reason)),
			 -ENAMETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(strlen(reason), sizeof(reason) - 1);
	/* no reason buffer at all */
	assert_int_equal(pattern_resolve("zpl_iter_read*", "zfs", syms, 2, out, sizeof(out), NULL, 0),
			 -ENAMETOOLONG);
	assert_int_equal(pattern_resolve("zpl_iter_read*", "zfs", syms, 2, out, 1, reason, 1),
			 -ENAMETOOLONG);
	assert_string_equal(reason, "");
}

static void empty_and_null_entries_are_skipped(void **state)
{
	static const struct ksym syms[] = { { NULL, NULL }, { NULL, "zfs" }, ZFS("zpl_open") };
	struct outcome o = RESOLVE("zpl_open*", "zfs", syms);

	assert_int_equal(o.err, 0);
	assert_string_equal(o.name, "zpl_open");
	o = resolve("zpl_open", "zfs", NULL, 0);
	assert_int_equal(o.err, -ENOENT);
}

static void thousands_of_lookalikes_stay_bounded(void **state)
{
	enum { COUNT = 5000 };
	struct ksym *syms = calloc(COUNT, sizeof(*syms));
	char (*names)[32] = calloc(COUNT, sizeof(*names));
	struct outcome o;

	assert_non_null(syms);
	assert_non_null(names);
	for (int i = 0; i < COUNT; i++) {
		snprintf(names[i], sizeof(names[i]), "zpl_iter_read_%04d", i);
		syms[i] = (struct ksym){ names[i], "zfs" };
	}
	o = resolve("zpl_iter_read*", "zfs", syms, COUNT);
	assert_int_equal(o.err, -ENOTUNIQ);
	assert_non_null(strstr(o.reason, "zpl_iter_read_0000, zpl_iter_read_0001"));
	assert_non_null(strstr(o.reason, "and 4994 more"));
	assert_true(strlen(o.reason) < 300);
	free(names);
	free(syms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match_classifies_suffixes),
		cmocka_unit_test(exact_pattern_accepts_only_the_name),
		cmocka_unit_test(exact_pattern_resolves),
		cmocka_unit_test(exact_pattern_reports_only_clones),
		cmocka_unit_test(exact_stem_beats_suffixes),
		cmocka_unit_test(vendor_suffix_is_accepted),
		cmocka_unit_test(llvm_suffix_is_accepted),
		cmocka_unit_test(letters_after_the_stem_never_match),
		cmocka_unit_test(clones_are_never_chosen),
		cmocka_unit_test(module_must_match),
		cmocka_unit_test(shortest_suffix_wins),
		cmocka_unit_test(equal_lengths_are_ambiguous),
		cmocka_unit_test(repeated_names_are_one),
		cmocka_unit_test(malformed_patterns_are_rejected),
		cmocka_unit_test(small_buffers_are_safe),
		cmocka_unit_test(empty_and_null_entries_are_skipped),
		cmocka_unit_test(thousands_of_lookalikes_stay_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
