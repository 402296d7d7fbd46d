/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * workers.c — one capture spread over several worker cores (mos/app.h,
 * mos_app_run_workers): the main lcore reads, decodes and distributes by
 * the symmetric hash of mos/rss.h; each worker lcore runs its own context;
 * records are tagged with their position in the input and merged at the
 * end in an order that does not depend on the number of workers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "mos/mos.h"
#include "mos/rss.h"

#include "app_private.h"

#define INFLIGHT     512             /* frames queued per worker (about) */
#define POS_END      (UINT64_MAX - 1) /* position of the end of input */

enum share_kind { SHARE_BURST, SHARE_FINISH };

/* One worker's part of one burst of the input. */
struct share {
	uint32_t kind;               /* enum share_kind */
	uint32_t n_all;              /* frames in the whole burst */
	uint32_t n;                  /* frames of this worker */
	uint64_t first_seq;          /* input number of the burst's first frame */
	uint64_t now_ns;             /* packet clock after the burst */
	uint64_t *clock;             /* [n_all] packet clock at each frame of the burst */
	uint16_t *idx;               /* [n] this worker's frames: index in the burst */
	struct rte_mbuf **mbufs;     /* [n] their mbufs (freed by the worker) */
	struct mos_pkt *pkts;        /* [n] decoded by the reader */
};

/* A record line held until the merge. */
struct line {
	uint64_t pos;                /* input position when its first byte was written */
	size_t off;                  /* in the worker's byte buffer */
	uint32_t len;                /* bytes, newline included */
	uint16_t worker;             /* writer (for the merge) */
};

struct worker {
	unsigned id;                 /* 0..n-1 */
	unsigned lcore;              /* EAL lcore it runs on */
	struct mos_ctx *ctx;         /* its context */
	struct rte_ring *in;         /* shares from the reader */
	struct rte_ring *free;       /* shares back to the reader */
	struct share *shares;        /* its share descriptors */
	void *mem;                   /* the shares' arrays, one block */
	FILE *out;                   /* record stream (cookie, unbuffered) */
	uint64_t pos;                /* current input position (tag of new lines) */
	char *buf;                   /* record bytes */
	size_t len, cap;             /* used / allocated */
	struct line *lines;          /* complete lines */
	size_t n_lines, lines_cap;   /* used / allocated */
	size_t line_off;             /* start of the line being written */
	uint64_t line_pos;           /* its tag */
	bool in_line;                /* a line is being written */
	bool oom;                    /* memory ran out: records lost (reported) */
	uint64_t dropped;            /* verdict drops */
};

static struct worker *wk;            /* the workers (one run per process) */
static unsigned n_wk;                /* their number */

static unsigned
shares_per_worker(uint16_t burst)
{
	unsigned d = INFLIGHT / burst;

	return d < 2 ? 2 : d;
}

static unsigned
pow2_minus1(unsigned n)
{
	unsigned p = 1;

	while (p - 1 < n)
		p <<= 1;
	return p - 1;
}

unsigned
mos_app_workers_pool_size(unsigned workers, uint16_t burst)
{
	/* Frames queued to each worker, plus the per-lcore mempool caches
	 * (up to 1.5 x 256 each) and the burst being read: the reader must
	 * never find the pool short, or its bursts would differ from a
	 * one-worker run's. */
	return pow2_minus1(workers * (shares_per_worker(burst) * burst + 400u) + 2u * burst + 400u);
}

unsigned
mos_app_workers_big_size(unsigned workers, uint16_t burst)
{
	/* Below 512 the pool has no per-lcore cache, so its free count is
	 * exact: the reader waits for a burst's worth before reading. */
	unsigned n = 2u * burst + 63u;

	(void)workers;
	return n > 511 ? 511 : n;
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

	if (!grow((void **)&w->buf, &w->cap, w->len + n, 1)) {
		w->oom = true;
		return (ssize_t)n;
	}
	for (size_t i = 0; i < n; i++) {
		if (!w->in_line) {
			w->in_line = true;
			w->line_off = w->len + i;
			w->line_pos = w->pos;
		}
		if (data[i] != '\n')
			continue;
		if (!grow((void **)&w->lines, &w->lines_cap, w->n_lines + 1, sizeof(*w->lines))) {
			w->oom = true;
			break;
		}
		w->lines[w->n_lines++] = (struct line){ .pos = w->line_pos, .off = w->line_off,
			.len = (uint32_t)(w->len + i + 1 - w->line_off), .worker = (uint16_t)w->id };
		w->in_line = false;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
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
	for (unsigned i = 0; i < n; i++) {
		wk[i].id = i;
		wk[i].out = fopencookie(&wk[i], "w", io);
		if (wk[i].out == NULL)
			return -errno;
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

void
mos_app_workers_free(void)
{
	for (unsigned i = 0; wk && i < n_wk; i++) {
		if (wk[i].out)
			fclose(wk[i].out);
		rte_ring_free(wk[i].in);
		rte_ring_free(wk[i].free);
		free(wk[i].mem);
		free(wk[i].shares);
		free(wk[i].buf);
		free(wk[i].lines);
	}
	free(wk);
	wk = NULL;
	n_wk = 0;
}

/* ---- the worker lcore ----------------------------------------------------- */

/* Wait a little: spin, then give the CPU away (offline, the reader and
 * the workers may be more threads than cores). */
static void
idle(unsigned *spins)
{
	if (++*spins < 64)
		rte_pause();
	else if (*spins < 128)
		sched_yield();
	else
		usleep(20);
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mos_ctx *ctx = w->ctx;
	unsigned spins = 0;

	for (;;) {
		struct share *s;

		if (rte_ring_dequeue(w->in, (void **)&s) != 0) {
			idle(&spins);
			continue;
		}
		spins = 0;
		if (s->kind == SHARE_FINISH) {
			w->pos = POS_END;
			mos_ctx_advance(ctx, s->now_ns);
			mos_ctx_finish(ctx);
			rte_ring_enqueue(w->free, s);
			return 0;
		}
		for (uint32_t j = 0, k = 0; j < s->n_all; j++) {
			uint64_t seq = s->first_seq + j;

			/* Before frame j: expiry and timers at its clock, as the
			 * one-worker run does whoever owns the frame. */
			w->pos = seq * 4;
			mos_ctx_advance(ctx, s->clock[j]);
			if (k < s->n && s->idx[k] == j) {
				w->pos = seq * 4 + 1;
				if (mos_ctx_input(ctx, &s->pkts[k],
						  mos_mbuf_priv(s->mbufs[k])->linktype) ==
				    MOS_VERDICT_DROP)
					w->dropped++;
				k++;
			}
		}
		w->pos = (s->first_seq + s->n_all - 1) * 4 + 2;
		mos_ctx_burst_end(ctx);
		w->pos++;
		mos_ctx_advance(ctx, s->now_ns);
		if (s->n)
			rte_pktmbuf_free_bulk(s->mbufs, s->n);
		rte_ring_enqueue(w->free, s);
	}
}

/* ---- the reader (main lcore) ---------------------------------------------- */

static int
setup_worker(struct worker *w, uint16_t burst)
{
	unsigned d = shares_per_worker(burst);
	size_t per = (size_t)burst * (sizeof(uint64_t) + sizeof(uint16_t) +
				      sizeof(struct rte_mbuf *) + sizeof(struct mos_pkt));
	char name[RTE_RING_NAMESIZE];
	uint8_t *mem;

	snprintf(name, sizeof(name), "mos_win%u", w->id);
	w->in = rte_ring_create(name, d + 1 > 4 ? rte_align32pow2(d + 1) : 4, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "mos_wfree%u", w->id);
	w->free = rte_ring_create(name, d + 1 > 4 ? rte_align32pow2(d + 1) : 4, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->shares = calloc(d, sizeof(*w->shares));
	per = (per + 63) & ~(size_t)63;      /* each share's pkts 64-byte aligned */
	mem = calloc(d, per);
	if (w->in == NULL || w->free == NULL || w->shares == NULL || mem == NULL) {
		free(mem);
		return -ENOMEM;
	}
	w->mem = mem;
	for (unsigned i = 0; i < d; i++) {
		struct share *s = &w->shares[i];
		uint8_t *p = mem + i * per;

		/* pkts first (8-byte aligned members), then the smaller arrays */
		s->pkts = (struct mos_pkt *)p;
		p += (size_t)burst * sizeof(struct mos_pkt);
		s->clock = (uint64_t *)p;
		p += (size_t)burst * sizeof(uint64_t);
		s->mbufs = (struct rte_mbuf **)p;
		p += (size_t)burst * sizeof(struct rte_mbuf *);
		s->idx = (uint16_t *)p;
		rte_ring_enqueue(w->free, s);
	}
	return 0;
}

static struct share *
get_share(struct worker *w)
{
	struct share *s;
	unsigned spins = 0;

	while (rte_ring_dequeue(w->free, (void **)&s) != 0)
		idle(&spins);
	return s;
}

static int
line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	c = memcmp(wk[x->worker].buf + x->off, wk[y->worker].buf + y->off,
		   x->len < y->len ? x->len : y->len);
	if (c != 0 || x->len == y->len)
		return c;
	return x->len < y->len ? -1 : 1;
}

/* Sort every worker's lines into the documented order and write them. */
static int
merge(struct mos_app *app)
{
	size_t total = 0, k = 0;
	struct line *all;
	FILE *out = mos_app_out(app);

	for (unsigned i = 0; i < n_wk; i++)
		total += wk[i].n_lines;
	if ((all = malloc((total ? total : 1) * sizeof(*all))) == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n_wk; i++) {
		memcpy(all + k, wk[i].lines, wk[i].n_lines * sizeof(*all));
		k += wk[i].n_lines;
	}
	qsort(all, total, sizeof(*all), line_cmp);
	for (size_t i = 0; i < total; i++)
		fwrite(wk[all[i].worker].buf + all[i].off, 1, all[i].len, out);
	free(all);
	return 0;
}

int
mos_app_run_workers(struct mos_app *app, struct mos_ctx *const *ctxs)
{
	uint16_t burst = mos_app_burst(app);
	struct mos_source *src = mos_app_source(app);
	struct rte_mempool *big = mos_app_big_pool(app);
	struct mos_stats *st = mos_app_stats_rw(app);
	struct rte_mbuf *mbufs[256];
	struct mos_pkt *pkts = NULL;
	uint64_t clock[256], now = 0, seq = 0;
	unsigned lcore, n = mos_app_workers(app), i = 0;
	const char *e;
	int rc = 0;

	if (n == 0 || src == NULL || make_workers(app) < 0 ||
	    (pkts = malloc(burst * sizeof(*pkts))) == NULL) {
		fprintf(stderr, "%s: cannot set up the workers\n", mos_app_prog(app));
		free(pkts);
		return -ENOMEM;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == n)
			break;
		wk[i].lcore = lcore;
		wk[i].ctx = ctxs[i];
		if (setup_worker(&wk[i], burst) < 0) {
			fprintf(stderr, "%s: cannot set up worker %u\n", mos_app_prog(app), i);
			free(pkts);
			return -ENOMEM;
		}
		i++;
	}
	if (i < n) {
		fprintf(stderr, "%s: %u worker lcores for %u workers\n", mos_app_prog(app), i, n);
		free(pkts);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		rte_eal_remote_launch(worker_main, &wk[i], wk[i].lcore);

	while (!mos_app_stop_requested() && !mos_source_done(src)) {
		struct share *sh[MOS_APP_MAX_WORKERS];
		uint16_t got;
		unsigned spins = 0;

		/* Long frames: wait until a whole burst of them fits (the
		 * one-worker run never cuts a frame for want of a buffer). */
		while (big && rte_mempool_avail_count(big) < burst)
			idle(&spins);
		got = mos_source_rx(src, mbufs, burst);
		if (got == 0)
			continue;
		for (unsigned w = 0; w < n; w++) {
			sh[w] = get_share(&wk[w]);
			sh[w]->kind = SHARE_BURST;
			sh[w]->n_all = got;
			sh[w]->n = 0;
			sh[w]->first_seq = seq;
		}
		for (uint16_t j = 0; j < got; j++) {
			struct rte_mbuf *m = mbufs[j];
			const struct mos_mbuf_priv *pv = mos_mbuf_priv(m);
			struct share *s;

			mos_decode(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, pv->wirelen,
				   pv->linktype, pv->ts_ns, &pkts[j]);
			mos_stats_count(st, &pkts[j]);
			if (pv->ts_ns > now)
				now = pv->ts_ns;
			clock[j] = now;
			s = sh[mos_rss_worker(mos_rss_hash(&pkts[j]), n)];
			s->idx[s->n] = j;
			s->mbufs[s->n] = m;
			s->pkts[s->n++] = pkts[j];
		}
		for (unsigned w = 0; w < n; w++) {
			memcpy(sh[w]->clock, clock, got * sizeof(*clock));
			sh[w]->now_ns = now;
			rte_ring_enqueue(wk[w].in, sh[w]);
		}
		seq += got;
	}
	mos_app_set_now(app, now);
	for (unsigned w = 0; w < n; w++) {
		struct share *s = get_share(&wk[w]);

		s->kind = SHARE_FINISH;
		s->now_ns = now;
		rte_ring_enqueue(wk[w].in, s);
	}
	rte_eal_mp_wait_lcore();
	for (unsigned w = 0; w < n; w++) {
		mos_app_io_rw(app)->dropped += wk[w].dropped;
		if (wk[w].oom || wk[w].in_line) {
			fprintf(stderr, "%s: worker %u: %s\n", mos_app_prog(app), w,
				wk[w].oom ? "out of memory for records: records lost"
					  : "last record not ended by a newline: left out");
			mos_app_fail(app);
		}
	}
	if (merge(app) < 0) {
		fprintf(stderr, "%s: out of memory merging the records\n", mos_app_prog(app));
		mos_app_fail(app);
		rc = -ENOMEM;
	}
	if ((e = mos_source_error(src)) != NULL) {
		fprintf(stderr, "%s: error: %s\n", mos_app_prog(app), e);
		mos_app_fail(app);
		rc = -EIO;
	}
	free(pkts);
	return rc;
}
