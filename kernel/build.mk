# kernel/: the core shared by every monitor image.
KLIBS += kernel
kernel_KSRCS := kernel/main.c kernel/node.c kernel/sched.c kernel/console.c kernel/lib/string.c kernel/lib/stdlib.c kernel/pfa.c \
	kernel/mm.c kernel/heap.c kernel/vm.c kernel/time.c kernel/rtc.c kernel/pci.c kernel/cmdline.c \
	kernel/virtio.c kernel/virtio_net.c kernel/virtio_blk.c
kernel_KSRCS += kernel/vmspace.c
