/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/ssh.h — incremental SSH identification-string parser (RFC 4253
 * §4.2) for either direction of a reassembled TCP stream (companion C of the
 * stdlib module `ssh`).
 *
 *     SSH-protoversion-softwareversion SP comments CR LF
 *
 * Lines before the identification line (allowed from servers) are skipped and
 * counted, up to MOS_SSH_MAX_PRE_LINES. Lines end at LF (a CR before it is
 * dropped; RFC 4253 asks to accept LF alone). A line, CR LF included, is at
 * most MOS_SSH_LINE_MAX bytes (255 by the RFC).
 *
 * Incremental contract: push bytes in order with mos_ssh_feed(); it stops at
 * an event and says how many bytes it used: MOS_SSH_NEED_MORE (all used),
 * MOS_SSH_BANNER (dir->banner filled), MOS_SSH_ERROR (dir->error). After the
 * banner or an error the direction skips everything. Fixed size, no
 * allocation; the bytes of the current line are kept in the state, so the
 * caller keeps nothing.
 *
 * Thread-safety: a dir (and its stats) belongs to one thread.
 */
#ifndef MOS_PARSERS_SSH_H
#define MOS_PARSERS_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOS_SSH_LINE_MAX      255   /* bytes of one line, CR LF included */
#define MOS_SSH_MAX_PRE_LINES 32    /* lines accepted before the SSH- line */
#define MOS_SSH_PROTO_MAX     16    /* protoversion copy, NUL included */

#define MOS_SSH_ERRORS(X)                                               \
	X(NOT_SSH,        "not_ssh")         /* binary or too many pre-lines */ \
	X(LINE_TOO_LONG,  "line_too_long")                              \
	X(BAD_BANNER,     "bad_banner")      /* SSH- line without proto/software */ \
	X(GAP,            "gap")

#define MOS_SSH_X_ENUM(id, name) MOS_SSH_ERR_##id,
enum mos_ssh_error {
	MOS_SSH_ERR_NONE = 0,
	MOS_SSH_ERRORS(MOS_SSH_X_ENUM)
	MOS_SSH_ERR__COUNT
};
#undef MOS_SSH_X_ENUM

enum mos_ssh_event {
	MOS_SSH_NEED_MORE = 0,
	MOS_SSH_BANNER,
	MOS_SSH_ERROR,
};

struct mos_ssh_banner {
	uint64_t stream_offset;                 /* offset of the "SSH-" line */
	uint16_t pre_lines;                     /* lines skipped before it */
	uint16_t proto_len;                     /* bytes in proto[] */
	uint16_t software_len;                  /* bytes in software[] */
	uint16_t comments_len;                  /* bytes in comments[] */
	bool proto_truncated;                   /* proto[] shorter than sent */
	char proto[MOS_SSH_PROTO_MAX];          /* "2.0", "1.99", ... */
	char software[MOS_SSH_LINE_MAX];        /* "OpenSSH_9.2p1" */
	char comments[MOS_SSH_LINE_MAX];        /* after the first SP, may be empty */
};

struct mos_ssh_stats {
	uint64_t banners;                       /* identification lines parsed */
	uint64_t pre_lines;                     /* lines skipped before them */
	uint64_t errors[MOS_SSH_ERR__COUNT];    /* by enum mos_ssh_error */
};

struct mos_ssh_dir {
	uint64_t offset;                        /* stream bytes consumed */
	uint64_t line_offset;                   /* stream offset of the current line */
	uint16_t line_len;                      /* bytes in line[] */
	uint16_t pre_lines;                     /* lines seen before the banner */
	uint8_t state;                          /* internal (enum in ssh.c) */
	uint8_t error;                          /* enum mos_ssh_error */
	struct mos_ssh_stats *stats;            /* counters or NULL */
	char line[MOS_SSH_LINE_MAX];            /* current line without LF */
	struct mos_ssh_banner banner;           /* result */
};

/* Initialise a direction; stats may be NULL. */
void mos_ssh_init(struct mos_ssh_dir *s, struct mos_ssh_stats *stats);

/* Push bytes; see the contract above. *used == len on NEED_MORE. */
enum mos_ssh_event mos_ssh_feed(struct mos_ssh_dir *s, const uint8_t *data, size_t len,
				size_t *used);

/* n bytes lost: an error before the banner, nothing after. */
enum mos_ssh_event mos_ssh_gap(struct mos_ssh_dir *s, uint64_t n);

/* Parse one complete identification line (no LF; a final CR is allowed)
 * into *b. Returns 0 or -EBADMSG. Pure. */
int mos_ssh_parse_line(const char *line, size_t len, struct mos_ssh_banner *b);

const char *mos_ssh_error_name(enum mos_ssh_error e);

#endif /* MOS_PARSERS_SSH_H */
