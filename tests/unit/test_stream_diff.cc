// SPDX-License-Identifier: BSD-3-Clause
// Differential test of the stream reassembler: random segmentations, orders,
// duplicates and overlaps (consistent and conflicting) of known streams go
// through mos_stream and through a byte-array reference model, under every
// overlap policy; flags, counters, reads and the final bytes must agree.
// Fixed seeds, thousands of cases, bounded run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "shim.h"

namespace {

// Whether new segment [ns, ne) wins a byte written by [os, oe): the policy
// table of docs/reassembly.md, restated independently of runtime/stream.c.
bool
ref_new_wins(int p, uint64_t ns, uint64_t ne, uint64_t os, uint64_t oe)
{
	bool starts_before = ns < os, starts_with = ns == os;
	bool ends_after = ne > oe, ends_with = ne == oe;

	switch (p) {
	case MOS_STREAM_POLICY_FIRST: case MOS_STREAM_POLICY_VISTA:
		return false;
	case MOS_STREAM_POLICY_LAST:
		return true;
	case MOS_STREAM_POLICY_BSD: case MOS_STREAM_POLICY_WINDOWS:
	case MOS_STREAM_POLICY_HPUX10: case MOS_STREAM_POLICY_IRIX:
	case MOS_STREAM_POLICY_MACOS:
		return starts_before;
	case MOS_STREAM_POLICY_LINUX:
		return starts_before || (starts_with && ends_after);
	case MOS_STREAM_POLICY_OLD_LINUX:
		return starts_before || (starts_with && (ends_after || ends_with));
	case MOS_STREAM_POLICY_SOLARIS: case MOS_STREAM_POLICY_HPUX11:
		return ends_after || (ends_with && (starts_before || starts_with));
	}
	return false;
}

// The reference: one slot per stream byte.
struct Model {
	enum State { UNSEEN, STORED, HOLE };
	int policy;
	std::vector<State> st;
	std::vector<uint8_t> val;
	std::vector<uint64_t> os, oe;    // writer extent of bytes above the edge
	uint64_t edge = 0, base = 0, cursor = 0;
	uint64_t rexmit = 0, mismatch = 0, gap = 0;

	Model(int p, size_t n) : policy(p), st(n, UNSEEN), val(n), os(n), oe(n) {}

	unsigned insert(uint64_t a, const std::vector<uint8_t> &d)
	{
		uint64_t b = a + d.size(), seen = 0, fresh = 0, diff = 0, old = edge;
		unsigned f = 0;

		if (d.size() == 1 && edge > 0 && a == edge - 1)
			return MOS_STREAM_INS_KEEPALIVE;
		if (a > edge)
			f |= MOS_STREAM_INS_OOO;
		for (uint64_t o = a; o < b; o++) {
			uint8_t v = d[o - a];
			if (o < edge) {
				seen++;
				if (o >= base && st[o] == STORED && val[o] != v)
					diff++;
			} else if (st[o] == STORED) {
				seen++;
				if (val[o] != v)
					diff++;
				if (ref_new_wins(policy, a, b, os[o], oe[o])) {
					val[o] = v;
					os[o] = a;
					oe[o] = b;
				}
			} else {
				fresh++;
				st[o] = STORED;
				val[o] = v;
				os[o] = a;
				oe[o] = b;
			}
		}
		while (edge < st.size() && st[edge] == STORED)
			edge++;
		rexmit += seen;
		mismatch += diff;
		if (edge != old)
			f |= MOS_STREAM_INS_ADVANCED;
		if (diff)
			f |= MOS_STREAM_INS_MISMATCH;
		if (fresh)
			f |= MOS_STREAM_INS_NEW;
		if (seen && !fresh)
			f |= MOS_STREAM_INS_REXMIT;
		if (seen && fresh)
			f |= MOS_STREAM_INS_PARTIAL;
		return f;
	}

	uint64_t skip_to(uint64_t off)
	{
		uint64_t g = 0;
		if (off <= edge)
			return 0;
		for (uint64_t o = edge; o < off; o++)
			if (st[o] == UNSEEN) {
				st[o] = HOLE;
				g++;
			}
		edge = off;
		while (edge < st.size() && st[edge] == STORED)
			edge++;
		gap += g;
		return g;
	}

	// Same contract as mos_stream_read with one cursor.
	long read(std::vector<uint8_t> &out, size_t len, uint64_t &lost)
	{
		uint64_t pos = cursor, l = 0;
		while (pos < edge && st[pos] == HOLE) {
			pos++;
			l++;
		}
		lost += l;
		if (pos >= edge) {
			cursor = pos;
			base = std::max(base, std::min(cursor, edge));
			return l ? 0 : -ENODATA;
		}
		size_t n = 0;
		while (n < len && pos < edge && st[pos] != HOLE) {
			out.push_back(val[pos]);
			pos++;
			n++;
		}
		cursor = pos;
		base = std::max(base, std::min(cursor, edge));
		return (long)n;
	}
};

struct Seg {
	uint64_t off;
	std::vector<uint8_t> d;
};

// One random case. Returns false (with a message) at the first divergence.
::testing::AssertionResult
run_case(uint64_t seed, int policy)
{
	std::mt19937_64 rng(seed);
	auto rnd = [&](uint64_t lo, uint64_t hi) {   // inclusive
		return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
	};
	const size_t len = (size_t)rnd(1, 2500);
	std::vector<uint8_t> truth(len);
	for (auto &c : truth)
		c = (uint8_t)rnd('a', 'z');

	// Segments: a segmentation of the whole stream, plus duplicates, plus
	// overlapping re-segmentations, some with conflicting bytes.
	std::vector<Seg> segs;
	for (size_t o = 0; o < len;) {
		size_t n = std::min(len - o, (size_t)rnd(1, 300));
		segs.push_back({o, std::vector<uint8_t>(truth.begin() + o, truth.begin() + o + n)});
		o += n;
	}
	const bool conflicts = rnd(0, 2) != 0;
	size_t extra = (size_t)rnd(0, 12);
	for (size_t i = 0; i < extra; i++) {
		if (rnd(0, 2) == 0) {
			segs.push_back(segs[rnd(0, segs.size() - 1)]);
			continue;
		}
		uint64_t a = rnd(0, len - 1), b = rnd(a + 1, std::min<uint64_t>(len, a + 400));
		Seg s{a, std::vector<uint8_t>(truth.begin() + a, truth.begin() + b)};
		if (conflicts && rnd(0, 1))
			for (auto &c : s.d)
				if (rnd(0, 3) == 0)
					c = (uint8_t)rnd('A', 'Z');
		segs.push_back(s);
	}
	// Order: shuffled, or mostly in order with local swaps.
	if (rnd(0, 1)) {
		std::shuffle(segs.begin(), segs.end(), rng);
	} else {
		for (size_t i = 1; i < segs.size(); i++)
			if (rnd(0, 3) == 0)
				std::swap(segs[i - 1], segs[i]);
	}

	const uint32_t page_sizes[] = {256, 512, 1024, 4096};
	mos_stream_pool_config pc = {};
	pc.page_size = page_sizes[rnd(0, 3)];
	pc.n_pages = 64;
	pc.max_streams = 1;
	mos_stream_pool *pool = mos_stream_pool_create(&pc);
	if (pool == nullptr)
		return ::testing::AssertionFailure() << "pool";
	// Initial sequence numbers near the 2^32 wrap half of the time.
	uint32_t isn = rnd(0, 1) ? (uint32_t)(0x100000000ull - rnd(0, 3000)) : (uint32_t)rnd(0, UINT32_MAX);
	mos_stream_config sc = {};
	sc.buf_size = 1u << 20;
	sc.policy = (mos_stream_policy)policy;
	mos_stream *s = mos_stream_create(pool, isn, &sc);
	Model m(policy, len);
	const bool reader = rnd(0, 1);
	const bool skips = rnd(0, 3) == 0;
	int cur = reader ? mos_stream_cursor_open(s) : -1;
	std::vector<uint8_t> got, want;
	uint64_t lost_got = 0, lost_want = 0;
	std::vector<uint8_t> buf(4096);
	auto fail = [&](const std::string &what) {
		mos_stream_destroy(s);
		mos_stream_pool_free(pool);
		return ::testing::AssertionFailure()
		       << "seed " << seed << " policy " << mos_stream_policy_name((mos_stream_policy)policy)
		       << ": " << what;
	};

	for (size_t i = 0; i < segs.size(); i++) {
		const Seg &g = segs[i];
		int r = mos_stream_insert(s, isn + (uint32_t)g.off, g.d.data(), (uint32_t)g.d.size(), 0);
		unsigned w = m.insert(g.off, g.d);
		if (r < 0 || (unsigned)r != w)
			return fail("segment " + std::to_string(i) + " at " + std::to_string(g.off) + "+" +
				    std::to_string(g.d.size()) + ": flags " + std::to_string(r) +
				    " want " + std::to_string(w));
		if (skips && rnd(0, 9) == 0) {
			uint64_t to = rnd(0, len);
			int64_t a = mos_stream_skip_to(s, to);
			uint64_t b = m.skip_to(to);
			if (a != (int64_t)b)
				return fail("skip_to gap " + std::to_string(a) + " want " + std::to_string(b));
		}
		if (reader && rnd(0, 2) == 0) {
			size_t n = (size_t)rnd(1, buf.size());
			ssize_t a = mos_stream_read(s, cur, buf.data(), n, &lost_got);
			long b = m.read(want, n, lost_want);
			if (a != b)
				return fail("read returned " + std::to_string(a) + " want " + std::to_string(b));
			if (a > 0)
				got.insert(got.end(), buf.begin(), buf.begin() + a);
		}
		mos_stream_info in;
		mos_stream_get_info(s, &in);
		if (in.edge != m.edge || in.base != (reader ? m.base : 0))
			return fail("edge/base " + std::to_string(in.edge) + "/" + std::to_string(in.base) +
				    " want " + std::to_string(m.edge) + "/" + std::to_string(m.base));
	}
	// Flush whatever is still out of order, then read everything.
	int64_t a = mos_stream_skip_to(s, len);
	if (a != (int64_t)m.skip_to(len))
		return fail("final skip");
	if (reader) {
		for (;;) {
			ssize_t x = mos_stream_read(s, cur, buf.data(), buf.size(), &lost_got);
			long y = m.read(want, buf.size(), lost_want);
			if (x != y)
				return fail("final read " + std::to_string(x) + " want " + std::to_string(y));
			if (x < 0)
				break;
			got.insert(got.end(), buf.begin(), buf.begin() + x);
		}
		if (got != want || lost_got != lost_want)
			return fail("cursor bytes or lost count differ");
	} else {
		// Positional peeks over the whole stream.
		for (uint64_t o = 0; o < len;) {
			ssize_t x = mos_stream_peek(s, o, buf.data(), buf.size());
			if (m.st[o] == Model::HOLE) {
				if (x != -ENOENT)
					return fail("peek in hole at " + std::to_string(o));
				o++;
				continue;
			}
			if (x <= 0)
				return fail("peek at " + std::to_string(o) + " gave " + std::to_string(x));
			for (ssize_t k = 0; k < x; k++)
				if (m.st[o + k] != Model::STORED || buf[k] != m.val[o + k])
					return fail("byte " + std::to_string(o + k));
			o += (uint64_t)x;
		}
	}
	mos_stream_info in;
	mos_stream_get_info(s, &in);
	if (in.rexmit_bytes != m.rexmit || in.mismatch_bytes != m.mismatch || in.gap_bytes != m.gap)
		return fail("counters rexmit/mismatch/gap " + std::to_string(in.rexmit_bytes) + "/" +
			    std::to_string(in.mismatch_bytes) + "/" + std::to_string(in.gap_bytes) + " want " +
			    std::to_string(m.rexmit) + "/" + std::to_string(m.mismatch) + "/" +
			    std::to_string(m.gap));
	// Without conflicting bytes and without skips, every policy gives the truth.
	if (!conflicts && !skips && !reader) {
		std::vector<uint8_t> all(len);
		if (mos_stream_peek(s, 0, all.data(), len) != (ssize_t)len || all != truth)
			return fail("consistent overlaps changed the stream");
	}
	mos_stream_pool_stats ps;
	mos_stream_pool_get_stats(pool, &ps);
	mos_stream_destroy(s);
	mos_stream_pool_get_stats(pool, &ps);
	mos_stream_pool_free(pool);
	if (ps.pages_in_use != 0)
		return ::testing::AssertionFailure() << "seed " << seed << ": pages leaked";
	return ::testing::AssertionSuccess();
}

TEST(StreamDiff, RandomSegmentationsMatchTheReferenceModelUnderEveryPolicy)
{
	int cases = 0;
	for (int p = 0; p < MOS_STREAM_POLICY_COUNT; p++) {
		for (uint64_t seed = 1; seed <= 1000; seed++) {
			ASSERT_TRUE(run_case(seed * 7919 + (uint64_t)p, p));
			cases++;
		}
	}
	EXPECT_EQ(cases, MOS_STREAM_POLICY_COUNT * 1000);
}

// Under tight caps (few pages, small windows, small range tables) the model
// no longer predicts what is stored, but what a reader gets must still be
// true: every delivered byte equals the original at its offset, and
// delivered + lost bytes add up to the whole stream.
uint64_t g_capped_dropped, g_capped_lost;

::testing::AssertionResult
run_capped_case(uint64_t seed)
{
	std::mt19937_64 rng(seed);
	auto rnd = [&](uint64_t lo, uint64_t hi) {
		return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
	};
	const size_t len = (size_t)rnd(1, 20000);
	std::vector<uint8_t> truth(len);
	for (auto &c : truth)
		c = (uint8_t)rnd(0, 255);
	std::vector<Seg> segs;
	for (size_t o = 0; o < len;) {
		size_t n = std::min(len - o, (size_t)rnd(1, 1500));
		segs.push_back({o, std::vector<uint8_t>(truth.begin() + o, truth.begin() + o + n)});
		o += n;
	}
	for (size_t i = 0, extra = (size_t)rnd(0, 20); i < extra; i++)
		segs.push_back(segs[rnd(0, segs.size() - 1)]);
	std::shuffle(segs.begin(), segs.end(), rng);

	mos_stream_memcap mc;
	mos_stream_memcap_init(&mc, rnd(0, 1) ? 0 : rnd(1, 16) * 256);
	mos_stream_pool_config pc = {};
	pc.page_size = 256u << rnd(0, 3);
	pc.n_pages = (uint32_t)rnd(1, 40);
	pc.max_streams = 1;
	pc.max_ranges = (uint32_t)rnd(4, 12);
	pc.n_range_tables = (uint32_t)rnd(1, 2);
	pc.memcap = &mc;
	mos_stream_pool *pool = mos_stream_pool_create(&pc);
	mos_stream_config sc = {};
	sc.buf_size = (uint32_t)rnd(1, 8192);
	sc.policy = (mos_stream_policy)rnd(0, MOS_STREAM_POLICY_COUNT - 1);
	uint32_t isn = (uint32_t)rnd(0, UINT32_MAX);
	mos_stream *s = mos_stream_create(pool, isn, &sc);
	if (s == nullptr) {      // the slot table needed a page the pool lacks
		mos_stream_pool_free(pool);
		return ::testing::AssertionSuccess();
	}
	int cur = mos_stream_cursor_open(s);
	std::vector<uint8_t> buf(3000);
	uint64_t got = 0, lost = 0;
	const bool zero_copy = rnd(0, 1);
	auto drain = [&](size_t max) -> bool {
		for (;;) {
			int64_t off = mos_stream_cursor_offset(s, cur);
			uint64_t l0 = lost;
			const uint8_t *p = buf.data();
			ssize_t n = zero_copy ? mos_stream_read_ptr(s, cur, &p, max, &lost)
				    : mos_stream_read(s, cur, buf.data(), std::min(max, buf.size()), &lost);
			if (n < 0)
				return true;
			uint64_t at = (uint64_t)off + (lost - l0);
			for (ssize_t k = 0; k < n; k++)
				if (at + k >= len || p[k] != truth[at + k])
					return false;
			got += (uint64_t)n;
			if (n == 0 && lost == l0)
				return true;
			if (rnd(0, 1))
				return true;
		}
	};
	for (const Seg &g : segs) {
		if (rnd(0, 7) == 0)
			mos_stream_set_buffer_size(s, (uint32_t)rnd(1, 8192));
		mos_stream_insert(s, isn + (uint32_t)g.off, g.d.data(), (uint32_t)g.d.size(), 0);
		if (rnd(0, 5) == 0)
			mos_stream_skip_to(s, rnd(0, len));
		if (rnd(0, 1) && !drain(rnd(1, 3000)))
			return ::testing::AssertionFailure() << "seed " << seed << ": wrong byte delivered";
	}
	mos_stream_skip_to(s, len);
	while (true) {
		uint64_t before = got + lost;
		if (!drain(3000))
			return ::testing::AssertionFailure() << "seed " << seed << ": wrong byte at the end";
		if (got + lost == before)
			break;
	}
	mos_stream_info in;
	mos_stream_get_info(s, &in);
	g_capped_dropped += in.dropped_bytes;
	g_capped_lost += lost;
	mos_stream_destroy(s);
	mos_stream_pool_stats ps;
	mos_stream_pool_get_stats(pool, &ps);
	mos_stream_pool_free(pool);
	if (got + lost != len || in.edge != len)
		return ::testing::AssertionFailure() << "seed " << seed << ": got " << got << " lost "
						     << lost << " edge " << in.edge << " len " << len;
	if (ps.pages_in_use != 0 || ps.range_tables_in_use != 0 || mc.used != 0)
		return ::testing::AssertionFailure() << "seed " << seed << ": memory not returned";
	return ::testing::AssertionSuccess();
}

TEST(StreamDiff, TightCapsNeverCorruptDeliveredBytes)
{
	for (uint64_t seed = 1; seed <= 2000; seed++)
		ASSERT_TRUE(run_capped_case(seed));
	// The caps really bit.
	EXPECT_GT(g_capped_dropped, 100000u);
	EXPECT_GT(g_capped_lost, 100000u);
	printf("capped cases: %llu bytes dropped by caps, %llu bytes lost to readers\n",
	       (unsigned long long)g_capped_dropped, (unsigned long long)g_capped_lost);
}

// Random API calls with extreme arguments: nothing crashes, every return
// value is one the contract lists, and the edges stay ordered.
TEST(StreamDiff, RandomApiCallsKeepTheContract)
{
	std::mt19937_64 rng(4242);
	auto rnd = [&](uint64_t lo, uint64_t hi) {
		return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
	};
	std::vector<uint8_t> data(70000);
	for (auto &c : data)
		c = (uint8_t)rnd(0, 255);
	for (int round = 0; round < 300; round++) {
		mos_stream_pool_config pc = {};
		pc.page_size = 256u << rnd(0, 4);
		pc.n_pages = (uint32_t)rnd(1, 64);
		pc.max_streams = 2;
		pc.max_ranges = (uint32_t)rnd(4, 16);
		pc.n_range_tables = 1;
		mos_stream_pool *pool = mos_stream_pool_create(&pc);
		ASSERT_NE(pool, nullptr);
		mos_stream_config sc = {};
		sc.buf_size = (uint32_t)rnd(1, 100000);
		sc.policy = (mos_stream_policy)rnd(0, MOS_STREAM_POLICY_COUNT - 1);
		uint32_t isn = (uint32_t)rnd(0, UINT32_MAX);
		mos_stream *s = mos_stream_create(pool, isn, &sc);
		if (s == nullptr) {
			mos_stream_pool_free(pool);
			continue;
		}
		uint8_t buf[4096];
		for (int step = 0; step < 200; step++) {
			mos_stream_info in;
			ASSERT_EQ(mos_stream_get_info(s, &in), 0);
			uint64_t near = in.edge + rnd(0, 3000) - 1000;
			switch (rnd(0, 11)) {
			case 0: case 1: case 2: case 3: {
				uint32_t len = (uint32_t)rnd(0, 1) ? (uint32_t)rnd(0, 2000) : (uint32_t)rnd(0, 69999);
				uint32_t seq = rnd(0, 5) ? isn + (uint32_t)near : (uint32_t)rnd(0, UINT32_MAX);
				int r = mos_stream_insert(s, seq, data.data(), len, (unsigned)rnd(0, 15));
				ASSERT_GE(r, 0);
				break;
			}
			case 4: {
				uint64_t to = rnd(0, 3) ? near : rnd(0, 1) ? rnd(0, 1ull << 40) : UINT64_MAX - rnd(0, 10);
				int64_t r = mos_stream_skip_to(s, to);
				ASSERT_TRUE(r >= 0 || (r == -ERANGE && to - in.edge > MOS_STREAM_SKIP_MAX)) << r;
				break;
			}
			case 5: {
				int c = (int)rnd(0, 5) - 1;
				uint64_t lost = 0;
				ssize_t r = mos_stream_read(s, c, buf, (size_t)rnd(0, sizeof(buf)), &lost);
				ASSERT_TRUE(r >= 0 || r == -ENODATA || r == -EINVAL) << r;
				break;
			}
			case 6: {
				const uint8_t *p = nullptr;
				uint64_t lost = 0;
				ssize_t r = mos_stream_read_ptr(s, (int)rnd(0, 3), &p, (size_t)rnd(1, 9000), &lost);
				ASSERT_TRUE(r >= 0 || r == -ENODATA || r == -EINVAL) << r;
				if (r > 0)
					ASSERT_NE(p, nullptr);
				break;
			}
			case 7: {
				ssize_t r = mos_stream_peek(s, rnd(0, 1) ? near : rnd(0, UINT64_MAX), buf,
							    (size_t)rnd(0, sizeof(buf)));
				ASSERT_TRUE(r >= 0 || r == -ENODATA || r == -ERANGE || r == -ENOENT) << r;
				break;
			}
			case 8: {
				int r = mos_stream_set_buffer_size(s, (uint32_t)rnd(0, 1u << 21));
				ASSERT_TRUE(r == 0 || r == -EINVAL || r == -ENOBUFS) << r;
				break;
			}
			case 9:
				if (rnd(0, 1))
					mos_stream_cursor_open(s);
				else
					mos_stream_cursor_close(s, (int)rnd(0, 4));
				break;
			case 10:
				ASSERT_EQ(mos_stream_set_off(s, rnd(0, 3) == 0), 0);
				break;
			case 11: {
				mos_stream_frag f[4];
				ASSERT_GE(mos_stream_fragments(s, f, 4), 0);
				mos_stream_new_data(s);
				break;
			}
			}
			ASSERT_EQ(mos_stream_get_info(s, &in), 0);
			ASSERT_LE(in.base, in.edge);
			ASSERT_LE(in.pages, pc.n_pages);
		}
		mos_stream_destroy(s);
		mos_stream_pool_stats ps;
		mos_stream_pool_get_stats(pool, &ps);
		ASSERT_EQ(ps.pages_in_use, 0u);
		ASSERT_EQ(ps.range_tables_in_use, 0u);
		mos_stream_pool_free(pool);
	}
}

TEST(StreamDiff, ReferenceModelAgreesWithTheCraftedConflictCase)
{
	// Sanity check of the model itself on craft_ooo_overlap_conflict.
	std::vector<uint8_t> x = {'X', 'X', 'X', 'X'}, g = {'G', 'O', 'O', 'D', 'G', 'O', 'O', 'D'};
	Model lin(MOS_STREAM_POLICY_LINUX, 8), first(MOS_STREAM_POLICY_FIRST, 8);
	lin.insert(4, x);
	lin.insert(0, g);
	first.insert(4, x);
	first.insert(0, g);
	EXPECT_EQ(std::string(lin.val.begin(), lin.val.end()), "GOODGOOD");
	EXPECT_EQ(std::string(first.val.begin(), first.val.end()), "GOODXXXX");
}

} // namespace
