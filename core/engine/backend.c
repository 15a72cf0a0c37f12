/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe/probe.h"
#include "util/util.h"

/* Every backend, each saying which kind it is: the one list the engine picks from. */
static const struct backend *const backends[] = {
	&backend_tracepoint,
	&backend_fentry,
	&backend_kprobe,
};

const struct backend *backend_for(enum attach_kind kind)
{
	enum backend_kind want = attach_kind_backend(kind);

	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		if (backends[i]->kind == want)
			return backends[i];
	return NULL;
}
