/* SPDX-License-Identifier: GPL-2.0-only */
#include "tracer/tracer.h"

#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int losses_init(struct losses *l, struct bpf_map *map, const struct loss_kind *kinds, size_t n)
{
	static const struct loss_kind probe_missed = {
		LOSS_KEY_PROBE_MISSED, "probe_missed", "missed by kernel probes", true
	};

	memset(l, 0, sizeof(*l));
	if (n + 1 > LOSSES_MAX)
		return -E2BIG;
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		return l->ncpus ? l->ncpus : -EINVAL;
	l->percpu = calloc((size_t)l->ncpus, sizeof(*l->percpu));
	if (!l->percpu)
		return -ENOMEM;
	l->map = map;
	memcpy(l->kinds, kinds, n * sizeof(*kinds));
	l->kinds[n] = probe_missed;
	l->n = n + 1;
	l->reported_ns = tracer_now_ns(CLOCK_MONOTONIC);
	return 0;
}

void losses_free(struct losses *l)
{
	free(l->percpu);
	l->percpu = NULL;
}

static uint64_t sum_counter(struct losses *l, uint32_t key)
{
	uint64_t sum = 0;

	if (key >= bpf_map__max_entries(l->map))
		return 0; /* a kind user space counts alone */
	if (bpf_map__lookup_elem(l->map, &key, sizeof(key), l->percpu,
				 (size_t)l->ncpus * sizeof(*l->percpu), 0))
		return 0;
	for (int cpu = 0; cpu < l->ncpus; cpu++)
		sum += l->percpu[cpu];
	return sum;
}

void losses_add(struct losses *l, uint32_t key, uint64_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->kinds[i].key == key)
			l->user[i] += n;
}

uint64_t losses_lost(const struct losses *l)
{
	uint64_t lost = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->kinds[i].is_loss)
			lost += l->total[i];
	return lost;
}

/* "3 ring buffer full, 1 ended without a seen completion": the kinds of values[] that are
 * losses (or, losses false, the counted non-losses) and not zero; "" when none is. The JSON
 * records keep every counter, zeros included. */
static void describe(const struct losses *l, const uint64_t *values, bool losses, char *buf,
		     size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && used < size; i++) {
		if (l->kinds[i].is_loss != losses || !values[i])
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%llu %s", used ? ", " : "",
					 (unsigned long long)values[i], l->kinds[i].what);
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void json_counts(const struct losses *l, struct outbuf *out, const uint64_t *values)
{
	for (size_t i = 0; i < l->n; i++) {
		out_printf(out, ",\"%s\":", l->kinds[i].json_key);
		out_u64(out, values[i]);
	}
}

int losses_tick(struct losses *l, struct tracer *t, bool final)
{
	bool json = t->inv->common.format == FORMAT_JSON;
	uint64_t now = tracer_now_ns(CLOCK_MONOTONIC);
	uint64_t delta[LOSSES_MAX], lost_delta = 0;
	char text[256], info[256];

	if (!l->map)
		return 0;
	l->user[l->n - 1] = tracer_probe_missed(t);
	for (size_t i = 0; i < l->n; i++) {
		l->total[i] = sum_counter(l, l->kinds[i].key) + l->user[i];
		delta[i] = l->total[i] - l->reported[i];
		if (l->kinds[i].is_loss)
			lost_delta += delta[i];
	}
	if (lost_delta) {
		describe(l, delta, true, text, sizeof(text));
		if (!final)
			log_warn("%llu event%s lost in the last %.1f s (%s); %llu lost so far",
				 (unsigned long long)lost_delta, plural(lost_delta),
				 (double)(now - l->reported_ns) / 1e9, text,
				 (unsigned long long)losses_lost(l));
		if (json) {
			out_printf(t->out, "{\"record\":\"lost\",\"schema\":%d,\"time_ns\":",
				   IOTRACE_JSON_SCHEMA);
			out_u64(t->out, now - t->start.mono_ns);
			json_counts(l, t->out, delta);
			out_str(t->out, "}\n");
		}
		memcpy(l->reported, l->total, sizeof(l->total));
		l->reported_ns = now;
	}
	if (!final)
		return 0;
	/* "N events, N lost (what was lost); what was counted but not lost", zeros left out */
	describe(l, l->total, true, text, sizeof(text));
	describe(l, l->total, false, info, sizeof(info));
	fprintf(stderr, "%s: %llu event%s, %llu lost%s%s%s%s%s\n", log_progname,
		(unsigned long long)t->events, plural(t->events),
		(unsigned long long)losses_lost(l), text[0] ? " (" : "", text, text[0] ? ")" : "",
		info[0] ? "; " : "", info);
	if (json) {
		out_printf(t->out, "{\"record\":\"summary\",\"schema\":%d,\"time_ns\":",
			   IOTRACE_JSON_SCHEMA);
		out_u64(t->out, now - t->start.mono_ns);
		out_str(t->out, ",\"events\":");
		out_u64(t->out, t->events);
		out_str(t->out, ",\"lost\":");
		out_u64(t->out, losses_lost(l));
		json_counts(l, t->out, l->total);
		out_str(t->out, "}\n");
	}
	return 0;
}
