/* SPDX-License-Identifier: GPL-2.0-only */
/* The program: every tool is in the table (tool_table.c), the rest is core/cli's dispatch. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return dispatch_main(argc, argv);
}
