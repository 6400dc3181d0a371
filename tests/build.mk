# tests build fragment

# dbstate: migrations, atomic state changes, append-only events, read-only queries
UNIT_TESTS += test_dbstate
test_dbstate_SRCS := tests/unit/test_dbstate.c
test_dbstate_LIBS := dbstate
test_dbstate_LDLIBS := -lcmocka -lsqlite3 -ljansson

# dbstate: memory pools, vNode placement and life, the 002 migration
UNIT_TESTS += test_dbstate_vnodes
test_dbstate_vnodes_SRCS := tests/unit/test_dbstate_vnodes.c
test_dbstate_vnodes_LIBS := dbstate
test_dbstate_vnodes_LDLIBS := -lcmocka -lsqlite3 -ljansson

# the fabric hub's learning/forwarding table
UNIT_TESTS += test_hub
test_hub_SRCS := tests/unit/test_hub.c net/hub_table.c
test_hub_LDLIBS := -lcmocka

# Unit tests of net/wire.c and net/rpc.c. Each test #includes the source it
# tests, so that code is compiled with the sanitizers too (libhnet is not).
UNIT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

UNIT_TESTS += test_wire
test_wire_SRCS := tests/unit/test_wire.c
test_wire_CFLAGS := $(UNIT_SAN)
test_wire_LDLIBS := $(UNIT_SAN) -lcmocka

UNIT_TESTS += test_rpc
test_rpc_SRCS := tests/unit/test_rpc.c
test_rpc_CFLAGS := $(UNIT_SAN)
test_rpc_LDLIBS := $(UNIT_SAN) -lcmocka

# Pure-logic kernel files on the host, under ASan/UBSan. -idirafter keeps libc's
# <string.h> ahead of kernel/include/string.h while <kernel/...> still resolves.
KUNIT_CFLAGS := -idirafter kernel/include -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
KUNIT_LDLIBS := -fsanitize=address,undefined -fno-sanitize-recover=all -lcmocka

# kernel/pfa.c: the page-frame bitmap allocator
UNIT_TESTS += test_pfa
test_pfa_SRCS := tests/unit/test_pfa.c kernel/pfa.c
test_pfa_CFLAGS := $(KUNIT_CFLAGS)
test_pfa_LDLIBS := $(KUNIT_LDLIBS)

# kernel/cmdline.c: the node boot command line
UNIT_TESTS += test_cmdline
test_cmdline_SRCS := tests/unit/test_cmdline.c kernel/cmdline.c
test_cmdline_CFLAGS := $(KUNIT_CFLAGS)
test_cmdline_LDLIBS := $(KUNIT_LDLIBS)

# gmmd's join rules: id assignment, retries, refusal of live ids, rejoin
UNIT_TESTS += test_gmm_join
test_gmm_join_SRCS := tests/unit/test_gmm_join.c gmm/join_rules.c
test_gmm_join_LDLIBS := -lcmocka

# monitors/storage/ext2: the ext2 library on mke2fs-made images, every image
# checked with e2fsck -fn afterwards (needs e2fsprogs).
EXT2_LIB_SRCS := $(wildcard monitors/storage/ext2/*.c)
UNIT_TESTS += test_ext2
test_ext2_SRCS := tests/unit/test_ext2.c $(EXT2_LIB_SRCS)
test_ext2_CFLAGS := $(KUNIT_CFLAGS)
test_ext2_LDLIBS := $(KUNIT_LDLIBS)

# monitors/process/elf.c: ELF load planning, on real host binaries of all four
# kinds (busybox-static, musl-gcc -static, gcc -static-pie, /bin/ls,
# gcc -no-pie; needs musl-tools) checked against readelf, corrupt inputs, and
# each kind run on the host as loaded by the plan with a ustack.c stack
UNIT_TESTS += test_elf
test_elf_SRCS := tests/unit/test_elf.c monitors/process/elf.c monitors/process/ustack.c
test_elf_CFLAGS := $(KUNIT_CFLAGS)
test_elf_LDLIBS := $(KUNIT_LDLIBS)

# monitors/process/ustack.c: the initial user stack (argv, envp, auxv)
UNIT_TESTS += test_ustack
test_ustack_SRCS := tests/unit/test_ustack.c monitors/process/ustack.c
test_ustack_CFLAGS := $(KUNIT_CFLAGS)
test_ustack_LDLIBS := $(KUNIT_LDLIBS)

# kernel/vmspace.c: address-space regions with Linux's mmap rules, and a
# seeded random sequence checked against a page-by-page model
UNIT_TESTS += test_vmspace
test_vmspace_SRCS := tests/unit/test_vmspace.c kernel/vmspace.c
test_vmspace_CFLAGS := $(KUNIT_CFLAGS)
test_vmspace_LDLIBS := $(KUNIT_LDLIBS)

# Fuzzing the ext2 library (libFuzzer; needs clang): `make fuzz` runs it for
# FUZZ_TIME seconds from the seed images and fails on any crash.
FUZZ_TIME ?= 60
fuzz:
	$(Q)sh tests/fuzz/run.sh $(FUZZ_TIME)
.PHONY: fuzz

# monitors/memory/memsvc.c: the memory node's service (ownership, permissions,
# page store, reply cache) over kernel/vmspace.c, with a counting frame allocator
UNIT_TESTS += test_memsvc
test_memsvc_SRCS := tests/unit/test_memsvc.c monitors/memory/memsvc.c monitors/memory/idmap.c kernel/vmspace.c
test_memsvc_CFLAGS := $(KUNIT_CFLAGS)
test_memsvc_LDLIBS := $(KUNIT_LDLIBS)

# the ExCache's set of pages held by the memory node
UNIT_TESTS += test_pageset
test_pageset_SRCS := tests/unit/test_pageset.c excache/pageset.c
test_pageset_CFLAGS := $(KUNIT_CFLAGS)
test_pageset_LDLIBS := $(KUNIT_LDLIBS)

# tests/workloads: static Linux programs that the booted-cluster tests run in
# vNodes (t-run-excache: randwrite). musl-gcc -static (musl-tools); part of
# `make`, so `make test` has them before tests/integration/run.sh starts.
WORKLOADS := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(wildcard tests/workloads/*.c))
all: $(WORKLOADS)
$(BUILD)/workloads/%: tests/workloads/%.c
	@mkdir -p $(@D)
	@echo "  MUSL  $@"
	$(Q)musl-gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o $@ $<

# monitors/process/shebang.c: the "#!" line of interpreter scripts, as Linux reads it
UNIT_TESTS += test_shebang
test_shebang_SRCS := tests/unit/test_shebang.c monitors/process/shebang.c
test_shebang_CFLAGS := $(KUNIT_CFLAGS)
test_shebang_LDLIBS := $(KUNIT_LDLIBS)

# cxl/: the shared page pool, both sides over one buffer
UNIT_TESTS += test_cxl_pool
test_cxl_pool_SRCS := tests/unit/test_cxl_pool.c cxl/pool.c cxl/store.c
test_cxl_pool_CFLAGS := $(KUNIT_CFLAGS)
test_cxl_pool_LDLIBS := $(KUNIT_LDLIBS)

# The threads workload against glibc too (gcc -static -pthread): its
# pthread_create tries clone3 first and uses rseq and robust lists.
all: $(BUILD)/workloads/threads-glibc
$(BUILD)/workloads/threads-glibc: tests/workloads/threads.c
	@mkdir -p $(@D)
	@echo "  GLIBC $@"
	$(Q)gcc -static -O2 -std=gnu11 -pthread -Wall -Wextra -Werror -o $@ $<
