// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/halfback/halfback.c — companion of halfback.mos: the server's
 * first window of a short flow, and its reverse-order re-sending.
 *
 * Halfback (Li et al., CoNEXT 2015) shortens short flows by re-sending,
 * after the first window, its unacknowledged tail in reverse order, one
 * segment per ACK that comes back: a lost tail segment is repaired by the
 * copy instead of waiting for a retransmission timeout. As a middlebox:
 *
 *  - the first window is the data the server sends before the client
 *    acknowledges any of it; its segments (sequence number and bytes, as
 *    they passed) are copied into the flow's slot;
 *  - a flow is short when its first window fits HB_SEGS segments and
 *    HB_BYTES bytes; a longer one is left alone (hb_short false);
 *  - from the client's first ACK of server data on, each client ACK
 *    re-sends (mos_inject_tcp, from the server to the client) the last
 *    segment not re-sent yet, moving toward the front of the window, until
 *    the next one is acknowledged by that ACK: roughly the back half of
 *    what was in flight, the tail first. The copy carries the original's
 *    TCP options too: a receiver that negotiated timestamps may drop a
 *    segment without them (RFC 7323), and the original timestamp, of the
 *    same burst as what the receiver saw, passes its PAWS check.
 *
 * Resources, per thread: a pool of HB_POOL_CAP slots (HB_BYTES of payload
 * each), allocated at their first use and reused, nothing per packet. A
 * flow that finds the pool full is not helped, and counted; frames the
 * runtime cannot record (inject area full) are counted too. Counters go to
 * standard error at exit.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mos/program.h"

#define HB_POOL_CAP 4096u            /* flows in their first window, per thread */
#define HB_SEGS 16u                  /* segments of a short flow's first window */
#define HB_BYTES 16384u              /* bytes of a short flow's first window */

struct hb_seg {
	uint32_t seq;                /* sequence number of its first byte */
	uint16_t len;                /* payload bytes */
	uint16_t off;                /* where they are in hb_slot.bytes */
	uint8_t opt_len;             /* TCP option bytes (0..40) */
	uint8_t opts[40];            /* its TCP options as sent (timestamps: see below) */
};

struct hb_slot {
	uint32_t n;                  /* segments recorded */
	uint32_t used;               /* bytes recorded */
	uint32_t next;               /* segments not re-sent yet: [0, next) */
	uint32_t resent;             /* segments re-sent */
	bool closed;                 /* the first window is over (an ACK of server data came) */
	bool too_long;               /* the first window did not fit: not a short flow */
	bool done;                   /* nothing more to re-send */
	struct hb_seg seg[HB_SEGS];  /* in the order they were first sent */
	uint8_t bytes[HB_BYTES];     /* their payload */
};

/* Per thread: slot i (1-based in flow state) is pool[i - 1]. */
static __thread struct hb_slot *hb_pool[HB_POOL_CAP];
static __thread uint32_t hb_free[HB_POOL_CAP], hb_n_free, hb_n_made;

static _Atomic uint64_t hb_pool_full;   /* flows not helped: pool full */
static _Atomic uint64_t hb_inject_lost; /* re-sends the runtime could not record */

__attribute__((destructor)) static void
hb_report(void)
{
	uint64_t a = atomic_load(&hb_pool_full), b = atomic_load(&hb_inject_lost);

	if (a || b)
		fprintf(stderr, "halfback: %llu flows not helped (pool full), %llu re-sends not "
			"recorded (inject area full)\n", (unsigned long long)a, (unsigned long long)b);
}

static struct hb_slot *
hb_get(uint32_t slot)
{
	return slot >= 1 && slot <= hb_n_made ? hb_pool[slot - 1] : NULL;
}

/* A server data segment of the first window: copy it into the flow's slot
 * (taken from the pool when @slot is 0). Returns the slot, 0 when none. */
uint32_t
hb_record(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t slot)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	struct hb_slot *s;

	(void)flow;
	if (p == NULL || p->payload_len == 0 || p->payload_off + p->payload_len > p->caplen)
		return slot;            /* nothing, or not all captured: nothing to copy */
	if (slot == 0) {
		if (hb_n_free) {
			slot = hb_free[--hb_n_free];
		} else if (hb_n_made < HB_POOL_CAP &&
			   (hb_pool[hb_n_made] = malloc(sizeof(struct hb_slot))) != NULL) {
			slot = ++hb_n_made;
		} else {
			atomic_fetch_add(&hb_pool_full, 1);
			return 0;
		}
		s = hb_pool[slot - 1];
		s->n = s->used = s->next = s->resent = 0;
		s->closed = s->too_long = s->done = false;
	}
	s = hb_get(slot);
	if (s == NULL || s->closed || s->too_long)
		return slot;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->seg[i].seq == p->tcp_seq)
			return slot;        /* a retransmission: the first copy stands */
	if (s->n == HB_SEGS || p->payload_len > HB_BYTES - s->used) {
		s->too_long = true;
		s->done = true;
		return slot;
	}
	s->seg[s->n].opt_len = (uint8_t)(p->payload_off - p->l4_off - 20);
	memcpy(s->seg[s->n].opts, p->data + p->l4_off + 20, s->seg[s->n].opt_len);
	s->seg[s->n].seq = p->tcp_seq;
	s->seg[s->n].len = (uint16_t)p->payload_len;
	s->seg[s->n].off = (uint16_t)s->used;
	memcpy(s->bytes + s->used, p->data + p->payload_off, p->payload_len);
	s->used += p->payload_len;
	s->n++;
	return slot;
}

/* A client ACK: the first one of server data closes the first window;
 * each one re-sends the last segment not re-sent yet, unless that ACK
 * covers it (then the work is done). Returns the segments re-sent (0, 1). */
uint32_t
hb_ack(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t slot)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	struct hb_slot *s = hb_get(slot);
	struct hb_seg *g;
	int rc;

	if (s == NULL || p == NULL || s->done || s->n == 0 || !(p->tcp_flags & MOS_TCP_ACK))
		return 0;
	if (!s->closed) {
		if ((int32_t)(p->tcp_ack - s->seg[0].seq) <= 0)
			return 0;           /* acknowledges no server data yet */
		s->closed = true;
		s->next = s->n;
	}
	if (s->next == 0) {
		s->done = true;
		return 0;
	}
	g = &s->seg[s->next - 1];
	if ((int32_t)(g->seq + g->len - p->tcp_ack) <= 0) {
		s->done = true;         /* the receiver has it: so has it everything before */
		return 0;
	}
	rc = mos_inject_tcp(ctx, flow, MOS_SIDE_SVR, g->seq, MOS_TCP_ACK | MOS_TCP_PSH, g->opts,
			    g->opt_len, s->bytes + g->off, g->len);
	s->next--;
	if (rc < 0) {
		atomic_fetch_add(&hb_inject_lost, 1);
		return 0;
	}
	s->resent++;
	if (s->next == 0)
		s->done = true;
	return 1;
}

/* Whether nothing more will be re-sent for the flow. */
bool
hb_done(struct mos_ctx *ctx, uint32_t slot)
{
	const struct hb_slot *s = hb_get(slot);

	(void)ctx;
	return s == NULL || s->done;
}

/* Whether the first window fitted (a short flow). */
bool
hb_short(struct mos_ctx *ctx, uint32_t slot)
{
	const struct hb_slot *s = hb_get(slot);

	(void)ctx;
	return s != NULL && !s->too_long;
}

/* Segments and bytes of the first window as recorded, segments re-sent. */
uint32_t
hb_segs(struct mos_ctx *ctx, uint32_t slot)
{
	const struct hb_slot *s = hb_get(slot);

	(void)ctx;
	return s ? s->n : 0;
}

uint32_t
hb_bytes(struct mos_ctx *ctx, uint32_t slot)
{
	const struct hb_slot *s = hb_get(slot);

	(void)ctx;
	return s ? s->used : 0;
}

uint32_t
hb_resent(struct mos_ctx *ctx, uint32_t slot)
{
	const struct hb_slot *s = hb_get(slot);

	(void)ctx;
	return s ? s->resent : 0;
}

/* Give the slot back to the pool. */
void
hb_release(struct mos_ctx *ctx, uint32_t slot)
{
	(void)ctx;
	if (hb_get(slot) != NULL && hb_n_free < HB_POOL_CAP)
		hb_free[hb_n_free++] = slot;
}
