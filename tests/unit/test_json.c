/* test_json: the parser's grammar, its refusals, and the dump. */
#include "check.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

static struct json *
parse(const char *s, char *err, size_t n)
{
	return json_parse(s, strlen(s), err, n);
}

/* 1 when s is refused, with err naming why (contains want). */
static int
refused(const char *s, size_t len, const char *want)
{
	char err[128] = "";
	struct json *d = json_parse(s, len, err, sizeof(err));

	if (d != NULL) {
		json_free(d);
		fprintf(stderr, "accepted: %.*s\n", (int)len, s);
		return 0;
	}
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "refused %.*s with \"%s\", want \"%s\"\n",
		    (int)len, s, err, want);
		return 0;
	}
	return 1;
}

#define REFUSED(s, want) CHECK(refused((s), strlen(s), (want)))

static void
test_values(void)
{
	char err[128];
	struct json *d;
	const struct json *a;
	double v = 0;

	d = parse(" {\"s\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\\/\",\"i\":-12,"
		  "\"r\":1.5e2,\"t\":true,\"f\":false,\"z\":null,"
		  "\"a\":[1,[2],{}],\"o\":{\"k\":\"v\"},\"u\":\"炉温\"}\r\n",
	    err, sizeof(err));
	CHECK(d != NULL);
	if (d == NULL)
		return;
	CHECK_INT(json_kind(d), JSON_K_OBJ);
	CHECK_STR(json_str(json_get(d, "s")), "a\xc3\xa9\xf0\x9f\x98\x80\n\"/");
	CHECK_INT(json_num(json_get(d, "i"), &v), 0);
	CHECK_NEAR(v, -12, 0);
	CHECK_INT(json_num(json_get(d, "r"), &v), 0);
	CHECK_NEAR(v, 150, 0);
	CHECK_INT(json_num(json_get(d, "s"), &v), -1);
	CHECK(json_is_yes(json_get(d, "t")));
	CHECK(!json_is_yes(json_get(d, "f")));
	CHECK_INT(json_kind(json_get(d, "f")), JSON_K_BOOL);
	CHECK_INT(json_kind(json_get(d, "z")), JSON_K_NULL);
	CHECK(json_get(d, "missing") == NULL);
	CHECK(json_str(json_get(d, "i")) == NULL);
	a = json_get(d, "a");
	CHECK_INT(json_len(a), 3);
	CHECK_INT(json_kind(json_at(a, 1)), JSON_K_ARR);
	CHECK_INT(json_len(json_at(a, 1)), 1);
	CHECK_INT(json_kind(json_at(a, 2)), JSON_K_OBJ);
	CHECK(json_at(a, 3) == NULL);
	CHECK(json_get(a, "x") == NULL);
	CHECK_INT(json_len(d), 0);
	CHECK_STR(json_str(json_get(json_get(d, "o"), "k")), "v");
	CHECK_STR(json_str(json_get(d, "u")), "炉温");
	json_free(d);

	d = parse("[]", err, sizeof(err));
	CHECK(d != NULL && json_kind(d) == JSON_K_ARR && json_len(d) == 0);
	json_free(d);
	json_free(NULL);
}

static void
test_refusals(void)
{
	char big[8192];
	size_t i;

	REFUSED("", "'[' or '{' expected");
	REFUSED("   ", "'[' or '{' expected");
	REFUSED("42", "'[' or '{' expected");
	REFUSED("\"s\"", "'[' or '{' expected");
	REFUSED("{", "string or '}' expected");
	REFUSED("{\"a\"}", "':' expected");
	REFUSED("{\"a\":1,}", "string or '}' expected");
	REFUSED("[1,]", "invalid token");
	REFUSED("[1 2]", "',' or ']' expected");
	REFUSED("{\"a\":1 \"b\":2}", "',' or '}' expected");
	REFUSED("{} x", "end of input expected");
	REFUSED("{}{}", "end of input expected");
	REFUSED("[01]", "',' or ']' expected");
	REFUSED("[-]", "invalid number");
	REFUSED("[1.]", "invalid number");
	REFUSED("[1e]", "invalid number");
	REFUSED("[.5]", "invalid token");
	REFUSED("[+1]", "invalid token");
	REFUSED("[1e400]", "out of range");
	REFUSED("[-1e400]", "out of range");
	REFUSED("[NaN]", "invalid token");
	REFUSED("[Infinity]", "invalid token");
	REFUSED("[tru]", "invalid token");
	REFUSED("[nul]", "invalid token");
	REFUSED("[\"a]", "unterminated string");
	REFUSED("[\"a\tb\"]", "control character");
	REFUSED("[\"\\x\"]", "invalid escape");
	REFUSED("[\"\\u12\"]", "invalid \\u escape");
	REFUSED("[\"\\u0000\"]", "\\u0000");
	REFUSED("[\"\\udc00\"]", "lone low surrogate");
	REFUSED("[\"\\ud800\"]", "without its pair");
	REFUSED("[\"\\ud800\\u0041\"]", "without its pair");
	REFUSED("[\"\xff\"]", "invalid UTF-8");
	REFUSED("[\"\xc3\"]", "invalid UTF-8");
	REFUSED("{\"a\":1,\"a\":2}", "duplicate object key");
	REFUSED("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}", "duplicate object key");
	CHECK(refused("[\"a\0\"]", 5, "control character"));
	CHECK(refused("{}\0", 3, "end of input expected"));
	/* Large objects take the sorting path. */
	strcpy(big, "{");
	for (i = 0; i < 100; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
		    "%s\"k%zu\":%zu", i ? "," : "", i % 99, i);
	strcat(big, "}");
	REFUSED(big, "duplicate object key");
	/* Nesting: 64 levels are fine, 65 are not. */
	memset(big, '[', 64);
	memset(big + 64, ']', 64);
	big[128] = '\0';
	CHECK(refused(big, 128, "x") == 0);
	memset(big, '[', 65);
	memset(big + 65, ']', 65);
	big[130] = '\0';
	REFUSED(big, "nested too deeply");
	/* Where: line and column of the error. */
	{
		char err[128];

		CHECK(parse("{\n  \"a\": x}", err, sizeof(err)) == NULL);
		CHECK_STR(err, "line 2 col 8: invalid token");
	}
}

static void
test_dump(void)
{
	static const char *const skip[] = { "ts", "state", NULL };
	static const char *const none[] = { NULL };
	char err[128], *s;
	struct json *d, *again;

	d = parse(
	    "{\"ts\":1,\"z\":1.50,\"b\":{\"y\":[1e2,\"q\\\"\\\\\\u0001\"],"
	    "\"x\":null},\"state\":\"open\",\"a\":\"é\"}",
	    err, sizeof(err));
	CHECK(d != NULL);
	if (d == NULL)
		return;
	s = json_dump_except(d, skip);
	/* Sorted at every level; numbers as sent; escapes as needed. */
	CHECK_STR(s,
	    "{\"a\":\"é\",\"b\":{\"x\":null,\"y\":[1e2,"
	    "\"q\\\"\\\\\\u0001\"]},\"z\":1.50}");
	/* The dump parses back to the same dump. */
	again = s ? json_parse(s, strlen(s), err, sizeof(err)) : NULL;
	CHECK(again != NULL);
	if (again != NULL) {
		char *s2 = json_dump_except(again, none);

		CHECK_STR(s2, s);
		free(s2);
		json_free(again);
	}
	free(s);
	json_free(d);
	d = parse("{\"ts\":1,\"state\":\"x\"}", err, sizeof(err));
	CHECK(d != NULL && json_dump_except(d, skip) == NULL);
	json_free(d);
	d = parse("[1]", err, sizeof(err));
	CHECK(d != NULL && json_dump_except(d, skip) == NULL);
	json_free(d);
}

int
main(void)
{
	test_values();
	test_refusals();
	test_dump();
	return check_result("test_json");
}
