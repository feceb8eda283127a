/* test_topic: table-driven checks of lib/topic.c against topic.h. */
#include "check.h"
#include "topic.h"

#include <stddef.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct valid_case {
	const char *filter;
	int valid;
};

static const struct valid_case valid_cases[] = {
	{ "a/b", 1 },
	{ "a/+/c", 1 },
	{ "#", 1 },
	{ "a/#", 1 },
	{ "+", 1 },
	{ "+/+", 1 },
	{ "+/#", 1 },
	{ "/", 1 },
	{ "a//b", 1 },
	{ "$SYS/#", 1 },
	{ "wt/v1/vehicles/+/position", 1 },
	{ "", 0 },
	{ "a/#/b", 0 },
	{ "a/b#", 0 },
	{ "a+/b", 0 },
	{ "a/+b", 0 },
	{ "#/a", 0 },
	{ "##", 0 },
	{ "++", 0 },
	{ "a/#/", 0 },
};

static void
test_filter_valid(void)
{
	size_t i;

	for (i = 0; i < NELEM(valid_cases); i++) {
		if (topic_filter_valid(valid_cases[i].filter) !=
		    valid_cases[i].valid)
			fprintf(stderr, "  topic_filter_valid(\"%s\")\n",
			    valid_cases[i].filter);
		CHECK_INT(topic_filter_valid(valid_cases[i].filter),
		    valid_cases[i].valid);
	}
	CHECK_INT(topic_filter_valid(NULL), 0);
}

struct match_case {
	const char *filter, *topic;
	int match;
};

static const struct match_case match_cases[] = {
	/* exact */
	{ "a/b", "a/b", 1 },
	{ "a/b", "a/c", 0 },
	{ "a/b", "a", 0 },
	{ "a/b", "a/b/c", 0 },
	{ "a/b", "a/bc", 0 },
	{ "a/bc", "a/b", 0 },
	{ "a", "a/", 0 },
	{ "a/", "a/", 1 },
	{ "/a", "/a", 1 },
	{ "/a", "a", 0 },
	/* '+' is exactly one level, possibly empty */
	{ "+", "a", 1 },
	{ "+", "a/b", 0 },
	{ "+", "/a", 0 },
	{ "a/+", "a/b", 1 },
	{ "a/+", "a", 0 },
	{ "a/+", "a/", 1 },
	{ "a/+", "a/b/c", 0 },
	{ "a/+/c", "a/b/c", 1 },
	{ "a/+/c", "a//c", 1 },
	{ "a/+/c", "a/b/d", 0 },
	{ "a/+/c", "a/b/c/d", 0 },
	{ "+/+", "a/b", 1 },
	{ "+/+", "/b", 1 },
	{ "+/+", "a", 0 },
	{ "+/b", "a/b", 1 },
	/* '#' is any number of levels, including the parent */
	{ "#", "a", 1 },
	{ "#", "a/b/c", 1 },
	{ "#", "/a", 1 },
	{ "a/#", "a", 1 },
	{ "a/#", "a/b", 1 },
	{ "a/#", "a/b/c", 1 },
	{ "a/#", "a/", 1 },
	{ "a/#", "b", 0 },
	{ "a/#", "ab", 0 },
	{ "a/#", "ab/c", 0 },
	{ "a/b/#", "a", 0 },
	{ "a/b/#", "a/b", 1 },
	{ "+/#", "a/b/c", 1 },
	{ "a/+/#", "a/b", 1 },
	{ "a/+/#", "a", 0 },
	/* '$' topics: no first-level wildcard (MQTT 3.1.1 §4.7.2) */
	{ "#", "$SYS/x", 0 },
	{ "+/x", "$SYS/x", 0 },
	{ "+", "$SYS", 0 },
	{ "+/#", "$SYS/x", 0 },
	{ "$SYS/#", "$SYS/x", 1 },
	{ "$SYS/#", "$SYS", 1 },
	{ "$SYS/+", "$SYS/x", 1 },
	{ "$SYS/x", "$SYS/x", 1 },
	{ "a/$x", "a/$x", 1 },
	{ "a/+", "a/$x", 1 },
	/* the native dialect */
	{ "wt/v1/#", "wt/v1/vehicles/KW-0217/position", 1 },
	{ "wt/v1/vehicles/+/position", "wt/v1/vehicles/KW-0217/position", 1 },
	{ "wt/v1/vehicles/+/position", "wt/v1/vehicles/KW-0217/events", 0 },
	{ "wt/v1/vehicles/+/position", "wt/v2/vehicles/KW-0217/position", 0 },
};

static void
test_match(void)
{
	const struct match_case *c;
	size_t i;

	for (i = 0; i < NELEM(match_cases); i++) {
		c = &match_cases[i];
		if (topic_match(c->filter, c->topic) != c->match)
			fprintf(stderr, "  topic_match(\"%s\", \"%s\")\n",
			    c->filter, c->topic);
		CHECK_INT(topic_match(c->filter, c->topic), c->match);
	}
}

/* 1 if cap names name and holds value. */
static int
cap_is(const struct topic_cap *cap, const char *name, const char *value)
{
	return cap->name_len == strlen(name) &&
	    memcmp(cap->name, name, cap->name_len) == 0 &&
	    cap->value_len == strlen(value) &&
	    memcmp(cap->value, value, cap->value_len) == 0;
}

struct capture_case {
	const char *pattern, *topic;
	size_t maxcap;
	int rc;
	size_t ncap;
	const char *name[2], *value[2];
};

#define POSITION "wt/v1/vehicles/{vehicle}/position"

static const struct capture_case capture_cases[] = {
	{ POSITION, "wt/v1/vehicles/KW-0217/position", 4, 1, 1, { "vehicle" },
	    { "KW-0217" } },
	{ POSITION, "wt/v1/vehicles/吉A5G217/position", 1, 1, 1, { "vehicle" },
	    { "吉A5G217" } },
	/* a capture never matches an empty level */
	{ POSITION, "wt/v1/vehicles//position", 4, 0, 0, { 0 }, { 0 } },
	/* wrong literal, wrong level count */
	{ POSITION, "wt/v1/vehicles/KW-0217/events", 4, 0, 0, { 0 }, { 0 } },
	{ POSITION, "wt/v2/vehicles/KW-0217/position", 4, 0, 0, { 0 }, { 0 } },
	{ POSITION, "wt/v1/vehicles/KW-0217", 4, 0, 0, { 0 }, { 0 } },
	{ POSITION, "wt/v1/vehicles/KW-0217/position/x", 4, 0, 0, { 0 },
	    { 0 } },
	{ POSITION, "wt/v1/vehicles/a/b/position", 4, 0, 0, { 0 }, { 0 } },
	/* more captures than room */
	{ POSITION, "wt/v1/vehicles/KW-0217/position", 0, -1, 0, { 0 }, { 0 } },
	{ "a/{x}/{y}", "a/1/2", 1, -1, 0, { 0 }, { 0 } },
	/* two captures, '+' levels mixed in */
	{ "a/{x}/{y}", "a/1/2", 2, 1, 2, { "x", "y" }, { "1", "2" } },
	{ "+/{x}/+/{y}", "p/1/q/2", 2, 1, 2, { "x", "y" }, { "1", "2" } },
	{ "+/{x}/+/{y}", "p/1//2", 2, 1, 2, { "x", "y" }, { "1", "2" } },
	{ "+/{x}/+/{y}", "p/1/q", 2, 0, 0, { 0 }, { 0 } },
	{ "wt/+/vehicles/{vehicle}/position", "wt/v9/vehicles/KW-0217/position",
	    1, 1, 1, { "vehicle" }, { "KW-0217" } },
	/* no captures at all: a plain match */
	{ "a/+/c", "a/b/c", 0, 1, 0, { 0 }, { 0 } },
	{ "a/+/c", "a/b/d", 0, 0, 0, { 0 }, { 0 } },
	/* braces must enclose the whole level to be a capture */
	{ "a/x{y}", "a/x{y}", 1, 1, 0, { 0 }, { 0 } },
	{ "a/x{y}", "a/xz", 1, 0, 0, { 0 }, { 0 } },
};

static void
test_capture(void)
{
	const struct capture_case *c;
	struct topic_cap caps[4];
	size_t i, k, ncap;
	int rc;

	for (i = 0; i < NELEM(capture_cases); i++) {
		c = &capture_cases[i];
		memset(caps, 0, sizeof(caps));
		ncap = 99;
		rc =
		    topic_capture(c->pattern, c->topic, caps, c->maxcap, &ncap);
		if (rc != c->rc)
			fprintf(stderr,
			    "  topic_capture(\"%s\", \"%s\", %zu)"
			    "\n",
			    c->pattern, c->topic, c->maxcap);
		CHECK_INT(rc, c->rc);
		if (c->rc != 1)
			continue;
		CHECK_INT(ncap, c->ncap);
		for (k = 0; k < c->ncap && k < ncap; k++)
			CHECK(cap_is(&caps[k], c->name[k], c->value[k]));
	}

	/* values and names point into the topic and the pattern */
	{
		const char *pat = POSITION;
		const char *topic = "wt/v1/vehicles/KW-0217/position";

		CHECK_INT(topic_capture(pat, topic, caps, 1, &ncap), 1);
		CHECK_INT(ncap, 1);
		CHECK(caps[0].name == pat + strlen("wt/v1/vehicles/{"));
		CHECK(caps[0].value == topic + strlen("wt/v1/vehicles/"));
		CHECK_INT(caps[0].value_len, 7);
	}
	/* nothing written past maxcap when it is exceeded */
	memset(caps, 0, sizeof(caps));
	CHECK_INT(topic_capture("{a}/{b}/{c}", "1/2/3", caps, 2, &ncap), -1);
	CHECK(caps[2].name == NULL && caps[2].value == NULL);
}

int
main(void)
{
	test_filter_valid();
	test_match();
	test_capture();
	return check_result("test_topic");
}
