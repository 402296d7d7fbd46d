/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nids_harness — the libnids peer for the benchmarks: TCP tracking and
 * reassembly of both directions of every connection in a capture, reading
 * every reassembled byte (summed, as streamdump --no-write does), with no
 * output per connection.
 *
 *   nids_harness TRACE.pcap
 *
 * Prints one line: packets seen, connections, reassembled bytes, their
 * sum, CPU seconds of the run. Checksums are not checked (the other tools do not
 * check them either). libnids follows IPv4 connections whose handshake it
 * saw; that is its own limit, not the harness's.
 */
#include <nids.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bytesum.h"          /* examples/c: streamdump's sum of every byte read */

static unsigned long long conns, stream_bytes, packets, sum;

/* Read the bytes libnids just added to @h. */
static void
take(const struct half_stream *h)
{
	if (h->count_new > 0) {
		stream_bytes += (unsigned long long)h->count_new;
		sum = bytesum((const uint8_t *)h->data + (h->count - h->offset) - h->count_new,
			      (size_t)h->count_new, sum);
	}
}

static void
on_tcp(struct tcp_stream *s, void **param)
{
	(void)param;
	switch (s->nids_state) {
	case NIDS_JUST_EST:
		s->client.collect++;
		s->server.collect++;
		conns++;
		break;
	case NIDS_DATA:
		take(&s->client);
		take(&s->server);
		break;
	default:
		break;
	}
}

static void
on_ip(struct ip *pkt, int len)
{
	(void)pkt;
	(void)len;
	packets++;
}

int
main(int argc, char **argv)
{
	static struct nids_chksum_ctl no_checksums = {0, 0, NIDS_DONT_CHKSUM, 0};
	struct timespec t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: nids_harness TRACE.pcap\n");
		return 2;
	}
	nids_params.filename = argv[1];
	nids_params.device = NULL;
	nids_params.scan_num_hosts = 0;      /* no port-scan detection */
	nids_params.n_tcp_streams = 1 << 20;
	nids_params.n_hosts = 1 << 16;
	nids_params.multiproc = 0;
	if (!nids_init()) {
		fprintf(stderr, "nids_harness: %s\n", nids_errbuf);
		return 1;
	}
	nids_register_chksum_ctl(&no_checksums, 1);
	nids_register_ip(on_ip);
	nids_register_tcp(on_tcp);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	nids_run();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	printf("packets %llu connections %llu stream_bytes %llu sum %llu cpu_s %.3f\n", packets,
	       conns, stream_bytes, sum, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	nids_exit();
	return 0;
}
