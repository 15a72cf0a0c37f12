/* SPDX-License-Identifier: GPL-2.0-only */
/* Multi-call dispatch in the busybox/toybox manner: the link name picks the tool, else
 * argv[1] does. A tool never looks at argv[0] itself. */
#include "cli/cli.h"

#include "util/util.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char iotrace_usage[] =
	"Usage: iotrace TOOL [OPTION...] [ARGS...]\n"
	"       iotrace --list | --help [TOOL] | --version | --install [-s] DIR\n"
	"       iotrace --man [TOOL] | --completion bash\n"
	"\n"
	"An I/O tracer that picks, at run time, the attach points this kernel offers.\n"
	"The same tools run through links named after them (see --install).\n"
	"\n"
	"  --list              list the tools with a one-line summary\n"
	"  --help [TOOL]       this text, or TOOL's help (same as 'TOOL --help')\n"
	"  --version           print the version\n"
	"  --install [-s] DIR  create a hard link (-s: symbolic link) in DIR for each tool\n"
	"  --man [TOOL]        print the man page of iotrace(8) or iotrace-TOOL(8)\n"
	"  --completion bash   print the bash completion script\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure (e.g. nothing can be attached here),\n"
	"2 usage error, 127 unknown tool.\n";

const struct tool *tool_find(const char *name)
{
	unsigned lo = 0, hi = tool_count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, tool_table[mid]->name);

		if (cmp == 0)
			return tool_table[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void print_list(void)
{
	for (unsigned i = 0; i < tool_count; i++)
		printf("%-12s %s\n", tool_table[i]->name, tool_table[i]->summary);
}

static int unknown_tool(const char *name)
{
	char shown[512];

	escape_text(shown, sizeof(shown), name, strlen(name));
	fprintf(stderr, "iotrace: unknown tool '%s' (see 'iotrace --list')\n", shown);
	return EXIT_NO_TOOL;
}

/* A link that already points at this binary is fine; anything else there is not ours. */
static int install_one(const char *self, const struct stat *self_st, const char *dir,
		       const char *name, int symbolic)
{
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) == 0) {
		if (st.st_dev == self_st->st_dev && st.st_ino == self_st->st_ino) {
			printf("%s: already there (a link to this iotrace), left as it is\n", path);
			return 0;
		}
		fprintf(stderr, "iotrace: %s exists and is not iotrace; remove it or pick another DIR\n",
			path);
		return -EEXIST;
	}
	unlink(path); /* a dangling symlink from an old install */
	if ((symbolic ? symlink(self, path) : link(self, path)) != 0) {
		int err = -errno;

		fprintf(stderr, "iotrace: cannot create %s: %s%s\n", path, strerror(errno),
			!symbolic && errno == EXDEV ? " (other filesystem: use --install -s)" : "");
		return err;
	}
	printf("%s: created (%s link to %s)\n", path, symbolic ? "symbolic" : "hard", self);
	return 0;
}

static int install_links(int argc, char **argv)
{
	char self[PATH_MAX];
	struct stat self_st, dir_st;
	int symbolic = argc >= 3 && strcmp(argv[2], "-s") == 0;
	const char *dir = argv[2 + symbolic];
	ssize_t len;

	if (argc != 3 + symbolic) {
		fprintf(stderr, "iotrace: --install needs one directory: iotrace --install [-s] DIR "
				"(see 'iotrace --help')\n");
		return EXIT_USAGE;
	}
	if (stat(dir, &dir_st) != 0 || !S_ISDIR(dir_st.st_mode)) {
		fprintf(stderr, "iotrace: --install: '%s' is not a directory (see 'iotrace --help')\n",
			dir);
		return EXIT_USAGE;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0 || stat("/proc/self/exe", &self_st) != 0) {
		fprintf(stderr, "iotrace: --install: cannot find this executable: %s (is /proc mounted?)\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	self[len] = '\0';
	for (unsigned i = 0; i < tool_count; i++) {
		if (tool_table[i]->applet &&
		    install_one(self, &self_st, dir, tool_table[i]->name, symbolic))
			return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* stdout is flushed and checked after every command (as git does): a full disk must not
 * look like success. A reader that went away (EPIPE) is a normal end. */
static int finish_stdout(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	if (errno == EPIPE)
		return status;
	fprintf(stderr, "iotrace: write error on standard output: %s\n", strerror(errno));
	return status ? status : EXIT_FAILURE;
}

/* invoked_as: how the user reaches the tool's --help ("iotrace biosnoop" or "biosnoop"). */
static int run_tool(const struct tool *tool, const char *invoked_as, int argc, char **argv)
{
	struct invocation inv = {
		.tool = tool, .progname = tool->name, .invoked_as = invoked_as, .err = stderr
	};
	int err, status;

	log_progname = tool->name;
	err = invocation_parse(&inv, argc, argv);
	if (err == 1) {
		status = EXIT_SUCCESS;
	} else if (err == -ENOENT) {
		status = EXIT_NO_TOOL; /* a tool named on the command line does not exist */
	} else if (err) {
		status = EXIT_USAGE;
	} else {
		log_verbosity = inv.common.verbosity;
		log_setup_libbpf();
		status = tool->run(&inv) ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	invocation_free(&inv);
	return status;
}

static int multiplexer(int argc, char **argv)
{
	char invoked_as[64];
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct tool *tool;

	if (!cmd) {
		fputs(iotrace_usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "--list") == 0 || strcmp(cmd, "-l") == 0) {
		print_list();
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("iotrace %s\n", IOTRACE_VERSION);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "--install") == 0)
		return install_links(argc, argv);
	if (strcmp(cmd, "--man") == 0) {
		tool = argc > 2 ? tool_find(argv[2]) : NULL;
		if (argc > 2 && !tool)
			return unknown_tool(argv[2]);
		return gendoc_man(tool, stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (strcmp(cmd, "--completion") == 0) {
		if (argc != 3 || strcmp(argv[2], "bash")) {
			fprintf(stderr, "iotrace: --completion takes one shell: bash\n");
			return EXIT_USAGE;
		}
		return gendoc_bash_completion(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc < 3) {
			fputs(iotrace_usage, stdout);
			return EXIT_SUCCESS;
		}
		tool = tool_find(argv[2]);
		if (!tool)
			return unknown_tool(argv[2]);
		tool_help(tool, stdout);
		return EXIT_SUCCESS;
	}
	if (cmd[0] == '-') {
		fprintf(stderr, "iotrace: unknown option '%s' (see 'iotrace --help')\n", cmd);
		return EXIT_USAGE;
	}
	tool = tool_find(cmd);
	if (!tool)
		return unknown_tool(cmd);
	snprintf(invoked_as, sizeof(invoked_as), "iotrace %s", tool->name);
	return run_tool(tool, invoked_as, argc - 1, argv + 1);
}

int dispatch_main(int argc, char **argv)
{
	const char *name = argc > 0 ? base_name(argv[0]) : "iotrace";
	const struct tool *tool = tool_find(name);
	int status;

	/* Writes to a closed pipe must fail with EPIPE so the tool can stop cleanly. */
	signal(SIGPIPE, SIG_IGN);
	if (tool && tool->applet)
		status = run_tool(tool, tool->name, argc, argv);
	else
		status = multiplexer(argc, argv);
	return finish_stdout(status);
}
