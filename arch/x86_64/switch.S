/*
 * switch.S - switch_to(prev_rsp_slot, next_rsp): save the callee-saved
 * registers on the current kernel stack, store its rsp, load the next one
 * and return into it. A new thread's stack is prepared so that the final
 * `ret` lands in thread_trampoline.
 */
	.text
	.globl switch_to
switch_to:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.globl thread_trampoline
thread_trampoline:
	/* r12 = fn, r13 = arg (set up by thread_create) */
	sti
	movq %r13, %rdi
	callq *%r12
	call thread_exit
	ud2
