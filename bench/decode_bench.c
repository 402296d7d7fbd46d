/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode_bench — offline read + decode rate against a plain libpcap read
 * loop on the same capture, in one run.
 *
 *   decode_bench TRACE.pcap [ROUNDS]
 *
 * Three ways of going through the file, interleaved for ROUNDS rounds
 * (default 5), with the file read once before each run so the page cache
 * is warm:
 *   pcap     a pcap_next_ex loop touching one byte per packet (the physical
 *            baseline), with libpcap's default stdio buffering, and again
 *            with the 1 MiB stdio buffer the runtime's source uses;
 *   decode   the buffered loop plus mos_decode and mos_stats_count per packet;
 *   runtime  the runtime's offline path: mos_source (libpcap into mbufs),
 *            then mos_decode and mos_stats_count, as every mos program does.
 * Reports the median (min-max) Mpps and Gbps of each, and each one's cost
 * over the baseline. Run it pinned to one core (bench/run.sh does).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mos/decode.h"
#include "mos/source.h"
#include "mos/stats.h"

#define MAX_ROUNDS 50

enum mode { MODE_PCAP, MODE_PCAP_BUF, MODE_DECODE, MODE_RUNTIME, MODE_COUNT };
static const char *const mode_name[MODE_COUNT] = {
	"pcap (libpcap defaults)", "pcap (1 MiB stdio buffer)",
	"pcap (1 MiB buffer) + decode", "runtime: source into mbufs + decode"};

struct result {
	double secs;                 /* wall seconds of the run */
	uint64_t packets, bytes;     /* what it went through */
	uint64_t check;              /* something derived from the data */
};

static struct rte_mempool *pool, *big_pool;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read the whole file so the runs that follow find it in the page cache. */
static void
warm(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return;
	while (fread(buf, 1, sizeof(buf), f) > 0)
		;
	fclose(f);
}

static int
run_libpcap(const char *path, bool buffered, bool decode, struct result *r)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct mos_stats st = {0};
	struct mos_pkt pkt;
	pcap_t *p;
	int lt;
	double t0;

	if (buffered) {
		FILE *f = fopen(path, "rb");

		if (f)
			setvbuf(f, NULL, _IOFBF, 1u << 20);
		p = f ? pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err)
		      : NULL;
	} else {
		p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	}
	if (p == NULL) {
		fprintf(stderr, "decode_bench: %s\n", err);
		return -1;
	}
	lt = pcap_datalink(p) == DLT_RAW ? MOS_LINK_RAW : pcap_datalink(p);
	t0 = now_s();
	while (pcap_next_ex(p, &h, &data) == 1) {
		r->packets++;
		r->bytes += h->len;
		if (decode) {
			mos_decode(data, h->caplen, h->len, lt,
				   (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec, &pkt);
			mos_stats_count(&st, &pkt);
		} else {
			r->check += data[h->caplen > 20 ? 20 : 0];
		}
	}
	r->secs = now_s() - t0;
	if (decode)
		r->check = st.tcp + st.udp;
	pcap_close(p);
	return 0;
}

static int
run_runtime(const char *path, struct result *r)
{
	char err[MOS_SOURCE_ERRLEN];
	struct rte_mbuf *m[32];
	struct mos_pkt pkts[32];
	struct mos_stats st = {0};
	struct mos_source *s = mos_source_pcap_open(&path, 1, pool, big_pool, err);
	double t0;

	if (s == NULL) {
		fprintf(stderr, "decode_bench: %s\n", err);
		return -1;
	}
	t0 = now_s();
	while (!mos_source_done(s)) {
		uint16_t n = mos_source_rx(s, m, 32);

		for (uint16_t i = 0; i < n; i++) {
			const struct mos_mbuf_priv *pv = mos_mbuf_priv(m[i]);

			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
			mos_decode(rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len,
				   pv->wirelen, pv->linktype, pv->ts_ns, &pkts[i]);
			mos_stats_count(&st, &pkts[i]);
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	r->secs = now_s() - t0;
	r->packets = st.packets;
	r->bytes = st.bytes;
	r->check = st.tcp + st.udp;
	mos_source_close(s);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *eal[] = {"decode_bench", "--no-huge", "--no-pci", "--no-shconf",
			     "--no-telemetry", "--log-level=error", "-l", "0", "-m", "512"};
	static struct result res[MODE_COUNT][MAX_ROUNDS];
	int rounds = argc > 2 ? atoi(argv[2]) : 5;

	if (argc < 2 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: decode_bench TRACE.pcap [ROUNDS 1..%d]\n", MAX_ROUNDS);
		return 2;
	}
	if (rte_eal_init(10, (char **)eal) < 0) {
		fprintf(stderr, "decode_bench: cannot start the EAL\n");
		return 1;
	}
	pool = mos_pktpool_create("bench", 8191, RTE_MBUF_DEFAULT_DATAROOM, SOCKET_ID_ANY);
	big_pool = mos_pktpool_create("bench_big", 63, MOS_FRAME_MAX, SOCKET_ID_ANY);
	if (pool == NULL || big_pool == NULL)
		return 1;

	for (int r = 0; r < rounds; r++)
		for (int m = 0; m < MODE_COUNT; m++) {
			int rc;

			warm(argv[1]);
			rc = m == MODE_RUNTIME ? run_runtime(argv[1], &res[m][r])
					       : run_libpcap(argv[1], m != MODE_PCAP, m == MODE_DECODE,
							     &res[m][r]);
			if (rc < 0)
				return 1;
		}

	printf("trace %s: %llu packets, %.1f MB, %d rounds (median, min-max)\n", argv[1],
	       (unsigned long long)res[0][0].packets, (double)res[0][0].bytes / 1e6, rounds);
	printf("| path | Mpps | Gbit/s | time per packet vs pcap |\n|---|---:|---:|---:|\n");
	double base = 0;
	for (int m = 0; m < MODE_COUNT; m++) {
		double mpps[MAX_ROUNDS], secs[MAX_ROUNDS];

		for (int r = 0; r < rounds; r++) {
			secs[r] = res[m][r].secs;
			mpps[r] = (double)res[m][r].packets / res[m][r].secs / 1e6;
		}
		qsort(mpps, (size_t)rounds, sizeof(double), cmp_double);
		qsort(secs, (size_t)rounds, sizeof(double), cmp_double);
		double med = secs[rounds / 2];
		if (m == 0)
			base = med;
		printf("| %s | %.2f (%.2f-%.2f) | %.2f | %+.0f%% |\n", mode_name[m], mpps[rounds / 2],
		       mpps[0], mpps[rounds - 1], (double)res[m][0].bytes * 8 / med / 1e9,
		       (med / base - 1) * 100);
	}
	if (res[MODE_DECODE][0].check != res[MODE_RUNTIME][0].check)
		fprintf(stderr, "decode_bench: decode and runtime paths disagree\n");
	rte_mempool_free(pool);
	rte_mempool_free(big_pool);
	rte_eal_cleanup();
	return 0;
}
