/* SPDX-License-Identifier: GPL-2.0-only */
/* parse_u64 / parse_decimal_ns (core/util/util.h) against a reference written from the header's
 * contract, plus round trips of canonical numbers.
 *
 * Input: byte 0 picks max (a table of the limits the tools use, or 0x0f: the next 8 bytes
 * little-endian), byte 1 picks unit_ns (powers of ten up to seconds, and 0), the rest is the
 * string (a NUL byte ends it). Seeds: tests/fuzz/corpus/parse. */
#include "fuzz_common.h"
#include "util/util.h"

#include <errno.h>
#include <inttypes.h>

typedef unsigned __int128 u128;

static const uint64_t max_table[] = {
	0,
	1,
	9,
	10,
	4194304ULL,                            /* biosnoop --pid */
	0x3fffffffULL,                         /* zfsslower --pid */
	3600ULL * 1000000000ULL,               /* --min-ms, in ns */
	366ULL * 24 * 3600 * 1000000000ULL,    /* --duration / DURATION, in ns */
	UINT64_MAX / 10,
	UINT64_MAX / 10 + 1,
	UINT64_MAX - 1,
	UINT64_MAX,
	UINT32_MAX,
	1000000ULL,
	999999999ULL,
};

static const uint64_t unit_table[] = { 1000000000ULL, 1000000ULL, 1000ULL, 1, 10, 100000000ULL, 0 };

struct ref {
	int err;      /* what the contract demands */
	int alt_err;  /* also acceptable (see below), or the same as err */
	uint64_t value;
	bool wraps;   /* the exact value does not fit 64 bits (known bug 1) */
};

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits only, nothing else: the value, or -ERANGE past UINT64_MAX. A non-number is -EINVAL;
 * the parser may stop at an overflowing digit prefix before it meets the junk, so -ERANGE is
 * accepted there too ("99999999999999999999x": not a number, and too big). */
static struct ref ref_u64(const char *s, uint64_t max)
{
	struct ref r = { -EINVAL, -EINVAL, 0 };
	u128 v = 0;
	bool overflow = false;
	size_t i;

	if (!digit(s[0]))
		return r;
	for (i = 0; digit(s[i]); i++) {
		if (!overflow)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (v > UINT64_MAX)
			overflow = true;
	}
	if (s[i]) {
		if (overflow)
			r.alt_err = -ERANGE;
		return r;
	}
	if (overflow || v > max) {
		r.err = r.alt_err = -ERANGE;
		return r;
	}
	r.err = r.alt_err = 0;
	r.value = (uint64_t)v;
	return r;
}

/* WHOLE[.FRAC] with 1..9 FRAC digits; value = WHOLE*unit + floor(FRAC*unit/10^k), exactly. */
static struct ref ref_decimal(const char *s, uint64_t unit, uint64_t max)
{
	struct ref r = { -EINVAL, -EINVAL, 0 };
	u128 whole = 0, frac = 0, scale = 1, v;
	bool overflow = false;
	size_t i = 0, k = 0;

	if (!digit(s[0]) || unit == 0)
		return r;
	for (; digit(s[i]); i++) {
		if (!overflow)
			whole = whole * 10 + (unsigned)(s[i] - '0');
		if (whole > UINT64_MAX)
			overflow = true;
	}
	if (overflow) /* the parser stops at the first digit that overflows */
		r.alt_err = -ERANGE;
	if (s[i] == '.') {
		i++;
		if (!digit(s[i]))
			return r;
		for (; digit(s[i]); i++, k++) {
			if (k < 9) {
				frac = frac * 10 + (unsigned)(s[i] - '0');
				scale *= 10;
			}
		}
		if (k > 9)
			return r;
	}
	if (s[i])
		return r;
	if (overflow) {
		r.err = r.alt_err = -ERANGE;
		return r;
	}
	v = whole * unit + frac * unit / scale;
	r.wraps = v > UINT64_MAX;
	if (v > max) {
		r.err = r.alt_err = -ERANGE;
		return r;
	}
	r.err = r.alt_err = 0;
	r.value = (uint64_t)v;
	return r;
}

static void check_u64(const char *s, uint64_t max)
{
	struct ref want = ref_u64(s, max);
	uint64_t out = 0xdeadbeefcafef00dULL;
	int err = parse_u64(s, max, &out);
	char again[32];

	CHECK(err == want.err || err == want.alt_err,
	      "parse_u64(\"%s\", max %" PRIu64 ") = %d, expected %d (value %" PRIu64 ")", SHOW(s),
	      max, err, want.err, want.value);
	if (err) {
		CHECK(out == 0xdeadbeefcafef00dULL, "parse_u64 wrote *out on error %d", err);
		return;
	}
	CHECK(out <= max, "parse_u64(\"%s\") = %" PRIu64 " > max %" PRIu64, SHOW(s), out, max);
	CHECK(out == want.value, "parse_u64(\"%s\") = %" PRIu64 ", expected %" PRIu64, SHOW(s), out,
	      want.value);
	/* canonical form parses back to the same number */
	snprintf(again, sizeof(again), "%" PRIu64, out);
	CHECK(parse_u64(again, max, &out) == 0 && out == want.value,
	      "parse_u64 round trip of %s failed", again);
	if (s[0] != '0' || !s[1])
		CHECK(strcmp(again, s) == 0, "canonical \"%s\" re-printed as \"%s\"", SHOW(s), again);
}

static bool power_of_ten(uint64_t unit, unsigned *digits)
{
	unsigned k = 0;

	if (!unit)
		return false;
	while (unit % 10 == 0)
		unit /= 10, k++;
	*digits = k;
	return unit == 1 && k <= 9;
}

static void check_decimal(const char *s, uint64_t unit, uint64_t max)
{
	struct ref want = ref_decimal(s, unit, max);
	uint64_t out = 0xdeadbeefcafef00dULL, back = 0;
	int err = parse_decimal_ns(s, unit, max, &out);
	unsigned k;
	char again[48];

	if (want.wraps && fuzz_skip_known())
		return;
	CHECK(err == want.err || err == want.alt_err,
	      "parse_decimal_ns(\"%s\", unit %" PRIu64 ", max %" PRIu64 ") = %d (out %" PRIu64
	      "), expected %d (value %" PRIu64 ")",
	      SHOW(s), unit, max, err, out, want.err, want.value);
	if (err) {
		CHECK(out == 0xdeadbeefcafef00dULL, "parse_decimal_ns wrote *out on error %d", err);
		return;
	}
	CHECK(out <= max, "parse_decimal_ns(\"%s\", unit %" PRIu64 ") = %" PRIu64 " > max %" PRIu64,
	      SHOW(s), unit, out, max);
	CHECK(out == want.value,
	      "parse_decimal_ns(\"%s\", unit %" PRIu64 ", max %" PRIu64 ") = %" PRIu64
	      ", exact value %" PRIu64,
	      SHOW(s), unit, max, out, want.value);
	/* with a power-of-ten unit every result prints exactly and parses back */
	if (power_of_ten(unit, &k)) {
		if (k)
			snprintf(again, sizeof(again), "%" PRIu64 ".%0*" PRIu64, out / unit, (int)k,
				 out % unit);
		else
			snprintf(again, sizeof(again), "%" PRIu64, out);
		CHECK(parse_decimal_ns(again, unit, max, &back) == 0 && back == out,
		      "parse_decimal_ns round trip: %" PRIu64 " ns printed as \"%s\" parsed as %" PRIu64,
		      out, again, back);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t max, unit, v;
	char *s, buf[32];
	size_t at = 2;

	if (size < 2)
		return 0;
	if ((data[0] & 0x0f) < sizeof(max_table) / sizeof(max_table[0])) {
		max = max_table[data[0] & 0x0f];
	} else {
		if (size < 10)
			return 0;
		memcpy(&max, data + 2, 8);
		at = 10;
	}
	unit = unit_table[data[1] % (sizeof(unit_table) / sizeof(unit_table[0]))];
	s = fuzz_strndup(data + at, size - at);

	check_u64(s, max);
	check_u64(s, UINT64_MAX);
	check_decimal(s, unit, max);
	check_decimal(s, unit, UINT64_MAX);
	free(s);

	/* canonical numbers made from the input bytes: always accepted, exactly */
	for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
		uint64_t got = 0;

		memcpy(&v, data + i, 8);
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		CHECK(parse_u64(buf, UINT64_MAX, &got) == 0 && got == v, "parse_u64(\"%s\") -> %" PRIu64,
		      buf, got);
		CHECK(parse_u64(buf, v, &got) == 0 && got == v, "parse_u64(\"%s\", max itself)", buf);
		if (v)
			CHECK(parse_u64(buf, v - 1, &got) == -ERANGE, "parse_u64(\"%s\", max - 1)", buf);
		CHECK(parse_decimal_ns(buf, 1, UINT64_MAX, &got) == 0 && got == v,
		      "parse_decimal_ns(\"%s\", unit 1) -> %" PRIu64, buf, got);
	}
	return 0;
}
