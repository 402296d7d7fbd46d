/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mos/pktpool.h — pools of packet mbufs, with or without the DPDK EAL.
 *
 * Ports need the EAL's memory (DMA-able, IOVA known). Capture files do
 * not, and starting the EAL costs a run about 0.2 s (its TSC calibration
 * sleeps 100 ms, it loads every driver plugin): so a run that reads only
 * files never starts it, and its mbufs come from ordinary memory, in a
 * pool that the rte_mempool and rte_pktmbuf functions use as any other
 * (rte_pktmbuf_alloc, rte_pktmbuf_free_bulk, rte_mempool_avail_count).
 *
 * Every pool has the mos private area (struct mos_mbuf_priv, mos/source.h)
 * and no per-lcore cache; gets and puts are safe from several threads.
 */
#ifndef MOS_PKTPOOL_H
#define MOS_PKTPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

/*
 * Create a pool of @n packet mbufs of @data_room data bytes each
 * (RTE_MBUF_DEFAULT_DATAROOM for ordinary frames, up to MOS_FRAME_MAX).
 * With the EAL running, an EAL pool on NUMA @socket (SOCKET_ID_ANY allowed)
 * named @name (unique among the EAL's pools); without it, a pool in
 * ordinary memory (@socket ignored). Returns NULL with rte_errno set.
 */
struct rte_mempool *mos_pktpool_create(const char *name, unsigned n, uint16_t data_room,
				       int socket);

/* Free a pool of mos_pktpool_create() whose mbufs have all come back.
 * NULL is allowed. */
void mos_pktpool_free(struct rte_mempool *mp);

/* Whether this process started the EAL (rte_eal_init succeeded). */
bool mos_eal_running(void);

#endif
