/*
 * sched.h - kernel threads on one CPU. The boot thread is the node's main
 * loop (fabric, timers, monitor work); other threads (a vNode's processes)
 * run when it yields, block on events, and are preempted back to the main
 * loop by interrupts that arrive while they run in user mode.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
#include <stdint.h>
#include <kernel/time.h>

enum thread_state { THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_DEAD };

struct thread {
	uint64_t rsp;                  /* saved kernel stack pointer (switch_to) */
	uint64_t stack_base;           /* kmalloc'd kernel stack, 0 for the boot thread */
	uint64_t stack_top;
	int state;
	int wake_pending;              /* a wake that came while not blocked */
	int id;
	const char *name;
	struct thread *next;           /* run queue */
	struct thread *all_next;
	void *proc;                    /* the process this thread runs, if any */
	uint64_t cr3;                  /* address space to load when switching in (0 = kernel's) */
	uint64_t fs_base;
	struct ktimer wake_timer;
	uint8_t fpu[512] __attribute__((aligned(16)));
	int fpu_valid;
};

void sched_init(void);
struct thread *sched_current(void);
struct thread *sched_main(void);
/* A new runnable thread that calls fn(arg); its stack is freed when fn returns. */
struct thread *thread_create(const char *name, void (*fn)(void *arg), void *arg);
/* Give the CPU to the next runnable thread (the main loop if nothing else). */
void sched_yield(void);
/* Preemption: put the current thread back in the queue and run the main loop. */
void sched_yield_to_main(void);
/*
 * Block the current thread until sched_wake() (or the deadline, if not 0).
 * Wakeups may be spurious: callers re-check their condition in a loop.
 */
void sched_block(uint64_t deadline_ns);
void sched_wake(struct thread *t);
/* True if a thread other than the current one is runnable. */
int sched_others_runnable(void);
/* Set by interrupts that arrive while a thread runs in user mode. */
extern volatile int need_resched;
/* End the current thread (never returns). */
void thread_exit(void) __attribute__((noreturn));
#endif
