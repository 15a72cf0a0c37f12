/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsers for the kernel's text files: kallsyms, available_filter_functions, the kprobe
 * blacklist, /proc/modules, the lockdown mode and a fixture's features file. They trust
 * nothing: fixtures are hand-written and a hostile or broken kernel interface can hand us
 * anything, so a bad line is skipped whole rather than half-believed. */
#include "internal.h"

#include <string.h>

#define FIELDS_MAX 4

int ktext_read_line(FILE *f, char *buf, size_t size)
{
	size_t len;
	bool bad;
	int c;

	for (;;) {
		len = 0;
		bad = false;
		while ((c = getc_unlocked(f)) != EOF && c != '\n') {
			if (c == '\0' || len + 1 >= size)
				bad = true;
			else
				buf[len++] = (char)c;
		}
		if (c == EOF && ferror(f))
			return negative_errno();
		buf[len] = '\0';
		if (!bad && (c != EOF || len))
			return 1;
		if (c == EOF)
			return 0;
	}
}

static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static bool is_symbol_name(const char *s)
{
	size_t len = strnlen(s, SYMBOL_NAME_MAX + 1);

	if (!len || len > SYMBOL_NAME_MAX || s[0] == '[')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* "[zfs]" -> "zfs" in place; NULL when the field is not a module tag. */
static char *module_field(char *field)
{
	size_t len = strlen(field);

	if (len < 3 || field[0] != '[' || field[len - 1] != ']')
		return NULL;
	field[len - 1] = '\0';
	field++;
	if (strchr(field, '[') || strchr(field, ']') || !is_symbol_name(field))
		return NULL;
	return field;
}

/* The optional module column: absent is vmlinux; anything but "[name]" spoils the line. */
static bool optional_module(char **fields, size_t n, size_t index, const char **module)
{
	*module = NULL;
	if (n <= index)
		return true;
	*module = module_field(fields[index]);
	return *module != NULL;
}

/* Lines whose symbol name is field name_at, optionally followed by "[module]"; each
 * (name, module) is kept once. */
static int parse_symbol_set(FILE *f, size_t name_at, struct kstrings *strings,
			    struct ksymset *set)
{
	char line[LINE_SIZE], *fields[FIELDS_MAX];
	const char *module;
	size_t n;
	int err, rc;

	while ((rc = ktext_read_line(f, line, sizeof(line))) > 0) {
		n = split_fields(line, fields, FIELDS_MAX);
		if (n <= name_at || !is_symbol_name(fields[name_at]) ||
		    !optional_module(fields, n, name_at + 1, &module))
			continue;
		err = ksymset_add_interning(set, strings, fields[name_at], module);
		if (err)
			return err;
	}
	return rc;
}

/* "0xSTART-0xEND\tname [module]"; the addresses may be zeroed by kptr_restrict: only name
 * and module count. */
int ktext_parse_blacklist(FILE *f, struct kstrings *strings, struct ksymset *blacklist)
{
	return parse_symbol_set(f, 1, strings, blacklist);
}

int ktext_parse_filter_section(FILE *f, const struct ksymset *blacklist,
			       struct kstrings *strings, struct ksymlist *out,
			       struct kfilter_cursor *cursor, const char **ended)
{
	char line[LINE_SIZE], *fields[FIELDS_MAX];
	const char *module;
	bool changed;
	size_t n;
	int err, rc;

	while ((rc = ktext_read_line(f, line, sizeof(line))) > 0) {
		n = split_fields(line, fields, FIELDS_MAX);
		if (!n || !is_symbol_name(fields[0]) || !optional_module(fields, n, 1, &module))
			continue;
		err = kstrings_module(strings, module, &module);
		if (err)
			return err;
		changed = cursor->started && module != cursor->module;
		if (changed)
			*ended = cursor->module;
		cursor->module = module;
		cursor->started = true;
		if (!ksymset_find(blacklist, fields[0], module)) {
			err = ksymlist_append(out, strings, fields[0], module);
			if (err)
				return err;
		}
		if (changed)
			return 1;
	}
	return rc;
}

int ktext_parse_filter_functions(FILE *f, const struct ksymset *blacklist,
				 struct kstrings *strings, struct ksymlist *out)
{
	struct kfilter_cursor cursor = { 0 };
	const char *ended;
	int rc;

	while ((rc = ktext_parse_filter_section(f, blacklist, strings, out, &cursor, &ended)) > 0)
		;
	return rc;
}

/* "ADDR TYPE name\t[module]" */
int ktext_parse_kallsyms(FILE *f, struct kstrings *strings, struct ksymset *syms)
{
	return parse_symbol_set(f, 2, strings, syms);
}

int ktext_parse_proc_modules(FILE *f, struct kstrings *strings, struct ksymset *modules)
{
	char line[LINE_SIZE], *fields[1];
	int err, rc;

	while ((rc = ktext_read_line(f, line, sizeof(line))) > 0) {
		if (split_fields(line, fields, 1) != 1 || !is_symbol_name(fields[0]))
			continue;
		err = ksymset_add(modules, strings, fields[0], NULL);
		if (err)
			return err;
	}
	return rc;
}

int ktext_parse_features(FILE *f, const char *feature, enum fact *value, char *reason,
			 size_t reason_size)
{
	char line[LINE_SIZE], *name, *answer, *rest, *end;
	int err = -ENOENT, rc;

	while ((rc = ktext_read_line(f, line, sizeof(line))) > 0) {
		name = line + strspn(line, " \t");
		answer = name + strcspn(name, " \t");
		if (*answer)
			*answer++ = '\0';
		answer += strspn(answer, " \t");
		rest = answer + strcspn(answer, " \t");
		if (*rest)
			*rest++ = '\0';
		rest += strspn(rest, " \t");
		if (strcmp(name, feature))
			continue;
		if (!strcmp(answer, "yes"))
			*value = FACT_YES;
		else if (!strcmp(answer, "no"))
			*value = FACT_NO;
		else
			continue;
		for (end = rest + strlen(rest); end > rest && (end[-1] == ' ' || end[-1] == '\t' ||
							       end[-1] == '\r');)
			*--end = '\0';
		/* reasons end up on a terminal */
		for (end = rest; *end; end++)
			if ((unsigned char)*end < 0x20 || (unsigned char)*end == 0x7f)
				*end = '?';
		snprintf(reason, reason_size, "%s", rest);
		err = 0;
		break;
	}
	if (rc < 0)
		err = rc;
	return err;
}

int ktext_parse_lockdown(char *line, char *mode, size_t mode_size)
{
	char *start, *end;

	start = strchr(line, '[');
	end = start ? strchr(start, ']') : NULL;
	if (!end || end == start + 1)
		return -EINVAL;
	*end = '\0';
	snprintf(mode, mode_size, "%s", start + 1);
	return 0;
}
