/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mktrace — write a synthetic benchmark capture: a mix like the one in
 * BENCHMARKING.md. TCP connections with handshake, data both ways and FIN
 * teardown, UDP flows, ~10% IPv6, ~5% VLAN-tagged, frame sizes from 60 to
 * 1514 bytes (mean about 600 B), ~1% retransmissions, and optionally
 * reordered data segments. Many connections are live at once, interleaved.
 *
 *   mktrace OUT.pcap [PACKETS [FLOWS [REORDER_PERCENT]]]
 *        (defaults: 1000000 packets, 100000 flows, 0% reordering)
 *
 * REORDER_PERCENT of the data segments are sent after the segment that
 * follows them. Deterministic: a fixed-seed generator, so the same
 * arguments always give the same file.
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE 2048                   /* connections live at once */

struct flow {
	uint32_t id;                 /* flow number, gives addresses and ports */
	uint32_t left;               /* packets still to send */
	uint32_t step;               /* packets sent so far */
	uint32_t seq[2];             /* next sequence number per direction */
	bool tcp, v6, vlan;          /* shape of the flow */
};

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

/* Payload size of a data segment: mostly full-sized, some small. */
static uint32_t
payload_size(void)
{
	uint32_t r = next_rand() % 100;

	if (r < 50)
		return 1460;
	if (r < 70)
		return 1 + next_rand() % 100;
	return 100 + next_rand() % 1360;
}

static pcap_dumper_t *dump;
static uint64_t n_written, ts_us;

/* Write one frame of flow @f in direction @c2s with TCP @flags (0 for UDP),
 * sequence @seq and @paylen payload bytes. */
static void
emit(const struct flow *f, int c2s, uint8_t flags, uint32_t seq, uint32_t paylen)
{
	static uint8_t b[1600];
	uint32_t off = 12, l3, l4, hdr = f->tcp ? 20 : 8, len;
	uint32_t a = 0x0a000000 | (f->id & 0xffffff), s = 0xc0a80000 | (f->id % 251);
	uint16_t pa = (uint16_t)(1024 + f->id % 60000), pb = f->tcp ? 443 : 53;
	struct pcap_pkthdr h;

	memset(b, 0, 64);
	memcpy(b, c2s ? "\x02\0\0\0\0\x02\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	if (f->vlan) {
		put16(b + off, 0x8100);
		put16(b + off + 2, (uint16_t)(100 + f->id % 50));
		off += 4;
	}
	put16(b + off, f->v6 ? 0x86dd : 0x0800);
	l3 = off + 2;
	if (!c2s) {
		uint32_t t = a; a = s; s = t;
		uint16_t tp = pa; pa = pb; pb = tp;
	}
	if (f->v6) {
		l4 = l3 + 40;
		b[l3] = 0x60;
		put16(b + l3 + 4, (uint16_t)(hdr + paylen));
		b[l3 + 6] = f->tcp ? 6 : 17;
		b[l3 + 7] = 64;
		put32(b + l3 + 8, 0x20010db8);
		put32(b + l3 + 20, a);
		put32(b + l3 + 24, 0x20010db8);
		put32(b + l3 + 36, s);
	} else {
		l4 = l3 + 20;
		b[l3] = 0x45;
		put16(b + l3 + 2, (uint16_t)(20 + hdr + paylen));
		put16(b + l3 + 4, (uint16_t)n_written);
		b[l3 + 8] = 64;
		b[l3 + 9] = f->tcp ? 6 : 17;
		put32(b + l3 + 12, a);
		put32(b + l3 + 16, s);
	}
	put16(b + l4, pa);
	put16(b + l4 + 2, pb);
	if (f->tcp) {
		put32(b + l4 + 4, seq);
		put32(b + l4 + 8, f->seq[c2s ? 1 : 0]);
		b[l4 + 12] = 5 << 4;
		b[l4 + 13] = flags;
		put16(b + l4 + 14, 65535);
	} else {
		put16(b + l4 + 4, (uint16_t)(8 + paylen));
	}
	len = l4 + hdr + paylen;
	for (uint32_t i = l4 + hdr; i < len; i++)
		b[i] = (uint8_t)(seq + i);
	if (len < 60)
		len = 60;       /* Ethernet minimum: padding */
	ts_us += 1 + next_rand() % 8;
	h.ts.tv_sec = (time_t)(1700000000 + ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	h.caplen = h.len = len;
	pcap_dump((u_char *)dump, &h, b);
	n_written++;
}

static void
new_flow(struct flow *f, uint32_t id, uint32_t mean)
{
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->tcp = id % 4 != 3;
	f->v6 = id % 10 == 0;
	f->vlan = id % 20 == 7;
	f->left = f->tcp ? 7 + next_rand() % (2 * mean) : 1 + next_rand() % (2 * mean);
	f->seq[0] = next_rand();
	f->seq[1] = next_rand();
}

/* Send the next packet(s) of @f; returns how many were written. */
static unsigned
advance(struct flow *f, unsigned reorder)
{
	int c2s = next_rand() & 1;
	uint32_t len;

	if (!f->tcp) {
		emit(f, c2s, 0, 0, payload_size() % 512);
		f->left--;
		return 1;
	}
	switch (f->step++) {
	case 0: emit(f, 1, 0x02, f->seq[0]++, 0); f->left--; return 1;                 /* SYN */
	case 1: emit(f, 0, 0x12, f->seq[1]++, 0); f->left--; return 1;                 /* SYN-ACK */
	case 2: emit(f, 1, 0x10, f->seq[0], 0); f->left--; return 1;                   /* ACK */
	default: break;
	}
	if (f->left <= 3) {             /* FIN, FIN, last ACK */
		int dir = f->left == 3 ? 1 : f->left == 2 ? 0 : 1;
		emit(f, dir, f->left == 1 ? 0x10 : 0x11, f->seq[dir ? 0 : 1], 0);
		if (f->left > 1)
			f->seq[dir ? 0 : 1]++;
		f->left--;
		return 1;
	}
	len = payload_size();
	uint32_t *seq = &f->seq[c2s ? 0 : 1];
	if (f->left > 5 && next_rand() % 100 < reorder) {
		uint32_t len2 = payload_size();

		emit(f, c2s, 0x18, *seq + len, len2);      /* the later segment first */
		emit(f, c2s, 0x18, *seq, len);
		*seq += len + len2;
		f->left -= 2;
		return 2;
	}
	emit(f, c2s, 0x18, *seq, len);
	if (next_rand() % 100 != 0)     /* ~1%: retransmitted next time */
		*seq += len;
	f->left--;
	return 1;
}

int
main(int argc, char **argv)
{
	unsigned long packets = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	unsigned long flows = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
	unsigned reorder = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0;
	static struct flow live[LIVE];
	uint32_t next_id = 0, mean;
	pcap_t *dead;

	if (argc < 2 || packets == 0 || flows == 0 || reorder > 100) {
		fprintf(stderr, "usage: mktrace OUT.pcap [PACKETS [FLOWS [REORDER_PERCENT]]]\n");
		return 2;
	}
	mean = (uint32_t)(packets / flows > 8 ? packets / flows : 8);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	dump = pcap_dump_open(dead, argv[1]);
	if (dump == NULL) {
		fprintf(stderr, "mktrace: %s\n", pcap_geterr(dead));
		return 1;
	}
	for (unsigned i = 0; i < LIVE; i++)
		new_flow(&live[i], next_id++, mean);
	while (n_written < packets) {
		struct flow *f = &live[next_rand() % LIVE];

		advance(f, reorder);
		if (f->left == 0)
			new_flow(f, next_id++, mean);
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	return 0;
}
