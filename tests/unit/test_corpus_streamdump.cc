// SPDX-License-Identifier: BSD-3-Clause
// examples/c/streamdump against tshark on every capture of the shared
// corpus: the built binary runs on each pcap (--no-vlan-key, as tshark
// ignores VLAN tags; default policy linux) into a temporary directory, and
// each direction of each connection of truth/<pcap>/conns.tsv is found by
// its name (<client>_<cport>-<server>_<sport>_<n>.c2s|.s2c, n = occurrence
// of that 4-tuple in conns.tsv order) and compared byte for byte with
// truth/<pcap>/streams/<flowid>.c2s|.s2c. Files nobody expects are extra
// connections. Every difference must be in the known list below with its
// reason (docs/conformance.md, "Reassembly: streamdump"); snaplen-truncated
// flows are not compared (corpus README: their stream files are unusable).
// The crafted captures are also checked against expected/crafted_expected.tsv
// under the matching policy. Skips when the corpus is absent.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

const std::string kBin = std::string(MOS_BINARY_DIR) + "/examples/c/streamdump";
const std::string kCorpus = MOS_CORPUS_DIR;

// Differences that are understood: (pcap, flowid, dir) -> reason.
const std::map<std::tuple<std::string, std::string, std::string>, std::string> known = {
	{{"tcpdump_bigtcp_ipv6.pcap", "0", "c2s"},
	 "80000-byte BIG TCP frames are cut to the largest mbuf (65407 bytes) by the packet "
	 "source: the cut-off bytes are missing"},
};

bool slurp(const std::string &path, std::string *out)
{
	std::ifstream in(path, std::ios::binary);
	if (!in.good())
		return false;
	std::stringstream ss;
	ss << in.rdbuf();
	*out = ss.str();
	return true;
}

std::set<std::string> list_dir(const std::string &dir)
{
	std::set<std::string> names;
	DIR *d = opendir(dir.c_str());
	if (d == nullptr)
		return names;
	while (dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			names.insert(e->d_name);
	closedir(d);
	return names;
}

void rm_rf(const std::string &dir)
{
	for (const std::string &n : list_dir(dir))
		unlink((dir + "/" + n).c_str());
	rmdir(dir.c_str());
}

// Run streamdump on one capture into @out; returns the exit status.
int run_streamdump(const std::string &pcap, const std::string &out, const std::string &extra = "")
{
	std::string cmd = kBin + " -q --no-vlan-key " + extra + " -r '" + pcap + "' -o '" + out +
			  "' 2>/dev/null";
	return system(cmd.c_str());
}

// Our file name for each row of conns.tsv (tshark order = start order).
std::vector<std::string> expected_names(const std::vector<Row> &rows)
{
	std::map<std::string, int> occ;
	std::vector<std::string> names;
	for (const Row &t : rows) {
		std::string stem = norm(t.at("client_ip")) + "_" + t.at("client_port") + "-" +
				   norm(t.at("server_ip")) + "_" + t.at("server_port");
		names.push_back(stem + "_" + std::to_string(occ[stem]++));
	}
	return names;
}

struct Result {
	int compared = 0, equal = 0, truncated = 0, known_diff = 0;
	std::vector<std::string> unexplained;
	std::set<std::string> known_seen;
};

void compare(const std::string &name, const std::string &tmp, Result &res)
{
	std::string truth = kCorpus + "/truth/" + name;
	struct stat st;
	if (stat((truth + "/conns.tsv").c_str(), &st) != 0)
		return;
	std::string out = tmp + "/" + name;
	int rc = run_streamdump(kCorpus + "/pcaps/" + name, out);
	EXPECT_EQ(rc, 0) << name;
	std::vector<Row> rows = read_tsv(truth + "/conns.tsv");
	std::vector<std::string> names = expected_names(rows);
	std::set<std::string> files = list_dir(out);
	for (size_t i = 0; i < rows.size(); i++) {
		const Row &t = rows[i];
		const std::string &id = t.at("flowid");
		for (const char *dir : {"c2s", "s2c"}) {
			std::string ours, want, fname = names[i] + "." + dir;
			bool have = slurp(out + "/" + fname, &ours);
			files.erase(fname);
			if (t.at(std::string("trunc_") + dir) != "0") {
				res.truncated++;
				continue;
			}
			bool have_truth = slurp(truth + "/streams/" + id + "." + dir, &want);
			res.compared++;
			std::string why;
			if (!have)
				why = "no file " + fname;
			else if (!have_truth)
				why = "no truth file";
			else if (ours != want) {
				size_t k = 0;
				while (k < want.size() && k < ours.size() && want[k] == ours[k])
					k++;
				why = "tshark " + std::to_string(want.size()) + " B, ours " +
				      std::to_string(ours.size()) + " B, first difference at " +
				      std::to_string(k);
			}
			if (why.empty()) {
				res.equal++;
				if (known.count({name, id, dir}))
					printf("now agrees, drop it from the known list: %s flow %s %s\n",
					       name.c_str(), id.c_str(), dir);
				continue;
			}
			auto k = known.find({name, id, dir});
			printf("differs: %s flow %s %s: %s%s%s\n", name.c_str(), id.c_str(), dir,
			       why.c_str(), k == known.end() ? "  -- UNEXPLAINED" : "  -- ",
			       k == known.end() ? "" : k->second.c_str());
			if (k == known.end())
				res.unexplained.push_back(name + " flow " + id + " " + dir + ": " + why);
			else
				res.known_diff++;
		}
	}
	for (const std::string &f : files)
		res.unexplained.push_back(name + ": extra file " + f);
	rm_rf(out);
}

std::string make_tmp()
{
	char tmpl[] = "/tmp/mos_sd_corpus_XXXXXX";
	const char *d = mkdtemp(tmpl);
	return d ? d : "";
}

TEST(CorpusStreamdump, StreamsAreTsharksByteForByte)
{
	std::set<std::string> pcaps = list_dir(kCorpus + "/pcaps");
	if (pcaps.empty())
		GTEST_SKIP() << "no corpus at " << kCorpus;
	struct stat st;
	ASSERT_EQ(stat(kBin.c_str(), &st), 0) << kBin << " not built";
	std::string tmp = make_tmp();
	ASSERT_FALSE(tmp.empty());
	Result res;
	for (const std::string &n : pcaps)
		compare(n, tmp, res);
	rmdir(tmp.c_str());
	printf("streamdump vs tshark: %d of %d directions byte-identical (%.2f%%), %d differ for a "
	       "known reason, %d snaplen-truncated left out\n", res.equal, res.compared,
	       100.0 * res.equal / std::max(res.compared, 1), res.known_diff, res.truncated);
	for (const std::string &u : res.unexplained)
		ADD_FAILURE() << "unexplained difference: " << u;
	EXPECT_GT(res.compared, 600);
	EXPECT_GE(res.equal * 100, res.compared * 98);
}

// Python bytes literal (b'...' as crafted_expected.tsv writes it) to bytes.
bool unrepr(const std::string &lit, std::string *out)
{
	if (lit.size() < 3 || lit[0] != 'b' || (lit[1] != '\'' && lit[1] != '"') ||
	    lit.back() != lit[1])
		return false;
	out->clear();
	for (size_t i = 2; i + 1 < lit.size(); i++) {
		char c = lit[i];
		if (c != '\\') {
			out->push_back(c);
			continue;
		}
		c = lit[++i];
		switch (c) {
		case 'n': out->push_back('\n'); break;
		case 'r': out->push_back('\r'); break;
		case 't': out->push_back('\t'); break;
		case 'x':
			out->push_back((char)std::stoi(lit.substr(i + 1, 2), nullptr, 16));
			i += 2;
			break;
		default: out->push_back(c); break;   // \\ \' \"
		}
	}
	return true;
}

// Output directories of the runs made so far, by (pcap, options).
std::map<std::string, std::string> g_runs;

// The content of our file for (pcap, tshark flowid, dir) after a run with
// @extra options (one run per capture and options); false when absent.
bool our_stream(const std::string &pcap, const std::string &flowid, const std::string &dir,
		const std::string &tmp, const std::string &extra, std::string *out)
{
	std::vector<Row> rows = read_tsv(kCorpus + "/truth/" + pcap + "/conns.tsv");
	std::vector<std::string> names = expected_names(rows);
	std::string &o = g_runs[pcap + " " + extra];
	if (o.empty()) {
		o = tmp + "/run" + std::to_string(g_runs.size());
		if (run_streamdump(kCorpus + "/pcaps/" + pcap, o, extra) != 0)
			return false;
	}
	for (size_t i = 0; i < rows.size(); i++)
		if (rows[i].at("flowid") == flowid)
			return slurp(o + "/" + names[i] + "." + dir, out);
	return false;
}

TEST(CorpusStreamdump, CraftedCapturesGiveTheIntendedBytesUnderTheMatchingPolicy)
{
	std::string tsv = kCorpus + "/expected/crafted_expected.tsv";
	struct stat st;
	if (stat(tsv.c_str(), &st) != 0)
		GTEST_SKIP() << "no corpus at " << kCorpus;
	ASSERT_EQ(stat(kBin.c_str(), &st), 0) << kBin << " not built";
	std::string tmp = make_tmp();
	ASSERT_FALSE(tmp.empty());
	int checked = 0;
	for (const Row &r : read_tsv(tsv)) {
		std::string want, ours;
		if (r.at("flowid") == "*")
			continue;   // craft_many_flows: a pattern, covered by the corpus test
		ASSERT_TRUE(unrepr(r.at("expected_bytes_pyrepr"), &want)) << r.at("file");
		// The one policy-dependent case names linux (tshark's behaviour),
		// which is streamdump's default.
		ASSERT_TRUE(our_stream(r.at("file"), r.at("flowid"), r.at("dir"), tmp, "", &ours))
			<< r.at("file") << " flow " << r.at("flowid") << " " << r.at("dir");
		EXPECT_EQ(ours, want) << r.at("file") << " flow " << r.at("flowid") << " " << r.at("dir");
		checked++;
	}
	EXPECT_GE(checked, 20);
	// The same capture under other policies: a first-arrival policy keeps
	// the out-of-order bytes buffered first (the note of the expected file).
	std::string ours;
	ASSERT_TRUE(our_stream("craft_ooo_overlap_conflict.pcap", "0", "c2s", tmp, "--policy linux",
			       &ours));
	EXPECT_EQ(ours, "GOODGOOD");
	ASSERT_TRUE(our_stream("craft_ooo_overlap_conflict.pcap", "0", "c2s", tmp, "--policy first",
			       &ours));
	EXPECT_EQ(ours, "GOODXXXX");
	for (auto &kv : g_runs)
		rm_rf(kv.second);
	rmdir(tmp.c_str());
}

}  // namespace
