/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/stream.h — per-direction TCP stream reassembly.
 *
 * One struct mos_stream holds the bytes one TCP endpoint sent, addressed by
 * 64-bit logical stream offsets (offset 0 = the sequence number given at
 * creation). Its owner (the flow engine, one optional stream per endpoint)
 * creates it lazily on the first payload, feeds every segment's payload
 * with mos_stream_insert(), tells it about acknowledged holes with
 * mos_stream_skip_to() and drains what it reports (insert flags, events
 * through the pool callback, counters). Readers use per-consumer cursors
 * (mos_stream_read) or positional peeks (mos_stream_peek).
 *
 * Model (docs/reassembly.md has the full text):
 *  - segment metadata + byte buffer: bytes live in fixed-size pages taken
 *    from a per-core pool (struct mos_stream_pool) and addressed through a
 *    small ring of page slots; a sorted table of ranges records the
 *    out-of-order data stored above the in-order edge (with the extent of
 *    the segment that wrote each range, which the overlap policies need),
 *    data seen but not stored, and holes below the edge;
 *  - in-order append is a memcpy into the current page plus O(1)
 *    bookkeeping; nothing is allocated per segment outside the pool;
 *  - bytes below the in-order edge are final: overlap policies only decide
 *    between bytes above the edge (a real receiver has already handed
 *    in-order bytes to its application);
 *  - an overlap whose bytes differ from the stored ones is reported
 *    (MOS_STREAM_EV_OVERLAP_MISMATCH) whatever the policy;
 *  - memory: a per-stream window (buffer size) and a pool of pages under an
 *    optional global memory cap shared by all cores. When a cap is hit the
 *    named policy is "drop_new_data": the bytes that do not fit are not
 *    stored, the stream and the flow are kept, the bytes are counted
 *    (dropped_bytes, per-reason pool counters) and a
 *    MOS_STREAM_EV_BUFFER_FULL event is raised.
 *
 * Thread-safety: a pool and its streams belong to one lcore. Only the
 * global memory cap (struct mos_stream_memcap) is shared, through atomics.
 * No function here exits, asserts or allocates on the data path.
 */
#ifndef MOS_STREAM_H
#define MOS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Overlap policies: X(ID, "name"). Names are stable (configuration, docs).
 * Each is defined precisely in docs/reassembly.md; summary with N the new
 * segment and O the segment that wrote the stored byte (both as the full
 * extent they had on the wire):
 *   first, vista             old byte always kept
 *   last                     new byte always wins
 *   bsd, windows, hpux10,
 *   irix, macos              new wins iff N starts before O
 *   linux                    new wins iff N starts before O, or starts with O
 *                            and ends after it
 *   old_linux                new wins iff N starts before O, or starts with O
 *                            and ends at or after it
 *   solaris, hpux11          new wins iff N ends after O, or ends with O and
 *                            starts at or before it */
#define MOS_STREAM_POLICIES(X)             \
	X(FIRST,     "first")              \
	X(LAST,      "last")               \
	X(LINUX,     "linux")              \
	X(OLD_LINUX, "old_linux")          \
	X(BSD,       "bsd")                \
	X(WINDOWS,   "windows")            \
	X(SOLARIS,   "solaris")            \
	X(VISTA,     "vista")              \
	X(HPUX10,    "hpux10")             \
	X(HPUX11,    "hpux11")             \
	X(IRIX,      "irix")               \
	X(MACOS,     "macos")

enum mos_stream_policy {
#define MOS_X_(id, name) MOS_STREAM_POLICY_##id,
	MOS_STREAM_POLICIES(MOS_X_)
#undef MOS_X_
	MOS_STREAM_POLICY_COUNT
};

/* Name of a policy ("linux"), NULL if out of range. */
const char *mos_stream_policy_name(enum mos_stream_policy p);

/* Policy by name (exact, lower case). Returns the policy, or -EINVAL. */
int mos_stream_policy_from_name(const char *name);

/* Why bytes could not be stored: X(ID, "name"), names stable. */
#define MOS_STREAM_FULL_REASONS(X)                                      \
	X(MEMCAP,   "memcap")    /* global memory cap reached */         \
	X(POOL,     "pool")      /* the per-core page pool is empty */   \
	X(WINDOW,   "window")    /* beyond edge + buffer size */         \
	X(SEGMENTS, "segments")  /* range table full or none left (too many holes) */

enum mos_stream_full_reason {
#define MOS_X_(id, name) MOS_STREAM_FULL_##id,
	MOS_STREAM_FULL_REASONS(MOS_X_)
#undef MOS_X_
	MOS_STREAM_FULL_COUNT
};

/* Name of a buffer-full reason ("memcap"), NULL if out of range. */
const char *mos_stream_full_reason_name(enum mos_stream_full_reason r);

/* Events a stream reports through the pool's callback. */
enum mos_stream_event_type {
	MOS_STREAM_EV_OVERLAP_MISMATCH = 1, /* "overlap_mismatch" */
	MOS_STREAM_EV_GAP,                  /* "gap" */
	MOS_STREAM_EV_BUFFER_FULL,          /* "buffer_full" */
};

/* Name of an event type ("overlap_mismatch"), NULL if unknown. */
const char *mos_stream_event_name(enum mos_stream_event_type t);

struct mos_stream_event {
	enum mos_stream_event_type type;    /* what happened */
	enum mos_stream_full_reason reason; /* BUFFER_FULL: why */
	uint64_t stored_start;       /* MISMATCH: extent of the stored data the new bytes overlap (its writer segment's extent above the edge, the overlapped range below it); GAP: hole start; BUFFER_FULL: first dropped offset */
	uint64_t stored_end;         /* MISMATCH: end of that extent; GAP: hole end; BUFFER_FULL: end of dropped range */
	uint64_t new_start;          /* MISMATCH: the new segment's range start (BUFFER_FULL, GAP: 0) */
	uint64_t new_end;            /* MISMATCH: the new segment's range end */
	uint64_t first_diff;         /* MISMATCH: first offset whose byte differs */
	uint32_t diff_bytes;         /* MISMATCH: bytes that differ in this overlap */
	uint64_t edge;               /* the in-order edge when it was raised (the one the segment met) */
};

struct mos_stream;

/* Event callback. Events are raised inside mos_stream_insert,
 * mos_stream_skip_to, mos_stream_set_buffer_size and mos_stream_set_off
 * (turning buffering back on), and handed to the callback in the order
 * raised once that call's work is complete, before it returns: the stream
 * is then consistent, and the callback may call any function on any
 * stream, this one included (the events those calls raise follow, after
 * it returns). The stream may have moved on since the event was raised
 * (the segment's own bytes stored, the edge advanced): the event carries
 * the offsets it concerns and the edge it met. */
typedef void (*mos_stream_event_cb)(struct mos_stream *s,
				     const struct mos_stream_event *ev, void *ctx);

/* Global memory cap shared by the pools of all cores. Counts page bytes in
 * use; a page taken while used + page_size > limit is refused (reason
 * memcap). Initialise with mos_stream_memcap_init(). */
struct mos_stream_memcap {
	uint64_t limit;              /* bytes; 0 = no limit */
	uint64_t used;               /* bytes in use (atomic) */
	uint64_t hits;               /* refused page requests (atomic) */
};

/* Set up @mc with @limit bytes (0: unlimited). Not thread-safe; call before
 * the pools are used. */
void mos_stream_memcap_init(struct mos_stream_memcap *mc, uint64_t limit);

/* Pool configuration. Zero fields take the defaults below. */
struct mos_stream_pool_config {
	uint32_t page_size;          /* bytes per page, power of two in [256, 65536]; default 4096 */
	uint32_t n_pages;            /* pages preallocated (with the EAL, the first MOS_STREAM_PREFAULT bytes touched); default 1024 */
	uint32_t max_streams;        /* stream objects preallocated; default 1024 */
	uint32_t max_ranges;         /* entries of one range table (out-of-order ranges + holes per stream); default 128 */
	uint32_t n_range_tables;     /* range tables preallocated (only streams with out-of-order data or holes hold one); default max_streams / 4 + 1 */
	struct mos_stream_memcap *memcap; /* optional global cap (shared), NULL = none */
	mos_stream_event_cb event_cb;/* optional event callback */
	void *event_ctx;             /* passed to event_cb */
};

/* Bytes of a pool's pages touched at creation. */
#define MOS_STREAM_PREFAULT           (32u << 20)
#define MOS_STREAM_DEFAULT_PAGE_SIZE  4096u
#define MOS_STREAM_DEFAULT_PAGES      1024u
#define MOS_STREAM_DEFAULT_STREAMS    1024u
#define MOS_STREAM_DEFAULT_BUF_SIZE   65536u
#define MOS_STREAM_DEFAULT_MAX_RANGES 128u
/* Largest buffer size: a page of page slots, and below 2^31. */
#define MOS_STREAM_MAX_BUF_SIZE(page_size) \
	((uint64_t)((page_size) / 4u - 1u) * (page_size) < 0x7fffffffu ? \
	 (uint64_t)((page_size) / 4u - 1u) * (page_size) : 0x7fffffffu)
/* Open cursors per stream. */
#define MOS_STREAM_MAX_CURSORS 4

/* Per-pool counters. */
struct mos_stream_pool_stats {
	uint64_t streams_in_use;     /* streams created and not destroyed */
	uint64_t streams_refused;    /* creations refused (no stream object) */
	uint64_t pages_in_use;       /* pages held by streams */
	uint64_t pages_high;         /* high-water mark of pages_in_use */
	uint64_t range_tables_in_use;/* range tables held by streams */
	uint64_t full[MOS_STREAM_FULL_COUNT]; /* buffer-full events by reason */
	uint64_t dropped_bytes;      /* bytes not stored, all streams, all reasons */
	uint64_t reclaimed_streams;  /* reclaimable streams whose pages were taken back */
	uint64_t reclaimed_pages;    /* the pages they held */
	uint64_t events_dropped;     /* events not delivered: more raised by one call (and the
				      * calls of its callbacks) than 4 * max_ranges + 16 */
};

struct mos_stream_pool;

/*
 * Create a pool: all pages and stream objects are allocated here, never on
 * the data path. Returns the pool, or NULL with errno (EINVAL bad config,
 * ENOMEM). Thread-safety: the pool then belongs to the calling lcore.
 */
struct mos_stream_pool *mos_stream_pool_create(const struct mos_stream_pool_config *cfg);

/* Free a pool and every stream still in it. NULL is accepted. */
void mos_stream_pool_free(struct mos_stream_pool *pool);

/* Copy the pool counters into @st. */
void mos_stream_pool_get_stats(const struct mos_stream_pool *pool,
			   struct mos_stream_pool_stats *st);

/* Bytes of a stream object (the fixed part of a buffered flow direction,
 * pages come on top). */
size_t mos_stream_object_size(void);

/* Ask for every cache line of @s (NULL allowed): before work that reads
 * all of a cold stream, such as ending its flow. */
void mos_stream_prefetch(const struct mos_stream *s);

/* Per-stream settings at creation. Zero fields take the defaults. */
struct mos_stream_config {
	uint32_t buf_size;           /* window in bytes (default MOS_STREAM_DEFAULT_BUF_SIZE), capped to MOS_STREAM_MAX_BUF_SIZE */
	enum mos_stream_policy policy; /* overlap policy (default first = 0) */
	void *owner;                 /* opaque pointer for the owner (mos_stream_owner) */
	/* Count-only: nobody reads the bytes. They are never stored: no page
	 * is taken (so no pool or memory cap ever refuses them) and no
	 * overlap is compared (no overlap_mismatch); everything else (edges,
	 * windows, holes, gaps, retransmissions, counters, FIN and RST) is as
	 * for a stream that stores them. Cursors still move
	 * (mos_stream_drain), mos_stream_read_ptr gives NULL pointers, and
	 * mos_stream_read and mos_stream_peek return -ENOTSUP. */
	bool discard;
};

/*
 * Create a stream. @init_seq is the sequence number of stream offset 0:
 * ISN+1 when the SYN was seen, or the first payload's sequence number for a
 * midstream pickup. Returns the stream, or NULL with errno (EINVAL, ENOBUFS
 * when the pool has no stream object left: counted in streams_refused).
 * No page is taken until data arrives.
 */
struct mos_stream *mos_stream_create(struct mos_stream_pool *pool, uint32_t init_seq,
				     const struct mos_stream_config *cfg);

/*
 * The connection of @s is over (closed, lingering until it is released):
 * when its pool runs out of pages or the memcap is reached, the pages of
 * such streams are taken back, oldest marked first, before any stream is
 * refused bytes — but only from a stream whose bytes were all announced
 * (mos_stream_new_data), that no open cursor lags behind and that holds
 * nothing out of order. Such a stream is turned off (mos_stream_set_off)
 * and counted (reclaimed_streams, reclaimed_pages); positional peeks at
 * its old bytes then return -ERANGE. NULL is accepted.
 */
void mos_stream_set_reclaimable(struct mos_stream *s);

/* Return the stream and all its pages to its pool. NULL is accepted. */
void mos_stream_destroy(struct mos_stream *s);

/* The owner pointer given at creation. */
void *mos_stream_owner(const struct mos_stream *s);

/* Change the overlap policy; applies to later inserts. 0 or -EINVAL. */
int mos_stream_set_policy(struct mos_stream *s, enum mos_stream_policy p);

/*
 * Resize the window. Growing keeps everything. Shrinking first drops stored
 * out-of-order data beyond edge + @size (counted, reason window), then
 * releases retained in-order bytes older than what the new window can hold
 * (lagging cursors then see lost bytes). Returns 0, -EINVAL (size 0 or too
 * large), or -ENOBUFS (a larger slot table needs a page and none is left:
 * nothing changed).
 */
int mos_stream_set_buffer_size(struct mos_stream *s, uint32_t size);

/*
 * Turn buffering off (@off = true): every page is released, later inserts
 * only count bytes (MOS_STREAM_INS_OFF) and advance nothing. Turning it
 * back on restarts the stream at the highest offset seen so far, with the
 * skipped range counted as a gap. Returns 0.
 */
int mos_stream_set_off(struct mos_stream *s, bool off);

/* Segment flags for mos_stream_insert(). */
enum {
	MOS_STREAM_SEG_SYN   = 1u << 0, /* @seq is the SYN's sequence number: data starts at seq + 1 */
	MOS_STREAM_SEG_FIN   = 1u << 1, /* FIN set: the stream ends after this data (fin offset recorded) */
	MOS_STREAM_SEG_RST   = 1u << 2, /* RST set: its data is kept like any other (tshark does the same) */
	MOS_STREAM_SEG_PROBE = 1u << 3, /* the owner knows this is a zero-window or keep-alive probe: not data */
};

/* Result flags of mos_stream_insert(). */
enum {
	MOS_STREAM_INS_NEW       = 1u << 0,  /* some bytes were never seen before */
	MOS_STREAM_INS_REXMIT    = 1u << 1,  /* every byte was seen before (full retransmission) */
	MOS_STREAM_INS_PARTIAL   = 1u << 2,  /* some bytes seen before, some new (partial retransmission) */
	MOS_STREAM_INS_OOO       = 1u << 3,  /* the segment starts beyond the in-order edge */
	MOS_STREAM_INS_MISMATCH  = 1u << 4,  /* overlapping bytes differ from stored ones (event raised) */
	MOS_STREAM_INS_ADVANCED  = 1u << 5,  /* the in-order edge moved (new in-order bytes) */
	MOS_STREAM_INS_DROPPED   = 1u << 6,  /* some new bytes could not be stored (buffer_full event raised) */
	MOS_STREAM_INS_KEEPALIVE = 1u << 7,  /* recognised keep-alive (or owner probe): ignored */
	MOS_STREAM_INS_OFF       = 1u << 8,  /* the stream is off: nothing stored */
	MOS_STREAM_INS_BEFORE_START = 1u << 9, /* bytes before offset 0 were cut off */
	MOS_STREAM_INS_AFTER_FIN = 1u << 10, /* bytes beyond the recorded FIN offset */
};

/*
 * Insert one segment's payload: @len bytes of @data starting at sequence
 * number @seq (the first payload byte, or the SYN's sequence with
 * MOS_STREAM_SEG_SYN). @seq is mapped to the 64-bit offset nearest the
 * in-order edge, so sequence wrap-around is transparent.
 *
 * Keep-alive rule: a segment of at most one byte whose sequence number is
 * one below the in-order edge (seq == edge - 1) is a keep-alive probe and
 * is ignored (MOS_STREAM_INS_KEEPALIVE, counted). Zero-window probes carry
 * the next real byte and cannot be told apart here: the owner passes
 * MOS_STREAM_SEG_PROBE when its TCP state says the receive window is zero.
 *
 * A zero-length segment only records FIN/RST. Returns MOS_STREAM_INS_*
 * flags (>= 0), or -EINVAL (@s NULL, or @data NULL with @len > 0).
 */
int mos_stream_insert(struct mos_stream *s, uint32_t seq, const uint8_t *data,
		      uint32_t len, unsigned seg_flags);

/* The stream offset of sequence number @seq (nearest the in-order edge;
 * may be negative before the stream start). */
int64_t mos_stream_seq_to_off(const struct mos_stream *s, uint32_t seq);

/*
 * Declare everything below @off as received: bytes of [edge, @off) that
 * were never seen become a hole, counted in gap_bytes, reported as one
 * MOS_STREAM_EV_GAP per hole, and shown to readers as lost; out-of-order
 * data stored inside and after the hole becomes in-order and is delivered.
 * Used when the receiver acknowledges beyond a hole (pass
 * mos_stream_seq_to_off(ack)) or when the owner must force progress.
 * Returns the number of gap bytes added (>= 0), -ERANGE when @off lies more
 * than MOS_STREAM_SKIP_MAX beyond the edge (nothing changes), or -EINVAL.
 */
#define MOS_STREAM_SKIP_MAX (1ull << 62)
int64_t mos_stream_skip_to(struct mos_stream *s, uint64_t off);

/*
 * New in-order bytes since the previous call (the edge minus the edge at
 * the previous call), for raising CONN_NEW_DATA once per stream per burst.
 * Gap bytes skipped in between are included (readers see them as lost).
 */
uint64_t mos_stream_new_data(struct mos_stream *s);

/* Open a read cursor positioned at the oldest retained byte. Returns the
 * cursor id (0 .. MOS_STREAM_MAX_CURSORS-1) or -ENOSPC. */
int mos_stream_cursor_open(struct mos_stream *s);

/* Close a cursor; bytes only it held back are released. 0 or -EINVAL. */
int mos_stream_cursor_close(struct mos_stream *s, int cursor);

/* A cursor's offset (next byte it reads), or -EINVAL. */
int64_t mos_stream_cursor_offset(const struct mos_stream *s, int cursor);

/*
 * Sequential read for one consumer: copies up to @len in-order bytes from
 * the cursor's offset into @buf and advances the cursor. Bytes the cursor
 * can no longer get (released by the window, holes, data dropped by a
 * cap) are skipped and their count added to *@lost (may be NULL); the copy
 * stops before the next lost byte so one call never hides a discontinuity
 * inside the returned bytes. Bytes every open cursor has passed are
 * released.
 * Returns bytes copied (may be 0 when only lost bytes were skipped),
 * -ENODATA when the cursor is at the in-order edge and nothing was lost,
 * -EINVAL for a bad stream or cursor.
 */
ssize_t mos_stream_read(struct mos_stream *s, int cursor, void *buf, size_t len,
			uint64_t *lost);

/*
 * Zero-copy sequential read: like mos_stream_read, but instead of copying
 * it points *@ptr at the next run of in-order bytes inside the buffer (at
 * most @max bytes, never crossing a page or a lost byte) and advances the
 * cursor over it. The bytes stay valid until the next call on this stream
 * (any insert, read, skip, resize or destroy): their page is released only
 * then. Returns the run length, 0 when only lost bytes were skipped,
 * -ENODATA at the edge, -EINVAL.
 */
ssize_t mos_stream_read_ptr(struct mos_stream *s, int cursor, const uint8_t **ptr,
			    size_t max, uint64_t *lost);

/*
 * Count-only consumption (a reader that wants the counters, not the
 * bytes): consume every readable byte of @s through the cursor kept in
 * *@cursor by the caller (0: none yet, opened here; otherwise its id + 1),
 * so the pages go back at once. No-op for NULL or when no cursor is free.
 */
void mos_stream_drain(struct mos_stream *s, uint8_t *cursor);

/*
 * The same once a FIN ended @s and every byte before it arrived: drain it
 * and turn the stream off (mos_stream_set_off) when nothing is held out
 * of order, so a connection lingering in TIME_WAIT keeps no pages. Call it
 * at tcp_state_change of the receiving side. Returns true when it drained.
 */
bool mos_stream_drain_done(struct mos_stream *s, uint8_t *cursor);

/*
 * Positional peek: copy up to @len in-order bytes starting at stream offset
 * @off, stopping before the first lost byte or the edge. Moves nothing.
 * Returns bytes copied (> 0), -ERANGE (@off below the oldest retained
 * byte: released), -ENODATA (@off at or beyond the in-order edge),
 * -ENOENT (@off is inside a hole or dropped range), -EINVAL.
 */
ssize_t mos_stream_peek(const struct mos_stream *s, uint64_t off, void *buf, size_t len);

/* One stored out-of-order range. */
struct mos_stream_frag {
	uint64_t start;              /* first stream offset */
	uint64_t end;                /* one past the last */
};

/*
 * List the out-of-order data stored above the in-order edge, in order,
 * adjacent ranges merged. Fills up to @n entries of @out and returns the
 * total number of ranges (may exceed @n), or -EINVAL.
 */
int mos_stream_fragments(const struct mos_stream *s, struct mos_stream_frag *out,
			 unsigned n);

/* Buffer information and counters. */
struct mos_stream_info {
	uint32_t init_seq;           /* sequence number of offset 0 */
	enum mos_stream_policy policy; /* current overlap policy */
	uint32_t buf_size;           /* current window */
	bool off;                    /* buffering turned off */
	bool fin_seen;               /* a FIN was inserted (fin_off valid) */
	bool rst_seen;               /* a RST was inserted (rst_off valid) */
	uint64_t base;               /* oldest retained offset (read offset: below it everything is released) */
	uint64_t edge;               /* in-order edge: next expected offset */
	uint64_t recv_max;           /* one past the highest offset received */
	uint64_t fin_off;            /* stream end announced by FIN */
	uint64_t rst_off;            /* offset after the RST segment's data */
	uint64_t ooo_bytes;          /* out-of-order bytes stored above the edge */
	uint64_t in_order_bytes;     /* bytes the edge moved over with data */
	uint64_t gap_bytes;          /* bytes skipped as holes (mos_stream_skip_to) */
	uint64_t rexmit_bytes;       /* bytes received again (seen before) */
	uint64_t rexmit_segs;        /* full retransmissions */
	uint64_t partial_rexmit_segs;/* partial retransmissions */
	uint64_t ooo_segs;           /* segments that started beyond the edge */
	uint64_t mismatch_events;    /* overlap_mismatch events */
	uint64_t mismatch_bytes;     /* bytes that differed */
	uint64_t dropped_bytes;      /* new bytes not stored (caps, window, off) */
	uint64_t keepalives;         /* keep-alives and probes ignored */
	uint64_t before_start_bytes; /* bytes cut off before offset 0 */
	uint32_t pages;              /* pages held */
	uint32_t ranges;             /* entries in the range table */
};

/* Fill @info. Returns 0 or -EINVAL. */
int mos_stream_get_info(const struct mos_stream *s, struct mos_stream_info *info);

#endif /* MOS_STREAM_H */
