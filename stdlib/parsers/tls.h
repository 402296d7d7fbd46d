/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/tls.h — incremental TLS record-layer + hello parser (companion C of
 * the stdlib module `tls`).
 *
 * One struct mos_tls_dir per direction walks the records of a reassembled TCP
 * stream, reassembles the first handshake message (it may span several
 * records and any number of segments) into a caller-provided bounded buffer,
 * and parses it when it is a ClientHello (client→server) or ServerHello
 * (server→client): versions, cipher suites, extensions, SNI, ALPN, supported
 * groups, EC point formats and a JA3-style fingerprint (GREASE removed) with
 * its MD5 (JA3S for a ServerHello), and the JA4 fingerprint of a ClientHello.
 *
 * Incremental contract: push the stream bytes in order with mos_tls_feed(),
 * in chunks of any size; it stops at an event and says how many bytes it used:
 *     MOS_TLS_NEED_MORE     all bytes used, nothing completed
 *     MOS_TLS_CLIENT_HELLO  dir->hello holds a parsed ClientHello
 *     MOS_TLS_SERVER_HELLO  dir->hello holds a parsed ServerHello
 *     MOS_TLS_ERROR         dir->error names why (not TLS, over the cap, ...)
 * Alert, change_cipher_spec and heartbeat records before the hello are
 * skipped (counted record_before_hello); application data before it, or any
 * non-handshake record inside a hello spanning records, is an error.
 * After the hello or an error the direction is finished: later bytes are
 * skipped without looking at them (the caller may release the buffer).
 * No allocation; never reads outside the bytes given.
 *
 * Thread-safety: a dir (and its stats) belongs to one thread.
 */
#ifndef MOS_PARSERS_TLS_H
#define MOS_PARSERS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps of the kept lists and strings (override at build time). */
#ifndef MOS_TLS_MAX_CIPHERS
#define MOS_TLS_MAX_CIPHERS  128
#endif
#ifndef MOS_TLS_MAX_EXTS
#define MOS_TLS_MAX_EXTS     64
#endif
#ifndef MOS_TLS_MAX_GROUPS
#define MOS_TLS_MAX_GROUPS   64
#endif
#ifndef MOS_TLS_MAX_FORMATS
#define MOS_TLS_MAX_FORMATS  16
#endif
#ifndef MOS_TLS_MAX_VERSIONS
#define MOS_TLS_MAX_VERSIONS 16
#endif
#ifndef MOS_TLS_MAX_SIGALGS
#define MOS_TLS_MAX_SIGALGS  32
#endif
#ifndef MOS_TLS_SNI_MAX
#define MOS_TLS_SNI_MAX      256     /* NUL included */
#endif
#ifndef MOS_TLS_ALPN_MAX
#define MOS_TLS_ALPN_MAX     128     /* NUL included */
#endif
/* Suggested handshake buffer size (one hello message, header included). */
#define MOS_TLS_HS_BUF_DEFAULT 16384
/* Smallest buffer mos_tls_init() accepts. */
#define MOS_TLS_HS_BUF_MIN     64
/* Largest record payload accepted (2^14 + 2048, RFC 5246 §6.2.3). */
#define MOS_TLS_RECORD_MAX     18432
/* Longest JA3 string mos_tls_fingerprint() can produce, NUL included. */
#define MOS_TLS_JA3_MAX (8 + MOS_TLS_MAX_CIPHERS * 6 + MOS_TLS_MAX_EXTS * 6 + \
			 MOS_TLS_MAX_GROUPS * 6 + MOS_TLS_MAX_FORMATS * 4 + 8)

#define MOS_TLS_ERRORS(X)                                               \
	X(NOT_TLS,              "not_tls")                              \
	X(SSLV2,                "sslv2")                                \
	X(BAD_RECORD,           "bad_record")                           \
	X(UNEXPECTED_RECORD,    "unexpected_record")                    \
	X(UNEXPECTED_HANDSHAKE, "unexpected_handshake")                 \
	X(HELLO_TOO_LARGE,      "hello_too_large")                      \
	X(BAD_HELLO,            "bad_hello")                            \
	X(GAP,                  "gap")

#define MOS_TLS_ANOMALIES(X)                                            \
	X(TRUNCATED_FIELD,      "truncated_field")                      \
	X(LIST_CAPPED,          "list_capped")                          \
	X(HELLO_RETRY,          "hello_retry")                          \
	X(RECORD_BEFORE_HELLO,  "record_before_hello")                  \
	X(NON_PRINTABLE,        "non_printable")

#define MOS_TLS_X_ENUM(id, name) MOS_TLS_ERR_##id,
enum mos_tls_error {
	MOS_TLS_ERR_NONE = 0,
	MOS_TLS_ERRORS(MOS_TLS_X_ENUM)
	MOS_TLS_ERR__COUNT
};
#undef MOS_TLS_X_ENUM
#define MOS_TLS_X_ENUM(id, name) MOS_TLS_ANOM_##id,
enum mos_tls_anomaly {
	MOS_TLS_ANOMALIES(MOS_TLS_X_ENUM)
	MOS_TLS_ANOM__COUNT
};
#undef MOS_TLS_X_ENUM

enum mos_tls_event {
	MOS_TLS_NEED_MORE = 0,
	MOS_TLS_CLIENT_HELLO,
	MOS_TLS_SERVER_HELLO,
	MOS_TLS_ERROR,
};

/* Hello flags. */
#define MOS_TLS_F_SNI          0x01u  /* server_name with a host_name seen */
#define MOS_TLS_F_ALPN         0x02u  /* ALPN extension seen */
#define MOS_TLS_F_SUPP_VERS    0x04u  /* supported_versions extension seen */
#define MOS_TLS_F_GREASE       0x08u  /* GREASE values were present (and removed) */
#define MOS_TLS_F_TRUNC_SNI    0x10u  /* sni[] shorter than the name */
#define MOS_TLS_F_TRUNC_ALPN   0x20u  /* alpn[] shorter than the list */
#define MOS_TLS_F_LIST_CAPPED  0x40u  /* a list was longer than its cap: fingerprint partial */
#define MOS_TLS_F_HRR          0x80u  /* ServerHello is a HelloRetryRequest */
#define MOS_TLS_F_NON_PRINTABLE 0x100u /* SNI/ALPN bytes outside 0x21-0x7e, shown as '?' */

/* A parsed ClientHello or ServerHello. Lists keep wire order, GREASE removed. */
struct mos_tls_hello {
	uint64_t stream_offset;                 /* offset of its first record in the stream */
	uint32_t length;                        /* handshake body bytes */
	uint32_t flags;                         /* MOS_TLS_F_* */
	uint8_t type;                           /* 1 ClientHello, 2 ServerHello */
	uint16_t legacy_version;                /* version field of the hello (0x0303 = TLS 1.2) */
	uint16_t version;                       /* client: highest standard supported_versions entry
						 * (0x0300-0x0304) else legacy_version; server:
						 * chosen (supported_versions wins) */
	uint16_t cipher;                        /* ServerHello: chosen suite */
	uint16_t n_ciphers;                     /* entries in ciphers[] (client) */
	uint16_t n_exts;                        /* entries in exts[] */
	uint16_t n_groups;                      /* entries in groups[] */
	uint16_t n_formats;                     /* entries in formats[] */
	uint16_t n_versions;                    /* entries in versions[] (client's supported_versions) */
	uint16_t sni_len;                       /* bytes in sni[] */
	uint16_t alpn_len;                      /* bytes in alpn[] */
	uint16_t alpn_count;                    /* protocols in the ALPN list */
	uint16_t ciphers[MOS_TLS_MAX_CIPHERS];  /* offered suites */
	uint16_t exts[MOS_TLS_MAX_EXTS];        /* extension types */
	uint16_t groups[MOS_TLS_MAX_GROUPS];    /* supported_groups */
	uint8_t formats[MOS_TLS_MAX_FORMATS];   /* ec_point_formats */
	uint16_t versions[MOS_TLS_MAX_VERSIONS];/* supported_versions (client) */
	uint16_t n_sigalgs;                     /* entries in sigalgs[] */
	uint16_t sigalgs[MOS_TLS_MAX_SIGALGS];  /* signature_algorithms (client), wire order */
	uint8_t alpn_first[2];                  /* first and last byte of the first ALPN value */
	char sni[MOS_TLS_SNI_MAX];              /* first host_name, NUL-terminated */
	char alpn[MOS_TLS_ALPN_MAX];            /* protocols joined by ',' (server: the chosen one) */
	char ja3_md5[33];                       /* hex MD5 of the JA3 (client) / JA3S (server) string */
	char ja4[37];                           /* JA4 of a ClientHello ("t13d1516h2_..."), "" for a ServerHello */
};

/* Counters, usually one per worker core. */
struct mos_tls_stats {
	uint64_t client_hellos;                 /* ClientHellos parsed */
	uint64_t server_hellos;                 /* ServerHellos parsed */
	uint64_t errors[MOS_TLS_ERR__COUNT];    /* by enum mos_tls_error */
	uint64_t anomalies[MOS_TLS_ANOM__COUNT];/* by enum mos_tls_anomaly */
};

/* State of one direction. */
struct mos_tls_dir {
	uint64_t offset;                /* stream bytes consumed so far */
	uint64_t hs_offset;             /* stream offset of the record starting the hello */
	uint8_t *buf;                   /* handshake message buffer (caller's) */
	uint32_t cap;                   /* its size */
	uint32_t have;                  /* bytes of the message in buf */
	uint32_t need;                  /* 4 + body length once known, else 0 */
	uint32_t records;               /* record headers read */
	uint16_t rec_left;              /* payload bytes left in the current record */
	uint8_t rec_hdr[5];             /* record header being read */
	uint8_t rec_hdr_len;            /* bytes in rec_hdr */
	uint8_t state;                  /* internal state (enum in tls.c) */
	uint8_t error;                  /* enum mos_tls_error of the error */
	struct mos_tls_stats *stats;    /* counters or NULL */
	struct mos_tls_hello hello;     /* result */
};

/*
 * Initialise one direction with a buffer for one handshake message
 * (buf[0 .. cap-1], owned by the caller, untouched after the hello; cap >=
 * MOS_TLS_HS_BUF_MIN, MOS_TLS_HS_BUF_DEFAULT suggested). stats may be NULL.
 * Returns 0 or -EINVAL.
 */
int mos_tls_init(struct mos_tls_dir *t, uint8_t *buf, uint32_t cap,
		 struct mos_tls_stats *stats);

/* Push stream bytes; see the contract above. *used == len on NEED_MORE. */
enum mos_tls_event mos_tls_feed(struct mos_tls_dir *t, const uint8_t *data, size_t len,
				size_t *used);

/* n stream bytes were lost: an error (gap) before the hello, nothing after. */
enum mos_tls_event mos_tls_gap(struct mos_tls_dir *t, uint64_t n);

/* True when the direction finished (hello parsed or error). */
bool mos_tls_done(const struct mos_tls_dir *t);

/*
 * Parse one ClientHello/ServerHello handshake message body (after the 4-byte
 * handshake header) from a contiguous buffer. Returns 0 or -EBADMSG; the
 * anomalies are added to stats when not NULL. Pure; used by mos_tls_feed().
 */
int mos_tls_parse_hello(uint8_t type, const uint8_t *body, size_t len,
			struct mos_tls_hello *h, struct mos_tls_stats *stats);

/*
 * Write the JA3 string "version,ciphers,extensions,groups,formats" (client)
 * or JA3S "version,cipher,extensions" (server) of h into out[0 .. cap-1],
 * NUL-terminated (truncated when cap is short). Returns the full length.
 */
size_t mos_tls_fingerprint(const struct mos_tls_hello *h, char *out, size_t cap);

/*
 * Write the JA4 fingerprint (FoxIO JA4 spec, TCP) of a ClientHello into
 * out[37]: "t" + version + d/i + cipher and extension counts + ALPN marker,
 * then the first 12 hex digits of SHA-256 of the sorted cipher list and of the
 * sorted extension list (SNI and ALPN left out) + signature algorithms.
 * Lists capped by MOS_TLS_MAX_* give a partial fingerprint (flagged).
 */
void mos_tls_ja4(const struct mos_tls_hello *h, char out[37]);

/* True for the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ... 0xfafa). */
bool mos_tls_is_grease(uint16_t v);

const char *mos_tls_error_name(enum mos_tls_error e);
const char *mos_tls_anomaly_name(enum mos_tls_anomaly a);

#endif /* MOS_PARSERS_TLS_H */
