/*
 * virtio.c - virtio 1.0 PCI transport and split virtqueues.
 * Only modern devices are driven (QEMU: disable-legacy=on); a legacy-only
 * device is reported and skipped.
 */
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/virtio.h>

/* Common configuration structure offsets (virtio 1.0, 4.1.4.3). */
#define CC_DFSELECT   0
#define CC_DF         4
#define CC_GFSELECT   8
#define CC_GF         12
#define CC_MSIX       16
#define CC_NUMQ       18
#define CC_STATUS     20
#define CC_QSELECT    22
#define CC_QSIZE      24
#define CC_QMSIX      26
#define CC_QENABLE    28
#define CC_QNOTIFYOFF 30
#define CC_QDESC      32
#define CC_QDRIVER    40
#define CC_QDEVICE    48

#define ST_ACK        1
#define ST_DRIVER     2
#define ST_DRIVER_OK  4
#define ST_FEATURES_OK 8
#define ST_FAILED     128

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR    3
#define CAP_DEVICE 4

static volatile uint8_t *cap_ptr(struct pci_dev *pci, uint8_t cap, uint32_t *len_out)
{
	uint8_t bar = pci_read8(pci, cap + 4);
	uint32_t off = pci_read32(pci, cap + 8), len = pci_read32(pci, cap + 12);

	if (bar > 5 || !pci->bar[bar] || pci->bar_io[bar] || (uint64_t)off + len > pci->bar_size[bar])
		return NULL;
	if (len_out)
		*len_out = len;
	return vm_map_mmio(pci->bar[bar] + off, len);
}

int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci, uint64_t wanted)
{
	uint64_t have;
	uint8_t cap = 0;

	memset(vd, 0, sizeof(*vd));
	vd->pci = pci;
	pci_enable(pci);
	while ((cap = pci_find_cap(pci, 0x09, cap)) != 0) {
		uint8_t type = pci_read8(pci, cap + 3);

		switch (type) {
		case CAP_COMMON:
			if (!vd->common)
				vd->common = cap_ptr(pci, cap, NULL);
			break;
		case CAP_NOTIFY:
			if (!vd->notify_base) {
				vd->notify_base = cap_ptr(pci, cap, NULL);
				vd->notify_mult = pci_read32(pci, cap + 16);
			}
			break;
		case CAP_ISR:
			if (!vd->isr)
				vd->isr = cap_ptr(pci, cap, NULL);
			break;
		case CAP_DEVICE:
			if (!vd->devcfg)
				vd->devcfg = cap_ptr(pci, cap, NULL);
			break;
		}
	}
	if (!vd->common || !vd->notify_base) {
		pr_err("virtio: %02x:%02x.%x has no modern capabilities (use disable-legacy=on)",
		       pci->bus, pci->dev, pci->fn);
		return -1;
	}
	mmio_write8(vd->common + CC_STATUS, 0);
	while (mmio_read8(vd->common + CC_STATUS) != 0)
		cpu_relax();
	mmio_write8(vd->common + CC_STATUS, ST_ACK);
	mmio_write8(vd->common + CC_STATUS, ST_ACK | ST_DRIVER);

	mmio_write32(vd->common + CC_DFSELECT, 0);
	have = mmio_read32(vd->common + CC_DF);
	mmio_write32(vd->common + CC_DFSELECT, 1);
	have |= (uint64_t)mmio_read32(vd->common + CC_DF) << 32;
	if (!(have & (1ull << VIRTIO_F_VERSION_1))) {
		pr_err("virtio: device lacks VERSION_1");
		virtio_fail(vd);
		return -1;
	}
	vd->features = have & (wanted | (1ull << VIRTIO_F_VERSION_1));
	mmio_write32(vd->common + CC_GFSELECT, 0);
	mmio_write32(vd->common + CC_GF, (uint32_t)vd->features);
	mmio_write32(vd->common + CC_GFSELECT, 1);
	mmio_write32(vd->common + CC_GF, (uint32_t)(vd->features >> 32));
	mmio_write8(vd->common + CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(mmio_read8(vd->common + CC_STATUS) & ST_FEATURES_OK)) {
		pr_err("virtio: device refused features %lx", vd->features);
		virtio_fail(vd);
		return -1;
	}
	mmio_write16(vd->common + CC_MSIX, VIRTIO_NO_VECTOR);
	return 0;
}

int virtq_setup(struct virtio_dev *vd, struct virtq *q, uint16_t index, uint16_t max_size,
		uint16_t msix_vector)
{
	uint16_t size;
	uint64_t desc_pa, avail_pa, used_pa;
	unsigned desc_pages, avail_pages, used_pages;

	memset(q, 0, sizeof(*q));
	mmio_write16(vd->common + CC_QSELECT, index);
	size = mmio_read16(vd->common + CC_QSIZE);
	if (size == 0)
		return -1;
	if (size > max_size)
		size = max_size;
	/* Queue sizes are powers of two in split rings. */
	while (size & (size - 1))
		size &= size - 1;
	desc_pages = (16u * size + PAGE_SIZE - 1) / PAGE_SIZE;
	avail_pages = (6u + 2u * size + PAGE_SIZE - 1) / PAGE_SIZE;
	used_pages = (6u + 8u * size + PAGE_SIZE - 1) / PAGE_SIZE;
	desc_pa = frames_alloc(desc_pages);
	avail_pa = frames_alloc(avail_pages);
	used_pa = frames_alloc(used_pages);
	q->cookie = kzalloc(sizeof(void *) * size);
	if (!desc_pa || !avail_pa || !used_pa || !q->cookie)
		return -1;
	q->index = index;
	q->size = size;
	q->desc = phys_to_virt(desc_pa);
	q->avail = phys_to_virt(avail_pa);
	q->used = phys_to_virt(used_pa);
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->num_free = size;
	q->free_head = 0;

	mmio_write16(vd->common + CC_QSIZE, size);
	mmio_write64(vd->common + CC_QDESC, desc_pa);
	mmio_write64(vd->common + CC_QDRIVER, avail_pa);
	mmio_write64(vd->common + CC_QDEVICE, used_pa);
	mmio_write16(vd->common + CC_QMSIX, msix_vector);
	if (msix_vector != VIRTIO_NO_VECTOR && mmio_read16(vd->common + CC_QMSIX) != msix_vector) {
		pr_err("virtio: queue %u refused MSI-X vector %u", index, msix_vector);
		return -1;
	}
	q->notify = (volatile uint16_t *)(vd->notify_base +
		(uint64_t)mmio_read16(vd->common + CC_QNOTIFYOFF) * vd->notify_mult);
	mmio_write16(vd->common + CC_QENABLE, 1);
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	mmio_write8(vd->common + CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

void virtio_fail(struct virtio_dev *vd)
{
	mmio_write8(vd->common + CC_STATUS, mmio_read8(vd->common + CC_STATUS) | ST_FAILED);
}

int virtq_add(struct virtq *q, uint64_t pa, uint32_t len, int device_writes, void *cookie)
{
	uint16_t d;

	if (q->num_free == 0)
		return -1;
	d = q->free_head;
	q->free_head = q->desc[d].next;
	q->num_free--;
	q->desc[d].addr = pa;
	q->desc[d].len = len;
	q->desc[d].flags = device_writes ? VRING_DESC_F_WRITE : 0;
	q->cookie[d] = cookie;
	q->avail[2 + (q->avail_idx % q->size)] = d;
	barrier();                          /* ring entry before index (x86 keeps store order) */
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	return 0;
}

int virtq_add_chain(struct virtq *q, const struct virtq_seg *seg, unsigned n, void *cookie)
{
	uint16_t head, d;

	if (n == 0 || q->num_free < n)
		return -1;
	head = d = q->free_head;
	for (unsigned i = 0; i < n; i++) {
		q->desc[d].addr = seg[i].pa;
		q->desc[d].len = seg[i].len;
		q->desc[d].flags = (uint16_t)((seg[i].device_writes ? VRING_DESC_F_WRITE : 0) |
					      (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		if (i + 1 < n)
			d = q->desc[d].next;
	}
	q->free_head = q->desc[d].next;
	q->num_free = (uint16_t)(q->num_free - n);
	q->cookie[head] = cookie;
	q->avail[2 + (q->avail_idx % q->size)] = head;
	barrier();
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	return 0;
}

void virtq_kick(struct virtq *q)
{
	mb();
	mmio_write16(q->notify, q->index);
}

void *virtq_get_used(struct virtq *q, uint32_t *len)
{
	volatile uint16_t *used_idx = (volatile uint16_t *)(q->used + 2);
	volatile struct vring_used_elem *ring = (volatile struct vring_used_elem *)(q->used + 4);
	uint16_t d;
	void *cookie;

	if (q->last_used == *used_idx)
		return NULL;
	barrier();
	d = (uint16_t)ring[q->last_used % q->size].id;
	if (len)
		*len = ring[q->last_used % q->size].len;
	q->last_used++;
	if (d >= q->size)
		panic("virtio: device returned descriptor %u of %u", d, q->size);
	cookie = q->cookie[d];
	q->cookie[d] = NULL;
	/* Return the whole chain to the free list. */
	{
		uint16_t last = d, n = 1;

		while ((q->desc[last].flags & VRING_DESC_F_NEXT) && n < q->size) {
			last = q->desc[last].next;
			n++;
		}
		q->desc[last].flags = 0;
		q->desc[last].next = q->free_head;
		q->free_head = d;
		q->num_free = (uint16_t)(q->num_free + n);
	}
	return cookie;
}

void virtq_no_interrupts(struct virtq *q, int off)
{
	q->avail[0] = off ? 1 : 0;         /* VRING_AVAIL_F_NO_INTERRUPT */
}
