/* SPDX-License-Identifier: GPL-2.0-only */
/* iotrace probes TOOL: what the engine would choose here, and why, without attaching. */
#include "util/util.h"
#include "cli/cli.h"
#include "tracer/tracer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct probes_opts {
	const char *tool;
};

static int probes_parse(int key, char *arg, struct argp_state *state, void *opts)
{
	struct probes_opts *o = opts;

	switch (key) {
	case ARGP_KEY_ARG:
		if (o->tool)
			return opt_error(state, "unexpected argument '%s': give one TOOL", arg);
		o->tool = arg;
		return 0;
	case ARGP_KEY_END:
		if (!o->tool)
			return opt_error(state, "missing TOOL: which tool's probes to explain");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* "the tracing tools are biolatency, biosnoop, zfsslower" */
static const char *tool_tracing_names(void)
{
	static char names[256];
	size_t used = (size_t)snprintf(names, sizeof(names), "the tracing tools are");

	for (unsigned i = 0; i < tool_count && used < sizeof(names); i++)
		if (tool_table[i]->tracer)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s %s",
						 used > 21 ? "," : "", tool_table[i]->name);
	return names;
}

static int probes_validate(struct invocation *inv)
{
	const struct probes_opts *o = inv->opts;
	const struct tool *tool = tool_find(o->tool);
	char variants[256];

	/* no such tool: exit 127 as for 'iotrace nosuch', with one hint (the caller adds it) */
	if (!tool) {
		usage_error(inv, "'%s' is not a tracing tool: %s", o->tool, tool_tracing_names());
		return -ENOENT;
	}
	if (!tool->tracer)
		return usage_error(inv, "'%s' is not a tracing tool: %s", o->tool,
				   tool_tracing_names());
	if (inv->common.format == FORMAT_CSV)
		return usage_error(inv, "--csv is not a format of the report: use --json, or none");
	/* --variant names one of TOOL's variants: checked here, where TOOL is known */
	if (inv->common.variant &&
	    tool_check_variant(tool, inv->common.variant, variants, sizeof(variants)))
		return usage_error(inv, "invalid --variant '%s': %s", inv->common.variant, variants);
	return 0;
}

static int probes_run(struct invocation *inv)
{
	const struct probes_opts *o = inv->opts;
	const struct tool *tool = tool_find(o->tool);
	struct invocation target = {
		.tool = tool,
		.progname = tool->name,
		.common = inv->common,
		.err = stderr,
	};
	bool json = inv->common.format == FORMAT_JSON;
	int err;

	target.opts = calloc(1, tool->opts_size ? tool->opts_size : 1);
	if (!target.opts)
		return -ENOMEM;
	if (tool->opts_defaults)
		memcpy(target.opts, tool->opts_defaults, tool->opts_size);
	if (!json)
		printf("%s probes (--backend=%s):\n", tool->name,
		       backend_kind_name(inv->common.backend));
	fflush(stdout);
	err = tracer_probe_report(&target, tool->tracer, json, stdout);
	/* without privileges nothing was judged: say so, not that the kernel cannot */
	if (!json && err == -EPERM)
		printf("\n%s cannot be judged as this user: tracing needs root, or CAP_BPF and "
		       "CAP_PERFMON (see the error above)\n", tool->name);
	else if (!json)
		printf("\n%s %s run on this kernel\n", tool->name, err ? "cannot" : "can");
	invocation_free(&target);
	return err;
}

static const struct probes_opts probes_defaults;

const struct tool tool_probes = {
	.name = "probes",
	.summary = "Explain which attach points a tool would use on this kernel, and why",
	.args_doc = "TOOL",
	.doc = "For each logical probe of TOOL, list every candidate attach point with its verdict "
	       "(chosen, unavailable and why, load or attach failure). Loads but never attaches."
	       "\vThe report is text, or JSON with --json (--csv is refused: its verdicts nest). "
	       "Without root (or CAP_BPF and CAP_PERFMON) nothing can be judged, and the last "
	       "line says so.\n"
	       "Exit status: 0 if TOOL can run on this kernel, 1 if not or if it cannot be "
	       "judged without privileges, 2 on usage errors, 127 if TOOL does not exist.",
	.parse = probes_parse,
	.validate = probes_validate,
	.run = probes_run,
	.opts_size = sizeof(struct probes_opts),
	.opts_defaults = &probes_defaults,
	.common = COMMON_FORMAT | COMMON_BACKEND,
	.applet = false,
	.examples = "iotrace probes biosnoop\tevery candidate with its verdict\n"
		    "iotrace probes biosnoop --backend=kprobe\twould kprobes alone do here?\n"
		    "iotrace probes zfsslower --json\tthe same, machine-readable\n",
};
