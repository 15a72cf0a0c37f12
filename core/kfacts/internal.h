/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to the files of core/kfacts/ that implement kfacts_live_new(); nothing else
 * includes it (kfacts.c needs only kfacts.h).
 *
 * Two layers. The first (symbol sets and text parsers) knows nothing of struct live_kfacts
 * and needs only symset.c and text.c, so a libFuzzer harness can link those
 * two files alone. The second is the state of one live kfacts, shared by the files that
 * answer its questions. */
#ifndef IOTRACE_KFACTS_INTERNAL_H
#define IOTRACE_KFACTS_INTERNAL_H

#include "kfacts.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Kernel symbol names are shorter than KSYM_NAME_LEN (512); a longer line cannot be a
 * real entry, so it is skipped whole rather than truncated into a wrong name. */
#define LINE_SIZE 1024
#define SYMBOL_NAME_MAX 511

/* errno as a return value even when a libc call forgot to set it. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* ---- symbol sets (symset.c) ---------------------------------------------------- */

/* Hash set of (name, module). The strings live in a struct kstrings that outlives it.
 * Each slot's hash is kept beside it: kallsyms fills a set of 200,000 names, and
 * comparing hashes before names spares a string compare at nearly every probe and a
 * rehash of every name when the set grows. */
struct ksymset {
	struct ksym *slots;	/* open addressing */
	uint64_t *hashes;	/* hashes[i] belongs to slots[i] */
	size_t capacity;	/* 0 or a power of two */
	size_t count;
};

/* Interned strings, freed all at once; module names, which repeat on thousands of lines,
 * are stored once. */
struct kstrings {
	struct kstrings_chunk *chunks;
	struct ksymset modules;
};

/* Symbols in file order, duplicates kept. */
struct ksymlist {
	struct ksym *syms;
	size_t count, capacity;
};

/* *interned gets the one stored copy of module; NULL stays NULL (vmlinux). */
int kstrings_module(struct kstrings *strings, const char *module, const char **interned);
void kstrings_free(struct kstrings *strings);

/* Adds (name, module) unless present. name is copied into strings; module must already
 * live as long as the set (interned, or NULL). */
int ksymset_add(struct ksymset *set, struct kstrings *strings, const char *name,
		const char *module);
/* The same for a module name not yet interned (as a parser reads it): interned only when
 * the pair is new. */
int ksymset_add_interning(struct ksymset *set, struct kstrings *strings, const char *name,
			  const char *module);
const struct ksym *ksymset_find(const struct ksymset *set, const char *name,
				const char *module);
void ksymset_free(struct ksymset *set);

/* Appends a copy of name; module must already live as long as the list (interned, or
 * NULL), as for ksymset_add. */
int ksymlist_append(struct ksymlist *list, struct kstrings *strings, const char *name,
		    const char *module);
void ksymlist_free(struct ksymlist *list);

/* ---- text parsers (text.c) -----------------------------------------------------
 * They touch nothing but the FILE, which may hold any bytes, and the zero-initialised (or
 * previously filled) containers they are given. A libFuzzer harness calls them as
 *
 *	FILE *f = fmemopen((void *)data, size, "r");
 *	struct kstrings strings = { 0 };
 *	struct ksymset set = { 0 };
 *	ktext_parse_kallsyms(f, &strings, &set);
 *	fclose(f);
 *	ksymset_free(&set);
 *	kstrings_free(&strings);
 *
 * linking text.c and symset.c only. Lines longer than LINE_SIZE or holding
 * NUL bytes, and lines that do not parse, are skipped; every good line is kept. Unless
 * said otherwise each returns 0, or -errno for a read error or ENOMEM (the containers
 * then hold the lines parsed so far). */

/* 1 with a line in buf (newline stripped), 0 at end of file, -errno on a read error. */
int ktext_read_line(FILE *f, char *buf, size_t size);

/* sys/kernel/debug/kprobes/blacklist: "0xSTART-0xEND\tname [module]" into blacklist. */
int ktext_parse_blacklist(FILE *f, struct kstrings *strings, struct ksymset *blacklist);

/* tracing/available_filter_functions: "name" or "name [module]", appended to out in file
 * order unless blacklist has them. */
int ktext_parse_filter_functions(FILE *f, const struct ksymset *blacklist,
				 struct kstrings *strings, struct ksymlist *out);

/* Where ktext_parse_filter_section stopped: the module (interned; NULL: vmlinux) of the
 * last line it read. Zero-initialised before the first call. */
struct kfilter_cursor {
	const char *module;
	bool started;
};

/* The same, one module at a time: appends lines until one of another module than the line
 * before it (that line included), and returns 1 with *ended the module whose lines ended
 * (interned; NULL: vmlinux); 0 at the end of the file (cursor->module's lines ended too). */
int ktext_parse_filter_section(FILE *f, const struct ksymset *blacklist,
			       struct kstrings *strings, struct ksymlist *out,
			       struct kfilter_cursor *cursor, const char **ended);

/* proc/kallsyms: "ADDR TYPE name" or "ADDR TYPE name\t[module]" into syms. */
int ktext_parse_kallsyms(FILE *f, struct kstrings *strings, struct ksymset *syms);

/* proc/modules: "name size refcount deps state address"; names into modules, with module
 * NULL. */
int ktext_parse_proc_modules(FILE *f, struct kstrings *strings, struct ksymset *modules);

/* A fixture's features file: "<feature> yes|no [reason...]". The first line for feature
 * with a valid answer sets *value and reason (control characters replaced by '?');
 * -ENOENT when no line does. */
int ktext_parse_features(FILE *f, const char *feature, enum fact *value, char *reason,
			 size_t reason_size);

/* sys/kernel/security/lockdown: "none [integrity] confidentiality" -> "integrity".
 * line is modified; -EINVAL when no mode is bracketed. */
int ktext_parse_lockdown(char *line, char *mode, size_t mode_size);

/* ---- one live kfacts ------------------------------------------------------------------ */

struct btf;

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

	struct kstrings strings;

	/* features.c */
	bool tracefs_checked;
	int tracefs_err;
	int tracefs_mount_err;
	const char *tracefs_dir;

	/* btf.c */
	struct btf_slot kernel_btf;   /* root/sys/kernel/btf/vmlinux */
	struct btf_slot external_btf; /* --btf */
	struct btf_slot *module_btfs;
	size_t module_btf_count;

	/* live.c: available_filter_functions, read only as far as a question needs */
	bool traceable_loaded;
	int traceable_err;
	struct ksymlist traceable;
	FILE *traceable_file;		  /* open until its end is read */
	struct kfilter_cursor traceable_cursor;
	struct kstrings blacklist_strings; /* the kprobe blacklist, while the file is read */
	struct ksymset blacklist;
	struct ksymset modules_listed;	  /* modules whose functions are all read */

	bool kallsyms_loaded;
	int kallsyms_err;
	struct ksymset kallsyms;

	bool proc_modules_loaded;
	int proc_modules_err;
	struct ksymset proc_modules;

	char release[80];
};

static inline struct live_kfacts *to_live(struct kfacts *kf)
{
	return (struct live_kfacts *)((char *)kf - offsetof(struct live_kfacts, base));
}

/* root.c: paths under lk->root. */
bool live_is_path_component(const char *s);
int live_root_path(const struct live_kfacts *lk, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Whether root/<path> exists with this file type (0 = any); unreadable counts as absent. */
bool live_root_has(const struct live_kfacts *lk, mode_t type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
FILE *live_root_fopen(const struct live_kfacts *lk, const char *rel, int *err);
/* First line of a small file under root, for one-line files such as osrelease. */
int live_read_root_line(const struct live_kfacts *lk, const char *rel, char *buf, size_t size);

/* btf.c */
int live_kernel_btf(struct live_kfacts *lk, struct btf **btf);
void live_btf_trim(struct kfacts *kf);
/* Only the types a BTF object adds itself: a module's split BTF also sees vmlinux. */
int live_find_own_type(const struct btf *btf, const char *name, int kind);
enum fact live_btf_vmlinux_fact(struct live_kfacts *lk, char *reason, size_t size);
void live_btf_free(struct live_kfacts *lk);
int live_btf_func(struct kfacts *kf, const char *module, const char *func, bool *present,
		  char *proto, size_t proto_size);
int live_btf_tracepoint(struct kfacts *kf, const char *event, bool *present, char *proto,
			size_t proto_size);
int live_module_btf(struct kfacts *kf, const char *module, bool *present);

/* features.c */
/* 0 with lk->tracefs_dir set; mounts tracefs once when the real root lacks it. */
int live_tracefs_find(struct live_kfacts *lk);
int live_tracepoint(struct kfacts *kf, const char *category, const char *event,
		    bool *present);
enum fact live_feature(struct kfacts *kf, enum kfeature f, char *reason, size_t size);

#endif
