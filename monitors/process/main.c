/*
 * monitors/process/main.c - the process monitor image: runs vNodes (Linux
 * programs in ring 3) with an ExCache in front of remote memory.
 */
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/monitor.h>
#include <excache/excache.h>
#include <cxl/ivshmem.h>

void vnode_init(void);
void syscall_layer_init(void);
extern uint64_t default_excache_bytes;

static int process_init(const struct node_config *cfg)
{
	uint64_t free_bytes = mm_pfa()->free * PAGE_SIZE;
	/* Keep at least 24 MiB (or a quarter) of the node for the kernel, page tables and buffers. */
	uint64_t reserve = free_bytes / 4 > (24ull << 20) ? free_bytes / 4 : (24ull << 20);
	uint64_t pool = cfg->excache_bytes ? cfg->excache_bytes : free_bytes / 2;

	if (pool + reserve > free_bytes) {
		uint64_t fit = free_bytes > reserve ? free_bytes - reserve : free_bytes / 2;

		if (cfg->excache_bytes)
			pr_warn("process monitor: excache=%lu MiB does not fit; using %lu MiB", pool >> 20, fit >> 20);
		pool = fit;
	}
	excache_pool_init(pool);
	cxl_windows_probe(cfg->node_id);
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
