/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_flow.c — libFuzzer target for the flow engine: decoding, IP
 * fragment reassembly, flow table, both TCP endpoints, stream reassembly
 * and event dispatch, through the public API (mos_ctx_input).
 *
 * Input: configuration bytes (flow table size and full policy, idle
 * timeouts, the stream pool, a memory cap, the monitor's window, overlap
 * policy and count-only sides, defragmentation on or off, frames fed one
 * by one or per burst with hinted lookups as offline workers do, frames
 * borrowed or not, SYN, orphan and raw filters or none), then a program:
 * TCP segments of four connections (IPv4 and IPv6, any flags, sequence and
 * acknowledgement numbers near or far from the harness's idea of each
 * sender's next byte, options, payload, sometimes VLAN-tagged or as two IP
 * fragments in either order), ICMP errors quoting them, UDP datagrams,
 * frames of raw bytes, clock steps (small or past the idle timeouts),
 * burst ends. Frames are built with tests/unit/pktcraft.c. Callbacks on
 * every built-in event and on three UDEs read the new bytes of each stream, peek, list fragments, and as the input says stop
 * a side, resize a window, drop the packet, change registrations, raise
 * UDEs, set timers, inject segments, reset the connection or rewrite the
 * frame.
 *
 * Payload bytes are a function of their sequence number (pat32). As long
 * as a connection never carried other bytes, every byte read or peeked
 * from its streams must be that function of the sequence number at its
 * offset, whatever the order, overlaps and retransmissions. Always: a
 * cursor moves by the bytes returned plus the lost ones. After
 * mos_ctx_finish, every flow created was removed, no more were live at once
 * than the table holds, and no stream or page is left in the pool. A broken
 * check aborts; the sanitizers catch the rest.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mos/mos.h"
#include "mos/stream.h"
#include "pktcraft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_CONNS   4
#define BURST     32
#define FRAME_MAX 2048
#define MAX_PAY   1460

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define HOST(dir) ((uint8_t)(1 + (dir)))  /* the client (0) or the server (1) */
#define ROUTER    9                        /* the host that sends ICMP errors */

struct in {
	const uint8_t *p;
	size_t n;
};

static struct in in;                 /* the rest of the input (callbacks read it too) */

static uint8_t
get8(void)
{
	if (in.n == 0)
		return 0;
	in.n--;
	return *in.p++;
}

static uint16_t
get16(void)
{
	return (uint16_t)(get8() | get8() << 8);
}

static uint32_t
get32(void)
{
	return (uint32_t)get16() | (uint32_t)get16() << 16;
}

/* The payload byte at sequence number @seq, in every connection. */
static uint8_t
pat32(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 11 ^ seq >> 7);
}

struct conn {
	bool v6;
	uint16_t cport, sport;
	uint32_t next[2];            /* each sender's next sequence number */
	bool dirty;                  /* carried bytes other than pat32 */
};

static struct conn conns[N_CONNS];
static uint16_t ip_id;
static uint16_t vlan_next;           /* VLAN id of the next frame built, 0: none */
static struct mos_monitor *mon;      /* the stream monitor */
static uint32_t udes[3];             /* two filtered UDEs and a floating one */
static int n_udes;
static uint32_t cfg_max_flows;       /* the flow table's capacity */
static bool deferred;                /* frames go in at the burst's end (burst_end) */
static bool tampered;                /* frames rewritten, or raw frames that may hit ours: contents unknown */

/* Per flow (its user area): the cursor of each side's stream (id + 1). */
struct fl {
	uint8_t cur[2];
};

static uint8_t frames[BURST][FRAME_MAX];
static struct mos_pkt pkts[BURST];
static unsigned n_burst;
static uint64_t now_ns;
static struct pc_frame pf;

/* The connection of @flow (by its ports), NULL if none of ours. */
static const struct conn *
conn_of(const struct mos_flow *flow)
{
	uint16_t p0, p1;

	mos_flow_endpoint(flow, MOS_SIDE_CLI, NULL, &p0);
	mos_flow_endpoint(flow, MOS_SIDE_SVR, NULL, &p1);
	for (int i = 0; i < N_CONNS; i++)
		if ((p0 == conns[i].cport && p1 == conns[i].sport) ||
		    (p1 == conns[i].cport && p0 == conns[i].sport))
			return &conns[i];
	return NULL;
}

/* Read every new byte of @flow's stream of @side, checking it. */
static void
read_side(struct mos_ctx *ctx, struct mos_flow *flow, int side)
{
	struct mos_stream *s = mos_flow_stream(flow, side);
	struct fl *u = mos_flow_user_area(ctx, flow);
	const struct conn *c = conn_of(flow);
	struct mos_stream_info info;

	if (s == NULL || u == NULL)
		return;
	CHECK(mos_stream_get_info(s, &info) == 0);
	if (u->cur[side] == 0) {
		int id = mos_stream_cursor_open(s);

		if (id < 0)
			return;
		u->cur[side] = (uint8_t)(id + 1);
	}
	for (int guard = 0; guard < 1000; guard++) {
		int cur = u->cur[side] - 1;
		int64_t at = mos_stream_cursor_offset(s, cur);
		const uint8_t *p = NULL;
		uint64_t lost = 0;
		ssize_t n = mos_stream_read_ptr(s, cur, &p, 3000, &lost);

		CHECK(at >= 0);
		if (n == -ENODATA)
			break;
		CHECK(n >= 0);
		CHECK(mos_stream_cursor_offset(s, cur) == at + (int64_t)lost + n);
		if (p == NULL || c == NULL || c->dirty || tampered)
			continue;
		for (ssize_t i = 0; i < n; i++)
			CHECK(p[i] == pat32(info.init_seq + (uint32_t)(at + (int64_t)lost + i)));
	}
}

/* Peek somewhere in @flow's stream of @side, checking what comes back. */
static void
peek_side(struct mos_flow *flow, int side)
{
	struct mos_stream *s = mos_flow_stream(flow, side);
	const struct conn *c = conn_of(flow);
	struct mos_stream_info info;
	struct mos_stream_frag fr[8];
	uint8_t buf[512];
	uint64_t off;
	ssize_t n;

	if (s == NULL)
		return;
	CHECK(mos_stream_get_info(s, &info) == 0);
	CHECK(info.base <= info.edge);
	CHECK(mos_stream_fragments(s, fr, 8) >= 0);
	off = info.base + get16() % (info.edge - info.base + 16);
	n = mos_stream_peek(s, off, buf, sizeof(buf));
	if (n <= 0 || c == NULL || c->dirty || tampered)
		return;
	CHECK(off + (uint64_t)n <= info.edge);
	for (ssize_t i = 0; i < n; i++)
		CHECK(buf[i] == pat32(info.init_seq + (uint32_t)(off + (uint64_t)i)));
}

static void on_event(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t event,
		     const struct mos_event_arg *arg);

/* A UDE's filter: the input decides. */
static bool
filter(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t event,
       const struct mos_event_arg *arg)
{
	(void)ctx;
	(void)flow;
	(void)side;
	(void)event;
	CHECK(arg->len == 1);
	return (get8() ^ *(const uint8_t *)arg->arg) & 1;
}

static void
on_timer(struct mos_ctx *ctx, struct mos_flow *flow, int id, void *arg)
{
	(void)arg;
	CHECK(id > 0);
	if (flow != NULL)
		on_event(ctx, flow, MOS_SIDE_BOTH, 0, NULL);
}

/* What a callback does besides reading, as the input says: registrations
 * changed while events are dispatched, UDEs raised, timers, injections. */
static void
meddle(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint8_t what)
{
	uint32_t ev = get8() % MOS_EV_BUILTIN_COUNT;
	int hook = get8() % 3;

	switch (what % 16) {
	case 0:
		peek_side(flow, MOS_SIDE_CLI);
		peek_side(flow, MOS_SIDE_SVR);
		break;
	case 1:
		(void)mos_flow_stop(ctx, flow, get8() % 3);
		break;
	case 2: {
		struct mos_stream *s = mos_flow_stream(flow, get8() & 1);

		if (s != NULL)
			(void)mos_stream_set_buffer_size(s, 1 + get32() % (1u << 18));
		break;
	}
	case 3:
		(void)mos_pkt_drop(ctx);
		break;
	case 4:
		(void)mos_register_flow_callback(mon, flow, ev, hook, on_event, NULL);
		break;
	case 5:
		(void)mos_unregister_flow_callback(mon, flow, ev, hook, on_event);
		break;
	case 6:
		if (mos_unregister_callback(mon, ev, hook, on_event) != 0)
			(void)mos_register_callback(mon, ev, hook, on_event, NULL);
		break;
	case 7:
		if (n_udes > 0)
			(void)mos_raise_event(ctx, get8() & 1 ? flow : NULL, side,
					      udes[get8() % n_udes]);
		break;
	case 8:
		(void)mos_timer_set(ctx, get8() & 1 ? flow : NULL, get16() * 1000ull, on_timer,
				    NULL);
		break;
	case 9:
		(void)mos_timer_cancel(ctx, get8());
		break;
	case 10: {
		uint8_t pay[32];

		for (unsigned i = 0; i < sizeof(pay); i++)
			pay[i] = get8();
		(void)mos_inject_tcp(ctx, flow, get8() % 3, get32(), get8(), pay, 4 * (get8() % 3),
				     pay, get8() % sizeof(pay));
		break;
	}
	case 11:
		(void)mos_reset_conn(ctx, flow);
		break;
	case 12:
		mos_ctx_injected_clear(ctx);
		break;
	case 14: {
		/* the accessors: sane answers for both sides */
		struct mos_flow_side_stats st;
		struct sockaddr_storage ss[2];
		uint16_t port;

		for (int k = MOS_SIDE_CLI; k <= MOS_SIDE_SVR; k++) {
			CHECK(mos_flow_side_stats(flow, k, &st) == 0);
			CHECK(st.rexmit_bytes <= st.bytes);
			CHECK(mos_flow_state(flow, k) >= 0);
			CHECK(mos_flow_peer(flow, k, NULL, &port) == 0);
			CHECK(mos_flow_last_activity(flow, k) <= now_ns);
		}
		CHECK(mos_getpeername(flow, MOS_SIDE_BOTH, ss) == 0);
		CHECK(mos_flow_client_by(flow) >= 0 && mos_flow_start_ns(flow) <= now_ns);
		break;
	}
	case 13: {
		uint8_t b[4] = { get8(), get8(), get8(), get8() };
		struct mos_pkt_view v;

		if (mos_get_pkt(ctx, &v) == 0 && v.caplen > 0) {
			tampered = true;
			(void)mos_pkt_overwrite(ctx, get16() % v.caplen, b, 1 + get8() % 4, get8() % 8);
		}
		break;
	}
	default:
		break;
	}
}

static void
on_event(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t event,
	 const struct mos_event_arg *arg)
{
	struct mos_pkt_view v;
	uint8_t what = get8();

	(void)arg;
	(void)event;
	if (mos_get_pkt(ctx, &v) == 0)
		CHECK(v.pkt != NULL && v.data != NULL && v.caplen == v.pkt->caplen);
	if (flow == NULL)
		return;
	CHECK(side == MOS_SIDE_CLI || side == MOS_SIDE_SVR || side == MOS_SIDE_BOTH);
	read_side(ctx, flow, MOS_SIDE_CLI);
	read_side(ctx, flow, MOS_SIDE_SVR);
	meddle(ctx, flow, side, what);
}

/* A raw monitor's pkt_in: sometimes rewrite bytes of the frame (before the
 * flow lookup: the frame is decoded again), as a NAT does. */
static void
on_raw(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t event,
       const struct mos_event_arg *arg)
{
	struct mos_pkt_view v;
	uint8_t what = get8(), bytes[8];

	(void)flow;
	(void)side;
	(void)event;
	(void)arg;
	if ((what & 7) != 7 || mos_get_pkt(ctx, &v) != 0 || v.caplen == 0)
		return;
	for (int i = 0; i < 8; i++)
		bytes[i] = get8();
	tampered = true;
	(void)mos_pkt_overwrite(ctx, get16() % v.caplen, bytes, 1 + (what >> 3) % 8, get8() % 8);
}

/* End the burst; in deferred mode its frames go in first, with their
 * lookups hinted a group ahead, as offline workers feed them. */
static void
burst_end(struct mos_ctx *ctx)
{
	for (unsigned i = 0; deferred && i < n_burst; i += MOS_CTX_HINT_GROUP) {
		struct mos_ctx_hint h[MOS_CTX_HINT_GROUP];
		uint16_t m = (uint16_t)(n_burst - i < MOS_CTX_HINT_GROUP ? n_burst - i : MOS_CTX_HINT_GROUP);

		mos_ctx_hint_group(ctx, &pkts[i], m, h);
		for (uint16_t j = 0; j < m; j++)
			(void)mos_ctx_input_hinted(ctx, &pkts[i + j], MOS_LINK_ETHERNET, &h[j]);
	}
	mos_ctx_burst_end(ctx);
	n_burst = 0;
}

/* Hand the frame @bytes to the engine; its decoded form. */
static const struct mos_pkt *
feed(struct mos_ctx *ctx, const uint8_t *bytes, uint32_t len)
{
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	if (n_burst == BURST)
		burst_end(ctx);
	memcpy(frames[n_burst], bytes, len);
	mos_decode(frames[n_burst], len, len, MOS_LINK_ETHERNET, now_ns, &pkts[n_burst]);
	if (!deferred)
		(void)mos_ctx_input(ctx, &pkts[n_burst], MOS_LINK_ETHERNET);
	return &pkts[n_burst++];
}

/* Start pf with an IP header of @c's family from host @src to host @dst
 * (the last byte of their addresses: the client is 1, the server 2); @frag:
 * a fragment at @frag_off of a TCP datagram (@more: not the last). */
static void
ip_header(const struct conn *c, uint8_t src, uint8_t dst, bool frag, uint16_t frag_off,
	  bool more, uint16_t id)
{
	pc_init(&pf);
	pc_eth(&pf);
	if (vlan_next)
		pc_vlan(&pf, PC_TPID_8021Q, vlan_next);
	if (c->v6) {
		struct pc_ipv6 ip;

		pc_ipv6_defaults(&ip);
		ip.src[15] = src;
		ip.dst[15] = dst;
		pc_ipv6(&pf, &ip);
		if (frag)
			pc_ipv6_frag(&pf, frag_off, more, id);
	} else {
		struct pc_ipv4 ip;

		pc_ipv4_defaults(&ip);
		ip.src[3] = src;
		ip.dst[3] = dst;
		ip.id = id;
		ip.frag_off = frag_off;
		ip.mf = more;
		if (frag)
			ip.proto = 6;
		pc_ipv4(&pf, &ip);
	}
}

/* One TCP segment of connection @c from side @dir (0: client). */
static void
segment(struct mos_ctx *ctx, struct conn *c, int dir)
{
	static uint8_t pay[MAX_PAY];
	static uint8_t l4[60 + MAX_PAY];
	uint8_t fl = get8(), mode = get8(), opt = get8();
	struct pc_tcp t;
	int16_t d = (int16_t)get16();
	uint32_t len = get16() % (MAX_PAY + 1), first, l4_len;
	uint16_t id = ++ip_id;       /* fragments of two datagrams never mix */

	pc_tcp_defaults(&t);
	t.sport = dir ? c->sport : c->cport;
	t.dport = dir ? c->cport : c->sport;
	t.flags = (uint16_t)(fl | (mode & 0x80 ? 0 : MOS_TCP_ACK));
	t.seq = c->next[dir] + (uint32_t)((int32_t)d * (mode & 0x40 ? 65536 : 1));
	t.ack = c->next[1 - dir] + (uint32_t)(int32_t)(int8_t)get8();
	t.win = get16();
	if (opt & 1)
		pc_opt_mss(&t.opts, get16());
	if (opt & 2)
		pc_opt_wscale(&t.opts, get8() % 16);
	if (opt & 4)
		pc_opt_ts(&t.opts, get32(), get32());
	if (opt & 8) {
		uint32_t e[2][2] = { { t.ack + get8(), t.ack + 1000u + get16() },
				     { t.ack + 3000u + get16(), t.ack + 5000u + get16() } };

		pc_opt_sack(&t.opts, 1 + (opt >> 4 & 1), (const uint32_t (*)[2])e);
	}
	if (opt & 0x20)
		pc_opt_sack_perm(&t.opts);
	first = t.seq + (t.flags & MOS_TCP_SYN ? 1 : 0);
	for (uint32_t i = 0; i < len; i++)
		pay[i] = pat32(first + i);
	if (len > 0 && (mode & 0x3f) == 0x3f) {
		pay[get16() % len] ^= (uint8_t)(get8() | 1);
		c->dirty = true;
	}
	if (d == 0)                  /* in order: the sender moves on */
		c->next[dir] = first + len + (t.flags & MOS_TCP_FIN ? 1 : 0);
	vlan_next = mode & 0x10 ? (uint16_t)(1 + (opt >> 6)) : 0;
	if (!(mode & 0x20) || len < 16) {
		ip_header(c, HOST(dir), HOST(1 - dir), false, 0, false, id);
		pc_tcp(&pf, &t);
		pc_payload(&pf, pay, len);
		feed(ctx, pf.buf, pc_finish(&pf));
		return;
	}
	/* two fragments of the transport header and payload, cut at a
	 * multiple of 8, in either order, the second maybe twice */
	ip_header(c, HOST(dir), HOST(1 - dir), false, 0, false, id);
	pc_tcp(&pf, &t);
	pc_payload(&pf, pay, len);
	pc_finish(&pf);
	{
		int32_t at = pc_off(&pf, PC_K_TCP, 0);
		uint32_t cut;

		CHECK(at > 0);
		l4_len = pf.len - (uint32_t)at;
		memcpy(l4, pf.buf + at, l4_len);
		cut = (8 + get16() % (l4_len - 8)) & ~7u;
		for (int k = 0; k < 2 + (mode & 1); k++) {
			int part = (k == 0) == !(mode & 2) ? 0 : 1;
			uint32_t lo = part ? cut : 0, hi = part ? l4_len : cut, flen;

			ip_header(c, HOST(dir), HOST(1 - dir), true, (uint16_t)lo, part == 0, id);
			pc_payload(&pf, l4 + lo, hi - lo);
			flen = pc_finish(&pf);
			if (c->v6)   /* the fragment header's next header: TCP */
				pc_poke8(&pf, (uint32_t)pc_off(&pf, PC_K_IPV6_FRAG, 0), 6);
			feed(ctx, pf.buf, flen);
		}
	}
}

/* An ICMP error (too big, unreachable, time exceeded) from a router to
 * the sender @dir of @c, quoting the IP header and the first 8 transport
 * bytes of a segment it sent. */
static void
icmp_error(struct mos_ctx *ctx, struct conn *c, int dir)
{
	static const uint8_t v4[][2] = { { 3, 4 }, { 3, 3 }, { 11, 0 } };
	static const uint8_t v6[][2] = { { 2, 0 }, { 1, 4 }, { 3, 0 } };
	uint8_t quote[40 + 8], kind = get8() % 3;
	struct pc_tcp t;
	int32_t at;
	uint32_t n;

	pc_tcp_defaults(&t);
	t.sport = dir ? c->sport : c->cport;
	t.dport = dir ? c->cport : c->sport;
	t.seq = c->next[dir] + (uint32_t)(int8_t)get8();
	ip_header(c, HOST(dir), HOST(1 - dir), false, 0, false, ++ip_id);
	pc_tcp(&pf, &t);
	pc_finish(&pf);
	at = pc_off(&pf, c->v6 ? PC_K_IPV6 : PC_K_IPV4, 0);
	CHECK(at > 0);
	n = (c->v6 ? 40 : 20) + 8;
	memcpy(quote, pf.buf + at, n);
	ip_header(c, ROUTER, HOST(dir), false, 0, false, ++ip_id);
	if (c->v6)
		pc_icmpv6(&pf, v6[kind][0], v6[kind][1], kind == 0 ? 1280 : 0);
	else
		pc_icmp(&pf, v4[kind][0], v4[kind][1], kind == 0 ? 1280 : 0);
	pc_payload(&pf, quote, n - (get8() & 7));
	feed(ctx, pf.buf, pc_finish(&pf));
}

static void
datagram(struct mos_ctx *ctx, struct conn *c, int dir)
{
	struct pc_udp u;
	uint8_t pay[64];
	uint32_t len = get8() % sizeof(pay);

	for (uint32_t i = 0; i < len; i++)
		pay[i] = get8();
	pc_udp_defaults(&u);
	u.sport = dir ? c->sport : c->cport;
	u.dport = dir ? c->cport : c->sport;
	ip_header(c, HOST(dir), HOST(1 - dir), false, 0, false, 0);
	pc_udp(&pf, &u);
	pc_payload(&pf, pay, len);
	feed(ctx, pf.buf, pc_finish(&pf));
}

static struct mos_ctx *
setup(void)
{
	static struct mos_stream_memcap cap;
	struct mos_ctx_config cfg;
	struct mos_ctx *ctx;
	struct mos_monitor *m;
	uint8_t b = get8();

	mos_ctx_config_default(&cfg);
	cfg.flows.max_flows = cfg_max_flows = 2 + get8() % 32;
	cfg.flows.full_policy = b & 1 ? MOS_FLOW_FULL_EVICT : MOS_FLOW_FULL_REFUSE;
	cfg.flows.user_size = sizeof(struct fl);
	for (int k = 0; k < MOS_FLOW_CLASS_COUNT; k++)
		cfg.flows.timeout_ns[k] = (1 + (uint64_t)get8()) * 10000000ull;
	cfg.streams.page_size = 256u << get8() % 5;
	cfg.streams.n_pages = 2 + get8() % 64;
	cfg.streams.max_streams = 2 + get8() % 16;
	cfg.streams.max_ranges = 4 + get8() % 32;
	cfg.streams.n_range_tables = 1 + get8() % 4;
	mos_stream_memcap_init(&cap, b & 2 ? (uint64_t)cfg.streams.page_size * (1 + get8() % 32) : 0);
	cfg.streams.memcap = &cap;
	cfg.no_defrag = b & 4;
	cfg.max_timers = 16;         /* none are set: small tables, more runs a second */
	cfg.max_injected = 4;
	cfg.inject_bytes = 4096;
	ctx = mos_ctx_create(&cfg);
	CHECK(ctx != NULL);
	deferred = b & 64;
	mos_ctx_set_borrowed(ctx, b & 128);  /* frames read-only: writes get a copy */
	m = mon = mos_monitor_create(ctx, MOS_MONITOR_STREAM);
	CHECK(m != NULL);
	CHECK(mos_monitor_set_stream(m, MOS_SIDE_BOTH, 1 + get32() % (1u << 18),
				     get8() % MOS_STREAM_POLICY_COUNT) == 0);
	if (b & 8)
		CHECK(mos_monitor_set_stream_count_only(m, get8() % 3, true) == 0);
	CHECK(mos_monitor_set_midstream(m, !(b & 16)) == 0);
	if (get8() & 1)                      /* follow two of the four connections */
		CHECK(mos_monitor_set_filter(m, "tcp port 80 or port 82", "tcp port 81") == 0);
	for (uint32_t ev = 0; ev < MOS_EV_BUILTIN_COUNT; ev++)
		for (int hook = MOS_HOOK_NONE; hook <= MOS_HOOK_RCV; hook++)
			if (mos_event_builtin_hooks(ev) & 1u << hook &&
			    !(ev == MOS_EV_PKT_IN && hook == MOS_HOOK_NONE))  /* raw monitors' */
				CHECK(mos_register_callback(m, ev, hook, on_event, NULL) == 0);
	/* two UDEs under built-ins, one under the first, one floating */
	n_udes = 0;
	for (int k = 0; k < 3; k++) {
		uint8_t arg = get8();
		uint32_t parent = k == 1 && n_udes > 0 ? udes[0] : get8() % MOS_EV_BUILTIN_COUNT;
		int id = k < 2 ? mos_define_event(ctx, parent, filter, &arg, 1)
			       : mos_alloc_event(ctx, parent);
		int root = id >= 0 ? mos_evsys_root(mos_ctx_events(ctx), (uint32_t)id) : -1;

		if (id < 0 || root < 0)
			continue;
		udes[n_udes++] = (uint32_t)id;
		for (int hook = MOS_HOOK_NONE; hook <= MOS_HOOK_RCV; hook++)
			if (mos_event_builtin_hooks((uint32_t)root) & 1u << hook)
				(void)mos_register_callback(m, (uint32_t)id, hook, on_event, NULL);
	}
	if (b & 32) {
		m = mos_monitor_create(ctx, MOS_MONITOR_RAW);
		CHECK(m != NULL);
		CHECK(mos_register_callback(m, MOS_EV_PKT_IN, MOS_HOOK_NONE, on_raw, NULL) == 0);
		if (get8() & 1)
			CHECK(mos_monitor_set_raw_filter(m, "ip6 or tcp[13] & 2 != 0") == 0);
	}
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mos_ctx *ctx;
	struct mos_stream_pool_stats ps;

	in = (struct in){ data, size };
	tampered = false;
	vlan_next = 0;
	ctx = setup();
	n_burst = 0;
	now_ns = 1000000000ull;
	for (int i = 0; i < N_CONNS; i++) {
		conns[i] = (struct conn){ .v6 = i & 1, .cport = (uint16_t)(40000 + i),
					  .sport = (uint16_t)(80 + i) };
		conns[i].next[0] = get32();
		conns[i].next[1] = get32();
	}
	while (in.n > 0) {
		uint8_t op = get8();
		struct conn *c = &conns[op >> 4 & (N_CONNS - 1)];

		switch (op % 16) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
			segment(ctx, c, op >> 6 & 1);
			break;
		case 9:
			datagram(ctx, c, op >> 6 & 1);
			break;
		case 10: {
			uint8_t raw[128];
			uint32_t len = get8() % sizeof(raw);

			for (uint32_t i = 0; i < len; i++)
				raw[i] = get8();
			/* a TCP segment or an IP fragment of other bytes may
			 * land in our connections */
			if (feed(ctx, raw, len)->flags & (MOS_PKT_F_L4 | MOS_PKT_F_FRAGMENT))
				tampered = true;
			break;
		}
		case 11:
			now_ns += get16() * (op & 0x80 ? 100000000ull : 1000ull);
			if (op & 0x40)       /* the clock moves without a frame (idle links) */
				mos_ctx_advance(ctx, now_ns);
			break;
		case 12:
			burst_end(ctx);
			break;
		case 13:
			icmp_error(ctx, c, op >> 6 & 1);
			break;
		default:
			now_ns += 1000;
			segment(ctx, c, op >> 6 & 1);
			break;
		}
	}
	burst_end(ctx);
	mos_ctx_finish(ctx);
	{
		const struct mos_flow_counters *fc = mos_flow_table_counters(mos_ctx_flows(ctx));

		CHECK(fc->active == 0 && fc->created == fc->removed);
		CHECK(fc->max_active <= cfg_max_flows);
	}
	if (mos_ctx_stream_pool(ctx) != NULL) {
		mos_stream_pool_get_stats(mos_ctx_stream_pool(ctx), &ps);
		CHECK(ps.streams_in_use == 0 && ps.pages_in_use == 0 && ps.range_tables_in_use == 0);
	}
	mos_ctx_destroy(ctx);
	return 0;
}
