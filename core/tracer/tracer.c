/* SPDX-License-Identifier: GPL-2.0-only */
#include "tracer/tracer.h"

#include "engine/engine.h"
#include "kfacts/kfacts.h"
#include "util/util.h"

#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* No SA_RESTART: the ring buffer poll must return on a signal. */
static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

uint64_t tracer_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int ringbuf_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct tracer_tool *tt = t->inv->tool->tracer;
	int err = tt->event(t, data, size);

	t->events++;
	if (!err && t->out->err)
		err = t->out->err;
	return err;
}

static int tool_open(void *ctx, const struct bpf_object_open_opts *opts, struct bpf_object **obj)
{
	struct tracer *t = ctx;

	return t->inv->tool->tracer->open(t, opts, obj);
}

static void tool_destroy(void *ctx)
{
	struct tracer *t = ctx;

	t->inv->tool->tracer->destroy(t);
}

struct session {
	struct tracer t;
	struct outbuf out;
	struct bpfobj obj;
	struct kfacts *kf;
	struct engine *engine;
};

static const struct session *session_of(const struct tracer *t)
{
	return (const struct session *)((const char *)t - offsetof(struct session, t));
}

uint64_t tracer_probe_missed(const struct tracer *t)
{
	const struct session *s = session_of(t);

	return bpfobj_missed(&s->obj, s->t.inv->tool->tracer->counts_unseen_returns);
}

const struct probe_candidate *tracer_chosen(const struct tracer *t, const char *probe)
{
	return engine_chosen(session_of(t)->engine, probe);
}

/* for_report: judge every candidate and leave the tool's precheck to the caller. */
static int session_init(struct session *s, struct invocation *inv, bool for_report)
{
	const struct tracer_tool *tt = inv->tool->tracer;
	struct kfacts_live_opts kopts = {
		.root = "/",
		.btf_path = inv->common.btf_path,
		.run_feature_probes = true,
	};
	struct engine_opts eopts = {
		.backend = inv->common.backend,
		.only_variant = inv->common.variant,
		.explain_all = for_report,
	};
	char missing[128];
	int err;

	memset(s, 0, sizeof(*s));
	outbuf_init(&s->out, 1);
	err = privs_check(missing, sizeof(missing));
	if (err) {
		log_error("tracing needs root or the capabilities %s (missing: %s); %s",
			  "CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8)", missing,
			  geteuid() ? "run it with sudo" :
				      "this root lacks them: a container or security policy withholds them");
		return err;
	}
	s->t.inv = inv;
	s->t.out = &s->out;
	s->t.state = calloc(1, tt->state_size ? tt->state_size : 1);
	if (!s->t.state)
		return -ENOMEM;
	s->obj.open = tool_open;
	s->obj.destroy = tool_destroy;
	s->obj.tool = &s->t;
	s->obj.btf_path = inv->common.btf_path;
	s->obj.attach = inv->common.debug.attach;
	err = kfacts_live_new(&kopts, &s->kf);
	if (err) {
		log_error("cannot read kernel facts: %s", strerror(-err));
		return err;
	}
	if (!for_report && tt->precheck) {
		err = tt->precheck(&s->t, s->kf);
		if (err)
			return err;
	}
	return engine_new(inv->tool->probes, s->kf, &eopts, &bpfobj_ops, &s->obj, &s->engine);
}

static void session_free(struct session *s)
{
	engine_free(s->engine);
	if (s->kf)
		kfacts_free(s->kf);
	free(s->t.state);
}

static int event_loop(struct session *s)
{
	const struct tracer_tool *tt = s->t.inv->tool->tracer;
	uint64_t duration_ns = s->t.inv->common.duration_ms * 1000000ULL;
	uint64_t next_tick = s->t.start.mono_ns + 1000000000ULL;
	struct pollfd fds[2];
	struct ring_buffer *rb;
	int err = 0;

	rb = ring_buffer__new(bpf_map__fd(tt->events_map(&s->t)), ringbuf_event, &s->t, NULL);
	if (!rb)
		return errno ? -errno : -ENOMEM;
	/* events=0 on stdout: only errors and hang-ups are reported, never "writable" */
	fds[0] = (struct pollfd){ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = s->out.fd, .events = 0 };
	while (!stop_signal) {
		uint64_t now = tracer_now_ns(CLOCK_MONOTONIC);
		int timeout_ms = 100;

		if (duration_ns && now - s->t.start.mono_ns >= duration_ns)
			break;
		if (duration_ns && (duration_ns - (now - s->t.start.mono_ns)) / 1000000ULL < 100)
			timeout_ms = (int)((duration_ns - (now - s->t.start.mono_ns)) / 1000000ULL) + 1;
		fds[0].revents = fds[1].revents = 0;
		if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		/* a pipe whose reader left (| head) flags our end: stop now, not at the next
		 * event, which on an idle disk may never come */
		if (fds[1].revents & (POLLERR | POLLHUP)) {
			s->out.err = -EPIPE;
			break;
		}
		/* programs submit without waking us until a batch builds up: a quiet timeout
		 * still collects what is there, so output lags at most one poll interval */
		err = ring_buffer__consume(rb);
		if (err < 0)
			break;
		err = 0;
		/* a batch is done: hand it to the reader in one write */
		if (outbuf_flush(&s->out))
			break;
		if (now >= next_tick) {
			next_tick = now + 1000000000ULL;
			if (tt->tick && (err = tt->tick(&s->t, false)))
				break;
		}
	}
	/* whatever is still in the ring buffer was traced: deliver it */
	if (!s->out.err && err >= 0)
		ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return err < 0 ? err : 0;
}

int tracer_run(struct invocation *inv)
{
	const struct tracer_tool *tt = inv->tool->tracer;
	struct session s;
	int err;

	install_signals();
	err = session_init(&s, inv, false);
	if (err)
		goto out;
	err = engine_run(s.engine, false);
	if (err) {
		log_error("cannot trace here: %s", engine_failure(s.engine));
		goto out;
	}
	if (log_verbosity)
		engine_report_chosen(s.engine, stderr);
	/* attached: the kernel facts (symbol lists, BTF) are not needed again */
	kfacts_free(s.kf);
	s.kf = NULL;
	engine_forget_kfacts(s.engine);
	/* attached: from here on, a compromise of this process gains no more than reading
	 * our own maps */
	err = privs_drop_after_attach();
	if (err) {
		log_error("cannot drop capabilities after attaching: %s", strerror(-err));
		goto out;
	}
	s.t.start.mono_ns = tracer_now_ns(CLOCK_MONOTONIC);
	s.t.start.real_ns = tracer_now_ns(CLOCK_REALTIME);
	err = tt->start ? tt->start(&s.t) : 0;
	if (!err)
		err = outbuf_flush(&s.out);
	if (!err) {
		/* tests and scripts wait for this line: from here on, nothing is missed */
		log_info("tracing%s; Ctrl-C to end",
			 s.t.inv->common.duration_ms ? " for the given duration" : "");
		err = event_loop(&s);
	}
	/* events first, then the summary about them */
	outbuf_flush(&s.out);
	if (tt->tick) {
		int final = tt->tick(&s.t, true);

		if (!err)
			err = final;
	}
	outbuf_flush(&s.out);
	/* the reader leaving (| head) is a normal end, not a failure */
	if (err == -EPIPE || s.out.err == -EPIPE)
		err = 0;
	else if (!err)
		err = s.out.err;
	if (err)
		log_error("tracing stopped: %s", strerror(-err));
out:
	session_free(&s);
	return err;
}

int tracer_probe_report(struct invocation *tool_inv, const struct tracer_tool *tt, bool json,
			FILE *out)
{
	struct session s;
	int err, run_err, pre_err = 0;

	err = session_init(&s, tool_inv, true);
	if (err)
		goto out;
	/* the tool's own one-line reason ("ZFS is not loaded") goes to stderr; the report of
	 * every candidate still follows, and the verdict is the precheck's */
	if (tt->precheck)
		pre_err = tt->precheck(&s.t, s.kf);
	run_err = engine_run(s.engine, true);
	if (pre_err)
		run_err = pre_err;
	if (json)
		engine_report_json(s.engine, tool_inv->tool->name, out);
	else
		engine_report(s.engine, out);
	err = run_err;
out:
	session_free(&s);
	return err;
}
