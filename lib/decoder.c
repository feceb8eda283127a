/* decoder: see decoder.h. */
#include "decoder.h"

#include <stdarg.h>
#include <stdio.h>

int
decoder_fail(struct decode_err *err, const char *reason, const char *fmt, ...)
{
	va_list ap;

	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

size_t
decoder_begin(struct ev_list *out, struct decode_err *err)
{
	err->reason = NULL;
	err->detail[0] = '\0';
	return out->n;
}

int
decoder_end(int rc, struct ev_list *out, size_t first)
{
	if (rc == -1)
		ev_list_truncate(out, first);
	return rc;
}
