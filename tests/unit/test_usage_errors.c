/* SPDX-License-Identifier: GPL-2.0-only */
/* Usage errors of every tool and of the multiplexer, table-driven: each bad command line
 * exits 2 (127 for an unknown tool) with exactly one line on stderr that names the offending
 * value and points at --help (--list for an unknown tool), and nothing on stdout.
 *
 * This extends test_parse.c and test_biosnoop_options.c (which hold the first cases of each
 * kind); nothing here repeats them. Some validations read /proc and /sys: fine without root.
 * No case may reach a tool's run(): the group setup drops CAP_BPF, CAP_PERFMON and
 * CAP_SYS_ADMIN from the effective set, so a command line wrongly accepted fails the
 * privilege check (exit 1) instead of loading BPF. */
#define _GNU_SOURCE /* gettid */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capture.h"

#include <linux/capability.h>
#include <mntent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_ARGS 8

struct usage_case {
	const char *argv[MAX_ARGS];
	int status;         /* 2 usage error, 127 unknown tool */
	const char *expect; /* must appear in the one stderr line */
};

#define USAGE(expect, ...) { { __VA_ARGS__ }, 2, expect }
#define NO_TOOL(expect, ...) { { __VA_ARGS__ }, 127, expect }

/* A name no block device can have: /sys/class/block entries are single path components
 * and never "." or "..". */
static const struct usage_case biosnoop_cases[] = {
	/* missing values, short and long (the long form says which option) */
	USAGE("-- 'd'", "iotrace", "biosnoop", "-d"),
	USAGE("'--disk' requires an argument", "iotrace", "biosnoop", "--disk"),
	USAGE("-- 'p'", "iotrace", "biosnoop", "-p"),
	USAGE("'--pid' requires an argument", "iotrace", "biosnoop", "--pid"),
	USAGE("-- 'c'", "iotrace", "biosnoop", "-c"),
	USAGE("'--cgroup' requires an argument", "iotrace", "biosnoop", "--cgroup"),
	USAGE("-- 'm'", "iotrace", "biosnoop", "-m"),
	USAGE("-- 'D'", "iotrace", "biosnoop", "-D"),
	USAGE("'--duration' requires an argument", "iotrace", "biosnoop", "--duration"),
	USAGE("'--backend' requires an argument", "iotrace", "biosnoop", "--backend"),
	USAGE("'--btf' requires an argument", "iotrace", "biosnoop", "--btf"),
	/* options that take no value, and unknown ones */
	USAGE("'--json' doesn't allow an argument", "iotrace", "biosnoop", "--json=1"),
	USAGE("unrecognized option '--bogus=1'", "iotrace", "biosnoop", "--bogus=1"),
	USAGE("invalid option -- 'q'", "iotrace", "biosnoop", "-vq"),
	USAGE("'--pattern' doesn't allow an argument", "iotrace", "biosnoop", "--pattern=1"),
	/* --pa could be --pattern or --partition; -P is BCC's --pattern, in a cluster too */
	USAGE("'--pa' is ambiguous", "iotrace", "biosnoop", "--pa"),
	USAGE("--pattern cannot be combined with --min-ms", "iotrace", "biosnoop", "-QPm", "5"),
	/* a negative DURATION is read as an option; after -- it is a DURATION */
	USAGE("invalid option -- '1'", "iotrace", "biosnoop", "-1"),
	USAGE("invalid DURATION '-5'", "iotrace", "biosnoop", "--", "-5"),
	/* --pid: negative, malformed, empty, overflowing, beyond the kernel's PID ceiling */
	USAGE("invalid --pid '-1': expected a process ID, 1 to 4194304", "iotrace", "biosnoop", "-p", "-1"),
	USAGE("invalid --pid '+1'", "iotrace", "biosnoop", "-p", "+1"),
	USAGE("invalid --pid '1.5'", "iotrace", "biosnoop", "-p", "1.5"),
	USAGE("invalid --pid '0x10'", "iotrace", "biosnoop", "-p", "0x10"),
	USAGE("invalid --pid ''", "iotrace", "biosnoop", "--pid="),
	USAGE("invalid --pid '99999999999999999999'", "iotrace", "biosnoop", "-p", "99999999999999999999"),
	USAGE("invalid --pid '1073741823'", "iotrace", "biosnoop", "-p", "1073741823"),
	/* --min-ms: empty, too precise, over the hour by a little, exponent, no leading digit */
	USAGE("invalid --min-ms '': expected milliseconds, 0 to 3600000", "iotrace", "biosnoop", "--min-ms="),
	USAGE("invalid --min-ms '1.0000000001'", "iotrace", "biosnoop", "-m", "1.0000000001"),
	USAGE("invalid --min-ms '3600001'", "iotrace", "biosnoop", "-m", "3600001"),
	USAGE("invalid --min-ms '3600000.000001'", "iotrace", "biosnoop", "-m", "3600000.000001"),
	USAGE("invalid --min-ms '1e3'", "iotrace", "biosnoop", "-m", "1e3"),
	USAGE("invalid --min-ms '.5'", "iotrace", "biosnoop", "--min-ms", ".5"),
	/* --duration: empty, below a millisecond, over a year, overflowing, not a number */
	USAGE("invalid --duration '': expected seconds, at least 0.001 and at most one year",
	      "iotrace", "biosnoop", "--duration="),
	USAGE("invalid --duration '0.0009'", "iotrace", "biosnoop", "-D", "0.0009"),
	USAGE("invalid --duration '31622400.001'", "iotrace", "biosnoop", "-D", "31622400.001"),
	USAGE("invalid --duration '99999999999999999999'", "iotrace", "biosnoop", "-D", "99999999999999999999"),
	USAGE("invalid --duration 'nan'", "iotrace", "biosnoop", "--duration", "nan"),
	/* DURATION: the same limits as -D */
	USAGE("invalid DURATION '0.0009'", "iotrace", "biosnoop", "0.0009"),
	USAGE("invalid DURATION '31622401'", "iotrace", "biosnoop", "31622401"),
	USAGE("invalid DURATION '99999999999999999999'", "iotrace", "biosnoop", "99999999999999999999"),
	/* conflicts, in the other order than test_parse.c / test_biosnoop_options.c */
	USAGE("--json and --csv cannot be combined", "iotrace", "biosnoop", "--csv", "--json"),
	USAGE("--duration 1.000 and DURATION 1.5 differ", "iotrace", "biosnoop", "1.5", "-D", "1"),
	USAGE("--duration 0.001 and DURATION 0.002 differ", "iotrace", "biosnoop", "--duration=0.001", "0.002"),
	/* --backend is case-sensitive and exact */
	USAGE("invalid --backend 'TRACEPOINT': expected auto, tracepoint, fentry or kprobe",
	      "iotrace", "biosnoop", "--backend=TRACEPOINT"),
	USAGE("invalid --backend 'tracepoints'", "iotrace", "biosnoop", "--backend", "tracepoints"),
	/* disks that cannot exist */
	USAGE("unknown disk '.'; disks here: ", "iotrace", "biosnoop", "-d", "."),
	USAGE("unknown disk '..'; disks here: ", "iotrace", "biosnoop", "-d", ".."),
	USAGE("unknown disk 'vda/../vda'; disks here: ", "iotrace", "biosnoop", "-d", "vda/../vda"),
	USAGE("unknown disk '/dev/no/such/node'; disks here: ", "iotrace", "biosnoop", "-d", "/dev/no/such/node"),
	USAGE("unknown disk '/tmp'; disks here: ", "iotrace", "biosnoop", "-d", "/tmp"),
	USAGE("unknown disk 'x\\x0ay'", "iotrace", "biosnoop", "-d", "x\ny"),
	/* cgroups that are not there, relative and with a newline */
	USAGE("cannot use --cgroup 'no-such-cgroup-iotrace': No such file or directory",
	      "iotrace", "biosnoop", "-c", "no-such-cgroup-iotrace"),
	USAGE("cannot use --cgroup '/no\\x0asuch'", "iotrace", "biosnoop", "--cgroup", "/no\nsuch"),
	/* through a link: the same checks, named after the link */
	USAGE("invalid --pid '-1'", "/usr/local/sbin/biosnoop", "-p", "-1"),
};

static const struct usage_case zfsslower_cases[] = {
	USAGE("-- 'm'", "iotrace", "zfsslower", "-m"),
	USAGE("'--min-ms' requires an argument", "iotrace", "zfsslower", "--min-ms"),
	USAGE("-- 'p'", "iotrace", "zfsslower", "-p"),
	USAGE("'--pid' requires an argument", "iotrace", "zfsslower", "--pid"),
	USAGE("-- 'D'", "iotrace", "zfsslower", "-D"),
	USAGE("'--backend' requires an argument", "iotrace", "zfsslower", "--backend"),
	USAGE("'--btf' requires an argument", "iotrace", "zfsslower", "--btf"),
	/* biosnoop's options are not zfsslower's */
	USAGE("invalid option -- 'd'", "iotrace", "zfsslower", "-d", "sda"),
	USAGE("invalid option -- 'c'", "iotrace", "zfsslower", "-c", "/"),
	USAGE("unrecognized option '--bogus'", "iotrace", "zfsslower", "--bogus"),
	/* thresholds */
	USAGE("invalid --min-ms 'abc': expected milliseconds, 0 to 3600000", "iotrace", "zfsslower", "-m", "abc"),
	USAGE("invalid --min-ms '-1'", "iotrace", "zfsslower", "-m", "-1"),
	USAGE("invalid --min-ms '99999999999999999999'", "iotrace", "zfsslower", "-m", "99999999999999999999"),
	USAGE("invalid --min-ms '3600001'", "iotrace", "zfsslower", "--min-ms", "3600001"),
	USAGE("invalid MIN_MS 'abc': expected milliseconds, 0 to 3600000", "iotrace", "zfsslower", "abc"),
	USAGE("invalid MIN_MS '-1'", "iotrace", "zfsslower", "--", "-1"),
	USAGE("invalid MIN_MS '3600000.5'", "iotrace", "zfsslower", "3600000.5"),
	USAGE("unexpected argument '6': only MIN_MS is positional", "iotrace", "zfsslower", "5", "6"),
	USAGE("conflicting thresholds: MIN_MS and --min-ms differ", "iotrace", "zfsslower", "5", "--min-ms", "6"),
	USAGE("conflicting thresholds: MIN_MS and --min-ms differ", "iotrace", "zfsslower", "--min-ms", "6", "5"),
	USAGE("conflicting thresholds", "iotrace", "zfsslower", "-m", "5", "-m", "6"),
	/* --pid: zero, malformed, negative, overflowing, past its limit, absent */
	USAGE("invalid --pid '0': expected a process ID", "iotrace", "zfsslower", "-p", "0"),
	USAGE("invalid --pid 'abc'", "iotrace", "zfsslower", "-p", "abc"),
	USAGE("invalid --pid '-1'", "iotrace", "zfsslower", "-p", "-1"),
	USAGE("invalid --pid '99999999999'", "iotrace", "zfsslower", "-p", "99999999999"),
	USAGE("invalid --pid '1073741824'", "iotrace", "zfsslower", "-p", "1073741824"),
	USAGE("no process with PID 4194304 (zfsslower does not wait for one to start)",
	      "iotrace", "zfsslower", "-p", "4194304"),
	USAGE("invalid --pid '1073741823': expected a process ID, 1 to 4194304", "iotrace",
	      "zfsslower", "--pid", "1073741823"),
	/* formats: -j is --csv, so it conflicts with --json in either order */
	USAGE("-j (CSV) cannot be combined with --json", "iotrace", "zfsslower", "-j", "--json"),
	USAGE("-j (CSV) cannot be combined with --json", "iotrace", "zfsslower", "--json", "-j"),
	USAGE("--json and --csv cannot be combined", "iotrace", "zfsslower", "--json", "--csv"),
	/* common options */
	USAGE("invalid --duration '0'", "iotrace", "zfsslower", "-D", "0"),
	USAGE("invalid --duration 'abc'", "iotrace", "zfsslower", "-D", "abc"),
	USAGE("invalid --backend 'x'", "iotrace", "zfsslower", "--backend=x"),
	/* an empty variant once hung the parser (found by fuzz_options) */
	USAGE("invalid --variant '': biosnoop's variants are io, acct, rq, mq, io-classic, "
	      "rq-classic (see 'iotrace biosnoop --help')", "iotrace", "biosnoop", "--variant", ""),
	USAGE("invalid --variant 'io': zfsslower has no variants", "iotrace", "zfsslower",
	      "--variant=io"),
	USAGE("invalid --debug 'x=1': expected slot-mask=MASK or kretprobe-maxactive=N", "iotrace",
	      "zfsslower", "--debug", "x=1"),
	USAGE("invalid --debug 'slot-mask': expected", "iotrace", "biosnoop", "--debug=slot-mask"),
	USAGE("invalid --debug 'slot-mask=4294967296': slot-mask takes a number up to 4294967295",
	      "iotrace", "biosnoop", "--debug", "slot-mask=4294967296"),
	USAGE("invalid --debug 'kretprobe-maxactive=0': kretprobe-maxactive takes 1 to 4096",
	      "iotrace", "zfsslower", "--debug", "kretprobe-maxactive=0"),
	USAGE("invalid --debug 'kretprobe-maxactive=4097'", "iotrace", "zfsslower", "--debug",
	      "kretprobe-maxactive=4097"),
	USAGE("invalid --btf '': expected a BTF file path", "iotrace", "zfsslower", "--btf="),
	/* the file is the user's to fix: a usage error naming it, not "this kernel has no BTF" */
	USAGE("cannot read --btf '/nonexistent/vmlinux': No such file or directory", "iotrace",
	      "zfsslower", "--btf", "/nonexistent/vmlinux"),
	USAGE("invalid --btf '/dev/null': not a BTF file", "iotrace", "zfsslower", "--btf",
	      "/dev/null"),
	USAGE("cannot read --btf '/no\\x0afile'", "iotrace", "zfsslower", "--btf", "/no\nfile"),
	USAGE("invalid --min-ms 'x'", "/sbin/zfsslower", "-m", "x"),
};

/* the family shares zfsslower's parser (checked above); what is its own: -t, and the names */
static const struct usage_case fsslower_cases[] = {
	USAGE("which file system? give -t FS (one of btrfs, ext4, nfs, xfs, zfs), or run "
	      "ext4slower, xfsslower, btrfsslower, nfsslower or zfsslower", "iotrace", "fsslower"),
	USAGE("which file system? give -t FS", "iotrace", "fsslower", "5", "--json"),
	USAGE("unknown file system 'ext3' for -t: expected one of btrfs, ext4, nfs, xfs, zfs",
	      "iotrace", "fsslower", "-t", "ext3"),
	USAGE("unknown file system 'EXT4'", "iotrace", "fsslower", "--type=EXT4"),
	USAGE("invalid option -- 't'", "iotrace", "ext4slower", "-t", "xfs"),
	USAGE("invalid MIN_MS 'abc'", "iotrace", "fsslower", "-t", "xfs", "abc"),
	USAGE("-j (CSV) cannot be combined with --json", "iotrace", "xfsslower", "-j", "--json"),
	USAGE("conflicting thresholds", "iotrace", "btrfsslower", "5", "-m", "6"),
	USAGE("no process with PID 4194304 (nfsslower does not wait for one to start)",
	      "iotrace", "nfsslower", "-p", "4194304"),
	USAGE("invalid --min-ms 'x'", "/sbin/ext4slower", "-m", "x"),
	USAGE("invalid --pid '0'", "/sbin/fsslower", "-t", "ext4", "-p", "0"),
};

static const struct usage_case probes_cases[] = {
	USAGE("'--backend' requires an argument", "iotrace", "probes", "--backend"),
	USAGE("'--btf' requires an argument", "iotrace", "probes", "--btf"),
	/* an unknown tool is 127 as for 'iotrace nosuch', the line naming the tracing tools */
	NO_TOOL("'nosuch' is not a tracing tool: the tracing tools are biolatency, biosnoop, "
		"btrfsslower, ext4slower, nfsslower, xfsslower, zfsslower", "iotrace", "probes", "nosuch"),
	/* fsslower picks its table from -t: `probes` wants the member's own name */
	USAGE("'fsslower' is not a tracing tool", "iotrace", "probes", "fsslower"),
	USAGE("invalid --backend 'bogus'", "iotrace", "probes", "--backend=bogus", "biosnoop"),
	/* --variant is TOOL's, checked once TOOL is known (it may come first) */
	USAGE("invalid --variant 'nosuch': biosnoop's variants are io, acct, rq, mq, io-classic, "
	      "rq-classic (see 'iotrace probes --help')", "iotrace", "probes", "--variant", "nosuch",
	      "biosnoop"),
	USAGE("invalid --variant 'io': ext4slower has no variants", "iotrace", "probes", "ext4slower",
	      "--variant=io"),
	USAGE("invalid --btf ''", "iotrace", "probes", "--btf=", "biosnoop"),
	USAGE("--json and --csv cannot be combined", "iotrace", "probes", "--json", "--csv", "biosnoop"),
	USAGE("--csv is not a format of the report", "iotrace", "probes", "--csv", "biosnoop"),
	/* probes takes neither a duration nor the tool's own options */
	USAGE("invalid option -- 'D'", "iotrace", "probes", "-D", "1", "biosnoop"),
	USAGE("unrecognized option '--duration=1'", "iotrace", "probes", "--duration=1", "biosnoop"),
	USAGE("invalid option -- 'p'", "iotrace", "probes", "-p", "1", "biosnoop"),
	USAGE("unrecognized option '--pid'", "iotrace", "probes", "--pid", "1", "biosnoop"),
	USAGE("invalid option -- 'x'", "iotrace", "probes", "-x"),
	USAGE("unexpected argument 'extra': give one TOOL", "iotrace", "probes", "zfsslower", "extra"),
	NO_TOOL("'' is not a tracing tool", "iotrace", "probes", ""),
	NO_TOOL("'BIOSNOOP' is not a tracing tool", "iotrace", "probes", "BIOSNOOP"),
};

static const struct usage_case multiplexer_cases[] = {
	USAGE("unknown option '-x' (see 'iotrace --help')", "iotrace", "-x"),
	USAGE("unknown option '--lis'", "iotrace", "--lis"),
	USAGE("unknown option '-'", "iotrace", "-"),
	USAGE("--install needs one directory", "iotrace", "--install", "-s"),
	USAGE("--install needs one directory", "iotrace", "--install", "/tmp", "/var/tmp"),
	USAGE("'/nonexistent/iotrace' is not a directory", "iotrace", "--install", "-s", "/nonexistent/iotrace"),
	NO_TOOL("unknown tool '' (see 'iotrace --list')", "iotrace", ""),
	NO_TOOL("unknown tool 'BIOSNOOP'", "iotrace", "BIOSNOOP"),
	NO_TOOL("unknown tool 'biosnoop2'", "iotrace", "biosnoop2"),
	NO_TOOL("unknown tool 'biosnoop/'", "iotrace", "biosnoop/"),
	NO_TOOL("unknown tool '-x'", "iotrace", "--help", "-x"),
	NO_TOOL("unknown tool 'probe'", "iotrace", "-h", "probe"),
	/* a link named after no tool is the multiplexer */
	NO_TOOL("unknown tool 'biosnoop2'", "/usr/bin/iot", "biosnoop2"),
};

/* Offending values holding control bytes are named escaped (as -d and -c already do), on
 * one line: a newline must not cut the message short, an escape sequence must not reach
 * the terminal. */
static const struct usage_case control_byte_cases[] = {
	USAGE("invalid --min-ms '1\\x0a2'", "iotrace", "biosnoop", "--min-ms", "1\n2"),
	USAGE("invalid --pid '1\\x0a'", "iotrace", "biosnoop", "-p", "1\n"),
	USAGE("invalid --backend 'a\\x1b[31mb'", "iotrace", "biosnoop", "--backend", "a\x1b[31mb"),
	USAGE("invalid --duration '\\x1b]0;x\\x07'", "iotrace", "biosnoop", "-D", "\x1b]0;x\x07"),
	USAGE("invalid DURATION '2\\x0a'", "iotrace", "biosnoop", "2\n"),
	USAGE("unexpected argument '\\x1b[2J'", "iotrace", "biosnoop", "1", "\x1b[2J"),
	USAGE("invalid MIN_MS '\\x1b[2J'", "iotrace", "zfsslower", "\x1b[2J"),
	NO_TOOL("'bio\\x0asnoop' is not a tracing tool", "iotrace", "probes", "bio\nsnoop"),
	NO_TOOL("unknown tool 'x\\x1b[31m'", "iotrace", "x\x1b[31m"),
};

static struct captured c;

static int argc_of(const struct usage_case *uc)
{
	int argc = 0;

	while (argc < MAX_ARGS && uc->argv[argc])
		argc++;
	return argc;
}

/* The program name the message starts with: the tool's, or iotrace's for the multiplexer.
 * biosnoop and zfsslower are applets (a link picks them); probes is not. */
static const char *progname_of(const struct usage_case *uc)
{
	const char *base = strrchr(uc->argv[0], '/');
	const struct tool *t;

	base = base ? base + 1 : uc->argv[0];
	/* through a link (a tool that gets one), else the tool iotrace was given */
	t = tool_find(base);
	if (t && t->applet)
		return t->name;
	t = uc->argv[1] ? tool_find(uc->argv[1]) : NULL;
	return t ? t->name : "iotrace";
}

static bool has_raw_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			return true;
	return false;
}

/* Control bytes as \xNN, so a failure report cannot garble the terminal. */
static void escape_for_report(char *dst, size_t size, const char *src)
{
	size_t at = 0;

	for (; *src && at + 5 < size; src++)
		at += (unsigned char)*src < 0x20 || *src == 0x7f ?
			      (size_t)snprintf(dst + at, size - at, "\\x%02x", (unsigned char)*src) :
			      (size_t)snprintf(dst + at, size - at, "%c", *src);
	dst[at] = '\0';
}

/* A case as [argv...] for a failure message, its control bytes escaped. */
static void describe(const struct usage_case *uc, char *buf, size_t size)
{
	size_t at = 0;

	for (int i = 0; i < argc_of(uc) && at + 2 < size; i++) {
		buf[at++] = i ? ' ' : '[';
		escape_for_report(buf + at, size - at - 1, uc->argv[i]);
		at += strlen(buf + at);
	}
	snprintf(buf + at, size - at, "]");
}

/* 0 when the case behaves; otherwise prints why and returns 1. */
static int check_case(const struct usage_case *uc)
{
	const char *prog = progname_of(uc);
	char prefix[64], pointer[64], what[512], shown[sizeof(c.err) * 4];
	size_t len;
	const char *why = NULL;

	run_captured(&c, argc_of(uc), uc->argv);
	snprintf(prefix, sizeof(prefix), "%s: ", prog);
	/* the hint names the command as the user ran it: "iotrace biosnoop --help" when the
	 * tool came through iotrace, "biosnoop --help" through its link */
	bool via_iotrace = strcmp(prog, "iotrace") != 0 && uc->argv[1] && strcmp(uc->argv[1], prog) == 0;

	if (uc->status == 127 && !via_iotrace)
		snprintf(pointer, sizeof(pointer), " (see 'iotrace --list')\n");
	else
		snprintf(pointer, sizeof(pointer), " (see '%s%s --help')\n", via_iotrace ? "iotrace " : "",
			 prog);
	len = strlen(c.err);
	if (c.status != uc->status)
		why = "exit status";
	else if (count_lines(c.err) != 1)
		why = "not exactly one line on stderr";
	else if (c.out[0])
		why = "something on stdout";
	else if (strncmp(c.err, prefix, strlen(prefix)) != 0)
		why = "stderr does not start with the program name";
	else if (has_raw_control(c.err))
		why = "raw control bytes on stderr";
	else if (!strstr(c.err, uc->expect))
		why = "the line does not name the problem";
	else if (len < strlen(pointer) || strcmp(c.err + len - strlen(pointer), pointer) != 0)
		why = "the line does not end pointing at --help (or --list)";
	if (!why)
		return 0;
	describe(uc, what, sizeof(what));
	escape_for_report(shown, sizeof(shown), c.err);
	print_error("%s: %s: status %d (want %d), want '%s'; stderr: %s; stdout: %.80s\n", what, why,
		    c.status, uc->status, uc->expect, shown, c.out);
	return 1;
}

static int run_table(const struct usage_case *cases, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		failed += check_case(&cases[i]);
	return failed;
}

#define RUN_TABLE(t) run_table((t), sizeof(t) / sizeof((t)[0]))

static void biosnoop_usage_errors(void **state)
{
	assert_int_equal(RUN_TABLE(biosnoop_cases), 0);
}

static void zfsslower_usage_errors(void **state)
{
	assert_int_equal(RUN_TABLE(zfsslower_cases), 0);
}

static void fsslower_usage_errors(void **state)
{
	assert_int_equal(RUN_TABLE(fsslower_cases), 0);
}

static void probes_usage_errors(void **state)
{
	assert_int_equal(RUN_TABLE(probes_cases), 0);
}

static void multiplexer_usage_errors(void **state)
{
	assert_int_equal(RUN_TABLE(multiplexer_cases), 0);
}

static void control_bytes_in_values_are_escaped(void **state)
{
	assert_int_equal(RUN_TABLE(control_byte_cases), 0);
}

/* Paths under wherever cgroup v2 is mounted: a file in it, a directory that is not there. */
static void cgroup_paths_under_cgroup2(void **state)
{
	char mnt[256] = "", file[320], absent[320], expect_file[800], expect_absent[800];
	struct mntent ent;
	char strings[1024];
	FILE *f = setmntent("/proc/self/mounts", "re");
	int failed = 0;

	assert_non_null(f);
	while (getmntent_r(f, &ent, strings, sizeof(strings)))
		if (strcmp(ent.mnt_type, "cgroup2") == 0) {
			snprintf(mnt, sizeof(mnt), "%s", ent.mnt_dir);
			break;
		}
	endmntent(f);
	if (!mnt[0])
		skip(); /* no cgroup v2 here: the "not mounted" wording is covered elsewhere */
	snprintf(file, sizeof(file), "%s/cgroup.procs", mnt);
	snprintf(absent, sizeof(absent), "%s/iotrace-no-such-cgroup", mnt);
	snprintf(expect_file, sizeof(expect_file),
		 "'%s' is not a cgroup v2 directory (cgroup v2 is mounted at %s)", file, mnt);
	snprintf(expect_absent, sizeof(expect_absent), "cannot use --cgroup '%s': No such file or directory",
		 absent);
	{
		const struct usage_case cases[] = {
			{ { "iotrace", "biosnoop", "-c", file }, 2, expect_file },
			{ { "iotrace", "biosnoop", "--cgroup", absent }, 2, expect_absent },
		};

		failed = RUN_TABLE(cases);
	}
	assert_int_equal(failed, 0);
}

/* A thread ID is not a process ID, for zfsslower as for biosnoop. */
static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
static pid_t thread_tid;

static void *thread_main(void *arg)
{
	__atomic_store_n(&thread_tid, gettid(), __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&hold);
	pthread_mutex_unlock(&hold);
	return NULL;
}

static void thread_ids_are_refused(void **state)
{
	char tid[16], expect[96];
	pthread_t thread;
	int failed;

	pthread_mutex_lock(&hold);
	assert_int_equal(pthread_create(&thread, NULL, thread_main, NULL), 0);
	while (!__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	snprintf(tid, sizeof(tid), "%d", (int)thread_tid);
	snprintf(expect, sizeof(expect), "PID %d is a thread of process %d: --pid takes a process ID",
		 (int)thread_tid, (int)getpid());
	{
		const struct usage_case cases[] = {
			{ { "iotrace", "zfsslower", "-p", tid }, 2, expect },
			{ { "iotrace", "zfsslower", "--pid", tid, "--json" }, 2, expect },
			{ { "iotrace", "biosnoop", "--json", "--pid", tid }, 2, expect },
		};

		failed = RUN_TABLE(cases);
	}
	pthread_mutex_unlock(&hold);
	pthread_join(thread, NULL);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(biosnoop_usage_errors),
		cmocka_unit_test(zfsslower_usage_errors),
		cmocka_unit_test(fsslower_usage_errors),
		cmocka_unit_test(probes_usage_errors),
		cmocka_unit_test(multiplexer_usage_errors),
		cmocka_unit_test(cgroup_paths_under_cgroup2),
		cmocka_unit_test(thread_ids_are_refused),
		cmocka_unit_test(control_bytes_in_values_are_escaped),
	};

	return cmocka_run_group_tests(tests, drop_tracing_caps, NULL);
}
