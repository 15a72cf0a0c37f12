/* SPDX-License-Identifier: GPL-2.0-only */
#include "util/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Append piece (n bytes) if it fits whole; returns false when dst is full. */
static bool put(char *dst, size_t dst_size, size_t *at, const char *piece, size_t n)
{
	if (*at + n + 1 > dst_size)
		return false;
	memcpy(dst + *at, piece, n);
	*at += n;
	return true;
}

enum style { STYLE_TEXT, STYLE_JSON };

static size_t escape(char *dst, size_t dst_size, const char *src, size_t len, enum style style)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t at = 0, i = 0;
	char esc[8];

	if (dst_size == 0)
		return 0;
	while (i < len && s[i]) {
		/* the common case, a run of printable ASCII that needs nothing, in one copy */
		size_t run = i, room = dst_size - 1 - at;

		while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '\\' && s[run] != '"')
			run++;
		if (run > i) {
			if (run - i > room)
				run = i + room;
			memcpy(dst + at, s + i, run - i);
			at += run - i;
			if (run - i == room && run < len && s[run])
				break;
			i = run;
			continue;
		}
		size_t n = utf8_len(s + i, len - i);
		const char *piece = (const char *)s + i;
		size_t piece_len = n;

		/* C0 controls, DEL, invalid UTF-8, and (for terminals) C1 controls U+0080..U+009F,
		 * which a UTF-8 terminal acts on like ESC sequences (U+009B is CSI) */
		if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) ||
		    (style == STYLE_TEXT && n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			if (style == STYLE_JSON)
				snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			else
				snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			piece = esc, piece_len = strlen(esc), n = 1;
		} else if (s[i] == '\\') {
			piece = "\\\\", piece_len = 2;
		} else if (s[i] == '"' && style == STYLE_JSON) {
			piece = "\\\"", piece_len = 2;
		}
		if (!put(dst, dst_size, &at, piece, piece_len))
			break;
		i += n;
	}
	dst[at] = '\0';
	return at;
}

size_t escape_text(char *dst, size_t dst_size, const char *src, size_t len)
{
	return escape(dst, dst_size, src, len, STYLE_TEXT);
}

size_t escape_json(char *dst, size_t dst_size, const char *src, size_t len)
{
	return escape(dst, dst_size, src, len, STYLE_JSON);
}

size_t escape_csv(char *dst, size_t dst_size, const char *src, size_t len)
{
	size_t at = 0, n;
	bool quote;
	char body[1024];

	if (dst_size < 3) {
		if (dst_size)
			dst[0] = '\0';
		return 0;
	}
	n = escape(body, sizeof(body), src, len, STYLE_TEXT);
	quote = strpbrk(body, ",\"") != NULL || (n && (body[0] == ' ' || body[n - 1] == ' '));
	if (!quote) {
		put(dst, dst_size, &at, body, n);
		dst[at] = '\0';
		return at;
	}
	if (!put(dst, dst_size, &at, "\"", 1))
		goto out;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)body[i];
		/* whole units only: an escape, a UTF-8 sequence or a quote (doubled) */
		size_t unit = c == '\\' ? (body[i + 1] == 'x' ? 4 : 2) :
			      c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		size_t plen = c == '"' ? 2 : unit;

		/* keep room for the closing quote, so a cut field is still one valid field */
		if (at + plen + 2 > dst_size)
			break;
		memcpy(dst + at, c == '"' ? "\"\"" : &body[i], plen);
		at += plen;
		i += unit;
	}
	dst[at++] = '"';
out:
	dst[at] = '\0';
	return at;
}

size_t text_columns(const char *s, size_t n)
{
	size_t cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

void escape_json_fputs(FILE *out, const char *s)
{
	/* in pieces, so that no length needs a buffer of six times its size */
	enum { PIECE = 256 };
	char buf[6 * PIECE + 1];
	size_t len;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (len = strlen(s); len;) {
		size_t n = len < PIECE ? len : PIECE;

		/* a piece never ends inside a UTF-8 character, which would read as invalid */
		while (n < len && n > 1 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		escape_json(buf, sizeof(buf), s, n);
		fputs(buf, out);
		s += n;
		len -= n;
	}
	fputc('"', out);
}
