/*
 * uaccess.c - copying to and from user memory. Addresses are checked to lie
 * in the user half; the copy itself may fault (ExCache miss, or no region),
 * which the page-fault path resolves or turns into -EFAULT (uaccess.S).
 */
#include <string.h>
#include <tessera/errno.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/trap.h>
#include "proc.h"

long uaccess_copy(void *dst, const void *src, size_t n);
extern char uaccess_copy_end[], uaccess_fixup[];

static int user_range_ok(uint64_t addr, size_t n)
{
	return addr + n >= addr && addr + n <= USER_TOP && addr >= 0x1000;
}

int copy_from_user(struct process *p, void *dst, uint64_t src, size_t n)
{
	if (n == 0)
		return 0;
	if (!user_range_ok(src, n))
		return -EFAULT;
	return (int)uaccess_copy(dst, (const void *)src, n);
}

int copy_to_user(struct process *p, uint64_t dst, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return (int)uaccess_copy((void *)dst, src, n);
}

long strncpy_from_user(struct process *p, char *dst, uint64_t src, size_t max)
{
	size_t done = 0;

	while (done < max) {
		size_t chunk = PAGE_SIZE - ((src + done) & (PAGE_SIZE - 1));

		if (chunk > max - done)
			chunk = max - done;
		if (copy_from_user(p, dst + done, src + done, chunk))
			return -EFAULT;
		for (size_t i = 0; i < chunk; i++)
			if (dst[done + i] == 0)
				return (long)(done + i);
		done += chunk;
	}
	return -ENAMETOOLONG;
}

int user_fault(struct process *p, uint64_t va, unsigned access)
{
	return excache_fault(&p->as, va, access);
}

static unsigned access_of(uint64_t error)
{
	if (error & (1u << 4))
		return MEM_ACCESS_EXEC;
	return (error & 2) ? MEM_ACCESS_WRITE : MEM_ACCESS_READ;
}

/* A kernel-mode page fault on a user address: only uaccess_copy may cause one. */
static int kernel_fault(struct trap_frame *f)
{
	struct process *p = proc_current();
	uint64_t rip = f->rip, va = read_cr2();
	int rc;

	if (!p || rip < (uint64_t)uaccess_copy || rip >= (uint64_t)uaccess_copy_end)
		return -1;
	irq_enable();
	rc = user_fault(p, va, access_of(f->error));
	irq_disable();
	if (rc)
		f->rip = (uint64_t)uaccess_fixup;
	return 0;
}

void uaccess_init(void)
{
	kernel_user_fault_handler = kernel_fault;
}
