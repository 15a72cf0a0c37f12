/* SPDX-License-Identifier: GPL-2.0-only */
/* Files under the kfacts root ("" for the real system, a fixture directory in tests). */
#include "internal.h"
#include "util/util.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

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

int live_root_path(const struct live_kfacts *lk, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = root_vpath(lk, buf, size, fmt, ap);
	va_end(ap);
	return err;
}

bool live_root_has(const struct live_kfacts *lk, mode_t type, const char *fmt, ...)
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

FILE *live_root_fopen(const struct live_kfacts *lk, const char *rel, int *err)
{
	char path[PATH_MAX];
	FILE *f;

	*err = live_root_path(lk, path, sizeof(path), "%s", rel);
	if (*err)
		return NULL;
	f = fopen(path, "re");
	if (!f)
		*err = negative_errno();
	return f;
}

/* Names used as path components must not walk out of the directory they are meant for. */
bool live_is_path_component(const char *s)
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

int live_read_root_line(const struct live_kfacts *lk, const char *rel, char *buf, size_t size)
{
	FILE *f;
	int err, rc;

	f = live_root_fopen(lk, rel, &err);
	if (!f)
		return err;
	rc = ktext_read_line(f, buf, size);
	fclose(f);
	if (rc < 0)
		return rc;
	return rc ? 0 : -ENODATA;
}
