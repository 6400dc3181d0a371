/*
 * ivshmem.c - finding the node's pool windows on the PCI bus (see ivshmem.h).
 * A device whose header is not a pool header of this node, or whose size
 * disagrees with its BAR, is logged and left alone.
 */
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include "ivshmem.h"

#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_BAR    2

static struct cxl_window windows[CXL_MAX_WINDOWS];
static unsigned nwindows;
static uint16_t self_id;

unsigned cxl_windows_probe(uint16_t self)
{
	struct pci_dev *d;

	self_id = self;
	for (unsigned nth = 0; (d = pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, nth)) != NULL; nth++) {
		uint64_t pa = d->bar[IVSHMEM_BAR], size = d->bar_size[IVSHMEM_BAR];
		const struct cxl_hdr *h;
		void *base;

		if (nwindows == CXL_MAX_WINDOWS) {
			pr_warn("cxl: more than %u pool windows, the rest are ignored", CXL_MAX_WINDOWS);
			break;
		}
		if (!pa || !size || d->bar_io[IVSHMEM_BAR]) {
			pr_warn("cxl: ivshmem device %u has no memory BAR", nth);
			continue;
		}
		pci_enable(d);
		base = vm_map_mmio(pa, size);
		if (!base) {
			pr_warn("cxl: cannot map pool window %u (%lu MiB at %lx)", nth, size >> 20, pa);
			continue;
		}
		h = base;
		if (cxl_attach(&windows[nwindows], base, size) ||
		    (h->host.mnode != self && h->host.pnode != self)) {
			pr_warn("cxl: ivshmem device %u (%lu MiB) holds no pool window of this node", nth, size >> 20);
			continue;
		}
		pr_info("cxl: pool window m%u-p%u: %lu MiB, %u page slots", h->host.mnode, h->host.pnode,
			size >> 20, windows[nwindows].lay.nslots);
		nwindows++;
	}
	return nwindows;
}

unsigned cxl_window_count(void)
{
	return nwindows;
}

struct cxl_window *cxl_window_get(unsigned i)
{
	return i < nwindows ? &windows[i] : NULL;
}

struct cxl_window *cxl_window_for_peer(uint16_t peer)
{
	for (unsigned i = 0; i < nwindows; i++) {
		const struct cxl_host_hdr *h = &windows[i].hdr->host;

		if ((h->mnode == self_id && h->pnode == peer) || (h->pnode == self_id && h->mnode == peer))
			return &windows[i];
	}
	return NULL;
}
