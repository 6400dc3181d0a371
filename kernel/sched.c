/*
 * sched.c - round-robin kernel threads on one CPU.
 *
 * Switching saves the FPU/SSE state (user programs use SSE; the kernel never
 * does), the FS base (user TLS), CR3 (the thread's address space) and the
 * TSS stack pointer for traps from user mode.
 */
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/trap.h>

#define STACK_SIZE   (32 * 1024)
#define MSR_FS_BASE  0xC0000100

void switch_to(uint64_t *prev_rsp, uint64_t next_rsp);
extern char thread_trampoline[];

static struct thread boot_thread;
static struct thread *current = &boot_thread;
static struct thread *runq_head, *runq_tail;
static struct thread *all_threads = &boot_thread;
static struct thread *zombies;
static int next_id = 1;
volatile int need_resched;

void sched_init(void)
{
	boot_thread.state = THREAD_RUNNABLE;
	boot_thread.name = "main";
	boot_thread.id = 0;
}

struct thread *sched_current(void)
{
	return current;
}

struct thread *sched_main(void)
{
	return &boot_thread;
}

static void enqueue(struct thread *t)
{
	t->next = NULL;
	if (runq_tail)
		runq_tail->next = t;
	else
		runq_head = t;
	runq_tail = t;
}

static struct thread *dequeue(void)
{
	struct thread *t = runq_head;

	if (t) {
		runq_head = t->next;
		if (!runq_head)
			runq_tail = NULL;
		t->next = NULL;
	}
	return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *arg), void *arg)
{
	struct thread *t = kzalloc(sizeof(*t));
	uint64_t *sp;
	uint64_t f;

	if (!t)
		return NULL;
	t->stack_base = (uint64_t)kmalloc(STACK_SIZE);
	if (!t->stack_base) {
		kfree(t);
		return NULL;
	}
	t->stack_top = t->stack_base + STACK_SIZE;
	t->name = name;
	t->id = next_id++;
	sp = (uint64_t *)t->stack_top;
	*--sp = 0;                               /* alignment: trampoline entered like after a call */
	*--sp = (uint64_t)thread_trampoline;     /* ret address of switch_to */
	*--sp = 0;                               /* rbp */
	*--sp = 0;                               /* rbx */
	*--sp = (uint64_t)fn;                    /* r12 */
	*--sp = (uint64_t)arg;                   /* r13 */
	*--sp = 0;                               /* r14 */
	*--sp = 0;                               /* r15 */
	t->rsp = (uint64_t)sp;
	t->state = THREAD_RUNNABLE;
	f = irq_save();
	t->all_next = all_threads;
	all_threads = t;
	enqueue(t);
	irq_restore(f);
	return t;
}

static void reap(void)
{
	while (zombies) {
		struct thread *z = zombies;

		zombies = z->next;
		for (struct thread **pp = &all_threads; *pp; pp = &(*pp)->all_next) {
			if (*pp == z) {
				*pp = z->all_next;
				break;
			}
		}
		kfree((void *)z->stack_base);
		kfree(z);
	}
}

/* Switch from current to next; interrupts are off. */
static void switch_threads(struct thread *next)
{
	struct thread *prev = current;

	if (next == prev)
		return;
	if (prev->proc) {
		__asm__ volatile("fxsave64 (%0)" :: "r"(prev->fpu) : "memory");
		prev->fpu_valid = 1;
		prev->fs_base = rdmsr(MSR_FS_BASE);
	}
	current = next;
	if (next->proc) {
		if (next->fpu_valid)
			__asm__ volatile("fxrstor64 (%0)" :: "r"(next->fpu) : "memory");
		else
			__asm__ volatile("fninit; pushq $0x1f80; ldmxcsr (%%rsp); addq $8, %%rsp" ::: "memory");
		wrmsr(MSR_FS_BASE, next->fs_base);
	}
	if ((next->cr3 ? next->cr3 : virt_to_phys(vm_kernel_root())) != read_cr3())
		write_cr3(next->cr3 ? next->cr3 : virt_to_phys(vm_kernel_root()));
	tss_set_rsp0(next->stack_top ? next->stack_top : 0);
	switch_to(&prev->rsp, next->rsp);
	/* Back in prev. */
	reap();
}

static void reschedule(void)
{
	struct thread *next = dequeue();

	if (!next)
		next = &boot_thread;
	if (next == current && current->state == THREAD_RUNNABLE)
		return;
	switch_threads(next);
}

void sched_yield(void)
{
	uint64_t f = irq_save();

	need_resched = 0;
	if (current != &boot_thread && current->state == THREAD_RUNNABLE)
		enqueue(current);
	if (current == &boot_thread && !runq_head) {
		irq_restore(f);
		return;
	}
	reschedule();
	irq_restore(f);
}

void sched_yield_to_main(void)
{
	uint64_t f = irq_save();

	need_resched = 0;
	if (current != &boot_thread) {
		if (current->state == THREAD_RUNNABLE)
			enqueue(current);
		switch_threads(&boot_thread);
	}
	irq_restore(f);
}

static void wake_timer_fn(struct ktimer *kt)
{
	struct thread *t = (struct thread *)((char *)kt - __builtin_offsetof(struct thread, wake_timer));

	sched_wake(t);
}

void sched_block(uint64_t deadline_ns)
{
	uint64_t f = irq_save();

	if (current == &boot_thread)
		panic("sched_block from the main loop");
	if (current->wake_pending) {
		/* A wake arrived since the caller last checked its condition: do not sleep. */
		current->wake_pending = 0;
	} else {
		current->state = THREAD_BLOCKED;
		if (deadline_ns)
			ktimer_arm(&current->wake_timer, deadline_ns, wake_timer_fn);
		reschedule();
		if (deadline_ns)
			ktimer_cancel(&current->wake_timer);
	}
	irq_restore(f);
}

void sched_wake(struct thread *t)
{
	uint64_t f = irq_save();

	if (t && t != &boot_thread) {
		if (t->state == THREAD_BLOCKED) {
			t->state = THREAD_RUNNABLE;
			enqueue(t);
		} else if (t->state == THREAD_RUNNABLE) {
			t->wake_pending = 1;
		}
	}
	irq_restore(f);
}

int sched_others_runnable(void)
{
	return runq_head != NULL || (current != &boot_thread);
}

void thread_exit(void)
{
	irq_disable();
	current->state = THREAD_DEAD;
	current->next = zombies;
	zombies = current;
	reschedule();
	panic("thread_exit: dead thread resumed");
}
