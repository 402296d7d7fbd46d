// SPDX-License-Identifier: BSD-3-Clause
/*
 * tcp.c — companion C of stdlib/tcp.mos: the details of the current
 * overlap_mismatch (mos_stream_event_current) and the checks that need the
 * emulated endpoints (struct mos_flow's end[]: ISN, ACK, window, last
 * packet time). Every function receives the context first (docs/backend.md,
 * "Extern C"), only reads the runtime's state and the current packet, and
 * answers false / 0 / "" when the event has no such detail.
 * Thread-safety: the context's thread, like every handler.
 */
#include "mos/program.h"

bool mismatch_in_order(struct mos_ctx *ctx, struct mos_flow *flow);
uint64_t mismatch_offset(struct mos_ctx *ctx);
uint32_t mismatch_bytes(struct mos_ctx *ctx);
uint64_t mismatch_seg_offset(struct mos_ctx *ctx);
uint32_t mismatch_seg_len(struct mos_ctx *ctx);
bool window_full(struct mos_ctx *ctx, struct mos_flow *flow);
uint64_t peer_window(struct mos_ctx *ctx, struct mos_flow *flow);
bool client_sent_syn(struct mos_ctx *ctx, struct mos_flow *flow);
bool attempt_displaced(struct mos_ctx *ctx, struct mos_flow *flow);
bool unanswered(struct mos_ctx *ctx, struct mos_flow *flow);
bool one_side_gone(struct mos_ctx *ctx, struct mos_flow *flow);
struct mos_prog_bytes gone_side(struct mos_ctx *ctx, struct mos_flow *flow);

/* The current overlap_mismatch, or NULL. */
static const struct mos_stream_event *
mismatch(struct mos_ctx *ctx)
{
	const struct mos_stream_event *ev = mos_stream_event_current(ctx);

	return ev && ev->type == MOS_STREAM_EV_OVERLAP_MISMATCH ? ev : NULL;
}

/* The sender of the current packet, or -1 without one. */
static int
sender(struct mos_ctx *ctx)
{
	int side;

	return mos_cur_pkt(ctx, &side) && side != MOS_SIDE_BOTH ? side : -1;
}

/* True when the current overlap_mismatch differs on bytes below the
 * in-order edge that the segment met: bytes the receiver already had,
 * sent again with other contents. */
bool
mismatch_in_order(struct mos_ctx *ctx, struct mos_flow *flow)
{
	const struct mos_stream_event *ev = mismatch(ctx);

	return ev != NULL && flow != NULL && ev->first_diff < ev->edge;
}

/* Stream offset of the first byte that differs (0 outside a mismatch). */
uint64_t
mismatch_offset(struct mos_ctx *ctx)
{
	const struct mos_stream_event *ev = mismatch(ctx);

	return ev ? ev->first_diff : 0;
}

/* How many overlapping bytes differ. */
uint32_t
mismatch_bytes(struct mos_ctx *ctx)
{
	const struct mos_stream_event *ev = mismatch(ctx);

	return ev ? ev->diff_bytes : 0;
}

/* Stream offset and length of the new segment. */
uint64_t
mismatch_seg_offset(struct mos_ctx *ctx)
{
	const struct mos_stream_event *ev = mismatch(ctx);

	return ev ? ev->new_start : 0;
}

uint32_t
mismatch_seg_len(struct mos_ctx *ctx)
{
	const struct mos_stream_event *ev = mismatch(ctx);

	return ev ? (uint32_t)(ev->new_end - ev->new_start) : 0;
}

/* Bytes the receiver of the current packet last offered: its window field
 * scaled by the shift it announced (0 when it has not acknowledged yet). */
uint64_t
peer_window(struct mos_ctx *ctx, struct mos_flow *flow)
{
	int s = sender(ctx);
	const struct mos_tcp_end *R;

	if (flow == NULL || s < 0 || mos_flow_is_udp(flow))
		return 0;
	R = &flow->end[1 - s];
	return (R->flags & MOS_TCPE_ACK) ? (uint64_t)R->win << R->wscale : 0;
}

/* True when the current segment carries data and its last byte reaches the
 * right edge of the receiver's window (RFC 9293 3.8.6: RCV.NXT + RCV.WND,
 * as the receiver last announced them): the sender may send nothing more
 * until the window opens (Wireshark's "TCP Window Full"). */
bool
window_full(struct mos_ctx *ctx, struct mos_flow *flow)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	int s = sender(ctx);
	const struct mos_tcp_end *R;
	uint32_t end, right;

	if (p == NULL || flow == NULL || s < 0 || p->payload_len == 0 || mos_flow_is_udp(flow))
		return false;
	R = &flow->end[1 - s];
	if (!(R->flags & MOS_TCPE_ACK))
		return false;
	end = p->tcp_seq + p->payload_len;
	right = R->ack + (uint32_t)((uint64_t)R->win << R->wscale);
	return mos_seq_geq(end, right);
}

/* The side that spoke last, or -1 when neither did. */
static int
last_speaker(const struct mos_flow *f)
{
	uint64_t c = f->end[MOS_SIDE_CLI].last_ns, s = f->end[MOS_SIDE_SVR].last_ns;

	if (c == 0 && s == 0)
		return -1;
	return c >= s ? MOS_SIDE_CLI : MOS_SIDE_SVR;
}

/* True when the side that spoke last has data or a FIN the other side
 * never acknowledged: it kept sending to a peer that stopped answering. */
static bool
data_unacked(const struct mos_flow *flow)
{
	const struct mos_tcp_end *S, *R;
	int s = last_speaker(flow);

	if (s < 0)
		return false;
	S = &flow->end[s];
	R = &flow->end[1 - s];
	if (!(S->flags & MOS_TCPE_NXT) || !(R->flags & MOS_TCPE_ACK))
		return false;
	return mos_seq_gt(S->snd_nxt, R->ack);
}

/* "client" or "server": the side whose last packet is the older one (the
 * one that went silent); "" when neither sent anything. */
struct mos_prog_bytes
gone_side(struct mos_ctx *ctx, struct mos_flow *flow)
{
	int s;

	(void)ctx;
	if (flow == NULL || (s = last_speaker(flow)) < 0)
		return (struct mos_prog_bytes){ (const uint8_t *)"", 0 };
	return (struct mos_prog_bytes){ (const uint8_t *)(s == MOS_SIDE_CLI ? "server" : "client"), 6 };
}

static bool
tcp_flow(const struct mos_flow *f)
{
	return f != NULL && !mos_flow_is_udp(f);
}

bool
client_sent_syn(struct mos_ctx *ctx, struct mos_flow *flow)
{
	(void)ctx;
	return tcp_flow(flow) && (flow->end[MOS_SIDE_CLI].flags & MOS_TCPE_SYN);
}

bool
unanswered(struct mos_ctx *ctx, struct mos_flow *flow)
{
	return client_sent_syn(ctx, flow) && !(flow->end[MOS_SIDE_SVR].flags & MOS_TCPE_SYNACK);
}

/* The engine ends an open attempt as "evicted" when the client sends a SYN
 * with another ISN on the same tuple (docs/events.md, conn_end). */
bool
attempt_displaced(struct mos_ctx *ctx, struct mos_flow *flow)
{
	return unanswered(ctx, flow) && mos_flow_end_reason(flow) == MOS_FLOW_END_EVICTED;
}

/* Set up (SYN-ACK seen), then exactly one side sent a FIN, or the side
 * that spoke last has bytes the other never acknowledged. */
bool
one_side_gone(struct mos_ctx *ctx, struct mos_flow *flow)
{
	bool cf, sf;

	(void)ctx;
	if (!tcp_flow(flow) || !(flow->end[MOS_SIDE_SVR].flags & MOS_TCPE_SYNACK))
		return false;
	cf = flow->end[MOS_SIDE_CLI].flags & MOS_TCPE_FIN;
	sf = flow->end[MOS_SIDE_SVR].flags & MOS_TCPE_FIN;
	return cf != sf || data_unacked(flow);
}
