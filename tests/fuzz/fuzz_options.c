/* SPDX-License-Identifier: GPL-2.0-only */
/* The whole command line: invocation_parse() for each tool in tool_table (argp, the common
 * options, the tool's parse() and validate()) and dispatch_main() (link name or multiplexer),
 * with argv built from the input.
 *
 * Input: byte 0 picks the entry point (below), the rest is argv[1..] separated by NUL bytes
 * (at most 24 arguments). Seeds: tests/fuzz/corpus/options; dictionary: options.dict.
 *   byte0 % 8 = 0..2  invocation_parse() for tool_table[i % tool_count]
 *             = 3..5  dispatch_main() with argv[0] = that tool's name (a link)
 *             = 6, 7  dispatch_main() with argv[0] = "iotrace" / "/usr/sbin/iotrace"
 *
 * Never reaching a tool's run() (which would load BPF and trace until interrupted):
 *   - invocation_parse() is called directly: it parses and validates, and never runs;
 *   - dispatch_main() is only called for a command line that the same invocation_parse()
 *     rejects (or answers with help), and never with "--install" (it makes links);
 *   - as a backstop, a seccomp filter turns bpf(), perf_event_open(), mount() and link
 *     creation into SIGSYS, reported as a crash ("reached run()").
 * validate() only reads the system (sysfs for -d, kill(pid, 0) and /proc for -p, stat() for
 * -c), so it runs as is.
 *
 * The product's output goes to /dev/null: stdout and stderr (the FILE pointers, as
 * core/cli/options.c itself swaps stderr) point there once at start; libFuzzer and the
 * sanitizers keep the real standard error. */
#include "cli/cli.h"
#include "fuzz_common.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__) || defined(__aarch64__)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#define HAVE_GUARD 1
#endif

#define MAX_ARGS 24
#define MAX_DURATION_MS (366ULL * 24 * 3600 * 1000)

static FILE *devnull;

#ifdef HAVE_GUARD
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	static const char msg[] = "\n==FUZZ INVARIANT== fuzz_options: a forbidden system call "
				  "(bpf, perf_event_open, mount, link...): the harness reached a "
				  "tool's run() or --install\n";
	char nr[32];
	int n = snprintf(nr, sizeof(nr), "syscall %d\n", si->si_syscall);

	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, nr, (size_t)n);
	abort();
}

static void install_guard(void)
{
	static const int forbidden[] = {
		__NR_bpf, __NR_perf_event_open, __NR_mount, __NR_umount2, __NR_linkat, __NR_symlinkat,
		__NR_capset, __NR_setns, __NR_unshare, __NR_init_module, __NR_finit_module,
#ifdef __NR_link
		__NR_link,
#endif
#ifdef __NR_symlink
		__NR_symlink,
#endif
#ifdef __NR_fsopen
		__NR_fsopen, __NR_fsmount, __NR_move_mount,
#endif
	};
	struct sock_filter f[8 + 2 * sizeof(forbidden) / sizeof(forbidden[0])];
	struct sock_fprog prog;
	struct sigaction sa;
	size_t n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
#ifdef __x86_64__
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
#else
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 1, 0);
#endif
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)forbidden[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		fprintf(stderr, "fuzz_options: warning: no seccomp backstop (%s); relying on the "
				"argv checks alone\n", strerror(errno));
}
#else
static void install_guard(void)
{
}
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_report_stream = stderr;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	install_guard();
	stdout = devnull;
	stderr = devnull;
	return 0;
}

/* The tool dispatch_main() would run for this argv (NULL: none), and its argv. */
static const struct tool *dispatched_tool(int argc, char **argv, int *targc, char ***targv)
{
	const char *slash = strrchr(argv[0], '/');
	const struct tool *tool = tool_find(slash ? slash + 1 : argv[0]);

	if (tool && tool->applet) {
		*targc = argc;
		*targv = argv;
		return tool;
	}
	if (argc < 2 || argv[1][0] == '-')
		return NULL;
	*targc = argc - 1;
	*targv = argv + 1;
	return tool_find(argv[1]);
}

static void check_common(const struct invocation *inv, int err)
{
	const struct common_opts *c = &inv->common;
	unsigned set = inv->tool->common;

	CHECK(inv->err == stderr, "invocation_parse left inv->err pointing at its buffer");
	if (err == 1)
		CHECK(inv->help_requested, "%s: 1 without help", inv->tool->name);
	if (err)
		return;
	CHECK(!inv->help_requested, "%s: help requested but 0 returned", inv->tool->name);
	CHECK(c->verbosity >= 0, "verbosity %d", c->verbosity);
	CHECK(c->format == FORMAT_TABLE || c->format == FORMAT_JSON || c->format == FORMAT_CSV,
	      "format %d", c->format);
	CHECK(c->backend >= BACKEND_AUTO && c->backend <= BACKEND_KPROBE, "backend %d", c->backend);
	CHECK(!c->btf_path || c->btf_path[0], "--btf ''");
	CHECK(c->duration_ms <= MAX_DURATION_MS, "duration %llu ms beyond a year",
	      (unsigned long long)c->duration_ms);
	/* common options are accepted per tool (tool->common), checked centrally */
	if (!(set & COMMON_FORMAT))
		CHECK(!c->format_set && c->format == FORMAT_TABLE, "%s accepted --json/--csv",
		      inv->tool->name);
	if (!(set & COMMON_BACKEND))
		CHECK(c->backend == BACKEND_AUTO && !c->btf_path, "%s accepted --backend/--btf",
		      inv->tool->name);
	/* (the fsslower family's -j, BCC's, sets CSV in validate(): every member ends in "slower") */
	size_t name_len = strlen(inv->tool->name);
	bool fs_family = name_len >= 6 && !strcmp(inv->tool->name + name_len - 6, "slower");

	CHECK(c->format_set || c->format == FORMAT_TABLE || !(set & COMMON_FORMAT) || fs_family,
	      "format %d without --json/--csv", c->format);
}

/* Parse (never run) with a private copy of the pointer array: argp may reorder it. */
static int parse_only(const struct tool *tool, int argc, char **argv, bool check)
{
	struct invocation inv = { .tool = tool, .progname = tool->name, .err = stderr };
	char *copy[MAX_ARGS + 3];
	int err;

	memcpy(copy, argv, sizeof(char *) * (size_t)(argc + 1));
	err = invocation_parse(&inv, argc, copy);
	CHECK(stdout == devnull && stderr == devnull,
	      "%s: stdout/stderr not restored after invocation_parse", tool->name);
	CHECK(err == 0 || err == 1 || err < 0, "invocation_parse returned %d", err);
	if (check)
		check_common(&inv, err);
	invocation_free(&inv);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c;
	char *args[MAX_ARGS + 3] = { 0 };
	const struct tool *tool;
	const uint8_t *piece;
	size_t len;
	int argc = 1, mode, targc;
	char **targv;

	if (size < 1 || size > 4096)
		return 0;
	mode = data[0] % 8;
	c = (struct fuzz_cursor){ data + 1, data + size };
	while (argc <= MAX_ARGS && fuzz_next(&c, '\0', &piece, &len)) {
		args[argc] = fuzz_strndup(piece, len);
		if (!strcmp(args[argc], "--install")) { /* creates links in a directory */
			argc++;
			goto out;
		}
		argc++;
	}
	args[argc] = NULL;
	/* known bug 4: "-h" (help) with more short options after it in the same argument */
	for (int i = 1; i < argc && fuzz_skip_known(); i++) {
		const char *h = args[i][0] == '-' && args[i][1] != '-' ? strchr(args[i], 'h') : NULL;

		if (h && h[1])
			goto out;
	}

	if (mode < 6) {
		tool = tool_table[(unsigned)mode % tool_count];
		args[0] = fuzz_strndup(tool->name, strlen(tool->name));
	} else {
		static const char *const names[] = { "iotrace", "/usr/sbin/iotrace" };

		tool = NULL;
		args[0] = fuzz_strndup(names[mode - 6], strlen(names[mode - 6]));
	}

	if (mode < 3) {
		int err = parse_only(tool, argc, args, true);

		/* help (parsing stops there, validate() is skipped) does not depend on the system */
		if (err == 1) {
			int again = parse_only(tool, argc, args, false);

			CHECK(again == err, "%s: parsing twice gave %d then %d", tool->name, err, again);
		}
		goto out;
	}

	/* dispatch_main(): only where nothing would run */
	tool = dispatched_tool(argc, args, &targc, &targv);
	if (tool && parse_only(tool, targc, targv, false) == 0)
		goto out;
	{
		char *copy[MAX_ARGS + 3];
		int status;

		memcpy(copy, args, sizeof(copy));
		status = dispatch_main(argc, copy);
		CHECK(status == 0 || status == 1 || status == 2 || status == 127,
		      "dispatch_main exit status %d", status);
		CHECK(!tool || status != 1, "%s: exit 1 means it ran", tool ? tool->name : "");
		CHECK(stdout == devnull && stderr == devnull,
		      "stdout/stderr not restored after dispatch_main");
	}
out:
	for (int i = 0; i < argc; i++)
		free(args[i]);
	return 0;
}
