/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mktrace — write a synthetic benchmark capture: a mix like the one in
 * BENCHMARKING.md (TCP and UDP flows, ~10% IPv6, some VLAN-tagged frames,
 * frame sizes from 60 to 1514 bytes, mean around 540 B).
 *
 *   mktrace OUT.pcap [PACKETS [FLOWS]]      (defaults: 1000000 packets, 100000 flows)
 *
 * Deterministic: a fixed-seed generator, so the same arguments always give
 * the same file.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Frame size: mostly small ACK-sized or full-sized, some in between. */
static uint32_t
frame_size(void)
{
	uint32_t r = next_rand() % 100;

	if (r < 45)
		return 60 + next_rand() % 20;
	if (r < 75)
		return 1514;
	return 80 + next_rand() % 1400;
}

int
main(int argc, char **argv)
{
	unsigned long packets = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	unsigned long flows = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
	static uint8_t f[1518];
	pcap_t *dead;
	pcap_dumper_t *d;
	uint32_t *seq;

	if (argc < 2 || packets == 0 || flows == 0) {
		fprintf(stderr, "usage: mktrace OUT.pcap [PACKETS [FLOWS]]\n");
		return 2;
	}
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	d = pcap_dump_open(dead, argv[1]);
	if (d == NULL) {
		fprintf(stderr, "mktrace: %s\n", pcap_geterr(dead));
		return 1;
	}
	seq = calloc(flows * 2, sizeof(*seq));
	if (seq == NULL)
		return 1;
	for (unsigned long i = 0; i < packets; i++) {
		uint32_t flow = next_rand() % (uint32_t)flows;
		int c2s = next_rand() & 1;
		int v6 = flow % 10 == 0;
		int vlan = flow % 20 == 7;
		int tcp = flow % 4 != 3;
		uint32_t len = frame_size(), off = 12;
		struct pcap_pkthdr h;

		memset(f, 0, sizeof(f));
		memcpy(f, c2s ? "\x02\0\0\0\0\x02\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
		if (vlan) {
			put16(f + off, 0x8100);
			put16(f + off + 2, (uint16_t)(100 + flow % 50));
			off += 4;
		}
		put16(f + off, v6 ? 0x86dd : 0x0800);
		off += 2;
		uint32_t l3 = off, l4, hdr = tcp ? 20 : 8;
		uint32_t a = 0x0a000000 | (flow & 0xffff), b = 0xc0a80000 | (flow >> 16);
		uint16_t pa = (uint16_t)(1024 + flow % 60000), pb = tcp ? 443 : 53;
		if (!c2s) {
			uint32_t t = a; a = b; b = t;
			uint16_t tp = pa; pa = pb; pb = tp;
		}
		if (v6) {
			l4 = l3 + 40;
			if (len < l4 + hdr)
				len = l4 + hdr;
			f[l3] = 0x60;
			put16(f + l3 + 4, (uint16_t)(len - l4));
			f[l3 + 6] = tcp ? 6 : 17;
			f[l3 + 7] = 64;
			f[l3 + 8] = 0x20; f[l3 + 9] = 0x01; f[l3 + 10] = 0x0d; f[l3 + 11] = 0xb8;
			put32(f + l3 + 20, a);
			f[l3 + 24] = 0x20; f[l3 + 25] = 0x01; f[l3 + 26] = 0x0d; f[l3 + 27] = 0xb8;
			put32(f + l3 + 36, b);
		} else {
			l4 = l3 + 20;
			if (len < l4 + hdr)
				len = l4 + hdr;
			f[l3] = 0x45;
			put16(f + l3 + 2, (uint16_t)(len - l3));
			put16(f + l3 + 4, (uint16_t)i);
			f[l3 + 8] = 64;
			f[l3 + 9] = tcp ? 6 : 17;
			put32(f + l3 + 12, a);
			put32(f + l3 + 16, b);
		}
		put16(f + l4, pa);
		put16(f + l4 + 2, pb);
		if (tcp) {
			uint32_t *s = &seq[flow * 2 + (unsigned)c2s];
			uint32_t paylen = len - l4 - hdr;

			put32(f + l4 + 4, *s);
			put32(f + l4 + 8, seq[flow * 2 + (unsigned)!c2s]);
			f[l4 + 12] = 5 << 4;
			f[l4 + 13] = paylen ? 0x18 : 0x10;
			put16(f + l4 + 14, 65535);
			/* ~1% retransmissions: the sequence does not advance. */
			if (next_rand() % 100 != 0)
				*s += paylen;
		} else {
			put16(f + l4 + 4, (uint16_t)(len - l4));
		}
		h.ts.tv_sec = 1700000000 + (time_t)(i / 100000);
		h.ts.tv_usec = (suseconds_t)((i % 100000) * 10);
		h.caplen = h.len = len;
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	free(seq);
	return 0;
}
