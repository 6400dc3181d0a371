/*
 * boot.S - PVH entry: QEMU's -kernel loader enters pvh_start in 32-bit
 * protected mode, paging off, %ebx = physical address of hvm_start_info.
 * We build long mode with static page tables that map the first 4 GiB three
 * times: identity (only for the jump), the direct map at PHYS_BASE, and the
 * kernel window at -2 GiB. kmain() drops the identity map.
 */
#include <arch/layout.h>

#define PTE_P   0x1
#define PTE_W   0x2
#define PTE_PS  0x80

	.section .note.Xen, "a"
	.align 4
	.long 4                     /* namesz: "Xen\0" */
	.long 8                     /* descsz */
	.long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.quad pvh_start - KERNEL_VMA

	.section .boot.text, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov %ebx, %esi                          /* keep start_info across the switch */
	lgdt (gdt_ptr32 - KERNEL_VMA)

	mov $(boot_pml4 - KERNEL_VMA), %eax
	mov %eax, %cr3

	mov %cr4, %eax
	or $((1 << 5) | (1 << 7) | (1 << 9) | (1 << 10)), %eax  /* PAE, PGE, OSFXSR, OSXMMEXCPT */
	mov %eax, %cr4

	mov $0xC0000080, %ecx                   /* EFER: LME | NXE */
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax
	wrmsr

	mov %cr0, %eax
	and $~((1 << 2) | (1 << 30) | (1 << 29)), %eax   /* clear EM, CD, NW */
	or $((1 << 31) | (1 << 16) | (1 << 1) | 1), %eax /* PG, WP, MP, PE */
	mov %eax, %cr0

	ljmp $0x08, $(long_entry - KERNEL_VMA)

	.code64
long_entry:
	movabs $high_entry, %rax
	jmp *%rax

	.text
high_entry:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs

	/* Zero .bss (the boot stack lives there, so before using it). */
	movabs $__bss_start, %rdi
	movabs $__bss_end, %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb

	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov %esi, %edi                          /* start_info physical address */
	call kmain
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.align 16
gdt32:
	.quad 0
	.quad 0x00af9a000000ffff                /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff                /* 0x10: data */
gdt32_end:
gdt_ptr32:
	.word gdt32_end - gdt32 - 1
	.long gdt32 - KERNEL_VMA

	.section .data.pagetables, "aw"
	.align 4096
	.globl boot_pml4
boot_pml4:
	.quad boot_pdpt_low - KERNEL_VMA + (PTE_P | PTE_W)
	.fill 255, 8, 0
	.quad boot_pdpt_low - KERNEL_VMA + (PTE_P | PTE_W)  /* PHYS_BASE: slot 256 */
	.fill 254, 8, 0
	.quad boot_pdpt_high - KERNEL_VMA + (PTE_P | PTE_W) /* slot 511 */
boot_pdpt_low:
	.quad boot_pd - KERNEL_VMA + 0x0000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_VMA + 0x1000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_VMA + 0x2000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_VMA + 0x3000 + (PTE_P | PTE_W)
	.fill 508, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad boot_pd - KERNEL_VMA + 0x0000 + (PTE_P | PTE_W) /* -2 GiB -> phys 0 */
	.quad boot_pd - KERNEL_VMA + 0x1000 + (PTE_P | PTE_W)
boot_pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | (PTE_P | PTE_W | PTE_PS)
	.set i, i + 1
	.endr

	.bss
	.align 16
boot_stack:
	.skip 32768
	.globl boot_stack_top
boot_stack_top:
