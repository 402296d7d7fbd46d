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
#include <unistd.h>
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
#define RD_BUF  (1u << 20)         /* bytes of a reader buffer (longer records: libpcap) */
#define RD_STEP (256u << 10)       /* bytes read into a buffer at a time */
#define RD_BUFS (MOS_SOURCE_PEEK_MAX + 1) /* buffers a source may hold (a record each at worst) */

enum source_kind { SOURCE_PCAP, SOURCE_ETHDEV };

/* pcapng blocks read here (others are skipped, as libpcap does,
 * or handed to libpcap: see rd_block) */
#define NG_SHB   0x0A0D0D0Au        /* section header */
#define NG_IDB   1u                 /* interface description */
#define NG_EPB   6u                 /* enhanced packet */
#define NG_SPB   3u                 /* simple packet (libpcap reads it) */
#define NG_OPB   2u                 /* obsolete packet (libpcap reads it) */
#define NG_IFS   64u                /* interfaces followed here (more: libpcap) */
#define NG_BLOCK_MAX (16u << 20)    /* longer blocks: libpcap (it refuses some) */

/* A pcapng interface's clock: units of 10^-k s, k <= 9 (others: libpcap),
 * and an offset in seconds. */
struct ng_if {
	uint64_t units;              /* units per second */
	uint32_t ns;                 /* nanoseconds per unit */
	int64_t offset;              /* seconds added (if_tsoffset) */
};

struct mos_source {
	enum source_kind kind;       /* offline files or a live port */
	struct mos_source_counters c;/* what was delivered */
	char error[ERR_LEN];         /* last read error, "" if none */

	/* SOURCE_PCAP */
	char **paths;                /* capture files, read in order */
	unsigned n_paths;            /* number of files */
	unsigned next_path;          /* index of the next file to open */
	pcap_t *pcap;                /* the open file, NULL between files */
	bool rd;                     /* the open file is read here (else by libpcap) */
	int rd_fd;                   /* its descriptor (libpcap's), read with pread */
	dev_t rd_dev;                /* its device and inode (split reading) */
	ino_t rd_ino;
	size_t rd_len;               /* its size */
	size_t rd_off;               /* offset of the next record */
	struct mos_source_view v;    /* the buffer read from (v.buf NULL: none yet) */
	bool v_used;                 /* records of the current call are in v.buf */
	uint8_t *free_bufs[RD_BUFS]; /* buffers not in use */
	uint8_t *busy_bufs[RD_BUFS]; /* buffers holding records of the current call, v.buf aside */
	unsigned n_free, n_busy, n_bufs; /* ... and buffers allocated */
	uint8_t *copy;               /* peek: records libpcap read, copied (MOS_SOURCE_PEEK_MAX frames) */
	uint32_t rd_snap;            /* libpcap's snapshot length of the file */
	long long rd_ts0;            /* seconds of its first record (split reading) */
	uint64_t rd_recs;            /* records of the file read here */
	bool rd_swap;                /* the file's (pcapng: section's) byte order is not ours */
	bool rd_usec;                /* classic: microsecond timestamps (else nanoseconds) */
	bool rd_ng;                  /* a pcapng file */
	unsigned n_ifs;              /* pcapng: interfaces described so far */
	uint32_t ng_snap0;           /* pcapng: the first interface's snapshot length field */
	struct ng_if ifs[NG_IFS];    /* pcapng: their time units */
	int linktype;                /* link type of the open file */
	struct rte_mempool *pool;    /* mbufs for ordinary frames */
	struct rte_mempool *big_pool;/* mbufs for long frames, or NULL */
	uint32_t room;               /* data room of pool */
	uint32_t big_room;           /* data room of big_pool */
	bool done;                   /* last file read to its end */

	/* SOURCE_ETHDEV */
	uint16_t port, queue;        /* where to receive from */
};

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

/* Buffers. Records handed out stay valid until the next read
 * (mos_source_peek, mos_source_rx): a buffer holding records of the
 * current call is kept aside (busy) until then, and another one read into.
 * They are allocated as needed, RD_BUFS at most (a record each). */

/* Records of the previous call are no longer in use. */
static void
rd_release(struct mos_source *s)
{
	while (s->n_busy > 0)
		s->free_bufs[s->n_free++] = s->busy_bufs[--s->n_busy];
	s->v_used = false;
}

/* Read on from the next record (s->rd_off) in a buffer that starts
 * there: the current one unless records of this call are in it. False
 * when no buffer is left. */
static bool
rd_restart(struct mos_source *s)
{
	if (s->v.buf == NULL || s->v_used) {
		uint8_t *b;

		if (s->n_free > 0)
			b = s->free_bufs[--s->n_free];
		else if (s->n_bufs == RD_BUFS || (b = malloc(RD_BUF)) == NULL)
			return false;
		else
			s->n_bufs++;
		if (s->v.buf != NULL)
			s->busy_bufs[s->n_busy++] = s->v.buf;
		s->v.buf = b;
		s->v.cap = RD_BUF;
		s->v.ahead = SIZE_MAX;
		s->v_used = false;
	}
	s->v.lo = s->v.hi = s->rd_off;
	return true;
}

/* Classic pcap files (version 2.4, either byte order, micro- or
 * nanosecond) and pcapng files are read here, with pread into buffers
 * that are used again and again: frames are read in place
 * (mos_source_peek) or copied once into their mbuf (mos_source_rx),
 * without libpcap's copy into its own buffer and its call per record.
 * (Not a mapping of the file: on a VM, the first touch of each page of
 * a mapping costs more than reading the page into a buffer already
 * touched.) libpcap still opens the file (checks, link type, snapshot
 * length) and reads every other format; the first record not taken here
 * as is (longer than the snapshot length or a buffer, cut short by the
 * file's end, a pcapng block left to libpcap: see rd_block) hands the
 * rest of the file to libpcap at that record, so both give the same
 * frames. */
static void
rd_capture(struct mos_source *s)
{
	FILE *f = pcap_file(s->pcap);
	struct stat st;
	uint32_t magic, order, shb_len = 0;
	uint16_t major, minor;
	uint8_t head[16];

	s->rd = false;
	if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24 ||
	    pread(fileno(f), head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return;
	memcpy(&magic, head, 4);
	s->rd_ng = magic == NG_SHB;
	if (s->rd_ng) {
		/* section header: type, length, byte-order magic, version 1.0 */
		memcpy(&shb_len, head + 4, 4);
		memcpy(&order, head + 8, 4);
		memcpy(&major, head + 12, 2);
		memcpy(&minor, head + 14, 2);
		s->rd_swap = order == 0x4D3C2B1Au;
		if (order != 0x1A2B3C4Du && !s->rd_swap)
			return;
	} else {
		memcpy(&major, head + 4, 2);
		memcpy(&minor, head + 6, 2);
		s->rd_swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
		s->rd_usec = magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u;
		if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du && !s->rd_swap)
			return;
	}
	if (s->rd_swap) {
		major = __builtin_bswap16(major);
		minor = __builtin_bswap16(minor);
		shb_len = __builtin_bswap32(shb_len);
	}
	if (major != (s->rd_ng ? 1 : 2) || minor != (s->rd_ng ? 0 : 4) ||
	    (s->rd_swap && (s->linktype == MOS_LINK_LINUX_SLL ||
			     s->linktype == MOS_LINK_LINUX_SLL2)))
		return;              /* other formats, and libpcap's byte swapping of SLL headers */
	if (s->rd_ng && (shb_len < 28 || shb_len % 4 != 0 || shb_len > (uint64_t)st.st_size))
		return;
	s->rd_len = (size_t)st.st_size;
	s->rd_off = s->rd_ng ? shb_len : 24;
	if (!rd_restart(s))
		return;
	s->rd = true;
	s->rd_fd = fileno(f);
	s->rd_dev = st.st_dev;
	s->rd_ino = st.st_ino;
	s->rd_recs = 0;
	s->n_ifs = 0;
	s->rd_snap = (uint32_t)pcap_snapshot(s->pcap);
}

static void
close_capture(struct mos_source *s)
{
	s->rd = false;
	pcap_close(s->pcap);
	s->pcap = NULL;
}

/* A record or block of the file, as rd_block reads it. */
struct blk {
	size_t next;                 /* offset of the next one */
	struct timeval tv;           /* BLK_PACKET: its time as libpcap gives it (tv_usec: ns) */
	uint32_t caplen, wirelen;    /* BLK_PACKET */
	const uint8_t *data;         /* BLK_PACKET */
	bool odd;                    /* BLK_PACKET: fields no capture writes (split guesses) */
	struct ng_if ifc;            /* BLK_IFACE: the interface described */
	uint32_t snap;               /* BLK_IFACE: its snapshot length field */
	uint16_t link;               /* BLK_IFACE: its link type */
};

enum blk_kind {
	BLK_PACKET,                  /* a record read here */
	BLK_SKIP,                    /* a pcapng block libpcap skips too */
	BLK_IFACE,                   /* a pcapng interface followed here */
	BLK_STOP,                    /* libpcap must read from here */
};

/* Read file bytes into @v up to @end at least (RD_STEP at a time up to
 * v->ahead, as its buffer and the file allow): false when they do not fit
 * in its buffer, or the file ends before @end (or shrank since it was
 * opened, or cannot be read: libpcap then reads it and says what is
 * wrong). */
static bool
view_need(const struct mos_source *s, struct mos_source_view *v, size_t end)
{
	size_t want;

	if (end <= v->hi)
		return true;
	if (end > v->lo + v->cap || end > s->rd_len)
		return false;
	want = RTE_MIN(RTE_MAX(end, RTE_MIN(v->hi + RD_STEP, v->ahead)), v->lo + v->cap);
	want = RTE_MIN(want, s->rd_len);
	while (v->hi < want) {
		ssize_t r = pread(s->rd_fd, v->buf + (v->hi - v->lo), want - v->hi, (off_t)v->hi);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		v->hi += (size_t)r;
	}
	return end <= v->hi;
}

/* The bytes at file offset @off (read into @v). */
static inline const uint8_t *
view_at(const struct mos_source_view *v, size_t off)
{
	return v->buf + (off - v->lo);
}

static inline uint32_t
rd_u32(const struct mos_source *s, const struct mos_source_view *w, size_t off)
{
	uint32_t v;

	memcpy(&v, view_at(w, off), 4);
	return s->rd_swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t
rd_u16(const struct mos_source *s, const struct mos_source_view *w, size_t off)
{
	uint16_t v;

	memcpy(&v, view_at(w, off), 2);
	return s->rd_swap ? __builtin_bswap16(v) : v;
}

/* The options of the pcapng interface description at [@off, @end) into
 * @b: false for what is left to libpcap (a unit that is not
 * 10^-k s with k <= 9, an option twice, a malformed list). */
static bool
ng_if_options(const struct mos_source *s, const struct mos_source_view *v, size_t off,
	      size_t end, struct blk *b)
{
	bool resol = false, offset = false;

	b->ifc.units = 1000000;      /* the default: microseconds */
	b->ifc.ns = 1000;
	b->ifc.offset = 0;
	while (end - off >= 4) {
		uint16_t code = rd_u16(s, v, off), len = rd_u16(s, v, off + 2);
		size_t room = ((size_t)len + 3) & ~(size_t)3;

		if (code == 0)       /* end of options (one with a length: libpcap) */
			return len == 0;
		if (room > end - off - 4)
			return false;
		if (code == 9) {     /* if_tsresol */
			uint8_t k = *view_at(v, off + 4);

			if (resol || len != 1 || k > 9)
				return false;
			resol = true;
			b->ifc.units = 1;
			for (uint8_t i = 0; i < k; i++)
				b->ifc.units *= 10;
			b->ifc.ns = (uint32_t)(1000000000u / b->ifc.units);
		} else if (code == 14) {   /* if_tsoffset */
			uint64_t u;

			if (offset || len != 8)
				return false;
			offset = true;
			memcpy(&u, view_at(v, off + 4), 8);
			b->ifc.offset = (int64_t)(s->rd_swap ? __builtin_bswap64(u) : u);
		}
		off += 4 + room;
	}
	return off == end;
}

/* The pcapng block at @off (read into @v as needed) into @b. */
static enum blk_kind
ng_block(const struct mos_source *s, struct mos_source_view *v, size_t off, struct blk *b)
{
	uint32_t type, len, id;
	uint64_t t;

	if (!view_need(s, v, off + 12))
		return BLK_STOP;
	type = rd_u32(s, v, off);
	len = rd_u32(s, v, off + 4);
	if (len < 12 || len % 4 != 0 || len > NG_BLOCK_MAX || !view_need(s, v, off + len) ||
	    rd_u32(s, v, off + len - 4) != len)
		return BLK_STOP;     /* libpcap says what is wrong */
	b->next = off + len;
	switch (type) {
	case NG_EPB:
		if (len < 32)
			return BLK_STOP;
		id = rd_u32(s, v, off + 8);
		t = (uint64_t)rd_u32(s, v, off + 12) << 32 | rd_u32(s, v, off + 16);
		b->caplen = rd_u32(s, v, off + 20);
		b->wirelen = rd_u32(s, v, off + 24);
		if (id >= s->n_ifs || b->caplen > len - 32 || b->caplen > s->rd_snap)
			return BLK_STOP;
		b->tv.tv_sec = (time_t)(t / s->ifs[id].units + (uint64_t)s->ifs[id].offset);
		b->tv.tv_usec = (suseconds_t)(t % s->ifs[id].units * s->ifs[id].ns);
		b->data = view_at(v, off + 28);
		b->odd = b->wirelen < b->caplen;
		return BLK_PACKET;
	case NG_IDB:
		if (len < 20)
			return BLK_STOP;
		b->link = rd_u16(s, v, off + 8);
		b->snap = rd_u32(s, v, off + 12);
		if (b->link != s->linktype || !ng_if_options(s, v, off + 16, off + len - 4, b))
			return BLK_STOP;
		return BLK_IFACE;
	case NG_SHB:
	case NG_SPB:
	case NG_OPB:
		return BLK_STOP;     /* a new section, packets without a time: libpcap */
	default:
		return BLK_SKIP;     /* statistics, names, secrets, custom: skipped */
	}
}

/* The record at @off of the file (read into @v as needed) into @b
 * (pcapng: the block there). */
static inline enum blk_kind
rd_block(const struct mos_source *s, struct mos_source_view *v, size_t off, struct blk *b)
{
	uint32_t r[4];

	if (s->rd_ng)
		return ng_block(s, v, off, b);
	if (!view_need(s, v, off + 16))
		return BLK_STOP;
	memcpy(r, view_at(v, off), 16);
	if (s->rd_swap)
		for (int i = 0; i < 4; i++)
			r[i] = __builtin_bswap32(r[i]);
	/* longer than the snapshot length, cut by the file's end: libpcap */
	if (r[2] > s->rd_snap || !view_need(s, v, off + 16 + (size_t)r[2]))
		return BLK_STOP;
	/* as libpcap 1.10 gives it: signed 32-bit fields in the host's byte
	 * order, unsigned ones swapped; microseconds scaled in 64 bits (a
	 * field over 999999 is not carried into the seconds) */
	if (s->rd_swap) {
		b->tv.tv_sec = (time_t)r[0];
		b->tv.tv_usec = (suseconds_t)r[1];
	} else {
		b->tv.tv_sec = (int32_t)r[0];
		b->tv.tv_usec = (int32_t)r[1];
	}
	if (s->rd_usec)
		b->tv.tv_usec *= 1000;
	b->caplen = r[2];
	b->wirelen = r[3];
	b->data = view_at(v, off + 16);
	b->odd = r[3] < r[2] || r[1] >= (s->rd_usec ? 1000000u : 1000000000u);
	b->next = off + 16 + (size_t)r[2];
	return BLK_PACKET;
}

/* Follow the pcapng interface of @b (rd_block said BLK_IFACE): false
 * when libpcap must (too many; after the first, a snapshot length field
 * or link type number that libpcap may compare otherwise and refuse). */
static bool
ng_add_if(struct mos_source *s, const struct blk *b)
{
	if (s->n_ifs == NG_IFS ||
	    (s->n_ifs > 0 && (b->snap != s->ng_snap0 || b->link != pcap_datalink(s->pcap))))
		return false;
	if (s->n_ifs == 0)
		s->ng_snap0 = b->snap;
	s->ifs[s->n_ifs++] = b->ifc;
	return true;
}

/* Nanoseconds since the epoch of a record time (files are opened with
 * nanosecond precision: tv_usec holds nanoseconds). */
static inline uint64_t
time_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec;
}

/* Bytes of a @caplen-byte record a frame read in place gets: at most
 * MOS_FRAME_MAX, a cut counted in @c. */
static inline uint32_t
frame_len(uint32_t caplen, struct mos_source_counters *c)
{
	if (caplen <= MOS_FRAME_MAX)
		return caplen;
	c->cut++;
	return MOS_FRAME_MAX;
}

/* libpcap reads the open file from the next record on: positioned
 * there (classic pcap), or opened again with the records read here
 * skipped (pcapng: libpcap must see the file's blocks in order). -1, or 0
 * (the file closed, the error counted) when that failed. */
static int
rd_handover(struct mos_source *s)
{
	const char *path = s->paths[s->next_path - 1];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat st;

	if (fstat(s->rd_fd, &st) == 0 && (size_t)st.st_size < s->rd_len) {
		snprintf(s->error, ERR_LEN,
			 "%s: cut short while it was being read (another process truncated it)",
			 path);
		s->c.errors++;
		close_capture(s);
		return 0;
	}
	if (!s->rd_ng) {
		if (fseeko(pcap_file(s->pcap), (off_t)s->rd_off, SEEK_SET) != 0) {
			snprintf(s->error, ERR_LEN, "%s: cannot seek: %s", path, strerror(errno));
			s->c.errors++;
			close_capture(s);
			return 0;
		}
		s->rd = false;
		return -1;
	}
	s->rd = false;
	pcap_close(s->pcap);
	if ((s->pcap = open_capture(path, s->error)) == NULL) {
		s->c.errors++;
		return 0;
	}
	for (uint64_t i = 0; i < s->rd_recs; i++) {
		if (pcap_next_ex(s->pcap, &h, &data) != 1) {
			snprintf(s->error, ERR_LEN, "%s: changed while read", path);
			s->c.errors++;
			close_capture(s);
			return 0;
		}
	}
	return -1;
}

/* The next record of the file read here: 1 with @h and @data set, 0 at
 * the end of the file (or when it could not be handed over), -1 when
 * libpcap must read from here on (rd_handover). */
static int
rd_next(struct mos_source *s, struct pcap_pkthdr *h, const u_char **data)
{
	struct blk b;

	for (;;) {
		if (s->rd_off == s->rd_len) {
			s->rd = false;
			return 0;
		}
		switch (rd_block(s, &s->v, s->rd_off, &b)) {
		case BLK_PACKET:
			h->ts = b.tv;
			h->caplen = b.caplen;
			h->len = b.wirelen;
			*data = b.data;
			s->rd_off = b.next;
			s->rd_recs++;
			s->v_used = true;
			return 1;
		case BLK_IFACE:
			if (!ng_add_if(s, &b))
				return rd_handover(s);
			break;
		case BLK_SKIP:
			break;
		case BLK_STOP:
			/* past the buffer's end: again in a buffer that starts here */
			if (s->v.lo != s->rd_off && s->v.hi < s->rd_len && rd_restart(s))
				continue;
			return rd_handover(s);
		}
		s->rd_off = b.next;
	}
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
		rd_capture(s);
	}
	return true;
}

/* The next record of the open files: 1 with @h and @data set (@in_place:
 * @data is in a buffer of the source), 0 when every file has been read. */
static int
pcap_next_rec(struct mos_source *s, struct pcap_pkthdr **h, struct pcap_pkthdr *mh,
	      const u_char **data, bool *in_place)
{
	while (pcap_next_file(s)) {
		int rc = -1;

		if (s->rd) {
			rc = rd_next(s, mh, data);
			*h = mh;
			if (rc == 0 && s->pcap != NULL) {
				close_capture(s);
				continue;
			}
			if (rc == 0)
				continue;
		}
		*in_place = rc == 1;
		if (rc == -1)
			rc = pcap_next_ex(s->pcap, h, data);
		if (rc == 1)
			return 1;
		if (rc == PCAP_ERROR) {
			snprintf(s->error, ERR_LEN, "%s: %s", s->paths[s->next_path - 1],
				 pcap_geterr(s->pcap));
			s->c.errors++;
		}
		close_capture(s);
	}
	return 0;
}

static uint16_t
pcap_rx(struct mos_source *s, struct rte_mbuf **pkts, uint16_t n)
{
	struct pcap_pkthdr *h, mh;
	const u_char *data;
	uint16_t got = 0;
	bool in_place;

	if (rte_pktmbuf_alloc_bulk(s->pool, pkts, n) != 0) {
		/* Pool nearly empty: fall back to one at a time. */
		while (n > 0 && rte_pktmbuf_alloc_bulk(s->pool, pkts, n) != 0)
			n /= 2;
		s->c.nombuf++;
		if (n == 0)
			return 0;
	}
	while (got < n && pcap_next_rec(s, &h, &mh, &data, &in_place)) {
		struct rte_mbuf *m = pkts[got];
		uint32_t len = h->caplen;

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
		pv->ts_ns = time_ns(&h->ts);
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

uint16_t
mos_source_peek(struct mos_source *s, struct mos_source_rec *recs, uint16_t n)
{
	struct pcap_pkthdr *h, mh;
	const u_char *data;
	uint16_t got = 0;
	bool in_place;

	if (s->kind != SOURCE_PCAP || s->done)
		return 0;
	rd_release(s);
	if (n > MOS_SOURCE_PEEK_MAX)
		n = MOS_SOURCE_PEEK_MAX;
	while (got < n && pcap_next_rec(s, &h, &mh, &data, &in_place)) {
		struct mos_source_rec *r = &recs[got];
		uint32_t len = frame_len(h->caplen, &s->c);

		if (!in_place) {
			/* libpcap's buffer holds one record at a time */
			if (s->copy == NULL) {
				void *m = mmap(NULL, (size_t)MOS_SOURCE_PEEK_MAX * MOS_FRAME_MAX,
					       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
					       -1, 0);

				if (m == MAP_FAILED) {
					snprintf(s->error, ERR_LEN, "out of memory");
					s->c.errors++;
					s->done = true;
					break;
				}
				s->copy = m;
			}
			memcpy(s->copy + (size_t)got * MOS_FRAME_MAX, data, len);
			data = s->copy + (size_t)got * MOS_FRAME_MAX;
		}
		r->data = data;
		r->caplen = len;
		r->wirelen = h->len;
		r->ts_ns = time_ns(&h->ts);
		r->linktype = (uint16_t)s->linktype;
		s->c.packets++;
		s->c.bytes += len;
		got++;
	}
	return got;
}

/* ---- split reading (offline workers, runtime/split.c) ------------------ */

#define SYNC_CHAIN 8                 /* records a guessed record start must chain */
#define SYNC_SPAN  (366 * 86400)     /* seconds a guessed record's time may be off the first's */
#define SYNC_NG_OPTS 1024u           /* bytes of options a guessed pcapng packet block may have */
#define SYNC_NG_BLOCK (64u << 10)    /* length a guessed pcapng block of another kind may have */
#define SPLIT_TAIL_MAX (8u << 20)    /* longest record a split walk reads */

bool
mos_source_split_begin(struct mos_source *s, struct mos_source_layout *lay)
{
	struct blk b;
	enum blk_kind k;

	if (s->kind != SOURCE_PCAP || s->done || !pcap_next_file(s) || !s->rd ||
	    s->rd_recs != 0)
		return false;
	/* pcapng: the interfaces described before the first packet are
	 * followed here; one described later ends the shared scan there */
	while ((k = rd_block(s, &s->v, s->rd_off, &b)) != BLK_PACKET) {
		if (k == BLK_STOP || (k == BLK_IFACE && !ng_add_if(s, &b)))
			return false;
		s->rd_off = b.next;
	}
	lay->dev = s->rd_dev;
	lay->ino = s->rd_ino;
	lay->first = s->rd_off;
	lay->len = s->rd_len;
	/* a packet record or block of the snapshot length with 64 KiB of
	 * options; longer ones are left to mos_source_peek */
	lay->tail = RTE_MIN((size_t)s->rd_snap + (64u << 10) + 64, (size_t)SPLIT_TAIL_MAX);
	s->rd_ts0 = b.tv.tv_sec;
	return true;
}

/* Whether a chain of records starts at @off: SYNC_CHAIN records (pcapng:
 * blocks) that are read here, look like a capture's, and follow one
 * another (or reach the file's end exactly) within @v's buffer. */
static bool
sync_chain(const struct mos_source *s, struct mos_source_view *v, size_t off)
{
	struct blk b;

	for (int i = 0; i < SYNC_CHAIN && off != s->rd_len; i++) {
		/* pcapng: a block's length is checked against its copy at the
		 * end; a length read off a payload must not make that check
		 * read far ahead */
		if (s->rd_ng && view_need(s, v, off + 8)) {
			uint32_t type = rd_u32(s, v, off), len = rd_u32(s, v, off + 4);

			if (len > (type == NG_EPB ? 32 + (size_t)s->rd_snap + SYNC_NG_OPTS
						  : SYNC_NG_BLOCK))
				return false;
		}
		switch (rd_block(s, v, off, &b)) {
		case BLK_PACKET:
			if (b.odd || llabs((long long)b.tv.tv_sec - s->rd_ts0) > SYNC_SPAN)
				return false;
			break;
		case BLK_SKIP:
			break;
		default:
			return false;
		}
		off = b.next;
	}
	return true;
}

size_t
mos_source_split_sync(const struct mos_source *s, struct mos_source_view *v, size_t from,
		      size_t to)
{
	/* classic pcap: a record starts within every 16 + snapshot length
	 * bytes (unless it is not read here): the search stops there;
	 * pcapng: blocks start at multiples of 4, and are as long as they
	 * like */
	size_t end = RTE_MIN(to, s->rd_len), step = 1;

	if (s->rd_ng) {
		from = (from + 3) & ~(size_t)3;
		step = 4;
	} else {
		end = RTE_MIN(end, from + 16 + (size_t)s->rd_snap);
	}
	for (size_t off = from; off < end; off += step)
		if (sync_chain(s, v, off))
			return off;
	return SIZE_MAX;
}

unsigned
mos_source_split_walk(const struct mos_source *s, struct mos_source_view *v, size_t *at,
		      size_t to, struct mos_source_rec *recs, unsigned n,
		      struct mos_source_counters *c, bool *bad)
{
	size_t off = *at;
	unsigned got = 0;
	struct blk b;

	*bad = false;
	while (off < to && off < s->rd_len && got < n) {
		struct mos_source_rec *rec = &recs[got];
		enum blk_kind k = rd_block(s, v, off, &b);
		uint32_t len;

		if (k != BLK_PACKET && k != BLK_SKIP) {
			*bad = true; /* interfaces are followed by one reader: peek */
			break;
		}
		off = b.next;
		if (k == BLK_SKIP)
			continue;
		got++;
		len = frame_len(b.caplen, c);
		rec->ts_ns = time_ns(&b.tv);
		rec->data = b.data;
		rec->caplen = len;
		rec->wirelen = b.wirelen;
		rec->linktype = (uint16_t)s->linktype;
		c->packets++;
		c->bytes += len;
	}
	*at = off;
	return got;
}

void
mos_source_split_pass(struct mos_source *s, const struct mos_source_counters *c)
{
	s->c.packets += c->packets;
	s->c.bytes += c->bytes;
	s->c.cut += c->cut;
	s->rd_recs += c->packets;
}

void
mos_source_split_end(struct mos_source *s, size_t off)
{
	s->rd_off = off;
	/* no record was peeked yet: the buffer is free, rd_restart cannot fail */
	rd_restart(s);
}

struct mos_source *
mos_source_pcap_dup(const struct mos_source *src, char *err)
{
	if (src->kind != SOURCE_PCAP) {
		snprintf(err, ERR_LEN, "not a capture file source");
		errno = EINVAL;
		return NULL;
	}
	return mos_source_pcap_open((const char *const *)src->paths, src->n_paths, src->pool,
				    src->big_pool, err);
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
	if (src->kind == SOURCE_PCAP) {
		rd_release(src);
		return src->done ? 0 : pcap_rx(src, pkts, n);
	}
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
		rd_release(src);
		if (src->v.buf != NULL)
			src->free_bufs[src->n_free++] = src->v.buf;
		while (src->n_free > 0)
			free(src->free_bufs[--src->n_free]);
		if (src->copy)
			munmap(src->copy, (size_t)MOS_SOURCE_PEEK_MAX * MOS_FRAME_MAX);
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
		ns0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		/* The TSC's rate is the EAL's measure: without the EAL
		 * (capture files only) the clock is the system's. */
		if (!mos_eal_running())
			return ns0;
		tsc0 = tsc;
		hz = rte_get_tsc_hz();
		if (hz == 0)
			hz = 1;
	}
	return ns0 + (uint64_t)((unsigned __int128)(tsc - tsc0) * 1000000000u / hz);
}
