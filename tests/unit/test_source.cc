// SPDX-License-Identifier: BSD-3-Clause
// Packet sources: offline pcap/pcapng reading through libpcap into mbufs.
// The EAL starts once for this binary (its own process, as EAL requires).
#include <gtest/gtest.h>

#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "shim.h"
extern "C" {
#include <rte_eal.h>
#include "mos/source.h"
}

namespace {

struct rte_mempool *g_pool, *g_big;

class EalEnv : public ::testing::Environment {
      public:
	void SetUp() override
	{
		const char *argv[] = {"test_source", "--no-huge", "--no-pci", "--no-shconf",
				      "--no-telemetry", "--log-level=error", "-l", "0", "-m", "256"};
		ASSERT_GE(rte_eal_init(10, const_cast<char **>(argv)), 0);
		g_pool = mos_pktpool_create("t_pool", 511, RTE_MBUF_DEFAULT_DATAROOM, SOCKET_ID_ANY);
		g_big = mos_pktpool_create("t_big", 15, MOS_FRAME_MAX, SOCKET_ID_ANY);
		ASSERT_NE(g_pool, nullptr);
		ASSERT_NE(g_big, nullptr);
	}
	void TearDown() override { rte_eal_cleanup(); }
};
const auto *g_env = ::testing::AddGlobalTestEnvironment(new EalEnv);

struct Frame {
	uint64_t ts_ns;
	std::vector<uint8_t> bytes;
	uint32_t wirelen;
};

std::string tmp_path(const char *name)
{
	return std::string("/tmp/mos_test_source_") + std::to_string(getpid()) + "_" + name;
}

// A frame of @len bytes whose first byte is @tag (Ethernet-looking filler).
Frame make_frame(uint8_t tag, size_t len, uint64_t ts_ns)
{
	Frame f{ts_ns, std::vector<uint8_t>(len, 0xab), (uint32_t)len};
	f.bytes[0] = tag;
	return f;
}

// Write a classic pcap with nanosecond timestamps through libpcap.
void write_pcap(const std::string &path, int linktype, const std::vector<Frame> &frames)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(linktype, 262144,
							    PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d = pcap_dump_open(dead, path.c_str());
	ASSERT_NE(d, nullptr) << pcap_geterr(dead);
	for (const Frame &f : frames) {
		struct pcap_pkthdr h = {};
		h.ts.tv_sec = (time_t)(f.ts_ns / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(f.ts_ns % 1000000000u);  // ns in a nano file
		h.caplen = (uint32_t)f.bytes.size();
		h.len = f.wirelen;
		pcap_dump((u_char *)d, &h, f.bytes.data());
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

void put32(std::vector<uint8_t> &b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b.push_back((uint8_t)(v >> (8 * i)));  // little-endian section
}

void put16(std::vector<uint8_t> &b, uint16_t v)
{
	b.push_back((uint8_t)v);
	b.push_back((uint8_t)(v >> 8));
}

// Write a pcapng file by hand: SHB, one IDB (default microsecond resolution),
// one EPB per frame.
void write_pcapng(const std::string &path, int linktype, const std::vector<Frame> &frames)
{
	std::vector<uint8_t> b;
	put32(b, 0x0A0D0D0A); put32(b, 28); put32(b, 0x1A2B3C4D);
	put16(b, 1); put16(b, 0); put32(b, 0xffffffff); put32(b, 0xffffffff); put32(b, 28);
	put32(b, 1); put32(b, 20); put16(b, (uint16_t)linktype); put16(b, 0); put32(b, 262144);
	put32(b, 20);
	for (const Frame &f : frames) {
		uint32_t pad = (4 - f.bytes.size() % 4) % 4;
		uint32_t blen = 32 + (uint32_t)f.bytes.size() + pad;
		uint64_t us = f.ts_ns / 1000;
		put32(b, 6); put32(b, blen); put32(b, 0);
		put32(b, (uint32_t)(us >> 32)); put32(b, (uint32_t)us);
		put32(b, (uint32_t)f.bytes.size()); put32(b, f.wirelen);
		b.insert(b.end(), f.bytes.begin(), f.bytes.end());
		b.insert(b.end(), pad, 0);
		put32(b, blen);
	}
	FILE *fp = fopen(path.c_str(), "wb");
	ASSERT_NE(fp, nullptr);
	ASSERT_EQ(fwrite(b.data(), 1, b.size(), fp), b.size());
	fclose(fp);
}

struct Got {
	uint8_t tag;
	uint64_t ts_ns;
	uint32_t len, wirelen;
	uint16_t linktype;
};

// Drain a source in bursts of @burst; returns what was read.
std::vector<Got> drain(struct mos_source *s, uint16_t burst)
{
	std::vector<Got> out;
	struct rte_mbuf *m[64];

	for (int guard = 0; guard < 100000 && !mos_source_done(s); guard++) {
		uint16_t n = mos_source_rx(s, m, burst);
		for (uint16_t i = 0; i < n; i++) {
			const struct mos_mbuf_priv *p = mos_mbuf_priv(m[i]);
			out.push_back({*rte_pktmbuf_mtod(m[i], uint8_t *), p->ts_ns, m[i]->data_len,
				       p->wirelen, p->linktype});
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	return out;
}

struct mos_source *open_files(std::vector<std::string> paths, char *err)
{
	std::vector<const char *> v;
	for (auto &p : paths)
		v.push_back(p.c_str());
	return mos_source_pcap_open(v.data(), (unsigned)v.size(), g_pool, g_big, err);
}

TEST(PcapSource, ReadsSeveralFilesInOrderKeepingNanosecondTimes)
{
	std::string a = tmp_path("a.pcap"), b = tmp_path("b.pcap");
	write_pcap(a, DLT_EN10MB, {make_frame(1, 60, 1700000000123456789ull),
				  make_frame(2, 1514, 1700000000123456790ull),
				  make_frame(3, 64, 1700000001000000001ull)});
	write_pcap(b, DLT_EN10MB, {make_frame(4, 100, 1700000002000000000ull),
				  make_frame(5, 200, 1700000003999999999ull)});
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a, b}, err);
	ASSERT_NE(s, nullptr) << err;
	EXPECT_TRUE(mos_source_is_offline(s));

	std::vector<Got> got = drain(s, 2);
	ASSERT_EQ(got.size(), 5u);
	const uint64_t ts[] = {1700000000123456789ull, 1700000000123456790ull,
			       1700000001000000001ull, 1700000002000000000ull,
			       1700000003999999999ull};
	const uint32_t len[] = {60, 1514, 64, 100, 200};
	for (size_t i = 0; i < 5; i++) {
		EXPECT_EQ(got[i].tag, i + 1);
		EXPECT_EQ(got[i].ts_ns, ts[i]);
		EXPECT_EQ(got[i].len, len[i]);
		EXPECT_EQ(got[i].wirelen, len[i]);
		EXPECT_EQ(got[i].linktype, MOS_LINK_ETHERNET);
	}
	EXPECT_TRUE(mos_source_done(s));
	EXPECT_EQ(mos_source_counters(s)->packets, 5u);
	EXPECT_EQ(mos_source_counters(s)->errors, 0u);
	EXPECT_EQ(mos_source_error(s), nullptr);
	mos_source_close(s);
	unlink(a.c_str());
	unlink(b.c_str());
}

TEST(PcapSource, ReadsPcapngAndKeepsEachFilesLinkType)
{
	std::string a = tmp_path("a.pcapng"), b = tmp_path("raw.pcap");
	write_pcapng(a, DLT_EN10MB, {make_frame(7, 80, 1700000000000001000ull)});
	write_pcap(b, DLT_RAW /* saved as LINKTYPE_RAW */, {make_frame(0x45, 40, 1700000000000002000ull)});
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a, b}, err);
	ASSERT_NE(s, nullptr) << err;
	std::vector<Got> got = drain(s, 32);
	ASSERT_EQ(got.size(), 2u);
	EXPECT_EQ(got[0].tag, 7);
	EXPECT_EQ(got[0].ts_ns, 1700000000000001000ull);
	EXPECT_EQ(got[0].linktype, MOS_LINK_ETHERNET);
	EXPECT_EQ(got[1].linktype, MOS_LINK_RAW);
	mos_source_close(s);
	unlink(a.c_str());
	unlink(b.c_str());
}

TEST(PcapSource, KeepsOriginalLengthOfSnaplenCutFrames)
{
	std::string a = tmp_path("cut.pcap");
	Frame f = make_frame(9, 96, 1700000000000000000ull);
	f.wirelen = 1500;
	write_pcap(a, DLT_EN10MB, {f});
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	std::vector<Got> got = drain(s, 32);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(got[0].len, 96u);
	EXPECT_EQ(got[0].wirelen, 1500u);
	mos_source_close(s);
	unlink(a.c_str());
}

TEST(PcapSource, LongFramesGoToTheBigPoolAndOverlongOnesAreCutAndCounted)
{
	std::string a = tmp_path("big.pcap");
	write_pcap(a, DLT_EN10MB, {make_frame(1, 9000, 1), make_frame(2, 60, 2),
				  make_frame(3, 70000, 3)});
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	std::vector<Got> got = drain(s, 32);
	ASSERT_EQ(got.size(), 3u);
	EXPECT_EQ(got[0].len, 9000u);
	EXPECT_EQ(got[1].len, 60u);
	EXPECT_EQ(got[2].len, (uint32_t)MOS_FRAME_MAX);
	EXPECT_EQ(got[2].wirelen, 70000u);
	EXPECT_EQ(mos_source_counters(s)->cut, 1u);
	mos_source_close(s);
	unlink(a.c_str());
}

TEST(PcapSource, ManyBurstsDoNotLeakMbufs)
{
	std::string a = tmp_path("many.pcap");
	std::vector<Frame> frames;
	for (int i = 0; i < 3000; i++)
		frames.push_back(make_frame((uint8_t)i, 60 + (size_t)(i % 1400), (uint64_t)i));
	frames[1000] = make_frame(0xee, 4000, 1000);  // one long frame in the middle
	write_pcap(a, DLT_EN10MB, frames);
	unsigned before = rte_mempool_avail_count(g_pool);
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	std::vector<Got> got = drain(s, 32);
	EXPECT_EQ(got.size(), 3000u);
	EXPECT_EQ(got[1000].tag, 0xee);
	EXPECT_EQ(got[1000].len, 4000u);
	EXPECT_EQ(rte_mempool_avail_count(g_pool), before);
	EXPECT_EQ(rte_mempool_avail_count(g_big), 15u);
	mos_source_close(s);
	unlink(a.c_str());
}

TEST(PcapSource, MissingFileFailsAtOpenWithItsName)
{
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({"/nonexistent/x.pcap"}, err);
	EXPECT_EQ(s, nullptr);
	EXPECT_NE(std::string(err).find("/nonexistent/x.pcap: cannot read capture"),
		  std::string::npos) << err;
}

TEST(PcapSource, FileThatIsNotACaptureFailsAtOpen)
{
	std::string a = tmp_path("text.pcap");
	FILE *f = fopen(a.c_str(), "w");
	fputs("this is not a capture file\n", f);
	fclose(f);
	char err[MOS_SOURCE_ERRLEN];
	EXPECT_EQ(open_files({a}, err), nullptr);
	EXPECT_NE(std::string(err).find("cannot read capture"), std::string::npos) << err;
	unlink(a.c_str());
}

TEST(PcapSource, UnsupportedLinkTypeFailsAtOpen)
{
	std::string a = tmp_path("usb.pcap");
	write_pcap(a, 147 /* LINKTYPE_USER0 */, {make_frame(1, 60, 1)});
	char err[MOS_SOURCE_ERRLEN];
	EXPECT_EQ(open_files({a}, err), nullptr);
	EXPECT_NE(std::string(err).find("unsupported link type 147"), std::string::npos) << err;
	EXPECT_EQ(errno, ENOTSUP);
	unlink(a.c_str());
}

TEST(PcapSource, TruncatedFileDeliversWhatItHasAndReportsTheError)
{
	std::string a = tmp_path("trunc.pcap");
	write_pcap(a, DLT_EN10MB, {make_frame(1, 100, 1), make_frame(2, 100, 2),
				  make_frame(3, 100, 3)});
	ASSERT_EQ(truncate(a.c_str(), 24 + 2 * (16 + 100) + 16 + 50), 0);  // cut the 3rd frame
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	std::vector<Got> got = drain(s, 32);
	EXPECT_EQ(got.size(), 2u);
	EXPECT_TRUE(mos_source_done(s));
	EXPECT_EQ(mos_source_counters(s)->errors, 1u);
	ASSERT_NE(mos_source_error(s), nullptr);
	EXPECT_NE(std::string(mos_source_error(s)).find("trunc.pcap"), std::string::npos);
	mos_source_close(s);
	unlink(a.c_str());
}

// A classic pcap written byte by byte: @be big-endian, @nano nanosecond
// magic; each record {tag, sec, frac, caplen, wirelen} (caplen bytes follow).
struct RawRec {
	uint8_t tag;
	uint32_t sec, frac, caplen, wirelen;
};

void write_raw_pcap(const std::string &path, bool be, bool nano, uint32_t snaplen,
		    const std::vector<RawRec> &recs)
{
	std::vector<uint8_t> b;
	auto put = [&](uint32_t x, int n) {
		for (int i = 0; i < n; i++)
			b.push_back((uint8_t)(be ? x >> (8 * (n - 1 - i)) : x >> (8 * i)));
	};
	put(nano ? 0xa1b23c4du : 0xa1b2c3d4u, 4);
	put(2, 2);
	put(4, 2);
	put(0, 4);
	put(0, 4);
	put(snaplen, 4);
	put(1 /* LINKTYPE_ETHERNET */, 4);
	for (const RawRec &r : recs) {
		put(r.sec, 4);
		put(r.frac, 4);
		put(r.caplen, 4);
		put(r.wirelen, 4);
		b.push_back(r.tag);
		b.insert(b.end(), r.caplen - 1, 0xab);
	}
	FILE *fp = fopen(path.c_str(), "wb");
	ASSERT_NE(fp, nullptr);
	ASSERT_EQ(fwrite(b.data(), 1, b.size(), fp), b.size());
	fclose(fp);
}

// What libpcap itself gives for @path (nanosecond precision); with
// @bytes, the frames' bytes too.
std::vector<Got> read_with_libpcap(const std::string &path, size_t *errors,
				   std::vector<std::string> *bytes = nullptr)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	std::vector<Got> out;
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path.c_str(),
							     PCAP_TSTAMP_PRECISION_NANO, ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;

	*errors = 0;
	if (p == nullptr)
		return out;
	uint16_t link = (uint16_t)(pcap_datalink(p) == DLT_RAW ? MOS_LINK_RAW : pcap_datalink(p));
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		out.push_back({d[0], (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec,
			       h->caplen, h->len, link});
		if (bytes)
			bytes->emplace_back((const char *)d, h->caplen);
	}
	*errors = rc == PCAP_ERROR;
	pcap_close(p);
	return out;
}

// A record read in place, as drain gives it.
Got got_of(const struct mos_source_rec &r)
{
	return {r.data[0], r.ts_ns, r.caplen, r.wirelen, r.linktype};
}

// The frames are libpcap's (read_with_libpcap), one for one.
void expect_same_frames(const std::vector<Got> &got, const std::vector<Got> &want)
{
	ASSERT_EQ(got.size(), want.size());
	for (size_t i = 0; i < got.size(); i++) {
		if (want[i].len > 0)  // an empty frame's first byte is whatever follows
			EXPECT_EQ(got[i].tag, want[i].tag) << i;
		EXPECT_EQ(got[i].ts_ns, want[i].ts_ns) << i;
		EXPECT_EQ(got[i].len, want[i].len) << i;
		EXPECT_EQ(got[i].wirelen, want[i].wirelen) << i;
		EXPECT_EQ(got[i].linktype, want[i].linktype) << i;
	}
}

// Classic pcap files are read in place (runtime/source.c, with pread);
// whatever the byte order and time unit, and when a record is longer than
// the file's snapshot length (libpcap then takes over at that record), the
// frames must be libpcap's.
TEST(PcapSource, InPlaceReadGivesLibpcapsFramesInEveryByteOrderAndUnit)
{
	const std::vector<RawRec> recs = {
		{1, 1700000000, 123456, 60, 60},
		{2, 1700000001, 999999, 1514, 1514},
		{3, 1700000002, 5, 150, 2000},     // cut by the capture
		{4, 1700000003, 0, 64, 64},
	};
	const std::vector<RawRec> over = {
		{1, 1700000000, 1, 60, 60},
		{2, 1700000000, 2, 300, 300},      // longer than the snapshot length (200)
		{3, 1700000000, 3, 80, 80},
		{4, 1700000000, 4, 120, 120},
	};
	for (int be = 0; be < 2; be++) {
		for (int nano = 0; nano < 2; nano++) {
			for (int v = 0; v < 2; v++) {
				SCOPED_TRACE(std::string(be ? "big-endian" : "little-endian") +
					     (nano ? " ns" : " us") + (v ? " over snaplen" : ""));
				std::string a = tmp_path("raw.pcap");
				write_raw_pcap(a, be, nano, v ? 200 : 65535, v ? over : recs);
				size_t want_err = 0;
				std::vector<Got> want = read_with_libpcap(a, &want_err);
				char err[MOS_SOURCE_ERRLEN];
				struct mos_source *s = open_files({a}, err);
				ASSERT_NE(s, nullptr) << err;
				std::vector<Got> got = drain(s, 3);
				ASSERT_GE(want.size(), 3u);
				expect_same_frames(got, want);
				EXPECT_EQ(mos_source_counters(s)->errors, want_err);
				if (!v) {
					ASSERT_EQ(got.size(), 4u);
					EXPECT_EQ(got[0].ts_ns, 1700000000000000000ull +
								(nano ? 123456u : 123456000u));
					EXPECT_EQ(got[2].len, 150u);
					EXPECT_EQ(got[2].wirelen, 2000u);
				} else {
					EXPECT_EQ(got.back().tag, 4);  // read on after the long one
				}
				mos_source_close(s);
				unlink(a.c_str());
			}
		}
	}
}

// A record and its bytes, copied while they are valid.
struct Whole {
	Got g;
	std::string bytes;
};

Whole whole_of(const struct mos_source_rec &r)
{
	return {got_of(r), std::string((const char *)r.data, r.caplen)};
}

// Every record of @s, peeked @burst at a time.
std::vector<Whole> peek_all(struct mos_source *s, uint16_t burst)
{
	std::vector<Whole> out;
	struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];

	for (uint16_t n; (n = mos_source_peek(s, r, burst)) > 0;)
		for (uint16_t i = 0; i < n; i++)
			out.push_back(whole_of(r[i]));
	return out;
}

// Records read in place stay valid until the next read, however many
// buffers one read spans: 256 records of up to 60 KB (15 MB, beyond one
// buffer) peeked at once, byte for byte as libpcap reads them, and again
// after a record over the snapshot length hands the rest to libpcap.
TEST(PcapSource, PeekedRecordsStayValidAcrossBuffers)
{
	std::vector<RawRec> recs;
	for (uint32_t i = 0; i < 600; i++) {
		uint32_t len = i % 3 ? 60000 - i * 37 : 60 + i;
		recs.push_back({(uint8_t)i, 1700000000 + i, i, len, len});
	}
	recs[400].caplen = recs[400].wirelen = 70000;   // over the snapshot length
	std::string a = tmp_path("big.pcap");
	write_raw_pcap(a, false, false, 65535, recs);
	// libpcap's frames, whole
	size_t want_err = 0;
	std::vector<std::string> want;
	read_with_libpcap(a, &want_err, &want);
	ASSERT_EQ(want.size(), recs.size());
	EXPECT_EQ(want_err, 0u);
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];
	size_t k = 0;
	for (uint16_t n; (n = mos_source_peek(s, r, MOS_SOURCE_PEEK_MAX)) > 0;) {
		// every record of this read checked once the read is over
		for (uint16_t i = 0; i < n; i++, k++) {
			ASSERT_LT(k, want.size());
			// frames are cut to MOS_FRAME_MAX, as mbufs are
			ASSERT_EQ(r[i].caplen, std::min<size_t>(want[k].size(), MOS_FRAME_MAX)) << k;
			EXPECT_TRUE(memcmp(r[i].data, want[k].data(), r[i].caplen) == 0) << k;
		}
	}
	EXPECT_EQ(k, want.size());
	EXPECT_EQ(mos_source_counters(s)->errors, 0u);
	mos_source_close(s);
	unlink(a.c_str());
}

// The records of a walk over [@lay.first, @lay.len) range by range
// (@chunk bytes each, at most @chunk / 16 + 1 records), each range read
// into a view of its own and walked from where the walk before ended,
// which is the first record (pcapng: block) starting in the range if one
// does: the range's guessed first record must be that one, or none.
std::vector<Whole> walk_ranges(struct mos_source *walk, const struct mos_source_layout &lay,
			       size_t chunk, struct mos_source_counters *c)
{
	std::vector<Whole> got;
	std::vector<struct mos_source_rec> buf(chunk / 16 + 1);
	std::vector<uint8_t> mem(chunk + lay.tail);
	size_t at = lay.first;

	for (size_t lo = lay.first; lo < lay.len; lo += chunk) {
		struct mos_source_view v = {mem.data(), mem.size(), lo, lo, lo + chunk};
		EXPECT_EQ(mos_source_split_sync(walk, &v, lo, lo + chunk),
			  at < lo + chunk && at < lay.len ? at : SIZE_MAX)
			<< lo;
		bool bad = true;
		unsigned n = mos_source_split_walk(walk, &v, &at, lo + chunk, buf.data(),
						   (unsigned)buf.size(), c, &bad);
		EXPECT_FALSE(bad);
		EXPECT_LE(v.hi - v.lo, v.cap);
		for (unsigned i = 0; i < n; i++)
			got.push_back(whole_of(buf[i]));
	}
	EXPECT_EQ(at, lay.len);
	return got;
}

// The same records, byte for byte.
void expect_same_recs(const std::vector<Whole> &got, const std::vector<Whole> &want)
{
	std::vector<Got> g, w;

	ASSERT_EQ(got.size(), want.size());
	for (size_t i = 0; i < got.size(); i++) {
		EXPECT_EQ(got[i].bytes, want[i].bytes) << i;
		g.push_back(got[i].g);
		w.push_back(want[i].g);
	}
	expect_same_frames(g, w);
}

// Split reading (runtime/split.c): walking a file range by range
// from each range's true first record gives exactly the records
// mos_source_peek gives, in every byte order and unit and for any range
// size; the guess of a range's first record is that record on a file
// whose payloads do not look like records; a record over the snapshot
// length stops the walk there (bad), and mos_source_split_end hands the
// rest to mos_source_peek, which then reads what libpcap reads.
TEST(PcapSource, SplitWalkGivesThePeekedRecordsFromAnyTrueStart)
{
	std::vector<RawRec> recs;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < 600; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t len = 20 + (uint32_t)(x % 1500);
		recs.push_back({(uint8_t)i, 1700000000 + i / 100, (uint32_t)(x >> 40) % 1000000, len,
				len + (i % 5 == 0 ? 100 : 0)});
	}
	for (int be = 0; be < 2; be++) {
		for (int nano = 0; nano < 2; nano++) {
			SCOPED_TRACE(std::string(be ? "big-endian" : "little-endian") + (nano ? " ns" : " us"));
			std::string a = tmp_path("split.pcap");
			write_raw_pcap(a, be, nano, 65535, recs);
			char err[MOS_SOURCE_ERRLEN];
			struct mos_source *peek = open_files({a}, err), *walk = mos_source_pcap_dup(peek, err);
			ASSERT_NE(peek, nullptr) << err;
			ASSERT_NE(walk, nullptr) << err;
			struct mos_source_layout lay;
			ASSERT_TRUE(mos_source_split_begin(walk, &lay));
			std::vector<Whole> want = peek_all(peek, 7);
			ASSERT_EQ(want.size(), recs.size());
			for (size_t chunk : {100u, 1514u, 4096u, 65536u}) {
				SCOPED_TRACE(chunk);
				struct mos_source_counters c = {};
				expect_same_recs(walk_ranges(walk, lay, chunk, &c), want);
				EXPECT_EQ(c.packets, recs.size());
			}
			mos_source_close(walk);
			mos_source_close(peek);
			unlink(a.c_str());
		}
	}
	// over the snapshot length: the walk stops at that record
	std::string a = tmp_path("split_over.pcap");
	std::vector<RawRec> over(recs.begin(), recs.begin() + 40);
	over[25].caplen = over[25].wirelen = 70000;
	write_raw_pcap(a, false, false, 65535, over);
	size_t want_err = 0;
	std::vector<Got> want = read_with_libpcap(a, &want_err);
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	struct mos_source_layout lay;
	ASSERT_TRUE(mos_source_split_begin(s, &lay));
	std::vector<struct mos_source_rec> buf(lay.len / 16 + 1);
	std::vector<uint8_t> mem(lay.len);
	struct mos_source_view v = {mem.data(), mem.size(), lay.first, lay.first, SIZE_MAX};
	struct mos_source_counters c = {};
	size_t at = lay.first;
	bool bad = false;
	unsigned n = mos_source_split_walk(s, &v, &at, lay.len, buf.data(), (unsigned)buf.size(), &c,
					   &bad);
	EXPECT_TRUE(bad);
	EXPECT_EQ(n, 25u);
	mos_source_split_end(s, at);
	struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];
	std::vector<uint8_t> tags;
	for (unsigned i = 0; i < n; i++)
		tags.push_back(buf[i].data[0]);
	for (uint16_t k; (k = mos_source_peek(s, r, 9)) > 0;)
		for (uint16_t i = 0; i < k; i++)
			tags.push_back(r[i].data[0]);
	ASSERT_EQ(tags.size(), want.size());
	for (size_t i = 0; i < tags.size(); i++)
		EXPECT_EQ(tags[i], want[i].tag) << i;
	mos_source_close(s);
	unlink(a.c_str());
}

// A pcapng file written block by block, in either byte order.
struct NgFile {
	bool be;
	std::vector<uint8_t> b;

	void put(std::vector<uint8_t> &v, uint64_t x, int n) const
	{
		for (int i = 0; i < n; i++)
			v.push_back((uint8_t)(be ? x >> (8 * (n - 1 - i)) : x >> (8 * i)));
	}
	// Returns the block's offset in the file.
	size_t block(uint32_t type, std::vector<uint8_t> body)
	{
		size_t at = b.size();
		body.resize((body.size() + 3) & ~(size_t)3, 0);
		uint32_t len = 12 + (uint32_t)body.size();
		put(b, type, 4);
		put(b, len, 4);
		b.insert(b.end(), body.begin(), body.end());
		put(b, len, 4);
		return at;
	}
	void shb()
	{
		std::vector<uint8_t> v;
		put(v, 0x1A2B3C4D, 4);
		put(v, 1, 2);
		put(v, 0, 2);
		put(v, ~0ull, 8);
		block(0x0A0D0D0A, v);
	}
	// @resol: if_tsresol byte (-1: none); @offset: if_tsoffset (with @has_offset)
	void idb(uint32_t snap, int resol = -1, int64_t offset = 0, bool has_offset = false,
		 uint16_t link = 1)
	{
		std::vector<uint8_t> v;
		put(v, link, 2);
		put(v, 0, 2);
		put(v, snap, 4);
		put(v, 2, 2);            // if_name "eth0": an option the reader ignores
		put(v, 4, 2);
		v.insert(v.end(), {'e', 't', 'h', '0'});
		if (resol >= 0) {
			put(v, 9, 2);
			put(v, 1, 2);
			v.insert(v.end(), {(uint8_t)resol, 0, 0, 0});
		}
		if (has_offset) {
			put(v, 14, 2);
			put(v, 8, 2);
			put(v, (uint64_t)offset, 8);
		}
		put(v, 0, 4);            // end of options
		block(1, v);
	}
	size_t epb(uint32_t iface, uint64_t t, uint8_t tag, uint32_t caplen, uint32_t wirelen,
		   bool comment = false)
	{
		std::vector<uint8_t> v;
		put(v, iface, 4);
		put(v, t >> 32, 4);
		put(v, (uint32_t)t, 4);
		put(v, caplen, 4);
		put(v, wirelen, 4);
		v.push_back(tag);
		v.insert(v.end(), caplen - 1, 0xab);
		v.resize((v.size() + 3) & ~(size_t)3, 0);
		if (comment) {
			put(v, 1, 2);    // opt_comment "hi"
			put(v, 2, 2);
			v.insert(v.end(), {'h', 'i', 0, 0});
			put(v, 0, 4);
		}
		return block(6, v);
	}
	void write(const std::string &path, size_t cut = 0) const
	{
		FILE *fp = fopen(path.c_str(), "wb");
		ASSERT_NE(fp, nullptr);
		ASSERT_EQ(fwrite(b.data(), 1, b.size() - cut, fp), b.size() - cut);
		fclose(fp);
	}
};

// pcapng files are read in place too: the frames (times in every
// unit and offset the reader follows, interfaces described mid-file,
// blocks libpcap skips) must be libpcap's, and so must they be when the
// reader hands the rest to libpcap (a new section, a simple packet
// block, a binary time unit, a frame over the snapshot length, a file cut
// inside a block, an interface with another snapshot length).
TEST(PcapSource, PcapngReadInPlaceGivesLibpcapsFrames)
{
	struct Case {
		const char *name;
		void (*tail)(NgFile &);  // blocks after 3 plain frames
		bool read_to_end;
		size_t cut;
	};
	const Case cases[] = {
		{"skipped blocks and a second interface",
		 [](NgFile &f) {
			 f.block(5, std::vector<uint8_t>(28, 0));      // interface statistics
			 f.block(4, {0, 0, 0, 0});                      // name resolution (empty)
			 f.block(0x40000BAD, {1, 2, 3, 4, 5, 6, 7, 8}); // custom
			 f.idb(262144, 9);                              // nanoseconds
			 f.epb(1, 1700000000123456789ull, 10, 70, 70, true);
			 f.idb(262144, 3, -3600, true);                 // milliseconds, an hour back
			 f.epb(2, 1700000000123ull, 11, 80, 90);
			 f.epb(0, 1700000001000001ull, 12, 60, 60);
		 },
		 true, 0},
		{"new section", [](NgFile &f) { f.shb(); f.idb(262144); f.epb(0, 5, 20, 60, 60); },
		 false, 0},
		{"simple packet block",
		 [](NgFile &f) {
			 std::vector<uint8_t> v;
			 f.put(v, 64, 4);
			 v.push_back(21);
			 v.insert(v.end(), 63, 0);
			 f.block(3, v);
			 f.epb(0, 7, 22, 60, 60);
		 },
		 false, 0},
		{"binary unit", [](NgFile &f) { f.idb(262144, 0x8a); f.epb(1, 1u << 20, 23, 60, 60); },
		 false, 0},
		{"over the snapshot length", [](NgFile &f) { f.epb(0, 9, 24, 300000, 300000); f.epb(0, 10, 25, 60, 60); },
		 false, 0},
		{"cut inside a block", [](NgFile &f) { f.epb(0, 11, 26, 100, 100); }, false, 40},
		{"another snapshot length", [](NgFile &f) { f.idb(1500); f.epb(1, 12, 27, 60, 60); },
		 false, 0},
	};
	for (const Case &cs : cases) {
		for (int be = 0; be < 2; be++) {
			SCOPED_TRACE(std::string(cs.name) + (be ? " big-endian" : " little-endian"));
			NgFile f{be != 0, {}};
			f.shb();
			f.idb(262144);                   // microseconds (no if_tsresol)
			size_t first = f.epb(0, 1700000000000001ull, 1, 60, 60);
			size_t second = f.epb(0, 1700000000999999ull, 2, 1514, 1514);
			f.epb(0, 1700000001500000ull, 3, 150, 2000);
			cs.tail(f);
			std::string a = tmp_path("ng.pcapng");
			f.write(a, cs.cut);
			size_t want_err = 0;
			std::vector<Got> want = read_with_libpcap(a, &want_err);
			ASSERT_GE(want.size(), 3u);
			char err[MOS_SOURCE_ERRLEN];
			struct mos_source *s = open_files({a}, err);
			ASSERT_NE(s, nullptr) << err;
			std::vector<Got> got = drain(s, 2);
			expect_same_frames(got, want);
			ASSERT_EQ(got.size(), want.size());
			EXPECT_EQ(mos_source_counters(s)->errors, want_err);
			EXPECT_EQ(got[0].ts_ns, 1700000000000001000ull);
			EXPECT_EQ(got[2].wirelen, 2000u);
			if (cs.read_to_end) {
				ASSERT_EQ(got.size(), 6u);
				EXPECT_EQ(got[3].ts_ns, 1700000000123456789ull);
				EXPECT_EQ(got[4].ts_ns, 1699996400123000000ull);
				EXPECT_EQ(got[5].tag, 12);
			}
			mos_source_close(s);
			// read in place from the source's buffer: the records' data are
			// as far apart as their blocks
			s = open_files({a}, err);
			ASSERT_NE(s, nullptr) << err;
			struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];
			ASSERT_GE(mos_source_peek(s, r, 2), 2);
			EXPECT_EQ((size_t)(r[1].data - r[0].data), second - first);
			mos_source_close(s);
			unlink(a.c_str());
		}
	}
}

// Damaged copies of the capture files @bases (the first @head bytes,
// the file header, kept; @be[k]: base k is big-endian): bytes of record
// headers, lengths, options and packets changed at random, files cut
// anywhere. Whatever the reader takes and whatever it hands to libpcap,
// the frames and the errors must be libpcap's own. @cases files, fixed
// seed; most must open, and many must end in an error.
void expect_damaged_read_as_libpcap(const std::vector<std::vector<uint8_t>> &bases,
				    const std::vector<bool> &be, size_t head, int cases)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	auto rnd = [&x](uint64_t n) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		return x % n;
	};
	std::string a = tmp_path("damaged");
	int opened = 0, ended_in_error = 0;
	for (int i = 0; i < cases; i++) {
		size_t k = (size_t)i % bases.size();
		std::vector<uint8_t> b = bases[k];
		for (int m = 0, n = 1 + (int)rnd(3); m < n && b.size() > head; m++) {
			switch (rnd(4)) {
			case 0:      // a byte anywhere after the file header
				b[head + rnd(b.size() - head)] = (uint8_t)rnd(256);
				break;
			case 1: {    // a length or type field: small values, most 4-aligned
				if (b.size() - head < 4)
					break;
				size_t at = head + 4 * rnd((b.size() - head) / 4);
				uint32_t v = (uint32_t)(rnd(2) ? rnd(200) : 4 * rnd(50));
				for (size_t j = 0; j < 4 && at + j < b.size(); j++)
					b[at + j] = (uint8_t)(be[k] ? v >> (8 * (3 - j)) : v >> (8 * j));
				break;
			}
			case 2:      // cut
				b.resize(head + rnd(b.size() - head));
				break;
			default:     // one bit
				b[head + rnd(b.size() - head)] ^= (uint8_t)(1u << rnd(8));
			}
		}
		FILE *fp = fopen(a.c_str(), "wb");
		ASSERT_NE(fp, nullptr);
		ASSERT_EQ(fwrite(b.data(), 1, b.size(), fp), b.size());
		fclose(fp);
		SCOPED_TRACE(i);
		size_t want_err = 0;
		std::vector<Got> want = read_with_libpcap(a, &want_err);
		char err[MOS_SOURCE_ERRLEN];
		struct mos_source *s = open_files({a}, err);
		if (s == nullptr) {  // libpcap refused it at open too, or a link type we do not read
			EXPECT_TRUE(want.empty() || std::string(err).find("unsupported link type") !=
							    std::string::npos)
				<< err;
			continue;
		}
		opened++;
		std::vector<Got> got;
		struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];
		for (uint16_t n; (n = mos_source_peek(s, r, 2)) > 0;)
			for (uint16_t j = 0; j < n; j++)
				got.push_back(got_of(r[j]));
		expect_same_frames(got, want);
		EXPECT_EQ(mos_source_counters(s)->errors, want_err);
		ended_in_error += want_err != 0;
		mos_source_close(s);
	}
	unlink(a.c_str());
	EXPECT_GT(opened, cases / 2);
	EXPECT_GT(ended_in_error, cases / 10);
}

std::vector<uint8_t> file_bytes(const std::string &path)
{
	std::vector<uint8_t> b;
	FILE *fp = fopen(path.c_str(), "rb");
	for (int c; fp != nullptr && (c = fgetc(fp)) != EOF;)
		b.push_back((uint8_t)c);
	if (fp != nullptr)
		fclose(fp);
	return b;
}

TEST(PcapSource, DamagedPcapngGivesLibpcapsFramesAndErrors)
{
	std::vector<std::vector<uint8_t>> bases;
	for (int be = 0; be < 2; be++) {
		NgFile f{be != 0, {}};
		f.shb();
		f.idb(262144);
		f.epb(0, 1700000000000001ull, 1, 60, 60);
		f.block(5, std::vector<uint8_t>(28, 0));
		f.idb(262144, 9, 10, true);
		f.epb(1, 1700000000000000002ull, 2, 90, 100, true);
		f.epb(0, 1700000000000003ull, 3, 61, 61);
		f.idb(262144, 3);
		f.epb(2, 1700000000004ull, 4, 70, 70);
		f.epb(1, 1700000000000000005ull, 5, 64, 64);
		bases.push_back(f.b);
	}
	expect_damaged_read_as_libpcap(bases, {false, true}, 28, 3000);
}

TEST(PcapSource, DamagedPcapGivesLibpcapsFramesAndErrors)
{
	const std::vector<RawRec> recs = {
		{1, 1700000000, 123456, 60, 60}, {2, 1700000001, 999999, 200, 200},
		{3, 1700000002, 5, 150, 2000},   {4, 1700000003, 0, 64, 64},
		{5, 1700000003, 7, 90, 90},
	};
	std::vector<std::vector<uint8_t>> bases;
	std::vector<bool> be;
	std::string a = tmp_path("base.pcap");
	for (int big = 0; big < 2; big++)
		for (int nano = 0; nano < 2; nano++) {
			write_raw_pcap(a, big, nano, 65535, recs);
			bases.push_back(file_bytes(a));
			be.push_back(big != 0);
		}
	unlink(a.c_str());
	expect_damaged_read_as_libpcap(bases, be, 24, 3000);
}

// Split reading of a pcapng file: the walk from each range's true first
// block gives exactly the peeked records, blocks libpcap skips are passed
// over, the guess of a range's first block is that block, and an
// interface described after the first packet stops the walk (bad) with
// the rest read by mos_source_peek.
TEST(PcapSource, SplitWalkOfPcapngGivesThePeekedRecords)
{
	for (int be = 0; be < 2; be++) {
		SCOPED_TRACE(be ? "big-endian" : "little-endian");
		NgFile f{be != 0, {}};
		f.shb();
		f.idb(262144, 9);
		f.block(0x00000BAD, {9, 9, 9, 9});      // custom, before the first packet
		f.idb(262144);
		size_t first = 0;
		uint64_t x = 0x9e3779b97f4a7c15ull;
		for (uint32_t i = 0; i < 500; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint32_t len = 20 + (uint32_t)(x % 1500);
			if (i % 97 == 50)
				f.block(5, std::vector<uint8_t>(28, 0));
			size_t at = f.epb(i & 1,
					  (i & 1 ? 1700000000000000ull : 1700000000000000000ull) + i * 1000,
					  (uint8_t)i, len, len + (i % 5 == 0 ? 100 : 0), i % 7 == 0);
			if (i == 0)
				first = at;
		}
		std::string a = tmp_path("split.pcapng");
		f.write(a);
		char err[MOS_SOURCE_ERRLEN];
		struct mos_source *peek = open_files({a}, err), *walk = mos_source_pcap_dup(peek, err);
		ASSERT_NE(peek, nullptr) << err;
		ASSERT_NE(walk, nullptr) << err;
		struct mos_source_layout lay;
		ASSERT_TRUE(mos_source_split_begin(walk, &lay));
		EXPECT_EQ(lay.first, first);
		std::vector<Whole> want = peek_all(peek, 7);
		ASSERT_EQ(want.size(), 500u);
		EXPECT_EQ(want[1].g.ts_ns, 1700000000001000000ull);    // microsecond interface
		EXPECT_EQ(want[2].g.ts_ns, 1700000000000002000ull);    // nanosecond interface
		for (size_t chunk : {100u, 1600u, 4096u, 65536u}) {
			SCOPED_TRACE(chunk);
			struct mos_source_counters c = {};
			expect_same_recs(walk_ranges(walk, lay, chunk, &c), want);
			EXPECT_EQ(c.packets, 500u);
		}
		mos_source_close(walk);
		mos_source_close(peek);
		unlink(a.c_str());
	}
	// an interface described after the first packet: the walk stops there
	NgFile f{false, {}};
	f.shb();
	f.idb(262144);
	for (uint8_t i = 0; i < 10; i++)
		f.epb(0, 1700000000000000ull + i, i, 60, 60);
	f.idb(262144, 9);
	for (uint8_t i = 10; i < 20; i++)
		f.epb(i & 1, 1700000000000000ull + i, i, 60, 60);
	std::string a = tmp_path("split_idb.pcapng");
	f.write(a);
	size_t want_err = 0;
	std::vector<Got> want = read_with_libpcap(a, &want_err);
	ASSERT_EQ(want.size(), 20u);
	char err[MOS_SOURCE_ERRLEN];
	struct mos_source *s = open_files({a}, err);
	ASSERT_NE(s, nullptr) << err;
	struct mos_source_layout lay;
	ASSERT_TRUE(mos_source_split_begin(s, &lay));
	std::vector<struct mos_source_rec> buf(64);
	std::vector<uint8_t> mem(lay.len);
	struct mos_source_view v = {mem.data(), mem.size(), lay.first, lay.first, SIZE_MAX};
	struct mos_source_counters c = {};
	size_t at = lay.first;
	bool bad = false;
	unsigned n = mos_source_split_walk(s, &v, &at, lay.len, buf.data(), (unsigned)buf.size(), &c,
					   &bad);
	EXPECT_TRUE(bad);
	ASSERT_EQ(n, 10u);
	mos_source_split_pass(s, &c);
	mos_source_split_end(s, at);
	struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];
	std::vector<Got> got;
	for (unsigned i = 0; i < n; i++)
		got.push_back(got_of(buf[i]));
	for (uint16_t k; (k = mos_source_peek(s, r, 3)) > 0;)
		for (uint16_t i = 0; i < k; i++)
			got.push_back(got_of(r[i]));
	expect_same_frames(got, want);
	EXPECT_EQ(mos_source_counters(s)->errors, 0u);
	mos_source_close(s);
	unlink(a.c_str());
}

TEST(EthdevSource, UnknownPortIsRefused)
{
	char err[MOS_SOURCE_ERRLEN];
	EXPECT_EQ(mos_source_ethdev_open(77, 0, err), nullptr);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_NE(std::string(err).find("port 77 does not exist"), std::string::npos);
}

TEST(TscClock, AdvancesAndStartsNearWallClock)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t wall = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	uint64_t a = mos_tsc_now_ns();
	usleep(2000);
	uint64_t b = mos_tsc_now_ns();
	EXPECT_GT(b, a + 1000000u);
	EXPECT_LT(a > wall ? a - wall : wall - a, 5000000000ull);
}

}  // namespace
