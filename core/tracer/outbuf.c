/* SPDX-License-Identifier: GPL-2.0-only */
#include "tracer/tracer.h"

#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void outbuf_init(struct outbuf *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->len = 0;
}

int outbuf_flush(struct outbuf *o)
{
	size_t done = 0;

	while (!o->err && done < o->len) {
		ssize_t n = write(o->fd, o->data + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			o->err = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	o->len = 0;
	return o->err;
}

static char *reserve(struct outbuf *o, size_t n)
{
	if (o->len + n > sizeof(o->data))
		outbuf_flush(o);
	if (n > sizeof(o->data))
		return NULL;
	return o->data + o->len;
}

/* Full buffer (flush first) or a piece larger than the buffer (write it through). */
void out_bytes_slow(struct outbuf *o, const char *s, size_t n)
{
	char *dst = reserve(o, n);

	if (!dst) {
		for (size_t i = 0; i < n; i += sizeof(o->data))
			out_bytes(o, s + i, n - i < sizeof(o->data) ? n - i : sizeof(o->data));
		return;
	}
	memcpy(dst, s, n);
	o->len += n;
}

void out_str(struct outbuf *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

void out_printf(struct outbuf *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_bytes(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Two digits per division: nanosecond times have 10 to 19 digits. */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				  "8081828384858687888990919293949596979899";

void out_u64(struct outbuf *o, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);

	while (v >= 100) {
		unsigned pair = (unsigned)(v % 100) * 2;

		v /= 100;
		buf[--i] = digit_pairs[pair + 1];
		buf[--i] = digit_pairs[pair];
	}
	if (v >= 10) {
		buf[--i] = digit_pairs[v * 2 + 1];
		buf[--i] = digit_pairs[v * 2];
	} else {
		buf[--i] = (char)('0' + v);
	}
	out_bytes(o, buf + i, sizeof(buf) - i);
}

void out_fixed(struct outbuf *o, uint64_t v, unsigned decimals)
{
	uint64_t scale = 1;
	char frac[24];

	for (unsigned i = 0; i < decimals && i < 19; i++)
		scale *= 10;
	out_u64(o, v / scale);
	if (!decimals)
		return;
	snprintf(frac, sizeof(frac), ".%0*llu", (int)decimals, (unsigned long long)(v % scale));
	out_str(o, frac);
}

size_t out_mark(const struct outbuf *o)
{
	return o->len;
}

/* Negative width: left-aligned (pad after); positive: right-aligned (shift and pad before).
 * A flush between mark and pad just loses the alignment of that one field. */
void out_pad(struct outbuf *o, size_t mark, int width)
{
	size_t want = (size_t)(width < 0 ? -width : width);
	size_t bytes = o->len >= mark ? o->len - mark : 0;
	/* width in characters, as a terminal shows them */
	size_t have = o->len >= mark ? text_columns(o->data + mark, bytes) : want;
	size_t pad = have < want ? want - have : 0;
	char *dst;

	if (!pad)
		return;
	dst = reserve(o, pad);
	if (!dst)
		return;
	if (width > 0 && o->len >= mark && dst == o->data + o->len) {
		memmove(o->data + mark + pad, o->data + mark, bytes);
		memset(o->data + mark, ' ', pad);
	} else {
		memset(dst, ' ', pad);
	}
	o->len += pad;
}

void out_text(struct outbuf *o, const char *src, size_t len)
{
	char buf[1024];

	out_bytes(o, buf, escape_text(buf, sizeof(buf), src, len));
}

void out_json_string(struct outbuf *o, const char *src, size_t len)
{
	char buf[1536];

	out_bytes(o, "\"", 1);
	out_bytes(o, buf, escape_json(buf, sizeof(buf), src, len));
	out_bytes(o, "\"", 1);
}

void out_csv_field(struct outbuf *o, const char *src, size_t len)
{
	char buf[1536];

	out_bytes(o, buf, escape_csv(buf, sizeof(buf), src, len));
}
