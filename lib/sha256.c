/*
 * sha256: see sha256.h. The algorithm is fetched once from libcrypto's
 * default provider; fetching it per call (EVP_sha256()) costs as much as
 * hashing a small payload.
 */
#include "sha256.h"

#include "log.h"

#include <openssl/evp.h>
#include <threads.h>

static EVP_MD *md;
static once_flag md_once = ONCE_FLAG_INIT;

static void
md_fetch(void)
{
	if ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		log_warnx("sha256: libcrypto has no SHA-256");
}

static const EVP_MD *
sha256_md(void)
{
	call_once(&md_once, md_fetch);
	return md;
}

int
sha256_init(struct sha256 *s)
{
	const EVP_MD *m = sha256_md();

	s->failed = 0;
	if (m == NULL || (s->ctx = EVP_MD_CTX_new()) == NULL) {
		s->ctx = NULL;
		s->failed = 1;
		return -1;
	}
	if (EVP_DigestInit_ex2(s->ctx, m, NULL) != 1)
		s->failed = 1;
	return s->failed ? -1 : 0;
}

void
sha256_update(struct sha256 *s, const void *data, size_t n)
{
	if (!s->failed && EVP_DigestUpdate(s->ctx, data, n) != 1)
		s->failed = 1;
}

int
sha256_final(struct sha256 *s, uint8_t out[32])
{
	unsigned int len = 0;

	if (!s->failed && EVP_DigestFinal_ex(s->ctx, out, &len) != 1)
		s->failed = 1;
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
	return s->failed || len != 32 ? -1 : 0;
}

int
sha256(const void *data, size_t n, uint8_t out[32])
{
	const EVP_MD *m = sha256_md();
	unsigned int len = 0;

	if (m == NULL || EVP_Digest(data, n, out, &len, m, NULL) != 1 ||
	    len != 32)
		return -1;
	return 0;
}

void
sha256_to_hex(const uint8_t d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

int
sha256_hex(const void *data, size_t n, char out[65])
{
	uint8_t d[32];

	if (sha256(data, n, d) == -1)
		return -1;
	sha256_to_hex(d, out);
	return 0;
}
