/* SPDX-License-Identifier: GPL-2.0-only */
/* kfacts of the running kernel, or of a directory tree laid out like one (test fixtures).
 * Every path is read relative to opts->root. Only with root "/" does this code change
 * the system (mounting tracefs or securityfs when they are missing), and only with
 * run_feature_probes does it load BPF programs; fixtures state those answers in
 * root/features instead. All text files are parsed defensively: they may be garbage. */
#include "kfacts.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Kernel symbol names are shorter than KSYM_NAME_LEN (512); a longer line cannot be a
 * real entry, so it is skipped whole rather than truncated into a wrong name. */
#define LINE_SIZE 1024
#define SYMBOL_NAME_MAX 511
#define ARENA_CHUNK_SIZE (64 * 1024)
#define BTF_CHAIN_MAX 32
#define FIELDS_MAX 4

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

/* Interned strings: freed all at once with the kfacts. */
struct arena {
	struct arena_chunk *chunks;
};

/* Open-addressing hash set of (name, module); the strings live in an arena. */
struct symset {
	struct ksym *slots;
	size_t capacity; /* 0 or a power of two */
	size_t count;
};

struct btf_slot {
	const char *module; /* NULL: vmlinux */
	struct btf *btf;
	int err;
	bool tried;
};

struct live_kfacts {
	struct kfacts base;
	char *root; /* without trailing '/': "" means the real root */
	char *btf_path;
	bool production;
	bool run_probes;

	struct arena strings;
	struct symset modules; /* interned module names (name field only) */

	bool tracefs_checked;
	int tracefs_err;
	int tracefs_mount_err;
	const char *tracefs_dir;
	bool securityfs_mount_tried;

	struct btf_slot kernel_btf;   /* root/sys/kernel/btf/vmlinux */
	struct btf_slot external_btf; /* --btf */
	struct btf_slot *module_btfs;
	size_t module_btf_count;

	bool traceable_loaded;
	int traceable_err;
	struct ksym *traceable;
	size_t traceable_count, traceable_capacity;

	bool kallsyms_loaded;
	int kallsyms_err;
	struct symset kallsyms;

	bool proc_modules_loaded;
	int proc_modules_err;
	struct symset proc_modules;

	char release[80];
};

static const char *const tracefs_dirs[] = { "sys/kernel/tracing", "sys/kernel/debug/tracing" };

static struct live_kfacts *to_live(struct kfacts *kf)
{
	return (struct live_kfacts *)((char *)kf - offsetof(struct live_kfacts, base));
}

/* ---- small helpers ------------------------------------------------------------------ */

struct errno_text {
	char s[24];
};

/* Symbolic errno names: users search for "EPERM", not for its strerror translation. */
static struct errno_text errno_text(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EIO, "EIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EPROTO, "EPROTO" }, { ENAMETOOLONG, "ENAMETOOLONG" }, { ENODATA, "ENODATA" },
		{ 524 /* kernel-internal ENOTSUPP, leaks out of bpf() */, "ENOTSUPP" },
	};
	struct errno_text text;
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].err == err) {
			snprintf(text.s, sizeof(text.s), "%s", names[i].name);
			return text;
		}
	}
	snprintf(text.s, sizeof(text.s), "errno %d", err);
	return text;
}

static int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static int root_vpath(const struct live_kfacts *lk, char *buf, size_t size, const char *fmt,
		      va_list ap) __attribute__((format(printf, 4, 0)));

static int root_vpath(const struct live_kfacts *lk, char *buf, size_t size, const char *fmt,
		      va_list ap)
{
	int len, rel;

	len = snprintf(buf, size, "%s/", lk->root);
	if (len < 0 || (size_t)len >= size)
		return -ENAMETOOLONG;
	rel = vsnprintf(buf + len, size - (size_t)len, fmt, ap);
	if (rel < 0 || (size_t)rel >= size - (size_t)len)
		return -ENAMETOOLONG;
	return 0;
}

static int root_path(const struct live_kfacts *lk, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int root_path(const struct live_kfacts *lk, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = root_vpath(lk, buf, size, fmt, ap);
	va_end(ap);
	return err;
}

/* Whether root/<path> exists with this file type (0 = any); unreadable counts as absent. */
static bool root_has(const struct live_kfacts *lk, mode_t type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool root_has(const struct live_kfacts *lk, mode_t type, const char *fmt, ...)
{
	char path[PATH_MAX];
	struct stat st;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = root_vpath(lk, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (err || stat(path, &st))
		return false;
	return !type || (st.st_mode & S_IFMT) == type;
}

static FILE *root_fopen(const struct live_kfacts *lk, const char *rel, int *err)
{
	char path[PATH_MAX];
	FILE *f;

	*err = root_path(lk, path, sizeof(path), "%s", rel);
	if (*err)
		return NULL;
	f = fopen(path, "re");
	if (!f)
		*err = negative_errno();
	return f;
}

/* Names used as path components must not walk out of the directory they are meant for. */
static bool is_path_component(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strnlen(s, NAME_MAX + 1);
	if (!len || len > NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool is_symbol_name(const char *s)
{
	size_t len = strnlen(s, SYMBOL_NAME_MAX + 1);

	if (!len || len > SYMBOL_NAME_MAX || s[0] == '[')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* "[zfs]" -> "zfs" in place; NULL when the field is not a module tag. */
static char *module_field(char *field)
{
	size_t len = strlen(field);

	if (len < 3 || field[0] != '[' || field[len - 1] != ']')
		return NULL;
	field[len - 1] = '\0';
	field++;
	if (strchr(field, '[') || strchr(field, ']') || !is_symbol_name(field))
		return NULL;
	return field;
}

/* 1 with a line (newline stripped), 0 at end of file, -errno on a read error. Lines that
 * do not fit, or that contain NUL bytes, are skipped whole. */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t len;
	bool bad;
	int c;

	for (;;) {
		len = 0;
		bad = false;
		while ((c = getc_unlocked(f)) != EOF && c != '\n') {
			if (c == '\0' || len + 1 >= size)
				bad = true;
			else
				buf[len++] = (char)c;
		}
		if (c == EOF && ferror(f))
			return negative_errno();
		buf[len] = '\0';
		if (!bad && (c != EOF || len))
			return 1;
		if (c == EOF)
			return 0;
	}
}

static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* First line of a small file under root, for one-line files such as osrelease. */
static int read_root_line(const struct live_kfacts *lk, const char *rel, char *buf, size_t size)
{
	FILE *f;
	int err, rc;

	f = root_fopen(lk, rel, &err);
	if (!f)
		return err;
	rc = read_line(f, buf, size);
	fclose(f);
	if (rc < 0)
		return rc;
	return rc ? 0 : -ENODATA;
}

/* ---- interned strings and symbol sets ----------------------------------------------- */

static const char *arena_store(struct arena *arena, const char *s)
{
	size_t len = strlen(s), size;
	struct arena_chunk *chunk = arena->chunks;
	char *copy;

	if (!chunk || chunk->size - chunk->used < len + 1) {
		size = len + 1 > ARENA_CHUNK_SIZE ? len + 1 : ARENA_CHUNK_SIZE;
		chunk = malloc(sizeof(*chunk) + size);
		if (!chunk)
			return NULL;
		chunk->next = arena->chunks;
		chunk->used = 0;
		chunk->size = size;
		arena->chunks = chunk;
	}
	copy = chunk->data + chunk->used;
	memcpy(copy, s, len + 1);
	chunk->used += len + 1;
	return copy;
}

static void arena_free(struct arena *arena)
{
	struct arena_chunk *chunk, *next;

	for (chunk = arena->chunks; chunk; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	arena->chunks = NULL;
}

static size_t sym_hash(const char *name, const char *module)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	/* A separator byte no name contains, so ("ab", NULL) and ("a", "b") differ. */
	h = (h ^ 0xffu) * 1099511628211ULL;
	for (; module && *module; module++)
		h = (h ^ (unsigned char)*module) * 1099511628211ULL;
	return (size_t)h;
}

static bool same_module(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static struct ksym *symset_slot(const struct symset *set, const char *name, const char *module)
{
	size_t mask = set->capacity - 1, i = sym_hash(name, module) & mask;

	while (set->slots[i].name &&
	       (strcmp(set->slots[i].name, name) || !same_module(set->slots[i].module, module)))
		i = (i + 1) & mask;
	return &set->slots[i];
}

static const struct ksym *symset_find(const struct symset *set, const char *name,
				      const char *module)
{
	struct ksym *slot;

	if (!set->capacity)
		return NULL;
	slot = symset_slot(set, name, module);
	return slot->name ? slot : NULL;
}

static int symset_grow(struct symset *set)
{
	size_t capacity = set->capacity ? set->capacity * 2 : 1024, i;
	struct symset bigger = { .capacity = capacity, .count = set->count };

	if (capacity > SIZE_MAX / 2 / sizeof(struct ksym))
		return -ENOMEM;
	bigger.slots = calloc(capacity, sizeof(struct ksym));
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i < set->capacity; i++)
		if (set->slots[i].name)
			*symset_slot(&bigger, set->slots[i].name, set->slots[i].module) = set->slots[i];
	free(set->slots);
	*set = bigger;
	return 0;
}

/* Adds (name, module) unless present. name is copied into arena; module must already
 * live as long as the set. */
static int symset_add(struct symset *set, struct arena *arena, const char *name,
		      const char *module)
{
	struct ksym *slot;
	int err;

	if ((set->count + 1) * 2 > set->capacity) {
		err = symset_grow(set);
		if (err)
			return err;
	}
	slot = symset_slot(set, name, module);
	if (slot->name)
		return 0;
	slot->name = arena_store(arena, name);
	if (!slot->name)
		return -ENOMEM;
	slot->module = module;
	set->count++;
	return 0;
}

static void symset_free(struct symset *set)
{
	free(set->slots);
	*set = (struct symset){ 0 };
}

/* Module names repeat on thousands of lines: store each once. */
static int intern_module(struct live_kfacts *lk, const char *module, const char **interned)
{
	const struct ksym *known;
	int err;

	*interned = NULL;
	if (!module)
		return 0;
	known = symset_find(&lk->modules, module, NULL);
	if (!known) {
		err = symset_add(&lk->modules, &lk->strings, module, NULL);
		if (err)
			return err;
		known = symset_find(&lk->modules, module, NULL);
	}
	*interned = known->name;
	return 0;
}

/* The optional module column: absent is vmlinux; anything but "[name]" spoils the line. */
static bool optional_module(char **fields, size_t n, size_t index, const char **module)
{
	*module = NULL;
	if (n <= index)
		return true;
	*module = module_field(fields[index]);
	return *module != NULL;
}

/* ---- tracefs -------------------------------------------------------------------------- */

static int tracefs_find(struct live_kfacts *lk)
{
	size_t i;
	int attempt;

	if (lk->tracefs_checked)
		return lk->tracefs_err;
	lk->tracefs_checked = true;
	for (attempt = 0; attempt < 2; attempt++) {
		for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
			if (root_has(lk, S_IFDIR, "%s/events", tracefs_dirs[i])) {
				lk->tracefs_dir = tracefs_dirs[i];
				lk->tracefs_err = 0;
				return 0;
			}
		}
		if (attempt || !lk->production)
			break;
		/* Minimal systems and VMs boot without it; raw_tp and tp_btf do not need it,
		 * but classic tracepoints and the traceable list do. */
		if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
			lk->tracefs_mount_err = negative_errno();
			break;
		}
	}
	lk->tracefs_err = lk->tracefs_mount_err ? lk->tracefs_mount_err : -ENOENT;
	return lk->tracefs_err;
}

static enum fact tracefs_fact(struct live_kfacts *lk, char *reason, size_t size)
{
	if (!tracefs_find(lk))
		return FACT_YES;
	if (lk->tracefs_mount_err)
		snprintf(reason, size,
			 "tracefs not mounted and mounting it failed: %s; mount it with: "
			 "mount -t tracefs nodev /sys/kernel/tracing",
			 errno_text(lk->tracefs_mount_err).s);
	else
		snprintf(reason, size, "no tracefs: no tracing/events directory");
	return FACT_NO;
}

static enum fact kprobes_fact(struct live_kfacts *lk, char *reason, size_t size)
{
	if (root_has(lk, S_IFREG, "sys/bus/event_source/devices/kprobe/type"))
		return FACT_YES;
	if (!tracefs_find(lk) && root_has(lk, S_IFREG, "%s/kprobe_events", lk->tracefs_dir))
		return FACT_YES;
	snprintf(reason, size, "kernel built without CONFIG_KPROBES (no kprobe PMU, no kprobe_events)");
	return FACT_NO;
}

/* ---- BTF -------------------------------------------------------------------------------- */

static int btf_slot_load(struct btf_slot *slot, const char *path, struct btf *base)
{
	if (slot->tried)
		return slot->err;
	slot->tried = true;
	errno = 0;
	slot->btf = base ? btf__parse_split(path, base) : btf__parse(path, NULL);
	slot->err = slot->btf ? 0 : negative_errno();
	return slot->err;
}

/* The kernel's own BTF: program loads refer to its type ids, and module BTF builds on it. */
static int kernel_btf(struct live_kfacts *lk, struct btf **btf)
{
	char path[PATH_MAX];
	int err;

	*btf = NULL;
	if (!lk->kernel_btf.tried) {
		err = root_path(lk, path, sizeof(path), "sys/kernel/btf/vmlinux");
		if (err) {
			lk->kernel_btf.tried = true;
			lk->kernel_btf.err = err;
		} else {
			btf_slot_load(&lk->kernel_btf, path, NULL);
		}
	}
	*btf = lk->kernel_btf.btf;
	return lk->kernel_btf.err;
}

/* The BTF that describes vmlinux functions for prototype checks: --btf when given. */
static int vmlinux_btf(struct live_kfacts *lk, struct btf **btf)
{
	if (!lk->btf_path)
		return kernel_btf(lk, btf);
	btf_slot_load(&lk->external_btf, lk->btf_path, NULL);
	*btf = lk->external_btf.btf;
	return lk->external_btf.err;
}

static int module_btf(struct live_kfacts *lk, const char *module, struct btf **btf)
{
	struct btf_slot *slot = NULL, *grown;
	struct btf *base;
	char path[PATH_MAX];
	size_t i;
	int err;

	*btf = NULL;
	if (!is_path_component(module))
		return -EINVAL;
	for (i = 0; i < lk->module_btf_count && !slot; i++)
		if (!strcmp(lk->module_btfs[i].module, module))
			slot = &lk->module_btfs[i];
	if (!slot) {
		grown = realloc(lk->module_btfs, (lk->module_btf_count + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		lk->module_btfs = grown;
		slot = &grown[lk->module_btf_count];
		*slot = (struct btf_slot){ .module = arena_store(&lk->strings, module) };
		if (!slot->module)
			return -ENOMEM;
		lk->module_btf_count++;
	}
	if (!slot->tried) {
		err = kernel_btf(lk, &base);
		if (!err)
			err = root_path(lk, path, sizeof(path), "sys/kernel/btf/%s", module);
		if (err) {
			slot->tried = true;
			slot->err = err;
		} else {
			btf_slot_load(slot, path, base);
		}
	}
	*btf = slot->btf;
	return slot->err;
}

/* Only the types a BTF object adds itself: a module's split BTF also sees vmlinux. */
static int find_own_type(const struct btf *btf, const char *name, int kind)
{
	const struct btf *base = btf__base_btf(btf);
	__u32 id = base ? btf__type_cnt(base) : 1, end = btf__type_cnt(btf);
	const struct btf_type *t;
	const char *type_name;

	for (; id < end; id++) {
		t = btf__type_by_id(btf, id);
		if (!t || btf_kind(t) != kind)
			continue;
		type_name = btf__name_by_offset(btf, t->name_off);
		if (type_name && !strcmp(type_name, name))
			return (int)id;
	}
	return -ENOENT;
}

static const char *type_base_name(const struct btf *btf, __u32 id)
{
	const struct btf_type *t;
	const char *name;
	int depth;

	/* Bounded: hostile BTF may chain modifiers in a loop. */
	for (depth = 0; depth < BTF_CHAIN_MAX; depth++) {
		if (!id)
			return "void";
		t = btf__type_by_id(btf, id);
		if (!t)
			return "?";
		switch (btf_kind(t)) {
		case BTF_KIND_PTR:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		case BTF_KIND_ARRAY:
			id = btf_array(t)->type;
			continue;
		case BTF_KIND_FUNC_PROTO:
			return "fn";
		default:
			name = btf__name_by_offset(btf, t->name_off);
			return name && *name ? name : "(anon)";
		}
	}
	return "?";
}

static int format_proto(const struct btf *btf, const struct btf_type *proto, unsigned skip,
			char *out, size_t size)
{
	const struct btf_param *params = btf_params(proto);
	unsigned i, count = btf_vlen(proto);
	size_t used = 0;
	const char *name;
	int len;

	if (!out || !size)
		return 0;
	out[0] = '\0';
	for (i = skip; i < count; i++) {
		/* A trailing type-0 parameter is how BTF spells "...". */
		name = !params[i].type && i + 1 == count ? "..." : type_base_name(btf, params[i].type);
		len = snprintf(out + used, size - used, "%s%s", i > skip ? "," : "", name);
		if (len < 0 || (size_t)len >= size - used) {
			out[used] = '\0';
			return -ENOSPC;
		}
		used += (size_t)len;
	}
	return 0;
}

static int live_btf_func(struct kfacts *kf, const char *module, const char *func, bool *present,
			 char *proto, size_t proto_size)
{
	struct live_kfacts *lk = to_live(kf);
	const struct btf_type *t, *fn_proto;
	struct btf *btf;
	int err, id;

	if (!present || !func)
		return -EINVAL;
	*present = false;
	if (proto && proto_size)
		proto[0] = '\0';
	err = module ? module_btf(lk, module, &btf) : vmlinux_btf(lk, &btf);
	if (err)
		return err;
	id = find_own_type(btf, func, BTF_KIND_FUNC);
	if (id < 0)
		return 0;
	t = btf__type_by_id(btf, (__u32)id);
	fn_proto = btf__type_by_id(btf, t->type);
	if (!fn_proto || !btf_is_func_proto(fn_proto))
		return -EINVAL;
	*present = true;
	return format_proto(btf, fn_proto, 0, proto, proto_size);
}

static int live_btf_tracepoint(struct kfacts *kf, const char *event, bool *present, char *proto,
			       size_t proto_size)
{
	struct live_kfacts *lk = to_live(kf);
	const struct btf_type *t;
	struct btf *btf;
	char name[SYMBOL_NAME_MAX + 1];
	int err, id, len;

	if (!present || !event)
		return -EINVAL;
	*present = false;
	if (proto && proto_size)
		proto[0] = '\0';
	len = snprintf(name, sizeof(name), "btf_trace_%s", event);
	if (len < 0 || (size_t)len >= sizeof(name))
		return -ENAMETOOLONG;
	err = vmlinux_btf(lk, &btf);
	if (err)
		return err;
	id = find_own_type(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return 0;
	/* typedef void (*btf_trace_<event>)(void *__data, <tracepoint arguments>); */
	t = btf__type_by_id(btf, (__u32)id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t))
		return -EINVAL;
	*present = true;
	return format_proto(btf, t, 1, proto, proto_size);
}

static int live_module_btf(struct kfacts *kf, const char *module, bool *present)
{
	struct live_kfacts *lk = to_live(kf);

	if (!present || !is_path_component(module))
		return -EINVAL;
	*present = root_has(lk, S_IFREG, "sys/kernel/btf/%s", module);
	return 0;
}

static enum fact btf_vmlinux_fact(struct live_kfacts *lk, char *reason, size_t size)
{
	struct btf *btf;
	int err = vmlinux_btf(lk, &btf);

	if (!err)
		return FACT_YES;
	if (lk->btf_path)
		snprintf(reason, size, "--btf %.80s unreadable: %s", lk->btf_path,
			 errno_text(err).s);
	else
		snprintf(reason, size, "no kernel BTF: /sys/kernel/btf/vmlinux: %s",
			 errno_text(err).s);
	return FACT_NO;
}

/* ---- symbol lists ---------------------------------------------------------------------- */

/* The kprobe blacklist, as a set; absent (no kprobes, no debugfs) means empty. */
static int load_blacklist(struct live_kfacts *lk, struct symset *set, struct arena *arena)
{
	char line[LINE_SIZE], *fields[FIELDS_MAX];
	const char *module;
	size_t n;
	FILE *f;
	int err = 0, rc;

	f = root_fopen(lk, "sys/kernel/debug/kprobes/blacklist", &err);
	if (!f)
		return 0;
	/* "0xSTART-0xEND\tname [module]"; the addresses may be zeroed by kptr_restrict. */
	while ((rc = read_line(f, line, sizeof(line))) > 0) {
		n = split_fields(line, fields, FIELDS_MAX);
		if (n < 2 || !is_symbol_name(fields[1]) || !optional_module(fields, n, 2, &module))
			continue;
		if (symset_find(set, fields[1], module))
			continue;
		if (module && !(module = arena_store(arena, module))) {
			err = -ENOMEM;
			goto out;
		}
		err = symset_add(set, arena, fields[1], module);
		if (err)
			goto out;
	}
	err = rc;
out:
	fclose(f);
	return err;
}

static int traceable_append(struct live_kfacts *lk, const char *name, const char *module)
{
	struct ksym *grown;
	size_t capacity;
	int err;

	if (lk->traceable_count == lk->traceable_capacity) {
		capacity = lk->traceable_capacity ? lk->traceable_capacity * 2 : 4096;
		if (capacity > SIZE_MAX / sizeof(*grown))
			return -ENOMEM;
		grown = realloc(lk->traceable, capacity * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		lk->traceable = grown;
		lk->traceable_capacity = capacity;
	}
	grown = &lk->traceable[lk->traceable_count];
	err = intern_module(lk, module, &grown->module);
	if (err)
		return err;
	grown->name = arena_store(&lk->strings, name);
	if (!grown->name)
		return -ENOMEM;
	lk->traceable_count++;
	return 0;
}

static int load_traceable(struct live_kfacts *lk)
{
	char line[LINE_SIZE], rel[64], *fields[FIELDS_MAX];
	struct symset blacklist = { 0 };
	struct arena blacklist_strings = { 0 };
	const char *module;
	FILE *f = NULL;
	size_t n;
	int err, rc;

	err = tracefs_find(lk);
	if (err)
		goto out;
	snprintf(rel, sizeof(rel), "%s/available_filter_functions", lk->tracefs_dir);
	f = root_fopen(lk, rel, &err);
	if (!f)
		goto out;
	err = load_blacklist(lk, &blacklist, &blacklist_strings);
	if (err)
		goto out;
	/* "name" or "name [module]" */
	while ((rc = read_line(f, line, sizeof(line))) > 0) {
		n = split_fields(line, fields, FIELDS_MAX);
		if (!n || !is_symbol_name(fields[0]) || !optional_module(fields, n, 1, &module))
			continue;
		if (symset_find(&blacklist, fields[0], module))
			continue;
		err = traceable_append(lk, fields[0], module);
		if (err)
			goto out;
	}
	err = rc;
out:
	if (f)
		fclose(f);
	symset_free(&blacklist);
	arena_free(&blacklist_strings);
	return err;
}

static int live_traceable(struct kfacts *kf, const struct ksym **syms, size_t *count)
{
	struct live_kfacts *lk = to_live(kf);

	if (!syms || !count)
		return -EINVAL;
	if (!lk->traceable_loaded) {
		lk->traceable_loaded = true;
		lk->traceable_err = load_traceable(lk);
		if (lk->traceable_err)
			lk->traceable_count = 0;
	}
	*syms = lk->traceable_err ? NULL : lk->traceable;
	*count = lk->traceable_err ? 0 : lk->traceable_count;
	return lk->traceable_err;
}

static int load_kallsyms(struct live_kfacts *lk)
{
	char line[LINE_SIZE], *fields[FIELDS_MAX];
	const char *module;
	size_t n;
	FILE *f;
	int err, rc;

	f = root_fopen(lk, "proc/kallsyms", &err);
	if (!f)
		return err;
	/* "ADDR TYPE name" or "ADDR TYPE name\t[module]" */
	while ((rc = read_line(f, line, sizeof(line))) > 0) {
		n = split_fields(line, fields, FIELDS_MAX);
		if (n < 3 || !is_symbol_name(fields[2]) || !optional_module(fields, n, 3, &module))
			continue;
		if (symset_find(&lk->kallsyms, fields[2], module))
			continue;
		err = intern_module(lk, module, &module);
		if (!err)
			err = symset_add(&lk->kallsyms, &lk->strings, fields[2], module);
		if (err)
			goto out;
	}
	err = rc;
out:
	fclose(f);
	return err;
}

static int live_kallsyms(struct kfacts *kf, const char *module, const char *name, bool *present)
{
	struct live_kfacts *lk = to_live(kf);

	if (!present || !name)
		return -EINVAL;
	*present = false;
	if (!lk->kallsyms_loaded) {
		lk->kallsyms_loaded = true;
		lk->kallsyms_err = load_kallsyms(lk);
	}
	if (lk->kallsyms_err)
		return lk->kallsyms_err;
	*present = symset_find(&lk->kallsyms, name, module) != NULL;
	return 0;
}

static int load_proc_modules(struct live_kfacts *lk)
{
	char line[LINE_SIZE], *fields[1];
	FILE *f;
	int err, rc;

	f = root_fopen(lk, "proc/modules", &err);
	if (!f)
		return err;
	/* "name size refcount deps state address" */
	while ((rc = read_line(f, line, sizeof(line))) > 0) {
		if (split_fields(line, fields, 1) != 1 || !is_symbol_name(fields[0]))
			continue;
		err = symset_add(&lk->proc_modules, &lk->strings, fields[0], NULL);
		if (err)
			goto out;
	}
	err = rc;
out:
	fclose(f);
	return err;
}

static int live_module_loaded(struct kfacts *kf, const char *module, bool *loaded)
{
	struct live_kfacts *lk = to_live(kf);

	if (!loaded || !is_path_component(module))
		return -EINVAL;
	*loaded = root_has(lk, S_IFDIR, "sys/module/%s", module);
	if (*loaded)
		return 0;
	if (!lk->proc_modules_loaded) {
		lk->proc_modules_loaded = true;
		lk->proc_modules_err = load_proc_modules(lk);
	}
	/* No /proc/modules: a kernel without module support, so nothing is loaded. */
	if (lk->proc_modules_err && lk->proc_modules_err != -ENOENT)
		return lk->proc_modules_err;
	*loaded = symset_find(&lk->proc_modules, module, NULL) != NULL;
	return 0;
}

static int live_tracepoint(struct kfacts *kf, const char *category, const char *event,
			   bool *present)
{
	struct live_kfacts *lk = to_live(kf);
	size_t i;
	int err;

	if (!present || !is_path_component(category) || !is_path_component(event))
		return -EINVAL;
	*present = false;
	err = tracefs_find(lk);
	if (err)
		return err;
	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]) && !*present; i++)
		*present = root_has(lk, S_IFREG, "%s/events/%s/%s/id", tracefs_dirs[i], category,
				    event);
	return 0;
}

/* ---- feature probes ---------------------------------------------------------------------- */

/* "r0 = 0; exit": the smallest program every program type accepts. */
static const struct bpf_insn return_zero[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_probe_prog(enum bpf_prog_type type, enum bpf_attach_type attach, __u32 btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .attach_btf_id = btf_id);

	return bpf_prog_load(type, NULL, "GPL", return_zero,
			     sizeof(return_zero) / sizeof(return_zero[0]), &opts);
}

/* "none [integrity] confidentiality" -> "integrity" */
static int read_lockdown(struct live_kfacts *lk, char *mode, size_t size)
{
	char line[128], *start, *end;
	int err;

	err = read_root_line(lk, "sys/kernel/security/lockdown", line, sizeof(line));
	if (err == -ENOENT && lk->production && !lk->securityfs_mount_tried) {
		/* Distributions mount it at boot; bare VMs do not. */
		lk->securityfs_mount_tried = true;
		if (!mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL))
			err = read_root_line(lk, "sys/kernel/security/lockdown", line,
					     sizeof(line));
	}
	if (err)
		return err;
	start = strchr(line, '[');
	end = start ? strchr(start, ']') : NULL;
	if (!end || end == start + 1)
		return -EINVAL;
	*end = '\0';
	snprintf(mode, size, "%s", start + 1);
	return 0;
}

static void explain_failure(struct live_kfacts *lk, const char *what, bool attaching, int err,
			    char *reason, size_t size)
{
	char mode[32], why[64];
	int lockdown_err;

	if (err != -EPERM && err != -EACCES) {
		snprintf(reason, size, "%s %s failed: %s", what, attaching ? "attach" : "load",
			 errno_text(err).s);
		return;
	}
	lockdown_err = read_lockdown(lk, mode, sizeof(mode));
	if (!lockdown_err && strcmp(mode, "none"))
		snprintf(why, sizeof(why), "kernel lockdown: %s", mode);
	else if (geteuid())
		snprintf(why, sizeof(why), "not root: needs CAP_BPF and CAP_PERFMON");
	else if (lockdown_err)
		snprintf(why, sizeof(why), "lockdown state unknown: %s",
			 errno_text(lockdown_err).s);
	else
		snprintf(why, sizeof(why), "no lockdown: an LSM denies it");
	snprintf(reason, size, "%s%s denied: %s (%s)", what, attaching ? " attach" : "",
		 errno_text(err).s, why);
}

static enum fact probe_simple(struct live_kfacts *lk, enum bpf_prog_type type, const char *what,
			      char *reason, size_t size)
{
	int fd = load_probe_prog(type, 0, 0);

	if (fd < 0) {
		explain_failure(lk, what, false, fd, reason, size);
		return FACT_NO;
	}
	close(fd);
	return FACT_YES;
}

static enum fact probe_tp_btf(struct live_kfacts *lk, char *reason, size_t size)
{
	struct btf *btf;
	int err, id, fd;

	err = kernel_btf(lk, &btf);
	if (err) {
		snprintf(reason, size, "tp_btf needs kernel BTF: %s", errno_text(err).s);
		return FACT_NO;
	}
	id = find_own_type(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	if (id < 0) {
		snprintf(reason, size, "no btf_trace_sched_switch in kernel BTF");
		return FACT_NO;
	}
	fd = load_probe_prog(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, (__u32)id);
	if (fd < 0) {
		explain_failure(lk, "tp_btf", false, fd, reason, size);
		return FACT_NO;
	}
	close(fd);
	return FACT_YES;
}

static enum fact probe_fentry(struct live_kfacts *lk, char *reason, size_t size)
{
	/* Stable, always-built functions; the first one the kernel's BTF has is used. */
	static const char *const targets[] = { "vfs_read", "do_sys_openat2", "security_file_open" };
	enum fact value = FACT_NO;
	struct btf *btf;
	int err, id = -ENOENT, fd = -1, link = -1;
	size_t i;

	err = kernel_btf(lk, &btf);
	if (err) {
		snprintf(reason, size, "fentry needs kernel BTF: %s", errno_text(err).s);
		goto out;
	}
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]) && id < 0; i++)
		id = find_own_type(btf, targets[i], BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(reason, size, "no fentry test target (vfs_read...) in kernel BTF");
		goto out;
	}
	fd = load_probe_prog(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, (__u32)id);
	if (fd < 0) {
		explain_failure(lk, "fentry", false, fd, reason, size);
		goto out;
	}
	/* Loading is not enough: some kernels load fentry programs but cannot attach them
	 * (no trampoline support, or an LSM). The link lives only until it is closed. */
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (link == -EINVAL) /* kernels before 5.10 attach tracing programs this way */
		link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		explain_failure(lk, "fentry", true, link, reason, size);
		goto out;
	}
	value = FACT_YES;
out:
	if (link >= 0)
		close(link);
	if (fd >= 0)
		close(fd);
	return value;
}

/* root/features: "<feature> yes|no [reason...]". 0 when the feature has a line. */
static int fixture_feature(struct live_kfacts *lk, enum kfeature f, enum fact *value,
			   char *reason, size_t size)
{
	char line[LINE_SIZE], *name, *answer, *rest, *end;
	FILE *file;
	int err, rc;

	file = root_fopen(lk, "features", &err);
	if (!file)
		return err;
	err = -ENOENT;
	while ((rc = read_line(file, line, sizeof(line))) > 0) {
		name = line + strspn(line, " \t");
		answer = name + strcspn(name, " \t");
		if (*answer)
			*answer++ = '\0';
		answer += strspn(answer, " \t");
		rest = answer + strcspn(answer, " \t");
		if (*rest)
			*rest++ = '\0';
		rest += strspn(rest, " \t");
		if (strcmp(name, kfeature_name(f)))
			continue;
		if (!strcmp(answer, "yes"))
			*value = FACT_YES;
		else if (!strcmp(answer, "no"))
			*value = FACT_NO;
		else
			continue;
		for (end = rest + strlen(rest); end > rest && (end[-1] == ' ' || end[-1] == '\t' ||
							       end[-1] == '\r');)
			*--end = '\0';
		/* reasons end up on a terminal */
		for (end = rest; *end; end++)
			if ((unsigned char)*end < 0x20 || (unsigned char)*end == 0x7f)
				*end = '?';
		snprintf(reason, size, "%s", rest);
		err = 0;
		break;
	}
	if (rc < 0)
		err = rc;
	fclose(file);
	return err;
}

static enum fact live_feature(struct kfacts *kf, enum kfeature f, char *reason, size_t size)
{
	struct live_kfacts *lk = to_live(kf);
	enum fact value;

	/* --btf is the user's file, not the kernel's: the fixture cannot know about it. */
	if (!lk->run_probes && !(f == KFEATURE_BTF_VMLINUX && lk->btf_path) &&
	    !fixture_feature(lk, f, &value, reason, size))
		return value;
	switch (f) {
	case KFEATURE_BTF_VMLINUX:
		return btf_vmlinux_fact(lk, reason, size);
	case KFEATURE_TRACEFS:
		return tracefs_fact(lk, reason, size);
	case KFEATURE_KPROBES:
		return kprobes_fact(lk, reason, size);
	default:
		break;
	}
	if (!lk->run_probes) {
		snprintf(reason, size, "not in fixture");
		return FACT_NO;
	}
	switch (f) {
	case KFEATURE_RAW_TP:
		return probe_simple(lk, BPF_PROG_TYPE_RAW_TRACEPOINT, "raw_tp", reason, size);
	case KFEATURE_TRACEPOINT:
		return probe_simple(lk, BPF_PROG_TYPE_TRACEPOINT, "tracepoint", reason, size);
	case KFEATURE_TP_BTF:
		return probe_tp_btf(lk, reason, size);
	case KFEATURE_FENTRY:
		return probe_fentry(lk, reason, size);
	default:
		snprintf(reason, size, "no such feature");
		return FACT_NO;
	}
}

/* ---- the rest -------------------------------------------------------------------------- */

static const char *live_kernel_release(struct kfacts *kf)
{
	struct live_kfacts *lk = to_live(kf);
	struct utsname uts;
	const char *c;

	if (lk->release[0])
		return lk->release;
	if (lk->production) {
		if (!uname(&uts))
			snprintf(lk->release, sizeof(lk->release), "%s", uts.release);
	} else if (!read_root_line(lk, "proc/sys/kernel/osrelease", lk->release,
				   sizeof(lk->release))) {
		for (c = lk->release; *c; c++)
			if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
				break;
		if (*c || c == lk->release)
			lk->release[0] = '\0';
	}
	if (!lk->release[0])
		snprintf(lk->release, sizeof(lk->release), "unknown");
	return lk->release;
}

static void live_free(struct kfacts *kf)
{
	struct live_kfacts *lk;
	size_t i;

	if (!kf)
		return;
	lk = to_live(kf);
	for (i = 0; i < lk->module_btf_count; i++)
		btf__free(lk->module_btfs[i].btf);
	free(lk->module_btfs);
	btf__free(lk->kernel_btf.btf);
	btf__free(lk->external_btf.btf);
	free(lk->traceable);
	symset_free(&lk->kallsyms);
	symset_free(&lk->proc_modules);
	symset_free(&lk->modules);
	arena_free(&lk->strings);
	free(lk->root);
	free(lk->btf_path);
	free(lk);
}

static const struct kfacts_ops live_ops = {
	.btf_func = live_btf_func,
	.btf_tracepoint = live_btf_tracepoint,
	.module_btf = live_module_btf,
	.module_loaded = live_module_loaded,
	.tracepoint = live_tracepoint,
	.traceable = live_traceable,
	.kallsyms = live_kallsyms,
	.feature = live_feature,
	.kernel_release = live_kernel_release,
	.free = live_free,
};

int kfacts_live_new(const struct kfacts_live_opts *opts, struct kfacts **out)
{
	struct live_kfacts *lk;
	const char *root;
	size_t len;
	int err;

	if (!opts || !out)
		return -EINVAL;
	*out = NULL;
	root = opts->root ? opts->root : "/";
	len = strnlen(root, PATH_MAX);
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	while (len && root[len - 1] == '/')
		len--;
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	lk->base.ops = &live_ops;
	lk->production = len == 0;
	lk->run_probes = opts->run_feature_probes;
	lk->root = strndup(root, len);
	lk->btf_path = opts->btf_path ? strdup(opts->btf_path) : NULL;
	if (!lk->root || (opts->btf_path && !lk->btf_path)) {
		err = -ENOMEM;
		goto out;
	}
	*out = &lk->base;
	lk = NULL;
	err = 0;
out:
	if (lk)
		live_free(&lk->base);
	return err;
}
