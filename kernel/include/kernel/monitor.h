/*
 * monitor.h - what each monitor image (monitors/<role>/) provides to the
 * shared kernel core: its role and its hooks into the node's main loop.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H
#include <kernel/cmdline.h>

struct monitor {
	int role;                                   /* enum fab_role */
	const char *name;
	int (*init)(const struct node_config *cfg); /* after the fabric is up, before join */
	int (*poll)(void);                          /* main-loop work; returns >0 if it did some */
};

extern const struct monitor this_monitor;

/* The node agent: join gmmd, heartbeat, serve fabric requests. Never returns. */
void node_run(const struct node_config *cfg) __attribute__((noreturn));
#endif
