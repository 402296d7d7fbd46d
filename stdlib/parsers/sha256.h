/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/sha256.h — a small self-contained SHA-256 (FIPS 180-4), used for
 * JA4 TLS fingerprints.
 */
#ifndef MOS_PARSERS_SHA256_H
#define MOS_PARSERS_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Streaming context. */
struct mos_sha256 {
	uint32_t h[8];          /* chaining state */
	uint64_t len;           /* bytes hashed so far */
	uint8_t buf[64];        /* partial block */
	uint32_t buf_len;       /* bytes in buf */
};

/* Start, add bytes, finish into 32 bytes. Thread-safe per context. */
void mos_sha256_init(struct mos_sha256 *s);
void mos_sha256_update(struct mos_sha256 *s, const void *data, size_t len);
void mos_sha256_final(struct mos_sha256 *s, uint8_t out[32]);

/* One-shot digest of data[0 .. len-1]. */
void mos_sha256_digest(const void *data, size_t len, uint8_t out[32]);

#endif /* MOS_PARSERS_SHA256_H */
