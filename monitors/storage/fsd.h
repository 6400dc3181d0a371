/*
 * fsd.h - the storage node's file service: ext2 on the node's disk, served
 * to the cluster over the fabric (opcodes FAB_OP_FS_* in tessera/wire.h).
 */
#ifndef MONITORS_STORAGE_FSD_H
#define MONITORS_STORAGE_FSD_H
#include <stdint.h>

/* Mount the disk's file system and register the fabric handlers. */
int fsd_init(void);
/* Periodic work (write-back of old dirty blocks); returns >0 if it did some. */
int fsd_poll(void);

struct fsd_stats {
	uint64_t requests, errors, replayed, bytes_read, bytes_written, syncs;
};
const struct fsd_stats *fsd_stats(void);
#endif
