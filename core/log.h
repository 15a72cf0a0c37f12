/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IOTRACE_LOG_H
#define IOTRACE_LOG_H

#include <stdarg.h>

/* Verbosity: 0 = errors and warnings only, 1 = -v (decisions), 2 = -vv (libbpf debug). */
extern int log_verbosity;
/* Program name used as the prefix of every diagnostic line ("biosnoop: ..."). */
extern const char *log_progname;

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Install the single libbpf print callback: silent unless -v, libbpf debug with -vv. */
void log_setup_libbpf(void);

/* While capturing, libbpf warnings are kept (last few lines) instead of printed, so the
 * engine can attach them to a failed candidate's verdict. */
void log_libbpf_capture_begin(void);
const char *log_libbpf_capture_end(void);

#endif
