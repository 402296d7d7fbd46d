/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_source.c — libFuzzer target for the capture file reader
 * (runtime/source.c), against libpcap.
 *
 * Input: a classic pcap or pcapng file. It is written to a temporary file
 * and read twice: by libpcap (pcap_next_ex, nanosecond precision) and by
 * mos_source_peek. Both must give the same frames (first byte, time,
 * lengths, link type) and the same error, or mos must refuse the file at
 * open where libpcap did (or for a link type it does not read). Then the
 * split reading the offline workers use: the file's records walked chunk
 * by chunk from where the previous chunk ended must be the peeked ones up
 * to the first record the mapping does not take, and a guess at a chunk's
 * first record (mos_source_split_sync) must not read outside the file.
 * A difference aborts; the sanitizers watch every read of the mapping.
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mos/decode.h"
#include "mos/pktpool.h"
#include "mos/source.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_FRAMES 4096

struct got {
	uint8_t tag;                 /* first byte (none for an empty frame) */
	uint64_t ts_ns;
	uint32_t len, wirelen;
	uint16_t linktype;
};

static struct rte_mempool *pool, *big;
static char path[64];
static struct got want[MAX_FRAMES], got[MAX_FRAMES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *eal[] = { "fuzz_source", "--no-huge", "--no-pci", "--no-shconf",
			      "--no-telemetry", "--log-level=error", "-l", "0", "-m", "256" };

	(void)argc;
	(void)argv;
	CHECK(rte_eal_init(10, (char **)eal) >= 0);
	pool = mos_pktpool_create("fz_pool", 511, RTE_MBUF_DEFAULT_DATAROOM, SOCKET_ID_ANY);
	big = mos_pktpool_create("fz_big", 15, MOS_FRAME_MAX, SOCKET_ID_ANY);
	CHECK(pool != NULL && big != NULL);
	snprintf(path, sizeof(path), "/tmp/fuzz_source.%d.pcap", (int)getpid());
	return 0;
}

/* libpcap's frames of the file; *@err: it ended in an error. -1 when it
 * refused the file. */
static int
read_libpcap(bool *err)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint16_t link;
	int n = 0, rc;

	if (p == NULL)
		return -1;
	link = (uint16_t)(pcap_datalink(p) == DLT_RAW ? MOS_LINK_RAW : pcap_datalink(p));
	while (n < MAX_FRAMES && (rc = pcap_next_ex(p, &h, &d)) == 1)
		want[n++] = (struct got){ h->caplen ? d[0] : 0,
					  (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec,
					  h->caplen, h->len, link };
	*err = n < MAX_FRAMES && rc == PCAP_ERROR;
	pcap_close(p);
	return n;
}

static struct got
got_of(const struct mos_source_rec *r)
{
	return (struct got){ r->caplen ? r->data[0] : 0, r->ts_ns, r->caplen, r->wirelen,
			     r->linktype };
}

static bool
same(const struct got *a, const struct got *b)
{
	return a->tag == b->tag && a->ts_ns == b->ts_ns && a->len == b->len &&
	       a->wirelen == b->wirelen && a->linktype == b->linktype;
}

/* The split reading of @src (a fresh source): chunks of @chunk bytes walked
 * from where the previous one ended must give the @n peeked frames in
 * got[] until a record the walk does not take. */
static void
split(struct mos_source *src, size_t chunk, int n)
{
	struct mos_source_layout lay;
	struct mos_source_counters c = { 0 };
	struct mos_source_rec recs[64];
	uint8_t *buf;
	size_t at;
	int k = 0;

	if (!mos_source_split_begin(src, &lay))
		return;
	CHECK(lay.first <= lay.len);
	buf = malloc(chunk + lay.tail);
	CHECK(buf != NULL);
	at = lay.first;
	for (size_t lo = lay.first; lo < lay.len; lo += chunk) {
		size_t to = lo + chunk;
		struct mos_source_view v = { buf, chunk + lay.tail, lo, lo, to };
		size_t guess = mos_source_split_sync(src, &v, lo, to);
		bool bad = false;
		unsigned m;

		CHECK(guess == SIZE_MAX || (guess >= lo && guess < lay.len));
		CHECK(at >= lo);
		while ((m = mos_source_split_walk(src, &v, &at, to, recs, 64, &c, &bad)) > 0) {
			for (unsigned i = 0; i < m; i++, k++) {
				struct got g = got_of(&recs[i]);

				CHECK(k < n && same(&g, &got[k]));
			}
			if (bad)
				break;
		}
		if (bad) {
			free(buf);
			return;
		}
	}
	free(buf);
	CHECK(k == n || n == MAX_FRAMES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[MOS_SOURCE_ERRLEN];
	const char *paths[1] = { path };
	struct mos_source_rec r[MOS_SOURCE_PEEK_MAX];
	struct mos_source *s;
	bool lp_err = false;
	int nw, n = 0;
	FILE *f;

	if (size < 2)
		return 0;
	f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data + 1, 1, size - 1, f) == size - 1);
	fclose(f);
	nw = read_libpcap(&lp_err);
	s = mos_source_pcap_open(paths, 1, pool, big, err);
	if (s == NULL) {
		CHECK(nw <= 0 || strstr(err, "unsupported link type") != NULL);
		unlink(path);
		return 0;
	}
	CHECK(nw >= 0);
	for (uint16_t m; n < MAX_FRAMES && (m = mos_source_peek(s, r, 1 + data[0] % 8)) > 0;)
		for (uint16_t j = 0; j < m && n < MAX_FRAMES; j++)
			got[n++] = got_of(&r[j]);
	if (n < MAX_FRAMES) {
		CHECK(n == nw);
		for (int i = 0; i < n; i++) {
			struct got w = want[i];

			if (w.len > MOS_FRAME_MAX)  /* cut, and counted */
				w.len = MOS_FRAME_MAX;
			CHECK(same(&got[i], &w));
		}
		CHECK((mos_source_counters(s)->errors != 0) == lp_err);
	}
	mos_source_close(s);
	s = mos_source_pcap_open(paths, 1, pool, big, err);
	CHECK(s != NULL);
	split(s, 64u << (data[0] >> 3 & 15), n);
	mos_source_close(s);
	unlink(path);
	return 0;
}
