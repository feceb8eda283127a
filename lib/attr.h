/*
 * attr: compiler attributes every module may use. GCC and clang both
 * understand these; they only add checks, never change code.
 */
#ifndef WT_ATTR_H
#define WT_ATTR_H

/* printf-style format checking of argument a against argument b. */
#define WT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * The result says whether the call worked (0/-1, a count, an allocated
 * pointer): ignoring it is a bug, so the compiler warns and -Werror fails.
 * Cast to (void) only where a failure is deliberately harmless, and say why.
 */
#define WT_MUST_CHECK __attribute__((warn_unused_result))

#endif
