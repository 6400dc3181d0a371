/*
 * net/fabric_net.c - the net transport: fabric frames as Ethernet frames on
 * the node's virtio-net NIC, one shared segment (see docs/fabric.md).
 */
#include <kernel/netdev.h>
#include "fabric.h"

_Static_assert(NETDEV_MAX_FRAME >= FAB_MAX_FRAME, "NIC must carry a full fabric frame");

const struct fabric_transport fabric_net_transport = {
	.name = "net",
	.send = netdev_send,
	.poll = netdev_poll,
	.pending = netdev_pending,
	.mac = netdev_mac,
};
