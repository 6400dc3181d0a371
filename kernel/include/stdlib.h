/*
 * stdlib.h - malloc and friends for portable libraries compiled into the
 * kernel (ext2, ...). They map onto the kernel heap (kernel/lib/stdlib.c),
 * so the same sources build unchanged against libc for host tests.
 */
#ifndef KERNEL_STDLIB_H
#define KERNEL_STDLIB_H
#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
#endif
