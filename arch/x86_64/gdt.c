/*
 * gdt.c - the long-mode GDT with a TSS whose IST stacks catch double faults
 * and NMIs even when the kernel stack is broken. Ring-3 segments are laid out
 * for sysret (later issues).
 */
#include <stdint.h>
#include <string.h>
#include <arch/cpu.h>
#include <kernel/trap.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* 0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user code, 0x28 TSS (2 slots) */
static uint64_t gdt[7] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static uint8_t ist_stack[2][8192] __attribute__((aligned(16)));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;
	struct gdt_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;     /* kernel code, L */
	gdt[2] = 0x00cf92000000ffffull;     /* kernel data */
	gdt[3] = 0x00cff2000000ffffull;     /* user data, DPL 3 */
	gdt[4] = 0x00affa000000ffffull;     /* user code, L, DPL 3 */
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;

	memset(&tss, 0, sizeof(tss));
	tss.ist[0] = (uint64_t)&ist_stack[0][sizeof(ist_stack[0])];
	tss.ist[1] = (uint64_t)&ist_stack[1][sizeof(ist_stack[1])];
	tss.iomap_base = sizeof(tss);

	__asm__ volatile(
		"lgdt %0\n"
		"pushq $0x08\n"
		"leaq 1f(%%rip), %%rax\n"
		"pushq %%rax\n"
		"lretq\n"
		"1: mov $0x10, %%ax\n"
		"mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
		"mov $0x28, %%ax\n ltr %%ax\n"
		:: "m"(p) : "rax", "memory");
}

/* Read by syscall_entry: the kernel stack to switch to. */
uint64_t cpu_kstack_top;

void tss_set_rsp0(uint64_t rsp0)
{
	if (rsp0) {
		tss.rsp[0] = rsp0;
		cpu_kstack_top = rsp0;
	}
}

#define MSR_EFER   0xC0000080
#define MSR_STAR   0xC0000081
#define MSR_LSTAR  0xC0000082
#define MSR_FMASK  0xC0000084

void syscall_init(void (*entry)(void))
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);                 /* SCE */
	/* sysret would load CS = 0x20|3, SS = 0x18|3; syscall loads CS 0x08, SS 0x10. */
	wrmsr(MSR_STAR, (0x10ull << 48) | (0x08ull << 32));
	wrmsr(MSR_LSTAR, (uint64_t)entry);
	wrmsr(MSR_FMASK, 0x40700);                             /* IF, TF, DF, AC */
}
