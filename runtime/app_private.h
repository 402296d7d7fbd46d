/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_private.h — what the multi-worker run (workers.c) needs from the
 * program skeleton (app.c). Not a public interface.
 */
#ifndef MOS_APP_PRIVATE_H
#define MOS_APP_PRIVATE_H

#include "mos/app.h"
#include "mos/source.h"

struct mos_source *mos_app_source(struct mos_app *app);   /* the -r source, or NULL */
uint16_t mos_app_burst(const struct mos_app *app);
const char *mos_app_prog(const struct mos_app *app);
struct mos_stats *mos_app_stats_rw(struct mos_app *app);
struct mos_app_io_stats *mos_app_io_rw(struct mos_app *app);
void mos_app_set_now(struct mos_app *app, uint64_t now_ns);
void mos_app_fail(struct mos_app *app);
bool mos_app_stop_requested(void);
/* Wait a little for another worker, counting the calls of one wait in
 * *@spins (0 at its start): spin, then give the CPU away (the workers may
 * be more threads than cores), then sleep 20 µs at a time. */
void mos_app_idle(unsigned *spins);
/* The progress line on a terminal (not with -q): call it once per round
 * with the frames read so far; @final at the end of the run. */
void mos_app_progress(struct mos_app *app, uint64_t packets, bool final);
/* Whether the input is capture files alone, read passively (no ports, no
 * --inline-out): mos_app_run_contexts then reads them in place. */
bool mos_app_files_only(const struct mos_app *app);

/* Live workers (--workers N with --dpdk): each worker runs a lane, a copy
 * of the app with its own statistics, forwarding counters, TX batches
 * (on its own TX queue of every port, or a shared one under a lock) and
 * injection cache; the loop's steps are those of mos_app_run. */
unsigned mos_app_live_pool_size(unsigned workers, unsigned base); /* mbufs in flight */
bool mos_app_live(const struct mos_app *app);            /* no -r: ports */
/* A run over ports ended: read the ports' receive drops into the io
 * counters and report them on stderr (unless -q). Idempotent. */
void mos_app_ports_done(struct mos_app *app);
unsigned mos_app_n_sources(const struct mos_app *app);
struct mos_source *mos_app_source_at(struct mos_app *app, unsigned k, uint16_t *port,
				     uint16_t *queue);
/* Whether @port hashes symmetrically in hardware (queue q then gets
 * worker q's frames); *nrxq = its receive queues. */
bool mos_app_port_rss(const struct mos_app *app, uint16_t port, uint16_t *nrxq);
struct mos_app *mos_app_lane_new(struct mos_app *app, unsigned w);
void mos_app_lane_burst(struct mos_app *lane, const struct mos_stage *stage, uint16_t port,
			struct rte_mbuf **mbufs, struct mos_pkt *pkts, uint16_t n, bool decoded);
void mos_app_lane_round(struct mos_app *lane, const struct mos_stage *stage, bool got_any);
void mos_app_lane_end(struct mos_app *lane, const struct mos_stage *stage);
const struct mos_stats *mos_app_lane_stats(const struct mos_app *lane);
/* Add @lane's counters to @app and free it (frames left in its TX
 * batches are freed and counted in tx_dropped). */
void mos_app_lane_merge(struct mos_app *app, struct mos_app *lane);

/* Free the workers' record streams (mos_app_destroy). */
void mos_app_workers_free(void);

#endif /* MOS_APP_PRIVATE_H */
