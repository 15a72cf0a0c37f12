/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef IOTRACE_DISPATCH_H
#define IOTRACE_DISPATCH_H

/* The whole program behind main(): picks the tool from argv[0] (link name) or argv[1],
 * runs it and returns the process exit status. */
int dispatch_main(int argc, char **argv);

#endif
