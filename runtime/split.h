/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * split.h — one capture file's scan shared by the offline workers
 * (runtime-internal; used by workers.c).
 *
 * Without it every worker walks every record of the file and streams all
 * of its bytes through its cache, to find the owner of every frame: that
 * scan is repeated N times. With it the file is cut into chunks of 256 KiB;
 * one worker scans a chunk (its records, the latest time up to each, and
 * every worker's list of its own) into a shared slot, a few chunks ahead,
 * and every worker takes from every chunk, in input order, the clock of
 * all its records and its own records alone, touching only the bytes of
 * its own frames. A chunk's first record is guessed
 * (mos_source_split_sync), so chunks are scanned in parallel; a worker
 * checks the guess against where the previous chunk's walk ended and
 * walks the chunk again when it was wrong, so the records are exactly
 * those of a sequential read.
 */
#ifndef MOS_SPLIT_H
#define MOS_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

#include "mos/source.h"

/* Owner worker of a record. */
typedef uint16_t (*split_owner_fn)(void *arg, const struct mos_source_rec *rec);

struct split;

/*
 * A shared scan for @n (>= 2) workers, worker i reading through @srcs[i]
 * (sources over the same files, nothing read yet). NULL when the input
 * cannot be split (its first file is not a mapped classic pcap or pcapng
 * file) or memory is short: the workers then read with mos_source_peek.
 * The first file is split; the workers read the files after it with
 * mos_source_peek (split_done).
 */
struct split *split_new(struct mos_source *const *srcs, unsigned n, split_owner_fn fn,
			void *arg);

/*
 * Worker @w's next @n records of the split file (fewer at its end, then 0),
 * in input order: @clock[j] is the latest record time of the input up to
 * the j-th of them; the *@k of them that are @w's own are copied to @recs,
 * the i-th being the @at[i]-th of the n. Their data stay valid until @w's
 * next split_next or split_leave. Fewer than @n, or 0, also when a stop
 * was requested or the run abandoned while waiting for another worker.
 */
uint16_t split_next(struct split *sp, unsigned w, uint16_t n, uint64_t *clock,
		    struct mos_source_rec *recs, uint16_t *at, uint16_t *k);

/* The split file is read: worker @w reads the rest of the input with
 * mos_source_peek on its source. */
bool split_done(const struct split *sp, unsigned w);

/* Worker @w reads no more (its run ended): the others stop waiting for it. */
void split_leave(struct split *sp, unsigned w);

/* Some workers never started: the others stop at their next wait. */
void split_abandon(struct split *sp);

void split_free(struct split *sp);

#endif /* MOS_SPLIT_H */
