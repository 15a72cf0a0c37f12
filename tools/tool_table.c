/* SPDX-License-Identifier: GPL-2.0-only */
/* The one place tools are registered, above every tool folder: core/cli declares the table
 * (cli.h) and never names a tool. Keep it sorted by name: tool_find() bisects it and a unit
 * test checks the order. */
#include "cli/cli.h"
#include "util/util.h"

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
