// SPDX-License-Identifier: BSD-3-Clause
// The offline workers' record merge (runtime/recmerge.c, internal): lines
// come out by tag, lines of one tag by content, whatever the number of
// writers, the cut of their writes and the pace of each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "recmerge.h"
}

namespace {

struct Line {
	uint64_t tag;
	std::string text;            // newline included
};

// What the merge must write: by tag, then by bytes (a shorter line first
// when it begins the other, as memcmp then length).
std::string
expected(std::vector<Line> all)
{
	std::stable_sort(all.begin(), all.end(), [](const Line &a, const Line &b) {
		return a.tag != b.tag ? a.tag < b.tag : a.text < b.text;
	});
	std::string s;
	for (const Line &l : all)
		s += l.text;
	return s;
}

// The bytes written to a memory stream once it is closed.
struct Out {
	char *buf = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	std::string so_far()
	{
		fflush(f);
		return std::string(buf, len);
	}
	std::string take()
	{
		fclose(f);
		std::string s(buf, len);
		free(buf);
		return s;
	}
};

// Worker @w's lines in @ls written in pieces of 1 to 7 bytes (up to 64 KiB
// in lines longer than 4 KiB), each piece
// at the tag of the line it belongs to; after every @every lines,
// recmerge_passed at the tag of the next line.
void
write_lines(struct recmerge *m, unsigned w, const std::vector<Line> &ls, unsigned every,
	    unsigned seed)
{
	std::mt19937 rng(seed);

	for (size_t k = 0; k < ls.size(); k++) {
		const Line &l = ls[k];

		for (size_t at = 0; at < l.text.size();) {
			size_t most = l.text.size() > 4096 ? 65536 : 7;
			size_t piece = std::min<size_t>(1 + rng() % most, l.text.size() - at);

			ASSERT_TRUE(recmerge_write(m, w, l.tag, l.text.data() + at, piece));
			at += piece;
		}
		if ((k + 1) % every == 0 && k + 1 < ls.size())
			recmerge_passed(m, w, ls[k + 1].tag);
	}
	recmerge_passed(m, w, UINT64_MAX);
}

// Lines of @n workers: tags never going back within a worker, many tags
// shared between workers and within one, lines of one tag in no order,
// some beginning others.
std::vector<std::vector<Line>>
make_lines(unsigned n, unsigned per_worker, unsigned seed)
{
	std::mt19937 rng(seed);
	std::vector<std::vector<Line>> ls(n);

	for (unsigned w = 0; w < n; w++) {
		uint64_t tag = 1;

		for (unsigned i = 0; i < per_worker; i++) {
			tag += rng() % 3;    // 0: the same tag again
			std::string t = "{\"rec\":" + std::to_string(rng() % 50);
			if (rng() % 4)
				t += ",\"x\":" + std::string(rng() % 40, 'a' + (char)(rng() % 3));
			ls[w].push_back({ tag, t + "\n" });
		}
		ls[w].push_back({ UINT64_MAX - 1, "{\"end\":" + std::to_string(w) + "}\n" });
	}
	return ls;
}

TEST(RecMerge, OneWriterSortsEachTagByContent)
{
	Out out;
	struct recmerge *m = recmerge_new(1, out.f, 32u << 20);
	ASSERT_NE(m, nullptr);
	std::vector<Line> ls = { { 3, "b\n" }, { 3, "a\n" }, { 3, "ab\n" }, { 5, "z\n" },
				 { 7, "c\n" }, { 7, "c\n" } };

	write_lines(m, 0, ls, 1, 1);
	recmerge_end(m);
	EXPECT_EQ(recmerge_in_line(m, 0), false);
	EXPECT_EQ(recmerge_lost(m, 0), 0u);
	recmerge_free(m);
	EXPECT_EQ(out.take(), "a\nab\nb\nz\nc\nc\n");
}

// Lines are written once every writer has passed them, not at the end.
TEST(RecMerge, WritesWhatEveryWriterPassed)
{
	Out out;
	struct recmerge *m = recmerge_new(2, out.f, 32u << 20);
	ASSERT_NE(m, nullptr);

	ASSERT_TRUE(recmerge_write(m, 0, 2, "w0 at 2\n", 8));
	ASSERT_TRUE(recmerge_write(m, 1, 1, "w1 at 1\n", 8));
	ASSERT_TRUE(recmerge_write(m, 0, 4, "w0 at 4\n", 8));
	recmerge_passed(m, 0, 5);
	EXPECT_EQ(out.so_far(), "");   // worker 1 may still write at 1
	recmerge_passed(m, 1, 3);
	EXPECT_EQ(out.so_far(), "w1 at 1\nw0 at 2\n");
	// an open line keeps its tag: passing 9 passes 6 only
	ASSERT_TRUE(recmerge_write(m, 1, 6, "w1 at", 5));
	recmerge_passed(m, 1, 9);
	EXPECT_EQ(out.so_far(), "w1 at 1\nw0 at 2\nw0 at 4\n");
	ASSERT_TRUE(recmerge_write(m, 1, 7, " 6\n", 3));
	// a line left open is told, and left out
	ASSERT_TRUE(recmerge_write(m, 0, 8, "open", 4));
	recmerge_passed(m, 0, UINT64_MAX);
	recmerge_passed(m, 1, UINT64_MAX);
	EXPECT_EQ(out.so_far(), "w1 at 1\nw0 at 2\nw0 at 4\nw1 at 6\n");
	recmerge_end(m);
	EXPECT_TRUE(recmerge_in_line(m, 0));
	EXPECT_FALSE(recmerge_in_line(m, 1));
	// after the end, lines go straight out
	ASSERT_TRUE(recmerge_write(m, 1, 9, "late\n", 5));
	recmerge_free(m);
	EXPECT_EQ(out.take(), "w1 at 1\nw0 at 2\nw0 at 4\nw1 at 6\nlate\n");
}

// A line longer than a block, among short ones.
TEST(RecMerge, LinesLongerThanABlock)
{
	Out out;
	struct recmerge *m = recmerge_new(2, out.f, 32u << 20);
	ASSERT_NE(m, nullptr);
	std::vector<std::vector<Line>> ls(2);

	for (unsigned i = 0; i < 40; i++) {
		ls[0].push_back({ 10 + i, std::string(i % 9 == 0 ? (3u << 20) + i : 100, 'x') + "\n" });
		ls[1].push_back({ 10 + i, std::string(i % 7 == 0 ? (5u << 19) + i : 90, 'y') + "\n" });
	}
	write_lines(m, 0, ls[0], 3, 1);
	write_lines(m, 1, ls[1], 5, 2);
	recmerge_end(m);
	recmerge_free(m);
	std::vector<Line> all = ls[0];
	all.insert(all.end(), ls[1].begin(), ls[1].end());
	EXPECT_EQ(out.take(), expected(all));
}

// Writers on threads of their own, at different paces: the same bytes as
// the reference order, for 1 to 4 writers; with a tiny hold, the writer
// ahead waits for the others (and the merge still completes).
TEST(RecMerge, ThreadsGiveTheReferenceOrder)
{
	for (unsigned n = 1; n <= 4; n++)
		for (size_t held : { (size_t)32 << 20, (size_t)1 }) {
			Out out;
			struct recmerge *m = recmerge_new(n, out.f, held);
			ASSERT_NE(m, nullptr);
			std::vector<std::vector<Line>> ls = make_lines(n, 20000, 7 * n);
			std::vector<std::thread> th;
			uint64_t waits = 0;

			for (unsigned w = 0; w < n; w++)
				th.emplace_back([&, w] {
					if (w > 0)   // the others start behind worker 0
						std::this_thread::sleep_for(std::chrono::milliseconds(20));
					write_lines(m, w, ls[w], 1 + w * 13, 100 + w);
				});
			for (std::thread &t : th)
				t.join();
			recmerge_end(m);
			for (unsigned w = 0; w < n; w++) {
				waits += recmerge_waits(m, w);
				EXPECT_EQ(recmerge_lost(m, w), 0u);
			}
			EXPECT_EQ(recmerge_unsorted(m), 0u);
			recmerge_free(m);
			std::vector<Line> all;
			for (auto &v : ls)
				all.insert(all.end(), v.begin(), v.end());
			EXPECT_EQ(out.take(), expected(all)) << n << " writers, hold " << held;
			if (n > 1 && held == 1)
				EXPECT_GT(waits, 0u) << n << " writers";
			if (held > 1)
				EXPECT_EQ(waits, 0u);
		}
}

} // namespace
