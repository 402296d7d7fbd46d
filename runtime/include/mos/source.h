/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/source.h — packet sources: offline capture files and DPDK ethdev
 * ports, both delivering bursts of rte_mbuf to the same pipeline.
 *
 * Every mbuf a source returns comes from a pool made by
 * mos_pktpool_create(), whose private area (struct mos_mbuf_priv) carries
 * the packet time, the original length and the link type.
 *
 * Offline sources read one or several pcap/pcapng files in order with
 * libpcap, keep each packet's timestamp (nanoseconds) and know when the
 * input ends. Ethdev sources stamp packets from the TSC, converted to
 * wall-clock nanoseconds.
 *
 * Thread-safety: a source is used by one lcore at a time.
 */
#ifndef MOS_SOURCE_H
#define MOS_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mos/pktpool.h"

/* Per-mbuf metadata, in the mbuf's private area. */
struct mos_mbuf_priv {
	uint64_t ts_ns;              /* packet time, ns since the epoch */
	uint32_t wirelen;            /* original length on the wire */
	uint16_t linktype;           /* enum mos_linktype of the frame */
	uint16_t source;             /* index of the source that produced it */
};

static inline struct mos_mbuf_priv *
mos_mbuf_priv(struct rte_mbuf *m)
{
	return (struct mos_mbuf_priv *)rte_mbuf_to_priv(m);
}

/* Largest frame an offline source delivers: one mbuf segment holds at most
 * UINT16_MAX bytes including its headroom; longer captured frames are cut to
 * this length and counted (struct mos_source_counters.cut). */
#define MOS_FRAME_MAX (UINT16_MAX - RTE_PKTMBUF_HEADROOM)

struct mos_source;

/* Size of the error message buffers the open functions fill. */
#define MOS_SOURCE_ERRLEN 512

/* Counters a source keeps. */
struct mos_source_counters {
	uint64_t packets;            /* frames delivered */
	uint64_t bytes;              /* captured bytes delivered */
	uint64_t cut;                /* frames longer than MOS_FRAME_MAX, cut */
	uint64_t nombuf;             /* bursts cut short because a pool was empty */
	uint64_t errors;             /* read errors (a truncated file ends its read) */
};

/*
 * Open an offline source over @n capture files (pcap or pcapng), read in
 * order. Every file is opened once here to check it exists, is a capture
 * and has a supported link type, so bad input fails before any packet is
 * processed.
 * @pool: mbufs for frames up to its data room; @big_pool: mbufs for longer
 * frames (may be NULL: longer frames are then cut to @pool's data room and
 * counted).
 * Returns the source, or NULL with errno set and a message in @err
 * (MOS_SOURCE_ERRLEN bytes).
 */
struct mos_source *mos_source_pcap_open(const char *const *paths, unsigned n,
					struct rte_mempool *pool,
					struct rte_mempool *big_pool, char *err);

/*
 * Open a source over receive queue @queue of an already configured and
 * started ethdev port @port. Returns the source, or NULL with errno set and
 * a message in @err.
 */
struct mos_source *mos_source_ethdev_open(uint16_t port, uint16_t queue, char *err);

/*
 * Receive up to @n frames into @pkts. Returns the number received; 0 means
 * nothing now (live) or end of input (check mos_source_done()).
 */
uint16_t mos_source_rx(struct mos_source *src, struct rte_mbuf **pkts, uint16_t n);

/* A record of a capture file read in place (mos_source_peek). */
struct mos_source_rec {
	const uint8_t *data;         /* the captured bytes */
	uint32_t caplen;             /* their number (cut to MOS_FRAME_MAX, as mbufs are) */
	uint32_t wirelen;            /* original length on the wire */
	uint64_t ts_ns;              /* packet time, ns since the epoch */
	uint16_t linktype;           /* enum mos_linktype of the frame */
};

/*
 * Offline sources: read up to @n (<= MOS_SOURCE_PEEK_MAX) records without
 * copying them into mbufs: classic pcap and pcapng files are read in
 * place in the source's buffers (up to a block left to libpcap), other
 * inputs are copied to a buffer of the source. The records'
 * data stay valid until the next mos_source_peek or mos_source_rx on @src
 * or its close. Counters and errors as mos_source_rx. Returns the number
 * read, 0 at the end of input (and for a live port).
 */
#define MOS_SOURCE_PEEK_MAX 256
uint16_t mos_source_peek(struct mos_source *src, struct mos_source_rec *recs, uint16_t n);

/*
 * Split reading: several threads share the scan of one classic pcap or
 * pcapng file (runtime/split.c spreads it over the offline workers). Each
 * thread has its own source over the same files (mos_source_pcap_dup).
 * The file is read in ranges, each into a view: a buffer of the caller's
 * that holds the file's bytes [lo, hi) and has room for bytes up to
 * lo + cap; walks read into it as they need (pread, ahead in steps up to
 * the offset ahead), so the records they give point into it and stay
 * valid while it is not read into again.
 */
struct mos_source_view {
	uint8_t *buf;                /* the file's bytes [lo, hi) */
	size_t cap;                  /* bytes of room at buf */
	size_t lo, hi;               /* file offsets */
	size_t ahead;                /* reads go past this offset only as far as a record needs */
};

struct mos_source_layout {
	dev_t dev;                   /* the file (the same for every source that splits it) */
	ino_t ino;
	size_t first;                /* offset of the file's first record */
	size_t len;                  /* the file's length */
	size_t tail;                 /* bytes a record may reach past the range it starts in */
};

/* Open the source's first file if needed: true, with @lay filled, when it
 * is a classic pcap or pcapng file read here (not by libpcap) of which
 * no record was read yet (pcapng: the interfaces described before the
 * first packet are read, @lay->first is that packet's block). */
bool mos_source_split_begin(struct mos_source *src, struct mos_source_layout *lay);

/* A guess at the first record starting in [@from, @to), read into @v (its
 * lo at most @from): the first offset where a chain of plausible record
 * headers begins (classic pcap: searched over at most 16 + the snapshot
 * length bytes, the longest record; pcapng: blocks, at multiples of 4),
 * or SIZE_MAX. Only a guess (a payload can look like records): check it
 * against where the walk of the bytes before ended. */
size_t mos_source_split_sync(const struct mos_source *src, struct mos_source_view *v,
			     size_t from, size_t to);

/*
 * Read the records that start at *@at and after it, while they start
 * before @to (and up to @n of them), into @v (its lo at most *@at) as
 * mos_source_peek would (same fields, frames cut to MOS_FRAME_MAX),
 * counting them in @c (packets, bytes, cut). *@at ends after the last
 * record read; *@bad is set when the record at *@at is one the walk does
 * not take (cut short by the file's end, longer than the snapshot length
 * or than @v has room for; pcapng: any block but packets and blocks
 * libpcap skips, which are passed over): from there on the file must be
 * read by mos_source_peek after mos_source_split_end. Safe to call from
 * several threads on sources over the same file, each with its own view.
 * Returns the number of records.
 */
unsigned mos_source_split_walk(const struct mos_source *src, struct mos_source_view *v,
			       size_t *at, size_t to, struct mos_source_rec *recs, unsigned n,
			       struct mos_source_counters *c, bool *bad);

/* This source's reader has taken records counted in @c: its counters
 * grow by them. */
void mos_source_split_pass(struct mos_source *src, const struct mos_source_counters *c);

/* Continue with mos_source_peek at offset @off of the file (its end, or a
 * record the walk did not take). */
void mos_source_split_end(struct mos_source *src, size_t off);

/*
 * Open another offline source over the files of @src, read from their
 * beginning on its own (for another thread), with buffers of its own.
 * Returns NULL with errno set and a message in @err.
 */
struct mos_source *mos_source_pcap_dup(const struct mos_source *src, char *err);

/* True when an offline source has delivered its last frame; never true for
 * a live port. */
bool mos_source_done(const struct mos_source *src);

/* Whether the source follows packet time (offline) or the TSC (live). */
bool mos_source_is_offline(const struct mos_source *src);

/* The source's counters. */
const struct mos_source_counters *mos_source_counters(const struct mos_source *src);

/* Text of the last read error (e.g. "x.pcap: truncated dump file"), or
 * NULL if none. */
const char *mos_source_error(const struct mos_source *src);

/* Close the source and free it. NULL is allowed. */
void mos_source_close(struct mos_source *src);

/* Wall-clock nanoseconds derived from the TSC once the EAL runs (calibrated
 * by the first call after rte_eal_init, which must happen before worker
 * lcores start: mos_app_create does); the system's clock without the EAL. */
uint64_t mos_tsc_now_ns(void);

#endif /* MOS_SOURCE_H */
