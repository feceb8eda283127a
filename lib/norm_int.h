/*
 * norm_int: what the two halves of the norm module share (norm.c: text,
 * times and plates; norm_code.c: quantities, categories and codes).
 * Included by lib/norm*.c only.
 */
#ifndef WT_NORM_INT_H
#define WT_NORM_INT_H

#include <stddef.h>
#include <stdint.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One UTF-8 sequence at s (n bytes left): its length with *cp set, or 0
 * when it is malformed, overlong, a surrogate or beyond U+10FFFF. */
size_t norm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Full-width ASCII and the separators devices send folded to their
 * plain form; every other code point unchanged. */
uint32_t norm_fold_cp(uint32_t cp);

static inline void
dq_set(uint32_t *dq, uint32_t flag)
{
	if (dq != NULL)
		*dq |= flag;
}

static inline int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
ascii_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* strcasecmp() consults the locale; labels only need ASCII folding. */
static inline int
ascii_caseeq(const char *a, const char *b)
{
	while (*a != '\0' &&
	    ascii_upper((unsigned char)*a) == ascii_upper((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

/* Read exactly n decimal digits; -1 if any is missing. */
static inline int
read_digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

#endif
