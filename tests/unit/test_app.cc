// SPDX-License-Identifier: BSD-3-Clause
// The program skeleton (runtime/app.c) around a run over capture files.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
#include "mos/app.h"
}

namespace {

std::string g_path;

// A classic pcap of @n Ethernet frames of 1000 bytes (2 MB for 2000).
void write_capture(const std::string &path, unsigned n)
{
	FILE *f = fopen(path.c_str(), "wb");
	ASSERT_NE(f, nullptr);
	const uint32_t hdr[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
	fwrite(hdr, sizeof(hdr), 1, f);
	std::vector<uint8_t> frame(1000, 0x41);
	for (unsigned i = 0; i < n; i++) {
		const uint32_t rec[4] = { 1700000000u, i, 1000, 1000 };
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(frame.data(), 1, frame.size(), f);
	}
	ASSERT_EQ(fclose(f), 0);
}

// Another process cuts the capture short while the run reads it: the
// first burst's callback plays that part. The run ends with an error
// naming the file, and with exit status 1 (mos_app_destroy's).
void cut_short(void *, struct mos_pkt *, struct rte_mbuf **, uint16_t, uint64_t)
{
	if (truncate(g_path.c_str(), 40) != 0)
		_exit(3);
}

void run_and_cut()
{
	std::string prog = "cutshort";
	char *argv[] = { prog.data(), (char *)"-q", (char *)"-r", g_path.data(), nullptr };
	struct mos_app *app = mos_app_create(prog.c_str(), 4, argv, nullptr);
	if (app == nullptr)
		_exit(4);
	struct mos_stage stage = {};
	stage.burst = cut_short;
	int rc = mos_app_run(app, &stage);
	int status = mos_app_destroy(app);
	_exit(rc == -EIO ? status : 5);
}

TEST(AppDeathTest, CaptureCutShortWhileReadStopsWithAnError)
{
	g_path = "/tmp/mos_test_app_" + std::to_string(getpid()) + ".pcap";
	write_capture(g_path, 2000);
	EXPECT_EXIT(run_and_cut(), ::testing::ExitedWithCode(1),
		    "cutshort: error: .*mos_test_app_.*: cut short while it was being read");
	unlink(g_path.c_str());
}

}  // namespace
