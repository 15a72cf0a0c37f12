/* SPDX-License-Identifier: GPL-2.0-only */
/* The one place tools are registered. Keep it sorted by name: lookups bisect it and a unit
 * test checks the order. */
#include "cli/cli.h"
#include "util/util.h"

#include <string.h>

extern const struct tool tool_biolatency;
extern const struct tool tool_biosnoop;
extern const struct tool tool_btrfsslower;
extern const struct tool tool_ext4slower;
extern const struct tool tool_fsslower;
extern const struct tool tool_nfsslower;
extern const struct tool tool_probes;
extern const struct tool tool_xfsslower;
extern const struct tool tool_zfsslower;

const struct tool *const tool_table[] = {
	&tool_biolatency,
	&tool_biosnoop,
	&tool_btrfsslower,
	&tool_ext4slower,
	&tool_fsslower,
	&tool_nfsslower,
	&tool_probes,
	&tool_xfsslower,
	&tool_zfsslower,
};

const unsigned tool_count = ARRAY_SIZE(tool_table);

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
