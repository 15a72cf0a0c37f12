/* SPDX-License-Identifier: GPL-2.0-only */
/* The fsslower family's probe tables (tools/fsslower/fs_table.c) against fixture kernels made
 * from Debian's modules (nm, module BTF) and this project's 6.18: each member finds its own
 * functions, in its module or built in, fentry where the module has BTF, kprobes otherwise;
 * a shared generic function only where the file system has none of its own; and nothing at
 * all where nothing can probe a function (lockdown, no kprobes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "cli/cli.h"
#include "fsslower/fs_table.h"
#include "util/util.h"

/* The chosen candidate of PROBE is KIND TARGET in MODULE (NULL: vmlinux). */
static void expect_in(const struct engine *e, const char *probe, enum attach_kind kind,
		      const char *target, const char *module)
{
	int p = probe_index(e, probe);
	int c;
	const char *got;

	expect(e, probe, kind, target);
	c = engine_probe(e, p)->chosen;
	got = engine_table(e)->probes[p].candidates[c].module;
	if (!module != !got || (module && strcmp(module, got)))
		fail_msg("%s: %s chosen in %s, expected %s", probe, target, got ? got : "vmlinux",
			 module ? module : "vmlinux");
}

struct fs_names {
	const struct probe_table *table;
	const char *module;
	const char *read, *write, *open, *fsync;
};

static const struct fs_names members[] = {
	{ &ext4slower_probe_table, "ext4", "ext4_file_read_iter", "ext4_file_write_iter",
	  "ext4_file_open", "ext4_sync_file" },
	{ &xfsslower_probe_table, "xfs", "xfs_file_read_iter", "xfs_file_write_iter",
	  "xfs_file_open", "xfs_file_fsync" },
	{ &btrfsslower_probe_table, "btrfs", "btrfs_file_read_iter", "btrfs_file_write_iter",
	  "btrfs_file_open", "btrfs_sync_file" },
	{ &nfsslower_probe_table, "nfs", "nfs_file_read", "nfs_file_write", "nfs_file_open",
	  "nfs_file_fsync" },
};

/* every member on KERNEL resolves to its own four functions as KIND, in its module or (module
 * false) built in */
static void members_on(const char *kernel, enum backend_kind backend, enum attach_kind kind,
		       bool in_module)
{
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		const struct fs_names *m = &members[i];
		const char *mod = in_module ? m->module : NULL;
		struct fixture *fx = setup_kernel(kernel, backend, m->table);

		assert_int_equal(engine_run(fx->e, false), 0);
		expect_in(fx->e, "read", kind, m->read, mod);
		expect_in(fx->e, "write", kind, m->write, mod);
		expect_in(fx->e, "open", kind, m->open, mod);
		expect_in(fx->e, "fsync", kind, m->fsync, mod);
		if (m->table == &nfsslower_probe_table)
			expect_in(fx->e, "open_v4", kind, "nfs4_file_open", in_module ? "nfsv4" : NULL);
		teardown(fx);
	}
}

/* Debian 5.10: modules without BTF, so kprobes in the modules (never the .cold parts). */
static void debian_510_kprobes_in_the_modules(void **state)
{
	members_on("fs-5.10", BACKEND_AUTO, ATTACH_KPROBE, true);
	members_on("fs-5.10", BACKEND_KPROBE, ATTACH_KPROBE, true);
}

/* ... and --backend fentry there is refused, naming the missing module BTF. */
static void debian_510_fentry_refused_without_module_btf(void **state)
{
	struct fixture *fx = setup_kernel("fs-5.10", BACKEND_FENTRY, &ext4slower_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_non_null(strstr(engine_failure(fx->e), "module ext4 has no BTF"));
	assert_int_equal(fx->obj.opens, 0);
	teardown(fx);
}

/* Debian 6.1/6.12: module BTF, so fentry/fexit; kprobes when forced. */
static void debian_612_fentry_with_module_btf(void **state)
{
	members_on("fs-6.12", BACKEND_AUTO, ATTACH_FENTRY, true);
	members_on("fs-6.12", BACKEND_KPROBE, ATTACH_KPROBE, true);
}

/* Built into vmlinux: the same functions, found without a module. */
static void built_in_file_systems(void **state)
{
	members_on("fs-builtin", BACKEND_AUTO, ATTACH_FENTRY, false);
	members_on("fs-builtin", BACKEND_KPROBE, ATTACH_KPROBE, false);
}

/* This project's 6.18: built in, but no kprobes and fentry denied: nothing is chosen, nothing
 * opened, and the failure gives both reasons. */
static void lockdown_without_kprobes_refuses(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		struct fixture *fx = setup_kernel("fs-6.18-lockdown", BACKEND_AUTO, members[i].table);

		assert_int_not_equal(engine_run(fx->e, false), 0);
		assert_non_null(strstr(engine_failure(fx->e), "fentry denied"));
		assert_non_null(strstr(engine_failure(fx->e), "CONFIG_KPROBES"));
		assert_int_equal(fx->obj.opens, 0);
		assert_int_equal(fx->obj.attached, 0);
		teardown(fx);
	}
}

/* A Btrfs without its own read_iter and open: the generic functions, in vmlinux (the BPF side
 * keeps only Btrfs files, by s_magic), with fentry since vmlinux has BTF while the module has
 * none; its own write and fsync still by kprobes in the module. */
static void btrfs_falls_back_to_the_generic_functions(void **state)
{
	struct fixture *fx = setup_kernel("fs-btrfs-generic", BACKEND_AUTO, &btrfsslower_probe_table);

	assert_int_equal(engine_run(fx->e, false), 0);
	expect_in(fx->e, "read", ATTACH_FENTRY, "generic_file_read_iter", NULL);
	expect_in(fx->e, "open", ATTACH_FENTRY, "generic_file_open", NULL);
	expect_in(fx->e, "write", ATTACH_KPROBE, "btrfs_file_write_iter", "btrfs");
	expect_in(fx->e, "fsync", ATTACH_KPROBE, "btrfs_sync_file", "btrfs");
	teardown(fx);
	/* where btrfs has its own, the generic ones are never reached */
	fx = setup_kernel("fs-5.10", BACKEND_AUTO, &btrfsslower_probe_table);
	assert_int_equal(engine_run(fx->e, false), 0);
	expect_in(fx->e, "read", ATTACH_KPROBE, "btrfs_file_read_iter", "btrfs");
	assert_int_equal(cand_state(fx->e, "read", "kprobe_iter_read", "generic_file_read_iter")->verdict,
			 VERDICT_NOT_REACHED);
	teardown(fx);
}

/* fentry denied at attach time for one probe: that probe moves to kprobe in the same module,
 * the others stay on fentry. */
static void fentry_attach_failure_falls_back_to_kprobe(void **state)
{
	struct fixture *fx = setup_kernel("fs-6.12", BACKEND_AUTO, &xfsslower_probe_table);

	fx->obj.attach_fail[0] = (struct fake_failure){ "fentry_iter_write", NULL, -EPERM };
	assert_int_equal(engine_run(fx->e, false), 0);
	expect_in(fx->e, "write", ATTACH_KPROBE, "xfs_file_write_iter", "xfs");
	expect_in(fx->e, "read", ATTACH_FENTRY, "xfs_file_read_iter", "xfs");
	assert_int_equal(fx->obj.attached, 4);
	teardown(fx);
}

/* No ZFS on these kernels: zfsslower's table (a member too) finds nothing of another file
 * system's. */
static void zfs_table_takes_nothing_of_the_others(void **state)
{
	struct fixture *fx = setup_kernel("fs-6.12", BACKEND_AUTO, &zfsslower_probe_table);

	assert_int_equal(engine_run(fx->e, false), -ENOENT);
	assert_int_equal(fx->obj.opens, 0);
	teardown(fx);
}

/* The family table: sorted, every member's tool named after it, -t names found. */
static void the_family_table(void **state)
{
	for (unsigned i = 0; i < fs_count; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%sslower", fs_table[i]->name);
		assert_string_equal(fs_table[i]->tool->name, name);
		assert_ptr_equal(fs_table[i]->tool->probes, fs_table[i]->probes);
		assert_ptr_equal(fs_find(fs_table[i]->name), fs_table[i]);
		assert_non_null(strstr(fs_names(), fs_table[i]->name));
		if (i)
			assert_true(strcmp(fs_table[i - 1]->name, fs_table[i]->name) < 0);
	}
	assert_null(fs_find("ext3"));
	assert_null(fs_find(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debian_510_kprobes_in_the_modules),
		cmocka_unit_test(debian_510_fentry_refused_without_module_btf),
		cmocka_unit_test(debian_612_fentry_with_module_btf),
		cmocka_unit_test(built_in_file_systems),
		cmocka_unit_test(lockdown_without_kprobes_refuses),
		cmocka_unit_test(btrfs_falls_back_to_the_generic_functions),
		cmocka_unit_test(fentry_attach_failure_falls_back_to_kprobe),
		cmocka_unit_test(zfs_table_takes_nothing_of_the_others),
		cmocka_unit_test(the_family_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
