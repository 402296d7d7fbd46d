// SPDX-License-Identifier: BSD-3-Clause
// Cross-check of the parsers against independent tools on the shared corpus.
// HTTP and TLS against tshark's truth files: every reassembled stream (truth/<pcap>/streams/<flow>.c2s|.s2c,
// holes from gaps.tsv announced as gaps) goes through the parsers; requests
// (method, host, uri), response statuses, ClientHello SNIs and ServerHello
// versions are compared per flow, as multisets, with truth/<pcap>/app.tsv.
// Skips when ${MOS_CORPUS_DIR} is absent. Flows whose capture is cut by the
// snaplen (conns.tsv trunc_* > 0) are left out, as the corpus README asks.
// JA3/JA3S against nDPI's published values. DNS (datagrams read with libpcap)
// and SSH banners against tshark run by the test (skipped without tshark).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <cstdio>
#ifdef MOS_HAVE_PCAP
#include <pcap/pcap.h>
#endif

extern "C" {
#include "parsers/dns.h"
#include "parsers/http.h"
#include "parsers/ssh.h"
#include "parsers/tls.h"
}

namespace fs = std::filesystem;

namespace {

using Multiset = std::map<std::string, int>;

std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> out;
	std::string cur;
	std::istringstream in(s);
	while (std::getline(in, cur, sep))
		out.push_back(cur);
	if (!s.empty() && s.back() == sep)
		out.push_back("");
	if (s.empty())
		out.push_back("");
	return out;
}

// Rows of a TSV file as name → value maps.
std::vector<std::map<std::string, std::string>> read_tsv(const fs::path &p)
{
	std::vector<std::map<std::string, std::string>> rows;
	std::ifstream in(p);
	std::string line;
	if (!std::getline(in, line))
		return rows;
	auto head = split(line, '\t');
	while (std::getline(in, line)) {
		auto f = split(line, '\t');
		std::map<std::string, std::string> r;
		for (size_t i = 0; i < head.size(); i++)
			r[head[i]] = i < f.size() ? f[i] : "";
		rows.push_back(r);
	}
	return rows;
}

std::string slurp(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The k-th of n '|'-joined values (a value may itself hold '|': then n == 1).
std::string pick(const std::string &col, size_t k, size_t n)
{
	if (n == 1)
		return col;
	auto v = split(col, '|');
	return v.size() == n && k < n ? v[k] : col;
}

// tshark's app.tsv rows → keys per flow.
std::map<std::string, Multiset> truth_keys(const fs::path &dir)
{
	std::map<std::string, Multiset> out;
	for (auto &r : read_tsv(dir / "app.tsv")) {
		Multiset &m = out[r["flowid"]];
		if (!r["http_method"].empty()) {
			size_t n = split(r["http_method"], '|').size();
			for (size_t k = 0; k < n; k++)
				m["REQ " + pick(r["http_method"], k, n) + " " + pick(r["http_host"], k, n) +
				  " " + pick(r["http_uri"], k, n)]++;
		}
		if (!r["http_status"].empty())
			for (auto &s : split(r["http_status"], '|'))
				m["RESP " + s]++;
		if (!r["tls_hs_type"].empty()) {
			auto types = split(r["tls_hs_type"], '|');
			auto snis = split(r["tls_sni"], '|');
			size_t ci = 0;
			for (auto &t : types) {
				if (t == "1")
					m["CH " + (ci < snis.size() ? snis[ci++] : std::string())]++;
				else if (t == "2")
					m["SH " + r["tls_hs_version"]]++;
			}
		}
	}
	return out;
}

struct Gap {
	size_t offset;      // file offset of the hole
	uint64_t missing;   // bytes lost
};

void run_http(mos_http_conn *c, int dir, const std::string &data, const std::vector<Gap> &gaps,
	      Multiset &m)
{
	size_t off = 0;
	auto note = [&](mos_http_event ev) {
		char buf[MOS_HTTP_URI_MAX + 512];
		if (ev == MOS_HTTP_REQUEST) {
			snprintf(buf, sizeof(buf), "REQ %s %s %s", c->req.method, c->req.host, c->req.uri);
			m[buf]++;
		} else if (ev == MOS_HTTP_RESPONSE) {
			snprintf(buf, sizeof(buf), "RESP %u", c->resp.status);
			m[buf]++;
		}
	};
	auto feed = [&](size_t end) {
		while (true) {
			size_t used;
			auto ev = mos_http_feed(c, (mos_http_dir_id)dir,
						(const uint8_t *)data.data() + off, end - off, &used);
			off += used;
			if (ev == MOS_HTTP_NEED_MORE)
				break;
			note(ev);
		}
	};
	for (const Gap &g : gaps) {
		feed(std::min(g.offset, data.size()));
		note(mos_http_gap(c, (mos_http_dir_id)dir, g.missing));
	}
	feed(data.size());
	note(mos_http_eof(c, (mos_http_dir_id)dir));
}

void run_tls(const std::string &data, const std::vector<Gap> &gaps, Multiset &m)
{
	static uint8_t buf[MOS_TLS_HS_BUF_DEFAULT];
	mos_tls_dir t;
	ASSERT_EQ(mos_tls_init(&t, buf, sizeof(buf), nullptr), 0);
	size_t end = gaps.empty() ? data.size() : std::min(gaps[0].offset, data.size());
	size_t used;
	auto ev = mos_tls_feed(&t, (const uint8_t *)data.data(), end, &used);
	char tmp[MOS_TLS_SNI_MAX + 16];
	if (ev == MOS_TLS_CLIENT_HELLO) {
		snprintf(tmp, sizeof(tmp), "CH %s", t.hello.sni);
		m[tmp]++;
	} else if (ev == MOS_TLS_SERVER_HELLO) {
		snprintf(tmp, sizeof(tmp), "SH 0x%04x", t.hello.legacy_version);
		m[tmp]++;
	}
}

// JA3/JA3S MD5s (or JA4s) ours would give for every stream of a pcap.
Multiset our_ja3(const fs::path &streams, const char *ext, bool ja4 = false)
{
	Multiset m;
	static uint8_t buf[MOS_TLS_HS_BUF_DEFAULT];
	for (auto &e : fs::directory_iterator(streams)) {
		if (e.path().extension() != ext)
			continue;
		std::string d = slurp(e.path());
		mos_tls_dir t;
		size_t used;
		mos_tls_init(&t, buf, sizeof(buf), nullptr);
		auto ev = mos_tls_feed(&t, (const uint8_t *)d.data(), d.size(), &used);
		if (ev == MOS_TLS_CLIENT_HELLO || ev == MOS_TLS_SERVER_HELLO)
			m[ja4 ? t.hello.ja4 : t.hello.ja3_md5]++;
	}
	return m;
}

// "[JA3C: <md5>]" / "[JA3S: <md5>]" of nDPI's published per-flow lines.
Multiset ndpi_ja3(const fs::path &out, const std::string &tag)
{
	Multiset m;
	std::ifstream in(out);
	std::string line;
	while (std::getline(in, line)) {
		size_t p = line.find("[" + tag + ": ");
		if (p != std::string::npos)
			m[line.substr(p + tag.size() + 3, 32)]++;
	}
	return m;
}

} // namespace

// nDPI (an independent implementation) publishes JA3C/JA3S per flow for its
// test pcaps: every one of them must be among ours.
TEST(CorpusParsers, Ja3AndJa3sAgreeWithNdpi)
{
	fs::path root = fs::path(MOS_CORPUS_DIR);
	if (!fs::is_directory(root / "expected"))
		GTEST_SKIP() << "corpus not found at " << root;
	long want = 0, found = 0;
	for (auto &e : fs::directory_iterator(root / "expected")) {
		std::string name = e.path().filename().string();
		if (name.rfind("ndpi_", 0) != 0 || !fs::is_directory(e.path()))
			continue;
		fs::path streams;
		for (auto &t : fs::directory_iterator(root / "truth"))
			if (t.path().filename().string().rfind(name + ".", 0) == 0)
				streams = t.path() / "streams";
		if (streams.empty())
			continue;
		for (auto &o : fs::directory_iterator(e.path())) {
			for (auto [tag, ext] : { std::pair<std::string, const char *>{ "JA3C", ".c2s" },
						 { "JA3S", ".s2c" } }) {
				Multiset theirs = ndpi_ja3(o.path(), tag), ours = our_ja3(streams, ext);
				for (auto &kv : theirs) {
					want += kv.second;
					int have = ours.count(kv.first) ? ours[kv.first] : 0;
					found += std::min(have, kv.second);
					EXPECT_GE(have, kv.second) << name << " " << tag << " " << kv.first;
				}
			}
		}
	}
	printf("nDPI JA3C/JA3S values found among ours: %ld/%ld\n", found, want);
	EXPECT_GT(want, 0);
}

// Suricata-verify tests that check a JA4 ("tls.ja4: <value>" in test.yaml).
TEST(CorpusParsers, Ja4AgreesWithSuricataVerify)
{
	fs::path root = fs::path(MOS_CORPUS_DIR);
	if (!fs::is_directory(root / "expected"))
		GTEST_SKIP() << "corpus not found at " << root;
	long want = 0, found = 0;
	for (auto &e : fs::directory_iterator(root / "expected")) {
		std::string name = e.path().filename().string();
		if (!fs::is_directory(e.path()))
			continue;
		Multiset theirs;
		for (auto &f : fs::directory_iterator(e.path())) {
			std::ifstream in(f.path());
			std::string line;
			while (std::getline(in, line)) {
				size_t p = line.find("tls.ja4: ");
				if (p != std::string::npos)
					theirs[line.substr(p + 9, 36)]++;
			}
		}
		if (theirs.empty())
			continue;
		fs::path streams;
		for (auto &t : fs::directory_iterator(root / "truth"))
			if (t.path().filename().string().rfind(name + ".", 0) == 0)
				streams = t.path() / "streams";
		ASSERT_FALSE(streams.empty()) << name;
		Multiset ours = our_ja3(streams, ".c2s", true);
		for (auto &kv : theirs) {
			want += kv.second;
			int have = ours.count(kv.first) ? ours[kv.first] : 0;
			found += std::min(have, kv.second);
			EXPECT_GE(have, kv.second) << name << " JA4 " << kv.first;
		}
	}
	printf("suricata-verify JA4 values found among ours: %ld/%ld\n", found, want);
	EXPECT_GT(want, 0);
}

TEST(CorpusParsers, HttpAndTlsFieldsAgreeWithTshark)
{
	fs::path root = fs::path(MOS_CORPUS_DIR) / "truth";
	if (!fs::is_directory(root))
		GTEST_SKIP() << "corpus not found at " << root;

	std::vector<fs::path> dirs;
	for (auto &e : fs::directory_iterator(root))
		if (fs::exists(e.path() / "app.tsv"))
			dirs.push_back(e.path());
	std::sort(dirs.begin(), dirs.end());

	std::map<std::string, std::pair<long, long>> per_kind;   // kind → (truth, matched)
	long truth_total = 0, matched = 0, extra = 0, skipped_trunc = 0;
	std::ostringstream diffs;
	mos_http_stats hst{};

	for (const fs::path &dir : dirs) {
		auto truth = truth_keys(dir);
		std::map<std::string, std::map<std::string, std::vector<Gap>>> gaps;
		for (auto &r : read_tsv(dir / "gaps.tsv"))
			gaps[r["flowid"]][r["dir"]].push_back(
				{ std::stoul(r["offset"]), std::stoull(r["missing"]) });
		std::map<std::string, bool> truncated;
		for (auto &r : read_tsv(dir / "conns.tsv"))
			truncated[r["flowid"]] = r["trunc_c2s"] != "0" || r["trunc_s2c"] != "0";

		std::map<std::string, Multiset> ours;
		if (fs::is_directory(dir / "streams")) {
			for (auto &e : fs::directory_iterator(dir / "streams")) {
				if (e.path().extension() != ".c2s")
					continue;
				std::string flow = e.path().stem().string();
				std::string c2s = slurp(e.path());
				std::string s2c = slurp(dir / "streams" / (flow + ".s2c"));
				Multiset &m = ours[flow];
				mos_http_conn c;
				mos_http_init(&c, nullptr, &hst, true);
				run_http(&c, 0, c2s, gaps[flow]["c2s"], m);
				run_http(&c, 1, s2c, gaps[flow]["s2c"], m);
				run_tls(c2s, gaps[flow]["c2s"], m);
				run_tls(s2c, gaps[flow]["s2c"], m);
			}
		}
		std::map<std::string, bool> flows;
		for (auto &t : truth)
			flows[t.first] = true;
		for (auto &o : ours)
			flows[o.first] = true;
		for (auto &f : flows) {
			const std::string &flow = f.first;
			Multiset &t = truth[flow], &o = ours[flow];
			if (truncated[flow]) {
				for (auto &kv : t)
					skipped_trunc += kv.second;
				continue;
			}
			for (auto &kv : t) {
				int have = o.count(kv.first) ? o[kv.first] : 0;
				int ok = std::min(have, kv.second);
				std::string kind = kv.first.substr(0, kv.first.find(' '));
				per_kind[kind].first += kv.second;
				per_kind[kind].second += ok;
				truth_total += kv.second;
				matched += ok;
				if (ok < kv.second)
					diffs << "  missing " << dir.filename().string() << " flow " << flow
					      << " x" << (kv.second - ok) << ": " << kv.first.substr(0, 160) << "\n";
			}
			for (auto &kv : o) {
				int want = t.count(kv.first) ? t[kv.first] : 0;
				if (kv.second > want) {
					extra += kv.second - want;
					diffs << "  extra   " << dir.filename().string() << " flow " << flow
					      << " x" << (kv.second - want) << ": " << kv.first.substr(0, 160) << "\n";
				}
			}
		}
	}

	double agree = truth_total ? 100.0 * (double)matched / (double)truth_total : 0;
	printf("corpus: %zu pcaps, tshark entries %ld, matched %ld (%.2f%%), extra %ld, "
	       "left out (snaplen-cut flows) %ld\n",
	       dirs.size(), truth_total, matched, agree, extra, skipped_trunc);
	for (auto &k : per_kind)
		printf("  %-4s %ld/%ld\n", k.first.c_str(), k.second.second, k.second.first);
	printf("http errors:");
	for (int e = 1; e < MOS_HTTP_ERR__COUNT; e++)
		if (hst.errors[e])
			printf(" %s=%llu", mos_http_error_name((mos_http_error)e),
			       (unsigned long long)hst.errors[e]);
	printf("\ndifferences:\n%s", diffs.str().c_str());
	EXPECT_GT(truth_total, 0);
	EXPECT_GE(agree, 99.5) << diffs.str();
}

namespace {

// Output lines of a command (empty when it cannot run).
std::vector<std::string> command_lines(const std::string &cmd)
{
	std::vector<std::string> out;
	FILE *f = popen(cmd.c_str(), "r");
	if (!f)
		return out;
	char buf[65536];
	while (fgets(buf, sizeof(buf), f)) {
		std::string l(buf);
		while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
			l.pop_back();
		out.push_back(l);
	}
	pclose(f);
	return out;
}

bool have_tshark()
{
	return system("tshark -v >/dev/null 2>&1") == 0;
}

#ifdef MOS_HAVE_PCAP
// UDP payload of an Ethernet frame (VLAN tags, IPv4 unfragmented, IPv6 with
// UDP as the first next header); false when it is not that.
bool udp_payload(const uint8_t *p, size_t n, const uint8_t **pl, size_t *pn, uint16_t *sport,
		 uint16_t *dport)
{
	size_t off = 12;
	if (n < 14)
		return false;
	uint16_t et = (uint16_t)(p[off] << 8 | p[off + 1]);
	off += 2;
	while ((et == 0x8100 || et == 0x88a8) && n >= off + 4) {
		et = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 4;
	}
	size_t l4;
	if (et == 0x0800 && n >= off + 20) {
		size_t ihl = (size_t)(p[off] & 15) * 4;
		bool frag = ((p[off + 6] & 0x3f) | p[off + 7]) != 0;
		if (p[off + 9] != 17 || frag || n < off + ihl + 8)
			return false;
		l4 = off + ihl;
	} else if (et == 0x86dd && n >= off + 48) {
		if (p[off + 6] != 17)
			return false;
		l4 = off + 40;
	} else {
		return false;
	}
	*sport = (uint16_t)(p[l4] << 8 | p[l4 + 1]);
	*dport = (uint16_t)(p[l4 + 2] << 8 | p[l4 + 3]);
	size_t ulen = (size_t)(p[l4 + 4] << 8 | p[l4 + 5]);
	if (ulen < 8 || l4 + ulen > n)
		return false;
	*pl = p + l4 + 8;
	*pn = ulen - 8;
	return true;
}

std::string addr_text(const mos_dns_addr &a)
{
	char buf[INET6_ADDRSTRLEN];
	inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.addr, buf, sizeof(buf));
	return buf;
}
#endif

} // namespace

// Every DNS message tshark sees in the corpus: id, QR, first question name and
// type, rcode, answer count and the first A/AAAA addresses must be equal.
TEST(CorpusParsers, DnsMessagesAgreeWithTshark)
{
#ifndef MOS_HAVE_PCAP
	GTEST_SKIP() << "built without libpcap";
#else
	fs::path pcaps = fs::path(MOS_CORPUS_DIR) / "pcaps";
	if (!fs::is_directory(pcaps))
		GTEST_SKIP() << "corpus not found at " << pcaps;
	if (!have_tshark())
		GTEST_SKIP() << "tshark not installed";
	long total = 0, agree = 0;
	for (auto &e : fs::directory_iterator(pcaps)) {
		std::string path = e.path().string();
		// tshark only where its own truth counts UDP frames (saves ~20 s)
		bool udp = false;
		for (auto &r : read_tsv(fs::path(MOS_CORPUS_DIR) / "truth" / e.path().filename() /
					"proto_counts.tsv"))
			if (r["filter"] == "udp" && r["frames"] != "0")
				udp = true;
		if (!udp)
			continue;
		auto lines = command_lines(
			"tshark -n -r '" + path + "' -Y 'dns && udp' -T fields -E separator=/t "
			"-e frame.number -e dns.id -e dns.flags.response -e dns.qry.name "
			"-e dns.qry.type -e dns.flags.rcode -e dns.count.answers -e dns.a "
			"-e dns.aaaa -e dns.resp.type 2>/dev/null");
		if (lines.empty())
			continue;
		std::map<long, std::string> ours;
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(path.c_str(), err);
		ASSERT_NE(pc, nullptr) << err;
		struct pcap_pkthdr *h;
		const u_char *d;
		long frame = 0;
		while (pcap_next_ex(pc, &h, &d) == 1) {
			frame++;
			const uint8_t *pl;
			size_t pn;
			uint16_t sp, dp;
			if (!udp_payload(d, h->caplen, &pl, &pn, &sp, &dp) || (sp != 53 && dp != 53))
				continue;
			mos_dns_msg m;
			if (mos_dns_parse(pl, pn, &m, nullptr) != MOS_DNS_OK) {
				ours[frame] = "error";
				continue;
			}
			char buf[512];
			snprintf(buf, sizeof(buf), "0x%04x\t%d\t%s\t%u\t%s\t%u", m.id, m.response ? 1 : 0,
				 m.qname, m.qtype, m.response ? std::to_string(m.rcode).c_str() : "",
				 m.ancount);
			std::string a4, a6;
			for (unsigned i = 0; i < m.n_addrs; i++) {
				std::string &s = m.addrs[i].family == 4 ? a4 : a6;
				s += (s.empty() ? "" : ",") + addr_text(m.addrs[i]);
			}
			ours[frame] = std::string(buf) + "\t" + a4 + "\t" + a6;
		}
		pcap_close(pc);
		for (auto &l : lines) {
			auto f = split(l, '\t');
			f.resize(10);
			// tshark lists the A/AAAA of every section; the answers are the
			// first ancount records (dns.resp.type, in message order), and we
			// keep the first MOS_DNS_MAX_ADDRS of them
			auto types = split(f[9], ','), a = split(f[7], ','), aaaa = split(f[8], ',');
			size_t na = 0, n6 = 0, kept = 0, an = f[6].empty() ? 0 : std::stoul(f[6]);
			std::string a4, a6;
			for (size_t k = 0; k < types.size() && k < an; k++) {
				std::string *dst = nullptr, v;
				if (types[k] == "1" && na < a.size()) {
					dst = &a4;
					v = a[na++];
				} else if (types[k] == "28" && n6 < aaaa.size()) {
					dst = &a6;
					v = aaaa[n6++];
				}
				if (dst && kept < MOS_DNS_MAX_ADDRS) {
					*dst += (dst->empty() ? "" : ",") + v;
					kept++;
				}
			}
			f[7] = a4;
			f[8] = a6;
			std::string want = f[1] + "\t" + f[2] + "\t" + f[3] + "\t" + f[4] + "\t" + f[5] +
					   "\t" + f[6] + "\t" + f[7] + "\t" + f[8];
			long fr = std::stol(f[0]);
			total++;
			if (ours[fr] == want)
				agree++;
			else
				ADD_FAILURE() << e.path().filename() << " frame " << fr << "\n  tshark: "
					      << want << "\n  ours:   " << ours[fr];
		}
	}
	printf("DNS messages equal to tshark's: %ld/%ld\n", agree, total);
	EXPECT_GT(total, 0);
#endif
}

// SSH identification lines of the reassembled streams against tshark's
// ssh.protocol of the same connection (tcp.stream = flow id).
TEST(CorpusParsers, SshBannersAgreeWithTshark)
{
	fs::path root = fs::path(MOS_CORPUS_DIR);
	if (!fs::is_directory(root / "truth"))
		GTEST_SKIP() << "corpus not found at " << root;
	if (!have_tshark())
		GTEST_SKIP() << "tshark not installed";
	long total = 0, agree = 0, ours_n = 0;
	for (auto &e : fs::directory_iterator(root / "pcaps")) {
		std::string name = e.path().filename().string();
		Multiset theirs, ours;
		fs::path streams = root / "truth" / name / "streams";
		if (!fs::is_directory(streams))
			continue;
		for (auto &s : fs::directory_iterator(streams)) {
			std::string data = slurp(s.path());
			mos_ssh_dir d;
			size_t used;
			mos_ssh_init(&d, nullptr);
			if (mos_ssh_feed(&d, (const uint8_t *)data.data(), data.size(), &used) !=
			    MOS_SSH_BANNER)
				continue;
			std::string line = "SSH-" + std::string(d.banner.proto) + "-" + d.banner.software;
			if (d.banner.comments_len)
				line += " " + std::string(d.banner.comments);
			ours[s.path().stem().string() + " " + line]++;
			ours_n++;
		}
		// tshark only for pcaps with port 22 or a banner of ours (saves ~20 s)
		bool port22 = false;
		for (auto &r : read_tsv(root / "truth" / name / "conns.tsv"))
			if (r["server_port"] == "22" || r["client_port"] == "22")
				port22 = true;
		if (!port22 && ours.empty())
			continue;
		auto lines = command_lines("tshark -n -r '" + e.path().string() +
					   "' -Y ssh.protocol -T fields -E separator=/t "
					   "-e tcp.stream -e ssh.protocol 2>/dev/null");
		for (auto &l : lines) {
			auto f = split(l, '\t');
			if (f.size() == 2 && f[1].rfind("SSH-", 0) == 0)
				theirs[f[0] + " " + f[1]]++;
		}
		for (auto &kv : theirs) {
			total += kv.second;
			// tshark may glue later bytes of a retransmitted segment to the line
			bool ok = false;
			for (auto &o : ours)
				if (kv.first.rfind(o.first, 0) == 0)
					ok = true;
			agree += ok ? kv.second : 0;
			EXPECT_TRUE(ok) << name << ": " << kv.first;
		}
	}
	printf("SSH banners: tshark %ld, found %ld, ours %ld\n", total, agree, ours_n);
	EXPECT_GT(total, 0);
}

namespace {

// Our HTTP transactions of one flow in Zeek http.log terms: requests and
// responses paired in order (interim 1xx responses are not transactions).
std::vector<std::string> zeek_style(const std::string &c2s, const std::string &s2c,
				    const std::vector<Gap> &g0, const std::vector<Gap> &g1)
{
	struct Req {
		std::string method, host, uri, referer, version, ua;
		uint64_t body = 0;
	};
	struct Resp {
		unsigned status = 0;
		std::string msg;
		uint64_t body = 0;
		bool encoded = false;   // Zeek counts decoded (gunzipped) bytes
		std::string version;
	};
	std::vector<Req> reqs;
	std::vector<Resp> resps;
	mos_http_conn c;
	mos_http_init(&c, nullptr, nullptr, true);
	auto dash = [](const char *s) { return *s ? std::string(s) : std::string("-"); };
	for (int d = 0; d < 2; d++) {
		const std::string &data = d ? s2c : c2s;
		const std::vector<Gap> &gaps = d ? g1 : g0;
		size_t off = 0;
		auto on = [&](mos_http_event ev) {
			if (ev == MOS_HTTP_REQUEST) {
				Req r;
				r.method = c.req.method;
				r.host = dash(c.req.host);
				r.uri = c.req.uri;
				r.referer = dash(c.req.referer);
				r.version = std::to_string(c.req.version_major) + "." +
					    std::to_string(c.req.version_minor);
				r.ua = dash(c.req.user_agent);
				reqs.push_back(r);
			} else if (ev == MOS_HTTP_RESPONSE) {
				if (c.resp.status >= 100 && c.resp.status < 200 && c.resp.status != 101)
					return;
				Resp r;
				r.status = c.resp.status;
				r.msg = c.resp.reason_len ? c.resp.reason : "<empty>";
				r.encoded = c.resp.flags & MOS_HTTP_F_CONTENT_ENCODED;
				r.version = std::to_string(c.resp.version_major) + "." +
					    std::to_string(c.resp.version_minor);
				resps.push_back(r);
			} else if (ev == MOS_HTTP_MSG_END) {
				if (d == 0 && !reqs.empty())
					reqs.back().body = c.req.body_len;
				if (d == 1 && !resps.empty() &&
				    !(c.resp.status >= 100 && c.resp.status < 200 && c.resp.status != 101))
					resps.back().body = c.resp.body_len;
			}
		};
		auto feed = [&](size_t end) {
			for (;;) {
				size_t used;
				auto ev = mos_http_feed(&c, (mos_http_dir_id)d,
							(const uint8_t *)data.data() + off, end - off, &used);
				off += used;
				if (ev == MOS_HTTP_NEED_MORE)
					break;
				on(ev);
			}
		};
		for (const Gap &g : gaps) {
			feed(std::min(g.offset, data.size()));
			on(mos_http_gap(&c, (mos_http_dir_id)d, g.missing));
		}
		feed(data.size());
		on(mos_http_eof(&c, (mos_http_dir_id)d));
		// a body cut by the end of the capture: its length so far
		if (d == 1 && !resps.empty() && resps.back().body == 0)
			resps.back().body = c.resp.body_len;
	}
	std::vector<std::string> out;
	for (size_t i = 0; i < std::max(reqs.size(), resps.size()); i++) {
		Req q = i < reqs.size() ? reqs[i] : Req{ "-", "-", "-", "-", "-", "-", 0 };
		Resp r = i < resps.size() ? resps[i] : Resp{ 0, "-", 0, false, "" };
		// Zeek logs the reply's version when there is a reply
		std::string v = i < resps.size() ? r.version : q.version;
		out.push_back(q.method + " " + q.host + " " + q.uri + " ref=" + q.referer + " v=" +
			      v + " ua=" + q.ua + " reqlen=" + std::to_string(q.body) +
			      " resplen=" + (r.encoded ? std::string("?") : std::to_string(r.body)) +
			      " status=" +
			      (i < resps.size() ? std::to_string(r.status) : "-") + " msg=" + r.msg);
	}
	return out;
}

} // namespace

// Zeek's http.log baselines shipped with the corpus (an independent HTTP
// analyzer): every logged transaction, with body lengths, must be ours.
TEST(CorpusParsers, HttpTransactionsAgreeWithZeekHttpLog)
{
	fs::path root = fs::path(MOS_CORPUS_DIR);
	if (!fs::is_directory(root / "expected"))
		GTEST_SKIP() << "corpus not found at " << root;
	long want = 0, found = 0;
	std::ostringstream diffs;
	for (auto &e : fs::directory_iterator(root / "expected")) {
		std::string name = e.path().filename().string();
		if (name.rfind("zeek_", 0) != 0 || !fs::is_directory(e.path()))
			continue;
		Multiset theirs;
		for (auto &f : fs::directory_iterator(e.path())) {
			if (f.path().filename().string().find("http.log") == std::string::npos)
				continue;
			std::ifstream in(f.path());
			std::string line;
			std::vector<std::string> head;
			while (std::getline(in, line)) {
				if (line.rfind("#fields\t", 0) == 0) {
					head = split(line.substr(8), '\t');
					continue;
				}
				if (line.empty() || line[0] == '#')
					continue;
				if (head.empty()) {     // .cut files: first line is the header
					head = split(line, '\t');
					continue;
				}
				auto v = split(line, '\t');
				std::map<std::string, std::string> r;
				for (size_t i = 0; i < head.size() && i < v.size(); i++)
					r[head[i]] = v[i];
				theirs[r["method"] + " " + r["host"] + " " + r["uri"] + " ref=" +
				       r["referrer"] + " v=" + r["version"] + " ua=" + r["user_agent"] +
				       " reqlen=" + r["request_body_len"] + " resplen=" +
				       r["response_body_len"] + " status=" + r["status_code"] +
				       " msg=" + r["status_msg"]]++;
			}
		}
		if (theirs.empty())
			continue;
		fs::path dir;
		for (auto &t : fs::directory_iterator(root / "truth"))
			if (t.path().filename().string().rfind(name + ".", 0) == 0)
				dir = t.path();
		ASSERT_FALSE(dir.empty()) << name;
		std::map<std::string, std::map<std::string, std::vector<Gap>>> gaps;
		for (auto &r : read_tsv(dir / "gaps.tsv"))
			gaps[r["flowid"]][r["dir"]].push_back(
				{ std::stoul(r["offset"]), std::stoull(r["missing"]) });
		Multiset ours;
		for (auto &s : fs::directory_iterator(dir / "streams")) {
			if (s.path().extension() != ".c2s")
				continue;
			std::string flow = s.path().stem().string();
			for (auto &t : zeek_style(slurp(s.path()), slurp(dir / "streams" / (flow + ".s2c")),
						  gaps[flow]["c2s"], gaps[flow]["s2c"]))
				ours[t]++;
		}
		for (auto &kv : theirs) {
			want += kv.second;
			int have = ours.count(kv.first) ? ours[kv.first] : 0;
			if (have < kv.second) {
				// a content-encoded body: Zeek's length is the decoded one
				std::string k = kv.first;
				size_t p = k.find(" resplen="), q = k.find(" status=");
				k = k.substr(0, p) + " resplen=?" + k.substr(q);
				have += ours.count(k) ? ours[k] : 0;
			}
			found += std::min(have, kv.second);
			if (have < kv.second) {
				diffs << "  " << name << " zeek: " << kv.first.substr(0, 300) << "\n";
				for (auto &o : ours)
					diffs << "      ours: " << o.first.substr(0, 300) << "\n";
			}
		}
	}
	printf("Zeek http.log transactions found among ours: %ld/%ld\n%s", found, want,
	       diffs.str().c_str());
	EXPECT_GT(want, 0);
	EXPECT_EQ(found, want);
}

// Zeek's ssl.log baselines: server_name and negotiated version of every
// logged connection must be those of our ClientHello / ServerHello.
TEST(CorpusParsers, TlsServerNameAndVersionAgreeWithZeekSslLog)
{
	fs::path root = fs::path(MOS_CORPUS_DIR);
	if (!fs::is_directory(root / "expected"))
		GTEST_SKIP() << "corpus not found at " << root;
	long want = 0, found = 0;
	for (auto &e : fs::directory_iterator(root / "expected")) {
		std::string name = e.path().filename().string();
		if (name.rfind("zeek_", 0) != 0 || !fs::is_directory(e.path()))
			continue;
		Multiset theirs;
		for (auto &f : fs::directory_iterator(e.path())) {
			if (f.path().filename().string().find("ssl.log") == std::string::npos)
				continue;
			std::ifstream in(f.path());
			std::string line;
			std::vector<std::string> head;
			while (std::getline(in, line)) {
				if (line.rfind("#fields\t", 0) == 0)
					head = split(line.substr(8), '\t');
				if (line.empty() || line[0] == '#' || head.empty())
					continue;
				auto v = split(line, '\t');
				std::map<std::string, std::string> r;
				for (size_t i = 0; i < head.size() && i < v.size(); i++)
					r[head[i]] = v[i];
				theirs[r["server_name"] + " " + r["version"]]++;
			}
		}
		if (theirs.empty())
			continue;
		fs::path streams;
		for (auto &t : fs::directory_iterator(root / "truth"))
			if (t.path().filename().string().rfind(name + ".", 0) == 0)
				streams = t.path() / "streams";
		ASSERT_FALSE(streams.empty()) << name;
		Multiset ours;
		static uint8_t b0[MOS_TLS_HS_BUF_DEFAULT], b1[MOS_TLS_HS_BUF_DEFAULT];
		for (auto &s : fs::directory_iterator(streams)) {
			if (s.path().extension() != ".c2s")
				continue;
			std::string c2s = slurp(s.path());
			std::string s2c = slurp(streams / (s.path().stem().string() + ".s2c"));
			mos_tls_dir c, v;
			size_t used;
			mos_tls_init(&c, b0, sizeof(b0), nullptr);
			mos_tls_init(&v, b1, sizeof(b1), nullptr);
			if (mos_tls_feed(&c, (const uint8_t *)c2s.data(), c2s.size(), &used) !=
				    MOS_TLS_CLIENT_HELLO ||
			    mos_tls_feed(&v, (const uint8_t *)s2c.data(), s2c.size(), &used) !=
				    MOS_TLS_SERVER_HELLO)
				continue;
			static const char *const names[] = { "SSLv3", "TLSv10", "TLSv11", "TLSv12",
							     "TLSv13" };
			uint16_t ver = v.hello.version;
			std::string vs = ver >= 0x0300 && ver <= 0x0304 ? names[ver - 0x0300] : "?";
			ours[std::string(c.hello.sni_len ? c.hello.sni : "-") + " " + vs]++;
		}
		for (auto &kv : theirs) {
			want += kv.second;
			int have = ours.count(kv.first) ? ours[kv.first] : 0;
			found += std::min(have, kv.second);
			EXPECT_GE(have, kv.second) << name << ": " << kv.first;
		}
	}
	printf("Zeek ssl.log server_name+version found among ours: %ld/%ld\n", found, want);
	EXPECT_GT(want, 0);
}
