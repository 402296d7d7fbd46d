/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/rss.h — the symmetric hash that decides which worker core owns a
 * packet, the same on every path: offline distribution (-r FILE
 * --workers N) and the software fallback for ports that cannot hash.
 *
 * The hash is Toeplitz (what NICs compute for RSS) over the source and
 * destination IP addresses only, with the 40-byte key of repeated 0x6d5a:
 * with that key, swapping source and destination gives the same value, so
 * both directions of a connection land on the same worker. Ports are NOT
 * hashed: IP fragments (which carry no ports after the first) then reach
 * the worker of their connection, and a reassembled datagram meets the
 * rest of its flow. The addresses are those of the innermost IP header
 * (struct mos_pkt src/dst, what the flow key uses); VLAN ids are not
 * hashed, so flows that differ only by VLAN share a worker, which is
 * correct whether or not the program keys flows by VLAN. Frames without
 * an IP header hash to 0 (worker 0).
 *
 * Thread-safety: pure functions.
 */
#ifndef MOS_RSS_H
#define MOS_RSS_H

#include <stdint.h>

#include "mos/decode.h"

/* Length of the symmetric Toeplitz key (bytes). */
#define MOS_RSS_KEY_LEN 40

/* The symmetric key: 0x6d, 0x5a repeated (Woo and Park, 2012). */
extern const uint8_t mos_rss_sym_key[MOS_RSS_KEY_LEN];

/* Symmetric hash of @p's IP addresses (0 without an IP header). */
uint32_t mos_rss_hash(const struct mos_pkt *p);

/* Worker owning hash @h among @n workers (n >= 1): h mapped onto [0, n)
 * by multiplication, so any n spreads evenly. */
static inline unsigned
mos_rss_worker(uint32_t h, unsigned n)
{
	return (unsigned)(((uint64_t)h * n) >> 32);
}

#endif /* MOS_RSS_H */
