/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe.h"

static const char *const kind_names[ATTACH_KIND_COUNT] = {
	[ATTACH_TP_BTF] = "tp_btf",
	[ATTACH_RAW_TP] = "raw_tp",
	[ATTACH_TRACEPOINT] = "tracepoint",
	[ATTACH_FENTRY] = "fentry",
	[ATTACH_KPROBE] = "kprobe",
};

static const char *const family_names[FAMILY_COUNT] = {
	[FAMILY_TRACEPOINT] = "tracepoint",
	[FAMILY_FENTRY] = "fentry",
	[FAMILY_KPROBE] = "kprobe",
};

const char *attach_kind_name(enum attach_kind kind)
{
	return kind < ATTACH_KIND_COUNT ? kind_names[kind] : "?";
}

enum backend_family attach_kind_family(enum attach_kind kind)
{
	switch (kind) {
	case ATTACH_FENTRY:
		return FAMILY_FENTRY;
	case ATTACH_KPROBE:
		return FAMILY_KPROBE;
	default:
		return FAMILY_TRACEPOINT;
	}
}

const char *backend_family_name(enum backend_family family)
{
	return family < FAMILY_COUNT ? family_names[family] : "?";
}
