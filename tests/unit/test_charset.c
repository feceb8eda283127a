/* test_charset: GBK to UTF-8 of lib/charset.c against charset.h. */
#include "check.h"
#include "charset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct cs_case {
	const char *in;
	size_t n;
	const char *want; /* UTF-8, NULL when the input is invalid */
	size_t wantn;
};

/* A byte-string literal and its length, embedded NULs included. */
#define B(lit) lit, sizeof(lit) - 1

static const struct cs_case cs_cases[] = {
	/* 吉A5G217: BC AA is 吉 in GBK */
	{ B("\xbc\xaa"
	    "A5G217"),
	    B("吉A5G217") },
	/* a legacy weighbridge CSV line with a GBK plate */
	{ B("T;ST02;0153;20230807;140322;142105;\xbc\xaa"
	    "A5G217;18070;"
	    "13320;4750;KG;CY;CHAOYANG-HWS;OP07;5C"),
	    B("T;ST02;0153;20230807;140322;142105;吉A5G217;18070;13320;4750;"
	      "KG;CY;CHAOYANG-HWS;OP07;5C") },
	{ B("\xbe\xa9"
	    "B1234\xb9\xd2"),
	    B("京B1234挂") },
	{ B("\xb3\xf8\xd3\xe0\xc0\xac\xbb\xf8"), B("厨余垃圾") },
	{ B("F;ST02;0153;20230807;140322;;JIA5G217;18070;;;KG;CY;"
	    "CHAOYANG-HWS;OP07;3A"),
	    B("F;ST02;0153;20230807;140322;;JIA5G217;18070;;;KG;CY;"
	      "CHAOYANG-HWS;OP07;3A") },
	{ B("line one\r\nline two\r\n"), B("line one\r\nline two\r\n") },
	{ B("A\0B"), B("A\0B") },	    /* NUL is copied, not an end */
	{ B("\x95\x34\xb2\x35"), B("𠮷") }, /* GB18030 4-byte, U+20BB7 */
	{ B("\xa2\xe3"), B("€") },	    /* GB18030's euro */
	{ B(""), B("") },
	/*
	 * UTF-8 input is often valid GBK too and comes out as mojibake, not
	 * as an error: callers try norm_utf8_valid() first, then transcode.
	 */
	{ B("\xe5\x90\x89"
	    "A5G217"),
	    B("鍚堿5G217") },
	/* invalid */
	{ B("\x81\x20"), NULL, 0 }, /* trail byte below 0x40 */
	{ B("\xff"), NULL, 0 },
	{ B("\x80"), NULL, 0 },		/* CP936 euro, not GB18030 */
	{ B("\xbc"), NULL, 0 },		/* truncated: lead byte at end */
	{ B("\x81\x30\x81"), NULL, 0 }, /* truncated 4-byte */
	{ B("\xbc\xaa"
	    "A\x81\x20"
	    "5G217"),
	    NULL, 0 },
};

static void
test_cases(void)
{
	const struct cs_case *c;
	char *out;
	size_t i, outn;
	int rc;

	for (i = 0; i < NELEM(cs_cases); i++) {
		c = &cs_cases[i];
		out = NULL;
		outn = 12345;
		errno = 0;
		rc = charset_gbk_to_utf8(c->in, c->n, &out, &outn);
		if (c->want == NULL) {
			CHECK_INT(rc, -1);
			CHECK_INT(errno, EILSEQ);
			CHECK(out == NULL);
			CHECK_INT(outn, 12345);
		} else {
			CHECK_INT(rc, 0);
			CHECK_INT(outn, c->wantn);
			CHECK(out != NULL && outn == c->wantn &&
			    memcmp(out, c->want, c->wantn) == 0);
			CHECK(out != NULL && out[outn] == '\0');
		}
		if (rc != (c->want == NULL ? -1 : 0))
			fprintf(stderr, "  charset case %zu\n", i);
		free(out);
	}
}

static void
test_edges(void)
{
	char *out, *in;
	size_t i, outn;

	/* n == 0 with no buffer at all */
	out = NULL;
	outn = 7;
	CHECK_INT(charset_gbk_to_utf8(NULL, 0, &out, &outn), 0);
	CHECK_STR(out, "");
	CHECK_INT(outn, 0);
	free(out);

	/* n bounds the read: the bytes after it are never looked at */
	out = NULL;
	CHECK_INT(charset_gbk_to_utf8("\xbc\xaa"
				      "A\xff",
		      3, &out, &outn),
	    0);
	CHECK_STR(out, "吉A");
	free(out);

	/* argument errors */
	errno = 0;
	CHECK_INT(charset_gbk_to_utf8(NULL, 1, &out, &outn), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(charset_gbk_to_utf8("a", 1, NULL, &outn), -1);
	CHECK_INT(charset_gbk_to_utf8("a", 1, &out, NULL), -1);

	/* all 2-byte sequences: the worst growth, 3 bytes out per 2 in */
	if ((in = malloc(2000)) == NULL)
		return;
	for (i = 0; i < 2000; i += 2) {
		in[i] = '\xbc';
		in[i + 1] = '\xaa';
	}
	out = NULL;
	CHECK_INT(charset_gbk_to_utf8(in, 2000, &out, &outn), 0);
	CHECK_INT(outn, 3000);
	for (i = 0; out != NULL && i < 3000; i += 3)
		if (memcmp(out + i, "吉", 3) != 0)
			break;
	CHECK_INT(i, 3000);
	CHECK(out != NULL && out[3000] == '\0');
	free(out);

	/* ... and with one ASCII byte in front, an odd length */
	in[0] = 'X';
	for (i = 1; i + 1 < 2000; i += 2) {
		in[i] = '\xbc';
		in[i + 1] = '\xaa';
	}
	out = NULL;
	CHECK_INT(charset_gbk_to_utf8(in, 1999, &out, &outn), 0);
	CHECK_INT(outn, 1 + 2997);
	CHECK(out != NULL && out[0] == 'X' && memcmp(out + 1, "吉", 3) == 0);
	free(out);
	free(in);
}

int
main(void)
{
	test_cases();
	test_edges();
	return check_result("test_charset");
}
