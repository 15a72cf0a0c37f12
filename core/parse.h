/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IOTRACE_PARSE_H
#define IOTRACE_PARSE_H

#include <stdint.h>

/* Strict number parsing for option values: the whole string must be consumed, no sign,
 * no leading/trailing spaces. All return 0, -EINVAL (not a number) or -ERANGE (> max). */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A decimal number with up to 9 fractional digits, scaled by unit_ns: "1.5" with
 * unit_ns = 1000000 (milliseconds) gives 1500000 ns. */
int parse_decimal_ns(const char *s, uint64_t unit_ns, uint64_t max_ns, uint64_t *out_ns);

#endif
