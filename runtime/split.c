/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * split.c — one capture file's scan shared by the offline workers (see
 * split.h).
 *
 * Chunk k holds the records that start in [first + k * SPLIT_CHUNK,
 * first + (k + 1) * SPLIT_CHUNK). A worker claims the next chunk (next)
 * and scans it into slot k % n_slots (its records, the latest time up to
 * each, and every worker's list of its own), once every worker has taken
 * the chunk that slot held before (done[]), then publishes it (ready =
 * k + 1, release). Who scans: a worker that waits for its next chunk, and a
 * worker ahead of the slowest, up to SPLIT_LEAD chunks ahead of itself;
 * the slowest does not scan ahead (it would fall further behind), so the
 * scan goes to whoever has time. Each worker knows where the walk of the
 * chunks it took ended: when a chunk's guessed start differs, the first
 * worker to see it walks the chunk again from there (fixing) and
 * publishes the right start last.
 *
 * A chunk is read (pread, as its walk needs) into a buffer of its slot:
 * SPLIT_CHUNK bytes and the tail of its last record. The records a worker
 * took stay in use until its next split_next (released[]): a slot scanned
 * again before that sets its buffer aside (spare) and takes another.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_spinlock.h>

#include "mos/app.h"

#include "app_private.h"
#include "split.h"

#define SPLIT_CHUNK (256u << 10)     /* bytes of the file per chunk */
#define SPLIT_RECS  (SPLIT_CHUNK / 16) /* most records starting in one chunk */
#define SPLIT_LEAD  2                /* chunks a worker ahead scans beyond the one it took */
#define SPLIT_SLOTS 3                /* slots besides one per worker */
#define SPLIT_BUFS  (MOS_SOURCE_PEEK_MAX + 1) /* buffers a worker's burst may hold */

struct slot {
	uint64_t ready;              /* chunk number + 1 once scanned (atomic) */
	size_t start;                /* its first record; SIZE_MAX if none was found (atomic) */
	size_t end;                  /* after its last record */
	unsigned fixing;             /* a worker walks it again (atomic) */
	unsigned n;                  /* records */
	bool bad;                    /* the walk stopped at a record the mapping does not take */
	struct mos_source_counters c;/* its records, bytes and cut frames */
	struct mos_source_rec *recs; /* SPLIT_RECS records */
	uint64_t *latest;            /* the latest time up to each (0 before the chunk) */
	uint16_t *owner;             /* their owners (for the lists) */
	uint16_t *mine;              /* the records of worker w, in input order:
				      * mine[first[w]] to mine[first[w + 1] - 1] */
	unsigned first[MOS_APP_MAX_WORKERS + 1];
	struct mos_source_view v;    /* the chunk's bytes (v.buf NULL: no buffer) */
	uint64_t held;               /* the chunk whose bytes v.buf holds */
} __rte_cache_aligned;

/* A buffer set aside: records of chunk @chunk may be in use in a burst. */
struct spare {
	uint8_t *buf;
	uint64_t chunk;
};

/* A worker's progress (its own cache line). */
struct cursor {
	uint64_t chunk;              /* next chunk to take */
	struct slot *slot;           /* the chunk being taken, NULL between chunks */
	unsigned i;                  /* its next record */
	unsigned mi;                 /* its next record of this worker's (in mine[]) */
	uint64_t now;                /* the latest time of the records taken */
	size_t prev_end;             /* where the walk of the chunks taken ended */
	bool over;                   /* the split file is read: mos_source_peek */
} __rte_cache_aligned;

struct split {
	struct mos_source *src[MOS_APP_MAX_WORKERS]; /* each worker's source */
	unsigned n;                  /* workers */
	unsigned n_slots;            /* slots */
	size_t first;                /* the file's first record */
	size_t cap;                  /* bytes of a buffer: a chunk and the tail of its last record */
	uint64_t chunks;             /* chunks in the file */
	split_owner_fn fn;           /* owner of a record */
	void *arg;
	struct slot *slots;
	rte_spinlock_t lock;         /* spare, n_spare, n_bufs */
	struct spare *spare;         /* buffers set aside */
	unsigned n_spare, n_bufs, max_bufs; /* ... buffers allocated, and the most */
	bool abandoned;              /* some workers never started (atomic) */
	uint64_t next __rte_cache_aligned; /* next chunk to scan (atomic) */
	uint64_t done[MOS_APP_MAX_WORKERS] __rte_cache_aligned; /* chunks taken by each
								 * worker, UINT64_MAX once it left (atomic) */
	uint64_t released[MOS_APP_MAX_WORKERS] __rte_cache_aligned; /* chunks whose records
				      * each worker no longer uses: taken before its
				      * last split_next (atomic) */
	struct cursor cur[MOS_APP_MAX_WORKERS];
};

struct split *
split_new(struct mos_source *const *srcs, unsigned n, split_owner_fn fn, void *arg)
{
	struct mos_source_layout lay, other;
	struct split *sp;

	if (n < 2 || n > MOS_APP_MAX_WORKERS || !mos_source_split_begin(srcs[0], &lay))
		return NULL;
	for (unsigned i = 1; i < n; i++)
		if (!mos_source_split_begin(srcs[i], &other) || other.dev != lay.dev ||
		    other.ino != lay.ino || other.first != lay.first || other.len != lay.len ||
		    other.tail != lay.tail)
			return NULL;
	if (posix_memalign((void **)&sp, RTE_CACHE_LINE_SIZE, sizeof(*sp)) != 0)
		return NULL;
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->src, srcs, n * sizeof(*srcs));
	sp->n = n;
	sp->n_slots = SPLIT_SLOTS + n;
	sp->first = lay.first;
	sp->cap = SPLIT_CHUNK + lay.tail;
	sp->chunks = (lay.len - lay.first + SPLIT_CHUNK - 1) / SPLIT_CHUNK;
	sp->fn = fn;
	sp->arg = arg;
	if (posix_memalign((void **)&sp->slots, RTE_CACHE_LINE_SIZE,
			   sp->n_slots * sizeof(*sp->slots)) != 0) {
		free(sp);
		return NULL;
	}
	memset(sp->slots, 0, sp->n_slots * sizeof(*sp->slots));
	rte_spinlock_init(&sp->lock);
	sp->max_bufs = sp->n_slots + n * SPLIT_BUFS;
	if ((sp->spare = calloc(sp->max_bufs, sizeof(*sp->spare))) == NULL) {
		split_free(sp);
		return NULL;
	}
	for (unsigned i = 0; i < sp->n_slots; i++) {
		struct slot *s = &sp->slots[i];

		s->recs = malloc(SPLIT_RECS * sizeof(*s->recs));
		s->latest = malloc(SPLIT_RECS * sizeof(*s->latest));
		s->owner = malloc(SPLIT_RECS * sizeof(*s->owner));
		s->mine = malloc(SPLIT_RECS * sizeof(*s->mine));
		if (s->recs == NULL || s->latest == NULL || s->owner == NULL || s->mine == NULL) {
			split_free(sp);
			return NULL;
		}
	}
	for (unsigned w = 0; w < n; w++)
		sp->cur[w].prev_end = lay.first;
	return sp;
}

void
split_free(struct split *sp)
{
	if (sp == NULL)
		return;
	for (unsigned i = 0; i < sp->n_slots; i++) {
		free(sp->slots[i].recs);
		free(sp->slots[i].latest);
		free(sp->slots[i].owner);
		free(sp->slots[i].mine);
		free(sp->slots[i].v.buf);
	}
	for (unsigned i = 0; i < sp->n_spare; i++)
		free(sp->spare[i].buf);
	free(sp->spare);
	free(sp->slots);
	free(sp);
}

void
split_leave(struct split *sp, unsigned w)
{
	__atomic_store_n(&sp->done[w], UINT64_MAX, __ATOMIC_RELEASE);
	__atomic_store_n(&sp->released[w], UINT64_MAX, __ATOMIC_RELEASE);
}

void
split_abandon(struct split *sp)
{
	__atomic_store_n(&sp->abandoned, true, __ATOMIC_RELAXED);
}

/* Walk chunk @k into @s from @at (SIZE_MAX: no record found there): the
 * records, the latest time up to each, and every worker's list. */
static void
fill(struct split *sp, unsigned w, struct slot *s, uint64_t k, size_t at)
{
	size_t to = sp->first + (k + 1) * SPLIT_CHUNK;
	unsigned count[MOS_APP_MAX_WORKERS] = { 0 };
	uint64_t latest = 0;
	bool bad = false;

	s->n = 0;
	memset(&s->c, 0, sizeof(s->c));
	if (s->v.buf == NULL)
		bad = true;          /* no buffer: mos_source_peek reads on from here */
	else if (at != SIZE_MAX)
		/* starts in one chunk, 16 bytes a record at least: SPLIT_RECS hold them */
		s->n = mos_source_split_walk(sp->src[w], &s->v, &at, to, s->recs, SPLIT_RECS,
					     &s->c, &bad);
	for (unsigned i = 0; i < s->n; i++) {
		latest = RTE_MAX(latest, s->recs[i].ts_ns);
		s->latest[i] = latest;
		s->owner[i] = sp->fn(sp->arg, &s->recs[i]);
		count[s->owner[i]]++;
	}
	s->first[0] = 0;
	for (unsigned o = 0; o < sp->n; o++) {
		s->first[o + 1] = s->first[o] + count[o];
		count[o] = s->first[o];
	}
	for (unsigned i = 0; i < s->n; i++)
		s->mine[count[s->owner[i]]++] = (uint16_t)i;
	/* atomic: first_record reads them while the chunk may be walked again */
	__atomic_store_n(&s->bad, bad, __ATOMIC_RELAXED);
	__atomic_store_n(&s->end, at, __ATOMIC_RELAXED);
}

static uint64_t
min_of(const uint64_t *per_worker, unsigned n)
{
	uint64_t low = UINT64_MAX;

	for (unsigned w = 0; w < n; w++) {
		uint64_t d = __atomic_load_n(&per_worker[w], __ATOMIC_ACQUIRE);

		if (d < low)
			low = d;
	}
	return low;
}

static uint64_t
min_done(const struct split *sp)
{
	return min_of(sp->done, sp->n);
}

/* Give slot @s a buffer for chunk @k (from @lo on): its own unless a
 * worker may still use records of the chunk it held (then set aside), else
 * one set aside that none uses any more, or a new one; none (v.buf NULL)
 * when SPLIT_BUFS a worker are in use or memory ran out. */
static void
slot_buffer(struct split *sp, struct slot *s, uint64_t k, size_t lo)
{
	uint64_t low = min_of(sp->released, sp->n);
	uint8_t *buf = s->v.buf;

	rte_spinlock_lock(&sp->lock);
	if (buf != NULL && s->held >= low) {
		sp->spare[sp->n_spare++] = (struct spare){ buf, s->held };
		buf = NULL;
	}
	for (unsigned i = 0; buf == NULL && i < sp->n_spare; i++)
		if (sp->spare[i].chunk < low) {
			buf = sp->spare[i].buf;
			sp->spare[i] = sp->spare[--sp->n_spare];
		}
	if (buf == NULL && sp->n_bufs < sp->max_bufs && (buf = malloc(sp->cap)) != NULL)
		sp->n_bufs++;
	rte_spinlock_unlock(&sp->lock);
	s->v = (struct mos_source_view){
		.buf = buf, .cap = sp->cap, .lo = lo, .hi = lo, .ahead = lo + SPLIT_CHUNK
	};
	s->held = k;
}

/* A guess at chunk @k's first record (@lo: the chunk's first byte): where
 * the walk of chunk k - 1 ended, when that chunk is scanned and its walk
 * went on to the end (a guess all the same: its own start was one), else
 * the first chain of headers from @lo. */
static size_t
first_record(struct split *sp, unsigned w, struct slot *s, uint64_t k, size_t lo)
{
	const struct slot *p = &sp->slots[(k - 1) % sp->n_slots];

	if (__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE) == k) {
		size_t end = __atomic_load_n(&p->end, __ATOMIC_RELAXED);
		bool bad = __atomic_load_n(&p->bad, __ATOMIC_RELAXED);

		/* still chunk k - 1's (the slot may have been scanned again) */
		if (__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE) == k && !bad && end >= lo &&
		    end != SIZE_MAX)
			return end;
	}
	return s->v.buf == NULL ? SIZE_MAX
				: mos_source_split_sync(sp->src[w], &s->v, lo, lo + SPLIT_CHUNK);
}

/* Scan the next chunk, if it is at most @limit and its slot is free:
 * false when there was none to scan. */
static bool
scan_one(struct split *sp, unsigned w, uint64_t limit)
{
	uint64_t k = __atomic_load_n(&sp->next, __ATOMIC_RELAXED);
	struct slot *s;
	size_t lo, at;

	if (k >= sp->chunks || k > limit || k >= min_done(sp) + sp->n_slots)
		return false;
	if (!__atomic_compare_exchange_n(&sp->next, &k, k + 1, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return true;         /* another worker took it */
	s = &sp->slots[k % sp->n_slots];
	lo = sp->first + k * SPLIT_CHUNK;
	slot_buffer(sp, s, k, lo);
	at = k == 0 ? lo : first_record(sp, w, s, k, lo);
	__atomic_store_n(&s->fixing, 0, __ATOMIC_RELAXED);
	fill(sp, w, s, k, at);
	__atomic_store_n(&s->start, at, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ready, k + 1, __ATOMIC_RELEASE);
	return true;
}

static bool
must_stop(const struct split *sp)
{
	return mos_app_stop_requested() || __atomic_load_n(&sp->abandoned, __ATOMIC_RELAXED);
}

/* Worker @w's next chunk, its first record checked; NULL when a stop was
 * requested or the run abandoned while waiting for it. */
static struct slot *
chunk_take(struct split *sp, unsigned w, struct cursor *cu)
{
	struct slot *s = &sp->slots[cu->chunk % sp->n_slots];

	while (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) != cu->chunk + 1) {
		if (must_stop(sp))
			return NULL;
		if (!scan_one(sp, w, UINT64_MAX))
			rte_pause();
	}
	for (;;) {
		unsigned idle = 0;

		if (__atomic_load_n(&s->start, __ATOMIC_ACQUIRE) == cu->prev_end)
			return s;
		if (__atomic_compare_exchange_n(&s->fixing, &idle, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			/* the guess was wrong: walk it from the true start */
			fill(sp, w, s, cu->chunk, cu->prev_end);
			__atomic_store_n(&s->start, cu->prev_end, __ATOMIC_RELEASE);
			return s;
		}
		if (must_stop(sp))
			return NULL;
		rte_pause();
	}
}

/* The split file is read up to @cu->prev_end: the rest of the input
 * through mos_source_peek. */
static void
split_over(struct split *sp, unsigned w, struct cursor *cu)
{
	mos_source_split_end(sp->src[w], cu->prev_end);
	cu->over = true;
	/* its last records are in use until its next split_next */
	__atomic_store_n(&sp->done[w], UINT64_MAX, __ATOMIC_RELEASE);
}

bool
split_done(const struct split *sp, unsigned w)
{
	return sp->cur[w].over;
}

uint16_t
split_next(struct split *sp, unsigned w, uint16_t n, uint64_t *clock,
	   struct mos_source_rec *recs, uint16_t *at, uint16_t *k)
{
	struct cursor *cu = &sp->cur[w];
	uint16_t got = 0, k0 = 0;

	/* the records of the last call are no longer in use */
	__atomic_store_n(&sp->released[w], cu->over ? UINT64_MAX : cu->chunk, __ATOMIC_RELEASE);
	while (got < n && !cu->over) {
		struct slot *s = cu->slot;
		unsigned take, end, last, mi;
		uint16_t mine;

		if (s == NULL) {
			if (cu->chunk == sp->chunks) {
				split_over(sp, w, cu);
				break;
			}
			if ((s = chunk_take(sp, w, cu)) == NULL)
				break;
			cu->slot = s;
			cu->i = 0;
			cu->mi = s->first[w];
		}
		take = RTE_MIN(s->n - cu->i, (unsigned)(n - got));
		end = cu->i + take;
		/* the latest time so far: the chunk's own, until it reaches the
		 * latest before the chunk (it never goes back) */
		memcpy(clock + got, s->latest + cu->i, take * sizeof(*clock));
		for (unsigned j = 0; j < take && clock[got + j] < cu->now; j++)
			clock[got + j] = cu->now;
		if (take > 0)
			cu->now = clock[got + take - 1];
		for (mi = cu->mi, last = s->first[w + 1], mine = k0; mi < last && s->mine[mi] < end;
		     mi++, mine++) {
			recs[mine] = s->recs[s->mine[mi]];
			at[mine] = (uint16_t)(got + s->mine[mi] - cu->i);
		}
		k0 = mine;
		cu->mi = mi;
		cu->i = end;
		got = (uint16_t)(got + take);
		if (cu->i < s->n)
			break;
		/* chunk taken: once every worker has, its slot is scanned again */
		cu->prev_end = s->end;
		mos_source_split_pass(sp->src[w], &s->c);
		cu->slot = NULL;
		cu->chunk++;
		if (s->bad) {
			split_over(sp, w, cu);
			break;
		}
		__atomic_store_n(&sp->done[w], cu->chunk, __ATOMIC_RELEASE);
		/* a worker ahead of the slowest scans ahead (the slowest would
		 * fall further behind) */
		if (cu->chunk > min_done(sp))
			scan_one(sp, w, cu->chunk + SPLIT_LEAD);
	}
	*k = k0;
	return got;
}
