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
 * library is loaded) give the same value as rte_softrss() (unit.test_rss
 * compares them).
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

/* Hash of two addresses of @n bytes each: source then destination; both
 * have an even length, so byte i of the destination is at an even position
 * when i is even. A table is linear in its byte (a XOR of windows), so the
 * bytes at even positions can be XORed together first and looked up once,
 * and so can the odd ones: two lookups, whatever the length. */
static inline uint32_t
hash_pair(const uint8_t *src, const uint8_t *dst, unsigned n)
{
	uint8_t even = 0, odd = 0;

	for (unsigned i = 0; i < n; i += 2) {
		even ^= src[i] ^ dst[i];
		odd ^= src[i + 1] ^ dst[i + 1];
	}
	return tab[0][even] ^ tab[1][odd];
}

uint32_t
mos_rss_hash(const struct mos_pkt *p)
{
	/* IPv4 addresses are the last 4 bytes of struct mos_addr */
	unsigned n = p->ip_version == 4 ? 4 : 16;

	if (p->ip_version != 4 && p->ip_version != 6)
		return 0;
	if (p->flags & MOS_PKT_F_ICMP_QUOTE) {
		/* an ICMP error: the addresses of the packet it quotes (the
		 * decoder checked that they were captured, same IP version) */
		const uint8_t *q = p->data + p->quote_off + (n == 4 ? 12 : 8);

		return hash_pair(q, q + n, n);
	}
	return hash_pair(p->src.b + 16 - n, p->dst.b + 16 - n, n);
}

/* Frames whose outer IP header is the only one and which mos_decode can
 * fail on only after taking its addresses: Ethernet II with at most one
 * 802.1Q tag, then IPv4 without options, fragmentation, AH or tunnel, or
 * IPv6 whose next header is TCP, UDP or ICMPv6. Any other shape is
 * declined, never guessed. */
bool
mos_rss_frame_hash(const uint8_t *d, uint32_t caplen, int linktype, uint32_t *h)
{
	uint32_t off = 14;
	uint16_t type;

	if (linktype != MOS_LINK_ETHERNET || caplen < 14)
		return false;
	type = (uint16_t)(d[12] << 8 | d[13]);
	if (type == 0x8100) {
		if (caplen < 18)
			return false;
		type = (uint16_t)(d[16] << 8 | d[17]);
		off = 18;
	}
	if (type == 0x0800) {
		const uint8_t *ip = d + off;

		/* version 4, 20-byte header, total length at least that, no
		 * fragment bits, not IP-in-IP, IPv6-in-IP or AH */
		if (caplen - off < 20 || ip[0] != 0x45 || (ip[2] << 8 | ip[3]) < 20 ||
		    ((ip[6] << 8 | ip[7]) & 0x3fff) != 0 || ip[9] == 4 || ip[9] == 41 || ip[9] == 51)
			return false;
		/* ICMP whose type is not read here, or an error (hashed by
		 * what it quotes): decode it */
		if (ip[9] == 1 && (caplen - off < 21 || ip[20] == 3 || ip[20] == 4 || ip[20] == 5 ||
				   ip[20] == 11 || ip[20] == 12))
			return false;
		*h = hash_pair(ip + 12, ip + 16, 4);
		return true;
	}
	if (type == 0x86dd) {
		const uint8_t *ip = d + off;

		/* version 6, a payload length (not a jumbogram), no extension
		 * header and no tunnel */
		if (caplen - off < 40 || (ip[0] >> 4) != 6 || (ip[4] | ip[5]) == 0 ||
		    (ip[6] != 6 && ip[6] != 17 && ip[6] != 58) ||
		    (ip[6] == 58 && (caplen - off < 41 || (ip[40] >= 1 && ip[40] <= 4))))
			return false;
		*h = hash_pair(ip + 8, ip + 24, 16);
		return true;
	}
	return false;
}
