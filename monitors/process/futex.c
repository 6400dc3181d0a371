/*
 * futex.c - futex(2): tasks waiting on a 32-bit word of their address
 * space until another task wakes them (musl's and glibc's mutexes, condition
 * variables, pthread_join, barriers).
 *
 * One CPU and a kernel that is not preempted make the check-and-sleep of
 * FUTEX_WAIT atomic: nothing runs between reading the word and queueing
 * (the read itself may fault and block, but it completes first). Processes
 * share no memory, so a futex is (process, address) for private and shared
 * ones alike. Waiters are few: one list for the node.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include "proc.h"

#define FUTEX_WAIT            0
#define FUTEX_WAKE            1
#define FUTEX_REQUEUE         3
#define FUTEX_CMP_REQUEUE     4
#define FUTEX_WAIT_BITSET     9
#define FUTEX_WAKE_BITSET     10
#define FUTEX_PRIVATE_FLAG    128
#define FUTEX_CLOCK_REALTIME  256
#define FUTEX_BITSET_ANY      0xffffffffu
#define NS                    1000000000ll

struct futex_waiter {
	struct process *p;
	uint64_t uaddr;
	uint32_t bitset;
	struct thread *thread;
	int woken;
	struct futex_waiter *next;
};

static struct futex_waiter *waiters;

static void unqueue(struct futex_waiter *w)
{
	for (struct futex_waiter **pp = &waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/* deadline: ktime_ns() value, 0 for none. */
static long futex_wait(struct process *p, uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
	struct futex_waiter *w;
	uint32_t cur;
	long rc = 0;

	if (copy_from_user(p, &cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	/* (No blocking from the read above to the queueing below: no wake can slip between.) */
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->p = p;
	w->uaddr = uaddr;
	w->bitset = bitset;
	w->thread = sched_current();
	w->next = waiters;
	waiters = w;
	while (!w->woken) {
		if (pending_interrupt(p)) {
			rc = -EINTR;
			break;
		}
		if (deadline && ktime_ns() >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		sched_block(deadline);
	}
	if (w->woken)
		rc = 0;                          /* the waker took it off the list */
	else
		unqueue(w);
	free(w);
	return rc;
}

long futex_wake(struct process *p, uint64_t uaddr, int n, uint32_t bitset)
{
	long woken = 0;

	for (struct futex_waiter **pp = &waiters; *pp && woken < n;) {
		struct futex_waiter *w = *pp;

		if (w->p == p && w->uaddr == uaddr && (w->bitset & bitset)) {
			*pp = w->next;
			w->woken = 1;
			sched_wake(w->thread);
			woken++;
		} else {
			pp = &w->next;
		}
	}
	return woken;
}

/* Wake n waiters of uaddr, move up to n2 of the rest to uaddr2. */
static long futex_requeue(struct process *p, uint64_t uaddr, int n, int n2, uint64_t uaddr2)
{
	long done = futex_wake(p, uaddr, n, FUTEX_BITSET_ANY);

	for (struct futex_waiter *w = waiters; w && n2 > 0; w = w->next) {
		if (w->p == p && w->uaddr == uaddr) {
			w->uaddr = uaddr2;
			n2--;
			done++;
		}
	}
	return done;
}

/* The deadline of a wait: a relative timeout (FUTEX_WAIT) or an absolute time (_BITSET). */
static int futex_deadline(struct process *p, uint64_t uts, int absolute, int realtime, uint64_t *deadline)
{
	int64_t ts[2];

	*deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(p, ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= NS)
		return -EINVAL;
	if (absolute) {
		int64_t now[2], left;

		clock_now(realtime ? 0 : 1, now);
		left = (ts[0] - now[0]) * NS + (ts[1] - now[1]);
		*deadline = ktime_ns() + (left > 0 ? (uint64_t)left : 0);
	} else {
		*deadline = ktime_ns() + (uint64_t)ts[0] * NS + (uint64_t)ts[1];
	}
	if (*deadline == 0)
		*deadline = 1;
	return 0;
}

static long sys_futex(struct process *p, struct trap_frame *f)
{
	uint64_t uaddr = f->rdi, deadline;
	int op = (int)f->rsi & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	int realtime = ((int)f->rsi & FUTEX_CLOCK_REALTIME) != 0;
	uint32_t val = (uint32_t)f->rdx, val3 = (uint32_t)f->r9;
	int rc;

	if (uaddr & 3)
		return -EINVAL;
	if (realtime && op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (op) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (op == FUTEX_WAIT_BITSET && val3 == 0)
			return -EINVAL;
		rc = futex_deadline(p, f->r10, op == FUTEX_WAIT_BITSET, realtime, &deadline);
		if (rc)
			return rc;
		return futex_wait(p, uaddr, val, deadline, op == FUTEX_WAIT ? FUTEX_BITSET_ANY : val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (op == FUTEX_WAKE_BITSET && val3 == 0)
			return -EINVAL;
		return futex_wake(p, uaddr, (int)val < 0 ? 0x7fffffff : (int)val,
				  op == FUTEX_WAKE ? FUTEX_BITSET_ANY : val3);
	case FUTEX_CMP_REQUEUE: {
		uint32_t cur;

		if (copy_from_user(p, &cur, uaddr, sizeof(cur)))
			return -EFAULT;
		if (cur != val3)
			return -EAGAIN;
	}
		/* fall through */
	case FUTEX_REQUEUE:
		if ((int)val < 0 || (int)f->r10 < 0 || (f->r8 & 3))
			return -EINVAL;
		return futex_requeue(p, uaddr, (int)val, (int)f->r10, f->r8);
	default:
		return -ENOSYS;              /* FUTEX_WAKE_OP, PI futexes: not yet */
	}
}

void futex_init(void)
{
	syscall_register(202, sys_futex);
}
