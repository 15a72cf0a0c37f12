/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel text parsers of core/kfacts/text.c (kallsyms, available_filter_functions, the
 * kprobe blacklist, /proc/modules, a fixture's features file, the lockdown line) and the
 * containers of core/kfacts/symset.c, through fmemopen() as the header suggests.
 *
 * Every parser runs on the whole input and is compared with a reference parser written from
 * the documented line formats: same entries, nothing invented, every good line kept. A line
 * "%%" splits the input: the blacklist is parsed from the part before it and filters the
 * available_filter_functions parsed from the part after (without one, both see everything).
 * Seeds: tests/fuzz/corpus/kfacts. */
#include "fuzz_common.h"
#include "kfacts/internal.h"

#include <errno.h>

#define MAX_LINES 4096

/* ---- reference: lines and fields ------------------------------------------------------- */

struct ref_line {
	const char *s; /* NUL-terminated copy */
	size_t len;
};

struct ref_lines {
	struct ref_line v[MAX_LINES];
	size_t n;
	bool truncated;
};

/* What ktext_read_line keeps: lines of at most size-1 bytes without NUL; a last line without
 * a newline counts when not empty. */
static void ref_split(const uint8_t *data, size_t size, size_t line_size, struct ref_lines *out)
{
	struct fuzz_cursor c = { data, data + size };
	const uint8_t *p;
	size_t len;

	out->n = 0;
	out->truncated = false;
	while (fuzz_next(&c, '\n', &p, &len)) {
		if (len > line_size - 1 || memchr(p, '\0', len))
			continue;
		if (out->n == MAX_LINES) {
			out->truncated = true;
			return;
		}
		out->v[out->n].s = fuzz_strndup(p, len);
		out->v[out->n].len = len;
		out->n++;
	}
}

static void ref_free(struct ref_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i].s);
	l->n = 0;
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Up to max fields split at space, tab and CR; the rest of the line is ignored. */
static size_t ref_fields(const char *line, char fields[][LINE_SIZE], size_t max)
{
	size_t n = 0;

	while (n < max) {
		size_t k = 0;

		while (ws(*line))
			line++;
		if (!*line)
			break;
		while (*line && !ws(*line))
			fields[n][k++] = *line++;
		fields[n][k] = '\0';
		n++;
	}
	return n;
}

/* 1..511 bytes of 0x21..0x7e, not starting with '[' */
static bool ref_symbol(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > SYMBOL_NAME_MAX || s[0] == '[')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* "[name]" with a symbol-like name without brackets; writes the name into module. */
static bool ref_module(const char *field, char *module)
{
	size_t len = strlen(field);

	if (len < 3 || field[0] != '[' || field[len - 1] != ']')
		return false;
	memcpy(module, field + 1, len - 2);
	module[len - 2] = '\0';
	return !strchr(module, '[') && !strchr(module, ']') && ref_symbol(module);
}

/* One symbol line: the name in field name_at, an optional "[module]" right after it. */
static bool ref_sym_line(const char *line, size_t name_at, char *name, char *module,
			 bool *has_module)
{
	char fields[4][LINE_SIZE];
	size_t n = ref_fields(line, fields, 4);

	if (n <= name_at || !ref_symbol(fields[name_at]))
		return false;
	strcpy(name, fields[name_at]);
	*has_module = n > name_at + 1;
	return !*has_module || ref_module(fields[name_at + 1], module);
}

/* ---- checks on the product's containers ------------------------------------------------ */

static bool same_mod(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Every slot valid, counted, findable; module strings interned (one pointer per name). */
static void check_set(const struct ksymset *set, const struct kstrings *strings, bool modules_ok,
		      const char *what)
{
	size_t used = 0;

	CHECK(set->capacity == 0 || (set->capacity & (set->capacity - 1)) == 0,
	      "%s: capacity %zu not a power of two", what, set->capacity);
	CHECK(set->count * 2 <= set->capacity || set->count == 0, "%s: load factor above 1/2", what);
	for (size_t i = 0; i < set->capacity; i++) {
		const struct ksym *s = &set->slots[i], *found;

		if (!s->name) {
			CHECK(!s->module, "%s: empty slot with a module", what);
			continue;
		}
		used++;
		CHECK(ref_symbol(s->name), "%s: stored a bad name \"%s\"", what, SHOW(s->name));
		CHECK(modules_ok || !s->module, "%s: module on \"%s\"", what, SHOW(s->name));
		if (s->module) {
			CHECK(ref_symbol(s->module) && !strchr(s->module, '[') && !strchr(s->module, ']'),
			      "%s: stored a bad module \"%s\"", what, SHOW(s->module));
			found = ksymset_find(&strings->modules, s->module, NULL);
			CHECK(found && found->name == s->module,
			      "%s: module \"%s\" of \"%s\" not the interned copy", what, SHOW(s->module),
			      SHOW(s->name));
		}
		found = ksymset_find(set, s->name, s->module);
		CHECK(found == s, "%s: \"%s\" [%s] not found at its own slot", what, SHOW(s->name),
		      SHOW(s->module));
	}
	CHECK(used == set->count, "%s: %zu used slots, count %zu", what, used, set->count);
}

/* The set holds exactly the reference's (name, module) pairs. */
static void check_set_equals(const struct ksymset *set, const struct ref_lines *lines,
			     size_t name_at, const char *what)
{
	char name[LINE_SIZE], module[LINE_SIZE];
	struct ksymset seen = { 0 };
	struct kstrings tmp = { 0 };
	bool has_module;
	const char *interned;

	for (size_t i = 0; i < lines->n; i++) {
		if (!ref_sym_line(lines->v[i].s, name_at, name, module, &has_module))
			continue;
		CHECK(ksymset_find(set, name, has_module ? module : NULL),
		      "%s: good line \"%s\" was not kept", what, fuzz_show(lines->v[i].s, lines->v[i].len));
		CHECK(!kstrings_module(&tmp, has_module ? module : NULL, &interned) &&
			      !ksymset_add(&seen, &tmp, name, interned),
		      "out of memory");
	}
	if (!lines->truncated)
		CHECK(seen.count == set->count, "%s: %zu entries, the reference has %zu", what,
		      set->count, seen.count);
	ksymset_free(&seen);
	kstrings_free(&tmp);
}

static FILE *open_input(const uint8_t *data, size_t size)
{
	FILE *f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");

	CHECK(f, "fmemopen: %s", strerror(errno));
	return f;
}

/* ktext_read_line with small buffers: every line it returns fits and is a good line. */
static void check_read_line(const uint8_t *data, size_t size, size_t line_size,
			    struct ref_lines *ref)
{
	FILE *f = open_input(data, size);
	char *buf = malloc(line_size);
	size_t i = 0;
	int rc;

	ref_split(data, size, line_size, ref);
	while ((rc = ktext_read_line(f, buf, line_size)) > 0) {
		CHECK(memchr(buf, '\0', line_size), "ktext_read_line: no NUL within %zu", line_size);
		CHECK(!strchr(buf, '\n'), "ktext_read_line kept a newline");
		if (i < ref->n)
			CHECK(strcmp(buf, ref->v[i].s) == 0,
			      "ktext_read_line(size %zu) line %zu: \"%s\", expected \"%s\"", line_size, i,
			      SHOW(buf), SHOW(ref->v[i].s));
		i++;
	}
	CHECK(rc == 0, "ktext_read_line on memory returned %d", rc);
	if (!ref->truncated)
		CHECK(i == ref->n, "ktext_read_line(size %zu): %zu lines, expected %zu", line_size, i,
		      ref->n);
	fclose(f);
	free(buf);
	ref_free(ref);
}

static void check_features(const uint8_t *data, size_t size, const char *feature,
			   const struct ref_lines *lines)
{
	enum fact value = FACT_UNKNOWN, want_value = FACT_UNKNOWN;
	char reason[64], want_reason[LINE_SIZE];
	int want_err = -ENOENT, err;
	FILE *f = open_input(data, size);

	memset(reason, 'X', sizeof(reason));
	for (size_t i = 0; i < lines->n && want_err; i++) {
		char line[LINE_SIZE], *name, *answer, *rest;
		size_t k;

		strcpy(line, lines->v[i].s);
		name = line + strspn(line, " \t");
		k = strcspn(name, " \t");
		answer = name[k] ? name + k + 1 : name + k;
		name[k] = '\0';
		answer += strspn(answer, " \t");
		k = strcspn(answer, " \t");
		rest = answer[k] ? answer + k + 1 : answer + k;
		answer[k] = '\0';
		rest += strspn(rest, " \t");
		if (strcmp(name, feature))
			continue;
		if (strcmp(answer, "yes") && strcmp(answer, "no"))
			continue;
		want_value = strcmp(answer, "yes") ? FACT_NO : FACT_YES;
		k = strlen(rest);
		while (k && (rest[k - 1] == ' ' || rest[k - 1] == '\t' || rest[k - 1] == '\r'))
			rest[--k] = '\0';
		snprintf(want_reason, sizeof(want_reason), "%s", rest);
		want_err = 0;
	}
	err = ktext_parse_features(f, feature, &value, reason, sizeof(reason));
	fclose(f);
	if (lines->truncated)
		return;
	CHECK(err == want_err, "features \"%s\": %d, expected %d", feature, err, want_err);
	if (err)
		return;
	CHECK(value == want_value, "features \"%s\": value %d, expected %d", feature, value,
	      want_value);
	CHECK(memchr(reason, '\0', sizeof(reason)), "features reason not NUL-terminated");
	for (const char *p = reason; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "features reason holds control 0x%02x",
		      (unsigned char)*p);
	/* the reason is the line's rest, control characters as '?', cut to the buffer */
	for (char *p = want_reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	want_reason[sizeof(reason) - 1] = '\0';
	CHECK(strcmp(reason, want_reason) == 0, "features reason \"%s\", expected \"%s\"",
	      SHOW(reason), SHOW(want_reason));
}

static void check_lockdown(const char *line0)
{
	char line[LINE_SIZE], mode[16];
	const char *open, *close;
	int err;

	snprintf(line, sizeof(line), "%s", line0);
	memset(mode, 'M', sizeof(mode));
	err = ktext_parse_lockdown(line, mode, sizeof(mode));
	open = strchr(line0, '[');
	close = open ? strchr(open, ']') : NULL;
	CHECK((err == 0) == (close && close > open + 1), "lockdown \"%s\": %d", SHOW(line0), err);
	if (!err) {
		CHECK(memchr(mode, '\0', sizeof(mode)), "lockdown mode not NUL-terminated");
		CHECK(strncmp(mode, open + 1, strlen(mode)) == 0 &&
			      strlen(mode) == ((size_t)(close - open - 1) < sizeof(mode) - 1 ?
						       (size_t)(close - open - 1) :
						       sizeof(mode) - 1),
		      "lockdown \"%s\" gave \"%s\"", SHOW(line0), SHOW(mode));
	}
}

/* Lines made back from the entries parse to the same entries. */
static void check_kallsyms_round_trip(const struct ksymset *set)
{
	char *text = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&text, &len), *f;
	struct kstrings strings = { 0 };
	struct ksymset again = { 0 };

	for (size_t i = 0; i < set->capacity; i++)
		if (set->slots[i].name)
			fprintf(w, "ffffffffc0000000 t %s%s%s%s\n", set->slots[i].name,
				set->slots[i].module ? "\t[" : "",
				set->slots[i].module ? set->slots[i].module : "",
				set->slots[i].module ? "]" : "");
	fclose(w);
	f = open_input((const uint8_t *)text, len);
	CHECK(ktext_parse_kallsyms(f, &strings, &again) == 0, "kallsyms round trip failed");
	fclose(f);
	CHECK(again.count == set->count, "kallsyms round trip: %zu of %zu entries", again.count,
	      set->count);
	for (size_t i = 0; i < set->capacity; i++)
		if (set->slots[i].name)
			CHECK(ksymset_find(&again, set->slots[i].name, set->slots[i].module),
			      "kallsyms round trip lost \"%s\"", SHOW(set->slots[i].name));
	ksymset_free(&again);
	kstrings_free(&strings);
	free(text);
}

static struct ref_lines lines, lines2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *split = NULL, *bl_data = data, *ff_data = data;
	size_t bl_size = size, ff_size = size;
	struct kstrings strings = { 0 };
	struct ksymset kallsyms = { 0 }, blacklist = { 0 }, modules = { 0 };
	struct ksymlist list = { 0 };
	FILE *f;
	int rc;

	if (size > 256 * 1024)
		return 0;
	for (size_t i = 0; i + 4 <= size; i++)
		if ((i == 0 || data[i - 1] == '\n') && !memcmp(data + i, "%%\n", 3)) {
			split = data + i;
			break;
		}
	if (split) {
		bl_size = (size_t)(split - data);
		ff_data = split + 3;
		ff_size = size - bl_size - 3;
	}
	ref_split(data, size, LINE_SIZE, &lines);

	/* kallsyms: "ADDR TYPE name [module]" */
	f = open_input(data, size);
	rc = ktext_parse_kallsyms(f, &strings, &kallsyms);
	fclose(f);
	CHECK(rc == 0, "ktext_parse_kallsyms: %d", rc);
	check_set(&kallsyms, &strings, true, "kallsyms");
	check_set_equals(&kallsyms, &lines, 2, "kallsyms");
	check_kallsyms_round_trip(&kallsyms);

	/* /proc/modules: the first field */
	f = open_input(data, size);
	rc = ktext_parse_proc_modules(f, &strings, &modules);
	fclose(f);
	CHECK(rc == 0, "ktext_parse_proc_modules: %d", rc);
	check_set(&modules, &strings, false, "proc/modules");
	{
		char fields[1][LINE_SIZE];
		size_t expect = 0;
		struct ksymset seen = { 0 };
		struct kstrings tmp = { 0 };

		for (size_t i = 0; i < lines.n; i++)
			if (ref_fields(lines.v[i].s, fields, 1) == 1 && ref_symbol(fields[0])) {
				CHECK(ksymset_find(&modules, fields[0], NULL),
				      "proc/modules: \"%s\" not kept", SHOW(fields[0]));
				if (!ksymset_find(&seen, fields[0], NULL)) {
					ksymset_add(&seen, &tmp, fields[0], NULL);
					expect++;
				}
			}
		if (!lines.truncated)
			CHECK(modules.count == expect, "proc/modules: %zu, expected %zu", modules.count,
			      expect);
		ksymset_free(&seen);
		kstrings_free(&tmp);
	}

	/* the blacklist: "0xSTART-0xEND name [module]" */
	f = open_input(bl_data, bl_size);
	rc = ktext_parse_blacklist(f, &strings, &blacklist);
	fclose(f);
	CHECK(rc == 0, "ktext_parse_blacklist: %d", rc);
	check_set(&blacklist, &strings, true, "blacklist");
	ref_split(bl_data, bl_size, LINE_SIZE, &lines2);
	check_set_equals(&blacklist, &lines2, 1, "blacklist");
	ref_free(&lines2);

	/* available_filter_functions: "name [module]", in order, duplicates kept, blacklisted
	 * ones left out */
	f = open_input(ff_data, ff_size);
	rc = ktext_parse_filter_functions(f, &blacklist, &strings, &list);
	fclose(f);
	CHECK(rc == 0, "ktext_parse_filter_functions: %d", rc);
	ref_split(ff_data, ff_size, LINE_SIZE, &lines2);
	{
		char name[LINE_SIZE], module[LINE_SIZE];
		bool has_module;
		size_t at = 0;

		for (size_t i = 0; i < lines2.n; i++) {
			const char *mod;

			if (!ref_sym_line(lines2.v[i].s, 0, name, module, &has_module))
				continue;
			mod = has_module ? module : NULL;
			if (ksymset_find(&blacklist, name, mod))
				continue;
			CHECK(at < list.count, "filter functions: \"%s\" missing (only %zu entries)",
			      SHOW(name), list.count);
			CHECK(!strcmp(list.syms[at].name, name) && same_mod(list.syms[at].module, mod),
			      "filter functions entry %zu: \"%s\" [%s], expected \"%s\" [%s]", at,
			      SHOW(list.syms[at].name), SHOW(list.syms[at].module), SHOW(name), SHOW(mod));
			if (mod) {
				const struct ksym *k = ksymset_find(&strings.modules, mod, NULL);

				CHECK(k && k->name == list.syms[at].module, "module not interned");
			}
			at++;
		}
		if (!lines2.truncated)
			CHECK(at == list.count, "filter functions: %zu entries, expected %zu", list.count,
			      at);
	}
	ref_free(&lines2);

	/* a fixture's features file */
	static const char *const features[] = { "btf_vmlinux", "tracefs", "kprobes", "fentry" };

	for (size_t i = 0; i < 4; i++)
		check_features(data, size, features[i], &lines);
	if (lines.n) { /* the first word of the first line as a feature name */
		char word[LINE_SIZE];
		const char *s = lines.v[0].s + strspn(lines.v[0].s, " \t");
		size_t k = strcspn(s, " \t");

		memcpy(word, s, k);
		word[k] = '\0';
		check_features(data, size, word, &lines);
		check_lockdown(lines.v[0].s);
	}
	ref_free(&lines);

	/* small line buffers: the long-line rule at every size */
	check_read_line(data, size, 1, &lines2);
	check_read_line(data, size, 2, &lines2);
	check_read_line(data, size, 3 + (size ? data[0] % 29 : 0), &lines2);

	ksymlist_free(&list);
	ksymset_free(&kallsyms);
	ksymset_free(&blacklist);
	ksymset_free(&modules);
	kstrings_free(&strings);
	return 0;
}
