/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the libFuzzer harnesses in tests/fuzz. Header-only: every harness is one .c
 * file linked against iotrace_core. */
#ifndef IOTRACE_FUZZ_COMMON_H
#define IOTRACE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Invariant checks. Unlike assert() they survive NDEBUG (RelWithDebInfo defines it) and
 * abort(), which libFuzzer reports as a crash and saves the input for. They write to the
 * original standard error even when a harness has silenced the product's stdout/stderr. */
static FILE *fuzz_report_stream;

static inline FILE *fuzz_report(void)
{
	return fuzz_report_stream ? fuzz_report_stream : stderr;
}

__attribute__((noreturn, format(printf, 4, 5))) static inline void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	FILE *f = fuzz_report();
	va_list ap;

	fprintf(f, "\n==FUZZ INVARIANT== %s:%d: %s\n    ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	abort();
}

#define CHECK(cond, ...)                                                                         \
	do {                                                                                     \
		if (!(cond))                                                                     \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                       \
	} while (0)

/* A byte string for messages: printable ASCII as is, the rest as \xNN (at most 200 bytes). */
static inline const char *fuzz_show(const void *p, size_t len)
{
	static char buf[4][1024];
	static int slot;
	const unsigned char *s = p;
	char *out = buf[slot++ & 3];
	size_t at = 0;

	if (!p)
		return "(null)";
	for (size_t i = 0; i < len && i < 200; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			out[at++] = (char)s[i];
		else
			at += (size_t)snprintf(out + at, 8, "\\x%02x", s[i]);
	}
	if (len > 200)
		at += (size_t)snprintf(out + at, 8, "...");
	out[at] = '\0';
	return out;
}

#define SHOW(s) fuzz_show((s), (s) ? strlen(s) : 0)

/* FUZZ_SKIP_KNOWN=1 in the environment: do not stop at the product bugs already reported
 * (tests/fuzz/README.md, "Known bugs"), so that a long run can look for new ones. The
 * tier (run.sh) never sets it. */
static inline bool fuzz_skip_known(void)
{
	static int skip = -1;

	if (skip < 0)
		skip = getenv("FUZZ_SKIP_KNOWN") != NULL;
	return skip;
}

/* A private, exactly sized copy: ASan catches any read past its end. */
static inline char *fuzz_memdup(const void *p, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	if (len)
		memcpy(copy, p, len);
	return copy;
}

/* The same, NUL-terminated (the string stops at the first NUL byte of the input). */
static inline char *fuzz_strndup(const void *p, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		abort();
	if (len)
		memcpy(copy, p, len);
	copy[len] = '\0';
	return copy;
}

/* Splitting the input into pieces at a separator byte (a line, an argv element). */
struct fuzz_cursor {
	const uint8_t *p, *end;
};

static inline bool fuzz_next(struct fuzz_cursor *c, uint8_t sep, const uint8_t **piece,
			     size_t *len)
{
	const uint8_t *at;

	if (c->p >= c->end)
		return false;
	at = memchr(c->p, sep, (size_t)(c->end - c->p));
	*piece = c->p;
	*len = at ? (size_t)(at - c->p) : (size_t)(c->end - c->p);
	c->p = at ? at + 1 : c->end;
	return true;
}

/* Valid UTF-8 as RFC 3629 defines it (no overlong forms, surrogates or > U+10FFFF).
 * *c1 (may be NULL) is set when it encodes a C1 control character (U+0080..U+009F), which
 * terminals in UTF-8 mode treat like ESC-based controls (U+009B is CSI, U+009D is OSC). */
static inline bool fuzz_utf8_valid(const unsigned char *s, size_t len, bool *c1)
{
	if (c1)
		*c1 = false;
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], cp, min;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (c1 && cp >= 0x80 && cp <= 0x9f)
			*c1 = true;
		i += n;
	}
	return true;
}

static inline int fuzz_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
