// SPDX-License-Identifier: BSD-3-Clause
// IP fragment reassembly (mos/ipfrag.h): IPv4 and IPv6 datagrams split into
// fragments in any order come out whole and decode to their transport
// header; overlaps, conflicts, timeouts and caps are counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "shim.h"

namespace {

using Bytes = std::vector<uint8_t>;

// A TCP segment (20-byte header, no options) carrying @payload.
Bytes
tcp_segment(const std::string &payload)
{
	Bytes t(20, 0);
	t[0] = 0x30; t[1] = 0x39;            // sport 12345
	t[2] = 0x00; t[3] = 0x50;            // dport 80
	t[7] = 1;                            // seq 1
	t[12] = 5 << 4;
	t[13] = 0x18;                        // PSH ACK
	t[14] = 0xff;
	for (char c : payload)
		t.push_back((uint8_t)c);
	return t;
}

// IPv4 fragment of @data at byte offset @off (raw IP frame).
Bytes
v4_frag(const Bytes &data, uint32_t off, uint32_t len, bool more, uint16_t id = 7)
{
	Bytes f(20, 0);
	uint32_t tot = 20 + len;
	f[0] = 0x45;
	f[2] = (uint8_t)(tot >> 8); f[3] = (uint8_t)tot;
	f[4] = (uint8_t)(id >> 8); f[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)((off / 8) | (more ? 0x2000 : 0));
	f[6] = (uint8_t)(fo >> 8); f[7] = (uint8_t)fo;
	f[8] = 64; f[9] = 6;
	f[12] = 10; f[15] = 1;               // 10.0.0.1
	f[16] = 10; f[19] = 2;               // 10.0.0.2
	f.resize(20 + len);
	for (uint32_t i = 0; i < len; i++)   // (vector::insert draws a bogus -Wstringop-overread)
		f[20 + i] = data[off + i];
	return f;
}

// IPv6 fragment (fixed header + destination options + fragment header).
Bytes
v6_frag(const Bytes &data, uint32_t off, uint32_t len, bool more)
{
	Bytes f(40, 0);
	uint32_t plen = 8 + 8 + len;
	f[0] = 0x60;
	f[4] = (uint8_t)(plen >> 8); f[5] = (uint8_t)plen;
	f[6] = 60;                           // destination options first
	f[7] = 64;
	f[8] = 0x20; f[9] = 0x01; f[23] = 1; // 2001::1
	f[24] = 0x20; f[25] = 0x01; f[39] = 2;
	Bytes dst = {44, 0, 1, 4, 0, 0, 0, 0};   // -> fragment header; PadN
	f.insert(f.end(), dst.begin(), dst.end());
	uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
	Bytes fh = {6, 0, (uint8_t)(fo >> 8), (uint8_t)fo, 0xab, 0xcd, 0, 1};
	f.insert(f.end(), fh.begin(), fh.end());
	f.insert(f.end(), data.begin() + off, data.begin() + off + len);
	return f;
}

class IpFrag : public ::testing::Test {
protected:
	mos_ipfrag_table *t = nullptr;
	Bytes out = Bytes(MOS_IPFRAG_OUT_MAX);

	void make(uint32_t max_dgrams = 16, uint64_t timeout = 1000,
		  mos_stream_policy pol = MOS_STREAM_POLICY_FIRST)
	{
		mos_ipfrag_config c = {};
		c.max_datagrams = max_dgrams;
		c.max_frags = 8;
		c.timeout_ns = timeout;
		c.policy = pol;
		t = mos_ipfrag_create(&c);
		ASSERT_NE(t, nullptr);
	}
	void TearDown() override { mos_ipfrag_free(t); }

	int push(const Bytes &f, uint64_t now = 0)
	{
		mos_pkt p;
		mos_decode(f.data(), (uint32_t)f.size(), (uint32_t)f.size(), MOS_LINK_RAW, now, &p);
		EXPECT_TRUE(p.flags & MOS_PKT_F_FRAGMENT);
		return mos_ipfrag_push(t, &p, f.data(), now, out.data(), (uint32_t)out.size());
	}

	// Decode the reassembled packet; return its transport payload.
	std::string whole(int n, mos_pkt *p)
	{
		EXPECT_GT(n, 0);
		mos_decode(out.data(), (uint32_t)n, (uint32_t)n, MOS_LINK_RAW, 0, p);
		EXPECT_EQ(p->malformed, 0);
		EXPECT_FALSE(p->flags & MOS_PKT_F_FRAGMENT);
		EXPECT_TRUE(p->flags & MOS_PKT_F_L4);
		return std::string((const char *)out.data() + p->payload_off, p->payload_len);
	}
};

TEST_F(IpFrag, Ipv4FragmentsInReverseOrderGiveTheWholeSegment)
{
	make();
	std::string body(100, 'x');
	for (size_t i = 0; i < body.size(); i++)
		body[i] = (char)('a' + i % 26);
	Bytes d = tcp_segment(body);          // 120 bytes
	EXPECT_EQ(push(v4_frag(d, 96, 24, false)), 0);
	EXPECT_EQ(push(v4_frag(d, 48, 48, true)), 0);
	EXPECT_EQ(mos_ipfrag_pending(t), 1u);
	int n = push(v4_frag(d, 0, 48, true));
	EXPECT_EQ(n, 140);
	mos_pkt p;
	EXPECT_EQ(whole(n, &p), body);
	EXPECT_EQ(p.sport, 12345);
	EXPECT_EQ(p.dport, 80);
	EXPECT_EQ(p.ip_len, 140u);
	EXPECT_EQ(mos_ipfrag_pending(t), 0u);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_DATAGRAMS), 1u);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_FRAGMENTS), 3u);
	// The rebuilt IPv4 header has a valid checksum.
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(out[i] << 8 | out[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	EXPECT_EQ(sum, 0xffffu);
}

TEST_F(IpFrag, Ipv6FragmentHeaderIsRemovedFromTheChain)
{
	make();
	Bytes d = tcp_segment(std::string(60, 'q'));   // 80 bytes
	EXPECT_EQ(push(v6_frag(d, 40, 40, false)), 0);
	int n = push(v6_frag(d, 0, 40, true));
	EXPECT_EQ(n, 40 + 8 + 80);
	mos_pkt p;
	EXPECT_EQ(whole(n, &p), std::string(60, 'q'));
	EXPECT_EQ(p.l4_proto, 6);
	EXPECT_EQ(out[6], 60);                // destination options kept
	EXPECT_EQ(out[40], 6);                // now names TCP directly
}

TEST_F(IpFrag, ConflictingOverlapIsCountedAndPolicyDecides)
{
	make(16, 1000, MOS_STREAM_POLICY_FIRST);
	Bytes d = tcp_segment(std::string(60, 'g'));
	Bytes evil = d;
	std::fill(evil.begin() + 40, evil.end(), 'E');
	EXPECT_EQ(push(v4_frag(d, 40, 40, false)), 0);
	EXPECT_EQ(push(v4_frag(evil, 40, 40, false)), 0);   // same range, other bytes
	int n = push(v4_frag(d, 0, 40, true));
	mos_pkt p;
	EXPECT_EQ(whole(n, &p), std::string(60, 'g'));       // first wins
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_OVERLAPS), 1u);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_CONFLICTS), 1u);
}

TEST_F(IpFrag, IncompleteDatagramsExpire)
{
	make(16, 1000);
	Bytes d = tcp_segment(std::string(60, 'g'));
	EXPECT_EQ(push(v4_frag(d, 40, 40, false), 100), 0);
	EXPECT_EQ(mos_ipfrag_expire(t, 500), 0u);
	EXPECT_EQ(mos_ipfrag_expire(t, 1100), 1u);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_TIMEOUTS), 1u);
	// The first half alone does not complete anything now.
	EXPECT_EQ(push(v4_frag(d, 0, 40, true), 1200), 0);
	EXPECT_EQ(mos_ipfrag_pending(t), 1u);
}

TEST_F(IpFrag, FullTableDropsNewDatagramsAndCounts)
{
	make(2);
	Bytes d = tcp_segment(std::string(60, 'g'));
	EXPECT_EQ(push(v4_frag(d, 40, 40, false, 1)), 0);
	EXPECT_EQ(push(v4_frag(d, 40, 40, false, 2)), 0);
	EXPECT_EQ(push(v4_frag(d, 40, 40, false, 3)), -ENOSPC);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_TABLE_FULL), 1u);
	EXPECT_GT(push(v4_frag(d, 0, 40, true, 1)), 0);    // frees an entry
	EXPECT_EQ(push(v4_frag(d, 40, 40, false, 3)), 0);
}

TEST_F(IpFrag, InconsistentEndsAndTooManyFragmentsDropTheDatagram)
{
	make();
	Bytes d = tcp_segment(std::string(100, 'g'));        // 120 bytes
	EXPECT_EQ(push(v4_frag(d, 80, 40, false)), 0);
	EXPECT_EQ(push(v4_frag(d, 40, 8, false)), -EBADMSG); // a second, different end
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_BAD), 1u);
	EXPECT_EQ(mos_ipfrag_pending(t), 0u);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(push(v4_frag(d, 8, 8, true)), 0);      // duplicates count
	EXPECT_EQ(push(v4_frag(d, 8, 8, true)), -E2BIG);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_TOO_MANY), 1u);
	EXPECT_STREQ(mos_ipfrag_counter_name(MOS_IPFRAG_CONFLICTS), "conflicts");
}

TEST_F(IpFrag, NonFragmentIsRejected)
{
	make();
	Bytes d = tcp_segment("x");
	Bytes f = v4_frag(d, 0, (uint32_t)d.size(), false);
	mos_pkt p;
	mos_decode(f.data(), (uint32_t)f.size(), (uint32_t)f.size(), MOS_LINK_RAW, 0, &p);
	EXPECT_EQ(mos_ipfrag_push(t, &p, f.data(), 0, out.data(), (uint32_t)out.size()), -EINVAL);
}

TEST_F(IpFrag, RandomFragmentationsAndOrdersReassembleExactly)
{
	make(64, 1000000);
	std::mt19937_64 rng(99);
	auto rnd = [&](uint64_t lo, uint64_t hi) {
		return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
	};
	int done = 0;
	for (int round = 0; round < 2000; round++) {
		bool v6 = rnd(0, 1);
		std::string body((size_t)rnd(1, v6 ? 9000 : 20000), 'x');
		for (auto &c : body)
			c = (char)rnd(32, 126);
		Bytes d = tcp_segment(body);
		// Cut at random multiples of 8; the last piece ends the datagram.
		std::vector<std::pair<uint32_t, uint32_t>> pieces;
		for (uint32_t o = 0; o < d.size();) {
			uint32_t n = (uint32_t)std::min<uint64_t>(d.size() - o, rnd(1, 200) * 8);
			pieces.push_back({o, n});
			o += n;
		}
		if (pieces.size() == 1)                // one piece: not a fragment
			continue;
		size_t dups = (size_t)rnd(0, 3);
		for (size_t i = 0; i < dups; i++)
			pieces.push_back(pieces[rnd(0, pieces.size() - 1)]);
		std::shuffle(pieces.begin(), pieces.end(), rng);
		if (pieces.size() > 8)                // max_frags of the fixture
			continue;
		int n = 0;
		for (size_t i = 0; i < pieces.size() && n == 0; i++) {
			auto [o, len] = pieces[i];
			bool more = o + len < d.size();
			Bytes f = v6 ? v6_frag(d, o, len, more)
				     : v4_frag(d, o, len, more, (uint16_t)round);
			n = push(f, (uint64_t)round);
			ASSERT_GE(n, 0) << "round " << round;
		}
		ASSERT_GT(n, 0) << "round " << round;
		mos_pkt p;
		ASSERT_EQ(whole(n, &p), body) << "round " << round;
		done++;
	}
	EXPECT_GT(done, 500);
	EXPECT_EQ(mos_ipfrag_count(t, MOS_IPFRAG_CONFLICTS), 0u);
}

} // namespace
