/* SPDX-License-Identifier: GPL-2.0-only */
#define _GNU_SOURCE /* strerrorname_np */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

/* Codes the kernel uses inside and lets out of bpf() and file operations; userspace's
 * errno.h has no name for them (include/linux/errno.h). */
static const struct {
	int err;
	const char *name;
} kernel_errnos[] = {
	{ 512, "ERESTARTSYS" },	  { 513, "ERESTARTNOINTR" },		{ 514, "ERESTARTNOHAND" },
	{ 515, "ENOIOCTLCMD" },	  { 516, "ERESTART_RESTARTBLOCK" }, { 517, "EPROBE_DEFER" },
	{ 518, "EOPENSTALE" },	  { 519, "ENOPARAM" },			{ 521, "EBADHANDLE" },
	{ 522, "ENOTSYNC" },	  { 523, "EBADCOOKIE" },		{ 524, "ENOTSUPP" },
	{ 525, "ETOOSMALL" },	  { 526, "ESERVERFAULT" },		{ 527, "EBADTYPE" },
	{ 528, "EJUKEBOX" },	  { 529, "EIOCBQUEUED" },		{ 530, "ERECALLCONFLICT" },
	{ 531, "ENOGRACE" },
};

const char *errno_name(int err)
{
	const char *name = NULL;

	if (err < 0)
		err = -err;
#ifdef __GLIBC__
	if (err > 0)
		name = strerrorname_np(err);
#endif
	for (size_t i = 0; !name && i < ARRAY_SIZE(kernel_errnos); i++)
		if (kernel_errnos[i].err == err)
			name = kernel_errnos[i].name;
	return name;
}

struct errno_text errno_text(int err)
{
	struct errno_text text;
	const char *name = errno_name(err);

	if (err < 0)
		err = -err;
	if (name)
		snprintf(text.s, sizeof(text.s), "%s", name);
	else
		snprintf(text.s, sizeof(text.s), "errno %d", err);
	return text;
}
