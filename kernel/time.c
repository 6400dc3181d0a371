/*
 * time.c - the clock and timer events. The HPET main counter is the
 * monotonic clock; the local APIC timer, calibrated against it at boot, is
 * armed one-shot for the earliest pending ktimer, so an idle node sleeps in
 * hlt until there is something to do (no periodic tick).
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/time.h>
#include <kernel/trap.h>

#define HPET_PHYS     0xfed00000ull
#define HPET_CAP      0x000
#define HPET_CONFIG   0x010
#define HPET_COUNTER  0x0f0

static volatile uint8_t *hpet;
static uint64_t hpet_period_fs;         /* femtoseconds per tick */
static uint64_t ns_per_tick_q32;        /* nanoseconds per tick, 32.32 fixed point */
static uint64_t apic_ticks_per_ms;
static struct ktimer *timers;           /* sorted by deadline */
static int ready;

int time_ready(void)
{
	return ready;
}

uint64_t ktime_ns(void)
{
	uint64_t t = mmio_read64(hpet + HPET_COUNTER);

	/* A multiply, not a 128-bit division: this runs on every page miss and RPC. The
	 * product stays below 2^103 (period <= 1e8 fs), the result exact for whole-ns periods. */
	return (uint64_t)(((__uint128_t)t * ns_per_tick_q32) >> 32);
}

void udelay(uint64_t us)
{
	uint64_t end = ktime_ns() + us * 1000;

	while (ktime_ns() < end)
		cpu_relax();
}

static void timer_irq(void *arg)
{
	(void)arg;                      /* work happens in ktimers_run() from the main loop */
}

int time_init(void)
{
	uint64_t cap, t0, t1;
	uint32_t c0, c1;

	hpet = vm_map_mmio(HPET_PHYS, 4096);
	cap = mmio_read64(hpet + HPET_CAP);
	hpet_period_fs = cap >> 32;
	if (hpet_period_fs == 0 || hpet_period_fs > 100000000ull) {
		pr_err("time: no usable HPET (period %lu fs)", hpet_period_fs);
		return -1;
	}
	ns_per_tick_q32 = (hpet_period_fs << 32) / 1000000u;
	mmio_write64(hpet + HPET_CONFIG, mmio_read64(hpet + HPET_CONFIG) | 1);
	ready = 1;

	irq_set_handler(VEC_TIMER, timer_irq, NULL);
	/* Calibrate the APIC timer over 10 ms of HPET time. */
	lapic_timer_oneshot(0xffffffffu);
	c0 = lapic_timer_current();
	t0 = ktime_ns();
	do {
		t1 = ktime_ns();
	} while (t1 - t0 < 10000000ull);
	c1 = lapic_timer_current();
	lapic_timer_oneshot(0);
	apic_ticks_per_ms = (uint64_t)(c0 - c1) * 1000000ull / (t1 - t0);
	if (apic_ticks_per_ms == 0)
		apic_ticks_per_ms = 1;
	pr_info("time: HPET %lu fs/tick, APIC timer %lu ticks/ms", hpet_period_fs, apic_ticks_per_ms);
	return 0;
}

static void program(uint64_t deadline)
{
	uint64_t now = ktime_ns();
	uint64_t delta_ns = deadline > now ? deadline - now : 0;
	uint64_t ticks = delta_ns * apic_ticks_per_ms / 1000000ull;

	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffull)
		ticks = 0xffffffffull;
	lapic_timer_oneshot((uint32_t)ticks);
}

static void reprogram(void)
{
	if (timers)
		program(timers->deadline_ns);
	else
		lapic_timer_oneshot(0);
}

void ktimer_cancel(struct ktimer *t)
{
	uint64_t f = irq_save();

	for (struct ktimer **pp = &timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = 0;
	t->next = NULL;
	irq_restore(f);
}

void ktimer_arm(struct ktimer *t, uint64_t deadline_ns, void (*fn)(struct ktimer *t))
{
	struct ktimer **pp;
	uint64_t f;

	if (t->armed)
		ktimer_cancel(t);
	f = irq_save();
	t->deadline_ns = deadline_ns;
	t->fn = fn;
	t->armed = 1;
	for (pp = &timers; *pp && (*pp)->deadline_ns <= deadline_ns; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	if (timers == t)
		reprogram();
	irq_restore(f);
}

int ktimers_run(void)
{
	int ran = 0;

	for (;;) {
		uint64_t f = irq_save();
		struct ktimer *t = timers;

		if (!t || t->deadline_ns > ktime_ns()) {
			reprogram();
			irq_restore(f);
			return ran;
		}
		timers = t->next;
		t->next = NULL;
		t->armed = 0;
		irq_restore(f);
		t->fn(t);
		ran++;
	}
}

int ktimers_due(void)
{
	/* With interrupts off before sti;hlt: a timer whose one-shot interrupt
	 * already went off while we were busy must not be slept through. */
	return timers && timers->deadline_ns <= ktime_ns();
}

void ktimer_wake_at(uint64_t deadline_ns)
{
	if (!timers || deadline_ns < timers->deadline_ns)
		program(deadline_ns);
}
