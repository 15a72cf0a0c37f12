/* SPDX-License-Identifier: GPL-2.0-only */
/* The engine's state, shared by its own files (engine.c decides, report.c tells). */
#ifndef IOTRACE_ENGINE_INTERNAL_H
#define IOTRACE_ENGINE_INTERNAL_H

#include "engine/engine.h"

struct engine {
	const struct probe_table *table;
	struct kfacts *kf;
	struct engine_opts opts;
	const struct engine_object_ops *ops;
	void *ops_ctx;
	struct probe_state *probes;
	int attempts; /* object (re)opens, for tests and -v */
	bool open;    /* an object is open (and, after engine_run, attached) */
	char failure[4096]; /* why nothing could run, when engine_run fails */
};

/* The candidate chosen for table->probes[p], NULL when none. */
const struct probe_candidate *engine_chosen_at(const struct engine *e, size_t p);

#endif
