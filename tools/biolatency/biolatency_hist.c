/* SPDX-License-Identifier: GPL-2.0-only */
#include "biolatency/biolatency_hist.h"
#include "util/util.h"

#include "blockreq/blockdev.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building and differencing ---------------------------------------------------------- */

static int hist_cmp(const struct biolat_hist *a, uint32_t dev, const char *rwbs)
{
	if (a->dev != dev)
		return a->dev < dev ? -1 : 1;
	return strncmp(a->rwbs, rwbs, sizeof(a->rwbs));
}

static struct biolat_hist *set_find(const struct biolat_set *s, uint32_t dev, const char *rwbs)
{
	for (size_t i = 0; i < s->n; i++)
		if (hist_cmp(&s->h[i], dev, rwbs) == 0)
			return &s->h[i];
	return NULL;
}

static struct biolat_hist *set_append(struct biolat_set *s, uint32_t dev, const char *rwbs)
{
	struct biolat_hist *h;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct biolat_hist *grown = realloc(s->h, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		s->h = grown;
		s->cap = cap;
	}
	h = &s->h[s->n++];
	memset(h, 0, sizeof(*h));
	h->dev = dev;
	memcpy(h->rwbs, rwbs, sizeof(h->rwbs));
	h->rwbs[sizeof(h->rwbs) - 1] = '\0';
	return h;
}

int biolat_set_add(struct biolat_set *s, const struct biolat_key *key,
		   const struct biolat_value *value)
{
	char rwbs[BIOSNOOP_RWBS_LEN];
	struct biolat_hist *h;

	if (key->slot >= BIOLAT_SLOTS)
		return -ERANGE;
	memcpy(rwbs, key->rwbs, sizeof(rwbs));
	rwbs[sizeof(rwbs) - 1] = '\0';
	h = set_find(s, key->dev, rwbs);
	if (!h)
		h = set_append(s, key->dev, rwbs);
	if (!h)
		return -ENOMEM;
	h->slots[key->slot] += value->count;
	h->count += value->count;
	h->sum_ns += value->sum_ns;
	return 0;
}

static int qsort_cmp(const void *a, const void *b)
{
	const struct biolat_hist *hb = b;

	return hist_cmp(a, hb->dev, hb->rwbs);
}

void biolat_set_sort(struct biolat_set *s)
{
	if (s->n > 1)
		qsort(s->h, s->n, sizeof(*s->h), qsort_cmp);
}

void biolat_set_clear(struct biolat_set *s)
{
	s->n = 0;
}

void biolat_set_free(struct biolat_set *s)
{
	free(s->h);
	memset(s, 0, sizeof(*s));
}

static uint64_t grown_by(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

int biolat_set_delta(const struct biolat_set *now, const struct biolat_set *prev,
		     struct biolat_set *out)
{
	size_t j = 0;

	biolat_set_clear(out);
	for (size_t i = 0; i < now->n; i++) {
		const struct biolat_hist *cur = &now->h[i], *old = NULL;
		struct biolat_hist *d = set_append(out, cur->dev, cur->rwbs);
		int cmp = 1;

		if (!d)
			return -ENOMEM;
		memcpy(d->disk, cur->disk, sizeof(d->disk));
		/* both sorted: walk prev alongside */
		while (j < prev->n && (cmp = hist_cmp(&prev->h[j], cur->dev, cur->rwbs)) < 0)
			j++;
		if (j < prev->n && cmp == 0)
			old = &prev->h[j];
		for (size_t k = 0; k < BIOLAT_SLOTS; k++) {
			d->slots[k] = grown_by(cur->slots[k], old ? old->slots[k] : 0);
			d->count += d->slots[k];
		}
		d->sum_ns = grown_by(cur->sum_ns, old ? old->sum_ns : 0);
	}
	return 0;
}

/* ---- names ------------------------------------------------------------------------------- */

void biolat_flags_name(const char *rwbs, char *buf, size_t size)
{
	static const struct {
		char letter;
		const char *prefix;
	} modifiers[] = {
		/* BCC's order of prefixes */
		{ 'A', "ReadAhead-" }, { 'P', "PreFlush-" }, { 'F', "FUA-" },
		{ 'M', "Metadata-" },  { 'S', "Sync-" },
	};
	char seen[8] = "";
	const char *op = "Unknown", *p = rwbs;
	size_t used = 0, n_seen = 0;

	/* an F before the operation letter is a preflush ('P' here), after it FUA */
	if (p[0] == 'F' && p[1] && strchr("WRDFN", p[1])) {
		seen[n_seen++] = 'P';
		p++;
	}
	switch (*p) {
	case 'W': op = "Write"; break;
	case 'R': op = "Read"; break;
	case 'F': op = "Flush"; break;
	case 'N': op = "Unknown"; break;
	case 'D':
		op = p[1] == 'E' ? "SecureErase" : "Discard";
		p += p[1] == 'E';
		break;
	default: p--; break; /* no operation letter: everything is a modifier */
	}
	for (p++; *p && p < rwbs + BIOSNOOP_RWBS_LEN && n_seen + 1 < sizeof(seen); p++)
		seen[n_seen++] = *p;
	seen[n_seen] = '\0';
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(modifiers) && used < size; i++)
		if (strchr(seen, modifiers[i].letter))
			used += (size_t)snprintf(buf + used, size - used, "%s", modifiers[i].prefix);
	if (used < size)
		snprintf(buf + used, size - used, "%s", op);
}

/* ---- the table ---------------------------------------------------------------------------- */

static void slot_range(size_t i, uint64_t *low, uint64_t *high)
{
	/* as BCC: 0 -> 1, 2 -> 3, 4 -> 7, ... */
	*low = i ? 1ULL << i : 0;
	*high = i >= 63 ? UINT64_MAX : (1ULL << (i + 1)) - 1;
}

static size_t last_used(const uint64_t *slots, size_t n)
{
	size_t last = n;

	for (size_t i = 0; i < n; i++)
		if (slots[i])
			last = i;
	return last;
}

void biolat_print_log2(struct outbuf *o, const uint64_t *slots, size_t n, const char *unit)
{
	size_t last = last_used(slots, n);
	uint64_t max = 0, low, high;
	bool wide;
	int stars, width;

	if (last == n)
		return;
	for (size_t i = 0; i <= last; i++)
		if (slots[i] > max)
			max = slots[i];
	/* BCC widens the columns and halves the bar once bounds pass 32 bits */
	wide = last > 32;
	stars = wide ? 20 : 40;
	width = wide ? 20 : 10;
	out_printf(o, "%*s%-*s : count    distribution\n", wide ? 15 : 5, "", wide ? 29 : 19, unit);
	for (size_t i = 0; i <= last; i++) {
		int filled = (int)((unsigned __int128)slots[i] * (unsigned)stars / max);

		slot_range(i, &low, &high);
		out_printf(o, "%*llu -> %-*llu : %-8llu |", width, (unsigned long long)low, width,
			   (unsigned long long)high, (unsigned long long)slots[i]);
		for (int s = 0; s < stars; s++)
			out_bytes(o, s < filled ? "*" : " ", 1);
		out_lit(o, "|\n");
	}
}

static const char *unit_name(const struct biolat_print_opts *p)
{
	return p->msecs ? "msecs" : "usecs";
}

static uint64_t unit_ns(const struct biolat_print_opts *p)
{
	return p->msecs ? 1000000ULL : 1000ULL;
}

void biolat_print_table(struct outbuf *o, const struct biolat_set *delta,
			const struct biolat_print_opts *p, const char *clock)
{
	char flags[96];

	out_lit(o, "\n");
	if (clock)
		out_printf(o, "%-8s\n", clock);
	for (size_t i = 0; i < delta->n; i++) {
		const struct biolat_hist *h = &delta->h[i];

		if (!h->count)
			continue;
		if (p->per_disk || p->per_flags) {
			out_lit(o, "\n");
			if (p->per_disk)
				out_printf(o, "disk = %s%s", h->disk, p->per_flags ? "\t" : "");
			if (p->per_flags) {
				biolat_flags_name(h->rwbs, flags, sizeof(flags));
				out_printf(o, "flags = %s", flags);
			}
			out_lit(o, "\n");
		}
		biolat_print_log2(o, h->slots, BIOLAT_SLOTS, unit_name(p));
		if (p->extended)
			out_printf(o, "\navg = %llu %s, total: %llu %s, count: %llu\n",
				   (unsigned long long)(h->sum_ns / h->count / unit_ns(p)), unit_name(p),
				   (unsigned long long)(h->sum_ns / unit_ns(p)), unit_name(p),
				   (unsigned long long)h->count);
	}
}

/* ---- JSON ---------------------------------------------------------------------------------- */

void biolat_print_json(struct outbuf *o, const struct biolat_set *delta,
		       const struct biolat_print_opts *p, uint64_t time_ns, uint64_t interval_ns,
		       const char *timestamp)
{
	char flags[96];
	bool first = true;

	out_printf(o, "{\"record\":\"interval\",\"schema\":%d,\"time_ns\":", IOTRACE_JSON_SCHEMA);
	out_u64(o, time_ns);
	out_lit(o, ",\"interval_ns\":");
	out_u64(o, interval_ns);
	out_lit(o, ",\"timestamp\":");
	out_json_string(o, timestamp, strlen(timestamp));
	out_printf(o, ",\"unit\":\"%s\",\"histograms\":[", unit_name(p));
	for (size_t i = 0; i < delta->n; i++) {
		const struct biolat_hist *h = &delta->h[i];
		size_t last = last_used(h->slots, BIOLAT_SLOTS);
		uint64_t low, high;

		if (!h->count)
			continue;
		out_str(o, first ? "{\"disk\":" : ",{\"disk\":");
		first = false;
		if (p->per_disk) {
			out_json_string(o, h->disk, strlen(h->disk));
			out_printf(o, ",\"dev_major\":%u,\"dev_minor\":%u", blockdev_major(h->dev),
				   blockdev_minor(h->dev));
		} else {
			out_lit(o, "null,\"dev_major\":null,\"dev_minor\":null");
		}
		out_lit(o, ",\"rwbs\":");
		if (p->per_flags) {
			biolat_flags_name(h->rwbs, flags, sizeof(flags));
			out_json_string(o, h->rwbs, strlen(h->rwbs));
			out_lit(o, ",\"flags\":");
			out_json_string(o, flags, strlen(flags));
		} else {
			out_lit(o, "null,\"flags\":null");
		}
		out_lit(o, ",\"count\":");
		out_u64(o, h->count);
		out_lit(o, ",\"sum_ns\":");
		out_u64(o, h->sum_ns);
		out_lit(o, ",\"buckets\":[");
		for (size_t k = 0; k <= last && last < BIOLAT_SLOTS; k++) {
			slot_range(k, &low, &high);
			out_str(o, k ? ",{\"low\":" : "{\"low\":");
			out_u64(o, low);
			out_lit(o, ",\"high\":");
			out_u64(o, high);
			out_lit(o, ",\"count\":");
			out_u64(o, h->slots[k]);
			out_lit(o, "}");
		}
		out_lit(o, "]}");
	}
	out_lit(o, "]}\n");
}

/* ---- OpenMetrics ---------------------------------------------------------------------------- */

#define OM_NAME "iotrace_biolatency_seconds"

/* disk="sda",rwbs="WS" as the options key the histograms: no quoting needed, names are
 * safe in a label (blockdev_name_ok: no quote, backslash or newline), rwbs is letters. */
static void om_labels(char *buf, size_t size, const struct biolat_hist *h,
		      const struct biolat_print_opts *p)
{
	snprintf(buf, size, "%s%s%s%s%s%s%s", p->per_disk ? "disk=\"" : "", p->per_disk ? h->disk : "",
		 p->per_disk ? "\"" : "", p->per_disk && p->per_flags ? "," : "",
		 p->per_flags ? "rwbs=\"" : "", p->per_flags ? h->rwbs : "", p->per_flags ? "\"" : "");
}

void biolat_print_openmetrics(struct outbuf *o, const struct biolat_set *total,
			      const struct biolat_print_opts *p, const struct biolat_loss *losses,
			      size_t n_losses)
{
	size_t n_slots = p->msecs ? BIOLAT_OM_SLOTS_MSECS : BIOLAT_OM_SLOTS_USECS;
	unsigned decimals = p->msecs ? 3 : 6;

	out_lit(o, "# TYPE " OM_NAME " histogram\n"
		   "# UNIT " OM_NAME " seconds\n"
		   "# HELP " OM_NAME " Block I/O latency, from issue (with -Q: from creation) to "
		   "completion.\n");
	for (size_t i = 0; i < total->n; i++) {
		const struct biolat_hist *h = &total->h[i];
		uint64_t cumulative = 0;
		char labels[96], sep[2] = "";

		om_labels(labels, sizeof(labels), h, p);
		if (labels[0])
			sep[0] = ',';
		for (size_t k = 0; k < n_slots; k++) {
			cumulative += h->slots[k];
			/* slot k holds latencies below 2^(k+1) units (the unit count is truncated) */
			out_printf(o, OM_NAME "_bucket{%s%sle=\"", labels, sep);
			out_fixed(o, 2ULL << k, decimals);
			out_lit(o, "\"} ");
			out_u64(o, cumulative);
			out_lit(o, "\n");
		}
		out_printf(o, OM_NAME "_bucket{%s%sle=\"+Inf\"} ", labels, sep);
		out_u64(o, h->count);
		out_printf(o, "\n" OM_NAME "_count%s%s%s ", labels[0] ? "{" : "", labels,
			   labels[0] ? "}" : "");
		out_u64(o, h->count);
		out_printf(o, "\n" OM_NAME "_sum%s%s%s ", labels[0] ? "{" : "", labels,
			   labels[0] ? "}" : "");
		out_fixed(o, h->sum_ns, 9);
		out_lit(o, "\n");
	}
	out_lit(o, "# TYPE iotrace_biolatency_lost counter\n"
		   "# HELP iotrace_biolatency_lost Completed requests missing from the histograms, "
		   "by cause.\n");
	for (size_t i = 0; i < n_losses; i++) {
		out_printf(o, "iotrace_biolatency_lost_total{cause=\"%s\"} ", losses[i].cause);
		out_u64(o, losses[i].count);
		out_lit(o, "\n");
	}
	out_lit(o, "# EOF\n");
}
