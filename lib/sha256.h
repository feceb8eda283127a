/*
 * sha256: FIPS 180-4 SHA-256, for the `messages.sha256` provenance column
 * and exact-duplicate detection. Small and dependency-free on purpose: no
 * crypto library is pulled in for a checksum.
 */
#ifndef WT_SHA256_H
#define WT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* One-shot digest as 64 lower-case hex characters plus NUL. */
void sha256_hex(const void *data, size_t n, char out[65]);

#endif
