/* SPDX-License-Identifier: GPL-2.0-only */
/* biolatency without BPF: the histogram set (from map entries, differences between reads),
 * BCC's table layout, flag names, JSON, the OpenMetrics exposition, and the usage errors of
 * its options (in test_usage_errors.c's style: exit 2, one line naming the value). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capture.h"
#include "biolatency/biolatency_hist.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct outbuf out; /* never flushed: the test reads out.data */

static void begin(void)
{
	outbuf_init(&out, -1);
}

static const char *text(void)
{
	out.data[out.len] = '\0';
	return out.data;
}

static void add(struct biolat_set *s, uint32_t dev, const char *rwbs, uint32_t slot,
		uint64_t count, uint64_t sum_ns)
{
	struct biolat_key k;
	struct biolat_value v = { count, sum_ns };

	memset(&k, 0, sizeof(k));
	k.dev = dev;
	k.slot = slot;
	strncpy(k.rwbs, rwbs, sizeof(k.rwbs) - 1);
	assert_int_equal(biolat_set_add(s, &k, &v), 0);
}

/* ---- the table ---------------------------------------------------------------------------- */

static void log2_rows_match_bcc(void **state)
{
	uint64_t slots[BIOLAT_SLOTS] = { 0 };
	static const char want[] =
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 0        |                                        |\n"
		"         2 -> 3          : 1        |**                                      |\n"
		"         4 -> 7          : 20       |****************************************|\n"
		"         8 -> 15         : 10       |********************                    |\n"
		"        16 -> 31         : 0        |                                        |\n"
		"        32 -> 63         : 3        |******                                  |\n";

	slots[1] = 1, slots[2] = 20, slots[3] = 10, slots[5] = 3;
	begin();
	biolat_print_log2(&out, slots, BIOLAT_SLOTS, "usecs");
	assert_string_equal(text(), want);
}

static void empty_histogram_prints_nothing(void **state)
{
	uint64_t slots[BIOLAT_SLOTS] = { 0 };

	begin();
	biolat_print_log2(&out, slots, BIOLAT_SLOTS, "usecs");
	assert_string_equal(text(), "");
}

/* Past slot 32 BCC widens the bounds to 20 characters and halves the bar. */
static void wide_bounds_halve_the_bar(void **state)
{
	uint64_t slots[BIOLAT_SLOTS] = { 0 };
	const char *t;

	slots[33] = 4;
	begin();
	biolat_print_log2(&out, slots, BIOLAT_SLOTS, "msecs");
	t = text();
	assert_non_null(strstr(t, "               msecs                         : count    distribution\n"));
	assert_non_null(strstr(t, "          8589934592 -> 17179869183          : 4        |********************|\n"));
}

static void table_sections_and_extension(void **state)
{
	struct biolat_set s = { 0 };
	struct biolat_print_opts p = { .per_disk = true, .per_flags = true, .extended = true };

	add(&s, 7 << 20, "WS", 3, 2, 20000);
	biolat_set_sort(&s);
	snprintf(s.h[0].disk, sizeof(s.h[0].disk), "loop0");
	begin();
	biolat_print_table(&out, &s, &p, "12:34:56");
	assert_string_equal(text(),
		"\n12:34:56\n"
		"\ndisk = loop0\tflags = Sync-Write\n"
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 0        |                                        |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 0        |                                        |\n"
		"         8 -> 15         : 2        |****************************************|\n"
		"\navg = 10 usecs, total: 20 usecs, count: 2\n");
	biolat_set_free(&s);
}

static void flag_names_as_bcc(void **state)
{
	static const char *const cases[][2] = {
		{ "R", "Read" }, { "W", "Write" }, { "WS", "Sync-Write" }, { "RA", "ReadAhead-Read" },
		{ "FWS", "PreFlush-Sync-Write" }, { "WFS", "FUA-Sync-Write" }, { "F", "Flush" },
		{ "FF", "PreFlush-Flush" }, { "D", "Discard" }, { "DE", "SecureErase" },
		{ "RM", "Metadata-Read" }, { "N", "Unknown" }, { "", "Unknown" },
	};
	char buf[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		biolat_flags_name(cases[i][0], buf, sizeof(buf));
		assert_string_equal(buf, cases[i][1]);
	}
}

/* ---- reads and their differences ------------------------------------------------------------ */

static void delta_is_growth_since_the_previous_read(void **state)
{
	struct biolat_set prev = { 0 }, now = { 0 }, d = { 0 };

	add(&prev, 2, "", 4, 10, 1000);
	add(&now, 2, "", 4, 15, 1600);
	add(&now, 2, "", 5, 1, 40);
	add(&now, 1, "", 0, 3, 3); /* a disk first seen in this interval */
	biolat_set_sort(&prev);
	biolat_set_sort(&now);
	assert_int_equal(biolat_set_delta(&now, &prev, &d), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.h[0].dev, 1);
	assert_int_equal(d.h[0].count, 3);
	assert_int_equal(d.h[1].dev, 2);
	assert_int_equal(d.h[1].slots[4], 5);
	assert_int_equal(d.h[1].slots[5], 1);
	assert_int_equal(d.h[1].count, 6);
	assert_int_equal(d.h[1].sum_ns, 640);
	biolat_set_free(&prev);
	biolat_set_free(&now);
	biolat_set_free(&d);
}

static void slot_out_of_range_is_refused(void **state)
{
	struct biolat_set s = { 0 };
	struct biolat_key k = { .slot = BIOLAT_SLOTS };
	struct biolat_value v = { 1, 1 };

	assert_int_equal(biolat_set_add(&s, &k, &v), -ERANGE);
	biolat_set_free(&s);
}

/* ---- JSON and OpenMetrics -------------------------------------------------------------------- */

static void json_one_line_per_interval(void **state)
{
	struct biolat_set s = { 0 };
	struct biolat_print_opts p = { 0 };

	add(&s, 0, "", 1, 2, 5000);
	add(&s, 0, "", 0, 1, 500);
	begin();
	biolat_print_json(&out, &s, &p, 2000000000ULL, 1000000000ULL, "2023-11-14T22:13:20.000000Z");
	assert_string_equal(text(),
		"{\"record\":\"interval\",\"schema\":1,\"time_ns\":2000000000,\"interval_ns\":1000000000,"
		"\"timestamp\":\"2023-11-14T22:13:20.000000Z\",\"unit\":\"usecs\",\"histograms\":["
		"{\"disk\":null,\"dev_major\":null,\"dev_minor\":null,\"rwbs\":null,\"flags\":null,"
		"\"count\":3,\"sum_ns\":5500,\"buckets\":[{\"low\":0,\"high\":1,\"count\":1},"
		"{\"low\":2,\"high\":3,\"count\":2}]}]}\n");
	biolat_set_free(&s);
}

static void openmetrics_cumulative_buckets(void **state)
{
	struct biolat_set s = { 0 };
	struct biolat_print_opts p = { .per_disk = true };
	struct biolat_loss losses[] = { { "inflight_full", 0 }, { "hist_full", 2 } };
	const char *t;

	add(&s, 7 << 20, "", 0, 1, 900);
	add(&s, 7 << 20, "", 2, 3, 15000);
	add(&s, 7 << 20, "", 40, 1, 2000000000000ULL); /* beyond the fixed buckets: +Inf */
	snprintf(s.h[0].disk, sizeof(s.h[0].disk), "loop0");
	begin();
	biolat_print_openmetrics(&out, &s, &p, losses, 2);
	t = text();
	assert_true(strncmp(t, "# TYPE iotrace_biolatency_seconds histogram\n"
			       "# UNIT iotrace_biolatency_seconds seconds\n", 84) == 0);
	assert_non_null(strstr(t, "iotrace_biolatency_seconds_bucket{disk=\"loop0\",le=\"0.000002\"} 1\n"
				  "iotrace_biolatency_seconds_bucket{disk=\"loop0\",le=\"0.000004\"} 1\n"
				  "iotrace_biolatency_seconds_bucket{disk=\"loop0\",le=\"0.000008\"} 4\n"));
	assert_non_null(strstr(t, "le=\"134.217728\"} 4\n"
				  "iotrace_biolatency_seconds_bucket{disk=\"loop0\",le=\"+Inf\"} 5\n"
				  "iotrace_biolatency_seconds_count{disk=\"loop0\"} 5\n"
				  "iotrace_biolatency_seconds_sum{disk=\"loop0\"} 2000.000015900\n"));
	assert_non_null(strstr(t, "# TYPE iotrace_biolatency_lost counter\n"));
	assert_non_null(strstr(t, "iotrace_biolatency_lost_total{cause=\"hist_full\"} 2\n# EOF\n"));
	assert_int_equal(t[strlen(t) - 1], '\n');
	biolat_set_free(&s);
}

static void openmetrics_without_disks_has_no_empty_braces(void **state)
{
	struct biolat_set s = { 0 };
	struct biolat_print_opts p = { .msecs = true };

	add(&s, 0, "", 0, 1, 1000);
	begin();
	biolat_print_openmetrics(&out, &s, &p, NULL, 0);
	assert_non_null(strstr(text(), "iotrace_biolatency_seconds_bucket{le=\"0.002\"} 1\n"));
	assert_non_null(strstr(text(), "iotrace_biolatency_seconds_count 1\n"));
	assert_null(strstr(text(), "{}"));
	biolat_set_free(&s);
}

/* ---- usage errors -------------------------------------------------------------------------- */

struct usage_case {
	const char *argv[8];
	const char *expect;
};

static const struct usage_case usage_cases[] = {
	{ { "iotrace", "biolatency", "0" }, "invalid interval '0': expected whole seconds" },
	{ { "iotrace", "biolatency", "1.5" }, "invalid interval '1.5'" },
	{ { "iotrace", "biolatency", "1", "0" }, "invalid count '0'" },
	{ { "iotrace", "biolatency", "1", "2", "3" }, "unexpected argument '3'" },
	{ { "iotrace", "biolatency", "-d" }, "-- 'd'" },
	{ { "iotrace", "biolatency", "-d", "." }, "unknown disk '.'" },
	{ { "iotrace", "biolatency", "-D", "5", "x" }, "invalid count 'x'" },
	{ { "iotrace", "biolatency", "--csv" }, "--csv is not a format of biolatency" },
	{ { "iotrace", "biolatency", "--csv", "-j" }, "-j (JSON) cannot be combined with --csv" },
	{ { "iotrace", "biolatency", "-j", "--openmetrics" }, "cannot be combined with --json" },
	{ { "iotrace", "biolatency", "--openmetrics=" }, "invalid --openmetrics ''" },
	{ { "iotrace", "biolatency", "--openmetrics=/nonexistent/dir/x.prom" },
	  "cannot write --openmetrics '/nonexistent/dir/x.prom': directory '/nonexistent/dir'" },
	{ { "iotrace", "biolatency", "--openmetrics=/tmp" }, "a directory, not a file" },
	{ { "iotrace", "biolatency", "--duration", "3", "1", "2" }, "--duration and interval x count differ" },
	{ { "iotrace", "biolatency", "--duration" }, "'--duration' requires an argument" },
	{ { "iotrace", "biolatency", "-P" }, "invalid option -- 'P'" },
	{ { "/usr/sbin/biolatency", "-m", "x" }, "invalid interval 'x'" },
};

static struct captured c;

static void usage_errors(void **state)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]); i++) {
		const struct usage_case *uc = &usage_cases[i];
		int argc = 0;

		while (argc < 8 && uc->argv[argc])
			argc++;
		run_captured(&c, argc, uc->argv);
		if (c.status == 2 && count_lines(c.err) == 1 && !c.out[0] &&
		    strncmp(c.err, "biolatency: ", 12) == 0 && strstr(c.err, uc->expect) &&
		    strstr(c.err, "--help')\n"))
			continue;
		print_error("case %zu (%s %s): status %d, stderr: %s", i, uc->argv[1],
			    uc->argv[2] ? uc->argv[2] : "", c.status, c.err);
		failed++;
	}
	assert_int_equal(failed, 0);
}

/* -D is biolatency's per disk: accepted without a value (the run stops at the privilege
 * check, which the setup makes fail: exit 1, not 2). */
static void per_disk_letter_is_bcc(void **state)
{
	const char *const argv[] = { "iotrace", "biolatency", "-D", "1", "1" };

	run_captured(&c, 5, argv);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "tracing needs root or the capabilities"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log2_rows_match_bcc),
		cmocka_unit_test(empty_histogram_prints_nothing),
		cmocka_unit_test(wide_bounds_halve_the_bar),
		cmocka_unit_test(table_sections_and_extension),
		cmocka_unit_test(flag_names_as_bcc),
		cmocka_unit_test(delta_is_growth_since_the_previous_read),
		cmocka_unit_test(slot_out_of_range_is_refused),
		cmocka_unit_test(json_one_line_per_interval),
		cmocka_unit_test(openmetrics_cumulative_buckets),
		cmocka_unit_test(openmetrics_without_disks_has_no_empty_braces),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(per_disk_letter_is_bcc),
	};

	return cmocka_run_group_tests(tests, drop_tracing_caps, NULL);
}
