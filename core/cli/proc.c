/* SPDX-License-Identifier: GPL-2.0-only */
#include "cli/cli.h"
#include "util/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>

static unsigned read_tgid(uint32_t pid)
{
	char path[64], line[128];
	unsigned tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

int proc_validate_pid(struct invocation *inv, uint32_t pid)
{
	unsigned tgid;

	if (pid == 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
		return usage_error(inv, "no process with PID %u (%s does not wait for one to start)", pid,
				   inv->progname);
	tgid = read_tgid(pid);
	if (tgid && tgid != pid)
		return usage_error(inv, "PID %u is a thread of process %u: --pid takes a process ID",
				   pid, tgid);
	return 0;
}

int opt_parse_pid(struct argp_state *state, const char *arg, uint32_t *pid)
{
	uint64_t v;

	if (parse_u64(arg, PID_MAX_LIMIT, &v) || v == 0)
		return opt_error(state, "invalid --pid '%s': expected a process ID, 1 to %u", arg,
				 PID_MAX_LIMIT);
	*pid = (uint32_t)v;
	return 0;
}
