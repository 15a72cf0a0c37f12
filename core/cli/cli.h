/* SPDX-License-Identifier: GPL-2.0-only */
/* The command line: the contract between a tool and the program (struct tool, the parsed
 * invocation, common options), option parsing, help, man pages and dispatch. */
#ifndef IOTRACE_CLI_H
#define IOTRACE_CLI_H

#include "probe/probe.h"

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Which common options a tool accepts; checked centrally, never by the tool. */
enum common_option_set {
	COMMON_FORMAT = 1u << 0,   /* --json, --csv */
	COMMON_DURATION = 1u << 1, /* -D/--duration */
	COMMON_BACKEND = 1u << 2,  /* --backend, --btf */
};

enum output_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

/* The longest run a tool takes, however it is given (--duration, interval x count). */
#define MAX_RUN_MS (366ULL * 24 * 3600 * 1000)

/* --debug KEY=VALUE: for tests that must drive a fallback path on purpose; never needed in
 * use. Documented in docs/RELIABILITY.md ("Debug settings"). */
struct debug_opts {
	/* slot-mask=MASK: requests in flight share the slots MASK selects (biosnoop and
	 * biolatency), so that the hash table behind the slots is exercised */
	uint32_t slot_mask; /* all ones unless set */
	/* kretprobe-maxactive=N: instances per return probe (0: the backend's own) */
	struct attach_opts attach;
};

struct common_opts {
	int verbosity;
	enum output_format format;
	bool format_set;
	uint64_t duration_ms; /* 0 = until interrupted */
	enum backend_kind backend;
	const char *btf_path; /* external BTF for kernels without /sys/kernel/btf/vmlinux */
	const char *variant;  /* --variant: one variant of the probe groups, for debugging */
	struct debug_opts debug;
};

struct tool;
struct tracer_tool;

/* One run of one tool: what was parsed from the command line. */
struct invocation {
	const struct tool *tool;
	const char *progname; /* "biosnoop", as the user should see it in messages */
	const char *invoked_as; /* "iotrace biosnoop" or "biosnoop": the command for --help */
	struct common_opts common;
	void *opts; /* the tool's own option struct (tool->opts_template copied) */
	bool help_requested;
	FILE *err; /* parse errors are collected here, then printed as one line */
};

struct tool {
	const char *name;
	const char *summary;  /* one line, for --list */
	const char *args_doc; /* positional arguments, argp style */
	const char *doc;      /* longer description; "\v" separates text shown after options */
	const struct argp_option *options;
	/* Tool-specific keys; positional args arrive as ARGP_KEY_ARG. Return 0, ARGP_ERR_UNKNOWN
	 * or the result of opt_error(). */
	int (*parse)(int key, char *arg, struct argp_state *state, void *opts);
	/* After parsing: cross-option checks and lookups of named things (disks, cgroups).
	 * An error here is a usage error (exit 2). May be NULL. */
	int (*validate)(struct invocation *inv);
	int (*run)(struct invocation *inv);
	const struct tracer_tool *tracer; /* for tools built on core/tracer/tracer.c (and `probes`) */
	const struct probe_table *probes; /* a tracer's logical probes and their candidates */
	size_t opts_size;
	const void *opts_defaults;
	unsigned common;
	bool applet; /* gets a link from --install and may be called through one */
	/* For the man page: lines of "COMMAND\tWHAT IT DOES". */
	const char *examples;
};

/* The sorted tool table: defined above the tools (tools/tool_table.c), so that nothing
 * here names a tool. */
extern const struct tool *const tool_table[];
extern const unsigned tool_count;

const struct tool *tool_find(const char *name);

/* Report a bad option value as one line; returns the error argp should see. */
int opt_error(struct argp_state *state, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same for validate(): one line naming the problem; returns -EINVAL. */
int usage_error(struct invocation *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse argv for inv->tool. Returns 0 (run it), 1 (help shown: exit 0) or -errno after
 * printing one error line (exit 2). */
int invocation_parse(struct invocation *inv, int argc, char **argv);
void invocation_free(struct invocation *inv);

/* Every option the tool accepts, its own then the common ones, terminated by a zeroed
 * entry; the caller frees it. The single source of --help, man pages and completion. */
struct argp_option *tool_options(const struct tool *tool);

/* 0 when variant is one of the tool's (--variant); else -EINVAL with what it may name in buf,
 * one clause for an error line: "biosnoop's variants are io, acct, rq, mq, io-classic,
 * rq-classic", or "zfsslower has no variants". */
int tool_check_variant(const struct tool *tool, const char *variant, char *buf, size_t size);

/* Print the tool's --help text to out (used by both `TOOL --help` and `iotrace --help TOOL`). */
void tool_help(const struct tool *tool, FILE *out);

/* Every JSON record says which schema it follows; raise it when a field changes meaning or
 * goes away (adding fields does not). */
#define IOTRACE_JSON_SCHEMA 1

#define EXIT_USAGE 2
#define EXIT_NO_TOOL 127

/* --pid takes a live process ID. We refuse rather than wait: a PID that does not exist now
 * is more likely a typo than a process about to start, and PIDs are reused. Reports a usage
 * error (one line) and returns -EINVAL, or 0. */
int proc_validate_pid(struct invocation *inv, uint32_t pid);

/* The kernel's ceiling for pid_max (PID_MAX_LIMIT on 64-bit). */
#define PID_MAX_LIMIT 4194304u
/* The value of a --pid option: 1 to PID_MAX_LIMIT, else one usage line naming the option. */
int opt_parse_pid(struct argp_state *state, const char *arg, uint32_t *pid);

/* Man pages and shell completion generated from the same option tables as --help, so they
 * cannot drift (iotrace --man, iotrace --completion bash). */

/* tool NULL: iotrace(8) itself. */
int gendoc_man(const struct tool *tool, FILE *out);
int gendoc_bash_completion(FILE *out);

extern const char iotrace_usage[];

/* The whole program behind main(): picks the tool from argv[0] (link name) or argv[1],
 * runs it and returns the process exit status. */
int dispatch_main(int argc, char **argv);

#endif
