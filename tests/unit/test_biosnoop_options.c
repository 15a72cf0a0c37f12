/* SPDX-License-Identifier: GPL-2.0-only */
/* biosnoop's own options: every bad one is a usage error (exit 2) on one line, found before
 * anything is loaded, so these run without root or BPF. */
#define _GNU_SOURCE /* gettid */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capture.h"

#include <sys/types.h>
#include <unistd.h>

static struct captured c;

struct bad_case {
	const char *argv[7];
	const char *expect;
};

static const struct bad_case bad_cases[] = {
	{ { "iotrace", "biosnoop", "-p", "0" }, "invalid --pid '0'" },
	{ { "iotrace", "biosnoop", "-p", "abc" }, "invalid --pid 'abc'" },
	{ { "iotrace", "biosnoop", "-p", "4194305" }, "invalid --pid '4194305'" },
	{ { "iotrace", "biosnoop", "-p", "4194304" }, "no process with PID 4194304" },
	{ { "iotrace", "biosnoop", "-d", "" }, "invalid --disk ''" },
	{ { "iotrace", "biosnoop", "-d", "no-such-disk-here" }, "unknown disk 'no-such-disk-here'; disks here: " },
	{ { "iotrace", "biosnoop", "-d", "/dev/null" }, "unknown disk '/dev/null'" },
	{ { "iotrace", "biosnoop", "-d", "\x1b[31mx" }, "unknown disk '\\x1b[31mx'" },
	{ { "iotrace", "biosnoop", "-c", "" }, "invalid --cgroup ''" },
	{ { "iotrace", "biosnoop", "-c", "/nonexistent/iotrace" }, "cannot use --cgroup '/nonexistent/iotrace'" },
	{ { "iotrace", "biosnoop", "-c", "/" }, "'/' is not a cgroup v2 directory (cgroup v2 is " },
	{ { "iotrace", "biosnoop", "-c", "/dev/null" }, "is not a cgroup v2 directory" },
	{ { "iotrace", "biosnoop", "abc" }, "invalid DURATION 'abc'" },
	{ { "iotrace", "biosnoop", "0" }, "invalid DURATION '0'" },
	{ { "iotrace", "biosnoop", "1", "2" }, "unexpected argument '2'" },
	{ { "iotrace", "biosnoop", "-D", "2", "3" }, "--duration 2.000 and DURATION 3 differ" },
	{ { "iotrace", "biosnoop", "3", "-D", "2.5" }, "--duration 2.500 and DURATION 3 differ" },
	{ { "iotrace", "biosnoop", "-Q", "--partition", "-t", "-m", "x" }, "invalid --min-ms 'x'" },
	/* -P is BCC's --pattern; the partition column has no letter */
	{ { "iotrace", "biosnoop", "-P", "-m", "5" }, "--pattern cannot be combined with --min-ms" },
	{ { "iotrace", "biosnoop", "--min-ms=0.5", "--pattern" }, "--pattern cannot be combined" },
	{ { "iotrace", "biosnoop", "--partition=1" }, "doesn't allow an argument" },
};

static void bad_command_lines(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		int argc = 0;

		while (argc < 7 && bc->argv[argc])
			argc++;
		run_captured(&c, argc, bc->argv);
		if (c.status != 2 || count_lines(c.err) != 1 || !strstr(c.err, bc->expect) ||
		    !strstr(c.err, "--help'") || strchr(c.err, '\x1b')) {
			print_error("case %zu (%s %s): status %d, stderr:\n%s\n", i, bc->argv[2],
				    bc->argv[3] ? bc->argv[3] : "", c.status, c.err);
			fail();
		}
		assert_string_equal(c.out, "");
	}
}

/* A thread ID given as --pid is refused: tests/unit/test_usage_errors.c, for every tool. */

static void help_documents_columns_fields_and_exit_statuses(void **state)
{
	static const char *const words[] = {
		"TIME(s)", "COMM", "PID", "DISK", "PART", " T ", "SECTOR", "BYTES", "QUE(ms)",
		"LAT(ms)", "\"record\"", "\"time_ns\"", "\"timestamp\"", "\"comm\"", "\"pid\"",
		"\"disk\"", "\"partition\"", "\"dev_major\"", "\"dev_minor\"", "\"rwbs\"",
		"\"sector\"", "\"bytes\"", "\"queue_ns\"", "\"latency_ns\"", "\"owner_at_issue\"",
		"\"lost\"", "\"ringbuf_full\"", "\"inflight_full\"", "\"summary\"", "\"events\"",
		"\"issue_unseen\"", "--csv", "Exit status: 0", "1 when", "2 on usage errors",
		"--disk", "--pid", "--cgroup", "--min-ms", "--queued", "--timestamp", "--partition",
		"-P, --pattern", "S sequential", "R random", "\"pattern\"", "\"sequential\"",
		"[DURATION]", "does not exist instead of waiting",
	};

	RUN(&c, "iotrace", "biosnoop", "--help");
	assert_int_equal(c.status, 0);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strstr(c.out, words[i]))
			fail_msg("--help does not mention %s", words[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_command_lines),
		cmocka_unit_test(help_documents_columns_fields_and_exit_statuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
