/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/md5.c — MD5 after RFC 1321 §3 (little-endian words, 64 steps in
 * four rounds, sine-derived constants).
 */
#include "parsers/md5.h"

#include <string.h>

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
	0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
	0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
	0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
	0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const uint8_t md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static void md5_block(uint32_t h[4], const uint8_t *p)
{
	uint32_t w[16];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	/* one loop per round: no per-step branch on the round number */
#define MD5_STEP(f, g)                                                       \
	do {                                                                 \
		uint32_t t = d, x = a + (f) + md5_k[i] + w[g];               \
		d = c;                                                       \
		c = b;                                                       \
		b = b + ((x << md5_r[i]) | (x >> (32 - md5_r[i])));          \
		a = t;                                                       \
	} while (0)
	int i = 0;
	for (; i < 16; i++)
		MD5_STEP((b & c) | (~b & d), i);
	for (; i < 32; i++)
		MD5_STEP((d & b) | (~d & c), (5 * i + 1) & 15);
	for (; i < 48; i++)
		MD5_STEP(b ^ c ^ d, (3 * i + 5) & 15);
	for (; i < 64; i++)
		MD5_STEP(c ^ (b | ~d), (7 * i) & 15);
#undef MD5_STEP
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void mos_md5_init(struct mos_md5 *m)
{
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->len = 0;
	m->buf_len = 0;
}

void mos_md5_update(struct mos_md5 *m, const void *data, size_t len)
{
	const uint8_t *p = data;
	m->len += len;
	if (m->buf_len) {
		size_t n = 64 - m->buf_len;
		if (n > len)
			n = len;
		memcpy(m->buf + m->buf_len, p, n);
		m->buf_len += (uint32_t)n;
		p += n;
		len -= n;
		if (m->buf_len < 64)
			return;
		md5_block(m->h, m->buf);
		m->buf_len = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		md5_block(m->h, p);
	memcpy(m->buf, p, len);
	m->buf_len = (uint32_t)len;
}

void mos_md5_final(struct mos_md5 *m, uint8_t out[16])
{
	uint64_t bits = m->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (m->buf_len < 56 ? 56 : 120) - m->buf_len;
	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (8 * i));
	mos_md5_update(m, pad, padlen + 8);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(m->h[i] >> (8 * j));
}

void mos_md5_digest(const void *data, size_t len, uint8_t out[16])
{
	struct mos_md5 m;
	mos_md5_init(&m);
	mos_md5_update(&m, data, len);
	mos_md5_final(&m, out);
}

void mos_md5_hex(const uint8_t digest[16], char out[33])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[32] = '\0';
}
