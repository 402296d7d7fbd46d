// SPDX-License-Identifier: BSD-3-Clause
// The engine through the C API (runtime/api.c): every built-in event's
// trigger, hooks and sides, conn_end on every path, monitors and filters,
// packet access and edits, timers, static forests, the SYN flood.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/mman.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "pktcraft.h"
#include "test_flow_pkt.h"

namespace {

struct Ev { uint32_t ev; int side; int hook; bool has_pkt; };

struct Rec {
	std::vector<Ev> evs;
	int hook = 0;
	uint64_t end_pkts = 0;
	int ends = 0;
};

Rec *g;

void record(mos_ctx *ctx, mos_flow *, int side, uint32_t ev, const mos_event_arg *a)
{
	mos_pkt_view v;
	bool has = mos_get_pkt(ctx, &v) == 0;
	g->evs.push_back({ev, side, (int)(intptr_t)a->user, has});
}

class Engine : public ::testing::Test {
protected:
	mos_ctx *ctx = nullptr;
	mos_monitor *mon = nullptr;
	Wire w;
	Rec rec;
	uint64_t t = 1000000000ull;

	void SetUp() override
	{
		g = &rec;
		ctx = mos_ctx_create(nullptr);
		ASSERT_NE(ctx, nullptr);
		mon = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
		ASSERT_NE(mon, nullptr);
	}
	void TearDown() override { mos_ctx_destroy(ctx); }
	void listen(uint32_t ev, int hook)
	{
		ASSERT_EQ(mos_register_callback(mon, ev, hook, record, (void *)(intptr_t)hook), 0);
	}
	int send(bool c2s, uint8_t flags, uint32_t seq, uint32_t ack, const std::string &data = "",
		 uint16_t sport = 40000)
	{
		TPkt p;
		p.flags = flags; p.seq = seq; p.ack = ack; p.payload = data; p.sport = sport;
		p.ts_ns = (t += 1000);
		if (!c2s) { std::swap(p.src, p.dst); std::swap(p.sport, p.dport); }
		return mos_ctx_input(ctx, w.make(p), MOS_LINK_ETHERNET);
	}
	void handshake(uint16_t sport = 40000)
	{
		send(true, MOS_TCP_SYN, 1000, 0, "", sport);
		send(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001, "", sport);
		send(true, MOS_TCP_ACK, 1001, 5001, "", sport);
	}
	int count(uint32_t ev, int side = -1, int hook = -1)
	{
		int n = 0;
		for (auto &e : rec.evs)
			n += e.ev == ev && (side < 0 || e.side == side) && (hook < 0 || e.hook == hook);
		return n;
	}
};

TEST_F(Engine, ConnStartAtSndForClientAndRcvForServer)
{
	listen(MOS_EV_CONN_START, MOS_HOOK_SND);
	listen(MOS_EV_CONN_START, MOS_HOOK_RCV);
	send(true, MOS_TCP_SYN, 1000, 0);
	EXPECT_EQ(count(MOS_EV_CONN_START, MOS_SIDE_CLI, MOS_HOOK_SND), 1);
	EXPECT_EQ(count(MOS_EV_CONN_START, MOS_SIDE_SVR, MOS_HOOK_RCV), 1);
	EXPECT_EQ(rec.evs.size(), 2u);
}

TEST_F(Engine, RetransmittedSynDoesNotRaiseConnStartAgain)
{
	listen(MOS_EV_CONN_START, MOS_HOOK_SND);
	listen(MOS_EV_CONN_START, MOS_HOOK_RCV);
	listen(MOS_EV_REXMIT, MOS_HOOK_SND);
	send(true, MOS_TCP_SYN, 1000, 0);
	send(true, MOS_TCP_SYN, 1000, 0);
	EXPECT_EQ(count(MOS_EV_CONN_START), 2);
	EXPECT_EQ(count(MOS_EV_REXMIT, MOS_SIDE_CLI), 1);
}

TEST_F(Engine, PktInRunsSenderHookBeforeReceiverHook)
{
	listen(MOS_EV_PKT_IN, MOS_HOOK_SND);
	listen(MOS_EV_PKT_IN, MOS_HOOK_RCV);
	send(false, MOS_TCP_ACK, 1, 1, "x");  // midstream, server -> client (port heuristic)
	ASSERT_EQ(rec.evs.size(), 2u);
	EXPECT_EQ(rec.evs[0].hook, MOS_HOOK_SND);
	EXPECT_EQ(rec.evs[0].side, MOS_SIDE_SVR);
	EXPECT_EQ(rec.evs[1].hook, MOS_HOOK_RCV);
	EXPECT_EQ(rec.evs[1].side, MOS_SIDE_CLI);
	EXPECT_TRUE(rec.evs[0].has_pkt);
}

TEST_F(Engine, ConnEstablishedOnceWhenTheHandshakeCompletes)
{
	listen(MOS_EV_CONN_ESTABLISHED, MOS_HOOK_RCV);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001);
	ASSERT_EQ(count(MOS_EV_CONN_ESTABLISHED), 1);
	EXPECT_EQ(rec.evs[0].side, MOS_SIDE_SVR);
}

TEST_F(Engine, IllegalHookIsRefused)
{
	EXPECT_EQ(mos_register_callback(mon, MOS_EV_CONN_NEW_DATA, MOS_HOOK_SND, record, nullptr), -EINVAL);
	EXPECT_EQ(mos_register_callback(mon, MOS_EV_CONN_START, MOS_HOOK_NONE, record, nullptr), -EINVAL);
	EXPECT_EQ(mos_register_callback(mon, MOS_EV_CONN_ESTABLISHED, MOS_HOOK_SND, record, nullptr), -EINVAL);
	EXPECT_EQ(mos_register_callback(mon, 9999, MOS_HOOK_SND, record, nullptr), -EINVAL);
	EXPECT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, nullptr, nullptr), -EINVAL);
	EXPECT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_NONE, record, nullptr), -EINVAL);
}

TEST(EngineEvict, EvictedFlowRaisesConnEndOncePerSideBeforeItsSlotIsReused)
{
	mos_ctx_config cfg;
	mos_ctx_config_default(&cfg);
	cfg.flows.max_flows = 1;
	mos_ctx *ctx = mos_ctx_create(&cfg);
	ASSERT_NE(ctx, nullptr);
	mos_monitor *m = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	Rec r;
	g = &r;
	ASSERT_EQ(mos_register_callback(m, MOS_EV_CONN_END, MOS_HOOK_SND, record, nullptr), 0);
	ASSERT_EQ(mos_register_callback(m, MOS_EV_CONN_END, MOS_HOOK_NONE, record, nullptr), 0);
	ASSERT_EQ(mos_register_callback(m, MOS_EV_CONN_START, MOS_HOOK_SND, record, nullptr), 0);
	Wire w;
	TPkt a, b;
	a.flags = b.flags = MOS_TCP_SYN;
	b.sport = 40001;
	b.ts_ns = a.ts_ns + 10;
	mos_ctx_input(ctx, w.make(a), MOS_LINK_ETHERNET);
	mos_ctx_input(ctx, w.make(b), MOS_LINK_ETHERNET);
	ASSERT_EQ(r.evs.size(), 5u);   // start(a), end(a) at SND x2 sides + hookless, start(b)
	EXPECT_EQ(r.evs[1].ev, (uint32_t)MOS_EV_CONN_END);
	EXPECT_EQ(r.evs[1].side, MOS_SIDE_CLI);
	EXPECT_EQ(r.evs[2].side, MOS_SIDE_SVR);
	EXPECT_EQ(r.evs[3].side, MOS_SIDE_BOTH);
	EXPECT_FALSE(r.evs[1].has_pkt);  // the packet being processed belongs to another flow
	EXPECT_EQ(r.evs[4].ev, (uint32_t)MOS_EV_CONN_START);
	EXPECT_EQ(mos_flow_table_counters(mos_ctx_flows(ctx))->evicted, 1u);
	mos_ctx_destroy(ctx);
}

TEST_F(Engine, TcpStateChangeReportsEachEndpointAtItsHook)
{
	listen(MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_SND);
	listen(MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_RCV);
	send(true, MOS_TCP_SYN, 1000, 0);
	EXPECT_EQ(count(MOS_EV_TCP_STATE_CHANGE, MOS_SIDE_CLI, MOS_HOOK_SND), 1);  // SYN_SENT
	EXPECT_EQ(count(MOS_EV_TCP_STATE_CHANGE, MOS_SIDE_SVR, MOS_HOOK_RCV), 1);  // SYN_RCVD
}

TEST_F(Engine, RexmitOnRetransmittedData)
{
	listen(MOS_EV_REXMIT, MOS_HOOK_SND);
	listen(MOS_EV_REXMIT, MOS_HOOK_RCV);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "abc");
	EXPECT_EQ(count(MOS_EV_REXMIT), 0);
	send(true, MOS_TCP_ACK, 1001, 5001, "abc");
	EXPECT_EQ(count(MOS_EV_REXMIT, MOS_SIDE_CLI, MOS_HOOK_SND), 1);
	EXPECT_EQ(count(MOS_EV_REXMIT, MOS_SIDE_SVR, MOS_HOOK_RCV), 1);
}

TEST_F(Engine, NewDataOncePerStreamPerBurstWithItsLastPacket)
{
	listen(MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "abc");
	send(true, MOS_TCP_ACK, 1004, 5001, "def");
	send(false, MOS_TCP_ACK, 5001, 1007, "xyz");
	EXPECT_EQ(count(MOS_EV_CONN_NEW_DATA), 0);  // batched until the burst ends
	mos_ctx_burst_end(ctx);
	EXPECT_EQ(count(MOS_EV_CONN_NEW_DATA), 2);
	EXPECT_EQ(count(MOS_EV_CONN_NEW_DATA, MOS_SIDE_SVR), 1);  // the receiving side, as mOS
	for (auto &e : rec.evs)
		EXPECT_TRUE(e.has_pkt);
}

TEST_F(Engine, NewDataTowardAHalfClosedSide)
{
	listen(MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE);
	handshake();
	send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	send(false, MOS_TCP_ACK, 5001, 1002);
	send(false, MOS_TCP_ACK, 5001, 1002, "late data");
	mos_ctx_burst_end(ctx);
	EXPECT_EQ(count(MOS_EV_CONN_NEW_DATA, MOS_SIDE_CLI), 1);
}

struct EndCase { const char *name; int reason; };

TEST_F(Engine, ConnEndOncePerSideOnEveryPath)
{
	listen(MOS_EV_CONN_END, MOS_HOOK_NONE);
	listen(MOS_EV_CONN_END, MOS_HOOK_SND);
	// FIN: ends after the TIME_WAIT linger
	handshake(1);
	send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001, "", 1);
	send(false, MOS_TCP_FIN | MOS_TCP_ACK, 5001, 1002, "", 1);
	send(true, MOS_TCP_ACK, 1002, 5002, "", 1);
	// RST
	handshake(2);
	send(false, MOS_TCP_RST | MOS_TCP_ACK, 5001, 1001, "", 2);
	// still open: idle timeout
	handshake(3);
	EXPECT_EQ(count(MOS_EV_CONN_END), 0);
	mos_ctx_advance(ctx, t + 61ull * 1000000000ull);   // closed linger (60 s) over
	EXPECT_EQ(count(MOS_EV_CONN_END), 2 * 3);           // 2 flows x (2 sides at SND + 1 hookless)
	mos_ctx_advance(ctx, t + 3601ull * 1000000000ull);
	EXPECT_EQ(count(MOS_EV_CONN_END), 3 * 3);
	// end of input
	handshake(4);
	mos_ctx_finish(ctx);
	EXPECT_EQ(count(MOS_EV_CONN_END), 4 * 3);
	EXPECT_EQ(count(MOS_EV_CONN_END, MOS_SIDE_BOTH, MOS_HOOK_NONE), 4);   // once per connection
	EXPECT_EQ(count(MOS_EV_CONN_END, MOS_SIDE_CLI, MOS_HOOK_SND), 4);     // once per side
	EXPECT_EQ(count(MOS_EV_CONN_END, MOS_SIDE_SVR, MOS_HOOK_SND), 4);
	for (auto &e : rec.evs)
		EXPECT_FALSE(e.has_pkt);  // conn_end carries no packet
	mos_ctx_finish(ctx);
	EXPECT_EQ(count(MOS_EV_CONN_END), 12);            // never twice
}

int reasons[MOS_FLOW_END_COUNT];
void end_reason(mos_ctx *, mos_flow *f, int side, uint32_t, const mos_event_arg *)
{
	EXPECT_EQ(side, MOS_SIDE_BOTH);
	reasons[mos_flow_end_reason(f)]++;
}

TEST_F(Engine, EndReasonsNameTheWayTheFlowEnded)
{
	memset(reasons, 0, sizeof(reasons));
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, end_reason, nullptr), 0);
	handshake(1);
	send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001, "", 1);
	send(false, MOS_TCP_FIN | MOS_TCP_ACK, 5001, 1002, "", 1);
	handshake(2);
	send(true, MOS_TCP_RST, 1001, 0, "", 2);
	handshake(3);
	mos_ctx_advance(ctx, t + 4000ull * 1000000000ull);
	handshake(4);
	mos_ctx_finish(ctx);
	EXPECT_EQ(reasons[MOS_FLOW_END_FIN], 1);
	EXPECT_EQ(reasons[MOS_FLOW_END_RST], 1);
	EXPECT_EQ(reasons[MOS_FLOW_END_TIMEOUT], 1);
	EXPECT_EQ(reasons[MOS_FLOW_END_EOF], 1);
}

TEST_F(Engine, TimeoutEventPrecedesConnEndOfAnIdleFlow)
{
	listen(MOS_EV_TIMEOUT, MOS_HOOK_NONE);
	listen(MOS_EV_CONN_END, MOS_HOOK_NONE);
	handshake();
	mos_ctx_advance(ctx, t + 3601ull * 1000000000ull);
	ASSERT_EQ(rec.evs.size(), 2u);
	EXPECT_EQ(rec.evs[0].ev, (uint32_t)MOS_EV_TIMEOUT);
	EXPECT_EQ(rec.evs[1].ev, (uint32_t)MOS_EV_CONN_END);
}

TEST_F(Engine, OutOfWindowRstRaisesAnomalyAndKeepsTheFlow)
{
	listen(MOS_EV_RST_OUT_OF_WINDOW, MOS_HOOK_SND);
	listen(MOS_EV_CONN_END, MOS_HOOK_NONE);
	handshake();
	send(false, MOS_TCP_RST, 5001 + 50000000, 0);
	EXPECT_EQ(count(MOS_EV_RST_OUT_OF_WINDOW, MOS_SIDE_SVR), 1);
	EXPECT_EQ(mos_ctx_stats(ctx)->events[MOS_EV_RST_OUT_OF_WINDOW], 1u);
	mos_ctx_advance(ctx, t + 61ull * 1000000000ull);
	EXPECT_EQ(count(MOS_EV_CONN_END), 0);   // not torn down
}

TEST_F(Engine, OrphansForNonTcpAndForMidstreamWhenDisabled)
{
	listen(MOS_EV_ORPHAN, MOS_HOOK_NONE);
	listen(MOS_EV_PKT_IN, MOS_HOOK_SND);
	ASSERT_EQ(mos_monitor_set_midstream(mon, false), 0);
	send(true, MOS_TCP_ACK, 5, 5, "mid");
	EXPECT_EQ(count(MOS_EV_ORPHAN), 1);
	EXPECT_EQ(count(MOS_EV_PKT_IN), 0);
	send(true, MOS_TCP_SYN, 1000, 0);
	EXPECT_EQ(count(MOS_EV_PKT_IN), 1);
	EXPECT_EQ(rec.evs.back().side, MOS_SIDE_CLI);
}

TEST_F(Engine, SynFilterScopesTheMonitor)
{
	ASSERT_EQ(mos_monitor_set_filter(mon, "tcp port 80", nullptr), 0);
	EXPECT_EQ(mos_monitor_set_filter(mon, "tcp port banana", nullptr), -EINVAL);
	listen(MOS_EV_CONN_START, MOS_HOOK_SND);
	send(true, MOS_TCP_SYN, 1000, 0);            // to port 80
	TPkt p;
	p.flags = MOS_TCP_SYN; p.dport = 443; p.ts_ns = t + 5;
	mos_ctx_input(ctx, w.make(p), MOS_LINK_ETHERNET);
	EXPECT_EQ(count(MOS_EV_CONN_START), 1);
	EXPECT_EQ(mos_ctx_stats(ctx)->not_monitored, 1u);
}

TEST_F(Engine, RawMonitorSeesFramesThatPassItsFilter)
{
	mos_monitor *raw = mos_monitor_create(ctx, MOS_MONITOR_RAW);
	ASSERT_NE(raw, nullptr);
	ASSERT_EQ(mos_monitor_set_raw_filter(raw, "udp"), 0);
	EXPECT_EQ(mos_register_callback(raw, MOS_EV_CONN_START, MOS_HOOK_SND, record, nullptr), -EINVAL);
	ASSERT_EQ(mos_register_callback(raw, MOS_EV_PKT_IN, MOS_HOOK_NONE, record, nullptr), 0);
	send(true, MOS_TCP_SYN, 1000, 0);
	TPkt u;
	u.udp = true; u.ts_ns = t + 5;
	mos_ctx_input(ctx, w.make(u), MOS_LINK_ETHERNET);
	ASSERT_EQ(count(MOS_EV_PKT_IN), 1);
	EXPECT_EQ(rec.evs[0].side, MOS_SIDE_BOTH);
	EXPECT_TRUE(rec.evs[0].has_pkt);
}

TEST_F(Engine, UdpFlowsRaiseUdpPktAtBothHooks)
{
	listen(MOS_EV_UDP_PKT, MOS_HOOK_SND);
	listen(MOS_EV_UDP_PKT, MOS_HOOK_RCV);
	listen(MOS_EV_CONN_END, MOS_HOOK_NONE);
	TPkt u;
	u.udp = true; u.ts_ns = t;
	mos_ctx_input(ctx, w.make(u), MOS_LINK_ETHERNET);
	std::swap(u.src, u.dst); std::swap(u.sport, u.dport); u.ts_ns += 5;
	mos_ctx_input(ctx, w.make(u), MOS_LINK_ETHERNET);
	EXPECT_EQ(count(MOS_EV_UDP_PKT, MOS_SIDE_CLI, MOS_HOOK_SND), 1);
	EXPECT_EQ(count(MOS_EV_UDP_PKT, MOS_SIDE_SVR, MOS_HOOK_SND), 1);
	mos_ctx_advance(ctx, t + 181ull * 1000000000ull);   // UDP timeout
	EXPECT_EQ(count(MOS_EV_CONN_END), 1);
}

void stopper(mos_ctx *ctx, mos_flow *f, int, uint32_t, const mos_event_arg *)
{
	g->evs.push_back({MOS_EV_PKT_IN, 0, 0, true});
	mos_flow_stop(ctx, f, MOS_SIDE_BOTH);
}

TEST_F(Engine, StopMonitoringBothSidesSilencesTheFlow)
{
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, stopper, nullptr), 0);
	listen(MOS_EV_CONN_END, MOS_HOOK_NONE);
	listen(MOS_EV_ORPHAN, MOS_HOOK_NONE);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "x");
	mos_ctx_finish(ctx);
	EXPECT_EQ(rec.evs.size(), 1u);   // the first packet only; no conn_end, no orphans
}

struct PerFlow { int calls = 0; };
PerFlow pf;
mos_monitor *pf_mon;
void per_flow_cb(mos_ctx *, mos_flow *, int, uint32_t, const mos_event_arg *) { pf.calls++; }
void registrar(mos_ctx *ctx, mos_flow *f, int side, uint32_t, const mos_event_arg *)
{
	if (side == MOS_SIDE_CLI && mos_flow_get_uctx(ctx, f) == nullptr) {
		EXPECT_EQ(mos_flow_set_uctx(ctx, f, f), 0);
		EXPECT_EQ(mos_flow_get_uctx(ctx, f), f);
		EXPECT_EQ(mos_register_flow_callback(pf_mon, f, MOS_EV_PKT_IN, MOS_HOOK_RCV, per_flow_cb, nullptr), 0);
	}
}

TEST_F(Engine, PerFlowRegistrationTouchesOnlyThatFlowAndSharesSets)
{
	pf = PerFlow();
	pf_mon = mon;
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_CONN_START, MOS_HOOK_SND, registrar, nullptr), 0);
	for (uint16_t i = 0; i < 100; i++)
		send(true, MOS_TCP_SYN, 1000, 0, "", (uint16_t)(2000 + i));   // 100 flows register
	send(true, MOS_TCP_ACK, 5, 5, "", 3000);                         // midstream: also conn_start
	EXPECT_EQ(pf.calls, 101);     // each new flow ran its own new callback once, at rcv
	for (uint16_t i = 0; i < 100; i++)
		send(true, MOS_TCP_SYN, 1000, 0, "", (uint16_t)(2000 + i));
	EXPECT_EQ(pf.calls, 201);     // retransmitted SYNs: no conn_start, per-flow pkt_in only
	mos_evsys_stats st;
	mos_evsys_get_stats(mos_ctx_events(ctx), &st);
	EXPECT_LE(st.sets, 4u);       // empty, {monitor}, {monitor,+reg}: shared by all flows
	EXPECT_GE(st.transition_hits, 99u);
}

void timer_cb(mos_ctx *, mos_flow *f, int, void *arg)
{
	((std::vector<mos_flow *> *)arg)->push_back(f);
}

TEST_F(Engine, TimersFireOnThePacketClockAndDieWithTheirFlow)
{
	std::vector<mos_flow *> fired;
	handshake(1);
	mos_flow *f = nullptr;
	struct Grab { static void cb(mos_ctx *, mos_flow *fl, int, uint32_t, const mos_event_arg *a) { *(mos_flow **)a->user = fl; } };
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, Grab::cb, &f), 0);
	send(true, MOS_TCP_ACK, 1001, 5001, "", 1);
	ASSERT_NE(f, nullptr);
	int id = mos_timer_set(ctx, f, 5000000, timer_cb, &fired);
	ASSERT_GT(id, 0);
	int core = mos_timer_set(ctx, nullptr, 10000000, timer_cb, &fired);
	ASSERT_GT(core, 0);
	int dead = mos_timer_set(ctx, f, 20000000, timer_cb, &fired);
	ASSERT_GT(dead, 0);
	int cancelled = mos_timer_set(ctx, nullptr, 1000000, timer_cb, &fired);
	EXPECT_EQ(mos_timer_cancel(ctx, cancelled), 0);
	EXPECT_EQ(mos_timer_cancel(ctx, cancelled), -ENOENT);
	mos_ctx_advance(ctx, t + 4000000);
	EXPECT_TRUE(fired.empty());
	mos_ctx_advance(ctx, t + 6000000);
	ASSERT_EQ(fired.size(), 1u);
	EXPECT_EQ(fired[0], f);
	send(true, MOS_TCP_RST, 1001, 0, "", 1);
	mos_ctx_advance(ctx, t + 80ull * 1000000000ull);   // flow ended (RST + linger)
	ASSERT_EQ(fired.size(), 2u);                       // the core timer only
	EXPECT_EQ(fired[1], nullptr);
}

void overwrite_cb(mos_ctx *ctx, mos_flow *, int, uint32_t, const mos_event_arg *)
{
	mos_pkt_view v;
	ASSERT_EQ(mos_get_pkt(ctx, &v), 0);
	uint8_t x = 'X';
	EXPECT_EQ(mos_pkt_overwrite(ctx, v.pkt->payload_off, &x, 1, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, v.caplen, &x, 1, 0), -EINVAL);
	EXPECT_EQ(mos_pkt_drop(ctx), 0);
}

uint16_t csum(const uint8_t *d, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1) s += (uint32_t)d[n - 1] << 8;
	while (s >> 16) s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

TEST_F(Engine, PacketOverwriteFixesChecksumsAndDropSetsTheVerdict)
{
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, overwrite_cb, nullptr), 0);
	int verdict = send(true, MOS_TCP_ACK, 1, 1, "abc");
	EXPECT_EQ(verdict, MOS_VERDICT_DROP);
	std::vector<uint8_t> &f = w.last_frame();
	EXPECT_EQ(f[14 + 40], 'X');
	EXPECT_EQ(csum(&f[14], 20, 0), 0xffff);                      // IPv4 header
	uint32_t ps = csum(&f[14 + 12], 8, 0) + 6 + 23;              // pseudo header
	EXPECT_EQ(csum(&f[14 + 20], 23, ps), 0xffff);                // TCP
	mos_pkt_view v;
	EXPECT_EQ(mos_get_pkt(ctx, &v), -ENOENT);                    // outside callbacks
	EXPECT_EQ(mos_pkt_drop(ctx), -ENOENT);
}

// Incremental checksum updates (RFC 1624): address, port and an odd-offset
// payload byte rewritten; both checksums must verify afterwards.
static void incr_cb(mos_ctx *ctx, mos_flow *, int, uint32_t, const mos_event_arg *)
{
	mos_pkt_view v;
	ASSERT_EQ(mos_get_pkt(ctx, &v), 0);
	const uint8_t addr[4] = { 192, 0, 2, 77 }, port[2] = { 0x4e, 0x21 }, x = 'Q';
	const unsigned f = MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4 | MOS_PKT_CSUM_INCR;
	// the test frames carry no checksums: compute them in full first
	ASSERT_EQ(mos_pkt_overwrite(ctx, 0, nullptr, 0, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, v.pkt->l3_off + 12, addr, 4, f), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, v.pkt->l4_off, port, 2, f), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, v.pkt->payload_off + 1, &x, 1, f), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, v.pkt->l4_off + 16, port, 2, f), -EINVAL);   // the checksum itself
}

TEST_F(Engine, IncrementalChecksumUpdateKeepsBothChecksumsValid)
{
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, incr_cb, nullptr), 0);
	send(true, MOS_TCP_ACK, 1, 1, "abcdefg");
	std::vector<uint8_t> &f = w.last_frame();
	EXPECT_EQ(f[14 + 12 + 3], 77);
	EXPECT_EQ(f[14 + 40 + 1], 'Q');
	EXPECT_EQ(csum(&f[14], 20, 0), 0xffff);                      // IPv4 header
	uint32_t ps = csum(&f[14 + 12], 8, 0) + 6 + 27;              // pseudo header
	EXPECT_EQ(csum(&f[14 + 20], 27, ps), 0xffff);                // TCP
}

// ICMP and ICMPv6 checksums are kept by mos_pkt_overwrite like TCP/UDP
// ones: ICMPv6's covers the pseudo-header, ICMP's does not.
static void icmp_cb(mos_ctx *ctx, mos_flow *, int, uint32_t, const mos_event_arg *)
{
	mos_pkt_view v;
	ASSERT_EQ(mos_get_pkt(ctx, &v), 0);
	const mos_pkt *p = v.pkt;
	const uint8_t id[2] = { 0x12, 0x34 }, seq[2] = { 0xab, 0xcd }, dst4[4] = { 192, 0, 2, 9 };
	const unsigned incr = MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4 | MOS_PKT_CSUM_INCR;
	ASSERT_TRUE(p->flags & MOS_PKT_F_L4);
	// the frames come without checksums: computed in full, then kept
	ASSERT_EQ(mos_pkt_overwrite(ctx, p->l4_off + 4, id, 2, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, p->l4_off + 6, seq, 2, incr), 0);
	if (p->ip_version == 4)
		EXPECT_EQ(mos_pkt_overwrite(ctx, p->l3_off + 16, dst4, 4, incr), 0);
	else
		EXPECT_EQ(mos_pkt_overwrite(ctx, p->l3_off + 24 + 15, seq, 1, incr), 0);
	EXPECT_EQ(mos_pkt_overwrite(ctx, p->l4_off + 2, seq, 2, incr), -EINVAL);   // the checksum itself
}

TEST(PacketOverwrite, KeepsIcmpAndIcmpv6Checksums)
{
	mos_ctx *ctx = mos_ctx_create(nullptr);
	ASSERT_NE(ctx, nullptr);
	mos_monitor *raw = mos_monitor_create(ctx, MOS_MONITOR_RAW);
	ASSERT_NE(raw, nullptr);
	ASSERT_EQ(mos_register_callback(raw, MOS_EV_PKT_IN, MOS_HOOK_NONE, icmp_cb, nullptr), 0);
	// Ethernet, IPv4 (no checksum yet), ICMP echo request with 5 bytes of data
	std::vector<uint8_t> v4 = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 33, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 198, 51, 100, 7,
		8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g', '!' };
	// Ethernet, IPv6, ICMPv6 echo request with 3 bytes of data
	std::vector<uint8_t> v6 = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd,
		0x60, 0, 0, 0, 0, 11, 58, 64 };
	for (int i = 0; i < 2; i++) {
		const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)(1 + i) };
		v6.insert(v6.end(), a, a + 16);
	}
	v6.insert(v6.end(), { 128, 0, 0, 0, 0, 1, 0, 1, 'a', 'b', 'c' });
	for (std::vector<uint8_t> *f : { &v4, &v6 }) {
		mos_pkt p;
		mos_decode(f->data(), (uint32_t)f->size(), (uint32_t)f->size(), MOS_LINK_ETHERNET, 1000, &p);
		mos_ctx_input(ctx, &p, MOS_LINK_ETHERNET);
	}
	EXPECT_EQ(v4[14 + 16], 192);                                  // rewritten
	EXPECT_EQ(csum(&v4[14], 20, 0), 0xffff);                      // IPv4 header
	EXPECT_EQ(csum(&v4[34], 13, 0), 0xffff);                      // ICMP: no pseudo-header
	EXPECT_EQ(v6[14 + 24 + 15], 0xab);
	uint32_t ps = csum(&v6[14 + 8], 32, 0) + 58 + 11;             // pseudo-header
	EXPECT_EQ(csum(&v6[54], 11, ps), 0xffff);                     // ICMPv6
	mos_ctx_destroy(ctx);
}

TEST(PacketOverwrite, CsumUpdateEqualsARecomputation)
{
	uint8_t hdr[20] = { 0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7 };
	uint16_t c = (uint16_t)~csum(hdr, 20, 0);
	const uint8_t was[4] = { 192, 0, 2, 1 }, now[4] = { 10, 0, 0, 77 };
	uint16_t u = mos_csum_update(c, was, now, 4);
	memcpy(hdr + 12, now, 4);
	EXPECT_EQ(u, (uint16_t)~csum(hdr, 20, 0));
	EXPECT_EQ(mos_csum_update(u, now, now, 4), u);                // nothing changed
}

// A raw monitor rewrites a reply's destination (as a NAT does) before the
// flow lookup: the frame is decoded again and found in the inside flow.
static void unnat_cb(mos_ctx *ctx, mos_flow *, int, uint32_t, const mos_event_arg *)
{
	mos_pkt_view v;
	ASSERT_EQ(mos_get_pkt(ctx, &v), 0);
	const uint8_t ext[4] = { 192, 0, 2, 1 }, in[4] = { 10, 0, 0, 1 };
	const uint8_t inport[2] = { 40000 >> 8, 40000 & 0xff };
	if (v.pkt->ip_version == 4 && memcmp(v.data + v.pkt->l3_off + 16, ext, 4) == 0) {
		ASSERT_EQ(mos_pkt_overwrite(ctx, v.pkt->l3_off + 16, in, 4, 0), 0);
		ASSERT_EQ(mos_pkt_overwrite(ctx, v.pkt->l4_off + 2, inport, 2, MOS_PKT_CSUM_IP | MOS_PKT_CSUM_L4), 0);
		EXPECT_EQ(v.pkt->dport, 20000);          // decoded again only after the raw monitors
	}
}

// The inside client's SYN through a NAT whose raw monitor is unnat_cb, and
// the SYN-ACK as it comes back to the NAT's outside address.
static TPkt unnat_setup(mos_ctx *ctx, const std::function<void()> &syn, uint64_t ts)
{
	mos_monitor *raw = mos_monitor_create(ctx, MOS_MONITOR_RAW);
	EXPECT_NE(raw, nullptr);
	EXPECT_EQ(mos_register_callback(raw, MOS_EV_PKT_IN, MOS_HOOK_NONE, unnat_cb, nullptr), 0);
	syn();
	TPkt sa;
	sa.src = "10.0.0.2"; sa.dst = "192.0.2.1"; sa.sport = 80; sa.dport = 20000;
	sa.flags = MOS_TCP_SYN | MOS_TCP_ACK; sa.seq = 5000; sa.ack = 1001; sa.ts_ns = ts;
	return sa;
}

TEST_F(Engine, RawMonitorRewriteBeforeLookupMovesTheFrameToItsNewFlow)
{
	listen(MOS_EV_ORPHAN, MOS_HOOK_NONE);
	TPkt sa = unnat_setup(ctx, [&] { send(true, MOS_TCP_SYN, 1000, 0); }, t + 2000);
	const mos_pkt *p = w.make(sa);
	mos_ctx_input(ctx, p, MOS_LINK_ETHERNET);
	EXPECT_EQ(p->dport, 40000);                  // the caller's packet, decoded again
	EXPECT_EQ(mos_ctx_stats(ctx)->orphans, 0u);
	EXPECT_EQ(mos_flow_table_counters(mos_ctx_flows(ctx))->created, 1u);
	send(true, MOS_TCP_ACK, 1001, 5001);
	EXPECT_EQ(mos_ctx_stats(ctx)->events[MOS_EV_CONN_ESTABLISHED], 1u);
}

// Borrowed frames (read-only memory, as offline workers read a shared
// mapping of the capture): a rewrite works on a copy, the memory the frame
// came from is never written, and the copies last until the burst ends.
TEST_F(Engine, BorrowedFrameIsCopiedBeforeItIsWritten)
{
	mos_ctx_set_borrowed(ctx, true);
	TPkt sa = unnat_setup(ctx, [&] { send(true, MOS_TCP_SYN, 1000, 0); }, t + 2000);
	const mos_pkt *made = w.make(sa);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *ro = (uint8_t *)mmap(nullptr, page, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(ro, MAP_FAILED);
	memcpy(ro, made->data, made->caplen);
	std::vector<uint8_t> orig(ro, ro + made->caplen);
	ASSERT_EQ(mprotect(ro, page, PROT_READ), 0);          // a write would fault
	mos_pkt p;
	mos_decode(ro, made->caplen, made->wirelen, MOS_LINK_ETHERNET, made->ts_ns, &p);
	mos_ctx_input(ctx, &p, MOS_LINK_ETHERNET);
	EXPECT_NE(p.data, ro);                                 // now the context's copy
	EXPECT_EQ(p.dport, 40000);                             // rewritten there, decoded again
	EXPECT_EQ(std::vector<uint8_t>(ro, ro + made->caplen), orig);
	EXPECT_EQ(mos_ctx_stats(ctx)->orphans, 0u);
	EXPECT_EQ(mos_flow_table_counters(mos_ctx_flows(ctx))->created, 1u);
	mos_ctx_burst_end(ctx);
	munmap(ro, page);
}

// Copies of borrowed frames are bounded per burst: room for
// MOS_COW_FRAMES (256) of the largest frames; past it, writable bytes are
// refused, not overrun; the next burst has room again.
static int g_copies_refused;
static void write_cb(mos_ctx *ctx, mos_flow *, int, uint32_t, const mos_event_arg *)
{
	mos_pkt_view v;
	ASSERT_EQ(mos_get_pkt(ctx, &v), 0);
	uint8_t x = 0;
	if (v.data == nullptr) {
		EXPECT_EQ(mos_pkt_overwrite(ctx, 0, &x, 1, 0), -ENOMEM);
		g_copies_refused++;
	}
}

TEST_F(Engine, BorrowedFrameCopiesAreBoundedPerBurst)
{
	mos_monitor *raw = mos_monitor_create(ctx, MOS_MONITOR_RAW);
	ASSERT_NE(raw, nullptr);
	ASSERT_EQ(mos_register_callback(raw, MOS_EV_PKT_IN, MOS_HOOK_NONE, write_cb, nullptr), 0);
	mos_ctx_set_borrowed(ctx, true);
	std::vector<uint8_t> big(65000, 0);
	mos_pkt p;
	g_copies_refused = 0;
	for (int i = 0; i < 300; i++) {
		mos_decode(big.data(), (uint32_t)big.size(), (uint32_t)big.size(), MOS_LINK_ETHERNET,
			   t += 1000, &p);
		mos_ctx_input(ctx, &p, MOS_LINK_ETHERNET);
	}
	EXPECT_GT(g_copies_refused, 0);                 // bounded
	EXPECT_LE(g_copies_refused, 300 - 256);         // 256 of the largest frames fit
	mos_ctx_burst_end(ctx);
	g_copies_refused = 0;
	mos_decode(big.data(), (uint32_t)big.size(), (uint32_t)big.size(), MOS_LINK_ETHERNET,
		   t += 1000, &p);
	mos_ctx_input(ctx, &p, MOS_LINK_ETHERNET);
	EXPECT_EQ(g_copies_refused, 0);
}

TEST_F(Engine, ResetConnRecordsAcceptableRstsTowardBothEnds)
{
	mos_flow *f = nullptr;
	struct Grab { static void cb(mos_ctx *, mos_flow *fl, int, uint32_t, const mos_event_arg *a) { *(mos_flow **)a->user = fl; } };
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, Grab::cb, &f), 0);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "hello");
	ASSERT_EQ(mos_reset_conn(ctx, f), 0);
	uint32_t n;
	const mos_injected *inj = mos_ctx_injected(ctx, &n);
	ASSERT_EQ(n, 2u);
	// Feed them back: each must be accepted and close the flow.
	for (uint32_t i = 0; i < n; i++) {
		mos_pkt p;
		ASSERT_EQ(mos_decode(inj[i].frame, inj[i].len, inj[i].len, MOS_LINK_RAW, t + 10 + i, &p), 0);
		EXPECT_TRUE(p.tcp_flags & MOS_TCP_RST);
		mos_ctx_input(ctx, &p, MOS_LINK_RAW);
	}
	EXPECT_EQ(mos_ctx_stats(ctx)->events[MOS_EV_RST_OUT_OF_WINDOW], 0u);
	EXPECT_EQ(mos_flow_state(f, MOS_SIDE_CLI), MOS_TCP_CLOSED);
	EXPECT_EQ(mos_flow_state(f, MOS_SIDE_SVR), MOS_TCP_CLOSED);
	mos_ctx_injected_clear(ctx);
}

TEST_F(Engine, InjectTcpRecordsTheSendersSegmentWithPayloadAckWindowAndChecksums)
{
	mos_flow *f = nullptr;
	struct Grab { static void cb(mos_ctx *, mos_flow *fl, int, uint32_t, const mos_event_arg *a) { *(mos_flow **)a->user = fl; } };
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_SND, Grab::cb, &f), 0);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "GET /");
	send(false, MOS_TCP_ACK, 5001, 1006, "hello world");
	ASSERT_NE(f, nullptr);
	// the server's segment again, as Halfback re-sends it
	ASSERT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_SVR, 5001, MOS_TCP_ACK | MOS_TCP_PSH, nullptr, 0, "hello world", 11), 0);
	uint32_t n;
	const mos_injected *inj = mos_ctx_injected(ctx, &n);
	ASSERT_EQ(n, 1u);
	ASSERT_EQ(inj[0].len, 20 + 20 + 11);
	EXPECT_EQ(inj[0].to_side, MOS_SIDE_CLI);
	const uint8_t *b = inj[0].frame;
	EXPECT_EQ(csum(b, 20, 0), 0xffff);                                   // IPv4 header
	EXPECT_EQ(csum(b + 20, 31, csum(b + 12, 8, 0) + 6 + 31), 0xffff);    // TCP + payload
	mos_pkt p;
	ASSERT_EQ(mos_decode(b, inj[0].len, inj[0].len, MOS_LINK_RAW, t + 1, &p), 0);
	EXPECT_EQ(p.sport, 80);
	EXPECT_EQ(p.dport, 40000);
	EXPECT_EQ(p.tcp_seq, 5001u);
	EXPECT_EQ(p.tcp_ack, 1006u);                                         // the server's last ACK
	EXPECT_EQ(p.tcp_flags, MOS_TCP_ACK | MOS_TCP_PSH);
	EXPECT_EQ(std::string((const char *)p.data + p.payload_off, p.payload_len), "hello world");
	// fed back in, the engine sees a retransmission of the server's bytes
	mos_ctx_input(ctx, &p, MOS_LINK_RAW);
	EXPECT_EQ(mos_ctx_stats(ctx)->events[MOS_EV_REXMIT], 1u);
	mos_ctx_injected_clear(ctx);
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_BOTH, 1, 0, nullptr, 0, nullptr, 0), -EINVAL);
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_CLI, 1, 0, nullptr, 0, "x", 65001), -EINVAL);
	EXPECT_EQ(mos_inject_tcp(nullptr, f, MOS_SIDE_CLI, 1, 0, nullptr, 0, nullptr, 0), -EINVAL);
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_CLI, 1, 0, "\x01\x01", 2, nullptr, 0), -EINVAL);  // not a multiple of 4
	// options copied as given: NOP NOP timestamps (10 bytes)
	const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9 };
	ASSERT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_SVR, 5001, MOS_TCP_ACK, ts, 12, "hi", 2), 0);
	inj = mos_ctx_injected(ctx, &n);
	ASSERT_EQ(n, 1u);
	ASSERT_EQ(inj[0].len, 20 + 32 + 2);
	EXPECT_EQ(inj[0].frame[20 + 12], 8 << 4);                           // data offset 8 words
	EXPECT_EQ(memcmp(inj[0].frame + 40, ts, 12), 0);
	EXPECT_EQ(memcmp(inj[0].frame + 52, "hi", 2), 0);
	EXPECT_EQ(csum(inj[0].frame + 20, 34, csum(inj[0].frame + 12, 8, 0) + 6 + 34), 0xffff);
	mos_ctx_injected_clear(ctx);
}

TEST(EngineApi, InjectAreaFullDropsTheNewestFrameAndCountsIt)
{
	mos_ctx_config cfg;
	mos_ctx_config_default(&cfg);
	cfg.inject_bytes = 4096;                 // room for two 1500-byte segments, not three
	mos_ctx *ctx = mos_ctx_create(&cfg);
	ASSERT_NE(ctx, nullptr);
	mos_monitor *m = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	mos_flow *f = nullptr;
	struct Grab { static void cb(mos_ctx *, mos_flow *fl, int, uint32_t, const mos_event_arg *a) { *(mos_flow **)a->user = fl; } };
	ASSERT_EQ(mos_register_callback(m, MOS_EV_PKT_IN, MOS_HOOK_SND, Grab::cb, &f), 0);
	Wire w;
	TPkt syn;
	syn.flags = MOS_TCP_SYN; syn.seq = 1000; syn.ts_ns = 1000000000ull;
	mos_ctx_input(ctx, w.make(syn), MOS_LINK_ETHERNET);
	ASSERT_NE(f, nullptr);
	std::string data(1460, 'z');
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_SVR, 1, 0, nullptr, 0, data.data(), 1460), 0);
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_SVR, 1461, 0, nullptr, 0, data.data(), 1460), 0);
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_SVR, 2921, 0, nullptr, 0, data.data(), 1460), -ENOSPC);
	EXPECT_EQ(mos_reset_conn(ctx, f), 0);    // small frames still fit
	uint32_t n;
	const mos_injected *inj = mos_ctx_injected(ctx, &n);
	EXPECT_EQ(n, 4u);
	EXPECT_EQ(inj[1].frame[20 + 4], (1461 >> 24) & 0xff);
	EXPECT_EQ(mos_ctx_stats(ctx)->injected, 4u);
	EXPECT_EQ(mos_ctx_stats(ctx)->injected_lost, 1u);
	mos_ctx_injected_clear(ctx);             // the area is free again
	EXPECT_EQ(mos_inject_tcp(ctx, f, MOS_SIDE_SVR, 2921, 0, nullptr, 0, data.data(), 1460), 0);
	mos_ctx_destroy(ctx);
}

TEST_F(Engine, Ipv6ConnectionIsTrackedAndResetLikeIpv4)
{
	mos_flow *f = nullptr;
	struct Grab { static void cb(mos_ctx *, mos_flow *fl, int, uint32_t, const mos_event_arg *a) { *(mos_flow **)a->user = fl; } };
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_CONN_ESTABLISHED, MOS_HOOK_RCV, Grab::cb, &f), 0);
	auto v6 = [&](bool c2s, uint8_t flags, uint32_t seq, uint32_t ack) {
		TPkt p;
		p.src = "v6:1"; p.dst = "v6:2";
		p.flags = flags; p.seq = seq; p.ack = ack; p.ts_ns = (t += 1000);
		if (!c2s) { std::swap(p.src, p.dst); std::swap(p.sport, p.dport); }
		mos_ctx_input(ctx, w.make(p), MOS_LINK_ETHERNET);
	};
	v6(true, MOS_TCP_SYN, 1000, 0);
	v6(false, MOS_TCP_SYN | MOS_TCP_ACK, 5000, 1001);
	v6(true, MOS_TCP_ACK, 1001, 5001);
	ASSERT_NE(f, nullptr);
	sockaddr_storage ss[2];
	ASSERT_EQ(mos_getpeername(f, MOS_SIDE_BOTH, ss), 0);
	EXPECT_EQ(ss[0].ss_family, AF_INET6);
	EXPECT_EQ(ntohs(((sockaddr_in6 *)&ss[0])->sin6_port), 40000);
	EXPECT_EQ(ntohs(((sockaddr_in6 *)&ss[1])->sin6_port), 80);
	ASSERT_EQ(mos_reset_conn(ctx, f), 0);
	uint32_t n;
	const mos_injected *inj = mos_ctx_injected(ctx, &n);
	ASSERT_EQ(n, 2u);
	EXPECT_EQ(inj[0].len, 60);
	mos_pkt p;
	ASSERT_EQ(mos_decode(inj[0].frame, inj[0].len, inj[0].len, MOS_LINK_RAW, t + 5, &p), 0);
	mos_ctx_input(ctx, &p, MOS_LINK_RAW);
	EXPECT_EQ(mos_flow_state(f, MOS_SIDE_CLI), MOS_TCP_CLOSED);
	EXPECT_EQ(mos_ctx_stats(ctx)->events[MOS_EV_RST_OUT_OF_WINDOW], 0u);
}

TEST(EngineApi, NullArgumentsAreErrorsNotCrashes)
{
	EXPECT_EQ(mos_ctx_input(nullptr, nullptr, 1), MOS_VERDICT_FORWARD);
	mos_ctx_burst_end(nullptr);
	mos_ctx_finish(nullptr);
	mos_ctx_advance(nullptr, 5);
	mos_ctx_destroy(nullptr);
	EXPECT_EQ(mos_monitor_create(nullptr, MOS_MONITOR_STREAM), nullptr);
	EXPECT_EQ(mos_register_callback(nullptr, MOS_EV_PKT_IN, MOS_HOOK_SND, record, nullptr), -EINVAL);
	EXPECT_EQ(mos_define_event(nullptr, MOS_EV_PKT_IN, nullptr, nullptr, 0), -EINVAL);
	EXPECT_EQ(mos_raise_event(nullptr, nullptr, 0, MOS_EV_UDE_BASE), -EINVAL);
	EXPECT_EQ(mos_flow_state(nullptr, MOS_SIDE_CLI), -EINVAL);
	EXPECT_EQ(mos_flow_peer(nullptr, MOS_SIDE_CLI, nullptr, nullptr), -EINVAL);
	EXPECT_EQ(mos_get_pkt(nullptr, nullptr), -EINVAL);
	EXPECT_EQ(mos_pkt_drop(nullptr), -EINVAL);
	EXPECT_EQ(mos_timer_set(nullptr, nullptr, 1, nullptr, nullptr), -EINVAL);
	EXPECT_EQ(mos_timer_cancel(nullptr, 1), -ENOENT);
	EXPECT_EQ(mos_reset_conn(nullptr, nullptr), -EINVAL);
	EXPECT_EQ(mos_flow_get_uctx(nullptr, nullptr), nullptr);
	EXPECT_EQ(mos_flow_set_uctx(nullptr, nullptr, nullptr), -EINVAL);
	mos_ctx *ctx = mos_ctx_create(nullptr);
	ASSERT_NE(ctx, nullptr);
	EXPECT_EQ(mos_monitor_create(ctx, 7), nullptr);
	EXPECT_EQ(errno, EINVAL);
	mos_monitor *m = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	EXPECT_EQ(mos_monitor_set_raw_filter(m, "tcp"), -EINVAL);     // wrong monitor type
	EXPECT_EQ(mos_monitor_set_stream(m, 5, 100, 0), -EINVAL);
	EXPECT_EQ(mos_register_flow_callback(m, (mos_flow *)&ctx, MOS_EV_PKT_IN, MOS_HOOK_SND, record, nullptr), -EINVAL);
	uint32_t n = 7;
	EXPECT_NE(mos_ctx_injected(ctx, &n), nullptr);
	EXPECT_EQ(n, 0u);
	mos_ctx_destroy(ctx);
}

// An IPv4 TCP segment (VLAN 7) split into two fragments, the second first.
TEST_F(Engine, FragmentedSegmentIsReassembledIntoOnePacketOfItsFlow)
{
	listen(MOS_EV_PKT_IN, MOS_HOOK_SND);
	listen(MOS_EV_ORPHAN, MOS_HOOK_NONE);
	// the whole segment, to cut the transport bytes from
	static pc_frame whole, f1, f2;
	pc_init(&whole);
	pc_eth(&whole);
	struct pc_ipv4 ip;
	pc_ipv4_defaults(&ip);
	ip.src[0] = 10; ip.src[3] = 1; ip.dst[0] = 10; ip.dst[3] = 2;
	pc_ipv4(&whole, &ip);
	struct pc_tcp tcp;
	pc_tcp_defaults(&tcp);
	tcp.sport = 40000; tcp.dport = 80; tcp.seq = 1; tcp.ack = 1; tcp.flags = MOS_TCP_ACK;
	pc_tcp(&whole, &tcp);
	std::string data(100, 'z');
	pc_payload(&whole, data.data(), data.size());
	pc_finish(&whole);
	const uint8_t *l4 = whole.buf + 14 + 20;
	uint32_t l4len = whole.len - 34;
	pc_frame *parts[2] = {&f1, &f2};
	uint32_t cut = 48;
	for (int i = 0; i < 2; i++) {
		pc_init(parts[i]);
		pc_eth(parts[i]);
		pc_vlan(parts[i], PC_TPID_8021Q, 7);
		struct pc_ipv4 fi = ip;
		fi.proto = 6;
		fi.id = 77;
		fi.frag_off = (uint16_t)(i == 0 ? 0 : cut);
		fi.mf = i == 0;
		pc_ipv4(parts[i], &fi);
		if (i == 0)
			pc_payload(parts[i], l4, cut);
		else
			pc_payload(parts[i], l4 + cut, l4len - cut);
		pc_finish(parts[i]);
	}
	mos_pkt p2, p1;
	ASSERT_EQ(mos_decode(f2.buf, f2.len, f2.len, MOS_LINK_ETHERNET, t + 10, &p2), 0);
	ASSERT_EQ(mos_decode(f1.buf, f1.len, f1.len, MOS_LINK_ETHERNET, t + 20, &p1), 0);
	mos_ctx_input(ctx, &p2, MOS_LINK_ETHERNET);
	EXPECT_EQ(rec.evs.size(), 0u);      // held, neither a flow packet nor an orphan
	mos_ctx_input(ctx, &p1, MOS_LINK_ETHERNET);
	ASSERT_EQ(count(MOS_EV_PKT_IN), 1);
	EXPECT_EQ(count(MOS_EV_ORPHAN), 0);
	EXPECT_EQ(mos_ctx_stats(ctx)->reassembled, 1u);
	mos_flow *f = nullptr;
	struct Grab { static void cb(mos_ctx *c, mos_flow *fl, int, uint32_t, const mos_event_arg *a)
		{ mos_pkt_view v; mos_get_pkt(c, &v); if (v.pkt->payload_len == 100) *(mos_flow **)a->user = fl; } };
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_PKT_IN, MOS_HOOK_RCV, Grab::cb, &f), 0);
	// A second datagram (id 78), first fragment first this time.
	f1.buf[14 + 4 + 5] = 78;
	f2.buf[14 + 4 + 5] = 78;
	mos_pkt p1b, p2b;
	ASSERT_EQ(mos_decode(f1.buf, f1.len, f1.len, MOS_LINK_ETHERNET, t + 40, &p1b), 0);
	ASSERT_EQ(mos_decode(f2.buf, f2.len, f2.len, MOS_LINK_ETHERNET, t + 50, &p2b), 0);
	mos_ctx_input(ctx, &p1b, MOS_LINK_ETHERNET);
	mos_ctx_input(ctx, &p2b, MOS_LINK_ETHERNET);
	ASSERT_NE(f, nullptr);
	EXPECT_EQ((f->key.tag >> 8) & 0xfff, 7u);   // the VLAN of the fragments is in the key
	struct mos_flow_side_stats st;
	mos_flow_side_stats(f, mos_flow_client_by(f) == MOS_FLOW_BY_PORT ? MOS_SIDE_SVR : MOS_SIDE_CLI, &st);
	EXPECT_EQ(st.pkts, 2u);
	EXPECT_EQ(st.bytes, 200u);
}

TEST_F(Engine, PortReuseStartsANewConnection)
{
	listen(MOS_EV_CONN_START, MOS_HOOK_SND);
	listen(MOS_EV_CONN_END, MOS_HOOK_NONE);
	handshake();
	send(true, MOS_TCP_FIN | MOS_TCP_ACK, 1001, 5001);
	send(false, MOS_TCP_FIN | MOS_TCP_ACK, 5001, 1002);
	send(true, MOS_TCP_SYN, 90000, 0);
	EXPECT_EQ(count(MOS_EV_CONN_START), 2);
	EXPECT_EQ(count(MOS_EV_CONN_END), 1);   // the first connection ended, once
	EXPECT_EQ(mos_ctx_stats(ctx)->port_reuse, 1u);
}

bool only_big(mos_ctx *ctx, mos_flow *, int, uint32_t, const mos_event_arg *a)
{
	mos_pkt_view v;
	mos_get_pkt(ctx, &v);
	return v.pkt && v.pkt->payload_len >= *(const uint32_t *)a->arg;
}

TEST_F(Engine, StaticForestFromAbiTablesLoads)
{
	static const uint32_t ten = 10;
	static const mos_abi_monitor mons[] = {{"all", MOS_MONITOR_STREAM, 0, "tcp", nullptr, nullptr}};
	static const mos_abi_event evs[] = {
		{"big", MOS_EV_PKT_IN, 0, only_big, &ten, sizeof(ten), "x.mos", 3},
		{"big_float", MOS_ABI_EVENT(0), MOS_ABI_EV_FLOATING, nullptr, nullptr, 0, "x.mos", 4},
	};
	static const mos_abi_handler hs[] = {
		{0, MOS_ABI_EVENT(0), MOS_HOOK_SND, record, (void *)(intptr_t)MOS_HOOK_SND, "x.mos", 5},
	};
	mos_abi_forest fo = {MOS_ABI_VERSION, sizeof(mos_abi_forest), 1, 2, 1, mons, evs, hs};
	mos_monitor *m[1];
	uint32_t ids[2];
	ASSERT_EQ(mos_ctx_load_forest(ctx, &fo, m, ids), 0);
	EXPECT_EQ(ids[0], MOS_EV_UDE_BASE);
	EXPECT_EQ(mos_evsys_parent(mos_ctx_events(ctx), ids[1]), (int)ids[0]);
	send(true, MOS_TCP_ACK, 1, 1, "short", 7000);
	send(true, MOS_TCP_ACK, 6, 1, "a long enough payload", 7000);
	ASSERT_EQ(count(ids[0]), 1);
	fo.abi_version = MOS_ABI_VERSION + 1;
	EXPECT_EQ(mos_ctx_load_forest(ctx, &fo, nullptr, nullptr), -EPROTO);
}

std::string got;
void read_stream(mos_ctx *, mos_flow *f, int side, uint32_t, const mos_event_arg *)
{
	mos_stream *st = mos_flow_stream(f, side);
	ASSERT_NE(st, nullptr);
	char buf[64];
	int64_t n = mos_stream_peek(st, got.size(), buf, sizeof(buf));
	if (n > 0)
		got.append(buf, (size_t)n);
}

void on_gap(mos_ctx *ctx, mos_flow *, int side, uint32_t ev, const mos_event_arg *)
{
	const mos_stream_event *se = mos_stream_event_current(ctx);
	ASSERT_NE(se, nullptr);
	g->evs.push_back({ev, side, (int)(se->stored_end - se->stored_start), true});
}

TEST_F(Engine, StreamsDeliverInOrderDataAndSkipAckedHoles)
{
	ASSERT_EQ(mos_monitor_set_stream(mon, MOS_SIDE_SVR, 4096, MOS_STREAM_POLICY_FIRST), 0);
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE, read_stream, nullptr), 0);
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_GAP, MOS_HOOK_NONE, on_gap, nullptr), 0);
	got.clear();
	handshake();
	send(true, MOS_TCP_ACK, 1004, 5001, "def");   // out of order: nothing new in order
	mos_ctx_burst_end(ctx);
	EXPECT_EQ(got, "");
	send(true, MOS_TCP_ACK, 1001, 5001, "abc");   // fills the hole
	mos_ctx_burst_end(ctx);
	EXPECT_EQ(got, "abcdef");
	send(true, MOS_TCP_ACK, 1012, 5001, "xyz");   // 5 bytes missing before it
	send(false, MOS_TCP_ACK, 5001, 1015);         // the server acks past the hole
	mos_ctx_burst_end(ctx);
	ASSERT_EQ(count(MOS_EV_GAP), 1);
	EXPECT_EQ(rec.evs[0].side, MOS_SIDE_SVR);     // the receiving side
	EXPECT_EQ(rec.evs[0].hook, 5);                // hole size
}

// A count-only monitor's streams keep no byte but count them, holes and
// gaps as a storing stream would; a monitor listening to overlap_mismatch
// keeps the bytes (the mismatch needs them).
static mos_stream_info g_sinfo;
static void stream_info_cb(mos_ctx *, mos_flow *f, int side, uint32_t, const mos_event_arg *)
{
	mos_stream_get_info(mos_flow_stream(f, side), &g_sinfo);
}

TEST_F(Engine, CountOnlyStreamsKeepNoBytesButCountThem)
{
	for (bool mismatch : {false, true}) {
		TearDown();
		SetUp();
		ASSERT_EQ(mos_monitor_set_stream(mon, MOS_SIDE_SVR, 4096, MOS_STREAM_POLICY_FIRST), 0);
		ASSERT_EQ(mos_monitor_set_stream_count_only(mon, MOS_SIDE_SVR, true), 0);
		ASSERT_EQ(mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_SND, stream_info_cb,
						nullptr), 0);
		if (mismatch)
			listen(MOS_EV_OVERLAP_MISMATCH, MOS_HOOK_NONE);
		handshake();
		send(true, MOS_TCP_ACK, 1004, 5001, "def");   // out of order
		send(true, MOS_TCP_ACK, 1001, 5001, "abc");   // fills the hole
		send(true, MOS_TCP_ACK, 1001, 5001, "abX");   // other bytes again
		send(true, MOS_TCP_ACK, 1012, 5001, "xyz");   // 5 bytes missing before it
		send(false, MOS_TCP_ACK, 5001, 1015);         // acked past the hole
		mos_ctx_burst_end(ctx);
		memset(&g_sinfo, 0, sizeof(g_sinfo));
		mos_ctx_finish(ctx);
		EXPECT_EQ(g_sinfo.in_order_bytes, 9u);
		EXPECT_EQ(g_sinfo.gap_bytes, 5u);
		EXPECT_EQ(g_sinfo.rexmit_bytes, 3u);
		EXPECT_EQ(g_sinfo.pages, mismatch ? 1u : 0u);
		EXPECT_EQ(count(MOS_EV_OVERLAP_MISMATCH), mismatch ? 1 : 0);
	}
}

TEST_F(Engine, DataBeyondTheStreamWindowRaisesBufferFullAndError)
{
	ASSERT_EQ(mos_monitor_set_stream(mon, MOS_SIDE_SVR, 4096, MOS_STREAM_POLICY_FIRST), 0);
	listen(MOS_EV_BUFFER_FULL, MOS_HOOK_NONE);
	listen(MOS_EV_ERROR, MOS_HOOK_NONE);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "a");
	send(true, MOS_TCP_ACK, 1001 + 100000, 5001, "far beyond the window");
	EXPECT_EQ(count(MOS_EV_BUFFER_FULL, MOS_SIDE_SVR), 1);
	EXPECT_EQ(count(MOS_EV_ERROR, MOS_SIDE_SVR), 1);
	ASSERT_EQ(rec.evs.size(), 2u);
	EXPECT_EQ(rec.evs[0].ev, (uint32_t)MOS_EV_BUFFER_FULL);   // then error
}

TEST_F(Engine, StreamCountersReachTheSideStats)
{
	ASSERT_EQ(mos_monitor_set_stream(mon, MOS_SIDE_BOTH, 4096, MOS_STREAM_POLICY_FIRST), 0);
	uint64_t stream = 0, gap = 0;
	struct S {
		static void cb(mos_ctx *, mos_flow *f, int side, uint32_t, const mos_event_arg *a)
		{
			struct mos_flow_side_stats st;
			(void)side;
			mos_flow_side_stats(f, MOS_SIDE_CLI, &st);
			((uint64_t *)a->user)[0] = st.stream_bytes;
			((uint64_t *)a->user)[1] = st.gap_bytes;
		}
	};
	uint64_t out[2] = {0, 0};
	ASSERT_EQ(mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, S::cb, out), 0);
	handshake();
	send(true, MOS_TCP_ACK, 1001, 5001, "hello");
	send(true, MOS_TCP_ACK, 1010, 5001, "world");   // 4 missing
	send(false, MOS_TCP_ACK, 5001, 1015);
	mos_ctx_finish(ctx);
	stream = out[0];
	gap = out[1];
	EXPECT_EQ(stream, 10u);
	EXPECT_EQ(gap, 4u);
}

uint64_t flood_pkts;
uint64_t flood_ends;
void flood_end(mos_ctx *, mos_flow *f, int side, uint32_t, const mos_event_arg *)
{
	EXPECT_EQ(side, MOS_SIDE_BOTH);
	struct mos_flow_side_stats s;
	mos_flow_side_stats(f, MOS_SIDE_CLI, &s);
	flood_pkts += s.pkts;
	flood_ends++;
}

long rss_kb()
{
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (fp) fclose(fp);
	return kb;
}

TEST(EngineFlood, MillionSynsWithTableCappedAt100kStayBoundedAndLoseNothing)
{
	mos_ctx_config cfg;
	mos_ctx_config_default(&cfg);
	cfg.flows.max_flows = 100000;
	mos_ctx *ctx = mos_ctx_create(&cfg);
	ASSERT_NE(ctx, nullptr);
	mos_monitor *m = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	ASSERT_EQ(mos_register_callback(m, MOS_EV_CONN_END, MOS_HOOK_NONE, flood_end, nullptr), 0);
	flood_pkts = flood_ends = 0;
	mos_pkt p;
	memset(&p, 0, sizeof(p));
	p.flags = MOS_PKT_F_L4 | MOS_PKT_F_IPV4;
	p.l4_proto = 6;
	p.ip_version = 4;
	p.tcp_flags = MOS_TCP_SYN;
	p.src.b[10] = p.src.b[11] = 0xff;
	p.dst.b[10] = p.dst.b[11] = 0xff;
	p.dst.b[12] = 192; p.dst.b[15] = 1;
	p.dport = 80;
	long before = -1;
	for (uint32_t i = 0; i < 1000000; i++) {
		p.src.b[12] = 10;
		p.src.b[13] = (uint8_t)(i >> 16);
		p.src.b[14] = (uint8_t)(i >> 8);
		p.src.b[15] = (uint8_t)i;
		p.sport = (uint16_t)(1024 + (i % 50000));
		p.tcp_seq = i * 7919u;
		p.ts_ns = 1000000000ull + i * 1000ull;   // 1 us apart: nobody times out
		mos_ctx_input(ctx, &p, MOS_LINK_RAW);
		if (i == 200000)
			before = rss_kb();
	}
	long after = rss_kb();
	const mos_flow_counters *fc = mos_flow_table_counters(mos_ctx_flows(ctx));
	EXPECT_EQ(fc->created, 1000000u);
	EXPECT_EQ(fc->evicted, 900000u);
	EXPECT_EQ(fc->active, 100000u);
	EXPECT_EQ(fc->max_active, 100000u);
	EXPECT_EQ(flood_ends, 900000u);        // every eviction raised conn_end
	EXPECT_LT(after - before, 1024);       // no growth once the pool is in use (KiB)
	mos_ctx_finish(ctx);
	EXPECT_EQ(flood_ends, 1000000u);
	EXPECT_EQ(flood_pkts, 1000000u);       // every SYN accounted in some record
	printf("flow table: %zu bytes for %u flows (%zu B/flow), sizeof(struct mos_flow) = %zu\n",
	       mos_flow_table_memory(mos_ctx_flows(ctx)), mos_flow_table_capacity(mos_ctx_flows(ctx)),
	       mos_flow_table_memory(mos_ctx_flows(ctx)) / mos_flow_table_capacity(mos_ctx_flows(ctx)),
	       sizeof(mos_flow));
	mos_ctx_destroy(ctx);
}

}  // namespace

// Caps without a pool of their own still count what they refuse
// (mos_ctx_stats, --stats "resources"): timers beyond max_timers, and raises
// beyond MOS_EVSYS_MAX_RAISED in one dispatch.
TEST(EngineApi, RefusedTimersAndRaisesAreCounted)
{
	mos_ctx_config cfg;
	mos_ctx_config_default(&cfg);
	cfg.max_timers = 2;
	mos_ctx *ctx = mos_ctx_create(&cfg);
	ASSERT_NE(ctx, nullptr);
	auto nop = [](mos_ctx *, mos_flow *, int, void *) {};
	EXPECT_GT(mos_timer_set(ctx, nullptr, 1000, nop, nullptr), 0);
	EXPECT_GT(mos_timer_set(ctx, nullptr, 1000, nop, nullptr), 0);
	EXPECT_EQ(mos_timer_set(ctx, nullptr, 1000, nop, nullptr), -ENOSPC);
	EXPECT_EQ(mos_timer_set(ctx, nullptr, 1000, nop, nullptr), -ENOSPC);
	EXPECT_EQ(mos_ctx_stats(ctx)->timers_refused, 2u);

	mos_monitor *m = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	ASSERT_NE(m, nullptr);
	int ev = mos_alloc_event(ctx, MOS_EV_PKT_IN);
	ASSERT_GE(ev, (int)MOS_EV_UDE_BASE);
	struct Raiser {
		static void cb(mos_ctx *c, mos_flow *f, int side, uint32_t, const mos_event_arg *a)
		{
			int *rcs = (int *)a->user;
			for (int i = 0; i < MOS_EVSYS_MAX_RAISED + 3; i++)
				rcs[i] = mos_raise_event(c, f, side, (uint32_t)rcs[MOS_EVSYS_MAX_RAISED + 3]);
		}
	};
	int rcs[MOS_EVSYS_MAX_RAISED + 4] = {};
	rcs[MOS_EVSYS_MAX_RAISED + 3] = ev;
	ASSERT_EQ(mos_register_callback(m, MOS_EV_PKT_IN, MOS_HOOK_SND, Raiser::cb, rcs), 0);
	Wire w;
	TPkt syn;
	syn.flags = MOS_TCP_SYN; syn.seq = 1000; syn.ts_ns = 1000000000ull;
	mos_ctx_input(ctx, w.make(syn), MOS_LINK_ETHERNET);
	for (int i = 0; i < MOS_EVSYS_MAX_RAISED; i++)
		EXPECT_EQ(rcs[i], 0) << i;
	for (int i = MOS_EVSYS_MAX_RAISED; i < MOS_EVSYS_MAX_RAISED + 3; i++)
		EXPECT_EQ(rcs[i], -ENOSPC) << i;
	EXPECT_EQ(mos_ctx_stats(ctx)->raises_refused, 3u);
	mos_ctx_destroy(ctx);
}
