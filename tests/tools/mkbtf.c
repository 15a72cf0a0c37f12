/* SPDX-License-Identifier: GPL-2.0-only */
/* mkbtf: compile a fixture kernel's BTF spec into a raw BTF blob, the format the kernel
 * exposes in /sys/kernel/btf/. Fixtures keep only the readable spec; blobs are built at
 * test time (tests/unit/fake_kernel.c links this file with -DMKBTF_NO_MAIN).
 *
 *   mkbtf SPEC OUT                  vmlinux BTF
 *   mkbtf --base VMLINUX SPEC OUT   module BTF, split over VMLINUX
 *
 * SPEC: one declaration per line, '#' starts a comment.
 *   func NAME [TYPE, TYPE...]   a function (BTF_KIND_FUNC) returning int
 *   tp EVENT [TYPE, TYPE...]    typedef void (*btf_trace_EVENT)(void *, TYPE, ...)
 * TYPE: [const] [struct|union|enum] NAME [*...]. A bare NAME made only of C integer
 * words ("unsigned int", "long") is an integer, "void" is void, and any other bare NAME
 * ("u64", "blk_status_t") a typedef of unsigned int: iotrace looks at type names and
 * pointer-ness only, never at layouts. */
#include <bpf/btf.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SPEC_LINE_SIZE 1024
#define TYPE_KEY_SIZE 160
#define TYPES_MAX 512
#define ARGS_MAX 32

struct named_type {
	char key[TYPE_KEY_SIZE]; /* "struct request", "typedef u64", "ptr 12", ... */
	int id;
};

struct builder {
	struct btf *btf;
	struct named_type types[TYPES_MAX];
	size_t type_count;
	const char *spec_path;
	unsigned line;
	char *err;
	size_t err_size;
};

int mkbtf_build(const char *spec_path, const char *base_path, const char *out_path, char *err,
		size_t err_size);

static int fail(struct builder *b, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct builder *b, int code, const char *fmt, ...)
{
	int used;
	va_list ap;

	used = snprintf(b->err, b->err_size, "%s:%u: ", b->spec_path, b->line);
	if (used >= 0 && (size_t)used < b->err_size) {
		va_start(ap, fmt);
		vsnprintf(b->err + used, b->err_size - (size_t)used, fmt, ap);
		va_end(ap);
	}
	return code < 0 ? code : -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool is_identifier(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool is_integer_name(const char *s)
{
	static const char *const words[] = { "unsigned", "signed", "int", "long",
					     "short",	 "char",   "_Bool" };
	char copy[TYPE_KEY_SIZE], *word, *save;
	bool known;
	size_t i;

	if (snprintf(copy, sizeof(copy), "%s", s) >= (int)sizeof(copy))
		return false;
	for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		known = false;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			known |= !strcmp(word, words[i]);
		if (!known)
			return false;
	}
	return *s != '\0';
}

static int add_integer(struct btf *btf, const char *name)
{
	size_t size = 4;
	int encoding = BTF_INT_SIGNED;

	if (strstr(name, "char"))
		size = 1;
	else if (strstr(name, "short"))
		size = 2;
	else if (strstr(name, "long"))
		size = 8;
	if (strstr(name, "unsigned"))
		encoding = 0;
	if (!strcmp(name, "_Bool")) {
		size = 1;
		encoding = BTF_INT_BOOL;
	}
	return btf__add_int(btf, name, size, encoding);
}

/* Every distinct type is added once, whatever the number of declarations using it. */
static int type_id(struct builder *b, const char *kind, const char *name, int ref)
{
	struct named_type *t;
	char key[TYPE_KEY_SIZE];
	int id;
	size_t i;

	if (snprintf(key, sizeof(key), "%s %s %d", kind, name, ref) >= (int)sizeof(key))
		return fail(b, -ENAMETOOLONG, "type name too long: %s", name);
	for (i = 0; i < b->type_count; i++)
		if (!strcmp(b->types[i].key, key))
			return b->types[i].id;
	if (b->type_count == TYPES_MAX)
		return fail(b, -E2BIG, "more than %d types", TYPES_MAX);
	if (!strcmp(kind, "struct"))
		id = btf__add_struct(b->btf, name, 0);
	else if (!strcmp(kind, "union"))
		id = btf__add_union(b->btf, name, 0);
	else if (!strcmp(kind, "enum"))
		id = btf__add_enum(b->btf, name, 4);
	else if (!strcmp(kind, "int"))
		id = add_integer(b->btf, name);
	else if (!strcmp(kind, "typedef"))
		id = ref < 0 ? ref : btf__add_typedef(b->btf, name, ref);
	else if (!strcmp(kind, "const"))
		id = btf__add_const(b->btf, ref);
	else
		id = btf__add_ptr(b->btf, ref);
	if (id < 0)
		return fail(b, id, "libbpf refused %s %s: %s", kind, name, strerror(-id));
	t = &b->types[b->type_count++];
	snprintf(t->key, sizeof(t->key), "%s", key);
	t->id = id;
	return id;
}

static int parse_type(struct builder *b, char *text)
{
	static const char *const tagged[] = { "struct", "union", "enum" };
	const char *kind = NULL;
	int pointers = 0, id, i;
	bool is_const = false;
	size_t len;

	text = trim(text);
	while ((len = strlen(text)) && text[len - 1] == '*') {
		text[len - 1] = '\0';
		pointers++;
		text = trim(text);
	}
	if (!strncmp(text, "const ", 6)) {
		is_const = true;
		text = trim(text + 6);
	}
	for (i = 0; i < 3 && !kind; i++) {
		len = strlen(tagged[i]);
		if (!strncmp(text, tagged[i], len) && isspace((unsigned char)text[len])) {
			kind = tagged[i];
			text = trim(text + len);
		}
	}
	if (kind && !is_identifier(text))
		return fail(b, -EINVAL, "bad %s name '%s'", kind, text);
	if (kind)
		id = type_id(b, kind, text, 0);
	else if (!strcmp(text, "void"))
		id = 0;
	else if (is_integer_name(text))
		id = type_id(b, "int", text, 0);
	else if (is_identifier(text))
		id = type_id(b, "typedef", text, type_id(b, "int", "unsigned int", 0));
	else
		return fail(b, -EINVAL, "bad type '%s'", text);
	if (id >= 0 && is_const)
		id = type_id(b, "const", "", id);
	while (id >= 0 && pointers--)
		id = type_id(b, "ptr", "", id);
	return id;
}

/* Argument types are added before the prototype: libbpf wants a prototype's parameters
 * right after it. */
static int parse_args(struct builder *b, char *list, int *ids, int *count)
{
	char *arg, *save;
	int id;

	*count = 0;
	list = trim(list);
	if (!*list)
		return 0;
	for (arg = strtok_r(list, ",", &save); arg; arg = strtok_r(NULL, ",", &save)) {
		if (*count == ARGS_MAX)
			return fail(b, -E2BIG, "more than %d arguments", ARGS_MAX);
		id = parse_type(b, arg);
		if (id < 0)
			return id;
		ids[(*count)++] = id;
	}
	return 0;
}

static int add_proto(struct builder *b, int ret, const int *ids, int count, bool context)
{
	char name[16];
	int proto, err, i;

	proto = btf__add_func_proto(b->btf, ret);
	err = proto < 0 ? proto : 0;
	if (!err && context)
		err = btf__add_func_param(b->btf, "__data", type_id(b, "ptr", "", 0));
	for (i = 0; i < count && !err; i++) {
		snprintf(name, sizeof(name), "arg%d", i);
		err = btf__add_func_param(b->btf, name, ids[i]);
	}
	if (err)
		return fail(b, err, "libbpf refused a prototype: %s", strerror(-err));
	return proto;
}

static int parse_line(struct builder *b, char *line)
{
	char *keyword, *name, *rest;
	int ids[ARGS_MAX], count, err, proto, ret, id;
	char typedef_name[SPEC_LINE_SIZE];

	line[strcspn(line, "#")] = '\0';
	keyword = trim(line);
	if (!*keyword)
		return 0;
	name = keyword + strcspn(keyword, " \t");
	if (*name)
		*name++ = '\0';
	name = trim(name);
	rest = name + strcspn(name, " \t");
	if (*rest)
		*rest++ = '\0';
	if (!is_identifier(name))
		return fail(b, -EINVAL, "bad name '%s'", name);
	/* Types the prototype refers to must exist before it starts: the int a function
	 * returns, the "void *" context of a tracepoint. */
	ret = type_id(b, "int", "int", 0);
	err = ret < 0 ? ret : type_id(b, "ptr", "", 0);
	if (err < 0)
		return err;
	err = parse_args(b, rest, ids, &count);
	if (err)
		return err;
	if (!strcmp(keyword, "func")) {
		proto = add_proto(b, ret, ids, count, false);
		id = proto < 0 ? proto : btf__add_func(b->btf, name, BTF_FUNC_GLOBAL, proto);
	} else if (!strcmp(keyword, "tp")) {
		proto = add_proto(b, 0, ids, count, true);
		id = proto < 0 ? proto : btf__add_ptr(b->btf, proto);
		snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
		if (id >= 0)
			id = btf__add_typedef(b->btf, typedef_name, id);
	} else {
		return fail(b, -EINVAL, "unknown keyword '%s' (want func or tp)", keyword);
	}
	return id < 0 ? fail(b, id, "libbpf refused %s: %s", name, strerror(-id)) : 0;
}

static int write_blob(struct builder *b, const char *out_path)
{
	const void *data;
	__u32 size;
	FILE *out;
	int err = 0;

	data = btf__raw_data(b->btf, &size);
	if (!data)
		return fail(b, -ENOMEM, "cannot serialize BTF");
	out = fopen(out_path, "we");
	if (!out)
		return fail(b, -errno, "%s: %s", out_path, strerror(errno));
	if (fwrite(data, 1, size, out) != size)
		err = -EIO;
	if (fclose(out) && !err)
		err = -errno;
	return err ? fail(b, err, "%s: write failed", out_path) : 0;
}

int mkbtf_build(const char *spec_path, const char *base_path, const char *out_path, char *err,
		size_t err_size)
{
	static struct builder b; /* too big for small thread stacks; single-threaded tool */
	char line[SPEC_LINE_SIZE];
	struct btf *base = NULL;
	FILE *spec = NULL;
	int rc;

	memset(&b, 0, sizeof(b));
	b.spec_path = spec_path;
	b.err = err;
	b.err_size = err_size;
	if (base_path) {
		base = btf__parse(base_path, NULL);
		if (!base) {
			rc = fail(&b, -errno, "base BTF %s: %s", base_path, strerror(errno));
			goto out;
		}
	}
	b.btf = base ? btf__new_empty_split(base) : btf__new_empty();
	if (!b.btf) {
		rc = fail(&b, -ENOMEM, "cannot create BTF");
		goto out;
	}
	spec = fopen(spec_path, "re");
	if (!spec) {
		rc = fail(&b, -errno, "%s", strerror(errno));
		goto out;
	}
	rc = 0;
	while (!rc && fgets(line, sizeof(line), spec)) {
		b.line++;
		if (!strchr(line, '\n') && !feof(spec))
			rc = fail(&b, -E2BIG, "line too long");
		else
			rc = parse_line(&b, line);
	}
	if (!rc)
		rc = write_blob(&b, out_path);
out:
	if (spec)
		fclose(spec);
	btf__free(b.btf);
	btf__free(base);
	return rc;
}

#ifndef MKBTF_NO_MAIN
int main(int argc, char **argv)
{
	const char *base = NULL;
	char err[512] = "";
	int first = 1;

	if (argc == 5 && !strcmp(argv[1], "--base")) {
		base = argv[2];
		first = 3;
	} else if (argc != 3) {
		fprintf(stderr, "usage: mkbtf [--base VMLINUX_BTF] SPEC OUT\n");
		return 2;
	}
	if (mkbtf_build(argv[first], base, argv[first + 1], err, sizeof(err))) {
		fprintf(stderr, "mkbtf: %s\n", err);
		return 1;
	}
	return 0;
}
#endif
