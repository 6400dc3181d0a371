/*
 * ivshmem.h - the node's pool windows: QEMU ivshmem-plain devices (PCI
 * 1af4:1110) whose shared memory (BAR2) starts with a pool header that tess
 * up wrote (cxl/pool.h), one per memory-node/process-node pair.
 */
#ifndef CXL_IVSHMEM_H
#define CXL_IVSHMEM_H
#include <stdint.h>
#include "pool.h"

#define CXL_MAX_WINDOWS 8

/* Find and map this node's windows (after pci_scan); how many. */
unsigned cxl_windows_probe(uint16_t self);
unsigned cxl_window_count(void);
struct cxl_window *cxl_window_get(unsigned i);
/* The window this node shares with node peer, or NULL. */
struct cxl_window *cxl_window_for_peer(uint16_t peer);
#endif
