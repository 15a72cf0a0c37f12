/* SPDX-License-Identifier: GPL-2.0-only */
/* kfacts_live over the fixture kernels (tests/fixtures/kernels), the feature cache, and
 * the parsers against garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "kfacts/kfacts.h"
#include "probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static void write_text(const char *root, const char *rel, const char *text)
{
	assert_int_equal(fake_kernel_write(root, rel, text, strlen(text)), 0);
}

static struct kfacts *open_root(const char *root, const char *btf_path)
{
	struct kfacts_live_opts opts = { .root = root, .btf_path = btf_path };
	struct kfacts *kf = NULL;

	assert_int_equal(kfacts_live_new(&opts, &kf), 0);
	assert_non_null(kf);
	return kf;
}

static struct kfacts *open_kernel(const char *name)
{
	char root[512];

	assert_int_equal(fake_kernel_root(name, root, sizeof(root)), 0);
	return open_root(root, NULL);
}

static void expect_func(struct kfacts *kf, const char *module, const char *func, const char *proto)
{
	char got[256] = "unset";
	bool present = !proto;

	assert_int_equal(kf->ops->btf_func(kf, module, func, &present, got, sizeof(got)), 0);
	if (!proto) {
		if (present)
			fail_msg("%s: expected absent from BTF, got (%s)", func, got);
		assert_string_equal(got, "");
		return;
	}
	if (!present)
		fail_msg("%s: expected in BTF", func);
	assert_string_equal(got, proto);
}

static void expect_btf_tp(struct kfacts *kf, const char *event, const char *proto)
{
	char got[256] = "unset";
	bool present = !proto;

	assert_int_equal(kf->ops->btf_tracepoint(kf, event, &present, got, sizeof(got)), 0);
	if (!proto) {
		if (present)
			fail_msg("btf_trace_%s: expected absent, got (%s)", event, got);
		return;
	}
	if (!present)
		fail_msg("btf_trace_%s: expected in BTF", event);
	assert_string_equal(got, proto);
}

static void expect_tracepoint(struct kfacts *kf, const char *category, const char *event,
			      bool want)
{
	bool present = !want;

	assert_int_equal(kf->ops->tracepoint(kf, category, event, &present), 0);
	if (present != want)
		fail_msg("tracepoint %s:%s: expected %s", category, event, want ? "present" : "absent");
}

static bool traceable(struct kfacts *kf, const char *module, const char *name)
{
	const struct ksym *syms;
	size_t n, i;

	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &syms, &n), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(syms[i].name, name) &&
		    (module ? syms[i].module && !strcmp(syms[i].module, module) : !syms[i].module))
			return true;
	return false;
}

static void expect_traceable(struct kfacts *kf, const char *module, const char *name, bool want)
{
	if (traceable(kf, module, name) != want)
		fail_msg("%s [%s]: expected %straceable", name, module ? module : "vmlinux",
			 want ? "" : "not ");
}

static void expect_kallsyms(struct kfacts *kf, const char *module, const char *name, bool want)
{
	bool present = !want;

	assert_int_equal(kf->ops->kallsyms(kf, module, name, &present), 0);
	if (present != want)
		fail_msg("kallsyms %s [%s]: expected %s", name, module ? module : "vmlinux",
			 want ? "present" : "absent");
}

static void expect_feature(struct kfacts *kf, enum kfeature f, enum fact want, const char *reason)
{
	const char *why = NULL;
	enum fact got = kfacts_feature(kf, f, &why);

	assert_non_null(why);
	if (got != want)
		fail_msg("feature %s: got %d (%s), want %d", kfeature_name(f), got, why, want);
	if (reason && !strstr(why, reason))
		fail_msg("feature %s: reason '%s' lacks '%s'", kfeature_name(f), why, reason);
}

static void expect_loaded(struct kfacts *kf, const char *module, bool want)
{
	bool loaded = !want;

	assert_int_equal(kf->ops->module_loaded(kf, module, &loaded), 0);
	if (loaded != want)
		fail_msg("module %s: expected %sloaded", module, want ? "" : "not ");
}

static bool module_has_btf(struct kfacts *kf, const char *module)
{
	bool present = false;

	assert_int_equal(kf->ops->module_btf(kf, module, &present), 0);
	return present;
}

/* pattern_resolve over the kernel's traceable list: "" when nothing (or no one) matches. */
static const char *resolve(struct kfacts *kf, const char *pattern, const char *module,
			   char *reason, size_t reason_size)
{
	static char name[128];
	const struct ksym *syms;
	size_t n;

	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &syms, &n), 0);
	pattern_resolve(pattern, module, syms, n, name, sizeof(name), reason, reason_size);
	return name;
}

static void expect_all_features(struct kfacts *kf, enum fact want)
{
	for (int f = 0; f < KFEATURE_COUNT; f++)
		expect_feature(kf, (enum kfeature)f, want, NULL);
}

/* ---- the real kernels ------------------------------------------------------------------- */

static void linux_5_10(void **state)
{
	struct kfacts *kf = open_kernel("linux-5.10");

	assert_string_equal(kf->ops->kernel_release(kf), "5.10.0-32-amd64");
	expect_all_features(kf, FACT_YES);
	expect_func(kf, NULL, "blk_account_io_start", "request");
	expect_func(kf, NULL, "blk_account_io_done", "request,u64");
	expect_func(kf, NULL, "blk_mq_start_request", "request");
	expect_func(kf, NULL, "vfs_read", "file,char,size_t,loff_t");
	expect_func(kf, NULL, "do_sys_openat2", "int,char,open_how");
	expect_func(kf, NULL, "__blk_account_io_start", NULL);
	/* measured: Debian's 5.10.y carries the one-argument form */
	expect_btf_tp(kf, "block_rq_insert", "request");
	expect_btf_tp(kf, "block_rq_issue", "request");
	expect_btf_tp(kf, "block_rq_complete", "request,int,unsigned int");
	expect_btf_tp(kf, "sched_switch", "bool,task_struct,task_struct");
	expect_btf_tp(kf, "block_io_start", NULL);
	expect_tracepoint(kf, "block", "block_rq_issue", true);
	expect_tracepoint(kf, "block", "block_rq_insert", true);
	expect_tracepoint(kf, "block", "block_io_start", false);
	expect_tracepoint(kf, "sched", "sched_switch", true);
	expect_tracepoint(kf, "nosuch", "block_rq_issue", false);
	expect_traceable(kf, NULL, "blk_account_io_start", true);
	expect_traceable(kf, NULL, "blk_account_io_done", true);
	expect_traceable(kf, NULL, "blk_mq_start_request", true);
	expect_traceable(kf, NULL, "blk_attempt_bio_merge.part.0", true);
	/* blacklisted for kprobes: gone from the list, still in kallsyms */
	expect_traceable(kf, NULL, "notify_die", false);
	expect_traceable(kf, NULL, "atomic_notifier_call_chain", false);
	expect_kallsyms(kf, NULL, "notify_die", true);
	expect_kallsyms(kf, NULL, "blk_account_io_start", true);
	expect_kallsyms(kf, NULL, "__tracepoint_block_rq_issue", true);
	expect_kallsyms(kf, NULL, "__traceiter_block_rq_issue", true);
	expect_kallsyms(kf, NULL, "__tracepoint_block_io_start", false);
	expect_kallsyms(kf, "zfs", "blk_account_io_start", false);
	expect_loaded(kf, "loop", true);
	expect_loaded(kf, "zfs", false);
	assert_false(module_has_btf(kf, "zfs"));
	kfacts_free(kf);
}

static void linux_5_10_old_proto(void **state)
{
	struct kfacts *kf = open_kernel("linux-5.10-old-proto");

	assert_string_equal(kf->ops->kernel_release(kf), "5.10.0");
	expect_btf_tp(kf, "block_rq_insert", "request_queue,request");
	expect_btf_tp(kf, "block_rq_issue", "request_queue,request");
	expect_func(kf, NULL, "blk_account_io_start", "request");
	kfacts_free(kf);
}

static void linux_6_1(void **state)
{
	struct kfacts *kf = open_kernel("linux-6.1");

	assert_string_equal(kf->ops->kernel_release(kf), "6.1.0-50-amd64");
	expect_all_features(kf, FACT_YES);
	/* measured: both start functions are inlined away, nowhere to be found */
	expect_func(kf, NULL, "blk_account_io_start", NULL);
	expect_traceable(kf, NULL, "blk_account_io_start", false);
	expect_kallsyms(kf, NULL, "blk_account_io_start", false);
	expect_func(kf, NULL, "__blk_account_io_start", NULL);
	expect_traceable(kf, NULL, "__blk_account_io_start", false);
	expect_kallsyms(kf, NULL, "__blk_account_io_start", false);
	/* an out-of-line copy of an inline function: in kallsyms, notrace */
	expect_kallsyms(kf, NULL, "blk_account_io_done", true);
	expect_traceable(kf, NULL, "blk_account_io_done", false);
	expect_traceable(kf, NULL, "blk_mq_start_request", true);
	expect_traceable(kf, NULL, "blk_account_io_completion.part.0", true);
	expect_btf_tp(kf, "block_rq_insert", "request");
	expect_btf_tp(kf, "block_rq_issue", "request");
	expect_btf_tp(kf, "block_rq_complete", "request,blk_status_t,unsigned int");
	expect_btf_tp(kf, "sched_switch", "bool,task_struct,task_struct,unsigned int");
	expect_btf_tp(kf, "block_io_start", NULL);
	expect_btf_tp(kf, "block_io_done", NULL);
	expect_tracepoint(kf, "block", "block_io_start", false);
	expect_tracepoint(kf, "block", "block_rq_complete", true);
	kfacts_free(kf);
}

static void linux_6_1_acct(void **state)
{
	struct kfacts *kf = open_kernel("linux-6.1-acct");

	expect_func(kf, NULL, "blk_account_io_start", NULL);
	expect_traceable(kf, NULL, "blk_account_io_start", false);
	expect_kallsyms(kf, NULL, "blk_account_io_start", false);
	expect_func(kf, NULL, "__blk_account_io_start", "request");
	expect_traceable(kf, NULL, "__blk_account_io_start", true);
	expect_kallsyms(kf, NULL, "__blk_account_io_start", true);
	expect_func(kf, NULL, "blk_account_io_done", "request,u64");
	expect_traceable(kf, NULL, "blk_account_io_done", true);
	expect_btf_tp(kf, "block_io_start", NULL);
	kfacts_free(kf);
}

static void linux_6_12(void **state)
{
	struct kfacts *kf = open_kernel("linux-6.12");

	assert_string_equal(kf->ops->kernel_release(kf), "6.12.95+deb12-amd64");
	expect_all_features(kf, FACT_YES);
	expect_btf_tp(kf, "block_io_start", "request");
	expect_btf_tp(kf, "block_io_done", "request");
	expect_tracepoint(kf, "block", "block_io_start", true);
	expect_tracepoint(kf, "block", "block_io_done", true);
	/* static inline, hence notrace: BTF and kallsyms have them, ftrace does not */
	expect_func(kf, NULL, "blk_account_io_start", "request");
	expect_func(kf, NULL, "blk_account_io_done", "request,u64");
	expect_kallsyms(kf, NULL, "blk_account_io_start", true);
	expect_traceable(kf, NULL, "blk_account_io_start", false);
	expect_traceable(kf, NULL, "blk_account_io_done", false);
	expect_traceable(kf, NULL, "blk_mq_start_request", true);
	/* function padding symbols are in kallsyms, never traceable */
	expect_kallsyms(kf, NULL, "__pfx_blk_account_io_start", true);
	expect_traceable(kf, NULL, "__pfx_blk_account_io_start", false);
	expect_kallsyms(kf, NULL, "__tracepoint_block_io_start", true);
	kfacts_free(kf);
}

static void linux_6_12_acct(void **state)
{
	struct kfacts *kf = open_kernel("linux-6.12-acct");

	expect_btf_tp(kf, "block_io_start", "request");
	expect_traceable(kf, NULL, "blk_account_io_start", true);
	expect_traceable(kf, NULL, "blk_account_io_done", true);
	kfacts_free(kf);
}

static void linux_6_18_lockdown(void **state)
{
	struct kfacts *kf = open_kernel("linux-6.18-lockdown");

	assert_string_equal(kf->ops->kernel_release(kf), "6.18.44-fc-v769");
	expect_feature(kf, KFEATURE_BTF_VMLINUX, FACT_YES, NULL);
	expect_feature(kf, KFEATURE_TRACEFS, FACT_YES, NULL);
	expect_feature(kf, KFEATURE_KPROBES, FACT_NO, "CONFIG_KPROBES");
	expect_feature(kf, KFEATURE_RAW_TP, FACT_YES, NULL);
	expect_feature(kf, KFEATURE_TP_BTF, FACT_YES, NULL);
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "fentry denied: EPERM (kernel lockdown: integrity)");
	expect_feature(kf, KFEATURE_TRACEPOINT, FACT_YES, NULL);
	expect_btf_tp(kf, "block_io_start", "request");
	expect_btf_tp(kf, "block_rq_issue", "request");
	expect_tracepoint(kf, "block", "block_io_done", true);
	/* no CONFIG_KALLSYMS_ALL: tracepoints show as __traceiter_ text only */
	expect_kallsyms(kf, NULL, "__tracepoint_block_io_start", false);
	expect_kallsyms(kf, NULL, "__traceiter_block_io_start", true);
	expect_kallsyms(kf, NULL, "blk_account_io_start", true);
	expect_traceable(kf, NULL, "blk_account_io_start", false);
	/* no kprobes, so no blacklist: nothing is removed */
	expect_traceable(kf, NULL, "notify_die", true);
	/* built-in loop has /sys/module/loop; no /proc/modules at all */
	expect_loaded(kf, "loop", true);
	expect_loaded(kf, "zfs", false);
	kfacts_free(kf);
}

static void no_btf(void **state)
{
	struct kfacts *kf = open_kernel("no-btf");
	char proto[64];
	bool present = true;

	/* decided from the tree: the fixture's features file leaves these out */
	expect_feature(kf, KFEATURE_BTF_VMLINUX, FACT_NO, "no kernel BTF");
	expect_feature(kf, KFEATURE_KPROBES, FACT_YES, NULL);
	expect_feature(kf, KFEATURE_TRACEFS, FACT_YES, NULL);
	expect_feature(kf, KFEATURE_TP_BTF, FACT_NO, "needs kernel BTF");
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "needs kernel BTF");
	expect_feature(kf, KFEATURE_RAW_TP, FACT_YES, NULL);
	assert_int_equal(kf->ops->btf_func(kf, NULL, "vfs_read", &present, proto, sizeof(proto)),
			 -ENOENT);
	assert_false(present);
	present = true;
	assert_int_equal(kf->ops->btf_tracepoint(kf, "block_rq_issue", &present, proto,
						 sizeof(proto)),
			 -ENOENT);
	assert_false(present);
	assert_int_equal(kf->ops->btf_func(kf, "zfs", "zpl_open", &present, NULL, 0), -ENOENT);
	assert_false(module_has_btf(kf, "zfs"));
	expect_tracepoint(kf, "block", "block_rq_issue", true);
	expect_traceable(kf, NULL, "blk_mq_start_request", true);
	kfacts_free(kf);
}

/* ---- ZFS --------------------------------------------------------------------------------- */

static void zfs_0_6_3(void **state)
{
	struct kfacts *kf = open_kernel("zfs-0.6.3");
	char why[256];

	expect_loaded(kf, "zfs", true);
	expect_traceable(kf, "zfs", "zpl_read", true);
	expect_traceable(kf, NULL, "zpl_read", false);
	expect_kallsyms(kf, "zfs", "zpl_read", true);
	expect_kallsyms(kf, NULL, "zpl_read", false);
	assert_string_equal(resolve(kf, "zpl_read*", "zfs", why, sizeof(why)), "zpl_read");
	assert_non_null(strstr(why, "passed over zpl_read_common"));
	assert_string_equal(resolve(kf, "zpl_write*", "zfs", why, sizeof(why)), "zpl_write");
	assert_string_equal(resolve(kf, "zpl_iter_read*", "zfs", why, sizeof(why)), "");
	assert_string_equal(resolve(kf, "zpl_aio_read*", "zfs", why, sizeof(why)), "");
	assert_string_equal(resolve(kf, "zpl_open*", "zfs", why, sizeof(why)), "zpl_open");
	assert_string_equal(resolve(kf, "zpl_fsync", "zfs", why, sizeof(why)), "zpl_fsync");
	assert_false(module_has_btf(kf, "zfs"));
	kfacts_free(kf);
}

static void zfs_0_6_4_aio(void **state)
{
	struct kfacts *kf = open_kernel("zfs-0.6.4-aio");
	char why[256];

	assert_string_equal(resolve(kf, "zpl_aio_read*", "zfs", why, sizeof(why)), "zpl_aio_read");
	assert_string_equal(resolve(kf, "zpl_aio_write*", "zfs", why, sizeof(why)), "zpl_aio_write");
	/* The hazard tools must order around: without zpl_read, "zpl_read*" takes the helper. */
	assert_string_equal(resolve(kf, "zpl_read*", "zfs", why, sizeof(why)), "zpl_read_common");
	assert_string_equal(resolve(kf, "zpl_read", "zfs", why, sizeof(why)), "");
	kfacts_free(kf);
}

static void zfs_2_1_iter(void **state)
{
	struct kfacts *kf = open_kernel("zfs-2.1-iter");
	char why[256];

	assert_string_equal(resolve(kf, "zpl_iter_read*", "zfs", why, sizeof(why)), "zpl_iter_read");
	assert_string_equal(resolve(kf, "zpl_iter_write*", "zfs", why, sizeof(why)), "zpl_iter_write");
	/* The same hazard on real names: "zpl_read*" takes the page-cache filler. Tools must
	 * spell 0.6.x's zpl_read exactly. */
	assert_string_equal(resolve(kf, "zpl_read*", "zfs", why, sizeof(why)), "zpl_read_folio");
	assert_string_equal(resolve(kf, "zpl_read", "zfs", why, sizeof(why)), "");
	assert_string_equal(resolve(kf, "zpl_xattr_set_dir*", "zfs", why, sizeof(why)), "");
	assert_non_null(strstr(why, "ignored compiler clone zpl_xattr_set_dir.constprop.0"));
	/* the blacklist matches by name and module */
	expect_traceable(kf, "zfs", "zfs_panic_recover", false);
	expect_traceable(kf, NULL, "zfs_panic_recover", true);
	expect_kallsyms(kf, "zfs", "zfs_panic_recover", true);
	expect_traceable(kf, NULL, "notify_die", false);
	kfacts_free(kf);
}

static void zfs_2_3_iter(void **state)
{
	struct kfacts *kf = open_kernel("zfs-2.3-iter");
	char why[256];

	assert_string_equal(resolve(kf, "zpl_iter_read*", "zfs", why, sizeof(why)), "zpl_iter_read");
	assert_string_equal(resolve(kf, "zpl_iter_write*", "zfs", why, sizeof(why)), "zpl_iter_write");
	assert_string_equal(resolve(kf, "zpl_aio_read*", "zfs", why, sizeof(why)), "");
	expect_tracepoint(kf, "block", "block_io_start", true);
	kfacts_free(kf);
}

static void zfs_vendor_suffix(void **state)
{
	struct kfacts *kf = open_kernel("zfs-vendor-suffix");
	char why[256];

	assert_string_equal(resolve(kf, "zpl_iter_read*", "zfs", why, sizeof(why)),
			    "zpl_iter_read_ext");
	assert_non_null(strstr(why, "ignored compiler clone zpl_iter_read.isra.0"));
	assert_string_equal(resolve(kf, "zpl_iter_write*", "zfs", why, sizeof(why)),
			    "zpl_iter_write_ext");
	assert_non_null(strstr(why, "zpl_iter_write.constprop.0"));
	assert_string_equal(resolve(kf, "zpl_iter_read", "zfs", why, sizeof(why)), "");
	expect_traceable(kf, "zfs", "zpl_iter_read.isra.0", true);
	kfacts_free(kf);
}

static void zfs_with_btf(void **state)
{
	struct kfacts *kf = open_kernel("zfs-with-btf");
	bool present = true;

	assert_true(module_has_btf(kf, "zfs"));
	assert_false(module_has_btf(kf, "spl"));
	expect_func(kf, "zfs", "zpl_iter_read", "kiocb,iov_iter");
	expect_func(kf, "zfs", "zpl_iter_write", "kiocb,iov_iter");
	expect_func(kf, "zfs", "zpl_open", "inode,file");
	expect_func(kf, "zfs", "zpl_fsync", "file,loff_t,loff_t,int");
	/* a module's BTF answers for its own functions only, and vmlinux for its own */
	expect_func(kf, "zfs", "vfs_read", NULL);
	expect_func(kf, NULL, "zpl_iter_read", NULL);
	expect_func(kf, NULL, "vfs_read", "file,char,size_t,loff_t");
	assert_int_equal(kf->ops->btf_func(kf, "spl", "spl_panic", &present, NULL, 0), -ENOENT);
	assert_false(present);
	/* asked again: the cached answer */
	assert_int_equal(kf->ops->btf_func(kf, "spl", "spl_panic", &present, NULL, 0), -ENOENT);
	expect_func(kf, "zfs", "zpl_iter_read", "kiocb,iov_iter");
	kfacts_free(kf);
}

static void zfs_not_loaded(void **state)
{
	struct kfacts *kf = open_kernel("zfs-not-loaded");
	char why[256];

	expect_loaded(kf, "zfs", false);
	expect_kallsyms(kf, "zfs", "zpl_iter_read", false);
	assert_string_equal(resolve(kf, "zpl_iter_read*", "zfs", why, sizeof(why)), "");
	assert_non_null(strstr(why, "in [zfs]"));
	kfacts_free(kf);
}

/* ---- options and caching ----------------------------------------------------------------- */

static void external_btf_answers_for_vmlinux(void **state)
{
	char old_root[512], root[512], btf[600];
	struct kfacts *kf;

	assert_int_equal(fake_kernel_root("linux-5.10-old-proto", old_root, sizeof(old_root)), 0);
	assert_int_equal(fake_kernel_root("zfs-with-btf", root, sizeof(root)), 0);
	snprintf(btf, sizeof(btf), "%s/sys/kernel/btf/vmlinux", old_root);
	kf = open_root(root, btf);
	expect_feature(kf, KFEATURE_BTF_VMLINUX, FACT_YES, NULL);
	expect_btf_tp(kf, "block_rq_issue", "request_queue,request");
	expect_func(kf, NULL, "blk_account_io_start", "request");
	/* module BTF still builds on the kernel's own BTF */
	expect_func(kf, "zfs", "zpl_open", "inode,file");
	kfacts_free(kf);

	kf = open_root(root, "/nonexistent/vmlinux");
	expect_feature(kf, KFEATURE_BTF_VMLINUX, FACT_NO, "--btf /nonexistent/vmlinux unreadable: ENOENT");
	kfacts_free(kf);
}

static void trailing_slashes_in_root(void **state)
{
	char root[512], slashed[600];
	struct kfacts *kf;

	assert_int_equal(fake_kernel_root("linux-6.12", root, sizeof(root)), 0);
	snprintf(slashed, sizeof(slashed), "%s///", root);
	kf = open_root(slashed, NULL);
	assert_string_equal(kf->ops->kernel_release(kf), "6.12.95+deb12-amd64");
	expect_tracepoint(kf, "block", "block_io_start", true);
	kfacts_free(kf);
}

static void production_release_is_uname(void **state)
{
	struct kfacts_live_opts opts = { .root = "/" };
	struct kfacts *kf;
	struct utsname uts;

	/* only the release: anything else here would probe or mount on the build machine */
	assert_int_equal(kfacts_live_new(&opts, &kf), 0);
	assert_int_equal(uname(&uts), 0);
	assert_string_equal(kf->ops->kernel_release(kf), uts.release);
	kfacts_free(kf);
	assert_int_equal(kfacts_live_new(NULL, &kf), -EINVAL);
	assert_int_equal(kfacts_live_new(&opts, NULL), -EINVAL);
	kfacts_free(NULL);
}

static int counted_calls;

static enum fact counting_feature(struct kfacts *kf, enum kfeature f, char *reason, size_t size)
{
	counted_calls++;
	if (f == KFEATURE_RAW_TP)
		return FACT_UNKNOWN; /* an undecided probe */
	if (f == KFEATURE_FENTRY) {
		memset(reason, 'x', size); /* a probe that forgets the terminator */
		return FACT_NO;
	}
	snprintf(reason, size, "call %d", counted_calls);
	return FACT_YES;
}

static void feature_probe_runs_once(void **state)
{
	static const struct kfacts_ops ops = { .feature = counting_feature };
	struct kfacts kf = { .ops = &ops };
	const char *why;

	counted_calls = 0;
	assert_int_equal(kfacts_feature(&kf, KFEATURE_TP_BTF, &why), FACT_YES);
	assert_string_equal(why, "call 1");
	assert_int_equal(kfacts_feature(&kf, KFEATURE_TP_BTF, &why), FACT_YES);
	assert_int_equal(kfacts_feature(&kf, KFEATURE_TP_BTF, NULL), FACT_YES);
	assert_int_equal(counted_calls, 1);
	assert_int_equal(kfacts_feature(&kf, KFEATURE_RAW_TP, &why), FACT_NO);
	assert_string_equal(why, "probe could not decide");
	assert_int_equal(kfacts_feature(&kf, KFEATURE_RAW_TP, &why), FACT_NO);
	assert_int_equal(counted_calls, 2);
	assert_int_equal(kfacts_feature(&kf, KFEATURE_FENTRY, &why), FACT_NO);
	assert_int_equal(strlen(why), sizeof(kf.features[0].reason) - 1);
	assert_int_equal(kfacts_feature(&kf, KFEATURE_COUNT, &why), FACT_UNKNOWN);
	assert_int_equal(kfacts_feature(&kf, (enum kfeature)-1, &why), FACT_UNKNOWN);
	assert_int_equal(kfacts_feature(NULL, KFEATURE_FENTRY, &why), FACT_UNKNOWN);
	assert_int_equal(counted_calls, 3);
}

static void feature_names(void **state)
{
	static const char *const names[KFEATURE_COUNT] = {
		"btf_vmlinux", "tracefs", "kprobes", "raw_tp", "tp_btf", "fentry", "tracepoint",
	};

	for (int f = 0; f < KFEATURE_COUNT; f++)
		assert_string_equal(kfeature_name((enum kfeature)f), names[f]);
	assert_string_equal(kfeature_name(KFEATURE_COUNT), "unknown");
	assert_string_equal(kfeature_name((enum kfeature)-3), "unknown");
}

static void answers_are_cached(void **state)
{
	char root[512];
	const struct ksym *first, *again;
	size_t n_first, n_again;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	write_text(root, "features", "fentry no first answer\n");
	write_text(root, "sys/kernel/tracing/events/.keep", "");
	write_text(root, "sys/kernel/tracing/available_filter_functions", "one\ntwo [m]\n");
	write_text(root, "proc/kallsyms", "0 T one\n");
	kf = open_root(root, NULL);
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "first answer");
	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &first, &n_first), 0);
	assert_int_equal(n_first, 2);
	expect_kallsyms(kf, NULL, "one", true);

	write_text(root, "features", "fentry yes\n");
	write_text(root, "sys/kernel/tracing/available_filter_functions", "three\n");
	write_text(root, "proc/kallsyms", "0 T two\n");
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "first answer");
	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &again, &n_again), 0);
	assert_ptr_equal(first, again);
	assert_int_equal(n_again, 2);
	assert_string_equal(again[1].name, "two");
	assert_string_equal(again[1].module, "m");
	expect_kallsyms(kf, NULL, "one", true);
	expect_kallsyms(kf, NULL, "two", false);
	kfacts_free(kf);
}

/* available_filter_functions is read only as far as the module asked about: vmlinux's
 * functions up to the first module line, a module's up to the next module's line (the
 * kernel lists vmlinux's first and each module's together). */
static void traceable_is_read_as_far_as_asked(void **state)
{
	struct probe_candidate b = { .kind = ATTACH_KPROBE, .target = "b_fn", .module = "mb" };
	struct probe_candidate two = { .kind = ATTACH_KPROBE, .target = "two" };
	char root[512], target[64], reason[256];
	const struct ksym *syms;
	size_t n;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	write_text(root, "sys/kernel/tracing/events/.keep", "");
	write_text(root, "sys/kernel/tracing/available_filter_functions",
		   "one\ntwo\na_fn [ma]\na_fn2 [ma]\nb_fn [mb]\nc_fn [mc]\nc_fn2 [mc]\n");
	write_text(root, "sys/module/mb/.keep", "");
	kf = open_root(root, NULL);
	assert_int_equal(kf->ops->traceable(kf, NULL, &syms, &n), 0);
	assert_int_equal(n, 3); /* one, two, and the line that ended them */
	assert_int_equal(kf->ops->traceable(kf, "ma", &syms, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(kf->ops->traceable(kf, NULL, &syms, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(targets_resolve_function(kf, &two, target, sizeof(target), reason,
						  sizeof(reason)), 0);
	assert_string_equal(target, "two");
	assert_int_equal(targets_resolve_function(kf, &b, target, sizeof(target), reason,
						  sizeof(reason)), 0);
	assert_string_equal(target, "b_fn");
	assert_int_equal(kf->ops->traceable(kf, NULL, &syms, &n), 0);
	assert_int_equal(n, 6);
	/* a module not in the file: read to its end */
	assert_int_equal(kf->ops->traceable(kf, "absent", &syms, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &syms, &n), 0);
	assert_int_equal(n, 7);
	kfacts_free(kf);
}

/* ---- robustness -------------------------------------------------------------------------- */

static void missing_files_are_errors_not_crashes(void **state)
{
	char root[512], proto[64];
	const struct ksym *syms = (const struct ksym *)1;
	size_t n = 99;
	bool present = true;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	kf = open_root(root, NULL);
	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &syms, &n), -ENOENT);
	assert_null(syms);
	assert_int_equal(n, 0);
	assert_int_equal(kf->ops->traceable(kf, kfacts_every_module, &syms, &n), -ENOENT);
	assert_int_equal(kf->ops->kallsyms(kf, NULL, "vfs_read", &present), -ENOENT);
	assert_false(present);
	present = true;
	assert_int_equal(kf->ops->btf_func(kf, NULL, "vfs_read", &present, proto, sizeof(proto)),
			 -ENOENT);
	assert_int_equal(kf->ops->btf_tracepoint(kf, "x", &present, proto, sizeof(proto)), -ENOENT);
	assert_int_equal(kf->ops->btf_func(kf, "zfs", "zpl_open", &present, proto, sizeof(proto)),
			 -ENOENT);
	assert_int_equal(kf->ops->tracepoint(kf, "block", "block_rq_issue", &present), -ENOENT);
	assert_false(present);
	expect_loaded(kf, "zfs", false);
	assert_false(module_has_btf(kf, "zfs"));
	assert_string_equal(kf->ops->kernel_release(kf), "unknown");
	expect_feature(kf, KFEATURE_BTF_VMLINUX, FACT_NO, "ENOENT");
	expect_feature(kf, KFEATURE_TRACEFS, FACT_NO, "no tracefs");
	expect_feature(kf, KFEATURE_KPROBES, FACT_NO, "CONFIG_KPROBES");
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "not in fixture");
	expect_feature(kf, KFEATURE_TRACEPOINT, FACT_NO, "not in fixture");
	kfacts_free(kf);
}

static void hostile_names_are_refused(void **state)
{
	char root[512], proto[8], event[1100];
	bool present = true;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_root("zfs-with-btf", root, sizeof(root)), 0);
	kf = open_root(root, NULL);
	assert_int_equal(kf->ops->btf_func(kf, "../btf", "vmlinux", &present, NULL, 0), -EINVAL);
	assert_int_equal(kf->ops->btf_func(kf, "..", "x", &present, NULL, 0), -EINVAL);
	assert_int_equal(kf->ops->btf_func(kf, "", "x", &present, NULL, 0), -EINVAL);
	assert_int_equal(kf->ops->btf_func(kf, NULL, NULL, &present, NULL, 0), -EINVAL);
	assert_int_equal(kf->ops->module_btf(kf, "a/b", &present), -EINVAL);
	assert_int_equal(kf->ops->module_loaded(kf, "../../proc", &present), -EINVAL);
	assert_int_equal(kf->ops->module_loaded(kf, NULL, &present), -EINVAL);
	assert_int_equal(kf->ops->tracepoint(kf, "..", "block", &present), -EINVAL);
	assert_int_equal(kf->ops->tracepoint(kf, "block", "../block/block_rq_issue", &present),
			 -EINVAL);
	assert_int_equal(kf->ops->tracepoint(kf, "block", "a\nb", &present), -EINVAL);
	assert_int_equal(kf->ops->kallsyms(kf, NULL, NULL, &present), -EINVAL);
	memset(event, 'e', sizeof(event) - 1);
	event[sizeof(event) - 1] = '\0';
	assert_int_equal(kf->ops->btf_tracepoint(kf, event, &present, NULL, 0), -ENAMETOOLONG);
	assert_int_equal(kf->ops->tracepoint(kf, "block", event, &present), -EINVAL);
	assert_int_equal(kf->ops->btf_func(kf, NULL, event, &present, NULL, 0), 0);
	assert_false(present);
	/* a prototype that does not fit: -ENOSPC, truncated at an argument boundary */
	assert_int_equal(kf->ops->btf_func(kf, NULL, "vfs_read", &present, proto, sizeof(proto)),
			 -ENOSPC);
	assert_true(present);
	assert_string_equal(proto, "file");
	assert_int_equal(kf->ops->btf_func(kf, NULL, "vfs_read", &present, proto, 1), -ENOSPC);
	assert_string_equal(proto, "");
	kfacts_free(kf);
}

static void garbage_lines_are_skipped(void **state)
{
	static const char garbage[] =
		"\n   \n\t\n"
		"[zfs]\n"
		"bad_module [zfs\n"
		"bad_module2 [a]b]\n"
		"bad_module3 []\n"
		"spaced_module [a b]\n"
		"ctrl\x01name\n"
		"high\xc3\xa9name\n"
		"nul\0name\n"
		"crlf_name\r\n"
		"good_vmlinux\n"
		"good_module [mod]\n"
		"extra_fields [mod] trailing junk\n"
		"last_without_newline [mod]";
	char root[512], big[200000];
	const char *why;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	assert_int_equal(fake_kernel_write(root, "sys/kernel/tracing/available_filter_functions",
					   garbage, sizeof(garbage) - 1), 0);
	write_text(root, "proc/kallsyms",
		   "ffff T\nffff\n0 T k1\n0 t k2\t[m]\n0 t k3\t[bad\n0 t k4 [m] more\n");
	write_text(root, "sys/kernel/debug/kprobes/blacklist",
		   "0x0-0x0\n0x0-0x0 good_vmlinux [mod]\n0x0000000000000000-0x0000000000000000\t"
		   "extra_fields [mod]\ngarbage\n");
	write_text(root, "proc/modules", "\n \nmod1 1 0 - Live 0x0\n[x] 1\n");
	write_text(root, "features",
		   "fentry maybe\nfentry\nfentryyes\ntp_btf  yes   spaced   reason  \r\n"
		   "# raw_tp yes\nraw_tp no first\x1b[2J\nraw_tp yes second\n");
	write_text(root, "proc/sys/kernel/osrelease", "6.1.0\x01-bad\n");
	write_text(root, "sys/kernel/tracing/events/.keep", "");
	kf = open_root(root, NULL);
	expect_traceable(kf, NULL, "good_vmlinux", true);
	expect_traceable(kf, "mod", "good_module", true);
	expect_traceable(kf, "mod", "last_without_newline", true);
	expect_traceable(kf, NULL, "crlf_name", true);
	expect_traceable(kf, "mod", "extra_fields", false); /* blacklisted */
	expect_traceable(kf, NULL, "bad_module", false);
	expect_traceable(kf, NULL, "spaced_module", false);
	expect_traceable(kf, NULL, "nul", false);
	expect_traceable(kf, NULL, "ctrl\x01name", false);
	expect_kallsyms(kf, NULL, "k1", true);
	expect_kallsyms(kf, "m", "k2", true);
	expect_kallsyms(kf, NULL, "k3", false);
	expect_kallsyms(kf, "m", "k4", true);
	expect_loaded(kf, "mod1", true);
	expect_loaded(kf, "x", false);
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "not in fixture");
	expect_feature(kf, KFEATURE_TP_BTF, FACT_YES, NULL);
	kfacts_feature(kf, KFEATURE_TP_BTF, &why);
	assert_string_equal(why, "spaced   reason");
	expect_feature(kf, KFEATURE_RAW_TP, FACT_NO, NULL);
	kfacts_feature(kf, KFEATURE_RAW_TP, &why);
	assert_string_equal(why, "first?[2J");
	assert_string_equal(kf->ops->kernel_release(kf), "unknown");
	kfacts_free(kf);

	/* lines of any length: a 200 kB line is skipped whole, the next one is read */
	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	memset(big, 'a', sizeof(big));
	memcpy(big + sizeof(big) - 12, "\nafter_big\n", 11);
	assert_int_equal(fake_kernel_write(root, "sys/kernel/tracing/available_filter_functions",
					   big, sizeof(big) - 1), 0);
	assert_int_equal(fake_kernel_write(root, "proc/kallsyms", big, sizeof(big) - 100), 0);
	memset(big, 'r', 300);
	memcpy(big + 300, "\n6.9.9\n", 8);
	write_text(root, "proc/sys/kernel/osrelease", big);
	memset(big, 'x', 5000);
	memcpy(big, "fentry no ", 10);
	memcpy(big + 5000, "\n", 2);
	write_text(root, "features", big);
	assert_int_equal(fake_kernel_write(root, "sys/kernel/tracing/events/.keep", "", 0), 0);
	kf = open_root(root, NULL);
	expect_traceable(kf, NULL, "after_big", true);
	expect_kallsyms(kf, NULL, "a", false);
	assert_string_equal(kf->ops->kernel_release(kf), "6.9.9");
	expect_feature(kf, KFEATURE_FENTRY, FACT_NO, "not in fixture");
	kfacts_free(kf);
}

static void long_reasons_are_truncated(void **state)
{
	char root[512], line[400];
	const char *why;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	memset(line, 'z', sizeof(line));
	memcpy(line, "fentry no ", 10);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	write_text(root, "features", line);
	kf = open_root(root, NULL);
	assert_int_equal(kfacts_feature(kf, KFEATURE_FENTRY, &why), FACT_NO);
	assert_int_equal(strlen(why), sizeof(kf->features[0].reason) - 1);
	kfacts_free(kf);
}

static void garbage_btf_is_an_error(void **state)
{
	char root[512], good[512], path[700], proto[64];
	unsigned char noise[4096];
	bool present = true;
	unsigned seed = 12345;
	struct kfacts *kf;

	assert_int_equal(fake_kernel_root("zfs-with-btf", good, sizeof(good)), 0);
	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)(rand_r(&seed) >> 7);
	assert_int_equal(fake_kernel_write(root, "sys/kernel/btf/vmlinux", noise, sizeof(noise)), 0);
	kf = open_root(root, NULL);
	assert_true(kf->ops->btf_func(kf, NULL, "vfs_read", &present, proto, sizeof(proto)) < 0);
	assert_false(present);
	assert_true(kf->ops->btf_tracepoint(kf, "x", &present, proto, sizeof(proto)) < 0);
	assert_true(kf->ops->btf_func(kf, "zfs", "zpl_open", &present, proto, sizeof(proto)) < 0);
	expect_feature(kf, KFEATURE_BTF_VMLINUX, FACT_NO, "no kernel BTF");
	kfacts_free(kf);

	/* good vmlinux, garbage module BTF (and an empty one) */
	snprintf(path, sizeof(path), "%s/sys/kernel/btf/vmlinux", good);
	kf = open_root(root, path);
	expect_func(kf, NULL, "vfs_read", "file,char,size_t,loff_t");
	kfacts_free(kf);
	assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
	{
		FILE *f = fopen(path, "rb");
		static unsigned char blob[1 << 16];
		size_t len;

		assert_non_null(f);
		len = fread(blob, 1, sizeof(blob), f);
		fclose(f);
		assert_true(len > 0 && len < sizeof(blob));
		assert_int_equal(fake_kernel_write(root, "sys/kernel/btf/vmlinux", blob, len), 0);
		/* a truncated copy must fail to parse, not crash */
		assert_int_equal(fake_kernel_write(root, "sys/kernel/btf/trunc", blob, len / 2), 0);
	}
	assert_int_equal(fake_kernel_write(root, "sys/kernel/btf/zfs", noise, sizeof(noise)), 0);
	assert_int_equal(fake_kernel_write(root, "sys/kernel/btf/empty", "", 0), 0);
	kf = open_root(root, NULL);
	assert_true(kf->ops->btf_func(kf, "zfs", "zpl_open", &present, NULL, 0) < 0);
	assert_true(kf->ops->btf_func(kf, "empty", "zpl_open", &present, NULL, 0) < 0);
	assert_true(kf->ops->btf_func(kf, "trunc", "zpl_open", &present, NULL, 0) < 0);
	assert_true(module_has_btf(kf, "zfs"));
	expect_func(kf, NULL, "vfs_read", "file,char,size_t,loff_t");
	kfacts_free(kf);
}

/* Random bytes and random near-valid lines in every file kfacts reads. */
static void fuzzed_trees_never_crash(void **state)
{
	static const char *const files[] = {
		"proc/kallsyms",
		"proc/modules",
		"proc/sys/kernel/osrelease",
		"sys/kernel/tracing/available_filter_functions",
		"sys/kernel/debug/kprobes/blacklist",
		"features",
	};
	static const char alphabet[] = "ab_[] \t\n\r.0x-#\x01\xff";
	static char text[8192];
	unsigned seed = 4242;

	for (int round = 0; round < 40; round++) {
		char root[512], proto[32];
		const struct ksym *syms;
		const char *why;
		struct kfacts *kf;
		bool present;
		size_t n, len;

		assert_int_equal(fake_kernel_scratch_root(root, sizeof(root)), 0);
		assert_int_equal(fake_kernel_write(root, "sys/kernel/tracing/events/b/e/id", "1", 1), 0);
		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			len = (size_t)rand_r(&seed) % sizeof(text);
			for (size_t i = 0; i < len; i++)
				text[i] = round % 2 ? (char)rand_r(&seed)
						    : alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			assert_int_equal(fake_kernel_write(root, files[f], text, len), 0);
		}
		kf = open_root(root, NULL);
		kf->ops->traceable(kf, kfacts_every_module, &syms, &n);
		kf->ops->kallsyms(kf, "a", "b", &present);
		kf->ops->module_loaded(kf, "a", &present);
		kf->ops->tracepoint(kf, "b", "e", &present);
		kf->ops->btf_func(kf, NULL, "a", &present, proto, sizeof(proto));
		kf->ops->kernel_release(kf);
		for (int f = 0; f < KFEATURE_COUNT; f++)
			kfacts_feature(kf, (enum kfeature)f, &why);
		kfacts_free(kf);
	}
}

static void fake_kernel_refuses_unknown_fixtures(void **state)
{
	char root[512];

	assert_int_equal(fake_kernel_root("no-such-kernel", root, sizeof(root)), -ENOENT);
	assert_int_equal(fake_kernel_root("../kernels", root, sizeof(root)), -EINVAL);
	assert_int_equal(fake_kernel_root("linux-6.1", root, 4), -ENAMETOOLONG);
}

static int cleanup(void **state)
{
	fake_kernel_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linux_5_10),
		cmocka_unit_test(linux_5_10_old_proto),
		cmocka_unit_test(linux_6_1),
		cmocka_unit_test(linux_6_1_acct),
		cmocka_unit_test(linux_6_12),
		cmocka_unit_test(linux_6_12_acct),
		cmocka_unit_test(linux_6_18_lockdown),
		cmocka_unit_test(no_btf),
		cmocka_unit_test(zfs_0_6_3),
		cmocka_unit_test(zfs_0_6_4_aio),
		cmocka_unit_test(zfs_2_1_iter),
		cmocka_unit_test(zfs_2_3_iter),
		cmocka_unit_test(zfs_vendor_suffix),
		cmocka_unit_test(zfs_with_btf),
		cmocka_unit_test(zfs_not_loaded),
		cmocka_unit_test(external_btf_answers_for_vmlinux),
		cmocka_unit_test(trailing_slashes_in_root),
		cmocka_unit_test(production_release_is_uname),
		cmocka_unit_test(feature_probe_runs_once),
		cmocka_unit_test(feature_names),
		cmocka_unit_test(answers_are_cached),
		cmocka_unit_test(traceable_is_read_as_far_as_asked),
		cmocka_unit_test(missing_files_are_errors_not_crashes),
		cmocka_unit_test(hostile_names_are_refused),
		cmocka_unit_test(garbage_lines_are_skipped),
		cmocka_unit_test(long_reasons_are_truncated),
		cmocka_unit_test(garbage_btf_is_an_error),
		cmocka_unit_test(fuzzed_trees_never_crash),
		cmocka_unit_test(fake_kernel_refuses_unknown_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}
