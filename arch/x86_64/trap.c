/*
 * trap.c - the IDT, exception reports and interrupt dispatch.
 * A fault in kernel mode is a kernel bug: dump registers and halt.
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/trap.h>
#include <kernel/sched.h>

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static struct { irq_handler_t fn; void *arg; } handlers[256];
static int next_vector = VEC_FIRST_DEV;
static uint64_t nirqs;
void (*user_trap_handler)(struct trap_frame *f);
int (*kernel_user_fault_handler)(struct trap_frame *f);
void (*user_irq_return_handler)(struct trap_frame *f);

extern char trap_stubs[];

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FP", "alignment check", "machine check",
	"SIMD FP", "virtualization", "control protection",
};

static void set_gate(int v, void *fn, int ist)
{
	uint64_t a = (uint64_t)fn;

	idt[v].off_lo = a & 0xffff;
	idt[v].sel = 0x08;
	idt[v].ist = (uint8_t)ist;
	idt[v].type = 0x8e;                 /* present, DPL 0, interrupt gate */
	idt[v].off_mid = (a >> 16) & 0xffff;
	idt[v].off_hi = (uint32_t)(a >> 32);
	idt[v].zero = 0;
}

void idt_init(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) p = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < 256; v++)
		set_gate(v, trap_stubs + v * 16, v == 8 ? 1 : v == 2 ? 2 : 0);
	__asm__ volatile("lidt %0" :: "m"(p));
}

void irq_set_handler(int vector, irq_handler_t fn, void *arg)
{
	handlers[vector].fn = fn;
	handlers[vector].arg = arg;
}

int irq_alloc_vector(irq_handler_t fn, void *arg)
{
	if (next_vector >= VEC_SPURIOUS)
		return -1;
	irq_set_handler(next_vector, fn, arg);
	return next_vector++;
}

uint64_t irq_count(void)
{
	return nirqs;
}

static void dump(const struct trap_frame *f)
{
	kprintf("  rip %016lx  cs %lx  rflags %016lx  rsp %016lx  ss %lx\n",
		f->rip, f->cs, f->rflags, f->rsp, f->ss);
	kprintf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("  r13 %016lx  r14 %016lx  r15 %016lx  cr2 %016lx  cr3 %016lx\n",
		f->r13, f->r14, f->r15, read_cr2(), read_cr3());
	/* Frame-pointer backtrace: kernel is built with -fno-omit-frame-pointer. */
	const uint64_t *bp = (const uint64_t *)f->rbp;
	kprintf("  backtrace: %lx", f->rip);
	for (int i = 0; i < 12 && (uint64_t)bp >= 0xffff800000000000ull && ((uint64_t)bp & 7) == 0; i++) {
		kprintf(" %lx", bp[1]);
		bp = (const uint64_t *)bp[0];
	}
	kprintf("\n");
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	uint64_t v = f->vector;

	if (v < 32 && (f->cs & 3) && user_trap_handler) {
		/* A fault in user mode is the process's problem, not the kernel's. */
		user_trap_handler(f);
		if (need_resched)
			sched_yield_to_main();
		return;
	}
	if (v == 14 && !(f->cs & 3) && kernel_user_fault_handler && read_cr2() < USER_TOP &&
	    kernel_user_fault_handler(f) == 0)
		return;
	if (v < 32) {
		kprintf("\n*** exception %lu (%s), error code %lx", v,
			exc_names[v] ? exc_names[v] : "reserved", f->error);
		if (v == 14)
			kprintf(", faulting address %016lx (%s %s %s)", read_cr2(),
				f->error & 1 ? "protection" : "not-present",
				f->error & 2 ? "write" : "read", f->error & 4 ? "user" : "kernel");
		kprintf("\n");
		dump(f);
		panic("unhandled exception %lu in kernel mode", v);
	}
	if (v == VEC_SPURIOUS)
		return;
	nirqs++;
	if (handlers[v].fn)
		handlers[v].fn(handlers[v].arg);
	lapic_eoi();
	if (sched_current() == sched_main())
		return;
	if (!(f->cs & 3)) {
		/* A thread in a system call: it yields on its way out (need_resched), so a
		 * program looping on system calls cannot starve the main loop. */
		need_resched = 1;
		return;
	}
	/* An interrupt in user mode: give the main loop a turn (fabric, timers), then
	 * let the process monitor act on what became pending meanwhile (signals), so
	 * a program that makes no system calls can still be killed. */
	sched_yield_to_main();
	if (user_irq_return_handler)
		user_irq_return_handler(f);
}
