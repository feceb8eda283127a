/*
 * store_pg_conn: the PostgreSQL backend's connection (store_pg_int.h):
 * statement parameters, the statements prepared per connection, the
 * writer's pipeline of queued statements, transactions, opening and
 * closing handles, and the spool position each instance keeps in meta.
 */
#include "store_pg_int.h"

#include "event.h"
#include "log.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Results read back at most this many statements apart, so that neither
 * side's socket buffer fills while the other waits (libpq's blocking
 * pipeline can deadlock otherwise). */
#define PGQ_WINDOW 1024

/* ---- parameters ---- */

void
pgp_init(struct pgp *p)
{
	p->n = 0;
}

static char *
pgp_slot(struct pgp *p)
{
	if (p->n >= PGP_MAX) {
		/* A programming error: the statement has more parameters
		 * than a pgp holds; the server then refuses the count. */
		log_warnx("store: more than %d parameters", PGP_MAX);
		return NULL;
	}
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	return p->buf[p->n];
}

void
pgp_null(struct pgp *p)
{
	if (pgp_slot(p) == NULL)
		return;
	p->v[p->n++] = NULL;
}

void
pgp_text(struct pgp *p, const char *v)
{
	if (pgp_slot(p) == NULL)
		return;
	p->v[p->n++] = v;
}

void
pgp_i64(struct pgp *p, int64_t v)
{
	char *b = pgp_slot(p);

	if (b == NULL)
		return;
	snprintf(b, sizeof(p->buf[0]), "%" PRId64, v);
	p->v[p->n++] = b;
}

void
pgp_real(struct pgp *p, double v)
{
	char *b;

	if (isnan(v)) {
		pgp_null(p);
		return;
	}
	if ((b = pgp_slot(p)) == NULL)
		return;
	/* 17 digits: the double comes back the same. */
	snprintf(b, sizeof(p->buf[0]), "%.17g", v);
	p->v[p->n++] = b;
}

void
pgp_time(struct pgp *p, int64_t v)
{
	if (v == WT_NOTIME)
		pgp_null(p);
	else
		pgp_i64(p, v);
}

void
pgp_blob(struct pgp *p, const void *v, size_t n)
{
	if (pgp_slot(p) == NULL)
		return;
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->v[p->n++] = v != NULL ? v : "";
}

/* ---- values of a result ---- */

const char *
pgr_text(const PGresult *r, int row, int col)
{
	if (row >= PQntuples(r) || col >= PQnfields(r) ||
	    PQgetisnull(r, row, col))
		return NULL;
	return PQgetvalue(r, row, col);
}

int64_t
pgr_i64(const PGresult *r, int row, int col, int64_t dflt)
{
	const char *v = pgr_text(r, row, col);

	return v != NULL ? strtoll(v, NULL, 10) : dflt;
}

double
pgr_real(const PGresult *r, int row, int col)
{
	const char *v = pgr_text(r, row, col);

	return v != NULL ? strtod(v, NULL) : NAN;
}

int64_t
pgr_time(const PGresult *r, int row, int col)
{
	return pgr_i64(r, row, col, WT_NOTIME);
}

/* ---- errors ---- */

void
store_pgsql_fail(struct store_pgsql *s, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	/* libpq's messages end with a newline; the log adds its own. */
	n = strlen(s->err);
	while (n > 0 && (s->err[n - 1] == '\n' || s->err[n - 1] == ' '))
		s->err[--n] = '\0';
	log_warnx("store: postgresql: %s", s->err);
	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_BAD)
		s->broken = 1;
}

struct store_pgsql *
store_pgsql_of(struct store *pub)
{
	return (struct store_pgsql *)pub;
}

struct store_pgsql *
store_pgsql_of_query(struct store_query *q)
{
	return (struct store_pgsql *)(void *)q;
}

void *
store_pgsql_area(struct store_pgsql *s, enum pg_area a, void *(*make)(void),
    void (*release)(void *state))
{
	if (s->area[a] == NULL) {
		if ((s->area[a] = make()) == NULL) {
			log_warnx("store: postgresql: out of memory");
			return NULL;
		}
		s->area_free[a] = release;
	}
	return s->area[a];
}

/* ---- statements prepared on this connection ---- */

static size_t
ptr_hash(const void *p, size_t cap)
{
	uintptr_t v = (uintptr_t)p;

	v ^= v >> 17;
	v *= 0x9e3779b97f4a7c15ull;
	return (size_t)(v >> 20) & (cap - 1);
}

static int
prepared_has(const struct store_pgsql *s, const struct pg_stmt *st)
{
	size_t i;

	if (s->prepared_cap == 0)
		return 0;
	for (i = ptr_hash(st, s->prepared_cap); s->prepared[i] != NULL;
	     i = (i + 1) & (s->prepared_cap - 1))
		if (s->prepared[i] == st)
			return 1;
	return 0;
}

static int
prepared_add(struct store_pgsql *s, const struct pg_stmt *st)
{
	const struct pg_stmt **old = s->prepared, **grown;
	size_t i, cap = s->prepared_cap, ncap;

	if (2 * (s->nprepared + 1) > cap) {
		ncap = cap == 0 ? 256 : 2 * cap;
		if ((grown = calloc(ncap, sizeof(*grown))) == NULL)
			return -1;
		s->prepared = grown;
		s->prepared_cap = ncap;
		s->nprepared = 0;
		for (i = 0; i < cap; i++)
			if (old[i] != NULL)
				(void)prepared_add(s, old[i]);
		free(old);
	}
	for (i = ptr_hash(st, s->prepared_cap); s->prepared[i] != NULL;
	     i = (i + 1) & (s->prepared_cap - 1))
		;
	s->prepared[i] = st;
	s->nprepared++;
	return 0;
}

/* Forget every preparation (a new connection has none, and a failed
 * pipeline may have lost some: they are made again, under the same
 * names, after DEALLOCATE ALL). */
void
store_pgsql_prepared_clear(struct store_pgsql *s)
{
	if (s->prepared != NULL)
		memset(s->prepared, 0, s->prepared_cap * sizeof(*s->prepared));
	s->nprepared = 0;
}

/* ---- the queue of results ---- */

static int queue_drain(struct store_pgsql *s);

static int
queue_push(struct store_pgsql *s, enum pgq_kind kind, const struct pg_stmt *st,
    pgq_fn fn, int64_t cookie)
{
	struct pgq_entry *e;

	if (s->qlen >= PGQ_MAX) {
		log_warnx("store: postgresql: result queue full");
		return -1;
	}
	e = &s->q[(s->qhead + s->qlen) % PGQ_MAX];
	e->kind = kind;
	e->st = st;
	e->fn = fn;
	e->cookie = cookie;
	s->qlen++;
	return 0;
}

/* Read the results of the oldest entry: 0, or -1 when it failed (the
 * transaction is then lost: s->failed). */
static int
queue_pop(struct store_pgsql *s)
{
	struct pgq_entry e = s->q[s->qhead];
	ExecStatusType st;
	PGresult *r;
	int bad = 0, guard = 0;

	s->qhead = (s->qhead + 1) % PGQ_MAX;
	s->qlen--;
	if (e.kind == PGQ_SYNC) {
		/* The sync's own result, with no NULL after it. */
		while ((r = PQgetResult(s->conn)) == NULL ||
		    PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			PQclear(r);
			if (PQstatus(s->conn) == CONNECTION_BAD || ++guard > 64)
				goto lost;
		}
		PQclear(r);
		return 0;
	}
	while ((r = PQgetResult(s->conn)) != NULL) {
		st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (e.fn != NULL && e.kind == PGQ_STMT && !bad)
				e.fn(s, r, e.cookie);
		} else if (!bad) {
			bad = 1;
			/* An aborted statement only follows the failure
			 * already told. */
			if (st != PGRES_PIPELINE_ABORTED)
				store_pgsql_fail(s, "%.60s: %s",
				    e.st != NULL ? e.st->sql : "?",
				    PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	if (PQstatus(s->conn) == CONNECTION_BAD)
		goto lost;
	if (bad)
		s->failed = 1;
	return bad ? -1 : 0;
lost:
	store_pgsql_fail(s, "connection lost: %s", PQerrorMessage(s->conn));
	s->failed = 1;
	s->broken = 1;
	return -1;
}

int
store_pgsql_push_sync(struct store_pgsql *s)
{
	return queue_push(s, PGQ_SYNC, NULL, NULL, 0);
}

int
store_pgsql_drain(struct store_pgsql *s)
{
	return queue_drain(s);
}

/* Collect every entry queued (after a flush request or a sync). */
static int
queue_drain(struct store_pgsql *s)
{
	int rc = 0;

	while (s->qlen > 0)
		if (queue_pop(s) == -1) {
			rc = -1;
			if (s->broken) {
				s->qlen = 0;
				break;
			}
		}
	return rc;
}

/* Ask the server for what it holds, then read it all. */
static int
queue_flush_collect(struct store_pgsql *s)
{
	if (s->qlen == 0)
		return 0;
	if (PQsendFlushRequest(s->conn) != 1 || PQflush(s->conn) != 0) {
		store_pgsql_fail(s, "flush: %s", PQerrorMessage(s->conn));
		s->failed = 1;
		return -1;
	}
	return queue_drain(s);
}

/* Send st (prepared first if this connection has not seen it). */
static int
send_stmt(struct store_pgsql *s, const struct pg_stmt *st, const struct pgp *p,
    pgq_fn fn, int64_t cookie)
{
	if (!prepared_has(s, st)) {
		if (PQsendPrepare(s->conn, st->name, st->sql, 0, NULL) != 1 ||
		    queue_push(s, PGQ_PREPARE, st, NULL, 0) == -1)
			goto fail;
		if (prepared_add(s, st) == -1)
			goto fail;
	}
	if (PQsendQueryPrepared(s->conn, st->name, p != NULL ? p->n : 0,
		p != NULL ? p->v : NULL, p != NULL ? p->len : NULL,
		p != NULL ? p->fmt : NULL, 0) != 1 ||
	    queue_push(s, PGQ_STMT, st, fn, cookie) == -1)
		goto fail;
	return 0;
fail:
	store_pgsql_fail(s, "%.60s: %s", st->sql, PQerrorMessage(s->conn));
	s->failed = 1;
	return -1;
}

int
pgq_send(struct store_pgsql *s, const struct pg_stmt *st, const struct pgp *p,
    pgq_fn fn, int64_t cookie)
{
	if (!s->pipelined) {
		PGresult *r = pgq_query(s, st, p);

		if (r == NULL)
			return -1;
		if (fn != NULL)
			fn(s, r, cookie);
		PQclear(r);
		return 0;
	}
	if (s->failed)
		return -1;
	/* Room for a preparation and the statement. */
	if (s->qlen + 2 >= PGQ_WINDOW && queue_flush_collect(s) == -1)
		return -1;
	return send_stmt(s, st, p, fn, cookie);
}

int
pgq_collect(struct store_pgsql *s)
{
	if (!s->pipelined)
		return s->failed ? -1 : 0;
	if (queue_flush_collect(s) == -1)
		return -1;
	return s->failed ? -1 : 0;
}

/* Keep the answer of the statement pgq_query() waits for. */
static void
keep_result(struct store_pgsql *s, PGresult *res, int64_t cookie)
{
	PGresult **out = (PGresult **)(intptr_t)cookie;

	(void)s;
	*out = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
}

static PGresult *
query_direct(struct store_pgsql *s, const struct pg_stmt *st,
    const struct pgp *p)
{
	ExecStatusType status;
	PGresult *r;

	if (!prepared_has(s, st)) {
		r = PQprepare(s->conn, st->name, st->sql, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			store_pgsql_fail(s, "%.60s: %s", st->sql,
			    PQresultErrorMessage(r));
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		if (prepared_add(s, st) == -1)
			return NULL;
	}
	r = PQexecPrepared(s->conn, st->name, p != NULL ? p->n : 0,
	    p != NULL ? p->v : NULL, p != NULL ? p->len : NULL,
	    p != NULL ? p->fmt : NULL, 0);
	status = PQresultStatus(r);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		store_pgsql_fail(s, "%.60s: %s", st->sql,
		    r != NULL ? PQresultErrorMessage(r)
			      : PQerrorMessage(s->conn));
		PQclear(r);
		return NULL;
	}
	return r;
}

PGresult *
pgq_query(struct store_pgsql *s, const struct pg_stmt *st, const struct pgp *p)
{
	PGresult *out = NULL;

	if (s->broken) {
		store_pgsql_fail(s, "not connected");
		return NULL;
	}
	if (!s->pipelined)
		return query_direct(s, st, p);
	if (s->failed)
		return NULL;
	if (send_stmt(s, st, p, keep_result, (int64_t)(intptr_t)&out) == -1 ||
	    queue_flush_collect(s) == -1) {
		PQclear(out);
		return NULL;
	}
	if (out == NULL)
		store_pgsql_fail(s, "%.60s: out of memory", st->sql);
	return out;
}

int
pgq_run(struct store_pgsql *s, const struct pg_stmt *st, const struct pgp *p)
{
	PGresult *r = pgq_query(s, st, p);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

int
pgq_exec(struct store_pgsql *s, const char *sql)
{
	ExecStatusType st;
	PGresult *r;

	if (s->pipelined) {
		store_pgsql_fail(s, "%.60s: not in a pipeline", sql);
		return -1;
	}
	r = PQexec(s->conn, sql);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		store_pgsql_fail(s, "%.60s: %s", sql,
		    r != NULL ? PQresultErrorMessage(r)
			      : PQerrorMessage(s->conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}
