/* SPDX-License-Identifier: GPL-2.0-only */
#include "kfacts.h"

#include <string.h>

const char kfacts_every_module[] = "(every module)";

static const char *const feature_names[KFEATURE_COUNT] = {
	[KFEATURE_BTF_VMLINUX] = "btf_vmlinux",
	[KFEATURE_TRACEFS] = "tracefs",
	[KFEATURE_KPROBES] = "kprobes",
	[KFEATURE_RAW_TP] = "raw_tp",
	[KFEATURE_TP_BTF] = "tp_btf",
	[KFEATURE_FENTRY] = "fentry",
	[KFEATURE_TRACEPOINT] = "tracepoint",
};

const char *kfeature_name(enum kfeature f)
{
	if ((unsigned)f >= KFEATURE_COUNT)
		return "unknown";
	return feature_names[f];
}

enum fact kfacts_feature(struct kfacts *kf, enum kfeature f, const char **reason)
{
	struct kfacts_feature_cache *cache;
	enum fact value;

	if (!kf || !kf->ops || !kf->ops->feature || (unsigned)f >= KFEATURE_COUNT) {
		if (reason)
			*reason = "no such feature";
		return FACT_UNKNOWN;
	}
	cache = &kf->features[f];
	if (cache->value == FACT_UNKNOWN) {
		cache->reason[0] = '\0';
		value = kf->ops->feature(kf, f, cache->reason, sizeof(cache->reason));
		cache->reason[sizeof(cache->reason) - 1] = '\0';
		/* UNKNOWN marks "not probed yet", so an undecided probe is stored as NO: probes
		 * have side effects (mounts, program loads) and must not run again. */
		if (value != FACT_YES && value != FACT_NO) {
			value = FACT_NO;
			if (!cache->reason[0])
				strcpy(cache->reason, "probe could not decide");
		}
		cache->value = value;
	}
	if (reason)
		*reason = cache->reason;
	return cache->value;
}

void kfacts_free(struct kfacts *kf)
{
	if (kf && kf->ops && kf->ops->free)
		kf->ops->free(kf);
}
