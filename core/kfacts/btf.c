/* SPDX-License-Identifier: GPL-2.0-only */
/* BTF questions: which functions and BTF tracepoints exist, and their argument types as
 * the short prototype strings probe candidates are matched against. Each BTF file is
 * parsed at most once per kfacts, failures included. */
#include "internal.h"
#include "util/util.h"

#include <bpf/btf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BTF_CHAIN_MAX 32

/* Recent kernels let their BTF files be mapped: no 4 KiB sysfs reads, one copy less.
 * commit a539e2a6d51d ("btf: Allow mmap of vmlinux btf"), v6.16 */
static struct btf *btf_parse_mapped(const char *path, struct btf *base)
{
	struct btf *btf = NULL;
	struct stat st;
	void *data;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	/* libbpf 1.1 has no btf__new_split: module BTF goes the old way */
	if (!base && fstat(fd, &st) == 0 && st.st_size > 0) {
		data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (data != MAP_FAILED) {
			btf = btf__new(data, (__u32)st.st_size);
			munmap(data, (size_t)st.st_size);
		}
	}
	close(fd);
	return btf;
}

static int btf_slot_load(struct btf_slot *slot, const char *path, struct btf *base)
{
	if (slot->tried)
		return slot->err;
	slot->tried = true;
	errno = 0;
	slot->btf = btf_parse_mapped(path, base);
	if (!slot->btf)
		slot->btf = base ? btf__parse_split(path, base) : btf__parse(path, NULL);
	slot->err = slot->btf ? 0 : negative_errno();
	return slot->err;
}

/* The kernel's own BTF: program loads refer to its type ids, and module BTF builds on it.
 * commit 341dfcf8d78e ("btf: expose BTF info through sysfs"), v5.4
 * commit 36e68442d1af ("bpf: Load and verify kernel module BTFs"), v5.11: modules' files */
int live_kernel_btf(struct live_kfacts *lk, struct btf **btf)
{
	char path[PATH_MAX];
	int err;

	*btf = NULL;
	if (!lk->kernel_btf.tried) {
		err = live_root_path(lk, path, sizeof(path), "sys/kernel/btf/vmlinux");
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
		return live_kernel_btf(lk, btf);
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
	if (!live_is_path_component(module))
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
		*slot = (struct btf_slot){ 0 };
		err = kstrings_module(&lk->strings, module, &slot->module);
		if (err)
			return err;
		lk->module_btf_count++;
	}
	if (!slot->tried) {
		err = live_kernel_btf(lk, &base);
		if (!err)
			err = live_root_path(lk, path, sizeof(path), "sys/kernel/btf/%s", module);
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

int live_find_own_type(const struct btf *btf, const char *name, int kind)
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

int live_btf_func(struct kfacts *kf, const char *module, const char *func, bool *present,
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
	id = live_find_own_type(btf, func, BTF_KIND_FUNC);
	if (id < 0)
		return 0;
	t = btf__type_by_id(btf, (__u32)id);
	fn_proto = btf__type_by_id(btf, t->type);
	if (!fn_proto || !btf_is_func_proto(fn_proto))
		return -EINVAL;
	*present = true;
	return format_proto(btf, fn_proto, 0, proto, proto_size);
}

int live_btf_tracepoint(struct kfacts *kf, const char *event, bool *present, char *proto,
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
	id = live_find_own_type(btf, name, BTF_KIND_TYPEDEF);
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

int live_module_btf(struct kfacts *kf, const char *module, bool *present)
{
	struct live_kfacts *lk = to_live(kf);

	if (!present || !live_is_path_component(module))
		return -EINVAL;
	*present = live_root_has(lk, S_IFREG, "sys/kernel/btf/%s", module);
	return 0;
}

enum fact live_btf_vmlinux_fact(struct live_kfacts *lk, char *reason, size_t size)
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

/* Parsed BTF is only needed while resolving: give the memory back before libbpf parses its
 * own copy to load the programs. A later question parses again. */
void live_btf_trim(struct kfacts *kf)
{
	struct live_kfacts *lk = to_live(kf);

	live_btf_free(lk);
	lk->module_btfs = NULL;
	lk->module_btf_count = 0;
	lk->kernel_btf = (struct btf_slot){ 0 };
	lk->external_btf = (struct btf_slot){ 0 };
}

void live_btf_free(struct live_kfacts *lk)
{
	size_t i;

	for (i = 0; i < lk->module_btf_count; i++)
		btf__free(lk->module_btfs[i].btf);
	free(lk->module_btfs);
	btf__free(lk->kernel_btf.btf);
	btf__free(lk->external_btf.btf);
}
