/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_private.h — the context structure shared by the engine (api.c),
 * its timers (api_timer.c) and the mos_app stage glue (api_stage.c).
 */
#ifndef MOS_API_PRIVATE_H
#define MOS_API_PRIVATE_H

#include "mos/mos.h"

/* A conn_new_data waiting for the end of the burst. */
struct mos_pending {
	uint32_t flow;               /* flow index */
	uint32_t gen;                /* flow generation when queued */
	uint8_t side;                /* side that SENT the data */
	int linktype;                /* link type of pkt */
	const struct mos_pkt *pkt;   /* last packet that brought data in this burst */
};

/* A user timer in the pool. */
struct mos_timer {
	uint64_t deadline;           /* clock value when it fires */
	mos_timer_fn fn;             /* callback, NULL when the slot is free */
	void *arg;                   /* callback argument */
	uint32_t flow;               /* flow index, UINT32_MAX for a core timer */
	uint32_t flow_gen;           /* flow generation when set */
	uint32_t next, prev;         /* wheel slot list / free list */
	uint16_t gen;                /* bumped on each reuse: part of the id */
	uint16_t slot;               /* wheel slot it is on */
};

#define MOS_WHEEL_SLOTS 1024u        /* timer wheel size (power of two) */
#define MOS_FRAG_SLOTS 4u            /* reassembled datagrams alive in one burst */
#define MOS_COW_FRAMES 256u          /* borrowed frames copied in one burst, at most */
#define MOS_COW_BYTES ((size_t)MOS_COW_FRAMES * 65536u)

/* Bytes of a frame a scope filter can read (a filter reading beyond
 * them does not match, as with a short capture). */
#define MOS_SCOPE_SNAP 2048

struct mos_ctx {
	struct mos_ctx_config cfg;   /* configuration */
	struct mos_flow_table *flows; /* flow table */
	struct mos_evsys *es;        /* event engine */
	struct mos_monitor *mon[64]; /* monitors, index = owner id */
	int n_mon;                   /* monitors created */
	void *user;                  /* application pointer */
	uint64_t now;                /* packet clock */

	const struct mos_pkt *cur_pkt; /* packet being processed, NULL if none */
	struct mos_flow *cur_flow;   /* its flow, NULL if none */
	int cur_linktype;            /* its link type, -1 if none */
	int cur_side;                /* side that sent it, MOS_SIDE_BOTH if none */
	int cur_hook;                /* hook being dispatched */
	bool in_dispatch;            /* inside a dispatch (raise queues) */
	int verdict;                 /* enum mos_verdict of the current packet */
	bool rewritten;              /* mos_pkt_overwrite ran before the flow lookup: decode again */

	struct mos_pending *pend;    /* conn_new_data queue */
	uint32_t n_pend, pend_cap;   /* its use and size */

	struct mos_timer *timers;    /* timer pool */
	uint32_t timer_free;         /* free list head (timers used before) */
	uint32_t timer_fresh;        /* timers never used start here (pages touched as used) */
	uint32_t wheel[MOS_WHEEL_SLOTS]; /* slot list heads */
	uint64_t wheel_tick;         /* last tick processed */
	uint64_t wheel_next_ns;      /* start of the tick after it */
	bool wheel_started;          /* wheel_tick is valid */
	bool timers_running;         /* re-entry guard */

	struct mos_stream_pool *spool; /* reassembly pool, NULL until wanted */
	const struct mos_stream_event *cur_sev; /* stream event being dispatched */
	int buf_flow_side;           /* scratch: set by the stream event callback */

	struct mos_ipfrag_table *frag; /* IP fragment reassembly, NULL when off */
	uint8_t *frag_out;           /* MOS_FRAG_SLOTS reassembled datagrams, valid until the burst ends */
	struct mos_pkt frag_pkt[MOS_FRAG_SLOTS]; /* their decoded form */
	uint32_t frag_used;          /* slots used in this burst */

	/* Borrowed frames (mos_ctx_set_borrowed): read-only input, copied
	 * here before writable bytes are handed out; valid until the burst ends. */
	bool borrowed;               /* frames given to mos_ctx_input are read-only */
	uint8_t *cow;                /* MOS_COW_BYTES, mapped at the first copy */
	size_t cow_used;             /* bytes of cow used in this burst */

	struct mos_injected *inj;    /* recorded frames */
	uint32_t n_inj;              /* their number */
	uint8_t *inj_area;           /* their bytes: config.inject_bytes */
	uint32_t inj_used;           /* bytes of inj_area used */

	/* A flow's first packet as scope filters see it: Ethernet + the
	 * (innermost) IP header and what follows, at most MOS_SCOPE_SNAP
	 * bytes (api.c, scope_view). */
	uint8_t scope_frame[MOS_SCOPE_SNAP];

	struct mos_ctx_stats st;     /* counters */
};

int mos_timers_init(struct mos_ctx *ctx);
void mos_timers_fini(struct mos_ctx *ctx);
void mos_timers_run(struct mos_ctx *ctx, uint64_t now);

/*
 * mos_ctx_input for @n packets in order (frame i has link type
 * linktypes[i]; its verdict goes to verdicts[i] when verdicts is not
 * NULL), with the flow lookups of each group of packets hashed and
 * prefetched before the group is processed. Same results as n calls of
 * mos_ctx_input. Does not end the burst (mos_ctx_burst_end).
 */
void mos_ctx_input_burst(struct mos_ctx *ctx, const struct mos_pkt *pkts, const int *linktypes,
			 uint16_t n, int *verdicts);

#endif /* MOS_API_PRIVATE_H */
