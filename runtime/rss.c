/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rss.c — symmetric Toeplitz hash of a packet's IP addresses (mos/rss.h).
 */
#include <rte_byteorder.h>
#include <rte_thash.h>

#include "mos/rss.h"

const uint8_t mos_rss_sym_key[MOS_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* Words of @a (network order) into @w in host order: the last 4 bytes
 * for IPv4 (IPv4-mapped in struct mos_addr), all 16 for IPv6. */
static inline unsigned
addr_words(const struct mos_addr *a, int version, uint32_t *w)
{
	unsigned n = version == 4 ? 1 : 4;
	const uint8_t *b = a->b + 16 - 4 * n;

	for (unsigned i = 0; i < n; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	return n;
}

uint32_t
mos_rss_hash(const struct mos_pkt *p)
{
	uint32_t t[8];
	unsigned n;

	if (p->ip_version != 4 && p->ip_version != 6)
		return 0;
	n = addr_words(&p->src, p->ip_version, t);
	n += addr_words(&p->dst, p->ip_version, t + n);
	return rte_softrss(t, n, mos_rss_sym_key);
}
