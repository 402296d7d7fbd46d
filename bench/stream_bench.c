/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stream_bench — throughput and memory of the stream reassembler alone
 * (mos/stream.h), on synthetic segments held in memory.
 *
 *   stream_bench [MB_PER_CASE] [FLOWS]
 *
 * For FLOWS concurrent streams (default 1000, served round-robin so the
 * per-flow state is not in cache) it inserts MB_PER_CASE MiB (default 2048)
 * of 1448-byte segments in four cases:
 *   in-order           segments in sequence;
 *   reordered          each group of 16 segments in a random permutation
 *                      (every group but its first segment arrives out of
 *                      order: about 15/16 of the segments);
 *   reordered+dups     as reordered, plus every 8th segment sent twice;
 *   in-order+reader    in-order, with one cursor reading every byte out
 *                      after each group (a consumer copying the stream).
 * Without a reader the window (64 KiB) releases old bytes as a ring.
 * Reports CPU seconds, Gbps of payload per core, and the memory a buffered
 * flow costs: the stream object, plus pages and range tables in use.
 * Run it pinned to one core; it is a benchmark, not a test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mos/stream.h"

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

enum mode { IN_ORDER, REORDERED, REORDERED_DUPS, IN_ORDER_READER };

static const char *const mode_names[] = {
	"in-order", "reordered", "reordered+dups", "in-order+reader",
};

static void
run(enum mode mode, uint64_t total, unsigned flows)
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
	uint8_t *payload = malloc(GROUP * MSS * 2);
	uint8_t *out = malloc(GROUP * MSS * 2);
	unsigned perm[GROUP * 2];
	uint64_t groups, inserted = 0, segs = 0, sink = 0;
	struct mos_stream_pool_stats ps;
	struct mos_stream_info in;
	double t0, t1;

	if (pool == NULL || s == NULL || cur == NULL || payload == NULL || out == NULL) {
		fprintf(stderr, "stream_bench: out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < GROUP * MSS * 2; i++)
		payload[i] = (uint8_t)rnd(256);
	for (unsigned f = 0; f < flows; f++) {
		struct mos_stream_config sc = { .buf_size = 65536, .policy = MOS_STREAM_POLICY_LINUX };

		s[f] = mos_stream_create(pool, rnd(UINT32_MAX), &sc);
		if (s[f] == NULL) {
			perror("stream_bench: mos_stream_create");
			exit(1);
		}
		cur[f] = mode == IN_ORDER_READER ? mos_stream_cursor_open(s[f]) : -1;
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

			mos_stream_get_info(st, &in);
			seq0 = in.init_seq + (uint32_t)(g * GROUP * MSS);
			for (unsigned k = 0; k < n; k++) {
				mos_stream_insert(st, seq0 + perm[k] * MSS, payload + perm[k] * MSS, MSS, 0);
				segs++;
			}
			if (mode == IN_ORDER_READER) {
				ssize_t r;

				while ((r = mos_stream_read(st, cur[f], out, GROUP * MSS * 2, NULL)) > 0)
					sink += out[r - 1];
			}
		}
		inserted += (uint64_t)GROUP * MSS * flows;
	}
	t1 = cpu_now();
	mos_stream_pool_get_stats(pool, &ps);
	{
		uint64_t edges = 0, rex = 0;

		for (unsigned f = 0; f < flows; f++) {
			mos_stream_get_info(s[f], &in);
			edges += in.edge;
			rex += in.rexmit_bytes;
		}
		printf("%-16s %8.3f s  %7.2f Gbps  %6.2f Mseg/s  (%llu MiB, %u flows, %llu segs, "
		       "edge ok %s, rexmit %llu MiB, pages high %llu)\n",
		       mode_names[mode], t1 - t0, (double)inserted * 8 / (t1 - t0) / 1e9,
		       (double)segs / (t1 - t0) / 1e6, (unsigned long long)(inserted >> 20), flows,
		       (unsigned long long)segs, edges == inserted ? "yes" : "NO",
		       (unsigned long long)(rex >> 20), (unsigned long long)ps.pages_high);
	}
	for (unsigned f = 0; f < flows; f++)
		mos_stream_destroy(s[f]);
	mos_stream_pool_free(pool);
	free(s);
	free(cur);
	free(payload);
	free(out);
	if (sink == 1)
		printf(" ");
}

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
	uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 2048;
	unsigned flows = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1000;

	if (mb == 0 || flows == 0) {
		fprintf(stderr, "usage: stream_bench [MB_PER_CASE] [FLOWS]\n");
		return 2;
	}
	printf("stream_bench: %llu MiB per case, %u flows, MSS %u, groups of %u segments\n",
	       (unsigned long long)mb, flows, MSS, GROUP);
	for (int m = IN_ORDER; m <= IN_ORDER_READER; m++)
		run((enum mode)m, mb << 20, flows);
	memory();
	return 0;
}
