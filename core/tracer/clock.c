/* SPDX-License-Identifier: GPL-2.0-only */
/* Wall-clock text for every printer: one calendar conversion per second and kind, since
 * events come many per second and localtime_r takes a lock and reads the zone. */
#include "tracer/tracer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000ULL

/* (a failed conversion shows midnight 1970 rather than garbage; the % bounds the widths) */
static void calendar(int64_t sec, bool local, struct tm *tm)
{
	time_t t = (time_t)sec;

	if (!(local ? localtime_r(&t, tm) : gmtime_r(&t, tm)))
		memset(tm, 0, sizeof(*tm));
}

const char *clock_local_hms(struct clock_text *c, uint64_t real_ns)
{
	int64_t sec = (int64_t)(real_ns / NSEC_PER_SEC);
	struct tm tm;

	if (sec != c->local_sec || !c->local[0]) {
		calendar(sec, true, &tm);
		snprintf(c->local, sizeof(c->local), "%02d:%02d:%02d", tm.tm_hour % 100,
			 tm.tm_min % 100, tm.tm_sec % 100);
		c->local_sec = sec;
	}
	return c->local;
}

/* text, then "." and exactly six digits of microseconds: the length written */
static size_t with_usec(char *buf, const char *text, uint64_t real_ns)
{
	size_t n = strlen(text);
	uint32_t usec = (uint32_t)(real_ns % NSEC_PER_SEC / 1000);

	memcpy(buf, text, n);
	buf[n++] = '.';
	for (int i = 5; i >= 0; i--, usec /= 10)
		buf[n + (size_t)i] = (char)('0' + usec % 10);
	return n + 6;
}

size_t clock_local_hms_usec(struct clock_text *c, char *buf, uint64_t real_ns)
{
	return with_usec(buf, clock_local_hms(c, real_ns), real_ns);
}

size_t clock_utc_iso(struct clock_text *c, char *buf, uint64_t real_ns)
{
	int64_t sec = (int64_t)(real_ns / NSEC_PER_SEC);
	struct tm tm;
	size_t n;

	if (sec != c->utc_sec || !c->utc[0]) {
		calendar(sec, false, &tm);
		snprintf(c->utc, sizeof(c->utc), "%04d-%02d-%02dT%02d:%02d:%02d",
			 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
			 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
		c->utc_sec = sec;
	}
	n = with_usec(buf, c->utc, real_ns);
	buf[n++] = 'Z';
	return n;
}
