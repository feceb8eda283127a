/*
 * fuzz_json: json_parse() (lib/json.c) on any bytes, then the whole tree.
 *
 * Besides sanitizer findings it aborts when a parsed document breaks a
 * property: a string that is not UTF-8 or holds a NUL, a non-finite
 * number, an array whose elements json_at() does not return in order, or
 * a dump that does not parse back to the same dump.
 */
#include "fuzz.h"

#include "json.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
walk(const struct json *v, int depth)
{
	const char *s;
	double d;
	size_t i, n;

	if (depth > 70)
		abort();
	switch (json_kind(v)) {
	case JSON_K_STR:
		s = json_str(v);
		if (s == NULL || !norm_utf8_valid(s, strlen(s)))
			abort();
		break;
	case JSON_K_NUM:
		if (json_num(v, &d) != 0 || !isfinite(d))
			abort();
		break;
	case JSON_K_ARR:
		n = json_len(v);
		for (i = 0; i < n; i++) {
			if (json_at(v, i) == NULL)
				abort();
			walk(json_at(v, i), depth + 1);
		}
		if (json_at(v, n) != NULL)
			abort();
		break;
	case JSON_K_OBJ:
		if (json_len(v) != 0)
			abort();
		break;
	case JSON_K_NULL:
	case JSON_K_BOOL:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const none[] = { NULL };
	char err[128], *dump, *dump2;
	struct json *doc, *again;
	char *buf;

	/* Not NUL-terminated, as in the spool: over-reads show under ASan. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	doc = json_parse(buf, size, err, sizeof(err));
	if (doc == NULL) {
		if (strncmp(err, "line ", 5) != 0 &&
		    strcmp(err, "out of memory") != 0)
			abort();
		free(buf);
		return 0;
	}
	walk(doc, 0);
	if ((dump = json_dump_except(doc, none)) != NULL) {
		if ((again = json_parse(dump, strlen(dump), err,
			 sizeof(err))) == NULL)
			abort();
		dump2 = json_dump_except(again, none);
		if (dump2 == NULL || strcmp(dump, dump2) != 0)
			abort();
		free(dump2);
		json_free(again);
		free(dump);
	}
	json_free(doc);
	free(buf);
	return 0;
}
