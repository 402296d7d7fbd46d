// SPDX-License-Identifier: BSD-3-Clause
// Tests of the DNS message parser (stdlib/parsers/dns.h): query and response
// fields, compression pointers (valid, forward, self, looping chains),
// label and name limits, escaping, truncation at every length.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "parsers/dns.h"
}

namespace {

using Bytes = std::vector<uint8_t>;

void u8(Bytes &b, unsigned v) { b.push_back((uint8_t)v); }
void u16(Bytes &b, unsigned v) { u8(b, v >> 8); u8(b, v & 0xff); }
void u32(Bytes &b, unsigned v) { u16(b, v >> 16); u16(b, v & 0xffff); }

void name(Bytes &b, const std::vector<std::string> &labels)
{
	for (auto &l : labels) {
		u8(b, (unsigned)l.size());
		b.insert(b.end(), l.begin(), l.end());
	}
	u8(b, 0);
}

Bytes header(unsigned id, unsigned flags, unsigned qd, unsigned an)
{
	Bytes b;
	u16(b, id);
	u16(b, flags);
	u16(b, qd);
	u16(b, an);
	u16(b, 0);
	u16(b, 0);
	return b;
}

Bytes query()
{
	Bytes b = header(0x1234, 0x0100, 1, 0);
	name(b, { "www", "example", "com" });
	u16(b, 1);
	u16(b, 1);
	return b;
}

// Response: CNAME, A, AAAA, all owners compressed to the question name.
Bytes response()
{
	Bytes b = header(0x1234, 0x8180, 1, 3);
	name(b, { "www", "example", "com" });
	u16(b, 1);
	u16(b, 1);
	// CNAME www.example.com -> cdn.example.com (compressed suffix)
	u16(b, 0xc00c);
	u16(b, 5);
	u16(b, 1);
	u32(b, 300);
	u16(b, 6);
	u8(b, 3);
	b.insert(b.end(), { 'c', 'd', 'n' });
	u16(b, 0xc010);
	// A
	u16(b, 0xc00c);
	u16(b, 1);
	u16(b, 1);
	u32(b, 60);
	u16(b, 4);
	b.insert(b.end(), { 192, 0, 2, 7 });
	// AAAA
	u16(b, 0xc00c);
	u16(b, 28);
	u16(b, 1);
	u32(b, 61);
	u16(b, 16);
	for (int i = 0; i < 16; i++)
		u8(b, i == 0 ? 0x20 : i == 1 ? 0x01 : i == 15 ? 1 : 0);
	return b;
}

} // namespace

TEST(DnsQuery, HeaderAndQuestionAreParsed)
{
	Bytes q = query();
	mos_dns_msg m;
	mos_dns_stats st{};
	ASSERT_EQ(mos_dns_parse(q.data(), q.size(), &m, &st), MOS_DNS_OK);
	EXPECT_EQ(m.id, 0x1234);
	EXPECT_FALSE(m.response);
	EXPECT_EQ(m.opcode, 0);
	EXPECT_EQ(m.qdcount, 1);
	EXPECT_STREQ(m.qname, "www.example.com");
	EXPECT_EQ(m.qname_len, 15);
	EXPECT_EQ(m.qtype, 1);
	EXPECT_EQ(m.qclass, 1);
	EXPECT_TRUE(m.flags & MOS_DNS_F_QUESTION);
	EXPECT_EQ(st.queries, 1u);
}

TEST(DnsResponse, CompressedAnswersGiveRcodeCountAndFirstAddresses)
{
	Bytes r = response();
	mos_dns_msg m;
	mos_dns_stats st{};
	ASSERT_EQ(mos_dns_parse(r.data(), r.size(), &m, &st), MOS_DNS_OK);
	EXPECT_TRUE(m.response);
	EXPECT_EQ(m.rcode, 0);
	EXPECT_EQ(m.ancount, 3);
	EXPECT_EQ(m.answers, 3);
	ASSERT_EQ(m.n_addrs, 2);
	EXPECT_EQ(m.addrs[0].family, 4);
	EXPECT_EQ(m.addrs[0].addr[3], 7);
	EXPECT_EQ(m.addrs[0].ttl, 60u);
	EXPECT_EQ(m.addrs[1].family, 6);
	EXPECT_EQ(m.addrs[1].addr[0], 0x20);
	EXPECT_EQ(m.addrs[1].addr[15], 1);
	EXPECT_FALSE(m.flags & MOS_DNS_F_ANSWERS_BAD);
	EXPECT_EQ(st.responses, 1u);
	// the CNAME target reads through the pointer into the question
	size_t pos = 12 + 17 + 4 + 12;
	char out[64];
	uint16_t n;
	bool trunc;
	ASSERT_EQ(mos_dns_read_name(r.data(), r.size(), &pos, out, sizeof(out), &n, &trunc),
		  MOS_DNS_OK);
	EXPECT_STREQ(out, "cdn.example.com");
	EXPECT_EQ(pos, 12u + 17 + 4 + 12 + 6);
}

TEST(DnsResponse, NxdomainRcode)
{
	Bytes b = header(7, 0x8183, 1, 0);
	name(b, { "nope", "test" });
	u16(b, 28);
	u16(b, 1);
	mos_dns_msg m;
	ASSERT_EQ(mos_dns_parse(b.data(), b.size(), &m, nullptr), MOS_DNS_OK);
	EXPECT_EQ(m.rcode, 3);
	EXPECT_EQ(m.qtype, 28);
}

TEST(DnsTruncation, EveryPrefixIsAnErrorOrFlaggedNeverARead)
{
	Bytes r = response();
	size_t question_end = 12 + 17 + 4;
	for (size_t n = 0; n < r.size(); n++) {
		Bytes cut(r.begin(), r.begin() + (long)n);     // exact-size copy for ASan
		mos_dns_msg m;
		auto e = mos_dns_parse(cut.data(), cut.size(), &m, nullptr);
		if (n < 12)
			EXPECT_EQ(e, MOS_DNS_ERR_TRUNCATED) << n;
		else if (n < question_end)
			EXPECT_EQ(e, MOS_DNS_ERR_QUESTION_TRUNCATED) << n;
		else {
			EXPECT_EQ(e, MOS_DNS_OK) << n;
			EXPECT_TRUE(m.flags & MOS_DNS_F_ANSWERS_BAD) << n;
			EXPECT_LT(m.answers, 3) << n;
		}
	}
}

TEST(DnsCompression, PointerToItselfOrForwardIsRejected)
{
	Bytes self = header(1, 0, 1, 0);
	u16(self, 0xc00c);          // points at itself
	u16(self, 1);
	u16(self, 1);
	mos_dns_msg m;
	mos_dns_stats st{};
	EXPECT_EQ(mos_dns_parse(self.data(), self.size(), &m, &st), MOS_DNS_ERR_BAD_POINTER);

	Bytes fwd = header(1, 0, 1, 0);
	u16(fwd, 0xc010);           // forward, to the label after it
	name(fwd, { "a" });
	u16(fwd, 1);
	u16(fwd, 1);
	EXPECT_EQ(mos_dns_parse(fwd.data(), fwd.size(), &m, &st), MOS_DNS_ERR_BAD_POINTER);

	Bytes out = header(1, 0, 1, 0);
	u16(out, 0xffff);           // far outside the message
	EXPECT_EQ(mos_dns_parse(out.data(), out.size(), &m, &st), MOS_DNS_ERR_BAD_POINTER);
	EXPECT_EQ(st.errors[MOS_DNS_ERR_BAD_POINTER], 3u);
}

TEST(DnsCompression, LabelThenPointerBackIntoItselfIsALoopRejected)
{
	// answer owner: label "x" at p, then a pointer to p: would loop forever
	Bytes b = query();
	b[7] = 1;                   // ancount = 1
	size_t p = b.size();
	u8(b, 1);
	u8(b, 'x');
	u16(b, 0xc000 | (unsigned)p);
	mos_dns_msg m;
	ASSERT_EQ(mos_dns_parse(b.data(), b.size(), &m, nullptr), MOS_DNS_OK);
	EXPECT_TRUE(m.flags & MOS_DNS_F_ANSWERS_BAD);
	size_t pos = p;
	EXPECT_EQ(mos_dns_read_name(b.data(), b.size(), &pos, nullptr, 0, nullptr, nullptr),
		  MOS_DNS_ERR_BAD_POINTER);
}

TEST(DnsCompression, LongBackwardChainStopsAtTheJumpCap)
{
	// a root label at 0, then pointers each to the previous one
	Bytes b = { 0 };
	for (int i = 0; i < MOS_DNS_MAX_JUMPS + 2; i++) {
		unsigned prev = i == 0 ? 0 : (unsigned)(1 + 2 * (i - 1));
		u16(b, 0xc000 | prev);
	}
	size_t ok_start = 1 + 2 * (MOS_DNS_MAX_JUMPS - 1);  // exactly MAX_JUMPS jumps
	size_t pos = ok_start;
	char out[8];
	EXPECT_EQ(mos_dns_read_name(b.data(), b.size(), &pos, out, sizeof(out), nullptr, nullptr),
		  MOS_DNS_OK);
	EXPECT_STREQ(out, ".");
	EXPECT_EQ(pos, ok_start + 2);
	pos = ok_start + 2;
	EXPECT_EQ(mos_dns_read_name(b.data(), b.size(), &pos, out, sizeof(out), nullptr, nullptr),
		  MOS_DNS_ERR_POINTER_LOOP);
}

TEST(DnsNames, ReservedLabelTypesAndOverlongNamesAreRejected)
{
	Bytes b = header(1, 0, 1, 0);
	u8(b, 0x41);
	mos_dns_msg m;
	EXPECT_EQ(mos_dns_parse(b.data(), b.size(), &m, nullptr), MOS_DNS_ERR_BAD_LABEL);

	Bytes l = header(1, 0, 1, 0);
	name(l, { std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
		  std::string(63, 'd') });         // 4 * 64 + 1 = 257 wire bytes
	u16(l, 1);
	u16(l, 1);
	EXPECT_EQ(mos_dns_parse(l.data(), l.size(), &m, nullptr), MOS_DNS_ERR_NAME_TOO_LONG);

	Bytes ok = header(1, 0, 1, 0);
	name(ok, { std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
		   std::string(61, 'd') });        // 255 wire bytes: the maximum
	u16(ok, 1);
	u16(ok, 1);
	ASSERT_EQ(mos_dns_parse(ok.data(), ok.size(), &m, nullptr), MOS_DNS_OK);
	EXPECT_EQ(m.qname_len, 253);
	EXPECT_FALSE(m.flags & MOS_DNS_F_TRUNC_NAME);
}

TEST(DnsNames, SpecialBytesAreEscapedAndLongEscapesTruncated)
{
	Bytes b = header(1, 0, 1, 0);
	name(b, { std::string("a.b c\\", 6), "z" });
	u16(b, 16);
	u16(b, 1);
	mos_dns_msg m;
	ASSERT_EQ(mos_dns_parse(b.data(), b.size(), &m, nullptr), MOS_DNS_OK);
	EXPECT_STREQ(m.qname, "a\\046b\\032c\\092.z");

	Bytes root = header(1, 0, 1, 0);
	u8(root, 0);
	u16(root, 2);
	u16(root, 1);
	ASSERT_EQ(mos_dns_parse(root.data(), root.size(), &m, nullptr), MOS_DNS_OK);
	EXPECT_STREQ(m.qname, ".");

	Bytes bin = header(1, 0, 1, 0);
	name(bin, { std::string(63, '\x01'), std::string(63, '\x02') });
	u16(bin, 1);
	u16(bin, 1);
	ASSERT_EQ(mos_dns_parse(bin.data(), bin.size(), &m, nullptr), MOS_DNS_OK);
	EXPECT_TRUE(m.flags & MOS_DNS_F_TRUNC_NAME);
	EXPECT_LE(m.qname_len, MOS_DNS_NAME_MAX - 1);
	EXPECT_EQ(m.qname_len, 63 * 4 + 1) << "whole escapes only: 63 of them and the dot";
	EXPECT_EQ(strlen(m.qname), m.qname_len);
}

TEST(DnsNames, ErrorNamesAreStable)
{
	EXPECT_STREQ(mos_dns_error_name(MOS_DNS_ERR_POINTER_LOOP), "pointer_loop");
	EXPECT_STREQ(mos_dns_error_name(MOS_DNS_OK), "ok");
	EXPECT_STREQ(mos_dns_error_name((mos_dns_error)99), "?");
}
