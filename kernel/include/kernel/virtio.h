/*
 * virtio.h - modern (1.0) virtio over PCI: capability discovery, feature
 * negotiation and split virtqueues. Drivers (virtio_net.c, later virtio_blk.c)
 * sit on top.
 */
#ifndef KERNEL_VIRTIO_H
#define KERNEL_VIRTIO_H
#include <stdint.h>
#include <kernel/pci.h>

#define VIRTIO_F_VERSION_1   32
#define VIRTIO_NO_VECTOR     0xffff

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));
#define VRING_DESC_F_NEXT  1
#define VRING_DESC_F_WRITE 2

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
} __attribute__((packed));

struct virtq {
	uint16_t index;
	uint16_t size;
	uint16_t num_free;
	uint16_t free_head;
	uint16_t last_used;
	uint16_t avail_idx;           /* our shadow of avail->idx */
	struct vring_desc *desc;
	volatile uint16_t *avail;     /* flags, idx, ring[size], used_event */
	volatile uint8_t *used;       /* flags, idx, ring[size] of vring_used_elem */
	volatile uint16_t *notify;
	void **cookie;
};

struct virtio_dev {
	struct pci_dev *pci;
	volatile uint8_t *common;
	volatile uint8_t *notify_base;
	uint32_t notify_mult;
	volatile uint8_t *isr;
	volatile uint8_t *devcfg;
	uint64_t features;
};

/* Reset, acknowledge and negotiate: features must include VERSION_1. */
int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci, uint64_t wanted);
int virtq_setup(struct virtio_dev *vd, struct virtq *q, uint16_t index, uint16_t max_size,
		uint16_t msix_vector);
void virtio_driver_ok(struct virtio_dev *vd);
void virtio_fail(struct virtio_dev *vd);
/* Post one buffer (a single descriptor); -1 if the ring is full. */
int virtq_add(struct virtq *q, uint64_t pa, uint32_t len, int device_writes, void *cookie);
/* One segment of a descriptor chain. */
struct virtq_seg {
	uint64_t pa;
	uint32_t len;
	int device_writes;
};
/* Post a chain of n segments as one buffer; -1 if not enough free descriptors. */
int virtq_add_chain(struct virtq *q, const struct virtq_seg *seg, unsigned n, void *cookie);
void virtq_kick(struct virtq *q);
/* Next completed buffer's cookie (and bytes written), or NULL. */
void *virtq_get_used(struct virtq *q, uint32_t *len);
void virtq_no_interrupts(struct virtq *q, int off);
#endif
