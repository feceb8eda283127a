/*
 * json: a read-only view of a parsed JSON document (RFC 8259, strict).
 * Our own parser: see json.c for why.
 */
#ifndef WT_JSON_H
#define WT_JSON_H

#include <stddef.h>

#include "attr.h"

struct json;

enum json_kind {
	JSON_K_NULL,
	JSON_K_BOOL,
	JSON_K_NUM,
	JSON_K_STR,
	JSON_K_OBJ,
	JSON_K_ARR
};

/*
 * Parse len bytes: one object or array. Duplicate object keys, NUL in
 * strings (also as \u0000), lone surrogates, invalid UTF-8, numbers
 * beyond a double and nesting deeper than 64 are errors. On error returns
 * NULL and writes "line L col C: text" to err. The document is freed with
 * json_free(); every view into it dies with it.
 */
struct json *json_parse(const char *buf, size_t len, char *err,
    size_t errsz) WT_MUST_CHECK;
void json_free(struct json *doc);

enum json_kind json_kind(const struct json *v);
/* Member of an object, or NULL (also when obj is not an object). */
const struct json *json_get(const struct json *obj, const char *key);
/* String value (NUL-terminated, UTF-8) or NULL when v is not a string. */
const char *json_str(const struct json *v);
/* Number value: 0 and *out when v is an integer or real, else -1. Integers
 * beyond 2^53 lose precision, which no field of ours needs. */
int json_num(const struct json *v, double *out) WT_MUST_CHECK;
/* 1 for true, 0 for anything else. */
int json_is_yes(const struct json *v);
/* Array length and element (NULL past the end or when not an array). */
size_t json_len(const struct json *arr);
const struct json *json_at(const struct json *arr, size_t i);
/*
 * The object's members except the keys in skip (NULL-terminated), as
 * compact JSON text with keys sorted at every level and numbers exactly as
 * they were sent (malloc'd), or NULL when none remain or on error.
 */
char *json_dump_except(const struct json *obj,
    const char *const *skip) WT_MUST_CHECK;

#endif
