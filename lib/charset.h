/*
 * charset: transcoding of the GBK bytes that legacy sources still send
 * (JT/T 808 registration plates, weighbridge CSV lines) into the UTF-8
 * that everything past the parser works in.
 * Uses the C library's iconv(3); no global state, safe on any thread.
 */
#ifndef WT_CHARSET_H
#define WT_CHARSET_H

#include <stddef.h>

#include "attr.h"

/*
 * Transcode the n bytes at in from GBK (read as GB18030, its superset)
 * to UTF-8. On success *out is a malloc'd, NUL-terminated string the
 * caller frees, *outn its length without the NUL (embedded NULs are
 * copied, so use *outn rather than strlen), and 0 is returned; n == 0
 * gives "". On failure returns -1 with *out and *outn untouched and errno
 * EILSEQ for an invalid or truncated sequence, ENOMEM, or EINVAL if the
 * C library has no GB18030 converter. in may be NULL only when n is 0.
 * Bytes that are already UTF-8 are often valid GBK as well and come out
 * as mojibake, not as an error: try norm_utf8_valid() first.
 */
int charset_gbk_to_utf8(const char *in, size_t n, char **out,
    size_t *outn) WT_MUST_CHECK;

#endif
