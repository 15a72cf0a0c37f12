/* SPDX-License-Identifier: GPL-2.0-only */
/* zfsslower's probes on every OpenZFS naming era, vendor suffixes and decoys: the engine
 * must find the real functions, never by luck and never an unrelated one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine_fixture.h"

extern const struct probe_table zfsslower_probe_table;

static void zfs_on(const char *kernel, enum backend_kind backend, enum attach_kind kind,
		   const char *read, const char *write, const char *open, const char *fsync)
{
	struct fixture *fx = setup_kernel(kernel, backend, &zfsslower_probe_table);

	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "read", kind, read);
	expect(fx->e, "write", kind, write);
	expect(fx->e, "open", kind, open);
	expect(fx->e, "fsync", kind, fsync);
	/* entry and return both attached: two links per probe */
	assert_int_equal(fx->obj.attached, (read != NULL) + (write != NULL) + (open != NULL) +
						   (fsync != NULL));
	teardown(fx);
}

/* 0.6.3: zpl_read itself, never its helper zpl_read_common (another signature). */
static void zfs_063_exact_old_names(void **state)
{
	zfs_on("zfs-0.6.3", BACKEND_AUTO, ATTACH_KPROBE, "zpl_read", "zpl_write", "zpl_open",
	       "zpl_fsync");
}

static void zfs_064_aio(void **state)
{
	zfs_on("zfs-0.6.4-aio", BACKEND_AUTO, ATTACH_KPROBE, "zpl_aio_read", "zpl_aio_write",
	       "zpl_open", "zpl_fsync");
}

/* 2.1: zpl_iter_readdir and zpl_read_folio sit beside the real ones. */
static void zfs_21_iter_ignores_decoys(void **state)
{
	zfs_on("zfs-2.1-iter", BACKEND_AUTO, ATTACH_KPROBE, "zpl_iter_read", "zpl_iter_write",
	       "zpl_open", "zpl_fsync");
}

static void zfs_23_iter_only(void **state)
{
	zfs_on("zfs-2.3-iter", BACKEND_AUTO, ATTACH_KPROBE, "zpl_iter_read", "zpl_iter_write",
	       "zpl_open", "zpl_fsync");
}

/* _ext suffixes are accepted; .isra/.constprop clones (other calling convention) are not. */
static void zfs_vendor_suffixes(void **state)
{
	struct fixture *fx;

	zfs_on("zfs-vendor-suffix", BACKEND_AUTO, ATTACH_KPROBE, "zpl_iter_read_ext",
	       "zpl_iter_write_ext", "zpl_open", "zpl_fsync");
	fx = setup_kernel("zfs-vendor-suffix", BACKEND_AUTO, &zfsslower_probe_table);
	assert_int_equal(engine_resolve(fx->e), 0);
	/* the old exact names are not fooled by anything here either */
	assert_int_equal(cand_state(fx->e, "read", "kprobe_read", NULL)->verdict, VERDICT_NOT_REACHED);
	teardown(fx);
}

/* Module BTF makes fentry possible, and preferred. */
static void zfs_with_module_btf_uses_fentry(void **state)
{
	zfs_on("zfs-with-btf", BACKEND_AUTO, ATTACH_FENTRY, "zpl_iter_read", "zpl_iter_write",
	       "zpl_open", "zpl_fsync");
	zfs_on("zfs-with-btf", BACKEND_KPROBE, ATTACH_KPROBE, "zpl_iter_read", "zpl_iter_write",
	       "zpl_open", "zpl_fsync");
}

/* Without module BTF, fentry is rejected for that reason, and forcing it fails. */
static void zfs_without_module_btf_rejects_fentry(void **state)
{
	struct fixture *fx = setup_kernel("zfs-2.1-iter", BACKEND_FENTRY, &zfsslower_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "no BTF"));
	assert_int_equal(fx->obj.opens, 0);
	teardown(fx);
}

static void zfs_not_loaded(void **state)
{
	struct fixture *fx = setup_kernel("zfs-not-loaded", BACKEND_AUTO, &zfsslower_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_int_equal(fx->obj.opens, 0);
	teardown(fx);
}

/* fentry denied at attach time (EPERM): that probe moves to its kprobe candidate, the
 * others stay on fentry. */
static void zfs_fentry_attach_failure_falls_back_to_kprobe(void **state)
{
	struct fixture *fx = setup_kernel("zfs-with-btf", BACKEND_AUTO, &zfsslower_probe_table);

	fx->obj.attach_fail[0] = (struct fake_failure){ "fentry_iter_read", NULL, -EPERM };
	assert_int_equal(engine_run(fx->e, false), 0);
	expect(fx->e, "read", ATTACH_KPROBE, "zpl_iter_read");
	expect(fx->e, "write", ATTACH_FENTRY, "zpl_iter_write");
	assert_int_equal(cand_state(fx->e, "read", "fentry_iter_read", NULL)->verdict,
			 VERDICT_ATTACH_FAILED);
	assert_int_equal(fx->obj.attached, 4);
	assert_int_equal(fx->obj.closes, fx->obj.opens - 1);
	teardown(fx);
}

/* The only read function fails to attach: nothing else may be picked, nothing stays. */
static void zfs_attach_failure_leaves_nothing(void **state)
{
	struct fixture *fx = setup_kernel("zfs-0.6.4-aio", BACKEND_AUTO, &zfsslower_probe_table);

	fx->obj.attach_fail[0] = (struct fake_failure){ "kprobe_aio_read", NULL, -EINVAL };
	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "attach failed"));
	assert_int_equal(fx->obj.attached, 0);
	assert_int_equal(fx->obj.closes, fx->obj.opens);
	teardown(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zfs_063_exact_old_names),
		cmocka_unit_test(zfs_064_aio),
		cmocka_unit_test(zfs_21_iter_ignores_decoys),
		cmocka_unit_test(zfs_23_iter_only),
		cmocka_unit_test(zfs_vendor_suffixes),
		cmocka_unit_test(zfs_with_module_btf_uses_fentry),
		cmocka_unit_test(zfs_without_module_btf_rejects_fentry),
		cmocka_unit_test(zfs_not_loaded),
		cmocka_unit_test(zfs_fentry_attach_failure_falls_back_to_kprobe),
		cmocka_unit_test(zfs_attach_failure_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
