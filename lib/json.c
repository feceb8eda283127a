/* json: see json.h. A thin veneer over jansson's json_t. */
#include "json.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* jansson takes non-const pointers even to read; we never write. */
#define J(v) ((json_t *)(uintptr_t)(v))
#define CJ(v) ((const json_t *)(v))

struct json *
json_parse(const char *buf, size_t len, char *err, size_t errsz)
{
	json_error_t e;
	json_t *doc;

	/* Without JSON_DECODE_ANY jansson refuses a bare scalar: a message
	 * is always an object, and the decoder says which. */
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (doc == NULL) {
		snprintf(err, errsz, "line %d col %d: %s", e.line, e.column,
		    e.text);
		return NULL;
	}
	return (struct json *)doc;
}

void
json_free(struct json *doc)
{
	if (doc != NULL)
		json_decref(J(doc));
}

enum json_kind
json_kind(const struct json *v)
{
	switch (json_typeof(CJ(v))) {
	case JSON_OBJECT:
		return JSON_K_OBJ;
	case JSON_ARRAY:
		return JSON_K_ARR;
	case JSON_STRING:
		return JSON_K_STR;
	case JSON_INTEGER:
	case JSON_REAL:
		return JSON_K_NUM;
	case JSON_TRUE:
	case JSON_FALSE:
		return JSON_K_BOOL;
	case JSON_NULL:
		break;
	}
	return JSON_K_NULL;
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || !json_is_object(CJ(obj)))
		return NULL;
	return (const struct json *)json_object_get(CJ(obj), key);
}

const char *
json_str(const struct json *v)
{
	if (v == NULL || !json_is_string(CJ(v)))
		return NULL;
	return json_string_value(CJ(v));
}

int
json_num(const struct json *v, double *out)
{
	if (v == NULL || !json_is_number(CJ(v)))
		return -1;
	*out = json_number_value(CJ(v));
	return 0;
}

int
json_is_yes(const struct json *v)
{
	return v != NULL && json_is_true(CJ(v));
}

size_t
json_len(const struct json *arr)
{
	if (arr == NULL || !json_is_array(CJ(arr)))
		return 0;
	return json_array_size(CJ(arr));
}

const struct json *
json_at(const struct json *arr, size_t i)
{
	if (arr == NULL || !json_is_array(CJ(arr)))
		return NULL;
	return (const struct json *)json_array_get(CJ(arr), i);
}

char *
json_dump_except(const struct json *obj, const char *const *skip)
{
	json_t *copy;
	char *out;
	size_t i;

	if (obj == NULL || !json_is_object(CJ(obj)))
		return NULL;
	copy = json_copy(J(obj));
	if (copy == NULL)
		return NULL;
	for (i = 0; skip[i] != NULL; i++)
		json_object_del(copy, skip[i]);
	out = json_object_size(copy) ? json_dumps(copy, JSON_COMPACT |
	    JSON_SORT_KEYS) : NULL;
	json_decref(copy);
	return out;
}
