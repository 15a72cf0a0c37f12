/* SPDX-License-Identifier: GPL-2.0-only */
/* What tracing needs from the process's capabilities, checked up front (one clear line
 * instead of a wall of EPERMs), and shed once everything is attached. */
#ifndef IOTRACE_PRIVS_H
#define IOTRACE_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* 0 when the effective set can load and attach tracing programs (CAP_SYS_ADMIN, or
 * CAP_BPF with CAP_PERFMON); else -EPERM with the missing capabilities named in missing. */
int privs_check(char *missing, size_t size);

/* CAP_SYS_ADMIN in the effective set. */
bool privs_have_sys_admin(void);

/* After attach: keep only what the event loop still needs (CAP_BPF, or CAP_SYS_ADMIN on
 * kernels without CAP_BPF, to read maps where unprivileged bpf() is off) and drop the rest
 * from the effective, permitted and inheritable sets. */
int privs_drop_after_attach(void);

#endif
