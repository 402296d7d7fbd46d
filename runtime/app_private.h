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
struct rte_mempool *mos_app_big_pool(struct mos_app *app);
uint16_t mos_app_burst(const struct mos_app *app);
const char *mos_app_prog(const struct mos_app *app);
struct mos_stats *mos_app_stats_rw(struct mos_app *app);
struct mos_app_io_stats *mos_app_io_rw(struct mos_app *app);
void mos_app_set_now(struct mos_app *app, uint64_t now_ns);
void mos_app_fail(struct mos_app *app);
bool mos_app_stop_requested(void);

/* Pool sizes for a run with @workers workers and bursts of @burst
 * (workers.c, which knows how many frames are in flight). */
unsigned mos_app_workers_pool_size(unsigned workers, uint16_t burst);
unsigned mos_app_workers_big_size(unsigned workers, uint16_t burst);

/* Free the workers' record streams (mos_app_destroy). */
void mos_app_workers_free(void);

#endif /* MOS_APP_PRIVATE_H */
