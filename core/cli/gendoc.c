/* SPDX-License-Identifier: GPL-2.0-only */
#include "cli/cli.h"


#include "version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* roff: backslashes and hyphens escaped, a line never starts with a control character. */
static void roff(FILE *out, const char *text, size_t len)
{
	bool line_start = true;

	for (size_t i = 0; i < len && text[i]; i++) {
		char c = text[i];

		if (line_start && (c == '.' || c == '\''))
			fputs("\\&", out);
		if (c == '\\')
			fputs("\\e", out);
		else if (c == '-')
			fputs("\\-", out);
		else
			fputc(c, out);
		line_start = c == '\n';
	}
}

static void roff_str(FILE *out, const char *text)
{
	roff(out, text, strlen(text));
}

static void header(FILE *out, const char *page, const char *name, const char *summary)
{
	fprintf(out, ".TH %s 8 \"\" \"iotrace %s\" \"System Administration\"\n.SH NAME\n", page,
		IOTRACE_VERSION);
	roff_str(out, name);
	fputs(" \\- ", out);
	roff_str(out, summary);
	fputc('\n', out);
}

static void option_entry(FILE *out, const struct argp_option *o)
{
	fputs(".TP\n", out);
	if (o->key > 0 && o->key < 128)
		fprintf(out, "\\fB\\-%c\\fR%s", o->key, o->name ? ", " : "");
	if (o->name) {
		fputs("\\fB\\-\\-", out);
		roff_str(out, o->name);
		fputs("\\fR", out);
	}
	if (o->arg) {
		fputs(o->name ? "=\\fI" : " \\fI", out);
		roff_str(out, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff_str(out, o->doc ? o->doc : "");
	fputc('\n', out);
}

static const char exit_status[] =
	".SH EXIT STATUS\n"
	".TP\n0\nSuccess, also when stopped by Ctrl\\-C, SIGTERM, SIGHUP, the duration, or the "
	"reader of its output going away.\n"
	".TP\n1\nRuntime failure: nothing can be attached on this kernel (the message lists what "
	"was tried and why), missing privileges (CAP_BPF and CAP_PERFMON, or root), ZFS not "
	"loaded.\n"
	".TP\n2\nUsage error: one line on standard error names the problem.\n"
	".TP\n127\nUnknown tool.\n";

static void examples(FILE *out, const char *text)
{
	if (!text || !*text)
		return;
	fputs(".SH EXAMPLES\n", out);
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		const char *tab = memchr(line, '\t', len);

		fputs(".TP\n.B ", out);
		roff(out, line, tab ? (size_t)(tab - line) : len);
		fputc('\n', out);
		if (tab)
			roff(out, tab + 1, len - (size_t)(tab + 1 - line));
		fputc('\n', out);
		line += len + (line[len] == '\n');
	}
}

static void see_also(FILE *out, const struct tool *self)
{
	const char *sep = "";

	fputs(".SH SEE ALSO\n", out);
	if (self) {
		fputs("\\fBiotrace\\fR(8)", out);
		sep = ", ";
	}
	for (unsigned i = 0; i < tool_count; i++) {
		if (tool_table[i] == self)
			continue;
		fprintf(out, "%s\\fBiotrace\\-%s\\fR(8)", sep, tool_table[i]->name);
		sep = ", ";
	}
	fputs(", \\fBbpftool\\fR(8)\n", out);
}

static int tool_page(const struct tool *tool, FILE *out)
{
	struct argp_option *opts = tool_options(tool);
	const char *vt = strchr(tool->doc, '\v');
	char page[64], name[64];

	if (!opts)
		return -ENOMEM;
	snprintf(page, sizeof(page), "IOTRACE-%s", tool->name);
	for (char *p = page; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	snprintf(name, sizeof(name), "iotrace-%s", tool->name);
	header(out, page, name, tool->summary);
	fputs(".SH SYNOPSIS\n", out);
	fprintf(out, ".B iotrace %s\n[\\fIOPTION\\fR...] ", tool->name);
	roff_str(out, tool->args_doc ? tool->args_doc : "");
	if (tool->applet) {
		fprintf(out, "\n.br\n.B %s\n[\\fIOPTION\\fR...] ", tool->name);
		roff_str(out, tool->args_doc ? tool->args_doc : "");
	}
	fputs("\n.SH DESCRIPTION\n", out);
	roff(out, tool->doc, vt ? (size_t)(vt - tool->doc) : strlen(tool->doc));
	fputs("\n.SH OPTIONS\n", out);
	for (const struct argp_option *o = opts; o->name || o->key; o++)
		option_entry(out, o);
	if (vt) {
		fputs(".SH DETAILS\n.nf\n", out);
		roff_str(out, vt + 1);
		fputs("\n.fi\n", out);
	}
	fputs(exit_status, out);
	examples(out, tool->examples);
	see_also(out, tool);
	free(opts);
	return ferror(out) ? -EIO : 0;
}

static int iotrace_page(FILE *out)
{
	header(out, "IOTRACE", "iotrace", "I/O tracing tools that work on whatever kernel they land on");
	const char *body = strstr(iotrace_usage, "\n\n");

	/* the synopsis proper; the rest of the usage text (description, options, exit
	 * status) is the OPTIONS section, without the "Usage:" of a terminal */
	fputs(".SH SYNOPSIS\n"
	      ".B iotrace\n\\fITOOL\\fR [\\fIOPTION\\fR...] [\\fIARGS\\fR...]\n.br\n"
	      ".B iotrace\n\\-\\-list | \\-\\-help [\\fITOOL\\fR] | \\-\\-version | "
	      "\\-\\-install [\\-s] \\fIDIR\\fR\n.br\n"
	      ".B iotrace\n\\-\\-man [\\fITOOL\\fR] | \\-\\-completion bash\n"
	      ".SH OPTIONS\n.nf\n", out);
	roff_str(out, body ? body + 2 : iotrace_usage);
	fputs(".fi\n.SH TOOLS\n", out);
	for (unsigned i = 0; i < tool_count; i++) {
		fprintf(out, ".TP\n.B %s\n", tool_table[i]->name);
		roff_str(out, tool_table[i]->summary);
		fputc('\n', out);
	}
	fputs(".SH DESCRIPTION\nEach tool declares logical probes with candidate attach points "
	      "(tp_btf, raw_tp, classic tracepoint, fentry/fexit, kprobe/kretprobe); at run time "
	      "the engine picks what this kernel offers, falls back on any load or attach failure "
	      "from a clean object, and explains every decision: see \\fBiotrace probes\\fR "
	      "\\fITOOL\\fR.\n", out);
	fputs(exit_status, out);
	see_also(out, NULL);
	return ferror(out) ? -EIO : 0;
}

int gendoc_man(const struct tool *tool, FILE *out)
{
	return tool ? tool_page(tool, out) : iotrace_page(out);
}

/* What completes an option's argument, from the name argp shows for it: words for
 * compgen -W, or NULL for compgen's own action (*action: "-f" files, "-d" directories). */
static const char *arg_words(const struct tool *tool, const char *arg, const char **action)
{
	static char backend_kinds[128];

	*action = "-f";
	if (!strcmp(arg, "DISK"))
		return "$(_iotrace_disks)";
	if (!strcmp(arg, "PID"))
		return "$(_iotrace_pids)";
	if (!strcmp(arg, "KIND")) {
		backend_kind_list(backend_kinds, sizeof(backend_kinds), " ", " ");
		return backend_kinds;
	}
	if (!strcmp(arg, "NAME") && tool->probes && tool->probes->group_count)
		return tool->probes->groups[0].variants;
	if (!strcmp(arg, "DIR"))
		*action = "-d";
	return NULL;
}

int gendoc_bash_completion(FILE *out)
{
	fputs("# bash completion for iotrace; generated by 'iotrace --completion bash'\n"
	      "_iotrace_disks() { local d; for d in /sys/class/block/*; do [ -e \"$d\" ] && "
	      "printf '%s\\n' \"${d##*/}\"; done; }\n"
	      "_iotrace_pids() { local p; for p in /proc/[0-9]*; do printf '%s\\n' \"${p##*/}\"; done; }\n"
	      "_iotrace_tool() {\n"
	      "\tlocal tool=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts=\n"
	      "\tcase $tool in\n", out);
	for (unsigned i = 0; i < tool_count; i++) {
		struct argp_option *opts = tool_options(tool_table[i]);

		if (!opts)
			return -ENOMEM;
		fprintf(out, "\t%s)\n\t\tcase $prev in\n", tool_table[i]->name);
		for (const struct argp_option *o = opts; o->name || o->key; o++) {
			const char *action;
			const char *words = o->arg ? arg_words(tool_table[i], o->arg, &action) : NULL;

			if (!o->arg)
				continue;
			fputs("\t\t", out);
			if (o->key > 0 && o->key < 128)
				fprintf(out, "-%c%s", o->key, o->name ? "|" : "");
			if (o->name)
				fprintf(out, "--%s", o->name);
			if (words)
				fprintf(out, ") COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", words);
			else
				fprintf(out, ") COMPREPLY=($(compgen %s -- \"$cur\")); return ;;\n", action);
		}
		fputs("\t\tesac\n\t\topts=\"", out);
		for (const struct argp_option *o = opts; o->name || o->key; o++) {
			if (o->key > 0 && o->key < 128)
				fprintf(out, "-%c ", o->key);
			if (o->name)
				fprintf(out, "--%s ", o->name);
		}
		fputs("\" ;;\n", out);
		free(opts);
	}
	fputs("\tesac\n"
	      "\tif [ \"$tool\" = probes ] && [[ $cur != -* ]]; then\n\t\topts=\"", out);
	for (unsigned i = 0; i < tool_count; i++)
		if (tool_table[i]->tracer)
			fprintf(out, "%s ", tool_table[i]->name);
	fputs("\"\n\tfi\n"
	      "\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "}\n"
	      "_iotrace() {\n"
	      "\tlocal tools=\"", out);
	for (unsigned i = 0; i < tool_count; i++)
		fprintf(out, "%s ", tool_table[i]->name);
	fputs("\" cur=${COMP_WORDS[COMP_CWORD]}\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"--list --help --version --install --man --completion "
	      "$tools\" -- \"$cur\"))\n"
	      "\telif [ \"$COMP_CWORD\" -ge 2 ] && [ \"${COMP_WORDS[1]}\" = --install ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n"
	      "\t\t[ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY+=($(compgen -W -s -- \"$cur\"))\n"
	      "\telif [ \"$COMP_CWORD\" -eq 2 ]; then\n"
	      "\t\tcase ${COMP_WORDS[1]} in\n"
	      "\t\t--help|--man) COMPREPLY=($(compgen -W \"$tools\" -- \"$cur\")) ;;\n"
	      "\t\t--completion) COMPREPLY=($(compgen -W bash -- \"$cur\")) ;;\n"
	      "\t\t--list|--version) COMPREPLY=() ;;\n"
	      "\t\t*) _iotrace_tool \"${COMP_WORDS[1]}\" ;;\n"
	      "\t\tesac\n"
	      "\telse\n"
	      "\t\t_iotrace_tool \"${COMP_WORDS[1]}\"\n"
	      "\tfi\n"
	      "}\n"
	      "_iotrace_applet() { _iotrace_tool \"${COMP_WORDS[0]##*/}\"; }\n"
	      "complete -F _iotrace iotrace\n"
	      "complete -F _iotrace_applet", out);
	for (unsigned i = 0; i < tool_count; i++)
		if (tool_table[i]->applet)
			fprintf(out, " %s", tool_table[i]->name);
	fputs("\n", out);
	return ferror(out) ? -EIO : 0;
}
