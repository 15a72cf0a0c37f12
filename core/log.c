/* SPDX-License-Identifier: GPL-2.0-only */
#include "log.h"

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdio.h>
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
 * relocation or attach error), earlier ones are context. */
static void capture_line(const char *fmt, va_list ap)
{
	char line[512];
	size_t used = strlen(captured), len;

	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (used + len + 1 > sizeof(captured)) {
		size_t drop = used + len + 1 - sizeof(captured);

		if (drop > used)
			drop = used;
		memmove(captured, captured + drop, used - drop + 1);
		used -= drop;
	}
	memcpy(captured + used, line, len + 1 <= sizeof(captured) - used ? len + 1 : 0);
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
