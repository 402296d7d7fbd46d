/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * source.c — packet sources (see mos/source.h): offline pcap/pcapng files
 * read with libpcap, and receive queues of DPDK ethdev ports.
 */
#include <errno.h>
#include <pthread.h>
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
#include <rte_prefetch.h>

#include "mos/decode.h"
#include "mos/source.h"

#define ERR_LEN MOS_SOURCE_ERRLEN
#define READ_BUFFER (1u << 20)     /* stdio buffer of an open capture */
#define MAP_RELEASE (8u << 20)     /* read pages of a mapping given back in steps of this */
#define MAP_AHEAD   4096u          /* bytes of a mapping prefetched ahead of the reader */
#define MAP_SHARERS 64             /* sources reading one mapping (more map the file again) */

/* A classic pcap file mapped once for every source of the process that
 * reads it (offline workers each scan the whole file: one mapping means
 * its pages are faulted in once, not once per worker). Pages are given
 * back behind the slowest reader. */
struct shared_map {
	dev_t dev;                   /* the file: device, inode, size, time */
	ino_t ino;
	off_t size;
	struct timespec mtime;
	const uint8_t *base;         /* the mapping */
	size_t len;                  /* its length */
	unsigned refs;               /* sources holding it (maps_lock) */
	unsigned sharers;            /* reader slots handed out (maps_lock) */
	size_t released;             /* bytes from the start given back (atomic) */
	size_t pos[MAP_SHARERS];     /* each reader's offset, SIZE_MAX once done (atomic) */
	struct shared_map *next;     /* in maps */
};

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_map *maps;      /* every shared mapping (maps_lock) */

enum source_kind { SOURCE_PCAP, SOURCE_ETHDEV };

/* pcapng blocks the mapping reads (others are skipped, as libpcap does,
 * or handed to libpcap: see map_block) */
#define NG_SHB   0x0A0D0D0Au        /* section header */
#define NG_IDB   1u                 /* interface description */
#define NG_EPB   6u                 /* enhanced packet */
#define NG_SPB   3u                 /* simple packet (libpcap reads it) */
#define NG_OPB   2u                 /* obsolete packet (libpcap reads it) */
#define NG_IFS   64u                /* interfaces the mapping follows (more: libpcap) */
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
	struct shared_map *sm;       /* classic pcap: the whole file mapped, or NULL */
	unsigned sm_slot;            /* this source's reader slot in sm */
	const uint8_t *map;          /* sm's mapping */
	size_t map_len;              /* its size */
	size_t map_off;              /* offset of the next record */
	size_t map_kept;             /* offset of the last release check */
	size_t map_pref;             /* bytes before this offset were prefetched */
	struct shared_map **retired; /* mappings left since the last read (data of its records) */
	unsigned n_retired, retired_cap;
	uint8_t *copy;               /* peek: records libpcap read, copied (MOS_SOURCE_PEEK_MAX frames) */
	uint32_t map_snap;           /* libpcap's snapshot length of the file */
	long long map_ts0;           /* seconds of its first record (split reading) */
	uint64_t map_recs;           /* records of the file taken from the mapping */
	bool map_swap;               /* the file's (pcapng: section's) byte order is not ours */
	bool map_usec;               /* classic: microsecond timestamps (else nanoseconds) */
	bool map_ng;                 /* a pcapng file */
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

/* The shared mapping of the file open as @f (@st), made if none exists;
 * NULL if it cannot be mapped. A reader slot is taken in it. */
static struct shared_map *
map_get(FILE *f, const struct stat *st, unsigned *slot)
{
	struct shared_map *sm;
	void *m;

	pthread_mutex_lock(&maps_lock);
	for (sm = maps; sm; sm = sm->next)
		if (sm->dev == st->st_dev && sm->ino == st->st_ino && sm->size == st->st_size &&
		    sm->mtime.tv_sec == st->st_mtim.tv_sec &&
		    sm->mtime.tv_nsec == st->st_mtim.tv_nsec && sm->sharers < MAP_SHARERS)
			break;
	if (sm == NULL) {
		m = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
		if (m == MAP_FAILED || (sm = calloc(1, sizeof(*sm))) == NULL) {
			if (m != MAP_FAILED)
				munmap(m, (size_t)st->st_size);
			pthread_mutex_unlock(&maps_lock);
			return NULL;
		}
		madvise(m, (size_t)st->st_size, MADV_SEQUENTIAL);
		sm->dev = st->st_dev;
		sm->ino = st->st_ino;
		sm->size = st->st_size;
		sm->mtime = st->st_mtim;
		sm->base = m;
		sm->len = (size_t)st->st_size;
		sm->next = maps;
		maps = sm;
	}
	sm->refs++;
	*slot = sm->sharers++;
	sm->pos[*slot] = 0;
	pthread_mutex_unlock(&maps_lock);
	return sm;
}

static void
map_put(struct shared_map *sm)
{
	struct shared_map **pp;

	pthread_mutex_lock(&maps_lock);
	if (--sm->refs == 0) {
		for (pp = &maps; *pp != sm; pp = &(*pp)->next)
			;
		*pp = sm->next;
		munmap((void *)sm->base, sm->len);
		free(sm);
	}
	pthread_mutex_unlock(&maps_lock);
}

/* Classic pcap files (version 2.4, either byte order, micro- or
 * nanosecond) and pcapng files are read from a mapping of the file: no
 * copy at all (mos_source_peek) or one per frame into its mbuf
 * (mos_source_rx), instead of libpcap's two (fread into its buffer, then
 * ours), and no per-record library call. libpcap still opens the file
 * (checks, link type, snapshot length) and reads every other format;
 * the first record the mapping does not take as is (longer than the
 * snapshot length, cut short by the file's end, a pcapng block it leaves
 * to libpcap: see map_block) hands the rest of the file to libpcap at that
 * record, so both give the same frames. */
static void
map_capture(struct mos_source *s)
{
	FILE *f = pcap_file(s->pcap);
	struct stat st;
	uint32_t magic, order, shb_len = 0;
	uint16_t major, minor;
	uint8_t head[16];

	s->map = NULL;
	if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24 ||
	    pread(fileno(f), head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return;
	memcpy(&magic, head, 4);
	s->map_ng = magic == NG_SHB;
	if (s->map_ng) {
		/* section header: type, length, byte-order magic, version 1.0 */
		memcpy(&shb_len, head + 4, 4);
		memcpy(&order, head + 8, 4);
		memcpy(&major, head + 12, 2);
		memcpy(&minor, head + 14, 2);
		s->map_swap = order == 0x4D3C2B1Au;
		if (order != 0x1A2B3C4Du && !s->map_swap)
			return;
	} else {
		memcpy(&major, head + 4, 2);
		memcpy(&minor, head + 6, 2);
		s->map_swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
		s->map_usec = magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u;
		if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du && !s->map_swap)
			return;
	}
	if (s->map_swap) {
		major = __builtin_bswap16(major);
		minor = __builtin_bswap16(minor);
		shb_len = __builtin_bswap32(shb_len);
	}
	if (major != (s->map_ng ? 1 : 2) || minor != (s->map_ng ? 0 : 4) ||
	    (s->map_swap && (s->linktype == MOS_LINK_LINUX_SLL ||
			     s->linktype == MOS_LINK_LINUX_SLL2)))
		return;              /* other formats, and libpcap's byte swapping of SLL headers */
	if (s->map_ng && (shb_len < 28 || shb_len % 4 != 0 || shb_len > (uint64_t)st.st_size))
		return;
	if ((s->sm = map_get(f, &st, &s->sm_slot)) == NULL)
		return;
	s->map = s->sm->base;
	s->map_len = s->sm->len;
	s->map_off = s->map_ng ? shb_len : 24;
	s->map_kept = 0;
	s->map_pref = 0;
	s->map_recs = 0;
	s->n_ifs = 0;
	s->map_snap = (uint32_t)pcap_snapshot(s->pcap);
}

/* Leave the mapping: its last records' data stay valid until the next
 * read (release_retired). */
static void
unmap_capture(struct mos_source *s)
{
	if (s->sm == NULL)
		return;
	__atomic_store_n(&s->sm->pos[s->sm_slot], SIZE_MAX, __ATOMIC_RELAXED);
	if (s->n_retired == s->retired_cap) {
		unsigned cap = s->retired_cap ? 2 * s->retired_cap : 4;
		struct shared_map **r = realloc(s->retired, cap * sizeof(*r));

		if (r == NULL) {     /* cannot defer: nothing of it is in use between reads */
			map_put(s->sm);
			goto out;
		}
		s->retired = r;
		s->retired_cap = cap;
	}
	s->retired[s->n_retired++] = s->sm;
out:
	s->sm = NULL;
	s->map = NULL;
}

static void
release_retired(struct mos_source *s)
{
	for (unsigned i = 0; i < s->n_retired; i++)
		map_put(s->retired[i]);
	s->n_retired = 0;
}

static void
close_capture(struct mos_source *s)
{
	unmap_capture(s);
	pcap_close(s->pcap);
	s->pcap = NULL;
}

/* Frames are copied out of the mapping or read in place by every reader
 * in turn: the pages every reader has passed leave the process's resident
 * set (they stay in the page cache), so a long file does not count as our
 * memory. Giving back a page of this private, never written mapping loses
 * nothing: a late access reads it again from the page cache; the step
 * kept behind the slowest reader only spares its records in use that. */
static void
map_release(struct mos_source *s)
{
	struct shared_map *sm = s->sm;
	size_t low = SIZE_MAX, done;
	unsigned reading = 0;

	s->map_kept = s->map_off;
	__atomic_store_n(&sm->pos[s->sm_slot], s->map_off, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < __atomic_load_n(&sm->sharers, __ATOMIC_RELAXED); i++) {
		size_t p = __atomic_load_n(&sm->pos[i], __ATOMIC_RELAXED);

		reading += p != SIZE_MAX;
		if (p < low)
			low = p;
	}
	/* Giving pages back costs the caller (page-table work): the slowest of
	 * several readers leaves it to one ahead, which would otherwise wait
	 * for it (offline workers), instead of falling further behind. */
	if (reading > 1 && low == s->map_off)
		return;
	/* keep the reader's current step: its last records may be in use */
	low = (low < s->map_off ? low : s->map_off) & ~(size_t)(MAP_RELEASE - 1);
	low = low >= MAP_RELEASE ? low - MAP_RELEASE : 0;
	done = __atomic_load_n(&sm->released, __ATOMIC_RELAXED);
	while (done < low) {
		if (__atomic_compare_exchange_n(&sm->released, &done, low, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			madvise((void *)(sm->base + done), low - done, MADV_DONTNEED);
			break;
		}
	}
}

/* A record or block of the mapping, as map_block reads it. */
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
	BLK_PACKET,                  /* a record the mapping takes */
	BLK_SKIP,                    /* a pcapng block libpcap skips too */
	BLK_IFACE,                   /* a pcapng interface the mapping can follow */
	BLK_STOP,                    /* libpcap must read from here */
};

static inline uint32_t
map_u32(const struct mos_source *s, size_t off)
{
	uint32_t v;

	memcpy(&v, s->map + off, 4);
	return s->map_swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t
map_u16(const struct mos_source *s, size_t off)
{
	uint16_t v;

	memcpy(&v, s->map + off, 2);
	return s->map_swap ? __builtin_bswap16(v) : v;
}

/* The options of the pcapng interface description at [@off, @end) into
 * @b: false for what the mapping leaves to libpcap (a unit that is not
 * 10^-k s with k <= 9, an option twice, a malformed list). */
static bool
ng_if_options(const struct mos_source *s, size_t off, size_t end, struct blk *b)
{
	bool resol = false, offset = false;

	b->ifc.units = 1000000;      /* the default: microseconds */
	b->ifc.ns = 1000;
	b->ifc.offset = 0;
	while (end - off >= 4) {
		uint16_t code = map_u16(s, off), len = map_u16(s, off + 2);
		size_t room = ((size_t)len + 3) & ~(size_t)3;

		if (code == 0)       /* end of options (one with a length: libpcap) */
			return len == 0;
		if (room > end - off - 4)
			return false;
		if (code == 9) {     /* if_tsresol */
			uint8_t k = s->map[off + 4];

			if (resol || len != 1 || k > 9)
				return false;
			resol = true;
			b->ifc.units = 1;
			for (uint8_t i = 0; i < k; i++)
				b->ifc.units *= 10;
			b->ifc.ns = (uint32_t)(1000000000u / b->ifc.units);
		} else if (code == 14) {   /* if_tsoffset */
			uint64_t v;

			if (offset || len != 8)
				return false;
			offset = true;
			memcpy(&v, s->map + off + 4, 8);
			b->ifc.offset = (int64_t)(s->map_swap ? __builtin_bswap64(v) : v);
		}
		off += 4 + room;
	}
	return off == end;
}

/* The pcapng block at @off (@room bytes left) into @b. */
static enum blk_kind
ng_block(const struct mos_source *s, size_t off, size_t room, struct blk *b)
{
	uint32_t type, len, id;
	uint64_t t;

	if (room < 12)
		return BLK_STOP;
	type = map_u32(s, off);
	len = map_u32(s, off + 4);
	if (len < 12 || len % 4 != 0 || len > room || len > NG_BLOCK_MAX ||
	    map_u32(s, off + len - 4) != len)
		return BLK_STOP;     /* libpcap says what is wrong */
	b->next = off + len;
	switch (type) {
	case NG_EPB:
		if (len < 32)
			return BLK_STOP;
		id = map_u32(s, off + 8);
		t = (uint64_t)map_u32(s, off + 12) << 32 | map_u32(s, off + 16);
		b->caplen = map_u32(s, off + 20);
		b->wirelen = map_u32(s, off + 24);
		if (id >= s->n_ifs || b->caplen > len - 32 || b->caplen > s->map_snap)
			return BLK_STOP;
		b->tv.tv_sec = (time_t)(t / s->ifs[id].units + (uint64_t)s->ifs[id].offset);
		b->tv.tv_usec = (suseconds_t)(t % s->ifs[id].units * s->ifs[id].ns);
		b->data = s->map + off + 28;
		b->odd = b->wirelen < b->caplen;
		return BLK_PACKET;
	case NG_IDB:
		if (len < 20)
			return BLK_STOP;
		b->link = map_u16(s, off + 8);
		b->snap = map_u32(s, off + 12);
		if (b->link != s->linktype || !ng_if_options(s, off + 16, off + len - 4, b))
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

/* The record at @off of the mapping into @b (pcapng: the block there). */
static inline enum blk_kind
map_block(const struct mos_source *s, size_t off, struct blk *b)
{
	size_t room = s->map_len - off;
	uint32_t r[4];

	if (s->map_ng)
		return ng_block(s, off, room, b);
	if (room < 16)
		return BLK_STOP;
	memcpy(r, s->map + off, 16);
	if (s->map_swap)
		for (int i = 0; i < 4; i++)
			r[i] = __builtin_bswap32(r[i]);
	/* longer than the snapshot length, cut by the file's end: libpcap */
	if (r[2] > s->map_snap || r[2] > room - 16)
		return BLK_STOP;
	/* as libpcap 1.10 gives it: signed 32-bit fields in the host's byte
	 * order, unsigned ones swapped; microseconds scaled in 64 bits (a
	 * field over 999999 is not carried into the seconds) */
	if (s->map_swap) {
		b->tv.tv_sec = (time_t)r[0];
		b->tv.tv_usec = (suseconds_t)r[1];
	} else {
		b->tv.tv_sec = (int32_t)r[0];
		b->tv.tv_usec = (int32_t)r[1];
	}
	if (s->map_usec)
		b->tv.tv_usec *= 1000;
	b->caplen = r[2];
	b->wirelen = r[3];
	b->data = s->map + off + 16;
	b->odd = r[3] < r[2] || r[1] >= (s->map_usec ? 1000000u : 1000000000u);
	b->next = off + 16 + (size_t)r[2];
	return BLK_PACKET;
}

/* Follow the pcapng interface of @b (map_block said BLK_IFACE): false
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

/* Stream the lines of the mapping up to MAP_AHEAD bytes after @off into
 * the cache (*@pref: bytes before it already asked for). Records of
 * varying length defeat the hardware's stride prefetch. */
static inline void
map_prefetch(const struct mos_source *s, size_t off, size_t *pref)
{
	for (size_t end = RTE_MIN(off + MAP_AHEAD, s->map_len); *pref < end;
	     *pref += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(s->map + *pref);
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

/* libpcap reads the open file from the mapping's offset on: positioned
 * there (classic pcap), or opened again with the records the mapping gave
 * skipped (pcapng: libpcap must see the file's blocks in order). -1, or 0
 * (the file closed, the error counted) when that failed. */
static int
map_handover(struct mos_source *s)
{
	const char *path = s->paths[s->next_path - 1];
	struct pcap_pkthdr *h;
	const u_char *data;

	if (!s->map_ng) {
		if (fseeko(pcap_file(s->pcap), (off_t)s->map_off, SEEK_SET) != 0) {
			snprintf(s->error, ERR_LEN, "%s: cannot seek: %s", path, strerror(errno));
			s->c.errors++;
			close_capture(s);
			return 0;
		}
		unmap_capture(s);
		return -1;
	}
	unmap_capture(s);
	pcap_close(s->pcap);
	if ((s->pcap = open_capture(path, s->error)) == NULL) {
		s->c.errors++;
		return 0;
	}
	for (uint64_t i = 0; i < s->map_recs; i++) {
		if (pcap_next_ex(s->pcap, &h, &data) != 1) {
			snprintf(s->error, ERR_LEN, "%s: changed while read", path);
			s->c.errors++;
			close_capture(s);
			return 0;
		}
	}
	return -1;
}

/* The next record of the mapping: 1 with @h and @data set, 0 at the end
 * of the file (or when it could not be handed over), -1 when libpcap must
 * read from here on (map_handover). */
static int
map_next(struct mos_source *s, struct pcap_pkthdr *h, const u_char **data)
{
	struct blk b;

	for (;;) {
		if (s->map_off == s->map_len) {
			unmap_capture(s);
			return 0;
		}
		if (s->map_off - s->map_kept >= MAP_RELEASE)
			map_release(s);
		map_prefetch(s, s->map_off, &s->map_pref);
		switch (map_block(s, s->map_off, &b)) {
		case BLK_PACKET:
			h->ts = b.tv;
			h->caplen = b.caplen;
			h->len = b.wirelen;
			*data = b.data;
			s->map_off = b.next;
			s->map_recs++;
			return 1;
		case BLK_IFACE:
			if (!ng_add_if(s, &b))
				return map_handover(s);
			break;
		case BLK_SKIP:
			break;
		case BLK_STOP:
			return map_handover(s);
		}
		s->map_off = b.next;
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
		map_capture(s);
	}
	return true;
}

/* The next record of the open files: 1 with @h and @data set (@mapped:
 * @data is in a mapping), 0 when every file has been read. */
static int
pcap_next_rec(struct mos_source *s, struct pcap_pkthdr **h, struct pcap_pkthdr *mh,
	      const u_char **data, bool *mapped)
{
	while (pcap_next_file(s)) {
		int rc = -1;

		if (s->map != NULL) {
			rc = map_next(s, mh, data);
			*h = mh;
			if (rc == 0 && s->pcap != NULL) {
				close_capture(s);
				continue;
			}
			if (rc == 0)
				continue;
		}
		*mapped = rc == 1;
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
	bool mapped;

	if (rte_pktmbuf_alloc_bulk(s->pool, pkts, n) != 0) {
		/* Pool nearly empty: fall back to one at a time. */
		while (n > 0 && rte_pktmbuf_alloc_bulk(s->pool, pkts, n) != 0)
			n /= 2;
		s->c.nombuf++;
		if (n == 0)
			return 0;
	}
	while (got < n && pcap_next_rec(s, &h, &mh, &data, &mapped)) {
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
	bool mapped;

	release_retired(s);
	if (s->kind != SOURCE_PCAP || s->done)
		return 0;
	if (n > MOS_SOURCE_PEEK_MAX)
		n = MOS_SOURCE_PEEK_MAX;
	while (got < n && pcap_next_rec(s, &h, &mh, &data, &mapped)) {
		struct mos_source_rec *r = &recs[got];
		uint32_t len = frame_len(h->caplen, &s->c);

		if (!mapped) {
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

bool
mos_source_split_begin(struct mos_source *s, struct mos_source_layout *lay)
{
	struct blk b;
	enum blk_kind k;

	if (s->kind != SOURCE_PCAP || s->done || !pcap_next_file(s) || s->map == NULL ||
	    s->map_recs != 0)
		return false;
	/* pcapng: the interfaces described before the first packet are
	 * followed here; one described later ends the shared scan there */
	while ((k = map_block(s, s->map_off, &b)) != BLK_PACKET) {
		if (k == BLK_STOP || (k == BLK_IFACE && !ng_add_if(s, &b)))
			return false;
		s->map_off = b.next;
	}
	lay->base = s->map;
	lay->first = s->map_off;
	lay->len = s->map_len;
	s->map_ts0 = b.tv.tv_sec;
	return true;
}

/* Whether a chain of records starts at @off: SYNC_CHAIN records (pcapng:
 * blocks) that the mapping takes, look like a capture's, and follow one
 * another (or reach the file's end exactly). */
static bool
sync_chain(const struct mos_source *s, size_t off)
{
	struct blk b;

	for (int i = 0; i < SYNC_CHAIN && off != s->map_len; i++) {
		/* pcapng: a block's length is checked against its copy at the
		 * end; a length read off a payload must not send that check to
		 * a page far ahead (each would be faulted in) */
		if (s->map_ng && s->map_len - off >= 8) {
			uint32_t type = map_u32(s, off), len = map_u32(s, off + 4);

			if (len > (type == NG_EPB ? 32 + (size_t)s->map_snap + SYNC_NG_OPTS
						  : SYNC_NG_BLOCK))
				return false;
		}
		switch (map_block(s, off, &b)) {
		case BLK_PACKET:
			if (b.odd || llabs((long long)b.tv.tv_sec - s->map_ts0) > SYNC_SPAN)
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
mos_source_split_sync(const struct mos_source *s, size_t from, size_t to)
{
	/* classic pcap: a record starts within every 16 + snapshot length
	 * bytes (unless the mapping would not take it): the search stops
	 * there; pcapng: blocks start at multiples of 4, and are as long as
	 * they like */
	size_t end = RTE_MIN(to, s->map_len), step = 1;

	if (s->map_ng) {
		from = (from + 3) & ~(size_t)3;
		step = 4;
	} else {
		end = RTE_MIN(end, from + 16 + (size_t)s->map_snap);
	}
	for (size_t off = from; off < end; off += step)
		if (sync_chain(s, off))
			return off;
	return SIZE_MAX;
}

unsigned
mos_source_split_walk(const struct mos_source *s, size_t *at, size_t to,
		      struct mos_source_rec *recs, unsigned n, struct mos_source_counters *c,
		      bool *bad)
{
	size_t off = *at, pref = off;
	unsigned got = 0;
	struct blk b;

	*bad = false;
	while (off < to && off < s->map_len && got < n) {
		struct mos_source_rec *rec = &recs[got];
		enum blk_kind k;
		uint32_t len;

		map_prefetch(s, off, &pref);
		k = map_block(s, off, &b);
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
mos_source_split_pass(struct mos_source *s, size_t off, const struct mos_source_counters *c)
{
	s->c.packets += c->packets;
	s->c.bytes += c->bytes;
	s->c.cut += c->cut;
	s->map_recs += c->packets;
	s->map_off = off;
	if (off - s->map_kept >= MAP_RELEASE)
		map_release(s);
}

void
mos_source_split_end(struct mos_source *s, size_t off)
{
	s->map_off = off;
	s->map_pref = off;
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
		release_retired(src);
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
		release_retired(src);
		free(src->retired);
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
