/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/md5.h — a small self-contained MD5 (RFC 1321), used for JA3-style
 * TLS fingerprints. Not for security purposes.
 */
#ifndef MOS_PARSERS_MD5_H
#define MOS_PARSERS_MD5_H

#include <stddef.h>
#include <stdint.h>

/* Streaming context. */
struct mos_md5 {
	uint32_t h[4];          /* chaining state A, B, C, D */
	uint64_t len;           /* bytes hashed so far */
	uint8_t buf[64];        /* partial block */
	uint32_t buf_len;       /* bytes in buf */
};

/* Start, add bytes, finish into 16 bytes. Thread-safe per context. */
void mos_md5_init(struct mos_md5 *m);
void mos_md5_update(struct mos_md5 *m, const void *data, size_t len);
void mos_md5_final(struct mos_md5 *m, uint8_t out[16]);

/* One-shot digest of data[0 .. len-1]. */
void mos_md5_digest(const void *data, size_t len, uint8_t out[16]);

/* Lower-case hex of a digest into out (33 bytes, NUL-terminated). */
void mos_md5_hex(const uint8_t digest[16], char out[33]);

#endif /* MOS_PARSERS_MD5_H */
