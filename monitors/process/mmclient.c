/*
 * mmclient.c - address-space changes of a process: each goes to the vNode's
 * memory node (the authority) and, with the address it chose, into the
 * process node's mirror of the regions, which the ExCache consults on every
 * miss. Pages that leave the space are dropped from the cache.
 *
 * The threads of a process make their changes one at a time: the mirror
 * must apply them in the order the memory node did.
 */
#include <string.h>
#include <tessera/errno.h>
#include <kernel/console.h>
#include <net/fabric.h>
#include "proc.h"

#define MM_TIMEOUT_NS 200000000ull
#define MM_TRIES      5

/* Take the process's map lock (a change is at the memory node while it is held). */
static void map_lock(struct process *p)
{
	struct task *t = task_current();

	while (p->mm_busy) {
		t->mm_wait = 1;
		sched_block(0);
		t->mm_wait = 0;
	}
	p->mm_busy = 1;
}

static void map_unlock(struct process *p)
{
	p->mm_busy = 0;
	for (struct task *t = p->tasks; t; t = t->next)
		if (t->mm_wait)
			sched_wake(t->thread);
}

static int call(struct process *p, uint16_t op, const void *req, uint32_t len, void *rep, uint32_t cap)
{
	uint32_t rlen = 0;

	return fabric_call(p->vn->mnode, op, req, len, rep, cap, &rlen, MM_TIMEOUT_NS, MM_TRIES);
}

static int64_t mm_mmap_locked(struct process *p, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
			      uint32_t kind, const struct vm_file *file, uint64_t off)
{
	struct mem_map_req rq = {
		.as_id = p->as.as_id, .addr = addr, .len = len, .prot = prot, .flags = flags, .kind = kind,
		.file_off = off,
	};
	struct mem_map_reply rp = { 0 };
	int64_t got;
	int rc;

	if (file) {
		rq.file_node = file->node;
		rq.file.ino = file->ino;
		rq.file.gen = file->gen;
	}
	rc = call(p, FAB_OP_MEM_MMAP, &rq, sizeof(rq), &rp, sizeof(rp));
	if (rc)
		return rc;
	/* Mirror at the address the memory node chose (replacing, as MAP_FIXED does there too). */
	got = vm_mmap(&p->vm, rp.addr, len, prot, (flags & ~(uint32_t)VM_MAP_FIXED_NOREPLACE) | VM_MAP_FIXED,
		      kind, file, off);
	if (got < 0 || (uint64_t)got != rp.addr) {
		pr_err("process: region mirror of vNode %u disagrees with memory node at %lx (%ld)",
		       p->vn->id, rp.addr, got);
		return -EIO;
	}
	return got;
}

static int mm_munmap_locked(struct process *p, uint64_t addr, uint64_t len)
{
	struct mem_map_req rq = { .as_id = p->as.as_id, .addr = addr, .len = len };
	int rc = call(p, FAB_OP_MEM_MUNMAP, &rq, sizeof(rq), NULL, 0);

	if (rc)
		return rc;
	return vm_munmap(&p->vm, addr, len);
}

static int mm_mprotect_locked(struct process *p, uint64_t addr, uint64_t len, uint32_t prot)
{
	struct mem_map_req rq = { .as_id = p->as.as_id, .addr = addr, .len = len, .prot = prot };
	int rc = call(p, FAB_OP_MEM_MPROTECT, &rq, sizeof(rq), NULL, 0);
	int mrc;

	if (rc && rc != -ENOMEM)
		return rc;
	mrc = vm_mprotect(&p->vm, addr, len, prot);
	excache_reprotect(&p->as, addr, addr + ((len + 4095) & ~4095ull), prot);
	return rc ? rc : mrc;
}

static uint64_t mm_brk_locked(struct process *p, uint64_t brk, int init)
{
	struct mem_brk_req rq = { .as_id = p->as.as_id, .brk = brk, .init = (uint32_t)init };
	struct mem_brk_reply rp = { 0 };
	int rc = call(p, FAB_OP_MEM_BRK, &rq, sizeof(rq), &rp, sizeof(rp));
	uint64_t mine;

	if (rc)
		return p->vm.brk;
	mine = vm_brk(&p->vm, init ? brk : rp.brk, init);
	if (mine != rp.brk)
		pr_warn("process: brk mirror %lx, memory node %lx", mine, rp.brk);
	return rp.brk;
}

static int64_t mm_mremap_locked(struct process *p, uint64_t old, uint64_t oldlen, uint64_t newlen, uint32_t flags,
				 uint64_t newaddr)
{
	struct mem_remap_req rq = {
		.as_id = p->as.as_id, .old_addr = old, .old_len = oldlen, .new_len = newlen,
		.new_addr = newaddr, .flags = flags,
	};
	struct mem_map_reply rp = { 0 };
	int rc;

	/* The memory node moves the pages it holds: give it the dirty ones first. */
	rc = excache_flush_range(&p->as, old, old + ((oldlen + 4095) & ~4095ull));
	if (rc)
		return rc;
	rc = call(p, FAB_OP_MEM_MREMAP, &rq, sizeof(rq), &rp, sizeof(rp));
	if (rc)
		return rc;
	return vm_mremap(&p->vm, old, oldlen, newlen, flags | VM_MREMAP_FIXED * (rp.addr != old),
			 rp.addr);
}

/* ---- the same, one at a time per process ------------------------------------------ */

int64_t mm_mmap(struct process *p, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		uint32_t kind, const struct vm_file *file, uint64_t off)
{
	int64_t rc;

	map_lock(p);
	rc = mm_mmap_locked(p, addr, len, prot, flags, kind, file, off);
	map_unlock(p);
	return rc;
}

int mm_munmap(struct process *p, uint64_t addr, uint64_t len)
{
	int rc;

	map_lock(p);
	rc = mm_munmap_locked(p, addr, len);
	map_unlock(p);
	return rc;
}

int mm_mprotect(struct process *p, uint64_t addr, uint64_t len, uint32_t prot)
{
	int rc;

	map_lock(p);
	rc = mm_mprotect_locked(p, addr, len, prot);
	map_unlock(p);
	return rc;
}

uint64_t mm_brk(struct process *p, uint64_t brk, int init)
{
	uint64_t rc;

	map_lock(p);
	rc = mm_brk_locked(p, brk, init);
	map_unlock(p);
	return rc;
}

int64_t mm_mremap(struct process *p, uint64_t old, uint64_t oldlen, uint64_t newlen, uint32_t flags,
		  uint64_t newaddr)
{
	int64_t rc;

	map_lock(p);
	rc = mm_mremap_locked(p, old, oldlen, newlen, flags, newaddr);
	map_unlock(p);
	return rc;
}
