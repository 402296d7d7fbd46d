// SPDX-License-Identifier: BSD-3-Clause
// Packet pools without the EAL (runtime/pktpool.c): what offline runs use.
// This binary never starts the EAL, so every pool here is one in ordinary
// memory, used through DPDK's own mbuf and mempool functions.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

extern "C" {
#include "mos/pktpool.h"
#include "mos/source.h"
}

namespace {

TEST(HeapPktpool, WithoutTheEalPoolsLiveInOrdinaryMemory)
{
	ASSERT_FALSE(mos_eal_running());
	struct rte_mempool *mp = mos_pktpool_create("t_heap", 100, RTE_MBUF_DEFAULT_DATAROOM,
						    SOCKET_ID_ANY);
	ASSERT_NE(mp, nullptr);
	EXPECT_EQ(rte_mempool_avail_count(mp), 100u);
	EXPECT_EQ(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_DATAROOM + RTE_PKTMBUF_HEADROOM);
	EXPECT_GE(rte_pktmbuf_priv_size(mp), sizeof(struct mos_mbuf_priv));

	std::vector<struct rte_mbuf *> m(100);
	ASSERT_EQ(rte_pktmbuf_alloc_bulk(mp, m.data(), 100), 0);
	EXPECT_EQ(rte_mempool_avail_count(mp), 0u);
	EXPECT_EQ(rte_pktmbuf_alloc(mp), nullptr);           // empty: refused, not overrun
	for (size_t i = 0; i < m.size(); i++) {
		EXPECT_EQ(m[i]->pool, mp);
		EXPECT_EQ(m[i]->data_off, RTE_PKTMBUF_HEADROOM);
		EXPECT_EQ(rte_mbuf_refcnt_read(m[i]), 1);
		char *d = rte_pktmbuf_append(m[i], RTE_MBUF_DEFAULT_DATAROOM);
		ASSERT_NE(d, nullptr);                      // the whole data room is usable
		memset(d, (int)i, RTE_MBUF_DEFAULT_DATAROOM);
		mos_mbuf_priv(m[i])->wirelen = (uint32_t)i; // and the private area
		for (size_t j = 0; j < i; j++)              // mbufs do not overlap
			ASSERT_EQ(*rte_pktmbuf_mtod(m[j], uint8_t *), (uint8_t)j);
	}
	EXPECT_EQ(rte_pktmbuf_append(m[0], 1), nullptr);    // past the room
	rte_pktmbuf_free_bulk(m.data(), 100);
	EXPECT_EQ(rte_mempool_avail_count(mp), 100u);
	struct rte_mbuf *again = rte_pktmbuf_alloc(mp);     // reset when taken again
	ASSERT_NE(again, nullptr);
	EXPECT_EQ(again->data_len, 0u);
	rte_pktmbuf_free(again);
	mos_pktpool_free(mp);
	mos_pktpool_free(nullptr);
}

TEST(HeapPktpool, LongFramePoolHoldsTheLargestFrame)
{
	struct rte_mempool *mp = mos_pktpool_create("t_heap_big", 3, MOS_FRAME_MAX, SOCKET_ID_ANY);
	ASSERT_NE(mp, nullptr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	ASSERT_NE(m, nullptr);
	EXPECT_NE(rte_pktmbuf_append(m, MOS_FRAME_MAX), nullptr);
	rte_pktmbuf_free(m);
	mos_pktpool_free(mp);
}

// Offline workers take and give back mbufs from several threads.
TEST(HeapPktpool, SeveralThreadsShareAPool)
{
	struct rte_mempool *mp = mos_pktpool_create("t_heap_mt", 256, 256, SOCKET_ID_ANY);
	ASSERT_NE(mp, nullptr);
	auto work = [mp] {
		struct rte_mbuf *m[8];
		for (int i = 0; i < 50000; i++) {
			if (rte_pktmbuf_alloc_bulk(mp, m, 8) != 0)
				continue;
			for (auto *x : m)
				*rte_pktmbuf_mtod(x, uint8_t *) = 1;
			rte_pktmbuf_free_bulk(m, 8);
		}
	};
	std::thread a(work), b(work);
	a.join();
	b.join();
	EXPECT_EQ(rte_mempool_avail_count(mp), 256u);       // none lost, none doubled
	mos_pktpool_free(mp);
}

// Objects are carved on first use: a request larger than what waits in
// the ring takes the rest fresh, and one that cannot be met takes nothing.
TEST(HeapPktpool, BulkRequestsMixReturnedAndFreshObjects)
{
	struct rte_mempool *mp = mos_pktpool_create("t_heap_lazy", 10, 256, SOCKET_ID_ANY);
	ASSERT_NE(mp, nullptr);
	struct rte_mbuf *a[10], *b[10];
	ASSERT_EQ(rte_pktmbuf_alloc_bulk(mp, a, 8), 0);      // 8 fresh
	rte_pktmbuf_free_bulk(a + 6, 2);                     // 2 back in the ring, 2 never used
	EXPECT_EQ(rte_mempool_avail_count(mp), 4u);
	EXPECT_NE(rte_pktmbuf_alloc_bulk(mp, b, 5), 0);      // 4 left: refused whole
	EXPECT_EQ(rte_mempool_avail_count(mp), 4u);          // nothing taken
	ASSERT_EQ(rte_pktmbuf_alloc_bulk(mp, b, 4), 0);      // 2 returned + 2 fresh
	EXPECT_EQ(rte_mempool_avail_count(mp), 0u);
	EXPECT_EQ(rte_pktmbuf_alloc(mp), nullptr);
	std::vector<struct rte_mbuf *> all(a, a + 6);
	all.insert(all.end(), b, b + 4);
	for (size_t i = 0; i < all.size(); i++) {
		EXPECT_EQ(all[i]->pool, mp);
		EXPECT_EQ(all[i]->data_len, 0u);
		for (size_t j = 0; j < i; j++)
			EXPECT_NE(all[i], all[j]);           // ten different mbufs
	}
	rte_pktmbuf_free_bulk(all.data(), (unsigned)all.size());
	EXPECT_EQ(rte_mempool_avail_count(mp), 10u);
	mos_pktpool_free(mp);
}

TEST(HeapPktpool, EmptyPoolIsRefused)
{
	EXPECT_EQ(mos_pktpool_create("t_heap_0", 0, 256, SOCKET_ID_ANY), nullptr);
}

}  // namespace
