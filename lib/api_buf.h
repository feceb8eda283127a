/*
 * api_buf: a JSON document written into a growing buffer, commas placed
 * by the writer. On ENOMEM the buffer is marked failed and
 * api_buf_take() yields NULL: no half document is ever served.
 */
#ifndef WT_API_BUF_H
#define WT_API_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"

#define API_BUF_DEPTH 16

struct store_value;

struct api_buf {
	char *p;
	size_t len, cap;
	int failed;
	int depth, after_key;
	unsigned char first[API_BUF_DEPTH + 1];
};

/* '{' or '[' opens, '}' or ']' closes. */
void api_buf_open(struct api_buf *b, char c);
void api_buf_close(struct api_buf *b, char c);
/* The key of the object member whose value follows. */
void api_buf_key(struct api_buf *b, const char *k);
/* A string (NULL: null); bytes that are not UTF-8 become U+FFFD. */
void api_buf_str(struct api_buf *b, const char *s);
/* A number; not finite: null (JSON has neither NaN nor infinity). */
void api_buf_num(struct api_buf *b, double v);
void api_buf_int(struct api_buf *b, int64_t v);
void api_buf_bool(struct api_buf *b, int v);
void api_buf_null(struct api_buf *b);
/* JSON text inserted as it is: the caller vouches for it. */
void api_buf_raw(struct api_buf *b, const char *json);
/* A column as SQLite typed it: integer, real, text or null. */
void api_buf_value(struct api_buf *b, const struct store_value *v);
/* Position (for cutting back) and the length written. */
size_t api_buf_mark(const struct api_buf *b);
/* The document (malloc'd, NUL-terminated), or NULL after a failure;
 * the buffer is empty again either way. */
char *api_buf_take(struct api_buf *b) WT_MUST_CHECK;
void api_buf_free(struct api_buf *b);

#endif
