/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Each attach kind: its name, and the backend (one file in backends/) that serves it. */
static const struct {
	const char *name;
	enum backend_kind backend;
} attach_kinds[ATTACH_KIND_COUNT] = {
	[ATTACH_TP_BTF] = { "tp_btf", BACKEND_TRACEPOINT },
	[ATTACH_RAW_TP] = { "raw_tp", BACKEND_TRACEPOINT },
	[ATTACH_TRACEPOINT] = { "tracepoint", BACKEND_TRACEPOINT },
	[ATTACH_FENTRY] = { "fentry", BACKEND_FENTRY },
	[ATTACH_KPROBE] = { "kprobe", BACKEND_KPROBE },
};

/* The only place backend kinds are spelled: --backend, its completion and its errors, the
 * JSON report and every message take them from here. */
static const char *const backend_names[BACKEND_KIND_COUNT] = {
	[BACKEND_AUTO] = "auto",
	[BACKEND_TRACEPOINT] = "tracepoint",
	[BACKEND_FENTRY] = "fentry",
	[BACKEND_KPROBE] = "kprobe",
};

const char *attach_kind_name(enum attach_kind kind)
{
	return (unsigned)kind < ATTACH_KIND_COUNT ? attach_kinds[kind].name : "?";
}

enum backend_kind attach_kind_backend(enum attach_kind kind)
{
	return (unsigned)kind < ATTACH_KIND_COUNT ? attach_kinds[kind].backend : BACKEND_TRACEPOINT;
}

const char *backend_kind_name(enum backend_kind kind)
{
	return (unsigned)kind < BACKEND_KIND_COUNT ? backend_names[kind] : "?";
}

int backend_kind_parse(const char *name, enum backend_kind *out)
{
	for (unsigned i = 0; i < BACKEND_KIND_COUNT; i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			*out = (enum backend_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

size_t backend_kind_list(char *buf, size_t size, const char *sep, const char *last_sep)
{
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned i = 0; i < BACKEND_KIND_COUNT && n < size; i++) {
		const char *before = i == 0 ? "" : i + 1 == BACKEND_KIND_COUNT ? last_sep : sep;
		int w = snprintf(buf + n, size - n, "%s%s", before, backend_names[i]);

		n += w < 0 ? 0 : (size_t)w;
	}
	return n < size ? n : size - 1;
}

bool word_in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	/* (an empty word is in no list, and strstr would find it everywhere, forever) */
	if (!n || !list)
		return false;
	for (const char *p = list; (p = strstr(p, word)); p += n) {
		bool starts = p == list || p[-1] == ' ';
		bool ends = p[n] == '\0' || p[n] == ' ';

		if (starts && ends)
			return true;
	}
	return false;
}

bool probe_table_has_variant(const struct probe_table *table, const char *variant)
{
	for (size_t i = 0; i < table->group_count; i++)
		if (word_in_list(table->groups[i].variants, variant))
			return true;
	return false;
}
