/*
 * store_pg_rules: the alert rules in PostgreSQL's SQL (store_pg_rules.c),
 * for store_pg_alert.c, and the bounds of one reconciliation pass or
 * alert slice that the tests make small (as SQLite's unit tests do with
 * struct store_sqlite's fields). Included by store_pg_recon.c,
 * store_pg_alert.c, store_pg_rules.c and their tests only.
 */
#ifndef WT_STORE_PG_RULES_H
#define WT_STORE_PG_RULES_H

#include "store_pg_int.h"

/*
 * One rule: the conditions that hold now, collected into the temporary
 * table alert_now(subject, district, evidence) of the writer's
 * connection by the statement collect ($1: now in UTC ms). The same
 * conditions, kinds and severities as SQLite's rules (store_alert.c,
 * store_streams_sql.c, store_muck_sql.c), in the same order.
 */
struct pg_alert_rule {
	const char *kind;     /* alerts.kind */
	const char *severity; /* "info" | "warning" | "critical" */
	struct pg_stmt collect;
};
extern const struct pg_alert_rule store_pg_alert_rules[];
extern const size_t store_pg_nalert_rules;

/* The bounds of a reconciliation pass on this writer: manifests per
 * slice, ticket marks expanded, manifests queued again per pass after a
 * settings change (0: the defaults, as SQLite's). */
void store_pg_recon_bounds(struct store *pub, int slice, int marks,
    int requeue);
/* Rows one alert rule opens or resolves per transaction (0: default). */
void store_pg_alert_bounds(struct store *pub, int slice);

#endif
