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
 * correct whether or not the program keys flows by VLAN. An ICMP or
 * ICMPv6 error is hashed by the addresses of the packet it quotes, so it
 * reaches the worker of the connection it is about (a NAT translating it
 * back, a firewall relating it to the flow), whoever sent it (a router on
 * the path). Frames without an IP header hash to 0 (worker 0).
 *
 * Thread-safety: pure functions.
 */
#ifndef MOS_RSS_H
#define MOS_RSS_H

#include <stdbool.h>
#include <stdint.h>

#include "mos/decode.h"

/* Length of the symmetric Toeplitz key (bytes). */
#define MOS_RSS_KEY_LEN 40

/* The symmetric key: 0x6d, 0x5a repeated (Woo and Park, 2012). */
extern const uint8_t mos_rss_sym_key[MOS_RSS_KEY_LEN];

/* Symmetric hash of @p's IP addresses (0 without an IP header; an ICMP
 * error: those of the packet it quotes). */
uint32_t mos_rss_hash(const struct mos_pkt *p);

/*
 * The same hash read straight from a frame of @linktype, without decoding
 * it, for the common shapes (Ethernet II with at most one 802.1Q tag, then
 * IPv4 without options, fragmentation or tunnel, or IPv6 carrying TCP, UDP
 * or ICMPv6 directly; not ICMP errors): true with *@h set to what mos_rss_hash gives for the
 * decoded frame; false for any other frame (decode it to hash it). About a
 * tenth of a decode: offline workers find the owner of the frames they do
 * not process this way.
 */
bool mos_rss_frame_hash(const uint8_t *data, uint32_t caplen, int linktype, uint32_t *h);

/* Entries of the redirection table the worker mapping is defined by. */
#define MOS_RSS_RETA_SIZE 128

/* Worker owning hash @h among @n workers (n >= 1): entry h mod 128 of a
 * 128-entry redirection table filled round-robin (entry i -> worker
 * i mod n). A NIC whose redirection table has a multiple of 128 entries,
 * filled the same way (entry i -> queue (i mod 128) mod n), and which
 * hashes the IP addresses with mos_rss_sym_key, delivers every frame to
 * the queue of the worker named here (the runtime programs it so). */
static inline unsigned
mos_rss_worker(uint32_t h, unsigned n)
{
	return (h % MOS_RSS_RETA_SIZE) % n;
}

#endif /* MOS_RSS_H */
