/* SPDX-License-Identifier: GPL-2.0-only */
/* What the engine decided, told: for `iotrace probes` (text and JSON) and -v. */
#include "engine/internal.h"

#include "probe/probe.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

static void report_features(const struct engine *e, FILE *out)
{
	fprintf(out, "  kernel %s:", e->kf->ops->kernel_release(e->kf));
	for (int f = 0; f < KFEATURE_COUNT; f++) {
		const struct kfacts_feature_cache *fc = &e->kf->features[f];

		if (fc->value == FACT_UNKNOWN)
			continue;
		fprintf(out, " %s=%s", kfeature_name((enum kfeature)f),
			fc->value == FACT_YES ? "yes" : "no");
	}
	fputc('\n', out);
	for (int f = 0; f < KFEATURE_COUNT; f++) {
		const struct kfacts_feature_cache *fc = &e->kf->features[f];

		if (fc->value == FACT_NO && fc->reason[0])
			fprintf(out, "    %s: %s\n", kfeature_name((enum kfeature)f), fc->reason);
	}
}

static bool can_run(const struct engine *e)
{
	for (size_t p = 0; p < e->table->probe_count; p++)
		if (e->probes[p].chosen < 0 && !e->table->probes[p].optional &&
		    !e->table->probes[p].group)
			return false;
	return e->failure[0] == '\0';
}

void engine_report(const struct engine *e, FILE *out)
{
	const struct probe_table *t = e->table;

	report_features(e, out);
	for (size_t p = 0; p < t->probe_count; p++) {
		const struct probe_spec *spec = &t->probes[p];
		const struct probe_state *ps = &e->probes[p];

		fprintf(out, "\n  %s: %s%s", spec->name, spec->description,
			spec->optional ? " (optional)" : "");
		if (ps->variant[0] && ps->chosen < 0)
			fprintf(out, " [%s: not part of variant %s]", spec->group, ps->variant);
		else if (ps->variant[0])
			fprintf(out, " [%s: %s]", spec->group, ps->variant);
		else if (spec->group && ps->chosen < 0)
			fprintf(out, " [%s: not used]", spec->group);
		fputc('\n', out);
		for (size_t c = 0; c < spec->candidate_count; c++) {
			const struct probe_candidate *cand = &spec->candidates[c];
			const struct candidate_state *st = &ps->cands[c];
			char target[192];

			/* two candidates for one target differ by the prototype they expect: show it */
			bool twin = false;

			for (size_t o = 0; o < spec->candidate_count; o++)
				twin |= o != c && spec->candidates[o].kind == cand->kind &&
					!strcmp(spec->candidates[o].target, cand->target);
			snprintf(target, sizeof(target), "%s%s%s%s%s%s%s", cand->target,
				 cand->module ? " [" : "", cand->module ? cand->module : "",
				 cand->module ? "]" : "", twin && cand->proto ? "(" : "",
				 twin && cand->proto ? cand->proto : "", twin && cand->proto ? ")" : "");
			fprintf(out, "    %c %-10s %-34s ", (int)c == ps->chosen ? '*' : ' ',
				attach_kind_name(cand->kind), target);
			if (st->verdict == VERDICT_LOAD_FAILED || st->verdict == VERDICT_ATTACH_FAILED)
				fputs(st->reason, out); /* starts with the verdict */
			else if (st->verdict == VERDICT_UNAVAILABLE)
				fprintf(out, "unavailable: %s", st->reason);
			else if (st->verdict == VERDICT_CHOSEN && strcmp(st->target, cand->target))
				fprintf(out, "chosen: %s", st->target);
			else
				fputs(verdict_name(st->verdict), out);
			fputc('\n', out);
		}
	}
	if (e->failure[0])
		fprintf(out, "\n  cannot run:%s%s\n", e->failure[0] == '\n' ? "" : " ", e->failure);
	else if (!can_run(e))
		fprintf(out, "\n  cannot run\n");
}

void engine_report_json(const struct engine *e, const char *tool, FILE *out)
{
	const struct probe_table *t = e->table;

	fputs("{\"tool\":", out);
	escape_json_fputs(out, tool);
	fprintf(out, ",\"backend\":\"%s\",\"kernel\":", backend_kind_name(e->opts.backend));
	escape_json_fputs(out, e->kf->ops->kernel_release(e->kf));
	fputs(",\"features\":{", out);
	for (int f = 0, n = 0; f < KFEATURE_COUNT; f++) {
		const struct kfacts_feature_cache *fc = &e->kf->features[f];

		if (fc->value == FACT_UNKNOWN)
			continue;
		fprintf(out, "%s\"%s\":{\"available\":%s,\"reason\":", n++ ? "," : "",
			kfeature_name((enum kfeature)f), fc->value == FACT_YES ? "true" : "false");
		escape_json_fputs(out, fc->reason);
		fputc('}', out);
	}
	fprintf(out, "},\"can_run\":%s,\"failure\":", can_run(e) ? "true" : "false");
	escape_json_fputs(out, e->failure[0] ? e->failure : NULL);
	fputs(",\"probes\":[", out);
	for (size_t p = 0; p < t->probe_count; p++) {
		const struct probe_spec *spec = &t->probes[p];
		const struct probe_state *ps = &e->probes[p];

		fprintf(out, "%s{\"name\":", p ? "," : "");
		escape_json_fputs(out, spec->name);
		fputs(",\"description\":", out);
		escape_json_fputs(out, spec->description);
		fputs(",\"group\":", out);
		escape_json_fputs(out, spec->group);
		fputs(",\"variant\":", out);
		escape_json_fputs(out, ps->variant[0] ? ps->variant : NULL);
		fprintf(out, ",\"optional\":%s,\"chosen\":%d,\"candidates\":[",
			spec->optional ? "true" : "false", ps->chosen);
		for (size_t c = 0; c < spec->candidate_count; c++) {
			const struct probe_candidate *cand = &spec->candidates[c];
			const struct candidate_state *st = &ps->cands[c];

			fprintf(out, "%s{\"kind\":\"%s\",\"target\":", c ? "," : "",
				attach_kind_name(cand->kind));
			escape_json_fputs(out, cand->target);
			fputs(",\"resolved\":", out);
			escape_json_fputs(out, st->target[0] ? st->target : NULL);
			fputs(",\"module\":", out);
			escape_json_fputs(out, cand->module);
			fputs(",\"program\":", out);
			escape_json_fputs(out, cand->prog);
			fputs(",\"variants\":", out);
			escape_json_fputs(out, cand->variants);
			fputs(",\"verdict\":", out);
			escape_json_fputs(out, verdict_name(st->verdict));
			fputs(",\"reason\":", out);
			escape_json_fputs(out, st->reason[0] ? st->reason : NULL);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}

void engine_report_chosen(const struct engine *e, FILE *out)
{
	for (size_t p = 0; p < e->table->probe_count; p++) {
		const struct probe_candidate *c = engine_chosen_at(e, p);

		if (!c)
			continue;
		fprintf(out, "%s: %s: %s %s%s%s%s\n", log_progname, e->table->probes[p].name,
			attach_kind_name(c->kind), e->probes[p].cands[e->probes[p].chosen].target,
			c->module ? " [" : "", c->module ? c->module : "", c->module ? "]" : "");
	}
}
