/* SPDX-License-Identifier: GPL-2.0-only */
/* Fixture kernels for tests: tests/fixtures/kernels/<name> copied into a private
 * temporary directory, with its BTF specs (btf.spec, btf-<module>.spec) compiled into
 * sys/kernel/btf/, ready to be the root of kfacts_live_new(). Every tree is built once
 * per process and removed by fake_kernel_cleanup() (also run at exit).
 * The fixture sources are found at $IOTRACE_FIXTURE_DIR, else at FAKE_KERNEL_FIXTURE_DIR
 * (set by CMake). */
#ifndef IOTRACE_FAKE_KERNEL_H
#define IOTRACE_FAKE_KERNEL_H

#include <stddef.h>

/* 0 with the prepared root's path in out, or -errno. */
int fake_kernel_root(const char *name, char *out, size_t size);

/* A fresh, empty root to fill with fake_kernel_write (robustness tests). */
int fake_kernel_scratch_root(char *out, size_t size);

/* Write root/relpath (parent directories created), replacing any previous content. */
int fake_kernel_write(const char *root, const char *relpath, const void *data, size_t len);

/* Compile a BTF spec (see tests/tools/mkbtf.c); base_path NULL for vmlinux BTF. */
int mkbtf_build(const char *spec_path, const char *base_path, const char *out_path, char *err,
		size_t err_size);

void fake_kernel_cleanup(void);

#endif
