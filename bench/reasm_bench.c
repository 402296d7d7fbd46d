/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reasm_bench — the whole mos pipeline against libnids on the same frames
 * held in memory: reassembly throughput per core and memory per flow.
 *
 *   reasm_bench [MIB_PER_CASE [LIVE_FLOWS [ROUNDS]]]
 *              (defaults: 256 MiB of payload, 1000 flows live at once, 5 rounds)
 *   reasm_bench ... --only mos|nids --case N   one tool, one case
 *              (with ROUNDS 1: for valgrind --tool=callgrind --toggle-collect='timed_*')
 *
 * Traces, generated in memory with a fixed seed (Ethernet/IPv4/TCP frames):
 * LIVE_FLOWS connections at once, each a handshake, 8 groups of 16
 * segments of 1448 bytes from the client (one server ACK per group), then
 * FIN/FIN/ACK; a finished connection is replaced by a new one until the
 * payload reaches MIB_PER_CASE. Every round sends one segment of every
 * live flow in turn, so consecutive frames belong to different flows (no
 * flow state stays in cache from one frame to the next). Cases:
 *   in-order    segments in sequence;
 *   reordered   each group of 16 in a random permutation (15 of 16 out of order);
 *   dups+ovl    reordered, plus every 8th segment sent twice and one
 *               segment per group overlapping two others by half (same bytes).
 *
 * Timed (CPU time of the process), per tool, on the same frames:
 *   mos      frames read in place from the trace buffer, as an offline
 *            run reads a mapped capture (borrowed, no copy into mbufs),
 *            then what one offline worker does per burst of 32:
 *            mos_decode + mos_stats_count, then per frame the clock,
 *            the flow lookup hinted a group ahead and the flow engine
 *            (mos_ctx_input_hinted: both TCP endpoints, reassembly into
 *            stream buffers, events), and a consumer that reads every
 *            byte at conn_new_data as streamdump --no-write does
 *            (mos_stream_read_ptr, bytes summed, pages given back after
 *            FIN); mos_ctx_finish at the end;
 *   libnids  nids_pcap_handler on each frame (IP checks, libnids' TCP
 *            tracking and reassembly of both directions), a callback that
 *            sums every new byte (collect on both sides).
 * Both sums must agree (checked: the line says "same bytes").
 * Memory is sampled half-way (outside the timed part): mos counts flow
 * entries with their user area, stream objects, pages and range tables in
 * use; libnids its preallocated connection structures plus the heap it
 * grew (mallinfo2). Both are divided by the connections open at that point.
 * Reports the median of ROUNDS rounds (tools interleaved) with min-max.
 * Run it pinned to one core (bench/run.sh does); it is not a test.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nids.h>
#include <pcap/pcap.h>

#include "mos/mos.h"
#include "mos/stats.h"

#include "bytesum.h"      /* examples/c: streamdump's sum of every byte read */

#define MSS        1448u
#define GROUP      16u
#define GROUPS     8u                /* groups per connection */
#define MAX_SLOTS  (GROUP + 3u)      /* segments of a group with dups and the overlap */
#define BURST      32u
#define MAX_ROUNDS 25
#define FRAME_ROOM 1536u             /* largest frame: 14 + 20 + 20 + 1448 */
#define WINDOW     (31u * 4096u)     /* streamdump's default window */

enum bcase { C_INORDER, C_REORDER, C_DUPS, C_COUNT };
static const char *const case_name[C_COUNT] = { "in-order", "reordered", "dups+ovl" };

/* ---- trace ---------------------------------------------------------------- */

struct trace {
	uint8_t *buf;                /* frames back to back */
	uint64_t *off;               /* frame i starts at buf + off[i] */
	uint16_t *len;               /* its length */
	uint32_t n, cap;             /* frames, allocated entries */
	uint64_t bytes_cap;          /* bytes allocated in buf */
	uint64_t used;               /* bytes used in buf */
	uint64_t payload;            /* distinct payload bytes (each counted once) */
	uint64_t wire;               /* frame bytes */
	uint32_t conns;              /* connections */
};

/* Frame @i's time: 1 us apart (libnids gets the same as seconds and
 * microseconds). */
static uint64_t
frame_ns(uint32_t i)
{
	return 1700000000000000000ull + (uint64_t)i * 1000;
}

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 16) % n);
}

static uint8_t pattern[65536 + 2 * MSS];   /* payload byte at stream offset o: pattern[o % 65536] */

static uint16_t
ip_csum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Append one frame of connection @id: from the client when @c2s, with
 * @flags, @seq, @ack and the payload of stream offset @o (@len bytes). */
static void
frame(struct trace *t, uint32_t id, bool c2s, uint8_t flags, uint32_t seq, uint32_t ack,
      uint32_t o, uint32_t len)
{
	uint8_t *f, *ip, *tcp;
	uint32_t cli = htonl(0x0a000000u | (id + 1)), srv = htonl(0xc0a80001u + id % 251);
	uint16_t cport = htons((uint16_t)(1024 + id % 60000)), sport = htons(80);
	uint16_t tot = htons((uint16_t)(40 + len)), c;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1u << 16;
		t->off = realloc(t->off, t->cap * sizeof(*t->off));
		t->len = realloc(t->len, t->cap * sizeof(*t->len));
	}
	if (t->used + FRAME_ROOM > t->bytes_cap) {
		t->bytes_cap = t->bytes_cap ? t->bytes_cap * 2 : 1u << 26;
		t->buf = realloc(t->buf, t->bytes_cap);
	}
	if (t->off == NULL || t->len == NULL || t->buf == NULL) {
		fprintf(stderr, "reasm_bench: out of memory\n");
		exit(1);
	}
	f = t->buf + t->used;
	ip = f + 14;
	tcp = ip + 20;
	memset(f, 0, 54);
	memcpy(f, c2s ? "\x02\0\0\0\0\x02\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	f[12] = 0x08;
	ip[0] = 0x45;
	memcpy(ip + 2, &tot, 2);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, c2s ? &cli : &srv, 4);
	memcpy(ip + 16, c2s ? &srv : &cli, 4);
	c = htons(ip_csum(ip));
	memcpy(ip + 10, &c, 2);
	memcpy(tcp, c2s ? &cport : &sport, 2);
	memcpy(tcp + 2, c2s ? &sport : &cport, 2);
	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(tcp + 4, &seq, 4);
	memcpy(tcp + 8, &ack, 4);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[14] = 0xff;                  /* window 65535 */
	tcp[15] = 0xff;
	if (len)
		memcpy(tcp + 20, pattern + o % 65536, len);
	t->off[t->n] = t->used;
	t->len[t->n] = (uint16_t)(54 + len);
	t->used += (54 + len + 63) & ~63u;
	t->wire += 54 + len;
	t->n++;
}

struct gconn {
	uint32_t id;                 /* connection number */
	uint32_t cisn, sisn;         /* initial sequence numbers */
	uint32_t group;              /* next group to send */
	bool live;                   /* slot in use */
	uint32_t n;                  /* segments of the current group */
	uint32_t seg_o[MAX_SLOTS];   /* their stream offsets */
	uint32_t seg_len[MAX_SLOTS]; /* and lengths */
};

#define SYN 0x02
#define FIN 0x01
#define ACK 0x10
#define PSH 0x08

/* The segments of group @g of @c in the order they are sent. */
static void
plan_group(struct gconn *c, enum bcase bc)
{
	uint32_t base = c->group * GROUP * MSS, perm[GROUP];

	for (uint32_t k = 0; k < GROUP; k++)
		perm[k] = k;
	if (bc != C_INORDER)
		for (uint32_t k = GROUP - 1; k > 0; k--) {
			uint32_t j = rnd(k + 1), x = perm[k];

			perm[k] = perm[j];
			perm[j] = x;
		}
	c->n = 0;
	for (uint32_t k = 0; k < GROUP; k++) {
		c->seg_o[c->n] = base + perm[k] * MSS;
		c->seg_len[c->n++] = MSS;
		if (bc == C_DUPS && k % 8 == 7) {      /* a duplicate of an earlier one */
			c->seg_o[c->n] = base + perm[k - 4] * MSS;
			c->seg_len[c->n++] = MSS;
		}
	}
	if (bc == C_DUPS) {                        /* half over two neighbours */
		uint32_t k = rnd(GROUP - 1), at = 1 + rnd(c->n - 1);

		memmove(&c->seg_o[at + 1], &c->seg_o[at], (c->n - at) * sizeof(uint32_t));
		memmove(&c->seg_len[at + 1], &c->seg_len[at], (c->n - at) * sizeof(uint32_t));
		c->seg_o[at] = base + k * MSS + MSS / 2;
		c->seg_len[at] = MSS;
		c->n++;
	}
}

static void
start_conn(struct trace *t, struct gconn *c, uint32_t id, enum bcase bc)
{
	c->id = id;
	c->cisn = rnd(UINT32_MAX);
	c->sisn = rnd(UINT32_MAX);
	c->group = 0;
	c->live = true;
	t->conns++;
	frame(t, id, true, SYN, c->cisn, 0, 0, 0);
	frame(t, id, false, SYN | ACK, c->sisn, c->cisn + 1, 0, 0);
	frame(t, id, true, ACK, c->cisn + 1, c->sisn + 1, 0, 0);
	plan_group(c, bc);
}

static void
make_trace(struct trace *t, enum bcase bc, uint64_t payload, uint32_t live)
{
	const uint64_t per_conn = (uint64_t)GROUPS * GROUP * MSS;
	uint32_t total = (uint32_t)((payload + per_conn - 1) / per_conn), next = 0, open = 0;
	struct gconn *c = calloc(live, sizeof(*c));

	if (c == NULL) {
		fprintf(stderr, "reasm_bench: out of memory\n");
		exit(1);
	}
	memset(t, 0, sizeof(*t));
	rng = 0x9e3779b97f4a7c15ull + (uint64_t)bc;
	for (uint32_t i = 0; i < live && next < total; i++, open++)
		start_conn(t, &c[i], next++, bc);
	while (open > 0) {
		/* One round: segment k of every live connection, k = 0.. */
		for (uint32_t k = 0; k < MAX_SLOTS; k++)
			for (uint32_t i = 0; i < live; i++)
				if (c[i].live && k < c[i].n)
					frame(t, c[i].id, true, ACK | PSH, c[i].cisn + 1 + c[i].seg_o[k],
					      c[i].sisn + 1, c[i].seg_o[k], c[i].seg_len[k]);
		for (uint32_t i = 0; i < live; i++) {
			struct gconn *g = &c[i];
			uint32_t end;

			if (!g->live)
				continue;
			g->group++;
			end = g->cisn + 1 + g->group * GROUP * MSS;
			frame(t, g->id, false, ACK, g->sisn + 1, end, 0, 0);
			if (g->group < GROUPS) {
				plan_group(g, bc);
				continue;
			}
			frame(t, g->id, true, FIN | ACK, end, g->sisn + 1, 0, 0);
			frame(t, g->id, false, FIN | ACK, g->sisn + 1, end + 1, 0, 0);
			frame(t, g->id, true, ACK, end + 1, g->sisn + 2, 0, 0);
			g->live = false;
			open--;
			if (next < total) {
				start_conn(t, g, next++, bc);
				open++;
			}
		}
	}
	t->payload = (uint64_t)total * per_conn;
	free(c);
}

static void
free_trace(struct trace *t)
{
	free(t->buf);
	free(t->off);
	free(t->len);
}

/* ---- common -------------------------------------------------------------- */

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


struct result {
	double cpu;                  /* CPU seconds of the timed part */
	uint64_t bytes;              /* reassembled bytes read by the consumer */
	uint64_t sum;                /* their checksum */
	double mem_per_conn;         /* bytes in use per open connection, half-way */
	uint32_t open;               /* connections open half-way */
};

/* ---- mos ------------------------------------------------------------------- */

struct mos_run {
	struct mos_ctx *ctx;         /* the engine */
	uint64_t bytes, sum;         /* what the consumer read */
	uint32_t open;               /* connections started and not ended */
};

struct mos_dir {
	uint8_t cursor[2];           /* cursor + 1 per receiving side, 0 = not opened */
};

static void
mos_drain(struct mos_run *r, struct mos_flow *fl, int rside)
{
	struct mos_stream *s = mos_flow_stream(fl, rside);
	struct mos_dir *u = mos_flow_user_area(r->ctx, fl);
	const uint8_t *p;
	ssize_t n;

	if (s == NULL)
		return;
	if (u->cursor[rside] == 0) {
		int c = mos_stream_cursor_open(s);

		if (c < 0)
			return;
		u->cursor[rside] = (uint8_t)(c + 1);
	}
	while ((n = mos_stream_read_ptr(s, u->cursor[rside] - 1, &p, SIZE_MAX, NULL)) >= 0) {
		r->bytes += (uint64_t)n;
		r->sum = bytesum(p, (size_t)n, r->sum);
	}
}

static void
mos_on_start(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	     const struct mos_event_arg *arg)
{
	(void)fl;
	(void)side;
	(void)ev;
	(void)arg;
	((struct mos_run *)mos_ctx_get_user(ctx))->open++;
}

static void
mos_on_data(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	    const struct mos_event_arg *arg)
{
	(void)ev;
	(void)arg;
	mos_drain(mos_ctx_get_user(ctx), fl, side);
}

/* As streamdump: once a FIN ended a stream and all of it was read, its
 * pages go back to the pool for the TIME_WAIT linger. */
static void
mos_on_state(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	     const struct mos_event_arg *arg)
{
	struct mos_stream *s = mos_flow_stream(fl, side);
	struct mos_stream_info si;

	(void)ev;
	(void)arg;
	if (s == NULL || mos_stream_get_info(s, &si) != 0 || si.off || !si.fin_seen ||
	    si.edge < si.fin_off)
		return;
	mos_drain(mos_ctx_get_user(ctx), fl, side);
	if (mos_stream_get_info(s, &si) == 0 && si.ooo_bytes == 0) {
		mos_stream_set_off(s, true);
		((struct mos_run *)mos_ctx_get_user(ctx))->open--;
	}
}

static void
mos_on_end(struct mos_ctx *ctx, struct mos_flow *fl, int side, uint32_t ev,
	   const struct mos_event_arg *arg)
{
	(void)side;
	(void)ev;
	(void)arg;
	for (int rs = MOS_SIDE_CLI; rs <= MOS_SIDE_SVR; rs++)
		mos_drain(mos_ctx_get_user(ctx), fl, rs);
}

/* The timed part: frames [from, to) of @t read in place (borrowed), in
 * bursts, as an offline run reads a mapped capture (runtime/workers.c,
 * one worker): each burst decoded (first bytes fetched a few frames
 * ahead) and counted, then every frame in order with the clock at its
 * time and its flow lookup hinted a group ahead, then the burst's end. */
__attribute__((noinline)) void timed_mos(struct mos_ctx *ctx, const struct trace *t, uint32_t from,
					 uint32_t to, bool last);
__attribute__((noinline)) void
timed_mos(struct mos_ctx *ctx, const struct trace *t, uint32_t from, uint32_t to, bool last)
{
	static struct mos_stats stats;
	struct mos_pkt pkts[BURST];
	struct mos_ctx_hint hints[BURST];
	uint64_t now = 0;

	for (uint32_t b = from; b < to; b += BURST) {
		uint16_t n = (uint16_t)(to - b < BURST ? to - b : BURST);

		for (uint16_t i = 0; i < n; i++) {
			const uint8_t *f = t->buf + t->off[b + i];

			if (i + 3 < n) {
				const uint8_t *ahead = t->buf + t->off[b + i + 3];

				__builtin_prefetch(ahead);
				__builtin_prefetch(ahead + 64);
			}
			now = frame_ns(b + i);
			mos_decode(f, t->len[b + i], t->len[b + i], MOS_LINK_ETHERNET, now, &pkts[i]);
			mos_stats_count(&stats, &pkts[i]);
		}
		for (uint16_t i = 0; i < n; i++) {
			mos_ctx_advance(ctx, pkts[i].ts_ns);
			if (i % MOS_CTX_HINT_GROUP == 0)
				mos_ctx_hint_group(ctx, &pkts[i],
						   (uint16_t)(n - i < MOS_CTX_HINT_GROUP ? n - i
											: MOS_CTX_HINT_GROUP),
						   &hints[i]);
			mos_ctx_input_hinted(ctx, &pkts[i], MOS_LINK_ETHERNET, &hints[i]);
		}
		mos_ctx_burst_end(ctx);
		mos_ctx_advance(ctx, now);
	}
	if (last) {
		mos_ctx_advance(ctx, now);
		mos_ctx_finish(ctx);
	}
}

static void
run_mos(const struct trace *t, struct result *res)
{
	struct mos_ctx_config cfg;
	struct mos_monitor *mon;
	struct mos_run r = { 0 };
	struct mos_stream_pool_stats ps;
	uint32_t half = (t->n / 2) & ~(BURST - 1);
	double t0, cpu;

	/* streamdump's configuration */
	mos_ctx_config_default(&cfg);
	cfg.flows.user_size = sizeof(struct mos_dir);
	cfg.streams.n_pages = 16384;
	cfg.streams.max_streams = 262144;
	r.ctx = mos_ctx_create(&cfg);
	if (r.ctx == NULL) {
		perror("reasm_bench: mos_ctx_create");
		exit(1);
	}
	mos_ctx_set_user(r.ctx, &r);
	mon = mos_monitor_create(r.ctx, MOS_MONITOR_STREAM);
	if (mon == NULL ||
	    mos_register_callback(mon, MOS_EV_CONN_START, MOS_HOOK_SND, mos_on_start, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_NEW_DATA, MOS_HOOK_NONE, mos_on_data, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_CONN_END, MOS_HOOK_NONE, mos_on_end, NULL) < 0 ||
	    mos_register_callback(mon, MOS_EV_TCP_STATE_CHANGE, MOS_HOOK_RCV, mos_on_state, NULL) < 0 ||
	    mos_monitor_set_stream(mon, MOS_SIDE_BOTH, WINDOW, MOS_STREAM_POLICY_LINUX) < 0) {
		fprintf(stderr, "reasm_bench: cannot set up the monitor\n");
		exit(1);
	}
	mos_ctx_set_borrowed(r.ctx, true);
	t0 = cpu_now();
	timed_mos(r.ctx, t, 0, half, false);
	cpu = cpu_now() - t0;
	/* Memory half-way: flow entries (with their user area) of every
	 * tracked flow, stream objects, pages and range tables in use. */
	mos_stream_pool_get_stats(mos_ctx_stream_pool(r.ctx), &ps);
	res->open = r.open;
	res->mem_per_conn = ((double)mos_flow_table_counters(mos_ctx_flows(r.ctx))->active *
			     (double)(sizeof(struct mos_flow) + sizeof(struct mos_dir)) +
			     (double)ps.streams_in_use * (double)mos_stream_object_size() +
			     (double)ps.pages_in_use * 4096.0 +
			     (double)ps.range_tables_in_use * MOS_STREAM_DEFAULT_MAX_RANGES * 32.0) /
			    (r.open ? r.open : 1);
	t0 = cpu_now();
	timed_mos(r.ctx, t, half, t->n, true);
	cpu += cpu_now() - t0;
	res->cpu = cpu;
	res->bytes = r.bytes;
	res->sum = r.sum;
	mos_ctx_destroy(r.ctx);
}

/* ---- libnids ----------------------------------------------------------------- */

static uint64_t nids_sum, nids_bytes;
static uint32_t nids_open;

static void
nids_take(struct half_stream *h)
{
	if (h->count_new > 0) {
		const uint8_t *p = (const uint8_t *)h->data + (h->count - h->offset) - h->count_new;

		nids_bytes += (uint64_t)h->count_new;
		nids_sum = bytesum(p, (size_t)h->count_new, nids_sum);
	}
}

static void
nids_on_tcp(struct tcp_stream *ts, void **param)
{
	(void)param;
	switch (ts->nids_state) {
	case NIDS_JUST_EST:
		ts->client.collect++;
		ts->server.collect++;
		nids_open++;
		break;
	case NIDS_DATA:
		nids_take(&ts->server);
		nids_take(&ts->client);
		break;
	default:
		nids_open--;  /* close, reset, timeout */
		break;
	}
}

__attribute__((noinline)) void timed_nids(const struct trace *t, uint32_t from, uint32_t to);
__attribute__((noinline)) void
timed_nids(const struct trace *t, uint32_t from, uint32_t to)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	for (uint32_t i = from; i < to; i++) {
		uint64_t us = (uint64_t)i;

		h.ts.tv_sec = (time_t)(1700000000 + us / 1000000);
		h.ts.tv_usec = (suseconds_t)(us % 1000000);
		h.caplen = h.len = t->len[i];
		nids_pcap_handler(NULL, &h, t->buf + t->off[i]);
	}
}

static char nids_empty[] = "/tmp/reasm_bench_XXXXXX";

static void
run_nids(const struct trace *t, struct result *res)
{
	static struct nids_chksum_ctl no_checksums = { 0, 0, NIDS_DONT_CHKSUM, 0 };
	uint32_t half = (t->n / 2) & ~(BURST - 1);
	struct mallinfo2 a, b;
	double t0, cpu;

	nids_params.filename = nids_empty;
	nids_params.device = NULL;
	nids_params.scan_num_hosts = 0;
	nids_params.n_tcp_streams = 1 << 20;    /* nids_harness's setting */
	nids_params.n_hosts = 1 << 16;
	nids_params.multiproc = 0;
	if (!nids_init()) {
		fprintf(stderr, "reasm_bench: nids_init: %s\n", nids_errbuf);
		exit(1);
	}
	nids_register_chksum_ctl(&no_checksums, 1);
	nids_register_tcp(nids_on_tcp);
	nids_sum = nids_bytes = 0;
	nids_open = 0;
	a = mallinfo2();
	t0 = cpu_now();
	timed_nids(t, 0, half);
	cpu = cpu_now() - t0;
	b = mallinfo2();
	/* libnids allocates the connection structures up front (one
	 * struct tcp_stream per connection); data buffers and out-of-order
	 * segments come from the heap. */
	res->open = nids_open;
	res->mem_per_conn = (double)sizeof(struct tcp_stream) +
			    ((double)(b.uordblks + b.hblkhd) - (double)(a.uordblks + a.hblkhd)) /
			    (nids_open ? nids_open : 1);
	t0 = cpu_now();
	timed_nids(t, half, t->n);
	cpu += cpu_now() - t0;
	res->cpu = cpu;
	res->bytes = nids_bytes;
	res->sum = nids_sum;
	nids_unregister_tcp(nids_on_tcp);
	nids_exit();
}

/* ---- floor ----------------------------------------------------------------- */

/* The work any reassembler that keeps bytes for a reader does at least,
 * as both tools do: every frame's TCP payload found (fixed Ethernet/IPv4/
 * TCP headers, no checks), copied once into a buffer (4 MiB in all, as
 * 1000 connections' buffers of 4 KiB) and read there once by the reader,
 * in frame order, with no flow, no state and no reassembly. Its time
 * bounds the speed-up any such tool can have over libnids here. */
__attribute__((noinline)) uint64_t timed_floor(const struct trace *t, uint64_t *bytes);
__attribute__((noinline)) uint64_t
timed_floor(const struct trace *t, uint64_t *bytes)
{
	static uint8_t ring[4u << 20];
	uint64_t sum = 0, n = 0;
	size_t at = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		const uint8_t *ip = t->buf + t->off[i] + 14;
		uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4, tot = (uint32_t)ip[2] << 8 | ip[3];
		const uint8_t *tcp = ip + ihl;
		uint32_t doff = (uint32_t)(tcp[12] >> 4) * 4, len;

		if (tot <= ihl + doff)
			continue;
		len = tot - ihl - doff;
		if (at + len > sizeof(ring))
			at = 0;
		memcpy(ring + at, tcp + doff, len);
		sum = bytesum(ring + at, len, sum);
		at += (len + 63) & ~63u;
		n += len;
	}
	*bytes = n;
	return sum;
}

static void
run_floor(const struct trace *t, struct result *res)
{
	double t0 = cpu_now();

	res->sum = timed_floor(t, &res->bytes);
	res->cpu = cpu_now() - t0;
}

/* ---- main ------------------------------------------------------------------ */

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double
median(double *v, int n, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return s[n / 2];
}

int
main(int argc, char **argv)
{
	const char *only = NULL;
	int only_case = -1, pos = 0, rounds = 5;
	uint64_t mib = 256;
	uint32_t live = 1000;
	pcap_t *dead;
	pcap_dumper_t *dump;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
			only_case = atoi(argv[++i]);
		} else if (pos == 0) {
			mib = strtoull(argv[i], NULL, 10), pos++;
		} else if (pos == 1) {
			live = (uint32_t)strtoul(argv[i], NULL, 10), pos++;
		} else if (pos == 2) {
			rounds = atoi(argv[i]), pos++;
		} else {
			pos = -1;
		}
	}
	if (pos < 0 || mib == 0 || live == 0 || rounds < 1 || rounds > MAX_ROUNDS ||
	    (only && strcmp(only, "mos") && strcmp(only, "nids")) || only_case >= C_COUNT) {
		fprintf(stderr, "usage: reasm_bench [MIB_PER_CASE [LIVE_FLOWS [ROUNDS]]] "
			"[--only mos|nids] [--case 0-2]\n");
		return 2;
	}
	/* nids_init wants a capture to open: an empty Ethernet pcap file. */
	fd = mkstemp(nids_empty);
	if (fd < 0) {
		perror("reasm_bench: mkstemp");
		return 1;
	}
	close(fd);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	dump = pcap_dump_open(dead, nids_empty);
	pcap_dump_close(dump);
	pcap_close(dead);
	rng = 12345;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)rnd(256);
	for (size_t i = 65536; i < sizeof(pattern); i++)
		pattern[i] = pattern[i - 65536];     /* wraps without a seam */

	printf("reasm_bench: %llu MiB of payload per case, %u connections live at once, "
	       "%u x %u segments of %u B each, %d rounds (median, min-max), CPU time\n",
	       (unsigned long long)mib, live, GROUPS, GROUP, MSS, rounds);
	printf("%-10s %-7s %9s %9s %10s %8s %17s %10s  %s\n", "case", "tool", "CPU s", "Gbps",
	       "(min-max)", "Mpps", "B/conn half-way", "(open)", "bytes");
	for (int c = 0; c < C_COUNT; c++) {
		struct trace t;
		double cpu[3][MAX_ROUNDS], gb[3] = { 0 };
		struct result res[3];
		bool same = true;
		bool with_mos = only == NULL || strcmp(only, "mos") == 0;

		memset(res, 0, sizeof(res));
		if (only_case >= 0 && c != only_case)
			continue;
		make_trace(&t, (enum bcase)c, mib << 20, live);
		for (int r = 0; r < rounds; r++) {
			if (with_mos)
				run_mos(&t, &res[0]);
			if (only == NULL || strcmp(only, "nids") == 0)
				run_nids(&t, &res[1]);
			if (only == NULL)
				run_floor(&t, &res[2]);
			for (int k = 0; k < 3; k++)
				cpu[k][r] = res[k].cpu;
		}
		for (int k = 0; k < 3; k++) {
			static const char *const tool[] = { "mos", "libnids", "floor" };
			double lo, hi, med;

			if ((k == 0 && !with_mos) || (k == 1 && only && strcmp(only, "nids")) ||
			    (k == 2 && only))
				continue;
			med = median(cpu[k], rounds, &lo, &hi);
			gb[k] = (double)t.payload * 8 / med / 1e9;
			printf("%-10s %-7s %9.3f %9.2f %4.2f-%-5.2f %8.2f %17.0f %10u  %llu%s\n",
			       case_name[c], tool[k], med, gb[k],
			       (double)t.payload * 8 / hi / 1e9, (double)t.payload * 8 / lo / 1e9,
			       (double)t.n / med / 1e6, res[k].mem_per_conn, res[k].open,
			       (unsigned long long)res[k].bytes,
			       k == 2 || res[k].bytes == t.payload ? "" : " (NOT all)");
		}
		if (only == NULL) {
			same = res[0].sum == res[1].sum && res[0].bytes == res[1].bytes;
			printf("%-10s mos / libnids = %.2f (%u frames, %u connections, %.1f MB payload, "
			       "%s); floor / libnids = %.2f: the most a tool that copies and reads every "
			       "byte can reach\n\n",
			       case_name[c], gb[0] / gb[1], t.n, t.conns, (double)t.payload / 1e6,
			       same ? "same bytes" : "DIFFERENT BYTES", gb[2] / gb[1]);
		}
		free_trace(&t);
	}
	unlink(nids_empty);
	return 0;
}
