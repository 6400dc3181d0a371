# Tessera top-level build. `make` builds the three monitor kernels, gmmd, tess
# and the fabric hub into build/. Each component directory contributes a
# build.mk fragment naming its sources and its own flags, so an isolation
# profile can place and harden one component without touching the others.
#
#   make          build everything
#   make run      install missing packages, boot the default cluster
#   make test     install missing packages, unit + booted-cluster tests
#   make bench    benchmarks (print figures; never part of tests)
#   make compdb   compile_commands.json for editors (needs bear)

BUILD   ?= build
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)

HOST_CC ?= cc
KCC     ?= gcc
AR      ?= ar

GCC_INC := $(shell $(KCC) -print-file-name=include)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wmissing-prototypes

HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iinclude -I.
HOST_LDLIBS :=

# Kernel code: freestanding, higher half (-mcmodel=kernel), no red zone,
# no SSE/x87 in kernel code, no libc headers.
KCFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pie -fno-pic -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-fno-strict-aliasing -fno-builtin-printf \
	-nostdinc -isystem $(GCC_INC) -Ikernel/include -Iinclude -I. -D__TESSERA_KERNEL__
KASFLAGS := $(filter-out -std=gnu11,$(KCFLAGS)) -D__ASSEMBLY__
KLDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

all:

kobj = $(patsubst %,$(BUILD)/k/%.o,$(basename $(1)))
hobj = $(patsubst %,$(BUILD)/h/%.o,$(basename $(1)))

KLIBS    :=   # kernel component libraries (lib<name>.a)
HLIBS    :=   # host component libraries
MONITORS :=   # monitor images
HPROGS   :=   # host programs
UNIT_TESTS :=

include arch/x86_64/build.mk
include kernel/build.mk
include net/build.mk
include cxl/build.mk
include excache/build.mk
include monitors/build.mk
include dbstate/build.mk
include gmm/build.mk
include tools/build.mk
include tests/build.mk

# ---- kernel component libraries --------------------------------------------
define KLIB_RULES
$(BUILD)/k/lib$(1).a: $(call kobj,$($(1)_KSRCS))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@ && $(AR) rcs $$@ $$^
$(call kobj,$($(1)_KSRCS)): COMP_CFLAGS := $($(1)_KCFLAGS)
endef
$(foreach c,$(KLIBS),$(eval $(call KLIB_RULES,$(c))))
KLIB_FILES := $(foreach c,$(KLIBS),$(BUILD)/k/lib$(c).a)

# ---- monitor images ----------------------------------------------------------
define MONITOR_RULES
$(BUILD)/tessera-$(1).elf: $(call kobj,$($(1)_KSRCS)) $(KLIB_FILES) arch/x86_64/kernel.ld
	@echo "  LD    $$@"
	$(Q)$(KCC) $(KLDFLAGS) -Wl,-T,arch/x86_64/kernel.ld -o $$@ \
		$(call kobj,$($(1)_KSRCS)) -Wl,--start-group $(KLIB_FILES) -Wl,--end-group -lgcc
$(call kobj,$($(1)_KSRCS)): COMP_CFLAGS := $($(1)_KCFLAGS)
endef
$(foreach m,$(MONITORS),$(eval $(call MONITOR_RULES,$(m))))

# ---- host libraries and programs ---------------------------------------------
define HLIB_RULES
$(BUILD)/h/lib$(1).a: $(call hobj,$($(1)_HSRCS))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@ && $(AR) rcs $$@ $$^
$(call hobj,$($(1)_HSRCS)): COMP_CFLAGS := $($(1)_HCFLAGS)
endef
$(foreach c,$(HLIBS),$(eval $(call HLIB_RULES,$(c))))

define HPROG_RULES
$(BUILD)/$(1): $(call hobj,$($(1)_SRCS)) $(foreach l,$($(1)_LIBS),$(BUILD)/h/lib$(l).a)
	@echo "  LD    $$@"
	$(Q)$(HOST_CC) -g -o $$@ $$^ $($(1)_LDLIBS)
$(call hobj,$($(1)_SRCS)): COMP_CFLAGS := $($(1)_CFLAGS)
endef
$(foreach p,$(HPROGS) $(UNIT_TESTS),$(eval $(call HPROG_RULES,$(p))))

$(BUILD)/k/%.o: %.c
	@mkdir -p $(@D)
	@echo "  KCC   $<"
	$(Q)$(KCC) $(KCFLAGS) $(COMP_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/k/%.o: %.S
	@mkdir -p $(@D)
	@echo "  KAS   $<"
	$(Q)$(KCC) $(KASFLAGS) $(COMP_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/h/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC    $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(COMP_CFLAGS) -MMD -MP -c $< -o $@

all: $(foreach m,$(MONITORS),$(BUILD)/tessera-$(m).elf) $(foreach p,$(HPROGS),$(BUILD)/$(p))

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- set-up, run, test --------------------------------------------------------
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP): tools/install-deps.sh
	@mkdir -p $(@D)
	$(Q)sh tools/install-deps.sh
	@touch $@
deps: $(DEPS_STAMP)

run: $(DEPS_STAMP)
	$(Q)$(MAKE) -s --no-print-directory all
	$(Q)sh tools/run.sh

unit: $(DEPS_STAMP)
	$(Q)$(MAKE) -s --no-print-directory $(foreach t,$(UNIT_TESTS),$(BUILD)/$(t))
	$(Q)sh tests/run-unit.sh $(foreach t,$(UNIT_TESTS),$(BUILD)/$(t))

integration: $(DEPS_STAMP)
	$(Q)$(MAKE) -s --no-print-directory all
	$(Q)sh tests/integration/run.sh

# Bounded fuzzing inside `make test`: each fuzzer gets TEST_FUZZ_TIME seconds.
TEST_FUZZ_TIME ?= 20

test: $(DEPS_STAMP)
	$(Q)$(MAKE) -s --no-print-directory unit
	$(Q)sh tests/fuzz/run.sh $(TEST_FUZZ_TIME)
	$(Q)$(MAKE) -s --no-print-directory integration

bench: $(DEPS_STAMP)
	$(Q)$(MAKE) -s --no-print-directory all
	$(Q)sh tools/bench/run-all.sh

compdb:
	bear -- $(MAKE) -B all

clean:
	rm -rf $(BUILD)

.PHONY: all deps run unit integration test bench compdb clean
.SUFFIXES:
