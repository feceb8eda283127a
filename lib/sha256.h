/*
 * sha256: SHA-256 for the `messages.sha256` provenance column, exact
 * duplicate detection and version fingerprints, computed by libcrypto
 * (already linked through paho's TLS), which uses the CPU's SHA
 * instructions where there are any: 0.4 µs instead of 1.6 µs for a
 * 300-byte payload here (docs/benchmark.md).
 *
 * Every function returns 0, or -1 when libcrypto cannot allocate or has
 * no SHA-256 (logged once); the digest is then undefined.
 */
#ifndef WT_SHA256_H
#define WT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"

/* An incremental digest; sha256_final() releases it, whatever happened. */
struct sha256 {
	void *ctx; /* EVP_MD_CTX */
	int failed;
};

int sha256_init(struct sha256 *s) WT_MUST_CHECK;
void sha256_update(struct sha256 *s, const void *data, size_t n);
int sha256_final(struct sha256 *s, uint8_t out[32]) WT_MUST_CHECK;
/* One-shot digest. */
int sha256(const void *data, size_t n, uint8_t out[32]) WT_MUST_CHECK;
/* One-shot digest as 64 lower-case hex characters plus NUL. */
int sha256_hex(const void *data, size_t n, char out[65]) WT_MUST_CHECK;
/* 32 bytes as 64 lower-case hex characters plus NUL. */
void sha256_to_hex(const uint8_t d[32], char out[65]);

#endif
