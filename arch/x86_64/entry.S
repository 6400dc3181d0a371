/*
 * entry.S - interrupt and exception entry stubs. Each vector pushes a dummy
 * error code where the CPU does not, then its number, and joins trap_common,
 * which saves the general registers as struct trap_frame and calls trap_dispatch.
 */
	.text
	.altmacro

.macro STUB vec
	.align 16
stub_\vec:
	.if (\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

	.globl trap_stubs
trap_stubs:
	.set v, 0
	.rept 256
	STUB %v
	.set v, v + 1
	.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	mov %rsp, %rdi
	mov %rsp, %rbx
	and $~15, %rsp
	call trap_dispatch
	mov %rbx, %rdi

	/* trap_return(frame): restore a struct trap_frame and iretq to it (traps, syscalls, new threads). */
	.globl trap_return
trap_return:
	movq %rdi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	add $16, %rsp
	iretq
