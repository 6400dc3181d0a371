/*
 * console.c - the serial console (COM1) and kernel printf.
 * Every line gets a level tag and a timestamp once the clock runs.
 */
#include <stdint.h>
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/time.h>

#define COM1 0x3f8

static enum log_level min_level = LOG_INFO;
static int console_ready;

void console_init(void)
{
	outb(COM1 + 1, 0x00);   /* no UART interrupts */
	outb(COM1 + 3, 0x80);   /* DLAB */
	outb(COM1 + 0, 0x01);   /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0xC7);   /* FIFO on, cleared */
	outb(COM1 + 4, 0x03);
	console_ready = 1;
}

static void serial_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	uint64_t f = irq_save();

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
	irq_restore(f);
}

void console_set_level(enum log_level l)
{
	min_level = l;
}

/* ---- formatting --------------------------------------------------------- */

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, int neg, int width, char pad, int upper)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	if (neg && pad == '0') {
		put(o, '-');
		n--;
		width--;
	}
	for (int i = n; i < width; i++)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0, left = 0;
		char pad = ' ';

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '-') {
			left = 1;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0, width, pad, 0);
			break;
		}
		case 'u': case 'x': case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, 0, width, pad, *fmt == 'X');
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, 16, '0', 0);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n;

			if (!s)
				s = "(null)";
			n = strlen(s);
			if (!left)
				for (size_t i = n; i < (size_t)width; i++)
					put(&o, ' ');
			while (*s)
				put(&o, *s++);
			if (left)
				for (size_t i = n; i < (size_t)width; i++)
					put(&o, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			put(&o, *fmt ? *fmt : '?');
			if (!*fmt)
				fmt--;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void klog(enum log_level l, const char *fmt, ...)
{
	static const char *const tag[] = { "debug", "info", "warn", "error" };
	char buf[512];
	va_list ap;
	int n;
	uint64_t ms = time_ready() ? ktime_ns() / 1000000 : 0;

	if (l < min_level)
		return;
	n = snprintf(buf, sizeof(buf), "[%5lu.%03lu] %s: ", ms / 1000, ms % 1000, tag[l]);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	console_write(buf, n);
}

void panic(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	irq_disable();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("\n*** KERNEL PANIC: %s\n", buf);
	{
		/* Who got here: the kernel keeps frame pointers (-fno-omit-frame-pointer). */
		const uint64_t *bp = __builtin_frame_address(0);

		kprintf("  backtrace:");
		for (int i = 0; i < 12 && (uint64_t)bp >= 0xffff800000000000ull && ((uint64_t)bp & 7) == 0; i++) {
			kprintf(" %lx", bp[1]);
			bp = (const uint64_t *)bp[0];
		}
		kprintf("\n");
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
