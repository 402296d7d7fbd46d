/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bigmem.c — large zeroed arrays on transparent huge pages (see bigmem.h).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "mos/bigmem.h"

#define HUGE_ALIGN (2u << 20)        /* transparent huge page size on x86-64 */

void *
mos_big_zalloc(size_t len, size_t *mapped)
{
	size_t n = (len + HUGE_ALIGN - 1) & ~(size_t)(HUGE_ALIGN - 1);
	uint8_t *m, *a;

	if (n < len) {
		errno = ENOMEM;
		return NULL;
	}
	if (len <= HUGE_ALIGN / 2) {
		/* small: a huge page would zero 2 MiB for it, and a table this
		 * size has few TLB misses anyway */
		n = len + (len == 0);
		m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		*mapped = n;
		return m;
	}
	m = mmap(NULL, n + HUGE_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* Trim to a 2 MiB aligned range of n bytes. */
	a = (uint8_t *)(((uintptr_t)m + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (m + n + HUGE_ALIGN > a + n)
		munmap(a + n, (size_t)(m + n + HUGE_ALIGN - (a + n)));
#ifdef MADV_HUGEPAGE
	(void)madvise(a, n, MADV_HUGEPAGE);   /* a hint: fine if refused */
#endif
	*mapped = n;
	return a;
}

void
mos_big_free(void *p, size_t mapped)
{
	if (p != NULL)
		munmap(p, mapped);
}
