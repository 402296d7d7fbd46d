/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * recmerge.h — the record lines of the offline workers, written to one
 * output in an order that does not depend on the number of workers, while
 * the run goes on (runtime-internal; used by workers.c).
 *
 * Every line is tagged with the input position at which its first byte
 * was written. The output holds the lines by tag, and lines of one tag by
 * their bytes (memcmp, a shorter line before a longer one it begins).
 * Each worker appends its lines to a queue of its own; a worker that has
 * passed a position says so (recmerge_passed), and the lines tagged before
 * the position every worker has passed are written then, by whichever
 * worker gets the merge first. Memory: the lines not yet written, in
 * blocks given back once written. A worker that holds blocks of more than
 * held_max bytes waits, at the start of its next line, for the workers
 * behind it (never for one ahead: no two wait for each other);
 * recmerge_waits counts those waits. held_max does not bound the lines
 * of the last position (those written at the end of the workers' runs):
 * all of them are held until every worker has ended.
 */
#ifndef MOS_RECMERGE_H
#define MOS_RECMERGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RECMERGE_HELD_MAX (32u << 20) /* workers.c: bytes a worker holds before it waits */

struct recmerge;

/* The merge of @n workers' lines into @out, each worker holding about
 * @held_max bytes of lines at most (see above); NULL when memory is short. */
struct recmerge *recmerge_new(unsigned n, FILE *out, size_t held_max);

/*
 * Worker @w (on its own thread) appends @n bytes written at input
 * position @pos; a newline ends a line, whose tag is the position of its
 * first byte. Positions never go back. False when memory ran out: the
 * line being written is lost (recmerge_lost counts the lines lost).
 */
bool recmerge_write(struct recmerge *m, unsigned w, uint64_t pos, const char *data, size_t n);

/*
 * Worker @w writes no line tagged before @pos from now on (UINT64_MAX: it
 * writes no more): the lines every worker has passed are written, unless
 * another worker is writing them already.
 */
void recmerge_passed(struct recmerge *m, unsigned w, uint64_t pos);

/* Every worker has passed UINT64_MAX: write all complete lines; @out is
 * flushed by its owner. */
void recmerge_end(struct recmerge *m);

/* Worker @w's last line has no newline yet (left out at the end). */
bool recmerge_in_line(const struct recmerge *m, unsigned w);

/* Lines of worker @w lost for want of memory. */
uint64_t recmerge_lost(const struct recmerge *m, unsigned w);

/* Times worker @w waited for the workers behind it (held_max). */
uint64_t recmerge_waits(const struct recmerge *m, unsigned w);

/* Groups of lines of one tag written unsorted for want of memory (their
 * order may then depend on the number of workers). */
uint64_t recmerge_unsorted(const struct recmerge *m);

void recmerge_free(struct recmerge *m);

#endif /* MOS_RECMERGE_H */
