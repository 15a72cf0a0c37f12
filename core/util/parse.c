/* SPDX-License-Identifier: GPL-2.0-only */
#include "util/util.h"

#include <errno.h>
#include <stdbool.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Overflow-checked accumulation, so "99999999999999999999" is ERANGE and not a wrap. */
static int accumulate(uint64_t *acc, unsigned digit)
{
	if (*acc > (UINT64_MAX - digit) / 10)
		return -ERANGE;
	*acc = *acc * 10 + digit;
	return 0;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !is_digit(*s))
		return -EINVAL;
	for (; *s; s++) {
		if (!is_digit(*s))
			return -EINVAL;
		if (accumulate(&v, (unsigned)(*s - '0')))
			return -ERANGE;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_decimal_ns(const char *s, uint64_t unit_ns, uint64_t max_ns, uint64_t *out_ns)
{
	uint64_t whole = 0, frac = 0, frac_scale = 1, ns, part;
	int frac_digits = 0;

	if (!s || !is_digit(*s) || unit_ns == 0)
		return -EINVAL;
	for (; is_digit(*s); s++)
		if (accumulate(&whole, (unsigned)(*s - '0')))
			return -ERANGE;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return -EINVAL;
		for (; is_digit(*s); s++) {
			if (++frac_digits > 9)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*s - '0');
			frac_scale *= 10;
		}
	}
	if (*s)
		return -EINVAL;
	if (whole > max_ns / unit_ns)
		return -ERANGE;
	ns = whole * unit_ns;
	/* frac < frac_scale <= 1e9 and unit_ns is at most seconds, so this cannot overflow. */
	part = (uint64_t)((unsigned __int128)frac * unit_ns / frac_scale);
	if (part > max_ns - ns)
		return -ERANGE;
	ns += part;
	*out_ns = ns;
	return 0;
}
