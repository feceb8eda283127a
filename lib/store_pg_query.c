/*
 * store_pg_query: the named queries of wastetrackctl and the API
 * (store.h, enum store_q) on a query handle of the PostgreSQL backend: a
 * struct store_pgsql of kind PGK_QUERY (store_pg_int.h) whose sessions
 * only read. Their SQL is store_pg_qsql.c's; this file runs it and
 * gives each row SQLite's values (store_query.c): integers, booleans and
 * sums of integers as STORE_V_INT, floats as STORE_V_REAL, text and
 * bytes as STORE_V_TEXT, with what store_pg_q.h says per query.
 *
 * Each query is one statement, so one snapshot. The budget of
 * store_query_budget() is a deadline for all the queries run after it:
 * each runs with statement_timeout set to the time left, and one the
 * server cancels for it (SQLSTATE 57014) says timed out.
 */
#include "store_pg_int.h"
#include "store_pg_q.h"

#include "clock.h"
#include "json.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 32
#define NPARAMS	 8

/* PostgreSQL's type oids (pg_type.dat): fixed since its first
 * releases, and not in libpq's headers. */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_TEXT    25
#define OID_OID	    26
#define OID_FLOAT4  700
#define OID_FLOAT8  701
#define OID_NUMERIC 1700

/* What a query handle keeps beside its connection (PGA_QUERY). */
struct qstate {
	int64_t deadline_us; /* monotonic; 0: no budget */
	int timed_out;
	int64_t timeout_ms; /* statement_timeout as set; -1: unknown */
	char sqlstate[6];   /* of the last failure ("" none) */
	unsigned char prepared[STORE_Q_COUNT];
};

static void *
qstate_new(void)
{
	struct qstate *st = calloc(1, sizeof(*st));

	if (st != NULL)
		st->timeout_ms = -1;
	return st;
}

static struct qstate *
qstate(struct store_pgsql *s)
{
	return store_pgsql_area(s, PGA_QUERY, qstate_new, free);
}

/* The session only reads, and floats come back whole: shortest text
 * that reads back as the same double, whatever the server's default. */
static int
session_setup(struct store_pgsql *s)
{
	return pgq_exec(s,
	    "SET default_transaction_read_only = on;"
	    " SET extra_float_digits = 1");
}

int
store_pg_query_open(const struct store_where *w, struct store_query **out)
{
	struct store_pgsql *s;

	*out = NULL;
	if ((s = store_pgsql_new(PGK_QUERY, w)) == NULL)
		return -1;
	if (qstate(s) == NULL || session_setup(s) == -1) {
		store_pg_close_handle(&s->pub);
		return -1;
	}
	*out = (struct store_query *)(void *)s;
	return 0;
}

void
store_pg_query_close(struct store_query *q)
{
	if (q != NULL)
		store_pg_close_handle(&store_pgsql_of_query(q)->pub);
}

void
store_pg_query_budget(struct store_query *q, int ms)
{
	struct store_pgsql *s = store_pgsql_of_query(q);
	struct qstate *st = qstate(s);

	if (st == NULL)
		return;
	st->timed_out = 0;
	st->deadline_us = ms > 0 ? clock_mono_us() + (int64_t)ms * 1000 : 0;
	/* No budget: none at once, also for what runs on this session
	 * without store_pg_query_run() (store_pg_query_prune_due()). */
	if (ms <= 0 && st->timeout_ms != 0 && !s->broken &&
	    pgq_exec(s, "SET statement_timeout = 0") == 0)
		st->timeout_ms = 0;
}

int
store_pg_query_timed_out(const struct store_query *q)
{
	const struct store_pgsql *s =
	    (const struct store_pgsql *)(const void *)q;
	const struct qstate *st = s->area[PGA_QUERY];

	return st != NULL && st->timed_out;
}

/* A lost connection is made again before the next query (a server
 * restarted under a long-lived handle: the API's). */
static int
connected(struct store_pgsql *s, struct qstate *st)
{
	if (PQstatus(s->conn) == CONNECTION_OK && !s->broken)
		return 0;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		store_pgsql_fail(s, "reconnect to %s: %s", s->shown,
		    PQerrorMessage(s->conn));
		return -1;
	}
	s->broken = 0;
	log_notice("store: postgresql: connected again to %s", s->shown);
	/* A new session: nothing prepared, ours or pgq_query()'s. */
	store_pgsql_prepared_clear(s);
	memset(st->prepared, 0, sizeof(st->prepared));
	st->timeout_ms = -1;
	return session_setup(s);
}

/* statement_timeout to the time the budget leaves (1 ms at least: 0
 * would be none); 0 with no budget. -1 when the budget is spent. */
static int
set_timeout(struct store_pgsql *s, struct qstate *st)
{
	char sql[64];
	int64_t ms = 0;

	if (st->deadline_us != 0) {
		ms = (st->deadline_us - clock_mono_us() + 999) / 1000;
		if (ms <= 0) {
			st->timed_out = 1;
			return -1;
		}
	}
	if (ms == st->timeout_ms)
		return 0;
	snprintf(sql, sizeof(sql), "SET statement_timeout = %" PRId64, ms);
	if (pgq_exec(s, sql) == -1)
		return -1;
	st->timeout_ms = ms;
	return 0;
}

static void
stmt_name(enum store_q id, char *out, size_t n)
{
	snprintf(out, n, "q_named_%d", (int)id);
}

static void failed(struct store_pgsql *s, struct qstate *st, enum store_q id,
    const PGresult *r);

static int
prepare(struct store_pgsql *s, struct qstate *st, enum store_q id)
{
	static const Oid types[NPARAMS] = { OID_TEXT, OID_TEXT, OID_TEXT,
		OID_TEXT, OID_INT8, OID_INT8, OID_INT8, OID_INT8 };
	char name[32];
	PGresult *r;
	int rc = 0;

	if (st->prepared[id])
		return 0;
	stmt_name(id, name, sizeof(name));
	r = PQprepare(s->conn, name, store_pg_named[id].sql, NPARAMS, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		/* The budget counts the preparation too. */
		failed(s, st, id, r);
		rc = -1;
	} else
		st->prepared[id] = 1;
	PQclear(r);
	return rc;
}

/* SQLite's binding (store_query.c): no arguments bind NULL everywhere;
 * a NULL text binds NULL; the numbers are always bound. */
struct params {
	const char *v[NPARAMS];
	char num[4][24];
};

static void
params_fill(struct params *p, const struct store_q_args *a)
{
	int i;

	memset(p, 0, sizeof(*p));
	if (a == NULL)
		return;
	for (i = 0; i < 4; i++)
		p->v[i] = a->text[i];
	for (i = 0; i < 4; i++) {
		snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, a->num[i]);
		p->v[4 + i] = p->num[i];
	}
}

/* The first n characters of b as SQLite's substr() counts them in text:
 * a byte from 0xc0 up starts a character that takes the continuation
 * bytes (0x80..0xbf) after it; any other byte is one. */
static size_t
sqlite_chars(const unsigned char *b, size_t len, int n)
{
	size_t i = 0;

	while (n-- > 0 && i < len)
		if (b[i++] >= 0xc0)
			while (i < len && (b[i] & 0xc0) == 0x80)
				i++;
	return i;
}

static int
json_ok(const char *s)
{
	char err[64];
	struct json *doc = json_parse(s, strlen(s), err, sizeof(err));

	json_free(doc);
	return doc != NULL;
}

/* A number in text of a "mixed" column: "r" and a real, or an integer. */
static void
mixed_value(struct store_value *v, const char *s)
{
	if (s[0] == 'r') {
		v->type = STORE_V_REAL;
		v->r = strtod(s + 1, NULL);
	} else {
		v->type = STORE_V_INT;
		v->i = strtoll(s, NULL, 10);
	}
}

/* bytea as the bytes (cut as the query says), NUL-terminated in *keep,
 * which the caller frees after the row. */
static void
bytes_value(struct store_value *v, const char *s, int chars, char **keep)
{
	unsigned char *b;
	size_t n;

	if ((b = PQunescapeBytea((const unsigned char *)s, &n)) == NULL ||
	    (*keep = malloc(n + 1)) == NULL) {
		PQfreemem(b);
		v->type = STORE_V_NULL;
		return;
	}
	if (chars > 0)
		n = sqlite_chars(b, n, chars);
	memcpy(*keep, b, n);
	(*keep)[n] = '\0';
	PQfreemem(b);
	v->type = STORE_V_TEXT;
	v->s = *keep;
}

static void
cell(const PGresult *r, int row, int col, const struct pg_named *nq,
    struct store_value *v, char **keep)
{
	const char *s = PQgetvalue(r, row, col);

	memset(v, 0, sizeof(*v));
	if (PQgetisnull(r, row, col)) {
		v->type = STORE_V_NULL;
		return;
	}
	if (col < 32 && (nq->mixed >> col) & 1u) {
		mixed_value(v, s);
		return;
	}
	switch (PQftype(r, col)) {
	case OID_BOOL:
		v->type = STORE_V_INT;
		v->i = s[0] == 't';
		break;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		v->type = STORE_V_INT;
		v->i = strtoll(s, NULL, 10);
		break;
	case OID_NUMERIC: /* an integer stays one, as in SQLite */
		if (strpbrk(s, ".eEN") == NULL) {
			v->type = STORE_V_INT;
			v->i = strtoll(s, NULL, 10);
			break;
		}
		/* FALLTHROUGH */
	case OID_FLOAT4:
	case OID_FLOAT8:
		v->type = STORE_V_REAL;
		v->r = strtod(s, NULL);
		break;
	case OID_BYTEA:
		bytes_value(v, s, nq->chars, keep);
		break;
	default:
		v->type = STORE_V_TEXT;
		v->s = s;
		if (col < 32 && (nq->json >> col) & 1u && !json_ok(s))
			v->type = STORE_V_NULL;
		break;
	}
}

/* The names, then each row: fn's -1 stops (and is the result). */
static int
emit(const PGresult *r, const struct pg_named *nq, store_rows_fn fn, void *arg)
{
	const char *names[MAX_COLS];
	struct store_value v[MAX_COLS];
	char *keep[MAX_COLS];
	int i, row, rc = 0, n = PQnfields(r);

	if (n > MAX_COLS)
		n = MAX_COLS;
	for (i = 0; i < n; i++)
		names[i] = PQfname(r, i);
	if (fn(arg, n, names, NULL) == -1)
		return -1;
	for (row = 0; rc == 0 && row < PQntuples(r); row++) {
		memset(keep, 0, sizeof(keep));
		for (i = 0; i < n; i++)
			cell(r, row, i, nq, &v[i], &keep[i]);
		rc = fn(arg, n, names, v);
		for (i = 0; i < n; i++)
			free(keep[i]);
	}
	return rc;
}

/* A failed statement: timed out (not an error to log: the caller says
 * so), or the reason logged. */
static void
failed(struct store_pgsql *s, struct qstate *st, enum store_q id,
    const PGresult *r)
{
	const char *state =
	    r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	snprintf(st->sqlstate, sizeof(st->sqlstate), "%s",
	    state != NULL ? state : "");

	if (state != NULL && strcmp(state, "57014") == 0 &&
	    st->deadline_us != 0) {
		st->timed_out = 1;
		return;
	}
	store_pgsql_fail(s, "query %d: %s", (int)id,
	    r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
}

/* META of a database without the schema (an empty one): version 0, as
 * SQLite says of a file without one, so that wastetrackctl check says
 * "no schema" rather than an error. */
static int
meta_empty(store_rows_fn fn, void *arg)
{
	static const char *const names[] = { "schema_version", "application_id",
		"db_id", "spool_seg", "spool_off", "reconcile_queued",
		"payload_hold_ms", "positions_thinned_ms" };
	struct store_value v[8];
	int n = 8;

	memset(v, 0, sizeof(v));
	v[0].type = STORE_V_INT;
	v[1].type = STORE_V_INT;
	v[5].type = STORE_V_INT;
	if (fn(arg, n, names, NULL) == -1)
		return -1;
	return fn(arg, n, names, v);
}

static int
schema_missing(struct store_pgsql *s, int *missing)
{
	PGresult *r = PQexec(s->conn,
	    "SELECT to_regclass('schema_version') IS NULL"
	    " OR to_regclass('meta') IS NULL");

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		store_pgsql_fail(s, "schema: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	*missing = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return 0;
}

/* Ready to run id: connected, prepared, within the budget. */
static int
ready(struct store_pgsql *s, struct qstate *st, enum store_q id)
{
	if ((unsigned)id >= STORE_Q_COUNT || st == NULL)
		return -1;
	if (connected(s, st) == -1 || set_timeout(s, st) == -1)
		return -1;
	return prepare(s, st, id);
}

/*
 * Run id with p: its result, or NULL (timed out, or the reason logged).
 * A connection found lost (a server restarted under a long-lived
 * handle: the API's) is made again and the query run once more: it only
 * reads, and no row was given yet.
 */
static PGresult *
execute(struct store_pgsql *s, struct qstate *st, enum store_q id,
    const struct params *p)
{
	PGresult *r;
	char name[32];
	int attempt;

	stmt_name(id, name, sizeof(name));
	for (attempt = 0; attempt < 2; attempt++) {
		if (ready(s, st, id) == -1) {
			/* Told (or out of time): again only when lost. */
			if (attempt > 0 || PQstatus(s->conn) != CONNECTION_BAD)
				return NULL;
			continue;
		}
		r = PQexecPrepared(s->conn, name, NPARAMS, p->v, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			return r;
		if (attempt > 0 || PQstatus(s->conn) != CONNECTION_BAD) {
			failed(s, st, id, r);
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		s->broken = 1;
	}
	return NULL;
}

/* A check that met damaged data (SQLSTATE class XX: a page or an index
 * that fails its checks) found a problem: that is its row, as SQLite's
 * integrity_check gives one per problem; any other failure is one. */
static int
damage_found(struct store_pgsql *s, struct qstate *st, enum store_q id,
    store_rows_fn fn, void *arg)
{
	const char *names[1] = { id == STORE_Q_INTEGRITY ? "integrity_check"
							 : "quick_check" };
	struct store_value v;

	if ((id != STORE_Q_INTEGRITY && id != STORE_Q_QUICK_CHECK) ||
	    strncmp(st->sqlstate, "XX", 2) != 0)
		return -1;
	memset(&v, 0, sizeof(v));
	v.type = STORE_V_TEXT;
	v.s = s->err;
	if (fn(arg, 1, names, NULL) == -1)
		return -1;
	return fn(arg, 1, names, &v);
}

int
store_pg_query_run(struct store_query *q, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg)
{
	struct store_pgsql *s = store_pgsql_of_query(q);
	struct qstate *st = qstate(s);
	struct store_q_args mine;
	struct params p;
	PGresult *r;
	int rc, missing;

	if ((unsigned)id >= STORE_Q_COUNT || st == NULL)
		return -1;
	if (id == STORE_Q_META) {
		if (connected(s, st) == 0 && schema_missing(s, &missing) == 0 &&
		    missing)
			return meta_empty(fn, arg);
		/* META has no arguments; its $1 is this instance. */
		memset(&mine, 0, sizeof(mine));
		mine.text[STORE_PG_Q_INSTANCE_ARG] = s->instance;
		a = &mine;
	}
	params_fill(&p, a);
	st->sqlstate[0] = '\0';
	if ((r = execute(s, st, id, &p)) == NULL)
		return damage_found(s, st, id, fn, arg);
	rc = emit(r, &store_pg_named[id], fn, arg);
	PQclear(r);
	return rc;
}

/* The plan PostgreSQL would use whatever the arguments (a generic plan
 * of the prepared statement), one row per line of EXPLAIN, in a column
 * named as SQLite's plans name their text. */
int
store_pg_query_plan(struct store_query *q, enum store_q id, store_rows_fn fn,
    void *arg)
{
	static const char *const names[] = { "detail" };
	struct store_pgsql *s = store_pgsql_of_query(q);
	struct qstate *st = qstate(s);
	struct store_value v;
	char sql[160];
	PGresult *r;
	int i, rc = 0;

	if (ready(s, st, id) == -1 ||
	    pgq_exec(s, "SET plan_cache_mode = force_generic_plan") == -1)
		return -1;
	snprintf(sql, sizeof(sql),
	    "EXPLAIN EXECUTE q_named_%d(NULL, NULL, NULL, NULL, NULL, NULL,"
	    " NULL, NULL)",
	    (int)id);
	r = PQexec(s->conn, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		failed(s, st, id, r);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < PQntuples(r); i++) {
		memset(&v, 0, sizeof(v));
		v.type = STORE_V_TEXT;
		v.s = PQgetvalue(r, i, 0);
		rc = fn(arg, 1, names, &v);
	}
	PQclear(r);
	if (pgq_exec(s, "RESET plan_cache_mode") == -1)
		rc = -1;
	return rc;
}
