/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap_loop — the physical baselines of the benchmarks.
 *
 *   pcap_loop TRACE.pcap            a plain libpcap read loop (pcap_next_ex),
 *                                   touching one byte per packet
 *   pcap_loop --memory TRACE.pcap   a raw pass over the file in memory: the
 *                                   file is read into a buffer first (not
 *                                   timed), then one byte per 64 is summed
 *
 * Prints "packets N bytes B" (or "bytes B" for --memory) and the value it
 * computed, so the work cannot be optimised away; --memory also prints
 * "seconds S", the time of the pass alone (the file read excluded).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
memory_pass(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint64_t sum = 0;
	long size;
	uint8_t *buf;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
		perror(path);
		return 1;
	}
	rewind(f);
	buf = malloc((size_t)size);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		perror(path);
		return 1;
	}
	fclose(f);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < size; i += 64)
		sum += buf[i];
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bytes %ld sum %llu seconds %.6f\n", size, (unsigned long long)sum,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, bytes = 0, sum = 0;
	pcap_t *p;

	if (argc == 3 && !strcmp(argv[1], "--memory"))
		return memory_pass(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: pcap_loop [--memory] TRACE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (p == NULL) {
		fprintf(stderr, "pcap_loop: %s\n", err);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		packets++;
		bytes += h->len;
		sum += data[0];
	}
	printf("packets %llu bytes %llu sum %llu\n", (unsigned long long)packets,
	       (unsigned long long)bytes, (unsigned long long)sum);
	pcap_close(p);
	return 0;
}
