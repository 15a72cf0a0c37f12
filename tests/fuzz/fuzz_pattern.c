/* SPDX-License-Identifier: GPL-2.0-only */
/* pattern_match / pattern_resolve (core/probe/probe.h) against a reference built from the
 * header's rules with POSIX regular expressions.
 *
 * Input (text): line 1 the pattern, line 2 the module ("" = vmlinux), then one symbol per
 * line as in available_filter_functions: "name" or "name [module]" (a line "\x7f" is a NULL
 * name). Each symbol is also matched alone. Seeds: tests/fuzz/corpus/pattern. */
#include "fuzz_common.h"
#include "probe/probe.h"

#include <errno.h>
#include <regex.h>

#define MAX_SYMS 256
#define OUT_MAX 512
#define REASON_MAX 2048

/* After the stem of "stem*": word-boundary suffixes, optionally ".llvm.N" */
static regex_t re_suffix;
/* ... the same followed by a GCC clone marker: .isra / .constprop / .part / .cold [.anything] */
static regex_t re_clone;
/* After an exact name: only ".llvm.N" may precede the clone marker */
static regex_t re_exact_clone;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (regcomp(&re_suffix, "^(_[A-Za-z0-9]+)*(\\.llvm\\.[0-9]+)?$", REG_EXTENDED | REG_NOSUB) ||
	    regcomp(&re_clone,
		    "^(_[A-Za-z0-9]+)*(\\.llvm\\.[0-9]+)?\\.(isra|constprop|part|cold)(\\..*)?$",
		    REG_EXTENDED | REG_NOSUB) ||
	    regcomp(&re_exact_clone, "^(\\.llvm\\.[0-9]+)?\\.(isra|constprop|part|cold)(\\..*)?$",
		    REG_EXTENDED | REG_NOSUB))
		abort();
	return 0;
}

static bool re(const regex_t *r, const char *s)
{
	return regexec(r, s, 0, NULL, 0) == 0;
}

/* The header's rules: a malformed pattern (empty, '*' anywhere but at the end, or no stem)
 * matches nothing. */
static bool ref_parse(const char *pattern, size_t *stem_len, bool *wildcard)
{
	size_t len = strlen(pattern);
	const char *star = strchr(pattern, '*');

	if (!len)
		return false;
	*wildcard = star != NULL;
	if (star && (star != pattern + len - 1 || len == 1))
		return false;
	*stem_len = star ? len - 1 : len;
	return true;
}

static enum pattern_match ref_match(const char *pattern, const char *name)
{
	size_t stem_len;
	bool wildcard;
	const char *rest;

	if (!name || !ref_parse(pattern, &stem_len, &wildcard))
		return PATTERN_NO_MATCH;
	if (strlen(name) < stem_len || memcmp(name, pattern, stem_len) != 0)
		return PATTERN_NO_MATCH;
	rest = name + stem_len;
	if (!*rest)
		return PATTERN_EXACT;
	if (!wildcard)
		return re(&re_exact_clone, rest) ? PATTERN_CLONE : PATTERN_NO_MATCH;
	if (re(&re_suffix, rest))
		return PATTERN_SUFFIXED;
	return re(&re_clone, rest) ? PATTERN_CLONE : PATTERN_NO_MATCH;
}

static const char *const match_name[] = { "NO_MATCH", "EXACT", "SUFFIXED", "CLONE" };

static bool same_module(const char *want, const char *module)
{
	return want ? module && strcmp(want, module) == 0 : module == NULL;
}

struct ref_result {
	int err;
	const char *chosen;
};

static struct ref_result ref_resolve(const char *pattern, const char *module,
				     const struct ksym *syms, size_t n)
{
	struct ref_result r = { -ENOENT, NULL };
	const char *shortest = NULL;
	size_t min_len = SIZE_MAX, stem_len;
	bool wildcard, tie = false;

	if (!ref_parse(pattern, &stem_len, &wildcard))
		return (struct ref_result){ -EINVAL, NULL };
	for (size_t i = 0; i < n; i++) {
		if (!syms[i].name || !same_module(module, syms[i].module))
			continue;
		switch (ref_match(pattern, syms[i].name)) {
		case PATTERN_EXACT:
			return (struct ref_result){ 0, syms[i].name };
		case PATTERN_SUFFIXED: {
			size_t len = strlen(syms[i].name);

			if (len < min_len) {
				min_len = len;
				shortest = syms[i].name;
				tie = false;
			} else if (len == min_len && strcmp(shortest, syms[i].name) != 0) {
				tie = true;
			}
			break;
		}
		default:
			break;
		}
	}
	if (!shortest)
		return r;
	if (tie)
		return (struct ref_result){ -ENOTUNIQ, NULL };
	return (struct ref_result){ 0, shortest };
}

static bool has_clone_marker(const char *s)
{
	static const char *const marks[] = { ".isra", ".constprop", ".part", ".cold" };

	for (size_t i = 0; i < 4; i++)
		if (strstr(s, marks[i]))
			return true;
	return false;
}

/* Every call: out and reason NUL-terminated inside their sizes, nothing written past them. */
static int resolve(const char *pattern, const char *module, const struct ksym *syms, size_t n,
		   size_t out_size, size_t reason_size, char **out, char **reason)
{
	int err;

	*out = out_size ? malloc(out_size) : NULL;
	*reason = reason_size ? malloc(reason_size) : NULL;
	if (*out)
		memset(*out, 'O', out_size);
	if (*reason)
		memset(*reason, 'R', reason_size);
	err = pattern_resolve(pattern, module, syms, n, *out, out_size, *reason, reason_size);
	if (*out)
		CHECK(memchr(*out, '\0', out_size), "out not NUL-terminated (out_size %zu)", out_size);
	if (*reason)
		CHECK(memchr(*reason, '\0', reason_size), "reason not NUL-terminated (size %zu)",
		      reason_size);
	CHECK(err == 0 || err == -ENOENT || err == -ENOTUNIQ || err == -EINVAL ||
		      err == -ENAMETOOLONG,
	      "pattern_resolve returned %d", err);
	return err;
}

static void check_resolve(const char *pattern, const char *module, const struct ksym *syms,
			  size_t n)
{
	struct ref_result want = ref_resolve(pattern, module, syms, n);
	char *out, *reason, *out2, *reason2;
	int err = resolve(pattern, module, syms, n, OUT_MAX, REASON_MAX, &out, &reason), err2;
	size_t stem_len;
	bool wildcard;

	if (want.err == 0 && strlen(want.chosen) >= OUT_MAX)
		want.err = -ENAMETOOLONG;
	CHECK(err == want.err,
	      "pattern_resolve(\"%s\", %s) = %d, expected %d (%s); reason: %s", SHOW(pattern),
	      module ? SHOW(module) : "vmlinux", err, want.err, want.chosen ? SHOW(want.chosen) : "-",
	      SHOW(reason));
	CHECK(strlen(reason) > 0, "pattern_resolve gave no reason (err %d)", err);
	if (err == 0) {
		enum pattern_match m = pattern_match(pattern, out);

		CHECK(strcmp(out, want.chosen) == 0, "pattern_resolve(\"%s\") chose \"%s\", expected \"%s\"",
		      SHOW(pattern), SHOW(out), SHOW(want.chosen));
		CHECK(m == PATTERN_EXACT || m == PATTERN_SUFFIXED,
		      "chosen \"%s\" does not match \"%s\" (%s)", SHOW(out), SHOW(pattern), match_name[m]);
		ref_parse(pattern, &stem_len, &wildcard);
		CHECK(!has_clone_marker(out + stem_len), "chose a compiler clone: \"%s\" for \"%s\"",
		      SHOW(out), SHOW(pattern));
		/* the chosen symbol exists with the wanted module */
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = syms[i].name && !strcmp(syms[i].name, out) &&
				same_module(module, syms[i].module);
		CHECK(found, "chosen \"%s\" is not in the list for that module", SHOW(out));

		/* out_size boundary: strlen+1 fits, strlen does not */
		size_t len = strlen(out);

		err2 = resolve(pattern, module, syms, n, len + 1, 0, &out2, &reason2);
		CHECK(err2 == 0 && strcmp(out2, out) == 0, "out_size %zu: %d", len + 1, err2);
		free(out2);
		free(reason2);
		err2 = resolve(pattern, module, syms, n, len ? len : 1, 0, &out2, &reason2);
		CHECK(len == 0 ? err2 == 0 : err2 == -ENAMETOOLONG, "out_size %zu: %d", len, err2);
		free(out2);
		free(reason2);
	} else if (err != -EINVAL) {
		CHECK(out[0] == '\0', "out \"%s\" set on error %d", SHOW(out), err);
	}

	/* a short reason buffer gets a prefix of the full reason, and the same answer */
	size_t full = strlen(reason);
	size_t sizes[] = { 1, 2, 17, full / 2 + 1, full, full + 1 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t rs = sizes[i] ? sizes[i] : 1;

		err2 = resolve(pattern, module, syms, n, OUT_MAX, rs, &out2, &reason2);
		CHECK(err2 == err, "reason_size %zu changed the result: %d vs %d", rs, err2, err);
		CHECK(strlen(reason2) == (full < rs - 1 ? full : rs - 1) &&
			      memcmp(reason2, reason, strlen(reason2)) == 0,
		      "reason with size %zu (\"%s\") is not a prefix of \"%s\"", rs, SHOW(reason2),
		      SHOW(reason));
		free(out2);
		free(reason2);
	}
	free(out);
	free(reason);
}

/* "name [module]" -> name, module (both copies); "\x7f" -> NULL name. */
static void parse_sym(const uint8_t *line, size_t len, struct ksym *sym)
{
	const uint8_t *open = NULL;

	sym->name = NULL;
	sym->module = NULL;
	if (len == 1 && line[0] == 0x7f)
		return;
	if (len >= 4 && line[len - 1] == ']')
		for (size_t i = len - 1; i-- > 0;)
			if (line[i] == '[' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
				open = line + i;
				break;
			}
	if (open) {
		sym->name = fuzz_strndup(line, (size_t)(open - line) - 1);
		sym->module = fuzz_strndup(open + 1, (size_t)(line + len - open) - 2);
	} else {
		sym->name = fuzz_strndup(line, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, data + size };
	struct ksym syms[MAX_SYMS];
	const uint8_t *piece;
	char *pattern, *module = NULL;
	size_t len, n = 0;

	if (size > 16384 || !fuzz_next(&c, '\n', &piece, &len))
		return 0;
	pattern = fuzz_strndup(piece, len);
	if (fuzz_next(&c, '\n', &piece, &len) && len)
		module = fuzz_strndup(piece, len);
	while (n < MAX_SYMS && fuzz_next(&c, '\n', &piece, &len))
		parse_sym(piece, len, &syms[n++]);

	for (size_t i = 0; i < n; i++) {
		enum pattern_match got = pattern_match(pattern, syms[i].name);
		enum pattern_match want = ref_match(pattern, syms[i].name);

		CHECK(got == want, "pattern_match(\"%s\", \"%s\") = %s, expected %s", SHOW(pattern),
		      SHOW(syms[i].name), match_name[got], match_name[want]);
		/* the module name as a pattern too: more shapes for the same rules */
		if (syms[i].module && syms[i].name) {
			got = pattern_match(syms[i].module, syms[i].name);
			want = ref_match(syms[i].module, syms[i].name);
			CHECK(got == want, "pattern_match(\"%s\", \"%s\") = %s, expected %s",
			      SHOW(syms[i].module), SHOW(syms[i].name), match_name[got], match_name[want]);
		}
	}
	CHECK(pattern_match(pattern, NULL) == PATTERN_NO_MATCH, "NULL name matched");

	check_resolve(pattern, module, n ? syms : NULL, n);
	check_resolve(pattern, NULL, n ? syms : NULL, n);
	if (n) /* an empty list, and a NULL list with n = 0 */
		check_resolve(pattern, module, syms, 0);

	for (size_t i = 0; i < n; i++) {
		free((char *)syms[i].name);
		free((char *)syms[i].module);
	}
	free(pattern);
	free(module);
	return 0;
}
