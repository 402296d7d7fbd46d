/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * resources.c — the engine's caps and pools over a run (see mos/resources.h).
 */
#include <inttypes.h>

#include "mos/resources.h"

void
mos_resources_add(struct mos_resources *r, struct mos_ctx *ctx)
{
	const struct mos_flow_counters *fc = mos_flow_table_counters(mos_ctx_flows(ctx));
	struct mos_stream_pool *sp = mos_ctx_stream_pool(ctx);
	struct mos_ipfrag_table *ft = mos_ctx_ipfrag(ctx);

	r->workers++;
	r->flows.created += fc->created;
	r->flows.removed += fc->removed;
	r->flows.timed_out += fc->timed_out;
	r->flows.evicted += fc->evicted;
	r->flows.refused += fc->refused;
	r->flows.active += fc->active;
	r->flows.max_active += fc->max_active;
	if (sp != NULL) {
		struct mos_stream_pool_stats st;

		mos_stream_pool_get_stats(sp, &st);
		r->streams.streams_in_use += st.streams_in_use;
		r->streams.streams_refused += st.streams_refused;
		r->streams.pages_in_use += st.pages_in_use;
		r->streams.pages_high += st.pages_high;
		r->streams.range_tables_in_use += st.range_tables_in_use;
		for (int k = 0; k < MOS_STREAM_FULL_COUNT; k++)
			r->streams.full[k] += st.full[k];
		r->streams.dropped_bytes += st.dropped_bytes;
		r->streams.reclaimed_streams += st.reclaimed_streams;
		r->streams.reclaimed_pages += st.reclaimed_pages;
		r->streams.events_dropped += st.events_dropped;
	}
	if (ft != NULL) {
		for (int c = 0; c < MOS_IPFRAG_COUNTER_COUNT; c++)
			r->frag[c] += mos_ipfrag_count(ft, (enum mos_ipfrag_counter)c);
		r->frag_pending += mos_ipfrag_pending(ft);
	}
	r->injected_lost += mos_ctx_stats(ctx)->injected_lost;
	r->timers_refused += mos_ctx_stats(ctx)->timers_refused;
	r->raises_refused += mos_ctx_stats(ctx)->raises_refused;
}

void
mos_resources_json(const struct mos_resources *r, FILE *out)
{
	const struct mos_flow_counters *f = &r->flows;
	const struct mos_stream_pool_stats *s = &r->streams;

	fprintf(out, "\"resources\":{\"workers\":%u,\"flows\":{\"created\":%" PRIu64
		",\"max_active\":%" PRIu64 ",\"timed_out\":%" PRIu64 ",\"evicted\":%" PRIu64
		",\"refused\":%" PRIu64 "},", r->workers, f->created, f->max_active, f->timed_out,
		f->evicted, f->refused);
	fprintf(out, "\"streams\":{\"refused\":%" PRIu64 ",\"pages_high\":%" PRIu64
		",\"dropped_bytes\":%" PRIu64 ",\"buffer_full\":{", s->streams_refused,
		s->pages_high, s->dropped_bytes);
	for (int k = 0; k < MOS_STREAM_FULL_COUNT; k++)
		fprintf(out, "%s\"%s\":%" PRIu64, k ? "," : "",
			mos_stream_full_reason_name((enum mos_stream_full_reason)k), s->full[k]);
	fprintf(out, "},\"reclaimed_streams\":%" PRIu64 ",\"reclaimed_pages\":%" PRIu64
		",\"events_dropped\":%" PRIu64 "},\"fragments\":{", s->reclaimed_streams,
		s->reclaimed_pages, s->events_dropped);
	for (int c = 0; c < MOS_IPFRAG_COUNTER_COUNT; c++)
		fprintf(out, "\"%s\":%" PRIu64 ",",
			mos_ipfrag_counter_name((enum mos_ipfrag_counter)c), r->frag[c]);
	fprintf(out, "\"pending\":%" PRIu64 "},\"injected_lost\":%" PRIu64
		",\"timers_refused\":%" PRIu64 ",\"raises_refused\":%" PRIu64 "}",
		r->frag_pending, r->injected_lost, r->timers_refused, r->raises_refused);
}
