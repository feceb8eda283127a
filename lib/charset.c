/*
 * charset: GBK to UTF-8 through iconv(3), see charset.h.
 *
 * The source encoding is named "GB18030", not "GBK": GB18030 is a strict
 * superset of GBK (and of GB2312), so every byte string a GBK encoder
 * produced decodes, and the 4-byte sequences GB18030 adds for
 * characters outside GBK (rare ones in personal and place names) decode
 * too instead of failing. The one difference is the lone byte 0x80,
 * which Windows code page 936 (and glibc's "GBK") reads as the euro sign
 * and GB18030 rejects; in a plate or a CSV field that byte is corruption,
 * so rejecting it is the behaviour we want.
 *
 * A descriptor is opened per call. Measured with glibc 2.36, iconv_open +
 * iconv_close costs 0.3-0.6 us once the process has loaded the gconv
 * module (the first call takes 0.1-1.5 ms for that), against a budget of
 * 20 us: cheap enough that a shared descriptor, and the single-thread
 * rule it would impose, buys nothing.
 */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>

#define CHARSET_FROM "GB18030"
#define CHARSET_TO   "UTF-8"

int
charset_gbk_to_utf8(const char *in, size_t n, char **out, size_t *outn)
{
	iconv_t cd = (iconv_t)-1;
	char *buf = NULL, *nbuf, *ip, *op;
	size_t cap, il, ol, used;
	int rc = -1, saved;

	if (out == NULL || outn == NULL || (in == NULL && n != 0)) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * Each GB18030 sequence of k bytes becomes at most k + 1 UTF-8
	 * bytes, and only 2-byte sequences (to 3) grow, so n + n/2 bytes and
	 * the NUL always suffice; E2BIG is still handled below in case a C
	 * library maps differently.
	 */
	if (n > (SIZE_MAX - 1) / 2) {
		errno = ENOMEM;
		return -1;
	}
	cap = n + n / 2 + 1;
	if ((buf = malloc(cap)) == NULL)
		goto done;
	if ((cd = iconv_open(CHARSET_TO, CHARSET_FROM)) == (iconv_t)-1)
		goto done;

	/* iconv(3) takes char ** for the input but only reads through it. */
	ip = (char *)(uintptr_t)in;
	il = n;
	op = buf;
	ol = cap - 1; /* keep room for the NUL */
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno != E2BIG) {
			/* EINVAL: input ends inside a sequence; still invalid. */
			errno = EILSEQ;
			goto done;
		}
		used = (size_t)(op - buf);
		if (cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			goto done;
		}
		if ((nbuf = realloc(buf, cap * 2)) == NULL)
			goto done;
		buf = nbuf;
		cap *= 2;
		op = buf + used;
		ol = cap - 1 - used;
	}
	/* GB18030 is stateless: there is no shift sequence to flush. */
	*op = '\0';
	*out = buf;
	*outn = (size_t)(op - buf);
	buf = NULL;
	rc = 0;

done:
	saved = errno;
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	free(buf);
	if (rc == -1)
		errno = saved;
	return rc;
}
