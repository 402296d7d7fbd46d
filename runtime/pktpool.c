/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktpool.c — packet mbuf pools (see mos/pktpool.h).
 *
 * A pool without the EAL is an ordinary struct rte_mempool built here:
 * one anonymous mapping holds the mempool header (with the pktmbuf pool's
 * private data after it) and the objects, each preceded by its
 * rte_mempool_objhdr as rte_mempool_virt2iova() expects; the free objects
 * wait in an rte_ring (multi-producer, multi-consumer) initialised in
 * that mapping, behind mempool ops registered under the name "mos_heap".
 * Objects are carved from the mapping, and their headers written, when
 * the ring runs short (a fresh index): a pool that is never used costs no
 * page, and data rooms are faulted in when frames first use them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mos/pktpool.h"
#include "mos/source.h"

#define HEAP_OPS "mos_heap"

/* How a pool without the EAL is laid out in its mapping. */
struct heap_pool {
	size_t map_len;              /* bytes mapped */
	struct rte_ring *ring;       /* free objects (in the mapping) */
	uint8_t *objs;               /* the first object */
	size_t stride;               /* bytes from one object to the next */
	unsigned fresh;              /* objects carved so far (atomic) */
};

static int heap_ops_index = -1;      /* from rte_mempool_register_ops */
static pthread_once_t heap_ops_once = PTHREAD_ONCE_INIT;

static struct heap_pool *
heap_of(const struct rte_mempool *mp)
{
	return mp->pool_config;
}

static int
heap_alloc(struct rte_mempool *mp)
{
	(void)mp;                    /* heap_pool_create set pool_data */
	return 0;
}

static void
heap_free(struct rte_mempool *mp)
{
	(void)mp;                    /* the mapping goes with the pool */
}

static int
heap_enqueue(struct rte_mempool *mp, void *const *objs, unsigned n)
{
	/* never short: the ring holds every object of the pool */
	return rte_ring_mp_enqueue_bulk(mp->pool_data, objs, n, NULL) == n ? 0 : -ENOBUFS;
}

/* Carve @n objects never used before into @objs: false if fewer are left. */
static bool
carve(struct rte_mempool *mp, void **objs, unsigned n)
{
	struct heap_pool *hp = heap_of(mp);
	unsigned f = __atomic_load_n(&hp->fresh, __ATOMIC_RELAXED);

	do {
		if (n > mp->size - f)
			return false;
	} while (!__atomic_compare_exchange_n(&hp->fresh, &f, f + n, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	for (unsigned i = 0; i < n; i++) {
		uint8_t *obj = hp->objs + (size_t)(f + i) * hp->stride;
		struct rte_mempool_objhdr *oh = (struct rte_mempool_objhdr *)obj - 1;

		oh->mp = mp;
		oh->iova = (rte_iova_t)(uintptr_t)obj;
		rte_pktmbuf_init(mp, NULL, obj, f + i);
		objs[i] = obj;
	}
	return true;
}

static int
heap_dequeue(struct rte_mempool *mp, void **objs, unsigned n)
{
	unsigned got = rte_ring_mc_dequeue_burst(mp->pool_data, objs, n, NULL);

	if (got == n || carve(mp, objs + got, n - got))
		return 0;
	if (got > 0)                 /* all or nothing */
		rte_ring_mp_enqueue_bulk(mp->pool_data, objs, got, NULL);
	return -ENOBUFS;
}

static unsigned
heap_count(const struct rte_mempool *mp)
{
	return rte_ring_count(mp->pool_data) + mp->size -
	       __atomic_load_n(&heap_of(mp)->fresh, __ATOMIC_RELAXED);
}

static const struct rte_mempool_ops heap_ops = {
	.name = HEAP_OPS,
	.alloc = heap_alloc,
	.free = heap_free,
	.enqueue = heap_enqueue,
	.dequeue = heap_dequeue,
	.get_count = heap_count,
};

static void
register_heap_ops(void)
{
	heap_ops_index = rte_mempool_register_ops(&heap_ops);
}

bool
mos_eal_running(void)
{
	/* the EAL counts its lcores in rte_eal_init; 0 before */
	return rte_lcore_count() > 0;
}

static struct rte_mempool *
heap_pool_create(const char *name, unsigned n, uint16_t priv, uint16_t room)
{
	struct rte_pktmbuf_pool_private pp = { .mbuf_data_room_size = room,
					       .mbuf_priv_size = priv };
	size_t head = RTE_ALIGN_CEIL(sizeof(struct rte_mempool) + sizeof(pp) +
				     sizeof(struct heap_pool), RTE_CACHE_LINE_SIZE);
	size_t ring_len, hdr = RTE_CACHE_LINE_SIZE;
	size_t elt = RTE_ALIGN_CEIL(sizeof(struct rte_mbuf) + priv + room, RTE_CACHE_LINE_SIZE);
	unsigned ring_n = rte_align32pow2(n + 1);
	ssize_t rl = rte_ring_get_memsize(ring_n);
	struct rte_mempool *mp;
	struct heap_pool *hp;
	uint8_t *base;

	pthread_once(&heap_ops_once, register_heap_ops);
	if (heap_ops_index < 0 || rl < 0 || n == 0) {
		rte_errno = heap_ops_index < 0 ? ENOSPC : EINVAL;
		return NULL;
	}
	ring_len = RTE_ALIGN_CEIL((size_t)rl, RTE_CACHE_LINE_SIZE);
	base = mmap(NULL, head + ring_len + (size_t)n * (hdr + elt), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		rte_errno = ENOMEM;
		return NULL;
	}
	mp = (struct rte_mempool *)base;
	/* the pktmbuf private data sits right after the header (no cache) */
	hp = (struct heap_pool *)(base + sizeof(*mp) + sizeof(pp));
	hp->map_len = head + ring_len + (size_t)n * (hdr + elt);
	hp->ring = (struct rte_ring *)(base + head);
	snprintf(mp->name, sizeof(mp->name), "%s", name);
	mp->pool_config = hp;
	mp->socket_id = SOCKET_ID_ANY;
	mp->size = n;
	mp->elt_size = (uint32_t)elt;
	mp->header_size = (uint32_t)hdr;
	mp->private_data_size = sizeof(pp);
	mp->ops_index = heap_ops_index;
	mp->pool_data = hp->ring;
	STAILQ_INIT(&mp->elt_list);
	STAILQ_INIT(&mp->mem_list);
	if (rte_ring_init(hp->ring, name, ring_n, 0) != 0) {
		munmap(base, hp->map_len);
		rte_errno = EINVAL;
		return NULL;
	}
	rte_pktmbuf_pool_init(mp, &pp);
	hp->objs = base + head + ring_len + hdr;
	hp->stride = hdr + elt;
	mp->populated_size = n;
	mp->flags = RTE_MEMPOOL_F_POOL_CREATED;
	return mp;
}

struct rte_mempool *
mos_pktpool_create(const char *name, unsigned n, uint16_t data_room, int socket)
{
	uint16_t priv = RTE_ALIGN(sizeof(struct mos_mbuf_priv), RTE_MBUF_PRIV_ALIGN);
	uint32_t room = (uint32_t)data_room + RTE_PKTMBUF_HEADROOM;

	if (room > UINT16_MAX)
		room = UINT16_MAX;
	if (!mos_eal_running())
		return heap_pool_create(name, n, priv, (uint16_t)room);
	return rte_pktmbuf_pool_create(name, n, n >= 512 ? 256 : 0, priv, (uint16_t)room,
				       socket);
}

void
mos_pktpool_free(struct rte_mempool *mp)
{
	if (mp == NULL)
		return;
	if (mp->ops_index == heap_ops_index && heap_ops_index >= 0)
		munmap(mp, heap_of(mp)->map_len);
	else
		rte_mempool_free(mp);
}
