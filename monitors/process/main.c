/*
 * monitors/process/main.c - the process monitor image: runs vNodes (Linux
 * programs in ring 3) with an ExCache in front of remote memory.
 */
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/monitor.h>
#include <excache/excache.h>

void vnode_init(void);
void syscall_layer_init(void);
extern uint64_t default_excache_bytes;

static int process_init(const struct node_config *cfg)
{
	uint64_t free_bytes = mm_pfa()->free * PAGE_SIZE;
	uint64_t pool = free_bytes / 2;

	(void)cfg;
	excache_pool_init(pool);
	default_excache_bytes = excache_pool_free_bytes() / 2;
	syscall_layer_init();
	vnode_init();
	pr_info("process monitor: ready, ExCache pool %lu MiB, default per vNode %lu MiB",
		excache_pool_free_bytes() >> 20, default_excache_bytes >> 20);
	return 0;
}

const struct monitor this_monitor = {
	.role = FAB_ROLE_PROCESS,
	.name = "process",
	.init = process_init,
};
