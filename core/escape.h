/* SPDX-License-Identifier: GPL-2.0-only */
/* Text from the kernel (task names, file names) is attacker-controlled: a process can name
 * itself "\x1b]0;pwned\a". Every byte string is escaped for its output format here. */
#ifndef IOTRACE_ESCAPE_H
#define IOTRACE_ESCAPE_H

#include <stddef.h>

/* Each writes at most dst_size-1 bytes plus a NUL, never splitting an escape sequence, and
 * returns the length written. src stops at len or the first NUL. */

/* Terminal: printable ASCII and valid UTF-8 as is; control bytes, DEL, backslash and invalid
 * UTF-8 as \xNN (backslash as \\). */
size_t escape_text(char *dst, size_t dst_size, const char *src, size_t len);
/* JSON string body (no quotes): always valid JSON and valid UTF-8; bytes that are not valid
 * UTF-8 become \u00NN (their Latin-1 reading). */
size_t escape_json(char *dst, size_t dst_size, const char *src, size_t len);
/* CSV field: quoted (with "" doubling) when it holds a comma, quote, CR or LF; control
 * bytes escaped as in escape_text so a record is always one line. */
size_t escape_csv(char *dst, size_t dst_size, const char *src, size_t len);

/* Terminal columns of (escaped) text: one per character, UTF-8 continuation bytes none.
 * Wide East Asian characters would need two; that needs the locale. */
size_t text_columns(const char *s, size_t n);

#endif
