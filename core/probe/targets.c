/* SPDX-License-Identifier: GPL-2.0-only */
#include "probe/probe.h"
#include "util/util.h"


#include <errno.h>
#include <stdio.h>
#include <string.h>

int targets_need_feature(struct kfacts *kf, enum kfeature f, char *reason, size_t reason_size)
{
	const char *why = NULL;

	if (kfacts_feature(kf, f, &why) == FACT_YES)
		return 0;
	/* the facts' reasons name their feature already ("fentry denied: EPERM ...") */
	if (why && *why)
		snprintf(reason, reason_size, "%s", why);
	else
		snprintf(reason, reason_size, "%s unavailable", kfeature_name(f));
	return -EOPNOTSUPP;
}

static int explain_missing_function(struct kfacts *kf, const struct probe_candidate *c,
				    int err, const char *pattern_reason, char *reason,
				    size_t reason_size)
{
	bool in_kallsyms = false;
	char stem[128];

	snprintf(stem, sizeof(stem), "%.*s", (int)strcspn(c->target, "*"), c->target);
	if (err == -ENOENT && kf->ops->kallsyms(kf, c->module, stem, &in_kallsyms) == 0 &&
	    in_kallsyms) {
		snprintf(reason, reason_size, "%s is not traceable (notrace, or blacklisted for kprobes)",
			 stem);
		return -EPERM;
	}
	if (err == -ENOENT) {
		snprintf(reason, reason_size, "no such function%s%s (inlined, renamed or absent)%s%s",
			 c->module ? " in module " : "", c->module ? c->module : "",
			 pattern_reason && *pattern_reason ? "; " : "",
			 pattern_reason ? pattern_reason : "");
		return -ENOENT;
	}
	snprintf(reason, reason_size, "%s", pattern_reason && *pattern_reason ? pattern_reason
									      : errno_text(err).s);
	return err;
}

int targets_resolve_function(struct kfacts *kf, const struct probe_candidate *c, char *target,
			     size_t target_size, char *reason, size_t reason_size)
{
	const struct ksym *syms;
	char why[256] = "";
	size_t n;
	bool loaded;
	int err;

	if (c->module) {
		err = kf->ops->module_loaded(kf, c->module, &loaded);
		if (err || !loaded) {
			snprintf(reason, reason_size, "module %s not loaded (check: lsmod | grep %s)",
				 c->module, c->module);
			return -ENOENT;
		}
	}
	err = kf->ops->traceable(kf, c->module, &syms, &n);
	if (err) {
		snprintf(reason, reason_size, "cannot read the traceable function list: %s",
			 errno_text(err).s);
		return err;
	}
	err = pattern_resolve(c->target, c->module, syms, n, target, target_size, why, sizeof(why));
	if (err)
		return explain_missing_function(kf, c, err, why, reason, reason_size);
	return 0;
}

int targets_split_tracepoint(const char *target, char *category, size_t category_size,
			     const char **event)
{
	const char *colon = strchr(target, ':');

	if (!colon || colon == target || !colon[1] ||
	    (size_t)(colon - target) >= category_size)
		return -EINVAL;
	memcpy(category, target, (size_t)(colon - target));
	category[colon - target] = '\0';
	*event = colon + 1;
	return 0;
}

bool targets_proto_matches(const char *expected, const char *actual)
{
	size_t n;

	if (!expected)
		return true;
	if (!actual)
		return false;
	n = strlen(expected);
	return strncmp(expected, actual, n) == 0 && (actual[n] == '\0' || actual[n] == ',');
}

int targets_check_func_proto(struct kfacts *kf, const struct probe_candidate *c,
			     const char *target, char *reason, size_t reason_size)
{
	char proto[256] = "";
	bool present = false;
	int err;

	if (!c->proto)
		return 0;
	err = kf->ops->btf_func(kf, c->module, target, &present, proto, sizeof(proto));
	if (err || !present)
		return 0;
	if (targets_proto_matches(c->proto, proto))
		return 0;
	snprintf(reason, reason_size, "arguments (%s) differ from the expected (%s)", proto, c->proto);
	return -EINVAL;
}
