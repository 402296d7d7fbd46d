/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bigmem.h — zeroed memory for large arrays touched at random, on
 * transparent huge pages where the kernel allows them: the runtime's flow
 * entries and buckets, stream objects, pages and range tables, the
 * offline workers' record blocks, and a program's own tables (streamdump's
 * occurrence counter). With 4 KiB pages nearly every access to such an
 * array also misses the TLB, and on some virtual machines each first
 * touch of a 4 KiB page costs microseconds (docs/performance.md). Pages
 * are still touched lazily (2 MiB at a time), so an array sized for the
 * worst case costs what is used. Arrays of 1 MiB or less stay on ordinary
 * pages: a huge page would zero 2 MiB for each of them (small
 * configurations, tests).
 */
#ifndef MOS_BIGMEM_H
#define MOS_BIGMEM_H

#include <stddef.h>

/* @len bytes of zeroed memory, or NULL (errno ENOMEM): over 1 MiB aligned
 * to 2 MiB and on huge pages where the kernel allows it, else page-aligned
 * ordinary pages. *@mapped receives the length to give to mos_big_free. */
void *mos_big_zalloc(size_t len, size_t *mapped);

/* Free what mos_big_zalloc returned (@p NULL: nothing). */
void mos_big_free(void *p, size_t mapped);

#endif /* MOS_BIGMEM_H */
