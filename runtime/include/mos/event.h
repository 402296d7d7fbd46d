/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/event.h — the event engine: event definitions as a forest
 * (built-in events are the roots, user-defined events (UDEs) hang beneath
 * them at any depth), registrations of callbacks at hooks, interned
 * registration sets shared between flows, and dispatch.
 *
 * Definitions. A UDE is (parent event, filter function, argument bytes);
 * identical definitions return the same id. A floating event has no
 * filter and fires only when raised (mos_evsys_raise). Every node stores
 * its root built-in, so hook legality is checked at any depth.
 *
 * Registrations. A registration is (owner, event, hook, callback, user
 * pointer); owners are small indices (the API's monitors). Listener-wide
 * registrations belong to an owner; per-flow changes are expressed on a
 * flow's registration set.
 *
 * Registration sets. A flow carries one 32-bit set id. A set is an
 * immutable, interned, sorted list of tokens: "owner m" (all listener-wide
 * registrations of m), "+r" (registration r added for this flow), "-r"
 * (listener registration r removed for this flow). Changing a flow's set
 * is a transition (set, operation) -> set looked up in a cache, O(1); a
 * miss builds and interns the new set (hash of the sorted tokens, full
 * comparison on collision). Millions of flows making the same change
 * converge on the same few sets; no flow ever owns a copy of callback
 * tables. Sets are never freed while the engine lives (bounded by
 * max_sets; a change that would exceed it fails with -ENOSPC).
 *
 * Dispatch. For each set the engine compiles, on first use and again
 * after a listener-wide change, one plan per (built-in, hook): the
 * registered events' paths from the root, flattened in preorder with
 * subtree-skip indices. A dispatch walks the plan once: each filter runs
 * at most once; a filter returning false skips its whole subtree;
 * callbacks of a node run in registration order. Events raised from a
 * filter or callback are delivered after the walk (same flow, side,
 * hook), each once per raise.
 *
 * Thread-safety: one engine per core; not thread-safe.
 */
#ifndef MOS_EVENT_H
#define MOS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mos_ctx;
struct mos_flow;

/*
 * Built-in events: X(ID, "name", legal hooks). Names are the language's
 * (compiler/builtins.*). Exact triggers: docs/events.md.
 */
#define MOS_HOOKBIT_NONE (1u << 0)
#define MOS_HOOKBIT_SND  (1u << 1)
#define MOS_HOOKBIT_RCV  (1u << 2)
#define MOS_BUILTIN_EVENTS(X)                                                   \
	X(PKT_IN,           "pkt_in",           MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV | MOS_HOOKBIT_NONE) \
	X(CONN_START,       "conn_start",       MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV) \
	X(REXMIT,           "rexmit",           MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV) \
	X(TCP_STATE_CHANGE, "tcp_state_change", MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV) \
	X(CONN_END,         "conn_end",         MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV | MOS_HOOKBIT_NONE) \
	X(CONN_NEW_DATA,    "conn_new_data",    MOS_HOOKBIT_NONE)                  \
	X(ORPHAN,           "orphan",           MOS_HOOKBIT_NONE)                  \
	X(ERROR,            "error",            MOS_HOOKBIT_NONE)                  \
	X(CONN_ESTABLISHED, "conn_established", MOS_HOOKBIT_RCV)                   \
	X(UDP_PKT,          "udp_pkt",          MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV) \
	X(TIMEOUT,          "timeout",          MOS_HOOKBIT_NONE)                  \
	X(OVERLAP_MISMATCH, "overlap_mismatch", MOS_HOOKBIT_NONE)                  \
	X(GAP,              "gap",              MOS_HOOKBIT_NONE)                  \
	X(BUFFER_FULL,      "buffer_full",      MOS_HOOKBIT_NONE)                  \
	X(RST_OUT_OF_WINDOW, "rst_out_of_window", MOS_HOOKBIT_SND | MOS_HOOKBIT_RCV)

enum mos_event_builtin {
#define MOS_X_(id, name, hooks) MOS_EV_##id,
	MOS_BUILTIN_EVENTS(MOS_X_)
#undef MOS_X_
	MOS_EV_BUILTIN_COUNT
};

/* Ids of user-defined events start here (built-ins are 0 .. 31). */
#define MOS_EV_UDE_BASE 64u
/* Largest built-in id the engine reserves. */
#define MOS_EV_BUILTIN_MAX 32u

/* Hooks (mOS: MOS_NULL, MOS_HK_SND, MOS_HK_RCV). */
enum mos_hook {
	MOS_HOOK_NONE = 0,           /* not tied to one endpoint's update */
	MOS_HOOK_SND  = 1,           /* after the sending endpoint was updated */
	MOS_HOOK_RCV  = 2,           /* after the receiving endpoint was updated */
	MOS_HOOK_COUNT
};

/* What a filter or callback receives besides (ctx, flow, side, event). */
struct mos_event_arg {
	const void *arg;             /* the UDE's definition argument (NULL for built-ins) */
	size_t len;                  /* its length in bytes */
	void *user;                  /* the pointer given when registering (NULL for filters) */
	void *owner;                 /* the registering owner (struct mos_monitor *) */
};

/* A callback. @flow is NULL for events of no flow (orphan, raw packets,
 * core timers); @side is MOS_SIDE_CLI/SVR, or MOS_SIDE_BOTH without flow. */
typedef void (*mos_callback_fn)(struct mos_ctx *ctx, struct mos_flow *flow, int side,
				uint32_t event, const struct mos_event_arg *arg);
/* A UDE filter: true lets the event (and its subtree) fire. */
typedef bool (*mos_filter_fn)(struct mos_ctx *ctx, struct mos_flow *flow, int side,
			      uint32_t event, const struct mos_event_arg *arg);

/* Name of built-in @ev ("pkt_in"), NULL if not a built-in. */
const char *mos_event_builtin_name(uint32_t ev);
/* Built-in id of @name, or -ENOENT. */
int mos_event_builtin_lookup(const char *name);
/* MOS_HOOKBIT_* mask of hooks built-in @ev may be registered at (0 if none). */
unsigned mos_event_builtin_hooks(uint32_t ev);

struct mos_evsys;

/* Limits of an engine. */
struct mos_evsys_config {
	uint32_t max_defs;           /* UDE definitions (default 4096) */
	uint32_t max_regs;           /* distinct registrations (default 4096) */
	uint32_t max_sets;           /* registration sets (default 16384) */
	uint32_t max_owners;         /* owners (default 64) */
};

/* Create an engine (@cfg NULL = defaults). NULL with errno on failure. */
struct mos_evsys *mos_evsys_create(const struct mos_evsys_config *cfg);
void mos_evsys_destroy(struct mos_evsys *es);

/* struct flags for mos_evsys_define */
#define MOS_EVDEF_FLOATING 1u        /* no filter; fires only when raised */

/*
 * Define a UDE under @parent (a built-in or UDE id) with @filter and a
 * private copy of @len bytes at @arg. @name (may be NULL) is copied.
 * Identical non-floating definitions return the existing id.
 * Returns the event id (>= MOS_EV_UDE_BASE) or -EINVAL (unknown parent,
 * NULL filter without MOS_EVDEF_FLOATING), -ENOSPC, -ENOMEM.
 */
int mos_evsys_define(struct mos_evsys *es, uint32_t parent, mos_filter_fn filter,
		     const void *arg, size_t len, unsigned flags, const char *name);

/* Root built-in of @ev, or -EINVAL if @ev is not defined. */
int mos_evsys_root(const struct mos_evsys *es, uint32_t ev);
/* Parent of @ev (a built-in's parent is itself), or -EINVAL. */
int mos_evsys_parent(const struct mos_evsys *es, uint32_t ev);
/* Name of @ev (built-in name, the UDE's name, or "ude<N>"). */
const char *mos_evsys_name(const struct mos_evsys *es, uint32_t ev);
/* Number of UDEs defined. */
uint32_t mos_evsys_ude_count(const struct mos_evsys *es);

/* Whether @ev may be registered at @hook (checks the root built-in). */
bool mos_evsys_hook_legal(const struct mos_evsys *es, uint32_t ev, int hook);

/*
 * Listener-wide registration for owner @owner (< max_owners; @owner_ptr
 * is handed to callbacks). Applies to every flow whose set contains the
 * owner, existing or future. Returns 0, -EINVAL (unknown event, illegal
 * hook, NULL cb), -EEXIST (already registered), -ENOSPC.
 */
int mos_evsys_listen(struct mos_evsys *es, uint16_t owner, void *owner_ptr, uint32_t ev,
		     int hook, mos_callback_fn cb, void *user);
/* Remove a listener-wide registration (@cb NULL: every callback of
 * (owner, ev, hook)). Returns 0 or -ENOENT. */
int mos_evsys_unlisten(struct mos_evsys *es, uint16_t owner, uint32_t ev, int hook,
		       mos_callback_fn cb);

/* The empty set. */
#define MOS_EVSET_EMPTY 0u

/* Set = @set plus owner @owner. Returns the new set id or -errno. */
int mos_evsys_set_add_owner(struct mos_evsys *es, uint32_t set, uint16_t owner);
/* Set = @set with registration (owner, ev, hook, cb, user) added for one
 * flow. Returns the new set id, or -EINVAL / -ENOSPC. */
int mos_evsys_set_add(struct mos_evsys *es, uint32_t set, uint16_t owner, void *owner_ptr,
		      uint32_t ev, int hook, mos_callback_fn cb, void *user);
/* Set = @set without (owner, ev, hook, cb) for one flow (removes a
 * per-flow addition, masks a listener-wide registration; @cb NULL = all
 * callbacks of (owner, ev, hook)). Returns the new set id or -errno. */
int mos_evsys_set_del(struct mos_evsys *es, uint32_t set, uint16_t owner, uint32_t ev,
		      int hook, mos_callback_fn cb);
/* Whether @set contains owner @owner. */
bool mos_evsys_set_has_owner(const struct mos_evsys *es, uint32_t set, uint16_t owner);

/* Whether anything of built-in @b is registered at @hook in @set (cheap:
 * lets the caller skip building arguments). */
bool mos_evsys_wants(struct mos_evsys *es, uint32_t set, uint32_t b, int hook);

/* The built-in events (bit b = event b) that @set has any callback for at
 * @hook: mos_evsys_wants for all of them at once, so that a caller can
 * skip dispatching events nobody listens to. 0 for MOS_EVSET_EMPTY, an
 * unknown set or a bad hook. Valid until callbacks run or registrations
 * change. */
uint32_t mos_evsys_mask(struct mos_evsys *es, uint32_t set, int hook);

/*
 * Dispatch built-in @b at @hook for a flow whose set is @set: walk the
 * plan, run filters and callbacks with (ctx, flow, side). Returns the
 * number of callbacks run.
 */
unsigned mos_evsys_dispatch(struct mos_evsys *es, uint32_t set, uint32_t b, int hook,
			    struct mos_ctx *ctx, struct mos_flow *flow, int side);

/*
 * Raise floating (or any UDE) event @ev. Inside a dispatch: queued and
 * delivered after the current walk. Outside: delivered now through @set
 * at @hook with (ctx, flow, side). Returns 0 or -EINVAL / -ENOSPC (more
 * than MOS_EVSYS_MAX_RAISED queued).
 */
#define MOS_EVSYS_MAX_RAISED 16
int mos_evsys_raise(struct mos_evsys *es, uint32_t set, uint32_t ev, int hook,
		    struct mos_ctx *ctx, struct mos_flow *flow, int side);

/* Statistics of an engine. */
struct mos_evsys_stats {
	uint32_t defs;               /* UDEs defined */
	uint32_t regs;               /* registrations interned */
	uint32_t sets;               /* registration sets interned (empty set included) */
	uint64_t transitions;        /* set changes requested */
	uint64_t transition_hits;    /* of which answered by the cache */
	uint64_t plans_built;        /* plan compilations */
	uint64_t filters_run;        /* filter calls */
	uint64_t callbacks_run;      /* callback calls */
};
void mos_evsys_get_stats(const struct mos_evsys *es, struct mos_evsys_stats *st);

#endif /* MOS_EVENT_H */
