/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe/probe.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Names quoted in a reason; beyond that they are only counted, so a hostile list of
 * thousands of lookalikes cannot blow up the message (or the time spent on it). */
#define LISTED_NAMES_MAX 6

struct name_list {
	const char *names[LISTED_NAMES_MAX];
	size_t listed; /* distinct names kept */
	size_t more;   /* further entries, not deduplicated */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_clone_suffix(const char *s)
{
	static const char *const clone_kinds[] = { "isra", "constprop", "part", "cold" };
	size_t i, len;

	if (s[0] != '.')
		return false;
	for (i = 0; i < ARRAY_SIZE(clone_kinds); i++) {
		len = strlen(clone_kinds[i]);
		if (strncmp(s + 1, clone_kinds[i], len) == 0 && (s[1 + len] == '.' || !s[1 + len]))
			return true;
	}
	return false;
}

/* What follows the stem decides: nothing, a word-boundary suffix, a clone, or another
 * function that merely shares the prefix. */
static enum pattern_match classify_suffix(const char *s)
{
	if (!*s)
		return PATTERN_EXACT;
	while (s[0] == '_' && is_alnum(s[1])) {
		s++;
		while (is_alnum(*s))
			s++;
	}
	if (strncmp(s, ".llvm.", 6) == 0 && is_digit(s[6])) {
		s += 6;
		while (is_digit(*s))
			s++;
	}
	if (!*s)
		return PATTERN_SUFFIXED;
	return is_clone_suffix(s) ? PATTERN_CLONE : PATTERN_NO_MATCH;
}

static bool parse_pattern(const char *pattern, size_t *stem_len, bool *wildcard)
{
	const char *star;

	if (!pattern || !*pattern)
		return false;
	star = strchr(pattern, '*');
	*wildcard = star != NULL;
	if (!star) {
		*stem_len = strlen(pattern);
		return true;
	}
	if (star == pattern || star[1])
		return false;
	*stem_len = (size_t)(star - pattern);
	return true;
}

enum pattern_match pattern_match(const char *pattern, const char *name)
{
	enum pattern_match m;
	size_t stem_len;
	bool wildcard;

	if (!name || !parse_pattern(pattern, &stem_len, &wildcard))
		return PATTERN_NO_MATCH;
	if (strncmp(name, pattern, stem_len) != 0)
		return PATTERN_NO_MATCH;
	m = classify_suffix(name + stem_len);
	if (wildcard)
		return m;
	/* An exact name accepts nothing else; its own clones are still worth reporting. */
	if (m == PATTERN_EXACT || (m == PATTERN_CLONE && name[stem_len] == '.'))
		return m;
	return PATTERN_NO_MATCH;
}

static bool module_matches(const char *wanted, const char *module)
{
	if (!wanted)
		return !module;
	return module && strcmp(wanted, module) == 0;
}

static void name_list_add(struct name_list *list, const char *name)
{
	size_t i;

	for (i = 0; i < list->listed; i++)
		if (strcmp(list->names[i], name) == 0)
			return;
	if (list->listed < LISTED_NAMES_MAX)
		list->names[list->listed++] = name;
	else
		list->more++;
}

static void appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (!buf || !size)
		return;
	used = strnlen(buf, size);
	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static void append_names(char *buf, size_t size, const struct name_list *list)
{
	size_t i;

	for (i = 0; i < list->listed; i++)
		appendf(buf, size, "%s%s", i ? ", " : "", list->names[i]);
	if (list->more)
		appendf(buf, size, " and %zu more", list->more);
}

int pattern_resolve(const char *pattern, const char *module, const struct ksym *syms, size_t n,
		    char *out, size_t out_size, char *reason, size_t reason_size)
{
	struct name_list clones = { 0 }, shortest = { 0 }, passed_over = { 0 };
	const char *exact = NULL, *chosen = NULL;
	char where[80];
	size_t i, len, min_len = SIZE_MAX, stem_len;
	bool wildcard;
	int err;

	if (reason && reason_size)
		reason[0] = '\0';
	if (out && out_size)
		out[0] = '\0';
	if (!out || !out_size || (n && !syms) || !parse_pattern(pattern, &stem_len, &wildcard)) {
		appendf(reason, reason_size, "malformed target pattern");
		return -EINVAL;
	}
	if (module)
		snprintf(where, sizeof(where), "[%.64s]", module);
	else
		snprintf(where, sizeof(where), "vmlinux");

	for (i = 0; i < n; i++) {
		if (!syms[i].name || !module_matches(module, syms[i].module))
			continue;
		switch (pattern_match(pattern, syms[i].name)) {
		case PATTERN_EXACT:
			exact = syms[i].name;
			break;
		case PATTERN_SUFFIXED:
			len = strlen(syms[i].name);
			if (len < min_len)
				min_len = len;
			break;
		case PATTERN_CLONE:
			name_list_add(&clones, syms[i].name);
			break;
		case PATTERN_NO_MATCH:
			break;
		}
	}
	/* Second pass: the shortest length is only known now. */
	for (i = 0; i < n && min_len != SIZE_MAX; i++) {
		if (!syms[i].name || !module_matches(module, syms[i].module) ||
		    pattern_match(pattern, syms[i].name) != PATTERN_SUFFIXED)
			continue;
		if (!exact && strlen(syms[i].name) == min_len)
			name_list_add(&shortest, syms[i].name);
		else
			name_list_add(&passed_over, syms[i].name);
	}

	if (exact) {
		chosen = exact;
	} else if (shortest.listed == 1) {
		chosen = shortest.names[0];
	} else if (shortest.listed > 1) {
		appendf(reason, reason_size, "ambiguous: %s in %s matches ", pattern, where);
		append_names(reason, reason_size, &shortest);
		appendf(reason, reason_size, " equally");
		err = -ENOTUNIQ;
		goto out;
	} else {
		appendf(reason, reason_size, "no traceable function matches %s in %s", pattern,
			where);
		err = -ENOENT;
		goto out;
	}
	if (strlen(chosen) >= out_size) {
		appendf(reason, reason_size, "name too long: %s", chosen);
		err = -ENAMETOOLONG;
		goto out;
	}
	strcpy(out, chosen);
	appendf(reason, reason_size, "%s in %s (%s)", chosen, where,
		exact ? "exact match" : "shortest suffixed match");
	if (passed_over.listed) {
		appendf(reason, reason_size, "; passed over ");
		append_names(reason, reason_size, &passed_over);
	}
	err = 0;
out:
	if (clones.listed) {
		appendf(reason, reason_size, "; ignored compiler clone%s ",
			clones.listed + clones.more > 1 ? "s" : "");
		append_names(reason, reason_size, &clones);
	}
	return err;
}
