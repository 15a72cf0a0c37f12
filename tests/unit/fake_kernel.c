/* SPDX-License-Identifier: GPL-2.0-only */
#include "fake_kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FAKE_KERNEL_FIXTURE_DIR
#define FAKE_KERNEL_FIXTURE_DIR "tests/fixtures/kernels"
#endif

/* Fixture trees are shallow; anything deeper is a mistake (or a loop). */
#define TREE_DEPTH_MAX 16

static char work_dir[PATH_MAX];
static unsigned scratch_count;

static int join(char *out, size_t size, const char *dir, const char *name)
{
	int len = snprintf(out, size, "%s/%s", dir, name);

	return len < 0 || (size_t)len >= size ? -ENAMETOOLONG : 0;
}

static bool is_plain_name(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t len = strlen(s), suffix_len = strlen(suffix);

	return len >= suffix_len && !strcmp(s + len - suffix_len, suffix);
}

static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int remove_tree(const char *path, int depth)
{
	char child[PATH_MAX];
	struct dirent *entry;
	struct stat st;
	DIR *dir;
	int err = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? -errno : 0;
	if (depth > TREE_DEPTH_MAX)
		return -ELOOP;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!err && (entry = readdir(dir))) {
		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		err = join(child, sizeof(child), path, entry->d_name);
		if (!err)
			err = remove_tree(child, depth + 1);
	}
	closedir(dir);
	if (!err && rmdir(path))
		err = -errno;
	return err;
}

static int copy_file(const char *src, const char *dst)
{
	char buf[8192];
	ssize_t n;
	int in, out = -1, err = 0;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		err = -errno;
		goto out;
	}
	while (!err && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0)
			err = errno == EINTR ? 0 : -errno;
		else
			err = write_all(out, buf, (size_t)n);
	}
out:
	if (out >= 0 && close(out) && !err)
		err = -errno;
	close(in);
	return err;
}

/* The BTF specs at the top of a fixture are sources, not part of the kernel's tree. */
static int copy_tree(const char *src, const char *dst, int depth)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct dirent *entry;
	struct stat st;
	DIR *dir;
	int err = 0;

	if (depth > TREE_DEPTH_MAX)
		return -ELOOP;
	if (mkdir(dst, 0755) && errno != EEXIST)
		return -errno;
	dir = opendir(src);
	if (!dir)
		return -errno;
	while (!err && (entry = readdir(dir))) {
		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		if (!depth && ends_with(entry->d_name, ".spec"))
			continue;
		err = join(from, sizeof(from), src, entry->d_name);
		if (!err)
			err = join(to, sizeof(to), dst, entry->d_name);
		if (!err && lstat(from, &st))
			err = -errno;
		if (err)
			break;
		if (S_ISDIR(st.st_mode))
			err = copy_tree(from, to, depth + 1);
		else if (S_ISREG(st.st_mode))
			err = copy_file(from, to);
	}
	closedir(dir);
	return err;
}

static int make_parents(const char *path)
{
	char copy[PATH_MAX];
	char *slash;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	for (slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(copy, 0755) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return 0;
}

static int compile_spec(const char *spec, const char *base, const char *out)
{
	char why[512] = "";
	int err;

	err = make_parents(out);
	if (!err)
		err = mkbtf_build(spec, base, out, why, sizeof(why));
	if (err)
		fprintf(stderr, "fake_kernel: %s: %s\n", spec, why[0] ? why : strerror(-err));
	return err;
}

/* btf.spec -> sys/kernel/btf/vmlinux, then btf-<module>.spec -> sys/kernel/btf/<module>. */
static int compile_btf(const char *src, const char *dst)
{
	char spec[PATH_MAX], out[PATH_MAX], vmlinux[PATH_MAX], module[NAME_MAX + 1];
	struct dirent *entry;
	DIR *dir;
	size_t len;
	int err;

	err = join(spec, sizeof(spec), src, "btf.spec");
	if (!err)
		err = join(vmlinux, sizeof(vmlinux), dst, "sys/kernel/btf/vmlinux");
	if (err)
		return err;
	if (!access(spec, F_OK)) {
		err = compile_spec(spec, NULL, vmlinux);
		if (err)
			return err;
	}
	dir = opendir(src);
	if (!dir)
		return -errno;
	while (!err && (entry = readdir(dir))) {
		len = strlen(entry->d_name);
		if (strncmp(entry->d_name, "btf-", 4) || !ends_with(entry->d_name, ".spec") ||
		    len <= 4 + 5)
			continue;
		snprintf(module, sizeof(module), "%.*s", (int)(len - 4 - 5), entry->d_name + 4);
		err = join(spec, sizeof(spec), src, entry->d_name);
		if (!err && snprintf(out, sizeof(out), "%s/sys/kernel/btf/%s", dst, module) >=
				    (int)sizeof(out))
			err = -ENAMETOOLONG;
		if (!err)
			err = compile_spec(spec, vmlinux, out);
	}
	closedir(dir);
	return err;
}

static int ensure_work_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (work_dir[0])
		return 0;
	if (snprintf(work_dir, sizeof(work_dir), "%s/iotrace-fake-XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(work_dir) ||
	    !mkdtemp(work_dir)) {
		work_dir[0] = '\0';
		return errno ? -errno : -ENAMETOOLONG;
	}
	atexit(fake_kernel_cleanup);
	return 0;
}

int fake_kernel_root(const char *name, char *out, size_t size)
{
	const char *fixtures = getenv("IOTRACE_FIXTURE_DIR");
	char src[PATH_MAX], dst[PATH_MAX];
	struct stat st;
	int err;

	if (!is_plain_name(name) || !out || !size)
		return -EINVAL;
	err = ensure_work_dir();
	if (!err)
		err = join(src, sizeof(src), fixtures && *fixtures ? fixtures : FAKE_KERNEL_FIXTURE_DIR,
			   name);
	if (!err)
		err = join(dst, sizeof(dst), work_dir, name);
	if (err)
		return err;
	if (stat(dst, &st)) {
		if (stat(src, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "fake_kernel: no fixture kernel %s\n", src);
			return -ENOENT;
		}
		err = copy_tree(src, dst, 0);
		if (!err)
			err = compile_btf(src, dst);
		if (err) {
			remove_tree(dst, 0);
			return err;
		}
	}
	if (strlen(dst) >= size)
		return -ENAMETOOLONG;
	strcpy(out, dst);
	return 0;
}

int fake_kernel_scratch_root(char *out, size_t size)
{
	char name[32], dst[PATH_MAX];
	int err;

	if (!out || !size)
		return -EINVAL;
	err = ensure_work_dir();
	snprintf(name, sizeof(name), "scratch-%u", scratch_count++);
	if (!err)
		err = join(dst, sizeof(dst), work_dir, name);
	if (!err && mkdir(dst, 0755))
		err = -errno;
	if (!err && strlen(dst) >= size)
		err = -ENAMETOOLONG;
	if (!err)
		strcpy(out, dst);
	return err;
}

int fake_kernel_write(const char *root, const char *relpath, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd, err;

	if (!root || !relpath || (len && !data))
		return -EINVAL;
	err = join(path, sizeof(path), root, relpath);
	if (!err)
		err = make_parents(path);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = write_all(fd, data, len);
	if (close(fd) && !err)
		err = -errno;
	return err;
}

void fake_kernel_cleanup(void)
{
	if (!work_dir[0])
		return;
	remove_tree(work_dir, 0);
	work_dir[0] = '\0';
}
