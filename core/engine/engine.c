/* SPDX-License-Identifier: GPL-2.0-only */
#include "engine/internal.h"

#include "probe/probe.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[] = {
	[VERDICT_NOT_REACHED] = "not reached",
	[VERDICT_CHOSEN] = "chosen",
	[VERDICT_FILTERED] = "excluded by --backend",
	[VERDICT_UNAVAILABLE] = "unavailable",
	[VERDICT_VARIANT_UNUSED] = "variant not used",
	[VERDICT_LOAD_FAILED] = "load failed",
	[VERDICT_ATTACH_FAILED] = "attach failed",
};

const char *verdict_name(enum verdict v)
{
	return v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}


int engine_new(const struct probe_table *table, struct kfacts *kf, const struct engine_opts *opts,
	       const struct engine_object_ops *ops, void *ops_ctx, struct engine **out)
{
	struct engine *e = calloc(1, sizeof(*e));
	int err = -ENOMEM;

	if (!e)
		return -ENOMEM;
	e->table = table;
	e->kf = kf;
	e->opts = *opts;
	e->ops = ops;
	e->ops_ctx = ops_ctx;
	e->probes = calloc(table->probe_count, sizeof(*e->probes));
	if (!e->probes)
		goto fail;
	for (size_t i = 0; i < table->probe_count; i++) {
		e->probes[i].chosen = -1;
		e->probes[i].cands = calloc(table->probes[i].candidate_count + 1,
					    sizeof(*e->probes[i].cands));
		if (!e->probes[i].cands)
			goto fail;
	}
	*out = e;
	return 0;
fail:
	engine_free(e);
	return err;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_close(e);
	for (size_t i = 0; e->probes && i < e->table->probe_count; i++)
		free(e->probes[i].cands);
	free(e->probes);
	free(e);
}

void engine_forget_kfacts(struct engine *e)
{
	e->kf = NULL;
}

const char *engine_failure(const struct engine *e)
{
	return e->failure;
}

const struct probe_table *engine_table(const struct engine *e)
{
	return e->table;
}

const struct probe_state *engine_probe(const struct engine *e, size_t index)
{
	return index < e->table->probe_count ? &e->probes[index] : NULL;
}

static bool in_variant(const struct probe_candidate *c, const char *variant)
{
	return !variant || !c->variants || word_in_list(c->variants, variant);
}

/* Ask the kernel facts once per candidate; the answer cannot change during a run. */
static void check_candidate(struct engine *e, const struct probe_candidate *c,
			    struct candidate_state *st)
{
	const struct backend *b = backend_for(c->kind);
	int err;

	if (st->checked)
		return;
	st->checked = true;
	if (e->opts.backend != BACKEND_AUTO && attach_kind_backend(c->kind) != e->opts.backend) {
		st->filtered = true;
		snprintf(st->reason, sizeof(st->reason), "excluded by --backend=%s",
			 backend_kind_name(e->opts.backend));
		return;
	}
	err = b->available(e->kf, c, st->target, sizeof(st->target), st->reason, sizeof(st->reason));
	st->available = err == 0;
	st->err = err;
	if (!err)
		st->reason[0] = '\0';
}

static bool usable(const struct candidate_state *st)
{
	return st->available && !st->filtered && !st->dead;
}

static const struct probe_group *find_group(const struct probe_table *t, const char *name)
{
	for (size_t i = 0; name && i < t->group_count; i++)
		if (strcmp(t->groups[i].name, name) == 0)
			return &t->groups[i];
	return NULL;
}

static bool same_group(const struct probe_spec *a, const struct probe_spec *b)
{
	if (!a->group || !b->group)
		return a == b;
	return strcmp(a->group, b->group) == 0;
}

/* First usable candidate of probe p in variant v: index, -1 when none, -2 when the probe has
 * no candidate in v at all (it does not take part in that variant). */
static int pick(struct engine *e, size_t p, const char *variant)
{
	const struct probe_spec *spec = &e->table->probes[p];
	bool member = false;

	for (size_t c = 0; c < spec->candidate_count; c++) {
		if (!in_variant(&spec->candidates[c], variant))
			continue;
		member = true;
		check_candidate(e, &spec->candidates[c], &e->probes[p].cands[c]);
		if (usable(&e->probes[p].cands[c]))
			return (int)c;
	}
	return member ? -1 : -2;
}

static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static void explain_probe(struct engine *e, size_t p, const char *variant)
{
	const struct probe_spec *spec = &e->table->probes[p];
	int listed = 0, eligible = 0;

	/* with --backend, the excluded kinds are noise: the hint line names the filter */
	for (size_t c = 0; c < spec->candidate_count; c++)
		eligible += in_variant(&spec->candidates[c], variant) && !e->probes[p].cands[c].filtered;
	if (!eligible)
		return;
	appendf(e->failure, sizeof(e->failure), "\n  %s%s%s: no usable attach point", spec->name,
		variant ? " in variant " : "", variant ? variant : "");
	for (size_t c = 0; c < spec->candidate_count; c++) {
		const struct probe_candidate *cand = &spec->candidates[c];
		struct candidate_state *st = &e->probes[p].cands[c];

		if (!in_variant(cand, variant) || !st->checked || st->filtered || st->explained)
			continue;
		st->explained = true;
		listed++;
		appendf(e->failure, sizeof(e->failure), "\n    %s %s: %s", attach_kind_name(cand->kind),
			cand->target, st->reason[0] ? st->reason : verdict_name(st->verdict));
	}
	if (!listed)
		appendf(e->failure, sizeof(e->failure), " (its candidates are listed above)");
}

/* Try the group's variants in order; commit the first in which every member probe that
 * takes part resolves (optional ones may stay empty). */
static int resolve_group(struct engine *e, size_t first)
{
	const struct probe_table *t = e->table;
	const struct probe_spec *lead = &t->probes[first];
	const struct probe_group *g = find_group(t, lead->group);
	const char *list = g ? g->variants : "";

	if (g && e->opts.only_variant && word_in_list(g->variants, e->opts.only_variant))
		list = e->opts.only_variant;
	size_t failure_len = strlen(e->failure);
	char variant[32];

	for (const char *v = list;;) {
		const char *name = NULL;
		size_t n = strcspn(v, " ");
		bool ok = true, any = false;

		if (g) {
			if (n == 0 || n >= sizeof(variant))
				break;
			memcpy(variant, v, n);
			variant[n] = '\0';
			name = variant;
		}
		for (size_t p = first; p < t->probe_count; p++) {
			if (!same_group(&t->probes[p], lead))
				continue;
			e->probes[p].pick = pick(e, p, name);
			if (e->probes[p].pick >= 0)
				any = true;
			else if (e->probes[p].pick == -1 && !t->probes[p].optional)
				ok = false;
		}
		if (ok && any) {
			e->failure[failure_len] = '\0'; /* earlier variants' misses are no failure */
			for (size_t p = first; p < t->probe_count; p++) {
				if (!same_group(&t->probes[p], lead))
					continue;
				e->probes[p].chosen = e->probes[p].pick >= 0 ? e->probes[p].pick : -1;
				snprintf(e->probes[p].variant, sizeof(e->probes[p].variant), "%s",
					 name ? name : "");
			}
			return 0;
		}
		for (size_t p = first; p < t->probe_count; p++)
			if (same_group(&t->probes[p], lead) && e->probes[p].pick == -1 &&
			    !t->probes[p].optional)
				explain_probe(e, p, name);
		if (!g)
			break;
		v += n;
		v += strspn(v, " ");
		if (!*v)
			break;
	}
	if (strlen(e->failure) == failure_len && g)
		appendf(e->failure, sizeof(e->failure), "\n  %s: no variant (%s) has a usable attach point",
			g->name, g->variants);
	else if (strlen(e->failure) == failure_len)
		appendf(e->failure, sizeof(e->failure), e->opts.backend == BACKEND_AUTO ?
				"\n  %s: no usable attach point" :
				"\n  %s: no candidate of the kind --backend allows",
			lead->name);
	return -ENOENT;
}

/* Verdicts follow from the choice: everything before the chosen candidate says why it was
 * passed over, everything after was not reached, other variants' candidates were unused. */
static void set_verdicts(struct engine *e)
{
	for (size_t p = 0; p < e->table->probe_count; p++) {
		const struct probe_spec *spec = &e->table->probes[p];
		struct probe_state *ps = &e->probes[p];
		const char *variant = ps->variant[0] ? ps->variant : NULL;
		for (size_t c = 0; c < spec->candidate_count; c++) {
			struct candidate_state *st = &ps->cands[c];

			if (st->dead)
				continue;
			if ((int)c == ps->chosen)
				st->verdict = VERDICT_CHOSEN;
			else if (st->filtered)
				st->verdict = VERDICT_FILTERED;
			else if (st->checked && !st->available)
				st->verdict = VERDICT_UNAVAILABLE;
			else if (variant && !in_variant(&spec->candidates[c], variant))
				st->verdict = VERDICT_VARIANT_UNUSED;
			else
				st->verdict = VERDICT_NOT_REACHED;
		}
	}
}

static bool group_seen_before(const struct probe_table *t, size_t p)
{
	for (size_t q = 0; q < p; q++)
		if (same_group(&t->probes[q], &t->probes[p]))
			return true;
	return false;
}

int engine_resolve(struct engine *e)
{
	const struct probe_table *t = e->table;
	const char *why = NULL;
	int err = 0;

	e->failure[0] = '\0';
	for (size_t p = 0; p < t->probe_count; p++) {
		e->probes[p].chosen = -1;
		e->probes[p].variant[0] = '\0';
		for (size_t c = 0; c < t->probes[p].candidate_count; c++)
			e->probes[p].cands[c].explained = false;
	}
	/* CO-RE relocations need the kernel's BTF whatever the attach kind: say so once,
	 * instead of a wall of per-candidate failures. */
	if (t->needs_kernel_btf && kfacts_feature(e->kf, KFEATURE_BTF_VMLINUX, &why) != FACT_YES) {
		snprintf(e->failure, sizeof(e->failure),
			 "this kernel has no BTF (%s): give one with --btf FILE (e.g. from BTFHub for "
			 "this exact kernel) or use a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			 why && *why ? why : "/sys/kernel/btf/vmlinux missing");
		set_verdicts(e);
		return -ENOENT;
	}
	for (size_t p = 0; p < t->probe_count; p++) {
		if (group_seen_before(t, p))
			continue;
		if (resolve_group(e, p))
			err = -ENOENT;
	}
	for (size_t p = 0; e->opts.explain_all && p < t->probe_count; p++)
		for (size_t c = 0; c < t->probes[p].candidate_count; c++)
			check_candidate(e, &t->probes[p].candidates[c], &e->probes[p].cands[c]);
	set_verdicts(e);
	return err;
}

const struct probe_candidate *engine_chosen_at(const struct engine *e, size_t p)
{
	int c = e->probes[p].chosen;

	return c >= 0 ? &e->table->probes[p].candidates[c] : NULL;
}

const struct probe_candidate *engine_chosen(const struct engine *e, const char *probe)
{
	for (size_t p = 0; e->probes && p < e->table->probe_count; p++)
		if (strcmp(e->table->probes[p].name, probe) == 0)
			return engine_chosen_at(e, p);
	return NULL;
}

/* Disable every program first, then enable the chosen ones: a program may be named by
 * several candidates (same code, other target), and only the chosen one may configure it. */
static int open_prepared(struct engine *e, ssize_t only)
{
	const struct probe_table *t = e->table;
	int err;

	e->attempts++;
	err = e->ops->open(e->ops_ctx, t, e->probes);
	if (err)
		return err;
	e->open = true;
	for (size_t p = 0; p < t->probe_count; p++)
		for (size_t c = 0; c < t->probes[p].candidate_count; c++) {
			err = e->ops->prepare(e->ops_ctx, &t->probes[p].candidates[c], NULL, false);
			if (err)
				return err;
		}
	for (size_t p = 0; p < t->probe_count; p++) {
		const struct probe_candidate *c = engine_chosen_at(e, p);

		if (!c || (only >= 0 && (size_t)only != p))
			continue;
		err = e->ops->prepare(e->ops_ctx, c, e->probes[p].cands[e->probes[p].chosen].target,
				      true);
		if (err)
			return err;
	}
	return 0;
}

void engine_close(struct engine *e)
{
	if (!e->open)
		return;
	e->ops->close(e->ops_ctx);
	e->open = false;
}

static void mark_dead(struct engine *e, size_t p, enum verdict v, int err, const char *detail)
{
	struct candidate_state *st = &e->probes[p].cands[e->probes[p].chosen];

	st->dead = true;
	st->verdict = v;
	st->err = err;
	snprintf(st->reason, sizeof(st->reason), "%s: %s%s%s", verdict_name(v), errno_text(err).s,
		 detail && *detail ? ": " : "", detail ? detail : "");
	log_info("%s: %s %s %s, trying the next candidate", e->table->probes[p].name,
		 attach_kind_name(e->table->probes[p].candidates[e->probes[p].chosen].kind),
		 st->target, st->reason);
}

/* The whole object failed to load: find which chosen program(s) cannot load by loading
 * each alone from a clean object. Returns how many were found. */
static int find_load_culprits(struct engine *e)
{
	char detail[512];
	int found = 0, err;

	for (size_t p = 0; p < e->table->probe_count; p++) {
		if (e->probes[p].chosen < 0)
			continue;
		engine_close(e);
		detail[0] = '\0';
		err = open_prepared(e, (ssize_t)p);
		if (!err)
			err = e->ops->load(e->ops_ctx, detail, sizeof(detail));
		if (err) {
			mark_dead(e, p, VERDICT_LOAD_FAILED, err, detail);
			found++;
		}
	}
	engine_close(e);
	return found;
}

/* Last probe first: tables list a life cycle in order (created, issued, done; entry, return),
 * so every end is in place before its beginning can be seen. Otherwise an event that starts
 * while the rest is still being attached would wait forever for an end no probe sees. */
static int attach_all(struct engine *e)
{
	char detail[512];
	int err;

	for (size_t p = e->table->probe_count; p-- > 0;) {
		const struct probe_candidate *c = engine_chosen_at(e, p);

		if (!c)
			continue;
		detail[0] = '\0';
		err = e->ops->attach(e->ops_ctx, c, e->probes[p].cands[e->probes[p].chosen].target,
				     detail, sizeof(detail));
		if (err) {
			mark_dead(e, p, VERDICT_ATTACH_FAILED, err, detail);
			return err;
		}
	}
	return 0;
}

/* What this kernel lacks, so the user knows what to change (BTF, kprobes, lockdown...). */
static void explain_kernel(struct engine *e)
{
	const char *sep = "\n  this kernel: ";

	/* no BTF: engine_resolve() said so in one line, and nothing else matters before that */
	if (e->table->needs_kernel_btf && e->kf->features[KFEATURE_BTF_VMLINUX].value == FACT_NO)
		return;
	for (int f = 0; f < KFEATURE_COUNT; f++) {
		const char *reason = NULL;

		if (e->kf->features[f].value != FACT_NO)
			continue;
		kfacts_feature(e->kf, (enum kfeature)f, &reason);
		appendf(e->failure, sizeof(e->failure), "%s%s: %s", sep, kfeature_name((enum kfeature)f),
			reason && *reason ? reason : "no");
		sep = "; ";
	}
	if (e->opts.backend != BACKEND_AUTO)
		appendf(e->failure, sizeof(e->failure),
			"\n  only --backend=%s candidates were allowed; try --backend=auto",
			backend_kind_name(e->opts.backend));
}

int engine_run(struct engine *e, bool load_only)
{
	char detail[512];
	int err;

	/* Each failure kills one candidate for good, so this ends. */
	for (;;) {
		err = engine_resolve(e);
		if (err)
			break;
		if (e->kf->ops->trim)
			e->kf->ops->trim(e->kf);
		detail[0] = '\0';
		err = open_prepared(e, -1);
		if (err) {
			snprintf(e->failure, sizeof(e->failure), "cannot open the BPF object: %s",
				 errno_text(err).s);
			break;
		}
		err = e->ops->load(e->ops_ctx, detail, sizeof(detail));
		if (err) {
			if (find_load_culprits(e) == 0) {
				snprintf(e->failure, sizeof(e->failure),
					 "the BPF object fails to load (%s) although each program loads alone%s%s",
					 errno_text(err).s, *detail ? ": " : "", detail);
				break;
			}
			continue;
		}
		if (load_only) {
			engine_close(e);
			return 0;
		}
		err = attach_all(e);
		if (!err)
			return 0;
		engine_close(e);
	}
	engine_close(e);
	set_verdicts(e);
	explain_kernel(e);
	return err ? err : -ENOENT;
}
