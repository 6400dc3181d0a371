/*
 * rtc.c - wall-clock time: the CMOS RTC read once at boot, advanced by the
 * monotonic clock. Used for file timestamps (QEMU's RTC follows the host).
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/time.h>

static uint64_t epoch_at_boot;
static uint64_t ns_at_read;

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned bcd(uint8_t v, int binary)
{
	return binary ? v : (v & 0x0f) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (uint64_t)((int64_t)era * 146097 + (int64_t)doe - 719468);
}

void rtc_init(void)
{
	uint8_t sec, min, hour, day, mon, year, regb;
	int binary, h24;

	for (int i = 0; i < 1000 && (cmos(0x0a) & 0x80); i++)
		cpu_relax();                /* update in progress */
	sec = cmos(0x00);
	min = cmos(0x02);
	hour = cmos(0x04);
	day = cmos(0x07);
	mon = cmos(0x08);
	year = cmos(0x09);
	regb = cmos(0x0b);
	binary = regb & 0x04;
	h24 = regb & 0x02;
	unsigned h = bcd(hour & 0x7f, binary);
	if (!h24 && (hour & 0x80))
		h = (h % 12) + 12;
	epoch_at_boot = days_from_civil(2000 + (int)bcd(year, binary), bcd(mon, binary), bcd(day, binary)) * 86400 +
			h * 3600 + bcd(min, binary) * 60 + bcd(sec, binary);
	ns_at_read = ktime_ns();
	pr_info("rtc: wall clock %lu s since the epoch", epoch_at_boot);
}

uint64_t wallclock_seconds(void)
{
	return epoch_at_boot + (ktime_ns() - ns_at_read) / 1000000000ull;
}
