/*
 * check: the smallest test harness that can fail loudly. Each CHECK that
 * fails prints file:line and the expression; main returns check_result().
 */
#ifndef WT_CHECK_H
#define WT_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(expr)                                                            \
	do {                                                                   \
		check_count++;                                                 \
		if (!(expr)) {                                                 \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			    __LINE__, #expr);                                  \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		check_count++;                                                 \
		if ((g_ == NULL) != (w_ == NULL) ||                            \
		    (g_ != NULL && strcmp(g_, w_) != 0)) {                     \
			check_failures++;                                      \
			fprintf(stderr,                                        \
			    "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__,  \
			    __LINE__, #got, g_ ? g_ : "(null)",                \
			    w_ ? w_ : "(null)");                               \
		}                                                              \
	} while (0)

#define CHECK_INT(got, want)                                                   \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		check_count++;                                                 \
		if (g_ != w_) {                                                \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n",    \
			    __FILE__, __LINE__, #got, g_, w_);                 \
		}                                                              \
	} while (0)

#define CHECK_NEAR(got, want, eps)                                             \
	do {                                                                   \
		double g_ = (got), w_ = (want);                                \
		check_count++;                                                 \
		if (!(fabs(g_ - w_) <= (eps))) {                               \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: %s: got %.9g, want %.9g\n",    \
			    __FILE__, __LINE__, #got, g_, w_);                 \
		}                                                              \
	} while (0)

static inline int
check_result(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
