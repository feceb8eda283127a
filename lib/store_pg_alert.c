/*
 * store_pg_alert: alerts from rules on PostgreSQL, with the meaning of
 * SQLite's store_alert.c (store.h, docs/alerts.md): a sync pass turns
 * each rule's conditions (store_pg_rules.c) into the alerts table, one
 * rule per short transaction on the writer's connection, opening what
 * holds and has no open alert and resolving what is open and no longer
 * holds, a slice of rows at a time, until its time budget is spent; then
 * what the broker has not acknowledged yet, for the publisher. Only the
 * leader runs these (store_cluster_beat()).
 */
#include "store_pg_rules.h"

#include "clock.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Rows one rule opens or resolves per transaction at most (SQLite's). */
#define ALERT_SLICE 500

struct alert_state {
	size_t rule;		      /* the next rule a sync pass evaluates */
	int slice;		      /* the tests' bound, 0: default */
	int vacuum_pid, since_vacuum; /* see now_vacuum() */
};

/* The conditions of one rule, on the writer's connection only. */
static const struct pg_stmt st_now_make = { "al_now_make",
	"CREATE TEMP TABLE IF NOT EXISTS alert_now(subject text PRIMARY KEY,"
	" district text, evidence text)" };
static const struct pg_stmt st_now_empty = { "al_now_empty",
	"DELETE FROM alert_now" };

/* Evidence that is not a small JSON object would break the payload: its
 * size stands in for it. Subjects in SQLite's (binary) order, so that
 * ids are given in the same order. ON CONFLICT: never a second open
 * alert of a subject (alerts_open), whatever the NOT EXISTS saw. */
static const struct pg_stmt st_open = { "al_open",
	"INSERT INTO alerts(kind, severity, subject, district, opened_ms,"
	" evidence) SELECT $1, $2, n.subject, n.district, $3::bigint,"
	" CASE WHEN n.evidence IS NULL THEN NULL"
	" WHEN length(n.evidence) <= 2048 THEN n.evidence"
	" ELSE json_build_object('evidence_bytes',"
	" length(n.evidence))::text END"
	" FROM alert_now n WHERE NOT EXISTS (SELECT 1 FROM alerts a"
	" WHERE a.kind = $1 AND a.subject = n.subject"
	" AND a.resolved_ms IS NULL) ORDER BY n.subject COLLATE \"C\""
	" LIMIT $4::bigint ON CONFLICT DO NOTHING" };

/* A clock stepped back never resolves before the opening. Rules of one
 * kind are told apart by severity: each resolves only what it opened. */
static const struct pg_stmt st_resolve = { "al_resolve",
	"UPDATE alerts SET resolved_ms = greatest($3::bigint, opened_ms)"
	" WHERE id IN (SELECT a.id FROM alerts a WHERE a.kind = $1"
	" AND a.severity = $2 AND a.resolved_ms IS NULL"
	" AND a.subject NOT IN (SELECT subject FROM alert_now)"
	" LIMIT $4::bigint)" };

static void *
state_make(void)
{
	return calloc(1, sizeof(struct alert_state));
}

static struct alert_state *
state_of(struct store_pgsql *s)
{
	return store_pgsql_area(s, PGA_ALERT, state_make, free);
}

void
store_pg_alert_bounds(struct store *pub, int slice)
{
	struct alert_state *st = state_of(store_pgsql_of(pub));

	if (st != NULL)
		st->slice = slice;
}

/* Run open or resolve for rule r; *rows: the rows written. */
static int
alert_write(struct store_pgsql *s, const struct pg_stmt *stmt,
    const struct pg_alert_rule *r, int64_t now_ms, int slice, int *rows)
{
	struct pgp p;
	PGresult *res;

	pgp_init(&p);
	pgp_text(&p, r->kind);
	pgp_text(&p, r->severity);
	pgp_i64(&p, now_ms);
	pgp_i64(&p, slice);
	if ((res = pgq_query(s, stmt, &p)) == NULL)
		return -1;
	*rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* alert_now, emptied and filled by every rule, is a temporary table
 * autovacuum never reaches: vacuumed on each new connection and every
 * ALERT_VACUUM rules (store_pg_recon.c's temp_vacuum() says why). */
#define ALERT_VACUUM 1000

static void
now_vacuum(struct store_pgsql *s, struct alert_state *st)
{
	int pid = PQbackendPID(s->conn);

	if (pid == st->vacuum_pid && ++st->since_vacuum < ALERT_VACUUM)
		return;
	st->vacuum_pid = pid;
	st->since_vacuum = 0;
	if (pgq_exec(s, "VACUUM (ANALYZE) alert_now") == -1)
		log_debug("store: alerts: vacuum failed");
}

/* One rule, in one transaction. *more when it hit its slice. */
static int
alert_rule_sync(struct store_pgsql *s, struct alert_state *st,
    const struct pg_alert_rule *r, int64_t now_ms, int slice, int *more)
{
	int opened = 0, resolved = 0;
	struct pgp p;

	pgp_init(&p);
	pgp_i64(&p, now_ms);
	if (store_pg_begin(&s->pub) == -1)
		goto fail;
	if (pgq_send(s, &st_now_make, NULL, NULL, 0) == -1 ||
	    pgq_send(s, &st_now_empty, NULL, NULL, 0) == -1 ||
	    pgq_send(s, &r->collect, &p, NULL, 0) == -1 ||
	    alert_write(s, &st_open, r, now_ms, slice, &opened) == -1 ||
	    alert_write(s, &st_resolve, r, now_ms, slice, &resolved) == -1 ||
	    store_pg_commit(&s->pub) == -1) {
		store_pg_rollback(&s->pub);
		goto fail;
	}
	now_vacuum(s, st);
	if (opened > 0 || resolved > 0)
		log_info("store: alerts: %s: %d opened, %d resolved", r->kind,
		    opened, resolved);
	*more = opened >= slice || resolved >= slice;
	return 0;
fail:
	log_warnx("store: alerts: %s: %s", r->kind, s->err);
	return -1;
}

int
store_pg_alerts_sync(struct store *pub, int64_t now_ms, int64_t budget_us,
    int *more)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct alert_state *st = state_of(s);
	int64_t t0 = clock_mono_us();
	int cut, ran = 0, slice;

	*more = 0;
	if (st == NULL)
		return -1;
	slice = st->slice > 0 ? st->slice : ALERT_SLICE;
	for (;;) {
		if (st->rule >= store_pg_nalert_rules) {
			/* Every rule done: the next pass starts over. */
			st->rule = 0;
			return 0;
		}
		/* At least one rule (or slice) a call, however small the
		 * budget. */
		if (ran && clock_mono_us() - t0 >= budget_us) {
			*more = 1;
			return 0;
		}
		ran = 1;
		if (alert_rule_sync(s, st, &store_pg_alert_rules[st->rule],
			now_ms, slice, &cut) == -1) {
			/* Logged; that rule's alerts stay as they are (none
			 * resolved on a failure), the others go on. */
			st->rule++;
			*more = 1;
			return -1;
		}
		/* A rule cut short goes again; its next slice goes on. */
		if (!cut)
			st->rule++;
	}
}

/* ---- publishing ---- */

/* The payload of each step: JSON with the evidence embedded as the
 * object it is; resolved_ms last, only once resolved. */
#define ALERT_BODY(extra)                                                      \
	"json_build_object('id', id, 'kind', kind, 'severity', severity,"      \
	" 'subject', subject, 'district', district, 'opened_ms', opened_ms,"   \
	" 'evidence', CASE WHEN evidence IS NOT NULL THEN evidence::json"      \
	" END" extra ")::text"

static const struct pg_stmt st_pending = { "al_pending",
	"SELECT id, step, 'wt/v1/alerts/' || kind || '/' || id,"
	" CASE step WHEN 1 THEN " ALERT_BODY("") " WHEN 2 THEN " ALERT_BODY(
	    ", 'resolved_ms', resolved_ms") " ELSE '' END"
					    " FROM (SELECT *, CASE WHEN"
					    " resolved_ms IS NULL THEN 1"
					    " WHEN published < 2 THEN 2"
					    " ELSE 3 END AS step FROM alerts"
					    " WHERE published < CASE WHEN"
					    " resolved_ms IS NULL THEN 1"
					    " ELSE 3 END) a ORDER BY id" };

int
store_pg_alerts_pending(struct store *pub, store_alert_fn fn, void *arg)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct store_alert_msg m;
	PGresult *r;
	int i;

	if ((r = pgq_query(s, &st_pending, NULL)) == NULL) {
		log_warnx("store: alerts to publish: %s", s->err);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		m.id = pgr_i64(r, i, 0, 0);
		m.step = (enum store_alert_step)pgr_i64(r, i, 1, 0);
		m.retained = m.step != STORE_ALERT_RESOLVED;
		m.topic = pgr_text(r, i, 2);
		m.payload = pgr_text(r, i, 3);
		if (m.topic == NULL || m.payload == NULL) {
			log_warnx("store: alerts to publish: alert %lld has "
				  "no payload",
			    (long long)m.id);
			PQclear(r);
			return -1;
		}
		m.len = (size_t)PQgetlength(r, i, 3);
		if (fn(arg, &m) == 0)
			break;
	}
	PQclear(r);
	return 0;
}

/* Steps only go forward: a late acknowledgement of an earlier step
 * (sent again after a reconnect) never takes one back. */
static const struct pg_stmt st_acked = { "al_acked",
	"UPDATE alerts SET published = greatest(published, $2::bigint)"
	" WHERE id = $1::bigint" };

int
store_pg_alerts_acked(struct store *pub, const int64_t *ids,
    const enum store_alert_step *steps, size_t n)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;
	size_t i;

	if (n == 0)
		return 0;
	if (store_pg_begin(pub) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		pgp_init(&p);
		pgp_i64(&p, ids[i]);
		pgp_i64(&p, (int64_t)steps[i]);
		if (pgq_send(s, &st_acked, &p, NULL, 0) == -1)
			break;
	}
	if (i == n && store_pg_commit(pub) == 0)
		return 0;
	store_pg_rollback(pub);
fail:
	log_warnx("store: alerts acknowledged: %s", s->err);
	return -1;
}
