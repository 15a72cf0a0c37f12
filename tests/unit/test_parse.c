/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capture.h"
#include "util/util.h"

#include <errno.h>
#include <stdint.h>

static void u64_accepts_only_plain_numbers(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_u64("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_u64("11", 10, &v), -ERANGE);
	assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999", UINT64_MAX, &v), -ERANGE);
	const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.5", "abc", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(parse_u64(bad[i], 100, &v), -EINVAL);
	assert_int_equal(parse_u64(NULL, 100, &v), -EINVAL);
}

static void decimal_scales_and_rejects(void **state)
{
	uint64_t ns = 0;

	assert_int_equal(parse_decimal_ns("1.5", 1000000, UINT64_MAX, &ns), 0);
	assert_true(ns == 1500000);
	assert_int_equal(parse_decimal_ns("0", 1000000, UINT64_MAX, &ns), 0);
	assert_true(ns == 0);
	assert_int_equal(parse_decimal_ns("0.000001", 1000000, UINT64_MAX, &ns), 0);
	assert_true(ns == 1);
	assert_int_equal(parse_decimal_ns("2", 1000000000, UINT64_MAX, &ns), 0);
	assert_true(ns == 2000000000ULL);
	assert_int_equal(parse_decimal_ns("11", 1000000, 10000000, &ns), -ERANGE);
	assert_int_equal(parse_decimal_ns("18446744073709551615", 1000000, UINT64_MAX, &ns), -ERANGE);
	const char *bad[] = { "", ".", "1.", ".5", "-1", "1e3", "1.2.3", "1,5", "0.1234567891", "nan", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(parse_decimal_ns(bad[i], 1000000, UINT64_MAX, &ns), -EINVAL);
}

/* Every bad command line: exit 2, exactly one line on stderr, naming the problem and
 * pointing at --help. */
struct bad_case {
	const char *argv[6];
	const char *expect;
};

static const struct bad_case bad_cases[] = {
	{ { "iotrace", "biosnoop", "--min-ms" }, "--min-ms" },
	{ { "iotrace", "biosnoop", "--min-ms", "abc" }, "invalid --min-ms 'abc'" },
	{ { "iotrace", "biosnoop", "--min-ms", "-5" }, "invalid --min-ms '-5'" },
	{ { "iotrace", "biosnoop", "--min-ms", "99999999999999999999" }, "invalid --min-ms" },
	{ { "iotrace", "biosnoop", "-m", "4000000" }, "invalid --min-ms '4000000'" },
	{ { "iotrace", "biosnoop", "--duration", "0" }, "invalid --duration '0'" },
	{ { "iotrace", "biosnoop", "-D", "-1" }, "invalid --duration '-1'" },
	{ { "iotrace", "biosnoop", "-D", "1y" }, "invalid --duration '1y'" },
	{ { "iotrace", "biosnoop", "--json", "--csv" }, "cannot be combined" },
	{ { "iotrace", "biosnoop", "--backend", "uprobe" }, "invalid --backend 'uprobe'" },
	{ { "iotrace", "biosnoop", "--backend=" }, "invalid --backend ''" },
	{ { "iotrace", "biosnoop", "--btf=" }, "invalid --btf" },
	{ { "iotrace", "biosnoop", "--no-such-option" }, "--no-such-option" },
	{ { "iotrace", "biosnoop", "-Z" }, "-- 'Z'" },
	{ { "iotrace", "probes" }, "missing TOOL" },
	{ { "iotrace", "probes", "biosnoop", "extra" }, "unexpected argument 'extra'" },
	{ { "iotrace", "probes", "probes" }, "'probes' is not a tracing tool" },
};

static void bad_command_lines(void **state)
{
	static struct captured c;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		int argc = 0;

		while (argc < 6 && bc->argv[argc])
			argc++;
		run_captured(&c, argc, bc->argv);
		if (c.status != 2 || count_lines(c.err) != 1 || !strstr(c.err, bc->expect) ||
		    !strstr(c.err, "--help'")) {
			print_error("case %zu (%s %s ...): status %d, stderr:\n%s\n", i, bc->argv[1],
				    bc->argv[2] ? bc->argv[2] : "", c.status, c.err);
			fail();
		}
		assert_string_equal(c.out, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u64_accepts_only_plain_numbers),
		cmocka_unit_test(decimal_scales_and_rejects),
		cmocka_unit_test(bad_command_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
