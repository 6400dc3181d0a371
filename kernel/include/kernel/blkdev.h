/*
 * blkdev.h - the block device the storage monitor drives (kernel/virtio_blk.c).
 * 512-byte sectors. Requests are asynchronous with a completion callback;
 * blk_rw()/blk_flush() are the synchronous forms, which sleep in hlt.
 */
#ifndef KERNEL_BLKDEV_H
#define KERNEL_BLKDEV_H
#include <stdint.h>

#define BLK_SECTOR 512

enum blk_op { BLK_READ = 0, BLK_WRITE = 1, BLK_FLUSH = 4 };

struct blk_req {
	int op;                 /* enum blk_op */
	uint64_t sector;
	void *buf;              /* physically contiguous (kmalloc, static, or frames) */
	uint32_t nsectors;
	int status;             /* 0 or -EIO, set on completion */
	volatile int done;
	void (*complete)(struct blk_req *r);   /* optional, called from blk_poll() */
	void *priv;
};

struct blk_stats {
	uint64_t reads, writes, flushes, errors, sectors_read, sectors_written, irqs;
	uint32_t in_flight, max_in_flight;
};

int blk_init(void);
int blk_present(void);
uint64_t blk_capacity(void);            /* sectors */
int blk_submit(struct blk_req *r);      /* -EAGAIN if the queue is full */
int blk_poll(void);                     /* complete finished requests; returns how many */
int blk_pending(void);
int blk_rw(int op, uint64_t sector, void *buf, uint32_t nsectors);
int blk_flush(void);
const struct blk_stats *blk_stats(void);
#endif
