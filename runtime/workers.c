/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * workers.c — several worker cores (mos/app.h, mos_app_run_workers).
 * Offline: one capture spread over worker threads without a reader: every
 * worker takes every record of the input in order, advances its clock at
 * each and processes the frames it owns by the symmetric hash of
 * mos/rss.h. The records and their owners come from a scan the workers
 * share, chunk by chunk (split.h), when the input starts with a classic
 * pcap file; otherwise each worker reads the whole input in place
 * (mos_source_peek) and reads the owner off the frame's headers
 * (mos_rss_frame_hash) or decodes it. Bursts are cut at the same frames as
 * a one-worker run's; records are tagged with their position in the input
 * and merged at the end in an order that does not depend on the number of
 * workers.
 * Live: every worker polls its share of the ports' receive queues, keeps
 * the frames whose hash it owns and hands the others to their owner
 * through the owner's ring (the software fallback when a port cannot hash
 * symmetrically, and the check when it can); the main lcore is the
 * control core (progress, record output); see docs/deployment.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "mos/mos.h"
#include "mos/rss.h"

#include "app_private.h"
#include "recmerge.h"
#include "split.h"

#define POS_END      (UINT64_MAX - 1) /* position of the end of input */

struct worker {
	unsigned id;                 /* 0..n-1 */
	unsigned lcore;              /* live: the EAL lcore it runs on */
	pthread_t thread;            /* offline: its thread (workers 1..n-1) */
	struct mos_ctx *ctx;         /* its context */
	struct mos_app *app;         /* offline: the run */
	struct mos_source *src;      /* offline: its reader of the input */
	struct split *split;         /* offline: the scan shared with the others, or NULL */
	unsigned n;                  /* offline: workers of the run */
	uint64_t now;                /* offline: packet clock at the end */
	FILE *out;                   /* record stream (cookie, unbuffered) */
	uint64_t pos;                /* offline: current input position (tag of new lines) */
	struct recmerge *merge;      /* offline: where its lines go, NULL without --workers */
	char *buf;                   /* live: the bytes of a line not ended yet */
	size_t len, cap;             /* used / allocated */
	bool in_line;                /* live: a line is being written */
	bool oom;                    /* live: memory ran out: records lost (reported) */
	bool live;                   /* live run: whole lines go out at once */
	uint64_t dropped;            /* verdict drops */
	struct mos_stats stats;      /* offline, workers 1..n-1: their own frames */
};

static struct worker *wk;            /* the workers (one run per process) */
static unsigned n_wk;                /* their number */
static struct recmerge *rm;          /* offline: the merge of their lines */
static FILE *live_out;               /* live: where the workers' lines go */
static pthread_mutex_t live_out_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned
pow2_minus1(unsigned n)
{
	unsigned p = 1;

	while (p - 1 < n)
		p <<= 1;
	return p - 1;
}

unsigned
mos_app_live_pool_size(unsigned workers, unsigned base)
{
	/* the one-loop pool, plus each worker's ring of handed-over frames,
	 * its batches and its mempool cache */
	return pow2_minus1(base + workers * (1024u + 2u * 256u + 400u));
}

/* ---- record streams ------------------------------------------------------- */

static bool
grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 4096;
	void *np;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if ((np = realloc(*p, c * elem)) == NULL)
		return false;
	*p = np;
	*cap = c;
	return true;
}

/* Cookie write: append @n bytes, closing a line at every newline. */
static ssize_t
rec_write(void *cookie, const char *data, size_t n)
{
	struct worker *w = cookie;

	if (w->live) {
		/* Live: whole lines go to the output as they end, under a lock
		 * (records of different workers never interleave in a line). */
		size_t end = n;

		while (end > 0 && data[end - 1] != '\n')
			end--;
		if (end > 0) {
			pthread_mutex_lock(&live_out_lock);
			if (w->len)
				fwrite(w->buf, 1, w->len, live_out);
			fwrite(data, 1, end, live_out);
			pthread_mutex_unlock(&live_out_lock);
			w->len = 0;
		}
		if (end < n) {
			if (!grow((void **)&w->buf, &w->cap, w->len + n - end, 1)) {
				w->oom = true;
				return (ssize_t)n;
			}
			memcpy(w->buf + w->len, data + end, n - end);
			w->len += n - end;
		}
		w->in_line = w->len > 0;
		return (ssize_t)n;
	}
	/* Offline: tagged with the input position, merged in order (the
	 * losses are counted there) */
	recmerge_write(w->merge, w->id, w->pos, data, n);
	return (ssize_t)n;
}

static int
make_workers(struct mos_app *app)
{
	cookie_io_functions_t io = { .write = rec_write };
	unsigned n = mos_app_workers(app);

	if (wk)
		return 0;
	if ((wk = calloc(n, sizeof(*wk))) == NULL)
		return -ENOMEM;
	n_wk = n;
	live_out = mos_app_out(app);
	if (!mos_app_live(app) && (rm = recmerge_new(n, mos_app_out(app), RECMERGE_HELD_MAX)) == NULL) {
		mos_app_workers_free();      /* not half made: the next call tries again */
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		wk[i].id = i;
		wk[i].merge = rm;
		wk[i].live = mos_app_live(app);
		wk[i].out = fopencookie(&wk[i], "w", io);
		if (wk[i].out == NULL) {
			int e = errno;

			mos_app_workers_free();
			return -e;
		}
		setvbuf(wk[i].out, NULL, _IONBF, 0);
	}
	return 0;
}

FILE *
mos_app_worker_out(struct mos_app *app, unsigned w)
{
	if (w >= mos_app_workers(app) || make_workers(app) < 0)
		return NULL;
	return wk[w].out;
}

static int run_files(struct mos_app *app, struct mos_ctx *ctx);

unsigned
mos_app_contexts(const struct mos_app *app)
{
	return mos_app_workers(app) ? mos_app_workers(app) : 1;
}

FILE *
mos_app_context_out(struct mos_app *app, unsigned w)
{
	return mos_app_workers(app) ? mos_app_worker_out(app, w) : w == 0 ? mos_app_out(app) : NULL;
}

int
mos_app_run_contexts(struct mos_app *app, struct mos_ctx *const *ctxs)
{
	struct mos_stage stage = { 0 };
	int rc;

	if (mos_app_workers(app)) {
		rc = mos_app_run_workers(app, ctxs);
	} else if (mos_app_files_only(app)) {
		rc = run_files(app, ctxs[0]);
	} else {
		mos_ctx_stage(ctxs[0], &stage);
		rc = mos_app_run(app, &stage);
	}
	mos_app_set_resources(app, ctxs, mos_app_contexts(app));
	return rc;
}

void
mos_app_workers_free(void)
{
	for (unsigned i = 0; wk && i < n_wk; i++) {
		if (wk[i].out)
			fclose(wk[i].out);
		if (i > 0)
			mos_source_close(wk[i].src);
		free(wk[i].buf);
	}
	free(wk);
	wk = NULL;
	recmerge_free(rm);
	rm = NULL;
	n_wk = 0;
}

/* ---- offline workers ------------------------------------------------------ */

/* Worker @w's records @got to @n - 1 of a burst, read with mos_source_peek
 * (no shared scan, or past it): @clock[j] the latest time up to the j-th
 * (*@now: the latest before them); those that may be @w's appended to
 * @recs (from the *@m-th on, *@m counting them) with their place in the
 * burst (@at) and @check: whether decoding must tell (a frame of no common
 * shape; its owner is not read off its headers). Returns @got plus the
 * records read. */
static uint16_t
peek_more(struct worker *w, uint16_t got, uint16_t n, uint64_t *now, uint64_t *clock,
	  struct mos_source_rec *recs, uint16_t *at, bool *check, uint16_t *m)
{
	uint16_t base = *m, more = mos_source_peek(w->src, recs + base, (uint16_t)(n - got));

	for (uint16_t j = 0; j < more; j++) {
		const struct mos_source_rec *r = &recs[base + j];
		unsigned owner = w->id;
		bool unknown = false;
		uint32_t h;

		if (r->ts_ns > *now)
			*now = r->ts_ns;
		clock[got + j] = *now;
		if (w->n > 1) {
			if (mos_rss_frame_hash(r->data, r->caplen, r->linktype, &h))
				owner = mos_rss_worker(h, w->n);
			else
				unknown = true;
		}
		if (base + j != *m)  /* read in place, kept in place with one worker */
			recs[*m] = *r;
		at[*m] = (uint16_t)(got + j);
		check[*m] = unknown;
		/* no branch: whose frame it is is a coin toss */
		*m = (uint16_t)(*m + (owner == w->id));
	}
	return (uint16_t)(got + more);
}

/* Worker @w's whole run: every frame of the input, in input order, the
 * clock advanced at each; its own frames decoded, counted (each worker in
 * its own statistics, worker 0 in the run's) and processed (read in place,
 * borrowed: a callback that wants to write to a frame gets a copy,
 * mos_ctx_set_borrowed). Worker 0 writes the progress line. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mos_app *app = w->app;
	struct mos_ctx *ctx = w->ctx;
	struct mos_stats *st = w->id == 0 ? mos_app_stats_rw(app) : &w->stats;
	uint16_t burst = mos_app_burst(app);
	struct mos_source_rec recs[MOS_SOURCE_PEEK_MAX];
	struct mos_pkt pkts[MOS_SOURCE_PEEK_MAX];
	struct mos_ctx_hint hints[MOS_SOURCE_PEEK_MAX];
	uint16_t idx[MOS_SOURCE_PEEK_MAX], at[MOS_SOURCE_PEEK_MAX];
	uint64_t clock[MOS_SOURCE_PEEK_MAX], now = 0, seq = 0, due = 0;
	bool check[MOS_SOURCE_PEEK_MAX];

	mos_ctx_set_borrowed(ctx, true);
	while (!mos_app_stop_requested()) {
		uint16_t got = 0, m = 0, sure, k = 0;

		/* 1. the next burst: the clock at every frame, the frames that
		 * may be ours (the first @sure of them are) */
		if (w->split != NULL)
			got = split_next(w->split, w->id, burst, clock, recs, at, &m);
		sure = m;
		if (got < burst && (w->split == NULL || split_done(w->split, w->id))) {
			if (got > 0) /* the split file ended in this burst */
				now = clock[got - 1];
			got = peek_more(w, got, burst, &now, clock, recs, at, check, &m);
		}
		if (got == 0)
			break;
		now = clock[got - 1];
		/* 2. decode them (their first bytes fetched a few frames ahead);
		 * a frame of no common shape is ours if its decoded hash says so */
		for (uint16_t i = 0; i < m; i++) {
			const struct mos_source_rec *r = &recs[i];
			struct mos_pkt *p = &pkts[k];

			if (i + 3 < m) {
				rte_prefetch0(recs[i + 3].data);
				rte_prefetch0(recs[i + 3].data + RTE_CACHE_LINE_SIZE);
			}
			mos_decode(r->data, r->caplen, r->wirelen, r->linktype, r->ts_ns, p);
			if (i >= sure && check[i] && mos_rss_worker(mos_rss_hash(p), w->n) != w->id)
				continue;
			mos_stats_count(st, p);
			idx[k++] = i;
		}
		/* 3. in input order: before every frame, expiry and timers at
		 * its clock (as the one-worker run does whoever owns it; before
		 * another worker's frames only when something is due: the clock
		 * never goes back, so the last of a run of them tells); the
		 * lookups of our frames hinted a group ahead */
		for (uint16_t i = 0, j = 0; i <= k; i++) {
			uint16_t mine = i < k ? at[idx[i]] : got; /* others' frames before it: [j, mine) */

			if (mine > j && clock[mine - 1] >= due)
				for (; j < mine; j++)
					if (clock[j] >= due) {
						w->pos = (seq + j) * 4;
						mos_ctx_advance(ctx, clock[j]);
						due = mos_ctx_due(ctx);
					}
			if (i == k)
				break;
			j = (uint16_t)(mine + 1);
			w->pos = (seq + mine) * 4;
			mos_ctx_advance(ctx, clock[mine]);
			if (i % MOS_CTX_HINT_GROUP == 0)
				mos_ctx_hint_group(ctx, &pkts[i],
						   (uint16_t)RTE_MIN(k - i, MOS_CTX_HINT_GROUP), &hints[i]);
			w->pos++;
			if (mos_ctx_input_hinted(ctx, &pkts[i], recs[idx[i]].linktype, &hints[i]) ==
			    MOS_VERDICT_DROP)
				w->dropped++;
			due = mos_ctx_due(ctx);
		}
		seq += got;
		w->pos = (seq - 1) * 4 + 2;
		if (now < due)       /* the clock of the last frame, when it was not ours */
			mos_ctx_advance(ctx, now);
		mos_ctx_burst_end(ctx);
		w->pos++;
		mos_ctx_advance(ctx, now);
		due = mos_ctx_due(ctx);
		if (w->merge != NULL)  /* the next lines are tagged from the next frame on */
			recmerge_passed(w->merge, w->id, seq * 4);
		if (w->id == 0)
			mos_app_progress(app, seq, false);
	}
	if (w->split != NULL)
		split_leave(w->split, w->id);
	w->pos = POS_END;
	w->now = now;
	mos_ctx_advance(ctx, now);
	mos_ctx_finish(ctx);
	mos_ctx_set_borrowed(ctx, false);
	if (w->merge != NULL)
		recmerge_passed(w->merge, w->id, UINT64_MAX);
	return NULL;
}

/* After the run of worker @w0 (the one that read the run's source): the
 * clock, its verdict drops, the progress line's last state and a read
 * error. Returns 0 or -EIO. */
static int
files_done(struct mos_app *app, struct worker *w0)
{
	const char *e = mos_source_error(w0->src);

	mos_app_set_now(app, w0->now);
	mos_app_io_rw(app)->dropped += w0->dropped;
	mos_app_progress(app, mos_source_counters(w0->src)->packets, true);
	if (e == NULL)
		return 0;
	fprintf(stderr, "%s: error: %s\n", mos_app_prog(app), e);
	mos_app_fail(app);
	return -EIO;
}

/* One context over capture files alone: the frames read in place, as
 * one worker would (no copy into mbufs). */
static int
run_files(struct mos_app *app, struct mos_ctx *ctx)
{
	struct worker w = { .id = 0, .n = 1, .ctx = ctx, .app = app, .src = mos_app_source(app) };

	worker_main(&w);
	return files_done(app, &w);
}

/* The owner of a record of the shared scan (split_owner_fn; @arg: the
 * number of workers): read off its headers, or decoded. */
static uint16_t
split_owner(void *arg, const struct mos_source_rec *r)
{
	unsigned n = *(const unsigned *)arg;
	struct mos_pkt p;
	uint32_t h;

	if (!mos_rss_frame_hash(r->data, r->caplen, r->linktype, &h)) {
		mos_decode(r->data, r->caplen, r->wirelen, r->linktype, r->ts_ns, &p);
		h = mos_rss_hash(&p);
	}
	return (uint16_t)mos_rss_worker(h, n);
}

static int run_live(struct mos_app *app, struct mos_ctx *const *ctxs);

int
mos_app_run_workers(struct mos_app *app, struct mos_ctx *const *ctxs)
{
	struct mos_source *src = mos_app_source(app);
	unsigned n = mos_app_workers(app), started = 1;
	struct split *split = NULL;
	char err[MOS_SOURCE_ERRLEN];
	int rc = 0;

	if (n > 0 && mos_app_live(app))
		return run_live(app, ctxs);
	if (n == 0 || src == NULL || make_workers(app) < 0) {
		fprintf(stderr, "%s: cannot set up the workers\n", mos_app_prog(app));
		return -ENOMEM;
	}
	/* Who owns a flow is mos_rss_worker's choice (programs rely on it:
	 * examples/c/nat.c picks ports by it). Worker 0 runs on this thread
	 * and reads the run's source (its counters and errors are the run's). */
	for (unsigned i = 0; i < n; i++) {
		wk[i].ctx = ctxs[i];
		wk[i].app = app;
		wk[i].n = n;
		wk[i].src = i == 0 ? src : mos_source_pcap_dup(src, err);
		if (wk[i].src == NULL) {
			fprintf(stderr, "%s: worker %u: %s\n", mos_app_prog(app), i, err);
			mos_app_fail(app);
			rc = -EIO;
			break;
		}
	}
	if (rc == 0 && n > 1) {
		struct mos_source *srcs[MOS_APP_MAX_WORKERS];

		for (unsigned i = 0; i < n; i++)
			srcs[i] = wk[i].src;
		/* NULL (input not splittable): every worker scans the whole input */
		split = split_new(srcs, n, split_owner, &wk[0].n);
		for (unsigned i = 0; i < n; i++)
			wk[i].split = split;
	}
	for (unsigned i = 1; rc == 0 && i < n; i++) {
		int e2 = pthread_create(&wk[i].thread, NULL, worker_main, &wk[i]);

		if (e2 != 0) {
			fprintf(stderr, "%s: cannot start worker %u: %s\n", mos_app_prog(app), i,
				strerror(e2));
			mos_app_fail(app);
			rc = -e2;
		} else {
			started++;
		}
	}
	if (rc != 0) {
		/* the started workers read to the end (sharing a scan, they stop
		 * where it would wait for a worker that never started); their
		 * frames are lost anyway */
		if (split != NULL)
			split_abandon(split);
		/* nor do they wait for the lines of those that never ran */
		for (unsigned i = 0; i < n; i++)
			if (i == 0 || i >= started)
				recmerge_passed(rm, i, UINT64_MAX);
		for (unsigned i = 1; i < started; i++)
			pthread_join(wk[i].thread, NULL);
		split_free(split);
		return rc;
	}
	worker_main(&wk[0]);
	for (unsigned i = 1; i < n; i++)
		pthread_join(wk[i].thread, NULL);
	split_free(split);
	for (unsigned w = 1; w < n; w++) {
		mos_stats_add(mos_app_stats_rw(app), &wk[w].stats);
		mos_app_io_rw(app)->dropped += wk[w].dropped;
	}
	rc = files_done(app, &wk[0]);
	recmerge_end(rm);
	for (unsigned w = 0; w < n; w++) {
		if (recmerge_lost(rm, w) > 0) {
			fprintf(stderr, "%s: worker %u: out of memory for records: %" PRIu64
				" records lost\n", mos_app_prog(app), w, recmerge_lost(rm, w));
			mos_app_fail(app);
		}
		if (recmerge_in_line(rm, w)) {
			fprintf(stderr, "%s: worker %u: last record not ended by a newline: left "
				"out\n", mos_app_prog(app), w);
			mos_app_fail(app);
		}
	}
	if (recmerge_unsorted(rm) > 0) {
		fprintf(stderr, "%s: out of memory to sort the records of one input position "
			"(%" PRIu64 " times): their order may differ from another run's\n",
			mos_app_prog(app), recmerge_unsorted(rm));
		mos_app_fail(app);
	}
	return rc;
}

/* ---- live workers --------------------------------------------------------- */

void
mos_app_idle(unsigned *spins)
{
	if (++*spins < 64)
		rte_pause();
	else if (*spins < 128)
		sched_yield();
	else
		usleep(20);
}

#define LIVE_RING    1024            /* frames waiting for their owner (per worker) */
#define LIVE_SRC_MAX 64              /* receive queues one worker polls */
#define LIVE_BURST   256             /* largest --burst */

/* One live worker. */
struct live {
	unsigned id;                 /* 0..n-1 */
	struct mos_app *lane;        /* its copy of the loop's state */
	struct mos_stage stage;      /* its context's stage */
	struct rte_ring *ring;       /* frames other workers received for it (MP/SC) */
	struct mos_source *src[LIVE_SRC_MAX]; /* the receive queues it polls */
	uint16_t port[LIVE_SRC_MAX]; /* their ports */
	unsigned n_src;
	struct rte_mbuf **batch;     /* [n][burst] frames for each other worker */
	uint16_t *n_batch;           /* [n] */
	bool stopped;                /* it saw the stop request and stopped receiving */
};

static struct live *lv;              /* the live workers */
static unsigned n_lv;
static unsigned lv_stopped;          /* workers that stopped receiving (atomic) */
static unsigned lv_done;             /* workers that ended their run (atomic) */

/* Process up to a burst of the frames handed to @L; returns how many. The
 * frames of one port are given to the loop together (their port decides
 * where inline forwards them). */
static unsigned
live_drain_ring(struct live *L, uint16_t burst)
{
	struct rte_mbuf *m[LIVE_BURST];
	struct mos_pkt pkts[LIVE_BURST];
	unsigned n = rte_ring_dequeue_burst(L->ring, (void **)m, burst, NULL);

	for (unsigned i = 0; i < n;) {
		unsigned j = i + 1;

		while (j < n && m[j]->port == m[i]->port)
			j++;
		mos_app_lane_burst(L->lane, &L->stage, m[i]->port, m + i, pkts, (uint16_t)(j - i),
				   false);
		i = j;
	}
	return n;
}

/* Hand @L's batches to their owners. A full ring is waited for while
 * @L processes its own ring (so two workers waiting on each other both
 * progress): nothing is dropped here; back-pressure reaches the NIC's
 * receive queues, whose drops the port counts. */
static void
live_push(struct live *L, uint16_t burst)
{
	for (unsigned o = 0; o < n_lv; o++) {
		struct rte_mbuf **b = L->batch + (size_t)o * burst;
		unsigned left = L->n_batch[o], spins = 0;

		while (left > 0) {
			unsigned k = rte_ring_enqueue_burst(lv[o].ring, (void **)b, left, NULL);

			b += k;
			left -= k;
			if (left > 0 && live_drain_ring(L, burst) == 0)
				mos_app_idle(&spins);
		}
		L->n_batch[o] = 0;
	}
}

static int
live_main(void *arg)
{
	struct live *L = arg;
	uint16_t burst = mos_app_burst(L->lane);
	struct rte_mbuf *m[LIVE_BURST], *mine[LIVE_BURST];
	struct mos_pkt pkts[LIVE_BURST];
	unsigned spins = 0;

	for (;;) {
		bool got = false;

		if (!L->stopped && mos_app_stop_requested()) {
			L->stopped = true;
			__atomic_add_fetch(&lv_stopped, 1, __ATOMIC_SEQ_CST);
		}
		for (unsigned s = 0; !L->stopped && s < L->n_src; s++) {
			uint16_t n = mos_source_rx(L->src[s], m, burst), k = 0;

			if (n == 0)
				continue;
			got = true;
			for (uint16_t i = 0; i < n; i++) {
				const struct mos_mbuf_priv *pv = mos_mbuf_priv(m[i]);
				unsigned o;

				mos_decode(rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len,
					   pv->wirelen, pv->linktype, pv->ts_ns, &pkts[k]);
				o = n_lv > 1 ? mos_rss_worker(mos_rss_hash(&pkts[k]), n_lv) : L->id;
				if (o == L->id) {
					mine[k++] = m[i];
				} else {
					m[i]->port = L->port[s];
					L->batch[(size_t)o * burst + L->n_batch[o]++] = m[i];
				}
			}
			if (k > 0)
				mos_app_lane_burst(L->lane, &L->stage, L->port[s], mine, pkts, k, true);
			live_push(L, burst);
		}
		if (live_drain_ring(L, burst) > 0)
			got = true;
		mos_app_lane_round(L->lane, &L->stage, got);
		if (L->stopped && __atomic_load_n(&lv_stopped, __ATOMIC_SEQ_CST) == n_lv) {
			/* nobody enqueues any more: what is in the ring is the last */
			while (live_drain_ring(L, burst) > 0)
				;
			break;
		}
		if (got)
			spins = 0;
		else
			mos_app_idle(&spins);
	}
	mos_app_lane_end(L->lane, &L->stage);
	__atomic_add_fetch(&lv_done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Which worker polls each receive queue: on a port that hashes in
 * hardware with one queue per worker, queue q is worker q's; the other
 * queues are dealt out in turn. Returns 0 or -1 (printed). */
static int
live_assign(struct mos_app *app)
{
	unsigned next = 0;

	for (unsigned k = 0; k < mos_app_n_sources(app); k++) {
		uint16_t port, queue, nrxq;
		struct mos_source *src = mos_app_source_at(app, k, &port, &queue);
		unsigned w;
		struct live *L;

		if (mos_app_port_rss(app, port, &nrxq) && nrxq == n_lv)
			w = queue;
		else
			w = next++ % n_lv;
		L = &lv[w];
		if (L->n_src == LIVE_SRC_MAX) {
			fprintf(stderr, "%s: more than %d receive queues for worker %u\n",
				mos_app_prog(app), LIVE_SRC_MAX, w);
			return -1;
		}
		L->src[L->n_src] = src;
		L->port[L->n_src++] = port;
	}
	return 0;
}

/* The control core's progress line (summed over the workers, read
 * while they run: approximate). */
static void
live_progress(struct mos_app *app, uint64_t *last, uint64_t *last_pkts, bool final)
{
	uint64_t now = mos_tsc_now_ns(), pk = 0;

	if (!final && now - *last < 1000000000ull)
		return;
	for (unsigned w = 0; w < n_lv; w++)
		pk += mos_app_lane_stats(lv[w].lane)->packets;
	fprintf(stderr, "\r%s: %u workers, %llu packets, %.2f Mpps%s", mos_app_prog(app), n_lv,
		(unsigned long long)pk, (double)(pk - *last_pkts) * 1e3 / (double)(now - *last + 1),
		final ? "\n" : "");
	*last = now;
	*last_pkts = pk;
}

static void
live_free(void)
{
	for (unsigned w = 0; lv && w < n_lv; w++) {
		rte_ring_free(lv[w].ring);
		free(lv[w].batch);
		free(lv[w].n_batch);
	}
	free(lv);
	lv = NULL;
	n_lv = 0;
}

static int
run_live(struct mos_app *app, struct mos_ctx *const *ctxs)
{
	unsigned n = mos_app_workers(app), i = 0, lcore;
	uint16_t burst = mos_app_burst(app);
	bool show = !mos_app_quiet(app) && isatty(STDERR_FILENO);
	uint64_t last = mos_tsc_now_ns(), last_pkts = 0, flushed = last;
	FILE *out = mos_app_out(app);
	int rc = 0;

	if (make_workers(app) < 0 || (lv = calloc(n, sizeof(*lv))) == NULL) {
		fprintf(stderr, "%s: cannot set up the workers\n", mos_app_prog(app));
		return -ENOMEM;
	}
	n_lv = n;
	lv_stopped = lv_done = 0;
	for (unsigned w = 0; w < n; w++) {
		struct live *L = &lv[w];
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "mos_live%u", w);
		L->id = w;
		L->lane = mos_app_lane_new(app, w);
		L->ring = rte_ring_create(name, LIVE_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
		L->batch = calloc((size_t)n * burst, sizeof(*L->batch));
		L->n_batch = calloc(n, sizeof(*L->n_batch));
		if (L->lane == NULL || L->ring == NULL || L->batch == NULL || L->n_batch == NULL) {
			fprintf(stderr, "%s: cannot set up worker %u\n", mos_app_prog(app), w);
			rc = -ENOMEM;
			goto out;
		}
		mos_ctx_stage(ctxs[w], &L->stage);
	}
	if (live_assign(app) < 0) {
		rc = -EINVAL;
		goto out;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == n)
			break;
		wk[i++].lcore = lcore;
	}
	if (i < n) {
		fprintf(stderr, "%s: %u worker lcores for %u workers: give -l with one core for "
			"control and one per worker\n", mos_app_prog(app), i, n);
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++)
		rte_eal_remote_launch(live_main, &lv[i], wk[i].lcore);

	/* The control core: progress, records flushed every 100 ms. */
	while (__atomic_load_n(&lv_done, __ATOMIC_SEQ_CST) < n) {
		uint64_t now = mos_tsc_now_ns();

		usleep(10000);
		if (show)
			live_progress(app, &last, &last_pkts, false);
		if (now - flushed > 100000000ull) {
			pthread_mutex_lock(&live_out_lock);
			fflush(out);
			pthread_mutex_unlock(&live_out_lock);
			flushed = now;
		}
	}
	rte_eal_mp_wait_lcore();
	if (show)
		live_progress(app, &last, &last_pkts, true);
	for (unsigned w = 0; w < n; w++) {
		if (wk[w].oom || wk[w].in_line) {
			fprintf(stderr, "%s: worker %u: %s\n", mos_app_prog(app), w,
				wk[w].oom ? "out of memory for records: records lost"
					  : "last record not ended by a newline: left out");
			mos_app_fail(app);
		}
	}
	for (unsigned k = 0; k < mos_app_n_sources(app); k++) {
		uint16_t port, queue;
		const char *e = mos_source_error(mos_app_source_at(app, k, &port, &queue));

		if (e) {
			fprintf(stderr, "%s: error: %s\n", mos_app_prog(app), e);
			mos_app_fail(app);
			rc = -EIO;
		}
	}
out:
	for (unsigned w = 0; w < n; w++)
		if (lv[w].lane)
			mos_app_lane_merge(app, lv[w].lane);
	live_free();
	mos_app_ports_done(app);
	return rc;
}
