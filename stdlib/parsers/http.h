/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/http.h — incremental HTTP/1.x message-header parser for reassembled
 * TCP streams (companion C of the stdlib module `http`).
 *
 * One struct mos_http_conn per connection holds a parser per direction
 * (requests client→server, responses server→client) and a small queue of the
 * requests still waiting for their response (so a response to HEAD or CONNECT
 * is framed correctly). It is fixed-size and never allocates.
 *
 * Incremental contract (both directions):
 *  - the caller pushes the stream bytes in order, in chunks of any size, with
 *    mos_http_feed(); every byte is consumed exactly once and the parser never
 *    needs the caller to keep old bytes: field values are COPIED into the
 *    fixed-size fields of struct mos_http_request / mos_http_response
 *    (NUL-terminated, truncated when longer and flagged MOS_HTTP_F_TRUNC_*);
 *  - mos_http_feed() stops at each event and reports how many bytes it used;
 *    the caller calls it again on the rest of its chunk (even when nothing is
 *    left: an empty body's MOS_HTTP_MSG_END uses no byte) until it returns
 *    MOS_HTTP_NEED_MORE:
 *        MOS_HTTP_NEED_MORE  all bytes used, no event completed
 *        MOS_HTTP_REQUEST    a request header of req.header_len bytes ended at
 *                            the last used byte; fields are in conn->req
 *        MOS_HTTP_RESPONSE   same for a response (conn->resp); the header-less
 *                            answer to an HTTP/0.9 request is a response of
 *                            status 0 and header_len 0
 *        MOS_HTTP_MSG_END    the message body ended (also for empty bodies), so
 *                            the next byte starts the next message (pipelining)
 *        MOS_HTTP_ERROR      malformed or over a limit; dir->error names why.
 *                            The direction then skips bytes until a line that
 *                            starts like a request/status line (resync) when
 *                            resync is on, else it ignores the rest.
 *  - gaps (bytes lost by reassembly) are announced with mos_http_gap();
 *    end of stream (FIN) with mos_http_eof() (ends read-until-close bodies).
 * Fields of the last message stay valid until the next header starts.
 *
 * Thread-safety: a conn (and the stats it points to) belongs to one thread.
 */
#ifndef MOS_PARSERS_HTTP_H
#define MOS_PARSERS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes of the copied fields, NUL included (override at build time). */
#ifndef MOS_HTTP_METHOD_MAX
#define MOS_HTTP_METHOD_MAX 16
#endif
#ifndef MOS_HTTP_URI_MAX
#define MOS_HTTP_URI_MAX    2048
#endif
#ifndef MOS_HTTP_HOST_MAX
#define MOS_HTTP_HOST_MAX   256
#endif
#ifndef MOS_HTTP_UA_MAX
#define MOS_HTTP_UA_MAX     256
#endif
#ifndef MOS_HTTP_REFERER_MAX
#define MOS_HTTP_REFERER_MAX 256
#endif
#ifndef MOS_HTTP_CTYPE_MAX
#define MOS_HTTP_CTYPE_MAX  64
#endif
#ifndef MOS_HTTP_REASON_MAX
#define MOS_HTTP_REASON_MAX 64
#endif
/* Requests remembered while their responses are outstanding (pipelining). */
#ifndef MOS_HTTP_PENDING_MAX
#define MOS_HTTP_PENDING_MAX 16
#endif

/* Default limits (struct mos_http_limits). */
#define MOS_HTTP_DEF_MAX_HEADER_BYTES 16384
#define MOS_HTTP_DEF_MAX_HEADERS      100
#define MOS_HTTP_DEF_MAX_FIELD_LEN    8192

/* Fatal outcomes of one direction, one X(ID, "name") each; names are stable. */
#define MOS_HTTP_ERRORS(X)                                              \
	X(BAD_START_LINE,        "bad_start_line")                      \
	X(BAD_VERSION,           "bad_version")                         \
	X(BAD_STATUS,            "bad_status")                          \
	X(BAD_FIELD,             "bad_field")                           \
	X(BAD_LINE_END,          "bad_line_end")                        \
	X(BAD_CONTENT_LENGTH,    "bad_content_length")                  \
	X(BAD_TRANSFER_ENCODING, "bad_transfer_encoding")               \
	X(BAD_CHUNK,             "bad_chunk")                           \
	X(HEADER_TOO_LONG,       "header_too_long")                     \
	X(TOO_MANY_HEADERS,      "too_many_headers")                    \
	X(FIELD_TOO_LONG,        "field_too_long")                      \
	X(GAP,                   "gap")

/* Non-fatal anomalies, counted; parsing goes on. */
#define MOS_HTTP_ANOMALIES(X)                                           \
	X(TRUNCATED_FIELD,       "truncated_field")                     \
	X(TE_AND_CL,             "te_and_cl")                           \
	X(OBS_FOLD,              "obs_fold")                            \
	X(BARE_LF,               "bare_lf")                             \
	X(LEADING_EMPTY_LINE,    "leading_empty_line")                  \
	X(PENDING_OVERFLOW,      "pending_overflow")                    \
	X(RESPONSE_WITHOUT_REQUEST, "response_without_request")         \
	X(RESYNC,                "resync")

#define MOS_HTTP_X_ENUM(id, name) MOS_HTTP_ERR_##id,
enum mos_http_error {
	MOS_HTTP_ERR_NONE = 0,
	MOS_HTTP_ERRORS(MOS_HTTP_X_ENUM)
	MOS_HTTP_ERR__COUNT
};
#undef MOS_HTTP_X_ENUM
#define MOS_HTTP_X_ENUM(id, name) MOS_HTTP_ANOM_##id,
enum mos_http_anomaly {
	MOS_HTTP_ANOMALIES(MOS_HTTP_X_ENUM)
	MOS_HTTP_ANOM__COUNT
};
#undef MOS_HTTP_X_ENUM

/* What mos_http_feed()/mos_http_gap()/mos_http_eof() report. */
enum mos_http_event {
	MOS_HTTP_NEED_MORE = 0,
	MOS_HTTP_REQUEST,
	MOS_HTTP_RESPONSE,
	MOS_HTTP_MSG_END,
	MOS_HTTP_ERROR,
};

enum mos_http_dir_id {
	MOS_HTTP_DIR_REQUEST = 0,   /* client → server */
	MOS_HTTP_DIR_RESPONSE = 1,  /* server → client */
};

/* Methods the parser recognises (others are MOS_HTTP_M_OTHER, text kept). */
enum mos_http_method {
	MOS_HTTP_M_OTHER = 0,
	MOS_HTTP_M_GET,
	MOS_HTTP_M_HEAD,
	MOS_HTTP_M_POST,
	MOS_HTTP_M_PUT,
	MOS_HTTP_M_DELETE,
	MOS_HTTP_M_CONNECT,
	MOS_HTTP_M_OPTIONS,
	MOS_HTTP_M_TRACE,
	MOS_HTTP_M_PATCH,
};

/* Message flags (request and response). */
#define MOS_HTTP_F_HAS_CL        0x0001u /* Content-Length present and valid */
#define MOS_HTTP_F_CHUNKED       0x0002u /* Transfer-Encoding ends in chunked */
#define MOS_HTTP_F_TE_OTHER      0x0004u /* Transfer-Encoding without final chunked */
#define MOS_HTTP_F_CONN_CLOSE    0x0008u /* Connection: close */
#define MOS_HTTP_F_CONN_KA       0x0010u /* Connection: keep-alive */
#define MOS_HTTP_F_KEEP_ALIVE    0x0020u /* connection persists after it (version + Connection) */
#define MOS_HTTP_F_UPGRADE       0x0040u /* Connection: upgrade */
#define MOS_HTTP_F_TUNNEL        0x0080u /* after this message the direction is opaque */
#define MOS_HTTP_F_UNTIL_CLOSE   0x0100u /* body delimited by the end of the stream */
#define MOS_HTTP_F_NO_BODY       0x0200u /* no body by rule (HEAD, 1xx, 204, 304) */
#define MOS_HTTP_F_HTTP09        0x0400u /* HTTP/0.9: request line "GET /x", or its answer
					  * (no header: status 0, body until close) */
#define MOS_HTTP_F_TRUNC_METHOD  0x1000u /* copied field shorter than the value */
#define MOS_HTTP_F_TRUNC_URI     0x2000u
#define MOS_HTTP_F_TRUNC_HOST    0x4000u
#define MOS_HTTP_F_TRUNC_UA      0x8000u
#define MOS_HTTP_F_TRUNC_REASON  0x10000u
#define MOS_HTTP_F_TRUNC_REFERER 0x20000u
#define MOS_HTTP_F_TRUNC_CTYPE   0x40000u
#define MOS_HTTP_F_BODY_GAP      0x80000u /* body_len includes bytes lost in gaps */
#define MOS_HTTP_F_CONTENT_ENCODED 0x100000u /* Content-Encoding other than identity
					  * (body_len counts encoded bytes) */

/* The last request header parsed in the request direction. */
struct mos_http_request {
	uint64_t stream_offset;             /* offset of its first byte in the stream */
	uint64_t content_length;            /* valid when MOS_HTTP_F_HAS_CL */
	uint64_t body_len;                  /* body bytes so far (chunk data only), final at MSG_END */
	uint32_t header_len;                /* bytes of start line + fields + empty line */
	uint32_t flags;                     /* MOS_HTTP_F_* */
	uint16_t header_count;              /* field lines */
	uint16_t referer_len;               /* bytes in referer[] */
	uint16_t ctype_len;                 /* bytes in content_type[] */
	uint16_t method_len;                /* bytes in method[] (without NUL) */
	uint16_t uri_len;                   /* bytes in uri[] */
	uint16_t host_len;                  /* bytes in host[] */
	uint16_t ua_len;                    /* bytes in user_agent[] */
	uint8_t method_id;                  /* enum mos_http_method */
	uint8_t version_major;              /* 1 for HTTP/1.x, 0 for HTTP/0.9 */
	uint8_t version_minor;              /* 0 or 1 (9 for HTTP/0.9) */
	char method[MOS_HTTP_METHOD_MAX];   /* NUL-terminated copies */
	char uri[MOS_HTTP_URI_MAX];         /* request-target as sent */
	char host[MOS_HTTP_HOST_MAX];       /* first Host field, OWS trimmed */
	char user_agent[MOS_HTTP_UA_MAX];   /* first User-Agent field */
	char referer[MOS_HTTP_REFERER_MAX]; /* first Referer field */
	char content_type[MOS_HTTP_CTYPE_MAX]; /* first Content-Type field */
};

/* The last response header parsed in the response direction. */
struct mos_http_response {
	uint64_t stream_offset;             /* offset of its first byte in the stream */
	uint64_t content_length;            /* valid when MOS_HTTP_F_HAS_CL */
	uint64_t body_len;                  /* body bytes so far (chunk data only), final at MSG_END */
	uint32_t header_len;                /* bytes of status line + fields + empty line */
	uint32_t flags;                     /* MOS_HTTP_F_* */
	uint16_t header_count;              /* field lines */
	uint16_t ctype_len;                 /* bytes in content_type[] */
	uint16_t status;                    /* 3-digit status code */
	uint16_t reason_len;                /* bytes in reason[] */
	uint8_t version_major;              /* 1 for HTTP/1.x */
	uint8_t version_minor;              /* 0 or 1 */
	uint8_t request_method_id;          /* method of the request it answers (or OTHER) */
	char reason[MOS_HTTP_REASON_MAX];   /* reason phrase, NUL-terminated */
	char content_type[MOS_HTTP_CTYPE_MAX]; /* first Content-Type field */
};

/* Limits; 0 in a field means its default. */
struct mos_http_limits {
	uint32_t max_header_bytes;  /* start line + fields + empty line, also trailers */
	uint32_t max_headers;       /* field lines per header (and per trailer section) */
	uint32_t max_field_len;     /* bytes of one line (start line, field, chunk line) */
};

/* Counters, usually one per worker core, shared by many conns. */
struct mos_http_stats {
	uint64_t requests;                          /* request headers parsed */
	uint64_t responses;                         /* response headers parsed */
	uint64_t messages;                          /* message ends */
	uint64_t errors[MOS_HTTP_ERR__COUNT];       /* by enum mos_http_error */
	uint64_t anomalies[MOS_HTTP_ANOM__COUNT];   /* by enum mos_http_anomaly */
};

/* Parser state of one direction (internal fields, read-only for users
 * except error). */
struct mos_http_dir {
	uint64_t offset;            /* stream bytes consumed so far (gaps included) */
	uint64_t remaining;         /* body or chunk bytes left */
	uint32_t hdr_bytes;         /* bytes of the current header/trailer section */
	uint32_t line_len;          /* bytes of the current line */
	uint32_t num;               /* Content-Length value being parsed */
	uint16_t hdr_count;         /* field lines of the current section */
	uint8_t state;              /* internal state (enum in http.c) */
	uint8_t field;              /* field being read (internal enum) */
	uint8_t error;              /* enum mos_http_error of the last error */
	uint8_t prev;               /* previous byte (bare LF, CR handling) */
	uint8_t name_len;           /* bytes in name[] / tok[] */
	uint8_t aux;                /* small per-state counter */
	bool cl_seen;               /* a Content-Length field was seen */
	bool te_seen;               /* a Transfer-Encoding field was seen */
	bool te_chunked_last;       /* last transfer coding seen is chunked */
	bool resync;                /* skip to next plausible start line after an error */
	char name[24];              /* lower-cased field name / token / resync prefix */
	uint64_t cl_value;          /* Content-Length of the current header */
	uint64_t num64;             /* Content-Length item being parsed */
};

/* Both directions of one connection. */
struct mos_http_conn {
	struct mos_http_dir dir[2];             /* indexed by enum mos_http_dir_id */
	struct mos_http_request req;            /* last request header */
	struct mos_http_response resp;          /* last response header */
	struct mos_http_limits lim;             /* effective limits */
	struct mos_http_stats *stats;           /* counters or NULL */
	uint8_t pending[MOS_HTTP_PENDING_MAX];  /* methods awaiting a response (ring) */
	uint8_t pend_head;                      /* ring index of the oldest */
	uint8_t pend_count;                     /* entries in the ring */
};

/*
 * Initialise a connection. lim may be NULL (defaults); zero fields take their
 * default. stats may be NULL. resync: after an error, look for the next line
 * that looks like a request line (known method + SP) or status line
 * ("HTTP/1.") and continue there (also picks up midstream connections).
 */
void mos_http_init(struct mos_http_conn *c, const struct mos_http_limits *lim,
		   struct mos_http_stats *stats, bool resync);

/*
 * Push bytes of direction d. Uses data[0 .. *used-1]; returns the event that
 * stopped it (see the contract at the top). *used == len when it returns
 * MOS_HTTP_NEED_MORE. Never reads outside data[0 .. len-1].
 */
enum mos_http_event mos_http_feed(struct mos_http_conn *c, enum mos_http_dir_id d,
				  const uint8_t *data, size_t len, size_t *used);

/*
 * n stream bytes of direction d were lost. Inside a body with known length the
 * parser just skips them (may return MOS_HTTP_MSG_END); anywhere else it is
 * MOS_HTTP_ERROR with error gap (then resync as after any error).
 */
enum mos_http_event mos_http_gap(struct mos_http_conn *c, enum mos_http_dir_id d,
				 uint64_t n);

/*
 * Direction d ended (FIN/RST). Returns MOS_HTTP_MSG_END when that ends a
 * read-until-close body, else MOS_HTTP_NEED_MORE (a header or body cut short
 * completes nothing). Further bytes of d are ignored.
 */
enum mos_http_event mos_http_eof(struct mos_http_conn *c, enum mos_http_dir_id d);

/* True when direction d became opaque (CONNECT tunnel, 101 upgrade). */
bool mos_http_in_tunnel(const struct mos_http_conn *c, enum mos_http_dir_id d);

/* Stable names ("bad_chunk", ...) of errors and anomalies; "?" if unknown. */
const char *mos_http_error_name(enum mos_http_error e);
const char *mos_http_anomaly_name(enum mos_http_anomaly a);
const char *mos_http_method_name(enum mos_http_method m);

#endif /* MOS_PARSERS_HTTP_H */
