/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "blockreq/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS 1000000ULL

/* tests/fixtures/sysfs, found from this file's own path (cmake compiles it by absolute path) */
static const char *fixture(const char *name)
{
	static char path[PATH_MAX];
	const char *slash = strrchr(__FILE__, '/');
	int dir_len = slash ? (int)(slash - __FILE__) : 1;

	snprintf(path, sizeof(path), "%.*s/../fixtures/sysfs/%s", dir_len, slash ? __FILE__ : ".",
		 name);
	return path;
}

static uint32_t kdev(uint32_t major, uint32_t minor)
{
	return blockdev_kdev(major, minor);
}

/* ---- temporary trees for what a fixture in git cannot hold (FIFOs, devices appearing) ---- */

static char tmp_root[PATH_MAX];

static void put_file(const char *rel, const char *content)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp_root, rel);
	for (char *p = path + strlen(tmp_root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void put_symlink(const char *rel, const char *target)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", tmp_root, rel);
	for (char *p = path + strlen(tmp_root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_int_equal(symlink(target, path), 0);
}

static int make_tmp_root(void **state)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/iotrace-blockdev-XXXXXX");
	assert_non_null(mkdtemp(tmp_root));
	return 0;
}

static int remove_tmp_root(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- parsers ---- */

static void devnum_parser_is_strict(void **state)
{
	uint32_t d = 0;

	assert_int_equal(blockdev_parse_devnum("8:0\n", 4, &d), 0);
	assert_int_equal(d, kdev(8, 0));
	assert_int_equal(blockdev_parse_devnum("259:12", 6, &d), 0);
	assert_int_equal(d, (259u << 20) | 12);
	assert_int_equal(blockdev_parse_devnum("4095:1048575", 12, &d), 0);
	assert_int_equal(d, UINT32_MAX);
	/* the length, not a NUL, ends the input */
	assert_int_equal(blockdev_parse_devnum("7:1999", 3, &d), 0);
	assert_int_equal(d, kdev(7, 1));
	const char *bad[] = { "", "\n", ":", "8:", ":8", "8:0x", "x8:0", "-1:0", "8:-1", "8:0:0",
			      " 8:0", "8:0 ", "8:0\n\n", "8;0", "0x8:0", "+8:0", "8 :0", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(blockdev_parse_devnum(bad[i], strlen(bad[i]), &d), -EINVAL);
	assert_int_equal(blockdev_parse_devnum("4096:0", 6, &d), -ERANGE);
	assert_int_equal(blockdev_parse_devnum("8:1048576", 9, &d), -ERANGE);
	assert_int_equal(blockdev_parse_devnum("99999999999999999999999:0", 25, &d), -ERANGE);
	assert_int_equal(blockdev_parse_devnum("8\0:0", 4, &d), -EINVAL);
}

static void u64_parser_is_strict(void **state)
{
	uint64_t v = 0;

	assert_int_equal(blockdev_parse_u64("0\n", 2, &v), 0);
	assert_true(v == 0);
	assert_int_equal(blockdev_parse_u64("18446744073709551615", 20, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(blockdev_parse_u64("18446744073709551616", 20, &v), -ERANGE);
	assert_int_equal(blockdev_parse_u64("", 0, &v), -EINVAL);
	assert_int_equal(blockdev_parse_u64("\n", 1, &v), -EINVAL);
	assert_int_equal(blockdev_parse_u64("12a", 3, &v), -EINVAL);
	assert_int_equal(blockdev_parse_u64("-1", 2, &v), -EINVAL);
	assert_int_equal(blockdev_parse_u64("1 ", 2, &v), -EINVAL);
}

static void names_must_look_like_devices(void **state)
{
	assert_true(blockdev_name_ok("sda", 3));
	assert_true(blockdev_name_ok("nvme0n1p1", 9));
	assert_true(blockdev_name_ok("dm-0", 4));
	assert_true(blockdev_name_ok("cciss!c0d0", 10));
	assert_true(blockdev_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 31));
	assert_false(blockdev_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32));
	assert_false(blockdev_name_ok("", 0));
	assert_false(blockdev_name_ok(".", 1));
	assert_false(blockdev_name_ok("..", 2));
	assert_false(blockdev_name_ok("a b", 3));
	assert_false(blockdev_name_ok("a,b", 3));
	assert_false(blockdev_name_ok("a\"b", 3));
	assert_false(blockdev_name_ok("a\\b", 3));
	assert_false(blockdev_name_ok("a/b", 3));
	assert_false(blockdev_name_ok("\x1b[31m", 5));
	assert_false(blockdev_name_ok("caf\xc3\xa9", 5));
	assert_false(blockdev_name_ok("a\0b", 3));
}

static void proc_partitions_parser_skips_garbage(void **state)
{
	static const char text[] = "major minor  #blocks  name\n\n"
				   "   8        0  488386584 sda\n"
				   "   8        1     524288 sda1\n"
				   "junk\n 1 2 3\n 1 2 3 4 5\n99999 0 1 big\n 7 0 1 a,b\n"
				   " 253\t0\t4194304\tzram0"; /* no final newline */
	struct blockdev_entry e[8];
	size_t n = blockdev_parse_proc_partitions(text, sizeof(text) - 1, e, 8);

	assert_int_equal(n, 3);
	assert_string_equal(e[0].name, "sda");
	assert_int_equal(e[0].dev, kdev(8, 0));
	assert_true(e[0].sectors == 488386584ULL * 2);
	assert_string_equal(e[1].name, "sda1");
	assert_string_equal(e[2].name, "zram0");
	assert_int_equal(e[2].dev, kdev(253, 0));
	/* the output bound holds */
	assert_int_equal(blockdev_parse_proc_partitions(text, sizeof(text) - 1, e, 1), 1);
	assert_int_equal(blockdev_parse_proc_partitions(text, 0, e, 8), 0);
}

/* Deterministic random input for every parser: no crash, no read past len (ASan). */
static void parsers_survive_random_input(void **state)
{
	uint64_t x = 88172645463325252ULL;
	struct blockdev_entry e[4];

	for (int round = 0; round < 20000; round++) {
		size_t len;
		char *buf;
		uint32_t d;
		uint64_t v;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (size_t)(x % 48);
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly the characters these formats use, so parsing gets deep */
			buf[i] = "0123456789: \n\t-x"[x % 16];
			if (x % 97 == 0)
				buf[i] = (char)(x >> 24);
		}
		blockdev_parse_devnum(buf, len, &d);
		blockdev_parse_u64(buf, len, &v);
		blockdev_name_ok(buf, len);
		blockdev_parse_proc_partitions(buf, len, e, 4);
		free(buf);
	}
}

/* ---- tables from fixture trees ---- */

static void basic_tree_names_disks_and_partitions(void **state)
{
	struct blockdev_table t;
	struct blockdev_hit hit;

	assert_int_equal(blockdev_init(&t, fixture("basic"), 0), 0);
	assert_false(t.from_proc);
	assert_int_equal(t.count, 10);

	struct {
		uint32_t dev;
		uint64_t sector;
		const char *disk, *part;
	} cases[] = {
		{ kdev(8, 0), 0, "sda", NULL },
		{ kdev(8, 0), 2047, "sda", NULL },
		{ kdev(8, 0), 2048, "sda", "sda1" },
		{ kdev(8, 0), 1050623, "sda", "sda1" },
		{ kdev(8, 0), 1050624, "sda", "sda2" },
		{ kdev(8, 0), 976773119, "sda", "sda2" },
		{ kdev(8, 0), 976773120, "sda", NULL }, /* past the last partition */
		{ kdev(259, 0), 5000, "nvme0n1", "nvme0n1p1" },
		{ kdev(259, 0), 1052672, "nvme0n1", "nvme0n1p2" },
		{ kdev(7, 0), 2048, "loop0", "loop0p1" }, /* partition with an extended dev_t */
		{ kdev(7, 0), 102400, "loop0", NULL },
		{ kdev(7, 1), 0, "loop1", NULL },
		{ kdev(254, 0), 12345, "dm-0", NULL },
		{ kdev(8, 1), 0, "8:1", NULL }, /* a partition's own number is not a disk */
		{ kdev(1, 2), 0, "1:2", NULL },
		{ UINT32_MAX, UINT64_MAX, "4095:1048575", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		blockdev_resolve(&t, cases[i].dev, cases[i].sector, 1, &hit);
		assert_string_equal(hit.disk, cases[i].disk);
		if (cases[i].part)
			assert_string_equal(hit.partition, cases[i].part);
		else
			assert_null(hit.partition);
		assert_int_equal(hit.known, strchr(cases[i].disk, ':') == NULL);
	}
	assert_int_equal(t.longest_disk_name, strlen("nvme0n1"));
	assert_int_equal(t.longest_part_name, strlen("nvme0n1p1"));
	blockdev_free(&t);
}

static void names_resolve_to_disk_and_range(void **state)
{
	struct blockdev_table t;
	struct blockdev_range r;

	assert_int_equal(blockdev_init(&t, fixture("basic"), 0), 0);
	assert_int_equal(blockdev_find(&t, "sda", &r), 0);
	assert_int_equal(r.disk_dev, kdev(8, 0));
	assert_false(r.partition);
	assert_true(r.start == 0 && r.end == 0);
	assert_int_equal(blockdev_find(&t, "/dev/sda1", &r), 0);
	assert_int_equal(r.disk_dev, kdev(8, 0));
	assert_true(r.partition);
	assert_true(r.start == 2048 && r.end == 2048 + 1048576);
	assert_int_equal(blockdev_find(&t, "loop0p1", &r), 0);
	assert_int_equal(r.disk_dev, kdev(7, 0));
	assert_true(r.start == 2048 && r.end == 2048 + 100352);
	assert_int_equal(blockdev_find(&t, "nvme0n1p2", &r), 0);
	assert_int_equal(r.disk_dev, kdev(259, 0));
	assert_int_equal(blockdev_find(&t, "loop1", &r), 0);
	assert_int_equal(blockdev_find_devnum(&t, kdev(259, 3), &r), 0); /* loop0p1 */
	assert_int_equal(r.disk_dev, kdev(7, 0));
	assert_true(r.partition && r.start == 2048 && r.end == 2048 + 100352);
	assert_int_equal(blockdev_find_devnum(&t, kdev(254, 0), &r), 0);
	assert_true(r.disk_dev == kdev(254, 0) && !r.partition);
	assert_int_equal(blockdev_find_devnum(&t, kdev(254, 1), &r), -ENOENT);
	assert_int_equal(blockdev_find(&t, "sdz", &r), -ENOENT);
	assert_int_equal(blockdev_find(&t, "", &r), -ENOENT);
	assert_int_equal(blockdev_find(&t, "/dev/", &r), -ENOENT);
	blockdev_free(&t);
}

static void list_names_every_device_and_fits(void **state)
{
	struct blockdev_table t;
	char buf[256];

	assert_int_equal(blockdev_init(&t, fixture("basic"), 0), 0);
	blockdev_list(&t, buf, sizeof(buf));
	assert_string_equal(buf, "loop0, loop0p1, loop1, sda, sda1, sda2, dm-0, nvme0n1, nvme0n1p1, "
				 "nvme0n1p2");
	for (size_t size = 0; size < 80; size++) {
		char small[80];

		memset(small, 'Z', sizeof(small));
		blockdev_list(&t, small, size);
		if (size == 0) {
			assert_int_equal(small[0], 'Z');
			continue;
		}
		assert_true(strlen(small) < size);
		assert_int_equal(small[size], 'Z');
		/* the whole list is 75 bytes: anything less says there is more */
		if (size >= 6 && size <= 75)
			assert_true(strcmp(small + strlen(small) - 3, "...") == 0);
		if (size > 75)
			assert_string_equal(small, buf);
	}
	blockdev_free(&t);
}

static void proc_partitions_alone_gives_names(void **state)
{
	struct blockdev_table t;
	struct blockdev_hit hit;

	assert_int_equal(blockdev_init(&t, fixture("proc-only"), 0), 0);
	assert_true(t.from_proc);
	assert_int_equal(t.count, 3);
	blockdev_resolve(&t, kdev(8, 0), 4096, 1, &hit);
	assert_string_equal(hit.disk, "sda");
	assert_null(hit.partition);
	blockdev_resolve(&t, kdev(253, 0), 0, 1, &hit);
	assert_string_equal(hit.disk, "zram0");
	blockdev_free(&t);
}

static void hostile_tree_keeps_only_what_parses(void **state)
{
	struct blockdev_table t;
	struct blockdev_hit hit;
	struct blockdev_range r;
	char buf[512];

	assert_int_equal(blockdev_init(&t, fixture("hostile"), 0), 0);
	blockdev_list(&t, buf, sizeof(buf));
	assert_string_equal(buf, "good, good1, badsize, maxdev");
	blockdev_resolve(&t, kdev(8, 0), UINT64_MAX, 1, &hit);
	assert_string_equal(hit.disk, "good");
	assert_string_equal(hit.partition, "good1");
	blockdev_resolve(&t, kdev(8, 0), 5, 1, &hit);
	assert_null(hit.partition);
	blockdev_resolve(&t, UINT32_MAX, 0, 1, &hit);
	assert_string_equal(hit.disk, "maxdev");
	assert_int_equal(blockdev_find(&t, "good1", &r), 0);
	assert_true(r.start == UINT64_MAX && r.end == UINT64_MAX);
	assert_int_equal(blockdev_find(&t, "baddev1", &r), -ENOENT);
	blockdev_free(&t);
}

static void missing_or_overlong_root_is_an_error(void **state)
{
	struct blockdev_table t;
	char root[5000];

	assert_int_equal(blockdev_init(&t, "/nonexistent/iotrace", 0), -ENOENT);
	blockdev_free(&t);
	memset(root, 'a', sizeof(root) - 1);
	root[sizeof(root) - 1] = '\0';
	assert_int_equal(blockdev_init(&t, root, 0), -ENAMETOOLONG);
	blockdev_free(&t);
}

/* ---- temporary trees ---- */

static void disk_attached_later_gets_its_name(void **state)
{
	struct blockdev_table t;
	struct blockdev_hit hit;

	put_file("sys/devices/virtual/block/loop0/dev", "7:0\n");
	put_symlink("sys/class/block/loop0", "../../devices/virtual/block/loop0");
	put_file("proc/partitions", "major minor  #blocks  name\n\n");
	assert_int_equal(blockdev_init(&t, tmp_root, 0), 0);
	assert_int_equal(t.scans, 1);

	/* unknown, and too soon after start-up to look again */
	blockdev_resolve(&t, kdev(7, 5), 0, 100 * MS, &hit);
	assert_string_equal(hit.disk, "7:5");
	assert_false(hit.known);
	assert_int_equal(t.scans, 1);

	put_file("sys/devices/virtual/block/loop5/dev", "7:5\n");
	put_file("sys/devices/virtual/block/loop5/size", "4096\n");
	put_symlink("sys/class/block/loop5", "../../devices/virtual/block/loop5");
	blockdev_resolve(&t, kdev(7, 5), 0, 500 * MS, &hit);
	assert_string_equal(hit.disk, "7:5"); /* rate limited */
	assert_int_equal(t.scans, 1);
	blockdev_resolve(&t, kdev(7, 5), 0, 1200 * MS, &hit);
	assert_string_equal(hit.disk, "loop5");
	assert_true(hit.known);
	assert_int_equal(t.scans, 2);

	/* a partition table written later: noticed through /proc/partitions changing */
	put_file("sys/devices/virtual/block/loop5/loop5p1/dev", "259:7\n");
	put_file("sys/devices/virtual/block/loop5/loop5p1/partition", "1\n");
	put_file("sys/devices/virtual/block/loop5/loop5p1/start", "2048\n");
	put_file("sys/devices/virtual/block/loop5/loop5p1/size", "1024\n");
	put_symlink("sys/class/block/loop5p1", "../../devices/virtual/block/loop5/loop5p1");
	blockdev_resolve(&t, kdev(7, 5), 2048, 1500 * MS, &hit);
	assert_null(hit.partition); /* rate limited */
	blockdev_resolve(&t, kdev(7, 5), 2048, 2300 * MS, &hit);
	assert_null(hit.partition); /* /proc/partitions unchanged: no re-read */
	assert_int_equal(t.scans, 2);
	put_file("proc/partitions", "major minor  #blocks  name\n\n   7 5 2048 loop5\n"
				    " 259 7 512 loop5p1\n");
	blockdev_resolve(&t, kdev(7, 5), 2048, 2400 * MS, &hit);
	assert_null(hit.partition); /* checked at 2300 ms: wait */
	blockdev_resolve(&t, kdev(7, 5), 2048, 3400 * MS, &hit);
	assert_string_equal(hit.disk, "loop5");
	assert_string_equal(hit.partition, "loop5p1");
	assert_int_equal(t.scans, 3);
	/* partition hits never look at the filesystem */
	blockdev_resolve(&t, kdev(7, 5), 2049, 9000 * MS, &hit);
	assert_string_equal(hit.partition, "loop5p1");
	assert_int_equal(t.scans, 3);
	assert_int_equal(t.longest_disk_name, 5);
	assert_int_equal(t.longest_part_name, 7);
	blockdev_free(&t);
}

static void odd_files_never_block_or_flood(void **state)
{
	struct blockdev_table t;
	char path[PATH_MAX * 2], buf[256];
	FILE *f;

	put_file("sys/class/block/fifo/size", "1\n");
	snprintf(path, sizeof(path), "%s/sys/class/block/fifo/dev", tmp_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	put_file("sys/class/block/zero/size", "1\n");
	put_symlink("sys/class/block/zero/dev", "/dev/zero");
	put_file("sys/class/block/big/size", "1\n");
	snprintf(path, sizeof(path), "%s/sys/class/block/big/dev", tmp_root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("8:0", f);
	for (int i = 0; i < 1 << 20; i++)
		fputc('0', f);
	fclose(f);
	put_file("sys/class/block/esc\x1b[31m/dev", "8:32\n"); /* not a device name */
	put_file("sys/class/block/ok/dev", "8:16\n");
	put_symlink("sys/class/block/ok/size", "/dev/zero");
	snprintf(path, sizeof(path), "%s/proc", tmp_root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/partitions", tmp_root);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(blockdev_init(&t, tmp_root, 0), 0);
	blockdev_list(&t, buf, sizeof(buf));
	assert_string_equal(buf, "ok");
	assert_true(t.entries[0].sectors == 0);
	blockdev_free(&t);
}

static void huge_proc_partitions_is_capped(void **state)
{
	struct blockdev_table t;
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc", tmp_root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/partitions", tmp_root);
	f = fopen(path, "w");
	assert_non_null(f);
	for (unsigned i = 0; i < BLOCKDEV_MAX_ENTRIES + 100; i++)
		fprintf(f, " %u %u 1 d%u\n", 8 + i / 1000000, i % 1000000, i);
	fclose(f);
	assert_int_equal(blockdev_init(&t, tmp_root, 0), 0);
	assert_true(t.from_proc);
	assert_int_equal(t.count, BLOCKDEV_MAX_ENTRIES);
	blockdev_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(devnum_parser_is_strict),
		cmocka_unit_test(u64_parser_is_strict),
		cmocka_unit_test(names_must_look_like_devices),
		cmocka_unit_test(proc_partitions_parser_skips_garbage),
		cmocka_unit_test(parsers_survive_random_input),
		cmocka_unit_test(basic_tree_names_disks_and_partitions),
		cmocka_unit_test(names_resolve_to_disk_and_range),
		cmocka_unit_test(list_names_every_device_and_fits),
		cmocka_unit_test(proc_partitions_alone_gives_names),
		cmocka_unit_test(hostile_tree_keeps_only_what_parses),
		cmocka_unit_test(missing_or_overlong_root_is_an_error),
		cmocka_unit_test_setup_teardown(disk_attached_later_gets_its_name, make_tmp_root,
						remove_tmp_root),
		cmocka_unit_test_setup_teardown(odd_files_never_block_or_flood, make_tmp_root,
						remove_tmp_root),
		cmocka_unit_test_setup_teardown(huge_proc_partitions_is_capped, make_tmp_root,
						remove_tmp_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
