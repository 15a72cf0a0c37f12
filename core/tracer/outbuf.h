/* SPDX-License-Identifier: GPL-2.0-only */
/* Part of the tracer layer's face, included by tracer.h (include that): buffered output,
 * in a header of its own so that outbuf.c needs nothing of the run loop. */
#ifndef IOTRACE_OUTBUF_H
#define IOTRACE_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

/* Buffered event output: one large write(2) per batch instead of one per event, no
 * allocation per event. A reader that goes away (EPIPE) ends the run quietly. */

struct outbuf {
	int fd;
	int err; /* first write error (-errno); later writes are dropped */
	size_t len;
	char data[64 * 1024];
};

void outbuf_init(struct outbuf *o, int fd);
int outbuf_flush(struct outbuf *o);
void out_bytes_slow(struct outbuf *o, const char *s, size_t n);

/* Inline: a JSON record is a few dozen pieces, and at 200k records a second the call per
 * piece was a fifth of the tracer's time. */
static inline void out_bytes(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n <= sizeof(o->data)) {
		__builtin_memcpy(o->data + o->len, s, n);
		o->len += n;
		return;
	}
	out_bytes_slow(o, s, n);
}

/* A string literal, its length known at compile time (the copy is then a few moves). */
#define out_lit(o, lit) out_bytes((o), "" lit, sizeof(lit) - 1)

void out_str(struct outbuf *o, const char *s);
void out_printf(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_u64(struct outbuf *o, uint64_t v);
/* Fixed-point: v / 10^decimals with exactly `decimals` digits, e.g. (1234567, 6) -> 1.234567 */
void out_fixed(struct outbuf *o, uint64_t v, unsigned decimals);
/* s (n bytes, already escaped) in a column of width characters as a terminal shows them:
 * width > 0 right-aligned, width < 0 left-aligned; wider text is never cut. */
void out_column(struct outbuf *o, const char *s, size_t n, int width);

/* Escaped strings (util.h), src up to len bytes or a NUL. */
void out_text(struct outbuf *o, const char *src, size_t len);
void out_json_string(struct outbuf *o, const char *src, size_t len); /* with quotes */
void out_csv_field(struct outbuf *o, const char *src, size_t len);

#endif
