// SPDX-License-Identifier: BSD-3-Clause
// Flow-engine benchmark, not a timed test: the cases are DISABLED_ and run
// only on request:
//   build/tests/test_flow_bench --gtest_also_run_disabled_tests
// It reports per-core packets/s for tracking only, new connections/s,
// bytes per tracked connection, and the cost of per-flow dynamic
// registration with 1M flows compared to the same run without it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "test_flow_pkt.h"

namespace {

long rss_kb()
{
	long kb = -1;
	char line[256];
	FILE *fp = fopen("/proc/self/status", "r");
	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (fp)
		fclose(fp);
	return kb;
}

double now_s()
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Synthetic connections: SYN, SYN-ACK, ACK, then @data packets each way,
// FIN/ACK both ways. Packets of @nflows connections are interleaved.
std::vector<mos_pkt> trace(uint32_t nflows, int data)
{
	std::vector<mos_pkt> v;
	mos_pkt p;
	memset(&p, 0, sizeof(p));
	p.flags = MOS_PKT_F_L4 | MOS_PKT_F_IPV4;
	p.l4_proto = 6;
	p.ip_version = 4;
	uint64_t ts = 1000000000ull;
	auto add = [&](uint32_t i, bool c2s, uint8_t fl, uint32_t seq, uint32_t ack, uint32_t len) {
		mos_pkt q = p;
		mos_addr a{}, b{};
		a.b[10] = a.b[11] = b.b[10] = b.b[11] = 0xff;
		a.b[12] = 10; a.b[13] = (uint8_t)(i >> 16); a.b[14] = (uint8_t)(i >> 8); a.b[15] = (uint8_t)i;
		b.b[12] = 192; b.b[15] = 1;
		q.src = c2s ? a : b; q.dst = c2s ? b : a;
		q.sport = c2s ? (uint16_t)(1024 + i % 60000) : 80;
		q.dport = c2s ? 80 : (uint16_t)(1024 + i % 60000);
		q.tcp_flags = fl; q.tcp_seq = seq; q.tcp_ack = ack; q.payload_len = len;
		q.tcp_win = 65535;
		q.ts_ns = (ts += 100);
		v.push_back(q);
	};
	const uint32_t step = 1000;
	for (uint32_t base = 0; base < nflows; base += step) {
		uint32_t end = base + step < nflows ? base + step : nflows;
		for (uint32_t i = base; i < end; i++) add(i, true, MOS_TCP_SYN, 100, 0, 0);
		for (uint32_t i = base; i < end; i++) add(i, false, MOS_TCP_SYN | MOS_TCP_ACK, 900, 101, 0);
		for (uint32_t i = base; i < end; i++) add(i, true, MOS_TCP_ACK, 101, 901, 0);
		for (int d = 0; d < data; d++) {
			for (uint32_t i = base; i < end; i++) add(i, true, MOS_TCP_ACK, 101 + d * 100, 901 + d * 1000, 100);
			for (uint32_t i = base; i < end; i++) add(i, false, MOS_TCP_ACK, 901 + d * 1000, 201 + d * 100, 1000);
		}
		uint32_t cs = 101 + data * 100, ss = 901 + data * 1000;
		for (uint32_t i = base; i < end; i++) add(i, true, MOS_TCP_FIN | MOS_TCP_ACK, cs, ss, 0);
		for (uint32_t i = base; i < end; i++) add(i, false, MOS_TCP_FIN | MOS_TCP_ACK, ss, cs + 1, 0);
		for (uint32_t i = base; i < end; i++) add(i, true, MOS_TCP_ACK, cs + 1, ss + 1, 0);
	}
	return v;
}

mos_monitor *dyn_mon;
void nop(mos_ctx *, mos_flow *, int, uint32_t, const mos_event_arg *) {}
void reg_on_start(mos_ctx *, mos_flow *f, int side, uint32_t, const mos_event_arg *)
{
	if (side == MOS_SIDE_CLI)
		mos_register_flow_callback(dyn_mon, f, MOS_EV_REXMIT, MOS_HOOK_SND, nop, nullptr);
}
void unreg_on_est(mos_ctx *, mos_flow *f, int, uint32_t, const mos_event_arg *)
{
	mos_unregister_flow_callback(dyn_mon, f, MOS_EV_REXMIT, MOS_HOOK_SND, nop);
}

double run(const std::vector<mos_pkt> &v, uint32_t cap, bool dynamic, bool listen_end)
{
	mos_ctx_config cfg;
	mos_ctx_config_default(&cfg);
	cfg.flows.max_flows = cap;
	mos_ctx *ctx = mos_ctx_create(&cfg);
	dyn_mon = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	if (listen_end)
		mos_register_callback(dyn_mon, MOS_EV_CONN_END, MOS_HOOK_NONE, nop, nullptr);
	if (dynamic) {
		mos_register_callback(dyn_mon, MOS_EV_CONN_START, MOS_HOOK_SND, reg_on_start, nullptr);
		mos_register_callback(dyn_mon, MOS_EV_CONN_ESTABLISHED, MOS_HOOK_RCV, unreg_on_est, nullptr);
	} else {
		// same callbacks minus the registration work
		mos_register_callback(dyn_mon, MOS_EV_CONN_START, MOS_HOOK_SND, nop, nullptr);
		mos_register_callback(dyn_mon, MOS_EV_CONN_ESTABLISHED, MOS_HOOK_RCV, nop, nullptr);
	}
	double t0 = now_s();
	for (size_t i = 0; i < v.size(); i++) {
		mos_ctx_input(ctx, &v[i], MOS_LINK_RAW);
		if ((i & 31) == 31)
			mos_ctx_burst_end(ctx);
	}
	mos_ctx_finish(ctx);
	double dt = now_s() - t0;
	mos_ctx_destroy(ctx);
	return dt;
}

TEST(FlowBench, DISABLED_TrackingRatesMemoryAndDynamicRegistration)
{
	const uint32_t n = 1000000;
	std::vector<mos_pkt> conn_only = trace(n, 0);      // 8 packets per connection
	std::vector<mos_pkt> data = trace(200000, 20);     // 48 packets per connection
	double t_data = run(data, 1 << 20, false, true);
	double t_conn = run(conn_only, 1 << 21, false, true);
	double t_plain = 1e9, t_dyn = 1e9;
	for (int rep = 0; rep < 5; rep++) {   // best of five, interleaved
		t_plain = std::min(t_plain, run(conn_only, 1 << 21, false, false));
		t_dyn = std::min(t_dyn, run(conn_only, 1 << 21, true, false));
	}
	printf("tracking only (200k conns x 48 pkts): %.2f Mpps\n", data.size() / t_data / 1e6);
	printf("new connections (1M, 8 pkts each):  %.0f conn/s, %.2f Mpps\n", n / t_conn,
	       conn_only.size() / t_conn / 1e6);
	printf("1M flows, static callbacks:         %.3f s\n", t_plain);
	printf("1M flows, register+unregister each: %.3f s (%+.1f%%)\n", t_dyn, 100.0 * (t_dyn / t_plain - 1));
	mos_flow_table_config fc;
	mos_flow_table_config_default(&fc);
	fc.max_flows = 1000000;
	long rss0 = rss_kb();
	mos_flow_table *t = mos_flow_table_create(&fc);
	mos_flow_key k{};
	for (uint32_t i = 0; i < 1000000; i++) {   // fill it: every entry and bucket touched
		k.lo.b[12] = (uint8_t)(i >> 16); k.lo.b[13] = (uint8_t)(i >> 8); k.lo.b[14] = (uint8_t)i;
		k.tag = 6;
		mos_flow_insert(t, &k, MOS_FLOW_CLASS_ACTIVE, i);
	}
	long rss1 = rss_kb();
	printf("RSS growth for 1M tracked connections: %.1f B/connection\n", (rss1 - rss0) * 1024.0 / 1e6);
	printf("memory per tracked connection: sizeof(struct mos_flow) = %zu B, table %.1f B/flow "
	       "(entries + hash buckets + in-use bitmap)\n", sizeof(mos_flow),
	       (double)mos_flow_table_memory(t) / mos_flow_table_capacity(t));
	mos_flow_table_destroy(t);
}

}  // namespace
