/* SPDX-License-Identifier: GPL-2.0-only */
#include "util/util.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct capsets {
	uint64_t effective, permitted, inheritable;
};

static int caps_get(struct capsets *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	c->effective = data[0].effective | (uint64_t)data[1].effective << 32;
	c->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	c->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct capsets *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable },
		{ (uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
		  (uint32_t)(c->inheritable >> 32) },
	};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static bool has(uint64_t set, int cap)
{
	return set & (1ULL << cap);
}

/* Kernels before 5.8 know neither CAP_BPF nor CAP_PERFMON.
 * commit 980737282232 ("capabilities: Introduce CAP_PERFMON to kernel and user space"), v5.8
 * commit a17b53c4a4b5 ("bpf, capability: Introduce CAP_BPF"), v5.8 */
static bool kernel_knows_cap_bpf(void)
{
	int last = 0;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = 0;
		fclose(f);
	}
	return last >= CAP_BPF;
}

int privs_check(char *missing, size_t size)
{
	struct capsets c;
	int err = caps_get(&c);

	if (err) {
		snprintf(missing, size, "cannot read capabilities: %s", strerror(-err));
		return err;
	}
	if (has(c.effective, CAP_SYS_ADMIN))
		return 0;
	if (kernel_knows_cap_bpf() && has(c.effective, CAP_BPF) && has(c.effective, CAP_PERFMON))
		return 0;
	if (!kernel_knows_cap_bpf())
		snprintf(missing, size, "CAP_SYS_ADMIN");
	else
		snprintf(missing, size, "%s%s%s", has(c.effective, CAP_BPF) ? "" : "CAP_BPF",
			 !has(c.effective, CAP_BPF) && !has(c.effective, CAP_PERFMON) ? " and " : "",
			 has(c.effective, CAP_PERFMON) ? "" : "CAP_PERFMON");
	return -EPERM;
}

bool privs_have_sys_admin(void)
{
	struct capsets c;

	return caps_get(&c) == 0 && has(c.effective, CAP_SYS_ADMIN);
}

int privs_drop_after_attach(void)
{
	int keep = kernel_knows_cap_bpf() ? CAP_BPF : CAP_SYS_ADMIN;
	struct capsets c;
	int err = caps_get(&c);

	if (err)
		return err;
	c.effective &= 1ULL << keep;
	c.permitted &= 1ULL << keep;
	c.inheritable = 0;
	return caps_set(&c);
}
