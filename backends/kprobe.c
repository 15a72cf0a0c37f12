/* SPDX-License-Identifier: GPL-2.0-only */
/* kprobe/kretprobe: work on any traceable symbol, including modules without BTF, but need
 * a kernel built with kprobes.
 *
 * Both probes are created through tracefs (kprobe_events), not libbpf's perf kprobe PMU:
 *  - a kretprobe needs one instance per thread inside the function at once, and the kernel's
 *    default is max(10, 2 * CPUs); a 16-thread workload sleeping in zpl_iter_read then loses
 *    returns that only the kernel's nmissed counts. Only tracefs takes a size ("rN:"), libbpf
 *    1.1 cannot pass one to the PMU. We ask for KRETPROBE_MAXACTIVE_MAX itself.
 *  - kprobe_profile gives each event's misses ("event hits misses") on every kernel, where
 *    the PMU's link info has them only since commit 3acf8ace6823 ("bpf: Add missed value to
 *    kprobe perf link info"), v6.7.
 * Events live in the group iotrace_<pid>; names carry the pid too because kprobe_profile
 * prints names without their group. An event cannot be removed while its perf event is open,
 * so events whose links are gone are removed at the next attach and at exit; groups of dead
 * processes (kill -9) are removed at the first attach. Without kprobe_events (tracefs
 * missing) the PMU path is the fallback, with the kernel's default instance count. */
#include "probe/probe.h"
#include "util/util.h"

#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GROUP_PREFIX "iotrace_"
#define EVENT_NAME_MAX 64 /* MAX_EVENT_NAME_LEN, with its NUL */

static const char *const tracefs_dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

struct kprobe_event {
	struct bpf_link *link; /* the link it serves; NULL once a newer link took the address */
	char name[EVENT_NAME_MAX];
	bool retprobe;
};

static struct {
	const char *tracefs; /* NULL: not looked for yet, or absent */
	bool looked, swept;
	unsigned int next_id;
	struct kprobe_event *events;
	size_t count, cap;
} reg;

static const char *tracefs_dir(void)
{
	char path[128];

	if (reg.looked)
		return reg.tracefs;
	reg.looked = true;
	for (size_t i = 0; i < ARRAY_SIZE(tracefs_dirs); i++) {
		snprintf(path, sizeof(path), "%s/kprobe_events", tracefs_dirs[i]);
		if (access(path, W_OK) == 0) {
			reg.tracefs = tracefs_dirs[i];
			break;
		}
	}
	return reg.tracefs;
}

static int write_kprobe_events(const char *line)
{
	char path[128];
	size_t len = strlen(line);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/kprobe_events", reg.tracefs);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

static int remove_event(const char *group, const char *name)
{
	char line[160];

	snprintf(line, sizeof(line), "-:%s/%s\n", group, name);
	return write_kprobe_events(line);
}

static void own_group(char *group, size_t size)
{
	snprintf(group, size, GROUP_PREFIX "%d", (int)getpid());
}

/* Events of groups iotrace_<pid> whose process is gone: a run killed with -9 had no chance
 * to remove its own. (A pid reused by a live process keeps them until that one ends.) */
static void sweep_dead_groups(void)
{
	char path[128], line[512], (*stale)[2][EVENT_NAME_MAX] = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kprobe_events", reg.tracefs);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* "r4096:iotrace_123/iotrace_123_0_r_zpl_iter_read zfs:zpl_iter_read" */
		char *colon = strchr(line, ':'), *slash, *end;
		long pid;

		if (!colon || strncmp(colon + 1, GROUP_PREFIX, strlen(GROUP_PREFIX)))
			continue;
		slash = strchr(colon + 1, '/');
		end = slash ? strpbrk(slash, " \t\n") : NULL;
		if (!end || slash - colon - 1 >= EVENT_NAME_MAX || end - slash - 1 >= EVENT_NAME_MAX)
			continue;
		pid = strtol(colon + 1 + strlen(GROUP_PREFIX), NULL, 10);
		if (pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *p = realloc(stale, ncap * sizeof(*stale));

			if (!p)
				break;
			stale = p;
			cap = ncap;
		}
		snprintf(stale[n][0], EVENT_NAME_MAX, "%.*s", (int)(slash - colon - 1), colon + 1);
		snprintf(stale[n][1], EVENT_NAME_MAX, "%.*s", (int)(end - slash - 1), slash + 1);
		n++;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		int err = remove_event(stale[i][0], stale[i][1]);

		if (err)
			log_warn("cannot remove the stale kprobe event %s/%s of a dead iotrace: %s",
				 stale[i][0], stale[i][1], errno_text(err).s);
		else
			log_debug("removed the stale kprobe event %s/%s of a dead iotrace", stale[i][0],
				  stale[i][1]);
	}
	free(stale);
}

/* Remove our events whose perf events are closed (their links destroyed); the kernel
 * refuses (EBUSY) the ones still in use, and those stay registered. */
static void remove_released_events(void)
{
	char group[32];
	size_t kept = 0;

	if (!reg.tracefs)
		return;
	own_group(group, sizeof(group));
	for (size_t i = 0; i < reg.count; i++) {
		int err = remove_event(group, reg.events[i].name);

		if (err && err != -ENOENT)
			reg.events[kept++] = reg.events[i];
	}
	reg.count = kept;
}

/* At exit, after main has destroyed every link: nothing of ours stays in kprobe_events. */
__attribute__((destructor)) static void remove_events_at_exit(void)
{
	remove_released_events();
	free(reg.events);
	reg.events = NULL;
	reg.count = reg.cap = 0;
}

static int register_event(struct bpf_link *link, const char *name, bool retprobe)
{
	if (reg.count == reg.cap) {
		size_t cap = reg.cap ? reg.cap * 2 : 8;
		struct kprobe_event *events = realloc(reg.events, cap * sizeof(*events));

		if (!events)
			return -ENOMEM;
		reg.events = events;
		reg.cap = cap;
	}
	/* a destroyed link's address may come back for a new one: the newest owns it */
	for (size_t i = 0; i < reg.count; i++)
		if (reg.events[i].link == link)
			reg.events[i].link = NULL;
	reg.events[reg.count].link = link;
	snprintf(reg.events[reg.count].name, EVENT_NAME_MAX, "%s", name);
	reg.events[reg.count].retprobe = retprobe;
	reg.count++;
	return 0;
}

static int read_event_id(const char *group, const char *name, uint64_t *id)
{
	char path[256];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", reg.tracefs, group, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%" SCNu64, id) != 1)
		err = -EINVAL;
	fclose(f);
	return err;
}

static int open_perf_event(uint64_t id, int *pfd)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	*pfd = (int)syscall(__NR_perf_event_open, &attr, -1 /* any task */, 0 /* cpu */,
			    -1 /* no group */, PERF_FLAG_FD_CLOEXEC);
	return *pfd < 0 ? -errno : 0;
}

/* "iotrace_123_4_r_zpl_iter_read": unique system-wide, a valid event name whatever the
 * target's characters. */
static void event_name(char *name, size_t size, bool retprobe, const char *target)
{
	int len = snprintf(name, size, GROUP_PREFIX "%d_%u_%c_%s", (int)getpid(), reg.next_id++,
			   retprobe ? 'r' : 'p', target);

	for (int i = 0; i < len && (size_t)i < size - 1; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			name[i] = '_';
}

/* One tracefs event and a BPF link on it; on failure nothing of it is left. */
/* instances: of a return probe (0 for an entry probe). */
static int attach_tracefs(struct bpf_program *prog, int instances, const char *target,
			  struct bpf_link **link)
{
	char group[32], name[EVENT_NAME_MAX], line[256], maxactive[16] = "";
	bool retprobe = instances > 0;
	uint64_t id = 0;
	int pfd = -1, err;

	if (retprobe)
		snprintf(maxactive, sizeof(maxactive), "%d", instances);
	own_group(group, sizeof(group));
	event_name(name, sizeof(name), retprobe, target);
	snprintf(line, sizeof(line), "%c%s:%s/%s %s\n", retprobe ? 'r' : 'p', maxactive, group,
		 name, target);
	err = write_kprobe_events(line);
	if (err) {
		log_debug("kprobe_events refused '%.*s': %s", (int)strlen(line) - 1, line,
			  errno_text(err).s);
		return err;
	}
	err = read_event_id(group, name, &id);
	if (!err)
		err = open_perf_event(id, &pfd);
	if (!err) {
		*link = bpf_program__attach_perf_event(prog, pfd);
		if (!*link)
			err = errno ? -errno : -EINVAL;
	}
	if (!err) {
		err = register_event(*link, name, retprobe);
		if (err) {
			bpf_link__destroy(*link); /* closes pfd */
			*link = NULL;
		}
		pfd = -1;
	}
	if (err) {
		if (pfd >= 0)
			close(pfd);
		remove_event(group, name);
	}
	return err;
}

/* instances: of a return probe (0 for an entry probe). */
static int attach_one(struct bpf_program *prog, int instances, const char *target,
		      struct bpf_link **link)
{
	bool retprobe = instances > 0;

	if (!tracefs_dir()) {
		if (retprobe)
			log_warn("no kprobe_events in tracefs: the return probe on %s gets the "
				 "kernel's default instances and may miss returns under concurrency "
				 "(mount tracefs on /sys/kernel/tracing to avoid it)", target);
		*link = bpf_program__attach_kprobe(prog, retprobe, target);
		return *link ? 0 : (errno ? -errno : -EINVAL);
	}
	if (!reg.swept) {
		reg.swept = true;
		sweep_dead_groups();
	}
	remove_released_events();
	return attach_tracefs(prog, instances, target, link);
}

static int kprobe_available(struct kfacts *kf, const struct probe_candidate *c, char *target,
			    size_t target_size, char *reason, size_t reason_size)
{
	int err = targets_need_feature(kf, KFEATURE_KPROBES, reason, reason_size);

	if (!err)
		err = targets_resolve_function(kf, c, target, target_size, reason, reason_size);
	if (!err)
		err = targets_check_func_proto(kf, c, target, reason, reason_size);
	return err;
}

static int kprobe_prepare(struct bpf_program *prog, struct bpf_program *ret,
			  const struct probe_candidate *c, const char *target)
{
	return 0; /* the target is given at attach time */
}

static int kprobe_attach(struct bpf_program *prog, struct bpf_program *ret,
			 const struct probe_candidate *c, const char *target,
			 const struct attach_opts *opts, struct bpf_link *links[2])
{
	int err = attach_one(prog, 0, target, &links[0]);

	/* each instance is a few dozen bytes of kernel memory: a return probe costs about
	 * 200-400 KiB at the most, allocated at attach and freed on detach */
	if (!err && ret)
		err = attach_one(ret, opts->kretprobe_maxactive ?: KRETPROBE_MAXACTIVE_MAX, target,
				 &links[1]);
	return err;
}

/* kprobe_profile: "  <event>  <hits>  <misses>" per event; for a kretprobe the misses
 * include the returns lost for want of an instance since commit dfea08a2116f
 * ("tracing/kprobes: 'nmissed' not showed correctly for kretprobe"), v5.17, and its
 * backports to the stable kernels of early 2022. */
/* Which of our events serves one of these links (NULL: none). */
static const struct kprobe_event *event_of(const char *name, struct bpf_link *const *links, size_t n)
{
	for (size_t i = 0; i < reg.count; i++) {
		if (strcmp(reg.events[i].name, name))
			continue;
		for (size_t l = 0; l < n; l++)
			if (reg.events[i].link && reg.events[i].link == links[l])
				return &reg.events[i];
	}
	return NULL;
}

/* One read of kprobe_profile for all the links: it lists every kprobe event of the system. */
static int kprobe_missed(struct bpf_link *const *links, size_t n, bool entries_only,
			 uint64_t *count)
{
	char path[128], line[256], event[128];
	unsigned long long hits, misses;
	const struct kprobe_event *ev;
	FILE *f;

	*count = 0;
	if (!reg.tracefs)
		return -EOPNOTSUPP; /* PMU kprobes: their link info has the count only since 6.7 */
	snprintf(path, sizeof(path), "%s/kprobe_profile", reg.tracefs);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %llu %llu", event, &hits, &misses) == 3 &&
		    !strncmp(event, GROUP_PREFIX, strlen(GROUP_PREFIX)) &&
		    (ev = event_of(event, links, n)) && !(entries_only && ev->retprobe))
			*count += misses;
	fclose(f);
	return 0;
}

const struct backend backend_kprobe = {
	.kind = BACKEND_KPROBE,
	.available = kprobe_available,
	.prepare = kprobe_prepare,
	.attach = kprobe_attach,
	.missed = kprobe_missed,
};
