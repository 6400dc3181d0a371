# arch/x86_64: boot (PVH), descriptor tables, traps, local APIC.
KLIBS += arch
arch_KSRCS := arch/x86_64/boot.S arch/x86_64/entry.S arch/x86_64/gdt.c arch/x86_64/trap.c arch/x86_64/lapic.c arch/x86_64/switch.S arch/x86_64/syscall.S arch/x86_64/uaccess.S
