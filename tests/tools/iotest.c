/* SPDX-License-Identifier: GPL-2.0-only */
/* iotest: known I/O for the live and VM tests. Direct I/O of given sizes at given offsets,
 * from a process with a chosen name, so a test can assert every field biosnoop and
 * zfsslower print. Built static: the VM guests have nothing but busybox.
 *
 *   iotest [-n COMM] [-b] OP PATH OFFSET SIZE [OP PATH OFFSET SIZE ...]
 *     OP: write | read (O_DIRECT), bwrite | bread (buffered), fsync, open,
 *         append (buffered O_APPEND write; OFFSET ignored), swrite (buffered O_DSYNC
 *         write: the file system syncs before write returns), zeroout (BLKZEROOUT on a
 *         block device: a write-zeroes request where the device has them), eofread (a read that must
 *         return 0 bytes), failread | failfsync (must fail: prints the errno name;
 *         failfsync prints "opened" and waits for a line on stdin between open and fsync,
 *         so a test can pull the file from under the descriptor)
 *     -n COMM  set the task name first (prctl PR_SET_NAME)
 *     -b       never O_DIRECT (filesystems without it, e.g. ZFS before 2.3)
 * Prints "pid N" first, then one line per operation; exits 0 only if all succeeded.
 *
 *   iotest [-n COMM] -t THREADS -c COUNT bread|bwrite PATH SPAN SIZE
 *     THREADS threads, started together, each doing COUNT buffered preads or pwrites of
 *     SIZE bytes (no fsync) on one shared descriptor, at distinct offsets below SPAN.
 *     Prints "pid N", then "done OPS failed N": its own count of completed operations,
 *     the judge of a tracer's count. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

static int do_op(const char *op, const char *path, long long offset, size_t size, int buffered)
{
	int direct = !buffered && (!strcmp(op, "write") || !strcmp(op, "read"));
	int append = !strcmp(op, "append");
	int dsync = !strcmp(op, "swrite");
	int zeroout = !strcmp(op, "zeroout");
	int writing = !strcmp(op, "write") || !strcmp(op, "bwrite") || append || dsync || zeroout;
	int expect_fail = !strcmp(op, "failread") || !strcmp(op, "failfsync");
	int flags = (writing ? O_WRONLY | (zeroout ? 0 : O_CREAT) : O_RDONLY) | (direct ? O_DIRECT : 0) |
		    (append ? O_APPEND : 0) | (dsync ? O_DSYNC : 0);
	void *buf = NULL;
	ssize_t n = 0;
	int fd, err = 0;

	fd = open(path, flags, 0644);
	if (fd < 0) {
		fprintf(stderr, "iotest: open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!strcmp(op, "open"))
		goto out;
	if (zeroout) {
		uint64_t range[2] = { (uint64_t)offset, size };

		err = ioctl(fd, BLKZEROOUT, range) ? -errno : 0;
		goto out;
	}
	if (!strcmp(op, "fsync") || !strcmp(op, "failfsync")) {
		if (expect_fail) {
			printf("opened %s\n", path);
			fflush(stdout);
			while (getchar() != '\n' && !feof(stdin))
				;
		}
		err = fsync(fd) ? -errno : 0;
		goto out;
	}
	if (posix_memalign(&buf, 4096, size ? size : 4096)) {
		err = -ENOMEM;
		goto out;
	}
	memset(buf, 0x5a, size);
	if (append)
		n = write(fd, buf, size);
	else
		n = writing ? pwrite(fd, buf, size, offset) : pread(fd, buf, size, offset);
	if (n < 0)
		err = -errno;
	else if (!strcmp(op, "eofread") ? n != 0 : (size_t)n != size)
		err = -EIO;
	if (!err && writing && buffered)
		err = fdatasync(fd) ? -errno : 0;
out:
	if (expect_fail) {
		if (!err) {
			fprintf(stderr, "iotest: %s %s succeeded, expected a failure\n", op, path);
			err = -EPROTO;
		} else {
			printf("%s %s %lld %zu %s\n", op, path, offset, size, strerrorname_np(-err));
			err = 0;
		}
	} else if (err)
		fprintf(stderr, "iotest: %s %s at %lld size %zu: %s\n", op, path, offset, size,
			strerror(-err));
	else
		printf("%s %s %lld %zu\n", op, path, offset, size);
	free(buf);
	close(fd);
	return err;
}

struct load {
	int fd, writing;
	long threads, count;
	long long span;
	size_t size;
	pthread_barrier_t go;
	atomic_long done, failed, next_thread;
};

static void *load_thread(void *arg)
{
	struct load *l = arg;
	long t = atomic_fetch_add(&l->next_thread, 1);
	char *buf = malloc(l->size);

	if (buf)
		memset(buf, 0x5a, l->size);
	pthread_barrier_wait(&l->go);
	for (long i = 0; buf && i < l->count; i++) {
		long long offset = (long long)((t * l->count + i) * (long long)l->size % l->span);
		ssize_t n = l->writing ? pwrite(l->fd, buf, l->size, offset)
				       : pread(l->fd, buf, l->size, offset);

		if (n == (ssize_t)l->size)
			atomic_fetch_add(&l->done, 1);
		else
			atomic_fetch_add(&l->failed, 1);
	}
	free(buf);
	return NULL;
}

static int run_load(long threads, long count, const char *op, const char *path,
		    long long span, size_t size)
{
	struct load l = { .threads = threads, .count = count, .span = span, .size = size };
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	long started = 0;

	l.writing = !strcmp(op, "bwrite");
	if (!tids || (!l.writing && strcmp(op, "bread")) || span < (long long)size || !size) {
		fprintf(stderr, "iotest: -t needs bread|bwrite PATH SPAN SIZE with SPAN >= SIZE > 0\n");
		return 2;
	}
	l.fd = open(path, l.writing ? O_WRONLY | O_CREAT : O_RDONLY, 0644);
	if (l.fd < 0) {
		fprintf(stderr, "iotest: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	pthread_barrier_init(&l.go, NULL, (unsigned)threads);
	for (; started < threads; started++)
		if (pthread_create(&tids[started], NULL, load_thread, &l))
			break;
	if (started < threads) { /* the barrier would never open */
		fprintf(stderr, "iotest: only %ld of %ld threads started\n", started, threads);
		return 1;
	}
	for (long i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	close(l.fd);
	printf("done %ld failed %ld\n", (long)l.done, (long)l.failed);
	free(tids);
	return l.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	int opt, buffered = 0, status = 0;
	long threads = 0, count = 1;

	while ((opt = getopt(argc, argv, "n:bt:c:")) != -1) {
		if (opt == 'n')
			prctl(PR_SET_NAME, optarg, 0, 0, 0);
		else if (opt == 'b')
			buffered = 1;
		else if (opt == 't')
			threads = atol(optarg);
		else if (opt == 'c')
			count = atol(optarg);
		else
			return 2;
	}
	if (threads > 0) {
		if (argc - optind != 4 || count < 1)
			return 2;
		printf("pid %d\n", getpid());
		fflush(stdout);
		return run_load(threads, count, argv[optind], argv[optind + 1],
				atoll(argv[optind + 2]), (size_t)atoll(argv[optind + 3]));
	}
	if (optind >= argc || (argc - optind) % 4 != 0) {
		fprintf(stderr, "usage: iotest [-n COMM] [-b] OP PATH OFFSET SIZE ...\n");
		return 2;
	}
	printf("pid %d\n", getpid());
	fflush(stdout);
	for (int i = optind; i < argc; i += 4)
		if (do_op(argv[i], argv[i + 1], atoll(argv[i + 2]), (size_t)atoll(argv[i + 3]), buffered))
			status = 1;
	fflush(stdout);
	return status;
}
