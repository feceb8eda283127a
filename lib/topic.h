/*
 * topic: MQTT topic filters and named captures. Pure functions.
 */
#ifndef WT_TOPIC_H
#define WT_TOPIC_H

#include <stddef.h>

#include "attr.h"

/* 1 if filter is a valid MQTT subscription filter ('+' and '#' used whole,
 * '#' last), else 0. */
int topic_filter_valid(const char *filter);

/* 1 if topic matches the MQTT filter; wildcards at the first level do not
 * match topics that start with '$' (MQTT 3.1.1 §4.7.2). */
int topic_match(const char *filter, const char *topic);

struct topic_cap {
	const char *name; /* points into the pattern */
	size_t name_len;
	const char *value; /* points into the topic */
	size_t value_len;
};

/*
 * Match a pattern whose levels are literals, '+', or "{name}" captures
 * ("wt/v1/vehicles/{vehicle}/position") against a topic. On a match returns
 * 1 and fills caps[0..*ncap). A capture never matches an empty level.
 * Returns 0 on no match and -1 when there are more than maxcap captures.
 */
int topic_capture(const char *pattern, const char *topic,
    struct topic_cap *caps, size_t maxcap, size_t *ncap) WT_MUST_CHECK;

#endif
