// SPDX-License-Identifier: BSD-3-Clause
//
// test_decode.cc — the packet decoder (runtime/decode.c) on crafted frames:
// every link type, VLAN/MPLS/PPPoE shims, IPv4 options and fragments, IPv6
// extension headers and fragments, tunnels, TCP options, UDP, ICMP(v6) and
// ICMP errors, snaplen truncation, every malformed reason, and that nothing
// past caplen is ever read: every frame is decoded from a copy that ends
// exactly at an inaccessible page (pc_guard_alloc), so an over-read
// faults even without ASan or valgrind.

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pktcraft.h"
#include "shim.h"

namespace {

// Frames are large (PC_FRAME_MAX); keep them off the stack.
struct Frame {
	Frame() { pc_init(&f); }
	struct pc_frame f;
};

// Every decoded packet must satisfy these whatever the input.
void CheckInvariants(int rc, const struct mos_pkt &p)
{
	EXPECT_EQ(rc, (int)p.malformed);
	EXPECT_EQ(p.malformed != 0, (p.flags & MOS_PKT_F_MALFORMED) != 0);
	EXPECT_LT(p.malformed, (unsigned)MOS_MALFORMED_COUNT);
	if ((p.flags & MOS_PKT_F_FRAGMENT) && !(p.flags & MOS_PKT_F_FIRST_FRAG)) {
		EXPECT_FALSE(p.flags & MOS_PKT_F_L4) << "non-first fragment with L4";
	}
	if (p.flags & MOS_PKT_F_L4) {
		EXPECT_FALSE(p.flags & MOS_PKT_F_MALFORMED);
		EXPECT_NE(p.ip_version, 0);
		EXPECT_LT(p.l4_off, p.payload_off);
		EXPECT_LE(p.payload_off, p.caplen) << "transport header not captured";
	} else {
		EXPECT_EQ(p.sport, 0);
		EXPECT_EQ(p.dport, 0);
		EXPECT_EQ(p.tcp_seq, 0u);
		EXPECT_EQ(p.tcp_flags, 0);
		EXPECT_EQ(p.tcp_opt.present, 0);
	}
	if (p.ip_version) {
		EXPECT_LE(p.l3_off, p.l4_off);
	}
	if (p.flags & MOS_PKT_F_ICMP_QUOTE) {
		EXPECT_LT(p.quote_off, p.caplen);
	}
}

// Decodes @caplen bytes of @f (all by default) from a guarded copy.
int Decode(const struct pc_frame &f, struct mos_pkt *p, int lt = MOS_LINK_ETHERNET,
	   int64_t caplen = -1, int64_t wirelen = -1)
{
	uint32_t cap = caplen < 0 ? f.len : (uint32_t)caplen;
	uint32_t wire = wirelen < 0 ? f.len : (uint32_t)wirelen;
	uint8_t *buf = pc_guard_alloc(f.buf, cap);
	if (!buf) {
		ADD_FAILURE() << "pc_guard_alloc";
		return -1;
	}
	int rc = mos_decode(buf, cap, wire, lt, 42, p);
	CheckInvariants(rc, *p);
	EXPECT_EQ(p->data, buf);
	EXPECT_EQ(p->caplen, cap);
	EXPECT_EQ(p->ts_ns, 42u);
	pc_guard_free(buf, cap);
	return rc;
}

std::string Addr(const struct mos_addr &a)
{
	char buf[MOS_ADDR_STRLEN];
	return mos_addr_str(&a, buf);
}

// Ethernet + IPv4 + TCP with the given options.
void EthIpv4Tcp(struct pc_frame *f, const struct pc_tcp *t = nullptr, size_t payload = 0)
{
	pc_eth(f);
	pc_ipv4(f, nullptr);
	pc_tcp(f, t);
	if (payload)
		pc_payload(f, nullptr, payload);
	ASSERT_NE(pc_finish(f), 0u);
}

void EthIpv6(struct pc_frame *f)
{
	pc_eth(f);
	pc_ipv6(f, nullptr);
}

}  // namespace

// ---------------------------------------------------------------- names

TEST(DecodeNames, EveryReasonHasAStableDistinctName)
{
	std::set<std::string> seen;
	EXPECT_STREQ(mos_malformed_name(MOS_MALFORMED_NONE), "none");
	for (int r = 1; r < MOS_MALFORMED_COUNT; r++) {
		const char *n = mos_malformed_name((enum mos_malformed)r);
		ASSERT_NE(n, nullptr) << r;
		EXPECT_TRUE(seen.insert(n).second) << n;
	}
	EXPECT_EQ(mos_malformed_name(MOS_MALFORMED_COUNT), nullptr);
	EXPECT_STREQ(mos_malformed_name(MOS_MALFORMED_IPV4_BAD_IHL), "ipv4_bad_ihl");
	EXPECT_STREQ(mos_malformed_name(MOS_MALFORMED_TUNNEL_TOO_DEEP), "tunnel_too_deep");
}

// ---------------------------------------------------------------- link types

TEST(DecodeLink, EthernetIpv4TcpFieldsInHostOrder)
{
	Frame fr;
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	t.sport = 0x1234;
	t.dport = 0xabcd;
	t.seq = 0x01020304;
	t.ack = 0xa0b0c0d0;
	t.flags = MOS_TCP_SYN | MOS_TCP_ACK | MOS_TCP_NS;
	t.win = 0x4321;
	t.urp = 7;
	EthIpv4Tcp(&fr.f, &t, 10);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.flags & (MOS_PKT_F_IPV4 | MOS_PKT_F_L4), MOS_PKT_F_IPV4 | MOS_PKT_F_L4);
	EXPECT_EQ(p.protos, MOS_PROTO_IPV4 | MOS_PROTO_TCP);
	EXPECT_EQ(p.ip_version, 4);
	EXPECT_EQ(p.l3_off, 14);
	EXPECT_EQ(p.l4_off, 34);
	EXPECT_EQ(p.payload_off, 54);
	EXPECT_EQ(p.payload_len, 10u);
	EXPECT_EQ(p.ip_len, 50u);
	EXPECT_EQ(p.l4_proto, 6);
	EXPECT_EQ(p.sport, 0x1234);
	EXPECT_EQ(p.dport, 0xabcd);
	EXPECT_EQ(p.tcp_seq, 0x01020304u);
	EXPECT_EQ(p.tcp_ack, 0xa0b0c0d0u);
	EXPECT_EQ(p.tcp_flags, MOS_TCP_SYN | MOS_TCP_ACK | MOS_TCP_NS);
	EXPECT_EQ(p.tcp_win, 0x4321);
	EXPECT_EQ(p.tcp_urp, 7);
	EXPECT_EQ(Addr(p.src), "10.0.0.1");
	EXPECT_EQ(Addr(p.dst), "10.0.0.2");
	EXPECT_TRUE(mos_addr_is_v4(&p.src));
}

TEST(DecodeLink, EverySupportedLinkTypeReachesTheTransport)
{
	struct pc_frame *f = new struct pc_frame;
	uint32_t lt;
	std::set<uint32_t> linktypes;
	int n = 0;
	for (int i = 0; pc_sample(i, f, &lt); i++, n++) {
		struct mos_pkt p;
		SCOPED_TRACE("sample " + std::to_string(i));
		EXPECT_TRUE(mos_linktype_supported((int)lt));
		ASSERT_EQ(Decode(*f, &p, (int)lt), 0);
		EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
		EXPECT_NE(p.protos & (MOS_PROTO_TCP | MOS_PROTO_UDP | MOS_PROTO_ICMP | MOS_PROTO_ICMPV6), 0);
		linktypes.insert(lt);
	}
	delete f;
	EXPECT_GT(n, 50);
	EXPECT_EQ(linktypes, (std::set<uint32_t>{ 0, 1, 101, 108, 113, 228, 229, 276 }));
}

TEST(DecodeLink, RawLinkPicksFamilyFromVersionNibbleUnderEveryDltNumber)
{
	Frame v4, v6;
	pc_ipv4(&v4.f, nullptr);
	pc_udp(&v4.f, nullptr);
	pc_payload(&v4.f, nullptr, 20);             // long enough to be read as IPv6
	pc_finish(&v4.f);
	pc_ipv6(&v6.f, nullptr);
	pc_udp(&v6.f, nullptr);
	pc_finish(&v6.f);
	for (int lt : { MOS_LINK_RAW, MOS_LINK_DLT_RAW, MOS_LINK_DLT_RAW_BSD }) {
		struct mos_pkt p;
		ASSERT_EQ(Decode(v4.f, &p, lt), 0) << lt;
		EXPECT_EQ(p.ip_version, 4);
		ASSERT_EQ(Decode(v6.f, &p, lt), 0) << lt;
		EXPECT_EQ(p.ip_version, 6);
		EXPECT_EQ(p.l3_off, 0);
	}
	struct mos_pkt p;
	// A fixed-family link does not look at the nibble: IPv6 bytes on
	// LINKTYPE_IPV4 are an IPv4 header with a bad version.
	EXPECT_EQ(Decode(v6.f, &p, MOS_LINK_IPV4), MOS_MALFORMED_IPV4_BAD_VERSION);
	EXPECT_EQ(Decode(v4.f, &p, MOS_LINK_IPV6), MOS_MALFORMED_IPV6_BAD_VERSION);
}

TEST(DecodeLink, NullLoopbackFamilyInEitherByteOrder)
{
	for (bool be : { false, true }) {
		for (bool v6 : { false, true }) {
			Frame fr;
			pc_null(&fr.f, be);
			if (v6)
				pc_ipv6(&fr.f, nullptr);
			else
				pc_ipv4(&fr.f, nullptr);
			pc_udp(&fr.f, nullptr);
			pc_finish(&fr.f);
			struct mos_pkt p;
			ASSERT_EQ(Decode(fr.f, &p, be ? MOS_LINK_LOOP : MOS_LINK_NULL), 0);
			EXPECT_EQ(p.ip_version, v6 ? 6 : 4);
			EXPECT_EQ(p.l3_off, 4);
			for (uint32_t fam : { 10u, 28u, 30u }) {   // other IPv6 family values
				if (!v6)
					break;
				if (be)
					pc_poke32(&fr.f, 0, fam);
				else
					pc_poke8(&fr.f, 0, (uint8_t)fam);
				ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_NULL), 0);
				EXPECT_EQ(p.ip_version, 6) << fam;
			}
		}
	}
	Frame other;
	pc_null(&other.f, false);
	pc_payload(&other.f, "\x45\0\0\x14", 4);
	pc_finish(&other.f);
	pc_poke8(&other.f, 0, 7);                  // unknown family: not IP
	struct mos_pkt p;
	EXPECT_EQ(Decode(other.f, &p, MOS_LINK_NULL), 0);
	EXPECT_EQ(p.ip_version, 0);
	EXPECT_EQ(p.protos, 0);
}

TEST(DecodeLink, LinuxCookedV1AndV2)
{
	Frame a, b;
	pc_sll(&a.f);
	pc_ipv4(&a.f, nullptr);
	pc_tcp(&a.f, nullptr);
	pc_finish(&a.f);
	pc_sll2(&b.f);
	pc_ipv6(&b.f, nullptr);
	pc_tcp(&b.f, nullptr);
	pc_finish(&b.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(a.f, &p, MOS_LINK_LINUX_SLL), 0);
	EXPECT_EQ(p.l3_off, 16);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
	ASSERT_EQ(Decode(b.f, &p, MOS_LINK_LINUX_SLL2), 0);
	EXPECT_EQ(p.l3_off, 20);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
	// Netlink captures carry no IP even when the protocol field says so.
	pc_poke16(&a.f, 2, 824);
	ASSERT_EQ(Decode(a.f, &p, MOS_LINK_LINUX_SLL), 0);
	EXPECT_EQ(p.ip_version, 0);
}

TEST(DecodeLink, NonIpEthertypeIsDecodedWithoutNetworkLayer)
{
	Frame fr;
	pc_eth_type(&fr.f, 0x0806);                 // ARP
	pc_payload(&fr.f, nullptr, 28);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.ip_version, 0);
	EXPECT_EQ(p.protos, 0);
	EXPECT_EQ(p.flags, 0);
}

TEST(DecodeLink, StructIsClearedBeforeDecoding)
{
	Frame fr;
	pc_eth_type(&fr.f, 0x0806);
	pc_payload(&fr.f, nullptr, 28);
	pc_finish(&fr.f);
	struct mos_pkt p, want;
	memset(&p, 0xa5, sizeof(p));               // garbage from an earlier packet
	ASSERT_EQ(mos_decode(fr.f.buf, fr.f.len, 99, MOS_LINK_ETHERNET, 7, &p), 0);
	memset(&want, 0, sizeof(want));
	want.data = fr.f.buf;
	want.caplen = fr.f.len;
	want.wirelen = 99;
	want.ts_ns = 7;
	EXPECT_EQ(memcmp(&p, &want, sizeof(p)), 0);
}

TEST(DecodeLink, LlcSnapCarriesAnEthertype)
{
	Frame fr;
	pc_eth_type(&fr.f, 60);                     // 802.3 length
	pc_payload(&fr.f, "\xaa\xaa\x03\0\0\0\x08\x00", 8);
	pc_ipv4(&fr.f, nullptr);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l3_off, 22);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
}

TEST(DecodeLink, UnsupportedLinkTypeIsMalformed)
{
	Frame fr;
	EthIpv4Tcp(&fr.f);
	struct mos_pkt p;
	EXPECT_FALSE(mos_linktype_supported(9));
	EXPECT_EQ(Decode(fr.f, &p, 9), MOS_MALFORMED_LINK_UNSUPPORTED);
	EXPECT_EQ(p.protos, 0);
}

TEST(DecodeLink, ShortLinkHeaderIsLinkTruncated)
{
	struct {
		int lt;
		uint32_t hdr;
	} cases[] = {
		{ MOS_LINK_ETHERNET, 14 }, { MOS_LINK_LINUX_SLL, 16 }, { MOS_LINK_LINUX_SLL2, 20 },
		{ MOS_LINK_NULL, 4 }, { MOS_LINK_LOOP, 4 }, { MOS_LINK_RAW, 1 },
		{ MOS_LINK_IPV4, 1 }, { MOS_LINK_IPV6, 1 },
	};
	Frame fr;
	pc_payload(&fr.f, nullptr, 64);
	pc_finish(&fr.f);
	for (const auto &c : cases) {
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p, c.lt, c.hdr - 1), MOS_MALFORMED_LINK_TRUNCATED) << c.lt;
	}
}

// ---------------------------------------------------------------- VLAN

TEST(DecodeVlan, StacksOfOneToThreeTagsOfEitherTpid)
{
	for (uint16_t tpid : { PC_TPID_8021Q, PC_TPID_8021AD }) {
		for (int n = 1; n <= 3; n++) {
			Frame fr;
			pc_eth(&fr.f);
			for (int i = 0; i < n; i++)
				pc_vlan(&fr.f, i == n - 1 ? PC_TPID_8021Q : tpid, (uint16_t)(100 + i));
			pc_ipv4(&fr.f, nullptr);
			pc_tcp(&fr.f, nullptr);
			pc_finish(&fr.f);
			struct mos_pkt p;
			ASSERT_EQ(Decode(fr.f, &p), 0);
			EXPECT_EQ(p.n_vlans, n);
			for (int i = 0; i < n; i++)
				EXPECT_EQ(p.vlan[i], 100 + i);
			EXPECT_TRUE(p.flags & MOS_PKT_F_VLAN);
			EXPECT_TRUE(p.protos & MOS_PROTO_VLAN);
			EXPECT_EQ(p.l3_off, 14 + 4 * n);
			EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
		}
	}
}

TEST(DecodeVlan, PriorityBitsAreNotPartOfTheId)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_vlan(&fr.f, PC_TPID_8021Q, 42);
	pc_ipv4(&fr.f, nullptr);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	pc_poke16(&fr.f, 14, 0xf000 | 42);          // PCP 7, DEI 1
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.vlan[0], 42);
}

TEST(DecodeVlan, DeepStackKeepsTheOutermostIdsAndCountsAll)
{
	Frame fr;
	pc_eth(&fr.f);
	for (int i = 0; i < MOS_VLAN_MAX_DEPTH; i++)
		pc_vlan(&fr.f, PC_TPID_8021AD, (uint16_t)(i + 1));
	pc_ipv4(&fr.f, nullptr);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.n_vlans, MOS_VLAN_MAX_DEPTH);
	for (int i = 0; i < MOS_VLAN_KEEP; i++)
		EXPECT_EQ(p.vlan[i], i + 1);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
}

TEST(DecodeVlan, OneTagTooManyIsVlanTooDeep)
{
	Frame fr;
	pc_eth(&fr.f);
	for (int i = 0; i < MOS_VLAN_MAX_DEPTH + 1; i++)
		pc_vlan(&fr.f, PC_TPID_8021Q, 5);
	pc_ipv4(&fr.f, nullptr);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_VLAN_TOO_DEEP);
	EXPECT_EQ(p.ip_version, 0);
	EXPECT_EQ(p.protos & MOS_PROTO_IPV4, 0);
}

TEST(DecodeVlan, CutTagIsVlanTruncated)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_vlan(&fr.f, PC_TPID_8021Q, 5);
	pc_ipv4(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 17), MOS_MALFORMED_VLAN_TRUNCATED);
}

// ---------------------------------------------------------------- MPLS, PPPoE

TEST(DecodeMpls, LabelStackThenIpByVersionNibble)
{
	for (bool v6 : { false, true }) {
		Frame fr;
		pc_eth(&fr.f);
		pc_mpls(&fr.f, 16, false);
		pc_mpls(&fr.f, 17, false);
		pc_mpls(&fr.f, 18, true);
		if (v6)
			pc_ipv6(&fr.f, nullptr);
		else
			pc_ipv4(&fr.f, nullptr);
		pc_tcp(&fr.f, nullptr);
		pc_finish(&fr.f);
		struct mos_pkt p;
		ASSERT_EQ(Decode(fr.f, &p), 0);
		EXPECT_TRUE(p.flags & MOS_PKT_F_MPLS);
		EXPECT_EQ(p.l3_off, 26);
		EXPECT_EQ(p.ip_version, v6 ? 6 : 4);
		EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
	}
}

TEST(DecodeMpls, PseudowireControlWordThenEthernetWithVlan)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_mpls(&fr.f, 16, true);
	pc_pw_cw(&fr.f);
	pc_eth(&fr.f);
	pc_vlan(&fr.f, PC_TPID_8021Q, 77);
	pc_ipv4(&fr.f, nullptr);
	pc_icmp(&fr.f, 8, 0, 1);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l3_off, 14 + 4 + 4 + 14 + 4);
	EXPECT_EQ(p.vlan[0], 77);
	EXPECT_EQ(p.protos, MOS_PROTO_IPV4 | MOS_PROTO_ICMP | MOS_PROTO_VLAN);
}

TEST(DecodeMpls, CutLabelOrPseudowireIsMplsTruncated)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_mpls(&fr.f, 16, false);
	pc_mpls(&fr.f, 17, true);
	pc_pw_cw(&fr.f);
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 20), MOS_MALFORMED_MPLS_TRUNCATED);
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 22 + 10), MOS_MALFORMED_MPLS_TRUNCATED);
	EXPECT_EQ(Decode(fr.f, &p), 0);
}

TEST(DecodePppoe, SessionOverQinqCarriesIpv4AndIpv6)
{
	for (bool v6 : { false, true }) {
		Frame fr;
		pc_eth(&fr.f);
		pc_vlan(&fr.f, PC_TPID_8021AD, 10);
		pc_vlan(&fr.f, PC_TPID_8021Q, 20);
		pc_pppoe(&fr.f, 0x1234);
		if (v6)
			pc_ipv6(&fr.f, nullptr);
		else
			pc_ipv4(&fr.f, nullptr);
		pc_tcp(&fr.f, nullptr);
		pc_finish(&fr.f);
		struct mos_pkt p;
		ASSERT_EQ(Decode(fr.f, &p), 0);
		EXPECT_TRUE(p.flags & MOS_PKT_F_PPPOE);
		EXPECT_EQ(p.n_vlans, 2);
		EXPECT_EQ(p.l3_off, 14 + 8 + 8);
		EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
	}
}

TEST(DecodePppoe, ShortHeaderIsTruncatedAndNonIpPppStops)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_pppoe(&fr.f, 1);
	pc_ipv4(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 21), MOS_MALFORMED_PPPOE_TRUNCATED);
	// A PPPoE length that leaves no room for the IP header.
	pc_poke16(&fr.f, 18, 2 + 19);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_PPPOE_TRUNCATED);
	EXPECT_TRUE(p.protos & MOS_PROTO_IPV4);
	pc_poke16(&fr.f, 18, 2 + 20);
	EXPECT_EQ(Decode(fr.f, &p), 0);
	pc_poke16(&fr.f, 20, 0xc021);               // LCP
	EXPECT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.ip_version, 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_PPPOE);
}

// ---------------------------------------------------------------- IPv4

TEST(DecodeIpv4, HeaderMalformations)
{
	Frame fr;
	EthIpv4Tcp(&fr.f);
	struct mos_pkt p;
	// Fewer than 20 bytes captured.
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 14 + 19), MOS_MALFORMED_IPV4_TRUNCATED);
	EXPECT_TRUE(p.protos & MOS_PROTO_IPV4);     // present, not valid
	EXPECT_EQ(p.ip_version, 0);
	// Version.
	pc_poke8(&fr.f, 14, 0x55);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV4_BAD_VERSION);
	// IHL below 5.
	pc_poke8(&fr.f, 14, 0x44);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV4_BAD_IHL);
	pc_poke8(&fr.f, 14, 0x45);
	// Total length below the header length.
	pc_poke16(&fr.f, 16, 19);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
	pc_poke8(&fr.f, 14, 0x46);                  // 24-byte header, length 20
	pc_poke16(&fr.f, 16, 20);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
	EXPECT_EQ(p.ip_version, 0);
	EXPECT_FALSE(p.flags & MOS_PKT_F_IPV4);     // not valid, so not flagged
	EXPECT_EQ(p.l4_proto, 0);
	EXPECT_EQ(Addr(p.src), "::");
}

TEST(DecodeIpv4, OptionsAreWalkedAndSkipped)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	pc_opt_nop(&ip.opts);
	pc_opt_raw(&ip.opts, "\x07\x07\x04\0\0\0\0", 7);    // record route
	pc_opt_raw(&ip.opts, "\x94\x04\0\0", 4);            // router alert
	pc_opt_eol(&ip.opts);
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_tcp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l4_off, 14 + 20 + 16);
	EXPECT_EQ(p.dport, 80);
	// The options were captured only in part: the header is truncated.
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 14 + 30), MOS_MALFORMED_IPV4_TRUNCATED);
}

TEST(DecodeIpv4, AuthenticationHeaderIsSkippedToTheTransport)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.proto = 51;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	// AH: next header TCP, length 4 (= 24 bytes), SPI, sequence, 12-byte ICV.
	pc_payload(&fr.f, "\x06\x04\0\0\0\0\x01\x00\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	pc_tcp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 5);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l4_proto, 6);
	EXPECT_EQ(p.l4_off, 34 + 24);
	EXPECT_EQ(p.dport, 80);
	EXPECT_EQ(p.payload_len, 5u);
	// AH cut by the snaplen, or longer than the datagram.
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 34 + 10), MOS_MALFORMED_IPV4_TRUNCATED);
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 34 + 1), MOS_MALFORMED_IPV4_TRUNCATED);
	pc_poke16(&fr.f, 16, 20 + 16);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
	// A first fragment ending inside AH is left to reassembly.
	pc_poke16(&fr.f, 20, 0x2000);
	pc_poke16(&fr.f, 16, 20 + 16);
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l4_proto, 51);
	EXPECT_FALSE(p.flags & MOS_PKT_F_L4);
}

TEST(DecodeIpv4, OptionWithBadLengthIsBadOptions)
{
	const char *bad[] = {
		"\x07\x01\0\0",           // length 1
		"\x07\x00\0\0",           // length 0
		"\x01\x07\x08\x04",       // NOP, then a 8-byte option in 3 bytes
		"\x01\x01\x01\x44",       // kind with no length byte left
	};
	for (const char *o : bad) {
		Frame fr;
		struct pc_ipv4 ip;
		pc_ipv4_defaults(&ip);
		pc_opt_raw(&ip.opts, o, 4);
		pc_eth(&fr.f);
		pc_ipv4(&fr.f, &ip);
		pc_tcp(&fr.f, nullptr);
		pc_finish(&fr.f);
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV4_BAD_OPTIONS);
		EXPECT_EQ(p.ip_version, 0);
		EXPECT_FALSE(p.flags & MOS_PKT_F_L4);
		// Still counted as containing TCP (tshark dissects it anyway).
		EXPECT_TRUE(p.protos & MOS_PROTO_TCP);
	}
}

TEST(DecodeIpv4, EthernetPaddingIsNotPayload)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.tot_len = 40;
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	t.flags = MOS_TCP_ACK;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_tcp(&fr.f, &t);
	pc_payload(&fr.f, "\0\0\0\0\0\0", 6);       // pad to 60 bytes
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.ip_len, 40u);
	EXPECT_EQ(p.payload_len, 0u);
	EXPECT_FALSE(p.flags & MOS_PKT_F_TRUNCATED);
}

TEST(DecodeIpv4, SnaplenCutAfterTheHeadersIsTruncatedNotMalformed)
{
	Frame fr;
	EthIpv4Tcp(&fr.f, nullptr, 1000);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 54 + 100), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
	EXPECT_EQ(p.payload_len, 1000u);            // per the IP length
	EXPECT_EQ(p.ip_len, 1040u);
	// Cut exactly after the TCP header: still complete headers.
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 54), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
	// Cut inside the TCP header: a header is missing, that is malformed.
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 50), MOS_MALFORMED_TCP_TRUNCATED);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
	EXPECT_TRUE(p.protos & MOS_PROTO_TCP);
	// Cut right after the IP header.
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 34), MOS_MALFORMED_TCP_TRUNCATED);
}

TEST(DecodeIpv4, LengthBeyondTheWireFrameIsClippedToTheFrame)
{
	// The header claims more than the frame carried on the wire
	// (caplen == wirelen): the missing bytes were never sent, so the
	// datagram is clipped to the frame (as tshark does); not truncated.
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.tot_len = 1500;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_tcp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 100);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_FALSE(p.flags & MOS_PKT_F_TRUNCATED);
	EXPECT_EQ(p.ip_len, 1500u);
	EXPECT_EQ(p.payload_len, 100u);
	// With a snaplen, the bytes up to the wire length existed: truncated.
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 80, 2000), 0);
	EXPECT_FALSE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
	EXPECT_EQ(p.payload_len, 1460u);
	// Same rule for IPv6.
	Frame v6;
	struct pc_ipv6 ip6;
	pc_ipv6_defaults(&ip6);
	ip6.plen = 1000;
	pc_eth(&v6.f);
	pc_ipv6(&v6.f, &ip6);
	pc_udp(&v6.f, nullptr);
	pc_payload(&v6.f, nullptr, 10);
	pc_finish(&v6.f);
	pc_poke16(&v6.f, 54 + 4, 18);
	ASSERT_EQ(Decode(v6.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_EQ(p.payload_len, 10u);
}

TEST(DecodePppoe, PppoeLengthBoundsTheIpPacket)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.tot_len = 40 + 16;                       // 6 bytes more than PPPoE carries
	pc_eth(&fr.f);
	pc_pppoe(&fr.f, 3);
	pc_ipv4(&fr.f, &ip);
	pc_tcp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 10);
	pc_finish(&fr.f);
	pc_payload(&fr.f, "\0\0\0\0\0\0", 6);      // trailing padding after finish
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_EQ(p.payload_len, 10u);
	// An IP length within the PPPoE length is used as is.
	pc_poke16(&fr.f, 22 + 2, 45);
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_FALSE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_EQ(p.payload_len, 5u);
}

TEST(DecodeIpv4, ZeroTotalLengthTakesTheFrameLength)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.tot_len = 0;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_tcp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 3000);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_FROM_FRAME);
	EXPECT_EQ(p.ip_len, 3040u);
	EXPECT_EQ(p.payload_len, 3000u);
	// With a snaplen, the wire length counts.
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 100, fr.f.len), 0);
	EXPECT_EQ(p.payload_len, 3000u);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
}

// ---------------------------------------------------------------- IPv4 fragments

TEST(DecodeIpv4Frag, FirstFragmentGetsItsTransportHeader)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.mf = true;
	ip.id = 0x4242;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_udp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 24);
	pc_finish(&fr.f);
	pc_poke16(&fr.f, 34 + 4, 1000);             // UDP length of the whole datagram
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.flags & (MOS_PKT_F_FRAGMENT | MOS_PKT_F_FIRST_FRAG | MOS_PKT_F_L4),
		  MOS_PKT_F_FRAGMENT | MOS_PKT_F_FIRST_FRAG | MOS_PKT_F_L4);
	EXPECT_TRUE(p.protos & MOS_PROTO_IPV4_FRAG);
	EXPECT_EQ(p.frag_id, 0x4242u);
	EXPECT_EQ(p.frag_off, 0);
	EXPECT_TRUE(p.frag_more);
	EXPECT_EQ(p.frag_data_off, 34);
	EXPECT_EQ(p.frag_data_len, 32);
	EXPECT_EQ(p.dport, 53);
	EXPECT_EQ(p.payload_len, 24u);              // this fragment's share
}

TEST(DecodeIpv4Frag, NonFirstFragmentNeverGetsATransportHeader)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.frag_off = 1480;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_tcp(&fr.f, nullptr);                     // looks like TCP, is not
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_FRAGMENT);
	EXPECT_FALSE(p.flags & MOS_PKT_F_FIRST_FRAG);
	EXPECT_FALSE(p.flags & MOS_PKT_F_L4);
	EXPECT_EQ(p.protos & MOS_PROTO_TCP, 0);
	EXPECT_EQ(p.l4_proto, 6);
	EXPECT_EQ(p.frag_off, 1480);
	EXPECT_FALSE(p.frag_more);
	EXPECT_EQ(p.l4_off, 34);
	EXPECT_EQ(p.payload_off, 34);
	EXPECT_EQ(p.payload_len, 20u);
	EXPECT_EQ(p.sport, 0);
}

TEST(DecodeIpv4Frag, ImpossibleFragmentsAreFragBad)
{
	struct {
		uint16_t off;
		bool mf;
		size_t data;
	} cases[] = {
		{ 0, true, 13 },        // more fragments, data not a multiple of 8
		{ 8, true, 0 },         // more fragments, no data
		{ 65528, false, 16 },   // ends beyond 65535
	};
	for (const auto &c : cases) {
		Frame fr;
		struct pc_ipv4 ip;
		pc_ipv4_defaults(&ip);
		ip.frag_off = c.off;
		ip.mf = c.mf;
		ip.proto = 17;
		pc_eth(&fr.f);
		pc_ipv4(&fr.f, &ip);
		pc_payload(&fr.f, nullptr, c.data);
		pc_finish(&fr.f);
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_FRAG_BAD) << c.off;
		EXPECT_FALSE(p.flags & MOS_PKT_F_FRAGMENT);
	}
}

TEST(DecodeIpv4Frag, FirstFragmentTooShortForTheHeaderIsLeftToReassembly)
{
	Frame fr;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.mf = true;
	ip.proto = 6;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &ip);
	pc_payload(&fr.f, "\x9c\x40\0\x50\0\0\0\0", 8);   // first 8 bytes of TCP
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_FIRST_FRAG);
	EXPECT_FALSE(p.flags & MOS_PKT_F_L4);
	EXPECT_TRUE(p.protos & MOS_PROTO_TCP);
}

// ---------------------------------------------------------------- IPv6

TEST(DecodeIpv6, HeaderMalformations)
{
	Frame fr;
	EthIpv6(&fr.f);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 14 + 39), MOS_MALFORMED_IPV6_TRUNCATED);
	EXPECT_TRUE(p.protos & MOS_PROTO_IPV6);
	pc_poke8(&fr.f, 14, 0x40);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV6_BAD_VERSION);
}

TEST(DecodeIpv6, ExtensionChainIsSkippedToTheTransport)
{
	Frame fr;
	EthIpv6(&fr.f);
	pc_ipv6_ext(&fr.f, 0, (const uint8_t *)"\x01\x04\0\0\0\0", 6, PC_AUTO);   // 8
	pc_ipv6_ext(&fr.f, 43, nullptr, 22, PC_AUTO);                            // 24
	pc_ipv6_ext(&fr.f, 60, nullptr, 0, PC_AUTO);                             // 8
	pc_ipv6_ext(&fr.f, 51, nullptr, 22, PC_AUTO);                            // AH, 24
	pc_ipv6_ext(&fr.f, 60, nullptr, 6, PC_AUTO);                             // 8
	pc_tcp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l4_off, 14 + 40 + 8 + 24 + 8 + 24 + 8);
	EXPECT_EQ(p.l4_proto, 6);
	EXPECT_EQ(p.dport, 80);
	EXPECT_EQ(Addr(p.src), "2001:db8::1");
	EXPECT_FALSE(mos_addr_is_v4(&p.src));
}

TEST(DecodeIpv6, OptionTlvsAreCheckedInHopByHopAndDestinationHeaders)
{
	struct {
		uint8_t type;
		const char *body;
		size_t n;
		int want;
	} cases[] = {
		{ 0, "\x01\x04\0\0\0\0", 6, 0 },                      // PadN 4
		{ 60, "\0\0\0\0\0\0", 6, 0 },                           // Pad1 x6
		{ 0, "\x05\x02\0\0\x01\x00", 6, 0 },                  // router alert, PadN 0
		{ 0, "\x01\x05\0\0\0\0", 6, MOS_MALFORMED_IPV6_BAD_OPTIONS },   // runs past
		{ 60, "\0\0\0\0\0\x01", 6, MOS_MALFORMED_IPV6_BAD_OPTIONS },    // no length byte
		{ 43, "\x01\x09\0\0\0\0", 6, 0 },                     // routing: not options
	};
	for (const auto &c : cases) {
		Frame fr;
		EthIpv6(&fr.f);
		pc_ipv6_ext(&fr.f, c.type, (const uint8_t *)c.body, c.n, PC_AUTO);
		pc_udp(&fr.f, nullptr);
		pc_finish(&fr.f);
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p), c.want) << (int)c.type << " " << c.n;
	}
}

TEST(DecodeIpv6, EspAndNoNextHeaderStopCleanly)
{
	for (int nh : { 50, 59 }) {
		Frame fr;
		struct pc_ipv6 ip;
		pc_ipv6_defaults(&ip);
		ip.next = nh;
		pc_eth(&fr.f);
		pc_ipv6(&fr.f, &ip);
		pc_payload(&fr.f, nullptr, 32);
		pc_finish(&fr.f);
		struct mos_pkt p;
		ASSERT_EQ(Decode(fr.f, &p), 0);
		EXPECT_EQ(p.l4_proto, nh);
		EXPECT_FALSE(p.flags & MOS_PKT_F_L4);
		EXPECT_EQ(p.payload_off, 54);
		EXPECT_EQ(p.payload_len, 32u);
	}
}

TEST(DecodeIpv6, ChainLongerThanTheCapIsTooManyExt)
{
	for (int n : { MOS_IPV6_EXT_MAX, MOS_IPV6_EXT_MAX + 1 }) {
		Frame fr;
		EthIpv6(&fr.f);
		for (int i = 0; i < n; i++)
			pc_ipv6_ext(&fr.f, 60, nullptr, 0, PC_AUTO);
		pc_udp(&fr.f, nullptr);
		pc_finish(&fr.f);
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p), n > MOS_IPV6_EXT_MAX ? MOS_MALFORMED_IPV6_TOO_MANY_EXT : 0) << n;
	}
}

TEST(DecodeIpv6, ExtensionHeaderCutByTheSnaplenIsExtTruncated)
{
	Frame fr;
	EthIpv6(&fr.f);
	pc_ipv6_ext(&fr.f, 43, nullptr, 38, PC_AUTO);          // 40 bytes
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 54 + 1), MOS_MALFORMED_IPV6_EXT_TRUNCATED);
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 54 + 20), MOS_MALFORMED_IPV6_EXT_TRUNCATED);
	EXPECT_EQ(p.ip_version, 0);
}

TEST(DecodeIpv6, ExtensionHeaderBeyondThePayloadLengthIsBadPayloadLength)
{
	Frame fr;
	struct pc_ipv6 ip;
	pc_ipv6_defaults(&ip);
	ip.plen = 16;                               // the routing header alone is 40
	pc_eth(&fr.f);
	pc_ipv6(&fr.f, &ip);
	pc_ipv6_ext(&fr.f, 43, nullptr, 38, PC_AUTO);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
}

TEST(DecodeIpv6, PayloadLengthBeyondTheCaptureIsTruncated)
{
	Frame fr;
	EthIpv6(&fr.f);
	pc_tcp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 500);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 100), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
	EXPECT_EQ(p.payload_len, 500u);
	EXPECT_EQ(p.ip_len, 560u);
}

TEST(DecodeIpv6, JumbogramTakesItsLengthFromTheOption)
{
	struct pc_frame *f = new struct pc_frame;
	pc_init(f);
	struct pc_ipv6 ip;
	pc_ipv6_defaults(&ip);
	ip.plen = 0;
	pc_eth(f);
	pc_ipv6(f, &ip);
	pc_ipv6_jumbo(f, 70000);
	pc_udp(f, nullptr);
	pc_payload(f, nullptr, 70000 - 8 - 8);
	pc_finish(f);
	pc_poke16(f, 14 + 48 + 4, 0);               // UDP jumbogram: length 0
	struct mos_pkt p;
	ASSERT_EQ(Decode(*f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_JUMBO);
	EXPECT_EQ(p.ip_len, 70040u);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
	EXPECT_EQ(p.payload_len, 70000u - 16);
	// A jumbo option below 65536 is invalid (RFC 2675).
	pc_poke32(f, 14 + 40 + 4, 1000);
	EXPECT_EQ(Decode(*f, &p), MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH);
	delete f;
}

TEST(DecodeIpv6, ZeroPayloadLengthWithoutJumboTakesTheFrameLength)
{
	Frame fr;
	struct pc_ipv6 ip;
	pc_ipv6_defaults(&ip);
	ip.plen = 0;
	pc_eth(&fr.f);
	pc_ipv6(&fr.f, &ip);
	pc_tcp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 100);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_FROM_FRAME);
	EXPECT_EQ(p.payload_len, 100u);
	// Zero length with no next header is simply empty.
	struct pc_ipv6 empty;
	pc_ipv6_defaults(&empty);
	empty.plen = 0;
	empty.next = 59;
	Frame e;
	pc_eth(&e.f);
	pc_ipv6(&e.f, &empty);
	pc_payload(&e.f, nullptr, 6);               // Ethernet padding
	pc_finish(&e.f);
	ASSERT_EQ(Decode(e.f, &p), 0);
	EXPECT_FALSE(p.flags & MOS_PKT_F_LEN_FROM_FRAME);
	EXPECT_EQ(p.ip_len, 40u);
}

// ---------------------------------------------------------------- IPv6 fragments

TEST(DecodeIpv6Frag, FirstAndNonFirstFragments)
{
	Frame a, b;
	EthIpv6(&a.f);
	pc_ipv6_frag(&a.f, 0, true, 0xdeadbeef);
	pc_ipv6_ext(&a.f, 60, nullptr, 0, PC_AUTO);   // in the fragmentable part
	pc_tcp(&a.f, nullptr);
	pc_payload(&a.f, nullptr, 4);
	pc_finish(&a.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(a.f, &p), 0);
	EXPECT_EQ(p.flags & (MOS_PKT_F_FRAGMENT | MOS_PKT_F_FIRST_FRAG | MOS_PKT_F_L4),
		  MOS_PKT_F_FRAGMENT | MOS_PKT_F_FIRST_FRAG | MOS_PKT_F_L4);
	EXPECT_TRUE(p.protos & MOS_PROTO_IPV6_FRAG);
	EXPECT_EQ(p.frag_id, 0xdeadbeefu);
	EXPECT_EQ(p.frag_data_off, 14 + 48);
	EXPECT_EQ(p.frag_data_len, 32);
	EXPECT_EQ(p.l4_off, 14 + 56);

	EthIpv6(&b.f);
	pc_ipv6_frag(&b.f, 32, false, 0xdeadbeef);
	pc_tcp(&b.f, nullptr);
	pc_finish(&b.f);
	ASSERT_EQ(Decode(b.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_FRAGMENT);
	EXPECT_FALSE(p.flags & (MOS_PKT_F_FIRST_FRAG | MOS_PKT_F_L4));
	EXPECT_EQ(p.protos & MOS_PROTO_TCP, 0);
	EXPECT_EQ(p.frag_off, 32);
	EXPECT_EQ(p.l4_proto, 6);
	EXPECT_EQ(p.l4_off, 14 + 48);
}

TEST(DecodeIpv6Frag, AtomicFragmentIsAWholeDatagram)
{
	Frame fr;
	EthIpv6(&fr.f);
	pc_ipv6_frag(&fr.f, 0, false, 7);
	pc_tcp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_ATOMIC_FRAG);
	EXPECT_FALSE(p.flags & MOS_PKT_F_FRAGMENT);
	EXPECT_EQ(p.protos & MOS_PROTO_IPV6_FRAG, 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
}

TEST(DecodeIpv6Frag, ImpossibleFragmentsAreFragBad)
{
	Frame odd, twice, cut;
	EthIpv6(&odd.f);
	pc_ipv6_frag(&odd.f, 0, true, 1);
	pc_payload(&odd.f, nullptr, 13);
	pc_finish(&odd.f);
	EthIpv6(&twice.f);
	pc_ipv6_frag(&twice.f, 0, true, 1);
	pc_ipv6_frag(&twice.f, 8, true, 1);
	pc_payload(&twice.f, nullptr, 8);
	pc_finish(&twice.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(odd.f, &p), MOS_MALFORMED_FRAG_BAD);
	EXPECT_EQ(Decode(twice.f, &p), MOS_MALFORMED_FRAG_BAD);
	// A fragment header cut by the snaplen.
	EthIpv6(&cut.f);
	pc_ipv6_frag(&cut.f, 8, false, 1);
	pc_payload(&cut.f, nullptr, 8);
	pc_finish(&cut.f);
	EXPECT_EQ(Decode(cut.f, &p, MOS_LINK_ETHERNET, 14 + 44), MOS_MALFORMED_IPV6_EXT_TRUNCATED);
}

// ---------------------------------------------------------------- TCP

TEST(DecodeTcp, EveryKnownOptionIsParsed)
{
	for (int nsack = 1; nsack <= 3; nsack++) {
		const uint32_t edges[4][2] = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } };
		Frame fr;
		struct pc_tcp t;
		pc_tcp_defaults(&t);
		pc_opt_mss(&t.opts, 1460);
		pc_opt_wscale(&t.opts, 14);
		pc_opt_nop(&t.opts);
		if (nsack < 3) {
			pc_opt_sack_perm(&t.opts);
			pc_opt_ts(&t.opts, 0x11223344, 0x55667788);
		}
		pc_opt_sack(&t.opts, nsack, edges);
		EthIpv4Tcp(&fr.f, &t);
		struct mos_pkt p;
		ASSERT_EQ(Decode(fr.f, &p), 0) << nsack;
		const struct mos_tcp_opts &o = p.tcp_opt;
		EXPECT_EQ(o.mss, 1460);
		EXPECT_EQ(o.wscale, 14);
		EXPECT_EQ(o.sack_blocks, nsack);
		for (int i = 0; i < nsack; i++) {
			EXPECT_EQ(o.sack[i][0], edges[i][0]);
			EXPECT_EQ(o.sack[i][1], edges[i][1]);
		}
		uint8_t want = MOS_TCPOPT_MSS | MOS_TCPOPT_WSCALE | MOS_TCPOPT_SACK;
		if (nsack < 3) {
			want |= MOS_TCPOPT_SACK_PERM | MOS_TCPOPT_TS;
			EXPECT_EQ(o.ts_val, 0x11223344u);
			EXPECT_EQ(o.ts_ecr, 0x55667788u);
		}
		EXPECT_EQ(o.present, want);
	}
	// Four SACK blocks fill 34 of the 40 option bytes.
	const uint32_t four[4][2] = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } };
	Frame fr;
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	pc_opt_nop(&t.opts);
	pc_opt_nop(&t.opts);
	pc_opt_sack(&t.opts, 4, four);
	EthIpv4Tcp(&fr.f, &t);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.tcp_opt.sack_blocks, 4);
	EXPECT_EQ(p.tcp_opt.sack[3][1], 8u);
}

TEST(DecodeTcp, EndOfListStopsOptionParsing)
{
	Frame fr;
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	pc_opt_eol(&t.opts);
	pc_opt_mss(&t.opts, 1000);                  // after EOL: ignored
	pc_opt_raw(&t.opts, "\x02\x00\x00", 3);     // and so is garbage
	EthIpv4Tcp(&fr.f, &t);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.tcp_opt.present, 0);
}

TEST(DecodeTcp, KnownOptionWithWrongLengthIsIgnoredLikeLinux)
{
	Frame fr;
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	pc_opt_raw(&t.opts, "\x02\x05\x05\xb4\x00", 5);   // MSS of length 5
	pc_opt_raw(&t.opts, "\x08\x06\0\0\0\0", 6);       // timestamps of length 6
	pc_opt_wscale(&t.opts, 3);
	EthIpv4Tcp(&fr.f, &t);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.tcp_opt.present, MOS_TCPOPT_WSCALE);
	EXPECT_EQ(p.tcp_opt.wscale, 3);
}

TEST(DecodeTcp, OptionTlvErrorsAreBadOptions)
{
	const char *bad[] = {
		"\x02\x00\0\0",           // length 0
		"\x02\x01\0\0",           // length 1
		"\x01\x01\x08\x0a",       // 10-byte option in 2 bytes
		"\x01\x01\x01\x02",       // kind without a length byte
	};
	for (const char *o : bad) {
		Frame fr;
		struct pc_tcp t;
		pc_tcp_defaults(&t);
		pc_opt_mss(&t.opts, 1400);
		pc_opt_raw(&t.opts, o, 4);
		EthIpv4Tcp(&fr.f, &t);
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_TCP_BAD_OPTIONS);
		EXPECT_EQ(p.tcp_opt.present, 0);           // nothing half-parsed
		EXPECT_TRUE(p.protos & MOS_PROTO_TCP);
	}
}

TEST(DecodeTcp, DataOffsetOutOfRange)
{
	Frame fr;
	EthIpv4Tcp(&fr.f, nullptr, 8);
	struct mos_pkt p;
	for (uint8_t doff : { 0, 4 }) {
		pc_poke8(&fr.f, 46, (uint8_t)(doff << 4));
		EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_TCP_BAD_DATA_OFFSET) << (int)doff;
	}
	pc_poke8(&fr.f, 46, 8 << 4);                // 32 bytes, segment is 28
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_TCP_BAD_DATA_OFFSET);
	pc_poke8(&fr.f, 46, 7 << 4);                // 28 bytes: fits exactly
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_TCP_BAD_OPTIONS);  // 'xxxx' options
	// Segment shorter than a minimal header per the IP length.
	Frame s;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.tot_len = 30;
	pc_eth(&s.f);
	pc_ipv4(&s.f, &ip);
	pc_tcp(&s.f, nullptr);
	pc_finish(&s.f);
	EXPECT_EQ(Decode(s.f, &p), MOS_MALFORMED_TCP_TRUNCATED);
	// Options cut by the snaplen.
	Frame o;
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	pc_opt_ts(&t.opts, 1, 2);
	EthIpv4Tcp(&o.f, &t);
	EXPECT_EQ(Decode(o.f, &p, MOS_LINK_ETHERNET, 58), MOS_MALFORMED_TCP_TRUNCATED);
}

// ---------------------------------------------------------------- UDP

TEST(DecodeUdp, LengthRules)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, nullptr);
	pc_udp(&fr.f, nullptr);
	pc_payload(&fr.f, nullptr, 20);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.sport, 40000);
	EXPECT_EQ(p.dport, 53);
	EXPECT_EQ(p.payload_off, 42);
	EXPECT_EQ(p.payload_len, 20u);
	// UDP length shorter than the IP payload: the rest is not payload.
	pc_poke16(&fr.f, 38, 18);
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.payload_len, 10u);
	pc_poke16(&fr.f, 38, 7);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_UDP_BAD_LENGTH);
	pc_poke16(&fr.f, 38, 29);
	EXPECT_EQ(Decode(fr.f, &p), MOS_MALFORMED_UDP_BAD_LENGTH);
	EXPECT_TRUE(p.protos & MOS_PROTO_UDP);
	EXPECT_EQ(p.sport, 0);
	EXPECT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 41), MOS_MALFORMED_UDP_TRUNCATED);
	Frame s;
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.tot_len = 27;
	pc_eth(&s.f);
	pc_ipv4(&s.f, &ip);
	pc_udp(&s.f, nullptr);
	pc_finish(&s.f);
	EXPECT_EQ(Decode(s.f, &p), MOS_MALFORMED_UDP_TRUNCATED);
}

// ---------------------------------------------------------------- ICMP

TEST(DecodeIcmp, EchoAndTruncation)
{
	Frame a, b;
	pc_eth(&a.f);
	pc_ipv4(&a.f, nullptr);
	pc_icmp(&a.f, 8, 0, 0x12340001);
	pc_payload(&a.f, nullptr, 56);
	pc_finish(&a.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(a.f, &p), 0);
	EXPECT_EQ(p.icmp_type, 8);
	EXPECT_EQ(p.icmp_code, 0);
	EXPECT_EQ(p.sport, 0);
	EXPECT_EQ(p.payload_len, 56u);
	EXPECT_EQ(p.protos, MOS_PROTO_IPV4 | MOS_PROTO_ICMP);
	EXPECT_FALSE(p.flags & MOS_PKT_F_ICMP_QUOTE);
	EXPECT_EQ(Decode(a.f, &p, MOS_LINK_ETHERNET, 40), MOS_MALFORMED_ICMP_TRUNCATED);

	EthIpv6(&b.f);
	pc_icmpv6(&b.f, 135, 0, 0);                 // neighbour solicitation
	pc_payload(&b.f, nullptr, 16);
	pc_finish(&b.f);
	ASSERT_EQ(Decode(b.f, &p), 0);
	EXPECT_EQ(p.icmp_type, 135);
	EXPECT_EQ(p.protos, MOS_PROTO_IPV6 | MOS_PROTO_ICMPV6);
	EXPECT_EQ(Decode(b.f, &p, MOS_LINK_ETHERNET, 60), MOS_MALFORMED_ICMPV6_TRUNCATED);
}

TEST(DecodeIcmp, ErrorQuotingUdpCountsTheQuotedUdp)
{
	Frame fr;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, nullptr);
	pc_icmp(&fr.f, 3, 3, 0);                    // port unreachable
	struct pc_ipv4 inner;
	pc_ipv4_defaults(&inner);
	inner.tot_len = 300;
	pc_ipv4(&fr.f, &inner);
	pc_udp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.protos, MOS_PROTO_IPV4 | MOS_PROTO_ICMP | MOS_PROTO_UDP);
	EXPECT_TRUE(p.flags & MOS_PKT_F_ICMP_QUOTE);
	EXPECT_EQ(p.quote_off, 42);
	EXPECT_EQ(p.quote_proto, 17);
	EXPECT_EQ(p.l4_proto, 1);                   // the packet itself is ICMP
	EXPECT_FALSE(p.flags & MOS_PKT_F_TUNNEL);
	// Fewer than 4 bytes (the ports) of the quoted header sent: not
	// counted; cut by the snaplen after they were sent: counted.
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 42 + 20 + 3, 42 + 20 + 3), 0);
	EXPECT_EQ(p.protos & MOS_PROTO_UDP, 0);
	ASSERT_EQ(Decode(fr.f, &p, MOS_LINK_ETHERNET, 42 + 20 + 3), 0);
	EXPECT_TRUE(p.protos & MOS_PROTO_UDP);
	EXPECT_EQ(p.quote_proto, 17);
	// An ICMP error quotes IPv4 only: an IPv6-looking quote is not walked.
	pc_poke8(&fr.f, 42, 0x60);
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_FALSE(p.flags & MOS_PKT_F_ICMP_QUOTE);
	EXPECT_EQ(p.protos & (MOS_PROTO_UDP | MOS_PROTO_IPV6), 0);
	pc_poke8(&fr.f, 42, 0x45);
	// An echo reply carrying the same bytes quotes nothing.
	pc_poke8(&fr.f, 34, 0);
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.protos & MOS_PROTO_UDP, 0);
}

TEST(DecodeIcmp, Icmpv6ErrorQuotingTcpThroughExtensionHeaders)
{
	Frame fr;
	EthIpv6(&fr.f);
	pc_icmpv6(&fr.f, 1, 4, 0);
	struct pc_ipv6 inner;
	pc_ipv6_defaults(&inner);
	inner.plen = 1000;
	pc_ipv6(&fr.f, &inner);
	pc_ipv6_ext(&fr.f, 60, nullptr, 0, PC_AUTO);
	pc_tcp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.protos, MOS_PROTO_IPV6 | MOS_PROTO_ICMPV6 | MOS_PROTO_TCP);
	EXPECT_EQ(p.quote_off, 62);
	EXPECT_EQ(p.quote_proto, 6);
}

// ---------------------------------------------------------------- tunnels

TEST(DecodeTunnel, AllFourIpInIpCombinations)
{
	for (int outer6 = 0; outer6 < 2; outer6++) {
		for (int inner6 = 0; inner6 < 2; inner6++) {
			Frame fr;
			pc_eth(&fr.f);
			if (outer6)
				pc_ipv6(&fr.f, nullptr);
			else
				pc_ipv4(&fr.f, nullptr);
			struct pc_ipv4 i4;
			pc_ipv4_defaults(&i4);
			i4.src[0] = 192, i4.src[1] = 168;
			if (inner6)
				pc_ipv6(&fr.f, nullptr);
			else
				pc_ipv4(&fr.f, &i4);
			pc_tcp(&fr.f, nullptr);
			pc_finish(&fr.f);
			struct mos_pkt p;
			ASSERT_EQ(Decode(fr.f, &p), 0);
			uint32_t outer_len = outer6 ? 40 : 20;
			EXPECT_TRUE(p.flags & MOS_PKT_F_TUNNEL);
			EXPECT_TRUE(p.flags & (outer6 ? MOS_PKT_F_IPV6 : MOS_PKT_F_IPV4));
			EXPECT_EQ(p.ip_version, inner6 ? 6 : 4);
			EXPECT_EQ(p.l3_off, 14 + outer_len);
			EXPECT_EQ(Addr(p.src), inner6 ? "2001:db8::1" : "192.168.0.1");
			EXPECT_TRUE(p.flags & MOS_PKT_F_L4);
			uint16_t want = MOS_PROTO_TCP;
			want |= (outer6 || inner6) ? MOS_PROTO_IPV6 : 0;
			want |= (!outer6 || !inner6) ? MOS_PROTO_IPV4 : 0;
			EXPECT_EQ(p.protos, want);
		}
	}
}

TEST(DecodeTunnel, NestingBeyondTheCapIsTunnelTooDeep)
{
	Frame ok, deep;
	pc_eth(&ok.f);
	pc_eth(&deep.f);
	for (int i = 0; i < MOS_IP_MAX_DEPTH; i++)
		pc_ipv4(&ok.f, nullptr);
	for (int i = 0; i < MOS_IP_MAX_DEPTH + 1; i++)
		pc_ipv4(&deep.f, nullptr);
	pc_udp(&ok.f, nullptr);
	pc_udp(&deep.f, nullptr);
	pc_finish(&ok.f);
	pc_finish(&deep.f);
	struct mos_pkt p;
	EXPECT_EQ(Decode(ok.f, &p), 0);
	EXPECT_EQ(Decode(deep.f, &p), MOS_MALFORMED_TUNNEL_TOO_DEEP);
}

TEST(DecodeTunnel, InnerDatagramLongerThanTheOuterPayloadIsClipped)
{
	Frame a, b;
	pc_eth(&a.f);
	pc_ipv4(&a.f, nullptr);
	struct pc_ipv4 i4;
	pc_ipv4_defaults(&i4);
	i4.tot_len = 200;
	pc_ipv4(&a.f, &i4);
	pc_udp(&a.f, nullptr);
	pc_payload(&a.f, nullptr, 4);
	pc_finish(&a.f);
	pc_poke16(&a.f, 54 + 4, 12);                // UDP length: what is there
	struct mos_pkt p;
	ASSERT_EQ(Decode(a.f, &p), 0);
	EXPECT_EQ(p.l3_off, 34);
	EXPECT_TRUE(p.flags & MOS_PKT_F_TUNNEL);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_EQ(p.ip_len, 200u);
	EXPECT_EQ(p.payload_len, 4u);

	pc_eth(&b.f);
	pc_ipv4(&b.f, nullptr);
	struct pc_ipv6 i6;
	pc_ipv6_defaults(&i6);
	i6.plen = 200;
	pc_ipv6(&b.f, &i6);
	pc_udp(&b.f, nullptr);
	pc_finish(&b.f);
	pc_poke16(&b.f, 74 + 4, 8);
	ASSERT_EQ(Decode(b.f, &p), 0);
	EXPECT_TRUE(p.flags & MOS_PKT_F_LEN_CLIPPED);
	EXPECT_EQ(p.payload_len, 0u);
	// An inner header that does not even fit in the outer payload.
	Frame c;
	struct pc_ipv4 o;
	pc_ipv4_defaults(&o);
	o.tot_len = 30;
	pc_eth(&c.f);
	pc_ipv4(&c.f, &o);
	pc_ipv4(&c.f, nullptr);
	pc_udp(&c.f, nullptr);
	pc_finish(&c.f);
	EXPECT_EQ(Decode(c.f, &p), MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH);
	EXPECT_EQ(p.l3_off, 14);                    // valid up to the outer header
	EXPECT_FALSE(p.flags & MOS_PKT_F_TUNNEL);
}

TEST(DecodeTunnel, FragmentedOuterHeaderStopsBeforeTheTunnel)
{
	Frame fr;
	struct pc_ipv4 o;
	pc_ipv4_defaults(&o);
	o.mf = true;
	pc_eth(&fr.f);
	pc_ipv4(&fr.f, &o);
	pc_ipv4(&fr.f, nullptr);
	pc_tcp(&fr.f, nullptr);
	pc_finish(&fr.f);
	struct mos_pkt p;
	ASSERT_EQ(Decode(fr.f, &p), 0);
	EXPECT_EQ(p.l4_proto, 4);
	EXPECT_EQ(p.l3_off, 14);
	EXPECT_FALSE(p.flags & (MOS_PKT_F_TUNNEL | MOS_PKT_F_L4));
}

// ---------------------------------------------------------------- addresses

TEST(DecodeAddr, Rfc5952Text)
{
	struct {
		uint8_t b[16];
		const char *want;
	} cases[] = {
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:db8::1" },
		{ { 0 }, "::" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "::1" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, "2001:db8:0:1::" },
		// A single zero group is not compressed.
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, "2001:db8:0:1:1:1:1:1" },
		// The longest run wins; the first of equal runs wins.
		{ { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:0:0:1::1" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 }, "2001:db8::1:0:0:1" },
		{ { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0x0e, 0xf0, 0, 0x12, 0xff, 0xff },
		  "fe80::abcd:ef0:12:ffff" },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 33 }, "192.0.2.33" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 }, "0.0.0.0" },
	};
	for (const auto &c : cases) {
		struct mos_addr a;
		char buf[MOS_ADDR_STRLEN];
		memcpy(a.b, c.b, 16);
		EXPECT_STREQ(mos_addr_str(&a, buf), c.want);
		EXPECT_EQ(mos_addr_is_v4(&a), strchr(c.want, '.') != nullptr) << c.want;
	}
}

// ---------------------------------------------------------------- robustness

// Every prefix of every sample frame, with the wire length of the whole
// frame (a snaplen cut) and with wirelen == caplen: no read past caplen
// (guarded buffers fault), invariants hold, and a cut frame is either
// decoded with MOS_PKT_F_TRUNCATED, decoded without the cut part, or
// malformed — never decoded as if complete with L4 beyond caplen.
TEST(DecodeRobustness, EveryPrefixOfEverySampleIsSafe)
{
	struct pc_frame *f = new struct pc_frame;
	uint32_t lt;
	long decoded = 0;
	for (int i = 0; pc_sample(i, f, &lt); i++) {
		uint32_t step = f->len > 2000 ? 97 : 1;
		for (uint32_t cap = 0; cap <= f->len; cap += step) {
			struct mos_pkt p;
			SCOPED_TRACE("sample " + std::to_string(i) + " caplen " + std::to_string(cap));
			Decode(*f, &p, (int)lt, cap, f->len);
			if (cap < f->len && p.ip_version && !(p.flags & MOS_PKT_F_MALFORMED)) {
				EXPECT_TRUE(p.flags & MOS_PKT_F_TRUNCATED);
			}
			Decode(*f, &p, (int)lt, cap, cap);
			decoded += 2;
		}
	}
	delete f;
	EXPECT_GT(decoded, 5000);
}

// Deterministic mutations (byte flips, length fields) of the samples.
TEST(DecodeRobustness, MutatedSamplesKeepTheInvariants)
{
	struct pc_frame *f = new struct pc_frame;
	struct pc_frame *m = new struct pc_frame;
	uint32_t lt, seed = 12345;
	std::set<int> reasons;
	auto rnd = [&seed]() {
		seed = seed * 1103515245u + 12345u;
		return seed >> 8;
	};
	for (int i = 0; pc_sample(i, f, &lt); i++) {
		if (f->len > 2000)
			continue;
		for (int k = 0; k < 300; k++) {
			memcpy(m->buf, f->buf, f->len);
			m->len = f->len;
			int flips = 1 + (int)(rnd() % 4);
			for (int j = 0; j < flips; j++)
				m->buf[rnd() % m->len] = (uint8_t)rnd();
			struct mos_pkt p;
			int rc = Decode(*m, &p, (int)lt, rnd() % (m->len + 1), m->len);
			reasons.insert(rc);
		}
	}
	delete f;
	delete m;
	EXPECT_GT(reasons.size(), 10u);
}

// One crafted frame per malformed reason; the table must cover every
// reason, so a reason added to decode.h without a test fails here.
TEST(DecodeReasons, EveryReasonIsProducedBySomeFrame)
{
	struct Case {
		enum mos_malformed want;
		int lt;
		int64_t caplen;
		void (*build)(struct pc_frame *f);
	};
	static const Case cases[] = {
		{ MOS_MALFORMED_LINK_TRUNCATED, MOS_LINK_ETHERNET, 13,
		  [](struct pc_frame *f) { pc_eth(f); pc_ipv4(f, nullptr); } },
		{ MOS_MALFORMED_LINK_UNSUPPORTED, 147, -1,
		  [](struct pc_frame *f) { pc_ipv4(f, nullptr); } },
		{ MOS_MALFORMED_VLAN_TRUNCATED, MOS_LINK_ETHERNET, 16,
		  [](struct pc_frame *f) { pc_eth(f); pc_vlan(f, PC_TPID_8021Q, 1); pc_ipv4(f, nullptr); } },
		{ MOS_MALFORMED_VLAN_TOO_DEEP, MOS_LINK_ETHERNET, -1,
		  [](struct pc_frame *f) { pc_eth(f); for (int i = 0; i < 9; i++) pc_vlan(f, PC_TPID_8021AD, 1); pc_ipv4(f, nullptr); } },
		{ MOS_MALFORMED_MPLS_TRUNCATED, MOS_LINK_ETHERNET, 16,
		  [](struct pc_frame *f) { pc_eth(f); pc_mpls(f, 1, true); pc_ipv4(f, nullptr); } },
		{ MOS_MALFORMED_PPPOE_TRUNCATED, MOS_LINK_ETHERNET, 20,
		  [](struct pc_frame *f) { pc_eth(f); pc_pppoe(f, 1); pc_ipv4(f, nullptr); } },
		{ MOS_MALFORMED_IPV4_TRUNCATED, MOS_LINK_RAW, 19,
		  [](struct pc_frame *f) { pc_ipv4(f, nullptr); pc_udp(f, nullptr); } },
		{ MOS_MALFORMED_IPV4_BAD_VERSION, MOS_LINK_IPV4, -1,
		  [](struct pc_frame *f) { struct pc_ipv4 ip; pc_ipv4_defaults(&ip); ip.version = 5; pc_ipv4(f, &ip); } },
		{ MOS_MALFORMED_IPV4_BAD_IHL, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_ipv4 ip; pc_ipv4_defaults(&ip); ip.ihl = 3; pc_ipv4(f, &ip); } },
		{ MOS_MALFORMED_IPV4_BAD_TOTAL_LENGTH, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_ipv4 ip; pc_ipv4_defaults(&ip); ip.tot_len = 12; pc_ipv4(f, &ip); } },
		{ MOS_MALFORMED_IPV4_BAD_OPTIONS, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_ipv4 ip; pc_ipv4_defaults(&ip); pc_opt_raw(&ip.opts, "\x83\x09\0\0", 4); pc_ipv4(f, &ip); } },
		{ MOS_MALFORMED_IPV6_TRUNCATED, MOS_LINK_RAW, 39,
		  [](struct pc_frame *f) { pc_ipv6(f, nullptr); } },
		{ MOS_MALFORMED_IPV6_BAD_VERSION, MOS_LINK_IPV6, -1,
		  [](struct pc_frame *f) { struct pc_ipv6 ip; pc_ipv6_defaults(&ip); ip.version = 7; pc_ipv6(f, &ip); } },
		{ MOS_MALFORMED_IPV6_BAD_PAYLOAD_LENGTH, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_ipv6 ip; pc_ipv6_defaults(&ip); ip.plen = 1; pc_ipv6(f, &ip); pc_ipv6_ext(f, 60, nullptr, 0, PC_AUTO); } },
		{ MOS_MALFORMED_IPV6_EXT_TRUNCATED, MOS_LINK_RAW, 45,
		  [](struct pc_frame *f) { pc_ipv6(f, nullptr); pc_ipv6_ext(f, 0, nullptr, 6, PC_AUTO); pc_udp(f, nullptr); } },
		{ MOS_MALFORMED_IPV6_TOO_MANY_EXT, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { pc_ipv6(f, nullptr); for (int i = 0; i < 9; i++) pc_ipv6_ext(f, 60, nullptr, 0, PC_AUTO); } },
		{ MOS_MALFORMED_FRAG_BAD, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_ipv4 ip; pc_ipv4_defaults(&ip); ip.mf = true; pc_ipv4(f, &ip); pc_udp(f, nullptr); pc_payload(f, nullptr, 1); } },
		{ MOS_MALFORMED_TCP_TRUNCATED, MOS_LINK_RAW, 39,
		  [](struct pc_frame *f) { pc_ipv4(f, nullptr); pc_tcp(f, nullptr); } },
		{ MOS_MALFORMED_TCP_BAD_DATA_OFFSET, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_tcp t; pc_tcp_defaults(&t); t.doff = 2; pc_ipv4(f, nullptr); pc_tcp(f, &t); } },
		{ MOS_MALFORMED_TCP_BAD_OPTIONS, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_tcp t; pc_tcp_defaults(&t); pc_opt_raw(&t.opts, "\x02\x09\0\0", 4); pc_ipv4(f, nullptr); pc_tcp(f, &t); } },
		{ MOS_MALFORMED_UDP_TRUNCATED, MOS_LINK_RAW, 27,
		  [](struct pc_frame *f) { pc_ipv4(f, nullptr); pc_udp(f, nullptr); } },
		{ MOS_MALFORMED_UDP_BAD_LENGTH, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { struct pc_udp u; pc_udp_defaults(&u); u.len = 4; pc_ipv4(f, nullptr); pc_udp(f, &u); } },
		{ MOS_MALFORMED_ICMP_TRUNCATED, MOS_LINK_RAW, 27,
		  [](struct pc_frame *f) { pc_ipv4(f, nullptr); pc_icmp(f, 8, 0, 0); } },
		{ MOS_MALFORMED_ICMPV6_TRUNCATED, MOS_LINK_RAW, 44,
		  [](struct pc_frame *f) { pc_ipv6(f, nullptr); pc_icmpv6(f, 128, 0, 0); } },
		{ MOS_MALFORMED_IPV6_BAD_OPTIONS, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { pc_ipv6(f, nullptr); pc_ipv6_ext(f, 60, (const uint8_t *)"\x01\x09", 2, PC_AUTO); pc_udp(f, nullptr); } },
		{ MOS_MALFORMED_TUNNEL_TOO_DEEP, MOS_LINK_RAW, -1,
		  [](struct pc_frame *f) { for (int i = 0; i < 4; i++) pc_ipv6(f, nullptr); pc_udp(f, nullptr); } },
	};
	std::set<int> covered;
	for (const Case &c : cases) {
		Frame fr;
		c.build(&fr.f);
		ASSERT_NE(pc_finish(&fr.f), 0u);
		struct mos_pkt p;
		EXPECT_EQ(Decode(fr.f, &p, c.lt, c.caplen), (int)c.want) << mos_malformed_name(c.want);
		EXPECT_TRUE(p.flags & MOS_PKT_F_MALFORMED);
		EXPECT_FALSE(p.flags & MOS_PKT_F_L4);
		covered.insert(c.want);
	}
	EXPECT_EQ(covered.size(), (size_t)MOS_MALFORMED_COUNT - 1);
}
