/*
 * diag: the diagnostics of one configuration load or profile compilation,
 * collected in the order they are reported as "FILE:LINE:COL: message\n"
 * lines (1-based line and column), or "message\n" lines for errors that
 * have no place. The text goes to stderr as a whole once the load is over,
 * so a person sees every mistake of a file at once.
 *
 * An allocation failure never loses a message silently: the collector
 * records it, keeps what it had, drops what follows (a partial list would
 * read as complete), and the text ends in an "out of memory" line. Once a
 * collector holds anything, including that state, the load has failed.
 */
#ifndef WT_DIAG_H
#define WT_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#include "attr.h"

struct diag {
	char *buf; /* the lines so far, NUL-terminated */
	size_t len, cap;
	size_t n;  /* reported, lost ones included */
	int nomem; /* an allocation failed */
	/* realloc(3) when NULL; tests set it to make growth fail. */
	void *(*realloc_fn)(void *, size_t);
};

/* An empty collector (a zeroed struct diag is one as well). */
void diag_init(struct diag *d);

/* One "FILE:LINE:COL: message" line; a NULL file is written "?". */
void diag_at(struct diag *d, const char *file, size_t line, size_t col,
    const char *fmt, ...) WT_PRINTF(5, 6);
void diag_vat(struct diag *d, const char *file, size_t line, size_t col,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* One line as formatted, for errors that are not tied to a place. */
void diag_line(struct diag *d, const char *fmt, ...) WT_PRINTF(2, 3);
void diag_vline(struct diag *d, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Record an allocation failure of the caller's own: the load fails. */
void diag_nomem(struct diag *d);

/* Messages reported so far (lost ones and diag_nomem() included). */
size_t diag_count(const struct diag *d);

/*
 * The collected text, to be freed by the caller, and an empty collector;
 * NULL if nothing was reported. If an allocation failed, the text ends in
 * "out of memory\n"; it is NULL only if not even that could be allocated.
 */
char *diag_take(struct diag *d) WT_MUST_CHECK;

/* Discard the text; realloc_fn stays. */
void diag_free(struct diag *d);

#endif
