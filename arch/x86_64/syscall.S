/*
 * syscall.S - the `syscall` entry and the return path to user mode.
 * One CPU: the user rsp is parked in a scratch slot until the kernel stack
 * (the current thread's, also TSS.rsp0) is loaded. The frame built here has
 * the layout of struct trap_frame, so syscalls, signals and traps share the
 * return path, which always uses iretq (no sysret pitfalls with
 * non-canonical return addresses).
 */
#define USER_DS 0x1b
#define USER_CS 0x23
#define VEC_SYSCALL 0x100

	.text
	.globl syscall_entry
syscall_entry:
	movq %rsp, syscall_user_rsp(%rip)
	movq cpu_kstack_top(%rip), %rsp
	pushq $USER_DS
	pushq syscall_user_rsp(%rip)
	pushq %r11                          /* user rflags */
	pushq $USER_CS
	pushq %rcx                          /* user rip */
	pushq $0                            /* error code */
	pushq $VEC_SYSCALL
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
	movq %rsp, %rdi
	sti
	call syscall_dispatch
	cli
	movq %rsp, %rdi
	jmp trap_return

	/* user_return(frame): back to user mode through the common trap return path. */
	.globl user_return
user_return:
	jmp trap_return

	.data
syscall_user_rsp:
	.quad 0
