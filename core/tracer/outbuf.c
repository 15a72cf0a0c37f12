/* SPDX-License-Identifier: GPL-2.0-only */
#include "tracer/outbuf.h"

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

void out_u64(struct outbuf *o, uint64_t v)
{
	char buf[FMT_U64_MAX];

	out_bytes(o, buf, fmt_u64(buf, v));
}

void out_fixed(struct outbuf *o, uint64_t v, unsigned decimals)
{
	char buf[FMT_U64_MAX + 2];

	out_bytes(o, buf, fmt_fixed(buf, v, decimals));
}

static void spaces(struct outbuf *o, size_t n)
{
	static const char blanks[] = "                                                                ";

	while (n > 0) {
		size_t chunk = n < sizeof(blanks) - 1 ? n : sizeof(blanks) - 1;

		out_bytes(o, blanks, chunk);
		n -= chunk;
	}
}

void out_column(struct outbuf *o, const char *s, size_t n, int width)
{
	size_t want = (size_t)(width < 0 ? -width : width);
	size_t shown = text_columns(s, n);
	size_t pad = want > shown ? want - shown : 0;

	if (width > 0)
		spaces(o, pad);
	out_bytes(o, s, n);
	if (width < 0)
		spaces(o, pad);
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
