/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * recmerge.c — the offline workers' record lines, merged while the run
 * goes on (see recmerge.h).
 *
 * A worker's lines are a chain of blocks, each line a header (tag,
 * length) and its bytes, 8-byte aligned. The worker (producer) publishes
 * the end of its complete lines in the block (used, release) and links a
 * new block once the current one is full (next, release, after its last
 * used); the merge (consumer, under the merge lock) reads up to used and
 * follows next. A block passed by the merge goes back to its worker's free
 * list once the lines read from it are written.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_spinlock.h>

#include "mos/bigmem.h"

#include "app_private.h"
#include "recmerge.h"

#define HUGE      (2u << 20)         /* a transparent huge page */
#define FREE_KEEP 2u                 /* blocks a worker keeps for later lines */

struct block {
	struct block *next;          /* the block written after this one (atomic) */
	struct block *back;          /* the merge's list of blocks to give back */
	unsigned owner;              /* the worker that wrote it */
	size_t used;                 /* bytes of whole lines (atomic) */
	size_t cap;                  /* bytes of data */
	size_t mapped;               /* for mos_big_free */
	char data[] __rte_aligned(8);
};

/* Bytes of lines in a block (a longer line gets a block of its own). */
#define BLOCK (HUGE - sizeof(struct block))

struct hdr {
	uint64_t tag;                /* input position of the line's first byte */
	uint64_t len;                /* bytes, newline included */
};

/* One worker's queue: what its thread writes, what the merge reads and
 * what both touch, each on cache lines of its own. */
struct queue {
	/* the worker's */
	struct block *tail;          /* written to */
	size_t wr;                   /* its bytes written, the open line's included */
	size_t line;                 /* the open line's header, in tail */
	uint64_t tag;                /* the open line's */
	bool in_line;                /* a line is open */
	bool skip;                   /* the open line is lost (no memory) */
	uint64_t lost, waits;
	/* the merge's */
	struct block *rd __rte_cache_aligned; /* read from */
	size_t roff;                 /* its next line */
	uint64_t head;               /* merge_to: that line's tag, UINT64_MAX if none */
	/* both */
	uint64_t passed __rte_cache_aligned; /* no line tagged before it will come (atomic) */
	size_t held;                 /* bytes of blocks taken, not given back (atomic) */
	rte_spinlock_t lock;         /* free, n_free */
	struct block *free;
	unsigned n_free;
} __rte_cache_aligned;

/* A line of the group being written. */
struct ref {
	const char *p;
	uint64_t key;                /* sort_group: 8 bytes after the group's common prefix */
	uint32_t len;
};

struct recmerge {
	unsigned n;
	FILE *out;
	size_t held_max;
	rte_spinlock_t lock __rte_cache_aligned; /* the merge: the fields below, and
				      * the merge's part of every queue */
	uint64_t written_to;         /* lines tagged before it are written (read unlocked) */
	struct ref *refs, *tmp;      /* a group; room for the radix sort */
	size_t refs_cap;
	uint64_t unsorted;
	bool ended;                  /* recmerge_end: later lines go straight out (read
				      * by the workers' threads once joined) */
	struct queue q[];
};

/* A block in whole huge pages (mos/bigmem.h): the lines of a run that all
 * end at the end of the input fill many blocks, each touched for the
 * first time. */
static struct block *
block_new(unsigned owner, size_t cap)
{
	size_t mapped;
	struct block *b = mos_big_zalloc(RTE_ALIGN_CEIL(sizeof(*b) + cap, HUGE), &mapped);

	if (b != NULL)
		*b = (struct block){ .owner = owner, .cap = mapped - sizeof(*b), .mapped = mapped };
	return b;
}

struct recmerge *
recmerge_new(unsigned n, FILE *out, size_t held_max)
{
	struct recmerge *m;

	if (posix_memalign((void **)&m, RTE_CACHE_LINE_SIZE, sizeof(*m) + n * sizeof(m->q[0])))
		return NULL;
	memset(m, 0, sizeof(*m) + n * sizeof(m->q[0]));
	m->n = n;
	m->out = out;
	m->held_max = held_max;
	rte_spinlock_init(&m->lock);
	for (unsigned w = 0; w < n; w++) {
		struct queue *q = &m->q[w];

		rte_spinlock_init(&q->lock);
		if ((q->tail = q->rd = block_new(w, BLOCK)) == NULL) {
			recmerge_free(m);
			return NULL;
		}
		q->held = BLOCK;
	}
	return m;
}

void
recmerge_free(struct recmerge *m)
{
	if (m == NULL)
		return;
	for (unsigned w = 0; w < m->n; w++) {
		struct queue *q = &m->q[w];

		for (struct block *b = q->rd, *nx; b != NULL; b = nx) {
			nx = b->next;
			mos_big_free(b, b->mapped);
		}
		for (struct block *b = q->free, *nx; b != NULL; b = nx) {
			nx = b->next;
			mos_big_free(b, b->mapped);
		}
	}
	free(m->refs);
	free(m->tmp);
	free(m);
}

/* ---- the merge ------------------------------------------------------------- */

/* The tag of @q's next complete line, UINT64_MAX when there is none yet;
 * blocks passed on the way go on @back. */
static uint64_t
head_tag(struct queue *q, struct block **back)
{
	for (;;) {
		struct block *b = q->rd, *nx;

		if (q->roff < __atomic_load_n(&b->used, __ATOMIC_ACQUIRE))
			return ((const struct hdr *)(b->data + q->roff))->tag;
		if ((nx = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE)) == NULL)
			return UINT64_MAX;
		/* b's last lines were published before next */
		if (q->roff < __atomic_load_n(&b->used, __ATOMIC_ACQUIRE))
			continue;
		b->back = *back;
		*back = b;
		q->rd = nx;
		q->roff = 0;
	}
}

/* Give @b back to worker queue @q: kept for its next blocks, or freed. */
static void
give_back(struct queue *q, struct block *b)
{
	bool keep;

	rte_spinlock_lock(&q->lock);
	keep = b->cap == BLOCK && q->n_free < FREE_KEEP;
	if (keep) {
		b->next = q->free;
		q->free = b;
		q->n_free++;
	}
	rte_spinlock_unlock(&q->lock);
	__atomic_fetch_sub(&q->held, b->cap, __ATOMIC_RELEASE);
	if (!keep)
		mos_big_free(b, b->mapped);
}

/* Length of the common prefix of @a and @b, at most @n bytes. */
static size_t
common_prefix(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (size_t)__builtin_ctzll(x ^ y) / 8; /* little-endian */
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Lines of one group (@arg: the bytes all of them begin with): by key,
 * then by content, a shorter line first when it begins the other. */
static int
ref_cmp(const void *a, const void *b, void *arg)
{
	const struct ref *x = a, *y = b;
	size_t skip = *(const size_t *)arg;
	int c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	c = memcmp(x->p + skip, y->p + skip, RTE_MIN(x->len, y->len) - skip);
	if (c != 0 || x->len == y->len)
		return c;
	return x->len < y->len ? -1 : 1;
}

/* Stable sort of @n refs by key: least significant byte first, through
 * @tmp (room for n); a byte that is the same in every line (a record's
 * fixed digits) costs one counting pass. */
static void
radix_by_key(struct ref *l, struct ref *tmp, size_t n)
{
	struct ref *src = l, *dst = tmp, *t;

	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, at = 0;

		for (size_t i = 0; i < n; i++)
			count[(src[i].key >> shift) & 0xff]++;
		if (count[(src[0].key >> shift) & 0xff] == n)
			continue;
		for (unsigned b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != l)
		memcpy(l, src, n * sizeof(*l));
}

/* Sort the @n lines of one tag by content. Records often share a long
 * beginning (conntrack's: 23 bytes): the bytes after the group's common
 * prefix are read once into each line's key; the lines are sorted by key
 * (radix, for many), and only those with equal keys are compared further. */
static void
sort_group(struct ref *l, struct ref *tmp, size_t n)
{
	size_t skip = l[0].len;

	for (size_t i = 1; i < n; i++)
		skip = common_prefix(l[0].p, l[i].p, RTE_MIN(skip, l[i].len));
	for (size_t i = 0; i < n; i++) {
		rte_be64_t k = 0;    /* a shorter line is padded with zeros */

		memcpy(&k, l[i].p + skip, RTE_MIN(l[i].len - skip, sizeof(k)));
		l[i].key = rte_be_to_cpu_64(k);
	}
	if (n <= 64) {
		qsort_r(l, n, sizeof(*l), ref_cmp, &skip);
		return;
	}
	radix_by_key(l, tmp, n);
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && l[b].key == l[a].key; b++)
			;
		if (b - a > 1)
			qsort_r(l + a, b - a, sizeof(*l), ref_cmp, &skip);
	}
}

/* Room for @n refs (and as many for the sort); false when memory is short. */
static bool
refs_room(struct recmerge *m, size_t n)
{
	size_t cap = m->refs_cap ? m->refs_cap : 64;
	struct ref *r, *t;

	if (n <= m->refs_cap)
		return true;
	while (cap < n)
		cap *= 2;
	if ((r = realloc(m->refs, cap * sizeof(*r))) == NULL)
		return false;
	m->refs = r;
	if ((t = realloc(m->tmp, cap * sizeof(*t))) == NULL)
		return false;
	m->tmp = t;
	m->refs_cap = cap;
	return true;
}

/* Write every complete line tagged before @safe, in order (the merge lock
 * held); the blocks passed go back to their workers at the end. */
static void
merge_to(struct recmerge *m, uint64_t safe)
{
	struct block *back = NULL;

	for (unsigned w = 0; w < m->n; w++)
		m->q[w].head = head_tag(&m->q[w], &back);
	for (;;) {
		uint64_t tag = UINT64_MAX;
		size_t k = 0;
		bool sorted = true;

		for (unsigned w = 0; w < m->n; w++)
			tag = RTE_MIN(tag, m->q[w].head);
		if (tag >= safe)
			break;
		/* the group: every line of that tag, worker by worker */
		for (unsigned w = 0; w < m->n; w++) {
			struct queue *q = &m->q[w];

			for (; q->head == tag; q->head = head_tag(q, &back)) {
				const struct hdr *h = (const struct hdr *)(q->rd->data + q->roff);
				const char *p = (const char *)(h + 1);

				q->roff += RTE_ALIGN_CEIL(sizeof(*h) + h->len, 8);
				if (sorted && !refs_room(m, k + 1)) {
					sorted = false;
					m->unsorted++;
				}
				if (sorted)
					m->refs[k++] = (struct ref){ .p = p, .len = (uint32_t)h->len };
				else            /* no memory to sort: as they come */
					fwrite(p, 1, h->len, m->out);
			}
		}
		if (k > 1)
			sort_group(m->refs, m->tmp, k);
		for (size_t i = 0; i < k; i++)
			fwrite(m->refs[i].p, 1, m->refs[i].len, m->out);
	}
	while (back != NULL) {
		struct block *b = back;

		back = b->back;
		give_back(&m->q[b->owner], b);
	}
}

/* Write what every worker has passed, unless another worker is writing
 * (it will see what is passed now at its next call, or the end will). */
static void
merge(struct recmerge *m)
{
	uint64_t safe = UINT64_MAX;

	for (unsigned w = 0; w < m->n; w++)
		safe = RTE_MIN(safe, __atomic_load_n(&m->q[w].passed, __ATOMIC_ACQUIRE));
	if (safe <= __atomic_load_n(&m->written_to, __ATOMIC_RELAXED))
		return;
	if (!rte_spinlock_trylock(&m->lock))
		return;
	merge_to(m, safe);
	if (safe > m->written_to)
		__atomic_store_n(&m->written_to, safe, __ATOMIC_RELAXED);
	rte_spinlock_unlock(&m->lock);
}

void
recmerge_passed(struct recmerge *m, unsigned w, uint64_t pos)
{
	struct queue *q = &m->q[w];

	if (q->in_line && pos > q->tag) /* an open line keeps its tag */
		pos = q->tag;
	if (pos > q->passed)
		__atomic_store_n(&q->passed, pos, __ATOMIC_RELEASE);
	merge(m);
}

void
recmerge_end(struct recmerge *m)
{
	for (unsigned w = 0; w < m->n; w++)
		__atomic_store_n(&m->q[w].passed, UINT64_MAX, __ATOMIC_RELEASE);
	rte_spinlock_lock(&m->lock);
	merge_to(m, UINT64_MAX);
	m->written_to = UINT64_MAX;
	m->ended = true;
	rte_spinlock_unlock(&m->lock);
}

/* ---- the workers' side ----------------------------------------------------- */

/* Worker @w holds too much: wait while a worker behind it (passed before
 * @tag, the tag of the line it starts) may let the merge write some. */
static void
hold_back(struct recmerge *m, unsigned w, uint64_t tag)
{
	struct queue *q = &m->q[w];
	unsigned spins = 0;

	if (tag > q->passed)         /* its lines before it are whole */
		__atomic_store_n(&q->passed, tag, __ATOMIC_RELEASE);
	for (;;) {
		bool behind = false;

		merge(m);
		if (__atomic_load_n(&q->held, __ATOMIC_ACQUIRE) <= m->held_max)
			return;
		for (unsigned o = 0; o < m->n; o++)
			if (o != w && __atomic_load_n(&m->q[o].passed, __ATOMIC_ACQUIRE) < tag)
				behind = true;
		if (!behind)
			return;
		if (spins == 0)
			q->waits++;
		mos_app_idle(&spins);
	}
}

/* Room for @extra more bytes in worker @w's block, the open line moved to
 * a new block if need be; false when memory is short. */
static bool
room(struct recmerge *m, unsigned w, size_t extra)
{
	struct queue *q = &m->q[w];
	size_t open = q->in_line ? q->wr - q->line : 0;
	struct block *b = NULL;

	if (q->wr + extra <= q->tail->cap)
		return true;
	if (open + extra <= BLOCK) {
		rte_spinlock_lock(&q->lock);
		if ((b = q->free) != NULL) {
			q->free = b->next;
			q->n_free--;
		}
		rte_spinlock_unlock(&q->lock);
		if (b != NULL) {        /* as new (its owner, cap and mapped stay) */
			b->next = NULL;
			b->used = 0;
		}
	}
	if (b == NULL && (b = block_new(w, RTE_MAX(open + extra, (size_t)BLOCK))) == NULL)
		return false;
	__atomic_fetch_add(&q->held, b->cap, __ATOMIC_RELAXED);
	memcpy(b->data, q->tail->data + q->wr - open, open);
	q->line = 0;
	q->wr = open;
	/* the old block's lines are all published (used) */
	__atomic_store_n(&q->tail->next, b, __ATOMIC_RELEASE);
	q->tail = b;
	return true;
}

bool
recmerge_write(struct recmerge *m, unsigned w, uint64_t pos, const char *data, size_t n)
{
	struct queue *q = &m->q[w];
	bool ok = true;

	if (m->ended)
		return fwrite(data, 1, n, m->out) == n;
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - data) + 1 : n;

		if (!q->in_line) {
			if (__atomic_load_n(&q->held, __ATOMIC_RELAXED) > m->held_max)
				hold_back(m, w, pos);
			q->skip = !room(m, w, sizeof(struct hdr));
			q->in_line = true;
			q->tag = pos;
			q->line = q->wr;
			if (!q->skip)
				q->wr += sizeof(struct hdr);
		}
		if (!q->skip && !room(m, w, take)) {
			q->skip = true;      /* the line is lost */
			q->wr = q->line;
		}
		if (!q->skip) {
			memcpy(q->tail->data + q->wr, data, take);
			q->wr += take;
		}
		if (nl != NULL) {
			if (q->skip) {
				q->lost++;
				ok = false;
			} else {
				struct hdr *h = (struct hdr *)(q->tail->data + q->line);

				*h = (struct hdr){ .tag = q->tag, .len = q->wr - q->line - sizeof(*h) };
				q->wr = RTE_ALIGN_CEIL(q->wr, 8);
				__atomic_store_n(&q->tail->used, q->wr, __ATOMIC_RELEASE);
			}
			q->in_line = false;
		}
		data += take;
		n -= take;
	}
	return ok;
}

bool
recmerge_in_line(const struct recmerge *m, unsigned w)
{
	return m->q[w].in_line;
}

uint64_t
recmerge_lost(const struct recmerge *m, unsigned w)
{
	return m->q[w].lost;
}

uint64_t
recmerge_waits(const struct recmerge *m, unsigned w)
{
	return m->q[w].waits;
}

uint64_t
recmerge_unsorted(const struct recmerge *m)
{
	return m->unsorted;
}
