/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_stage.c — glue between a context and the mos_app loop: each burst
 * is fed frame by frame (link type from the mbuf's private area), then
 * conn_new_data is delivered; idle ticks advance the clock; the end of
 * input ends every flow. Each frame's verdict (mos_ctx_input) goes back to
 * the loop, and frames recorded by mos_reset_conn are handed over to the
 * loop's sender (inline mode only; otherwise they stay recorded).
 */
#include "mos/app.h"
#include "mos/source.h"

#include "api_private.h"

static void
stage_burst_verdicts(void *arg, struct mos_pkt *pkts, struct rte_mbuf **mbufs, uint16_t n,
		     uint64_t now_ns, uint8_t *verdicts)
{
	struct mos_ctx *ctx = arg;
	int lt[64], v[64];

	for (uint16_t base = 0; base < n; base += 64) {
		uint16_t m = (uint16_t)(n - base < 64 ? n - base : 64);

		for (uint16_t i = 0; i < m; i++)
			lt[i] = mos_mbuf_priv(mbufs[base + i])->linktype;
		mos_ctx_input_burst(ctx, pkts + base, lt, m, v);
		for (uint16_t i = 0; i < m; i++)
			verdicts[base + i] = (uint8_t)(v[i] == MOS_VERDICT_DROP);
	}
	mos_ctx_burst_end(ctx);
	mos_ctx_advance(ctx, now_ns);
}

static void
stage_burst(void *arg, struct mos_pkt *pkts, struct rte_mbuf **mbufs, uint16_t n, uint64_t now_ns)
{
	struct mos_ctx *ctx = arg;
	int lt[64];

	/* For loops that do not know burst_verdicts: verdicts ignored. */
	for (uint16_t base = 0; base < n; base += 64) {
		uint16_t m = (uint16_t)(n - base < 64 ? n - base : 64);

		for (uint16_t i = 0; i < m; i++)
			lt[i] = mos_mbuf_priv(mbufs[base + i])->linktype;
		mos_ctx_input_burst(ctx, pkts + base, lt, m, NULL);
	}
	mos_ctx_burst_end(ctx);
	mos_ctx_advance(ctx, now_ns);
}

static void
stage_drain(void *arg, void (*emit)(void *emit_arg, const uint8_t *ip, uint16_t len),
	    void *emit_arg)
{
	struct mos_ctx *ctx = arg;
	uint32_t n;
	const struct mos_injected *inj = mos_ctx_injected(ctx, &n);

	if (n == 0)
		return;
	for (uint32_t i = 0; i < n; i++)
		emit(emit_arg, inj[i].frame, inj[i].len);
	mos_ctx_injected_clear(ctx);
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
	stage->burst_verdicts = stage_burst_verdicts;
	stage->drain_injected = stage_drain;
	stage->tick = stage_tick;
	stage->finish = stage_finish;
	stage->arg = ctx;
}
