/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/builtins.h — what the language knows without being told: value
 * types, built-in events with their legal hooks (mirrors MOS_BUILTIN_EVENTS
 * in runtime/include/mos/event.h: same order, same names, same hooks), the
 * packet and flow field catalogue, built-in functions and TCP state names.
 * Static tables only; the back end reads the same tables.
 *
 * Thread-safety: read-only data, safe everywhere.
 */
#ifndef MOSC_BUILTINS_H
#define MOSC_BUILTINS_H

#include <stdbool.h>
#include <stdint.h>

/* Value types: X(ID, "name", declarable as state). */
#define BI_TYPES(X)                                                            \
	X(ERROR,    "<error>",   false)                                        \
	X(VOID,     "void",      false)                                        \
	X(BOOL,     "bool",      true)                                         \
	X(U8,       "u8",        true)                                         \
	X(U16,      "u16",       true)                                         \
	X(U32,      "u32",       true)                                         \
	X(U64,      "u64",       true)                                         \
	X(I8,       "i8",        true)                                         \
	X(I16,      "i16",       true)                                         \
	X(I32,      "i32",       true)                                         \
	X(I64,      "i64",       true)                                         \
	X(INT,      "integer",   false)                                        \
	X(STR,      "str",       true)                                         \
	X(BYTES,    "bytes",     true)                                         \
	X(IP,       "ip",        true)                                         \
	X(PREFIX,   "prefix",    true)                                         \
	X(DURATION, "duration",  true)                                         \
	X(SIZE,     "size",      true)                                         \
	X(SIDE,     "side",      false)                                        \
	X(TCPSTATE, "tcp_state", false)                                        \
	X(FLOW,     "flow",      false)                                        \
	X(SET,      "set",       false)                                        \
	X(LIST,     "u64[]",     false)

enum bi_type {
#define BI_X_(id, name, decl) BI_T_##id,
	BI_TYPES(BI_X_)
#undef BI_X_
	BI_T_COUNT
};

/* Hook bits (same values as MOS_HOOKBIT_*). */
#define BI_HOOK_NONE (1u << 0)
#define BI_HOOK_SND  (1u << 1)
#define BI_HOOK_RCV  (1u << 2)

/* What an event's handlers can read. */
#define BI_HAS_PKT  (1u << 0)        /* a current packet (pkt.*, drop) */
#define BI_HAS_FLOW (1u << 1)        /* a flow (flow.*, state, side, reset, stop) */
#define BI_UDP      (1u << 2)        /* the packet is UDP, not TCP */

/*
 * Built-in events: X(ID, "name", legal hooks, context, "trigger").
 * Order and hooks mirror the runtime's MOS_BUILTIN_EVENTS.
 */
#define BI_EVENTS(X)                                                                           \
	X(PKT_IN, "pkt_in", BI_HOOK_SND | BI_HOOK_RCV | BI_HOOK_NONE, BI_HAS_PKT | BI_HAS_FLOW,       \
	  "every packet of a monitored flow, at each hook; in a raw monitor every packet passing its filter") \
	X(CONN_START, "conn_start", BI_HOOK_SND | BI_HOOK_RCV, BI_HAS_PKT | BI_HAS_FLOW,             \
	  "the connection's first SYN: at @snd when the client sends it, at @rcv when the server side receives it") \
	X(REXMIT, "rexmit", BI_HOOK_SND | BI_HOOK_RCV, BI_HAS_PKT | BI_HAS_FLOW,                     \
	  "a segment carrying bytes, SYN or FIN already seen (a retransmission)")                     \
	X(TCP_STATE_CHANGE, "tcp_state_change", BI_HOOK_SND | BI_HOOK_RCV, BI_HAS_PKT | BI_HAS_FLOW, \
	  "an endpoint's TCP state (RFC 9293) changed on a packet")                                   \
	X(CONN_END, "conn_end", BI_HOOK_SND | BI_HOOK_RCV | BI_HOOK_NONE, BI_HAS_FLOW,               \
	  "an endpoint was destroyed: once per side at @snd/@rcv, once per connection without a hook") \
	X(CONN_NEW_DATA, "conn_new_data", BI_HOOK_NONE, BI_HAS_FLOW,                                  \
	  "new in-order bytes are readable in one side's reassembly buffer ('side' says which)")     \
	X(ORPHAN, "orphan", BI_HOOK_NONE, BI_HAS_PKT,                                                 \
	  "a TCP packet that belongs to no tracked flow and does not start one")                      \
	X(ERROR, "error", BI_HOOK_NONE, BI_HAS_FLOW,                                                  \
	  "a segment beyond the receive window, or unread bytes about to be overwritten")             \
	X(CONN_ESTABLISHED, "conn_established", BI_HOOK_RCV, BI_HAS_PKT | BI_HAS_FLOW,               \
	  "the three-way handshake completed (the final ACK was received)")                           \
	X(UDP_PKT, "udp_pkt", BI_HOOK_SND | BI_HOOK_RCV, BI_HAS_PKT | BI_HAS_FLOW | BI_UDP,          \
	  "a datagram of a tracked UDP flow")                                                         \
	X(TIMEOUT, "timeout", BI_HOOK_NONE, BI_HAS_FLOW,                                              \
	  "the flow expired (idle, closed or UDP timeout) and is about to be removed")                \
	X(OVERLAP_MISMATCH, "overlap_mismatch", BI_HOOK_NONE, BI_HAS_FLOW,                            \
	  "a segment overlapped buffered bytes with different data (anomaly)")                        \
	X(GAP, "gap", BI_HOOK_NONE, BI_HAS_FLOW,                                                      \
	  "the reassembler gave up waiting and skipped missing bytes (anomaly)")                      \
	X(BUFFER_FULL, "buffer_full", BI_HOOK_NONE, BI_HAS_FLOW,                                      \
	  "a side's reassembly buffer reached its size (anomaly)")                                    \
	X(RST_OUT_OF_WINDOW, "rst_out_of_window", BI_HOOK_SND | BI_HOOK_RCV, BI_HAS_PKT | BI_HAS_FLOW, \
	  "a RST whose sequence number is outside the receive window (anomaly)")

enum bi_event {
#define BI_X_(id, name, hooks, ctx, doc) BI_EV_##id,
	BI_EVENTS(BI_X_)
#undef BI_X_
	BI_EV_COUNT
};

/* One built-in event. */
struct bi_event_info {
	const char *name;            /* language name */
	unsigned hooks;              /* BI_HOOK_* bits that are legal */
	unsigned ctx;                /* BI_HAS_* bits */
	const char *doc;             /* one-line trigger */
};
extern const struct bi_event_info bi_events[BI_EV_COUNT];

/* Which packets a field exists for. */
enum bi_proto { BI_ANY, BI_TCP, BI_UDP_ONLY };

/* Field catalogue: X("path", type, proto, "doc"). */
#define BI_PKT_FIELDS(X)                                                               \
	X("pkt.len",             U32,      BI_ANY, "length of the packet on the wire")       \
	X("pkt.time",            DURATION, BI_ANY, "capture time since the epoch")           \
	X("pkt.vlan",            U16,      BI_ANY, "outer VLAN id (0 when untagged)")        \
	X("pkt.ip.version",      U8,       BI_ANY, "4 or 6")                                 \
	X("pkt.ip.src",          IP,       BI_ANY, "source address")                         \
	X("pkt.ip.dst",          IP,       BI_ANY, "destination address")                    \
	X("pkt.ip.ttl",          U8,       BI_ANY, "TTL / hop limit")                        \
	X("pkt.ip.proto",        U8,       BI_ANY, "transport protocol number")              \
	X("pkt.ip.len",          U16,      BI_ANY, "IP total length")                        \
	X("pkt.ip.id",           U16,      BI_ANY, "IPv4 identification (0 for IPv6)")       \
	X("pkt.tcp.sport",       U16,      BI_TCP, "TCP source port")                        \
	X("pkt.tcp.dport",       U16,      BI_TCP, "TCP destination port")                   \
	X("pkt.tcp.seq",         U32,      BI_TCP, "sequence number")                        \
	X("pkt.tcp.ack",         U32,      BI_TCP, "acknowledgement number")                 \
	X("pkt.tcp.win",         U16,      BI_TCP, "window (unscaled)")                      \
	X("pkt.tcp.flags",       U8,       BI_TCP, "flag byte (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32)") \
	X("pkt.tcp.flags.syn",   BOOL,     BI_TCP, "SYN set")                                \
	X("pkt.tcp.flags.ack",   BOOL,     BI_TCP, "ACK set")                                \
	X("pkt.tcp.flags.fin",   BOOL,     BI_TCP, "FIN set")                                \
	X("pkt.tcp.flags.rst",   BOOL,     BI_TCP, "RST set")                                \
	X("pkt.tcp.flags.psh",   BOOL,     BI_TCP, "PSH set")                                \
	X("pkt.tcp.flags.urg",   BOOL,     BI_TCP, "URG set")                                \
	X("pkt.udp.sport",       U16,      BI_UDP_ONLY, "UDP source port")                   \
	X("pkt.udp.dport",       U16,      BI_UDP_ONLY, "UDP destination port")              \
	X("pkt.udp.len",         U16,      BI_UDP_ONLY, "UDP length")                        \
	X("pkt.payload",         BYTES,    BI_ANY, "transport payload of this packet")       \
	X("pkt.payload.len",     U32,      BI_ANY, "its length in bytes")

#define BI_FLOW_FIELDS(X)                                                              \
	X("flow.client",         IP,       BI_ANY, "address of the endpoint that opened the flow") \
	X("flow.server",         IP,       BI_ANY, "address of the other endpoint")          \
	X("flow.client.port",    U16,      BI_ANY, "client port")                            \
	X("flow.server.port",    U16,      BI_ANY, "server port")                            \
	X("flow.client.state",   TCPSTATE, BI_TCP, "client endpoint's TCP state")            \
	X("flow.server.state",   TCPSTATE, BI_TCP, "server endpoint's TCP state")            \
	X("flow.client.bytes",   U64,      BI_ANY, "payload bytes sent by the client")       \
	X("flow.server.bytes",   U64,      BI_ANY, "payload bytes sent by the server")       \
	X("flow.client.pkts",    U64,      BI_ANY, "packets sent by the client")             \
	X("flow.server.pkts",    U64,      BI_ANY, "packets sent by the server")             \
	X("flow.proto",          U8,       BI_ANY, "transport protocol number")              \
	X("flow.vlan",           U16,      BI_ANY, "VLAN id in the flow key (0 if none)")    \
	X("flow.id",             U64,      BI_ANY, "flow number, unique per run and core")   \
	X("flow.duration",       DURATION, BI_ANY, "time since the flow's first packet")   \
	X("flow.start_time",     DURATION, BI_ANY, "capture time of the flow's first packet (since the epoch)") \
	X("flow.last_time",      DURATION, BI_ANY, "capture time of the flow's latest packet (since the epoch)") \
	X("flow.vlans",          LIST,     BI_ANY, "VLAN ids of the flow key: [] untagged, [outer] or [outer, inner]") \
	X("flow.end_reason",     STR,      BI_ANY, "why the flow ended: fin, rst, timeout, eof, evicted (\"\" before)") \
	BI_SIDE_FIELDS(X, "client")                                                    \
	BI_SIDE_FIELDS(X, "server")

/* What one side sent, from mos_flow_side_stats(); stream_bytes and
 * gap_bytes make the monitor reassemble that side. */
#define BI_SIDE_FIELDS(X, S)                                                           \
	X("flow." S ".stream_bytes", U64, BI_TCP, "in-order bytes reassembled from what this side sent") \
	X("flow." S ".gap_bytes",    U64, BI_TCP, "bytes of acknowledged holes skipped in what it sent") \
	X("flow." S ".rexmit_bytes", U64, BI_TCP, "payload bytes it sent again (below its highest sequence)") \
	X("flow." S ".rexmit_pkts",  U64, BI_TCP, "retransmitted segments it sent (data, SYN, FIN)") \
	X("flow." S ".syn",          BOOL, BI_TCP, "it sent a SYN without ACK") \
	X("flow." S ".synack",       BOOL, BI_TCP, "it sent a SYN-ACK")          \
	X("flow." S ".fin",          BOOL, BI_TCP, "it sent a FIN")              \
	X("flow." S ".rst",          BOOL, BI_TCP, "it sent a RST (in window or not)")

/* One catalogue entry. */
struct bi_field {
	const char *path;            /* "pkt.ip.src" */
	enum bi_type type;           /* value type */
	enum bi_proto proto;         /* packets it exists for */
	const char *doc;             /* one line */
};
extern const struct bi_field bi_pkt_fields[];
extern const unsigned bi_pkt_field_count;
extern const struct bi_field bi_flow_fields[];
extern const unsigned bi_flow_field_count;

/* TCP state names, compared as strings with flow.*.state. */
extern const char *const bi_tcp_states[];
extern const unsigned bi_tcp_state_count;

/* Overlap policies accepted by the 'overlap' option. */
extern const char *const bi_overlap_policies[];
extern const unsigned bi_overlap_policy_count;

/* Name of a type. */
const char *bi_type_name(enum bi_type t);
/* Declarable state type by name, or BI_T_ERROR. */
enum bi_type bi_type_lookup(const char *name);
/* True for the fixed-width integer types and untyped integers. */
bool bi_type_is_int(enum bi_type t);
bool bi_type_is_signed(enum bi_type t);
/* Width in bits of an integer type (64 for INT). */
unsigned bi_type_bits(enum bi_type t);
/* Built-in event by name, or -1. */
int bi_event_lookup(const char *name);
/* Catalogue entry by full path, or NULL. */
const struct bi_field *bi_field_lookup(const char *path);
/* "'@snd' or '@rcv'" style list of legal hooks (static buffer). */
const char *bi_hooks_text(unsigned hooks);

#endif /* MOSC_BUILTINS_H */
