/* SPDX-License-Identifier: GPL-2.0-only */
#include "util/util.h"

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int log_verbosity;
const char *log_progname = "iotrace";

static bool capturing;
static char captured[1024];

static void log_vline(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", log_progname, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define DEFINE_LOGGER(fn, tag, min_verbosity)                                                      \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		if (log_verbosity < (min_verbosity))                                               \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		log_vline(tag, fmt, ap);                                                           \
		va_end(ap);                                                                        \
	}

DEFINE_LOGGER(log_error, "error: ", 0)
DEFINE_LOGGER(log_warn, "warning: ", 0)
DEFINE_LOGGER(log_info, "", 1)
DEFINE_LOGGER(log_debug, "debug: ", 2)

/* Keep the tail of libbpf's warnings: the last lines name the real cause (verifier,
 * relocation or attach error), earlier ones are context. A verifier log arrives as one
 * message of any length, so each message is formatted whole and only its end kept. */
static void capture_line(const char *fmt, va_list ap)
{
	size_t used = strlen(captured), len, keep = sizeof(captured) - 1;
	va_list again;
	char *line;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	line = n > 0 ? malloc((size_t)n + 1) : NULL;
	if (line)
		vsnprintf(line, (size_t)n + 1, fmt, again);
	va_end(again);
	if (!line)
		return;
	len = (size_t)n;
	if (len > keep) {
		memmove(line, line + len - keep, keep + 1);
		len = keep;
	}
	if (used + len > keep) {
		size_t drop = used + len - keep;

		memmove(captured, captured + drop, used - drop + 1);
		used -= drop;
	}
	memcpy(captured + used, line, len + 1);
	free(line);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_verbosity < 2)
		return 0;
	if (capturing && level == LIBBPF_WARN) {
		va_list copy;

		va_copy(copy, ap);
		capture_line(fmt, copy);
		va_end(copy);
	}
	if (log_verbosity < 1)
		return 0;
	fprintf(stderr, "%s: libbpf: ", log_progname);
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

void log_libbpf_capture_begin(void)
{
	captured[0] = '\0';
	capturing = true;
}

const char *log_libbpf_capture_end(void)
{
	capturing = false;
	return captured;
}
