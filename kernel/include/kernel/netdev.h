/*
 * netdev.h - the Ethernet device the fabric's net transport drives
 * (kernel/virtio_net.c). Frames are whole Ethernet frames without FCS.
 */
#ifndef KERNEL_NETDEV_H
#define KERNEL_NETDEV_H
#include <stddef.h>
#include <stdint.h>

#define NETDEV_MAX_FRAME (14 + 32 + 8192 + 512)

struct netdev_stats {
	uint64_t rx_frames, tx_frames, rx_oversize, tx_full, irqs;
};

typedef void (*netdev_rx_fn)(const void *frame, size_t len, void *arg);

int netdev_init(void);
const uint8_t *netdev_mac(void);
/* Queue one frame (copied). -EAGAIN if the ring stays full, -EMSGSIZE if too big. */
int netdev_send(const void *frame, size_t len);
/* Deliver up to budget received frames to fn; returns how many. */
int netdev_poll(netdev_rx_fn fn, void *arg, int budget);
/* True if the device signalled since the last poll (or frames may be waiting). */
int netdev_pending(void);
const struct netdev_stats *netdev_stats(void);
#endif
