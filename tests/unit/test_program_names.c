/* SPDX-License-Identifier: GPL-2.0-only */
/* Probe tables name BPF programs by string, matched at run time; a typo (or a program built
 * with ## in a macro that a search cannot find) would surface only on the kernel that needs
 * that candidate. Here every name is checked against the compiled objects themselves, both
 * ways: each candidate's programs exist, and each program is some candidate's. Opening a
 * skeleton parses the embedded ELF only: no kernel, no privileges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "biosnoop.skel.h"
#include "probe/probe.h"
#include "fsslower.skel.h"
#include "fsslower/fs_table.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

#include "blockreq/blockreq.h"

static bool named_by_table(const struct probe_table *t, const char *prog)
{
	for (size_t p = 0; p < t->probe_count; p++)
		for (size_t c = 0; c < t->probes[p].candidate_count; c++) {
			const struct probe_candidate *cand = &t->probes[p].candidates[c];

			if (!strcmp(cand->prog, prog) || (cand->ret_prog && !strcmp(cand->ret_prog, prog)))
				return true;
		}
	return false;
}

/* tables: the probe tables that share one object (the fsslower family's); each candidate's
 * programs must exist, and each program must be some table's */
static void check_names_of(const struct probe_table *const *tables, size_t n,
			   struct bpf_object *obj)
{
	struct bpf_program *prog;
	int problems = 0;

	for (size_t i = 0; i < n; i++) {
		const struct probe_table *t = tables[i];

		for (size_t p = 0; p < t->probe_count; p++) {
			for (size_t c = 0; c < t->probes[p].candidate_count; c++) {
				const struct probe_candidate *cand = &t->probes[p].candidates[c];

				if (!bpf_object__find_program_by_name(obj, cand->prog)) {
					print_error("%s: candidate %s names program %s, not in the object\n",
						    t->probes[p].name, cand->target, cand->prog);
					problems++;
				}
				if (cand->ret_prog &&
				    !bpf_object__find_program_by_name(obj, cand->ret_prog)) {
					print_error("%s: candidate %s names return program %s, not in the "
						    "object\n", t->probes[p].name, cand->target,
						    cand->ret_prog);
					problems++;
				}
			}
		}
	}
	bpf_object__for_each_program(prog, obj) {
		bool named = false;

		for (size_t i = 0; i < n; i++)
			named = named || named_by_table(tables[i], bpf_program__name(prog));
		if (!named) {
			print_error("program %s is in the object but no candidate names it\n",
				    bpf_program__name(prog));
			problems++;
		}
	}
	assert_int_equal(problems, 0);
}

static void check_names(const struct probe_table *t, struct bpf_object *obj)
{
	check_names_of(&t, 1, obj);
}

static void biosnoop_names_match_its_object(void **state)
{
	struct biosnoop_bpf *skel = biosnoop_bpf__open();

	assert_non_null(skel);
	check_names(&blockreq_probe_table, skel->obj);
	biosnoop_bpf__destroy(skel);
}

/* One object for the whole family: each member's names are in it, and each program is some
 * member's (open2 is NFS's alone, the aio/read/write pairs ZFS's). */
static void fsslower_names_match_its_object(void **state)
{
	struct fsslower_bpf *skel = fsslower_bpf__open();
	const struct probe_table *tables[8];

	assert_non_null(skel);
	assert_true(fs_count <= ARRAY_SIZE(tables));
	for (unsigned i = 0; i < fs_count; i++)
		tables[i] = fs_table[i]->probes;
	check_names_of(tables, fs_count, skel->obj);
	fsslower_bpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(biosnoop_names_match_its_object),
		cmocka_unit_test(fsslower_names_match_its_object),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
