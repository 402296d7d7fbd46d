/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bytesum.h — the sum of a run of bytes, used by streamdump (and the
 * reassembly benchmarks) to read every reassembled byte cheaply and check
 * that two tools read the same bytes. Header only.
 */
#ifndef MOS_EXAMPLES_BYTESUM_H
#define MOS_EXAMPLES_BYTESUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* @sum plus the sum of the @n bytes at @p (the same whatever the cut of a
 * stream into runs). SSE2 sums 16 bytes per step
 * (psadbw); the same sum without it. */
static inline uint64_t
bytesum(const uint8_t *p, size_t n, uint64_t sum)
{
	size_t i = 0;
#ifdef __SSE2__
	__m128i a0 = _mm_setzero_si128(), a1 = _mm_setzero_si128();
	const __m128i z = _mm_setzero_si128();

	for (; i + 32 <= n; i += 32) {
		a0 = _mm_add_epi64(a0, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)(p + i)), z));
		a1 = _mm_add_epi64(a1, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)(p + i + 16)), z));
	}
	a0 = _mm_add_epi64(a0, a1);
	sum += (uint64_t)_mm_cvtsi128_si64(a0) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(a0, a0));
#else
	const uint64_t m = 0x00ff00ff00ff00ffull;

	while (i + 8 <= n) {
		uint64_t lanes = 0;  /* four 16-bit sums: 128 words add at most 128 * 510 to each */

		for (size_t k = 0; k < 128 && i + 8 <= n; k++, i += 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			lanes += (w & m) + ((w >> 8) & m);
		}
		for (int l = 0; l < 4; l++)
			sum += (lanes >> (16 * l)) & 0xffff;
	}
#endif
	for (; i < n; i++)
		sum += p[i];
	return sum;
}

#endif /* MOS_EXAMPLES_BYTESUM_H */
