/* SPDX-License-Identifier: GPL-2.0-only */
/* fsslower's printer with made-up events: the error column in every format, and JSON
 * time_ns before the start instant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fsslower/fsslower_print.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define START_MONO 1000000000000ULL       /* an arbitrary boot-relative instant */
#define START_REAL 1700000000000000000ULL /* 2023-11-14T22:13:20Z */
#define MS 1000000ULL

static struct outbuf out; /* never flushed: the test reads out.data */

static const char *print(enum output_format format, const struct fsslower_event *e)
{
	struct fsslower_print_opts p = {
		.format = format, .start = { .mono_ns = START_MONO, .real_ns = START_REAL }
	};

	outbuf_init(&out, -1);
	fsslower_print_event(&p, &out, e);
	out.data[out.len] = '\0';
	return out.data;
}

static struct fsslower_event event(int64_t at_ms, char op, long long bytes, long long offset,
				    int error)
{
	struct fsslower_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = START_MONO + (uint64_t)(at_ms * (int64_t)MS);
	e.lat_ns = 12 * MS + 345678;
	e.offset = offset;
	e.bytes = bytes;
	e.pid = 4242;
	e.op = (unsigned)op;
	e.error = error;
	memcpy(e.comm, "fio", 3);
	memcpy(e.name, "data", 4);
	return e;
}

static void errno_names(void **state)
{
	char buf[16];

	assert_string_equal(fsslower_errno_name(EIO, buf, sizeof(buf)), "EIO");
	assert_string_equal(fsslower_errno_name(ENOSPC, buf, sizeof(buf)), "ENOSPC");
	assert_string_equal(fsslower_errno_name(EDQUOT, buf, sizeof(buf)), "EDQUOT");
	assert_string_equal(fsslower_errno_name(512, buf, sizeof(buf)), "ERESTARTSYS");
	assert_string_equal(fsslower_errno_name(524, buf, sizeof(buf)), "ENOTSUPP");
	assert_string_equal(fsslower_errno_name(4000, buf, sizeof(buf)), "4000");
}

static void table_error_column(void **state)
{
	struct fsslower_event ok = event(5, 'R', 8192, 1 << 20, 0);
	struct fsslower_event eio = event(5, 'R', 0, 1 << 20, EIO);

	/* LAT(ms), then ERR, then the name: the columns before stay where they were */
	assert_non_null(strstr(print(FORMAT_TABLE, &ok), " 4242    R 8192    1024       12.34 -       data\n"));
	assert_non_null(strstr(print(FORMAT_TABLE, &eio), " 4242    R 0       1024       12.34 EIO     data\n"));
}

static void csv_error_field(void **state)
{
	struct fsslower_event fsync_failed = event(5, 'S', 0, 0, EIO);
	struct fsslower_event eof = event(5, 'R', 0, 4096, 0);

	assert_string_equal(print(FORMAT_CSV, &fsync_failed), "1000005000,fio,4242,S,0,0,12345,data,EIO\n");
	assert_string_equal(print(FORMAT_CSV, &eof), "1000005000,fio,4242,R,0,4096,12345,data,\n");
}

static void json_error_and_large_offset(void **state)
{
	struct fsslower_event w = event(5, 'W', 4096, 5LL << 30, 0);
	struct fsslower_event e = event(5, 'W', 0, 0, ENOSPC);

	assert_non_null(strstr(print(FORMAT_JSON, &w),
			       "\"bytes\":4096,\"offset\":5368709120,\"error\":null,\"latency_ns\":12345678,"));
	assert_non_null(strstr(print(FORMAT_JSON, &e), "\"bytes\":0,\"offset\":0,\"error\":\"ENOSPC\","));
}

static void json_time_before_start_is_negative(void **state)
{
	struct fsslower_event early = event(-3, 'R', 1, 0, 0);

	assert_non_null(strstr(print(FORMAT_JSON, &early),
			       "\"time_ns\":-3000000,\"timestamp\":\"2023-11-14T22:13:19.997000Z\""));
}

/* The table's time is local time of day, converted once per second (core/tracer/clock.c):
 * the next second and a change of zone between runs must both show. */
static void table_time_is_local_and_follows_the_second(void **state)
{
	struct fsslower_event e = event(5, 'R', 1, 0, 0);
	struct fsslower_event later = event(1005, 'R', 1, 0, 0);
	struct fsslower_print_opts p = {
		.format = FORMAT_TABLE, .start = { .mono_ns = START_MONO, .real_ns = START_REAL }
	};

	setenv("TZ", "UTC", 1);
	tzset();
	outbuf_init(&out, -1);
	fsslower_print_event(&p, &out, &e);
	fsslower_print_event(&p, &out, &e);
	fsslower_print_event(&p, &out, &later);
	out.data[out.len] = '\0';
	assert_int_equal(strncmp(out.data, "22:13:20 fio ", 13), 0);
	assert_non_null(strstr(out.data, "\n22:13:20 fio "));
	assert_non_null(strstr(out.data, "\n22:13:21 fio "));
	setenv("TZ", "Asia/Tokyo", 1); /* UTC+9, no daylight saving */
	tzset();
	assert_int_equal(strncmp(print(FORMAT_TABLE, &e), "07:13:20 fio ", 13), 0);
	unsetenv("TZ");
	tzset();
}

static const char *header(enum output_format format, const char *fs, uint64_t min_ns)
{
	struct fsslower_print_opts p = { .format = format, .fs_title = fs, .min_lat_ns = min_ns };

	outbuf_init(&out, -1);
	fsslower_print_header(&p, &out);
	out.data[out.len] = '\0';
	return out.data;
}

/* The table names its file system, zfsslower's line is as it always was; CSV and JSON are the
 * same for every member. */
static void header_names_the_file_system(void **state)
{
	assert_string_equal(header(FORMAT_TABLE, "ZFS", 10 * MS),
			    "Tracing ZFS operations slower than 10.000 ms\n"
			    "TIME     COMM             PID     T BYTES   OFF_KB   LAT(ms) ERR     FILENAME\n");
	assert_non_null(strstr(header(FORMAT_TABLE, "ext4", 0), "Tracing ext4 operations\nTIME "));
	assert_non_null(strstr(header(FORMAT_TABLE, "XFS", 1500000), "Tracing XFS operations slower than 1.500 ms\n"));
	assert_string_equal(header(FORMAT_CSV, "Btrfs", 0),
			    "ENDTIME_us,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE,ERROR\n");
	assert_string_equal(header(FORMAT_JSON, "NFS", 0), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errno_names),
		cmocka_unit_test(table_error_column),
		cmocka_unit_test(csv_error_field),
		cmocka_unit_test(json_error_and_large_offset),
		cmocka_unit_test(json_time_before_start_is_negative),
		cmocka_unit_test(header_names_the_file_system),
		cmocka_unit_test(table_time_is_local_and_follows_the_second),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
