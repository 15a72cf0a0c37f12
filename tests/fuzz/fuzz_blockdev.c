/* SPDX-License-Identifier: GPL-2.0-only */
/* tools/blockreq/blockdev.c: the pure parsers against references, and blockdev_init / _resolve /
 * _find / _find_devnum / _list on a throwaway sysfs-like tree built from the input under a
 * private temporary directory (nothing outside it is ever created or removed).
 *
 * Input (text), sections that each start with a line "@SPEC"; a section's content is every
 * following line up to the next '@' line, newlines included:
 *   @DIR/ATTR         a file sys/devices/DIR/ATTR (DIR is 1 or 2 path components, "sda" or
 *                     "sda/sda1"); each DIR also gets sys/class/block/<last component> ->
 *                     ../../devices/DIR, as in real sysfs, so "sda1/../dev" is the disk's dev
 *   @DIR/ATTR/        the same path as a directory (not a regular file)
 *   @DIR/ATTR|        the same path as a FIFO (must be refused without blocking)
 *   @link NAME DIR    an extra sys/class/block/NAME -> ../../devices/DIR (may dangle)
 *   @proc/partitions  the file proc/partitions
 *   @nosys            no sys/class/block at all: /proc/partitions is the fallback
 *   @find NAME        look NAME up with blockdev_find (as given and with "/dev/")
 *   @resolve M:N S    blockdev_resolve(kdev(M, N), sector S)
 * Path components may hold any bytes but '/'; "." and ".." are refused. Every declared
 * file's content is also fed to the parsers directly. Seeds: tests/fuzz/corpus/blockdev. */
#define _GNU_SOURCE /* nftw */
#include "blockreq/blockdev.h"
#include "fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NODES 48
#define MAX_QUERIES 16
#define COMP_MAX 40
#define ATTR_LIMIT 64 /* blockdev.c's ATTR_MAX: a file must be shorter */
#define NOW 5000000000ULL
#define SEC 1000000000ULL

enum node_kind { FILE_NODE, DIR_NODE, FIFO_NODE };

struct node {
	char dir[2][COMP_MAX + 1]; /* DIR components under sys/devices */
	int depth;                 /* 1 or 2 */
	char attr[COMP_MAX + 1];
	enum node_kind kind;
	const uint8_t *content;
	size_t len;
};

struct link {
	char name[COMP_MAX + 1];
	char dir[2][COMP_MAX + 1];
	int depth;
};

struct model {
	struct node nodes[MAX_NODES];
	size_t n_nodes;
	struct link links[MAX_NODES * 2];
	size_t n_links;
	bool nosys;
	const uint8_t *proc;
	size_t proc_len;
	bool has_proc;
	char finds[MAX_QUERIES][COMP_MAX + 8];
	size_t n_finds;
	struct {
		uint32_t dev;
		uint64_t sector;
	} resolves[MAX_QUERIES];
	size_t n_resolves;
};

static char base[256];
static char root[512];

static void remove_tree(void);

static void remove_base(void)
{
	remove_tree();
	rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/iotrace-fuzz-blockdev-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(root, sizeof(root), "%s/root", base);
	atexit(remove_base);
	return 0;
}

/* ---- references -------------------------------------------------------------------------- */

/* Digits only, at most max. Read left to right: a digit prefix already above max is -ERANGE
 * even when junk follows ("99999999999999999999x"). */
static int ref_digits(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	unsigned __int128 v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = (uint64_t)v;
	return 0;
}

static size_t ref_trim(const char *s, size_t len)
{
	return len && s[len - 1] == '\n' ? len - 1 : len;
}

static int ref_u64(const char *s, size_t len, uint64_t *out)
{
	return ref_digits(s, ref_trim(s, len), UINT64_MAX, out);
}

/* The parser checks the major before the minor: a bad major wins. */
static int ref_devnum(const char *s, size_t len, uint32_t *kdev)
{
	const char *colon;
	uint64_t major, minor;
	int err;

	len = ref_trim(s, len);
	colon = memchr(s, ':', len);
	if (!colon)
		return -EINVAL;
	err = ref_digits(s, (size_t)(colon - s), BLOCKDEV_MAJOR_MAX, &major);
	if (!err)
		err = ref_digits(colon + 1, len - (size_t)(colon - s) - 1, BLOCKDEV_MINOR_MAX, &minor);
	if (!err)
		*kdev = (uint32_t)(major << 20 | minor);
	return err;
}

static bool ref_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 31 || (len == 1 && s[0] == '.') || (len == 2 && !memcmp(s, "..", 2)))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || strchr("/,\"\\", s[i]))
			return false;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "MAJOR MINOR BLOCKS NAME" exactly, space/tab separated. */
static bool ref_proc_line(const char *p, size_t len, struct blockdev_entry *e)
{
	const char *f[5];
	size_t fl[5], n = 0, i = 0;
	uint64_t major, minor, blocks;

	while (n < 5) {
		while (i < len && is_blank(p[i]))
			i++;
		if (i == len)
			break;
		f[n] = p + i;
		while (i < len && !is_blank(p[i]))
			i++;
		fl[n] = (size_t)(p + i - f[n]);
		n++;
	}
	if (n != 4 || ref_digits(f[0], fl[0], BLOCKDEV_MAJOR_MAX, &major) ||
	    ref_digits(f[1], fl[1], BLOCKDEV_MINOR_MAX, &minor) ||
	    ref_digits(f[2], fl[2], UINT64_MAX / 2, &blocks) || !ref_name_ok(f[3], fl[3]))
		return false;
	memset(e, 0, sizeof(*e));
	e->dev = e->disk_dev = (uint32_t)(major << 20 | minor);
	e->sectors = blocks * 2;
	memcpy(e->name, f[3], fl[3]);
	return true;
}

static size_t ref_proc(const uint8_t *text, size_t len, struct blockdev_entry *out, size_t max)
{
	struct fuzz_cursor c = { text, text + len };
	const uint8_t *line;
	size_t n = 0, l;

	while (n < max && fuzz_next(&c, '\n', &line, &l))
		if (ref_proc_line((const char *)line, l, &out[n]))
			n++;
	return n;
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

static bool same_entry(const struct blockdev_entry *a, const struct blockdev_entry *b)
{
	return a->dev == b->dev && a->disk_dev == b->disk_dev && a->start == b->start &&
	       a->sectors == b->sectors && a->partition == b->partition && !strcmp(a->name, b->name);
}

static const char *show_entry(const struct blockdev_entry *e)
{
	static char buf[2][256];
	static int slot;
	char *b = buf[slot++ & 1];

	snprintf(b, sizeof(buf[0]), "{%s dev %u:%u disk %u:%u %s start %" PRIu64 " sectors %" PRIu64 "}",
		 SHOW(e->name), blockdev_major(e->dev), blockdev_minor(e->dev),
		 blockdev_major(e->disk_dev), blockdev_minor(e->disk_dev),
		 e->partition ? "part" : "disk", e->start, e->sectors);
	return b;
}

/* ---- the model: input -> nodes ---------------------------------------------------------- */

static bool comp_ok(const uint8_t *s, size_t len)
{
	return len && len <= COMP_MAX && !memchr(s, '/', len) && !memchr(s, '\0', len) &&
	       !(len == 1 && s[0] == '.') && !(len == 2 && s[0] == '.' && s[1] == '.');
}

/* "a", "a/b" (and with attr: "a/x", "a/b/x") into components. */
static int split_path(const uint8_t *s, size_t len, char comps[3][COMP_MAX + 1], int max)
{
	int n = 0;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		if (n == max || !comp_ok(s + start, i - start))
			return -1;
		memcpy(comps[n], s + start, i - start);
		comps[n][i - start] = '\0';
		n++;
		start = i + 1;
	}
	return n;
}

static void parse_model(const uint8_t *data, size_t size, struct model *m)
{
	const uint8_t *p = data, *end = data + size;

	memset(m, 0, sizeof(*m));
	/* anything before the first '@' line is ignored */
	while (p < end && *p != '@') {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *spec = p + 1, *content = nl ? nl + 1 : end, *q = content;
		size_t spec_len = (size_t)((nl ? nl : end) - spec), content_len;
		char comps[3][COMP_MAX + 1];

		/* content: up to the next line starting with '@' */
		while (q < end && !(*q == '@' && (q == content || q[-1] == '\n')))
			q++;
		content_len = (size_t)(q - content);
		p = q;

		if (spec_len == 5 && !memcmp(spec, "nosys", 5)) {
			m->nosys = true;
		} else if (spec_len == 15 && !memcmp(spec, "proc/partitions", 15)) {
			m->proc = content;
			m->proc_len = content_len;
			m->has_proc = true;
		} else if (spec_len > 5 && !memcmp(spec, "find ", 5)) {
			if (m->n_finds < MAX_QUERIES && spec_len - 5 <= COMP_MAX + 6 &&
			    !memchr(spec + 5, '\0', spec_len - 5)) {
				memcpy(m->finds[m->n_finds], spec + 5, spec_len - 5);
				m->finds[m->n_finds++][spec_len - 5] = '\0';
			}
		} else if (spec_len > 8 && !memcmp(spec, "resolve ", 8)) {
			char buf[64];
			unsigned maj, min;
			unsigned long long sector;

			if (m->n_resolves < MAX_QUERIES && spec_len - 8 < sizeof(buf)) {
				memcpy(buf, spec + 8, spec_len - 8);
				buf[spec_len - 8] = '\0';
				if (sscanf(buf, "%u:%u %llu", &maj, &min, &sector) == 3) {
					m->resolves[m->n_resolves].dev = maj << 20 | (min & 0xfffff);
					m->resolves[m->n_resolves++].sector = sector;
				}
			}
		} else if (spec_len > 5 && !memcmp(spec, "link ", 5)) {
			const uint8_t *name = spec + 5, *sp = memchr(name, ' ', spec_len - 5);
			struct link *l = &m->links[m->n_links];

			if (sp && m->n_links < sizeof(m->links) / sizeof(m->links[0]) &&
			    comp_ok(name, (size_t)(sp - name))) {
				char c[3][COMP_MAX + 1];
				int depth = split_path(sp + 1, (size_t)(spec + spec_len - sp - 1), c, 2);

				if (depth > 0) {
					memcpy(l->name, name, (size_t)(sp - name));
					l->name[sp - name] = '\0';
					memcpy(l->dir, c, sizeof(l->dir));
					l->depth = depth;
					m->n_links++;
				}
			}
		} else if (m->n_nodes < MAX_NODES && spec_len) {
			struct node *n = &m->nodes[m->n_nodes];
			int depth;

			n->kind = FILE_NODE;
			if (spec[spec_len - 1] == '/')
				n->kind = DIR_NODE, spec_len--;
			else if (spec[spec_len - 1] == '|')
				n->kind = FIFO_NODE, spec_len--;
			depth = split_path(spec, spec_len, comps, 3);
			if (depth >= 2) {
				n->depth = depth - 1;
				memcpy(n->dir[0], comps[0], sizeof(comps[0]));
				if (n->depth == 2)
					memcpy(n->dir[1], comps[1], sizeof(comps[1]));
				memcpy(n->attr, comps[depth - 1], sizeof(comps[0]));
				n->content = content;
				n->len = content_len;
				m->n_nodes++;
			}
		}
	}
}

/* ---- building the tree ------------------------------------------------------------------ */

static void path_of(char *buf, size_t size, const char (*dir)[COMP_MAX + 1], int depth,
		    const char *attr)
{
	int n = snprintf(buf, size, "%s/sys/devices/%s", root, dir[0]);

	if (depth == 2)
		n += snprintf(buf + n, size - (size_t)n, "/%s", dir[1]);
	if (attr)
		snprintf(buf + n, size - (size_t)n, "/%s", attr);
}

static void mkdirs(const char *path)
{
	char tmp[1024];

	if (mkdir(path, 0755) == 0 || errno != ENOENT)
		return;
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0755);
}

/* O_NONBLOCK: a path the input made a FIFO earlier stays one (the reference model says so),
 * and a blocking open for writing would wait forever for a reader. */
static void put_file(const char *path, const uint8_t *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0644);
	struct stat st;

	if (fd < 0)
		return; /* e.g. the path is a directory, or a FIFO no one reads */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		ssize_t n = write(fd, content, len);

		(void)n; /* (a short file is still a tree to judge: the model reads it back) */
	}
	close(fd);
}

static void add_link(struct model *m, const char *name, const char (*dir)[COMP_MAX + 1], int depth)
{
	char target[256], path[1024];

	snprintf(target, sizeof(target), "../../devices/%s%s%s", dir[0], depth == 2 ? "/" : "",
		 depth == 2 ? dir[1] : "");
	snprintf(path, sizeof(path), "%s/sys/class/block/%s", root, name);
	symlink(target, path); /* EEXIST: the first one stays */
}

static void build_tree(struct model *m)
{
	char path[1024];

	mkdir(root, 0755);
	if (!m->nosys) {
		snprintf(path, sizeof(path), "%s/sys/class/block", root);
		mkdirs(path);
	}
	snprintf(path, sizeof(path), "%s/sys/devices", root);
	mkdirs(path);
	for (size_t i = 0; i < m->n_nodes; i++) {
		struct node *n = &m->nodes[i];
		char dirpath[1024];

		path_of(dirpath, sizeof(dirpath), n->dir, n->depth, NULL);
		mkdirs(dirpath);
		path_of(path, sizeof(path), n->dir, n->depth, n->attr);
		if (n->kind == DIR_NODE)
			mkdir(path, 0755);
		else if (n->kind == FIFO_NODE)
			mkfifo(path, 0644);
		else
			put_file(path, n->content, n->len);
	}
	if (!m->nosys) {
		for (size_t i = 0; i < m->n_links; i++)
			add_link(m, m->links[i].name, m->links[i].dir, m->links[i].depth);
		for (size_t i = 0; i < m->n_nodes; i++)
			add_link(m, m->nodes[i].dir[m->nodes[i].depth - 1], m->nodes[i].dir,
				 m->nodes[i].depth);
	}
	if (m->has_proc) {
		snprintf(path, sizeof(path), "%s/proc", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/proc/partitions", root);
		put_file(path, m->proc, m->proc_len);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void remove_tree(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the reference table for a sysfs tree ------------------------------------------------ */

/* The regular file DIR/ATTR as the model declares it: its content if it is a regular file the
 * product may read (shorter than ATTR_LIMIT), else NULL. The last declaration of a path wins,
 * as the later fopen() overwrote the earlier one; a path first made a directory or FIFO stays
 * that. */
static const struct node *attr_file(const struct model *m, const char (*dir)[COMP_MAX + 1],
				    int depth, const char *attr, bool *exists)
{
	const struct node *found = NULL;

	*exists = false;
	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct node *n = &m->nodes[i];

		if (n->depth != depth || strcmp(n->attr, attr) || strcmp(n->dir[0], dir[0]) ||
		    (depth == 2 && strcmp(n->dir[1], dir[1])))
			continue;
		if (!found || found->kind == FILE_NODE)
			found = n;
	}
	/* a node's directory may double as another node's attribute ("a/b" and "a/b/x") */
	for (size_t i = 0; i < m->n_nodes && depth == 1; i++)
		if (m->nodes[i].depth == 2 && !strcmp(m->nodes[i].dir[0], dir[0]) &&
		    !strcmp(m->nodes[i].dir[1], attr))
			return NULL; /* a directory, or a file that failed to replace it */
	if (!found)
		return NULL;
	*exists = true;
	if (found->kind != FILE_NODE || found->len >= ATTR_LIMIT)
		return NULL;
	return found;
}

static bool dir_exists(const struct model *m, const char (*dir)[COMP_MAX + 1], int depth)
{
	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct node *n = &m->nodes[i];

		if (strcmp(n->dir[0], dir[0]))
			continue;
		if (depth == 1 || (n->depth == 2 && !strcmp(n->dir[1], dir[1])))
			return true;
		/* "a/x" declared as a directory attribute of a, used as a device dir a/x */
		if (depth == 2 && n->depth == 1 && !strcmp(n->attr, dir[1]) && n->kind == DIR_NODE)
			return true;
	}
	return false;
}

/* Whether our model can predict this tree: ambiguous shapes (a name used both as a file
 * and a directory, a device dir that is also an attribute) are skipped by the differential
 * check, not by the structural ones. */
static bool model_simple(const struct model *m)
{
	for (size_t i = 0; i < m->n_nodes; i++)
		for (size_t j = 0; j < m->n_nodes; j++) {
			const struct node *a = &m->nodes[i], *b = &m->nodes[j];

			if (a->depth == 1 && b->depth == 2 && !strcmp(a->dir[0], b->dir[0]) &&
			    !strcmp(a->attr, b->dir[1]))
				return false;
			if (i != j && a->depth == b->depth && !strcmp(a->attr, b->attr) &&
			    !strcmp(a->dir[0], b->dir[0]) &&
			    (a->depth == 1 || !strcmp(a->dir[1], b->dir[1])) && a->kind != b->kind)
				return false;
		}
	/* "dev" as a top-level device directory would be the parent's "../dev" of every
	 * top-level device */
	for (size_t i = 0; i < m->n_nodes; i++)
		if (!strcmp(m->nodes[i].dir[0], "dev"))
			return false;
	return true;
}

static bool read_devnum(const struct model *m, const char (*dir)[COMP_MAX + 1], int depth,
			const char *attr, uint32_t *dev)
{
	bool exists;
	const struct node *n = attr_file(m, dir, depth, attr, &exists);

	return n && ref_devnum((const char *)n->content, n->len, dev) == 0;
}

static bool read_u64(const struct model *m, const char (*dir)[COMP_MAX + 1], int depth,
		     const char *attr, uint64_t *v)
{
	bool exists;
	const struct node *n = attr_file(m, dir, depth, attr, &exists);

	return n && ref_u64((const char *)n->content, n->len, v) == 0;
}

/* scan_one as documented: dev must parse; a "partition" file that reads makes a partition,
 * which needs partno > 0, the parent's dev (different) and start; size is optional. */
static size_t ref_sysfs(const struct model *m, struct blockdev_entry *out, size_t max)
{
	struct link all[MAX_NODES * 3];
	size_t n_all = 0, n = 0;

	/* class/block entries: explicit links first (they were created first), then one per
	 * device dir; the first of a name wins */
	for (size_t i = 0; i < m->n_links; i++)
		all[n_all++] = m->links[i];
	for (size_t i = 0; i < m->n_nodes; i++) {
		struct link l = { .depth = m->nodes[i].depth };

		memcpy(l.dir, m->nodes[i].dir, sizeof(l.dir));
		strcpy(l.name, m->nodes[i].dir[m->nodes[i].depth - 1]);
		all[n_all++] = l;
	}
	for (size_t i = 0; i < n_all && n < max; i++) {
		const struct link *l = &all[i];
		const char(*dir)[COMP_MAX + 1] = l->dir;
		struct blockdev_entry e = { 0 };
		bool dup = false, exists;
		const struct node *part;
		uint64_t partno;

		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(all[j].name, l->name);
		if (dup || !ref_name_ok(l->name, strlen(l->name)) || !dir_exists(m, dir, l->depth))
			continue;
		if (!read_devnum(m, dir, l->depth, "dev", &e.dev))
			continue;
		e.disk_dev = e.dev;
		part = attr_file(m, dir, l->depth, "partition", &exists);
		if (part) {
			if (ref_u64((const char *)part->content, part->len, &partno) || partno == 0)
				continue;
			e.partition = true;
			if (l->depth == 1 || !read_devnum(m, dir, 1, "dev", &e.disk_dev) ||
			    e.disk_dev == e.dev)
				continue;
			if (!read_u64(m, dir, l->depth, "start", &e.start))
				continue;
		}
		if (!read_u64(m, dir, l->depth, "size", &e.sectors))
			e.sectors = 0;
		strcpy(e.name, l->name);
		out[n++] = e;
	}
	return n;
}

/* Sort and drop partitions whose disk is unknown, as the table must be. */
static size_t ref_finish(struct blockdev_entry *v, size_t n)
{
	size_t kept = 0;

	qsort(v, n, sizeof(v[0]), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		bool disk = !v[i].partition;

		for (size_t j = 0; j < n && !disk; j++)
			disk = !v[j].partition && v[j].disk_dev == v[i].disk_dev;
		if (disk)
			v[kept++] = v[i];
	}
	return kept;
}

/* ---- checks on the product's table ------------------------------------------------------ */

static void check_table(const struct blockdev_table *t)
{
	size_t longest_disk = 0, longest_part = 0;

	CHECK(t->count <= BLOCKDEV_MAX_ENTRIES, "count %zu", t->count);
	for (size_t i = 0; i < t->count; i++) {
		const struct blockdev_entry *e = &t->entries[i];
		size_t len = strnlen(e->name, sizeof(e->name));
		bool disk_found = false;

		CHECK(len < sizeof(e->name), "entry %zu: name not NUL-terminated", i);
		CHECK(ref_name_ok(e->name, len), "entry %zu: bad name %s", i, show_entry(e));
		if (i)
			CHECK(entry_cmp(&t->entries[i - 1], e) <= 0, "entries %zu and %zu out of order: %s %s",
			      i - 1, i, show_entry(&t->entries[i - 1]), show_entry(e));
		if (!e->partition) {
			CHECK(e->dev == e->disk_dev && e->start == 0, "disk %s", show_entry(e));
			if (len > longest_disk)
				longest_disk = len;
			continue;
		}
		CHECK(!t->from_proc, "a partition from /proc/partitions: %s", show_entry(e));
		CHECK(e->dev != e->disk_dev, "partition is its own disk: %s", show_entry(e));
		for (size_t j = 0; j < t->count && !disk_found; j++)
			disk_found = !t->entries[j].partition && t->entries[j].disk_dev == e->disk_dev;
		CHECK(disk_found, "orphan partition kept: %s", show_entry(e));
		if (len > longest_part)
			longest_part = len;
	}
	CHECK(t->longest_disk_name >= longest_disk && t->longest_part_name >= longest_part,
	      "longest names %zu/%zu below %zu/%zu", t->longest_disk_name, t->longest_part_name,
	      longest_disk, longest_part);
}

static void check_find(const struct blockdev_table *t, const char *name)
{
	struct blockdev_range r;
	const struct blockdev_entry *first = NULL;
	const char *bare = strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
	int err;

	for (size_t i = 0; i < t->count && !first; i++)
		if (!strcmp(t->entries[i].name, bare))
			first = &t->entries[i];
	memset(&r, 0xa5, sizeof(r));
	err = blockdev_find(t, name, &r);
	if (!first) {
		CHECK(err == -ENOENT, "blockdev_find(\"%s\") = %d for an unknown name", SHOW(name), err);
		return;
	}
	if (first->partition && first->sectors == 0) {
		CHECK(err == -ERANGE, "blockdev_find(\"%s\") = %d for a sizeless partition", SHOW(name),
		      err);
		return;
	}
	CHECK(err == 0, "blockdev_find(\"%s\") = %d", SHOW(name), err);
	CHECK(r.disk_dev == first->disk_dev && r.partition == first->partition,
	      "blockdev_find(\"%s\"): disk %u:%u, entry %s", SHOW(name), blockdev_major(r.disk_dev),
	      blockdev_minor(r.disk_dev), show_entry(first));
	if (first->partition)
		CHECK(r.start == first->start && r.end >= r.start &&
			      (r.end == first->start + first->sectors ||
			       (r.end == UINT64_MAX && first->start + first->sectors < first->start)),
		      "blockdev_find(\"%s\"): range %" PRIu64 "..%" PRIu64 " for %s", SHOW(name), r.start,
		      r.end, show_entry(first));
	else
		CHECK(r.start == 0 && r.end == 0, "whole disk with a range");
}

static void check_resolve(struct blockdev_table *t, uint32_t dev, uint64_t sector, uint64_t now)
{
	struct blockdev_hit hit;
	const struct blockdev_entry *disk = NULL, *part = NULL;
	bool overlap = false;

	memset(&hit, 0xa5, sizeof(hit));
	blockdev_resolve(t, dev, sector, now, &hit);
	for (size_t i = 0; i < t->count && !disk; i++)
		if (!t->entries[i].partition && t->entries[i].disk_dev == dev)
			disk = &t->entries[i];
	CHECK(hit.disk != NULL, "resolve: disk NULL");
	CHECK(hit.known == (disk != NULL), "resolve %u:%u: known %d", blockdev_major(dev),
	      blockdev_minor(dev), hit.known);
	if (!disk) {
		char want[24];

		snprintf(want, sizeof(want), "%u:%u", blockdev_major(dev), blockdev_minor(dev));
		CHECK(hit.disk == hit.unknown && !strcmp(hit.unknown, want) && !hit.partition,
		      "resolve of unknown %s gave \"%s\"", want, SHOW(hit.disk));
		return;
	}
	CHECK(!strcmp(hit.disk, disk->name), "resolve %u:%u: disk \"%s\", expected %s",
	      blockdev_major(dev), blockdev_minor(dev), SHOW(hit.disk), show_entry(disk));
	/* soundness: a named partition belongs to the disk and holds the sector */
	if (hit.partition) {
		bool ok = false;

		for (size_t i = 0; i < t->count && !ok; i++) {
			const struct blockdev_entry *e = &t->entries[i];

			ok = e->partition && e->disk_dev == dev && e->name == hit.partition &&
			     sector >= e->start && sector - e->start < e->sectors;
		}
		CHECK(ok, "resolve %u:%u sector %" PRIu64 ": partition \"%s\" does not hold it",
		      blockdev_major(dev), blockdev_minor(dev), sector, SHOW(hit.partition));
	}
	/* completeness where partitions do not overlap (the documented assumption) */
	for (size_t i = 0; i < t->count; i++) {
		const struct blockdev_entry *a = &t->entries[i];

		if (!a->partition || a->disk_dev != dev)
			continue;
		if (a->sectors == 0)
			overlap = true;
		if (sector >= a->start && sector - a->start < a->sectors)
			part = a;
		for (size_t j = i + 1; j < t->count; j++) {
			const struct blockdev_entry *b = &t->entries[j];

			if (b->partition && b->disk_dev == dev &&
			    (b->start - a->start < a->sectors || a->start - b->start < b->sectors ||
			     a->start == b->start))
				overlap = true;
		}
	}
	if (!overlap && part)
		CHECK(hit.partition && !strcmp(hit.partition, part->name),
		      "resolve %u:%u sector %" PRIu64 ": \"%s\", expected %s", blockdev_major(dev),
		      blockdev_minor(dev), sector, SHOW(hit.partition), show_entry(part));
}

static void check_list(const struct blockdev_table *t)
{
	char *full, *buf;
	size_t cap = 8, full_len;

	for (size_t i = 0; i < t->count; i++)
		cap += strlen(t->entries[i].name) + 2;
	full = malloc(cap);
	full[0] = '\0';
	for (size_t i = 0; i < t->count; i++) {
		if (i)
			strcat(full, ", ");
		strcat(full, t->entries[i].name);
	}
	full_len = strlen(full);
	for (size_t size = 0; size <= full_len + 8; size += size < 64 ? 1 : 1 + size / 8) {
		size_t len;

		buf = malloc(size ? size : 1);
		memset(buf, 'L', size ? size : 1);
		blockdev_list(t, size ? buf : buf + 1, size);
		if (!size) {
			free(buf);
			continue;
		}
		CHECK(memchr(buf, '\0', size), "blockdev_list(size %zu): no NUL", size);
		len = strlen(buf);
		if (!strcmp(buf, full)) {
			free(buf);
			continue;
		}
		/* room for every name (and for ", ..." which is reserved until the last one) */
		CHECK(size <= full_len + 5, "blockdev_list(size %zu) = \"%s\", expected \"%s\"", size,
		      SHOW(buf), SHOW(full));
		/* else whole names, then ", ..." (or "..." alone), cut to the buffer */
		bool cut = false;

		for (size_t k = 0; k <= full_len && !cut; k++) {
			char want[4096];

			if (k && (k == full_len || full[k] != ','))
				continue;
			snprintf(want, sizeof(want), "%.*s%s...", (int)k, full, k ? ", " : "");
			want[size - 1 < sizeof(want) - 1 ? size - 1 : sizeof(want) - 1] = '\0';
			cut = !strcmp(buf, want);
		}
		CHECK(cut || len == 0, "blockdev_list(size %zu) = \"%s\" is not a cut of \"%s\"", size,
		      SHOW(buf), SHOW(full));
		free(buf);
	}
	free(full);
}

/* ---- the parsers alone ------------------------------------------------------------------ */

static void check_parsers(const uint8_t *data, size_t len)
{
	char *s = fuzz_memdup(data, len);
	uint32_t dev = 0, want_dev = 0;
	uint64_t v = 0, want_v = 0;
	int err, want;

	err = blockdev_parse_devnum(s, len, &dev);
	want = ref_devnum(s, len, &want_dev);
	CHECK(err == want && (err || dev == want_dev), "blockdev_parse_devnum(\"%s\") = %d (%u:%u), expected %d",
	      fuzz_show(s, len), err, blockdev_major(dev), blockdev_minor(dev), want);
	err = blockdev_parse_u64(s, len, &v);
	want = ref_u64(s, len, &want_v);
	CHECK(err == want && (err || v == want_v), "blockdev_parse_u64(\"%s\") = %d, expected %d",
	      fuzz_show(s, len), err, want);
	CHECK(blockdev_name_ok(s, len) == ref_name_ok(s, len), "blockdev_name_ok(\"%s\")",
	      fuzz_show(s, len));
	free(s);
}

static void check_proc_parser(const uint8_t *data, size_t len, size_t max)
{
	char *s = fuzz_memdup(data, len);
	struct blockdev_entry *got = calloc(max ? max : 1, sizeof(*got));
	struct blockdev_entry *want = calloc(max ? max : 1, sizeof(*want));
	size_t n = blockdev_parse_proc_partitions(s, len, got, max);
	size_t wn = ref_proc(data, len, want, max);

	CHECK(n == wn, "blockdev_parse_proc_partitions: %zu entries, expected %zu", n, wn);
	for (size_t i = 0; i < n; i++)
		CHECK(same_entry(&got[i], &want[i]), "proc entry %zu: %s, expected %s", i,
		      show_entry(&got[i]), show_entry(&want[i]));
	free(s);
	free(got);
	free(want);
}

static struct model model;
static struct blockdev_entry want_entries[MAX_NODES * 3 + 4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blockdev_table t;
	size_t want_n = 0;
	bool predictable;
	int err;

	if (size > 8192)
		return 0;
	parse_model(data, size, &model);
	for (size_t i = 0; i < model.n_nodes; i++)
		check_parsers(model.nodes[i].content, model.nodes[i].len);
	if (model.has_proc) {
		check_proc_parser(model.proc, model.proc_len, 1100);
		check_proc_parser(model.proc, model.proc_len, size % 3);
	}
	if (!model.n_nodes && !model.has_proc) /* no tree: the whole input to the parsers */
		check_parsers(data, size);

	build_tree(&model);
	err = blockdev_init(&t, root, NOW);
	predictable = model_simple(&model);
	if (model.nosys) {
		if (!model.has_proc) {
			CHECK(err == -ENOENT, "blockdev_init without sysfs and /proc: %d", err);
			goto out;
		}
		CHECK(err == 0, "blockdev_init (proc): %d", err);
		CHECK(t.from_proc, "sysfs missing but not from_proc");
		want_n = ref_proc(model.proc, model.proc_len, want_entries,
				  sizeof(want_entries) / sizeof(want_entries[0]));
	} else {
		CHECK(err == 0, "blockdev_init (sysfs): %d", err);
		CHECK(!t.from_proc, "sysfs present but from_proc");
		want_n = ref_sysfs(&model, want_entries, MAX_NODES * 3);
	}
	want_n = ref_finish(want_entries, want_n);
	if (getenv("FUZZ_BLOCKDEV_DEBUG")) { /* replaying one input: show what was read */
		fprintf(fuzz_report(), "blockdev: %zu entries (%s), model %zu%s\n", t.count,
			t.from_proc ? "proc" : "sysfs", want_n, predictable ? "" : " (not predictable)");
		for (size_t i = 0; i < t.count; i++)
			fprintf(fuzz_report(), "  %s\n", show_entry(&t.entries[i]));
	}
	check_table(&t);
	if (predictable) {
		CHECK(t.count == want_n, "%zu entries, the model predicts %zu%s%s", t.count, want_n,
		      want_n ? "; first expected " : "", want_n ? show_entry(&want_entries[0]) : "");
		for (size_t i = 0; i < want_n; i++)
			CHECK(same_entry(&t.entries[i], &want_entries[i]), "entry %zu: %s, expected %s", i,
			      show_entry(&t.entries[i]), show_entry(&want_entries[i]));
	}

	for (size_t i = 0; i < t.count; i++) {
		char name[64];
		struct blockdev_range r;
		const struct blockdev_entry *e = &t.entries[i];

		check_find(&t, e->name);
		snprintf(name, sizeof(name), "/dev/%s", e->name);
		check_find(&t, name);
		CHECK(blockdev_find_devnum(&t, e->dev, &r) != -ENOENT, "find_devnum(%s)", show_entry(e));
		check_resolve(&t, e->disk_dev, e->start, NOW);
		if (e->sectors) {
			check_resolve(&t, e->disk_dev, e->start + e->sectors - 1, NOW);
			check_resolve(&t, e->disk_dev, e->start + e->sectors, NOW);
		}
	}
	for (size_t i = 0; i < model.n_finds; i++)
		check_find(&t, model.finds[i]);
	for (size_t i = 0; i < model.n_resolves; i++) {
		/* a miss re-reads the tree (a later clock), which still gives the same table */
		check_resolve(&t, model.resolves[i].dev, model.resolves[i].sector, NOW + i * SEC);
		check_table(&t);
	}
	check_list(&t);

	/* the tree vanishes: a refresh fails and the old table stays */
	if (t.count) {
		struct blockdev_table before = t;
		struct blockdev_hit hit;

		remove_tree();
		blockdev_resolve(&t, UINT32_MAX - 7, 0, NOW + 100 * SEC, &hit);
		CHECK(t.count == before.count && t.entries == before.entries,
		      "a failed refresh changed the table");
		check_table(&t);
	}
	blockdev_free(&t);
out:
	remove_tree();
	return 0;
}
