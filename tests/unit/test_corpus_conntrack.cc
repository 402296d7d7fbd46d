// SPDX-License-Identifier: BSD-3-Clause
// conntrack against tshark on every capture of the shared corpus: for each
// connection of truth/<pcap>/conns.tsv, the same endpoints, packets and
// payload bytes per side, SYN / SYN-ACK / FIN / RST flags, and the
// reassembled stream and hole bytes per side. Differences
// must be listed below with their reason (docs/conformance.md, "Flow
// engine: connections"). Skipped when the corpus is absent.
#include <gtest/gtest.h>

#include <dirent.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "corpus_truth.h"
#include "shim.h"

namespace {

using corpus::Row;
using corpus::read_tsv;
const auto &norm = corpus::norm_addr;

std::string json_val(const std::string &line, const std::string &key)
{
	std::string k = "\"" + key + "\":";
	size_t p = line.find(k);
	if (p == std::string::npos)
		return "";
	p += k.size();
	if (line[p] == '"') {
		size_t e = line.find('"', p + 1);
		return line.substr(p + 1, e - p - 1);
	}
	if (line[p] == '[') {
		size_t e = line.find(']', p);
		return line.substr(p, e - p + 1);
	}
	size_t e = line.find_first_of(",}", p);
	return line.substr(p, e - p);
}

// Differences that are understood (pcap, tshark flowid) -> reason. Those
// marked "pending:" are waiting for another module and are reported apart.
const std::map<std::pair<std::string, std::string>, std::string> known = {
	// none: every connection agrees (IP fragments are reassembled before the flow table)
};

// Stream and gap byte differences (stream_*, gap_* against tshark's
// reassembled files and holes).
const std::map<std::pair<std::string, std::string>, std::string> known_stream = {
	{{"tcpdump_bigtcp_ipv6.pcap", "0"}, "pending: 80000-byte BIG TCP frames are cut to the largest mbuf (65407 bytes) by the packet source"},
	{{"sv_rst_postgap_http_real.pcap", "0"}, "snaplen-truncated capture: the cut-off bytes of each segment are holes to us; tshark's hole count for truncated frames is not comparable (corpus caveat)"},
};

struct Result {
	int total = 0, agree = 0, pending = 0;
	int stream_agree = 0, stream_pending = 0;
	std::vector<std::string> unexplained;
};

void compare(const std::string &corpus, const std::string &bin, const std::string &name, Result &res)
{
	std::string truth = corpus + "/truth/" + name + "/conns.tsv";
	struct stat st;
	if (stat(truth.c_str(), &st) != 0)
		return;
	std::string cmd = bin + " -q --no-vlan-key -r '" + corpus + "/pcaps/" + name + "' 2>/dev/null";
	FILE *p = popen(cmd.c_str(), "r");
	ASSERT_NE(p, nullptr);
	std::vector<std::string> ours;
	char buf[4096];
	while (fgets(buf, sizeof(buf), p))
		ours.push_back(buf);
	int rc = pclose(p);
	EXPECT_EQ(rc, 0) << name;
	std::set<size_t> used;
	for (const Row &t : read_tsv(truth)) {
		res.total++;
		std::string ca = norm(t.at("client_ip")), sa = norm(t.at("server_ip"));
		std::string cp = t.at("client_port"), sp = t.at("server_port");
		std::string why;
		bool found = false;
		for (size_t i = 0; i < ours.size() && !found; i++) {
			const std::string &o = ours[i];
			if (used.count(i))
				continue;
			bool same = json_val(o, "client") == ca && json_val(o, "cport") == cp &&
				    json_val(o, "server") == sa && json_val(o, "sport") == sp;
			bool rev = json_val(o, "client") == sa && json_val(o, "cport") == sp &&
				   json_val(o, "server") == ca && json_val(o, "sport") == cp;
			if (!same && !rev)
				continue;
			found = true;
			used.insert(i);
			if (rev)
				why += " client/server swapped;";
			auto chk = [&](const char *tk, const char *ok, bool flag) {
				std::string tv = t.at(tk), ov = json_val(o, ok);
				if (flag) {
					tv = tv != "0" ? "true" : "false";
				}
				if (tv != ov)
					why += std::string(" ") + tk + " " + tv + "/" + ov + ";";
			};
			chk("pkts_c2s", "pkts_c2s", false);
			chk("pkts_s2c", "pkts_s2c", false);
			chk("payload_c2s", "bytes_c2s", false);
			chk("payload_s2c", "bytes_s2c", false);
			chk("syn_c2s", "syn", true);
			chk("synack_s2c", "synack", true);
			chk("fin_c2s", "fin_c2s", true);
			chk("fin_s2c", "fin_s2c", true);
			chk("rst_c2s", "rst_c2s", true);
			chk("rst_s2c", "rst_s2c", true);
			std::string swhy;
			for (const char *k : {"stream_c2s", "stream_s2c", "gap_c2s", "gap_s2c"})
				if (!rev && t.at(k) != json_val(o, k))
					swhy += std::string(" ") + k + " " + t.at(k) + "/" + json_val(o, k) + ";";
			auto ks = known_stream.find({name, t.at("flowid")});
			if (swhy.empty() && !rev)
				res.stream_agree++;
			else if (ks == known_stream.end())
				res.unexplained.push_back(name + " flow " + t.at("flowid") + ":" + swhy);
			else if (ks->second.rfind("pending:", 0) == 0)
				res.stream_pending++;
			if (!swhy.empty())
				printf("stream differs: %s flow %s:%s  -- %s\n", name.c_str(), t.at("flowid").c_str(),
				       swhy.c_str(), ks == known_stream.end() ? "UNEXPLAINED" : ks->second.c_str());
		}
		if (!found) {
			auto ks = known_stream.find({name, t.at("flowid")});
			if (ks != known_stream.end() && ks->second.rfind("pending:", 0) == 0)
				res.stream_pending++;
		}
		if (!found)
			why = " no such connection";
		if (why.empty()) {
			res.agree++;
			if (known.count({name, t.at("flowid")}))
				printf("now agrees, drop it from the known list: %s flow %s\n", name.c_str(),
				       t.at("flowid").c_str());
			continue;
		}
		auto k = known.find({name, t.at("flowid")});
		if (k == known.end())
			res.unexplained.push_back(name + " flow " + t.at("flowid") + ":" + why);
		else if (k->second.rfind("pending:", 0) == 0)
			res.pending++;
		printf("differs: %s flow %s:%s%s%s\n", name.c_str(), t.at("flowid").c_str(), why.c_str(),
		       k == known.end() ? "" : "  -- ", k == known.end() ? "" : k->second.c_str());
	}
	for (size_t i = 0; i < ours.size(); i++)
		if (!used.count(i))
			res.unexplained.push_back(name + ": extra connection " + ours[i]);
}

TEST(CorpusConntrack, ConnectionsAgreeWithTshark)
{
	std::string corpus = MOS_CORPUS_DIR;
	std::string bin = std::string(MOS_BINARY_DIR) + "/examples/c/conntrack";
	DIR *d = opendir((corpus + "/pcaps").c_str());
	if (d == nullptr)
		GTEST_SKIP() << "no corpus at " << corpus;
	struct stat st;
	ASSERT_EQ(stat(bin.c_str(), &st), 0) << bin << " not built";
	std::vector<std::string> names;
	while (dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			names.push_back(e->d_name);
	closedir(d);
	std::sort(names.begin(), names.end());
	Result res;
	for (const std::string &n : names)
		compare(corpus, bin, n, res);
	printf("conntrack vs tshark: %d of %d connections agree (%.2f%%), %d more wait on other "
	       "modules\n", res.agree, res.total, 100.0 * res.agree / res.total,
	       res.pending);
	printf("stream/gap bytes: %d of %d connections agree (%.2f%%), %d more wait on other modules\n",
	       res.stream_agree, res.total, 100.0 * res.stream_agree / res.total, res.stream_pending);
	for (const std::string &u : res.unexplained)
		ADD_FAILURE() << "unexplained difference: " << u;
	EXPECT_GT(res.total, 300);
	EXPECT_GE(res.agree, res.total * 99 / 100);
	EXPECT_GE(res.stream_agree, res.total * 99 / 100);
}

TEST(CorpusConntrack, RecordsHaveExactlyTheDocumentedKeysInOrder)
{
	std::string corpus = MOS_CORPUS_DIR;
	std::string bin = std::string(MOS_BINARY_DIR) + "/examples/c/conntrack";
	struct stat st;
	if (stat((corpus + "/pcaps/craft_port_reuse.pcap").c_str(), &st) != 0)
		GTEST_SKIP() << "no corpus at " << corpus;
	ASSERT_EQ(stat(bin.c_str(), &st), 0) << bin << " not built";
	FILE *p = popen((bin + " -q -r " + corpus + "/pcaps/craft_port_reuse.pcap").c_str(), "r");
	ASSERT_NE(p, nullptr);
	char buf[4096];
	int n = 0;
	const char *keys[] = {"ts_start", "ts_end", "client", "cport", "server", "sport", "vlan",
			      "pkts_c2s", "pkts_s2c", "bytes_c2s", "bytes_s2c", "stream_c2s", "stream_s2c",
			      "gap_c2s", "gap_s2c", "rexmit_c2s", "rexmit_s2c", "syn", "synack",
			      "fin_c2s", "fin_s2c", "rst_c2s", "rst_s2c", "end_reason"};
	std::vector<std::string> reasons;
	while (fgets(buf, sizeof(buf), p)) {
		std::string line = buf;
		size_t pos = 0;
		for (const char *k : keys) {
			size_t at = line.find(std::string("\"") + k + "\":", pos);
			ASSERT_NE(at, std::string::npos) << k;
			pos = at + 1;
		}
		EXPECT_EQ(std::count(line.begin(), line.end(), ':'), 24);
		reasons.push_back(json_val(line, "end_reason"));
		n++;
	}
	pclose(p);
	EXPECT_EQ(n, 2);   // the tuple is reused: two connections
	std::sort(reasons.begin(), reasons.end());
	EXPECT_EQ(reasons, (std::vector<std::string>{"fin", "rst"}));
}

}  // namespace
