/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * source.c — packet sources (see mos/source.h): offline pcap/pcapng files
 * read with libpcap, and receive queues of DPDK ethdev ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_memcpy.h>

#include "mos/decode.h"
#include "mos/source.h"

#define ERR_LEN MOS_SOURCE_ERRLEN
#define READ_BUFFER (1u << 20)     /* stdio buffer of an open capture */
#define MAP_RELEASE (32u << 20)    /* read pages of a mapping given back in steps of this */

enum source_kind { SOURCE_PCAP, SOURCE_ETHDEV };

struct mos_source {
	enum source_kind kind;       /* offline files or a live port */
	struct mos_source_counters c;/* what was delivered */
	char error[ERR_LEN];         /* last read error, "" if none */

	/* SOURCE_PCAP */
	char **paths;                /* capture files, read in order */
	unsigned n_paths;            /* number of files */
	unsigned next_path;          /* index of the next file to open */
	pcap_t *pcap;                /* the open file, NULL between files */
	const uint8_t *map;          /* classic pcap: the whole file mapped, or NULL */
	size_t map_len;              /* its size */
	size_t map_off;              /* offset of the next record */
	size_t map_kept;             /* pages before this offset were given back */
	uint32_t map_snap;           /* libpcap's snapshot length of the file */
	bool map_swap;               /* the file's byte order is not ours */
	bool map_usec;               /* microsecond timestamps (else nanoseconds) */
	int linktype;                /* link type of the open file */
	struct rte_mempool *pool;    /* mbufs for ordinary frames */
	struct rte_mempool *big_pool;/* mbufs for long frames, or NULL */
	uint32_t room;               /* data room of pool */
	uint32_t big_room;           /* data room of big_pool */
	bool done;                   /* last file read to its end */

	/* SOURCE_ETHDEV */
	uint16_t port, queue;        /* where to receive from */
};

struct rte_mempool *
mos_pktpool_create(const char *name, unsigned n, uint16_t data_room, int socket)
{
	uint16_t priv = RTE_ALIGN(sizeof(struct mos_mbuf_priv), RTE_MBUF_PRIV_ALIGN);
	uint32_t room = (uint32_t)data_room + RTE_PKTMBUF_HEADROOM;

	return rte_pktmbuf_pool_create(name, n, n >= 512 ? 256 : 0, priv,
				       (uint16_t)(room > UINT16_MAX ? UINT16_MAX : room), socket);
}

static uint32_t
pool_room(struct rte_mempool *mp)
{
	return mp ? rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM : 0;
}

/* The capture's link type as a LINKTYPE_ number: libpcap reports DLT_
 * numbers, which differ for raw IP (DLT_RAW is 12 or 14 by platform). */
static int
linktype_of(pcap_t *p)
{
	int dlt = pcap_datalink(p);

	return dlt == DLT_RAW ? MOS_LINK_RAW : dlt;
}

/* Open @path for reading with nanosecond timestamps; checks the link type. */
static pcap_t *
open_capture(const char *path, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	FILE *f = fopen(path, "rb");
	pcap_t *p;

	if (f == NULL) {
		snprintf(err, ERR_LEN, "%s: cannot read capture: %s", path, strerror(errno));
		return NULL;
	}
	/* stdio's default 4 KiB buffer costs one read() per 4 KiB: the
	 * syscalls then dominate an offline run. */
	setvbuf(f, NULL, _IOFBF, READ_BUFFER);
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (p == NULL) {
		fclose(f);
		snprintf(err, ERR_LEN, "%s: cannot read capture: %s", path, ebuf);
		errno = EINVAL;
		return NULL;
	}
	if (!mos_linktype_supported(linktype_of(p))) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		snprintf(err, ERR_LEN, "%s: unsupported link type %d (%s)", path,
			 pcap_datalink(p), name ? name : "unknown");
		pcap_close(p);
		errno = ENOTSUP;
		return NULL;
	}
	return p;
}

static void
free_paths(struct mos_source *s)
{
	for (unsigned i = 0; i < s->n_paths; i++)
		free(s->paths[i]);
	free(s->paths);
}

struct mos_source *
mos_source_pcap_open(const char *const *paths, unsigned n, struct rte_mempool *pool,
		     struct rte_mempool *big_pool, char *err)
{
	struct mos_source *s;

	if (n == 0 || pool == NULL) {
		snprintf(err, ERR_LEN, "no capture file given");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->paths = calloc(n, sizeof(char *))) == NULL) {
		free(s);
		snprintf(err, ERR_LEN, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->kind = SOURCE_PCAP;
	s->pool = pool;
	s->big_pool = big_pool;
	s->room = pool_room(pool);
	s->big_room = pool_room(big_pool);
	for (unsigned i = 0; i < n; i++) {
		pcap_t *p = open_capture(paths[i], err);

		if (p == NULL)
			goto fail;
		pcap_close(p);
		s->paths[i] = strdup(paths[i]);
		s->n_paths++;
		if (s->paths[i] == NULL) {
			snprintf(err, ERR_LEN, "out of memory");
			errno = ENOMEM;
			goto fail;
		}
	}
	return s;
fail:
	free_paths(s);
	free(s);
	return NULL;
}

/* Classic pcap files (version 2.4, either byte order, micro- or
 * nanosecond) are read from a mapping of the file: one copy per frame
 * (into its mbuf) instead of libpcap's two (fread into its buffer, then
 * ours) and no per-record library call. libpcap still opens the file
 * (checks, link type, snapshot length) and reads every other format;
 * the first record the mapping does not take as is (longer than the
 * snapshot length, cut short by the file's end) hands the rest of the
 * file to libpcap at that record, so both give the same frames. */
static void
map_capture(struct mos_source *s)
{
	FILE *f = pcap_file(s->pcap);
	struct stat st;
	uint32_t magic;
	uint16_t major, minor;
	void *m;

	s->map = NULL;
	if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24)
		return;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
	if (m == MAP_FAILED)
		return;
	memcpy(&magic, m, 4);
	memcpy(&major, (uint8_t *)m + 4, 2);
	memcpy(&minor, (uint8_t *)m + 6, 2);
	s->map_swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	s->map_usec = magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u;
	if (s->map_swap) {
		major = __builtin_bswap16(major);
		minor = __builtin_bswap16(minor);
	}
	if ((magic != 0xa1b2c3d4u && magic != 0xa1b23c4du && !s->map_swap) || major != 2 ||
	    minor != 4 || (s->map_swap && (s->linktype == MOS_LINK_LINUX_SLL ||
					   s->linktype == MOS_LINK_LINUX_SLL2))) {
		/* other formats, and libpcap's byte swapping of SLL headers */
		munmap(m, (size_t)st.st_size);
		return;
	}
	madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	s->map = m;
	s->map_len = (size_t)st.st_size;
	s->map_off = 24;
	s->map_kept = 0;
	s->map_snap = (uint32_t)pcap_snapshot(s->pcap);
}

static void
unmap_capture(struct mos_source *s)
{
	if (s->map)
		munmap((void *)s->map, s->map_len);
	s->map = NULL;
}

static void
close_capture(struct mos_source *s)
{
	unmap_capture(s);
	pcap_close(s->pcap);
	s->pcap = NULL;
}

/* The next record of the mapping: 1 with @h and @data set, 0 at the end
 * of the file, -1 when libpcap must read from here on (file positioned). */
static int
map_next(struct mos_source *s, struct pcap_pkthdr *h, const u_char **data)
{
	uint32_t r[4];

	if (s->map_off == s->map_len) {
		unmap_capture(s);
		return 0;
	}
	if (s->map_off - s->map_kept >= MAP_RELEASE) {
		/* Frames are copied out of the mapping: the pages read so far
		 * leave the process's resident set (they stay in the page
		 * cache), so a long file does not count as our memory. */
		size_t end = s->map_off & ~(size_t)(MAP_RELEASE - 1);

		madvise((void *)(s->map + s->map_kept), end - s->map_kept, MADV_DONTNEED);
		s->map_kept = end;
	}
	if (s->map_len - s->map_off < 16)
		goto libpcap;
	memcpy(r, s->map + s->map_off, 16);
	if (s->map_swap)
		for (int i = 0; i < 4; i++)
			r[i] = __builtin_bswap32(r[i]);
	if (r[2] > s->map_snap || r[2] > s->map_len - s->map_off - 16)
		goto libpcap;
	/* as libpcap does: 32-bit signed fields, microseconds scaled in 32 bits */
	h->ts.tv_sec = (int32_t)r[0];
	h->ts.tv_usec = (int32_t)(s->map_usec ? r[1] * 1000u : r[1]);
	h->caplen = r[2];
	h->len = r[3];
	*data = s->map + s->map_off + 16;
	s->map_off += 16 + (size_t)r[2];
	return 1;
libpcap:
	if (fseeko(pcap_file(s->pcap), (off_t)s->map_off, SEEK_SET) != 0) {
		snprintf(s->error, ERR_LEN, "%s: cannot seek: %s", s->paths[s->next_path - 1],
			 strerror(errno));
		s->c.errors++;
		close_capture(s);
		return 0;
	}
	unmap_capture(s);
	return -1;
}

/* Make sure a file is open; false when every file has been read. */
static bool
pcap_next_file(struct mos_source *s)
{
	while (s->pcap == NULL) {
		if (s->next_path == s->n_paths) {
			s->done = true;
			return false;
		}
		/* Files were checked at open, but may have changed since. */
		s->pcap = open_capture(s->paths[s->next_path++], s->error);
		if (s->pcap == NULL) {
			s->c.errors++;
			continue;
		}
		s->linktype = linktype_of(s->pcap);
		map_capture(s);
	}
	return true;
}

static uint16_t
pcap_rx(struct mos_source *s, struct rte_mbuf **pkts, uint16_t n)
{
	struct pcap_pkthdr *h, mh;
	const u_char *data;
	uint16_t got = 0;

	if (rte_pktmbuf_alloc_bulk(s->pool, pkts, n) != 0) {
		/* Pool nearly empty: fall back to one at a time. */
		while (n > 0 && rte_pktmbuf_alloc_bulk(s->pool, pkts, n) != 0)
			n /= 2;
		s->c.nombuf++;
		if (n == 0)
			return 0;
	}
	while (got < n && pcap_next_file(s)) {
		struct rte_mbuf *m = pkts[got];
		uint32_t len;
		int rc = -1;

		if (s->map != NULL) {
			rc = map_next(s, &mh, &data);
			h = &mh;
			if (rc == 0 && s->pcap != NULL) {
				close_capture(s);
				continue;
			}
			if (rc == 0)
				continue;
		}
		if (rc == -1)
			rc = pcap_next_ex(s->pcap, &h, &data);
		if (rc != 1) {
			if (rc == PCAP_ERROR) {
				snprintf(s->error, ERR_LEN, "%s: %s", s->paths[s->next_path - 1],
					 pcap_geterr(s->pcap));
				s->c.errors++;
			}
			close_capture(s);
			continue;
		}
		len = h->caplen;
		if (len > s->room && s->big_pool != NULL) {
			struct rte_mbuf *big = rte_pktmbuf_alloc(s->big_pool);

			if (big != NULL) {
				rte_pktmbuf_free(m);
				pkts[got] = m = big;
				if (len > s->big_room) {
					len = s->big_room;
					s->c.cut++;
				}
			} else {
				s->c.nombuf++;
				len = s->room;
				s->c.cut++;
			}
		} else if (len > s->room) {
			len = s->room;
			s->c.cut++;
		}
		rte_memcpy(rte_pktmbuf_mtod(m, void *), data, len);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		struct mos_mbuf_priv *pv = mos_mbuf_priv(m);
		pv->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		pv->wirelen = h->len;
		pv->linktype = (uint16_t)s->linktype;
		pv->source = 0;
		s->c.packets++;
		s->c.bytes += len;
		got++;
	}
	if (got < n)
		rte_pktmbuf_free_bulk(pkts + got, n - got);
	return got;
}

struct mos_source *
mos_source_ethdev_open(uint16_t port, uint16_t queue, char *err)
{
	struct mos_source *s;

	if (!rte_eth_dev_is_valid_port(port)) {
		snprintf(err, ERR_LEN, "port %u does not exist", port);
		errno = ENODEV;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, ERR_LEN, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->kind = SOURCE_ETHDEV;
	s->port = port;
	s->queue = queue;
	return s;
}

static uint16_t
ethdev_rx(struct mos_source *s, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = rte_eth_rx_burst(s->port, s->queue, pkts, n);
	uint64_t now;

	if (got == 0)
		return 0;
	now = mos_tsc_now_ns();
	for (uint16_t i = 0; i < got; i++) {
		struct rte_mbuf *m = pkts[i];
		struct mos_mbuf_priv *pv = mos_mbuf_priv(m);

		/* The decoder needs one contiguous frame. */
		if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0)
			s->c.cut++;
		pv->ts_ns = now;
		pv->wirelen = m->pkt_len;
		pv->linktype = MOS_LINK_ETHERNET;
		pv->source = s->port;
		s->c.bytes += m->data_len;
	}
	s->c.packets += got;
	return got;
}

uint16_t
mos_source_rx(struct mos_source *src, struct rte_mbuf **pkts, uint16_t n)
{
	if (src->kind == SOURCE_PCAP)
		return src->done ? 0 : pcap_rx(src, pkts, n);
	return ethdev_rx(src, pkts, n);
}

bool
mos_source_done(const struct mos_source *src)
{
	return src->kind == SOURCE_PCAP && src->done;
}

bool
mos_source_is_offline(const struct mos_source *src)
{
	return src->kind == SOURCE_PCAP;
}

const struct mos_source_counters *
mos_source_counters(const struct mos_source *src)
{
	return &src->c;
}

const char *
mos_source_error(const struct mos_source *src)
{
	return src->error[0] ? src->error : NULL;
}

void
mos_source_close(struct mos_source *src)
{
	if (src == NULL)
		return;
	if (src->kind == SOURCE_PCAP) {
		if (src->pcap)
			close_capture(src);
		free_paths(src);
	}
	free(src);
}

uint64_t
mos_tsc_now_ns(void)
{
	static uint64_t tsc0, ns0, hz;
	uint64_t tsc = rte_rdtsc();

	if (hz == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		tsc0 = tsc;
		ns0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		hz = rte_get_tsc_hz();
		if (hz == 0)
			hz = 1;
	}
	return ns0 + (uint64_t)((unsigned __int128)(tsc - tsc0) * 1000000000u / hz);
}
