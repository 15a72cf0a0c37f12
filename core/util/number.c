/* SPDX-License-Identifier: GPL-2.0-only */
/* Numbers to text without printf: the event printers format several per event at rates
 * where vsnprintf's parsing of a format string is most of the cost. */
#include "util/util.h"

#include <string.h>

/* Two digits per division: nanosecond times have 10 to 19 digits. */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
				  "25262728293031323334353637383940414243444546474849"
				  "50515253545556575859606162636465666768697071727374"
				  "75767778798081828384858687888990919293949596979899";

size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[FMT_U64_MAX];
	size_t i = sizeof(tmp), n;

	while (v >= 100) {
		unsigned pair = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[--i] = digit_pairs[pair + 1];
		tmp[--i] = digit_pairs[pair];
	}
	if (v >= 10) {
		tmp[--i] = digit_pairs[v * 2 + 1];
		tmp[--i] = digit_pairs[v * 2];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	n = sizeof(tmp) - i;
	memcpy(buf, tmp + i, n);
	return n;
}

size_t fmt_s64(char *buf, int64_t v)
{
	if (v >= 0)
		return fmt_u64(buf, (uint64_t)v);
	buf[0] = '-';
	return 1 + fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
}

size_t fmt_fixed(char *buf, uint64_t v, unsigned decimals)
{
	uint64_t scale = 1;
	size_t n;

	if (decimals > 19)
		decimals = 19;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	n = fmt_u64(buf, v / scale);
	if (!decimals)
		return n;
	buf[n++] = '.';
	v %= scale;
	for (unsigned i = decimals; i > 0; i--) {
		buf[n + i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	return n + decimals;
}
