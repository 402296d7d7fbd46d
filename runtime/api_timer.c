/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_timer.c — per-core and per-flow one-shot user timers on a hashed
 * timer wheel (MOS_WHEEL_SLOTS slots of config.timer_tick_ns), driven by
 * the context's packet clock, so offline runs fire them deterministically.
 * A jump of the clock by more than one revolution scans every slot once.
 */
#include <errno.h>
#include <stdlib.h>

#include "api_private.h"

#define NIL UINT32_MAX
#define ID_BITS 20

int
mos_timers_init(struct mos_ctx *ctx)
{
	uint32_t n = ctx->cfg.max_timers;

	ctx->timers = calloc(n, sizeof(*ctx->timers));
	if (ctx->timers == NULL)
		return -ENOMEM;
	ctx->timer_free = NIL;
	ctx->timer_fresh = 0;
	for (uint32_t s = 0; s < MOS_WHEEL_SLOTS; s++)
		ctx->wheel[s] = NIL;
	return 0;
}

void
mos_timers_fini(struct mos_ctx *ctx)
{
	free(ctx->timers);
	ctx->timers = NULL;
}

static void
slot_unlink(struct mos_ctx *ctx, uint32_t i)
{
	struct mos_timer *t = &ctx->timers[i];

	if (t->prev != NIL)
		ctx->timers[t->prev].next = t->next;
	else
		ctx->wheel[t->slot] = t->next;
	if (t->next != NIL)
		ctx->timers[t->next].prev = t->prev;
}

static void
timer_free(struct mos_ctx *ctx, uint32_t i)
{
	struct mos_timer *t = &ctx->timers[i];

	t->fn = NULL;
	t->next = ctx->timer_free;
	ctx->timer_free = i;
}

int
mos_timer_set(struct mos_ctx *ctx, struct mos_flow *flow, uint64_t delay_ns, mos_timer_fn fn,
	      void *arg)
{
	struct mos_timer *t;
	uint64_t tick;
	uint32_t i;

	if (ctx == NULL || fn == NULL)
		return -EINVAL;
	if (flow && !mos_flow_table_owns(ctx->flows, flow))
		return -EINVAL;
	if (delay_ns > UINT64_MAX - ctx->now)
		return -EINVAL;
	if (ctx->timer_free != NIL) {
		i = ctx->timer_free;
		ctx->timer_free = ctx->timers[i].next;
	} else if (ctx->timer_fresh < ctx->cfg.max_timers) {
		i = ctx->timer_fresh++;
	} else {
		ctx->st.timers_refused++;
		return -ENOSPC;
	}
	t = &ctx->timers[i];
	t->deadline = ctx->now + delay_ns;
	t->fn = fn;
	t->arg = arg;
	t->flow = flow ? mos_flow_index(ctx->flows, flow) : NIL;
	t->flow_gen = flow ? flow->gen : 0;
	t->gen++;
	if (!ctx->wheel_started) {
		ctx->wheel_tick = ctx->now / ctx->cfg.timer_tick_ns;
		ctx->wheel_next_ns = (ctx->wheel_tick + 1) * ctx->cfg.timer_tick_ns;
		ctx->wheel_started = true;
	}
	tick = t->deadline / ctx->cfg.timer_tick_ns;
	if (tick <= ctx->wheel_tick)
		tick = ctx->wheel_tick + 1;  /* due now: next tick processed */
	t->slot = (uint16_t)(tick & (MOS_WHEEL_SLOTS - 1));
	t->prev = NIL;
	t->next = ctx->wheel[t->slot];
	if (t->next != NIL)
		ctx->timers[t->next].prev = i;
	ctx->wheel[t->slot] = i;
	return (int)(((uint32_t)(t->gen & 0x7ff) << ID_BITS) | (i + 1));
}

int
mos_timer_cancel(struct mos_ctx *ctx, int id)
{
	uint32_t i, gen;

	if (ctx == NULL || id <= 0)
		return -ENOENT;
	i = ((uint32_t)id & ((1u << ID_BITS) - 1)) - 1;
	gen = (uint32_t)id >> ID_BITS;
	if (i >= ctx->cfg.max_timers || ctx->timers[i].fn == NULL ||
	    (ctx->timers[i].gen & 0x7ff) != gen)
		return -ENOENT;
	slot_unlink(ctx, i);
	timer_free(ctx, i);
	return 0;
}

/* Fire the due timers of one slot. */
static void
run_slot(struct mos_ctx *ctx, uint32_t slot, uint64_t now)
{
	uint32_t i = ctx->wheel[slot];

	while (i != NIL) {
		struct mos_timer *t = &ctx->timers[i];
		uint32_t next = t->next;

		if (t->deadline <= now) {
			mos_timer_fn fn = t->fn;
			void *arg = t->arg;
			struct mos_flow *f = NULL;
			bool live = true;
			int id = (int)(((uint32_t)(t->gen & 0x7ff) << ID_BITS) | (i + 1));

			if (t->flow != NIL) {
				f = mos_flow_at(ctx->flows, t->flow);
				live = mos_flow_in_use(ctx->flows, t->flow) && f->gen == t->flow_gen;
			}
			slot_unlink(ctx, i);
			timer_free(ctx, i);
			if (live) {
				ctx->st.timers_fired++;
				fn(ctx, f, id, arg);
			}
			/* The callback may have changed this slot's list. */
			next = ctx->wheel[slot];
			while (next != NIL && ctx->timers[next].deadline > now)
				next = ctx->timers[next].next;
		}
		i = next;
	}
}

void
mos_timers_run(struct mos_ctx *ctx, uint64_t now)
{
	uint64_t now_tick, t;

	/* called for every frame: no division until a tick is crossed */
	if (ctx->wheel_started && now < ctx->wheel_next_ns)
		return;
	if (!ctx->wheel_started) {
		ctx->wheel_tick = now / ctx->cfg.timer_tick_ns;
		ctx->wheel_next_ns = (ctx->wheel_tick + 1) * ctx->cfg.timer_tick_ns;
		ctx->wheel_started = true;
		return;
	}
	if (ctx->timers_running)
		return;
	now_tick = now / ctx->cfg.timer_tick_ns;
	if (now_tick <= ctx->wheel_tick)
		return;
	ctx->timers_running = true;
	if (now_tick - ctx->wheel_tick >= MOS_WHEEL_SLOTS) {
		ctx->wheel_tick = now_tick;
		for (uint32_t s = 0; s < MOS_WHEEL_SLOTS; s++)
			run_slot(ctx, s, now);
	} else {
		for (t = ctx->wheel_tick + 1; t <= now_tick; t++) {
			ctx->wheel_tick = t;
			run_slot(ctx, (uint32_t)(t & (MOS_WHEEL_SLOTS - 1)), now);
		}
	}
	ctx->wheel_next_ns = (ctx->wheel_tick + 1) * ctx->cfg.timer_tick_ns;
	ctx->timers_running = false;
}
