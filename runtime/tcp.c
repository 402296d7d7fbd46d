/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp.c — the two emulated endpoints of a TCP connection, updated sender
 * first, receiver second. States and transitions follow RFC 9293: the
 * state diagram of section 3.3.2 and the segment-arrival rules of section
 * 3.10.7; the RST acceptability test is the in-window test of 3.10.7.4
 * (RFC 5961 section 3.2 refines it for end hosts; a monitor only needs to
 * know whether the receiver would tear the connection down).
 */
#include <string.h>

#include "mos/tcp.h"

#define WSCALE_UNKNOWN 0xff          /* midstream: the shift was never seen */
#define WSCALE_MAX     14            /* RFC 7323 section 2.3 */

static const char *const state_names[MOS_TCP_STATE_COUNT] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *
mos_tcp_state_name(int state)
{
	return state >= 0 && state < MOS_TCP_STATE_COUNT ? state_names[state] : "?";
}

static unsigned
set_state(struct mos_tcp_end *e, unsigned st)
{
	unsigned bits = 0;

	if (e->state == st)
		return 0;
	e->state = (uint8_t)st;
	bits |= MOS_TCPEV_STATE;
	if (st == MOS_TCP_CLOSED || st == MOS_TCP_TIME_WAIT)
		bits |= MOS_TCPEV_CLOSED;
	if (st == MOS_TCP_ESTABLISHED)
		bits |= MOS_TCPEV_ESTABLISHED;
	return bits;
}

bool
mos_tcp_init(struct mos_tcp_end *snd, struct mos_tcp_end *rcv, const struct mos_pkt *p)
{
	uint16_t fl = p->tcp_flags;

	memset(snd, 0, sizeof(*snd));
	memset(rcv, 0, sizeof(*rcv));
	if ((fl & (MOS_TCP_SYN | MOS_TCP_ACK)) == MOS_TCP_SYN) {
		/* Regular open: the client is about to send its SYN
		 * (CLOSED -> SYN-SENT), the server waits (LISTEN). */
		snd->state = MOS_TCP_CLOSED;
		rcv->state = MOS_TCP_LISTEN;
		return true;
	}
	/* Midstream pickup: sequence numbers and window scales are learnt
	 * from what we see; nothing before this packet is known. */
	snd->wscale = rcv->wscale = WSCALE_UNKNOWN;
	if ((fl & (MOS_TCP_SYN | MOS_TCP_ACK)) == (MOS_TCP_SYN | MOS_TCP_ACK)) {
		/* We missed the SYN: the sender is a server in SYN-RECEIVED,
		 * the receiver a client in SYN-SENT whose ISN is ack - 1. */
		snd->state = MOS_TCP_SYN_RCVD;
		rcv->state = MOS_TCP_SYN_SENT;
		rcv->isn = p->tcp_ack - 1;
		rcv->snd_nxt = p->tcp_ack;
		rcv->flags |= MOS_TCPE_ISN | MOS_TCPE_NXT;
		snd->wscale = rcv->wscale = 0;
		return false;
	}
	snd->state = rcv->state = MOS_TCP_ESTABLISHED;
	snd->snd_nxt = p->tcp_seq;
	snd->flags |= MOS_TCPE_NXT;
	if (fl & MOS_TCP_ACK) {
		rcv->snd_nxt = p->tcp_ack;
		rcv->flags |= MOS_TCPE_NXT;
	}
	return false;
}

static unsigned
shift_of(const struct mos_tcp_end *e)
{
	return e->wscale == WSCALE_UNKNOWN ? WSCALE_MAX : e->wscale;
}

bool
mos_tcp_rst_acceptable(const struct mos_tcp_end *snd, const struct mos_tcp_end *rcv,
		       uint32_t seq, bool has_ack, uint32_t ack)
{
	uint32_t win, hi;

	/* RFC 9293 3.10.7.3, SYN-SENT: "If the ACK bit is set ... If the
	 * RST bit is set ... If the ACK was acceptable then signal to the
	 * user "error: connection reset"" — the RST must acknowledge our SYN. */
	if (rcv->state == MOS_TCP_SYN_SENT && (rcv->flags & MOS_TCPE_ISN))
		return has_ack && mos_seq_gt(ack, rcv->isn) &&
		       mos_seq_leq(ack, rcv->snd_nxt);
	/* 3.10.7.2, LISTEN: "An incoming RST segment could not be valid,
	 * since it could not have been sent in response to anything sent by
	 * this incarnation" — but a monitor that saw only the SYN must still
	 * let the client abort its own attempt, so accept. */
	if (!(rcv->flags & MOS_TCPE_ACK))
		return true;         /* receiver never acked: its window is unknown */
	/* 3.10.7.4 first check: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND, and
	 * with a zero window only SEG.SEQ = RCV.NXT. The receiver's ACK may
	 * lag what the sender already sent, so its own next sequence number
	 * (what a stack puts in a RST) is accepted too. */
	win = (uint32_t)rcv->win << shift_of(rcv);
	hi = rcv->ack + win;
	if ((snd->flags & MOS_TCPE_NXT) && mos_seq_gt(snd->snd_nxt, hi))
		hi = snd->snd_nxt;
	return mos_seq_geq(seq, rcv->ack) && mos_seq_leq(seq, hi);
}

unsigned
mos_tcp_snd(struct mos_tcp_end *snd, const struct mos_tcp_end *rcv,
	    const struct mos_pkt *p, uint64_t now_ns)
{
	uint16_t fl = p->tcp_flags;
	uint32_t seq = p->tcp_seq, len = p->payload_len;
	uint32_t end = seq + len + !!(fl & MOS_TCP_SYN) + !!(fl & MOS_TCP_FIN);
	unsigned bits = 0;
	bool rexmit = false;

	snd->pkts++;
	snd->bytes += len;
	snd->last_ns = now_ns;
	snd->win = p->tcp_win;
	if (fl & MOS_TCP_ACK) {
		if (!(snd->flags & MOS_TCPE_ACK) || mos_seq_gt(p->tcp_ack, snd->ack))
			snd->ack = p->tcp_ack;
		snd->flags |= MOS_TCPE_ACK;
	}

	/* RST: decided against the receiver's window before anything else
	 * (3.10.7.4 "first, check sequence number" / "second, check the
	 * RST bit"). An unacceptable RST changes nothing. */
	if (fl & MOS_TCP_RST) {
		snd->flags |= MOS_TCPE_RST;
		if (!mos_tcp_rst_acceptable(snd, rcv, seq, fl & MOS_TCP_ACK, p->tcp_ack))
			return bits | MOS_TCPEV_RST_OOW;
		bits |= set_state(snd, MOS_TCP_CLOSED);
		if (len && (!(snd->flags & MOS_TCPE_NXT) || mos_seq_gt(end, snd->snd_nxt)))
			snd->snd_nxt = end, snd->flags |= MOS_TCPE_NXT;
		return bits;
	}

	if ((fl & (MOS_TCP_SYN | MOS_TCP_ACK)) == MOS_TCP_SYN) {
		/* OPEN call (3.10.1): CLOSED -> SYN-SENT; a server that sends
		 * its own SYN after the client's is a simultaneous open
		 * (3.5, Figure 8): LISTEN -> SYN-SENT. */
		snd->flags |= MOS_TCPE_SYN;
		if ((snd->flags & MOS_TCPE_ISN) && seq == snd->isn) {
			rexmit = true;       /* same SYN again: no second CONN_START */
		} else {
			snd->isn = seq;
			snd->flags |= MOS_TCPE_ISN;
			snd->snd_nxt = end;
			snd->flags |= MOS_TCPE_NXT;
			snd->wscale = (p->tcp_opt.present & MOS_TCPOPT_WSCALE)
				? (p->tcp_opt.wscale > WSCALE_MAX ? WSCALE_MAX : p->tcp_opt.wscale) : 0;
			if (p->tcp_opt.present & MOS_TCPOPT_WSCALE)
				snd->flags |= MOS_TCPE_WSCALE;
			if (snd->state == MOS_TCP_CLOSED) {
				bits |= MOS_TCPEV_CONN_START;
				bits |= set_state(snd, MOS_TCP_SYN_SENT);
			} else if (snd->state == MOS_TCP_LISTEN || snd->state == MOS_TCP_SYN_RCVD) {
				/* It sent a bare SYN, so it had not seen the
				 * peer's: it was in SYN-SENT (Figure 8). */
				bits |= set_state(snd, MOS_TCP_SYN_SENT);
			}
		}
	} else if (fl & MOS_TCP_SYN) {
		/* SYN-ACK (3.10.7.2 "fourth, check the SYN bit": the server
		 * answers from SYN-RECEIVED). RFC 7323 2.2: scaling is in
		 * effect only when both SYNs carry the option. */
		snd->flags |= MOS_TCPE_SYNACK;
		if ((snd->flags & MOS_TCPE_ISN) && seq == snd->isn) {
			rexmit = true;
		} else {
			snd->isn = seq;
			snd->flags |= MOS_TCPE_ISN;
			if ((p->tcp_opt.present & MOS_TCPOPT_WSCALE) && (rcv->flags & MOS_TCPE_WSCALE)) {
				snd->wscale = p->tcp_opt.wscale > WSCALE_MAX ? WSCALE_MAX : p->tcp_opt.wscale;
				snd->flags |= MOS_TCPE_WSCALE;
			} else {
				snd->wscale = 0;
			}
			if (snd->state == MOS_TCP_LISTEN)
				bits |= set_state(snd, MOS_TCP_SYN_RCVD);
		}
	}

	/* Data: bytes at or below the highest sequence already sent are a
	 * retransmission, bytes beyond it are new. A keep-alive probe
	 * (SEG.SEQ = SND.NXT - 1, at most one byte, RFC 9293 3.8.4) is
	 * neither. */
	if (len && (snd->flags & MOS_TCPE_NXT)) {
		bool keepalive = len <= 1 && seq == snd->snd_nxt - 1;

		if (mos_seq_lt(seq, snd->snd_nxt) && !keepalive) {
			uint32_t old = snd->snd_nxt - seq;

			rexmit = true;
			snd->rexmit_bytes += old < len ? old : len;
		}
		if (mos_seq_gt(seq + len, snd->snd_nxt) && !keepalive)
			bits |= MOS_TCPEV_NEW_DATA;
	} else if (len) {
		bits |= MOS_TCPEV_NEW_DATA;
	}

	if (fl & MOS_TCP_FIN) {
		uint32_t fseq = seq + len + !!(fl & MOS_TCP_SYN);

		if ((snd->flags & MOS_TCPE_FIN) && fseq == snd->fin_seq) {
			rexmit = true;       /* retransmitted FIN */
		} else {
			snd->fin_seq = fseq;
			snd->flags |= MOS_TCPE_FIN;
		}
		/* CLOSE call (3.10.4): ESTABLISHED or SYN-RECEIVED ->
		 * FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK. */
		switch (snd->state) {
		case MOS_TCP_ESTABLISHED:
		case MOS_TCP_SYN_RCVD:
		case MOS_TCP_SYN_SENT:
			bits |= set_state(snd, MOS_TCP_FIN_WAIT_1);
			break;
		case MOS_TCP_CLOSE_WAIT:
			/* A FIN that does not acknowledge the peer's FIN was
			 * sent before that FIN arrived: a simultaneous close
			 * (3.6, Figure 13), FIN-WAIT-1 -> CLOSING. */
			if ((fl & MOS_TCP_ACK) && (rcv->flags & MOS_TCPE_FIN) &&
			    !mos_seq_gt(p->tcp_ack, rcv->fin_seq))
				bits |= set_state(snd, MOS_TCP_CLOSING);
			else
				bits |= set_state(snd, MOS_TCP_LAST_ACK);
			break;
		default:
			break;
		}
	}

	if (!(snd->flags & MOS_TCPE_NXT) || mos_seq_gt(end, snd->snd_nxt)) {
		snd->snd_nxt = end;
		snd->flags |= MOS_TCPE_NXT;
	}
	if (rexmit) {
		bits |= MOS_TCPEV_REXMIT;
		if (snd->rexmit_pkts != UINT16_MAX)
			snd->rexmit_pkts++;
	}
	return bits;
}

/* Whether ACK number @ack from the peer covers @e's FIN. */
static bool
acks_fin(const struct mos_tcp_end *e, uint32_t ack)
{
	return (e->flags & MOS_TCPE_FIN) && mos_seq_gt(ack, e->fin_seq);
}

unsigned
mos_tcp_rcv(struct mos_tcp_end *rcv, const struct mos_tcp_end *snd,
	    const struct mos_pkt *p, bool rst_ok)
{
	uint16_t fl = p->tcp_flags;
	unsigned bits = 0;

	if (fl & MOS_TCP_RST) {
		/* 3.10.7.4 "second, check the RST bit": in every
		 * synchronized state an acceptable RST closes the TCB. */
		if (rst_ok)
			bits |= set_state(rcv, MOS_TCP_CLOSED);
		return bits;
	}

	if ((fl & (MOS_TCP_SYN | MOS_TCP_ACK)) == MOS_TCP_SYN) {
		if (rcv->state == MOS_TCP_LISTEN) {
			/* 3.10.7.2 "third, check for a SYN": LISTEN -> SYN-RECEIVED. */
			bits |= MOS_TCPEV_CONN_START;
			bits |= set_state(rcv, MOS_TCP_SYN_RCVD);
		} else if (rcv->state == MOS_TCP_SYN_SENT) {
			/* 3.10.7.3 "fourth, check the SYN bit", no ACK:
			 * simultaneous open, SYN-SENT -> SYN-RECEIVED. */
			bits |= set_state(rcv, MOS_TCP_SYN_RCVD);
		}
		return bits;
	}

	if (fl & MOS_TCP_SYN) {      /* SYN-ACK */
		if (!(p->tcp_opt.present & MOS_TCPOPT_WSCALE) && rcv->wscale != WSCALE_UNKNOWN)
			rcv->wscale = 0;     /* RFC 7323 2.2: both or neither */
		if (rcv->state == MOS_TCP_SYN_SENT || rcv->state == MOS_TCP_SYN_RCVD) {
			/* 3.10.7.3 "first, check the ACK bit": an ACK
			 * =< ISS or > SND.NXT is unacceptable. */
			if ((rcv->flags & MOS_TCPE_ISN) &&
			    (mos_seq_leq(p->tcp_ack, rcv->isn) || mos_seq_gt(p->tcp_ack, rcv->snd_nxt)))
				return bits | MOS_TCPEV_BAD_SYNACK;
			bits |= set_state(rcv, MOS_TCP_ESTABLISHED);
		}
		return bits;
	}

	if (fl & MOS_TCP_ACK) {
		uint32_t ack = p->tcp_ack;

		/* 3.10.7.4 "fifth, check the ACK field". */
		switch (rcv->state) {
		case MOS_TCP_SYN_RCVD:
			/* "If SND.UNA < SEG.ACK =< SND.NXT, then enter
			 * ESTABLISHED" — SND.UNA is our ISN here. */
			if (!(rcv->flags & MOS_TCPE_ISN) || mos_seq_gt(ack, rcv->isn))
				bits |= set_state(rcv, MOS_TCP_ESTABLISHED);
			break;
		case MOS_TCP_FIN_WAIT_1:
			/* "if the FIN segment is now acknowledged, then
			 * enter FIN-WAIT-2" */
			if (acks_fin(rcv, ack))
				bits |= set_state(rcv, MOS_TCP_FIN_WAIT_2);
			break;
		case MOS_TCP_CLOSING:
			/* "if the ACK acknowledges our FIN, then enter
			 * the TIME-WAIT state" */
			if (acks_fin(rcv, ack))
				bits |= set_state(rcv, MOS_TCP_TIME_WAIT);
			break;
		case MOS_TCP_LAST_ACK:
			/* "If our FIN is now acknowledged, delete the TCB,
			 * enter the CLOSED state" */
			if (acks_fin(rcv, ack))
				bits |= set_state(rcv, MOS_TCP_CLOSED);
			break;
		default:
			break;
		}
	}

	if (fl & MOS_TCP_FIN) {
		/* 3.10.7.4 "eighth, check the FIN bit". */
		switch (rcv->state) {
		case MOS_TCP_SYN_RCVD:
		case MOS_TCP_ESTABLISHED:
			bits |= set_state(rcv, MOS_TCP_CLOSE_WAIT);
			break;
		case MOS_TCP_FIN_WAIT_1:
			/* "If our FIN has been ACKed (perhaps in this
			 * segment), then enter TIME-WAIT ...; otherwise,
			 * enter the CLOSING state." (Acked in this segment
			 * already moved us to FIN-WAIT-2 above.) */
			bits |= set_state(rcv, MOS_TCP_CLOSING);
			break;
		case MOS_TCP_FIN_WAIT_2:
			bits |= set_state(rcv, MOS_TCP_TIME_WAIT);
			break;
		default:
			break;
		}
	}
	(void)snd;
	return bits;
}
