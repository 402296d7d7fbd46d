/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/ipfrag.h — IPv4 and IPv6 fragment reassembly, before flow lookup.
 *
 * A per-core table of datagrams being reassembled, keyed by (IP version,
 * source, destination, protocol, identification). Each datagram's bytes are
 * kept in a struct mos_stream (offset = fragment offset) from the table's
 * own stream pool, so memory is preallocated and capped, and overlapping
 * fragments are resolved by the same overlap policies (mos/stream.h) and
 * counted the same way: an overlap with different bytes is a conflict.
 *
 * When the last missing fragment arrives, the whole datagram is written
 * out as a raw IP packet (link type MOS_LINK_RAW): the first fragment's
 * header (IPv4: length, flags and checksum fixed; IPv6: the fragment header
 * removed from the chain) followed by the reassembled payload. Decode it
 * again with mos_decode(out, n, n, MOS_LINK_RAW, ...); link-level data
 * (VLAN tags) is the caller's to carry over from the completing fragment.
 *
 * Datagrams expire a fixed time after their first fragment (like Linux's
 * ipfrag_time). Thread-safety: a table belongs to one lcore.
 */
#ifndef MOS_IPFRAG_H
#define MOS_IPFRAG_H

#include <stdint.h>

#include "mos/decode.h"
#include "mos/stream.h"

/* Largest reassembled packet written by mos_ipfrag_push: a 65535-byte
 * datagram payload behind the largest header kept. */
#define MOS_IPFRAG_HDR_MAX 256u
#define MOS_IPFRAG_OUT_MAX (65535u + MOS_IPFRAG_HDR_MAX)

struct mos_ipfrag_config {
	uint32_t max_datagrams;      /* datagrams in reassembly at once; default 1024 */
	uint32_t max_frags;          /* fragments per datagram; default 64 */
	uint32_t n_pages;            /* 4 KiB pages for fragment bytes; default 4 * max_datagrams */
	uint64_t timeout_ns;         /* lifetime of a datagram from its first fragment; default 30 s */
	enum mos_stream_policy policy; /* overlap policy; default first */
};

/* Counters, X(ID, "name"): names are stable. */
#define MOS_IPFRAG_COUNTERS(X)                                               \
	X(FRAGMENTS,   "fragments")    /* fragments accepted */               \
	X(DATAGRAMS,   "datagrams")    /* datagrams completed */              \
	X(OVERLAPS,    "overlaps")     /* fragments overlapping earlier ones */\
	X(CONFLICTS,   "conflicts")    /* overlaps with different bytes */    \
	X(TIMEOUTS,    "timeouts")     /* datagrams expired incomplete */     \
	X(TABLE_FULL,  "table_full")   /* fragments dropped: no free entry */ \
	X(TOO_MANY,    "too_many")     /* datagrams dropped: over max_frags */\
	X(TOO_BIG,     "too_big")      /* datagrams dropped: over 65535 bytes */\
	X(BAD,         "bad")          /* fragments dropped: inconsistent (two ends, data past the end, header too long) */\
	X(NO_MEMORY,   "no_memory")    /* datagrams dropped: fragment bytes did not fit the pool */

enum mos_ipfrag_counter {
#define MOS_X_(id, name) MOS_IPFRAG_##id,
	MOS_IPFRAG_COUNTERS(MOS_X_)
#undef MOS_X_
	MOS_IPFRAG_COUNTER_COUNT
};

/* Name of a counter ("conflicts"), NULL if out of range. */
const char *mos_ipfrag_counter_name(enum mos_ipfrag_counter c);

struct mos_ipfrag_table;

/* Create a table (all memory allocated here). NULL + errno on failure. */
struct mos_ipfrag_table *mos_ipfrag_create(const struct mos_ipfrag_config *cfg);

/* Free a table and everything in it. NULL is accepted. */
void mos_ipfrag_free(struct mos_ipfrag_table *t);

/*
 * Add one fragment: @pkt decoded from @frame (MOS_PKT_F_FRAGMENT set; the
 * fragment bytes at pkt->frag_data_off must have been captured), at time
 * @now_ns (expiry runs first). When it completes a datagram, the packet is
 * written to @out (@cap bytes, MOS_IPFRAG_OUT_MAX is always enough) and its
 * length returned. Returns 0 when the fragment was kept, or -errno when it
 * was dropped (counted): -EINVAL (not a fragment, data not captured),
 * -ENOSPC (table full), -EMSGSIZE (datagram too big or @cap too small),
 * -EBADMSG (inconsistent), -E2BIG (too many fragments), -ENOMEM (pool).
 */
int mos_ipfrag_push(struct mos_ipfrag_table *t, const struct mos_pkt *pkt,
		    const uint8_t *frame, uint64_t now_ns, uint8_t *out, uint32_t cap);

/* Expire datagrams older than the timeout at @now_ns. Returns how many. */
unsigned mos_ipfrag_expire(struct mos_ipfrag_table *t, uint64_t now_ns);

/* The earliest clock at which mos_ipfrag_expire would drop a datagram
 * (UINT64_MAX: none pending). */
uint64_t mos_ipfrag_next_expiry(const struct mos_ipfrag_table *t);

/* Datagrams currently in reassembly. */
unsigned mos_ipfrag_pending(const struct mos_ipfrag_table *t);

/* Counter value. */
uint64_t mos_ipfrag_count(const struct mos_ipfrag_table *t, enum mos_ipfrag_counter c);

#endif /* MOS_IPFRAG_H */
