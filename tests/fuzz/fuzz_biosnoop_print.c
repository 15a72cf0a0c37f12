/* SPDX-License-Identifier: GPL-2.0-only */
/* biosnoop's output (tools/biosnoop/biosnoop_print.h) for hostile task names, disk and partition
 * names and any numbers: every record stays one line, a terminal never sees a raw control
 * character, each JSON line is one valid JSON object whose "comm" decodes to the task name,
 * and each CSV record has as many fields as the header.
 *
 * Input: byte 0 the format and flags, then the event's bytes (struct biosnoop_event, zero
 * padded: times, sector, bytes, dev, pid, flags, comm[16], rwbs[8]); after it the disk name
 * and, if present, the partition name, separated by NUL bytes. Times are kept within ten
 * years of the start (they come from bpf_ktime_get_ns()). Seeds: corpus/biosnoop_print. */
#include "biosnoop/biosnoop_print.h"
#include "fuzz_common.h"

#include <fcntl.h>
#include <time.h>

#define TEN_YEARS_NS (10LL * 366 * 24 * 3600 * 1000000000LL)
#define CSV_FIELDS 15 /* ... owner_at_issue,pattern */

static struct outbuf out;
static int null_fd;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* ---- a small JSON checker: one flat object per line ------------------------------------- */

struct json {
	const char *p, *end;
};

static bool json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t'))
		j->p++;
	return j->p < j->end;
}

/* A string; its decoded bytes (\u00NN as the byte) into out when not NULL. */
static bool json_string(struct json *j, char *out, size_t size, size_t *out_len)
{
	size_t o = 0;

	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char c = (unsigned char)*j->p, v;

		if (c == '"') {
			j->p++;
			if (out_len)
				*out_len = o;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++j->p >= j->end)
				return false;
			switch (*j->p) {
			case '"': case '\\': case '/': v = (unsigned char)*j->p; break;
			case 'b': v = '\b'; break;
			case 'f': v = '\f'; break;
			case 'n': v = '\n'; break;
			case 'r': v = '\r'; break;
			case 't': v = '\t'; break;
			case 'u': {
				unsigned u = 0;

				if (j->end - j->p < 5)
					return false;
				for (int k = 1; k <= 4; k++) {
					int h = fuzz_hex(j->p[k]);

					if (h < 0)
						return false;
					u = u << 4 | (unsigned)h;
				}
				j->p += 4;
				v = (unsigned char)u; /* escape_json only makes \u00NN */
				break;
			}
			default:
				return false;
			}
			c = v;
		}
		if (out && o < size)
			out[o++] = (char)c;
	}
	return false;
}

static bool json_value(struct json *j)
{
	static const char *const words[] = { "null", "true", "false" };

	if (!json_ws(j))
		return false;
	if (*j->p == '"')
		return json_string(j, NULL, 0, NULL);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i], n)) {
			j->p += n;
			return true;
		}
	}
	if (*j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return false;
	if (*j->p == '0' && j->p + 1 < j->end && j->p[1] >= '0' && j->p[1] <= '9')
		return false; /* no leading zeros */
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return true;
}

/* {"key":value,...}: valid, keys unique enough for us; the "comm" string decoded. */
static bool json_object(const char *line, size_t len, char *comm, size_t *comm_len)
{
	struct json j = { line, line + len };
	char key[32];
	size_t key_len;

	*comm_len = SIZE_MAX;
	if (!json_ws(&j) || *j.p++ != '{')
		return false;
	for (;;) {
		if (!json_ws(&j) || !json_string(&j, key, sizeof(key), &key_len))
			return false;
		if (!json_ws(&j) || *j.p++ != ':' || !json_ws(&j))
			return false;
		if (key_len == 4 && !memcmp(key, "comm", 4)) {
			if (!json_string(&j, comm, 64, comm_len))
				return false;
		} else if (!json_value(&j)) {
			return false;
		}
		if (!json_ws(&j))
			return false;
		if (*j.p == '}') {
			j.p++;
			return !json_ws(&j);
		}
		if (*j.p++ != ',')
			return false;
	}
}

/* CSV fields of one record (quotes respected). */
static int csv_fields(const char *line, size_t len)
{
	int fields = 1;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (line[i] == '"')
			quoted = !quoted; /* "" toggles twice */
		else if (line[i] == ',' && !quoted)
			fields++;
	}
	return quoted ? -1 : fields;
}

static void check_output(const struct biosnoop_print_opts *opts, const struct biosnoop_event *e,
			 bool header)
{
	const char *p = out.data, *end = out.data + out.len;
	size_t comm_len = strnlen(e->comm, sizeof(e->comm));
	bool c1;

	CHECK(out.len > 0 && end[-1] == '\n', "output does not end with a newline: \"%s\"",
	      fuzz_show(out.data, out.len));
	CHECK(fuzz_utf8_valid((const unsigned char *)out.data, out.len, &c1),
	      "output is not valid UTF-8: \"%s\"", fuzz_show(out.data, out.len));
	CHECK(opts->format == FORMAT_JSON || !c1 || fuzz_skip_known() /* known bug 2 */,
	      "a C1 control character reaches the terminal: \"%s\"", fuzz_show(out.data, out.len));
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];

		CHECK(c == '\n' || (c >= 0x20 && c != 0x7f),
		      "raw control byte 0x%02x in output \"%s\" (comm \"%s\")", c,
		      fuzz_show(out.data, out.len), fuzz_show(e->comm, comm_len));
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);

		if (opts->format == FORMAT_JSON) {
			char comm[64];
			size_t n;

			CHECK(json_object(p, len, comm, &n), "not one JSON object: \"%s\"",
			      fuzz_show(p, len));
			CHECK(n == comm_len && !memcmp(comm, e->comm, n),
			      "JSON comm \"%s\" is not the task name \"%s\"", fuzz_show(comm, n),
			      fuzz_show(e->comm, comm_len));
		} else if (opts->format == FORMAT_CSV) {
			int n = csv_fields(p, len);

			CHECK(n == CSV_FIELDS, "CSV record with %d fields: \"%s\"", n, fuzz_show(p, len));
		}
		p = nl + 1;
	}
	(void)header;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct biosnoop_print_opts opts = { 0 };
	struct biosnoop_printer pr;
	struct biosnoop_event e = { 0 };
	struct fuzz_cursor c;
	const uint8_t *piece;
	size_t len;
	char *disk = NULL, *part = NULL;
	int64_t rel;

	if (size < 1 || size > 1024)
		return 0;
	opts.format = (enum output_format)(data[0] % 3);
	opts.queued = data[0] & 0x04;
	opts.wallclock = data[0] & 0x08;
	opts.partition = data[0] & 0x10;
	opts.disk_width = (data[0] >> 5) * 3;
	opts.part_width = (data[0] >> 6) * 40;
	opts.start.mono_ns = 1000000000000ULL;
	opts.start.real_ns = 1700000000ULL * 1000000000ULL;
	memcpy(&e, data + 1, size - 1 < sizeof(e) ? size - 1 : sizeof(e));
	memcpy(&rel, &e.ts_ns, sizeof(rel));
	e.ts_ns = opts.start.mono_ns + (uint64_t)(rel % TEN_YEARS_NS);

	c = (struct fuzz_cursor){ data + 1 + sizeof(e), data + size };
	if (size > 1 + sizeof(e)) {
		if (fuzz_next(&c, '\0', &piece, &len))
			disk = fuzz_strndup(piece, len);
		if (fuzz_next(&c, '\0', &piece, &len))
			part = fuzz_strndup(piece, len);
	}
	if (!disk)
		disk = fuzz_strndup("8:0", 3); /* an unknown disk is named MAJ:MIN */

	outbuf_init(&out, null_fd);
	biosnoop_printer_init(&pr, &opts);
	biosnoop_print_header(&pr, &out);
	biosnoop_print_event(&pr, &out, &e, disk, part);
	check_output(&opts, &e, true);
	out.len = 0;
	/* a second record: widths only grow; the table header may come again */
	e.ts_ns += 1500000;
	biosnoop_print_event(&pr, &out, &e, part ? part : disk, NULL);
	check_output(&opts, &e, false);
	CHECK(pr.records == 2, "records %llu", (unsigned long long)pr.records);
	free(disk);
	free(part);
	return 0;
}
