/* stdlib.c - malloc/calloc/realloc/free over the kernel heap. */
#include <stdlib.h>
#include <string.h>
#include <kernel/mm.h>

void *malloc(size_t n)
{
	return kmalloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	return kzalloc(n * size);
}

void *realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (!p)
		return kmalloc(n);
	if (n == 0) {
		kfree(p);
		return NULL;
	}
	old = kmalloc_size(p);
	if (n <= old)
		return p;
	q = kmalloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	kfree(p);
	return q;
}

void free(void *p)
{
	kfree(p);
}
