/* SPDX-License-Identifier: GPL-2.0-only */
/* Common options, parsed once here for every tool; each tool declares which groups it
 * accepts (tool->common) and never sees them. */
#include "util/util.h"
#include "cli/cli.h"
#include "version.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_HELP = 'h',
	OPT_VERBOSE = 'v',
	OPT_DURATION = 'D',
	OPT_JSON = 0x1000,
	OPT_CSV,
	OPT_BACKEND,
	OPT_BTF,
	OPT_VARIANT,
	OPT_DEBUG,
	OPT_USAGE,
	OPT_VERSION,
};


struct common_option {
	struct argp_option opt;
	unsigned set; /* 0 = always accepted */
};

static const struct common_option common_options[] = {
	{ { "help", OPT_HELP, NULL, 0, "Show this help and exit", -1 }, 0 },
	{ { "usage", OPT_USAGE, NULL, 0, "Show a short usage message and exit", -1 }, 0 },
	{ { "version", OPT_VERSION, NULL, 0, "Print the version and exit", -1 }, 0 },
	{ { "verbose", OPT_VERBOSE, NULL, 0,
	    "Explain decisions on stderr (chosen attach points); -vv adds libbpf debug output", -1 },
	  0 },
	{ { "json", OPT_JSON, NULL, 0, "One JSON object per line", -1 }, COMMON_FORMAT },
	{ { "csv", OPT_CSV, NULL, 0, "Comma-separated values with a header line", -1 },
	  COMMON_FORMAT },
	{ { "duration", OPT_DURATION, "SECONDS", 0, "Stop after SECONDS (decimal allowed)", -1 },
	  COMMON_DURATION },
	{ { "backend", OPT_BACKEND, "KIND", 0,
	    "Attach with only this kind: auto (default), tracepoint, fentry or kprobe", -1 },
	  COMMON_BACKEND },
	{ { "btf", OPT_BTF, "FILE", 0,
	    "Kernel BTF to use when /sys/kernel/btf/vmlinux is missing (e.g. from BTFHub)", -1 },
	  COMMON_BACKEND },
	{ { "variant", OPT_VARIANT, "NAME", 0,
	    "Debugging: use only this variant of the tool's probe group, as 'iotrace probes "
	    "TOOL' names them (biosnoop: io, acct, rq, mq, io-classic, rq-classic)", -1 },
	  COMMON_BACKEND },
	{ { "debug", OPT_DEBUG, "KEY=VALUE", 0,
	    "Testing: slot-mask=MASK (fewer in-flight slots: biosnoop, biolatency), "
	    "kretprobe-maxactive=N (return-probe instances, 1-4096)", -1 },
	  COMMON_BACKEND },
};

#define N_COMMON (ARRAY_SIZE(common_options))

/* Same letter, same meaning as BCC, or not taken: where BCC's tool gives a common option's
 * letter another meaning (biolatency -D is per disk, not --duration), the tool's own option
 * takes the letter and the common one keeps only its long name, under this key. */
#define LONG_ONLY_BASE 0x2000
#define LONG_ONLY_KEY(key) (LONG_ONLY_BASE + (key))

static bool tool_takes_letter(const struct tool *tool, int key)
{
	if (key <= 0 || key >= 128 || !tool->options)
		return false;
	for (const struct argp_option *o = tool->options; o->name || o->key; o++)
		if (o->key == key)
			return true;
	return false;
}

/* The message quotes what the user typed: escaped, so a value holding a newline or an
 * escape sequence can neither cut the one line short nor reach the terminal raw. */
static void vreport(struct invocation *inv, const char *fmt, va_list ap)
{
	char raw[1024], shown[2048];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_text(shown, sizeof(shown), raw, sizeof(raw));
	fprintf(inv->err, "%s\n", shown);
}

int opt_error(struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(state->input, fmt, ap);
	va_end(ap);
	return EINVAL;
}

int usage_error(struct invocation *inv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(inv, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int tool_check_variant(const struct tool *tool, const char *variant, char *buf, size_t size)
{
	const struct probe_table *t = tool->probes;
	size_t n;
	bool any = false;

	if (t && probe_table_has_variant(t, variant))
		return 0;
	n = (size_t)snprintf(buf, size, "%s's variants are", tool->name);

	for (size_t g = 0; t && g < t->group_count; g++) {
		for (const char *v = t->groups[g].variants; *v && n < size;) {
			size_t len = strcspn(v, " ");

			if (len) {
				n += (size_t)snprintf(buf + n, size - n, "%s %.*s", any ? "," : "",
						      (int)len, v);
				any = true;
			}
			v += len + (v[len] == ' ');
		}
	}
	if (!any)
		snprintf(buf, size, "%s has no variants", tool->name);
	return -EINVAL;
}

static int parse_backend(struct argp_state *state, const char *arg, enum backend_kind *out)
{
	char kinds[128];

	if (backend_kind_parse(arg, out) == 0)
		return 0;
	backend_kind_list(kinds, sizeof(kinds), ", ", " or ");
	return opt_error(state, "invalid --backend '%s': expected %s", arg, kinds);
}

static int parse_debug(struct argp_state *state, const char *arg, struct debug_opts *d)
{
	const char *value = strchr(arg, '=');
	uint64_t v;

	if (value && !strncmp(arg, "slot-mask=", 10)) {
		if (parse_u64(value + 1, UINT32_MAX, &v))
			return opt_error(state, "invalid --debug '%s': slot-mask takes a number up "
					 "to %u", arg, UINT32_MAX);
		d->slot_mask = (uint32_t)v;
		return 0;
	}
	if (value && !strncmp(arg, "kretprobe-maxactive=", 20)) {
		if (parse_u64(value + 1, KRETPROBE_MAXACTIVE_MAX, &v) || v < 1)
			return opt_error(state, "invalid --debug '%s': kretprobe-maxactive takes 1 to %d",
					 arg, KRETPROBE_MAXACTIVE_MAX);
		d->attach.kretprobe_maxactive = (int)v;
		return 0;
	}
	return opt_error(state, "invalid --debug '%s': expected slot-mask=MASK or "
			 "kretprobe-maxactive=N", arg);
}

static int set_format(struct argp_state *state, struct common_opts *c, enum output_format f)
{
	if (c->format_set && c->format != f)
		return opt_error(state, "--json and --csv cannot be combined: choose one output format");
	c->format = f;
	c->format_set = true;
	return 0;
}

/* A --btf file is the user's to fix, not the kernel's: a usage error, said before anything
 * is loaded. 0, -EINVAL (not BTF) or the -errno of reading it. */
static int check_btf_file(const char *path)
{
	struct btf *btf;
	int err;

	libbpf_print_fn_t print;

	if (access(path, R_OK) != 0)
		return -errno;
	/* libbpf's own complaint ("failed to get EHDR") is noise beside ours */
	print = libbpf_set_print(NULL);
	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	libbpf_set_print(print);
	btf__free(err ? NULL : btf);
	return err ? -EINVAL : 0;
}

static int parse_common(int key, char *arg, struct argp_state *state)
{
	struct invocation *inv = state->input;
	const struct tool *tool = inv->tool;
	struct common_opts *c = &inv->common;
	char variants[256];
	uint64_t ns;
	int err;

	if (tool_takes_letter(tool, key))
		return ARGP_ERR_UNKNOWN;
	if (key >= LONG_ONLY_BASE && key < LONG_ONLY_KEY(128))
		key -= LONG_ONLY_BASE;
	switch (key) {
	case OPT_HELP:
		tool_help(inv->tool, stdout);
		inv->help_requested = true;
		return 0;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		inv->help_requested = true;
		return 0;
	case OPT_VERSION:
		printf("iotrace %s\n", IOTRACE_VERSION);
		inv->help_requested = true;
		return 0;
	case OPT_VERBOSE:
		c->verbosity++;
		return 0;
	case OPT_JSON:
		return set_format(state, c, FORMAT_JSON);
	case OPT_CSV:
		return set_format(state, c, FORMAT_CSV);
	case OPT_DURATION:
		err = parse_decimal_ns(arg, 1000000000ULL, MAX_RUN_MS * 1000000ULL, &ns);
		if (err || ns < 1000000ULL)
			return opt_error(state,
					 "invalid --duration '%s': expected seconds, at least 0.001 and at most one year",
					 arg);
		c->duration_ms = ns / 1000000ULL;
		return 0;
	case OPT_BACKEND:
		return parse_backend(state, arg, &c->backend);
	case OPT_BTF:
		if (!*arg)
			return opt_error(state, "invalid --btf '': expected a BTF file path");
		err = check_btf_file(arg);
		if (err == -EINVAL)
			return opt_error(state, "invalid --btf '%s': not a BTF file (raw BTF such as "
					 "/sys/kernel/btf/vmlinux, or an ELF file with a .BTF section)", arg);
		if (err)
			return opt_error(state, "cannot read --btf '%s': %s", arg, strerror(-err));
		c->btf_path = arg;
		return 0;
	case OPT_VARIANT:
		/* a tool without probes of its own (probes) checks it against its TOOL */
		if (tool->probes && tool_check_variant(tool, arg, variants, sizeof(variants)))
			return opt_error(state, "invalid --variant '%s': %s", arg, variants);
		c->variant = arg;
		return 0;
	case OPT_DEBUG:
		return parse_debug(state, arg, &c->debug);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int parse_key(int key, char *arg, struct argp_state *state)
{
	struct invocation *inv = state->input;
	int err;

	if (key == ARGP_KEY_INIT)
		state->err_stream = inv->err;
	if (inv->help_requested)
		return 0; /* nothing after --help is checked, not even missing arguments */
	err = parse_common(key, arg, state);
	if (err != ARGP_ERR_UNKNOWN)
		return err;
	if (!inv->tool->parse)
		return ARGP_ERR_UNKNOWN;
	return inv->tool->parse(key, arg, state, inv->opts);
}

/* The tool's own options, then the common ones it accepts, built once per invocation. */
struct argp_option *tool_options(const struct tool *tool)
{
	size_t n_tool = 0, n = 0;
	struct argp_option *all;

	while (tool->options && (tool->options[n_tool].name || tool->options[n_tool].key))
		n_tool++;
	all = calloc(n_tool + N_COMMON + 1, sizeof(*all));
	if (!all)
		return NULL;
	for (size_t i = 0; i < n_tool; i++)
		all[n++] = tool->options[i];
	for (size_t i = 0; i < N_COMMON; i++)
		if (!common_options[i].set || (tool->common & common_options[i].set)) {
			all[n] = common_options[i].opt;
			if (tool_takes_letter(tool, all[n].key))
				all[n].key = LONG_ONLY_KEY(all[n].key);
			n++;
		}
	return all;
}

static int run_argp(const struct tool *tool, struct invocation *inv, int argc, char **argv,
		    FILE *help_out)
{
	struct argp_option *options = tool_options(tool);
	struct argp argp = {
		.options = options,
		.parser = parse_key,
		.args_doc = tool->args_doc,
		.doc = tool->doc,
	};
	int err;

	if (!options)
		return -ENOMEM;
	if (help_out) {
		argp_help(&argp, help_out, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK, (char *)tool->name);
		err = 0;
	} else {
		/* getopt prints its complaints straight to stderr: collect them with argp's */
		FILE *saved_stderr = stderr;

		stderr = inv->err;
		err = -argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_IN_ORDER, NULL,
				  inv);
		stderr = saved_stderr;
	}
	free(options);
	return err;
}

void tool_help(const struct tool *tool, FILE *out)
{
	run_argp(tool, NULL, 0, NULL, out);
}

/* argp's own complaints are several lines ("prog: msg" and "Try ..."); keep the first. */
/* The command that shows this tool's help, as the user invoked it. */
static const char *see_help(const struct invocation *inv)
{
	return inv->invoked_as ? inv->invoked_as : inv->progname;
}

static void print_first_error_line(const struct invocation *inv, const char *text)
{
	const char *msg = text;
	size_t prefix = strlen(inv->progname);
	size_t len;

	if (strncmp(msg, inv->progname, prefix) == 0 && strncmp(msg + prefix, ": ", 2) == 0)
		msg += prefix + 2;
	len = strcspn(msg, "\n");
	if (len == 0)
		msg = "invalid arguments", len = strlen(msg);
	/* getopt's own messages quote the argument raw; ours are escaped already and have no
	 * control bytes left, so only those are touched here */
	fprintf(stderr, "%s: ", inv->progname);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fprintf(stderr, " (see '%s --help')\n", see_help(inv));
}

int invocation_parse(struct invocation *inv, int argc, char **argv)
{
	char *errtext = NULL;
	size_t errlen = 0;
	int err;

	inv->opts = calloc(1, inv->tool->opts_size ? inv->tool->opts_size : 1);
	inv->err = open_memstream(&errtext, &errlen);
	if (!inv->opts || !inv->err) {
		err = -ENOMEM;
		goto out;
	}
	if (inv->tool->opts_defaults)
		memcpy(inv->opts, inv->tool->opts_defaults, inv->tool->opts_size);
	inv->common.debug.slot_mask = UINT32_MAX;
	/* argp names the program after argv[0]; make it the tool name in every message. */
	argv[0] = (char *)inv->progname;
	err = run_argp(inv->tool, inv, argc, argv, NULL);
	if (inv->help_requested)
		err = 0; /* nothing after --help is checked */
	if (!err && !inv->help_requested && inv->tool->validate) {
		err = inv->tool->validate(inv);
		if (err > 0)
			err = -err;
	}
	fflush(inv->err);
	if (err && errlen)
		print_first_error_line(inv, errtext);
	else if (err)
		fprintf(stderr, "%s: invalid arguments: %s (see '%s --help')\n", inv->progname,
			strerror(-err), see_help(inv));
	if (!err && inv->help_requested)
		err = 1;
out:
	if (inv->err)
		fclose(inv->err);
	inv->err = stderr;
	free(errtext);
	return err;
}

void invocation_free(struct invocation *inv)
{
	free(inv->opts);
	inv->opts = NULL;
}
