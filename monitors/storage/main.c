/*
 * monitors/storage/main.c - the storage monitor image: brings up the node's
 * virtio-blk disk and serves its ext2 file system over the fabric (fsd.c).
 */
#include <stdint.h>
#include <tessera/wire.h>
#include <kernel/blkdev.h>
#include <kernel/console.h>
#include <kernel/monitor.h>
#include <kernel/pci.h>
#include <kernel/time.h>
#include "fsd.h"

static struct ktimer writeback_timer;

static void writeback_tick(struct ktimer *t)
{
	/* Only wakes the main loop; fsd_poll() decides whether to write back. */
	ktimer_arm(t, ktime_ns() + 500000000ull, writeback_tick);
}

static int storage_init(const struct node_config *cfg)
{
	(void)cfg;
	if (!pci_find(0x1af4, 0x1042, 0)) {
		pr_warn("storage monitor: no disk attached; file requests will fail with ENODEV");
		fsd_init();
		return 0;
	}
	if (blk_init())
		return 0;
	fsd_init();
	writeback_tick(&writeback_timer);
	return 0;
}

static int storage_poll(void)
{
	int work = 0;

	if (blk_present())
		work += blk_poll();
	work += fsd_poll();
	return work;
}

const struct monitor this_monitor = {
	.role = FAB_ROLE_STORAGE,
	.name = "storage",
	.init = storage_init,
	.poll = storage_poll,
};
