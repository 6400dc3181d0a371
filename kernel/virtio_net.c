/*
 * virtio_net.c - interrupt-driven virtio-net (modern). Receive buffers are
 * large enough for a fabric jumbo frame (page + piggybacked page + headers),
 * so no MRG_RXBUF. The rx MSI-X interrupt only sets a flag; frames are
 * handed to the fabric from the main loop, never in interrupt context.
 */
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/netdev.h>
#include <kernel/pci.h>
#include <kernel/time.h>
#include <kernel/trap.h>
#include <kernel/virtio.h>

#define VIRTIO_NET_F_MAC   5
#define VNET_HDR_LEN       12            /* virtio_net_hdr_v1 */
#define BUF_PAGES          3             /* 12 KiB >= header + NETDEV_MAX_FRAME */
#define BUF_BYTES          (BUF_PAGES * PAGE_SIZE)
#define RX_BUFS            64
#define TX_BUFS            64
#define QUEUE_MAX          256

_Static_assert(VNET_HDR_LEN + NETDEV_MAX_FRAME <= BUF_BYTES, "buffer too small for a jumbo frame");

static struct virtio_dev vdev;
static struct virtq rxq, txq;
static uint64_t tx_pa[TX_BUFS];
static uint8_t tx_busy[TX_BUFS];
static uint8_t mac[6];
static volatile int rx_signalled;
static struct netdev_stats st;
static int up;

static void rx_irq(void *arg)
{
	(void)arg;
	rx_signalled = 1;
	st.irqs++;
}

static int post_rx(uint64_t pa)
{
	return virtq_add(&rxq, pa, BUF_BYTES, 1, (void *)(uintptr_t)pa);
}

int netdev_init(void)
{
	struct pci_dev *pci = pci_find(0x1af4, 0x1041, 0);
	int vec;

	if (!pci) {
		if (pci_find(0x1af4, 0x1000, 0))
			pr_err("virtio-net: only a legacy device found; start QEMU with disable-legacy=on");
		else
			pr_err("virtio-net: no device");
		return -ENODEV;
	}
	if (virtio_pci_init(&vdev, pci, 1ull << VIRTIO_NET_F_MAC))
		return -EIO;
	vec = irq_alloc_vector(rx_irq, NULL);
	if (vec < 0 || pci_msix_route(pci, 0, vec)) {
		pr_err("virtio-net: cannot route MSI-X");
		virtio_fail(&vdev);
		return -EIO;
	}
	if (virtq_setup(&vdev, &rxq, 0, QUEUE_MAX, 0) ||
	    virtq_setup(&vdev, &txq, 1, QUEUE_MAX, VIRTIO_NO_VECTOR)) {
		pr_err("virtio-net: queue setup failed");
		virtio_fail(&vdev);
		return -EIO;
	}
	virtq_no_interrupts(&txq, 1);
	if (vdev.features & (1ull << VIRTIO_NET_F_MAC)) {
		for (int i = 0; i < 6; i++)
			mac[i] = mmio_read8(vdev.devcfg + i);
	} else {
		pr_err("virtio-net: device has no MAC");
		virtio_fail(&vdev);
		return -EIO;
	}
	for (int i = 0; i < RX_BUFS && i < rxq.size; i++) {
		uint64_t pa = frames_alloc(BUF_PAGES);

		if (!pa || post_rx(pa))
			break;
	}
	for (int i = 0; i < TX_BUFS; i++) {
		tx_pa[i] = frames_alloc(BUF_PAGES);
		if (!tx_pa[i])
			return -ENOMEM;
	}
	virtio_driver_ok(&vdev);
	virtq_kick(&rxq);
	up = 1;
	pr_info("virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, rx %u/%u tx %u, vector %d",
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], RX_BUFS, rxq.size, txq.size, vec);
	return 0;
}

const uint8_t *netdev_mac(void)
{
	return mac;
}

static void tx_reclaim(void)
{
	void *c;

	while ((c = virtq_get_used(&txq, NULL)) != NULL)
		tx_busy[(uintptr_t)c - 1] = 0;
}

int netdev_send(const void *frame, size_t len)
{
	uint64_t deadline = 0;
	int slot = -1;
	uint8_t *buf;

	if (!up)
		return -ENODEV;
	if (len > NETDEV_MAX_FRAME)
		return -EMSGSIZE;
	for (;;) {
		tx_reclaim();
		for (int i = 0; i < TX_BUFS; i++) {
			if (!tx_busy[i]) {
				slot = i;
				break;
			}
		}
		if (slot >= 0 && txq.num_free)
			break;
		/* The device drains tx synchronously in QEMU; wait briefly, then give up. */
		if (!deadline)
			deadline = ktime_ns() + 5000000ull;
		if (ktime_ns() > deadline) {
			st.tx_full++;
			return -EAGAIN;
		}
		cpu_relax();
	}
	buf = phys_to_virt(tx_pa[slot]);
	memset(buf, 0, VNET_HDR_LEN);
	memcpy(buf + VNET_HDR_LEN, frame, len);
	tx_busy[slot] = 1;
	virtq_add(&txq, tx_pa[slot], (uint32_t)(VNET_HDR_LEN + len), 0, (void *)(uintptr_t)(slot + 1));
	virtq_kick(&txq);
	st.tx_frames++;
	return 0;
}

int netdev_poll(netdev_rx_fn fn, void *arg, int budget)
{
	int n = 0;
	void *c;
	uint32_t len;

	if (!up)
		return 0;
	rx_signalled = 0;
	while (n < budget && (c = virtq_get_used(&rxq, &len)) != NULL) {
		uint64_t pa = (uint64_t)(uintptr_t)c;

		if (len > VNET_HDR_LEN && len <= BUF_BYTES) {
			st.rx_frames++;
			fn((uint8_t *)phys_to_virt(pa) + VNET_HDR_LEN, len - VNET_HDR_LEN, arg);
		} else {
			st.rx_oversize++;
		}
		post_rx(pa);
		n++;
	}
	if (n)
		virtq_kick(&rxq);
	if (n == budget)
		rx_signalled = 1;           /* more may be waiting */
	return n;
}

int netdev_pending(void)
{
	volatile uint16_t *used_idx;

	if (!up)
		return 0;
	used_idx = (volatile uint16_t *)(rxq.used + 2);
	return rx_signalled || *used_idx != rxq.last_used;
}

const struct netdev_stats *netdev_stats(void)
{
	return &st;
}
