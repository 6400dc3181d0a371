/*
 * signal.c - signal frames (x86-64 rt_sigframe, as Linux lays it out) and
 * rt_sigreturn. The handler runs on the user stack below the red zone with
 * the FXSAVE state beside the frame; rt_sigreturn restores registers, the
 * signal mask and the FPU state, sanitising what user code may have changed.
 */
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include "proc.h"

#define SA_NODEFER   0x40000000ull
#define SA_RESETHAND 0x80000000ull
#define SA_RESTORER  0x04000000ull

struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
} __attribute__((packed));

struct ucontext {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext mc;
	uint64_t sigmask;
} __attribute__((packed));

struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	uint8_t info[128];
} __attribute__((packed));

_Static_assert(sizeof(struct sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe layout");

int signal_frame(struct task *t, struct trap_frame *f, int sig)
{
	struct process *p = t->proc;
	struct k_sigaction *ka = &p->act[sig];
	struct rt_sigframe fr;
	uint8_t fpu[512] __attribute__((aligned(16)));
	uint64_t sp = f->rsp - 128, fp_addr, frame;
	/* In rt_sigsuspend or ppoll the handler's frame restores the mask from before the call. */
	uint64_t old_mask = t->restore_mask ? t->saved_mask : t->sig_blocked;

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;                      /* x86-64 libcs always pass a restorer */
	__asm__ volatile("fxsave64 (%0)" :: "r"(fpu) : "memory");
	fp_addr = (sp - sizeof(fpu)) & ~63ull;
	frame = ((fp_addr - sizeof(fr)) & ~15ull) - 8;   /* (frame + 8) % 16 == 0 at entry */

	memset(&fr, 0, sizeof(fr));
	fr.pretcode = ka->restorer;
	fr.uc.mc.r8 = f->r8; fr.uc.mc.r9 = f->r9; fr.uc.mc.r10 = f->r10; fr.uc.mc.r11 = f->r11;
	fr.uc.mc.r12 = f->r12; fr.uc.mc.r13 = f->r13; fr.uc.mc.r14 = f->r14; fr.uc.mc.r15 = f->r15;
	fr.uc.mc.rdi = f->rdi; fr.uc.mc.rsi = f->rsi; fr.uc.mc.rbp = f->rbp; fr.uc.mc.rbx = f->rbx;
	fr.uc.mc.rdx = f->rdx; fr.uc.mc.rax = f->rax; fr.uc.mc.rcx = f->rcx; fr.uc.mc.rsp = f->rsp;
	fr.uc.mc.rip = f->rip; fr.uc.mc.eflags = f->rflags;
	fr.uc.mc.cs = USER_CS; fr.uc.mc.ss = USER_DS;
	fr.uc.mc.trapno = f->vector < 32 ? f->vector : 0;
	fr.uc.mc.err = f->error;
	fr.uc.mc.fpstate = fp_addr;
	fr.uc.mc.oldmask = old_mask;
	fr.uc.sigmask = old_mask;
	*(int32_t *)(fr.info + 0) = sig;
	*(int32_t *)(fr.info + 8) = 0;           /* SI_USER */
	*(int32_t *)(fr.info + 16) = p->pid;

	if (copy_to_user(p, fp_addr, fpu, sizeof(fpu)) || copy_to_user(p, frame, &fr, sizeof(fr)))
		return -EFAULT;
	t->restore_mask = 0;
	if (!(ka->flags & SA_NODEFER))
		t->sig_blocked |= 1ull << (sig - 1);
	t->sig_blocked |= ka->mask;
	if (ka->flags & SA_RESETHAND)
		ka->handler = 0;
	f->rip = ka->handler;
	f->rsp = frame;
	f->rdi = (uint64_t)sig;
	f->rsi = frame + offsetof(struct rt_sigframe, info);
	f->rdx = frame + offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~(1ull << 10);                /* DF clear */
	return 0;
}

static long sys_rt_sigreturn(struct process *p, struct trap_frame *f)
{
	struct rt_sigframe fr;
	uint8_t fpu[512] __attribute__((aligned(16)));
	uint64_t frame = f->rsp - 8;

	if (copy_from_user(p, &fr, frame, sizeof(fr))) {
		proc_exit(p, 11);
	}
	f->r8 = fr.uc.mc.r8; f->r9 = fr.uc.mc.r9; f->r10 = fr.uc.mc.r10; f->r11 = fr.uc.mc.r11;
	f->r12 = fr.uc.mc.r12; f->r13 = fr.uc.mc.r13; f->r14 = fr.uc.mc.r14; f->r15 = fr.uc.mc.r15;
	f->rdi = fr.uc.mc.rdi; f->rsi = fr.uc.mc.rsi; f->rbp = fr.uc.mc.rbp; f->rbx = fr.uc.mc.rbx;
	f->rdx = fr.uc.mc.rdx; f->rcx = fr.uc.mc.rcx; f->rsp = fr.uc.mc.rsp; f->rip = fr.uc.mc.rip;
	/* User code may change arithmetic flags, DF, TF and AC, nothing else. */
	f->rflags = (f->rflags & ~0x40dd5ull) | (fr.uc.mc.eflags & 0x40dd5ull) | 0x202;
	f->cs = USER_CS;
	f->ss = USER_DS;
	if (f->rip >= USER_TOP || f->rsp >= USER_TOP)
		proc_exit(p, 11);
	task_current()->sig_blocked = fr.uc.sigmask & ~((1ull << 8) | (1ull << 18));
	if (fr.uc.mc.fpstate && copy_from_user(p, fpu, fr.uc.mc.fpstate, sizeof(fpu)) == 0) {
		*(uint32_t *)(fpu + 24) &= 0xffbf;      /* MXCSR: reserved bits would #GP the kernel */
		*(uint32_t *)(fpu + 28) = 0xffff;       /* MXCSR_MASK is ignored by fxrstor, keep it sane */
		__asm__ volatile("fxrstor64 (%0)" :: "r"(fpu) : "memory");
	}
	return (long)fr.uc.mc.rax;
}

static long sys_sigaltstack(struct process *p, struct trap_frame *f)
{
	if (f->rsi) {
		uint64_t ss[3] = { 0, 2 /* SS_DISABLE */, 0 };

		if (copy_to_user(p, f->rsi, ss, sizeof(ss)))
			return -EFAULT;
	}
	return 0;
}

void signal_init(void)
{
	syscall_register(15, sys_rt_sigreturn);
	syscall_register(131, sys_sigaltstack);
}
