// SPDX-License-Identifier: BSD-3-Clause
// The symmetric hash that picks a packet's worker (mos/rss.h): both
// directions of a connection, IPv4 and IPv6, VLAN tags, IP fragments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "pktcraft.h"
#include "shim.h"
#include <rte_thash.h>
extern "C" {
#include "mos/rss.h"
}

namespace {

struct Pkt {
	struct pc_frame f;
	struct mos_pkt p;
};

// An IP header from host @src to host @dst (10.0.0.x, or 20..::x with @v6).
void AddIp(struct pc_frame *f, bool v6, uint8_t src, uint8_t dst)
{
	if (v6) {
		struct pc_ipv6 ip;
		pc_ipv6_defaults(&ip);
		ip.src[0] = ip.dst[0] = 0x20;
		ip.src[15] = src;
		ip.dst[15] = dst;
		pc_ipv6(f, &ip);
	} else {
		struct pc_ipv4 ip;
		pc_ipv4_defaults(&ip);
		ip.src[0] = ip.dst[0] = 10;
		ip.src[3] = src;
		ip.dst[3] = dst;
		pc_ipv4(f, &ip);
	}
}

// A TCP or UDP frame between @src:@sp and @dst:@dp (IPv4 when @v6 is
// false), behind @vlans VLAN tags (ids 100, 200), decoded into p.
void Build(Pkt *k, bool v6, uint8_t src, uint8_t dst, uint16_t sp, uint16_t dp, int vlans = 0,
	   bool udp = false)
{
	pc_init(&k->f);
	pc_eth(&k->f);
	for (int i = 0; i < vlans; i++)
		pc_vlan(&k->f, i == 0 && vlans > 1 ? 0x88a8 : 0x8100, (uint16_t)(100 * (i + 1)));
	AddIp(&k->f, v6, src, dst);
	if (udp) {
		struct pc_udp u;
		pc_udp_defaults(&u);
		u.sport = sp;
		u.dport = dp;
		pc_udp(&k->f, &u);
	} else {
		struct pc_tcp t;
		pc_tcp_defaults(&t);
		t.sport = sp;
		t.dport = dp;
		pc_tcp(&k->f, &t);
	}
	pc_payload(&k->f, nullptr, 10);
	ASSERT_NE(pc_finish(&k->f), 0u);
	ASSERT_EQ(mos_decode(k->f.buf, k->f.len, k->f.len, MOS_LINK_ETHERNET, 1, &k->p), 0);
}

uint32_t Hash(bool v6, uint8_t src, uint8_t dst, uint16_t sp, uint16_t dp, int vlans = 0,
	      bool udp = false)
{
	Pkt k;
	Build(&k, v6, src, dst, sp, dp, vlans, udp);
	return mos_rss_hash(&k.p);
}

} // namespace

TEST(Rss, BothDirectionsOfIpv4ConnectionHashAlike)
{
	for (uint8_t a = 1; a < 40; a++)
		for (uint8_t b = 100; b < 140; b += 7)
			EXPECT_EQ(Hash(false, a, b, 1234, 80), Hash(false, b, a, 80, 1234));
}

TEST(Rss, BothDirectionsOfIpv6ConnectionHashAlike)
{
	for (uint8_t a = 1; a < 40; a++)
		EXPECT_EQ(Hash(true, a, 200, 40000, 443), Hash(true, 200, a, 443, 40000));
}

TEST(Rss, PortsAndProtocolAreNotHashedSoFragmentsMeetTheirFlow)
{
	EXPECT_EQ(Hash(false, 1, 2, 1234, 80), Hash(false, 1, 2, 5555, 22));
	EXPECT_EQ(Hash(false, 1, 2, 1234, 80), Hash(false, 2, 1, 53, 53, 0, true));
	// a non-first fragment (no ports) of the same hosts
	Pkt k;
	pc_init(&k.f);
	pc_eth(&k.f);
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.src[0] = ip.dst[0] = 10;
	ip.src[3] = 2;
	ip.dst[3] = 1;
	ip.proto = 6;
	ip.frag_off = 1480;
	pc_ipv4(&k.f, &ip);
	pc_payload(&k.f, nullptr, 100);
	ASSERT_NE(pc_finish(&k.f), 0u);
	mos_decode(k.f.buf, k.f.len, k.f.len, MOS_LINK_ETHERNET, 1, &k.p);
	ASSERT_TRUE(k.p.flags & MOS_PKT_F_FRAGMENT);
	EXPECT_EQ(mos_rss_hash(&k.p), Hash(false, 1, 2, 1234, 80));
}

TEST(Rss, VlanTagsDoNotChangeTheHash)
{
	EXPECT_EQ(Hash(false, 7, 9, 1000, 80, 1), Hash(false, 9, 7, 80, 1000, 0));
	EXPECT_EQ(Hash(false, 7, 9, 1000, 80, 2), Hash(false, 9, 7, 80, 1000, 1));
	EXPECT_EQ(Hash(true, 7, 9, 1000, 80, 2), Hash(true, 9, 7, 80, 1000, 0));
}

TEST(Rss, NonIpFramesGoToWorkerZero)
{
	Pkt k;
	pc_init(&k.f);
	pc_eth_type(&k.f, 0x0806);
	pc_payload(&k.f, nullptr, 28);
	ASSERT_NE(pc_finish(&k.f), 0u);
	mos_decode(k.f.buf, k.f.len, k.f.len, MOS_LINK_ETHERNET, 1, &k.p);
	EXPECT_EQ(mos_rss_hash(&k.p), 0u);
	EXPECT_EQ(mos_rss_worker(0, 4), 0u);
}

TEST(Rss, HostPairsSpreadEvenlyOverWorkers)
{
	for (unsigned n = 2; n <= 4; n++) {
		unsigned count[4] = { 0 };
		for (unsigned a = 1; a < 250; a++)
			for (unsigned b = 1; b < 21; b++)
				count[mos_rss_worker(Hash(false, (uint8_t)a, (uint8_t)(b + 100), 1, 2), n)]++;
		for (unsigned w = 0; w < n; w++) {
			EXPECT_GT(count[w], 4980u / n * 8 / 10) << "worker " << w << " of " << n;
			EXPECT_LT(count[w], 4980u / n * 12 / 10) << "worker " << w << " of " << n;
		}
	}
}

TEST(Rss, KeyIsTheRepeatedSymmetricPattern)
{
	for (unsigned i = 0; i < MOS_RSS_KEY_LEN; i++)
		EXPECT_EQ(mos_rss_sym_key[i], i % 2 ? 0x5a : 0x6d);
}

// mos_rss_hash is a table-driven Toeplitz: the same value as DPDK's
// rte_softrss over (source, destination) with the symmetric key, the value a
// NIC hashing the IP addresses with that key computes.
TEST(Rss, SameAsSoftToeplitz)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	auto next = [&x]() { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (uint32_t)x; };
	for (int i = 0; i < 2000; i++) {
		bool v6 = i % 2;
		struct mos_pkt p;
		uint32_t t[8];
		unsigned n = v6 ? 4 : 1;
		memset(&p, 0, sizeof(p));
		p.ip_version = v6 ? 6 : 4;
		for (unsigned w = 0; w < 2 * n; w++) {
			t[w] = next();
			uint8_t *a = (w < n ? p.src.b : p.dst.b) + 16 - 4 * n + 4 * (w % n);
			a[0] = (uint8_t)(t[w] >> 24);
			a[1] = (uint8_t)(t[w] >> 16);
			a[2] = (uint8_t)(t[w] >> 8);
			a[3] = (uint8_t)t[w];
		}
		ASSERT_EQ(mos_rss_hash(&p), rte_softrss(t, 2 * n, mos_rss_sym_key)) << "input " << i;
	}
}

// An ICMP error (from a router on the path) to host 1 about 1's connection
// with host 2: it quotes that connection's packet (IPv4 or IPv6). With
// @echo, an echo request from the router instead.
uint32_t BuildIcmp(struct pc_frame *f, bool v6, bool echo)
{
	pc_init(f);
	pc_eth(f);
	AddIp(f, v6, 99, 1);
	if (v6)
		pc_icmpv6(f, echo ? 128 : 1, echo ? 0 : 4, 0);
	else
		pc_icmp(f, echo ? 8 : 3, echo ? 0 : 3, 0);
	if (!echo) {
		AddIp(f, v6, 1, 2);
		struct pc_tcp t;
		pc_tcp_defaults(&t);
		t.sport = 40000;
		t.dport = 80;
		pc_tcp(f, &t);
	}
	return pc_finish(f);
}

// An ICMP error reaches the worker of the connection it quotes, whoever
// sent it; the frame hash leaves errors to the decoder and answers for
// other ICMP.
TEST(Rss, IcmpErrorsHashLikeTheConnectionTheyQuote)
{
	for (bool v6 : { false, true }) {
		Pkt conn, from_router;
		Build(&conn, v6, 1, 2, 40000, 80);
		Build(&from_router, v6, 99, 1, 1, 1);
		ASSERT_NE(mos_rss_hash(&conn.p), mos_rss_hash(&from_router.p));  // the test tells them apart
		struct pc_frame f;
		struct mos_pkt p;
		uint32_t h, len = BuildIcmp(&f, v6, false);
		mos_decode(f.buf, len, len, MOS_LINK_ETHERNET, 1, &p);
		ASSERT_TRUE(p.flags & MOS_PKT_F_ICMP_QUOTE) << v6;
		EXPECT_EQ(mos_rss_hash(&p), mos_rss_hash(&conn.p)) << v6;
		EXPECT_FALSE(mos_rss_frame_hash(f.buf, len, MOS_LINK_ETHERNET, &h)) << v6;
		len = BuildIcmp(&f, v6, true);
		mos_decode(f.buf, len, len, MOS_LINK_ETHERNET, 1, &p);
		EXPECT_EQ(mos_rss_hash(&p), mos_rss_hash(&from_router.p)) << v6;
		ASSERT_TRUE(mos_rss_frame_hash(f.buf, len, MOS_LINK_ETHERNET, &h)) << v6;
		EXPECT_EQ(h, mos_rss_hash(&p)) << v6;
	}
}

// mos_rss_frame_hash reads the owner's hash off a frame without decoding
// it. Wherever it answers, the answer must be what decoding gives: every
// sample frame of pktcraft's catalogue (every link type, VLAN stacks,
// MPLS, PPPoE, IPv4 options, IPv6 extension chains, fragments, tunnels),
// cut at every length and with random bytes of its headers changed.
TEST(Rss, FrameHashIsTheDecodedFramesHashWheneverItAnswers)
{
	static struct pc_frame f;
	static uint8_t buf[PC_FRAME_MAX];
	uint64_t x = 0x243f6a8885a308d3ull;
	auto next = [&x]() { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (uint32_t)x; };
	unsigned answered = 0, declined = 0, plain_answered = 0;
	uint32_t linktype;

	for (int i = 0; pc_sample(i, &f, &linktype); i++) {
		auto check = [&](const uint8_t *d, uint32_t len) {
			struct mos_pkt p;
			uint32_t h = 0;

			mos_decode(d, len, len, (int)linktype, 1, &p);
			if (!mos_rss_frame_hash(d, len, (int)linktype, &h)) {
				declined++;
				return false;
			}
			answered++;
			EXPECT_EQ(h, mos_rss_hash(&p)) << "sample " << i << ", " << len << " bytes";
			return true;
		};
		// untouched: Ethernet II with no tag or one 802.1Q tag, then IPv4
		// or IPv6 (samples 0-8), is answered
		if (check(f.buf, f.len) && i < 9)
			plain_answered++;
		for (uint32_t len = 0; len < f.len; len++)
			check(f.buf, len);
		for (int m = 0; m < 300; m++) {
			memcpy(buf, f.buf, f.len);
			for (int b = 1 + (int)(next() % 3); b > 0; b--)
				buf[next() % std::min<uint32_t>(f.len, 80)] = (uint8_t)next();
			check(buf, f.len);
		}
	}
	EXPECT_EQ(plain_answered, 9u);
	EXPECT_GT(answered, 1000u);
	EXPECT_GT(declined, 1000u);
}
