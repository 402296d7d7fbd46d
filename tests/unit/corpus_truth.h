// SPDX-License-Identifier: BSD-3-Clause
// Reading the corpus ground truth (../shared/corpus/truth/<pcap>/*.tsv) in
// the C++ corpus tests: TSV rows keyed by column name, and tshark's address
// text normalised through the runtime's own formatter.
#ifndef MOS_TEST_CORPUS_TRUTH_H
#define MOS_TEST_CORPUS_TRUTH_H

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shim.h"

namespace corpus {

using Row = std::map<std::string, std::string>;

// Rows of a TSV file with a header line; an absent file gives no rows.
inline std::vector<Row> read_tsv(const std::string &path)
{
	std::ifstream in(path);
	std::string line;
	std::vector<std::string> hdr;
	std::vector<Row> rows;
	while (std::getline(in, line)) {
		std::vector<std::string> f;
		std::stringstream ss(line);
		std::string x;
		while (std::getline(ss, x, '\t'))
			f.push_back(x);
		if (hdr.empty()) {
			hdr = f;
			continue;
		}
		Row r;
		for (size_t i = 0; i < hdr.size() && i < f.size(); i++)
			r[hdr[i]] = f[i];
		rows.push_back(r);
	}
	return rows;
}

// An address as tshark writes it, in the runtime's text form (RFC 5952 or
// dotted quad); text that is no address comes back unchanged.
inline std::string norm_addr(const std::string &a)
{
	mos_addr m{};
	char buf[MOS_ADDR_STRLEN];
	if (a.find(':') == std::string::npos) {
		m.b[10] = m.b[11] = 0xff;
		if (inet_pton(AF_INET, a.c_str(), m.b + 12) != 1)
			return a;
	} else if (inet_pton(AF_INET6, a.c_str(), m.b) != 1) {
		return a;
	}
	return mos_addr_str(&m, buf);
}

}  // namespace corpus

#endif
