/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/stats.h — run statistics: packet and protocol counts, malformed
 * reasons, written as one JSON object by --stats FILE.
 *
 * Counters are per worker core (no sharing on the data path) and summed
 * with mos_stats_add() at the end of a run.
 */
#ifndef MOS_STATS_H
#define MOS_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "mos/decode.h"

struct mos_stats {
	uint64_t packets;            /* frames read */
	uint64_t bytes;              /* wire bytes of those frames */
	uint64_t ipv4;               /* frames containing IPv4 (any depth) */
	uint64_t ipv6;               /* frames containing IPv6 (any depth) */
	uint64_t tcp;                /* frames containing TCP (any depth) */
	uint64_t udp;                /* frames containing UDP (any depth) */
	uint64_t icmp;               /* frames containing ICMP (any depth) */
	uint64_t icmpv6;             /* frames containing ICMPv6 (any depth) */
	uint64_t ip_fragments;       /* IPv4 or IPv6 fragments */
	uint64_t vlan_tagged;        /* frames with at least one VLAN tag */
	uint64_t truncated;          /* frames cut by the capture snaplen */
	uint64_t malformed[MOS_MALFORMED_COUNT]; /* by reason; [0] unused */
};

/* Count one decoded frame. Thread-safety: per-core stats only. */
void mos_stats_count(struct mos_stats *st, const struct mos_pkt *pkt);

/* dst += src, field by field. */
void mos_stats_add(struct mos_stats *dst, const struct mos_stats *src);

/* Total of all malformed reasons. */
uint64_t mos_stats_malformed_total(const struct mos_stats *st);

/*
 * Write @st as one JSON object followed by a newline. Keys in a fixed
 * order; "malformed" is an object of reason name -> count that lists every
 * reason with a non-zero count. Returns 0, or -errno on a write error.
 */
int mos_stats_write_json(const struct mos_stats *st, FILE *out);

#endif /* MOS_STATS_H */
