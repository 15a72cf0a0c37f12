/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "biosnoop/biosnoop_print.h"
#include "blockreq/blockdev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define START_MONO 1000000000000ULL       /* an arbitrary boot-relative instant */
#define START_REAL 1700000000000000000ULL /* 2023-11-14T22:13:20Z */
#define MS 1000000ULL

static struct outbuf out; /* never flushed: the test reads out.data */

static const char *text(void)
{
	out.data[out.len] = '\0';
	return out.data;
}

static void reset(void)
{
	outbuf_init(&out, -1);
}

static struct biosnoop_event event(uint64_t at_ms, const char *comm, uint32_t pid,
				   uint32_t dev, const char *rwbs, uint64_t sector,
				   uint32_t bytes, uint64_t queue_ns, uint64_t lat_ns)
{
	struct biosnoop_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = START_MONO + at_ms * MS;
	e.lat_ns = lat_ns;
	e.queue_ns = queue_ns;
	e.sector = sector;
	e.bytes = bytes;
	e.dev = dev;
	e.pid = pid;
	/* a full 16-byte comm has no NUL: the kernel allows it, so must we */
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	memcpy(e.rwbs, rwbs, strnlen(rwbs, sizeof(e.rwbs)));
	return e;
}

static void init(struct biosnoop_printer *p, enum output_format f, bool queued, bool wallclock,
		 bool partition, size_t disk_width, size_t part_width)
{
	struct biosnoop_print_opts o = {
		.format = f,
		.queued = queued,
		.wallclock = wallclock,
		.partition = partition,
		.start = { .mono_ns = START_MONO, .real_ns = START_REAL },
		.disk_width = disk_width,
		.part_width = part_width,
	};

	reset();
	biosnoop_printer_init(p, &o);
}

/* Every line's columns must start (left-aligned) or end (right-aligned) where the header
 * line above it says. align: one letter per column, L or R. */
static void assert_aligned(const char *all, const char *align)
{
	char *copy = strdup(all), *save = NULL;
	size_t header_start[16], header_end[16], ncols = strlen(align);
	int lines = 0;

	assert_non_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t start[16], end[16], n = 0, len = strlen(line);
		bool header = strncmp(line, "TIME", 4) == 0;

		assert_true(len > 0 && line[len - 1] != ' '); /* no trailing blanks */
		/* positions in terminal columns: UTF-8 continuation bytes take none */
		for (size_t i = 0, col = 0; i < len && n < 16;) {
			while (i < len && line[i] == ' ')
				i++, col++;
			start[n] = col;
			while (i < len && line[i] != ' ')
				col += ((unsigned char)line[i++] & 0xc0) != 0x80;
			end[n++] = col;
		}
		if (n != ncols)
			fail_msg("line has %zu columns, want %zu: '%s'", n, ncols, line);
		if (header) {
			memcpy(header_start, start, sizeof(start));
			memcpy(header_end, end, sizeof(end));
			continue;
		}
		for (size_t c = 0; c < ncols; c++) {
			bool right = align[c] == 'R';

			if ((right && end[c] != header_end[c]) || (!right && start[c] != header_start[c]))
				fail_msg("column %zu of '%s' is not under its header", c, line);
		}
		lines++;
	}
	assert_true(lines > 0);
	free(copy);
}

static void table_has_the_documented_layout(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(1500, "iot-writer", 4242, blockdev_kdev(7, 3), "WS", 16,
					4096, 0, 1234567);

	init(&p, FORMAT_TABLE, false, false, false, 5, 0);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &e, "loop3", NULL);
	assert_string_equal(text(),
			    "TIME(s)     COMM                PID DISK  T        SECTOR   BYTES LAT(ms)\n"
			    "1.500000    iot-writer         4242 loop3 WS           16    4096   1.234\n");
}

static void optional_columns_line_up(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e[] = {
		event(1, "a", 1, blockdev_kdev(8, 0), "R", 0, 512, 1000, 1000),
		event(20, "kworker/u8:0", 4194304, blockdev_kdev(8, 0), "FWFS", 976773119, 1048576,
		      0, 99999999999ULL),
		event(300000, "dd", 77, blockdev_kdev(259, 0), "RA", 123456789, 65536, 2500000, 250000),
	};

	init(&p, FORMAT_TABLE, true, false, true, 7, 9);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &e[0], "sda", "sda1");
	biosnoop_print_event(&p, &out, &e[1], "sda", NULL);
	biosnoop_print_event(&p, &out, &e[2], "nvme0n1", "nvme0n1p1");
	assert_aligned(text(), "LLRLLLRRRR");
	assert_non_null(strstr(text(), " - ")); /* no partition, no queue time */
	assert_non_null(strstr(text(), "99999.999"));
}

/* A name longer than any known at start widens DISK under a new header. */
static void longer_names_widen_the_column(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e1 = event(1, "dd", 10, blockdev_kdev(7, 0), "W", 8, 4096, 0, MS);
	struct biosnoop_event e2 = event(2, "dd", 10, blockdev_kdev(259, 9), "W", 8, 4096, 0, MS);
	const char *second_header;

	init(&p, FORMAT_TABLE, false, false, true, 5, 0);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &e1, "loop0", NULL);
	biosnoop_print_event(&p, &out, &e2, "nvme12n13", "nvme12n13p100");
	biosnoop_print_event(&p, &out, &e1, "loop0", NULL);
	assert_aligned(text(), "LLRLLLRRR");
	second_header = strstr(text() + 1, "TIME(s)");
	assert_non_null(second_header);
	assert_null(strstr(second_header + 1, "TIME(s)")); /* only once */
	assert_int_equal(p.w.disk, 9);
	assert_int_equal(p.w.part, 13);
}

static void comm_is_escaped_everywhere(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(1, "\x1b[31mevil", 5, blockdev_kdev(7, 0), "W", 0, 512, 0,
					MS);
	struct biosnoop_event q = event(1, "a\"b\\c,d", 5, blockdev_kdev(7, 0), "W", 0, 512, 0, MS);

	init(&p, FORMAT_TABLE, false, false, false, 5, 0);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_null(strchr(text(), '\x1b'));
	assert_non_null(strstr(text(), "\\x1b[31mevil"));
	assert_aligned(text(), "LLRLLRRR");

	init(&p, FORMAT_JSON, false, false, false, 5, 0);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	biosnoop_print_event(&p, &out, &q, "loop0", NULL);
	assert_null(strchr(text(), '\x1b'));
	assert_non_null(strstr(text(), "\"comm\":\"\\u001b[31mevil\""));
	assert_non_null(strstr(text(), "\"comm\":\"a\\\"b\\\\c,d\""));

	init(&p, FORMAT_CSV, false, false, false, 5, 0);
	biosnoop_print_event(&p, &out, &q, "loop0", NULL);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_non_null(strstr(text(), ",\"a\"\"b\\\\c,d\",5,"));
	assert_non_null(strstr(text(), ",\\x1b[31mevil,5,"));
	assert_null(strchr(text(), '\x1b'));
}

/* A comm in UTF-8 ("é", "ö" are two bytes, "€" three) takes one column per character. */
static void utf8_comm_lines_up(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event a = event(1, "caf\xc3\xa9-r\xc3\xb6\xe2\x82\xac", 5,
					blockdev_kdev(7, 0), "W", 0, 512, 0, MS);
	struct biosnoop_event b = event(2, "dd", 6, blockdev_kdev(7, 0), "R", 8, 4096, 0, MS);

	init(&p, FORMAT_TABLE, false, false, false, 5, 0);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &b, "loop0", NULL);
	biosnoop_print_event(&p, &out, &a, "loop0", NULL);
	biosnoop_print_event(&p, &out, &b, "loop0", NULL);
	assert_non_null(strstr(text(), "caf\xc3\xa9-r\xc3\xb6\xe2\x82\xac"));
	assert_aligned(text(), "LLRLLRRR");
	assert_int_equal(p.w.comm, 15); /* 8 characters fit the default width: no re-header */
	assert_null(strstr(strstr(text(), "TIME") + 1, "TIME"));
}

static void full_length_comm_is_not_overread(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(1, "0123456789abcdefXYZ", 5, blockdev_kdev(7, 0),
					"FWFSMAE", 0, 512, 0, MS);

	memcpy(e.rwbs, "FWFSMAEX", sizeof(e.rwbs)); /* no NUL either */
	init(&p, FORMAT_JSON, false, false, false, 5, 0);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_non_null(strstr(text(), "\"comm\":\"0123456789abcdef\""));
	assert_non_null(strstr(text(), "\"rwbs\":\"FWFSMAEX\""));
}

static void json_record_has_every_documented_field(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(2500, "iot-writer", 4242, blockdev_kdev(259, 3), "WS",
					2048, 8192, 1500, 2000000);

	init(&p, FORMAT_JSON, false, false, false, 5, 0);
	biosnoop_print_header(&p, &out);
	assert_string_equal(text(), "");
	biosnoop_print_event(&p, &out, &e, "loop0", "loop0p1");
	e.flags = BIOSNOOP_EV_OWNER_AT_ISSUE;
	e.queue_ns = 0;
	biosnoop_print_event(&p, &out, &e, "259:3", NULL);
	assert_string_equal(text(),
		"{\"record\":\"io\",\"schema\":1,\"time_ns\":2500000000,\"timestamp\":\"2023-11-14T22:13:22.500000Z\","
		"\"comm\":\"iot-writer\",\"pid\":4242,\"disk\":\"loop0\",\"partition\":\"loop0p1\","
		"\"dev_major\":259,\"dev_minor\":3,\"rwbs\":\"WS\",\"sector\":2048,\"bytes\":8192,"
		"\"queue_ns\":1500,\"latency_ns\":2000000,\"owner_at_issue\":false,\"pattern\":null}\n"
		"{\"record\":\"io\",\"schema\":1,\"time_ns\":2500000000,\"timestamp\":\"2023-11-14T22:13:22.500000Z\","
		"\"comm\":\"iot-writer\",\"pid\":4242,\"disk\":\"259:3\",\"partition\":null,"
		"\"dev_major\":259,\"dev_minor\":3,\"rwbs\":\"WS\",\"sector\":2048,\"bytes\":8192,"
		"\"queue_ns\":null,\"latency_ns\":2000000,\"owner_at_issue\":true,\"pattern\":\"random\"}\n");
}

/* out_u64 writes two digits per step: every digit count and both ends of the range. */
static void numbers_print_exactly(void **state)
{
	static const uint64_t values[] = { 0, 7, 10, 99, 100, 101, 999, 1000, 65536,
					   1234567890123456789ULL, 18446744073709551615ULL };
	char want[32];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		reset();
		out_u64(&out, values[i]);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)values[i]);
		assert_string_equal(text(), want);
	}
	for (uint64_t v = 1; v <= 1000000000000000000ULL; v *= 10) {
		reset();
		out_u64(&out, v - 1);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)(v - 1));
		assert_string_equal(text(), want);
	}
}

static void early_completion_has_negative_time(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(0, "dd", 1, blockdev_kdev(7, 0), "R", 0, 512, 0, MS);

	e.ts_ns = START_MONO - 120000; /* 120 us before the start mark */
	init(&p, FORMAT_TABLE, false, false, false, 5, 0);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_int_equal(strncmp(text(), "-0.000120 ", 10), 0);
	init(&p, FORMAT_JSON, false, false, false, 5, 0);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_non_null(strstr(text(), "\"time_ns\":-120000,"));
	assert_non_null(strstr(text(), "\"timestamp\":\"2023-11-14T22:13:19.999880Z\""));
}

static void wallclock_is_local_time_of_day(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(1000 * 3600 + 7, "dd", 1, blockdev_kdev(7, 0), "R", 0, 512,
					0, MS);

	setenv("TZ", "UTC", 1);
	tzset();
	init(&p, FORMAT_TABLE, false, true, false, 5, 0);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_string_equal(text(),
			    "TIME            COMM                PID DISK  T        SECTOR   BYTES LAT(ms)\n"
			    "23:13:20.007000 dd                    1 loop0 R             0     512   1.000\n"
			    "23:13:20.007000 dd                    1 loop0 R             0     512   1.000\n");
	setenv("TZ", "America/New_York", 1); /* EST, UTC-5 in November */
	tzset();
	init(&p, FORMAT_TABLE, false, true, false, 5, 0);
	biosnoop_print_event(&p, &out, &e, "loop0", NULL);
	assert_int_equal(strncmp(text(), "18:13:20.007000 ", 16), 0);
	unsetenv("TZ");
	tzset();
}

static void csv_has_a_header_and_same_facts(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e = event(1, "dd", 9, blockdev_kdev(8, 0), "RA", 2048, 4096, 0, 5000);

	init(&p, FORMAT_CSV, true, true, true, 3, 4);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &e, "sda", "sda1");
	e.queue_ns = 77;
	biosnoop_print_event(&p, &out, &e, "sda", NULL);
	assert_string_equal(text(),
		"time_ns,timestamp,comm,pid,disk,partition,dev_major,dev_minor,rwbs,sector,bytes,"
		"queue_ns,latency_ns,owner_at_issue,pattern\n"
		"1000000,2023-11-14T22:13:20.001000Z,dd,9,sda,sda1,8,0,RA,2048,4096,,5000,false,\n"
		"1000000,2023-11-14T22:13:20.001000Z,dd,9,sda,,8,0,RA,2048,4096,77,5000,false,random\n");
}

static void init_pattern(struct biosnoop_printer *p, enum output_format f, bool latency_filtered)
{
	struct biosnoop_print_opts o = {
		.format = f,
		.pattern = true,
		.latency_filtered = latency_filtered,
		.start = { .mono_ns = START_MONO, .real_ns = START_REAL },
		.disk_width = 5,
	};

	reset();
	biosnoop_printer_init(p, &o);
}

/* BCC's rule: sequential when a request starts where the previous request completed on the
 * same disk ended; the first one on a disk is unknown; a flush has no place and moves nothing. */
static void pattern_follows_each_disk_in_completion_order(void **state)
{
	uint32_t a = blockdev_kdev(7, 0), b = blockdev_kdev(8, 0);
	struct {
		struct biosnoop_event e;
		const char *disk;
		char want;
	} steps[] = {
		{ event(1, "dd", 1, a, "W", 0, 4096, 0, MS), "loop0", '-' },
		{ event(2, "dd", 1, b, "R", 100, 4096, 0, MS), "sda", '-' },
		{ event(3, "dd", 1, a, "W", 8, 4096, 0, MS), "loop0", 'S' },
		{ event(4, "dd", 1, a, "W", 8, 4096, 0, MS), "loop0", 'R' }, /* the same place again */
		{ event(5, "dd", 1, b, "R", 108, 512, 0, MS), "sda", 'S' },  /* a's requests between */
		{ event(6, "dd", 1, a, "FF", BIOSNOOP_NO_SECTOR, 0, 0, MS), "loop0", '-' },
		{ event(7, "dd", 1, a, "W", 16, 1024, 0, MS), "loop0", 'S' }, /* the flush moved nothing */
		{ event(8, "dd", 1, a, "W", 0, 4096, 0, MS), "loop0", 'R' },  /* backwards */
	};
	struct biosnoop_printer p;
	const char *line;

	init_pattern(&p, FORMAT_TABLE, false);
	biosnoop_print_header(&p, &out);
	assert_non_null(strstr(text(), "BYTES P LAT(ms)"));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t before = out.len;
		char want[8];

		biosnoop_print_event(&p, &out, &steps[i].e, steps[i].disk, NULL);
		line = text() + before;
		snprintf(want, sizeof(want), " %c ", steps[i].want);
		if (!strstr(line, want))
			fail_msg("request %zu: want P %c in '%s'", i, steps[i].want, line);
	}
	assert_aligned(text(), "LLRLLRRLR");

	init_pattern(&p, FORMAT_JSON, false);
	for (size_t i = 0; i < 4; i++)
		biosnoop_print_event(&p, &out, &steps[i].e, steps[i].disk, NULL);
	line = strstr(text(), "\"pattern\":null}\n");
	assert_non_null(line);
	line = strstr(line + 1, "\"pattern\":null}\n");
	assert_non_null(line);
	line = strstr(line + 1, "\"pattern\":\"sequential\"}\n");
	assert_non_null(line);
	assert_non_null(strstr(line + 1, "\"pattern\":\"random\"}\n"));

	init_pattern(&p, FORMAT_CSV, false);
	biosnoop_print_header(&p, &out);
	biosnoop_print_event(&p, &out, &steps[0].e, "loop0", NULL);
	biosnoop_print_event(&p, &out, &steps[2].e, "loop0", NULL);
	assert_non_null(strstr(text(), ",owner_at_issue,pattern\n"));
	assert_non_null(strstr(text(), ",false,\n"));
	assert_non_null(strstr(text(), ",false,sequential\n"));
}

/* Under -m the kernel hides the requests a pattern would be judged against. */
static void pattern_is_unknown_under_a_latency_filter(void **state)
{
	struct biosnoop_event e = event(1, "dd", 1, blockdev_kdev(7, 0), "W", 0, 4096, 0, MS);
	struct biosnoop_printer p;

	init_pattern(&p, FORMAT_JSON, true);
	for (int i = 0; i < 3; i++) {
		biosnoop_print_event(&p, &out, &e, "loop0", NULL);
		e.sector += 8;
	}
	assert_null(strstr(text(), "sequential"));
	assert_null(strstr(text(), "random"));
}

/* More disks than the table holds: the first ones keep being judged, the rest stay unknown
 * instead of pushing others out. */
static void pattern_table_full_leaves_new_disks_unknown(void **state)
{
	struct biosnoop_printer p;
	struct biosnoop_event e;

	init_pattern(&p, FORMAT_TABLE, false);
	for (uint32_t minor = 0; minor <= BIOSNOOP_PATTERN_DISKS; minor++) {
		e = event(1, "dd", 1, blockdev_kdev(7, minor), "W", 0, 4096, 0, MS);
		assert_int_equal(biosnoop_pattern_next(&p, &e), BIOSNOOP_PATTERN_UNKNOWN);
	}
	for (uint32_t minor = 0; minor <= BIOSNOOP_PATTERN_DISKS; minor++) {
		e = event(2, "dd", 1, blockdev_kdev(7, minor), "W", 8, 4096, 0, MS);
		assert_int_equal(biosnoop_pattern_next(&p, &e),
				 minor < BIOSNOOP_PATTERN_DISKS ? BIOSNOOP_PATTERN_SEQUENTIAL :
								  BIOSNOOP_PATTERN_UNKNOWN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_has_the_documented_layout),
		cmocka_unit_test(optional_columns_line_up),
		cmocka_unit_test(longer_names_widen_the_column),
		cmocka_unit_test(comm_is_escaped_everywhere),
		cmocka_unit_test(utf8_comm_lines_up),
		cmocka_unit_test(full_length_comm_is_not_overread),
		cmocka_unit_test(json_record_has_every_documented_field),
		cmocka_unit_test(numbers_print_exactly),
		cmocka_unit_test(early_completion_has_negative_time),
		cmocka_unit_test(wallclock_is_local_time_of_day),
		cmocka_unit_test(csv_has_a_header_and_same_facts),
		cmocka_unit_test(pattern_follows_each_disk_in_completion_order),
		cmocka_unit_test(pattern_is_unknown_under_a_latency_filter),
		cmocka_unit_test(pattern_table_full_leaves_new_disks_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
