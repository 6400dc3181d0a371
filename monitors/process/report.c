/*
 * monitors/process/report.c - tells gmmd about the processes of this node's
 * vNodes (fork, exec, exit), for its processes table (wire.h, "State
 * reports"). A change is only queued where it happens; a reporter thread
 * sends the queue REP_PROCS_DELAY_MS after its first change, up to
 * REP_PROCS_MAX changes a message, so a busy shell costs a few messages a
 * second, not one per fork. When a vNode's first process exits, its thread
 * sends the queue itself before the vNode's exit report goes out, so gmmd
 * has every change of the vNode when it records the end.
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/errno.h>
#include <tessera/wire.h>
#include <kernel/console.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <net/fabric.h>
#include "proc.h"
#include "report.h"

#define QUEUE_MAX        512u                 /* changes waiting; more are counted as lost */
#define SEND_TIMEOUT_NS  200000000ull
#define SEND_TRIES       4
#define RETRY_NS         1000000000ull        /* gmmd did not answer: send again after this */
#define MS               1000000ull

static struct rep_proc queue[QUEUE_MAX];
static unsigned head, count;
static uint32_t lost;                         /* since the last report gmmd took */
static uint64_t first_ns;                     /* when the oldest queued change came */
static struct thread *reporter;
static int reporter_idle;
static int sending;                           /* a thread is sending: others wait */
static uint8_t msg[FAB_MAX_PAYLOAD];
static struct {
	uint64_t reports, changes, failed;
} n;

static void reporter_main(void *arg);

static struct rep_proc *enqueue(struct process *p, uint8_t what)
{
	struct rep_proc *e;

	if (!reporter) {
		reporter = thread_create("proc-report", reporter_main, NULL);
		if (!reporter)
			pr_warn("process: no reporter thread: gmmd's process table will lag");
	}
	if (count == QUEUE_MAX) {
		lost++;
		return NULL;
	}
	e = &queue[(head + count) % QUEUE_MAX];
	if (count++ == 0)
		first_ns = ktime_ns();
	memset(e, 0, sizeof(*e));
	e->vnode = p->vn->id;
	e->pid = (uint32_t)p->pid;
	e->ppid = (uint32_t)p->ppid;
	e->what = what;
	e->mnode = p->vn->mnode;
	e->as_id = p->as.as_id;
	strlcpy(e->comm, p->comm, sizeof(e->comm));
	if (reporter && reporter_idle)
		sched_wake(reporter);
	return e;
}

void proc_report_fork(struct process *c)
{
	enqueue(c, REP_PROC_FORK);       /* gmmd gives it the parent's cmdline */
}

void proc_report_exec(struct process *p, const char *const *argv, size_t argc)
{
	struct rep_proc *e = enqueue(p, REP_PROC_EXEC);
	size_t at = 0;

	for (size_t i = 0; e && i < argc && argv[i] && at + 1 < sizeof(e->cmdline); i++) {
		if (i)
			e->cmdline[at++] = ' ';
		at += strlcpy(e->cmdline + at, argv[i], sizeof(e->cmdline) - at);
		if (at >= sizeof(e->cmdline))
			at = sizeof(e->cmdline) - 1;
	}
}

/* Send what is queued, one message at a time; 0, or the error of the one gmmd did not take. */
static int send_queue(void)
{
	int rc = 0;

	while (sending)                         /* keep the order: one sender at a time */
		sched_block(ktime_ns() + 5 * MS);
	sending = 1;
	while (count && rc == 0) {
		struct rep_procs *hd = (struct rep_procs *)msg;
		unsigned k = count < REP_PROCS_MAX ? count : REP_PROCS_MAX;
		uint32_t rlen;

		memset(hd, 0, sizeof(*hd));
		hd->count = (uint16_t)k;
		hd->lost = lost;
		for (unsigned i = 0; i < k; i++)
			memcpy(msg + sizeof(*hd) + i * sizeof(struct rep_proc), &queue[(head + i) % QUEUE_MAX],
			       sizeof(struct rep_proc));
		rc = fabric_call(FAB_NODE_GMM, FAB_OP_REPORT_PROCS, msg,
				 (uint32_t)(sizeof(*hd) + k * sizeof(struct rep_proc)), NULL, 0, &rlen,
				 SEND_TIMEOUT_NS, SEND_TRIES);
		if (rc == -ETIMEDOUT || rc == -EBUSY || rc == -EIO) {
			n.failed++;
			break;                  /* keep them: sent again later */
		}
		/* Taken, or refused for good (-EPERM, -EINVAL): either way not sent again. */
		if (rc)
			n.failed++;
		else
			n.reports++;
		n.changes += k;
		head = (head + k) % QUEUE_MAX;
		count -= k;
		lost = 0;
		rc = 0;
		if (count)
			first_ns = ktime_ns();
	}
	sending = 0;
	return rc;
}

void proc_report_exit(struct process *p)
{
	struct rep_proc *e = enqueue(p, REP_PROC_EXIT);

	if (e) {
		e->wait_status = p->wait_status;
		e->as_id = 0;                   /* its space is gone; the row keeps the last one */
	}
	/* The vNode ends with its first process: gmmd gets the rest before the exit report. */
	if (p == p->vn->init && sched_current() != sched_main() && send_queue())
		pr_warn("vnode %u: gmmd did not take the process report (%lu failed so far)", p->vn->id,
			n.failed);
}

static void reporter_main(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t due;

		while (!count) {
			reporter_idle = 1;
			sched_block(0);
			reporter_idle = 0;
		}
		/* Coalesce: what comes in the next REP_PROCS_DELAY_MS goes in the same message. */
		due = first_ns + REP_PROCS_DELAY_MS * MS;
		while (count && count < REP_PROCS_MAX && ktime_ns() < due)
			sched_block(due);
		if (count && send_queue())
			sched_block(ktime_ns() + RETRY_NS);
	}
}
