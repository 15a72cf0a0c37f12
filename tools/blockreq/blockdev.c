/* SPDX-License-Identifier: GPL-2.0-only */
#include "blockreq/blockdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATTR_MAX 64                      /* a sysfs number attribute is far shorter */
#define PROC_PARTITIONS_MAX (8u << 20)   /* 65536 lines of at most ~80 bytes, with room */
#define DEFAULT_REFRESH_NS 1000000000ULL

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Drop the one trailing newline sysfs puts after a value. */
static size_t trim_newline(const char *s, size_t len)
{
	return len && s[len - 1] == '\n' ? len - 1 : len;
}

static int parse_digits(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned digit;

		if (!is_digit(s[i]))
			return -EINVAL;
		digit = (unsigned)(s[i] - '0');
		if (v > (max - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

int blockdev_parse_u64(const char *s, size_t len, uint64_t *out)
{
	return parse_digits(s, trim_newline(s, len), UINT64_MAX, out);
}

int blockdev_parse_devnum(const char *s, size_t len, uint32_t *kdev)
{
	const char *colon;
	uint64_t major, minor;
	int err;

	len = trim_newline(s, len);
	colon = memchr(s, ':', len);
	if (!colon)
		return -EINVAL;
	err = parse_digits(s, (size_t)(colon - s), BLOCKDEV_MAJOR_MAX, &major);
	if (!err)
		err = parse_digits(colon + 1, len - (size_t)(colon - s) - 1, BLOCKDEV_MINOR_MAX, &minor);
	if (err)
		return err;
	*kdev = blockdev_kdev((uint32_t)major, (uint32_t)minor);
	return 0;
}

bool blockdev_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= BLOCKDEV_NAME_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Read a regular file of at most size-1 bytes. Anything else (FIFO, device, directory,
 * longer content) is refused: a hostile tree must not block or flood us. */
static int read_bounded(int dirfd, const char *path, char *buf, size_t size, size_t *len)
{
	struct stat st;
	size_t have = 0;
	int fd, err = 0;

	fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have == size) {
			err = -EFBIG;
			goto out;
		}
	}
	*len = have;
out:
	close(fd);
	return err;
}

static int read_attr(int dirfd, const char *name, const char *attr, char *buf, size_t *len)
{
	char path[BLOCKDEV_NAME_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", name, attr);
	return read_bounded(dirfd, path, buf, ATTR_MAX, len);
}

static int read_attr_devnum(int dirfd, const char *name, const char *attr, uint32_t *kdev)
{
	char buf[ATTR_MAX];
	size_t len = 0;
	int err = read_attr(dirfd, name, attr, buf, &len);

	return err ? err : blockdev_parse_devnum(buf, len, kdev);
}

static int read_attr_u64(int dirfd, const char *name, const char *attr, uint64_t *v)
{
	char buf[ATTR_MAX];
	size_t len = 0;
	int err = read_attr(dirfd, name, attr, buf, &len);

	return err ? err : blockdev_parse_u64(buf, len, v);
}

/* A growing array, built fresh on every scan so a failed scan leaves the old table alone. */
struct entry_list {
	struct blockdev_entry *v;
	size_t count, cap;
};

static struct blockdev_entry *list_add(struct entry_list *l)
{
	if (l->count == BLOCKDEV_MAX_ENTRIES)
		return NULL;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct blockdev_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->count], 0, sizeof(l->v[0]));
	return &l->v[l->count++];
}

/* One class/block entry. Whatever does not parse is skipped, never fatal. */
static void scan_one(int dirfd, const char *name, struct entry_list *l)
{
	struct blockdev_entry e, *slot;
	uint64_t partno;
	char buf[ATTR_MAX];
	size_t len = 0;

	memset(&e, 0, sizeof(e));
	if (read_attr_devnum(dirfd, name, "dev", &e.dev))
		return;
	e.disk_dev = e.dev;
	if (read_attr(dirfd, name, "partition", buf, &len) == 0) {
		if (blockdev_parse_u64(buf, len, &partno) || partno == 0)
			return;
		e.partition = true;
		/* the partition's directory lives inside its disk's */
		if (read_attr_devnum(dirfd, name, "../dev", &e.disk_dev) || e.disk_dev == e.dev)
			return;
		if (read_attr_u64(dirfd, name, "start", &e.start))
			return;
	}
	if (read_attr_u64(dirfd, name, "size", &e.sectors))
		e.sectors = 0;
	memcpy(e.name, name, strlen(name) + 1);
	slot = list_add(l);
	if (slot)
		*slot = e;
}

static int scan_sysfs(const char *root, struct entry_list *l)
{
	char path[sizeof(((struct blockdev_table *)0)->root) + 32];
	struct dirent *de;
	DIR *dir;
	int dirfd;

	snprintf(path, sizeof(path), "%s/sys/class/block", root);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	dir = fdopendir(dirfd);
	if (!dir) {
		int err = -errno;

		close(dirfd);
		return err;
	}
	while ((de = readdir(dir)) && l->count < BLOCKDEV_MAX_ENTRIES) {
		if (blockdev_name_ok(de->d_name, strlen(de->d_name)))
			scan_one(dirfd, de->d_name, l);
	}
	closedir(dir);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Next whitespace-separated field of the line [*at, end). */
static bool next_field(const char **at, const char *end, const char **field, size_t *len)
{
	const char *p = *at;

	while (p < end && is_space(*p))
		p++;
	if (p == end)
		return false;
	*field = p;
	while (p < end && !is_space(*p))
		p++;
	*len = (size_t)(p - *field);
	*at = p;
	return true;
}

static bool parse_proc_line(const char *line, const char *end, struct blockdev_entry *e)
{
	const char *field[4], *extra;
	size_t len[4], extra_len;
	uint64_t major, minor, blocks;
	const char *at = line;

	for (int i = 0; i < 4; i++)
		if (!next_field(&at, end, &field[i], &len[i]))
			return false;
	if (next_field(&at, end, &extra, &extra_len))
		return false;
	if (parse_digits(field[0], len[0], BLOCKDEV_MAJOR_MAX, &major) ||
	    parse_digits(field[1], len[1], BLOCKDEV_MINOR_MAX, &minor) ||
	    parse_digits(field[2], len[2], UINT64_MAX / 2, &blocks) ||
	    !blockdev_name_ok(field[3], len[3]))
		return false;
	memset(e, 0, sizeof(*e));
	e->dev = e->disk_dev = blockdev_kdev((uint32_t)major, (uint32_t)minor);
	e->sectors = blocks * 2; /* 1 KiB blocks */
	memcpy(e->name, field[3], len[3]);
	e->name[len[3]] = '\0';
	return true;
}

size_t blockdev_parse_proc_partitions(const char *text, size_t len, struct blockdev_entry *out,
				      size_t max)
{
	const char *p = text, *end = text + len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;

		if (parse_proc_line(p, line_end, &out[n]))
			n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

static int read_proc_partitions(const char *root, char **text, size_t *len)
{
	char path[sizeof(((struct blockdev_table *)0)->root) + 32];
	char *buf = malloc(PROC_PARTITIONS_MAX);
	int err;

	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/proc/partitions", root);
	err = read_bounded(AT_FDCWD, path, buf, PROC_PARTITIONS_MAX, len);
	if (err) {
		free(buf);
		return err;
	}
	*text = buf;
	return 0;
}

static int scan_proc(const char *root, struct entry_list *l)
{
	struct blockdev_entry e;
	char *text = NULL;
	size_t len = 0;
	int err = read_proc_partitions(root, &text, &len);

	if (err)
		return err;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		struct blockdev_entry *slot;

		if (parse_proc_line(p, line_end, &e) && (slot = list_add(l)))
			*slot = e;
		p = nl ? nl + 1 : end;
	}
	free(text);
	return 0;
}

/* FNV-1a of /proc/partitions: a cheap "did any disk or partition come, go or resize?".
 * Streamed through a fixed buffer, so it allocates nothing. 0 = unreadable. */
static uint64_t proc_fingerprint(const char *root)
{
	char path[sizeof(((struct blockdev_table *)0)->root) + 32];
	uint64_t h = 1469598103934665603ULL;
	size_t total = 0;
	char buf[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/proc/partitions", root);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || total > PROC_PARTITIONS_MAX)
			break;
		total += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			h ^= (unsigned char)buf[i];
			h *= 1099511628211ULL;
		}
	}
	close(fd);
	return h ? h : 1;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct blockdev_entry *a = pa, *b = pb;

	if (a->disk_dev != b->disk_dev)
		return a->disk_dev < b->disk_dev ? -1 : 1;
	if (a->partition != b->partition)
		return a->partition ? 1 : -1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* First index whose disk_dev is >= dev. */
static size_t lower_bound(const struct blockdev_entry *v, size_t count, uint32_t dev)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].disk_dev < dev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct blockdev_entry *find_disk(const struct blockdev_entry *v, size_t count,
					      uint32_t dev, size_t *at)
{
	size_t i = lower_bound(v, count, dev);

	if (i == count || v[i].disk_dev != dev || v[i].partition)
		return NULL;
	*at = i;
	return &v[i];
}

/* A partition without its disk cannot be reported against the disk's events: drop it. */
static size_t drop_orphans(struct blockdev_entry *v, size_t count)
{
	size_t kept = 0, at;

	for (size_t i = 0; i < count; i++) {
		if (v[i].partition && !find_disk(v, count, v[i].disk_dev, &at))
			continue;
		v[kept++] = v[i];
	}
	return kept;
}

int blockdev_refresh(struct blockdev_table *t, uint64_t now_ns)
{
	struct entry_list l = { NULL, 0, 0 };
	bool from_proc = false;
	int err;

	t->last_scan_ns = t->last_check_ns = now_ns;
	t->scans++;
	err = scan_sysfs(t->root, &l);
	if (err == -ENOENT || err == -ENOTDIR) {
		from_proc = true;
		err = scan_proc(t->root, &l);
	}
	if (err) {
		free(l.v);
		return err;
	}
	if (l.count)
		qsort(l.v, l.count, sizeof(l.v[0]), entry_cmp);
	l.count = drop_orphans(l.v, l.count);
	free(t->entries);
	t->entries = l.v;
	t->count = l.count;
	t->from_proc = from_proc;
	t->fingerprint = proc_fingerprint(t->root);
	for (size_t i = 0; i < t->count; i++) {
		size_t n = strlen(t->entries[i].name);
		size_t *longest = t->entries[i].partition ? &t->longest_part_name
							  : &t->longest_disk_name;

		if (n > *longest)
			*longest = n;
	}
	return 0;
}

int blockdev_init(struct blockdev_table *t, const char *root, uint64_t now_ns)
{
	int n;

	memset(t, 0, sizeof(*t));
	t->refresh_interval_ns = DEFAULT_REFRESH_NS;
	n = snprintf(t->root, sizeof(t->root), "%s", root && *root ? root : "/");
	if (n < 0 || (size_t)n >= sizeof(t->root))
		return -ENAMETOOLONG;
	return blockdev_refresh(t, now_ns);
}

void blockdev_free(struct blockdev_table *t)
{
	free(t->entries);
	t->entries = NULL;
	t->count = 0;
}

static bool due(uint64_t last, uint64_t now, uint64_t interval)
{
	return now < last || now - last >= interval;
}

static const struct blockdev_entry *find_partition(const struct blockdev_table *t, size_t disk_at,
						   uint64_t sector)
{
	uint32_t dev = t->entries[disk_at].disk_dev;
	size_t lo = disk_at + 1, hi, first;
	const struct blockdev_entry *p;

	/* duplicate disk entries (garbage) sort before the partitions */
	while (lo < t->count && t->entries[lo].disk_dev == dev && !t->entries[lo].partition)
		lo++;
	hi = dev == UINT32_MAX ? t->count : lower_bound(t->entries, t->count, dev + 1);
	if (lo >= hi)
		return NULL;
	/* the last partition starting at or before sector: partitions do not overlap */
	first = lo;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->entries[mid].start <= sector)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == first)
		return NULL;
	p = &t->entries[lo - 1];
	return sector >= p->start && sector - p->start < p->sectors ? p : NULL;
}

void blockdev_resolve(struct blockdev_table *t, uint32_t dev, uint64_t sector, uint64_t now_ns,
		      struct blockdev_hit *hit)
{
	const struct blockdev_entry *disk, *part;
	size_t at = 0;

	disk = find_disk(t->entries, t->count, dev, &at);
	if (!disk && due(t->last_scan_ns, now_ns, t->refresh_interval_ns) &&
	    blockdev_refresh(t, now_ns) == 0)
		disk = find_disk(t->entries, t->count, dev, &at);
	part = disk ? find_partition(t, at, sector) : NULL;
	if (disk && !part && !t->from_proc && due(t->last_check_ns, now_ns, t->refresh_interval_ns)) {
		uint64_t fp = proc_fingerprint(t->root);

		t->last_check_ns = now_ns;
		if ((fp == 0 || fp != t->fingerprint) && blockdev_refresh(t, now_ns) == 0) {
			disk = find_disk(t->entries, t->count, dev, &at);
			part = disk ? find_partition(t, at, sector) : NULL;
		}
	}
	hit->known = disk != NULL;
	hit->partition = part ? part->name : NULL;
	if (disk) {
		hit->disk = disk->name;
		return;
	}
	snprintf(hit->unknown, sizeof(hit->unknown), "%u:%u", blockdev_major(dev),
		 blockdev_minor(dev));
	hit->disk = hit->unknown;
}

static int range_of(const struct blockdev_entry *e, struct blockdev_range *out)
{
	memset(out, 0, sizeof(*out));
	out->disk_dev = e->disk_dev;
	out->partition = e->partition;
	if (!e->partition)
		return 0;
	if (e->sectors == 0)
		return -ERANGE;
	out->start = e->start;
	out->end = e->start + e->sectors < e->start ? UINT64_MAX : e->start + e->sectors;
	return 0;
}

int blockdev_find(const struct blockdev_table *t, const char *name, struct blockdev_range *out)
{
	if (strncmp(name, "/dev/", 5) == 0)
		name += 5;
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->entries[i].name, name) == 0)
			return range_of(&t->entries[i], out);
	return -ENOENT;
}

int blockdev_find_devnum(const struct blockdev_table *t, uint32_t dev, struct blockdev_range *out)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->entries[i].dev == dev)
			return range_of(&t->entries[i], out);
	return -ENOENT;
}

void blockdev_list(const struct blockdev_table *t, char *buf, size_t size)
{
	static const char more[] = "...";
	size_t at = 0;

	if (size)
		buf[0] = '\0';
	if (size < sizeof(more) + 2)
		return;
	for (size_t i = 0; i < t->count; i++) {
		const char *sep = at ? ", " : "";
		size_t need = strlen(sep) + strlen(t->entries[i].name);
		/* unless this is the last name, keep room to say there are more */
		size_t reserve = i + 1 == t->count ? 0 : 2 + sizeof(more) - 1;

		if (at + need + reserve >= size) {
			snprintf(buf + at, size - at, "%s%s", sep, more);
			return;
		}
		at += (size_t)snprintf(buf + at, size - at, "%s%s", sep, t->entries[i].name);
	}
}
