/* SPDX-License-Identifier: GPL-2.0-only */
/* An engine over a fixture kernel (tests/fixtures/kernels) and the fake object. Include
 * after cmocka.h. */
#ifndef IOTRACE_TEST_ENGINE_FIXTURE_H
#define IOTRACE_TEST_ENGINE_FIXTURE_H

#include "engine/engine.h"
#include "fake_kernel.h"
#include "fake_object.h"
#include "kfacts/kfacts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


struct fixture {
	struct kfacts *kf;
	struct fake_object obj;
	struct engine *e;
};

static inline struct fixture *setup_kernel(const char *kernel, enum backend_kind backend,
				    const struct probe_table *table)
{
	static struct fixture fx;
	char root[512];
	struct kfacts_live_opts opts = { .root = root, .run_feature_probes = false };
	struct engine_opts eopts = { .backend = backend };

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(fake_kernel_root(kernel, root, sizeof(root)), 0);
	assert_int_equal(kfacts_live_new(&opts, &fx.kf), 0);
	assert_int_equal(engine_new(table, fx.kf, &eopts, &fake_object_ops, &fx.obj, &fx.e), 0);
	return &fx;
}

static inline void teardown(struct fixture *fx)
{
	engine_free(fx->e);
	kfacts_free(fx->kf);
}

static inline int probe_index(const struct engine *e, const char *name)
{
	for (size_t p = 0; p < engine_table(e)->probe_count; p++)
		if (!strcmp(engine_table(e)->probes[p].name, name))
			return (int)p;
	fail_msg("no probe %s", name);
	return -1;
}

/* target NULL: the probe must not be used. */
static inline void expect(const struct engine *e, const char *probe, enum attach_kind kind,
		   const char *target)
{
	int p = probe_index(e, probe);
	int c = engine_probe(e, p)->chosen;

	if (!target) {
		if (c >= 0)
			fail_msg("%s: expected unused, got %s %s", probe,
				 attach_kind_name(engine_table(e)->probes[p].candidates[c].kind),
				 engine_probe(e, p)->cands[c].target);
		return;
	}
	if (c < 0)
		fail_msg("%s: expected %s %s, got nothing (failure: %s)", probe, attach_kind_name(kind),
			 target, engine_failure(e));
	if (engine_table(e)->probes[p].candidates[c].kind != kind || strcmp(engine_probe(e, p)->cands[c].target, target))
		fail_msg("%s: expected %s %s, got %s %s", probe, attach_kind_name(kind), target,
			 attach_kind_name(engine_table(e)->probes[p].candidates[c].kind),
			 engine_probe(e, p)->cands[c].target);
}

static inline const struct candidate_state *cand_state(const struct engine *e, const char *probe,
						const char *prog, const char *target)
{
	int p = probe_index(e, probe);

	for (size_t c = 0; c < engine_table(e)->probes[p].candidate_count; c++)
		if (!strcmp(engine_table(e)->probes[p].candidates[c].prog, prog) &&
		    (!target || !strcmp(engine_table(e)->probes[p].candidates[c].target, target)))
			return &engine_probe(e, p)->cands[c];
	fail_msg("%s has no candidate %s", probe, prog);
	return NULL;
}

#endif
