/*
 * monitors/process/report.h - the process changes this node reports to
 * gmmd's processes table (report.c). Each call only queues; a reporter
 * thread sends the queue coalesced.
 */
#ifndef MONITORS_PROCESS_REPORT_H
#define MONITORS_PROCESS_REPORT_H
#include <stddef.h>

struct process;

/* c was just forked (its pid, ppid, comm and address space are set). */
void proc_report_fork(struct process *c);
/* p runs a new program: argv (joined, truncated) and its new address space. */
void proc_report_exec(struct process *p, const char *const *argv, size_t argc);
/*
 * p ended with p->wait_status. For a vNode's first process the queue is sent
 * before this returns (from a process thread), ahead of its VN_EXIT.
 */
void proc_report_exit(struct process *p);
#endif
