/* diag: see diag.h. */
#include "diag.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOMEM_LINE "out of memory\n"
#define CAP_MIN	   256

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

/*
 * Room for more bytes, plus the "out of memory" line and the NUL: every
 * growth keeps that much spare, so the line still fits when a later growth
 * fails.
 */
static int
reserve(struct diag *d, size_t more)
{
	size_t need, cap;
	char *p;

	if (more > SIZE_MAX / 2 - d->len - sizeof(NOMEM_LINE))
		return -1;
	need = d->len + more + sizeof(NOMEM_LINE);
	if (d->buf != NULL && need <= d->cap)
		return 0;
	cap = need < CAP_MIN ? CAP_MIN : need * 2;
	if (d->realloc_fn != NULL)
		p = d->realloc_fn(d->buf, cap);
	else
		p = realloc(d->buf, cap);
	if (p == NULL)
		return -1;
	d->buf = p;
	d->cap = cap;
	return 0;
}

/* Append "[FILE:LINE:COL: ]message\n"; file NULL and pos 0: no prefix. */
static void
append(struct diag *d, int pos, const char *file, size_t line, size_t col,
    const char *fmt, va_list ap)
{
	va_list aq;
	int np = 0, nm;

	d->n++;
	/* After a loss the text would read as complete but skip one. */
	if (d->nomem)
		return;
	if (file == NULL)
		file = "?";
	if (pos)
		np = snprintf(NULL, 0, "%s:%zu:%zu: ", file, line, col);
	va_copy(aq, ap);
	nm = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (np < 0 || nm < 0 || reserve(d, (size_t)np + (size_t)nm + 1) == -1) {
		d->nomem = 1;
		return;
	}
	if (pos)
		(void)snprintf(d->buf + d->len, d->cap - d->len,
		    "%s:%zu:%zu: ", file, line, col);
	d->len += (size_t)np;
	(void)vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap);
	d->len += (size_t)nm;
	d->buf[d->len++] = '\n';
	d->buf[d->len] = '\0';
}

void
diag_vat(struct diag *d, const char *file, size_t line, size_t col,
    const char *fmt, va_list ap)
{
	append(d, 1, file, line, col, fmt, ap);
}

void
diag_at(struct diag *d, const char *file, size_t line, size_t col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(d, 1, file, line, col, fmt, ap);
	va_end(ap);
}

void
diag_line(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(d, 0, NULL, 0, 0, fmt, ap);
	va_end(ap);
}

void
diag_vline(struct diag *d, const char *fmt, va_list ap)
{
	append(d, 0, NULL, 0, 0, fmt, ap);
}

void
diag_nomem(struct diag *d)
{
	d->n++;
	d->nomem = 1;
}

size_t
diag_count(const struct diag *d)
{
	return d->n;
}

char *
diag_take(struct diag *d)
{
	char *text = NULL;

	if (d->n == 0)
		goto done;
	/* Only an empty buffer can lack the room reserve() keeps. */
	if (d->nomem && d->buf == NULL && reserve(d, 0) == -1)
		goto done;
	if (d->nomem)
		memcpy(d->buf + d->len, NOMEM_LINE, sizeof(NOMEM_LINE));
	text = d->buf;
	d->buf = NULL;
done:
	diag_free(d);
	return text;
}

void
diag_free(struct diag *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = d->n = 0;
	d->nomem = 0;
}
