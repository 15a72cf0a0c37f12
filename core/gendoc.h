/* SPDX-License-Identifier: GPL-2.0-only */
/* Man pages and shell completion generated from the same option tables as --help, so they
 * cannot drift (iotrace --man, iotrace --completion bash). */
#ifndef IOTRACE_GENDOC_H
#define IOTRACE_GENDOC_H

#include "tool.h"

#include <stdio.h>

/* tool NULL: iotrace(8) itself. */
int gendoc_man(const struct tool *tool, FILE *out);
int gendoc_bash_completion(FILE *out);

extern const char iotrace_usage[];

#endif
