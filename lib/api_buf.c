/* api_buf: see api_buf.h. */
#include "api_buf.h"

#include "norm.h"
#include "store.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
put(struct api_buf *b, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = (b->cap ? b->cap * 2 : 4096) + n;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
puts_(struct api_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Before a value or a key: the comma its predecessor needs. */
static void
pre(struct api_buf *b)
{
	if (b->after_key) {
		b->after_key = 0;
		return;
	}
	if (b->depth > 0 && !b->first[b->depth])
		put(b, ",", 1);
	b->first[b->depth] = 0;
}

void
api_buf_open(struct api_buf *b, char c)
{
	pre(b);
	put(b, &c, 1);
	if (b->depth == API_BUF_DEPTH) {
		b->failed = 1; /* a bug of ours: fail rather than mis-nest */
		return;
	}
	b->first[++b->depth] = 1;
}

void
api_buf_close(struct api_buf *b, char c)
{
	put(b, &c, 1);
	if (b->depth > 0)
		b->depth--;
}

static void
quoted(struct api_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int utf8 = norm_utf8_valid(s, strlen(s));
	char esc[8];

	put(b, "\"", 1);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			puts_(b, esc);
		} else if (*p >= 0x80 && !utf8)
			puts_(b, "\\ufffd");
		else
			put(b, (const char *)p, 1);
	}
	put(b, "\"", 1);
}

void
api_buf_key(struct api_buf *b, const char *k)
{
	pre(b);
	quoted(b, k);
	put(b, ":", 1);
	b->after_key = 1;
}

void
api_buf_str(struct api_buf *b, const char *s)
{
	pre(b);
	if (s == NULL)
		puts_(b, "null");
	else
		quoted(b, s);
}

void
api_buf_num(struct api_buf *b, double v)
{
	char s[32];

	pre(b);
	if (!isfinite(v)) {
		puts_(b, "null");
		return;
	}
	/* The shortest of the two that reads back as the same double:
	 * 0.41, not 0.40999999999999998. */
	snprintf(s, sizeof(s), "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof(s), "%.17g", v);
	puts_(b, s);
}

void
api_buf_int(struct api_buf *b, int64_t v)
{
	char s[24];

	pre(b);
	snprintf(s, sizeof(s), "%" PRId64, v);
	puts_(b, s);
}

void
api_buf_bool(struct api_buf *b, int v)
{
	pre(b);
	puts_(b, v ? "true" : "false");
}

void
api_buf_null(struct api_buf *b)
{
	pre(b);
	puts_(b, "null");
}

void
api_buf_raw(struct api_buf *b, const char *json)
{
	pre(b);
	puts_(b, json);
}

void
api_buf_value(struct api_buf *b, const struct store_value *v)
{
	switch (v->type) {
	case STORE_V_INT:
		api_buf_int(b, v->i);
		break;
	case STORE_V_REAL:
		api_buf_num(b, v->r);
		break;
	case STORE_V_TEXT:
		api_buf_str(b, v->s);
		break;
	case STORE_V_NULL:
		api_buf_null(b);
		break;
	}
}

size_t
api_buf_mark(const struct api_buf *b)
{
	return b->len;
}

char *
api_buf_take(struct api_buf *b)
{
	char *p = b->failed ? NULL : b->p;

	if (b->failed)
		free(b->p);
	if (p == NULL && !b->failed)
		p = strdup("");
	memset(b, 0, sizeof(*b));
	return p;
}

void
api_buf_free(struct api_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
