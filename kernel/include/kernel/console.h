/* console.h - serial console with log levels (kernel/console.c). */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void console_init(void);
void console_write(const char *s, size_t n);
void console_set_level(enum log_level l);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void klog(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_err(...)   klog(LOG_ERROR, __VA_ARGS__)

/* A broken kernel invariant: print, dump, halt forever. Never for bad input. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#define BUG_ON(c) do { if (__builtin_expect(!!(c), 0)) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c); } while (0)
#endif
