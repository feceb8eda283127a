/*
 * wtbench-year: a year of manifests and weighbridge tickets written
 * straight through the store API (no broker, no daemon), then the cost
 * of reconciling it: the full rebuild, a pass with nothing changed, a
 * pass after a handful of changes, and the catch-up of an upgrade
 * (every manifest queued, as the schema v7 migration does) in slices,
 * with the longest write transaction of a slice; the log is copied back
 * between passes, untimed, as the daemon's checkpoint thread does. See
 * docs/reconciliation.md for the figures and tools/bench/README.md.
 *
 *	wtbench-year [--days N] [--per-day M] [--db PATH] [--keep]
 *
 * The trips follow tools/wtsim: a manifest created, in transit,
 * received and closed with its ticket named, a ticket opened and
 * completed naming its manifest, one ticket in a hundred corrected,
 * ticket numbers counting up per facility; three trips in a hundred
 * carry no reference and match by plate and time.
 */
#include "clock.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "store.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOUR  INT64_C(3600000)
#define DAY   (24 * HOUR)
#define START INT64_C(1672502400000) /* 2023-01-01 00:00 +08:00 */
#define NFAC  5

/* Writable, as the configuration's own strings are. */
static char fac_ids[NFAC][16] = { "CC-KWP-01", "CC-INC-02", "CC-LF-01",
	"CC-RC-01", "CC-HW-01" };
static char fac_kinds[NFAC][24] = { "food_waste_plant", "incinerator",
	"sanitary_landfill", "recycling_center", "hw_facility" };
static const char *const schemes[NFAC] = { "CN_KW", "OTHER", "OTHER", "OTHER",
	"CN_HW" };
static char district[] = "朝阳区", name[] = "facility";

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct gen {
	struct store *s;
	unsigned ticket_no[NFAC];
	uint64_t nmsg;
	int64_t msg_now;
};

static void
die(const char *what)
{
	fprintf(stderr, "wtbench-year: %s failed\n", what);
	exit(1);
}

/* One message with one event, as ingest writes it. */
static void
put(struct gen *g, const struct ev *e)
{
	char sha[65];
	struct store_msg m;
	enum store_result res = STORE_NEW, er;
	int64_t mid = -1;

	/* Spread over the dedupe index's 16-digit prefix, as digests are. */
	++g->nmsg;
	snprintf(sha, sizeof(sha), "%016" PRIx64 "%048" PRIu64,
	    g->nmsg * UINT64_C(0x9e3779b97f4a7c15), g->nmsg);
	memset(&m, 0, sizeof(m));
	m.topic = "wt/v1/bench";
	m.profile = "wastetrack";
	m.payload = "{}";
	m.payload_len = 2;
	m.received_ms = g->msg_now;
	m.sha256 = sha;
	if (store_message_find(g->s, &m, &mid, &res) == -1 ||
	    store_event(g->s, e, mid, 480, g->msg_now, &er) == -1 ||
	    store_message_add(g->s, &m, mid, "stored", "bench") == -1)
		die("a write");
}

static void
manifest_ev(struct gen *g, const char *no, int f, const char *plate,
    int64_t version, const char *status, int64_t ts, double declared,
    const char *ticket)
{
	struct ev e;
	struct ev_manifest_ticket t;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_MANIFEST);
	e.u.man.scheme = schemes[f];
	e.u.man.manifest_no = no;
	e.u.man.status = status;
	e.u.man.plate = plate;
	e.u.man.receiver_facility = fac_ids[f];
	e.u.man.generator_district = district;
	e.u.man.version = version;
	e.u.man.ts_ms = ts;
	e.u.man.declared_kg = declared;
	if (ticket != NULL) {
		t.facility = fac_ids[f];
		t.ticket = ticket;
		e.u.man.tickets = &t;
		e.u.man.ntickets = 1;
	}
	put(g, &e);
}

static void
weighing_ev(struct gen *g, int f, const char *ticket, const char *plate,
    const char *no, int64_t version, int64_t first, double net,
    const char *status)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_WEIGHING);
	e.u.wb.facility = fac_ids[f];
	e.u.wb.ticket = ticket;
	e.u.wb.plate = plate;
	e.u.wb.direction = "in";
	e.u.wb.waste = "msw.residual";
	e.u.wb.status = status;
	e.u.wb.version = version;
	e.u.wb.manifest_no = no;
	e.u.wb.first_ms = first;
	e.u.wb.gross_kg = 15000 + net;
	if (strcmp(status, "open") != 0) {
		e.u.wb.tare_kg = 15000;
		e.u.wb.net_kg = net;
		e.u.wb.second_ms = first + 20 * 60000;
	}
	put(g, &e);
}

/* One trip: its manifest's four updates and its ticket, in order. */
static void
trip(struct gen *g, int day, int i, const char *prefix)
{
	char no[40], plate[24], ticket[16];
	int f = (int)rnd(NFAC);
	int64_t dep =
	    START + day * DAY + 6 * HOUR + (int64_t)rnd(14 * 3600) * 1000;
	double declared = 1000 + 10 * rnd(800), net;
	int64_t first = dep + (30 + rnd(60)) * 60000;
	int unref = rnd(100) < 3;

	snprintf(no, sizeof(no), "%s%03d-%04d", prefix, day, i);
	snprintf(plate, sizeof(plate), "吉A%05u", rnd(200));
	snprintf(ticket, sizeof(ticket), "%04u", ++g->ticket_no[f]);
	net = 10 * round(declared * (0.95 + rnd(10) / 100.0) / 10);
	g->msg_now = dep;
	manifest_ev(g, no, f, plate, 1, "created", dep - 30 * 60000, declared,
	    NULL);
	manifest_ev(g, no, f, plate, 2, "in_transit", dep, NAN, NULL);
	weighing_ev(g, f, ticket, plate, unref ? NULL : no, -1, first, net,
	    "open");
	weighing_ev(g, f, ticket, plate, unref ? NULL : no, 1, first, net,
	    "complete");
	manifest_ev(g, no, f, plate, 3, "received", first + 40 * 60000, NAN,
	    unref ? NULL : ticket);
	if (rnd(100) == 0)
		weighing_ev(g, f, ticket, plate, unref ? NULL : no, 2, first,
		    net - 40, "complete");
	manifest_ev(g, no, f, plate, 4, "closed", first + 90 * 60000, NAN,
	    unref ? NULL : ticket);
}

static void
txn(struct store *s, int begin)
{
	if (begin ? store_begin(s) == -1 : store_commit(s) == -1)
		die(begin ? "begin" : "commit");
}

static void
db_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
	sqlite3_close(db);
}

/* A digest of every link and verdict, to compare two results. */
static void
digest(const char *path, char *out, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	snprintf(out, n, "?");
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"SELECT (SELECT count(*) || ' links, ' ||"
		" printf('%.3f', total(allocated_kg)) || ' kg; '"
		" FROM reconciliation_links) || (SELECT group_concat(v, ', ')"
		" FROM (SELECT verdict || ' ' || count(*) AS v"
		" FROM reconciliations GROUP BY verdict ORDER BY verdict))",
		-1, &st, NULL) != SQLITE_OK)
		die("digest");
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, n, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

struct passes {
	int n, argmax;
	double total, max, cpu_max; /* wall clock; CPU of this thread */
	double t[4096];		    /* the first ones */
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of the first passes' times. */
static double
pctl(struct passes *p, double q)
{
	int n = p->n < 4096 ? p->n : 4096;

	qsort(p->t, (size_t)n, sizeof(p->t[0]), cmp_double);
	return n ? p->t[(int)(q * (n - 1))] : 0;
}

/* As in the daemon, the log is copied back by another connection (its
 * checkpoint thread), not inside the writer's commits: between passes,
 * untimed. */
static struct store_maint *maint;

static void
on_pressure(void *arg, int pending)
{
	(void)arg;
	(void)pending;
}

static void
maint_step(void)
{
	int pending, done;

	if (store_maint_step(maint, &pending, &done) == -1)
		die("a checkpoint");
}

/* Passes until nothing is left, each timed: its write transaction. */
static void
drain(struct store *s, int64_t now, const struct config *cfg, struct passes *p)
{
	double t, c;
	int more = 1;

	memset(p, 0, sizeof(*p));
	while (more) {
		maint_step();
		c = cpu_s();
		t = now_s();
		if (store_reconcile_pass(s, now, cfg, &more) == -1)
			die("a pass");
		t = now_s() - t;
		c = cpu_s() - c;
		if (c > p->cpu_max)
			p->cpu_max = c;
		if (p->n < 4096)
			p->t[p->n] = t;
		if (t > p->max) {
			p->max = t;
			p->argmax = p->n;
		}
		p->n++;
		p->total += t;
	}
}

static double
one_pass(struct store *s, int64_t now, const struct config *cfg, int *more)
{
	double t;

	maint_step();
	t = now_s();

	if (store_reconcile_pass(s, now, cfg, more) == -1)
		die("a pass");
	return now_s() - t;
}

int
main(int argc, char **argv)
{
	struct cfg_facility fac[NFAC];
	struct config *cfg = config_default();
	struct gen g;
	static struct passes p;
	const char *path = "wtbench-year.db";
	char d1[256], d2[256];
	int days = 365, per_day = 300, keep = 0, day, i, more;
	int64_t now;
	double t;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--days") == 0 && i + 1 < argc)
			days = atoi(argv[++i]);
		else if (strcmp(argv[i], "--per-day") == 0 && i + 1 < argc)
			per_day = atoi(argv[++i]);
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else {
			fprintf(stderr,
			    "usage: wtbench-year [--days N] [--per-day M]"
			    " [--db PATH] [--keep]\n");
			return 64;
		}
	}
	if (cfg == NULL)
		die("config");
	log_init(0);
	memset(fac, 0, sizeof(fac));
	for (i = 0; i < NFAC; i++) {
		fac[i].id = fac_ids[i];
		fac[i].kind = fac_kinds[i];
		fac[i].district = district;
		fac[i].name = name;
	}
	cfg->facilities = fac;
	cfg->nfacilities = NFAC;
	unlink(path);
	memset(&g, 0, sizeof(g));
	for (i = 0; i < NFAC; i++)
		g.ticket_no[i] = 100 + rnd(3000);
	if (store_open(path, 0, &g.s) == -1 ||
	    store_sync_config(g.s, cfg) == -1 ||
	    store_maint_open(path, &maint) == -1)
		die("open");
	store_on_commit_pressure(g.s, on_pressure, NULL);

	t = now_s();
	for (day = 0; day < days; day++) {
		txn(g.s, 1);
		for (i = 0; i < per_day; i++)
			trip(&g, day, i, "M");
		txn(g.s, 0);
		maint_step();
	}
	printf("wrote %d manifests over %d days: %" PRIu64
	       " messages in %.1f s\n",
	    days * per_day, days, g.nmsg, now_s() - t);
	now = START + days * DAY + HOUR;

	maint_step();
	t = now_s();
	if (store_reconcile_full(g.s, now, cfg) == -1)
		die("the full rebuild");
	printf("full rebuild: %.3f s (one transaction)\n", now_s() - t);
	digest(path, d1, sizeof(d1));
	printf("  result: %s\n", d1);

	for (i = 0, t = 0; i < 5; i++) {
		double one = one_pass(g.s, now + 1000 + i, cfg, &more);

		printf("%s%.1f",
		    i ? ", " : "pass, nothing changed (5 in a row): ",
		    1000 * one);
	}
	printf(" ms\n");
	printf("pass a minute later (overdue deadlines only): %.1f ms\n",
	    1000 * one_pass(g.s, now + 61000, cfg, &more));

	/* A handful: five new trips and two late corrections. */
	txn(g.s, 1);
	for (i = 0; i < 5; i++)
		trip(&g, days - 1, per_day + i, "N");
	weighing_ev(&g, 0, "0105", "吉A00007", NULL, 9,
	    START + 40 * DAY + 8 * HOUR, 2500, "complete");
	weighing_ev(&g, 1, "0300", "吉A00008", NULL, 9,
	    START + 200 * DAY + 9 * HOUR, 3100, "void");
	txn(g.s, 0);
	t = one_pass(g.s, now + 2000, cfg, &more);
	printf("pass after 5 new trips and 2 corrections: %.1f ms%s\n",
	    1000 * t, more ? " (work left)" : "");
	drain(g.s, now + 3000, cfg, &p);

	/* An upgrade: every manifest queued again, done in slices. */
	db_exec(path,
	    "INSERT INTO meta(key, value) VALUES('reconcile_requeue', 1)");
	drain(g.s, now + 4000, cfg, &p);
	printf("catch-up of every manifest: %d passes, %.2f s in all, "
	       "write transaction: longest %.1f ms (pass %d), p95 %.1f ms, "
	       "median %.1f ms; longest on the CPU %.1f ms\n",
	    p.n, p.total, 1000 * p.max, p.argmax + 1, 1000 * pctl(&p, 0.95),
	    1000 * pctl(&p, 0.5), 1000 * p.cpu_max);
	digest(path, d2, sizeof(d2));
	if (store_reconcile_full(g.s, now + 4000, cfg) == -1)
		die("the full rebuild");
	digest(path, d1, sizeof(d1));
	printf("  passes: %s\n  full:   %s\n  %s\n", d2, d1,
	    strcmp(d1, d2) == 0 ? "same" : "DIFFERENT");
	store_maint_close(maint);
	store_close(g.s);
	cfg->facilities = NULL;
	cfg->nfacilities = 0;
	config_free(cfg);
	if (!keep) {
		unlink(path);
		snprintf(d1, sizeof(d1), "%s-wal", path);
		unlink(d1);
		snprintf(d1, sizeof(d1), "%s-shm", path);
		unlink(d1);
	}
	return strcmp(d1, d2) == 0 || keep ? 0 : 1;
}
