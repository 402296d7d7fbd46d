/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rss.c — symmetric Toeplitz hash of a packet's IP addresses (mos/rss.h).
 */
#include "mos/rss.h"

const uint8_t mos_rss_sym_key[MOS_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/*
 * Table-driven Toeplitz. Input bit k (from the most significant bit of the
 * first byte) adds the 32 key bits starting at bit k. The key repeats every
 * 16 bits, so that window depends on k mod 16 only, and a whole input byte's
 * contribution depends only on its value and on whether its position is
 * even or odd: two tables of 256 words (built from the key when the
 * library is loaded) give the same value as rte_softrss(), one lookup per
 * byte (unit.test_rss compares them).
 */
static uint32_t tab[2][256];

static uint32_t
window(unsigned k)
{
	const uint8_t *key = mos_rss_sym_key;
	uint64_t w = (uint64_t)key[k / 8] << 32 | (uint64_t)key[k / 8 + 1] << 24 |
		     (uint64_t)key[k / 8 + 2] << 16 | (uint64_t)key[k / 8 + 3] << 8 | key[k / 8 + 4];

	return (uint32_t)(w >> (8 - k % 8));
}

__attribute__((constructor)) static void
build_tables(void)
{
	for (unsigned par = 0; par < 2; par++)
		for (unsigned v = 0; v < 256; v++) {
			uint32_t h = 0;

			for (unsigned j = 0; j < 8; j++)
				if (v & (0x80u >> j))
					h ^= window(8 * par + j);
			tab[par][v] = h;
		}
}

/* The bytes of @a's address: the last 4 for IPv4 (IPv4-mapped in struct
 * mos_addr), all 16 for IPv6. */
static inline const uint8_t *
addr_bytes(const struct mos_addr *a, int version, unsigned *n)
{
	*n = version == 4 ? 4 : 16;
	return a->b + 16 - *n;
}

uint32_t
mos_rss_hash(const struct mos_pkt *p)
{
	const uint8_t *b;
	uint32_t h = 0;
	unsigned n;

	if (p->ip_version != 4 && p->ip_version != 6)
		return 0;
	/* source then destination; both have an even length, so byte i of
	 * the destination is at an even position when i is even */
	b = addr_bytes(&p->src, p->ip_version, &n);
	for (unsigned i = 0; i < n; i++)
		h ^= tab[i & 1][b[i]];
	b = addr_bytes(&p->dst, p->ip_version, &n);
	for (unsigned i = 0; i < n; i++)
		h ^= tab[i & 1][b[i]];
	return h;
}
