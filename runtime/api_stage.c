/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_stage.c — glue between a context and the mos_app loop: each burst
 * is fed frame by frame (link type from the mbuf's private area), then
 * conn_new_data is delivered; idle ticks advance the clock; the end of
 * input ends every flow.
 */
#include "mos/app.h"
#include "mos/source.h"

#include "api_private.h"

static void
stage_burst(void *arg, struct mos_pkt *pkts, struct rte_mbuf **mbufs, uint16_t n, uint64_t now_ns)
{
	struct mos_ctx *ctx = arg;

	for (uint16_t i = 0; i < n; i++)
		mos_ctx_input(ctx, &pkts[i], mos_mbuf_priv(mbufs[i])->linktype);
	mos_ctx_burst_end(ctx);
	mos_ctx_advance(ctx, now_ns);
}

static void
stage_tick(void *arg, uint64_t now_ns)
{
	mos_ctx_advance(arg, now_ns);
}

static void
stage_finish(void *arg, uint64_t now_ns)
{
	mos_ctx_advance(arg, now_ns);
	mos_ctx_finish(arg);
}

void
mos_ctx_stage(struct mos_ctx *ctx, struct mos_stage *stage)
{
	stage->burst = stage_burst;
	stage->tick = stage_tick;
	stage->finish = stage_finish;
	stage->arg = ctx;
}
