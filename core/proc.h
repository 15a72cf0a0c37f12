/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IOTRACE_PROC_H
#define IOTRACE_PROC_H

#include "tool.h"

#include <stdint.h>

/* --pid takes a live process ID. We refuse rather than wait: a PID that does not exist now
 * is more likely a typo than a process about to start, and PIDs are reused. Reports a usage
 * error (one line) and returns -EINVAL, or 0. */
int proc_validate_pid(struct invocation *inv, uint32_t pid);

#endif
