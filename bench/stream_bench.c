/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stream_bench — throughput and memory of the stream reassembler alone
 * (mos/stream.h), on synthetic segments held in memory.
 *
 *   stream_bench [MB_PER_CASE] [FLOWS]
 *
 * For FLOWS concurrent streams (default 1000, served round-robin so the
 * per-flow state is not in cache) it inserts MB_PER_CASE MiB (default 1024)
 * of 1448-byte segments in three orders:
 *   in-order           segments in sequence;
 *   reordered          each group of 16 segments in a random permutation
 *                      (about 15 of every 16 segments arrive out of order);
 *   reordered+dups     as reordered, plus every 8th segment sent twice;
 * each without a reader (the 64 KiB window releases old bytes as a ring, so
 * every flow keeps 64 KiB of cold pages) and with one cursor reading every
 * byte after each group through mos_stream_read_ptr (zero-copy; pages are
 * released as soon as they are read: what libnids does after handing its
 * buffer to the callback). Each figure is the median of
 * ROUNDS runs.
 * Reports CPU seconds, Gbps of payload per core, and the memory a buffered
 * flow costs: the stream object, plus pages and range tables in use.
 * When built with libnids (MOS_BENCH_NIDS), the first three cases also run
 * through libnids in the same process (see run_nids for what that covers).
 * Run it pinned to one core; it is a benchmark, not a test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mos/stream.h"

#ifdef MOS_BENCH_NIDS
#include <arpa/inet.h>
#include <nids.h>
#include <pcap/pcap.h>
#endif

#define MSS   1448u
#define GROUP 16u

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

enum mode { IN_ORDER, REORDERED, REORDERED_DUPS };

static const char *const mode_names[] = {
	"in-order", "reordered", "reordered+dups",
};

#define ROUNDS 5

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run; returns CPU seconds, prints nothing unless @verbose. */
static double
run(enum mode mode, bool reader, uint64_t total, unsigned flows, bool verbose)
{
	struct mos_stream_pool_config pc = {
		.page_size = 4096,
		.n_pages = flows * 20 + 64,      /* 64 KiB window + slack per flow */
		.max_streams = flows,
		.n_range_tables = flows,
	};
	struct mos_stream_pool *pool = mos_stream_pool_create(&pc);
	struct mos_stream **s = calloc(flows, sizeof(*s));
	int *cur = calloc(flows, sizeof(*cur));
	uint32_t *isn = calloc(flows, sizeof(*isn));
	uint8_t *payload = malloc(GROUP * MSS * 2);
	uint8_t *out = malloc(GROUP * MSS * 2);
	unsigned perm[GROUP * 2];
	uint64_t groups, inserted = 0, segs = 0, sink = 0;
	struct mos_stream_pool_stats ps;
	struct mos_stream_info in;
	double t0, t1;

	if (pool == NULL || s == NULL || cur == NULL || isn == NULL || payload == NULL ||
	    out == NULL) {
		fprintf(stderr, "stream_bench: out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < GROUP * MSS * 2; i++)
		payload[i] = (uint8_t)rnd(256);
	for (unsigned f = 0; f < flows; f++) {
		struct mos_stream_config sc = { .buf_size = 65536, .policy = MOS_STREAM_POLICY_LINUX };

		isn[f] = rnd(UINT32_MAX);
		s[f] = mos_stream_create(pool, isn[f], &sc);
		if (s[f] == NULL) {
			perror("stream_bench: mos_stream_create");
			exit(1);
		}
		cur[f] = reader ? mos_stream_cursor_open(s[f]) : -1;
	}
	groups = total / ((uint64_t)GROUP * MSS * flows);
	if (groups == 0)
		groups = 1;
	t0 = cpu_now();
	for (uint64_t g = 0; g < groups; g++) {
		unsigned n = GROUP;

		for (unsigned k = 0; k < GROUP; k++)
			perm[k] = k;
		if (mode == REORDERED || mode == REORDERED_DUPS) {
			for (unsigned k = GROUP - 1; k > 0; k--) {
				unsigned j = rnd(k + 1), t = perm[k];

				perm[k] = perm[j];
				perm[j] = t;
			}
		}
		if (mode == REORDERED_DUPS) {
			for (unsigned k = 0; k < GROUP; k += 8)
				perm[n++] = perm[k];
		}
		for (unsigned f = 0; f < flows; f++) {
			struct mos_stream *st = s[f];
			uint32_t seq0;

			seq0 = isn[f] + (uint32_t)(g * GROUP * MSS);
			for (unsigned k = 0; k < n; k++) {
				mos_stream_insert(st, seq0 + perm[k] * MSS, payload + perm[k] * MSS, MSS, 0);
				segs++;
			}
			if (reader) {
				const uint8_t *p;
				ssize_t r;

				while ((r = mos_stream_read_ptr(st, cur[f], &p, SIZE_MAX, NULL)) > 0)
					sink += p[r - 1];
			}
		}
		inserted += (uint64_t)GROUP * MSS * flows;
	}
	t1 = cpu_now();
	mos_stream_pool_get_stats(pool, &ps);
	if (verbose) {
		uint64_t edges = 0, rex = 0;

		for (unsigned f = 0; f < flows; f++) {
			mos_stream_get_info(s[f], &in);
			edges += in.edge;
			rex += in.rexmit_bytes;
		}
		printf("  %-15s %-6s %6.2f Mseg/s  (%llu MiB, %llu segs, edges %s, rexmit %llu MiB, "
		       "pages high %llu)\n", mode_names[mode], reader ? "reader" : "-",
		       (double)segs / (t1 - t0) / 1e6, (unsigned long long)(inserted >> 20),
		       (unsigned long long)segs, edges == inserted ? "ok" : "WRONG",
		       (unsigned long long)(rex >> 20), (unsigned long long)ps.pages_high);
	}
	for (unsigned f = 0; f < flows; f++)
		mos_stream_destroy(s[f]);
	mos_stream_pool_free(pool);
	free(s);
	free(cur);
	free(isn);
	free(payload);
	free(out);
	if (sink == 1)
		printf(" ");
	return (t1 - t0) * (double)total / (double)inserted;  /* normalised to @total */
}

/* Median Gbps of ROUNDS runs. */
static double
gbps(double (*fn)(enum mode, bool, uint64_t, unsigned, bool), enum mode mode, bool reader,
     uint64_t total, unsigned flows)
{
	double t[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		t[r] = fn(mode, reader, total, flows, r == ROUNDS - 1);
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	return (double)total * 8 / t[ROUNDS / 2] / 1e9;
}

#ifdef MOS_BENCH_NIDS
/*
 * The same segments through libnids, as Ethernet/IPv4/TCP frames built in
 * memory and handed to nids_pcap_handler (no capture file I/O): handshake
 * per flow, then the data segments in the same order as the mos run, and
 * one server ACK per flow and group (libnids drops data beyond the
 * receiver's advertised window otherwise). This is libnids' whole TCP path
 * (IP checks, connection lookup, reassembly), while the mos figures above
 * are the reassembler alone: compare them knowing that.
 */
static uint64_t nids_bytes;

static void
nids_on_tcp(struct tcp_stream *ts, void **param)
{
	(void)param;
	if (ts->nids_state == NIDS_JUST_EST)
		ts->server.collect++;
	else if (ts->nids_state == NIDS_DATA)
		nids_bytes += (uint64_t)ts->server.count_new;
}

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

/* Build one frame into @f; returns its length. */
static uint32_t
frame(uint8_t *f, unsigned flow, int from_server, uint32_t seq, uint32_t ack, uint8_t flags,
      const uint8_t *payload, uint32_t len)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint32_t cli = htonl(0x0a000000u | (flow + 1)), srv = htonl(0xc0a80001u);
	uint16_t cport = htons((uint16_t)(10000 + flow % 50000)), sport = htons(80);
	uint16_t tot = htons((uint16_t)(40 + len));

	memset(f, 0, 54);
	f[12] = 0x08;
	ip[0] = 0x45;
	memcpy(ip + 2, &tot, 2);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, from_server ? &srv : &cli, 4);
	memcpy(ip + 16, from_server ? &cli : &srv, 4);
	{
		uint16_t c = htons(ip_csum(ip));

		memcpy(ip + 10, &c, 2);
	}
	memcpy(tcp, from_server ? &sport : &cport, 2);
	memcpy(tcp + 2, from_server ? &cport : &sport, 2);
	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(tcp + 4, &seq, 4);
	memcpy(tcp + 8, &ack, 4);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[14] = 0xff;                  /* window 65535 */
	tcp[15] = 0xff;
	if (len > 0)
		memcpy(tcp + 20, payload, len);
	return 54 + len;
}

static void
feed(uint8_t *f, uint32_t n)
{
	struct pcap_pkthdr h = { .caplen = n, .len = n };

	nids_pcap_handler(NULL, &h, f);
}

static double
run_nids(enum mode mode, bool reader, uint64_t total, unsigned flows, bool verbose)
{
	static struct nids_chksum_ctl no_checksums = { 0, 0, NIDS_DONT_CHKSUM, 0 };
	char path[] = "/tmp/stream_bench_XXXXXX";
	uint8_t *payload = malloc(GROUP * MSS * 2), *f = malloc(65536);
	unsigned perm[GROUP * 2];
	uint64_t groups, inserted = 0, segs = 0;
	double t0, t1;
	int fd = mkstemp(path);
	pcap_t *dead;
	pcap_dumper_t *dump;

	if (fd < 0 || payload == NULL || f == NULL) {
		perror("stream_bench: libnids setup");
		exit(1);
	}
	close(fd);
	/* nids_init wants a capture to open: an empty Ethernet pcap file. */
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	dump = pcap_dump_open(dead, path);
	pcap_dump_close(dump);
	pcap_close(dead);
	nids_params.filename = path;
	nids_params.device = NULL;
	nids_params.scan_num_hosts = 0;
	nids_params.n_tcp_streams = flows * 2 + 16;
	nids_params.n_hosts = 256;
	if (!nids_init()) {
		fprintf(stderr, "stream_bench: nids_init: %s\n", nids_errbuf);
		exit(1);
	}
	nids_register_chksum_ctl(&no_checksums, 1);
	nids_register_tcp(nids_on_tcp);
	nids_bytes = 0;
	for (unsigned i = 0; i < GROUP * MSS * 2; i++)
		payload[i] = (uint8_t)rnd(256);
	for (unsigned fl = 0; fl < flows; fl++) {
		feed(f, frame(f, fl, 0, 1000, 0, 0x02, NULL, 0));
		feed(f, frame(f, fl, 1, 5000, 1001, 0x12, NULL, 0));
		feed(f, frame(f, fl, 0, 1001, 5001, 0x10, NULL, 0));
	}
	groups = total / ((uint64_t)GROUP * MSS * flows);
	if (groups == 0)
		groups = 1;
	t0 = cpu_now();
	for (uint64_t g = 0; g < groups; g++) {
		unsigned n = GROUP;
		uint32_t seq0 = 1001 + (uint32_t)(g * GROUP * MSS);

		for (unsigned k = 0; k < GROUP; k++)
			perm[k] = k;
		if (mode == REORDERED || mode == REORDERED_DUPS) {
			for (unsigned k = GROUP - 1; k > 0; k--) {
				unsigned j = rnd(k + 1), t = perm[k];

				perm[k] = perm[j];
				perm[j] = t;
			}
		}
		if (mode == REORDERED_DUPS)
			for (unsigned k = 0; k < GROUP; k += 8)
				perm[n++] = perm[k];
		for (unsigned fl = 0; fl < flows; fl++) {
			for (unsigned k = 0; k < n; k++) {
				feed(f, frame(f, fl, 0, seq0 + perm[k] * MSS, 5001, 0x10,
					      payload + perm[k] * MSS, MSS));
				segs++;
			}
			feed(f, frame(f, fl, 1, 5001, seq0 + GROUP * MSS, 0x10, NULL, 0));
		}
		inserted += (uint64_t)GROUP * MSS * flows;
	}
	t1 = cpu_now();
	(void)reader;
	if (verbose)
		printf("  %-15s libnids %6.2f Mseg/s  (delivered %s)\n", mode_names[mode],
		       (double)segs / (t1 - t0) / 1e6, nids_bytes == inserted ? "all" : "NOT all");
	nids_exit();
	unlink(path);
	free(payload);
	free(f);
	return (t1 - t0) * (double)total / (double)inserted;
}
#endif

/* Memory of a buffered flow direction in typical states. */
static void
memory(void)
{
	struct mos_stream_pool_config pc = { .page_size = 4096, .n_pages = 4096, .max_streams = 1000,
					     .n_range_tables = 1000 };
	struct mos_stream_pool *pool = mos_stream_pool_create(&pc);
	struct mos_stream *s[1000];
	struct mos_stream_pool_stats ps;
	static uint8_t data[3000];
	const unsigned n = 1000;
	size_t obj = mos_stream_object_size();

	printf("\nmemory per buffered flow direction (page 4096 B, range table %zu B):\n",
	       (size_t)MOS_STREAM_DEFAULT_MAX_RANGES * 32);
	printf("  stream object (fixed part)           %6zu B\n", obj);
	for (unsigned f = 0; f < n; f++)
		s[f] = mos_stream_create(pool, 1, NULL);
	for (unsigned f = 0; f < n; f++)
		mos_stream_insert(s[f], 1, data, 500, 0);
	mos_stream_pool_get_stats(pool, &ps);
	printf("  500 B in order, unread               %6zu B\n",
	       obj + (size_t)(ps.pages_in_use * 4096 / n));
	for (unsigned f = 0; f < n; f++)
		mos_stream_insert(s[f], 1 + 500 + 1448, data, 1448, 0);
	mos_stream_pool_get_stats(pool, &ps);
	printf("  + one out-of-order segment (1448 B)  %6zu B\n",
	       obj + (size_t)(ps.pages_in_use * 4096 / n) + (size_t)(ps.range_tables_in_use *
							 MOS_STREAM_DEFAULT_MAX_RANGES * 32 / n));
	for (unsigned f = 0; f < n; f++)
		mos_stream_insert(s[f], 1 + 500 + 1448 * 3, data, 1448, 0);
	mos_stream_pool_get_stats(pool, &ps);
	printf("  + a second out-of-order segment      %6zu B\n",
	       obj + (size_t)(ps.pages_in_use * 4096 / n) + (size_t)(ps.range_tables_in_use *
							 MOS_STREAM_DEFAULT_MAX_RANGES * 32 / n));
	for (unsigned f = 0; f < n; f++)
		mos_stream_destroy(s[f]);
	mos_stream_pool_free(pool);
}

int
main(int argc, char **argv)
{
	uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
	unsigned flows = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1000;

	if (mb == 0 || flows == 0) {
		fprintf(stderr, "usage: stream_bench [MB_PER_CASE] [FLOWS]\n");
		return 2;
	}
	printf("stream_bench: %llu MiB per case, %u flows, MSS %u, groups of %u segments, "
	       "median of %d rounds\n", (unsigned long long)mb, flows, MSS, GROUP, ROUNDS);
	for (int m = IN_ORDER; m <= REORDERED_DUPS; m++) {
		double g0 = gbps(run, (enum mode)m, false, mb << 20, flows);
		double g1 = gbps(run, (enum mode)m, true, mb << 20, flows);
#ifdef MOS_BENCH_NIDS
		double gn = gbps(run_nids, (enum mode)m, false, mb << 20, flows);

		printf("%-15s mos %7.2f Gbps, mos+reader %7.2f Gbps, libnids %7.2f Gbps "
		       "(mos+reader / libnids = %.2f)\n\n", mode_names[m], g0, g1, gn, g1 / gn);
#else
		printf("%-15s mos %7.2f Gbps, mos+reader %7.2f Gbps\n\n", mode_names[m], g0, g1);
#endif
	}
	memory();
	return 0;
}
