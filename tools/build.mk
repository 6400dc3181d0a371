# tools/: the tess CLI and the fabric frame injector used by the tests.
HPROGS += tess
tess_SRCS := tools/tess.c tools/tess_util.c tools/tess_up.c tools/tess_ctl.c tools/tess_disk.c \
	tools/tess_node.c tools/tess_fs.c \
	tools/tess_run.c
tess_LIBS := hnet
tess_LDLIBS := -ljansson

# Many file requests at once through gmmd (tests and benchmarks of the storage node).
HPROGS += fs-load
fs-load_SRCS := tools/fs_load.c
fs-load_LDLIBS := -ljansson

HPROGS += fabric-inject
fabric-inject_SRCS := tools/fabric_inject.c
fabric-inject_LIBS := hnet

# The default root directory of storage nodes' disks (tess up runs mke2fs -d on it).
$(BUILD)/rootfs/bin/busybox: tools/mkrootfs.sh $(wildcard /bin/busybox)
	@echo "  ROOTFS $(BUILD)/rootfs"
	$(Q)sh tools/mkrootfs.sh $(BUILD)/rootfs
all: $(BUILD)/rootfs/bin/busybox

# mem-probe: address-space isolation of a memory node, checked from the fabric
HPROGS += mem-probe
mem-probe_SRCS := tools/mem_probe.c
mem-probe_LIBS := hnet
