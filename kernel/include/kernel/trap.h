/* trap.h - descriptor tables, exceptions and interrupt vectors. */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H
#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

#define VEC_TIMER     0x20
#define VEC_FIRST_DEV 0x30
#define VEC_SPURIOUS  0xff

typedef void (*irq_handler_t)(void *arg);

#define USER_TOP 0x0000800000000000ull

/* Set by the process monitor: exceptions from user mode (page faults, #GP, ...). */
extern void (*user_trap_handler)(struct trap_frame *f);
/* Set by the process monitor: a kernel-mode page fault on a user address
 * (copying to or from user memory); returns 0 if it resolved the fault. */
extern int (*kernel_user_fault_handler)(struct trap_frame *f);
/* Set by the process monitor: called on the way back to user mode after an
 * interrupt (delivers the interrupted process's pending signals). */
extern void (*user_irq_return_handler)(struct trap_frame *f);

void gdt_init(void);
/* Kernel stack the CPU switches to on a trap from user mode. */
void tss_set_rsp0(uint64_t rsp0);
/* Enable `syscall` with entry as its target (arch/x86_64/syscall.S). */
void syscall_init(void (*entry)(void));
void syscall_entry(void);
/* Return to user mode with the registers in f (never returns). */
void user_return(struct trap_frame *f) __attribute__((noreturn));
#define VEC_SYSCALL 0x100
#define USER_CS 0x23
#define USER_DS 0x1b
void idt_init(void);
/* Reserve a free vector for a device and route it to fn(arg); -1 if none left. */
int irq_alloc_vector(irq_handler_t fn, void *arg);
void irq_set_handler(int vector, irq_handler_t fn, void *arg);
uint64_t irq_count(void);

/* Local APIC */
void lapic_init(void);
void lapic_eoi(void);
uint32_t lapic_id(void);
void lapic_timer_oneshot(uint32_t count);
uint32_t lapic_timer_current(void);
#endif
