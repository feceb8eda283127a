/* topic: see topic.h. Levels are walked in place, nothing is copied. */
#include "topic.h"

#include <string.h>

/* Length of the level starting at s (up to '/' or NUL). */
static size_t
level_len(const char *s)
{
	return strcspn(s, "/");
}

static int
level_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(s, want, n) == 0;
}

int
topic_filter_valid(const char *f)
{
	size_t n;

	if (f == NULL || *f == '\0')
		return 0;
	for (;;) {
		n = level_len(f);
		if (memchr(f, '+', n) != NULL && !level_is(f, n, "+"))
			return 0;
		if (memchr(f, '#', n) != NULL &&
		    (!level_is(f, n, "#") || f[n] != '\0'))
			return 0;
		if (f[n] == '\0')
			return 1;
		f += n + 1;
	}
}

int
topic_match(const char *f, const char *t)
{
	size_t fn, tn;

	if (*t == '$' && (*f == '+' || *f == '#'))
		return 0;
	for (;;) {
		fn = level_len(f);
		if (level_is(f, fn, "#"))
			return 1;
		tn = level_len(t);
		if (!level_is(f, fn, "+") &&
		    (fn != tn || memcmp(f, t, fn) != 0))
			return 0;
		if (f[fn] == '\0' || t[tn] == '\0')
			/* "a/#" also matches "a": the parent level. */
			return f[fn] == t[tn] ||
			    (t[tn] == '\0' && strcmp(f + fn, "/#") == 0);
		f += fn + 1;
		t += tn + 1;
	}
}

int
topic_capture(const char *p, const char *t, struct topic_cap *caps,
    size_t maxcap, size_t *ncap)
{
	size_t pn, tn;

	*ncap = 0;
	for (;;) {
		pn = level_len(p);
		tn = level_len(t);
		if (pn >= 2 && p[0] == '{' && p[pn - 1] == '}') {
			if (tn == 0)
				return 0;
			if (*ncap == maxcap)
				return -1;
			caps[*ncap].name = p + 1;
			caps[*ncap].name_len = pn - 2;
			caps[*ncap].value = t;
			caps[*ncap].value_len = tn;
			(*ncap)++;
		} else if (!level_is(p, pn, "+") &&
		    (pn != tn || memcmp(p, t, pn) != 0))
			return 0;
		if (p[pn] == '\0' || t[tn] == '\0')
			return p[pn] == t[tn];
		p += pn + 1;
		t += tn + 1;
	}
}
