/*
 * pg_read BACKEND PATH_OR_URL [PASSWORD_FILE] NOW_MS DAY
 *	every read of the reports (a reader handle, one snapshot) and every
 *	named query (store_q) with fixed arguments, each row in one
 *	canonical line: typed values (i: integer, r: real as %.9g, t: text,
 *	NULL), so that two backends holding the same rows print the same
 *	text (test_pg_read.py compares SQLite's with PostgreSQL's).
 * pg_read --budget BACKEND PATH_OR_URL [PASSWORD_FILE] MS PLATE FROM TO
 *	STORE_Q_VEHICLE_POSITIONS for PLATE over [FROM, TO) three times:
 *	with a budget of MS, then without one, then the plan of every query;
 *	prints "budget rc timed_out elapsed_ms", "free rc timed_out
 *	elapsed_ms rows", "small BUDGET ROWS US" (a small query's time
 *	without a budget, then with one, in us a run) and "plan PLANNED
 *	QUERIES".
 * pg_read --meta BACKEND PATH_OR_URL [PASSWORD_FILE]
 *	STORE_Q_META alone.
 * pg_read --check BACKEND PATH_OR_URL [PASSWORD_FILE]
 *	STORE_Q_INTEGRITY then STORE_Q_QUICK_CHECK.
 * pg_read --restart BACKEND PATH_OR_URL [PASSWORD_FILE]
 *	STORE_Q_ACTIVITY before and after a restart of the server.
 */
#include "clock.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static const char *const qnames[STORE_Q_COUNT] = {
	[STORE_Q_REPORT] = "report",
	[STORE_Q_MANIFEST] = "manifest",
	[STORE_Q_MANIFEST_LINES] = "manifest_lines",
	[STORE_Q_MANIFEST_VERSIONS] = "manifest_versions",
	[STORE_Q_MANIFEST_LINKS] = "manifest_links",
	[STORE_Q_MANIFEST_VERDICT] = "manifest_verdict",
	[STORE_Q_VEHICLES] = "vehicles",
	[STORE_Q_VEHICLE_EVENTS] = "vehicle_events",
	[STORE_Q_VEHICLE_TRIPS] = "vehicle_trips",
	[STORE_Q_VEHICLE_WEIGHINGS] = "vehicle_weighings",
	[STORE_Q_VEHICLE_POSITIONS] = "vehicle_positions",
	[STORE_Q_REJECT_REASONS] = "reject_reasons",
	[STORE_Q_REJECT_TOPICS] = "reject_topics",
	[STORE_Q_REJECT_PROFILES] = "reject_profiles",
	[STORE_Q_REJECT_SAMPLES] = "reject_samples",
	[STORE_Q_META] = "meta",
	[STORE_Q_ACTIVITY] = "activity",
	[STORE_Q_INTEGRITY] = "integrity",
	[STORE_Q_QUICK_CHECK] = "quick_check",
	[STORE_Q_API_VEHICLES] = "api_vehicles",
	[STORE_Q_API_POSITIONS] = "api_positions",
	[STORE_Q_API_ALERTS] = "api_alerts",
	[STORE_Q_API_ALERTS_OPEN] = "api_alerts_open",
};

static void
put_text(const char *s)
{
	/* One line per row: newlines and bars spelled out. */
	for (; *s; s++)
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '|')
			fputs("\\|", stdout);
		else if (*s == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*s);
}

static void
put_real(double v)
{
	if (v != v)
		printf("nan");
	else
		printf("%.9g", v);
}

static int
print_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	int i;

	(void)arg;
	printf(v == NULL ? "  cols" : "  row");
	for (i = 0; i < n; i++) {
		putchar(i == 0 ? ' ' : '|');
		if (v == NULL) {
			put_text(names[i]);
			continue;
		}
		switch (v[i].type) {
		case STORE_V_NULL:
			printf("NULL");
			break;
		case STORE_V_INT:
			printf("i:%" PRId64, v[i].i);
			break;
		case STORE_V_REAL:
			printf("r:");
			put_real(v[i].r);
			break;
		case STORE_V_TEXT:
			printf("t:");
			put_text(v[i].s);
			break;
		}
	}
	putchar('\n');
	return 0;
}

static int failures;

static void
run(struct store_query *q, enum store_q id, const char *t1, const char *t2,
    const char *t3, const char *t4, int64_t n5, int64_t n6)
{
	struct store_q_args a = { { t1, t2, t3, t4 }, { n5, n6, 0, 0 } };

	printf("## %s %s %s %s %s %" PRId64 " %" PRId64 "\n", qnames[id],
	    t1 ? t1 : "NULL", t2 ? t2 : "NULL", t3 ? t3 : "NULL",
	    t4 ? t4 : "NULL", n5, n6);
	if (store_query_run(q, id, &a, print_row, NULL) == -1) {
		printf("  FAILED\n");
		failures++;
	}
}

/* ---- the reader ---- */

static void
pr_row(void *arg, const char *a, const char *b, double v)
{
	printf("  %s|%s|%s|", (const char *)arg, a ? a : "NULL",
	    b ? b : "NULL");
	put_real(v);
	putchar('\n');
}

static void
pr_ind(void *arg, const struct store_indicators *r)
{
	(void)arg;
	printf("  indicators|%s|", r->district);
	put_real(r->collected_kg);
	putchar('|');
	put_real(r->recycling_rate);
	putchar('|');
	put_real(r->harmless_rate);
	putchar('|');
	put_real(r->cw_rate);
	putchar('|');
	put_real(r->clearance_rate);
	putchar('|');
	put_real(r->closure_rate);
	putchar('|');
	put_real(r->discrepancy_rate);
	putchar('|');
	put_real(r->authorised_share);
	printf("|%" PRId64 "|%" PRId64 "\n", r->manifests, r->overdue);
}

static void
pr_item(void *arg, const struct store_manifest_item *it)
{
	(void)arg;
	printf("  item|%s|%s|%s|", it->scheme, it->manifest_no, it->verdict);
	put_real(it->declared_kg);
	putchar('|');
	put_real(it->received_kg);
	putchar('|');
	put_real(it->diff_pct);
	printf("|%" PRId64 "\n", it->departed_ms);
}

static void
pr_alert(void *arg, const struct store_alert_item *it)
{
	(void)arg;
	printf("  alert|%" PRId64 "|%" PRId64 "|%s|%s|%s|%s\n", it->id,
	    it->opened_ms, it->kind, it->severity, it->subject, it->district);
}

static char tag_tonnage[] = "tonnage", tag_open[] = "open";

static int
reader(const struct store_where *w, const char *day)
{
	static const char *const days[] = { "2026-12-06", "2026-12-07",
		"2026-12-08", NULL };
	struct store_manifest_counts mc;
	struct store_alert_counts ac;
	struct store_muck_day md;
	struct store *s;
	int i, rc = 0;

	(void)day;
	if (store_open_reader_at(w, &s) == -1 || store_read_begin(s) == -1)
		return -1;
	for (i = 0; days[i] != NULL; i++) {
		printf("## reader day %s\n", days[i]);
		if (store_day_tonnage(s, days[i], pr_row, tag_tonnage) == -1 ||
		    store_day_indicators(s, days[i], pr_ind, NULL) == -1 ||
		    store_day_muck(s, days[i], &md) == -1)
			rc = -1;
		else
			printf("  muck|%" PRId64 "|%" PRId64 "|%" PRId64
			       "|%" PRId64 "|%" PRId64 "\n",
			    md.trips, md.authorised, md.unauthorised,
			    md.night_window, md.permit);
	}
	printf("## reader manifests\n");
	if (store_manifest_counts(s, &mc) == -1 ||
	    store_manifest_items(s, "discrepancy", 10, pr_item, NULL) == -1 ||
	    store_manifest_items(s, "overdue", 1, pr_item, NULL) == -1 ||
	    store_manifest_items(s, "ok", -1, pr_item, NULL) == -1)
		rc = -1;
	else
		printf("  counts|%" PRId64 "|%" PRId64 "|%" PRId64 "\n",
		    mc.open, mc.overdue, mc.discrepancies);
	printf("## reader alerts\n");
	if (store_alert_open_by_kind(s, pr_row, tag_open) == -1 ||
	    store_alert_counts(s, &ac) == -1 ||
	    store_alert_items(s, 2, pr_alert, NULL) == -1 ||
	    store_alert_items(s, -1, pr_alert, NULL) == -1)
		rc = -1;
	else
		printf("  counts|%" PRId64 "|%" PRId64 "|%" PRId64 "\n",
		    ac.opened_total, ac.open, ac.unpublished);
	store_read_end(s);
	store_close(s);
	return rc;
}

/* ---- the named queries ---- */

static void
manifests(struct store_query *q)
{
	static const char *const nos[] = { "M1", "M2", "M3", "M4", "M5", "none",
		NULL };
	int i;
	enum store_q id;

	for (i = 0; nos[i] != NULL; i++)
		for (id = STORE_Q_MANIFEST; id <= STORE_Q_MANIFEST_VERDICT;
		     id++)
			run(q, id, nos[i], NULL, NULL, NULL, 0, 0);
}

static void
vehicles(struct store_query *q, const char *day, int64_t from, int64_t to)
{
	static const char *const plates[][2] = { { "吉A20002", NULL },
		{ "吉A10001", NULL }, { "吉A30003", NULL }, { NULL, "v2" },
		{ "吉A99999", "v9" }, { "nobody", NULL } };
	size_t i;
	enum store_q id;

	for (i = 0; i < sizeof(plates) / sizeof(plates[0]); i++)
		for (id = STORE_Q_VEHICLES; id <= STORE_Q_VEHICLE_POSITIONS;
		     id++)
			run(q, id, plates[i][0], day, NULL, plates[i][1], from,
			    to);
}

static void
rejects(struct store_query *q, int64_t since)
{
	static const char *const reasons[] = { NULL, "bad_utf8", "bad_json" };
	size_t i;
	enum store_q id;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		for (id = STORE_Q_REJECT_REASONS; id <= STORE_Q_REJECT_SAMPLES;
		     id++)
			run(q, id, reasons[i], NULL, NULL, NULL, since, 2);
}

static int
queries(const struct store_where *w, int64_t now, const char *day)
{
	struct store_query *q;

	if (store_query_open_at(w, &q) == -1)
		return -1;
	run(q, STORE_Q_REPORT, "2026-12-01", day, NULL, NULL, 0, 0);
	run(q, STORE_Q_REPORT, "2026-12-01", day, "本期", NULL, 0, 0);
	run(q, STORE_Q_REPORT, "2030-01-01", "2030-01-02", "空", NULL, 0, 0);
	manifests(q);
	vehicles(q, day, now - 2 * DAY_MS, now);
	vehicles(q, "2026-12-06", 0, now);
	rejects(q, 0);
	rejects(q, now);
	printf("## meta\n");
	if (store_query_run(q, STORE_Q_META, NULL, print_row, NULL) == -1)
		failures++;
	run(q, STORE_Q_ACTIVITY, NULL, NULL, NULL, NULL, now - DAY_MS, 0);
	run(q, STORE_Q_INTEGRITY, NULL, NULL, NULL, NULL, 0, 0);
	run(q, STORE_Q_QUICK_CHECK, NULL, NULL, NULL, NULL, 0, 0);
	run(q, STORE_Q_API_VEHICLES, NULL, NULL, NULL, NULL, now - DAY_MS, 10);
	run(q, STORE_Q_API_VEHICLES, NULL, NULL, NULL, NULL, 0, 1);
	run(q, STORE_Q_API_VEHICLES, NULL, NULL, NULL, NULL, 0, -1);
	run(q, STORE_Q_API_POSITIONS, "吉A20002", NULL, NULL, NULL, 0, 10);
	run(q, STORE_Q_API_POSITIONS, NULL, NULL, NULL, "v7", 0, 2);
	run(q, STORE_Q_API_POSITIONS, NULL, NULL, NULL, "v7", now, -1);
	run(q, STORE_Q_API_ALERTS, NULL, NULL, NULL, NULL, 0, 10);
	run(q, STORE_Q_API_ALERTS, NULL, NULL, NULL, NULL, 0, 1);
	run(q, STORE_Q_API_ALERTS_OPEN, NULL, NULL, NULL, NULL, 0, 0);
	store_query_close(q);
	return 0;
}

/* ---- the budget ---- */

static int
count_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	(void)n;
	(void)names;
	if (v != NULL)
		++*(int *)arg;
	return 0;
}

static int
budget(const struct store_where *w, int ms, const char *plate, int64_t from,
    int64_t to)
{
	struct store_q_args a = { { plate, NULL, NULL, NULL }, { from, to } };
	struct store_query *q;
	enum store_q id;
	int64_t t0;
	int i, k, rc, rows = 0, planned;

	if (store_query_open_at(w, &q) == -1)
		return -1;
	store_query_budget(q, ms);
	t0 = clock_mono_us();
	rc =
	    store_query_run(q, STORE_Q_VEHICLE_POSITIONS, &a, count_row, &rows);
	printf("budget %d %d %" PRId64 "\n", rc, store_query_timed_out(q),
	    (clock_mono_us() - t0) / 1000);
	store_query_budget(q, 0);
	rows = 0;
	t0 = clock_mono_us();
	rc =
	    store_query_run(q, STORE_Q_VEHICLE_POSITIONS, &a, count_row, &rows);
	printf("free %d %d %" PRId64 " %d\n", rc, store_query_timed_out(q),
	    (clock_mono_us() - t0) / 1000, rows);
	/* What a budget costs a small query (statement_timeout set before
	 * each): 200 runs without one, then 200 each with its own. */
	for (i = 0; i < 2; i++) {
		t0 = clock_mono_us();
		for (k = 0, rows = 0; k < 200; k++) {
			store_query_budget(q, i == 0 ? 0 : 10000);
			if (store_query_run(q, STORE_Q_API_ALERTS_OPEN, &a,
				count_row, &rows) == -1)
				rc = -1;
		}
		printf("small %d %d %" PRId64 "\n", i, rows,
		    (clock_mono_us() - t0) / 200);
	}
	store_query_budget(q, 0);
	/* Every query has a plan (a generic one: no argument known). */
	for (id = 0, planned = 0; id < STORE_Q_COUNT; id++) {
		rows = 0;
		if (store_query_plan(q, id, count_row, &rows) == 0 && rows > 0)
			planned++;
	}
	printf("plan %d %d\n", planned, STORE_Q_COUNT);
	store_query_close(q);
	return 0;
}

/* pg_read --meta|--check BACKEND PATH [PASSWORD_FILE]: STORE_Q_META,
 * or STORE_Q_INTEGRITY and STORE_Q_QUICK_CHECK. */
static int
alone(const struct store_where *w, int check)
{
	struct store_query *q;
	int rc;

	if (store_query_open_at(w, &q) == -1)
		return -1;
	if (!check)
		rc = store_query_run(q, STORE_Q_META, NULL, print_row, NULL);
	else if ((rc = store_query_run(q, STORE_Q_INTEGRITY, NULL, print_row,
		      NULL)) == 0)
		rc = store_query_run(q, STORE_Q_QUICK_CHECK, NULL, print_row,
		    NULL);
	store_query_close(q);
	return rc;
}

static int
one_mode(const char *arg)
{
	return strcmp(arg, "--meta") == 0 || strcmp(arg, "--check") == 0 ||
	    strcmp(arg, "--restart") == 0;
}

/* pg_read --restart BACKEND PATH [PASSWORD_FILE]: STORE_Q_ACTIVITY,
 * "ready", then, once a line comes on stdin (the server restarted
 * meanwhile), STORE_Q_ACTIVITY again on the same handle. */
static int
restart(const struct store_where *w)
{
	struct store_q_args a = { { NULL }, { 0 } };
	struct store_query *q;
	char line[16];
	int rc;

	if (store_query_open_at(w, &q) == -1)
		return -1;
	rc = store_query_run(q, STORE_Q_ACTIVITY, &a, print_row, NULL);
	printf("ready\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    store_query_run(q, STORE_Q_ACTIVITY, &a, print_row, NULL) == -1)
		rc = -1;
	store_query_close(q);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store_where w = { NULL, NULL, NULL, "pg-read" };
	int b = argc > 1 && strcmp(argv[1], "--budget") == 0;
	int fixed = b ? 5 : 3; /* arguments after the optional password */
	int i, rc;

	if (argc > 1 && one_mode(argv[1])) {
		if (argc != 4 && argc != 5)
			return 2;
		w.backend = argv[2];
		w.path = argv[3];
		w.password_file = argc == 5 ? argv[4] : NULL;
		if (strcmp(argv[1], "--restart") != 0)
			rc = alone(&w, strcmp(argv[1], "--check") == 0);
		else
			rc = restart(&w);
		return rc == -1 ? 1 : 0;
	}
	argv += b;
	argc -= b;
	if (argc != fixed + 2 && argc != fixed + 3) {
		fprintf(stderr,
		    "usage: pg_read BACKEND PATH [PASSWORD_FILE] NOW_MS DAY\n"
		    "       pg_read --budget BACKEND PATH [PASSWORD_FILE] MS "
		    "PLATE FROM TO\n");
		return 2;
	}
	w.backend = argv[1];
	w.path = argv[2];
	i = 3;
	if (argc == fixed + 3)
		w.password_file = argv[i++];
	if (b)
		return budget(&w, atoi(argv[i]), argv[i + 1],
			   strtoll(argv[i + 2], NULL, 10),
			   strtoll(argv[i + 3], NULL, 10)) == -1
		    ? 1
		    : 0;
	if (reader(&w, argv[i + 1]) == -1) {
		printf("READER FAILED\n");
		failures++;
	}
	if (queries(&w, strtoll(argv[i], NULL, 10), argv[i + 1]) == -1) {
		printf("QUERY OPEN FAILED\n");
		failures++;
	}
	return failures > 0 ? 1 : 0;
}
