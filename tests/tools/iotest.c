/* SPDX-License-Identifier: GPL-2.0-only */
/* iotest: known I/O for the live and VM tests. Direct I/O of given sizes at given offsets,
 * from a process with a chosen name, so a test can assert every field biosnoop and
 * zfsslower print. Built static: the VM guests have nothing but busybox.
 *
 *   iotest [-n COMM] [-b] OP PATH OFFSET SIZE [OP PATH OFFSET SIZE ...]
 *     OP: write | read (O_DIRECT), bwrite | bread (buffered), fsync, open
 *     -n COMM  set the task name first (prctl PR_SET_NAME)
 *     -b       never O_DIRECT (filesystems without it, e.g. ZFS before 2.3)
 * Prints "pid N" first, then one line per operation; exits 0 only if all succeeded. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int do_op(const char *op, const char *path, long long offset, size_t size, int buffered)
{
	int direct = !buffered && (!strcmp(op, "write") || !strcmp(op, "read"));
	int writing = !strcmp(op, "write") || !strcmp(op, "bwrite");
	int flags = (writing ? O_WRONLY | O_CREAT : O_RDONLY) | (direct ? O_DIRECT : 0);
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
	if (!strcmp(op, "fsync")) {
		err = fsync(fd) ? -errno : 0;
		goto out;
	}
	if (posix_memalign(&buf, 4096, size ? size : 4096)) {
		err = -ENOMEM;
		goto out;
	}
	memset(buf, 0x5a, size);
	n = writing ? pwrite(fd, buf, size, offset) : pread(fd, buf, size, offset);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != size)
		err = -EIO;
	if (!err && writing && buffered)
		err = fdatasync(fd) ? -errno : 0;
out:
	if (err)
		fprintf(stderr, "iotest: %s %s at %lld size %zu: %s\n", op, path, offset, size,
			strerror(-err));
	else
		printf("%s %s %lld %zu\n", op, path, offset, size);
	free(buf);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	int opt, buffered = 0, status = 0;

	while ((opt = getopt(argc, argv, "n:b")) != -1) {
		if (opt == 'n')
			prctl(PR_SET_NAME, optarg, 0, 0, 0);
		else if (opt == 'b')
			buffered = 1;
		else
			return 2;
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
