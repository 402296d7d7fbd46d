/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/flow.h — the per-core flow table.
 *
 * One table per worker core, never shared (no locks). Entries come from a
 * pool preallocated at creation, bounded by a flow count and a memory cap.
 * The key is symmetric: both directions of a connection find the same
 * entry (the two endpoints are stored in canonical order, lower address
 * and port first). IPv4 and IPv6 share one key format (IPv4-mapped
 * addresses); the outer and inner VLAN ids are part of the key unless the
 * table is configured without them.
 *
 * Timeouts: every entry sits on exactly one of MOS_FLOW_CLASS_COUNT
 * lists, one per timeout class (TCP opening, TCP established, TCP closed
 * = TIME_WAIT linger, UDP). A list is kept in order of last activity
 * (an active entry moves to the tail, O(1)), so all entries of one class
 * share one timeout and the head is always the next to expire: expiry is
 * exact, costs O(1) per expired entry, and no idle entry can hide behind
 * an active one (mOS's head-of-line defect). Time is the packet clock the
 * caller passes in, so offline runs are deterministic.
 *
 * When the pool is empty a new entry either evicts (default: the head of
 * the closed list, else the least recently active entry of all lists) or
 * is refused; both are counted. Whenever the table itself removes an
 * entry (timeout, eviction) it first calls the release callback, so the
 * engine can raise CONN_END before the entry is reused.
 *
 * Thread-safety: a table belongs to one core.
 */
#ifndef MOS_FLOW_H
#define MOS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mos/decode.h"
#include "mos/tcp.h"

/* Sides of a connection (mOS's MOS_SIDE_*). */
enum mos_side {
	MOS_SIDE_CLI  = 0,           /* the client: sender of the first SYN (see docs/flow.md) */
	MOS_SIDE_SVR  = 1,           /* the server */
	MOS_SIDE_BOTH = 2,           /* both, where an API accepts it */
};

/* Symmetric flow key: 40 bytes. */
struct mos_flow_key {
	struct mos_addr lo;          /* lower (address, port) endpoint */
	struct mos_addr hi;          /* higher endpoint */
	uint16_t lo_port;            /* port of lo, host order */
	uint16_t hi_port;            /* port of hi, host order */
	uint32_t tag;                /* ip proto | outer vlan << 8 | inner vlan << 20 */
};

/* Timeout classes (one list each). */
enum mos_flow_class {
	MOS_FLOW_CLASS_OPENING = 0,  /* TCP, handshake not complete */
	MOS_FLOW_CLASS_ACTIVE,       /* TCP established or midstream, not closed */
	MOS_FLOW_CLASS_CLOSED,       /* TCP closed by FIN or RST: TIME_WAIT linger */
	MOS_FLOW_CLASS_UDP,          /* UDP */
	MOS_FLOW_CLASS_COUNT
};

/* Why a flow ended (conntrack's end_reason). */
enum mos_flow_end {
	MOS_FLOW_END_NONE = 0,
	MOS_FLOW_END_FIN,            /* both sides closed with FIN (then lingered) */
	MOS_FLOW_END_RST,            /* an acceptable RST closed it */
	MOS_FLOW_END_TIMEOUT,        /* idle timeout */
	MOS_FLOW_END_EOF,            /* end of input / context shut down */
	MOS_FLOW_END_EVICTED,        /* removed to make room, or displaced by a new connection on the same tuple */
	MOS_FLOW_END_COUNT
};

/* Name of an end reason ("fin", "rst", ...). */
const char *mos_flow_end_name(int reason);

/* struct mos_flow.flags */
enum {
	MOS_FLOW_F_CLI_IS_LO   = 1u << 0,  /* the client is key.lo */
	MOS_FLOW_F_MIDSTREAM   = 1u << 1,  /* picked up without seeing its SYN */
	MOS_FLOW_F_UDP         = 1u << 2,  /* a UDP flow (no TCP states) */
	MOS_FLOW_F_CLOSED      = 1u << 3,  /* TCP connection over (FIN both ways or RST) */
	MOS_FLOW_F_ESTABLISHED = 1u << 4,  /* conn_established was raised */
	MOS_FLOW_F_STOP_CLI    = 1u << 5,  /* no more events for the client side */
	MOS_FLOW_F_STOP_SVR    = 1u << 6,  /* no more events for the server side */
	MOS_FLOW_F_ENDING      = 1u << 7,  /* CONN_END being raised: no re-entry */
	MOS_FLOW_F_BY_SHIFT    = 8,        /* 2 bits: enum mos_flow_client_by */
	MOS_FLOW_F_BY_MASK     = 3u << 8,
	MOS_FLOW_F_NEWDATA_CLI = 1u << 10, /* conn_new_data pending for data sent by the client */
	MOS_FLOW_F_NEWDATA_SVR = 1u << 11, /* ... by the server */
	MOS_FLOW_F_RST         = 1u << 12, /* closed by an acceptable RST */
	MOS_FLOW_F_BUF_CLI     = 1u << 13, /* reassemble the bytes the client sends */
	MOS_FLOW_F_BUF_SVR     = 1u << 14, /* reassemble the bytes the server sends */
	MOS_FLOW_F_UCTX        = 1u << 15, /* a user pointer was set: its slot in the side array is valid */
};

/* How the client was chosen (same words as the corpus truth). */
enum mos_flow_client_by {
	MOS_FLOW_BY_SYN = 0,         /* sender of the first SYN without ACK */
	MOS_FLOW_BY_SYNACK,          /* receiver of a SYN-ACK */
	MOS_FLOW_BY_PORT,            /* no handshake; first packet from a port < 1024 to one >= 1024: its receiver */
	MOS_FLOW_BY_FIRST,           /* no handshake: sender of the first packet */
};

/*
 * One tracked connection: 184 bytes on x86-64 without buffers (checked
 * by a static assertion in flow.c). end[MOS_SIDE_CLI] is the client.
 * The hash-chain link follows the key, so a lookup walking a chain reads
 * one 48-byte span per entry. The per-flow user pointer is not here: few
 * flows use one, so it lives in a side array of the table reserved on
 * first use (mos_flow_table_set_uctx).
 */
struct mos_flow {
	struct mos_flow_key key;     /* symmetric lookup key */
	uint32_t hnext;              /* next entry in the hash chain / free list */
	uint32_t gen;                /* incremented each time the entry is reused */
	struct mos_tcp_end end[2];   /* emulated endpoints (UDP: counters only) */
	uint64_t start_ns;           /* packet clock of the first packet */
	uint32_t lprev, lnext;       /* neighbours on the timeout-class list */
	uint32_t regset;             /* event engine: registration set id (0 = none) */
	uint16_t flags;              /* MOS_FLOW_F_* */
	uint8_t  tclass;             /* enum mos_flow_class */
	uint8_t  end_reason;         /* enum mos_flow_end once decided */
};

/* What to do when the pool is empty. */
enum mos_flow_full_policy {
	MOS_FLOW_FULL_EVICT = 0,     /* evict a closed entry, else the least recently active */
	MOS_FLOW_FULL_REFUSE,        /* refuse the new flow (its packets become orphans) */
};

struct mos_flow_table_config {
	uint32_t max_flows;          /* capacity in entries (default 1<<20) */
	uint64_t memcap;             /* bytes for entries + user areas + buckets + in-use bitmap (0 = no cap) */
	uint32_t user_size;          /* bytes of zeroed per-flow user area (mos_flow_user) */
	bool     vlan_in_key;        /* VLAN ids take part in the key (default true) */
	int      full_policy;        /* enum mos_flow_full_policy */
	uint64_t timeout_ns[MOS_FLOW_CLASS_COUNT]; /* idle timeout per class, 0 = never */
	/* Called before the table removes an entry on its own (timeout or
	 * eviction) with the reason; the entry is still intact. */
	void   (*release)(void *arg, struct mos_flow *f, int reason);
	void    *release_arg;        /* passed to release() */
};

/* Counters of a table. */
struct mos_flow_counters {
	uint64_t created;            /* entries created */
	uint64_t removed;            /* entries removed, every reason */
	uint64_t timed_out;          /* removed by an idle timeout */
	uint64_t evicted;            /* removed to make room */
	uint64_t refused;            /* new flows refused (pool empty, policy refuse) */
	uint64_t active;             /* entries in use now */
	uint64_t max_active;         /* most entries in use at once */
};

/* Fill @cfg with the defaults (documented in docs/flow.md). */
void mos_flow_table_config_default(struct mos_flow_table_config *cfg);

struct mos_flow_table;

/* Create a table. Returns NULL with errno EINVAL (bad config) or ENOMEM. */
struct mos_flow_table *mos_flow_table_create(const struct mos_flow_table_config *cfg);

/* Free the table without calling release() (end flows first if needed).
 * NULL is allowed. */
void mos_flow_table_destroy(struct mos_flow_table *t);

/* Capacity after the memory cap was applied. */
uint32_t mos_flow_table_capacity(const struct mos_flow_table *t);

/* Bytes the table allocated: entries, user areas, buckets, in-use bitmap,
 * and the user-pointer array once reserved (mos_flow_table_set_uctx). */
size_t mos_flow_table_memory(const struct mos_flow_table *t);

const struct mos_flow_counters *mos_flow_table_counters(const struct mos_flow_table *t);

/*
 * Build the key of a decoded TCP or UDP packet. @src_is_lo tells whether
 * the packet's source is key->lo. Returns 0, or -EINVAL if the packet has
 * no validated transport header.
 */
int mos_flow_key_from_pkt(const struct mos_flow_table *t, const struct mos_pkt *p,
			  struct mos_flow_key *key, bool *src_is_lo);

/* Symmetric hash of a key (also usable to spread flows over cores). */
uint64_t mos_flow_key_hash(const struct mos_flow_key *key);

/* Find the entry of @key, or NULL. */
struct mos_flow *mos_flow_lookup(struct mos_flow_table *t, const struct mos_flow_key *key);

/* The same with @hash = mos_flow_key_hash(@key) computed by the caller
 * (a burst computes every hash first, then prefetches, then looks up). */
struct mos_flow *mos_flow_lookup_hash(struct mos_flow_table *t, const struct mos_flow_key *key,
				      uint64_t hash);

/* Prefetch hints for a lookup of @hash, to be issued for a whole burst
 * before its lookups: the bucket first, then (once the bucket has had
 * time to arrive) the first entry of its chain, then the streams that
 * entry buffers. No effect on results. */
void mos_flow_prefetch_bucket(const struct mos_flow_table *t, uint64_t hash);
void mos_flow_prefetch_entry(const struct mos_flow_table *t, uint64_t hash);
void mos_flow_prefetch_streams(const struct mos_flow_table *t, uint64_t hash);

/*
 * Insert a zeroed entry for @key (which must not be present) on list
 * @tclass at time @now_ns. When the pool is empty, applies the policy:
 * may call release() on an evicted entry first. Returns the entry, or
 * NULL with errno ENOSPC (refused).
 */
struct mos_flow *mos_flow_insert(struct mos_flow_table *t, const struct mos_flow_key *key,
				 int tclass, uint64_t now_ns);

/* Record activity: move @f to the tail of list @tclass (its class may
 * change) with activity time @now_ns. */
void mos_flow_touch(struct mos_flow_table *t, struct mos_flow *f, int tclass, uint64_t now_ns);

/* Remove @f (no release() call: the caller ended it). */
void mos_flow_remove(struct mos_flow_table *t, struct mos_flow *f);

/*
 * Remove every entry idle for at least its class timeout at @now_ns,
 * calling release(MOS_FLOW_END_TIMEOUT) for each. Returns how many.
 */
unsigned mos_flow_expire(struct mos_flow_table *t, uint64_t now_ns);

/*
 * A time before which mos_flow_expire() would remove nothing: a lower
 * bound on the expiry of every list head, kept up to date as entries are
 * inserted, touched and removed (UINT64_MAX when no list has a timeout
 * or an entry). It assumes an entry's activity time (mos_flow_last_ns)
 * never decreases while it is in the table, as the flow engine does; a
 * caller that lowers it by hand must call mos_flow_expire() itself.
 * Lets a per-packet caller skip the expiry pass in O(1).
 */
uint64_t mos_flow_next_expiry(const struct mos_flow_table *t);

/* Time the entry was last active (what its timeout counts from). */
uint64_t mos_flow_last_ns(const struct mos_flow *f);

/* Index of @f in the pool (0 .. capacity-1) and the reverse. */
uint32_t mos_flow_index(const struct mos_flow_table *t, const struct mos_flow *f);
struct mos_flow *mos_flow_at(struct mos_flow_table *t, uint32_t idx);

/* Whether @f points at an entry of @t that is in use (any pointer may be
 * passed: the check is done on addresses). */
bool mos_flow_table_owns(const struct mos_flow_table *t, const struct mos_flow *f);

/* Whether entry @idx is in use. */
bool mos_flow_in_use(const struct mos_flow_table *t, uint32_t idx);

/* The zeroed per-flow user area (NULL when user_size is 0). */
void *mos_flow_user(struct mos_flow_table *t, const struct mos_flow *f);

/*
 * Per-flow user pointer (what mos_flow_set_uctx stores). The pointers
 * live in a side array of one slot per entry, outside memcap: its
 * address space (8 B x capacity) is reserved on the first set with a
 * non-NULL pointer, and its pages become resident only where entries set
 * one; an entry that never set one costs nothing (MOS_FLOW_F_UCTX says
 * whether its slot is valid, so reuse clears it with the entry). @f must
 * be an entry of @t (in use or not). set returns 0, -EINVAL (not an entry
 * of @t) or -ENOMEM (the array could not be reserved: nothing stored);
 * get returns NULL when none was set since the entry was last reused.
 */
int mos_flow_table_set_uctx(struct mos_flow_table *t, struct mos_flow *f, void *uctx);
void *mos_flow_table_uctx(const struct mos_flow_table *t, const struct mos_flow *f);

/*
 * Call @fn for every entry in use, oldest activity first within each
 * class. @fn may remove the entry it is given (and only that one).
 */
void mos_flow_foreach(struct mos_flow_table *t,
		      void (*fn)(void *arg, struct mos_flow *f), void *arg);

/* Side (MOS_SIDE_CLI/SVR) of the packet's sender, given @src_is_lo from the key. */
static inline int
mos_flow_sender_side(const struct mos_flow *f, bool src_is_lo)
{
	return src_is_lo == !!(f->flags & MOS_FLOW_F_CLI_IS_LO) ? MOS_SIDE_CLI : MOS_SIDE_SVR;
}

/* Address and port of one side of @f. */
void mos_flow_endpoint(const struct mos_flow *f, int side, struct mos_addr *addr, uint16_t *port);

#endif /* MOS_FLOW_H */
