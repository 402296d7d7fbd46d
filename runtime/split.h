/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * split.h — one capture file's scan shared by the offline workers
 * (runtime-internal; used by workers.c).
 *
 * Without it every worker walks every record of the file and streams all
 * of its bytes through its cache, to find the owner of every frame: that
 * scan is repeated N times. With it the file is cut into chunks of 256 KiB;
 * one worker scans a chunk (its records, and the owner of each) into a
 * shared slot, a few chunks ahead, and every worker takes every chunk's
 * records in input order, touching only the bytes of its own frames. A chunk's first record is
 * guessed (mos_source_split_sync), so chunks are scanned in parallel; a
 * worker checks the guess against where the previous chunk's walk ended
 * and walks the chunk again when it was wrong, so the records are exactly
 * those of a sequential read.
 */
#ifndef MOS_SPLIT_H
#define MOS_SPLIT_H

#include <stdint.h>

#include "mos/source.h"

#define SPLIT_NO_OWNER UINT16_MAX   /* a record read after the split ended */

/* Owner worker of a record. */
typedef uint16_t (*split_owner_fn)(void *arg, const struct mos_source_rec *rec);

struct split;

/*
 * A shared scan for @n (>= 2) workers, worker i reading through @srcs[i]
 * (sources over the same files, nothing read yet). NULL when the input
 * cannot be split (its first file is not a mapped classic pcap or pcapng
 * file) or
 * memory is short: the workers then read with mos_source_peek. The first
 * file is split; the files after it are read with mos_source_peek.
 */
struct split *split_new(struct mos_source *const *srcs, unsigned n, split_owner_fn fn,
			void *arg);

/*
 * Up to @n of worker @w's next records, in input order, with their owners
 * (SPLIT_NO_OWNER for records after the split file). Returns 0 at the end
 * of the input, and when a stop was requested or the run abandoned while
 * waiting for another worker.
 */
uint16_t split_next(struct split *sp, unsigned w, struct mos_source_rec *recs,
		    uint16_t *owner, uint16_t n);

/* Worker @w reads no more (its run ended): the others stop waiting for it. */
void split_leave(struct split *sp, unsigned w);

/* Some workers never started: the others stop at their next wait. */
void split_abandon(struct split *sp);

void split_free(struct split *sp);

#endif /* MOS_SPLIT_H */
