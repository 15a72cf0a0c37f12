/* SPDX-License-Identifier: GPL-2.0-only */
/* Small utilities every layer may use: diagnostics, escaping of kernel-supplied text,
 * strict number parsing, capabilities. Depends on nothing of ours. */
#ifndef IOTRACE_UTIL_H
#define IOTRACE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

/* Text from the kernel (task names, file names) is attacker-controlled: a process can name
 * itself "\x1b]0;pwned\a". Every byte string is escaped for its output format here. */

/* Each writes at most dst_size-1 bytes plus a NUL, never splitting an escape sequence, and
 * returns the length written. src stops at len or the first NUL. */

/* Terminal: printable ASCII and valid UTF-8 as is; control bytes, DEL, backslash and invalid
 * UTF-8 as \xNN (backslash as \\). */
size_t escape_text(char *dst, size_t dst_size, const char *src, size_t len);
/* JSON string body (no quotes): always valid JSON and valid UTF-8; bytes that are not valid
 * UTF-8 become \u00NN (their Latin-1 reading). */
size_t escape_json(char *dst, size_t dst_size, const char *src, size_t len);
/* The same, of a whole string of any length, quoted, to a stream; NULL gives null. */
void escape_json_fputs(FILE *out, const char *s);
/* CSV field: quoted (with "" doubling) when it holds a comma, quote, CR or LF; control
 * bytes escaped as in escape_text so a record is always one line. */
size_t escape_csv(char *dst, size_t dst_size, const char *src, size_t len);

/* Terminal columns of (escaped) text: one per character, UTF-8 continuation bytes none.
 * Wide East Asian characters would need two; that needs the locale. */
size_t text_columns(const char *s, size_t n);

/* Errors the kernel gave us (a load, an attach, a kernel file) are shown by their symbolic
 * name: users search for "EPERM", not for its translation. Errors about the user's own
 * files and options keep strerror's words, as every Unix tool does. */
/* "EPERM", also for the kernel-internal codes above 511 ("ENOTSUPP"); NULL when unknown.
 * err may be negative. */
const char *errno_name(int err);
struct errno_text {
	char s[32];
};
/* The name, or "errno N" when it has none. */
struct errno_text errno_text(int err);

/* Numbers as text into buf, no NUL; each returns the length written. FMT_U64_MAX bytes
 * hold any u64 (fmt_s64: one more for the sign; fmt_fixed: two more). */
#define FMT_U64_MAX 20
size_t fmt_u64(char *buf, uint64_t v);
size_t fmt_s64(char *buf, int64_t v);
/* v / 10^decimals with exactly `decimals` digits after the point (none: no point), e.g.
 * (1234567, 3) -> "1234.567". At most 19 decimals. */
size_t fmt_fixed(char *buf, uint64_t v, unsigned decimals);

/* Strict number parsing for option values: the whole string must be consumed, no sign,
 * no leading/trailing spaces. All return 0, -EINVAL (not a number) or -ERANGE (> max). */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A decimal number with up to 9 fractional digits, scaled by unit_ns: "1.5" with
 * unit_ns = 1000000 (milliseconds) gives 1500000 ns. */
int parse_decimal_ns(const char *s, uint64_t unit_ns, uint64_t max_ns, uint64_t *out_ns);

/* What tracing needs from the process's capabilities, checked up front (one clear line
 * instead of a wall of EPERMs), and shed once everything is attached. */

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
