/*
 * lapic.c - the local APIC (xAPIC MMIO): enable, EOI, one-shot timer.
 * The legacy 8259 PICs are masked; devices use MSI-X straight to the LAPIC.
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <kernel/mm.h>
#include <kernel/trap.h>

#define LAPIC_PHYS   0xfee00000ull
#define REG_ID       0x020
#define REG_EOI      0x0b0
#define REG_SVR      0x0f0
#define REG_TPR      0x080
#define REG_LVT_TMR  0x320
#define REG_TMR_INIT 0x380
#define REG_TMR_CUR  0x390
#define REG_TMR_DIV  0x3e0
#define MSR_APIC_BASE 0x1b

static volatile uint8_t *lapic;

static inline uint32_t rd(unsigned r) { return mmio_read32(lapic + r); }
static inline void wr(unsigned r, uint32_t v) { mmio_write32(lapic + r, v); }

void lapic_init(void)
{
	/* Mask both 8259s. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	wrmsr(MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) & 0xfff) | LAPIC_PHYS | (1u << 11));
	lapic = vm_map_mmio(LAPIC_PHYS, 4096);
	wr(REG_TPR, 0);
	wr(REG_SVR, 0x100 | VEC_SPURIOUS);
	wr(REG_TMR_DIV, 0x3);               /* divide by 16 */
	wr(REG_LVT_TMR, VEC_TIMER);         /* one-shot */
	wr(REG_TMR_INIT, 0);
}

void lapic_eoi(void)
{
	wr(REG_EOI, 0);
}

uint32_t lapic_id(void)
{
	return rd(REG_ID) >> 24;
}

void lapic_timer_oneshot(uint32_t count)
{
	wr(REG_TMR_INIT, count);
}

uint32_t lapic_timer_current(void)
{
	return rd(REG_TMR_CUR);
}
