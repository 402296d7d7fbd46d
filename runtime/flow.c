/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow.c — per-core flow table: symmetric keys, a preallocated pool under
 * a memory cap, chained hash buckets of 32-bit indices, and one
 * activity-ordered list per timeout class (see mos/flow.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mos/flow.h"
#include "mos/stream.h"

#include "mos/bigmem.h"

/* Issue 9: at most 192 B per tracked connection without buffers, table
 * overhead (4 B of bucket, 1 bit of in-use map) included. Do not let the
 * entry grow back: the user pointer was moved out to make it fit. */
_Static_assert(sizeof(struct mos_flow) <= 184, "struct mos_flow must stay within 184 bytes");
_Static_assert(sizeof(struct mos_flow_key) == 40, "struct mos_flow_key is 40 bytes");

#define NIL UINT32_MAX

struct mos_flow_table {
	struct mos_flow *flows;      /* the pool, capacity entries */
	uint8_t *user;               /* user areas, user_stride bytes each */
	uint32_t *buckets;           /* chain heads + 1 (0: empty, so zeroed pages
				      * need no setup), mask + 1 of them */
	uint32_t mask;               /* buckets - 1 */
	uint32_t capacity;           /* entries in the pool */
	uint32_t free_head;          /* free list through hnext (entries used before) */
	uint32_t fresh;              /* entries [fresh, capacity) never used: memory not touched yet */
	uint32_t user_stride;        /* user_size rounded up to 8 */
	uint32_t head[MOS_FLOW_CLASS_COUNT]; /* oldest entry of each class list */
	uint32_t tail[MOS_FLOW_CLASS_COUNT]; /* newest entry of each class list */
	uint64_t *used;              /* in-use bitmap: bit i of word i / 64 for entry i */
	void **uctx;                 /* user pointers, one slot per entry; NULL until first set */
	size_t uctx_map;             /* mapped length of uctx */
	uint64_t next_exp;           /* no list head expires before this (mos_flow_next_expiry) */
	size_t memory;               /* bytes allocated */
	size_t flows_map, buckets_map, user_map; /* mapped lengths (mos_big_zalloc) */
	struct mos_flow_table_config cfg; /* copy of the configuration */
	struct mos_flow_counters cnt; /* counters */
};

static const char *const end_names[MOS_FLOW_END_COUNT] = {
	"none", "fin", "rst", "timeout", "eof", "evicted",
};

const char *
mos_flow_end_name(int reason)
{
	return reason >= 0 && reason < MOS_FLOW_END_COUNT ? end_names[reason] : "?";
}

void
mos_flow_table_config_default(struct mos_flow_table_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_flows = 1u << 20;
	cfg->memcap = 0;
	cfg->vlan_in_key = true;
	cfg->full_policy = MOS_FLOW_FULL_EVICT;
	cfg->timeout_ns[MOS_FLOW_CLASS_OPENING] = 60ull * 1000000000ull;
	cfg->timeout_ns[MOS_FLOW_CLASS_ACTIVE] = 3600ull * 1000000000ull;
	cfg->timeout_ns[MOS_FLOW_CLASS_CLOSED] = 60ull * 1000000000ull;
	cfg->timeout_ns[MOS_FLOW_CLASS_UDP] = 180ull * 1000000000ull;
}

/* Words of the in-use bitmap for @cap entries. */
static size_t
used_words(uint32_t cap)
{
	return ((size_t)cap + 63) / 64;
}

static size_t
bytes_for(uint32_t cap, uint32_t stride)
{
	uint32_t nb = 1;

	while (nb < cap)
		nb <<= 1;
	return (size_t)cap * (sizeof(struct mos_flow) + stride) + (size_t)nb * sizeof(uint32_t) +
	       used_words(cap) * sizeof(uint64_t);
}

static inline bool
used_get(const struct mos_flow_table *t, uint32_t i)
{
	return (t->used[i >> 6] >> (i & 63)) & 1;
}

static inline void
used_set(struct mos_flow_table *t, uint32_t i)
{
	t->used[i >> 6] |= 1ull << (i & 63);
}

static inline void
used_clear(struct mos_flow_table *t, uint32_t i)
{
	t->used[i >> 6] &= ~(1ull << (i & 63));
}

struct mos_flow_table *
mos_flow_table_create(const struct mos_flow_table_config *cfg)
{
	struct mos_flow_table *t;
	uint32_t cap, nb = 1, stride;

	if (cfg == NULL || cfg->max_flows == 0 || cfg->max_flows > (1u << 30) ||
	    (cfg->full_policy != MOS_FLOW_FULL_EVICT && cfg->full_policy != MOS_FLOW_FULL_REFUSE) ||
	    cfg->user_size > (1u << 20)) {
		errno = EINVAL;
		return NULL;
	}
	stride = (cfg->user_size + 7u) & ~7u;
	cap = cfg->max_flows;
	if (cfg->memcap) {
		size_t per = sizeof(struct mos_flow) + stride + 1 + 2 * sizeof(uint32_t);  /* an upper bound */
		uint64_t fit = cfg->memcap / per;

		if (fit < cap)
			cap = (uint32_t)fit;
		while (cap > 0 && bytes_for(cap, stride) > cfg->memcap)
			cap--;
		if (cap == 0) {
			errno = EINVAL;
			return NULL;
		}
	}
	while (nb < cap)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->capacity = cap;
	t->mask = nb - 1;
	t->user_stride = stride;
	t->flows = mos_big_zalloc((size_t)cap * sizeof(struct mos_flow), &t->flows_map);
	t->buckets = mos_big_zalloc((size_t)nb * sizeof(uint32_t), &t->buckets_map);
	t->used = calloc(used_words(cap), sizeof(uint64_t));
	t->user = stride ? mos_big_zalloc((size_t)cap * stride, &t->user_map) : NULL;
	if (t->flows == NULL || t->buckets == NULL || t->used == NULL || (stride && t->user == NULL)) {
		mos_flow_table_destroy(t);
		errno = ENOMEM;
		return NULL;
	}
	t->memory = bytes_for(cap, stride);
	/* Entries are handed out from [fresh, capacity) first, so the pool's
	 * pages are touched only as flows arrive; freed ones go to the list. */
	t->free_head = NIL;
	t->fresh = 0;
	t->next_exp = UINT64_MAX;
	for (int c = 0; c < MOS_FLOW_CLASS_COUNT; c++)
		t->head[c] = t->tail[c] = NIL;
	return t;
}

void
mos_flow_table_destroy(struct mos_flow_table *t)
{
	if (t == NULL)
		return;
	mos_big_free(t->flows, t->flows_map);
	mos_big_free(t->buckets, t->buckets_map);
	free(t->used);
	mos_big_free(t->user, t->user_map);
	if (t->uctx != NULL)
		munmap(t->uctx, t->uctx_map);
	free(t);
}

uint32_t
mos_flow_table_capacity(const struct mos_flow_table *t)
{
	return t->capacity;
}

size_t
mos_flow_table_memory(const struct mos_flow_table *t)
{
	return t->memory;
}

const struct mos_flow_counters *
mos_flow_table_counters(const struct mos_flow_table *t)
{
	return &t->cnt;
}

/* Order two (address, port) endpoints: <0 when a is the lower one. */
static int
ep_cmp(const struct mos_addr *a, uint16_t ap, const struct mos_addr *b, uint16_t bp)
{
	int c = memcmp(a->b, b->b, sizeof(a->b));

	if (c)
		return c;
	return (int)ap - (int)bp;
}

int
mos_flow_key_from_pkt(const struct mos_flow_table *t, const struct mos_pkt *p,
		      struct mos_flow_key *key, bool *src_is_lo)
{
	uint32_t tag;

	if (!(p->flags & MOS_PKT_F_L4) ||
	    (p->l4_proto != IPPROTO_TCP && p->l4_proto != IPPROTO_UDP)) {
		return -EINVAL;
	}
	tag = p->l4_proto;
	if (t->cfg.vlan_in_key && p->n_vlans > 0) {
		tag |= (uint32_t)(p->vlan[0] & 0xfff) << 8;
		if (p->n_vlans > 1)
			tag |= (uint32_t)(p->vlan[1] & 0xfff) << 20;
	}
	if (ep_cmp(&p->src, p->sport, &p->dst, p->dport) <= 0) {
		key->lo = p->src;
		key->hi = p->dst;
		key->lo_port = p->sport;
		key->hi_port = p->dport;
		*src_is_lo = true;
	} else {
		key->lo = p->dst;
		key->hi = p->src;
		key->lo_port = p->dport;
		key->hi_port = p->sport;
		*src_is_lo = false;
	}
	key->tag = tag;
	return 0;
}

static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

uint64_t
mos_flow_key_hash(const struct mos_flow_key *key)
{
	uint64_t w[5], h = 0x243f6a8885a308d3ull;

	memcpy(w, key, sizeof(w));
	for (int i = 0; i < 5; i++)
		h = mix(h, w[i]);
	return h ^ (h >> 32);
}

static inline bool
key_eq(const struct mos_flow_key *a, const struct mos_flow_key *b)
{
	uint64_t x[5], y[5], d = 0;

	/* Five word compares without branches (the compiler folds the copies). */
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (int i = 0; i < 5; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

struct mos_flow *
mos_flow_lookup(struct mos_flow_table *t, const struct mos_flow_key *key)
{
	return mos_flow_lookup_hash(t, key, mos_flow_key_hash(key));
}

void
mos_flow_prefetch_bucket(const struct mos_flow_table *t, uint64_t hash)
{
	__builtin_prefetch(&t->buckets[hash & t->mask], 0, 3);
}

/* The first entry of @hash's chain, NIL if none. */
static inline uint32_t
chain_head(const struct mos_flow_table *t, uint64_t hash)
{
	return t->buckets[hash & t->mask] - 1;   /* 0 (empty) becomes NIL */
}

/* Every line of entry @f (not line-aligned: 184 bytes span 3 or 4): the
 * key and chain link first, then the endpoints. */
static inline void
prefetch_lines(const struct mos_flow *f)
{
	const char *e = (const char *)f;

	__builtin_prefetch(e, 1, 3);
	__builtin_prefetch(e + 64, 1, 3);
	__builtin_prefetch(e + 128, 1, 3);
	__builtin_prefetch(e + sizeof(struct mos_flow) - 1, 1, 3);
}

void
mos_flow_prefetch_entry(const struct mos_flow_table *t, uint64_t hash)
{
	uint32_t i = chain_head(t, hash);

	if (i != NIL)
		prefetch_lines(&t->flows[i]);
}

void
mos_flow_prefetch_streams(const struct mos_flow_table *t, uint64_t hash)
{
	uint32_t i = chain_head(t, hash);

	/* the bucket's first entry, most often the flow (its lines were
	 * prefetched earlier): the first line of each stream it buffers */
	if (i != NIL)
		for (int side = 0; side < 2; side++)
			if (t->flows[i].end[side].stream)
				__builtin_prefetch(t->flows[i].end[side].stream, 1, 3);
}

struct mos_flow *
mos_flow_lookup_hash(struct mos_flow_table *t, const struct mos_flow_key *key, uint64_t hash)
{
	uint32_t i = chain_head(t, hash);

	while (i != NIL) {
		struct mos_flow *f = &t->flows[i];

		if (key_eq(&f->key, key))
			return f;
		i = f->hnext;
	}
	return NULL;
}

/* @f (of list @c) is a new list head: lower the bound on the earliest
 * expiry. Same (wrapping) sum as mos_flow_expire's test, so that
 * "now < next_exp" implies that expire would remove nothing. */
static inline void
lower_next_exp(struct mos_flow_table *t, const struct mos_flow *f, int c)
{
	uint64_t to = t->cfg.timeout_ns[c], e;

	if (to == 0)
		return;
	e = mos_flow_last_ns(f) + to;
	if (e < t->next_exp)
		t->next_exp = e;
}

static void
list_unlink(struct mos_flow_table *t, struct mos_flow *f)
{
	uint32_t i = (uint32_t)(f - t->flows);
	int c = f->tclass;

	if (f->lprev != NIL) {
		t->flows[f->lprev].lnext = f->lnext;
	} else if (t->head[c] == i) {
		t->head[c] = f->lnext;
		if (f->lnext != NIL)
			lower_next_exp(t, &t->flows[f->lnext], c);
	}
	if (f->lnext != NIL)
		t->flows[f->lnext].lprev = f->lprev;
	else if (t->tail[c] == i)
		t->tail[c] = f->lprev;
	f->lprev = f->lnext = NIL;
}

static void
list_append(struct mos_flow_table *t, struct mos_flow *f, int c)
{
	uint32_t i = (uint32_t)(f - t->flows);

	f->tclass = (uint8_t)c;
	f->lnext = NIL;
	f->lprev = t->tail[c];
	if (t->tail[c] != NIL) {
		t->flows[t->tail[c]].lnext = i;
	} else {
		t->head[c] = i;
		lower_next_exp(t, f, c);
	}
	t->tail[c] = i;
}

uint64_t
mos_flow_last_ns(const struct mos_flow *f)
{
	uint64_t a = f->end[0].last_ns, b = f->end[1].last_ns, l = a > b ? a : b;

	return l > f->start_ns ? l : f->start_ns;
}

static void
unlink_hash(struct mos_flow_table *t, struct mos_flow *f)
{
	uint32_t i = (uint32_t)(f - t->flows);
	uint32_t *head = &t->buckets[mos_flow_key_hash(&f->key) & t->mask];

	if (*head - 1 == i) {
		*head = f->hnext + 1;
		return;
	}
	for (uint32_t j = *head - 1; j != NIL; j = t->flows[j].hnext)
		if (t->flows[j].hnext == i) {
			t->flows[j].hnext = f->hnext;
			return;
		}
}

void
mos_flow_remove(struct mos_flow_table *t, struct mos_flow *f)
{
	uint32_t i = (uint32_t)(f - t->flows);

	if (!used_get(t, i))
		return;
	unlink_hash(t, f);
	list_unlink(t, f);
	used_clear(t, i);
	f->hnext = t->free_head;
	t->free_head = i;
	t->cnt.removed++;
	t->cnt.active--;
}

/* The entry to evict: the oldest closed one, else the least recently
 * active head of the other lists. */
static struct mos_flow *
victim(struct mos_flow_table *t)
{
	struct mos_flow *best = NULL;

	if (t->head[MOS_FLOW_CLASS_CLOSED] != NIL)
		return &t->flows[t->head[MOS_FLOW_CLASS_CLOSED]];
	for (int c = 0; c < MOS_FLOW_CLASS_COUNT; c++) {
		struct mos_flow *f;

		if (t->head[c] == NIL)
			continue;
		f = &t->flows[t->head[c]];
		if (best == NULL || mos_flow_last_ns(f) < mos_flow_last_ns(best))
			best = f;
	}
	return best;
}

struct mos_flow *
mos_flow_insert(struct mos_flow_table *t, const struct mos_flow_key *key, int tclass,
		uint64_t now_ns)
{
	struct mos_flow *f;
	uint32_t i, b, gen;

	if (t->free_head == NIL && t->fresh < t->capacity) {
		t->flows[t->fresh].hnext = NIL;
		t->flows[t->fresh].gen = 0;
		t->free_head = t->fresh++;
	}
	if (t->free_head == NIL) {
		struct mos_flow *v;

		if (t->cfg.full_policy == MOS_FLOW_FULL_REFUSE || (v = victim(t)) == NULL) {
			t->cnt.refused++;
			errno = ENOSPC;
			return NULL;
		}
		if (t->cfg.release)
			t->cfg.release(t->cfg.release_arg, v, MOS_FLOW_END_EVICTED);
		/* release() normally removes it; make sure. */
		mos_flow_remove(t, v);
		t->cnt.evicted++;
	}
	i = t->free_head;
	f = &t->flows[i];
	t->free_head = f->hnext;
	gen = f->gen + 1;
	memset(f, 0, sizeof(*f));
	f->gen = gen;
	f->key = *key;
	f->start_ns = now_ns;
	b = (uint32_t)(mos_flow_key_hash(key) & t->mask);
	f->hnext = t->buckets[b] - 1;
	t->buckets[b] = i + 1;
	list_append(t, f, tclass);
	used_set(t, i);
	if (t->user)
		memset(t->user + (size_t)i * t->user_stride, 0, t->user_stride);
	t->cnt.created++;
	if (++t->cnt.active > t->cnt.max_active)
		t->cnt.max_active = t->cnt.active;
	return f;
}

void
mos_flow_touch(struct mos_flow_table *t, struct mos_flow *f, int tclass, uint64_t now_ns)
{
	uint32_t i = (uint32_t)(f - t->flows);

	(void)now_ns;
	if (f->tclass == tclass && t->tail[tclass] == i)
		return;              /* already newest: nothing to move */
	list_unlink(t, f);
	list_append(t, f, tclass);
}

unsigned
mos_flow_expire(struct mos_flow_table *t, uint64_t now_ns)
{
	unsigned n = 0;

	for (int c = 0; c < MOS_FLOW_CLASS_COUNT; c++) {
		uint64_t to = t->cfg.timeout_ns[c];

		if (to == 0)
			continue;
		while (t->head[c] != NIL) {
			struct mos_flow *f = &t->flows[t->head[c]];

			if (mos_flow_last_ns(f) + to > now_ns)
				break;
			if (t->cfg.release)
				t->cfg.release(t->cfg.release_arg, f, MOS_FLOW_END_TIMEOUT);
			mos_flow_remove(t, f);
			t->cnt.timed_out++;
			n++;
		}
	}
	/* Exact again: the earliest expiry among the heads now. */
	t->next_exp = UINT64_MAX;
	for (int c = 0; c < MOS_FLOW_CLASS_COUNT; c++)
		if (t->head[c] != NIL)
			lower_next_exp(t, &t->flows[t->head[c]], c);
	return n;
}

uint64_t
mos_flow_next_expiry(const struct mos_flow_table *t)
{
	return t->next_exp;
}

uint32_t
mos_flow_index(const struct mos_flow_table *t, const struct mos_flow *f)
{
	return (uint32_t)(f - t->flows);
}

struct mos_flow *
mos_flow_at(struct mos_flow_table *t, uint32_t idx)
{
	return idx < t->capacity ? &t->flows[idx] : NULL;
}

/* Index of @f if it is an entry of @t (in use or not), else NIL. */
static uint32_t
entry_index(const struct mos_flow_table *t, const struct mos_flow *f)
{
	uintptr_t a = (uintptr_t)f, b = (uintptr_t)t->flows;

	if (f == NULL || a < b || a >= b + (uintptr_t)t->capacity * sizeof(*f) ||
	    (a - b) % sizeof(*f) != 0)
		return NIL;
	return (uint32_t)((a - b) / sizeof(*f));
}

bool
mos_flow_table_owns(const struct mos_flow_table *t, const struct mos_flow *f)
{
	uint32_t i = entry_index(t, f);

	return i != NIL && used_get(t, i);
}

bool
mos_flow_in_use(const struct mos_flow_table *t, uint32_t idx)
{
	return idx < t->capacity && used_get(t, idx);
}

void *
mos_flow_user(struct mos_flow_table *t, const struct mos_flow *f)
{
	if (t->user == NULL)
		return NULL;
	return t->user + (size_t)(f - t->flows) * t->user_stride;
}

int
mos_flow_table_set_uctx(struct mos_flow_table *t, struct mos_flow *f, void *uctx)
{
	uint32_t i = entry_index(t, f);

	if (i == NIL)
		return -EINVAL;
	if (uctx == NULL) {
		f->flags &= (uint16_t)~MOS_FLOW_F_UCTX;
		return 0;
	}
	if (t->uctx == NULL) {
		/* Address space only, on small pages: a page becomes resident
		 * when one of its 512 slots is first written. */
		size_t len = (size_t)t->capacity * sizeof(void *);
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED)
			return -ENOMEM;
		t->uctx = m;
		t->uctx_map = len;
		t->memory += len;
	}
	t->uctx[i] = uctx;
	f->flags |= MOS_FLOW_F_UCTX;
	return 0;
}

void *
mos_flow_table_uctx(const struct mos_flow_table *t, const struct mos_flow *f)
{
	uint32_t i = entry_index(t, f);

	if (i == NIL || !(f->flags & MOS_FLOW_F_UCTX))
		return NULL;
	return t->uctx[i];
}

void
mos_flow_foreach(struct mos_flow_table *t, void (*fn)(void *arg, struct mos_flow *f), void *arg)
{
	for (int c = 0; c < MOS_FLOW_CLASS_COUNT; c++) {
		uint32_t i = t->head[c];

		if (i != NIL)
			prefetch_lines(&t->flows[i]);
		while (i != NIL) {
			uint32_t next = t->flows[i].lnext;

			/* the entries are cold (a long run ends with every flow):
			 * the next one's streams and hash bucket (its entry was
			 * fetched a step ago) and the entry after it, while fn
			 * works */
			if (next != NIL) {
				const struct mos_flow *n = &t->flows[next];

				for (int side = 0; side < 2; side++)
					mos_stream_prefetch(n->end[side].stream);
				mos_flow_prefetch_bucket(t, mos_flow_key_hash(&n->key));
				if (n->lnext != NIL)
					prefetch_lines(&t->flows[n->lnext]);
			}
			fn(arg, &t->flows[i]);
			i = next;
		}
	}
}

void
mos_flow_endpoint(const struct mos_flow *f, int side, struct mos_addr *addr, uint16_t *port)
{
	bool lo = (side == MOS_SIDE_CLI) == !!(f->flags & MOS_FLOW_F_CLI_IS_LO);

	if (addr)
		*addr = lo ? f->key.lo : f->key.hi;
	if (port)
		*port = lo ? f->key.lo_port : f->key.hi_port;
}
