/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stream.c — per-direction TCP stream reassembly (see mos/stream.h and
 * docs/reassembly.md).
 *
 * Layout of one stream:
 *  - bytes: pages of the per-core pool, found through a ring of page slots
 *    indexed by (offset / page_size) % n_slots. Every stored byte lies in
 *    [base, base + buf_size), so a ring of buf_size / page_size + 1 slots
 *    never holds two pages for the same slot;
 *  - ranges: a table sorted by offset, non-overlapping, of
 *      DATA    out-of-order bytes stored above the in-order edge, with the
 *              extent of the segment that wrote them (for the policies);
 *      MISSING bytes seen but not stored (a cap refused them) above the
 *              edge, or bytes readers cannot get below the edge (holes
 *              skipped with mos_stream_skip_to, data dropped by a cap).
 *    No range straddles the edge. Below the edge only MISSING ranges exist:
 *    every other retained byte is valid in-order data.
 * The table starts inline in the stream object and moves to a range table
 * of the pool's own slab when it outgrows it (back once empty).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mos/pktpool.h"
#include "mos/stream.h"

#include "mos/bigmem.h"

#define PAGE_NONE     UINT32_MAX
#define INLINE_SLOTS  32u     /* page slots held in the stream object */
#define INLINE_RANGES 3u      /* ranges held in the stream object */

enum range_kind {
	RANGE_DATA = 0,
	RANGE_MISSING = 1,
};

struct range {
	uint64_t s;                  /* first offset */
	uint64_t e;                  /* one past the last */
	uint64_t os;                 /* DATA: start of the writer segment's extent */
	uint32_t olen;               /* DATA: length of that extent (<= 2^32-1) */
	uint32_t kind;               /* enum range_kind */
};

enum {
	SF_IN_USE = 1u << 0,
	SF_OFF    = 1u << 1,
	SF_FIN    = 1u << 2,
	SF_RST    = 1u << 3,
	SF_RECLAIM = 1u << 4,        /* on the pool's reclaim list */
};

/* The fields used by every insert and read come first (the first two
 * cache lines of the object, with the first cursors); counters and the
 * rarely used fields follow. */
struct mos_stream {
	struct mos_stream_pool *pool;/* owning pool */
	uint64_t base;               /* oldest retained offset */
	uint64_t edge;               /* in-order edge */
	uint64_t recv_max;           /* one past the highest offset received */
	uint64_t delivered;          /* edge at the last mos_stream_new_data() */
	uint32_t *slots;             /* page index per slot, PAGE_NONE if empty */
	struct range *ranges;        /* sorted range table */
	uint32_t init_seq;           /* sequence number of offset 0 */
	uint32_t buf_size;           /* window */
	uint32_t n_slots;            /* page slots (power of two) */
	uint32_t n_ranges;           /* entries used */
	uint32_t pages;              /* data pages held */
	uint8_t policy;              /* enum mos_stream_policy */
	uint8_t flags;               /* SF_* */
	uint8_t cursor_mask;         /* open cursors */
	bool discard;                /* count-only: bytes never stored (mos_stream_config) */
	uint64_t cur[MOS_STREAM_MAX_CURSORS]; /* cursor offsets */
	uint64_t in_order_bytes;     /* see struct mos_stream_info */
	uint32_t cap_ranges;         /* entries available */
	uint32_t range_table;        /* pool range table holding ranges[], or PAGE_NONE (inline) */
	uint32_t slot_page;          /* pool page holding slots[], or PAGE_NONE (inline) */
	void *owner;                 /* opaque owner pointer */
	struct mos_stream *next_free;/* pool free list link */
	struct mos_stream *rc_prev, *rc_next; /* reclaim list links (SF_RECLAIM) */
	uint64_t fin_off;            /* FIN offset (SF_FIN) */
	uint64_t rst_off;            /* RST data end (SF_RST) */
	uint64_t gap_bytes;          /* see struct mos_stream_info */
	uint64_t rexmit_bytes;       /* idem */
	uint64_t rexmit_segs;        /* idem */
	uint64_t partial_rexmit_segs;/* idem */
	uint64_t ooo_segs;           /* idem */
	uint64_t mismatch_events;    /* idem */
	uint64_t mismatch_bytes;     /* idem */
	uint64_t dropped_bytes;      /* idem */
	uint64_t keepalives;         /* idem */
	uint64_t before_start_bytes; /* idem */
	uint32_t inline_slots[INLINE_SLOTS];   /* slots while small */
	struct range inline_ranges[INLINE_RANGES]; /* ranges while few */
};

/* An event raised inside an operation, delivered when the operation is
 * complete (see deliver). */
struct pending {
	struct mos_stream *s;        /* NULL once the stream was destroyed */
	struct mos_stream_event ev;
};

struct mos_stream_pool {
	uint8_t *mem;                /* n_pages * page_size bytes */
	uint32_t page_size;          /* bytes per page */
	uint32_t shift;              /* log2(page_size) */
	uint32_t n_pages;            /* pages in mem */
	uint32_t n_free;             /* entries in free_pages */
	uint32_t *free_pages;        /* stack of free page indexes */
	uint32_t max_streams;        /* stream objects */
	struct mos_stream *streams;  /* stream objects */
	struct mos_stream *free_streams; /* free list */
	uint32_t fresh;              /* streams[fresh..] never used (not on the list, not touched) */
	uint32_t max_ranges;         /* entries per range table */
	uint32_t n_tables_free;      /* entries in free_tables */
	uint32_t *free_tables;       /* stack of free range table indexes */
	struct range *tables;        /* n_range_tables * max_ranges entries */
	size_t mem_map, streams_map, tables_map; /* mapped lengths (mos_big_zalloc) */
	struct mos_stream_memcap *memcap; /* optional global cap */
	struct mos_stream *rc_head, *rc_tail; /* reclaimable streams, oldest first */
	mos_stream_event_cb event_cb;/* optional callback */
	void *event_ctx;             /* its context */
	struct pending *evq;         /* events waiting for their operation to end (ring) */
	uint32_t evq_cap, evq_head, evq_n; /* its size, first entry, entries */
	bool delivering;             /* deliver() runs (an outer call empties the ring) */
	struct mos_stream_pool_stats st; /* counters */
};

/* ---- names ------------------------------------------------------------ */

static const char *const policy_names[] = {
#define MOS_X_(id, name) [MOS_STREAM_POLICY_##id] = name,
	MOS_STREAM_POLICIES(MOS_X_)
#undef MOS_X_
};

static const char *const full_names[] = {
#define MOS_X_(id, name) [MOS_STREAM_FULL_##id] = name,
	MOS_STREAM_FULL_REASONS(MOS_X_)
#undef MOS_X_
};

const char *
mos_stream_policy_name(enum mos_stream_policy p)
{
	if ((unsigned)p >= MOS_STREAM_POLICY_COUNT)
		return NULL;
	return policy_names[p];
}

int
mos_stream_policy_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (int i = 0; i < MOS_STREAM_POLICY_COUNT; i++)
		if (strcmp(name, policy_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
mos_stream_full_reason_name(enum mos_stream_full_reason r)
{
	if ((unsigned)r >= MOS_STREAM_FULL_COUNT)
		return NULL;
	return full_names[r];
}

const char *
mos_stream_event_name(enum mos_stream_event_type t)
{
	switch (t) {
	case MOS_STREAM_EV_OVERLAP_MISMATCH: return "overlap_mismatch";
	case MOS_STREAM_EV_GAP:              return "gap";
	case MOS_STREAM_EV_BUFFER_FULL:      return "buffer_full";
	}
	return NULL;
}

/*
 * The overlap policies (docs/reassembly.md, "Overlap policies"): does the
 * new segment N = [ns, ne) win a byte currently written by O = [os, oe)?
 */
static bool
policy_new_wins(unsigned policy, uint64_t ns, uint64_t ne, uint64_t os, uint64_t oe)
{
	switch (policy) {
	case MOS_STREAM_POLICY_LAST:
		return true;
	case MOS_STREAM_POLICY_BSD:
	case MOS_STREAM_POLICY_WINDOWS:
	case MOS_STREAM_POLICY_HPUX10:
	case MOS_STREAM_POLICY_IRIX:
	case MOS_STREAM_POLICY_MACOS:
		return ns < os;
	case MOS_STREAM_POLICY_LINUX:
		return ns < os || (ns == os && ne > oe);
	case MOS_STREAM_POLICY_OLD_LINUX:
		return ns < os || (ns == os && ne >= oe);
	case MOS_STREAM_POLICY_SOLARIS:
	case MOS_STREAM_POLICY_HPUX11:
		return ne > oe || (ne == oe && ns <= os);
	case MOS_STREAM_POLICY_FIRST:
	case MOS_STREAM_POLICY_VISTA:
	default:
		return false;
	}
}

/* ---- memory cap and pool ----------------------------------------------- */

void
mos_stream_memcap_init(struct mos_stream_memcap *mc, uint64_t limit)
{
	mc->limit = limit;
	__atomic_store_n(&mc->used, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&mc->hits, 0, __ATOMIC_RELAXED);
}

struct mos_stream_pool *
mos_stream_pool_create(const struct mos_stream_pool_config *cfg)
{
	struct mos_stream_pool_config c = { 0 };
	struct mos_stream_pool *p;

	if (cfg != NULL)
		c = *cfg;
	if (c.page_size == 0)
		c.page_size = MOS_STREAM_DEFAULT_PAGE_SIZE;
	if (c.n_pages == 0)
		c.n_pages = MOS_STREAM_DEFAULT_PAGES;
	if (c.max_streams == 0)
		c.max_streams = MOS_STREAM_DEFAULT_STREAMS;
	if (c.max_ranges == 0)
		c.max_ranges = MOS_STREAM_DEFAULT_MAX_RANGES;
	if (c.n_range_tables == 0)
		c.n_range_tables = c.max_streams / 4 + 1;
	if (c.max_ranges <= INLINE_RANGES || c.max_ranges > (1u << 20) ||
	    c.n_range_tables >= PAGE_NONE || c.page_size < 256 || c.page_size > 65536 ||
	    (c.page_size & (c.page_size - 1)) != 0 || c.n_pages >= PAGE_NONE) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->page_size = c.page_size;
	p->shift = (uint32_t)__builtin_ctz(c.page_size);
	p->n_pages = c.n_pages;
	p->max_streams = c.max_streams;
	p->memcap = c.memcap;
	p->event_cb = c.event_cb;
	p->event_ctx = c.event_ctx;
	/* One operation raises at most two events per range it meets, and
	 * a few more; a callback's own calls add theirs while it runs. */
	p->evq_cap = 4 * c.max_ranges + 16;
	p->evq = calloc(p->evq_cap, sizeof(*p->evq));
	/* pages, stream objects and range tables are used at random: on huge pages */
	p->mem = mos_big_zalloc((size_t)c.n_pages << p->shift, &p->mem_map);
	p->free_pages = calloc(c.n_pages, sizeof(uint32_t));
	p->streams = mos_big_zalloc((size_t)c.max_streams * sizeof(struct mos_stream),
				    &p->streams_map);
	p->max_ranges = c.max_ranges;
	p->tables = mos_big_zalloc((size_t)c.n_range_tables * c.max_ranges * sizeof(struct range),
				   &p->tables_map);
	p->free_tables = calloc(c.n_range_tables, sizeof(uint32_t));
	if (p->mem == NULL || p->free_pages == NULL || p->streams == NULL ||
	    p->tables == NULL || p->free_tables == NULL || p->evq == NULL) {
		mos_stream_pool_free(p);
		errno = ENOMEM;
		return NULL;
	}
	/* On live ports (the EAL runs), touch the first MOS_STREAM_PREFAULT
	 * bytes now (the pages handed out first): no page faults on the data
	 * path under usual loads. A large pool's other pages, and an offline
	 * run's (which would pay for pages it may never use), fault in once,
	 * at their first use. */
	size_t bytes = (size_t)c.n_pages << p->shift;

	if (mos_eal_running())
		memset(p->mem, 0, bytes < MOS_STREAM_PREFAULT ? bytes : MOS_STREAM_PREFAULT);
	/* Hand out low page indexes first (stack top = index 0). */
	for (uint32_t i = 0; i < c.n_pages; i++)
		p->free_pages[i] = c.n_pages - 1 - i;
	p->n_free = c.n_pages;
	for (uint32_t i = 0; i < c.n_range_tables; i++)
		p->free_tables[i] = c.n_range_tables - 1 - i;
	p->n_tables_free = c.n_range_tables;
	/* Stream objects are handed out from streams[fresh..] once the free
	 * list is empty (same order as a list built up front: index 0
	 * first), so their memory is touched only as streams are created. */
	p->free_streams = NULL;
	p->fresh = 0;
	return p;
}

void
mos_stream_pool_free(struct mos_stream_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->streams != NULL && pool->memcap != NULL) {
		/* Give back the global cap's share of pages still held. */
		for (uint32_t i = 0; i < pool->max_streams; i++)
			if (pool->streams[i].flags & SF_IN_USE)
				mos_stream_destroy(&pool->streams[i]);
	}
	mos_big_free(pool->streams, pool->streams_map);
	mos_big_free(pool->tables, pool->tables_map);
	free(pool->free_tables);
	free(pool->free_pages);
	free(pool->evq);
	mos_big_free(pool->mem, pool->mem_map);
	free(pool);
}

void
mos_stream_pool_get_stats(const struct mos_stream_pool *pool, struct mos_stream_pool_stats *st)
{
	*st = pool->st;
}

size_t
mos_stream_object_size(void)
{
	return sizeof(struct mos_stream);
}

void
mos_stream_prefetch(const struct mos_stream *s)
{
	for (size_t at = 0; s != NULL && at < sizeof(*s); at += 64)
		__builtin_prefetch((const char *)s + at, 1, 3);
}

static inline uint8_t *
page_ptr(const struct mos_stream_pool *p, uint32_t idx)
{
	return p->mem + ((size_t)idx << p->shift);
}

static bool reclaim(struct mos_stream_pool *p, const struct mos_stream *self);
static void set_off(struct mos_stream *s, bool off);

/* Take a page for @self (NULL: a new stream). When none is left (pool
 * empty or memcap reached), the pages of a reclaimable stream are taken
 * back first (reclaim). Returns its index, or PAGE_NONE with *reason set. */
static uint32_t
page_get(struct mos_stream_pool *p, const struct mos_stream *self,
	 enum mos_stream_full_reason *reason)
{
	struct mos_stream_memcap *mc = p->memcap;

	while (p->n_free == 0) {
		if (!reclaim(p, self)) {
			*reason = MOS_STREAM_FULL_POOL;
			return PAGE_NONE;
		}
	}
	if (mc != NULL && mc->limit != 0) {
		uint64_t used;

		while ((used = __atomic_add_fetch(&mc->used, p->page_size, __ATOMIC_RELAXED)) > mc->limit) {
			__atomic_sub_fetch(&mc->used, p->page_size, __ATOMIC_RELAXED);
			if (!reclaim(p, self)) {
				__atomic_add_fetch(&mc->hits, 1, __ATOMIC_RELAXED);
				*reason = MOS_STREAM_FULL_MEMCAP;
				return PAGE_NONE;
			}
		}
	} else if (mc != NULL) {
		__atomic_add_fetch(&mc->used, p->page_size, __ATOMIC_RELAXED);
	}
	p->st.pages_in_use++;
	if (p->st.pages_in_use > p->st.pages_high)
		p->st.pages_high = p->st.pages_in_use;
	return p->free_pages[--p->n_free];
}

static void
page_put(struct mos_stream_pool *p, uint32_t idx)
{
	p->free_pages[p->n_free++] = idx;
	p->st.pages_in_use--;
	if (p->memcap != NULL)
		__atomic_sub_fetch(&p->memcap->used, p->page_size, __ATOMIC_RELAXED);
}

/* ---- events ------------------------------------------------------------ */

/* Raise @ev on @s: kept until the operation ends (deliver), with the edge
 * it met; counted and dropped when the ring is full. */
static void
emit(struct mos_stream *s, const struct mos_stream_event *ev)
{
	struct mos_stream_pool *p = s->pool;
	struct pending *e;

	if (p->event_cb == NULL)
		return;
	if (p->evq_n == p->evq_cap) {
		p->st.events_dropped++;
		return;
	}
	e = &p->evq[(p->evq_head + p->evq_n++) % p->evq_cap];
	e->s = s;
	e->ev = *ev;
	e->ev.edge = s->edge;
}

/* At the end of every operation that may raise events: hand them to the
 * callback in the order raised. The stream is consistent by then, so a
 * callback may call any function on any stream; what those calls raise
 * is delivered by the outermost deliver, after the events before it. */
static void
deliver(struct mos_stream_pool *p)
{
	if (p->delivering)
		return;
	p->delivering = true;
	while (p->evq_n > 0) {
		struct pending e = p->evq[p->evq_head];

		p->evq_head = (p->evq_head + 1) % p->evq_cap;
		p->evq_n--;
		if (e.s != NULL)
			p->event_cb(e.s, &e.ev, p->event_ctx);
	}
	p->delivering = false;
}

/* Bytes [from, to) could not be stored. */
static void
buffer_full(struct mos_stream *s, enum mos_stream_full_reason reason, uint64_t from, uint64_t to)
{
	struct mos_stream_event ev = {
		.type = MOS_STREAM_EV_BUFFER_FULL, .reason = reason,
		.stored_start = from, .stored_end = to,
	};

	s->dropped_bytes += to - from;
	s->pool->st.dropped_bytes += to - from;
	s->pool->st.full[reason]++;
	emit(s, &ev);
}

/* ---- range table ------------------------------------------------------- */

/* Index of the first range whose end is beyond @off (n_ranges if none). */
static uint32_t
range_find(const struct mos_stream *s, uint64_t off)
{
	uint32_t lo = 0, hi = s->n_ranges;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (s->ranges[mid].e <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Make room for @k more ranges (moving to a pool range table when the inline
 * table is full). Returns 0 or -ENOSPC. */
static int
range_reserve(struct mos_stream *s, uint32_t k)
{
	struct mos_stream_pool *p = s->pool;
	uint32_t t;

	if (s->n_ranges + k <= s->cap_ranges)
		return 0;
	if (s->range_table != PAGE_NONE || p->n_tables_free == 0)
		return -ENOSPC;
	t = p->free_tables[--p->n_tables_free];
	p->st.range_tables_in_use++;
	memcpy(&p->tables[(size_t)t * p->max_ranges], s->ranges, s->n_ranges * sizeof(struct range));
	s->ranges = &p->tables[(size_t)t * p->max_ranges];
	s->range_table = t;
	s->cap_ranges = p->max_ranges;
	return s->n_ranges + k <= s->cap_ranges ? 0 : -ENOSPC;
}

/* Give the range table back once it is empty (not as soon as the ranges
 * would fit inline: that would copy back and forth on every reorder). */
static void
range_shrink(struct mos_stream *s)
{
	struct mos_stream_pool *p = s->pool;

	if (s->range_table == PAGE_NONE || s->n_ranges > 0)
		return;
	memcpy(s->inline_ranges, s->ranges, s->n_ranges * sizeof(struct range));
	p->free_tables[p->n_tables_free++] = s->range_table;
	p->st.range_tables_in_use--;
	s->range_table = PAGE_NONE;
	s->ranges = s->inline_ranges;
	s->cap_ranges = INLINE_RANGES;
}

static void
range_insert(struct mos_stream *s, uint32_t idx, const struct range *r)
{
	memmove(&s->ranges[idx + 1], &s->ranges[idx], (s->n_ranges - idx) * sizeof(*r));
	s->ranges[idx] = *r;
	s->n_ranges++;
}

static void
range_remove(struct mos_stream *s, uint32_t idx)
{
	memmove(&s->ranges[idx], &s->ranges[idx + 1],
		(s->n_ranges - idx - 1) * sizeof(struct range));
	s->n_ranges--;
}

static bool
range_mergeable(const struct range *a, const struct range *b)
{
	if (a->e != b->s || a->kind != b->kind)
		return false;
	return a->kind == RANGE_MISSING || (a->os == b->os && a->olen == b->olen);
}

/* Merge range @idx with its neighbours when they continue each other. */
static void
range_merge_around(struct mos_stream *s, uint32_t idx)
{
	if (idx + 1 < s->n_ranges && range_mergeable(&s->ranges[idx], &s->ranges[idx + 1])) {
		s->ranges[idx].e = s->ranges[idx + 1].e;
		range_remove(s, idx + 1);
	}
	if (idx > 0 && idx < s->n_ranges &&
	    range_mergeable(&s->ranges[idx - 1], &s->ranges[idx])) {
		s->ranges[idx - 1].e = s->ranges[idx].e;
		range_remove(s, idx);
	}
}

/*
 * Record [from, to) as MISSING. Must not fail: when the table is full, the
 * highest range above the edge is evicted (its bytes count as dropped), or
 * failing that the previous MISSING range below @from is stretched up to
 * @to (readers then lose the valid bytes in between too).
 */
static void
mark_missing(struct mos_stream *s, uint64_t from, uint64_t to)
{
	struct range r = { .s = from, .e = to, .kind = RANGE_MISSING };
	uint32_t idx;

	if (from >= to)
		return;
	if (range_reserve(s, 1) != 0) {
		struct range *last = &s->ranges[s->n_ranges - 1];

		if (last->s >= to) {
			if (last->kind == RANGE_DATA)
				buffer_full(s, MOS_STREAM_FULL_SEGMENTS, last->s, last->e);
			s->n_ranges--;
		} else {
			idx = range_find(s, from);
			if (idx > 0)
				idx--;
			/* The table is full and nothing lies above: stretch. */
			if (s->ranges[idx].e < to)
				s->ranges[idx].e = to;
			if (s->ranges[idx].s > from)
				s->ranges[idx].s = from;
			s->ranges[idx].kind = RANGE_MISSING;
			while (idx + 1 < s->n_ranges && s->ranges[idx + 1].s < s->ranges[idx].e) {
				if (s->ranges[idx + 1].e > s->ranges[idx].e)
					s->ranges[idx].e = s->ranges[idx + 1].e;
				range_remove(s, idx + 1);
			}
			return;
		}
	}
	idx = range_find(s, from);
	range_insert(s, idx, &r);
	range_merge_around(s, idx);
}

/* ---- bytes ------------------------------------------------------------- */

static inline uint32_t *
slot_of(const struct mos_stream *s, uint64_t off)
{
	return &s->slots[(off >> s->pool->shift) & (s->n_slots - 1)];
}

/* Write @len bytes at @off; pages are taken as needed. Returns the bytes
 * written from the start (fewer when a page was refused: *why says why). */
static uint64_t
write_bytes(struct mos_stream *s, uint64_t off, const uint8_t *src, uint64_t len,
	    enum mos_stream_full_reason *why)
{
	struct mos_stream_pool *p = s->pool;
	uint64_t done = 0;

	if (s->discard)
		return len;          /* counted by the caller, never stored */
	while (done < len) {
		uint32_t *slot = slot_of(s, off);
		uint32_t in = (uint32_t)(off & (p->page_size - 1));
		uint64_t n = p->page_size - in;

		if (*slot == PAGE_NONE) {
			*slot = page_get(p, s, why);
			if (*slot == PAGE_NONE)
				break;
			s->pages++;
		}
		if (n > len - done)
			n = len - done;
		memcpy(page_ptr(p, *slot) + in, src + done, n);
		done += n;
		off += n;
	}
	return done;
}

/* Copy stored bytes [off, off + len) into @dst (pages must exist). */
static void
read_bytes(const struct mos_stream *s, uint64_t off, uint8_t *dst, uint64_t len)
{
	const struct mos_stream_pool *p = s->pool;

	while (len > 0) {
		uint32_t pg = *slot_of(s, off);
		uint32_t in = (uint32_t)(off & (p->page_size - 1));
		uint64_t n = p->page_size - in;

		if (n > len)
			n = len;
		if (pg == PAGE_NONE)
			memset(dst, 0, n);   /* cannot happen for valid bytes */
		else
			memcpy(dst, page_ptr(p, pg) + in, n);
		dst += n;
		off += n;
		len -= n;
	}
}

/* Compare stored [off, off + len) with @src: number of differing bytes,
 * first differing offset in *first. */
static uint64_t
compare_bytes(const struct mos_stream *s, uint64_t off, const uint8_t *src, uint64_t len,
	      uint64_t *first)
{
	const struct mos_stream_pool *p = s->pool;
	uint64_t diff = 0;

	if (s->discard)
		return 0;            /* nothing stored to compare with */
	while (len > 0) {
		uint32_t pg = *slot_of(s, off);
		uint32_t in = (uint32_t)(off & (p->page_size - 1));
		uint64_t n = p->page_size - in;
		const uint8_t *d;

		if (n > len)
			n = len;
		if (pg != PAGE_NONE) {
			d = page_ptr(p, pg) + in;
			if (memcmp(d, src, n) != 0) {
				for (uint64_t i = 0; i < n; i++) {
					if (d[i] != src[i]) {
						if (diff == 0)
							*first = off + i;
						diff++;
					}
				}
			}
		}
		src += n;
		off += n;
		len -= n;
	}
	return diff;
}

/* Release everything below @nb: drop or cut the ranges below it, free the
 * pages wholly below it. When that releases everything (@nb is the edge)
 * and nothing waits above the edge, the page holding the edge keeps no
 * byte anyone can read and goes too: the next append takes the top of the
 * free stack, most likely this page, still in cache. A reader that keeps
 * up then holds no page between two segments, and the pool's pages in use
 * are those of unread bytes. */
static void
release_to(struct mos_stream *s, uint64_t nb)
{
	uint32_t shift = s->pool->shift;
	uint64_t pn, pend, plim;
	uint32_t k = 0;

	if (nb <= s->base)
		return;
	while (k < s->n_ranges && s->ranges[k].e <= nb)
		k++;
	if (k > 0) {
		memmove(&s->ranges[0], &s->ranges[k], (s->n_ranges - k) * sizeof(struct range));
		s->n_ranges -= k;
	}
	if (s->n_ranges > 0 && s->ranges[0].s < nb)
		s->ranges[0].s = nb;
	pn = s->base >> shift;
	pend = (nb >> shift) + (nb == s->edge && s->n_ranges == 0);
	plim = pn + s->n_slots;
	if (pend > plim)
		pend = plim;
	for (; pn < pend; pn++) {
		uint32_t *slot = &s->slots[pn & (s->n_slots - 1)];

		if (*slot != PAGE_NONE) {
			page_put(s->pool, *slot);
			*slot = PAGE_NONE;
			s->pages--;
		}
	}
	s->base = nb;
}

/* Move the edge over ranges that start at it: DATA becomes in-order data,
 * MISSING stays as a hole below the edge. Returns true if it moved. */
static bool
advance(struct mos_stream *s)
{
	uint64_t old = s->edge;
	uint32_t idx = range_find(s, s->edge);

	while (idx < s->n_ranges && s->ranges[idx].s <= s->edge) {
		struct range *r = &s->ranges[idx];

		if (r->kind == RANGE_DATA) {
			/* A run of contiguous DATA ranges goes in one memmove. */
			uint32_t k = idx;

			while (k < s->n_ranges && s->ranges[k].kind == RANGE_DATA &&
			       s->ranges[k].s <= s->edge) {
				if (s->ranges[k].e > s->edge) {
					s->in_order_bytes += s->ranges[k].e - s->edge;
					s->edge = s->ranges[k].e;
				}
				k++;
			}
			memmove(&s->ranges[idx], &s->ranges[k],
				(s->n_ranges - k) * sizeof(struct range));
			s->n_ranges -= k - idx;
		} else {
			if (r->e > s->edge)
				s->edge = r->e;
			range_merge_around(s, idx);
			idx = range_find(s, s->edge);
		}
	}
	return s->edge != old;
}

/* Smallest open cursor offset, or UINT64_MAX when none is open. */
static uint64_t
min_cursor(const struct mos_stream *s)
{
	uint64_t m = UINT64_MAX;

	for (int i = 0; i < MOS_STREAM_MAX_CURSORS; i++)
		if ((s->cursor_mask & (1u << i)) && s->cur[i] < m)
			m = s->cur[i];
	return m;
}

/* ---- create / destroy / settings --------------------------------------- */

static uint32_t
slots_for(uint32_t page_size, uint32_t buf_size)
{
	uint64_t need = ((uint64_t)buf_size + page_size - 1) / page_size + 1;
	uint32_t n = 1;

	while (n < need)
		n <<= 1;
	/* Small rings always use the whole inline table, so an inline ring is
	 * never resized. */
	return n <= INLINE_SLOTS ? INLINE_SLOTS : n;
}

struct mos_stream *
mos_stream_create(struct mos_stream_pool *pool, uint32_t init_seq,
		  const struct mos_stream_config *cfg)
{
	struct mos_stream_config c = { 0 };
	struct mos_stream *s;
	uint32_t n_slots;

	if (pool == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (cfg != NULL)
		c = *cfg;
	if (c.buf_size == 0)
		c.buf_size = MOS_STREAM_DEFAULT_BUF_SIZE;
	if (c.buf_size > MOS_STREAM_MAX_BUF_SIZE(pool->page_size))
		c.buf_size = (uint32_t)MOS_STREAM_MAX_BUF_SIZE(pool->page_size);
	if ((unsigned)c.policy >= MOS_STREAM_POLICY_COUNT) {
		errno = EINVAL;
		return NULL;
	}
	if (pool->free_streams == NULL && pool->fresh < pool->max_streams) {
		pool->free_streams = &pool->streams[pool->fresh++];
		pool->free_streams->next_free = NULL;
	}
	s = pool->free_streams;
	if (s == NULL) {
		pool->st.streams_refused++;
		errno = ENOBUFS;
		return NULL;
	}
	/* A count-only stream stores no page: its slot table stays inline. */
	n_slots = c.discard ? INLINE_SLOTS : slots_for(pool->page_size, c.buf_size);
	{
		struct mos_stream *next = s->next_free;

		memset(s, 0, sizeof(*s));
		s->next_free = next;
	}
	if (n_slots <= INLINE_SLOTS) {
		s->slots = s->inline_slots;
		s->slot_page = PAGE_NONE;
	} else {
		enum mos_stream_full_reason why;
		uint32_t pg = page_get(pool, NULL, &why);

		if (pg == PAGE_NONE) {
			pool->st.streams_refused++;
			errno = ENOBUFS;
			return NULL;
		}
		s->slots = (uint32_t *)page_ptr(pool, pg);
		s->slot_page = pg;
	}
	pool->free_streams = s->next_free;
	pool->st.streams_in_use++;
	s->pool = pool;
	s->owner = c.owner;
	s->init_seq = init_seq;
	s->buf_size = c.buf_size;
	s->n_slots = n_slots;
	for (uint32_t i = 0; i < n_slots; i++)
		s->slots[i] = PAGE_NONE;
	s->ranges = s->inline_ranges;
	s->cap_ranges = INLINE_RANGES;
	s->range_table = PAGE_NONE;
	s->policy = (uint8_t)c.policy;
	s->discard = c.discard;
	s->flags = SF_IN_USE;
	return s;
}

/* ---- reclaim list ------------------------------------------------------ */

static void
rc_unlink(struct mos_stream *s)
{
	struct mos_stream_pool *p = s->pool;

	if (!(s->flags & SF_RECLAIM))
		return;
	if (s->rc_prev)
		s->rc_prev->rc_next = s->rc_next;
	else
		p->rc_head = s->rc_next;
	if (s->rc_next)
		s->rc_next->rc_prev = s->rc_prev;
	else
		p->rc_tail = s->rc_prev;
	s->rc_prev = s->rc_next = NULL;
	s->flags &= (uint8_t)~SF_RECLAIM;
}

void
mos_stream_set_reclaimable(struct mos_stream *s)
{
	struct mos_stream_pool *p;

	if (s == NULL || !(s->flags & SF_IN_USE) || (s->flags & SF_RECLAIM))
		return;
	p = s->pool;
	s->flags |= SF_RECLAIM;
	s->rc_next = NULL;
	s->rc_prev = p->rc_tail;
	if (p->rc_tail)
		p->rc_tail->rc_next = s;
	else
		p->rc_head = s;
	p->rc_tail = s;
}

/* Streams looked at per reclaim before giving up (those whose bytes are
 * not all delivered yet stay on the list for a later try). */
#define RECLAIM_SCAN 8

/* Take back the pages of the oldest reclaimable stream other than @self
 * whose bytes were all delivered, that no cursor lags behind and that
 * holds nothing out of order: it is turned off. True when pages came back. */
static bool
reclaim(struct mos_stream_pool *p, const struct mos_stream *self)
{
	struct mos_stream *s = p->rc_head, *next;

	for (int n = 0; s != NULL && n < RECLAIM_SCAN; s = next, n++) {
		uint32_t pages = s->pages;

		next = s->rc_next;
		if (s == self || s->delivered < s->edge || s->n_ranges != 0 || min_cursor(s) < s->edge)
			continue;
		rc_unlink(s);
		if (pages == 0)
			continue;
		set_off(s, true);
		p->st.reclaimed_streams++;
		p->st.reclaimed_pages += pages;
		return true;
	}
	return false;
}

/* Free every data page and the range table (back to inline). */
static void
free_all(struct mos_stream *s)
{
	for (uint32_t i = 0; i < s->n_slots; i++) {
		if (s->slots[i] != PAGE_NONE) {
			page_put(s->pool, s->slots[i]);
			s->slots[i] = PAGE_NONE;
		}
	}
	s->pages = 0;
	s->n_ranges = 0;
	range_shrink(s);
}

void
mos_stream_destroy(struct mos_stream *s)
{
	struct mos_stream_pool *p;

	if (s == NULL || !(s->flags & SF_IN_USE))
		return;
	p = s->pool;
	for (uint32_t i = 0; i < p->evq_n; i++)
		if (p->evq[(p->evq_head + i) % p->evq_cap].s == s)
			p->evq[(p->evq_head + i) % p->evq_cap].s = NULL;
	rc_unlink(s);
	free_all(s);
	if (s->slot_page != PAGE_NONE)
		page_put(p, s->slot_page);
	s->flags = 0;
	s->next_free = p->free_streams;
	p->free_streams = s;
	p->st.streams_in_use--;
}

void *
mos_stream_owner(const struct mos_stream *s)
{
	return s != NULL ? s->owner : NULL;
}

int
mos_stream_set_policy(struct mos_stream *s, enum mos_stream_policy p)
{
	if (s == NULL || (unsigned)p >= MOS_STREAM_POLICY_COUNT)
		return -EINVAL;
	s->policy = (uint8_t)p;
	return 0;
}

static int
set_buffer_size(struct mos_stream *s, uint32_t size)
{
	struct mos_stream_pool *p;
	uint32_t n_slots, new_page = PAGE_NONE, *nslots;
	uint64_t top, pn0;

	if (s == NULL || size == 0)
		return -EINVAL;
	p = s->pool;
	if (size > MOS_STREAM_MAX_BUF_SIZE(p->page_size))
		return -EINVAL;
	n_slots = s->discard ? s->n_slots : slots_for(p->page_size, size);
	if (n_slots > INLINE_SLOTS && n_slots != s->n_slots) {
		enum mos_stream_full_reason why;

		new_page = page_get(p, s, &why);
		if (new_page == PAGE_NONE)
			return -ENOBUFS;
	}
	/* Shrinking: out-of-order data beyond edge + size goes. */
	while (s->n_ranges > 0 && s->ranges[s->n_ranges - 1].e > s->edge + size) {
		struct range *r = &s->ranges[s->n_ranges - 1];
		uint64_t cut = r->s > s->edge + size ? r->s : s->edge + size;

		if (r->kind == RANGE_DATA)
			buffer_full(s, MOS_STREAM_FULL_WINDOW, cut, r->e);
		if (cut == r->s)
			s->n_ranges--;
		else
			r->e = cut;
	}
	top = s->edge;
	if (s->n_ranges > 0 && s->ranges[s->n_ranges - 1].e > top)
		top = s->ranges[s->n_ranges - 1].e;
	if (top > s->base + size)
		release_to(s, top - size);
	s->buf_size = size;
	if (n_slots == s->n_slots) {
		if (new_page != PAGE_NONE)
			page_put(p, new_page);
		return 0;
	}
	/* Re-home the live pages into the new ring. */
	if (new_page == PAGE_NONE) {
		/* page ring -> inline ring (inline rings never change size) */
		nslots = s->inline_slots;
	} else {
		nslots = (uint32_t *)page_ptr(p, new_page);
	}
	for (uint32_t i = 0; i < n_slots; i++)
		nslots[i] = PAGE_NONE;
	/* Every valid byte now lies in [base, base + size), i.e. in the first
	 * n_slots pages from base's; a page beyond holds only dropped data and
	 * would collide in a smaller ring: free it. */
	pn0 = s->base >> p->shift;
	for (uint64_t pn = pn0; pn < pn0 + s->n_slots; pn++) {
		uint32_t pg = s->slots[pn & (s->n_slots - 1)];

		if (pg == PAGE_NONE)
			continue;
		if (pn < pn0 + n_slots) {
			nslots[pn & (n_slots - 1)] = pg;
		} else {
			page_put(p, pg);
			s->pages--;
		}
	}
	if (s->slot_page != PAGE_NONE)
		page_put(p, s->slot_page);
	s->slots = nslots;
	s->slot_page = new_page;
	s->n_slots = n_slots;
	return 0;
}

static void
set_off(struct mos_stream *s, bool off)
{
	if (off && !(s->flags & SF_OFF)) {
		free_all(s);
		s->base = s->edge;
		for (int i = 0; i < MOS_STREAM_MAX_CURSORS; i++)
			if (s->cur[i] > s->edge)
				s->cur[i] = s->edge;
		s->flags |= SF_OFF;
	} else if (!off && (s->flags & SF_OFF)) {
		s->flags &= (uint8_t)~SF_OFF;
		if (s->recv_max > s->edge) {
			struct mos_stream_event ev = {
				.type = MOS_STREAM_EV_GAP,
				.stored_start = s->edge, .stored_end = s->recv_max,
			};

			s->gap_bytes += s->recv_max - s->edge;
			emit(s, &ev);
			s->edge = s->recv_max;
		}
		s->base = s->edge;
	}
}

/* ---- insert ------------------------------------------------------------ */

int64_t
mos_stream_seq_to_off(const struct mos_stream *s, uint32_t seq)
{
	uint32_t edge_seq = s->init_seq + (uint32_t)s->edge;

	return (int64_t)s->edge + (int32_t)(seq - edge_seq);
}

/* Bytes of [a, b) below the edge: compare with what is still retained
 * (MISSING ranges below the edge hold nothing to compare with). */
static unsigned
check_old(struct mos_stream *s, uint64_t a, uint64_t b, const uint8_t *src,
	  uint64_t a0, uint64_t b0)
{
	uint64_t pos = a < s->base ? s->base : a;
	uint32_t idx = range_find(s, pos);
	unsigned r = 0;

	while (pos < b) {
		uint64_t q = b, diff, first = 0;

		if (idx < s->n_ranges && s->ranges[idx].s <= pos) {
			pos = s->ranges[idx].e;
			idx++;
			continue;
		}
		if (idx < s->n_ranges && s->ranges[idx].s < q)
			q = s->ranges[idx].s;
		diff = compare_bytes(s, pos, src + (pos - a), q - pos, &first);
		if (diff > 0) {
			struct mos_stream_event ev = {
				.type = MOS_STREAM_EV_OVERLAP_MISMATCH,
				.stored_start = pos, .stored_end = q,
				.new_start = a0, .new_end = b0,
				.first_diff = first, .diff_bytes = (uint32_t)diff,
			};

			s->mismatch_events++;
			s->mismatch_bytes += diff;
			r |= MOS_STREAM_INS_MISMATCH;
			emit(s, &ev);
		}
		pos = q;
	}
	return r;
}

/* Store new bytes [p, q) (uncovered so far) written by segment [a0, b0);
 * @src points at offset p. Counts and reports what cannot be stored. */
static unsigned
fill_new(struct mos_stream *s, uint32_t idx, uint64_t p, uint64_t q, const uint8_t *src,
	 uint64_t a0, uint64_t b0)
{
	enum mos_stream_full_reason why = MOS_STREAM_FULL_POOL;
	struct range r = { .os = a0, .olen = (uint32_t)(b0 - a0), .kind = RANGE_DATA };
	uint64_t w;

	/* @idx is range_find(s, p): ranges do not move before the insert. */
	if (range_reserve(s, 2) != 0) {
		buffer_full(s, MOS_STREAM_FULL_SEGMENTS, p, q);
		return MOS_STREAM_INS_DROPPED;
	}
	w = write_bytes(s, p, src, q - p, &why);
	if (w > 0) {
		r.s = p;
		r.e = p + w;
		range_insert(s, idx, &r);
		range_merge_around(s, idx);
	}
	if (w < q - p) {
		buffer_full(s, why, p + w, q);
		mark_missing(s, p + w, q);
		return MOS_STREAM_INS_DROPPED;
	}
	return 0;
}

/* Range @idx covers [p, q); give that piece to a new writer (kind DATA,
 * writer [a0, b0), bytes @src) and split the range around it. */
static unsigned
replace_piece(struct mos_stream *s, uint32_t idx, uint64_t p, uint64_t q,
	      const uint8_t *src, uint64_t a0, uint64_t b0)
{
	enum mos_stream_full_reason why = MOS_STREAM_FULL_POOL;
	struct range old = s->ranges[idx];
	struct range mid = { .s = p, .os = a0, .olen = (uint32_t)(b0 - a0), .kind = RANGE_DATA };
	struct range right = old;
	uint64_t w;

	if (range_reserve(s, 2) != 0) {
		if (old.kind == RANGE_MISSING)
			return 0;            /* stays seen-but-missing */
		s->pool->st.full[MOS_STREAM_FULL_SEGMENTS]++;
		return 0;                    /* old bytes stay */
	}
	w = write_bytes(s, p, src, q - p, &why);
	if (w == 0) {
		s->pool->st.full[why]++;
		return 0;
	}
	mid.e = p + w;
	right.s = p + w;
	/* Replace old by [old.s, p) + mid + [p + w, old.e). */
	range_remove(s, idx);
	if (right.s < right.e)
		range_insert(s, idx, &right);
	range_insert(s, idx, &mid);
	if (old.s < p) {
		old.e = p;
		range_insert(s, idx, &old);
		idx++;
	}
	range_merge_around(s, idx);
	return 0;
}

static inline bool
nothing_above(const struct mos_stream *s)
{
	return s->n_ranges == 0 || s->ranges[s->n_ranges - 1].e <= s->edge;
}

/* Append @len new bytes at the edge (the window already makes room). */
static inline unsigned
append(struct mos_stream *s, const uint8_t *src, uint64_t len)
{
	enum mos_stream_full_reason why = MOS_STREAM_FULL_POOL;
	uint64_t a = s->edge, w;
	uint32_t *slot = slot_of(s, a);
	uint32_t in = (uint32_t)(a & (s->pool->page_size - 1));

	if (*slot != PAGE_NONE && in + len <= s->pool->page_size) {
		/* The common case: it fits in the current page. */
		memcpy(page_ptr(s->pool, *slot) + in, src, len);
		w = len;
	} else {
		w = write_bytes(s, a, src, len, &why);
	}
	s->edge = a + w;
	s->in_order_bytes += w;
	if (w < len) {
		buffer_full(s, why, a + w, a + len);
		mark_missing(s, a + w, a + len);
		s->edge = a + len;
		return MOS_STREAM_INS_ADVANCED | MOS_STREAM_INS_DROPPED;
	}
	return MOS_STREAM_INS_ADVANCED;
}

/* One chunk [a, b) of segment [a0, b0), at most buf_size long. */
static unsigned
insert_chunk(struct mos_stream *s, uint64_t a, uint64_t b, const uint8_t *src,
	     uint64_t a0, uint64_t b0, uint64_t *seen, uint64_t *newb)
{
	unsigned r = 0;
	uint64_t limit, pos;
	uint32_t idx;

	/* Below the edge: old bytes, final. */
	if (a < s->edge) {
		uint64_t u = b < s->edge ? b : s->edge;

		*seen += u - a;
		r |= check_old(s, a, u, src, a0, b0);
		src += u - a;
		a = u;
		if (a >= b)
			return r;
	}
	/* Beyond the window: not stored. */
	limit = s->edge + s->buf_size;
	if (b > limit) {
		uint64_t c = a > limit ? a : limit;

		*newb += b - c;
		buffer_full(s, MOS_STREAM_FULL_WINDOW, c, b);
		r |= MOS_STREAM_INS_DROPPED;
		b = c;
		if (a >= b)
			return r;
	}
	if (b - s->base > s->buf_size)
		release_to(s, b - s->buf_size);

	/* Fast path: in-order append, nothing stored above the edge. */
	if (a == s->edge && nothing_above(s)) {
		*newb += b - a;
		return r | append(s, src, b - a);
	}

	/* General path: walk the ranges over [a, b). */
	pos = a;
	idx = range_find(s, pos);
	while (pos < b) {
		struct range *e;
		uint64_t ov;

		if (idx >= s->n_ranges || s->ranges[idx].s > pos) {
			uint64_t q = b;

			if (idx < s->n_ranges && s->ranges[idx].s < q)
				q = s->ranges[idx].s;
			*newb += q - pos;
			if (pos == s->edge) {
				/* New bytes at the edge: in order at once, no range. */
				enum mos_stream_full_reason why = MOS_STREAM_FULL_POOL;
				uint64_t w = write_bytes(s, pos, src + (pos - a), q - pos, &why);

				s->edge = pos + w;
				s->in_order_bytes += w;
				r |= MOS_STREAM_INS_ADVANCED;
				if (w < q - pos) {
					buffer_full(s, why, pos + w, q);
					mark_missing(s, pos + w, q);
					s->edge = q;
					r |= MOS_STREAM_INS_DROPPED;
				}
				pos = q;
				idx = range_find(s, pos);
				continue;
			}
			r |= fill_new(s, idx, pos, q, src + (pos - a), a0, b0);
			pos = q;
			if (pos < b)
				idx = range_find(s, pos);
			continue;
		}
		e = &s->ranges[idx];
		ov = e->e < b ? e->e : b;
		*seen += ov - pos;
		if (e->kind == RANGE_MISSING) {
			r |= replace_piece(s, idx, pos, ov, src + (pos - a), a0, b0);
		} else {
			uint64_t first = 0;
			uint64_t diff = compare_bytes(s, pos, src + (pos - a), ov - pos, &first);

			if (diff > 0) {
				struct mos_stream_event ev = {
					.type = MOS_STREAM_EV_OVERLAP_MISMATCH,
					.stored_start = e->os, .stored_end = e->os + e->olen,
					.new_start = a0, .new_end = b0,
					.first_diff = first, .diff_bytes = (uint32_t)diff,
				};

				s->mismatch_events++;
				s->mismatch_bytes += diff;
				r |= MOS_STREAM_INS_MISMATCH;
				emit(s, &ev);
			}
			if (policy_new_wins(s->policy, a0, b0, e->os, e->os + e->olen))
				r |= replace_piece(s, idx, pos, ov, src + (pos - a), a0, b0);
		}
		pos = ov;
		idx = range_find(s, pos);
	}
	if (advance(s))
		r |= MOS_STREAM_INS_ADVANCED;
	return r;
}

static int
insert(struct mos_stream *s, uint32_t seq, const uint8_t *data, uint32_t len,
       unsigned seg_flags)
{
	uint64_t seen = 0, newb = 0, a, end;
	int64_t sa;
	unsigned r = 0;

	if (s == NULL || (data == NULL && len > 0))
		return -EINVAL;
	/* Fast path: the next in-order bytes of a plain segment, nothing stored
	 * above the edge, no FIN/RST/off state. Same result as the full path. */
	if (seg_flags == 0 && s->flags == SF_IN_USE && len > 0 && len <= s->buf_size &&
	    seq == s->init_seq + (uint32_t)s->edge && nothing_above(s)) {
		end = s->edge + len;
		if (end > s->recv_max)
			s->recv_max = end;
		if (end - s->base > s->buf_size)
			release_to(s, end - s->buf_size);
		return (int)(MOS_STREAM_INS_NEW | append(s, data, len));
	}
	if (seg_flags & MOS_STREAM_SEG_SYN)
		seq++;
	sa = mos_stream_seq_to_off(s, seq);
	if (seg_flags & MOS_STREAM_SEG_PROBE) {
		s->keepalives++;
		return MOS_STREAM_INS_KEEPALIVE;
	}
	if (len == 1 && s->edge > 0 && sa == (int64_t)s->edge - 1 &&
	    !(seg_flags & (MOS_STREAM_SEG_FIN | MOS_STREAM_SEG_RST | MOS_STREAM_SEG_SYN))) {
		s->keepalives++;
		return MOS_STREAM_INS_KEEPALIVE;
	}
	if (sa < 0) {
		uint64_t cut = (uint64_t)-sa < len ? (uint64_t)-sa : len;

		s->before_start_bytes += cut;
		r |= MOS_STREAM_INS_BEFORE_START;
		data += cut;
		len -= (uint32_t)cut;
		sa += (int64_t)cut;
	}
	a = (uint64_t)sa;
	end = a + len;
	if (len > 0 && (s->flags & SF_FIN) && end > s->fin_off)
		r |= MOS_STREAM_INS_AFTER_FIN;
	if ((seg_flags & MOS_STREAM_SEG_FIN) && !(s->flags & SF_FIN)) {
		s->flags |= SF_FIN;
		s->fin_off = end;
	}
	if ((seg_flags & MOS_STREAM_SEG_RST) && !(s->flags & SF_RST)) {
		s->flags |= SF_RST;
		s->rst_off = end;
	}
	if (len == 0)
		return (int)r;
	if (end > s->recv_max)
		s->recv_max = end;
	if (s->flags & SF_OFF) {
		s->dropped_bytes += len;
		return (int)(r | MOS_STREAM_INS_OFF);
	}
	if (a > s->edge) {
		r |= MOS_STREAM_INS_OOO;
		s->ooo_segs++;
	}
	for (uint64_t c = a; c < end;) {
		uint64_t ce = end - c > s->buf_size ? c + s->buf_size : end;

		r |= insert_chunk(s, c, ce, data + (c - a), a, end, &seen, &newb);
		c = ce;
	}
	range_shrink(s);
	s->rexmit_bytes += seen;
	if (newb > 0)
		r |= MOS_STREAM_INS_NEW;
	if (seen > 0 && newb == 0) {
		r |= MOS_STREAM_INS_REXMIT;
		s->rexmit_segs++;
	} else if (seen > 0) {
		r |= MOS_STREAM_INS_PARTIAL;
		s->partial_rexmit_segs++;
	}
	return (int)r;
}

static int64_t
skip_to(struct mos_stream *s, uint64_t off)
{
	uint64_t pos, gap = 0;
	uint32_t idx;

	if (s == NULL)
		return -EINVAL;
	if (off <= s->edge || (s->flags & SF_OFF))
		return 0;
	if (off - s->edge > MOS_STREAM_SKIP_MAX)
		return -ERANGE;
	/* Holes: the parts of [edge, off) no range covers. */
	pos = s->edge;
	idx = range_find(s, pos);
	while (pos < off) {
		uint64_t q = off;

		if (idx < s->n_ranges && s->ranges[idx].s <= pos) {
			pos = s->ranges[idx].e;
			idx++;
			continue;
		}
		if (idx < s->n_ranges && s->ranges[idx].s < q)
			q = s->ranges[idx].s;
		{
			struct mos_stream_event ev = {
				.type = MOS_STREAM_EV_GAP, .stored_start = pos, .stored_end = q,
			};

			gap += q - pos;
			emit(s, &ev);
		}
		mark_missing(s, pos, q);
		pos = q;
		idx = range_find(s, pos);
	}
	s->gap_bytes += gap;
	/* Everything up to off is in order now; stored data inside counts as
	 * delivered, MISSING ranges stay as holes. */
	idx = range_find(s, s->edge);
	while (idx < s->n_ranges && s->ranges[idx].s < off) {
		struct range *r = &s->ranges[idx];

		if (r->e > s->edge)
			s->edge = r->e > off ? r->e : off;
		if (r->kind == RANGE_DATA) {
			s->in_order_bytes += r->e - r->s;
			range_remove(s, idx);
		} else {
			idx++;
		}
	}
	if (s->edge < off)
		s->edge = off;
	advance(s);
	range_shrink(s);
	return (int64_t)gap;
}

/* The operations that may raise events: what they raised is delivered
 * once they are complete. */
static void
done(struct mos_stream *s)
{
	if (s != NULL && s->pool->evq_n > 0)
		deliver(s->pool);
}

int
mos_stream_set_buffer_size(struct mos_stream *s, uint32_t size)
{
	int rc = set_buffer_size(s, size);

	done(s);
	return rc;
}

int
mos_stream_set_off(struct mos_stream *s, bool off)
{
	if (s == NULL)
		return -EINVAL;
	set_off(s, off);
	done(s);
	return 0;
}

int
mos_stream_insert(struct mos_stream *s, uint32_t seq, const uint8_t *data,
		  uint32_t len, unsigned seg_flags)
{
	int rc = insert(s, seq, data, len, seg_flags);

	done(s);
	return rc;
}

int64_t
mos_stream_skip_to(struct mos_stream *s, uint64_t off)
{
	int64_t rc = skip_to(s, off);

	done(s);
	return rc;
}

uint64_t
mos_stream_new_data(struct mos_stream *s)
{
	uint64_t n;

	if (s == NULL)
		return 0;
	n = s->edge - s->delivered;
	s->delivered = s->edge;
	return n;
}

/* ---- readers ----------------------------------------------------------- */

int
mos_stream_cursor_open(struct mos_stream *s)
{
	if (s == NULL)
		return -EINVAL;
	for (int i = 0; i < MOS_STREAM_MAX_CURSORS; i++) {
		if (!(s->cursor_mask & (1u << i))) {
			s->cursor_mask |= (uint8_t)(1u << i);
			s->cur[i] = s->base;
			return i;
		}
	}
	return -ENOSPC;
}

static bool
cursor_ok(const struct mos_stream *s, int c)
{
	return s != NULL && c >= 0 && c < MOS_STREAM_MAX_CURSORS && (s->cursor_mask & (1u << c));
}

/* Release what every open cursor has passed. */
static void
release_read(struct mos_stream *s)
{
	uint64_t m = min_cursor(s);

	if (m != UINT64_MAX && m > s->base) {
		release_to(s, m < s->edge ? m : s->edge);
		range_shrink(s);
	}
}

int
mos_stream_cursor_close(struct mos_stream *s, int cursor)
{
	if (!cursor_ok(s, cursor))
		return -EINVAL;
	s->cursor_mask &= (uint8_t)~(1u << cursor);
	release_read(s);
	return 0;
}

int64_t
mos_stream_cursor_offset(const struct mos_stream *s, int cursor)
{
	if (!cursor_ok(s, cursor))
		return -EINVAL;
	return (int64_t)s->cur[cursor];
}

/* Valid bytes from @off (>= base, < edge, not in a hole): how many follow
 * contiguously, or 0 when @off is in a hole. */
static uint64_t
valid_run(const struct mos_stream *s, uint64_t off)
{
	uint32_t idx = range_find(s, off);

	if (idx < s->n_ranges && s->ranges[idx].s <= off)
		return 0;
	if (idx < s->n_ranges && s->ranges[idx].s < s->edge)
		return s->ranges[idx].s - off;
	return s->edge - off;
}

/* The first readable offset at or after @cursor's position: bytes already
 * released and holes below the in-order edge are skipped and added to
 * *lostn. */
static uint64_t
cursor_seek(const struct mos_stream *s, int cursor, uint64_t *lostn)
{
	uint64_t pos = s->cur[cursor];

	if (pos < s->base) {
		*lostn += s->base - pos;
		pos = s->base;
	}
	while (pos < s->edge && valid_run(s, pos) == 0) {
		uint32_t idx = range_find(s, pos);
		uint64_t e = s->ranges[idx].e < s->edge ? s->ranges[idx].e : s->edge;

		*lostn += e - pos;
		pos = e;
	}
	return pos;
}

ssize_t
mos_stream_read(struct mos_stream *s, int cursor, void *buf, size_t len, uint64_t *lost)
{
	uint64_t pos, lostn = 0, run;
	ssize_t n;

	if (!cursor_ok(s, cursor) || (buf == NULL && len > 0))
		return -EINVAL;
	if (s->discard)
		return -ENOTSUP;
	pos = cursor_seek(s, cursor, &lostn);
	if (lost != NULL)
		*lost += lostn;
	if (pos >= s->edge) {
		s->cur[cursor] = pos;
		release_read(s);
		return lostn > 0 ? 0 : -ENODATA;
	}
	run = valid_run(s, pos);
	if (run > len)
		run = len;
	if (run > SSIZE_MAX)
		run = SSIZE_MAX;
	read_bytes(s, pos, buf, run);
	n = (ssize_t)run;
	s->cur[cursor] = pos + run;
	release_read(s);
	return n;
}

ssize_t
mos_stream_read_ptr(struct mos_stream *s, int cursor, const uint8_t **ptr, size_t max,
		    uint64_t *lost)
{
	uint64_t pos, lostn = 0, run, in, m;

	if (!cursor_ok(s, cursor) || ptr == NULL)
		return -EINVAL;
	if (s->n_ranges == 0 && s->cursor_mask == 1u << cursor && s->cur[cursor] >= s->base) {
		/* The common case, one reader and no range (no hole, nothing
		 * above the edge): the steps below without the searches. */
		pos = s->cur[cursor];
		if (pos > s->base) {
			release_to(s, pos < s->edge ? pos : s->edge);
			range_shrink(s);
		}
		if (pos >= s->edge)
			return -ENODATA;
		run = s->edge - pos;
	} else {
		pos = cursor_seek(s, cursor, &lostn);
		if (lost != NULL)
			*lost += lostn;
		/* Release what the previous call handed out (and all before pos). */
		s->cur[cursor] = pos;
		release_read(s);
		if (pos >= s->edge)
			return lostn > 0 ? 0 : -ENODATA;
		run = valid_run(s, pos);
	}
	in = pos & (s->pool->page_size - 1);
	m = s->pool->page_size - in;
	if (run > m)
		run = m;
	if (run > max)
		run = max;
	*ptr = s->discard ? NULL : page_ptr(s->pool, *slot_of(s, pos)) + in;
	/* The cursor moves now; the release waits for the next call. */
	s->cur[cursor] = pos + run;
	return (ssize_t)run;
}

void
mos_stream_drain(struct mos_stream *s, uint8_t *cursor)
{
	const uint8_t *p;

	if (s == NULL || cursor == NULL)
		return;
	if (*cursor == 0) {
		int id = mos_stream_cursor_open(s);

		if (id < 0)
			return;
		*cursor = (uint8_t)(id + 1);
	}
	while (mos_stream_read_ptr(s, *cursor - 1, &p, SIZE_MAX, NULL) >= 0)
		;
}

bool
mos_stream_drain_done(struct mos_stream *s, uint8_t *cursor)
{
	struct mos_stream_info si;

	if (s == NULL || mos_stream_get_info(s, &si) != 0 || si.off || !si.fin_seen ||
	    si.edge < si.fin_off)
		return false;
	mos_stream_drain(s, cursor);
	if (mos_stream_get_info(s, &si) == 0 && si.ooo_bytes == 0)
		set_off(s, true);
	return true;
}

ssize_t
mos_stream_peek(const struct mos_stream *s, uint64_t off, void *buf, size_t len)
{
	uint64_t run;

	if (s == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (s->discard)
		return -ENOTSUP;
	if (off < s->base)
		return -ERANGE;
	if (off >= s->edge)
		return -ENODATA;
	run = valid_run(s, off);
	if (run == 0)
		return -ENOENT;
	if (run > len)
		run = len;
	if (run > SSIZE_MAX)
		run = SSIZE_MAX;
	read_bytes(s, off, buf, run);
	return (ssize_t)run;
}

int
mos_stream_fragments(const struct mos_stream *s, struct mos_stream_frag *out, unsigned n)
{
	int count = 0;
	uint64_t cs = 0, ce = 0;
	bool open = false;

	if (s == NULL || (out == NULL && n > 0))
		return -EINVAL;
	for (uint32_t i = range_find(s, s->edge); i < s->n_ranges; i++) {
		const struct range *r = &s->ranges[i];

		if (r->kind != RANGE_DATA)
			continue;
		if (open && r->s == ce) {
			ce = r->e;
			continue;
		}
		if (open) {
			if ((unsigned)count < n)
				out[count] = (struct mos_stream_frag){ cs, ce };
			count++;
		}
		cs = r->s;
		ce = r->e;
		open = true;
	}
	if (open) {
		if ((unsigned)count < n)
			out[count] = (struct mos_stream_frag){ cs, ce };
		count++;
	}
	return count;
}

int
mos_stream_get_info(const struct mos_stream *s, struct mos_stream_info *info)
{
	if (s == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->init_seq = s->init_seq;
	info->policy = (enum mos_stream_policy)s->policy;
	info->buf_size = s->buf_size;
	info->off = (s->flags & SF_OFF) != 0;
	info->fin_seen = (s->flags & SF_FIN) != 0;
	info->rst_seen = (s->flags & SF_RST) != 0;
	info->base = s->base;
	info->edge = s->edge;
	info->recv_max = s->recv_max;
	info->fin_off = s->fin_off;
	info->rst_off = s->rst_off;
	for (uint32_t i = 0; i < s->n_ranges; i++)
		if (s->ranges[i].kind == RANGE_DATA)
			info->ooo_bytes += s->ranges[i].e - s->ranges[i].s;
	info->in_order_bytes = s->in_order_bytes;
	info->gap_bytes = s->gap_bytes;
	info->rexmit_bytes = s->rexmit_bytes;
	info->rexmit_segs = s->rexmit_segs;
	info->partial_rexmit_segs = s->partial_rexmit_segs;
	info->ooo_segs = s->ooo_segs;
	info->mismatch_events = s->mismatch_events;
	info->mismatch_bytes = s->mismatch_bytes;
	info->dropped_bytes = s->dropped_bytes;
	info->keepalives = s->keepalives;
	info->before_start_bytes = s->before_start_bytes;
	info->pages = s->pages;
	info->ranges = s->n_ranges;
	return 0;
}
