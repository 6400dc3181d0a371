/*
 * virtio_blk.c - interrupt-driven virtio-blk (modern) with many requests in
 * flight. Each request is a three-descriptor chain: header, data, status.
 * The interrupt only flags work; completions run from blk_poll().
 */
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/blkdev.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include <kernel/time.h>
#include <kernel/trap.h>
#include <kernel/virtio.h>

#define VIRTIO_BLK_F_RO     5
#define VIRTIO_BLK_F_FLUSH  9
#define QUEUE_MAX           128
#define MAX_INFLIGHT        (QUEUE_MAX / 3)
#define MAX_SECTORS         (1u << 16)      /* 32 MiB per request */

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
} __attribute__((packed));

/* Per-slot DMA area: header and status byte must outlive the request. */
struct slot {
	struct blk_hdr hdr;
	volatile uint8_t status;
	struct blk_req *req;
};

static struct virtio_dev vdev;
static struct virtq q;
static struct slot *slots;
static uint64_t capacity;
static int present, read_only, has_flush;
static volatile int signalled;
static struct blk_stats st;

static void blk_irq(void *arg)
{
	(void)arg;
	signalled = 1;
	st.irqs++;
}

int blk_init(void)
{
	struct pci_dev *pci = pci_find(0x1af4, 0x1042, 0);
	int vec;

	if (!pci) {
		pr_err("virtio-blk: no modern device (start QEMU with disable-legacy=on)");
		return -ENODEV;
	}
	if (virtio_pci_init(&vdev, pci, (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_RO)))
		return -EIO;
	vec = irq_alloc_vector(blk_irq, NULL);
	if (vec < 0 || pci_msix_route(pci, 0, vec) || virtq_setup(&vdev, &q, 0, QUEUE_MAX, 0)) {
		pr_err("virtio-blk: queue or interrupt setup failed");
		virtio_fail(&vdev);
		return -EIO;
	}
	slots = kzalloc(sizeof(*slots) * MAX_INFLIGHT);
	if (!slots)
		return -ENOMEM;
	capacity = mmio_read64(vdev.devcfg);
	read_only = !!(vdev.features & (1ull << VIRTIO_BLK_F_RO));
	has_flush = !!(vdev.features & (1ull << VIRTIO_BLK_F_FLUSH));
	virtio_driver_ok(&vdev);
	present = 1;
	pr_info("virtio-blk: %lu MiB%s%s, queue %u, vector %d", capacity >> 11,
		read_only ? ", read-only" : "", has_flush ? ", flush" : ", no flush (writes are synchronous)",
		q.size, vec);
	return 0;
}

int blk_present(void)
{
	return present;
}

uint64_t blk_capacity(void)
{
	return capacity;
}

int blk_submit(struct blk_req *r)
{
	struct virtq_seg seg[3];
	unsigned n = 0;
	int i;

	r->done = 0;
	r->status = 0;
	if (!present)
		return -ENODEV;
	if (r->op == BLK_WRITE && read_only)
		return -EROFS;
	if (r->op != BLK_FLUSH) {
		if (r->nsectors == 0 || r->nsectors > MAX_SECTORS || r->sector >= capacity ||
		    r->nsectors > capacity - r->sector)
			return -EINVAL;
	} else if (!has_flush) {
		r->done = 1;                 /* write-through device: nothing to flush */
		if (r->complete)
			r->complete(r);
		return 0;
	}
	for (i = 0; i < MAX_INFLIGHT && slots[i].req; i++)
		;
	if (i == MAX_INFLIGHT || q.num_free < 3)
		return -EAGAIN;
	slots[i].req = r;
	slots[i].hdr.type = (uint32_t)r->op;
	slots[i].hdr.reserved = 0;
	slots[i].hdr.sector = r->op == BLK_FLUSH ? 0 : r->sector;
	slots[i].status = 0xff;
	seg[n++] = (struct virtq_seg){ virt_to_phys(&slots[i].hdr), sizeof(struct blk_hdr), 0 };
	if (r->op != BLK_FLUSH)
		seg[n++] = (struct virtq_seg){ virt_to_phys(r->buf), r->nsectors * BLK_SECTOR, r->op == BLK_READ };
	seg[n++] = (struct virtq_seg){ virt_to_phys((const void *)&slots[i].status), 1, 1 };
	if (virtq_add_chain(&q, seg, n, &slots[i])) {
		slots[i].req = NULL;
		return -EAGAIN;
	}
	if (++st.in_flight > st.max_in_flight)
		st.max_in_flight = st.in_flight;
	virtq_kick(&q);
	return 0;
}

int blk_poll(void)
{
	struct slot *s;
	int n = 0;

	signalled = 0;
	while ((s = virtq_get_used(&q, NULL)) != NULL) {
		struct blk_req *r = s->req;

		s->req = NULL;
		st.in_flight--;
		if (!r)
			continue;
		r->status = s->status == 0 ? 0 : -EIO;
		if (r->status) {
			st.errors++;
			pr_err("virtio-blk: %s of %u sectors at %lu failed (status %u)",
			       r->op == BLK_READ ? "read" : r->op == BLK_WRITE ? "write" : "flush",
			       r->nsectors, r->sector, s->status);
		} else if (r->op == BLK_READ) {
			st.reads++;
			st.sectors_read += r->nsectors;
		} else if (r->op == BLK_WRITE) {
			st.writes++;
			st.sectors_written += r->nsectors;
		} else {
			st.flushes++;
		}
		r->done = 1;
		if (r->complete)
			r->complete(r);
		n++;
	}
	return n;
}

int blk_pending(void)
{
	volatile uint16_t *used_idx;

	if (!present)
		return 0;
	used_idx = (volatile uint16_t *)(q.used + 2);
	return signalled || *used_idx != q.last_used;
}

static int wait_done(struct blk_req *r)
{
	while (!r->done) {
		blk_poll();
		if (r->done)
			break;
		irq_disable();
		if (!blk_pending())
			safe_halt();
		else
			irq_enable();
	}
	return r->status;
}

int blk_rw(int op, uint64_t sector, void *buf, uint32_t nsectors)
{
	struct blk_req r = { .op = op, .sector = sector, .buf = buf, .nsectors = nsectors };
	int rc;

	while ((rc = blk_submit(&r)) == -EAGAIN) {
		blk_poll();
		cpu_relax();
	}
	if (rc)
		return rc;
	return wait_done(&r);
}

int blk_flush(void)
{
	struct blk_req r = { .op = BLK_FLUSH };
	int rc;

	while ((rc = blk_submit(&r)) == -EAGAIN) {
		blk_poll();
		cpu_relax();
	}
	if (rc)
		return rc;
	return wait_done(&r);
}

const struct blk_stats *blk_stats(void)
{
	return &st;
}
