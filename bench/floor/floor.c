/* SPDX-License-Identifier: GPL-2.0-only */
/* Loader for the floor program: attach, print one header line on stdout (as biosnoop does
 * once attached), then drain the ring buffer to nowhere every 10 ms until SIGINT/SIGTERM or
 * the duration (seconds). The last line on stderr: "N events, N lost".
 *   floor [--map|--slots [--issue]] [DURATION]   (see floor.bpf.c for --map and --issue) */
#include "floor.skel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static int on_event(void *ctx, void *data, size_t size)
{
	(*(unsigned long long *)ctx)++;
	return 0;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 }, t0, now;
	double duration = 0;
	int with_map = 0, with_issue = 0, with_slots = 0;
	unsigned long long events = 0;
	struct sigaction sa;
	struct ring_buffer *rb;
	struct floor_bpf *skel;
	int err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--map"))
			with_map = 1;
		else if (!strcmp(argv[i], "--issue"))
			with_issue = 1;
		else if (!strcmp(argv[i], "--slots"))
			with_map = with_slots = 1;
		else
			duration = atof(argv[i]);
	}
	libbpf_set_print(quiet);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->with_map = with_map;
	skel->rodata->with_slots = with_slots;
	bpf_program__set_autoload(skel->progs.floor_rq_issue, with_map && with_issue);
	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load: %s\n", strerror(-err));
		floor_bpf__destroy(skel);
		return 1;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: cannot attach: %s\n", strerror(-err));
		floor_bpf__destroy(skel);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &events, NULL);
	if (!rb) {
		fprintf(stderr, "floor: ring buffer: %s\n", strerror(errno));
		floor_bpf__destroy(skel);
		return 1;
	}
	printf("FLOOR attached\n");
	fflush(stdout);
	fprintf(stderr, "floor: attached\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		nanosleep(&tick, NULL);
		ring_buffer__consume(rb);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (duration > 0 &&
		    (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= duration)
			break;
	}
	ring_buffer__consume(rb);
	fprintf(stderr, "floor: %llu events, %llu lost\n", events,
		(unsigned long long)skel->bss->lost);
	ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	return 0;
}
