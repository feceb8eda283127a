/*
 * test_diag: lib/diag.c, the collector behind config and profile errors.
 * The line format and the order are what a person reads on stderr; the
 * allocation-failure cases use the collector's realloc_fn hook to make
 * growth fail and check that the text then says so instead of silently
 * missing a message.
 */
#include "check.h"
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int fail_from = -1; /* the call number that starts failing */
static int calls;

/* realloc(3), except from call fail_from on (-1: never). */
static void *
failing_realloc(void *p, size_t size)
{
	if (fail_from >= 0 && calls++ >= fail_from)
		return NULL;
	return realloc(p, size);
}

static void
hook(struct diag *d, int from)
{
	diag_init(d);
	d->realloc_fn = failing_realloc;
	fail_from = from;
	calls = 0;
}

/* A caller's own variadic wrapper, as config's error helpers are. */
static void at(struct diag *d, const char *file, size_t line, size_t col,
    const char *fmt, ...) WT_PRINTF(5, 6);

static void
at(struct diag *d, const char *file, size_t line, size_t col, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vat(d, file, line, col, fmt, ap);
	va_end(ap);
}

static void
test_empty(void)
{
	struct diag d;
	char *text;

	diag_init(&d);
	CHECK_INT(diag_count(&d), 0);
	text = diag_take(&d);
	CHECK(text == NULL);
	/* A zeroed struct is an empty collector as well. */
	memset(&d, 0, sizeof(d));
	diag_free(&d);
	CHECK_INT(diag_count(&d), 0);
}

static void
test_format(void)
{
	struct diag d;
	char *text;

	diag_init(&d);
	diag_at(&d, "/etc/wt.yaml", 3, 5, "unknown key \"%s\" in %s",
	    "pasword_file", "mqtt");
	at(&d, "conf.d/a.yaml", 12, 1, "\"%s\" must be between %d and %d",
	    "qos", 0, 1);
	diag_line(&d, "%s: cannot open: %s", "/nonexistent.yaml",
	    "No such file or directory");
	diag_at(&d, NULL, 1, 2, "no file");
	CHECK_INT(diag_count(&d), 4);
	text = diag_take(&d);
	CHECK_STR(text,
	    "/etc/wt.yaml:3:5: unknown key \"pasword_file\" in mqtt\n"
	    "conf.d/a.yaml:12:1: \"qos\" must be between 0 and 1\n"
	    "/nonexistent.yaml: cannot open: No such file or directory\n"
	    "?:1:2: no file\n");
	free(text);
	/* take() leaves an empty collector that can be used again. */
	CHECK_INT(diag_count(&d), 0);
	diag_at(&d, "b", 1, 1, "again");
	text = diag_take(&d);
	CHECK_STR(text, "b:1:1: again\n");
	free(text);
}

/* Many lines and long ones: the buffer grows, the order stays. */
static void
test_order(void)
{
	char big[5000], want[64];
	struct diag d;
	char *text, *p;
	int i, ok = 1;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	diag_init(&d);
	for (i = 0; i < 1000; i++) {
		diag_at(&d, "f", (size_t)i + 1, 1, "message %d", i);
		if (i == 500)
			diag_line(&d, "%s", big);
	}
	CHECK_INT(diag_count(&d), 1001);
	text = diag_take(&d);
	CHECK(text != NULL);
	for (p = text, i = 0; text != NULL && i < 1000; i++) {
		snprintf(want, sizeof(want), "f:%d:1: message %d\n", i + 1, i);
		if (strncmp(p, want, strlen(want)) != 0) {
			ok = 0;
			break;
		}
		p += strlen(want);
		if (i == 500) {
			if (strncmp(p, big, strlen(big)) != 0 ||
			    p[strlen(big)] != '\n') {
				ok = 0;
				break;
			}
			p += strlen(big) + 1;
		}
	}
	CHECK(ok);
	CHECK(text != NULL && *p == '\0');
	free(text);
}

/* The first allocation fails: the message is lost, and the text says so. */
static void
test_nomem_first(void)
{
	struct diag d;
	char *text;

	hook(&d, 0);
	diag_at(&d, "f", 1, 1, "lost");
	CHECK_INT(diag_count(&d), 1);
	fail_from = -1; /* memory is back for take() */
	text = diag_take(&d);
	CHECK_STR(text, "out of memory\n");
	free(text);
}

/*
 * Growth fails halfway: what came before is kept, the failed message and
 * every later one are dropped (a small one would still fit, but the text
 * would read as complete while missing one), and the text ends in
 * "out of memory".
 */
static void
test_nomem_growth(void)
{
	char big[2000];
	struct diag d;
	char *text;

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hook(&d, 1); /* the first growth works, not the next */
	diag_at(&d, "f", 1, 1, "one");
	diag_at(&d, "f", 2, 1, "two");
	diag_at(&d, "f", 3, 1, "%s", big);
	diag_at(&d, "f", 4, 1, "four");
	CHECK_INT(diag_count(&d), 4);
	text = diag_take(&d);
	CHECK_STR(text, "f:1:1: one\nf:2:1: two\nout of memory\n");
	free(text);
}

/* An allocation failure of the caller's own, after some messages. */
static void
test_nomem_caller(void)
{
	struct diag d;
	char *text;

	diag_init(&d);
	diag_at(&d, "f", 1, 1, "before");
	diag_nomem(&d);
	diag_at(&d, "f", 2, 1, "after");
	CHECK_INT(diag_count(&d), 3);
	text = diag_take(&d);
	CHECK_STR(text, "f:1:1: before\nout of memory\n");
	free(text);

	/* Alone, it still fails the load and says why. */
	diag_nomem(&d);
	CHECK_INT(diag_count(&d), 1);
	text = diag_take(&d);
	CHECK_STR(text, "out of memory\n");
	free(text);
}

/* No memory at all: the count still says the load failed. */
static void
test_nomem_none(void)
{
	struct diag d;
	char *text;

	hook(&d, 0);
	diag_at(&d, "f", 1, 1, "lost");
	diag_line(&d, "lost too");
	CHECK_INT(diag_count(&d), 2);
	text = diag_take(&d);
	CHECK(text == NULL);
	CHECK_INT(diag_count(&d), 0);
	/* The hook outlives take() and free(): it belongs to the caller. */
	CHECK(d.realloc_fn == failing_realloc);
	fail_from = -1;
}

int
main(void)
{
	test_empty();
	test_format();
	test_order();
	test_nomem_first();
	test_nomem_growth();
	test_nomem_caller();
	test_nomem_none();
	return check_result("test_diag");
}
