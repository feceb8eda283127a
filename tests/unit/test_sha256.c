/*
 * sha256: the FIPS 180-4 example vectors, the one-shot and incremental
 * forms agreeing over odd piece sizes, and a million-byte input.
 */
#include "check.h"
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

static void
test_vectors(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "",
		    "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855" },
		{ "abc",
		    "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[65];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK(sha256_hex(v[i].in, strlen(v[i].in), hex) == 0);
		CHECK_STR(hex, v[i].out);
	}
}

/* One million 'a': the standard's long example. Hashed whole and in
 * pieces of 1, 63, 64 and 65 bytes around the block size. */
static void
test_long_and_pieces(void)
{
	static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67"
				   "f1809a48a497200e046d39ccc7112cd0";
	static const size_t piece[] = { 1, 63, 64, 65, 4096 };
	size_t n = 1000000, i, off;
	struct sha256 h;
	uint8_t d[32];
	char hex[65], *a;

	if ((a = malloc(n)) == NULL)
		abort();
	memset(a, 'a', n);
	CHECK(sha256(a, n, d) == 0);
	sha256_to_hex(d, hex);
	CHECK_STR(hex, want);
	for (i = 0; i < sizeof(piece) / sizeof(piece[0]); i++) {
		memset(d, 0, sizeof(d));
		CHECK(sha256_init(&h) == 0);
		for (off = 0; off < n; off += piece[i])
			sha256_update(&h, a + off,
			    n - off < piece[i] ? n - off : piece[i]);
		CHECK(sha256_final(&h, d) == 0);
		sha256_to_hex(d, hex);
		CHECK_STR(hex, want);
	}
	free(a);
}

int
main(void)
{
	test_vectors();
	test_long_and_pieces();
	return check_result("test_sha256");
}
