/* SPDX-License-Identifier: GPL-2.0-only */
/* Run dispatch_main() in-process with stdout and stderr captured. */
#ifndef IOTRACE_TEST_CAPTURE_H
#define IOTRACE_TEST_CAPTURE_H

#include "cli/cli.h"

#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct captured {
	int status;
	char out[65536];
	char err[8192];
};

static void slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
}

/* argv is copied: dispatch and argp may rewrite argv[0]. */
static inline void run_captured(struct captured *c, int argc, const char *const *argv)
{
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out = dup(1), saved_err = dup(2);
	char *copy[32], *owned[32];

	for (int i = 0; i < argc && i < 31; i++)
		copy[i] = owned[i] = strdup(argv[i]);
	copy[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	c->status = dispatch_main(argc, copy);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	slurp(out, c->out, sizeof(c->out));
	slurp(err, c->err, sizeof(c->err));
	fclose(out);
	fclose(err);
	for (int i = 0; i < argc && i < 31; i++)
		free(owned[i]);
}

#define RUN(c, ...)                                                                                \
	do {                                                                                       \
		const char *const args_[] = { __VA_ARGS__ };                                       \
		run_captured((c), (int)(sizeof(args_) / sizeof(args_[0])), args_);                 \
	} while (0)

static inline int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A cmocka setup for tests of command lines: nothing they run may load BPF, so that a
 * command line wrongly accepted stops at the privilege check (exit 1) instead. */
static inline int drop_tracing_caps(void **state)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	const uint64_t drop = 1ULL << CAP_SYS_ADMIN | 1ULL << 38 /* PERFMON */ | 1ULL << 39 /* BPF */;

	(void)state;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(uint32_t)drop;
	data[1].effective &= ~(uint32_t)(drop >> 32);
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

#endif
