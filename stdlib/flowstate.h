/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stdlib/flowstate.h — per-flow parser states of the stdlib companions
 * (http.c, tls.c, ssh.c): a fixed pool of @cap states of @size bytes, found
 * from a flow through its index in the flow table (mos_flow_index) and
 * checked against the flow's id (generation + index), so a state left by a
 * flow that ended unseen (stopped monitoring) is taken back when its flow
 * table entry is reused. The pool, the map and the owner table are
 * allocated once, at the first use (calloc: pages are touched as states
 * are used); nothing is allocated per packet. When every state is taken a
 * new flow gets none (counted in refused; the module reports it).
 * Thread-safety: a pool belongs to one context and its thread; companions
 * declare theirs __thread (mos_program_main --workers runs one context per
 * thread, each with its own flow table, so a pool maps one table).
 */
#ifndef MOS_STDLIB_FLOWSTATE_H
#define MOS_STDLIB_FLOWSTATE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mos/program.h"

struct mos_fstate_pool {
	uint32_t cap;                /* states */
	uint32_t size;               /* bytes per state */
	uint8_t *mem;                /* cap * size bytes */
	uint64_t *owner;             /* flow id + 1 of each state, 0 = free */
	uint32_t *free_list;         /* free state numbers (stack) */
	uint32_t n_free;             /* entries in free_list */
	uint32_t fresh;              /* states never used yet start here */
	uint32_t *map;               /* flow index -> state number + 1 */
	uint32_t n_map;              /* flow table capacity */
	bool failed;                 /* the allocation at first use failed */
	uint64_t refused;            /* flows that got no state */
};

static inline bool mos_fstate_setup(struct mos_fstate_pool *p, struct mos_ctx *ctx)
{
	if (p->mem || p->failed)
		return !p->failed;
	p->n_map = mos_flow_table_capacity(mos_ctx_flows(ctx));
	p->mem = calloc(p->cap, p->size);
	p->owner = calloc(p->cap, sizeof(*p->owner));
	p->free_list = calloc(p->cap, sizeof(*p->free_list));
	p->map = calloc(p->n_map ? p->n_map : 1, sizeof(*p->map));
	p->failed = !p->mem || !p->owner || !p->free_list || !p->map;
	return !p->failed;
}

/* The state of @flow, NULL when it has none (and @create is false or no
 * state is left). *@is_new tells a state just taken (zeroed). */
static inline void *mos_fstate_get(struct mos_fstate_pool *p, struct mos_ctx *ctx,
				   const struct mos_flow *flow, bool create, bool *is_new)
{
	uint64_t id = mos_prog_flow_id(ctx, flow) + 1;
	uint32_t idx, s;

	*is_new = false;
	if (!mos_fstate_setup(p, ctx))
		return NULL;
	idx = mos_flow_index(mos_ctx_flows(ctx), flow);
	if (idx >= p->n_map)
		return NULL;
	s = p->map[idx];
	if (s && p->owner[s - 1] == id)
		return p->mem + (size_t)(s - 1) * p->size;
	if (s) {
		/* left by the flow that held this entry before */
		p->owner[s - 1] = 0;
		p->free_list[p->n_free++] = s - 1;
	}
	p->map[idx] = 0;
	if (!create)
		return NULL;
	if (p->n_free)
		s = p->free_list[--p->n_free];
	else if (p->fresh < p->cap)
		s = p->fresh++;
	else {
		p->refused++;
		return NULL;
	}
	p->owner[s] = id;
	p->map[idx] = s + 1;
	*is_new = true;
	memset(p->mem + (size_t)s * p->size, 0, p->size);
	return p->mem + (size_t)s * p->size;
}

/* Give @flow's state back (nothing when it has none). */
static inline void mos_fstate_put(struct mos_fstate_pool *p, struct mos_ctx *ctx,
				  const struct mos_flow *flow)
{
	uint32_t idx, s;

	if (!p->mem)
		return;
	idx = mos_flow_index(mos_ctx_flows(ctx), flow);
	if (idx >= p->n_map || (s = p->map[idx]) == 0)
		return;
	if (p->owner[s - 1] == mos_prog_flow_id(ctx, flow) + 1) {
		p->owner[s - 1] = 0;
		p->free_list[p->n_free++] = s - 1;
	}
	p->map[idx] = 0;
}

/*
 * Next bytes @sender sent on @flow from stream offset *@off: points *@ptr at
 * them (a copy in @buf, at most @cap bytes) and returns their number; 0 when
 * nothing new is readable. Bytes that are gone (released by the window, in
 * a hole or dropped by a cap) are skipped: their count is added to *@lost
 * and *@off moves past them. Positional reads (mos_stream_peek): the module
 * holds no cursor, so it releases nothing another reader may still peek at.
 */
static inline uint32_t mos_fstate_next(struct mos_flow *flow, int sender, uint64_t *off,
				       uint8_t *buf, uint32_t cap, uint64_t *lost)
{
	struct mos_stream *s = mos_flow_stream(flow, sender == MOS_SIDE_CLI ? MOS_SIDE_SVR : MOS_SIDE_CLI);
	struct mos_stream_info in;
	ssize_t n;

	if (s == NULL || mos_stream_get_info(s, &in) != 0)
		return 0;
	if (*off < in.base) {
		*lost += in.base - *off;
		*off = in.base;
	}
	n = mos_stream_peek(s, *off, buf, cap);
	if (n == -ENOENT) {
		/* inside a hole: find its end (the first readable offset) by
		 * doubling then halving the distance */
		uint64_t lo = *off, hi = in.edge, step = 1;
		uint8_t b;
		while (lo + step < in.edge && mos_stream_peek(s, lo + step, &b, 1) == -ENOENT) {
			lo += step;
			step *= 2;
		}
		hi = lo + step < in.edge ? lo + step : in.edge;
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (mos_stream_peek(s, mid, &b, 1) == -ENOENT)
				lo = mid;
			else
				hi = mid;
		}
		*lost += hi - *off;
		*off = hi;
		n = hi < in.edge ? mos_stream_peek(s, hi, buf, cap) : 0;
	}
	return n > 0 ? (uint32_t)n : 0;
}

#endif /* MOS_STDLIB_FLOWSTATE_H */
