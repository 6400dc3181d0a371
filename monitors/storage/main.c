/*
 * monitors/storage/main.c - the storage monitor image: its role and hooks for the
 * shared node agent. Role-specific services arrive with later issues.
 */
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/monitor.h>

static int storage_init(const struct node_config *cfg)
{
	(void)cfg;
	pr_info("storage monitor: ready");
	return 0;
}

const struct monitor this_monitor = {
	.role = FAB_ROLE_STORAGE,
	.name = "storage",
	.init = storage_init,
};
