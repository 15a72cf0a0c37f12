/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe/probe.h"

const struct backend *backend_for(enum attach_kind kind)
{
	switch (attach_kind_backend(kind)) {
	case BACKEND_FENTRY:
		return &backend_fentry;
	case BACKEND_KPROBE:
		return &backend_kprobe;
	default:
		return &backend_tracepoint;
	}
}
