/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/abi.h — the static tables mosc emits and the runtime loads
 * (mos_ctx_load_forest in mos/mos.h): monitors, the event dependency
 * forest, and handlers. This header is one of the two places where the
 * compiler and the runtime meet; any change to a struct below bumps
 * MOS_ABI_VERSION.
 *
 * Generated code defines one `static const struct mos_abi_forest` and
 * passes it to mos_ctx_load_forest() on every core. Loading is
 * deterministic: into a fresh context, events[i] gets the id
 * MOS_EV_UDE_BASE + i (unless an identical definition already existed,
 * which the compiler de-duplicates itself).
 *
 * Version history: 1 — first layout.
 */
#ifndef MOS_ABI_H
#define MOS_ABI_H

#include <stdint.h>

#include "mos/event.h"

#define MOS_ABI_VERSION 1u

/* Reference to events[i] of the same forest, as a parent or handler event. */
#define MOS_ABI_EVENT(i) (MOS_EV_UDE_BASE + (uint32_t)(i))

/* struct mos_abi_monitor.flags */
#define MOS_ABI_MON_NO_MIDSTREAM 1u  /* do not follow flows picked up midstream */

struct mos_abi_monitor {
	const char *name;            /* monitor name, for messages (may be NULL) */
	uint32_t type;               /* enum mos_monitor_type: 0 stream, 1 raw */
	uint32_t flags;              /* MOS_ABI_MON_* */
	const char *syn_filter;      /* stream: pcap-filter for a flow's first packet, NULL = all */
	const char *orphan_filter;   /* stream: pcap-filter for orphan packets, NULL = all */
	const char *raw_filter;      /* raw: pcap-filter for frames, NULL = all */
};

/* struct mos_abi_event.flags */
#define MOS_ABI_EV_FLOATING 1u       /* no filter: fires only when raised */

/* One UDE. Events are listed parents first: a parent is a built-in id
 * (< MOS_EV_BUILTIN_COUNT, enum mos_event_builtin) or MOS_ABI_EVENT(j)
 * with j smaller than this event's own index. */
struct mos_abi_event {
	const char *name;            /* event name as written in the rules */
	uint32_t parent;             /* built-in id or MOS_ABI_EVENT(j) */
	uint32_t flags;              /* MOS_ABI_EV_* */
	mos_filter_fn filter;        /* the filter (NULL only with MOS_ABI_EV_FLOATING) */
	const void *arg;             /* argument bytes handed to the filter (copied at load) */
	uint32_t arg_len;            /* their length */
	const char *file;            /* rule file defining it, for messages (may be NULL) */
	uint32_t line;               /* line in that file (0 if unknown) */
};

/* One listener-wide handler. */
struct mos_abi_handler {
	uint32_t monitor;            /* index into monitors[] */
	uint32_t event;              /* built-in id or MOS_ABI_EVENT(i) */
	uint32_t hook;               /* enum mos_hook */
	mos_callback_fn cb;          /* the handler */
	void *user;                  /* handed to cb in arg->user (may be NULL) */
	const char *file;            /* rule file of the handler (may be NULL) */
	uint32_t line;               /* line in that file (0 if unknown) */
};

struct mos_abi_forest {
	uint32_t abi_version;        /* MOS_ABI_VERSION the compiler was built with */
	uint32_t struct_size;        /* sizeof(struct mos_abi_forest) seen by the compiler */
	uint32_t n_monitors;         /* entries in monitors[] */
	uint32_t n_events;           /* entries in events[] */
	uint32_t n_handlers;         /* entries in handlers[] */
	const struct mos_abi_monitor *monitors; /* monitors */
	const struct mos_abi_event *events;     /* UDEs, parents first */
	const struct mos_abi_handler *handlers; /* handlers, in registration order */
};

#endif /* MOS_ABI_H */
