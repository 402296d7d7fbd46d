// SPDX-License-Identifier: BSD-3-Clause
// examples/c/streamdump on a capture the test crafts itself (pktcraft):
// file names (occurrence n of a reused 4-tuple, RFC 5952 IPv6 text), the
// bytes of each direction (out-of-order data merged, an acknowledged hole
// skipped with no filler, empty files for directions without data), the
// same output with one open file at a time, and --no-write reading the
// same bytes while writing nothing. Runs the built binary.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "shim.h"
#include "pktcraft.h"

namespace {

const std::string kBin = std::string(MOS_BINARY_DIR) + "/examples/c/streamdump";

struct Ep {
	bool v6;
	uint8_t a[16];               // IPv4 in a[0..3]
	uint16_t port;
};

using Frame = std::vector<uint8_t>;

Frame tcp(const Ep &src, const Ep &dst, uint32_t seq, uint32_t ack, uint16_t flags,
	  const std::string &data = "")
{
	static struct pc_frame f;
	pc_init(&f);
	pc_eth(&f);
	if (src.v6) {
		struct pc_ipv6 ip;
		pc_ipv6_defaults(&ip);
		memcpy(ip.src, src.a, 16);
		memcpy(ip.dst, dst.a, 16);
		pc_ipv6(&f, &ip);
	} else {
		struct pc_ipv4 ip;
		pc_ipv4_defaults(&ip);
		memcpy(ip.src, src.a, 4);
		memcpy(ip.dst, dst.a, 4);
		pc_ipv4(&f, &ip);
	}
	struct pc_tcp t;
	pc_tcp_defaults(&t);
	t.sport = src.port;
	t.dport = dst.port;
	t.seq = seq;
	t.ack = ack;
	t.flags = flags;
	pc_tcp(&f, &t);
	if (!data.empty())
		pc_payload(&f, data.data(), data.size());
	pc_finish(&f);
	return Frame(f.buf, f.buf + f.len);
}

enum { SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08 };

// A connection with handshake; returns its frames. c2s / s2c are lists of
// (offset, bytes) segments sent in that order; @hole_ack: the client
// acknowledges @hole_ack bytes of the server's stream at the end.
std::vector<Frame> conn(const Ep &c, const Ep &s, uint32_t ci, uint32_t si,
			const std::vector<std::pair<uint32_t, std::string>> &c2s,
			const std::vector<std::pair<uint32_t, std::string>> &s2c, uint32_t c_end,
			uint32_t s_end, bool rst_close)
{
	std::vector<Frame> v;
	v.push_back(tcp(c, s, ci, 0, SYN));
	v.push_back(tcp(s, c, si, ci + 1, SYN | ACK));
	v.push_back(tcp(c, s, ci + 1, si + 1, ACK));
	for (auto &seg : c2s)
		v.push_back(tcp(c, s, ci + 1 + seg.first, si + 1, ACK | PSH, seg.second));
	for (auto &seg : s2c)
		v.push_back(tcp(s, c, si + 1 + seg.first, ci + 1 + c_end, ACK | PSH, seg.second));
	v.push_back(tcp(c, s, ci + 1 + c_end, si + 1 + s_end, ACK));   // acknowledges everything
	if (rst_close) {
		v.push_back(tcp(c, s, ci + 1 + c_end, si + 1 + s_end, RST | ACK));
	} else {
		v.push_back(tcp(c, s, ci + 1 + c_end, si + 1 + s_end, FIN | ACK));
		v.push_back(tcp(s, c, si + 1 + s_end, ci + 2 + c_end, FIN | ACK));
		v.push_back(tcp(c, s, ci + 2 + c_end, si + 2 + s_end, ACK));
	}
	return v;
}

Ep v4(uint8_t last, uint16_t port)
{
	Ep e{false, {10, 1, 0, last}, port};
	return e;
}

Ep v6(const uint8_t (&a)[16], uint16_t port)
{
	Ep e{true, {}, port};
	memcpy(e.a, a, 16);
	return e;
}

std::string slurp(const std::string &path, bool *ok = nullptr)
{
	std::ifstream in(path, std::ios::binary);
	if (ok)
		*ok = in.good();
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

std::map<std::string, std::string> read_dir(const std::string &dir)
{
	std::map<std::string, std::string> m;
	DIR *d = opendir(dir.c_str());
	if (d == nullptr)
		return m;
	while (dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			m[e->d_name] = slurp(dir + "/" + e->d_name);
	closedir(d);
	return m;
}

void rm_rf(const std::string &dir)
{
	for (auto &kv : read_dir(dir))
		unlink((dir + "/" + kv.first).c_str());
	rmdir(dir.c_str());
}

class Streamdump : public ::testing::Test {
protected:
	std::string tmp, pcap;

	void SetUp() override
	{
		struct stat st;
		ASSERT_EQ(stat(kBin.c_str(), &st), 0) << kBin << " not built";
		char tmpl[] = "/tmp/mos_sd_unit_XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		tmp = tmpl;
		pcap = tmp + "/t.pcap";
		write_capture();
	}
	void TearDown() override
	{
		for (const char *d : {"/a", "/b", "/c"})
			rm_rf(tmp + d);
		unlink(pcap.c_str());
		rmdir(tmp.c_str());
	}

	// Two IPv4 connections on one 4-tuple (FIN, then RST close), an IPv6
	// connection with reordered client data and a hole in the server's
	// data that the client acknowledges, an IPv4 connection without data;
	// the first and third interleaved frame by frame.
	void write_capture()
	{
		static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
		static const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
		std::vector<Frame> x = conn(v4(1, 40000), v4(2, 80), 1000, 5000,
					    {{0, "GET "}, {4, "/a\r\n"}}, {{0, "first "}, {6, "answer"}}, 8,
					    12, false);
		std::vector<Frame> y = conn(v4(1, 40000), v4(2, 80), 900000, 7000,
					    {{0, "GET /b\r\n"}}, {{0, "second"}}, 8, 6, true);
		x.insert(x.end(), y.begin(), y.end());
		std::vector<Frame> z = conn(v6(a6, 40001), v6(b6, 443), 0xfffffff0u, 300,
					    {{5, "world"}, {0, "hello"}},
					    {{0, "AAAA"}, {8, "CCCC"}}, 10, 12, false);
		std::vector<Frame> w = conn(v4(3, 40002), v4(4, 25), 1, 2, {}, {}, 0, 0, true);
		z.insert(z.end(), w.begin(), w.end());
		FILE *fp = pc_pcap_open(pcap.c_str(), 1);
		ASSERT_NE(fp, nullptr);
		uint64_t ts = 1700000000000000000ull;
		for (size_t i = 0; i < std::max(x.size(), z.size()); i++)
			for (auto *v : {&x, &z})
				if (i < v->size()) {
					const Frame &f = (*v)[i];
					ASSERT_EQ(pc_pcap_write(fp, f.data(), (uint32_t)f.size(),
								(uint32_t)f.size(), ts), 0);
					ts += 1000000;
				}
		ASSERT_EQ(pc_pcap_close(fp), 0);
	}

	// Run with @args; returns the exit status, stderr in *err.
	int run(const std::string &args, std::string *err = nullptr)
	{
		std::string e = tmp + "/stderr";
		int rc = system((kBin + " " + args + " 2>" + e + " >/dev/null").c_str());
		if (err)
			*err = slurp(e);
		unlink(e.c_str());
		return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	}
};

const std::map<std::string, std::string> kExpected = {
	{"10.1.0.1_40000-10.1.0.2_80_0.c2s", "GET /a\r\n"},
	{"10.1.0.1_40000-10.1.0.2_80_0.s2c", "first answer"},
	{"10.1.0.1_40000-10.1.0.2_80_1.c2s", "GET /b\r\n"},
	{"10.1.0.1_40000-10.1.0.2_80_1.s2c", "second"},
	{"2001:db8::1:0:0:1_40001-2001:db8::2_443_0.c2s", "helloworld"},
	{"2001:db8::1:0:0:1_40001-2001:db8::2_443_0.s2c", "AAAACCCC"},
	{"10.1.0.3_40002-10.1.0.4_25_0.c2s", ""},
	{"10.1.0.3_40002-10.1.0.4_25_0.s2c", ""},
};

TEST_F(Streamdump, NamesCountTupleOccurrencesAndWriteIpv6AsRfc5952)
{
	ASSERT_EQ(run("-q -r " + pcap + " -o " + tmp + "/a"), 0);
	EXPECT_EQ(read_dir(tmp + "/a"), kExpected);
}

TEST_F(Streamdump, OneOpenFileAtATimeGivesTheSameFiles)
{
	ASSERT_EQ(run("-q --burst 1 --max-open 1 -r " + pcap + " -o " + tmp + "/b"), 0);
	EXPECT_EQ(read_dir(tmp + "/b"), kExpected);
}

TEST_F(Streamdump, RerunReplacesOldFilesInsteadOfAppending)
{
	ASSERT_EQ(run("-q -r " + pcap + " -o " + tmp + "/a"), 0);
	ASSERT_EQ(run("-q --max-open 1 -r " + pcap + " -o " + tmp + "/a"), 0);
	EXPECT_EQ(read_dir(tmp + "/a"), kExpected);
}

TEST_F(Streamdump, NoWriteReadsEveryByteAndWritesNothing)
{
	std::string err;
	ASSERT_EQ(run("--no-write -r " + pcap + " -o " + tmp + "/c", &err), 0);
	struct stat st;
	EXPECT_NE(stat((tmp + "/c").c_str(), &st), 0) << "--no-write created the directory";
	uint64_t c2s = 0, s2c = 0, sum = 0;
	for (auto &kv : kExpected) {
		bool is_c2s = kv.first.compare(kv.first.size() - 4, 4, ".c2s") == 0;
		(is_c2s ? c2s : s2c) += kv.second.size();
		for (unsigned char ch : kv.second)
			sum += ch;
	}
	char want[256];
	snprintf(want, sizeof(want), "4 connections, bytes c2s %" PRIu64 " s2c %" PRIu64
		 ", checksum %" PRIu64 ", 0 files", c2s, s2c, sum);
	EXPECT_NE(err.find(want), std::string::npos) << "summary: " << err << "wanted: " << want;
	EXPECT_NE(err.find("gap bytes c2s 0 s2c 4"), std::string::npos) << err;
}

TEST_F(Streamdump, UnknownPolicyIsAUsageError)
{
	std::string err;
	EXPECT_EQ(run("--policy nosuch -r " + pcap + " -o " + tmp + "/a", &err), 2);
	EXPECT_NE(err.find("unknown policy 'nosuch'"), std::string::npos) << err;
	struct stat st;
	EXPECT_NE(stat((tmp + "/a").c_str(), &st), 0);
}

}  // namespace

namespace {

TEST_F(Streamdump, UnwritableOutputEndsWithStatusOne)
{
	std::string notdir = tmp + "/a";
	FILE *fp = fopen(notdir.c_str(), "w");   // a file where the directory should be
	ASSERT_NE(fp, nullptr);
	fclose(fp);
	std::string err;
	EXPECT_EQ(run("-q -r " + pcap + " -o " + notdir, &err), 1);
	EXPECT_NE(err.find("Not a directory"), std::string::npos) << err;
	unlink(notdir.c_str());
}

}  // namespace
