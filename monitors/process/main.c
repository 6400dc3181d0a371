/*
 * monitors/process/main.c - the process monitor image: its role and hooks for the
 * shared node agent. Role-specific services arrive with later issues.
 */
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/monitor.h>

static int process_init(const struct node_config *cfg)
{
	(void)cfg;
	pr_info("process monitor: ready");
	return 0;
}

const struct monitor this_monitor = {
	.role = FAB_ROLE_PROCESS,
	.name = "process",
	.init = process_init,
};
