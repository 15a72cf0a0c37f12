/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capture.h"
#include "cli/cli.h"

#include <sys/stat.h>

static struct captured c, c2, c3;

static void table_is_sorted_and_unique(void **state)
{
	assert_true(tool_count >= 2);
	for (unsigned i = 1; i < tool_count; i++)
		assert_true(strcmp(tool_table[i - 1]->name, tool_table[i]->name) < 0);
	for (unsigned i = 0; i < tool_count; i++) {
		assert_ptr_equal(tool_find(tool_table[i]->name), tool_table[i]);
		assert_non_null(tool_table[i]->summary);
		assert_non_null(tool_table[i]->run);
	}
	assert_null(tool_find("nosuchtool"));
	assert_null(tool_find(""));
}

static void list_shows_every_tool(void **state)
{
	RUN(&c, "iotrace", "--list");
	assert_int_equal(c.status, 0);
	assert_int_equal(count_lines(c.out), (int)tool_count);
	for (unsigned i = 0; i < tool_count; i++)
		assert_non_null(strstr(c.out, tool_table[i]->name));
}

static void unknown_tool_exits_127(void **state)
{
	RUN(&c, "iotrace", "nosuchtool");
	assert_int_equal(c.status, 127);
	assert_int_equal(count_lines(c.err), 1);
	assert_non_null(strstr(c.err, "unknown tool 'nosuchtool'"));
	RUN(&c, "iotrace", "--help", "nosuchtool");
	assert_int_equal(c.status, 127);
}

static void no_arguments_is_usage_error(void **state)
{
	RUN(&c, "iotrace");
	assert_int_equal(c.status, 2);
	assert_non_null(strstr(c.err, "Usage: iotrace TOOL"));
	RUN(&c, "iotrace", "--bogus");
	assert_int_equal(c.status, 2);
	assert_int_equal(count_lines(c.err), 1);
}

static void version_prints_one_line(void **state)
{
	RUN(&c, "iotrace", "--version");
	assert_int_equal(c.status, 0);
	assert_int_equal(count_lines(c.out), 1);
	assert_int_equal(strncmp(c.out, "iotrace ", 8), 0);
}

/* `iotrace --help T`, `iotrace T --help` and `T --help` through a link print the same. */
static void help_is_the_same_every_way(void **state)
{
	for (unsigned i = 0; i < tool_count; i++) {
		const char *name = tool_table[i]->name;
		char link_path[128];

		snprintf(link_path, sizeof(link_path), "/usr/local/sbin/%s", name);
		RUN(&c, "iotrace", "--help", name);
		RUN(&c2, "iotrace", name, "--help");
		assert_int_equal(c.status, 0);
		assert_int_equal(c2.status, 0);
		assert_string_equal(c.out, c2.out);
		assert_non_null(strstr(c.out, "Usage: "));
		assert_non_null(strstr(c.out, name));
		if (!tool_table[i]->applet)
			continue;
		RUN(&c3, link_path, "--help");
		assert_int_equal(c3.status, 0);
		assert_string_equal(c.out, c3.out);
	}
}

/* Through a link the link name picks the tool: options are the tool's, not iotrace's. */
static void link_name_selects_the_tool(void **state)
{
	RUN(&c, "./biosnoop", "--min-ms", "oops");
	assert_int_equal(c.status, 2);
	assert_int_equal(count_lines(c.err), 1);
	assert_non_null(strstr(c.err, "biosnoop: invalid --min-ms 'oops'"));
	assert_non_null(strstr(c.err, "biosnoop --help"));
	/* a renamed binary that is no tool behaves as iotrace */
	RUN(&c, "/opt/bin/iot", "--list");
	assert_int_equal(c.status, 0);
	/* `probes` is not an applet: through a link it is still the multiplexer */
	RUN(&c, "/usr/bin/probes", "--version");
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "iotrace "));
}

static void install_creates_links(void **state)
{
	char dir[] = "/tmp/iotrace-install-XXXXXX";
	char path[256], self[256];
	struct stat st, self_st;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	RUN(&c, "iotrace", "--install", dir);
	assert_int_equal(c.status, 0);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(stat(self, &self_st), 0);
	for (unsigned i = 0; i < tool_count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, tool_table[i]->name);
		if (!tool_table[i]->applet) {
			assert_int_not_equal(lstat(path, &st), 0);
			continue;
		}
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_ino, self_st.st_ino);
	}
	/* again: existing links to us are fine */
	RUN(&c, "iotrace", "--install", dir);
	assert_int_equal(c.status, 0);
	/* symbolic links replace nothing foreign */
	snprintf(path, sizeof(path), "%s/biosnoop", dir);
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	RUN(&c, "iotrace", "--install", "-s", dir);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "exists and is not iotrace"));
	unlink(path);
	RUN(&c, "iotrace", "--install", "-s", dir);
	assert_int_equal(c.status, 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	for (unsigned i = 0; i < tool_count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, tool_table[i]->name);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
	RUN(&c, "iotrace", "--install");
	assert_int_equal(c.status, 2);
	RUN(&c, "iotrace", "--install", "/nonexistent/dir");
	assert_int_equal(c.status, 2);
	assert_non_null(strstr(c.err, "is not a directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_is_sorted_and_unique),
		cmocka_unit_test(list_shows_every_tool),
		cmocka_unit_test(unknown_tool_exits_127),
		cmocka_unit_test(no_arguments_is_usage_error),
		cmocka_unit_test(version_prints_one_line),
		cmocka_unit_test(help_is_the_same_every_way),
		cmocka_unit_test(link_name_selects_the_tool),
		cmocka_unit_test(install_creates_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
