/*
 * monitors/storage/main.c - the storage monitor image: drives the node's
 * virtio-blk disk. The ext2 file service arrives with the storage issue;
 * today the monitor brings the disk up and reports what it holds.
 */
#include <stdint.h>
#include <tessera/wire.h>
#include <kernel/blkdev.h>
#include <kernel/console.h>
#include <kernel/monitor.h>
#include <kernel/pci.h>

#define EXT2_MAGIC 0xEF53

static uint8_t sb[1024] __attribute__((aligned(512)));

static int storage_init(const struct node_config *cfg)
{
	(void)cfg;
	if (!pci_find(0x1af4, 0x1042, 0)) {
		pr_warn("storage monitor: no disk attached; serving nothing");
		return 0;
	}
	if (blk_init())
		return 0;
	if (blk_rw(BLK_READ, 2, sb, 2) == 0) {
		uint16_t magic = (uint16_t)(sb[56] | sb[57] << 8);

		pr_info("storage monitor: disk of %lu MiB, %s", blk_capacity() >> 11,
			magic == EXT2_MAGIC ? "ext2 superblock found" : "no ext2 superblock");
	}
	return 0;
}

static int storage_poll(void)
{
	return blk_present() ? blk_poll() : 0;
}

const struct monitor this_monitor = {
	.role = FAB_ROLE_STORAGE,
	.name = "storage",
	.init = storage_init,
	.poll = storage_poll,
};
