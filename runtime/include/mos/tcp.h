/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/tcp.h — passive emulation of the two endpoints of a TCP connection.
 *
 * Every tracked connection owns two struct mos_tcp_end, one per endpoint
 * (client = sender of the first SYN without ACK, server = the other). For
 * each packet the SENDING endpoint is updated first (mos_tcp_snd, after
 * which the engine runs the snd hook), then the RECEIVING endpoint
 * (mos_tcp_rcv, then the rcv hook), as mOS does. The states and their
 * transitions follow RFC 9293 section 3.3.2 (state diagram, Figure 5) and
 * the segment-arrival rules of section 3.10.7, seen from a monitor that
 * observes both directions instead of from inside one stack.
 *
 * The functions are pure over the two endpoint structs and the decoded
 * packet: no allocation, no global state; thread-safe on distinct flows.
 */
#ifndef MOS_TCP_H
#define MOS_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "mos/decode.h"

/* RFC 9293 section 3.3.2 states, numbered as mOS's enum tcpstate. */
enum mos_tcp_state {
	MOS_TCP_CLOSED = 0,
	MOS_TCP_LISTEN,
	MOS_TCP_SYN_SENT,
	MOS_TCP_SYN_RCVD,
	MOS_TCP_ESTABLISHED,
	MOS_TCP_FIN_WAIT_1,
	MOS_TCP_FIN_WAIT_2,
	MOS_TCP_CLOSE_WAIT,
	MOS_TCP_CLOSING,
	MOS_TCP_LAST_ACK,
	MOS_TCP_TIME_WAIT,
	MOS_TCP_STATE_COUNT
};

/* Name of a state ("ESTABLISHED"), "?" when out of range. */
const char *mos_tcp_state_name(int state);

/* struct mos_tcp_end.flags */
enum {
	MOS_TCPE_ISN      = 1u << 0,  /* isn is known (SYN seen from it, or first seq midstream) */
	MOS_TCPE_ACK      = 1u << 1,  /* ack holds an ACK number it sent */
	MOS_TCPE_FIN      = 1u << 2,  /* it sent a FIN; fin_seq is valid */
	MOS_TCPE_SYN      = 1u << 3,  /* it sent a SYN without ACK (wire flag) */
	MOS_TCPE_SYNACK   = 1u << 4,  /* it sent a SYN with ACK (wire flag) */
	MOS_TCPE_RST      = 1u << 5,  /* it sent a RST, valid or not (wire flag) */
	MOS_TCPE_WSCALE   = 1u << 6,  /* it offered window scaling in its SYN */
	MOS_TCPE_NXT      = 1u << 7,  /* snd_nxt is valid */
};

/*
 * One emulated endpoint. 56 bytes; the stream pointer is the seam to the
 * reassembly module (issue 4) and stays NULL until that lands.
 */
struct mos_tcp_end {
	uint8_t  state;              /* enum mos_tcp_state */
	uint8_t  wscale;             /* window shift it announced (0 if none or not agreed) */
	uint8_t  flags;              /* MOS_TCPE_* */
	uint8_t  spare;              /* unused (the engine's per-side bits are in struct mos_flow.flags) */
	uint32_t isn;                /* its initial sequence number (seq of its SYN) */
	uint32_t snd_nxt;            /* highest seq + len (+SYN/FIN) it has sent: "next new byte" */
	uint32_t fin_seq;            /* sequence number of its FIN, valid with MOS_TCPE_FIN */
	uint32_t ack;                /* highest ACK number it sent = its RCV.NXT as we see it */
	uint16_t win;                /* last window field it sent, unscaled */
	uint16_t rexmit_pkts;        /* segments it retransmitted (saturates at 65535) */
	uint32_t pkts;               /* packets it sent (wraps after 2^32) */
	uint32_t rexmit_bytes;       /* payload bytes at or below its snd_nxt, i.e. sent again */
	uint64_t bytes;              /* payload bytes it sent, retransmissions included */
	uint64_t last_ns;            /* packet clock of its last packet, 0 if none */
	struct mos_stream *stream;   /* reassembly of what it sent, NULL when not buffered */
};

/* Events an update reports (bits of the return value of mos_tcp_snd/rcv). */
enum {
	MOS_TCPEV_CONN_START  = 1u << 0, /* first SYN of the client / SYN reached a LISTEN server */
	MOS_TCPEV_STATE       = 1u << 1, /* this endpoint's state changed */
	MOS_TCPEV_REXMIT      = 1u << 2, /* retransmitted SYN, SYN-ACK, FIN or data */
	MOS_TCPEV_ESTABLISHED = 1u << 3, /* this endpoint entered ESTABLISHED for the first time */
	MOS_TCPEV_NEW_DATA    = 1u << 4, /* in-order payload beyond everything sent before */
	MOS_TCPEV_RST_OOW     = 1u << 5, /* RST outside the receiver's window: ignored */
	MOS_TCPEV_CLOSED      = 1u << 6, /* this endpoint reached CLOSED or TIME_WAIT */
	MOS_TCPEV_BAD_SYNACK  = 1u << 7, /* SYN-ACK acking something else than the SYN */
};

/* Sequence-number comparisons modulo 2^32 (RFC 9293 section 3.4). */
static inline bool mos_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool mos_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool mos_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool mos_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/*
 * Set up the two endpoints of a new connection from its first packet
 * @p, sent by @snd. With a SYN (no ACK) the sender starts CLOSED and the
 * receiver LISTEN (the normal open). Otherwise the flow is picked up
 * midstream: both endpoints start ESTABLISHED (or SYN_RCVD/SYN_SENT for a
 * lone SYN-ACK) with sequence numbers learnt from this packet.
 * Returns true when the packet is a SYN without ACK (a regular open).
 */
bool mos_tcp_init(struct mos_tcp_end *snd, struct mos_tcp_end *rcv,
		  const struct mos_pkt *p);

/*
 * Sender-side update: @snd sent @p to @rcv. Counts the packet, records
 * ISN, sequence edges, FIN and RST, detects retransmissions, and moves
 * @snd through its states. @rcv is only read (its window and ACK edge
 * validate a RST). @now_ns stamps last_ns. Returns MOS_TCPEV_* bits.
 */
unsigned mos_tcp_snd(struct mos_tcp_end *snd, const struct mos_tcp_end *rcv,
		     const struct mos_pkt *p, uint64_t now_ns);

/*
 * Receiver-side update: @rcv received @p from @snd (after mos_tcp_snd).
 * Moves @rcv through its states on SYN, SYN-ACK, ACK of its FIN, FIN and
 * in-window RST. @rst_ok is what mos_tcp_snd decided about a RST
 * (!(bits & MOS_TCPEV_RST_OOW)). Returns MOS_TCPEV_* bits.
 */
unsigned mos_tcp_rcv(struct mos_tcp_end *rcv, const struct mos_tcp_end *snd,
		     const struct mos_pkt *p, bool rst_ok);

/*
 * Whether a RST sent by @snd with sequence number @seq (and @ack when
 * @has_ack) is acceptable to @rcv (RFC 9293 section 3.10.7.3 for
 * SYN-SENT, 3.10.7.4 "first, check sequence number" otherwise; RFC 5961
 * section 3 notes that an in-window RST is the weakest acceptable test).
 */
bool mos_tcp_rst_acceptable(const struct mos_tcp_end *snd, const struct mos_tcp_end *rcv,
			    uint32_t seq, bool has_ack, uint32_t ack);

/* True when the endpoint has finished: CLOSED after having been opened, or TIME_WAIT. */
static inline bool
mos_tcp_end_done(const struct mos_tcp_end *e)
{
	return e->state == MOS_TCP_CLOSED || e->state == MOS_TCP_TIME_WAIT;
}

#endif /* MOS_TCP_H */
