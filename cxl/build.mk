# cxl/: the CXL-like page pool a memory node shares with each process node
# (QEMU ivshmem-plain over a host file): layout, directory, rings (pool.c),
# the memory node's slot bookkeeping (store.c), the PCI side (ivshmem.c).
KLIBS += cxl
cxl_KSRCS := cxl/pool.c cxl/store.c cxl/ivshmem.c
