/*
 * monitors/memory/report.h - this memory node's state reports to gmmd (the
 * pool's use, each address space's regions), from the main loop.
 */
#ifndef MONITORS_MEMORY_REPORT_H
#define MONITORS_MEMORY_REPORT_H
#include <stdint.h>
#include "memsvc.h"

/* The part of the page store in pool windows (main.c): bytes of slots, bytes holding pages. */
void memory_pool_windows(uint64_t *capacity, uint64_t *used);

/* Send what changed, at most once a second; >0 if it sent anything. */
int mem_report_poll(const struct memsvc *s, uint64_t now);
#endif
