// SPDX-License-Identifier: BSD-3-Clause
// Tests of the SSH identification-string parser (stdlib/parsers/ssh.h):
// client and server banners, pre-banner lines, every split, limits, errors.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "parsers/ssh.h"
}

namespace {

struct SshRun {
	mos_ssh_dir s;
	mos_ssh_stats st{};
	std::string log;

	SshRun() { mos_ssh_init(&s, &st); }

	void chunk(const std::string &b)
	{
		size_t off = 0;
		for (;;) {
			size_t used = 0;
			auto ev = mos_ssh_feed(&s, (const uint8_t *)b.data() + off, b.size() - off, &used);
			off += used;
			if (ev == MOS_SSH_NEED_MORE) {
				EXPECT_EQ(off, b.size());
				return;
			}
			if (ev == MOS_SSH_BANNER)
				log += "BANNER " + std::string(s.banner.proto) + "|" + s.banner.software +
				       "|" + s.banner.comments + "|pre=" + std::to_string(s.banner.pre_lines) +
				       "|off=" + std::to_string(s.banner.stream_offset) + "\n";
			else
				log += std::string("ERR ") + mos_ssh_error_name((mos_ssh_error)s.error) + "\n";
		}
	}
	void feed(const std::string &b, size_t step = 0)
	{
		if (!step)
			step = b.empty() ? 1 : b.size();
		for (size_t i = 0; i < b.size(); i += step)
			chunk(b.substr(i, step));
	}
};

void expect_split_invariant(const std::string &b)
{
	SshRun ref;
	ref.feed(b);
	for (size_t cut = 0; cut <= b.size(); cut++) {
		SshRun r;
		r.chunk(b.substr(0, cut));
		r.chunk(b.substr(cut));
		ASSERT_EQ(r.log, ref.log) << "split at " << cut;
	}
	SshRun r;
	r.feed(b, 1);
	ASSERT_EQ(r.log, ref.log) << "byte by byte";
}

} // namespace

TEST(SshBanner, ServerBannerWithCommentsAndPreLines)
{
	std::string s = "Welcome to host\r\nauthorized use only\r\n"
			"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n\x00\x00\x01\x2c binary kex";
	SshRun r;
	r.feed(s);
	EXPECT_EQ(r.log, "BANNER 2.0|OpenSSH_9.2p1|Debian-2+deb12u3|pre=2|off=38\n");
	EXPECT_EQ(r.st.banners, 1u);
	EXPECT_EQ(r.st.pre_lines, 2u);
	expect_split_invariant(s);
}

TEST(SshBanner, ClientBannerWithLfOnlyAndNoComments)
{
	SshRun r;
	r.feed("SSH-1.99-libssh-0.9.6\n");
	EXPECT_EQ(r.log, "BANNER 1.99|libssh-0.9.6||pre=0|off=0\n");
	EXPECT_EQ(r.s.banner.comments_len, 0);
	EXPECT_EQ(r.s.banner.software_len, 12);
}

TEST(SshBanner, CutShortNeedsMoreAndReportsNothing)
{
	std::string s = "SSH-2.0-PuTTY_Release_0.78\r\n";
	for (size_t n = 0; n < s.size(); n++) {
		SshRun r;
		r.feed(s.substr(0, n));
		EXPECT_EQ(r.log, "") << n;
	}
	expect_split_invariant(s);
}

TEST(SshBanner, LongestLineIsAcceptedOneMoreIsTooLong)
{
	std::string ok = "SSH-2.0-" + std::string(MOS_SSH_LINE_MAX - 10, 'v') + "\r\n";
	ASSERT_EQ(ok.size(), (size_t)MOS_SSH_LINE_MAX);
	SshRun a;
	a.feed(ok, 5);
	EXPECT_EQ(a.st.banners, 1u) << a.log;
	std::string bad = "SSH-2.0-" + std::string(MOS_SSH_LINE_MAX - 9, 'v') + "\r\n";
	SshRun b;
	b.feed(bad, 5);
	EXPECT_EQ(b.log, "ERR line_too_long\n");
	expect_split_invariant(bad);
}

TEST(SshErrors, EachMalformedStreamHasItsNamedOutcome)
{
	struct Case {
		std::string bytes;
		const char *want;
	} cases[] = {
		{ "SSH-2.0\r\n", "ERR bad_banner\n" },
		{ "SSH--OpenSSH\r\n", "ERR bad_banner\n" },
		{ "SSH-2.0-\r\n", "ERR bad_banner\n" },
		{ "SSH-2.0 x-y\r\n", "ERR bad_banner\n" },
		{ std::string("\x16\x03\x01\x02\x00\x01", 6), "ERR not_ssh\n" },
		{ std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "" },
	};
	for (auto &k : cases) {
		SshRun r;
		r.feed(k.bytes);
		EXPECT_EQ(r.log, k.want) << k.bytes;
	}
	std::string many;
	for (int i = 0; i <= MOS_SSH_MAX_PRE_LINES; i++)
		many += "line\r\n";
	SshRun r;
	r.feed(many + "SSH-2.0-x\r\n");
	EXPECT_EQ(r.log, "ERR not_ssh\n");
	EXPECT_EQ(r.st.errors[MOS_SSH_ERR_NOT_SSH], 1u);

	SshRun g;
	g.feed("SSH-2.");
	EXPECT_EQ(mos_ssh_gap(&g.s, 4), MOS_SSH_ERROR);
	EXPECT_EQ(g.st.errors[MOS_SSH_ERR_GAP], 1u);
}

TEST(SshBanner, ParseLineIsPure)
{
	mos_ssh_banner b{};
	ASSERT_EQ(mos_ssh_parse_line("SSH-2.0-dropbear_2022.83\r", 25, &b), 0);
	EXPECT_STREQ(b.software, "dropbear_2022.83");
	EXPECT_STREQ(b.proto, "2.0");
	EXPECT_NE(mos_ssh_parse_line("HTTP/1.1 200", 12, &b), 0);
	std::string longproto = "SSH-" + std::string(40, '9') + "-x";
	ASSERT_EQ(mos_ssh_parse_line(longproto.data(), longproto.size(), &b), 0);
	EXPECT_TRUE(b.proto_truncated);
	EXPECT_EQ(b.proto_len, MOS_SSH_PROTO_MAX - 1);
}
