/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe/probe.h"

#include <string.h>

static const char *const kind_names[ATTACH_KIND_COUNT] = {
	[ATTACH_TP_BTF] = "tp_btf",
	[ATTACH_RAW_TP] = "raw_tp",
	[ATTACH_TRACEPOINT] = "tracepoint",
	[ATTACH_FENTRY] = "fentry",
	[ATTACH_KPROBE] = "kprobe",
};

static const char *const backend_names[BACKEND_KIND_COUNT] = {
	[BACKEND_AUTO] = "auto",
	[BACKEND_TRACEPOINT] = "tracepoint",
	[BACKEND_FENTRY] = "fentry",
	[BACKEND_KPROBE] = "kprobe",
};

const char *attach_kind_name(enum attach_kind kind)
{
	return kind < ATTACH_KIND_COUNT ? kind_names[kind] : "?";
}

enum backend_kind attach_kind_backend(enum attach_kind kind)
{
	switch (kind) {
	case ATTACH_FENTRY:
		return BACKEND_FENTRY;
	case ATTACH_KPROBE:
		return BACKEND_KPROBE;
	default:
		return BACKEND_TRACEPOINT;
	}
}

const char *backend_kind_name(enum backend_kind kind)
{
	return (unsigned)kind < BACKEND_KIND_COUNT ? backend_names[kind] : "?";
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
