// mos: pkg-config libndpi
// SPDX-License-Identifier: BSD-3-Clause
/*
 * examples/ndpi/ndpi.c — companion of ndpi.mos: per-flow protocol
 * detection with nDPI (Debian's libndpi 4.2), fed the way ndpiReader
 * feeds it so that both name the same protocol:
 *
 *  - every packet of the flow (both directions, handshake included) is
 *    given to ndpi_detection_process_packet() as its IP datagram and the
 *    capture time in milliseconds, until detection is complete: an
 *    application protocol was found and no extra dissection is pending
 *    (e.g. the TLS certificate), or more than 80 TCP / 24 UDP packets were
 *    seen (ndpiReader's -T/-U defaults), when ndpi_detection_giveup()
 *    guesses; a flow that ends before that is given up at its end;
 *  - like ndpiReader, packets whose IP datagram is cut by the snaplen and
 *    non-first IPv4 fragments are not given to nDPI.
 *
 * Resources: one nDPI detection module per thread (per core), created at
 * the thread's first packet; nDPI flow state lives in a per-thread pool of
 * NDPI_POOL_CAP slots, each allocated at its first use and reused after
 * dpi_release(). A flow arriving when the pool is full gets no slot (slot
 * 0): its record says "no_slot" and it is counted; the counts are printed on
 * stderr at exit. Nothing is allocated per packet by this file (nDPI may
 * allocate inside a flow's state, freed by dpi_release()).
 *
 * Slots are numbered from 1 and kept in the flow's state by the program
 * (`slot = dpi_feed(flow, slot)`); 0 means none.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <ndpi_api.h>

#include "mos/program.h"

#define NDPI_POOL_CAP 65536u        /* flows with detection state, per thread */
#define NDPI_MAX_TCP_PKTS 80u       /* ndpiReader -T default */
#define NDPI_MAX_UDP_PKTS 24u       /* ndpiReader -U default */

enum dpi_how { HOW_PENDING, HOW_DPI, HOW_GUESS, HOW_UNKNOWN };

/* One flow's detection state. */
struct dpi_slot {
	struct ndpi_flow_struct *f;  /* nDPI state (allocated at first use, then reused) */
	ndpi_protocol proto;         /* last result */
	uint32_t pkts;               /* packets given to nDPI */
	uint32_t next_free;          /* free list link (slot number, 0 = end) */
	uint8_t l4;                  /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t how;                 /* enum dpi_how */
};

/* Per-thread detection module and slot pool. */
struct dpi_pool {
	struct ndpi_detection_module_struct *mod; /* NULL until the first packet */
	struct dpi_slot *slots;     /* NDPI_POOL_CAP entries, slot n at [n - 1] */
	uint32_t used;               /* slots ever handed out (never-used ones follow) */
	uint32_t free_head;          /* released slots (slot number, 0 = none) */
	char name[64];               /* ndpi_protocol2name() result */
};

static _Thread_local struct dpi_pool pool;
static atomic_ulong dpi_flows, dpi_no_slot, dpi_init_failed;

uint32_t dpi_feed(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t slot);
struct mos_prog_bytes dpi_name(struct mos_ctx *ctx, uint32_t slot);
struct mos_prog_bytes dpi_master(struct mos_ctx *ctx, uint32_t slot);
struct mos_prog_bytes dpi_app(struct mos_ctx *ctx, uint32_t slot);
struct mos_prog_bytes dpi_how(struct mos_ctx *ctx, uint32_t slot);
uint32_t dpi_packets(struct mos_ctx *ctx, uint32_t slot);
void dpi_release(struct mos_ctx *ctx, uint32_t slot);

static void dpi_report(void)
{
	if (mos_prog_quiet())
		return;
	fprintf(stderr, "ndpi: %lu flows, %lu without a slot (pool of %u per thread full), %lu without nDPI\n",
		atomic_load(&dpi_flows), atomic_load(&dpi_no_slot), NDPI_POOL_CAP,
		atomic_load(&dpi_init_failed));
}

static bool dpi_pool_init(void)
{
	static atomic_flag registered = ATOMIC_FLAG_INIT;
	NDPI_PROTOCOL_BITMASK all;

	if (!atomic_flag_test_and_set(&registered))
		atexit(dpi_report);
	pool.slots = calloc(NDPI_POOL_CAP, sizeof(*pool.slots));
	pool.mod = pool.slots ? ndpi_init_detection_module(ndpi_no_prefs) : NULL;
	if (!pool.mod) {
		free(pool.slots);
		pool.slots = NULL;
		return false;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(pool.mod, &all);
	ndpi_finalize_initialization(pool.mod);
	return true;
}

/* A free slot, or 0 when the pool is full. */
static uint32_t dpi_slot_get(uint8_t l4)
{
	uint32_t n = pool.free_head;
	struct dpi_slot *s;

	if (n) {
		s = &pool.slots[n - 1];
		pool.free_head = s->next_free;
	} else if (pool.used < NDPI_POOL_CAP) {
		n = ++pool.used;
		s = &pool.slots[n - 1];
		s->f = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (!s->f) {
			pool.used--;
			return 0;
		}
	} else {
		return 0;
	}
	memset(s->f, 0, SIZEOF_FLOW_STRUCT);
	memset(&s->proto, 0, sizeof(s->proto));
	s->pkts = 0;
	s->next_free = 0;
	s->l4 = l4;
	s->how = HOW_PENDING;
	return n;
}

static struct dpi_slot *dpi_slot(uint32_t slot)
{
	return slot && pool.slots && slot <= pool.used ? &pool.slots[slot - 1] : NULL;
}

static void dpi_giveup(struct dpi_slot *s)
{
	uint8_t guessed = 0;

	if (s->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		s->proto = ndpi_detection_giveup(pool.mod, s->f, 1, &guessed);
		s->how = guessed ? HOW_GUESS : s->proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ? HOW_DPI : HOW_UNKNOWN;
	} else {
		s->how = HOW_DPI;
	}
}

/* Feed the current packet of @flow; returns the flow's slot (allocated at
 * its first packet; 0 when none could be had). */
uint32_t dpi_feed(struct mos_ctx *ctx, struct mos_flow *flow, uint32_t slot)
{
	const struct mos_pkt *p = mos_prog_pkt(ctx);
	struct dpi_slot *s;

	if (!p || !(p->flags & MOS_PKT_F_L4) || (p->l4_proto != IPPROTO_TCP && p->l4_proto != IPPROTO_UDP))
		return slot;
	if (!slot) {
		if (!pool.mod && !pool.slots && !dpi_pool_init()) {
			atomic_fetch_add(&dpi_init_failed, 1);
			return 0;
		}
		if (!pool.mod)
			return 0;
		atomic_fetch_add(&dpi_flows, 1);
		slot = dpi_slot_get(p->l4_proto);
		if (!slot) {
			atomic_fetch_add(&dpi_no_slot, 1);
			return 0;
		}
	}
	(void)flow;
	s = dpi_slot(slot);
	if (!s || s->how != HOW_PENDING)
		return slot;
	/* ndpiReader skips datagrams cut by the snaplen and later IPv4 fragments */
	uint32_t ipsize = p->caplen - p->l3_off;
	if ((p->flags & MOS_PKT_F_TRUNCATED) || p->ip_len > ipsize ||
	    ((p->flags & MOS_PKT_F_FRAGMENT) && !(p->flags & MOS_PKT_F_FIRST_FRAG)))
		return slot;
	s->pkts++;
	s->proto = ndpi_detection_process_packet(pool.mod, s->f, p->data + p->l3_off,
						 (unsigned short)(ipsize > 0xffff ? 0xffff : ipsize),
						 p->ts_ns / 1000000u);
	bool enough = s->pkts > (s->l4 == IPPROTO_TCP ? NDPI_MAX_TCP_PKTS : NDPI_MAX_UDP_PKTS);
	if ((s->proto.app_protocol != NDPI_PROTOCOL_UNKNOWN || enough) &&
	    (enough || !ndpi_extra_dissection_possible(pool.mod, s->f)))
		dpi_giveup(s);
	return slot;
}

static struct mos_prog_bytes dpi_str(const char *s)
{
	return (struct mos_prog_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

/* The final result of @slot (gives up on a pending flow). */
static struct dpi_slot *dpi_result(uint32_t slot)
{
	struct dpi_slot *s = dpi_slot(slot);
	if (s && s->how == HOW_PENDING)
		dpi_giveup(s);
	return s;
}

/* "MASTER.APP" (or one name) as ndpiReader prints it; "Unknown" without a slot. */
struct mos_prog_bytes dpi_name(struct mos_ctx *ctx, uint32_t slot)
{
	struct dpi_slot *s = dpi_result(slot);
	(void)ctx;
	if (!s)
		return dpi_str("Unknown");
	return dpi_str(ndpi_protocol2name(pool.mod, s->proto, pool.name, sizeof(pool.name)));
}

struct mos_prog_bytes dpi_master(struct mos_ctx *ctx, uint32_t slot)
{
	struct dpi_slot *s = dpi_result(slot);
	(void)ctx;
	return dpi_str(s ? ndpi_get_proto_name(pool.mod, s->proto.master_protocol) : "Unknown");
}

struct mos_prog_bytes dpi_app(struct mos_ctx *ctx, uint32_t slot)
{
	struct dpi_slot *s = dpi_result(slot);
	(void)ctx;
	return dpi_str(s ? ndpi_get_proto_name(pool.mod, s->proto.app_protocol) : "Unknown");
}

/* How the result was reached: "dpi", "guess", "unknown" or "no_slot". */
struct mos_prog_bytes dpi_how(struct mos_ctx *ctx, uint32_t slot)
{
	static const char *const names[] = { "pending", "dpi", "guess", "unknown" };
	struct dpi_slot *s = dpi_result(slot);
	(void)ctx;
	return dpi_str(s ? names[s->how] : "no_slot");
}

uint32_t dpi_packets(struct mos_ctx *ctx, uint32_t slot)
{
	struct dpi_slot *s = dpi_slot(slot);
	(void)ctx;
	return s ? s->pkts : 0;
}

/* Free the flow's nDPI data and return its slot to the pool. */
void dpi_release(struct mos_ctx *ctx, uint32_t slot)
{
	struct dpi_slot *s = dpi_slot(slot);
	(void)ctx;
	if (!s)
		return;
	ndpi_free_flow_data(s->f);
	s->next_free = pool.free_head;
	pool.free_head = slot;
}
