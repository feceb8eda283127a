/*
 * test_reconcile: incremental reconciliation gives the full rebuild's
 * links and verdicts. Two databases get the same writes through the
 * store API; one is reconciled by passes (with tiny slices, so that
 * every catch-up is split, and sometimes left half done while more data
 * arrives), the other by store_reconcile_full() at the same time; links
 * and verdicts are compared row by row. The data: the edge cases of
 * integration-reconcile and test_store, then generated days of
 * manifests and tickets over three facilities — references either way,
 * plate-window matches, ticket numbers that restart every day, shared
 * tickets, undeclared masses, late tickets, corrections that move a
 * ticket or change its plate, voids, outbound and distrusted tickets,
 * cancellations, receiver-reported masses — with overdue deadlines
 * passing and a changed setting.
 */
#include "check.h"
#include "tmpfiles.h"

#include "config.h"
#include "event.h"
#include "store.h"
#include "store_int.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0   INT64_C(1691337600000) /* 2023-08-07 00:00 +08:00 */
#define HOUR INT64_C(3600000)
#define DAY  (24 * HOUR)
#define DAYS 12

static char f1[] = "F1", f2[] = "F2", f3[] = "F3", fname[] = "plant";
static char fkind[] = "incinerator", fdist[] = "D1";
static struct cfg_facility facilities[] = {
	{ .id = f1, .name = fname, .kind = fkind, .district = fdist },
	{ .id = f2, .name = fname, .kind = fkind, .district = fdist },
	{ .id = f3, .name = fname, .kind = fkind, .district = fdist },
};

/* ---- a deterministic generator ---- */

static uint64_t rng_state = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* Events waiting for their phase (late ones are filed ahead). */
struct bucket {
	struct ev *ev;
	size_t n, cap;
};
static struct bucket phases[DAYS + 4];

static struct ev *
event_at(int phase, enum ev_kind k)
{
	struct bucket *b = &phases[phase < DAYS + 3 ? phase : DAYS + 3];
	struct ev *e;

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->ev = realloc(b->ev, b->cap * sizeof(*b->ev));
		if (b->ev == NULL)
			abort();
	}
	e = &b->ev[b->n++];
	memset(e, 0, sizeof(*e));
	ev_init(e, k);
	return e;
}

static const char *
sdup(struct ev *e, const char *s)
{
	const char *d = ev_strdup(e, s);

	if (d == NULL)
		abort();
	return d;
}

static struct ev *
weighing(int phase, const char *fac, const char *ticket, const char *plate,
    int64_t first, double net, const char *status)
{
	struct ev *e = event_at(phase, EV_WEIGHING);
	struct ev_weighing *w = &e->u.wb;

	w->facility = sdup(e, fac);
	w->ticket = sdup(e, ticket);
	w->plate = sdup(e, plate);
	w->direction = "in";
	w->waste = "msw.residual";
	w->status = status;
	w->net_kg = net;
	w->first_ms = first;
	w->second_ms = first + 600000;
	return e;
}

static struct ev *
manifest(int phase, const char *scheme, const char *no, const char *plate,
    const char *fac, int64_t version, const char *status, int64_t ts,
    double declared)
{
	struct ev *e = event_at(phase, EV_MANIFEST);
	struct ev_manifest *m = &e->u.man;

	m->scheme = sdup(e, scheme);
	m->manifest_no = sdup(e, no);
	m->plate = sdup(e, plate);
	m->receiver_facility = sdup(e, fac);
	m->status = status;
	m->version = version;
	m->ts_ms = ts;
	m->declared_kg = declared;
	return e;
}

static void
refs(struct ev *e, const char *fac, const char *t1, const char *t2)
{
	struct ev_manifest *m = &e->u.man;
	struct ev_manifest_ticket *t = ev_alloc(e, 2 * sizeof(*t));

	if (t == NULL)
		abort();
	t[0].facility = sdup(e, fac);
	t[0].ticket = sdup(e, t1);
	if (t2 != NULL) {
		t[1].facility = t[0].facility;
		t[1].ticket = sdup(e, t2);
	}
	m->tickets = t;
	m->ntickets = t2 != NULL ? 2 : 1;
}

/* integration-reconcile's and test_store's cases, on day 0. */
static void
edge_cases(void)
{
	int64_t d0 = T0, d1 = T0 + DAY;
	struct ev *e;

	weighing(0, "F3", "H-100", "A00001", d0 + 10 * HOUR, 1000, "complete");
	weighing(0, "F3", "H-100", "A00009", d1 + 10 * HOUR, 500, "complete");
	e = manifest(0, "hw", "DAY", "A00001", "F3", 1, "received",
	    d0 + 8 * HOUR, 1000);
	e->u.man.departed_ms = d0 + 8 * HOUR;
	refs(e, "F3", "H-100", NULL);
	weighing(0, "F3", "H-200", "A00002", d0 + 11 * HOUR, 1000, "complete");
	e = manifest(0, "hw", "DECL", "A00002", "F3", 1, "received",
	    d0 + 9 * HOUR, 1000);
	e->u.man.departed_ms = d0 + 9 * HOUR;
	refs(e, "F3", "H-200", NULL);
	e = manifest(0, "hw", "NODECL", "A00002", "F3", 1, "received",
	    d0 + 9 * HOUR, NAN);
	e->u.man.departed_ms = d0 + 9 * HOUR;
	refs(e, "F3", "H-200", NULL);
	weighing(0, "F3", "H-400", "A00004", d0 + 12 * HOUR, 1000, "complete");
	e = manifest(0, "hw", "REF", "A00004", "F3", 1, "received",
	    d0 + 11 * HOUR, 1000);
	e->u.man.departed_ms = d0 + 11 * HOUR;
	refs(e, "F3", "H-400", NULL);
	e = manifest(0, "hw", "NOREF", "A00004", "F3", 1, "received",
	    d0 + 10 * HOUR + 1800000, 800);
	e->u.man.departed_ms = d0 + 10 * HOUR + 1800000;
	manifest(0, "hw", "CREATED", "A00005", "F3", 1, "created",
	    d0 + 7 * HOUR, 300);
	/* test_store: ok, discrepancy, pending, overdue by plate. */
	manifest(0, "msw", "M-OK", "B1", "F1", 1, "in_transit", d0 + HOUR,
	    1000);
	manifest(0, "msw", "M-DISC", "B2", "F1", 1, "in_transit", d0 + HOUR,
	    1000);
	manifest(0, "msw", "M-PEND", "B3", "F1", 1, "in_transit", d0 + HOUR,
	    1000);
	manifest(0, "msw", "M-OVER", "B4", "F1", 1, "in_transit", d0 - 3 * DAY,
	    1000);
	weighing(0, "F1", "T1", "B1", d0 + 2 * HOUR, 1040, "complete");
	weighing(0, "F1", "T2", "B2", d0 + 2 * HOUR, 1500, "complete");
}

static const char *const facs[] = { "F1", "F2", "F3" };

/* A later version of a ticket: a new net, plate, time or a void. */
static void
correct(int phase, const struct ev *orig)
{
	const struct ev_weighing *o = &orig->u.wb;
	struct ev *e;
	unsigned how = rnd(4);

	e = weighing(phase, o->facility, o->ticket, o->plate, o->first_ms,
	    o->net_kg + 100 + rnd(50) / 10.0, "complete");
	e->u.wb.version = 2;
	e->u.wb.manifest_no = o->manifest_no ? sdup(e, o->manifest_no) : NULL;
	if (how == 1)
		e->u.wb.plate = sdup(e, "Q99");
	else if (how == 2) /* to the next day, a new identity kept */
		e->u.wb.first_ms = o->first_ms + 20 * HOUR;
	else if (how == 3)
		e->u.wb.status = "void";
}

/* The trip of one manifest: its updates and its ticket, some late. */
static void
trip(int day, int i)
{
	char no[32], plate[16], ticket[16], ticket2[16];
	const char *fac = facs[rnd(3)], *scheme = rnd(2) ? "msw" : "hw";
	int64_t dep =
	    T0 + day * DAY + (int64_t)rnd(20) * HOUR + rnd(3600) * 1000;
	double decl = rnd(8) == 0 ? NAN : 1000 + rnd(4000) + rnd(10) / 10.0;
	unsigned mode = rnd(10), late = rnd(10);
	int tphase = late < 2 ? day + 1 + (int)rnd(3) : day;
	struct ev *e, *w;

	snprintf(no, sizeof(no), "G%02d-%03d", day, i);
	snprintf(plate, sizeof(plate), "P%02u", rnd(12));
	/* Numbers restart every day: the same number on other days. */
	snprintf(ticket, sizeof(ticket), "%03u", rnd(40));
	snprintf(ticket2, sizeof(ticket2), "%03u", rnd(40));
	manifest(day, scheme, no, plate, fac, 1, "created", dep - HOUR, decl);
	if (rnd(10) == 0)
		return; /* never departs */
	e = manifest(day, scheme, no, plate, fac, 2, "in_transit", dep, NAN);
	if (mode < 4)
		refs(e, fac, ticket, rnd(6) == 0 ? ticket2 : NULL);
	if (rnd(12) != 0) {
		w = weighing(tphase, fac, ticket, rnd(10) ? plate : "P99",
		    dep + (int64_t)rnd(30) * HOUR + rnd(60) * 60000,
		    isnan(decl) ? 2000 : decl * (0.8 + rnd(40) / 100.0),
		    rnd(15) == 0 ? "open" : "complete");
		if (mode >= 4 && mode < 7)
			w->u.wb.manifest_no = sdup(w, no);
		if (rnd(15) == 0)
			w->u.wb.direction = "out";
		if (rnd(20) == 0)
			w->dq = DQ_IMPLAUSIBLE_WEIGHT;
		if (rnd(12) == 0)
			correct(tphase + 1 + (int)rnd(3), w);
	}
	switch (rnd(8)) {
	case 0:
		manifest(day + 1 + (int)rnd(3), scheme, no, plate, fac, 3,
		    "cancelled", dep + 2 * HOUR, NAN);
		break;
	case 1:
		e = manifest(day + (int)rnd(4), scheme, no, plate, fac, 3,
		    "received", dep + 5 * HOUR, NAN);
		e->u.man.received_kg = 1500 + rnd(100);
		break;
	case 2: /* a late reference to another ticket */
		e = manifest(day + 2 + (int)rnd(2), scheme, no, plate, fac, 4,
		    "closed", dep + 30 * HOUR, NAN);
		refs(e, fac, ticket2, NULL);
		break;
	}
}

/* ---- writing and comparing ---- */

static void
put(struct store *s, struct ev *e, int64_t now)
{
	static unsigned n;
	char sha[65];
	struct store_msg m;
	enum store_result res = STORE_NEW, er;
	int64_t mid = -1;

	snprintf(sha, sizeof(sha), "%064u", ++n);
	memset(&m, 0, sizeof(m));
	m.topic = "t/recon";
	m.profile = "wastetrack";
	m.payload = "{}";
	m.payload_len = 2;
	m.received_ms = now;
	m.sha256 = sha;
	CHECK(store_message_find(s, &m, &mid, &res) == 0);
	CHECK(store_event(s, e, mid, 480, now, &er) == 0);
	CHECK(store_message_add(s, &m, mid, "stored", "test") == 0);
}

static void
deliver(struct store *inc, struct store *full, int phase, int64_t now)
{
	struct bucket *b = &phases[phase];
	size_t i;

	CHECK(store_begin(inc) == 0);
	CHECK(store_begin(full) == 0);
	for (i = 0; i < b->n; i++) {
		put(inc, &b->ev[i], now);
		put(full, &b->ev[i], now);
		ev_reset(&b->ev[i]);
	}
	CHECK(store_commit(inc) == 0);
	CHECK(store_commit(full) == 0);
	b->n = 0;
}

static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "open %s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

static int
same_value(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
	int ta = sqlite3_column_type(a, i), tb = sqlite3_column_type(b, i);
	double x, y;

	if (ta != tb)
		return 0;
	if (ta == SQLITE_NULL)
		return 1;
	if (ta == SQLITE_FLOAT) {
		/* Shares of one ticket may be summed in another order. */
		x = sqlite3_column_double(a, i);
		y = sqlite3_column_double(b, i);
		return fabs(x - y) <= 1e-9 * fmax(1, fabs(y));
	}
	return strcmp((const char *)sqlite3_column_text(a, i),
		   (const char *)sqlite3_column_text(b, i)) == 0;
}

/* The rows of sql in both databases, equal one by one; the count. */
static int
compare(const char *pa, const char *pb, const char *sql, const char *what)
{
	sqlite3 *da = raw_open(pa), *db = raw_open(pb);
	sqlite3_stmt *a = NULL, *b = NULL;
	int ra, rb, i, rows = 0, bad = 0;

	CHECK(sqlite3_prepare_v2(da, sql, -1, &a, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &b, NULL) == SQLITE_OK);
	for (;;) {
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
		if (ra != SQLITE_ROW || rb != SQLITE_ROW)
			break;
		rows++;
		for (i = 0; i < sqlite3_column_count(a); i++)
			if (!same_value(a, b, i) && bad++ < 5)
				fprintf(stderr,
				    "%s row %d: %s|%s col %d: %s vs %s\n", what,
				    rows, sqlite3_column_text(a, 0),
				    sqlite3_column_text(a, 1), i,
				    sqlite3_column_text(a, i),
				    sqlite3_column_text(b, i));
	}
	CHECK(ra == SQLITE_DONE && rb == SQLITE_DONE);
	CHECK_INT(bad, 0);
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	sqlite3_close(da);
	sqlite3_close(db);
	return rows;
}

static void
compare_all(const char *inc, const char *full, int phase)
{
	char what[32];
	int links, verdicts;

	snprintf(what, sizeof(what), "links after day %d", phase);
	links = compare(inc, full,
	    "SELECT scheme, manifest_no, facility, ticket, day, method,"
	    " allocated_kg FROM reconciliation_links ORDER BY 1, 2, 3, 4, 5",
	    what);
	snprintf(what, sizeof(what), "verdicts after day %d", phase);
	verdicts = compare(inc, full,
	    "SELECT scheme, manifest_no, declared_kg, received_kg, diff_pct,"
	    " method, verdict FROM reconciliations ORDER BY 1, 2",
	    what);
	CHECK(links > 0);
	CHECK(verdicts > 0);
}

/* Passes until nothing is left; how many. */
static int
drain(struct store *s, int64_t now, const struct config *cfg)
{
	int more = 1, n = 0, behind = 1;

	while (more && n < 100000) {
		CHECK(store_reconcile_pass(s, now, cfg, &more) == 0);
		n++;
	}
	CHECK(store_reconcile_behind(s, &behind) == 0);
	CHECK_INT(behind, 0);
	return n;
}

static int64_t
one_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	int64_t v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_same_as_full(void)
{
	char bi[PATH_MAX], bf[PATH_MAX];
	const char *pi = tdb_path("inc.db", bi, sizeof(bi));
	const char *pf = tdb_path("full.db", bf, sizeof(bf));
	struct config *cfg = config_default();
	struct store *inc = NULL, *full = NULL;
	int64_t now = 0, settled = 0;
	int day, i, passes = 0;
	char sql[160];

	cfg->facilities = facilities;
	cfg->nfacilities = 3;
	cfg->reconcile.window_h = 24;
	cfg->reconcile.overdue_h = 48;
	cfg->reconcile.tolerance_pct = 10;
	if (store_open(pi, 0, &inc) == -1 || store_open(pf, 0, &full) == -1)
		goto done;
	/* Every catch-up in many slices. */
	store_sqlite_of(inc)->recon_slice = 7;
	store_sqlite_of(inc)->recon_marks = 5;
	store_sqlite_of(inc)->recon_requeue = 11;
	CHECK(store_sync_config(inc, cfg) == 0);
	CHECK(store_sync_config(full, cfg) == 0);
	edge_cases();
	for (day = 0; day < DAYS; day++)
		for (i = 0; i < 25; i++)
			trip(day, i);
	for (day = 0; day < DAYS + 4; day++) {
		now = T0 + day * DAY + 23 * HOUR;
		deliver(inc, full, day, now);
		if (day % 3 == 1) {
			/* Half a catch-up, then more data: the next day's
			 * passes finish it. */
			CHECK(store_reconcile(inc, now, cfg) == 0);
			continue;
		}
		if (day == 9) /* a new setting: everything again */
			cfg->reconcile.tolerance_pct = 5;
		passes += drain(inc, now, cfg);
		CHECK(store_reconcile_full(full, now, cfg) == 0);
		compare_all(pi, pf, day);
		/* Caught up: every row is current as of this pass. */
		snprintf(sql, sizeof(sql),
		    "SELECT count(*) FROM reconciliations"
		    " WHERE updated_ms <> %" PRId64,
		    now);
		CHECK_INT(one_int(pi, sql), 0);
		if (day == 3)
			settled = one_int(pi,
			    "SELECT derived_ms FROM reconciliation_results"
			    " WHERE manifest_no = 'DAY'");
	}
	CHECK(passes > DAYS);
	/* A manifest settled on day 0 was not derived again after day 3
	 * (nothing it depends on changed), but before the setting. */
	CHECK(settled > 0);
	CHECK(one_int(pi,
		  "SELECT derived_ms FROM reconciliation_results"
		  " WHERE manifest_no = 'DAY'") >= settled);
	/* The edge cases' verdicts, as integration-reconcile states them. */
	CHECK_INT(one_int(pi,
		      "SELECT count(*) FROM reconciliations WHERE"
		      " (manifest_no = 'NOREF' AND verdict = 'pending') OR"
		      " (manifest_no = 'M-DISC' AND verdict = 'discrepancy') OR"
		      " (manifest_no = 'NODECL' AND received_kg = 500)"),
	    3);
done:
	store_close(inc);
	store_close(full);
	cfg->facilities = NULL;
	cfg->nfacilities = 0;
	config_free(cfg);
	for (day = 0; day < DAYS + 4; day++)
		free(phases[day].ev);
}

/* A pass after nothing changed touches no row, and says nothing is
 * left; a changed ticket re-derives only the manifests it concerns. */
static void
test_untouched(void)
{
	char buf[PATH_MAX];
	const char *p = tdb_path("quiet.db", buf, sizeof(buf));
	struct config *cfg = config_default();
	struct store *s = NULL;
	int64_t now = T0 + 10 * HOUR;
	int more = 1;
	struct ev *e;

	cfg->facilities = facilities;
	cfg->nfacilities = 3;
	if (store_open(p, 0, &s) == -1)
		goto done;
	CHECK(store_sync_config(s, cfg) == 0);
	manifest(0, "msw", "Q1", "X1", "F1", 1, "in_transit", T0, 1000);
	manifest(0, "msw", "Q2", "X2", "F1", 1, "in_transit", T0, 1000);
	weighing(0, "F1", "001", "X1", T0 + HOUR, 1000, "complete");
	CHECK(store_begin(s) == 0);
	for (size_t i = 0; i < phases[0].n; i++) {
		put(s, &phases[0].ev[i], now);
		ev_reset(&phases[0].ev[i]);
	}
	phases[0].n = 0;
	CHECK(store_commit(s) == 0);
	CHECK(store_reconcile_pass(s, now, cfg, &more) == 0);
	CHECK_INT(more, 0);
	CHECK(store_reconcile_pass(s, now + 1000, cfg, &more) == 0);
	CHECK_INT(more, 0);
	CHECK_INT(one_int(p,
		      "SELECT count(*) FROM reconciliation_results"
		      " WHERE derived_ms <> "
		      "1691373600000"),
	    0);
	/* The view still says: current as of the last pass. */
	CHECK_INT(one_int(p, "SELECT min(updated_ms) FROM reconciliations"),
	    now + 1000);
	e = weighing(0, "F1", "002", "X2", T0 + 2 * HOUR, 900, "complete");
	(void)e;
	CHECK(store_begin(s) == 0);
	put(s, &phases[0].ev[0], now + 2000);
	ev_reset(&phases[0].ev[0]);
	phases[0].n = 0;
	CHECK(store_commit(s) == 0);
	CHECK(store_reconcile_pass(s, now + 3000, cfg, &more) == 0);
	CHECK_INT(one_int(p,
		      "SELECT derived_ms FROM reconciliation_results"
		      " WHERE manifest_no = 'Q1'"),
	    now);
	CHECK_INT(one_int(p,
		      "SELECT derived_ms FROM reconciliation_results"
		      " WHERE manifest_no = 'Q2'"),
	    now + 3000);
	CHECK_INT(one_int(p,
		      "SELECT count(*) FROM reconciliations WHERE"
		      " verdict = 'ok' AND updated_ms = 1691373603000"),
	    2);
done:
	store_close(s);
	cfg->facilities = NULL;
	cfg->nfacilities = 0;
	config_free(cfg);
	free(phases[0].ev);
	phases[0].ev = NULL;
	phases[0].cap = 0;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
		check_failures++;
	}
	sqlite3_free(err);
	sqlite3_close(db);
}

/*
 * Upgrading from version 6: the verdicts of the last full run stay
 * readable (with their time) until the first passes have derived every
 * manifest again; then they are current.
 */
static void
test_upgrade(void)
{
	char buf[PATH_MAX];
	const char *p = tdb_path("v6.db", buf, sizeof(buf));
	struct config *cfg = config_default();
	struct store *s = NULL;
	sqlite3 *db = NULL;
	int more = 0, n = 0;

	CHECK(sqlite3_open(p, &db) == SQLITE_OK);
	CHECK(store_migrate(db, p, 6) == 0);
	sqlite3_close(db);
	raw_exec(p,
	    "INSERT INTO manifests(scheme, manifest_no, version, status,"
	    " plate, receiver_facility, departed_ms, declared_kg, updated_ms)"
	    " VALUES('msw', 'U1', 2, 'in_transit', 'U', 'F1', 1691337600000,"
	    " 1000, 1691337600000), ('msw', 'U2', 1, 'created', 'V', 'F1',"
	    " NULL, 500, 1691337600000);"
	    "INSERT INTO weighings(facility, ticket, day, version, plate,"
	    " direction, net_kg, first_ms, status, fingerprint, key_day)"
	    " VALUES('F1', '001', '2023-08-07', 1, 'U', 'in', 1300,"
	    " 1691341200000, 'complete', 'fp', '2023-08-07');"
	    "INSERT INTO reconciliations VALUES('msw', 'U1', 1000, NULL, NULL,"
	    " NULL, 'pending', 1691340000000)");
	if (store_open(p, 0, &s) == -1)
		goto done;
	CHECK_INT(one_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_INT(one_int(p,
		      "SELECT updated_ms FROM reconciliations"
		      " WHERE verdict = 'pending'"),
	    INT64_C(1691340000000));
	CHECK_INT(one_int(p,
		      "SELECT count(*) FROM meta"
		      " WHERE key = 'reconcile_requeue'"),
	    1);
	store_sqlite_of(s)->recon_requeue =
	    1; /* a catch-up of several passes */
	do {
		CHECK(store_reconcile_pass(s, T0 + 5 * HOUR, cfg, &more) == 0);
		n++;
	} while (more && n < 10);
	CHECK_INT(n, 2); /* U2, then U1: one key requeued a pass */
	CHECK_INT(one_int(p,
		      "SELECT count(*) FROM reconciliations"
		      " WHERE verdict = 'discrepancy' AND received_kg = 1300"),
	    1);
	CHECK_INT(one_int(p,
		      "SELECT count(*) FROM reconciliations"
		      " WHERE updated_ms = 1691355600000"),
	    2);
	CHECK_INT(one_int(p,
		      "SELECT count(*) FROM meta"
		      " WHERE key LIKE 'reconcile_requeue%'"),
	    0);
done:
	store_close(s);
	config_free(cfg);
}

int
main(void)
{
	tmpfiles_init("test_reconcile");
	test_untouched();
	test_upgrade();
	test_same_as_full();
	/* KEEP=1 leaves the databases for a look with sqlite3. */
	if (getenv("KEEP") == NULL)
		tmpfiles_cleanup();
	return check_result("test_reconcile");
}
