/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/mos.h — the C API of the flow engine, in the spirit of mOS
 * (monitoring sockets, events, callbacks at the sender/receiver hooks)
 * with the mos_ prefix and mOS's known defects fixed.
 *
 * A context (struct mos_ctx) is one worker core's engine: its flow table,
 * event engine, monitors and timers; contexts share nothing. Packets are
 * fed with mos_ctx_input() (or through mos_ctx_stage() inside a mos_app
 * program); everything else happens in callbacks.
 *
 * Monitors: a stream monitor (mOS's MOS_SOCK_MONITOR_STREAM) scopes flows
 * with a SYN-time flow filter (evaluated on the first packet of a flow,
 * the SYN or, midstream, whatever came first), gets orphan packets through
 * an orphan filter, and owns listener-wide callbacks. A raw monitor
 * (MOS_SOCK_MONITOR_RAW) sees every frame that passes its raw packet
 * filter as pkt_in at MOS_HOOK_NONE, with no flow. Filters use pcap-filter
 * syntax, compiled by libpcap (pcap_compile on a dead handle of the
 * capture's link type) and run with pcap_offline_filter on the frame.
 *
 * Errors: functions return 0 / an id >= 0, or -errno; constructors return
 * NULL with errno. Nothing here exits or asserts on user input.
 * Thread-safety: a context and everything reached from it belong to the
 * thread that feeds it; callbacks run on that thread.
 */
#ifndef MOS_MOS_H
#define MOS_MOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mos/abi.h"
#include "mos/decode.h"
#include "mos/event.h"
#include "mos/flow.h"
#include "mos/ipfrag.h"
#include "mos/stream.h"
#include "mos/tcp.h"

struct mos_ctx;
struct mos_monitor;
struct mos_stage;

/* Monitor types. */
enum mos_monitor_type {
	MOS_MONITOR_STREAM = 0,      /* flows: SYN-time filter, orphan filter, flow events */
	MOS_MONITOR_RAW,             /* frames: raw packet filter, pkt_in at MOS_HOOK_NONE */
};

struct mos_ctx_config {
	int core;                    /* worker core number, 0..n_workers-1 (reported, not used for pinning) */
	uint32_t n_workers;          /* worker cores sharing the traffic by mos_rss_worker (default 1; reported) */
	struct mos_flow_table_config flows; /* flow table; release/release_arg are the engine's */
	struct mos_evsys_config events; /* event engine limits (max_owners caps monitors) */
	uint32_t max_timers;         /* user timers (default 65536) */
	uint64_t timer_tick_ns;      /* timer wheel granularity (default 1 ms) */
	uint32_t max_injected;       /* recorded injected frames kept (default 1024) */
	struct mos_stream_pool_config streams; /* reassembly pool, made when a monitor first asks for streams (event_cb/event_ctx are the engine's) */
	bool no_defrag;              /* true: IP fragments are not reassembled (first fragments are tracked alone) */
	struct mos_ipfrag_config frags; /* IP fragment reassembly table (mos/ipfrag.h) */
	uint32_t inject_bytes;       /* byte area holding the injected frames between two drains (default 256 KiB) */
};

/* Defaults: see docs/flow.md. */
void mos_ctx_config_default(struct mos_ctx_config *cfg);

/* Create a context (@cfg NULL = defaults). NULL with errno on failure. */
struct mos_ctx *mos_ctx_create(const struct mos_ctx_config *cfg);

/* Free a context. Flows still tracked are dropped WITHOUT conn_end: call
 * mos_ctx_finish() first. NULL is allowed. */
void mos_ctx_destroy(struct mos_ctx *ctx);

/* A pointer for the application, per context. */
void mos_ctx_set_user(struct mos_ctx *ctx, void *user);
void *mos_ctx_get_user(const struct mos_ctx *ctx);

/* The context's core number (config.core). */
int mos_ctx_core(const struct mos_ctx *ctx);
/* How many worker cores share the traffic (config.n_workers, at least 1):
 * with mos_ctx_core, what a program needs to pick addresses or ports whose
 * packets come back to this core (mos/rss.h, examples/nat). */
unsigned mos_ctx_workers(const struct mos_ctx *ctx);

/* --- feeding the engine ---------------------------------------------- */

/* Verdicts of mos_ctx_input. */
enum mos_verdict {
	MOS_VERDICT_FORWARD = 0,     /* pass the frame on (inline) */
	MOS_VERDICT_DROP = 1,        /* a callback dropped it (mos_pkt_drop) */
};

/*
 * Process one decoded frame of link type @linktype (enum mos_linktype):
 * advance the clock to its time (never backwards), expire flows and fire
 * timers that are due, run raw monitors (they see every frame, fragments
 * included), reassemble IP fragments (a fragment is held; the fragment
 * that completes a datagram is replaced by the whole datagram, decoded
 * again with the fragment's VLAN tags, and edits or drops then apply to
 * that copy), then flow lookup, TCP tracking and events. The frame bytes (pkt->data) may be modified in place by
 * callbacks. @pkt must stay valid until mos_ctx_burst_end().
 * Returns enum mos_verdict.
 */
int mos_ctx_input(struct mos_ctx *ctx, const struct mos_pkt *pkt, int linktype);

/*
 * Lookups prefetched ahead of the frames' turn, for loops that feed
 * frames one at a time between other work (mos_ctx_input_burst does the
 * same for a burst): mos_ctx_hint_group computes the flow keys of @n
 * packets (at most MOS_CTX_HINT_GROUP) and prefetches, in stages, their
 * hash buckets, entries and streams; mos_ctx_input_hinted is
 * mos_ctx_input using packet i's hint. A hint is only a hint: the lookup
 * is done when the frame's turn comes, so results are those of
 * mos_ctx_input. @ctx is not NULL.
 */
#define MOS_CTX_HINT_GROUP 32
struct mos_ctx_hint {
	struct mos_flow_key key;     /* the key, when valid */
	uint64_t hash;               /* mos_flow_key_hash(&key) */
	bool valid;                  /* the packet has a key */
	bool src_is_lo;              /* from mos_flow_key_from_pkt */
};
void mos_ctx_hint_group(struct mos_ctx *ctx, const struct mos_pkt *pkts, uint16_t n,
			struct mos_ctx_hint *h);
int mos_ctx_input_hinted(struct mos_ctx *ctx, const struct mos_pkt *pkt, int linktype,
			 const struct mos_ctx_hint *h);

/*
 * Frames given to @ctx from now on are borrowed: read-only memory (a
 * capture file mapped and shared by several workers), valid until
 * mos_ctx_burst_end. Before handing out writable bytes (mos_get_pkt,
 * mos_pkt_overwrite) the context copies the current frame to memory of its
 * own, and the packet's data pointer then points to the copy until the
 * burst ends; at most MOS_COW_FRAMES (256) frames between two
 * mos_ctx_burst_end can be copied (then those calls report no bytes,
 * -ENOMEM). The packet structures themselves must be writable.
 */
void mos_ctx_set_borrowed(struct mos_ctx *ctx, bool on);

/* End of a burst: deliver conn_new_data (once per stream per burst). */
void mos_ctx_burst_end(struct mos_ctx *ctx);

/* Advance the clock with no packet: expire flows, fire timers. */
void mos_ctx_advance(struct mos_ctx *ctx, uint64_t now_ns);

/* The earliest clock at which mos_ctx_advance does more than raise the
 * clock: a flow's idle timeout, the next timer tick or a fragment timeout.
 * Until then a caller that reads nothing of the context may skip
 * advancing. Changes with every input and advance. */
uint64_t mos_ctx_due(const struct mos_ctx *ctx);

/* End of input: deliver pending events, then end every flow (reason eof,
 * or fin/rst for closed flows still lingering), raising conn_end. */
void mos_ctx_finish(struct mos_ctx *ctx);

/* The packet clock (ns since the epoch). */
uint64_t mos_ctx_now(const struct mos_ctx *ctx);

/* Fill @stage so that a mos_app program feeds @ctx (burst, tick, finish).
 * The stage reads each frame's link type from its mbuf. */
void mos_ctx_stage(struct mos_ctx *ctx, struct mos_stage *stage);

/* Counters of a context. */
struct mos_ctx_stats {
	uint64_t packets;            /* frames given to mos_ctx_input */
	uint64_t tcp;                /* TCP packets of tracked flows */
	uint64_t udp;                /* UDP packets of tracked flows */
	uint64_t midstream;          /* TCP flows picked up midstream */
	uint64_t orphans;            /* frames that belong to no tracked flow */
	uint64_t not_monitored;      /* new flows no monitor wanted (counted in orphans) */
	uint64_t refused;            /* new flows refused by a full table (counted in orphans) */
	uint64_t port_reuse;         /* SYNs that ended a previous connection on the same tuple */
	uint64_t dropped;            /* frames dropped by callbacks */
	uint64_t injected;           /* frames recorded (mos_reset_conn, mos_inject_tcp) */
	uint64_t injected_lost;      /* frames not recorded: max_injected frames or inject_bytes bytes already held */
	uint64_t resets;             /* mos_reset_conn calls that recorded their two RSTs */
	uint64_t timers_fired;       /* user timers fired */
	uint64_t raw_filter_errors;  /* raw/orphan/SYN filters that failed to compile for a link type */
	uint64_t fragments;          /* IP fragments given to the reassembly table */
	uint64_t reassembled;        /* datagrams it completed (processed as one packet each) */
	uint64_t timers_refused;     /* mos_timer_set calls refused: max_timers timers pending */
	uint64_t raises_refused;     /* mos_raise_event calls refused: MOS_EVSYS_MAX_RAISED queued */
	/* Occurrences of each built-in event, indexed by enum
	 * mos_event_builtin, counted whether or not a callback listens:
	 * once per packet, connection or endpoint change as docs/events.md
	 * ("Counts") defines, not once per hook. */
	uint64_t events[MOS_EV_BUILTIN_COUNT];
};

/* The context's IP fragment table (NULL with config.no_defrag). */
struct mos_ipfrag_table *mos_ctx_ipfrag(struct mos_ctx *ctx);
const struct mos_ctx_stats *mos_ctx_stats(const struct mos_ctx *ctx);

/* The flow table and event engine of a context (for statistics/tests). */
struct mos_flow_table *mos_ctx_flows(struct mos_ctx *ctx);
struct mos_evsys *mos_ctx_events(struct mos_ctx *ctx);

/* --- monitors ------------------------------------------------------------ */

/* Create a monitor of enum mos_monitor_type @type. With no filter it
 * matches everything. NULL with errno EINVAL / ENOSPC / ENOMEM. */
struct mos_monitor *mos_monitor_create(struct mos_ctx *ctx, int type);

/*
 * Stream monitor scope: @syn_filter decides on a flow's first packet
 * whether this monitor follows the flow; @orphan_filter selects the
 * orphan packets it gets. NULL = everything. Returns 0, -EINVAL (syntax
 * error, or a raw monitor), -ENOMEM. Applies to flows created afterwards.
 */
int mos_monitor_set_filter(struct mos_monitor *m, const char *syn_filter,
			   const char *orphan_filter);
/* Raw monitor scope (NULL = every frame). Returns 0 or -EINVAL. */
int mos_monitor_set_raw_filter(struct mos_monitor *m, const char *filter);
/*
 * Reassembly wish of a stream monitor: buffer the bytes RECEIVED by @side
 * (mOS convention: MOS_SIDE_CLI = the client's receive buffer = what the
 * server sends; MOS_SIDE_BOTH = both) in a window of @buf_size bytes
 * (0 = off) with overlap policy @policy (enum mos_stream_policy). Flows
 * created afterwards whose monitors want a side get a stream for it,
 * allocated at its first payload from the context's pool (largest window
 * and first policy among the monitors). Returns 0, -EINVAL, -ENOMEM.
 */
int mos_monitor_set_stream(struct mos_monitor *m, int side, uint32_t buf_size, int policy);
/*
 * The monitor never reads the bytes @side receives (@on): it wants their
 * counts only (stream, gap and retransmitted bytes). A flow whose monitors
 * wanting that side are all count-only, and none of which listens to
 * overlap_mismatch, gets a count-only stream (mos_stream_config.discard):
 * the bytes are never stored. Default off. Returns 0 or -EINVAL.
 */
int mos_monitor_set_stream_count_only(struct mos_monitor *m, int side, bool on);

/* Whether a stream monitor follows flows picked up midstream (default
 * true). Returns 0 or -EINVAL. */
int mos_monitor_set_midstream(struct mos_monitor *m, bool on);
/* A pointer for the application, per monitor. */
void mos_monitor_set_uctx(struct mos_monitor *m, void *uctx);
void *mos_monitor_get_uctx(const struct mos_monitor *m);
struct mos_ctx *mos_monitor_ctx(const struct mos_monitor *m);

/*
 * Listener-wide registration: @cb runs for @ev at @hook on every flow of
 * this monitor, existing and future (and for raw monitors, every frame
 * that passes). Legal hooks per event: docs/events.md. @user is handed
 * to @cb in arg->user. Returns 0, -EINVAL (unknown event, illegal hook,
 * NULL cb), -EEXIST, -ENOSPC.
 */
int mos_register_callback(struct mos_monitor *m, uint32_t ev, int hook,
			  mos_callback_fn cb, void *user);
/* Remove it (@cb NULL: all callbacks of (ev, hook)). 0 or -ENOENT. */
int mos_unregister_callback(struct mos_monitor *m, uint32_t ev, int hook, mos_callback_fn cb);

/*
 * Per-flow registration (mOS: registering on an active socket): only
 * @flow gets @cb; other flows are untouched. O(1) amortised; the flow
 * keeps one shared set id. Returns 0 or -errno (-EINVAL, -ENOSPC).
 */
int mos_register_flow_callback(struct mos_monitor *m, struct mos_flow *flow, uint32_t ev,
			       int hook, mos_callback_fn cb, void *user);
/* Per-flow removal: also masks a listener-wide registration for this flow
 * only. Returns 0 or -errno. */
int mos_unregister_flow_callback(struct mos_monitor *m, struct mos_flow *flow, uint32_t ev,
				 int hook, mos_callback_fn cb);

/* --- user-defined events -------------------------------------------- */

/* Define a UDE (see mos_evsys_define). Returns the id or -errno. */
int mos_define_event(struct mos_ctx *ctx, uint32_t parent, mos_filter_fn filter,
		     const void *arg, size_t len);
/* Allocate a floating event under @parent: it fires only when raised. */
int mos_alloc_event(struct mos_ctx *ctx, uint32_t parent);
/*
 * Raise UDE/floating event @ev for @flow (NULL: the context's orphan
 * scope) on @side. Inside a callback or filter it is delivered right
 * after the current dispatch, at the same hook, with the same packet.
 * Outside (e.g. from a timer) it is delivered now at the legal hooks of
 * its root built-in. Returns 0 or -errno: -EINVAL, or -ENOSPC when the
 * dispatch already queued MOS_EVSYS_MAX_RAISED events (counted in
 * mos_ctx_stats.raises_refused).
 */
int mos_raise_event(struct mos_ctx *ctx, struct mos_flow *flow, int side, uint32_t ev);

/* Load a compiler-made static forest (mos/abi.h): creates its monitors,
 * defines its events, registers its handlers. @mons (n_monitors slots)
 * and @ids (n_events slots) receive the results; both may be NULL.
 * Returns 0, -EPROTO (ABI version mismatch), -EINVAL, -ENOSPC. */
int mos_ctx_load_forest(struct mos_ctx *ctx, const struct mos_abi_forest *forest,
			struct mos_monitor **mons, uint32_t *ids);

/* --- flows -------------------------------------------------------------- */

/* Per-flow user pointer (one per flow, shared by the context's monitors;
 * NULL until set, cleared when the flow's entry is reused). It is kept
 * outside struct mos_flow, in a side array of @ctx's flow table reserved
 * on the first set (mos_flow_table_set_uctx), so flows that never set one
 * pay nothing for it. set returns 0, -EINVAL (a NULL argument or a flow
 * not of @ctx) or -ENOMEM (the array could not be reserved). */
int mos_flow_set_uctx(struct mos_ctx *ctx, struct mos_flow *flow, void *uctx);
void *mos_flow_get_uctx(const struct mos_ctx *ctx, const struct mos_flow *flow);
/* The flow's zeroed user area of config.flows.user_size bytes (NULL if 0). */
void *mos_flow_user_area(struct mos_ctx *ctx, const struct mos_flow *flow);

/* RFC 9293 state of one side (enum mos_tcp_state), -EINVAL for a bad side.
 * UDP flows report ESTABLISHED. */
int mos_flow_state(const struct mos_flow *flow, int side);
/* Packet clock of the last packet sent by @side (MOS_SIDE_BOTH: either). */
uint64_t mos_flow_last_activity(const struct mos_flow *flow, int side);
/* Address and port of @side. Returns 0 or -EINVAL. */
int mos_flow_peer(const struct mos_flow *flow, int side, struct mos_addr *addr, uint16_t *port);
/* As sockaddr_in/sockaddr_in6 (IPv4-mapped addresses become AF_INET):
 * CLI or SVR fill ss[0]; BOTH fills ss[0] = client, ss[1] = server. */
int mos_getpeername(const struct mos_flow *flow, int side, struct sockaddr_storage *ss);
/* Whether the flow was picked up midstream / is UDP. */
bool mos_flow_is_midstream(const struct mos_flow *flow);
bool mos_flow_is_udp(const struct mos_flow *flow);
/* enum mos_flow_client_by: how the client was chosen. */
int mos_flow_client_by(const struct mos_flow *flow);
/* enum mos_flow_end: why the flow ended (set before conn_end runs). */
int mos_flow_end_reason(const struct mos_flow *flow);
/* Time of the first packet. */
uint64_t mos_flow_start_ns(const struct mos_flow *flow);

/* The reassembly stream of the bytes RECEIVED by @side (NULL when that
 * side is not buffered or no payload arrived yet). Read it with
 * mos_stream_read / mos_stream_peek (mos/stream.h). */
struct mos_stream *mos_flow_stream(const struct mos_flow *flow, int side);

/* Inside an overlap_mismatch, gap or buffer_full callback: the details
 * from the reassembler; NULL elsewhere. */
const struct mos_stream_event *mos_stream_event_current(const struct mos_ctx *ctx);

/* The context's reassembly pool (NULL until a monitor asked for streams). */
struct mos_stream_pool *mos_ctx_stream_pool(struct mos_ctx *ctx);

/* Counters of what one side sent. */
struct mos_flow_side_stats {
	uint64_t pkts;               /* packets */
	uint64_t bytes;              /* payload bytes, retransmissions included */
	uint64_t rexmit_bytes;       /* payload bytes at or below the highest sequence already sent */
	uint64_t rexmit_pkts;        /* retransmitted segments (SYN, SYN-ACK, FIN, data) */
	uint64_t stream_bytes;       /* reassembled in-order bytes (0 when not buffered) */
	uint64_t gap_bytes;          /* bytes skipped over holes (0 when not buffered) */
	bool syn, synack, fin, rst;  /* flags it sent (any, valid or not) */
};
int mos_flow_side_stats(const struct mos_flow *flow, int side, struct mos_flow_side_stats *st);

/*
 * Stop monitoring: no more events of any kind for that side of @flow
 * (MOS_SIDE_BOTH: both; mOS ignored BOTH). The flow stays tracked, so its
 * later packets are neither orphans nor a new flow; with both sides
 * stopped, conn_end is not raised for it either. Returns 0 or -EINVAL.
 */
int mos_flow_stop(struct mos_ctx *ctx, struct mos_flow *flow, int side);

/* --- the current packet ------------------------------------------------ */

struct mos_pkt_view {
	const struct mos_pkt *pkt;   /* decoded packet; NULL when the event has none */
	uint8_t *data;               /* its frame bytes, writable; NULL when none */
	uint32_t caplen;             /* captured bytes */
	int linktype;                /* enum mos_linktype, -1 when none */
	int side;                    /* side that SENT it (MOS_SIDE_BOTH: no flow / no packet) */
	uint64_t ts_ns;              /* packet time, or the clock when there is no packet */
	uint64_t offset;             /* stream offset of its first payload byte (seq - ISN - 1, 64-bit, wraps counted), 0 if unknown */
};

/*
 * The packet whose processing raised the current event. Events with a
 * packet: everything at MOS_HOOK_SND/RCV, orphan, raw pkt_in, and
 * conn_new_data (the last packet that brought new data for that stream
 * in this burst). Events without one — conn_end, timeout, timers, raised
 * events outside a dispatch — get -ENOENT and a view with pkt = NULL,
 * side = MOS_SIDE_BOTH and ts_ns = the clock (flow details are available
 * through the mos_flow_* accessors). Never exits. Returns 0 or -ENOENT.
 */
int mos_get_pkt(struct mos_ctx *ctx, struct mos_pkt_view *view);

/* The current packet, read-only, and in *@side (may be NULL) the side
 * that sent it: what mos_get_pkt gives, without making its bytes
 * writable (no copy of a borrowed frame). NULL (side MOS_SIDE_BOTH) when
 * the event has no packet. */
const struct mos_pkt *mos_cur_pkt(const struct mos_ctx *ctx, int *side);

/* mos_pkt_overwrite flags */
#define MOS_PKT_CSUM_IP  1u          /* recompute the IPv4 header checksum */
#define MOS_PKT_CSUM_L4  2u          /* recompute the TCP, UDP, ICMP or ICMPv6 checksum */
#define MOS_PKT_CSUM_INCR 4u         /* with the above: update them for the replaced bytes only
				      * (RFC 1624), O(len): what a NAT wants; works on a first
				      * fragment and on truncated captures; a UDP checksum of 0
				      * (none) stays 0; the checksums must have been right before */

/*
 * Overwrite @len bytes of the current frame at frame offset @off with
 * @data, then fix checksums per @flags. Offsets are bounds-checked against
 * the captured length. Returns 0, -ENOENT (no current packet), -EINVAL
 * (out of bounds, or the checksum cannot be computed because the packet is
 * truncated or fragmented; with MOS_PKT_CSUM_INCR: no transport header).
 * With MOS_PKT_CSUM_INCR, a checksum is updated only if the bytes lie in
 * what it covers (the IPv4 header; the TCP, UDP or ICMP message, and the IP
 * addresses for TCP, UDP and ICMPv6, whose checksums cover a pseudo-header).
 * In a raw monitor's pkt_in (before the flow lookup), a rewrite changes
 * the flow the frame belongs to: once the raw monitors ran, the frame is
 * decoded again, in place (the struct mos_pkt given to mos_ctx_input is
 * updated), and looked up with its new addresses and ports: a NAT rewrites
 * a reply's destination back to the inside endpoint there, so both
 * directions meet in one flow (examples/nat). Elsewhere the decoded packet
 * is left as it was (the flow was already found).
 */
int mos_pkt_overwrite(struct mos_ctx *ctx, uint32_t off, const void *data, uint32_t len,
		      unsigned flags);
/*
 * @csum, an Internet checksum field (host order), updated for @len bytes
 * (even, at an even distance from the start of what it covers) changing
 * from @was to @now (RFC 1624, eqn. 3). For the checksums
 * mos_pkt_overwrite does not keep: those of the headers an ICMP error
 * quotes (examples/nat), or of a tunnel's inner packet.
 */
uint16_t mos_csum_update(uint16_t csum, const void *was, const void *now, uint32_t len);
/* Drop the current frame (verdict MOS_VERDICT_DROP). 0 or -ENOENT. */
int mos_pkt_drop(struct mos_ctx *ctx);

/* A frame recorded for injection (raw IP, no link header). */
struct mos_injected {
	const uint8_t *frame;        /* IPv4 or IPv6 header, TCP header, payload: in the context's
				      * inject area, valid until mos_ctx_injected_clear() */
	uint16_t len;                /* bytes */
	uint8_t to_side;             /* side it is addressed to */
	uint64_t ts_ns;              /* clock when recorded */
};

/*
 * Injected frames are recorded in the context, not sent: a mos_app loop
 * running inline (--inline, --inline-out) takes them after every burst
 * and tick (mos_ctx_stage's drain_injected) and sends each toward the
 * endpoint it is addressed to; elsewhere they stay recorded
 * (mos_ctx_injected). Between two drains the context holds at most
 * config.max_injected frames in config.inject_bytes bytes; a frame that
 * does not fit is not recorded and is counted (injected_lost): the policy
 * when full is to drop the newest. Recording never changes the flow's
 * state (the runtime sees an injected frame only if it comes back in).
 */

/*
 * Reset @flow: record one RST toward each endpoint, with sequence numbers
 * that the receiver accepts (its RCV.NXT as we see it). Both or none are
 * recorded. Returns 0, -EINVAL (not TCP), -ENOSPC (no room, counted).
 */
int mos_reset_conn(struct mos_ctx *ctx, struct mos_flow *flow);

/*
 * Record a TCP segment of @flow as if endpoint @from (MOS_SIDE_CLI/SVR)
 * sent it to its peer: the flow's addresses and ports, sequence number
 * @seq, flags @tcp_flags (MOS_TCP_*), the acknowledgement number and
 * window @from sent last (the ACK flag is cleared when @from never sent
 * one), @opts_len bytes of TCP options @opts (0..40, a multiple of 4,
 * copied as they are), @len bytes of @payload (copied), IPv4 TTL / IPv6
 * hop limit 64, IPv4 id 0, valid checksums. A retransmission of bytes the
 * sender already sent (Halfback, examples/halfback) is a call with their
 * sequence number, options (timestamps: a receiver that negotiated them
 * may drop a segment without) and bytes. Callable anywhere the flow is
 * valid (handlers, timers). Returns 0, -EINVAL (NULL, not TCP, bad side,
 * bad @opts_len, @len > 65000), -ENOSPC (no room, counted in
 * injected_lost).
 */
int mos_inject_tcp(struct mos_ctx *ctx, struct mos_flow *flow, int from, uint32_t seq,
		   uint8_t tcp_flags, const void *opts, uint32_t opts_len,
		   const void *payload, uint32_t len);

/* The recorded frames since the last mos_ctx_injected_clear(). */
const struct mos_injected *mos_ctx_injected(const struct mos_ctx *ctx, uint32_t *n);
void mos_ctx_injected_clear(struct mos_ctx *ctx);

/* --- timers ---------------------------------------------------------------- */

/* A timer callback: @flow is NULL for a core timer. */
typedef void (*mos_timer_fn)(struct mos_ctx *ctx, struct mos_flow *flow, int id, void *arg);

/*
 * One-shot timer firing @delay_ns after the current clock (packet time
 * offline), on a timer wheel of config.timer_tick_ns granularity. With
 * @flow, a per-flow timer: it never fires after the flow ended (it is
 * silently cancelled). Returns the timer id (> 0) or -EINVAL / -ENOSPC
 * (config.max_timers pending; counted in mos_ctx_stats.timers_refused).
 */
int mos_timer_set(struct mos_ctx *ctx, struct mos_flow *flow, uint64_t delay_ns,
		  mos_timer_fn fn, void *arg);
/* Cancel a pending timer. 0 or -ENOENT. */
int mos_timer_cancel(struct mos_ctx *ctx, int id);

#endif /* MOS_MOS_H */
