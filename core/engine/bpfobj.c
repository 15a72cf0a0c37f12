/* SPDX-License-Identifier: GPL-2.0-only */
#include "engine/engine.h"

#include "probe/probe.h"
#include "util/util.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static int bpfobj_open(void *ctx, const struct probe_table *table, const struct probe_state *states)
{
	struct bpfobj *b = ctx;
	const char *btf = b->btf_path;
	struct bpf_program *prog;
	int err;

	/* libbpf before 1.2 looks through every module's BTF when a CO-RE type has no match in
	 * vmlinux (our ___old flavours), and listing BTF objects needs CAP_SYS_ADMIN: with only
	 * CAP_BPF and CAP_PERFMON, name the kernel's BTF so that walk never starts. */
	if (!btf && !privs_have_sys_admin() && access(KERNEL_BTF, R_OK) == 0)
		btf = KERNEL_BTF;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);

	err = b->open(b->tool, &opts, &b->obj);
	if (err)
		return err;
	/* nothing loads unless the engine enables it (prepare): an object may hold programs
	 * no candidate of this table names (fsslower's are every file system's), whose
	 * placeholder targets libbpf would fail to find */
	bpf_object__for_each_program(prog, b->obj)
		bpf_program__set_autoload(prog, false);
	return 0;
}

static int find_programs(struct bpfobj *b, const struct probe_candidate *c,
			 struct bpf_program **prog, struct bpf_program **ret)
{
	*prog = bpf_object__find_program_by_name(b->obj, c->prog);
	*ret = c->ret_prog ? bpf_object__find_program_by_name(b->obj, c->ret_prog) : NULL;
	if (!*prog || (c->ret_prog && !*ret)) {
		log_error("internal: program %s%s%s missing from the BPF object", c->prog,
			  c->ret_prog ? "/" : "", c->ret_prog ? c->ret_prog : "");
		return -ENOENT;
	}
	return 0;
}

static int bpfobj_prepare(void *ctx, const struct probe_candidate *c, const char *target,
			  bool enable)
{
	struct bpfobj *b = ctx;
	struct bpf_program *prog, *ret;
	int err = find_programs(b, c, &prog, &ret);

	if (err)
		return err;
	bpf_program__set_autoload(prog, enable);
	if (ret)
		bpf_program__set_autoload(ret, enable);
	if (!enable)
		return 0;
	return backend_for(c->kind)->prepare(prog, ret, c, target);
}

static bool is_log_noise(const char *line, size_t len)
{
	static const char *const noise[] = { "processed ", "verification time", "stack depth",
					     "-- ", "libbpf: ", "Validating " };

	if (len == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(noise); i++)
		if (!strncmp(line, noise[i], strlen(noise[i])))
			return true;
	return false;
}

/* libbpf's warnings end with the verifier log, whose last real line is the reason
 * ("R5 bitwise operator |= on pointer prohibited"); keep that and libbpf's own summary. */
static void take_detail(char *detail, size_t size)
{
	const char *text = log_libbpf_capture_end();
	const char *end = strstr(text, "-- END PROG LOAD LOG --");
	const char *best = NULL, *last = NULL;
	size_t best_len = 0, last_len = 0;

	if (!detail || !size)
		return;
	if (!end)
		end = text + strlen(text);
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);

		if (!is_log_noise(line, len)) {
			best = line;
			best_len = len;
		} else if (len > 8 && !strncmp(line, "libbpf: ", 8)) {
			last = line + 8;
			last_len = len - 8;
		}
		line += len + 1;
	}
	if (!best) {
		best = last;
		best_len = last_len;
	}
	snprintf(detail, size, "%.*s", (int)best_len, best ? best : "");
}

static int bpfobj_load(void *ctx, char *detail, size_t detail_size)
{
	struct bpfobj *b = ctx;
	int err;

	log_libbpf_capture_begin();
	err = bpf_object__load(b->obj);
	take_detail(detail, detail_size);
	return err;
}

static int keep_link(struct bpfobj *b, struct bpf_link *link, enum attach_kind kind)
{
	if (!link)
		return 0;
	if (b->link_count == b->link_cap) {
		size_t cap = b->link_cap ? b->link_cap * 2 : 8;
		struct bpf_link **links = realloc(b->links, cap * sizeof(*links));
		enum attach_kind *kinds;

		if (!links) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		b->links = links;
		kinds = realloc(b->link_kinds, cap * sizeof(*kinds));
		if (!kinds) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		b->link_kinds = kinds;
		b->link_cap = cap;
	}
	b->link_kinds[b->link_count] = kind;
	b->links[b->link_count++] = link;
	return 0;
}

static int bpfobj_attach(void *ctx, const struct probe_candidate *c, const char *target,
			 char *detail, size_t detail_size)
{
	struct bpfobj *b = ctx;
	struct bpf_program *prog, *ret;
	struct bpf_link *links[2] = { NULL, NULL };
	int err = find_programs(b, c, &prog, &ret);

	if (err)
		return err;
	log_libbpf_capture_begin();
	err = backend_for(c->kind)->attach(prog, ret, c, target, &b->attach, links);
	take_detail(detail, detail_size);
	/* keep whatever got attached so close() detaches it, even on failure */
	for (int i = 0; i < 2; i++) {
		int kept = keep_link(b, links[i], c->kind);

		if (!err)
			err = kept;
	}
	return err;
}

static void bpfobj_close(void *ctx)
{
	struct bpfobj *b = ctx;

	while (b->link_count)
		bpf_link__destroy(b->links[--b->link_count]);
	free(b->links);
	free(b->link_kinds);
	b->links = NULL;
	b->link_kinds = NULL;
	b->link_cap = 0;
	if (b->destroy)
		b->destroy(b->tool);
	b->obj = NULL;
}

/* A return probe's program: fexit, kretprobe (their section names say so before and after
 * the engine retargets them). */
static bool is_return_program(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strncmp(sec, "fexit", 5) || !strncmp(sec, "kretprobe", 9);
}

uint64_t bpfobj_missed(const struct bpfobj *b, bool entries_only)
{
	struct bpf_program *prog;
	uint64_t total = 0, n;

	static const enum attach_kind one_per_backend[] = { ATTACH_TRACEPOINT, ATTACH_FENTRY,
							      ATTACH_KPROBE };

	for (size_t k = 0; k < ARRAY_SIZE(one_per_backend); k++) {
		const struct backend *be = backend_for(one_per_backend[k]);

		if (be->missed && be->missed(b->links, b->link_count, entries_only, &n) == 0)
			total += n;
	}
	if (!b->obj)
		return total;
	bpf_object__for_each_program(prog, b->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (entries_only && is_return_program(prog))
			continue;
		memset(&info, 0, sizeof(info));
		/* (recursion_misses exists since 5.12 and counts fentry/fexit programs; kprobe
		 * and classic tracepoint programs since 6.7; older kernels leave it zero)
		 * commit 9ed9e9ba2337 ("bpf: Count the number of times recursion was
		 * prevented"), v5.12
		 * commit dd8657894c11 ("bpf: Count missed stats in trace_call_bpf"), v6.7 */
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			total += info.recursion_misses;
	}
	return total;
}

const struct engine_object_ops bpfobj_ops = {
	.open = bpfobj_open,
	.prepare = bpfobj_prepare,
	.load = bpfobj_load,
	.attach = bpfobj_attach,
	.close = bpfobj_close,
};
