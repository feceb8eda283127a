/*
 * store_alert: alerts from rules (store.h, docs/alerts.md). A rule is one
 * SELECT of the conditions that hold now; a sync pass turns each rule's
 * result into the alerts table: opens what holds and has no open alert,
 * resolves what is open and no longer holds, and touches nothing else.
 * Each rule is its own short transaction; the pass stops between rules
 * once its time budget is spent and the next pass goes on from there.
 * Then what the broker has not acknowledged yet, for the publisher, and
 * the reports' reads. Sits beside store_prune.c at the top of the stack
 * of store_int.h: it calls store_db.c and store_sqlite.c (transactions).
 */
#include "store_int.h"

#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows one rule opens or resolves per transaction at most: ~1 ms of
 * inserts, so a catch-up (the first pass after the upgrade, thousands of
 * discrepancies) is spread over passes instead of one long lock. */
#define ALERT_SLICE 500
/* unknown_facility looks this far back (event time). */
#define UNKNOWN_FACILITY_WINDOW_MS "604800000" /* 7 days */

/* Where the alert is: the generator's district, else the receiving
 * facility's. */
#define MANIFEST_DISTRICT " coalesce(m.generator_district, f.district)"
#define MANIFEST_JOIN                                                          \
	" FROM reconciliation_results r CROSS JOIN manifests m"                \
	" ON m.scheme = r.scheme AND m.manifest_no = r.manifest_no"            \
	" LEFT JOIN facilities f ON f.id = m.receiver_facility"

/*
 * discrepancy and overdue_manifest read the verdicts of reconciliation
 * (docs/reconciliation.md) through the verdict index: only the manifests
 * that need attention, however many manifests the database holds. They
 * resolve when a pass writes another verdict (a corrected manifest or
 * ticket, the manifest received) or the manifest is cancelled.
 * unknown_facility reads the rows flagged UNKNOWN_FACILITY (262144) of
 * the last 7 days through the partial indexes of schema v10, and only
 * facilities the registry still does not know: adding one to the
 * registry (SIGHUP) resolves its alert at the next pass.
 */
const struct store_alert_rule store_alert_rules_core[] = {
	{ "discrepancy", "warning",
	    "SELECT r.scheme || '/' || r.manifest_no," MANIFEST_DISTRICT ","
	    " json_object('scheme', r.scheme, 'manifest_no', r.manifest_no,"
	    " 'declared_kg', r.declared_kg, 'received_kg', r.received_kg,"
	    " 'diff_pct', round(r.diff_pct, 2), 'method', r.method,"
	    " 'plate', m.plate, 'receiver', m.receiver_facility)" MANIFEST_JOIN
	    " WHERE r.verdict = 'discrepancy'" },
	{ "overdue_manifest", "critical",
	    "SELECT r.scheme || '/' || r.manifest_no," MANIFEST_DISTRICT ","
	    " json_object('scheme', r.scheme, 'manifest_no', r.manifest_no,"
	    " 'status', m.status, 'plate', m.plate, 'departed_ms',"
	    " m.departed_ms, 'declared_kg', r.declared_kg, 'receiver',"
	    " m.receiver_facility, 'overdue_for_s', (?1 - m.departed_ms) / 1000)" MANIFEST_JOIN
	    " WHERE r.verdict = 'overdue'" },
	{ "unknown_facility", "warning",
	    "SELECT facility, NULL, json_object('weighings', sum(w),"
	    " 'unloads', count(*) - sum(w), 'first_ms', min(t),"
	    " 'last_ms', max(t)) FROM"
	    " (SELECT facility, 1 AS w, first_ms AS t FROM weighings"
	    " WHERE (dq_flags & 262144) <> 0"
	    " AND first_ms >= ?1 - " UNKNOWN_FACILITY_WINDOW_MS
	    " UNION ALL SELECT facility, 0, ts_ms FROM vehicle_events"
	    " WHERE (dq_flags & 262144) <> 0"
	    " AND ts_ms >= ?1 - " UNKNOWN_FACILITY_WINDOW_MS
	    " AND type = 'unload' AND facility IS NOT NULL)"
	    " WHERE facility NOT IN (SELECT id FROM facilities)"
	    " GROUP BY facility" },
};
const size_t store_alert_nrules_core =
    sizeof(store_alert_rules_core) / sizeof(store_alert_rules_core[0]);

/* The sets the daemon evaluates, in order: these, the streams'
 * (store_streams_sql.c) and the muck trucks' (store_muck_sql.c). */
const struct store_alert_set store_alert_sets[] = {
	{ store_alert_rules_core, &store_alert_nrules_core },
	{ store_alert_rules_streams, &store_alert_nrules_streams },
	{ store_alert_rules_muck, &store_alert_nrules_muck },
	{ NULL, NULL },
};

/* The conditions of one rule, on the writer's connection only. */
static const char now_temp_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS alert_now(subject TEXT PRIMARY KEY,"
    " district TEXT, evidence TEXT) WITHOUT ROWID;"
    "DELETE FROM alert_now;";

/* The first row of a subject wins. */
static const char collect_fmt[] =
    "WITH rule(subject, district, evidence) AS (%s)"
    " INSERT OR IGNORE INTO temp.alert_now(subject, district, evidence)"
    " SELECT subject, district, evidence FROM rule"
    " WHERE subject IS NOT NULL";

/* Evidence that is not a small JSON object would break the payload (it
 * is embedded as JSON): its size stands in for it. Checked here, on the
 * rows opened, not on every condition of every pass (that doubled the
 * cost of a pass). */
static const char open_sql[] =
    "INSERT INTO alerts(kind, severity, subject, district, opened_ms,"
    " evidence) SELECT ?1, ?2, n.subject, n.district, ?3,"
    " CASE WHEN n.evidence IS NULL THEN NULL"
    " WHEN length(n.evidence) <= 2048 AND json_valid(n.evidence)"
    " THEN n.evidence ELSE json_object('evidence_bytes',"
    " length(n.evidence)) END"
    " FROM temp.alert_now n WHERE NOT EXISTS (SELECT 1 FROM alerts a"
    " WHERE a.kind = ?1 AND a.subject = n.subject"
    " AND a.resolved_ms IS NULL) ORDER BY n.subject LIMIT ?4";

/* A clock stepped back never resolves before the opening. Rules of one
 * kind are told apart by severity (facility_alarm has a critical and a
 * warning rule): each resolves only what it opened. */
static const char resolve_sql[] =
    "UPDATE alerts SET resolved_ms = max(?3, opened_ms) WHERE id IN"
    " (SELECT a.id FROM alerts a WHERE a.kind = ?1 AND a.severity = ?2"
    " AND a.resolved_ms IS NULL AND a.subject NOT IN"
    " (SELECT subject FROM temp.alert_now) LIMIT ?4)";

/* Run sql with the rule's kind, severity, now and the slice; *changes:
 * rows written. */
static int
alert_run(struct store_sqlite *s, const char *sql,
    const struct store_alert_rule *r, int64_t now_ms, int slice, int *changes)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, n;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto done;
	n = sqlite3_bind_parameter_count(st);
	if (sql == open_sql || sql == resolve_sql) {
		sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->severity, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		sqlite3_bind_int(st, 4, slice);
	} else if (n >= 1) /* a rule need not use ?1 */
		sqlite3_bind_int64(st, 1, now_ms);
	if (sqlite3_step(st) == SQLITE_DONE) {
		rc = 0;
		if (changes != NULL)
			*changes = sqlite3_changes(s->db);
	}
done:
	if (rc == -1)
		log_warnx("store: alerts: %s: %s", r->kind,
		    sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

/* One rule, in one transaction. *more when it hit its slice. */
static int
alert_rule_sync(struct store_sqlite *s, const struct store_alert_rule *r,
    int64_t now_ms, int *more)
{
	int slice = s->alert_slice > 0 ? s->alert_slice : ALERT_SLICE;
	int opened = 0, resolved = 0;
	char *collect = NULL;
	size_t len = strlen(collect_fmt) + strlen(r->sql);

	if ((collect = malloc(len)) == NULL) {
		log_warnx("store: alerts: out of memory");
		return -1;
	}
	snprintf(collect, len, collect_fmt, r->sql);
	if (store_sqlite_begin(&s->pub) == -1)
		goto fail;
	if (store_db_exec(s->db, now_temp_sql) == -1 ||
	    alert_run(s, collect, r, now_ms, slice, NULL) == -1 ||
	    alert_run(s, open_sql, r, now_ms, slice, &opened) == -1 ||
	    alert_run(s, resolve_sql, r, now_ms, slice, &resolved) == -1 ||
	    store_sqlite_commit(&s->pub) == -1) {
		store_sqlite_rollback(&s->pub);
		goto fail;
	}
	if (opened > 0 || resolved > 0)
		log_info("store: alerts: %s: %d opened, %d resolved", r->kind,
		    opened, resolved);
	*more = opened >= slice || resolved >= slice;
	free(collect);
	return 0;
fail:
	free(collect);
	return -1;
}

int
store_alerts_sync_sets(struct store_sqlite *s,
    const struct store_alert_set *sets, int64_t now_ms, int64_t budget_us,
    int *more)
{
	int64_t t0 = clock_mono_us();
	const struct store_alert_set *set;
	int cut, ran = 0;

	*more = 0;
	for (;;) {
		set = &sets[s->alert_set];
		if (set->rules == NULL) {
			/* Every rule done: the next pass starts over. */
			s->alert_set = s->alert_rule = 0;
			return 0;
		}
		if (s->alert_rule >= *set->nrules) {
			s->alert_set++;
			s->alert_rule = 0;
			continue;
		}
		/* At least one rule (or slice) a call, however small the
		 * budget. */
		if (ran && clock_mono_us() - t0 >= budget_us) {
			*more = 1;
			return 0;
		}
		ran = 1;
		if (alert_rule_sync(s, &set->rules[s->alert_rule], now_ms,
			&cut) == -1) {
			/* Logged; that rule's alerts stay as they are (none
			 * resolved on a failure), the others go on. */
			s->alert_rule++;
			*more = 1;
			return -1;
		}
		/* A rule cut short goes again; its next slice goes on. */
		if (!cut)
			s->alert_rule++;
	}
}

int
store_sqlite_alerts_sync(struct store *pub, int64_t now_ms, int64_t budget_us,
    int *more)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	return store_alerts_sync_sets(s, store_alert_sets, now_ms, budget_us,
	    more);
}

/* ---- publishing ---- */

/* The payload of each step, in SQL: JSON with the evidence embedded as
 * the object it is; resolved_ms only once resolved. */
static const char pending_sql[] =
    "SELECT id, step, 'wt/v1/alerts/' || kind || '/' || id,"
    " CASE step WHEN 1 THEN body"
    " WHEN 2 THEN json_insert(body, '$.resolved_ms', resolved_ms)"
    " ELSE '' END FROM (SELECT id, kind, resolved_ms,"
    " CASE WHEN resolved_ms IS NULL THEN 1 WHEN published < 2 THEN 2"
    " ELSE 3 END AS step, json_object('id', id, 'kind', kind,"
    " 'severity', severity, 'subject', subject, 'district', district,"
    " 'opened_ms', opened_ms, 'evidence', CASE WHEN evidence IS NOT NULL"
    " THEN json(evidence) END) AS body FROM alerts"
    " WHERE " STORE_ALERT_PENDING ") ORDER BY id";

int
store_sqlite_alerts_pending(struct store *pub, store_alert_fn fn, void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	struct store_alert_msg m;
	int rc;

	if (sqlite3_prepare_v2(s->db, pending_sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.id = sqlite3_column_int64(st, 0);
		m.step = (enum store_alert_step)sqlite3_column_int(st, 1);
		m.retained = m.step != STORE_ALERT_RESOLVED;
		m.topic = (const char *)sqlite3_column_text(st, 2);
		m.payload = (const char *)sqlite3_column_text(st, 3);
		if (m.topic == NULL || m.payload == NULL)
			goto fail;
		m.len = (size_t)sqlite3_column_bytes(st, 3);
		if (fn(arg, &m) == 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	log_warnx("store: alerts to publish: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -1;
}

int
store_sqlite_alerts_acked(struct store *pub, const int64_t *ids,
    const enum store_alert_step *steps, size_t n)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	size_t i;

	if (n == 0)
		return 0;
	if (store_sqlite_begin(&s->pub) == -1)
		return -1;
	/* Steps only go forward: a late acknowledgement of an earlier step
	 * (sent again after a reconnect) never takes one back. */
	if (sqlite3_prepare_v2(s->db,
		"UPDATE alerts SET published = max(published, ?2)"
		" WHERE id = ?1",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int(st, 2, (int)steps[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	return store_sqlite_commit(&s->pub);
fail:
	log_warnx("store: alerts acknowledged: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	store_sqlite_rollback(&s->pub);
	return -1;
}

/* ---- reads for reports ---- */

int
store_sqlite_alert_open_by_kind(struct store *pub, store_row_fn fn, void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->ro,
		"SELECT kind, count(*) FROM alerts WHERE resolved_ms IS NULL"
		" GROUP BY kind ORDER BY kind",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0), NULL,
		    sqlite3_column_double(st, 1));
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	log_warnx("store: open alerts: %s", sqlite3_errmsg(s->ro));
	sqlite3_finalize(st);
	return -1;
}

int
store_sqlite_alert_counts(struct store *pub, struct store_alert_counts *c)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;

	memset(c, 0, sizeof(*c));
	if (sqlite3_prepare_v2(s->ro,
		"SELECT (SELECT coalesce(max(id), 0) FROM alerts),"
		" (SELECT count(*) FROM alerts WHERE resolved_ms IS NULL),"
		" (SELECT count(*) FROM alerts WHERE " STORE_ALERT_PENDING ")",
		-1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	c->opened_total = sqlite3_column_int64(st, 0);
	c->open = sqlite3_column_int64(st, 1);
	c->unpublished = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	return 0;
fail:
	log_warnx("store: alert counts: %s", sqlite3_errmsg(s->ro));
	sqlite3_finalize(st);
	return -1;
}

static void
col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(out, n, "%s", v ? (const char *)v : "");
}

int
store_sqlite_alert_items(struct store *pub, int limit, store_alert_item_fn fn,
    void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	struct store_alert_item it;
	sqlite3_stmt *st = NULL;
	int rc;

	/* Open alerts through the partial index, newest first. */
	if (sqlite3_prepare_v2(s->ro,
		"SELECT id, opened_ms, kind, severity, subject, district"
		" FROM alerts INDEXED BY alerts_open WHERE resolved_ms IS NULL"
		" ORDER BY id DESC LIMIT ?1",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(st, 1, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		it.id = sqlite3_column_int64(st, 0);
		it.opened_ms = sqlite3_column_int64(st, 1);
		col_copy(st, 2, it.kind, sizeof(it.kind));
		col_copy(st, 3, it.severity, sizeof(it.severity));
		col_copy(st, 4, it.subject, sizeof(it.subject));
		col_copy(st, 5, it.district, sizeof(it.district));
		fn(arg, &it);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	log_warnx("store: alert items: %s", sqlite3_errmsg(s->ro));
	sqlite3_finalize(st);
	return -1;
}
