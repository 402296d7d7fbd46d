/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/resources.h — what the engine's caps and pools did during a run,
 * summed over the workers' contexts: the flow table, the stream pool,
 * the IP fragment table, injection, timers and raised events. Every
 * resource has a cap and a counted policy (docs/flow.md,
 * docs/reassembly.md); these are the counts, so that nothing a cap cost
 * goes unreported. mos_app sums them for the contexts a program ran
 * (mos_app_run_contexts, mos_app_set_resources) and writes them as the
 * "resources" object of --stats (docs/runtime.md, "Resources").
 */
#ifndef MOS_RESOURCES_H
#define MOS_RESOURCES_H

#include <stdint.h>
#include <stdio.h>

#include "mos/flow.h"
#include "mos/ipfrag.h"
#include "mos/mos.h"
#include "mos/stream.h"

struct mos_resources {
	unsigned workers;            /* contexts added */
	/* Sums; max_active is the sum of each context's high-water mark. */
	struct mos_flow_counters flows;
	/* Sums; pages_high is the sum of each pool's high-water mark. All
	 * zero for contexts without a stream pool. */
	struct mos_stream_pool_stats streams;
	uint64_t frag[MOS_IPFRAG_COUNTER_COUNT]; /* by enum mos_ipfrag_counter */
	uint64_t frag_pending;       /* datagrams still in reassembly */
	uint64_t injected_lost;      /* mos_ctx_stats.injected_lost */
	uint64_t timers_refused;     /* mos_ctx_stats.timers_refused */
	uint64_t raises_refused;     /* mos_ctx_stats.raises_refused */
};

/* Add @ctx's counters to @r (zeroed by the caller first). Call from the
 * thread that owns @ctx, or once its worker stopped. */
void mos_resources_add(struct mos_resources *r, struct mos_ctx *ctx);

/* Write `"resources":{...}` (no comma, no enclosing braces) to @out, keys
 * in the order docs/runtime.md gives ("Resources"). */
void mos_resources_json(const struct mos_resources *r, FILE *out);

#endif /* MOS_RESOURCES_H */
