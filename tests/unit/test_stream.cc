// SPDX-License-Identifier: BSD-3-Clause
// Unit tests of the per-direction stream reassembler (mos/stream.h): overlap
// policies on every overlap shape, sequence wrap, SYN/FIN/RST data, holes,
// caps, cursors with lost bytes, retransmission flags.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim.h"

namespace {

constexpr uint32_t kIsn = 1000;   // sequence number of offset 0 in most tests

class Stream : public ::testing::Test {
protected:
	std::vector<mos_stream_event> events;
	mos_stream_pool *pool = nullptr;
	mos_stream *s = nullptr;

	static void on_event(mos_stream *, const mos_stream_event *ev, void *ctx)
	{
		static_cast<Stream *>(ctx)->events.push_back(*ev);
	}

	void make_pool(uint32_t page_size = 4096, uint32_t pages = 256,
		       mos_stream_memcap *mc = nullptr, uint32_t max_ranges = 0)
	{
		mos_stream_pool_config pc = {};
		pc.max_ranges = max_ranges;
		pc.page_size = page_size;
		pc.n_pages = pages;
		pc.max_streams = 8;
		pc.memcap = mc;
		pc.event_cb = on_event;
		pc.event_ctx = this;
		pool = mos_stream_pool_create(&pc);
		ASSERT_NE(pool, nullptr);
	}

	void make_stream(mos_stream_policy pol = MOS_STREAM_POLICY_FIRST,
			 uint32_t buf = 65536, uint32_t isn = kIsn)
	{
		if (pool == nullptr)
			make_pool();
		mos_stream_config c = {};
		c.buf_size = buf;
		c.policy = pol;
		s = mos_stream_create(pool, isn, &c);
		ASSERT_NE(s, nullptr);
	}

	void TearDown() override
	{
		mos_stream_destroy(s);
		mos_stream_pool_free(pool);
	}

	int ins(uint64_t off, const std::string &d, unsigned fl = 0)
	{
		return mos_stream_insert(s, kIsn + (uint32_t)off,
					 (const uint8_t *)d.data(), (uint32_t)d.size(), fl);
	}

	mos_stream_info info()
	{
		mos_stream_info i;
		EXPECT_EQ(mos_stream_get_info(s, &i), 0);
		return i;
	}

	// In-order bytes [from, to) as a string, '_' for a lost byte.
	std::string bytes(uint64_t from, uint64_t to)
	{
		std::string out;
		for (uint64_t o = from; o < to; o++) {
			char c;
			ssize_t n = mos_stream_peek(s, o, &c, 1);
			out += n == 1 ? c : '_';
		}
		return out;
	}

	std::string all() { return bytes(info().base, info().edge); }

	size_t count(mos_stream_event_type t)
	{
		size_t n = 0;
		for (auto &e : events)
			n += e.type == t;
		return n;
	}
};

// ---- overlap policies on every shape -------------------------------------

// The old segment O is [20, 30) of 'o'; the new N of 'n' has one of nine
// shapes; everything is out of order (nothing at 0..15), then the hole is
// skipped and the bytes of [15, 35) are read.
struct Shape {
	const char *name;
	uint64_t ns, ne;
};
const Shape kShapes[9] = {
	{"StartsBeforeEndsInside", 15, 25}, {"StartsBeforeEndsAt", 15, 30},
	{"StartsBeforeCovers", 15, 35},     {"StartsAtEndsInside", 20, 25},
	{"StartsAtEndsAt", 20, 30},         {"StartsAtEndsAfter", 20, 35},
	{"IsCovered", 22, 28},              {"StartsInsideEndsAt", 25, 30},
	{"StartsInsideEndsAfter", 25, 35},
};

// Whether N wins the overlapping bytes, per policy and shape (the table in
// docs/reassembly.md, written out by hand).
struct PolicyRow {
	mos_stream_policy p;
	bool wins[9];
};
const PolicyRow kTable[] = {
	{MOS_STREAM_POLICY_FIRST,     {0, 0, 0, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_VISTA,     {0, 0, 0, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_LAST,      {1, 1, 1, 1, 1, 1, 1, 1, 1}},
	{MOS_STREAM_POLICY_BSD,       {1, 1, 1, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_WINDOWS,   {1, 1, 1, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_MACOS,     {1, 1, 1, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_HPUX10,    {1, 1, 1, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_IRIX,      {1, 1, 1, 0, 0, 0, 0, 0, 0}},
	{MOS_STREAM_POLICY_LINUX,     {1, 1, 1, 0, 0, 1, 0, 0, 0}},
	{MOS_STREAM_POLICY_OLD_LINUX, {1, 1, 1, 0, 1, 1, 0, 0, 0}},
	{MOS_STREAM_POLICY_SOLARIS,   {0, 1, 1, 0, 1, 1, 0, 0, 1}},
	{MOS_STREAM_POLICY_HPUX11,    {0, 1, 1, 0, 1, 1, 0, 0, 1}},
};

TEST_F(Stream, EveryPolicyOnEveryOverlapShapeKeepsTheDocumentedBytes)
{
	make_pool();
	for (const PolicyRow &row : kTable) {
		for (int k = 0; k < 9; k++) {
			const Shape &sh = kShapes[k];
			SCOPED_TRACE(std::string(mos_stream_policy_name(row.p)) + " " + sh.name);
			make_stream(row.p);
			ASSERT_GE(ins(20, std::string(10, 'o')), 0);
			int r = ins(sh.ns, std::string(sh.ne - sh.ns, 'n'));
			ASSERT_GE(r, 0);
			EXPECT_TRUE(r & MOS_STREAM_INS_MISMATCH);
			EXPECT_TRUE(r & MOS_STREAM_INS_OOO);
			mos_stream_skip_to(s, 40);
			std::string want;
			for (uint64_t o = 15; o < 35; o++) {
				bool in_n = o >= sh.ns && o < sh.ne, in_o = o >= 20 && o < 30;
				if (in_n && in_o)
					want += row.wins[k] ? 'n' : 'o';
				else if (in_n)
					want += 'n';
				else if (in_o)
					want += 'o';
				else
					want += '_';
			}
			EXPECT_EQ(bytes(15, 35), want);
			mos_stream_destroy(s);
			s = nullptr;
		}
	}
}

TEST_F(Stream, PolicyNamesRoundTrip)
{
	for (int p = 0; p < MOS_STREAM_POLICY_COUNT; p++) {
		const char *n = mos_stream_policy_name((mos_stream_policy)p);
		ASSERT_NE(n, nullptr);
		EXPECT_EQ(mos_stream_policy_from_name(n), p);
	}
	EXPECT_EQ(mos_stream_policy_from_name("plan9"), -EINVAL);
	EXPECT_EQ(mos_stream_policy_name(MOS_STREAM_POLICY_COUNT), nullptr);
	EXPECT_STREQ(mos_stream_policy_name(MOS_STREAM_POLICY_LINUX), "linux");
}

TEST_F(Stream, InOrderSegmentCoveringBufferedDataWinsUnderLinuxNotUnderFirst)
{
	// craft_ooo_overlap_conflict: "XXXX" buffered out of order, then the
	// in-order "GOODGOOD" covers it.
	make_stream(MOS_STREAM_POLICY_LINUX);
	ins(4, "XXXX");
	int r = ins(0, "GOODGOOD");
	EXPECT_TRUE(r & MOS_STREAM_INS_MISMATCH);
	EXPECT_TRUE(r & MOS_STREAM_INS_PARTIAL);
	EXPECT_EQ(all(), "GOODGOOD");
	mos_stream_destroy(s);
	make_stream(MOS_STREAM_POLICY_FIRST);
	ins(4, "XXXX");
	ins(0, "GOODGOOD");
	EXPECT_EQ(all(), "GOODXXXX");
}

TEST_F(Stream, BytesBelowTheEdgeAreFinalEvenUnderLast)
{
	// sv_overlap_exact: "GOOD" delivered, then "EVIL" at the same offset.
	make_stream(MOS_STREAM_POLICY_LAST);
	ins(0, "GOOD");
	int r = ins(0, "EVIL");
	EXPECT_TRUE(r & MOS_STREAM_INS_REXMIT);
	EXPECT_TRUE(r & MOS_STREAM_INS_MISMATCH);
	EXPECT_EQ(all(), "GOOD");
}

TEST_F(Stream, OverlapMismatchReportsStoredAndNewRanges)
{
	make_stream(MOS_STREAM_POLICY_FIRST);
	ins(10, "abcdefghij");          // out of order, [10, 20)
	ins(15, "fgXijklm");            // [15, 23), byte 17 differs
	ASSERT_EQ(count(MOS_STREAM_EV_OVERLAP_MISMATCH), 1u);
	const mos_stream_event &e = events.back();
	EXPECT_EQ(e.stored_start, 10u);
	EXPECT_EQ(e.stored_end, 20u);
	EXPECT_EQ(e.new_start, 15u);
	EXPECT_EQ(e.new_end, 23u);
	EXPECT_EQ(e.first_diff, 17u);
	EXPECT_EQ(e.diff_bytes, 1u);
	EXPECT_EQ(info().mismatch_bytes, 1u);
	// Same bytes again: no new report.
	ins(10, "abcdefghij");
	EXPECT_EQ(count(MOS_STREAM_EV_OVERLAP_MISMATCH), 1u);

	// Below the edge, the overlapped in-order range is reported.
	ins(0, "0123456789");
	events.clear();
	ins(2, "2x4");
	ASSERT_EQ(count(MOS_STREAM_EV_OVERLAP_MISMATCH), 1u);
	EXPECT_EQ(events[0].stored_start, 2u);
	EXPECT_EQ(events[0].stored_end, 5u);
	EXPECT_EQ(events[0].first_diff, 3u);
}

// ---- sequence numbers ----------------------------------------------------

TEST_F(Stream, SequenceWrapAroundAtTwoToThe32IsTransparent)
{
	const uint32_t isn = 0xfffffff0u;
	make_stream(MOS_STREAM_POLICY_FIRST, 65536, isn);
	std::string a(10, 'a'), b(10, 'b'), c(10, 'c');
	// [0,10) before the wrap, [20,30) after it arrives first, [10,20) spans it.
	EXPECT_TRUE(mos_stream_insert(s, isn, (const uint8_t *)a.data(), 10, 0) & MOS_STREAM_INS_NEW);
	int r = mos_stream_insert(s, isn + 20, (const uint8_t *)c.data(), 10, 0);
	EXPECT_TRUE(r & MOS_STREAM_INS_OOO);
	EXPECT_EQ(mos_stream_seq_to_off(s, isn + 20), 20);
	EXPECT_EQ(mos_stream_seq_to_off(s, 4u), 20); // 0xfffffff0 + 20 wraps to 4
	mos_stream_insert(s, isn + 10, (const uint8_t *)b.data(), 10, 0);
	EXPECT_EQ(info().edge, 30u);
	EXPECT_EQ(all(), a + b + c);
}

TEST_F(Stream, OffsetsKeepGrowingPastFourGigabytes)
{
	make_stream(MOS_STREAM_POLICY_FIRST, 65536, 7);
	std::string chunk(60000, 'z');
	uint64_t total = 0;
	int cur = mos_stream_cursor_open(s);
	std::vector<char> buf(65536);
	// Skip most of the way with holes, then stream across 2^32.
	mos_stream_skip_to(s, (1ull << 32) - 100000);
	total = (1ull << 32) - 100000;
	for (int i = 0; i < 4; i++) {
		mos_stream_insert(s, 7u + (uint32_t)total, (const uint8_t *)chunk.data(), 60000, 0);
		total += 60000;
	}
	EXPECT_EQ(info().edge, total);
	uint64_t lost = 0, got = 0;
	ssize_t n;
	while ((n = mos_stream_read(s, cur, buf.data(), buf.size(), &lost)) >= 0)
		got += (uint64_t)n;
	EXPECT_EQ(n, -ENODATA);
	EXPECT_EQ(got + lost, total);
	EXPECT_EQ(info().gap_bytes, (1ull << 32) - 100000);
}

TEST_F(Stream, BytesBeforeOffsetZeroAreCutOff)
{
	make_stream();
	int r = mos_stream_insert(s, kIsn - 3, (const uint8_t *)"xyzabc", 6, 0);
	EXPECT_TRUE(r & MOS_STREAM_INS_BEFORE_START);
	EXPECT_EQ(all(), "abc");
	EXPECT_EQ(info().before_start_bytes, 3u);
}

// ---- SYN, FIN, RST, urgent, keep-alive -----------------------------------

TEST_F(Stream, DataOnSynStartsAtOffsetZero)
{
	make_stream(MOS_STREAM_POLICY_FIRST, 65536, kIsn + 1); // ISN = kIsn
	int r = mos_stream_insert(s, kIsn, (const uint8_t *)"tfo", 3, MOS_STREAM_SEG_SYN);
	EXPECT_TRUE(r & MOS_STREAM_INS_ADVANCED);
	mos_stream_insert(s, kIsn + 4, (const uint8_t *)"!", 1, 0);
	EXPECT_EQ(all(), "tfo!");
}

TEST_F(Stream, DataWithFinIsKeptAndEndRecorded)
{
	make_stream();
	ins(0, "hello ");
	ins(6, "world", MOS_STREAM_SEG_FIN);
	mos_stream_info i = info();
	EXPECT_TRUE(i.fin_seen);
	EXPECT_EQ(i.fin_off, 11u);
	EXPECT_EQ(all(), "hello world");
	EXPECT_TRUE(ins(11, "more") & MOS_STREAM_INS_AFTER_FIN);
}

TEST_F(Stream, FinBeforeLastDataStillDeliversEverything)
{
	// craft_fin_before_data: FIN segment (with its data) overtakes the one before it.
	make_stream();
	ins(0, "head-");
	ins(10, "tail", MOS_STREAM_SEG_FIN);
	ins(5, "body-");
	EXPECT_EQ(all(), "head-body-tail");
	EXPECT_EQ(info().fin_off, 14u);
}

TEST_F(Stream, DataWithRstIsKept)
{
	make_stream();
	ins(0, "abc");
	ins(3, "reset-data", MOS_STREAM_SEG_RST);
	EXPECT_TRUE(info().rst_seen);
	EXPECT_EQ(info().rst_off, 13u);
	EXPECT_EQ(all(), "abcreset-data");
}

TEST_F(Stream, KeepAliveOneByteBelowEdgeIsNotData)
{
	// craft_keepalive_zerowin: the probe's garbage byte overlaps the last '2'.
	make_stream(MOS_STREAM_POLICY_LAST);
	ins(0, "data1");
	ins(5, "data2");
	int r = ins(9, std::string(1, '\0'));
	EXPECT_EQ(r, MOS_STREAM_INS_KEEPALIVE);
	EXPECT_EQ(count(MOS_STREAM_EV_OVERLAP_MISMATCH), 0u);
	EXPECT_EQ(info().keepalives, 1u);
	EXPECT_EQ(info().rexmit_bytes, 0u);
	EXPECT_EQ(all(), "data1data2");
}

TEST_F(Stream, OwnerFlaggedZeroWindowProbeIsIgnored)
{
	make_stream();
	ins(0, "data1");
	EXPECT_EQ(ins(5, "d", MOS_STREAM_SEG_PROBE), MOS_STREAM_INS_KEEPALIVE);
	EXPECT_EQ(info().edge, 5u);
	ins(5, "data2");
	EXPECT_EQ(all(), "data1data2");
}

// ---- retransmissions -----------------------------------------------------

TEST_F(Stream, RetransmissionFlagsForFullPartialAndNewSegments)
{
	make_stream();
	EXPECT_EQ(ins(0, "0123456789"), MOS_STREAM_INS_NEW | MOS_STREAM_INS_ADVANCED);
	EXPECT_EQ(ins(0, "0123456789"), MOS_STREAM_INS_REXMIT);
	int r = ins(5, "56789abcde");
	EXPECT_EQ(r, MOS_STREAM_INS_NEW | MOS_STREAM_INS_PARTIAL | MOS_STREAM_INS_ADVANCED);
	// Out of order, then its duplicate.
	r = ins(30, "xyz");
	EXPECT_EQ(r, MOS_STREAM_INS_NEW | MOS_STREAM_INS_OOO);
	r = ins(30, "xyz");
	EXPECT_EQ(r, MOS_STREAM_INS_REXMIT | MOS_STREAM_INS_OOO);
	mos_stream_info i = info();
	EXPECT_EQ(i.rexmit_segs, 2u);
	EXPECT_EQ(i.partial_rexmit_segs, 1u);
	EXPECT_EQ(i.rexmit_bytes, 10u + 5u + 3u);
	EXPECT_EQ(i.ooo_segs, 2u);
	EXPECT_EQ(i.recv_max, 33u);
}

TEST_F(Stream, RetransmissionIsDetectedAfterTheBytesWereReleased)
{
	make_stream();
	int c = mos_stream_cursor_open(s);
	ins(0, std::string(9000, 'q'));
	std::vector<char> buf(9000);
	ASSERT_EQ(mos_stream_read(s, c, buf.data(), buf.size(), nullptr), 9000);
	EXPECT_EQ(info().base, 9000u);                 // consumed -> released
	EXPECT_LE(info().pages, 1u);
	EXPECT_EQ(ins(100, std::string(50, 'q')), MOS_STREAM_INS_REXMIT);
	EXPECT_EQ(ins(8990, std::string(20, 'q')),
		  MOS_STREAM_INS_NEW | MOS_STREAM_INS_PARTIAL | MOS_STREAM_INS_ADVANCED);
}

TEST_F(Stream, RetransmissionOfDataACapDroppedIsStillARetransmission)
{
	make_pool(4096, 1);                            // one page in the pool
	make_stream();
	ins(0, "in-order");                            // takes the only page
	int r = ins(10000, "beyond");                   // needs a second page
	EXPECT_TRUE(r & MOS_STREAM_INS_DROPPED);
	EXPECT_TRUE(r & MOS_STREAM_INS_NEW);
	ASSERT_EQ(count(MOS_STREAM_EV_BUFFER_FULL), 1u);
	EXPECT_EQ(events[0].reason, MOS_STREAM_FULL_POOL);
	r = ins(10000, "beyond");
	EXPECT_TRUE(r & MOS_STREAM_INS_REXMIT);        // seen before, not stored
	EXPECT_FALSE(r & MOS_STREAM_INS_NEW);
}

// A closed connection's stream gives its pages to a live one when the pool
// is empty, once its bytes were announced; not before, and never its own.
TEST_F(Stream, ReclaimableStreamGivesItsPagesWhenThePoolIsEmpty)
{
	make_pool(4096, 2);                            // two pages in the pool
	make_stream();
	mos_stream *closed = s;
	EXPECT_TRUE(ins(0, std::string(8000, 'a')) & MOS_STREAM_INS_ADVANCED); // both pages
	mos_stream_set_reclaimable(closed);
	mos_stream_config c = {};
	c.buf_size = 65536;
	mos_stream *live = mos_stream_create(pool, kIsn, &c);
	ASSERT_NE(live, nullptr);
	const uint8_t data[100] = {'b'};
	// not announced yet (mos_stream_new_data not called): kept, bytes refused
	EXPECT_TRUE(mos_stream_insert(live, kIsn, data, 100, 0) & MOS_STREAM_INS_DROPPED);
	EXPECT_EQ(info().pages, 2u);
	EXPECT_EQ(mos_stream_new_data(closed), 8000u);
	// announced: reclaimed, turned off, counted
	EXPECT_FALSE(mos_stream_insert(live, kIsn + 100, data, 100, 0) & MOS_STREAM_INS_DROPPED);
	EXPECT_EQ(info().pages, 0u);
	EXPECT_TRUE(info().off);
	char b[4];
	EXPECT_EQ(mos_stream_peek(closed, 0, b, 4), -ERANGE);
	mos_stream_pool_stats st;
	mos_stream_pool_get_stats(pool, &st);
	EXPECT_EQ(st.reclaimed_streams, 1u);
	EXPECT_EQ(st.reclaimed_pages, 2u);
	// a stream never takes its own pages back
	std::string more(4096, 'c');
	EXPECT_FALSE(mos_stream_insert(live, kIsn + 200, (const uint8_t *)more.data(), 4096, 0) &
		     MOS_STREAM_INS_DROPPED);             // the last free page
	mos_stream_new_data(live);
	mos_stream_set_reclaimable(live);
	EXPECT_TRUE(mos_stream_insert(live, kIsn + 8192, data, 100, 0) & MOS_STREAM_INS_DROPPED);
	char c1;
	EXPECT_EQ(mos_stream_peek(live, 150, &c1, 1), 1);
	mos_stream_destroy(live);                      // unlinks it from the list
	mos_stream_pool_get_stats(pool, &st);
	EXPECT_EQ(st.reclaimed_streams, 1u);
}

// A reader's cursor behind the edge keeps the bytes: no reclaim.
TEST_F(Stream, ReclaimSparesAStreamACursorHasNotRead)
{
	make_pool(4096, 1);
	make_stream();
	int cur = mos_stream_cursor_open(s);
	ASSERT_GE(cur, 0);
	ins(0, "unread");
	mos_stream_new_data(s);
	mos_stream_set_reclaimable(s);
	mos_stream_config c = {};
	c.buf_size = 65536;
	mos_stream *live = mos_stream_create(pool, kIsn, &c);
	ASSERT_NE(live, nullptr);
	const uint8_t data[10] = {'x'};
	EXPECT_TRUE(mos_stream_insert(live, kIsn, data, 10, 0) & MOS_STREAM_INS_DROPPED);
	char b[6];
	EXPECT_EQ(mos_stream_read(s, cur, b, 6, nullptr), 6);
	EXPECT_EQ(std::string(b, 6), "unread");
	mos_stream_destroy(live);
}

// ---- holes ---------------------------------------------------------------

TEST_F(Stream, SkipToCountsTheHoleAndDeliversDataAfterIt)
{
	make_stream();
	int c = mos_stream_cursor_open(s);
	ins(0, "abc");
	ins(10, "klm");
	ins(20, "uvw");
	EXPECT_EQ(info().edge, 3u);
	EXPECT_EQ(mos_stream_skip_to(s, 23), 7 + 7);
	mos_stream_info i = info();
	EXPECT_EQ(i.edge, 23u);
	EXPECT_EQ(i.gap_bytes, 14u);
	ASSERT_EQ(count(MOS_STREAM_EV_GAP), 2u);
	EXPECT_EQ(events[0].stored_start, 3u);
	EXPECT_EQ(events[0].stored_end, 10u);
	EXPECT_EQ(events[1].stored_start, 13u);
	EXPECT_EQ(events[1].stored_end, 20u);
	char buf[64];
	uint64_t lost = 0;
	EXPECT_EQ(mos_stream_read(s, c, buf, sizeof(buf), &lost), 3);
	EXPECT_EQ(std::string(buf, 3), "abc");
	EXPECT_EQ(lost, 0u);
	EXPECT_EQ(mos_stream_read(s, c, buf, sizeof(buf), &lost), 3);
	EXPECT_EQ(std::string(buf, 3), "klm");
	EXPECT_EQ(lost, 7u);
	EXPECT_EQ(mos_stream_read(s, c, buf, sizeof(buf), &lost), 3);
	EXPECT_EQ(std::string(buf, 3), "uvw");
	EXPECT_EQ(lost, 14u);
	EXPECT_EQ(mos_stream_read(s, c, buf, sizeof(buf), &lost), -ENODATA);
	EXPECT_EQ(mos_stream_peek(s, 5, buf, 1), -ERANGE);   // released by the read
}

TEST_F(Stream, SkipIntoStoredDataContinuesToItsEnd)
{
	make_stream();
	ins(10, "0123456789");
	EXPECT_EQ(mos_stream_skip_to(s, 15), 10);
	EXPECT_EQ(info().edge, 20u);
	EXPECT_EQ(bytes(0, 20), std::string(10, '_') + "0123456789");
	EXPECT_EQ(mos_stream_peek(s, 3, nullptr, 0), -ENOENT);
}

TEST_F(Stream, LateDataForASkippedHoleIsOld)
{
	make_stream();
	ins(0, "ab");
	ins(5, "fg");
	mos_stream_skip_to(s, 7);
	int r = ins(2, "cde");
	EXPECT_EQ(r, MOS_STREAM_INS_REXMIT);
	EXPECT_EQ(bytes(0, 7), "ab___fg");
}

// ---- caps and windows ----------------------------------------------------

TEST_F(Stream, MemcapHitDropsDataKeepsTheStreamAndCounts)
{
	mos_stream_memcap mc;
	mos_stream_memcap_init(&mc, 2 * 1024);           // two 1 KiB pages
	make_pool(1024, 64, &mc);
	make_stream(MOS_STREAM_POLICY_FIRST, 16384);
	int c = mos_stream_cursor_open(s);
	int r = ins(0, std::string(3000, 'a'));
	EXPECT_TRUE(r & MOS_STREAM_INS_DROPPED);
	EXPECT_TRUE(r & MOS_STREAM_INS_ADVANCED);
	ASSERT_EQ(count(MOS_STREAM_EV_BUFFER_FULL), 1u);
	EXPECT_EQ(events[0].reason, MOS_STREAM_FULL_MEMCAP);
	EXPECT_EQ(events[0].stored_start, 2048u);
	EXPECT_EQ(events[0].stored_end, 3000u);
	EXPECT_EQ(info().dropped_bytes, 952u);
	EXPECT_EQ(info().edge, 3000u);                   // progress is forced
	EXPECT_GE(mc.hits, 1u);
	mos_stream_pool_stats ps;
	mos_stream_pool_get_stats(pool, &ps);
	EXPECT_EQ(ps.full[MOS_STREAM_FULL_MEMCAP], 1u);
	// The reader gets what was stored and the dropped bytes as lost.
	std::vector<char> buf(4096);
	uint64_t lost = 0;
	EXPECT_EQ(mos_stream_read(s, c, buf.data(), buf.size(), &lost), 2048);
	EXPECT_EQ(mos_stream_read(s, c, buf.data(), buf.size(), &lost), 0);
	EXPECT_EQ(lost, 952u);
	// Memory was released by the read: new data fits again.
	r = ins(3000, std::string(500, 'b'));
	EXPECT_FALSE(r & MOS_STREAM_INS_DROPPED);
	EXPECT_EQ(mos_stream_read(s, c, buf.data(), buf.size(), &lost), 500);
	EXPECT_STREQ(mos_stream_full_reason_name(MOS_STREAM_FULL_MEMCAP), "memcap");
}

TEST_F(Stream, OutOfOrderDataBeyondTheWindowIsDropped)
{
	make_stream(MOS_STREAM_POLICY_FIRST, 8192);
	ins(0, "x");
	int r = ins(8190, "abcd");                      // window ends at 1 + 8192
	EXPECT_TRUE(r & MOS_STREAM_INS_DROPPED);
	ASSERT_EQ(count(MOS_STREAM_EV_BUFFER_FULL), 1u);
	EXPECT_EQ(events[0].reason, MOS_STREAM_FULL_WINDOW);
	EXPECT_EQ(events[0].stored_start, 8193u);
	EXPECT_EQ(events[0].stored_end, 8194u);
	mos_stream_frag f[4];
	ASSERT_EQ(mos_stream_fragments(s, f, 4), 1);
	EXPECT_EQ(f[0].start, 8190u);
	EXPECT_EQ(f[0].end, 8193u);
}

TEST_F(Stream, LaggingCursorLosesBytesTheWindowPushedOut)
{
	make_stream(MOS_STREAM_POLICY_FIRST, 4096);
	int c = mos_stream_cursor_open(s);
	for (int i = 0; i < 5; i++)
		ins((uint64_t)i * 2000, std::string(2000, (char)('a' + i)));
	std::vector<char> buf(20000);
	uint64_t lost = 0;
	ssize_t n = mos_stream_read(s, c, buf.data(), buf.size(), &lost);
	EXPECT_EQ(lost + (uint64_t)n, 10000u);
	EXPECT_LE((uint64_t)n, 4096u);
	EXPECT_EQ(buf[n - 1], 'e');
	EXPECT_EQ(mos_stream_read(s, c, buf.data(), buf.size(), &lost), -ENODATA);
}

TEST_F(Stream, GiantInOrderSegmentLargerThanTheWindowIsDeliveredInFull)
{
	make_stream(MOS_STREAM_POLICY_FIRST, 4096);
	std::string big(10000, 'g');
	big[9999] = 'G';
	int r = ins(0, big);
	EXPECT_FALSE(r & MOS_STREAM_INS_DROPPED);
	EXPECT_EQ(info().edge, 10000u);
	char last;
	EXPECT_EQ(mos_stream_peek(s, 9999, &last, 1), 1);
	EXPECT_EQ(last, 'G');
	EXPECT_EQ(mos_stream_peek(s, 0, &last, 1), -ERANGE);
}

TEST_F(Stream, TooManyHolesHitTheRangeTableCapAndAreCounted)
{
	make_pool(4096, 64, nullptr, 8);                  // 8 ranges per stream
	make_stream(MOS_STREAM_POLICY_FIRST, 4096);
	int dropped = 0;
	for (int i = 0; i < 20; i++)
		dropped += !!(ins(10 + (uint64_t)i * 3, "z") & MOS_STREAM_INS_DROPPED);
	EXPECT_GT(dropped, 0);
	mos_stream_pool_stats ps;
	mos_stream_pool_get_stats(pool, &ps);
	EXPECT_EQ(ps.full[MOS_STREAM_FULL_SEGMENTS], (uint64_t)dropped);
	EXPECT_GE(info().ranges, 7u);                     // 2 kept free for splits
	EXPECT_LE(info().ranges, 8u);
	EXPECT_EQ(ps.range_tables_in_use, 1u);
	// Skipping makes ~20 holes below the edge: a full table merges holes
	// (losing the valid bytes between them) rather than failing.
	int c = mos_stream_cursor_open(s);
	mos_stream_skip_to(s, 100);
	EXPECT_LE(info().ranges, 8u);
	std::vector<char> buf(200);
	uint64_t lost = 0, got = 0;
	ssize_t n;
	while ((n = mos_stream_read(s, c, buf.data(), buf.size(), &lost)) >= 0) {
		for (ssize_t k = 0; k < n; k++)
			EXPECT_EQ(buf[k], 'z');
		got += (uint64_t)n;
	}
	EXPECT_EQ(got + lost, 100u);
	EXPECT_GE(got, 1u);
	// Everything read and released: the table goes back to the pool.
	mos_stream_pool_get_stats(pool, &ps);
	EXPECT_EQ(info().ranges, 0u);
	EXPECT_EQ(ps.range_tables_in_use, 0u);
}

TEST_F(Stream, ResizingKeepsDataAndShrinkingDropsWhatNoLongerFits)
{
	make_stream(MOS_STREAM_POLICY_FIRST, 8192);
	ins(0, "abc");
	ins(5000, "far");
	ASSERT_EQ(mos_stream_set_buffer_size(s, 1 << 20), 0);  // slot table moves to a page
	EXPECT_EQ(info().buf_size, 1u << 20);
	ins(600000, "very far");
	EXPECT_EQ(mos_stream_fragments(s, nullptr, 0), 2);
	EXPECT_EQ(all(), "abc");
	ASSERT_EQ(mos_stream_set_buffer_size(s, 4096), 0);
	mos_stream_frag f[2];
	EXPECT_EQ(mos_stream_fragments(s, f, 2), 0);      // both beyond 3 + 4096
	EXPECT_EQ(all(), "abc");
	ins(3, "d");
	EXPECT_EQ(all(), "abcd");
	EXPECT_EQ(mos_stream_set_buffer_size(s, 0), -EINVAL);
	EXPECT_EQ(mos_stream_set_buffer_size(s, 0x7fffffff), -EINVAL);
}

TEST_F(Stream, TurnedOffStreamStoresNothingAndResumesWithAGap)
{
	make_stream();
	ins(0, "abc");
	ASSERT_EQ(mos_stream_set_off(s, true), 0);
	EXPECT_EQ(info().pages, 0u);
	EXPECT_EQ(ins(3, "def"), MOS_STREAM_INS_OFF);
	ASSERT_EQ(mos_stream_set_off(s, false), 0);
	EXPECT_EQ(info().gap_bytes, 3u);
	ins(6, "ghi");
	EXPECT_EQ(all(), "ghi");
}

TEST_F(Stream, PoolRefusesStreamsBeyondItsObjectsAndReusesFreedOnes)
{
	make_pool();
	std::vector<mos_stream *> v;
	for (int i = 0; i < 8; i++) {
		v.push_back(mos_stream_create(pool, 1, nullptr));
		ASSERT_NE(v.back(), nullptr);
	}
	errno = 0;
	EXPECT_EQ(mos_stream_create(pool, 1, nullptr), nullptr);
	EXPECT_EQ(errno, ENOBUFS);
	mos_stream_destroy(v[3]);
	v[3] = mos_stream_create(pool, 1, nullptr);
	EXPECT_NE(v[3], nullptr);
	mos_stream_pool_stats ps;
	mos_stream_pool_get_stats(pool, &ps);
	EXPECT_EQ(ps.streams_refused, 1u);
	EXPECT_EQ(ps.streams_in_use, 8u);
	for (auto *x : v)
		mos_stream_destroy(x);
}

TEST_F(Stream, DestroyReturnsEveryPage)
{
	make_pool(1024, 32);
	make_stream(MOS_STREAM_POLICY_FIRST, 16384);
	ins(0, std::string(5000, 'a'));
	ins(9000, std::string(100, 'b'));
	mos_stream_pool_stats ps;
	mos_stream_pool_get_stats(pool, &ps);
	EXPECT_GT(ps.pages_in_use, 5u);
	mos_stream_destroy(s);
	s = nullptr;
	mos_stream_pool_get_stats(pool, &ps);
	EXPECT_EQ(ps.pages_in_use, 0u);
	EXPECT_EQ(ps.streams_in_use, 0u);
}

// ---- readers -------------------------------------------------------------

TEST_F(Stream, PeekReportsClearErrors)
{
	make_stream();
	char b[8];
	EXPECT_EQ(mos_stream_peek(s, 0, b, 8), -ENODATA);
	ins(0, "abcdef");
	EXPECT_EQ(mos_stream_peek(s, 2, b, 3), 3);
	EXPECT_EQ(std::string(b, 3), "cde");
	EXPECT_EQ(mos_stream_peek(s, 4, b, 8), 2);
	EXPECT_EQ(mos_stream_peek(s, 6, b, 8), -ENODATA);
	EXPECT_EQ(mos_stream_peek(nullptr, 0, b, 8), -EINVAL);
	EXPECT_EQ(mos_stream_read(s, 3, b, 8, nullptr), -EINVAL);  // not open
	EXPECT_EQ(mos_stream_cursor_close(s, 0), -EINVAL);
	EXPECT_EQ(mos_stream_insert(s, 0, nullptr, 3, 0), -EINVAL);
}

TEST_F(Stream, BytesAreReleasedOnlyWhenEveryCursorConsumedThem)
{
	make_stream();
	int a = mos_stream_cursor_open(s), b = mos_stream_cursor_open(s);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ins(0, "0123456789");
	char buf[16];
	EXPECT_EQ(mos_stream_read(s, a, buf, 10, nullptr), 10);
	EXPECT_EQ(info().base, 0u);
	EXPECT_EQ(mos_stream_read(s, b, buf, 4, nullptr), 4);
	EXPECT_EQ(info().base, 4u);
	EXPECT_EQ(mos_stream_cursor_offset(s, b), 4);
	EXPECT_EQ(mos_stream_cursor_close(s, b), 0);
	EXPECT_EQ(info().base, 10u);
	for (int i = 0; i < MOS_STREAM_MAX_CURSORS - 1; i++)
		EXPECT_GE(mos_stream_cursor_open(s), 0);
	EXPECT_EQ(mos_stream_cursor_open(s), -ENOSPC);
}

TEST_F(Stream, ZeroCopyReadPointsIntoTheBufferAndReleasesOnTheNextCall)
{
	make_pool(1024, 16);
	make_stream(MOS_STREAM_POLICY_FIRST, 8192);
	int c = mos_stream_cursor_open(s);
	std::string data(3000, 'a');
	for (size_t i = 0; i < data.size(); i++)
		data[i] = (char)('a' + i % 26);
	ins(0, data);
	const uint8_t *p = nullptr;
	uint64_t lost = 0;
	std::string got;
	// Runs never cross a page: 1024, 1024, 952.
	ASSERT_EQ(mos_stream_read_ptr(s, c, &p, 5000, &lost), 1024);
	got.append((const char *)p, 1024);
	EXPECT_EQ(info().base, 0u);              // still held for the caller
	ASSERT_EQ(mos_stream_read_ptr(s, c, &p, 100, &lost), 100);
	got.append((const char *)p, 100);
	EXPECT_EQ(info().base, 1024u);           // previous run released now
	ASSERT_EQ(mos_stream_read_ptr(s, c, &p, 5000, &lost), 924);
	got.append((const char *)p, 924);
	ASSERT_EQ(mos_stream_read_ptr(s, c, &p, 5000, &lost), 952);
	got.append((const char *)p, 952);
	EXPECT_EQ(mos_stream_read_ptr(s, c, &p, 5000, &lost), -ENODATA);
	EXPECT_EQ(got, data);
	EXPECT_EQ(lost, 0u);
	EXPECT_EQ(info().base, 3000u);
	EXPECT_EQ(info().pages, 0u);             // all read: not even the edge's page
	EXPECT_EQ(mos_stream_read_ptr(s, c, nullptr, 1, &lost), -EINVAL);
	// The next bytes land in the middle of a page taken again.
	ins(3000, "0123");
	EXPECT_EQ(info().pages, 1u);
	ASSERT_EQ(mos_stream_read_ptr(s, c, &p, 10, &lost), 4);
	EXPECT_EQ(std::string((const char *)p, 4), "0123");
	// Holes are reported as lost, like mos_stream_read.
	ins(3100, "xyz");
	mos_stream_skip_to(s, 3103);
	ASSERT_EQ(mos_stream_read_ptr(s, c, &p, 10, &lost), 3);
	EXPECT_EQ(lost, 96u);
	EXPECT_EQ(std::string((const char *)p, 3), "xyz");
}

TEST_F(Stream, NewDataIsReportedOncePerBurst)
{
	make_stream();
	EXPECT_EQ(mos_stream_new_data(s), 0u);
	ins(0, "abc");
	ins(3, "def");
	ins(10, "ooo");
	EXPECT_EQ(mos_stream_new_data(s), 6u);
	EXPECT_EQ(mos_stream_new_data(s), 0u);
	ins(6, "ghij");
	EXPECT_EQ(mos_stream_new_data(s), 7u);
}

TEST_F(Stream, FragmentsListStoredOutOfOrderRangesMerged)
{
	make_stream();
	ins(0, "a");
	ins(10, "bb");
	ins(12, "cc");                                   // adjacent, other writer
	ins(20, "d");
	mos_stream_frag f[1];
	EXPECT_EQ(mos_stream_fragments(s, f, 1), 2);     // total, one filled
	EXPECT_EQ(f[0].start, 10u);
	EXPECT_EQ(f[0].end, 14u);
	mos_stream_info i = info();
	EXPECT_EQ(i.ooo_bytes, 5u);
	EXPECT_EQ(i.edge, 1u);
	EXPECT_EQ(i.init_seq, kIsn);
}

// What a callback sees and does: it runs once the insert is done, and may
// read and resize the stream that raised the event.
struct Meddler {
	mos_stream *s = nullptr;
	int cursor = -1;
	std::string read;
	std::vector<mos_stream_event> seen;
	std::vector<uint64_t> edge_then;     // the stream's edge when the callback ran
	std::vector<std::string> byte_then;  // the byte at the first difference then

	static void on_event(mos_stream *st, const mos_stream_event *ev, void *ctx)
	{
		Meddler *m = static_cast<Meddler *>(ctx);
		mos_stream_info i;
		char c = '?';
		uint8_t buf[64];
		ssize_t n;

		m->seen.push_back(*ev);
		EXPECT_EQ(st, m->s);
		EXPECT_EQ(mos_stream_get_info(st, &i), 0);
		m->edge_then.push_back(i.edge);
		mos_stream_peek(st, ev->first_diff, &c, 1);
		m->byte_then.push_back(std::string(1, c));
		while ((n = mos_stream_read(st, m->cursor, buf, sizeof(buf), nullptr)) > 0)
			m->read.append((const char *)buf, (size_t)n);
		EXPECT_EQ(mos_stream_set_buffer_size(st, 4096), 0);
	}
};

TEST_F(Stream, EventCallbacksRunAfterTheInsertAndMayReadAndResize)
{
	Meddler m;
	mos_stream_pool_config pc = {};
	pc.max_ranges = 8;
	pc.event_cb = Meddler::on_event;
	pc.event_ctx = &m;
	pool = mos_stream_pool_create(&pc);
	ASSERT_NE(pool, nullptr);
	make_stream(MOS_STREAM_POLICY_LAST);
	m.s = s;
	m.cursor = mos_stream_cursor_open(s);
	ASSERT_GE(m.cursor, 0);
	ins(10, "aa");
	ins(20, "bb");
	ins(30, "cc");
	ins(40, "dd");                                   // a range table now
	ASSERT_TRUE(m.seen.empty());
	// One segment over all four, other bytes: four mismatches, each
	// delivered after the segment was stored (last: it wins) and the
	// edge moved to 50, each telling the edge it met: 10 (the segment's
	// bytes before the first stored ones go in first).
	EXPECT_GE(ins(0, std::string(50, 'x')), 0);
	ASSERT_EQ(m.seen.size(), 4u);
	for (size_t k = 0; k < m.seen.size(); k++) {
		EXPECT_EQ(m.seen[k].type, MOS_STREAM_EV_OVERLAP_MISMATCH);
		EXPECT_EQ(m.seen[k].first_diff, 10 + 10 * k);
		EXPECT_EQ(m.seen[k].edge, 10u);
		EXPECT_EQ(m.edge_then[k], 50u);
	}
	EXPECT_EQ(m.byte_then[0], "x");                  // the segment's, stored before
	EXPECT_EQ(m.read, std::string(50, 'x'));         // the first callback read it all
	mos_stream_info i = info();
	EXPECT_EQ(i.buf_size, 4096u);
	EXPECT_EQ(i.edge, 50u);
	EXPECT_EQ(i.mismatch_events, 4u);
	EXPECT_EQ(ins(50, "yz"), MOS_STREAM_INS_NEW | MOS_STREAM_INS_ADVANCED);
	char more[4];
	EXPECT_EQ(mos_stream_read(s, m.cursor, more, sizeof(more), nullptr), 2);
	EXPECT_EQ(std::string(more, 2), "yz");
}

TEST_F(Stream, UrgentBytesAreOrdinaryData)
{
	// The owner passes the payload as is; the urgent pointer changes nothing.
	make_stream();
	ins(0, "ab!cd");
	EXPECT_EQ(all(), "ab!cd");
}

// ---- docs ----------------------------------------------------------------

TEST(StreamDocs, DocExampleCompiles)
{
	// docs/reassembly.md's C example must stay valid against mos/stream.h.
	std::ifstream in(std::string(MOS_SOURCE_DIR) + "/docs/reassembly.md");
	ASSERT_TRUE(in.good());
	std::stringstream ss;
	ss << in.rdbuf();
	std::string doc = ss.str();
	size_t a = doc.find("```c\n"), b = doc.find("```\n", a + 5);
	ASSERT_NE(a, std::string::npos);
	ASSERT_NE(b, std::string::npos);
	std::string code = doc.substr(a + 5, b - a - 5);
	EXPECT_NE(code.find("mos_stream_insert"), std::string::npos);
	std::string src = std::string(MOS_BINARY_DIR) + "/reassembly_doc_example.c";
	{
		std::ofstream out(src);
		out << "int example(void);\n" << code;
	}
	if (std::system("cc --version > /dev/null 2>&1") != 0)
		GTEST_SKIP() << "no C compiler";
	std::string cmd = "cc -std=gnu11 -Wall -Wextra -Werror -Wmissing-prototypes -fsyntax-only -I" +
			  std::string(MOS_SOURCE_DIR) + "/runtime/include " + src;
	EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(StreamDocs, DocExampleLogicGivesHelloWorld)
{
	// The same steps as the example, checked.
	mos_stream_pool *pool = mos_stream_pool_create(nullptr);
	ASSERT_NE(pool, nullptr);
	mos_stream_config sc = {};
	sc.policy = MOS_STREAM_POLICY_LINUX;
	mos_stream *s = mos_stream_create(pool, 1001, &sc);
	int c = mos_stream_cursor_open(s);
	mos_stream_insert(s, 1006, (const uint8_t *)"world", 5, 0);
	mos_stream_insert(s, 1001, (const uint8_t *)"hello", 5, 0);
	char buf[64];
	uint64_t lost = 0;
	ASSERT_EQ(mos_stream_read(s, c, buf, sizeof(buf), &lost), 10);
	EXPECT_EQ(std::string(buf, 10), "helloworld");
	EXPECT_EQ(lost, 0u);
	mos_stream_destroy(s);
	mos_stream_pool_free(pool);
}

// Count-only streams (mos_stream_config.discard) against streams that store
// the bytes: random segmentations with reordering, duplicates, overlaps of
// other bytes, holes skipped, FIN, a draining consumer and a window that
// cuts; every counter must agree (overlap mismatches aside: nothing is
// stored to compare), insert flags too, and the count-only stream never
// holds a page.
TEST(StreamDiscard, CountsEqualThoseOfAStoringStream)
{
	mos_stream_pool_config pc = {};
	pc.page_size = 4096;
	pc.n_pages = 4096;
	pc.max_streams = 4;
	mos_stream_pool *pool = mos_stream_pool_create(&pc);
	ASSERT_NE(pool, nullptr);
	std::srand(7);
	uint64_t dropped = 0, gaps = 0, rexmit = 0, mismatches = 0, fins = 0;
	for (int round = 0; round < 300; round++) {
		mos_stream_config c = {};
		c.buf_size = 1024u << (std::rand() % 6);
		c.policy = (mos_stream_policy)(std::rand() % MOS_STREAM_POLICY_COUNT);
		mos_stream *st = mos_stream_create(pool, 5000, &c);
		c.discard = true;
		mos_stream *dc = mos_stream_create(pool, 5000, &c);
		ASSERT_NE(st, nullptr);
		ASSERT_NE(dc, nullptr);
		uint8_t cur_st = 0, cur_dc = 0;
		std::vector<uint8_t> data(20000), other(20000);
		for (size_t i = 0; i < data.size(); i++) {
			data[i] = (uint8_t)std::rand();
			other[i] = (uint8_t)std::rand();
		}
		for (int k = 0; k < 200; k++) {
			uint32_t off = (uint32_t)(std::rand() % 19000), len = 1 + std::rand() % 1000;
			const uint8_t *src = (std::rand() % 8 == 0 ? other : data).data() + off;
			unsigned fl = std::rand() % 50 == 0 ? MOS_STREAM_SEG_FIN : 0;
			int a = mos_stream_insert(st, 5000 + off, src, len, fl);
			int b = mos_stream_insert(dc, 5000 + off, src, len, fl);
			ASSERT_EQ(a & ~MOS_STREAM_INS_MISMATCH, b & ~MOS_STREAM_INS_MISMATCH)
				<< "round " << round << " segment " << k;
			if (std::rand() % 4 == 0) {
				mos_stream_drain(st, &cur_st);
				mos_stream_drain(dc, &cur_dc);
			}
			if (std::rand() % 30 == 0) {
				mos_stream_info i;
				mos_stream_get_info(st, &i);
				uint64_t to = i.edge + (uint64_t)(std::rand() % 3000);
				ASSERT_EQ(mos_stream_skip_to(st, to), mos_stream_skip_to(dc, to));
			}
			ASSERT_EQ(mos_stream_new_data(st), mos_stream_new_data(dc));
		}
		mos_stream_drain_done(st, &cur_st);
		mos_stream_drain_done(dc, &cur_dc);
		mos_stream_info x, y;
		ASSERT_EQ(mos_stream_get_info(st, &x), 0);
		ASSERT_EQ(mos_stream_get_info(dc, &y), 0);
		EXPECT_EQ(x.base, y.base) << round;
		EXPECT_EQ(x.edge, y.edge) << round;
		EXPECT_EQ(x.recv_max, y.recv_max);
		EXPECT_EQ(x.off, y.off);
		EXPECT_EQ(x.fin_seen, y.fin_seen);
		EXPECT_EQ(x.ooo_bytes, y.ooo_bytes);
		EXPECT_EQ(x.in_order_bytes, y.in_order_bytes) << round;
		EXPECT_EQ(x.gap_bytes, y.gap_bytes);
		EXPECT_EQ(x.rexmit_bytes, y.rexmit_bytes);
		EXPECT_EQ(x.rexmit_segs, y.rexmit_segs);
		EXPECT_EQ(x.partial_rexmit_segs, y.partial_rexmit_segs);
		EXPECT_EQ(x.ooo_segs, y.ooo_segs);
		EXPECT_EQ(x.dropped_bytes, y.dropped_bytes);
		EXPECT_EQ(x.ranges, y.ranges);
		EXPECT_EQ(y.pages, 0u);
		EXPECT_EQ(y.mismatch_events, 0u);
		dropped += x.dropped_bytes;
		gaps += x.gap_bytes;
		rexmit += x.rexmit_bytes;
		mismatches += x.mismatch_events;
		fins += x.off;
		char buf[16];
		EXPECT_EQ(mos_stream_peek(dc, y.base, buf, sizeof(buf)), -ENOTSUP);
		mos_stream_destroy(st);
		mos_stream_destroy(dc);
	}
	// the cases above really came up
	EXPECT_GT(dropped, 0u);
	EXPECT_GT(gaps, 0u);
	EXPECT_GT(rexmit, 0u);
	EXPECT_GT(mismatches, 0u);
	EXPECT_GT(fins, 0u);
	mos_stream_pool_free(pool);
}

} // namespace
