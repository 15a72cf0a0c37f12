/* SPDX-License-Identifier: GPL-2.0-only */
/* engine_object_ops that load and attach nothing, but fail on demand, and keep count so a
 * test can prove no object or link is left behind. */
#ifndef IOTRACE_TEST_FAKE_OBJECT_H
#define IOTRACE_TEST_FAKE_OBJECT_H

#include "engine/engine.h"

#include <errno.h>
#include <string.h>

#define FAKE_MAX 32

struct fake_failure {
	const char *prog;   /* program name */
	const char *target; /* NULL = any target */
	int err;
};

struct fake_object {
	struct fake_failure load_fail[FAKE_MAX];
	struct fake_failure attach_fail[FAKE_MAX];
	int opens, closes, loads;
	int attached;  /* currently attached programs */
	const char *attach_order[FAKE_MAX]; /* programs of the last open, in attach order */
	const char *enabled[FAKE_MAX];
	const char *enabled_target[FAKE_MAX];
	int n_enabled;
	bool is_open;
};

static const struct fake_failure *fake_find(const struct fake_failure *list, const char *prog,
					    const char *target)
{
	for (int i = 0; i < FAKE_MAX && list[i].prog; i++)
		if (!strcmp(list[i].prog, prog) && (!list[i].target || !strcmp(list[i].target, target)))
			return &list[i];
	return NULL;
}

static int fake_open(void *ctx, const struct probe_table *t, const struct probe_state *s)
{
	struct fake_object *f = ctx;

	if (f->is_open)
		return -EBUSY; /* the engine must close before reopening */
	f->opens++;
	f->is_open = true;
	f->n_enabled = 0;
	return 0;
}

static int fake_prepare(void *ctx, const struct probe_candidate *c, const char *target, bool enable)
{
	struct fake_object *f = ctx;

	if (!f->is_open)
		return -EBADF;
	for (int i = 0; i < f->n_enabled; i++) {
		if (strcmp(f->enabled[i], c->prog))
			continue;
		if (!enable) {
			f->enabled[i] = f->enabled[--f->n_enabled];
			f->enabled_target[i] = f->enabled_target[f->n_enabled];
		} else {
			f->enabled_target[i] = target;
		}
		return 0;
	}
	if (enable && f->n_enabled < FAKE_MAX) {
		f->enabled_target[f->n_enabled] = target;
		f->enabled[f->n_enabled++] = c->prog;
	}
	return 0;
}

static int fake_load(void *ctx, char *detail, size_t size)
{
	struct fake_object *f = ctx;

	f->loads++;
	for (int i = 0; i < f->n_enabled; i++) {
		const struct fake_failure *fail = fake_find(f->load_fail, f->enabled[i], f->enabled_target[i]);

		if (fail) {
			snprintf(detail, size, "injected load failure of %s", f->enabled[i]);
			return fail->err;
		}
	}
	return 0;
}

static int fake_attach(void *ctx, const struct probe_candidate *c, const char *target, char *detail,
		       size_t size)
{
	struct fake_object *f = ctx;
	const struct fake_failure *fail = fake_find(f->attach_fail, c->prog, target);

	if (fail)
		return fail->err;
	if (f->attached < FAKE_MAX)
		f->attach_order[f->attached] = c->prog;
	f->attached++;
	return 0;
}

static void fake_close(void *ctx)
{
	struct fake_object *f = ctx;

	f->closes++;
	f->attached = 0;
	f->is_open = false;
}

static const struct engine_object_ops fake_object_ops = {
	.open = fake_open,
	.prepare = fake_prepare,
	.load = fake_load,
	.attach = fake_attach,
	.close = fake_close,
};

#endif
