/*
 * layout.h - the kernel's virtual address layout.
 *   0 .. 0x00007fffffffffff   user (empty in monitors until vNodes exist)
 *   PHYS_BASE ..              direct map of physical memory (first 4 GiB at boot)
 *   KERNEL_VMA ..             kernel image, -2 GiB
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#define KERNEL_VMA  0xffffffff80000000
#define PHYS_BASE   0xffff800000000000
#define PAGE_SIZE   4096
#define PAGE_SHIFT  12

#ifndef __ASSEMBLY__
#include <stdint.h>

extern char __kernel_start[], __kernel_end[], __bss_start[], __bss_end[];

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + PHYS_BASE);
}

static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;

	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - PHYS_BASE;
}
#endif
#endif
