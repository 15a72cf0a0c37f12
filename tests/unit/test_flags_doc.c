/* SPDX-License-Identifier: GPL-2.0-only */
/* docs/FLAGS.md against the real option tables, so that the promise it makes to BCC and
 * libbpf-tools users ("their letter means the same here, or it is not taken") cannot drift:
 *   - every section named after a tracing tool has a row for each of our short letters and
 *     long-only options, and each row's iotrace column spells our option as the code has it;
 *   - a row marked "not taken" or "missing" names a letter or long option we do not have;
 *   - no row of an existing tool is a "clash";
 *   - the long names in the BCC and libbpf-tools columns of rows we take work here (getopt
 *     takes unambiguous abbreviations: BCC's --queue is our --queued). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/cli.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 8
#define CELL_MAX 512

struct row {
	char cells[MAX_CELLS][CELL_MAX];
	int n;
	int line;
};

static char *read_doc(void)
{
	FILE *f = fopen(FLAGS_DOC, "r");
	char *text;
	long size;

	if (!f)
		fail_msg("cannot open %s", FLAGS_DOC);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

static void trim(char *s)
{
	size_t n = strlen(s), start = strspn(s, " ");

	while (n > start && s[n - 1] == ' ')
		n--;
	memmove(s, s + start, n - start);
	s[n - start] = '\0';
}

/* "| a | b |" -> cells a, b. Returns false for a line that is not a table row. */
static bool split_row(const char *line, size_t len, struct row *r)
{
	const char *p = line, *end = line + len;

	r->n = 0;
	if (len < 2 || line[0] != '|')
		return false;
	p++;
	while (p < end && r->n < MAX_CELLS) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t n;

		if (!bar)
			break;
		n = (size_t)(bar - p) < CELL_MAX - 1 ? (size_t)(bar - p) : CELL_MAX - 1;
		memcpy(r->cells[r->n], p, n);
		r->cells[r->n][n] = '\0';
		trim(r->cells[r->n]);
		r->n++;
		p = bar + 1;
	}
	return r->n > 0;
}

/* The first `...` of a cell, or "" */
static void first_code(const char *cell, char *out, size_t size)
{
	const char *a = strchr(cell, '`'), *b = a ? strchr(a + 1, '`') : NULL;
	size_t n;

	out[0] = '\0';
	if (!a || !b)
		return;
	n = (size_t)(b - a - 1) < size - 1 ? (size_t)(b - a - 1) : size - 1;
	memcpy(out, a + 1, n);
	out[n] = '\0';
}

static bool short_key(int key)
{
	return key > 0 && key < 0x80 && isprint(key);
}

static const struct argp_option *by_key(const struct argp_option *opts, int key)
{
	for (; opts->name || opts->key; opts++)
		if (opts->key == key)
			return opts;
	return NULL;
}

static const struct argp_option *by_name(const struct argp_option *opts, const char *name)
{
	for (; opts->name || opts->key; opts++)
		if (opts->name && strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

/* As getopt_long reads --name: exact, else the one option it abbreviates; NULL otherwise. */
static const struct argp_option *resolve_long(const struct argp_option *opts, const char *name)
{
	const struct argp_option *exact = by_name(opts, name), *found = NULL;
	size_t n = strlen(name);

	if (exact)
		return exact;
	for (; opts->name || opts->key; opts++) {
		if (opts->name && strncmp(opts->name, name, n) == 0) {
			if (found)
				return NULL; /* ambiguous */
			found = opts;
		}
	}
	return found;
}

/* How the iotrace column must spell one of our options: "-P, --pattern", "-j", "--csv". */
static void spelling(const struct argp_option *o, char *out, size_t size)
{
	if (short_key(o->key) && o->name)
		snprintf(out, size, "-%c, --%s", o->key, o->name);
	else if (short_key(o->key))
		snprintf(out, size, "-%c", o->key);
	else
		snprintf(out, size, "--%s", o->name);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The long names (`--name ...`) in a BCC or libbpf-tools cell must work here; when the row's
 * option of ours has a long name, they must reach that very option. */
static void check_their_long_names(const struct tool *tool, const struct argp_option *opts,
				   const struct argp_option *ours, const struct row *r, int cell)
{
	const char *p = r->cells[cell];

	while ((p = strstr(p, "`--"))) {
		char name[64];
		size_t n = strcspn(p + 3, " `=");
		const struct argp_option *hit;

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p + 3, n);
		name[n] = '\0';
		p += 3 + n;
		hit = resolve_long(opts, name);
		if (!hit)
			fail_msg("FLAGS.md line %d: %s --%s (their name) does not work here", r->line,
				 tool->name, name);
		if (ours->name && hit != ours)
			fail_msg("FLAGS.md line %d: %s --%s reaches --%s here, not --%s", r->line,
				 tool->name, name, hit->name, ours->name);
	}
}

enum status { ST_SAME, ST_DETAIL, ST_OURS, ST_NOT_TAKEN, ST_MISSING };

static enum status parse_status(const struct tool *tool, const struct row *r, const char *cell)
{
	static const struct {
		const char *word;
		enum status status;
	} words[] = {
		{ "same", ST_SAME },         { "detail differs", ST_DETAIL },
		{ "ours only", ST_OURS },    { "not taken", ST_NOT_TAKEN },
		{ "missing", ST_MISSING },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (starts_with(cell, words[i].word))
			return words[i].status;
	fail_msg("FLAGS.md line %d: %s: status '%s' is none of same, detail differs, ours only, "
		 "not taken, missing (a clash is never allowed in a tool that exists)", r->line,
		 tool->name, cell);
	return ST_SAME;
}

/* One row of an existing tool's table. Marks the option it documents in seen[]. */
static void check_row(const struct tool *tool, const struct argp_option *opts, bool *seen,
		      const struct row *r)
{
	const char *iotrace = r->cells[r->n - 2], *status_cell = r->cells[r->n - 1];
	char flag[64], ours_spelled[96], want[96];
	const struct argp_option *ours;
	enum status status;

	first_code(r->cells[0], flag, sizeof(flag));
	if (!starts_with(flag, "-"))
		return; /* DURATION, MIN_MS: positional, no option to compare */
	status = parse_status(tool, r, status_cell);
	if (flag[1] != '-') {
		if (strlen(flag) != 2)
			fail_msg("FLAGS.md line %d: flag '%s' is not one letter", r->line, flag);
		ours = by_key(opts, (unsigned char)flag[1]);
	} else {
		ours = by_name(opts, flag + 2);
		if (ours && short_key(ours->key))
			fail_msg("FLAGS.md line %d: %s --%s has the letter -%c: give the row as `-%c`",
				 r->line, tool->name, ours->name, ours->key, ours->key);
	}
	if (status == ST_NOT_TAKEN || status == ST_MISSING) {
		if (ours)
			fail_msg("FLAGS.md line %d: %s says %s is %s, but %s takes it (--%s)", r->line,
				 tool->name, flag, status_cell, tool->name, ours->name ? ours->name : "");
		if (!starts_with(iotrace, "not taken") && !starts_with(iotrace, "—"))
			fail_msg("FLAGS.md line %d: %s %s is free here: its iotrace column must say "
				 "'not taken' or '—'", r->line, tool->name, flag);
		return;
	}
	if (!ours)
		fail_msg("FLAGS.md line %d: %s %s is marked '%s', but %s has no such option",
			 r->line, tool->name, flag, status_cell, tool->name);
	spelling(ours, want, sizeof(want));
	first_code(iotrace, ours_spelled, sizeof(ours_spelled));
	if (strcmp(ours_spelled, want) != 0)
		fail_msg("FLAGS.md line %d: %s's iotrace column says `%s`, the option table `%s`",
			 r->line, tool->name, ours_spelled, want);
	seen[ours - opts] = true;
	for (int c = 1; c < r->n - 2; c++) /* the BCC and libbpf-tools columns */
		check_their_long_names(tool, opts, ours, r, c);
}

/* The rows of the table that follows "## NAME", until the next heading. */
static void check_tool_section(const struct tool *tool, const char *text)
{
	struct argp_option *opts = tool_options(tool);
	char heading[64];
	const char *p, *end;
	size_t n_opts = 0;
	bool *seen;
	int line = 1, rows = 0;

	assert_non_null(opts);
	while (opts[n_opts].name || opts[n_opts].key)
		n_opts++;
	seen = calloc(n_opts + 1, sizeof(*seen));
	assert_non_null(seen);
	snprintf(heading, sizeof(heading), "\n## %s\n", tool->name);
	p = strstr(text, heading);
	if (!p)
		fail_msg("FLAGS.md has no '## %s' section", tool->name);
	for (const char *q = text; q <= p; q++)
		line += *q == '\n';
	p += strlen(heading);
	end = strstr(p, "\n## ");
	if (!end)
		end = p + strlen(p);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct row r;

		line++;
		if (split_row(p, len, &r) && r.n >= 3 && !starts_with(r.cells[0], "---") &&
		    strcmp(r.cells[0], "flag") != 0) {
			r.line = line;
			check_row(tool, opts, seen, &r);
			rows++;
		}
		p += len + 1;
	}
	assert_true(rows > 0);
	for (size_t i = 0; i < n_opts; i++) {
		char spelled[96];

		if (seen[i] || (opts[i].flags & OPTION_HIDDEN))
			continue;
		spelling(&opts[i], spelled, sizeof(spelled));
		fail_msg("FLAGS.md's %s table has no row for %s", tool->name, spelled);
	}
	free(seen);
	free(opts);
}

static void every_tracing_tool_matches_its_table(void **state)
{
	char *text = read_doc();
	unsigned checked = 0;

	for (unsigned i = 0; i < tool_count; i++) {
		if (!tool_table[i]->tracer)
			continue; /* iotrace probes: no BCC counterpart */
		check_tool_section(tool_table[i], text);
		checked++;
	}
	assert_true(checked >= 2);
	free(text);
}

/* The rule itself, on the letters at the heart of issue 18: -P is BCC's pattern, the
 * partition column has no letter. */
static void biosnoop_P_is_the_pattern(void **state)
{
	const struct tool *t = tool_find("biosnoop");
	struct argp_option *opts;
	const struct argp_option *o;

	assert_non_null(t);
	opts = tool_options(t);
	assert_non_null(opts);
	o = by_key(opts, 'P');
	assert_non_null(o);
	assert_string_equal(o->name, "pattern");
	o = by_name(opts, "partition");
	assert_non_null(o);
	assert_false(short_key(o->key));
	free(opts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_tracing_tool_matches_its_table),
		cmocka_unit_test(biosnoop_P_is_the_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
