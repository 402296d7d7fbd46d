// SPDX-License-Identifier: BSD-3-Clause
// The stream reassembler alone against tshark on the corpus: every capture
// is decoded (mos_decode), each TCP connection gets a minimal tracker (the
// flow engine's job in the product: here just SYN -> initial sequence and
// tshark's connection numbering from truth/<pcap>/conns.tsv), each
// direction's payload goes through one mos_stream (policy linux, window
// large enough for the whole file), and the delivered bytes, holes left out,
// are compared with truth/<pcap>/streams/<flowid>.<dir>. Like tshark, a hole
// is skipped only when the receiver acknowledges beyond it (never at the end
// of the capture). IP fragments go through mos_ipfrag first. Snaplen-
// truncated flows are left out (README: their stream files are unusable).
// Skips when the corpus is absent.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <arpa/inet.h>
#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "shim.h"

namespace {

struct Endpoint {
	mos_addr a;
	uint16_t port;
	bool operator<(const Endpoint &o) const
	{
		int c = memcmp(a.b, o.a.b, 16);
		return c != 0 ? c < 0 : port < o.port;
	}
	bool operator==(const Endpoint &o) const
	{
		return memcmp(a.b, o.a.b, 16) == 0 && port == o.port;
	}
};

struct ConnRow {
	int flowid;
	Endpoint client, server;
	bool truncated;
};

struct Dir {
	mos_stream *s = nullptr;
	int cursor = -1;
	bool syn = false;
	uint32_t isn = 0;
	std::string out;
};

struct Conn {
	const ConnRow *row = nullptr;
	Dir d[2];                      // 0 = c2s, 1 = s2c
	bool closed = false;           // FIN or RST seen
};

bool
parse_addr(const std::string &txt, mos_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (txt.find(':') != std::string::npos)
		return inet_pton(AF_INET6, txt.c_str(), out->b) == 1;
	out->b[10] = 0xff;
	out->b[11] = 0xff;
	return inet_pton(AF_INET, txt.c_str(), out->b + 12) == 1;
}

std::vector<ConnRow>
read_conns(const std::string &path)
{
	std::vector<ConnRow> rows;
	std::ifstream in(path);
	std::string line;
	std::getline(in, line);   // header
	while (std::getline(in, line)) {
		std::vector<std::string> f;
		std::stringstream ss(line);
		std::string x;
		while (std::getline(ss, x, '\t'))
			f.push_back(x);
		if (f.size() < 28)
			continue;
		ConnRow r;
		r.flowid = std::stoi(f[0]);
		if (!parse_addr(f[2], &r.client.a) || !parse_addr(f[4], &r.server.a))
			continue;
		r.client.port = (uint16_t)std::stoi(f[3]);
		r.server.port = (uint16_t)std::stoi(f[5]);
		r.truncated = f[26] != "0" || f[27] != "0";
		rows.push_back(r);
	}
	return rows;
}

std::string
slurp(const std::string &path, bool *exists)
{
	std::ifstream in(path, std::ios::binary);
	*exists = in.good();
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

bool g_skip_on_ack = true;

struct Result {
	int compared = 0, equal = 0, excluded = 0, reassembled = 0;
	std::vector<std::string> diffs;
};

void
drain(Dir &d)
{
	char buf[65536];
	ssize_t n;
	uint64_t lost = 0;
	while ((n = mos_stream_read(d.s, d.cursor, buf, sizeof(buf), &lost)) >= 0)
		d.out.append(buf, (size_t)n);
}

// Run one capture; compare every usable direction.
void
run_pcap(const std::string &corpus, const std::string &name, mos_stream_pool *pool, Result &res)
{
	std::string truth = corpus + "/truth/" + name;
	std::vector<ConnRow> rows = read_conns(truth + "/conns.tsv");
	if (rows.empty())
		return;
	// tshark's numbering: per unordered endpoint pair, connections in order.
	std::map<std::pair<Endpoint, Endpoint>, std::vector<const ConnRow *>> by_pair;
	for (const ConnRow &r : rows) {
		auto k = std::minmax(r.client, r.server);
		by_pair[{k.first, k.second}].push_back(&r);
	}
	std::map<std::pair<Endpoint, Endpoint>, size_t> next_occ;
	std::map<std::pair<Endpoint, Endpoint>, std::unique_ptr<Conn>> live;
	std::vector<std::unique_ptr<Conn>> done;

	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline((corpus + "/pcaps/" + name).c_str(), err);
	if (p == nullptr)
		return;
	int dlt = pcap_datalink(p);
	int link = dlt == DLT_RAW ? MOS_LINK_RAW : dlt;
	pcap_pkthdr *h;
	const u_char *data;
	mos_ipfrag_config fc = {};
	fc.max_datagrams = 64;
	mos_ipfrag_table *frags = mos_ipfrag_create(&fc);
	std::vector<uint8_t> whole(MOS_IPFRAG_OUT_MAX);
	uint64_t pkt_no = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		mos_pkt pkt;
		uint32_t caplen = h->caplen;
		mos_decode(data, h->caplen, h->len, link, 0, &pkt);
		pkt_no++;
		if (pkt.flags & MOS_PKT_F_FRAGMENT) {
			// IP fragments: reassembled first, then handled as one packet.
			int n = mos_ipfrag_push(frags, &pkt, data, pkt_no, whole.data(),
						(uint32_t)whole.size());
			if (n <= 0)
				continue;
			data = whole.data();
			caplen = (uint32_t)n;
			mos_decode(data, caplen, caplen, MOS_LINK_RAW, 0, &pkt);
			res.reassembled++;
		}
		if (pkt.l4_proto != 6)
			continue;
		Endpoint src{pkt.src, pkt.sport}, dst{pkt.dst, pkt.dport};
		auto k = std::minmax(src, dst);
		std::pair<Endpoint, Endpoint> key{k.first, k.second};
		auto it = by_pair.find(key);
		if (it == by_pair.end())
			continue;
		bool syn_only = (pkt.tcp_flags & (MOS_TCP_SYN | MOS_TCP_ACK)) == MOS_TCP_SYN;
		std::unique_ptr<Conn> &c = live[key];
		if (!(pkt.flags & MOS_PKT_F_L4))
			continue;
		if (!c || (c->closed && syn_only && c->d[src == c->row->client ? 0 : 1].isn != pkt.tcp_seq)) {
			size_t occ = next_occ[key]++;
			if (c)
				done.push_back(std::move(c));
			if (occ >= it->second.size())
				continue;
			c = std::make_unique<Conn>();
			c->row = it->second[occ];
		}
		int di = src == c->row->client ? 0 : 1;
		Dir &d = c->d[di];
		if (pkt.tcp_flags & (MOS_TCP_FIN | MOS_TCP_RST))
			c->closed = true;
		if (pkt.tcp_flags & MOS_TCP_SYN) {
			if (!d.syn) {
				d.syn = true;
				d.isn = pkt.tcp_seq;
			}
		}
		uint32_t avail = caplen > pkt.payload_off ? caplen - pkt.payload_off : 0;
		uint32_t len = std::min(pkt.payload_len, avail);
		if (d.s == nullptr && (len > 0 || (pkt.tcp_flags & MOS_TCP_SYN))) {
			mos_stream_config sc = {};
			sc.policy = MOS_STREAM_POLICY_LINUX;
			sc.buf_size = 48u << 20;
			uint32_t init = (pkt.tcp_flags & MOS_TCP_SYN) ? pkt.tcp_seq + 1
				       : d.syn ? d.isn + 1 : pkt.tcp_seq;
			d.s = mos_stream_create(pool, init, &sc);
			if (d.s == nullptr)
				continue;
			d.cursor = mos_stream_cursor_open(d.s);
		}
		if (d.s == nullptr)
			continue;
		unsigned fl = 0;
		if (pkt.tcp_flags & MOS_TCP_SYN)
			fl |= MOS_STREAM_SEG_SYN;
		if (pkt.tcp_flags & MOS_TCP_FIN)
			fl |= MOS_STREAM_SEG_FIN;
		if (pkt.tcp_flags & MOS_TCP_RST)
			fl |= MOS_STREAM_SEG_RST;
		mos_stream_insert(d.s, pkt.tcp_seq, data + pkt.payload_off, len, fl);
		drain(d);
		// The receiver acknowledging beyond a hole: skip it (tshark does the
		// same; without such an ACK it never passes a hole).
		Dir &o = c->d[1 - di];
		if (g_skip_on_ack && (pkt.tcp_flags & MOS_TCP_ACK) && o.s != nullptr) {
			int64_t off = mos_stream_seq_to_off(o.s, pkt.tcp_ack);
			mos_stream_info oi;
			mos_stream_get_info(o.s, &oi);
			if (off > (int64_t)oi.edge && (uint64_t)off <= oi.recv_max) {
				mos_stream_skip_to(o.s, (uint64_t)off);
				drain(o);
			}
		}
	}
	pcap_close(p);
	mos_ipfrag_free(frags);
	for (auto &kv : live)
		if (kv.second)
			done.push_back(std::move(kv.second));
	for (auto &c : done) {
		for (int di = 0; di < 2; di++) {
			Dir &d = c->d[di];
			if (d.s != nullptr) {
				mos_stream_info in;
				mos_stream_get_info(d.s, &in);
				if (!g_skip_on_ack) {
					mos_stream_skip_to(d.s, in.recv_max);   // end of capture: flush
					drain(d);
				}
				mos_stream_destroy(d.s);
				d.s = nullptr;
			}
			if (c->row->truncated) {
				res.excluded++;
				continue;
			}
			bool exists;
			std::string want = slurp(truth + "/streams/" + std::to_string(c->row->flowid) +
						 (di == 0 ? ".c2s" : ".s2c"), &exists);
			if (!exists && d.out.empty())
				continue;
			res.compared++;
			if (want == d.out) {
				res.equal++;
			} else {
				size_t i = 0;
				while (i < want.size() && i < d.out.size() && want[i] == d.out[i])
					i++;
				res.diffs.push_back(name + " flow " + std::to_string(c->row->flowid) +
						    (di == 0 ? " c2s" : " s2c") + ": tshark " +
						    std::to_string(want.size()) + " B, mos " +
						    std::to_string(d.out.size()) + " B, first difference at " +
						    std::to_string(i));
			}
		}
	}
}

class CorpusStream : public ::testing::Test {
protected:
	std::string corpus = MOS_CORPUS_DIR;
	mos_stream_pool *pool = nullptr;

	void SetUp() override
	{
		DIR *d = opendir((corpus + "/pcaps").c_str());
		if (d == nullptr)
			GTEST_SKIP() << "corpus not found at " << corpus;
		closedir(d);
		mos_stream_pool_config pc = {};
		pc.page_size = 16384;
		pc.n_pages = 8192;                 // 128 MiB: whole files fit
		pc.max_streams = 4096;
		pc.max_ranges = 4096;
		pc.n_range_tables = 256;
		pool = mos_stream_pool_create(&pc);
		ASSERT_NE(pool, nullptr);
	}
	void TearDown() override { mos_stream_pool_free(pool); }
};

TEST_F(CorpusStream, CraftedCapturesGiveTheIntendedBytes)
{
	Result res;
	const char *crafted[] = {
		"craft_ooo_reverse.pcap", "craft_rexmit_overlap_same.pcap",
		"craft_ooo_overlap_conflict.pcap", "craft_seq_wrap.pcap",
		"craft_simultaneous_open.pcap", "craft_port_reuse.pcap",
		"craft_keepalive_zerowin.pcap", "craft_syn_rexmit_rst.pcap",
		"craft_vlan_ipv6_ooo.pcap", "craft_fin_before_data.pcap",
		"craft_many_flows.pcap", "craft_tls_sni_split_ooo.pcap",
		"craft_ipfrag_tcp_reversed.pcap",
	};
	for (const char *f : crafted)
		run_pcap(corpus, f, pool, res);
	for (auto &d : res.diffs)
		ADD_FAILURE() << d;
	EXPECT_GE(res.compared, 80);
	EXPECT_EQ(res.equal, res.compared);
}

TEST_F(CorpusStream, WholeCorpusMatchesTsharkStreams)
{
	Result res;
	DIR *d = opendir((corpus + "/pcaps").c_str());
	std::vector<std::string> names;
	while (dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			names.push_back(e->d_name);
	closedir(d);
	std::sort(names.begin(), names.end());
	for (auto &n : names)
		run_pcap(corpus, n, pool, res);
	for (auto &x : res.diffs)
		printf("  differs: %s\n", x.c_str());
	printf("stream directions equal to tshark: %d of %d (%d snaplen-truncated left out; "
	       "%d datagrams reassembled from IP fragments)\n", res.equal, res.compared,
	       res.excluded, res.reassembled);
	EXPECT_GT(res.reassembled, 0);
	ASSERT_GT(res.compared, 600);
	EXPECT_EQ(res.equal, res.compared);
}

} // namespace
