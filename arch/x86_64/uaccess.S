/*
 * uaccess.S - the one instruction that touches user memory on the kernel's
 * behalf. A page fault on it is resolved like a user fault (an ExCache
 * miss); if it cannot be, the fault handler resumes at uaccess_fixup, which
 * returns -EFAULT to the caller instead of crashing the kernel.
 */
	.text
	.globl uaccess_copy, uaccess_copy_end, uaccess_fixup
/* long uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT */
uaccess_copy:
	movq %rdx, %rcx
	rep movsb
	xorl %eax, %eax
	ret
uaccess_copy_end:
uaccess_fixup:
	movq $-14, %rax
	ret
