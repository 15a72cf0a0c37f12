/* SPDX-License-Identifier: GPL-2.0-only */
/* Resolving a candidate's function target against the kernel's traceable functions.
 *
 * A target without '*' is an exact name. "stem*" accepts the stem itself, or the stem
 * followed by a suffix that starts at a word boundary: "_" + letters/digits (repeatable:
 * "zpl_iter_read_ext", "zpl_iter_read_ext_v2") and/or ".llvm.<digits>". It never accepts
 * the stem followed directly by a letter or digit ("zpl_iter_readdir"), nor GCC clones
 * (".isra.N", ".constprop.N", ".part.N", ".cold", ".cold.N"), whose calling convention may
 * differ or which are not function entries; those are named in the reason as ignored. */
#ifndef IOTRACE_PATTERN_H
#define IOTRACE_PATTERN_H

#include "kfacts.h"

#include <stddef.h>

enum pattern_match {
	PATTERN_NO_MATCH,
	PATTERN_EXACT,    /* the name itself, or exactly the stem of "stem*" */
	PATTERN_SUFFIXED, /* the stem plus an accepted suffix */
	PATTERN_CLONE,    /* the name (or stem) plus a compiler clone suffix: never chosen */
};

/* How name relates to pattern. A malformed pattern (empty, or '*' anywhere but at the
 * end) matches nothing. */
enum pattern_match pattern_match(const char *pattern, const char *name);

/* Choose the function pattern names among syms that belong to module (NULL = vmlinux only;
 * "zfs" = only symbols of [zfs]). The exact stem beats any suffixed name; otherwise the
 * shortest match wins. Names listed several times count once.
 * Returns 0 with the name in out; -ENOENT when nothing matches; -ENOTUNIQ when two or more
 * different names tie for shortest (none is chosen); -EINVAL for a malformed pattern;
 * -ENAMETOOLONG when out is too small. reason (may be NULL) always gets one line for
 * humans: what was chosen or why nothing was, tied names, ignored compiler clones. */
int pattern_resolve(const char *pattern, const char *module, const struct ksym *syms, size_t n,
		    char *out, size_t out_size, char *reason, size_t reason_size);

#endif
