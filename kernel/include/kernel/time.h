/* time.h - monotonic clock (HPET), one-shot timer events on the local APIC. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H
#include <stdint.h>

int time_init(void);            /* HPET clock + LAPIC timer calibration */
int time_ready(void);
uint64_t ktime_ns(void);
void udelay(uint64_t us);

/* Wall clock: CMOS RTC at boot plus monotonic time since. */
void rtc_init(void);
uint64_t wallclock_seconds(void);

struct ktimer {
	uint64_t deadline_ns;
	void (*fn)(struct ktimer *t);
	struct ktimer *next;
	int armed;
};

/* Fire t->fn from the main loop (not in interrupt context) at deadline_ns. */
void ktimer_arm(struct ktimer *t, uint64_t deadline_ns, void (*fn)(struct ktimer *t));
void ktimer_cancel(struct ktimer *t);
/* Run every due timer; returns how many ran. Programs the APIC for the next one. */
int ktimers_run(void);
/* True if a timer is due (call with interrupts off, right before halting). */
int ktimers_due(void);
/* Make sure the APIC timer fires no later than deadline (used while waiting). */
void ktimer_wake_at(uint64_t deadline_ns);
#endif
