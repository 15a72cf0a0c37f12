/* SPDX-License-Identifier: GPL-2.0-only */
/* escape_text / escape_json / escape_csv (core/util/util.h) on any bytes and every output size.
 *
 * Each output is decoded back (the inverse of the documented escaping) and must give a prefix
 * of the source, the whole source when the buffer is large enough; it must be NUL-terminated
 * inside dst_size with the returned length, never hold a raw control character where a
 * terminal would act on it, never split an escape or a UTF-8 sequence, and JSON output must be
 * a valid string body.
 *
 * Input: the source bytes; len is the input size (a NUL inside ends the source early, as
 * the contract says). Short inputs are tried with every dst_size 0..full+2, longer ones with
 * the small sizes, the sizes around the full length and a stride in between. */
#include "util/util.h"
#include "fuzz_common.h"

#define SMALL 32           /* inputs up to this long ... */
#define EVERY_SIZE_MAX 160 /* ... with an output up to this long: every dst_size */
#define CSV_BODY_MAX 1023 /* escape_csv escapes into a 1024-byte buffer first */

enum kind { TEXT, JSON, CSV };

static const char *const kind_name[] = { "escape_text", "escape_json", "escape_csv" };

/* The source as the escaper sees it: up to len or the first NUL. */
static size_t effective_len(const char *src, size_t len)
{
	const char *nul = memchr(src, '\0', len);

	return nul ? (size_t)(nul - src) : len;
}

/* Decode escape_text's language: "\\\\" and "\\xNN" (lowercase hex); anything else after a
 * backslash is a broken (split) escape. Returns the decoded length or -1. */
static long decode_text(const char *s, size_t n, unsigned char *out, const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\\') {
			out[o++] = '\\';
			i++;
		} else if (i + 3 < n && s[i + 1] == 'x' && fuzz_hex(s[i + 2]) >= 0 &&
			   fuzz_hex(s[i + 3]) >= 0) {
			out[o++] = (unsigned char)(fuzz_hex(s[i + 2]) << 4 | fuzz_hex(s[i + 3]));
			i += 3;
		} else {
			*why = "broken or split backslash escape";
			return -1;
		}
	}
	return (long)o;
}

/* Decode a JSON string body: only \\ \" and \u00NN are produced; the \u00NN value is the
 * byte itself (the Latin-1 reading of a byte that was not UTF-8). A raw quote or control
 * character is invalid JSON. */
static long decode_json(const char *s, size_t n, unsigned char *out, const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"') {
			*why = "unescaped quote in a JSON string";
			return -1;
		}
		if (c < 0x20) {
			*why = "raw control character in a JSON string";
			return -1;
		}
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"')) {
			out[o++] = (unsigned char)s[i + 1];
			i++;
			continue;
		}
		if (i + 5 < n && s[i + 1] == 'u') {
			int v = 0;

			for (int k = 2; k < 6; k++) {
				int h = fuzz_hex(s[i + k]);

				if (h < 0) {
					*why = "bad \\u escape";
					return -1;
				}
				v = v << 4 | h;
			}
			if (v > 0xff) {
				*why = "\\u escape above U+00FF (escape_json never makes one)";
				return -1;
			}
			out[o++] = (unsigned char)v;
			i += 5;
			continue;
		}
		*why = "broken or split JSON escape";
		return -1;
	}
	return (long)o;
}

/* A CSV field: quoted ("" doubles a quote) or bare (then without comma or quote); either way
 * its content is escape_text's language. */
static long decode_csv(const char *s, size_t n, unsigned char *out, const char **why)
{
	static char body[4096 * 12 + 64];
	size_t b = 0;

	if (n && s[0] == '"') {
		if (n < 2 || s[n - 1] != '"') {
			*why = "quoted CSV field without its closing quote";
			return -1;
		}
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '"') {
				if (i + 2 < n && s[i + 1] == '"') {
					body[b++] = '"';
					i++;
					continue;
				}
				*why = "lone quote inside a quoted CSV field";
				return -1;
			}
			body[b++] = s[i];
		}
	} else {
		if (memchr(s, ',', n) || memchr(s, '"', n)) {
			*why = "bare CSV field with a comma or quote";
			return -1;
		}
		memcpy(body, s, n);
		b = n;
	}
	return decode_text(body, b, out, why);
}

static size_t full_size(enum kind k, const char *src, size_t len);

static size_t run(enum kind k, char *dst, size_t dst_size, const char *src, size_t len)
{
	switch (k) {
	case TEXT:
		return escape_text(dst, dst_size, src, len);
	case JSON:
		return escape_json(dst, dst_size, src, len);
	default:
		return escape_csv(dst, dst_size, src, len);
	}
}

#define OUT_MAX (4096 * 12 + 64) /* the largest output of a 4096-byte input, with room */

/* The destination ends exactly where a heap block ends, so ASan sees any byte written past
 * dst_size; one block serves every size (cheaper than one malloc per call). */
static char *arena;
static unsigned char decoded[OUT_MAX];

/* One call; returns the output (valid until the next call) or NULL for dst_size 0. */
static char *check_one(enum kind k, const char *src, size_t len, size_t dst_size, size_t *out_len)
{
	const size_t src_len = effective_len(src, len);
	const char *why = "";
	char *dst = arena + OUT_MAX - dst_size; /* dst_size 0: the end itself, never touched */
	size_t n = run(k, dst, dst_size, src, len);
	bool c1;
	long d;

	*out_len = n;
	if (dst_size == 0) {
		CHECK(n == 0, "%s with dst_size 0 returned %zu", kind_name[k], n);
		return NULL;
	}
	CHECK(n < dst_size, "%s returned %zu for dst_size %zu", kind_name[k], n, dst_size);
	/* known bug 3: a cut quoted CSV field may split an escape or a UTF-8 sequence */
	if (k == CSV && fuzz_skip_known() && n && dst[0] == '"' && n + 1 < full_size(CSV, src, len)) {
		CHECK(dst[n] == '\0' && strlen(dst) == n, "escape_csv: bad NUL");
		return dst;
	}
	CHECK(dst[n] == '\0', "%s: no NUL at the returned length %zu", kind_name[k], n);
	CHECK(strlen(dst) == n, "%s: strlen %zu != returned %zu", kind_name[k], strlen(dst), n);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dst[i];

		CHECK(c >= 0x20 && c != 0x7f,
		      "%s: raw control byte 0x%02x at %zu in output \"%s\" (src \"%s\", dst_size %zu)",
		      kind_name[k], c, i, fuzz_show(dst, n), fuzz_show(src, src_len), dst_size);
	}
	CHECK(fuzz_utf8_valid((const unsigned char *)dst, n, &c1),
	      "%s: output is not valid UTF-8: \"%s\" (src \"%s\", dst_size %zu)", kind_name[k],
	      fuzz_show(dst, n), fuzz_show(src, src_len), dst_size);
	/* A C1 control (U+0080..U+009F) is as dangerous on a UTF-8 terminal as an ESC sequence;
	 * JSON is for programs, where it is just a character. */
	CHECK(k == JSON || !c1 || fuzz_skip_known() /* known bug 2 */,
	      "%s: C1 control character passed through raw: \"%s\" (src \"%s\")", kind_name[k],
	      fuzz_show(dst, n), fuzz_show(src, src_len));

	d = k == TEXT ? decode_text(dst, n, decoded, &why) :
	    k == JSON ? decode_json(dst, n, decoded, &why) : decode_csv(dst, n, decoded, &why);
	CHECK(d >= 0, "%s: %s: output \"%s\" (src \"%s\", dst_size %zu)", kind_name[k], why,
	      fuzz_show(dst, n), fuzz_show(src, src_len), dst_size);
	CHECK((size_t)d <= src_len && memcmp(decoded, src, (size_t)d) == 0,
	      "%s: output \"%s\" decodes to \"%s\", not a prefix of the source \"%s\" (dst_size %zu)",
	      kind_name[k], fuzz_show(dst, n), fuzz_show(decoded, (size_t)d), fuzz_show(src, src_len),
	      dst_size);
	return dst;
}

/* Size at which the whole source fits: escape_text's output plus what each format adds. */
static size_t full_size(enum kind k, const char *src, size_t len)
{
	static char big[OUT_MAX];

	return run(k, big, sizeof(big), src, len) + 1;
}

static void check_kind(enum kind k, const char *src, size_t len)
{
	static char prev[OUT_MAX];
	const size_t src_len = effective_len(src, len);
	size_t full = full_size(k, src, len), n, prev_len = 0;
	bool have_prev = false;
	const char *why = "";
	char *out;
	long d;

	/* the whole source must come back from a large enough buffer (escape_csv: unless its
	 * fixed internal buffer cut the escaped text) */
	out = check_one(k, src, len, full + 64, &n);
	d = k == TEXT ? decode_text(out, n, decoded, &why) :
	    k == JSON ? decode_json(out, n, decoded, &why) : decode_csv(out, n, decoded, &why);
	if (k != CSV || full_size(TEXT, src, len) - 1 < CSV_BODY_MAX)
		CHECK((size_t)d == src_len,
		      "%s: output \"%s\" lost bytes: decodes to %ld of %zu source bytes", kind_name[k],
		      fuzz_show(out, n), d, src_len);
	CHECK(n + 1 == full, "%s is not deterministic", kind_name[k]);

	if (src_len > SMALL || full > EVERY_SIZE_MAX) {
		/* the edges, and a stride through the middle */
		for (size_t size = 0; size <= full + 1; size = size < 8 || size + 8 > full ? size + 1 :
								size + 1 + full / 16)
			check_one(k, src, len, size, &n);
		return;
	}
	for (size_t size = 0; size <= full + 2; size++) {
		out = check_one(k, src, len, size, &n);
		/* text and JSON keep whole pieces: a smaller buffer gives a prefix of a larger one */
		if (k != CSV && have_prev)
			CHECK(n >= prev_len && memcmp(out, prev, prev_len) == 0,
			      "%s: output for dst_size %zu (\"%s\") does not extend the one for %zu (\"%s\")",
			      kind_name[k], size, fuzz_show(out, n), size - 1, fuzz_show(prev, prev_len));
		if (out) {
			memcpy(prev, out, n);
			prev_len = n;
			have_prev = true;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src;

	if (size > 4096)
		return 0;
	if (!arena)
		arena = malloc(OUT_MAX);
	src = fuzz_memdup(data, size);
	check_kind(TEXT, src, size);
	check_kind(JSON, src, size);
	check_kind(CSV, src, size);
	/* len shorter than the buffer: nothing past len may be read or shown */
	if (size > 1) {
		size_t n;

		check_one(TEXT, src, size / 2, full_size(TEXT, src, size / 2), &n);
		check_one(JSON, src, size / 2, full_size(JSON, src, size / 2), &n);
		check_one(CSV, src, size / 2, full_size(CSV, src, size / 2), &n);
	}
	free(src);
	return 0;
}
