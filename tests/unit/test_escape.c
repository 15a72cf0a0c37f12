/* SPDX-License-Identifier: GPL-2.0-only */
/* escape_json_fputs: strings longer than one piece come out exactly as escape_json would
 * write them at once, and a UTF-8 character on a piece boundary stays one character. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fputs_result(const char *s)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	escape_json_fputs(f, s);
	assert_int_equal(fclose(f), 0);
	return text;
}

static char *at_once(const char *s)
{
	size_t cap = strlen(s) * 6 + 3;
	char *out = malloc(cap);

	assert_non_null(out);
	out[0] = '"';
	size_t n = escape_json(out + 1, cap - 2, s, strlen(s));
	out[1 + n] = '"';
	out[2 + n] = '\0';
	return out;
}

static void same_as_at_once(const char *s)
{
	char *a = fputs_result(s), *b = at_once(s);

	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void null_is_null(void **state)
{
	char *a = fputs_result(NULL);

	assert_string_equal(a, "null");
	free(a);
}

static void long_text_with_escapes(void **state)
{
	char s[5000];

	/* 4 KiB of quotes, controls and letters: every piece boundary lands somewhere new */
	for (size_t i = 0; i < sizeof(s) - 1; i++)
		s[i] = "a\"\\\n\x01z"[i % 6];
	s[sizeof(s) - 1] = '\0';
	same_as_at_once(s);
}

static void utf8_across_every_boundary(void **state)
{
	/* "é" (2 bytes), "€" (3) and "𝄞" (4) shifted over the first piece boundary (256) */
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e" };

	for (size_t c = 0; c < 3; c++) {
		for (size_t shift = 250; shift < 258; shift++) {
			char s[600];
			char *a;

			memset(s, 'x', shift);
			strcpy(s + shift, chars[c]);
			strcat(s, "tail");
			a = fputs_result(s);
			/* the character is written as itself, never as \u00NN bytes */
			assert_non_null(strstr(a, chars[c]));
			assert_null(strstr(a, "\\u00"));
			free(a);
			same_as_at_once(s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_is_null),
		cmocka_unit_test(long_text_with_escapes),
		cmocka_unit_test(utf8_across_every_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
