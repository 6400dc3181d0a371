/*
 * thread.c - tasks: the threads of a process. clone(CLONE_THREAD) adds a
 * task that shares the process's address space, fds and signal handlers and
 * has its own tid, kernel thread (registers, FS base, FPU), signal mask and
 * CLONE_CHILD_CLEARTID word. exit(2) ends one task, exit_group(2) and fatal
 * signals end them all: each task leaves at its next return to user mode or
 * interrupted wait, and the last one out tears the process down (syscall.c,
 * proc_exit), so the address space never goes away under a task.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include "proc.h"

#define CLONE_VM             0x00000100ull
#define CLONE_FS             0x00000200ull
#define CLONE_FILES          0x00000400ull
#define CLONE_SIGHAND        0x00000800ull
#define CLONE_THREAD         0x00010000ull
#define CLONE_SETTLS         0x00080000ull
#define CLONE_PARENT_SETTID  0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_CHILD_SETTID   0x01000000ull
#define SIGKILL 9

struct task *task_new(struct process *p)
{
	struct vnode *vn = p->vn;
	struct task *t, **tail;

	if (vn->ntasks >= MAX_PROCS)
		return NULL;                  /* threads count against the vNode's limit too */
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = p->ntasks == 0 ? p->pid : pid_alloc();
	t->proc = p;
	for (tail = &p->tasks; *tail; tail = &(*tail)->next)
		;
	*tail = t;
	p->ntasks++;
	vn->ntasks++;
	return t;
}

void task_free(struct task *t)
{
	struct process *p = t->proc;

	for (struct task **pp = &p->tasks; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			p->ntasks--;
			p->vn->ntasks--;
			break;
		}
	}
	free(t);
}

struct task_start {
	struct task *t;
	struct trap_frame frame;
	uint64_t set_tid;            /* CLONE_CHILD_SETTID address, or 0 */
};

static void task_entry(void *arg)
{
	struct task_start *ts = arg;
	struct task *t = ts->t;
	struct trap_frame *f = (struct trap_frame *)((sched_current()->stack_top - sizeof(*f)) & ~15ull);
	int32_t tid = t->tid;

	pr_debug("vnode %u: pid %d tid %d starts at %lx", t->proc->vn->id, t->proc->pid, t->tid, ts->frame.rip);
	*f = ts->frame;
	if (ts->set_tid)
		copy_to_user(t->proc, ts->set_tid, &tid, sizeof(tid));
	free(ts);
	proc_start_user(t, f);
}

int task_start(struct task *t, const struct trap_frame *f, uint64_t set_tid)
{
	struct task_start *ts = calloc(1, sizeof(*ts));
	struct thread *th;

	if (!ts)
		return -ENOMEM;
	ts->t = t;
	ts->frame = *f;
	ts->set_tid = set_tid;
	th = thread_create(t->tid == t->proc->pid ? "proc" : "thread", task_entry, ts);
	if (!th) {
		free(ts);
		return -ENOMEM;
	}
	t->thread = th;
	th->proc = t;
	th->cr3 = virt_to_phys(t->proc->as.root);
	th->fs_base = sched_current()->fs_base;
	__asm__ volatile("fxsave64 (%0)" :: "r"(th->fpu) : "memory");
	th->fpu_valid = 1;
	return 0;
}

long thread_clone(struct process *p, struct trap_frame *f, uint64_t flags, uint64_t newsp, uint64_t ptid,
		  uint64_t ctid, uint64_t tls)
{
	const uint64_t shared = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	struct task *self = task_current(), *t;
	struct trap_frame frame = *f;
	int32_t tid;
	int rc;

	/* Linux's rules: a thread shares the handlers, which needs a shared address space. */
	if (!(flags & CLONE_SIGHAND) || !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & shared) != shared)
		return -ENOSYS;                  /* a thread with its own fd table or cwd: not yet */
	if (p->exiting || self->killed)
		return -EINTR;
	t = task_new(p);
	if (!t)
		return -EAGAIN;
	t->sig_blocked = self->sig_blocked;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	frame.rax = 0;
	if (newsp)
		frame.rsp = newsp;
	rc = task_start(t, &frame, (flags & CLONE_CHILD_SETTID) ? ctid : 0);
	if (rc) {
		task_free(t);
		return rc;
	}
	if (flags & CLONE_SETTLS)
		t->thread->fs_base = tls;
	tid = t->tid;
	if ((flags & CLONE_PARENT_SETTID) && copy_to_user(p, ptid, &tid, sizeof(tid)))
		pr_debug("vnode %u: clone: bad parent tid address %lx", p->vn->id, ptid);
	pr_debug("vnode %u: pid %d: tid %d made tid %d", p->vn->id, p->pid, self->tid, t->tid);
	return t->tid;
}

/* The current task leaves a process that goes on: its CLONE_CHILD_CLEARTID word, then away. */
static void task_detach(struct task *t) __attribute__((noreturn));
static void task_detach(struct task *t)
{
	struct process *p = t->proc;
	struct thread *th = sched_current();

	if (t->clear_child_tid) {
		int32_t zero = 0;

		/* pthread_join waits on this word (FUTEX_WAIT on the tid). */
		if (copy_to_user(p, t->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake(p, t->clear_child_tid, 1, ~0u);
	}
	pr_debug("vnode %u: pid %d: tid %d exits", p->vn->id, p->pid, t->tid);
	task_free(t);
	if (p->exec_waiter && p->ntasks == 1)
		sched_wake(p->exec_waiter);
	th->proc = NULL;
	th->cr3 = 0;
	thread_exit();
}

/* Tell every task of p but the current one to leave at its next chance. */
static void kill_others(struct process *p)
{
	struct task *self = task_current();

	for (struct task *t = p->tasks; t; t = t->next) {
		if (t == self || t->killed)
			continue;
		t->killed = 1;
		if (t->thread)
			sched_wake(t->thread);
	}
}

void task_exit(struct process *p, int wait_status)
{
	if (p->ntasks > 1)
		task_detach(task_current());
	proc_exit(p, wait_status);
}

int task_leave_group(struct process *p, int wait_status)
{
	if (!p->exiting) {
		p->exiting = 1;
		p->exit_status = wait_status;
	}
	kill_others(p);
	if (p->ntasks > 1)
		task_detach(task_current());
	return p->exit_status;
}

int task_exec_alone(struct process *p)
{
	struct task *self = task_current();

	if (self->killed || p->exiting)
		return -EINTR;                   /* another task's exit or execve came first */
	if (p->ntasks == 1)
		return 0;
	kill_others(p);
	p->exec_waiter = sched_current();
	while (p->ntasks > 1 && !self->killed)
		sched_block(0);
	p->exec_waiter = NULL;
	if (self->killed)
		return -EINTR;
	/* Like Linux's de_thread: the survivor takes over the thread group id. */
	self->tid = p->pid;
	return 0;
}

void task_wake_for_signal(struct process *p, int sig)
{
	uint64_t bit = 1ull << (sig - 1);

	for (struct task *t = p->tasks; t; t = t->next)
		if (t->thread && t->thread != sched_current() && (sig == SIGKILL || !(t->sig_blocked & bit)))
			sched_wake(t->thread);
}

/* ---- system calls ---------------------------------------------------------------- */

static long sys_gettid(struct process *p, struct trap_frame *f)
{
	return task_current()->tid;
}

static long sys_set_tid_address(struct process *p, struct trap_frame *f)
{
	struct task *t = task_current();

	t->clear_child_tid = f->rdi;
	return t->tid;
}

static long sys_set_robust_list(struct process *p, struct trap_frame *f)
{
	if (f->rsi != 24)                    /* sizeof(struct robust_list_head) */
		return -EINVAL;
	task_current()->robust_list = f->rdi;
	return 0;
}

static long sys_exit(struct process *p, struct trap_frame *f)
{
	task_exit(p, (int)((f->rdi & 0xff) << 8));
}

static long sys_exit_group(struct process *p, struct trap_frame *f)
{
	proc_exit(p, (int)((f->rdi & 0xff) << 8));
}

static struct task *find_task(struct vnode *vn, int tgid, int tid)
{
	for (int i = 0; i < MAX_PROCS; i++) {
		struct process *q = vn->procs[i];

		if (!q || q->zombie || (tgid > 0 && q->pid != tgid))
			continue;
		for (struct task *t = q->tasks; t; t = t->next)
			if (t->tid == tid)
				return t;
	}
	return NULL;
}

static long signal_task(struct process *p, int tgid, int tid, int sig)
{
	struct task *t;

	if (tid <= 0 || sig < 0 || sig >= NSIG)
		return -EINVAL;
	t = find_task(p->vn, tgid, tid);
	if (!t)
		return -ESRCH;
	return sig ? task_kill(t, sig) : 0;
}

static long sys_tkill(struct process *p, struct trap_frame *f)
{
	return signal_task(p, -1, (int)f->rdi, (int)f->rsi);
}

static long sys_tgkill(struct process *p, struct trap_frame *f)
{
	if ((int)f->rdi <= 0)
		return -EINVAL;
	return signal_task(p, (int)f->rdi, (int)f->rsi, (int)f->rdx);
}

void thread_init(void)
{
	syscall_register(60, sys_exit);
	syscall_register(186, sys_gettid);
	syscall_register(200, sys_tkill);
	syscall_register(218, sys_set_tid_address);
	syscall_register(231, sys_exit_group);
	syscall_register(234, sys_tgkill);
	syscall_register(273, sys_set_robust_list);
}
