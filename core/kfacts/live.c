/* SPDX-License-Identifier: GPL-2.0-only */
/* kfacts of the running kernel, or of a directory tree laid out like one (test fixtures).
 * Every path is read relative to opts->root. Only with root "/" does this code change
 * the system (mounting tracefs when it is missing), and only with run_feature_probes does
 * it load BPF programs; fixtures state those answers in root/features instead. All text
 * files are parsed defensively: they may be garbage.
 *
 * This file holds construction, the ops table and the cached symbol lists. The rest:
 * root.c opens paths under root, text.c parses, symset.c stores
 * symbols, btf.c reads BTF, features.c runs the feature probes; the private
 * internal.h ties them together. */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

/* ---- symbol lists: each file is read on first use, its answer (or error) kept --------- */

/* Absent (no kprobes, no debugfs) means nothing is blacklisted. */
static int load_blacklist(struct live_kfacts *lk, struct kstrings *strings,
			  struct ksymset *blacklist)
{
	FILE *f;
	int err;

	f = live_root_fopen(lk, "sys/kernel/debug/kprobes/blacklist", &err);
	if (!f)
		return 0;
	err = ktext_parse_blacklist(f, strings, blacklist);
	fclose(f);
	return err;
}

static void traceable_close(struct live_kfacts *lk)
{
	if (lk->traceable_file)
		fclose(lk->traceable_file);
	lk->traceable_file = NULL;
	ksymset_free(&lk->blacklist);
	kstrings_free(&lk->blacklist_strings);
}

static int traceable_open(struct live_kfacts *lk)
{
	char rel[64];
	int err;

	err = live_tracefs_find(lk);
	if (err)
		return err;
	snprintf(rel, sizeof(rel), "%s/available_filter_functions", lk->tracefs_dir);
	lk->traceable_file = live_root_fopen(lk, rel, &err);
	if (!lk->traceable_file)
		return err;
	return load_blacklist(lk, &lk->blacklist_strings, &lk->blacklist);
}

static bool traceable_listed(const struct live_kfacts *lk, const char *module)
{
	if (module == kfacts_every_module)
		return false;
	/* vmlinux's functions come first: they are all read once a module's line is */
	if (!module)
		return lk->traceable_cursor.module != NULL;
	return ksymset_find(&lk->modules_listed, module, NULL) != NULL;
}

/* Printing a function costs the kernel a symbol lookup, and in a module one linear in the
 * module's symbols: with OpenZFS loaded, the whole file takes ~3 s under qemu TCG, of
 * which vmlinux's functions 1 s. The file lists vmlinux's functions first and each
 * module's together: ftrace_init() records vmlinux's at boot, ftrace_module_init() adds a
 * module's as one group at its load, appended in load order (kernel/trace/ftrace.c,
 * ftrace_process_locs()). So reading stops once the module asked about is done; the VM
 * tier checks that order on every kernel it boots. */
static int traceable_read(struct live_kfacts *lk, const char *module)
{
	const char *ended;
	int rc;

	while (lk->traceable_file && !traceable_listed(lk, module)) {
		rc = ktext_parse_filter_section(lk->traceable_file, &lk->blacklist, &lk->strings,
						&lk->traceable, &lk->traceable_cursor, &ended);
		if (rc < 0)
			return rc;
		if (rc == 0)
			traceable_close(lk);
		else if (ended && (rc = ksymset_add(&lk->modules_listed, &lk->strings, ended, NULL)))
			return rc;
	}
	return 0;
}

static int live_traceable(struct kfacts *kf, const char *module, const struct ksym **syms,
			  size_t *count)
{
	struct live_kfacts *lk = to_live(kf);

	if (!syms || !count)
		return -EINVAL;
	if (!lk->traceable_loaded) {
		lk->traceable_loaded = true;
		lk->traceable_err = traceable_open(lk);
	}
	if (!lk->traceable_err)
		lk->traceable_err = traceable_read(lk, module);
	if (lk->traceable_err) {
		traceable_close(lk);
		lk->traceable.count = 0;
	}
	*syms = lk->traceable_err ? NULL : lk->traceable.syms;
	*count = lk->traceable_err ? 0 : lk->traceable.count;
	return lk->traceable_err;
}

static int load_kallsyms(struct live_kfacts *lk)
{
	FILE *f;
	int err;

	f = live_root_fopen(lk, "proc/kallsyms", &err);
	if (!f)
		return err;
	err = ktext_parse_kallsyms(f, &lk->strings, &lk->kallsyms);
	fclose(f);
	return err;
}

static int live_kallsyms(struct kfacts *kf, const char *module, const char *name, bool *present)
{
	struct live_kfacts *lk = to_live(kf);

	if (!present || !name)
		return -EINVAL;
	*present = false;
	if (!lk->kallsyms_loaded) {
		lk->kallsyms_loaded = true;
		lk->kallsyms_err = load_kallsyms(lk);
	}
	if (lk->kallsyms_err)
		return lk->kallsyms_err;
	*present = ksymset_find(&lk->kallsyms, name, module) != NULL;
	return 0;
}

static int load_proc_modules(struct live_kfacts *lk)
{
	FILE *f;
	int err;

	f = live_root_fopen(lk, "proc/modules", &err);
	if (!f)
		return err;
	err = ktext_parse_proc_modules(f, &lk->strings, &lk->proc_modules);
	fclose(f);
	return err;
}

static int live_module_loaded(struct kfacts *kf, const char *module, bool *loaded)
{
	struct live_kfacts *lk = to_live(kf);

	if (!loaded || !live_is_path_component(module))
		return -EINVAL;
	*loaded = live_root_has(lk, S_IFDIR, "sys/module/%s", module);
	if (*loaded)
		return 0;
	if (!lk->proc_modules_loaded) {
		lk->proc_modules_loaded = true;
		lk->proc_modules_err = load_proc_modules(lk);
	}
	/* No /proc/modules: a kernel without module support, so nothing is loaded. */
	if (lk->proc_modules_err && lk->proc_modules_err != -ENOENT)
		return lk->proc_modules_err;
	*loaded = ksymset_find(&lk->proc_modules, module, NULL) != NULL;
	return 0;
}

/* ---- the rest -------------------------------------------------------------------------- */

static const char *live_kernel_release(struct kfacts *kf)
{
	struct live_kfacts *lk = to_live(kf);
	struct utsname uts;
	const char *c;

	if (lk->release[0])
		return lk->release;
	if (lk->production) {
		if (!uname(&uts))
			snprintf(lk->release, sizeof(lk->release), "%s", uts.release);
	} else if (!live_read_root_line(lk, "proc/sys/kernel/osrelease", lk->release,
					sizeof(lk->release))) {
		for (c = lk->release; *c; c++)
			if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
				break;
		if (*c || c == lk->release)
			lk->release[0] = '\0';
	}
	if (!lk->release[0])
		snprintf(lk->release, sizeof(lk->release), "unknown");
	return lk->release;
}

static void live_free(struct kfacts *kf)
{
	struct live_kfacts *lk;

	if (!kf)
		return;
	lk = to_live(kf);
	live_btf_free(lk);
	traceable_close(lk);
	ksymset_free(&lk->modules_listed);
	ksymlist_free(&lk->traceable);
	ksymset_free(&lk->kallsyms);
	ksymset_free(&lk->proc_modules);
	kstrings_free(&lk->strings);
	free(lk->root);
	free(lk->btf_path);
	free(lk);
}

static const struct kfacts_ops live_ops = {
	.btf_func = live_btf_func,
	.btf_tracepoint = live_btf_tracepoint,
	.module_btf = live_module_btf,
	.module_loaded = live_module_loaded,
	.tracepoint = live_tracepoint,
	.traceable = live_traceable,
	.kallsyms = live_kallsyms,
	.feature = live_feature,
	.kernel_release = live_kernel_release,
	.free = live_free,
	.trim = live_btf_trim,
};

int kfacts_live_new(const struct kfacts_live_opts *opts, struct kfacts **out)
{
	struct live_kfacts *lk;
	const char *root;
	size_t len;
	int err;

	if (!opts || !out)
		return -EINVAL;
	*out = NULL;
	root = opts->root ? opts->root : "/";
	len = strnlen(root, PATH_MAX);
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	while (len && root[len - 1] == '/')
		len--;
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	lk->base.ops = &live_ops;
	lk->production = len == 0;
	lk->run_probes = opts->run_feature_probes;
	lk->root = strndup(root, len);
	lk->btf_path = opts->btf_path ? strdup(opts->btf_path) : NULL;
	if (!lk->root || (opts->btf_path && !lk->btf_path)) {
		err = -ENOMEM;
		goto out;
	}
	*out = &lk->base;
	lk = NULL;
	err = 0;
out:
	if (lk)
		live_free(&lk->base);
	return err;
}
