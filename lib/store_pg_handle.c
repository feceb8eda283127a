/*
 * store_pg_handle: opening and closing the PostgreSQL backend's handles,
 * the writer's transactions (each one pipeline: store_pg_int.h), the
 * spool position each instance keeps in meta, the database's identity,
 * and the reader's snapshots.
 */
#include "store_pg_int.h"

#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* How often the writer asks the size of the database (store_info()
 * must not query: it runs every batch). */
#define SIZE_EVERY_MS 10000

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The URI as shown (store_path(), logs, /status): without its password,
 * in "postgresql://user:secret@host/db" or "password=secret". */
static char *
shown_uri(const char *url)
{
	char *out = strdup(url), *p, *at, *colon, *end;

	if (out == NULL)
		return NULL;
	if ((p = strstr(out, "://")) != NULL) {
		p += 3;
		at = strchr(p, '@');
		colon = strchr(p, ':');
		if (at != NULL && colon != NULL && colon < at)
			memmove(colon, at, strlen(at) + 1);
	}
	if ((p = strstr(out, "password=")) != NULL) {
		p += strlen("password=");
		end = p + strcspn(p, " &");
		memmove(p, end, strlen(end) + 1);
	}
	return out;
}

struct store_pgsql *
store_pgsql_new(enum pg_kind kind, const struct store_where *w)
{
	struct store_pgsql *s;
	char err[512];

	if (w->path == NULL || *w->path == '\0') {
		log_warnx("store: postgresql: no database.url");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->q = calloc(PGQ_MAX, sizeof(*s->q))) == NULL ||
	    (s->url = strdup(w->path)) == NULL ||
	    (s->shown = shown_uri(w->path)) == NULL ||
	    (s->instance = strdup(
		 w->instance != NULL ? w->instance : "default")) == NULL ||
	    (w->password_file != NULL &&
		(s->password_file = strdup(w->password_file)) == NULL)) {
		log_warnx("store: postgresql: out of memory");
		goto fail;
	}
	s->kind = kind;
	if ((s->pg = store_pg_open(s->url, s->password_file, err,
		 sizeof(err))) == NULL) {
		log_warnx("store: %s (%s)", err, s->shown);
		goto fail;
	}
	s->conn = store_pg_conn(s->pg);
	return s;
fail:
	store_pg_close_handle(s != NULL ? &s->pub : NULL);
	return NULL;
}

int
store_pg_open_writer(const struct store_where *w, int full_sync,
    struct store **out)
{
	struct store_pgsql *s;
	char err[512];
	int from, to;

	/* Durability is the server's (synchronous_commit): a commit
	 * returns once PostgreSQL says it is durable, whatever full_sync,
	 * because the spool is emptied after it. */
	(void)full_sync;
	if ((s = store_pgsql_new(PGK_WRITER, w)) == NULL)
		return -1;
	if (store_pg_migrate(s->pg, &from, &to, err, sizeof(err)) == -1) {
		log_warnx("store: %s", err);
		goto fail;
	}
	if (from != to)
		log_notice("store: postgresql schema %d -> %d at %s", from, to,
		    s->shown);
	*out = &s->pub;
	return 0;
fail:
	store_pg_close_handle(&s->pub);
	return -1;
}

int
store_pg_open_reader(const struct store_where *w, struct store **out)
{
	struct store_pgsql *s;
	char err[512];
	int v;

	if ((s = store_pgsql_new(PGK_READER, w)) == NULL)
		return -1;
	if ((v = store_pg_version(s->pg, err, sizeof(err))) == -1) {
		log_warnx("store: %s", err);
		goto fail;
	}
	if (v != STORE_PG_SCHEMA_VERSION) {
		log_warnx("store: postgresql schema %d at %s, this build reads "
			  "%d",
		    v, s->shown, STORE_PG_SCHEMA_VERSION);
		goto fail;
	}
	*out = &s->pub;
	return 0;
fail:
	store_pg_close_handle(&s->pub);
	return -1;
}

void
store_pg_close_handle(struct store *pub)
{
	struct store_pgsql *s = (struct store_pgsql *)pub;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < PGA_COUNT; i++)
		if (s->area[i] != NULL && s->area_free[i] != NULL)
			s->area_free[i](s->area[i]);
	if (s->pg != NULL && s->pipelined)
		(void)PQexitPipelineMode(s->conn);
	store_pg_close(s->pg);
	free(s->q);
	free(s->prepared);
	free(s->url);
	free(s->shown);
	free(s->instance);
	free(s->password_file);
	free(s);
}

const char *
store_pg_path(const struct store *pub)
{
	return ((const struct store_pgsql *)pub)->shown;
}

const char *
store_pg_errmsg(struct store *pub)
{
	return store_pgsql_of(pub)->err;
}

/* ---- transactions ---- */

static const struct pg_stmt st_begin = { "h_begin", "BEGIN" };
static const struct pg_stmt st_commit = { "h_commit", "COMMIT" };

/* A lost connection comes back at the next transaction: the spool keeps
 * what arrives meanwhile (docs/postgresql.md). */
static int
reconnect(struct store_pgsql *s)
{
	if (s->pipelined)
		(void)PQexitPipelineMode(s->conn);
	s->pipelined = 0;
	s->qlen = 0;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		store_pgsql_fail(s, "reconnect to %s: %s", s->shown,
		    PQerrorMessage(s->conn));
		return -1;
	}
	log_notice("store: postgresql: connected again to %s", s->shown);
	s->broken = 0;
	s->reprepare = 0;
	s->prepared_clear_needed = 1;
	return 0;
}

int
store_pgsql_ready(struct store_pgsql *s)
{
	if (s->broken && reconnect(s) == -1)
		return -1;
	if (s->prepared_clear_needed || s->reprepare) {
		if (s->reprepare && pgq_exec(s, "DEALLOCATE ALL") == -1)
			return -1;
		store_pgsql_prepared_clear(s);
		s->reprepare = s->prepared_clear_needed = 0;
	}
	return 0;
}

static void
refresh_size(struct store_pgsql *s)
{
	PGresult *r;
	int64_t now = mono_ms();

	if (s->size_at_ms != 0 && now - s->size_at_ms < SIZE_EVERY_MS)
		return;
	s->size_at_ms = now;
	r = PQexec(s->conn, "SELECT pg_database_size(current_database())");
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		s->size_bytes = pgr_i64(r, 0, 0, s->size_bytes);
	PQclear(r);
}

int
store_pg_begin(struct store *pub)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	if (s->in_txn) {
		store_pgsql_fail(s, "a transaction is already open");
		return -1;
	}
	if (store_pgsql_ready(s) == -1)
		return -1;
	refresh_size(s);
	if (PQenterPipelineMode(s->conn) != 1) {
		store_pgsql_fail(s, "pipeline: %s", PQerrorMessage(s->conn));
		return -1;
	}
	s->pipelined = 1;
	s->failed = 0;
	s->in_txn = 1;
	if (pgq_send(s, &st_begin, NULL, NULL, 0) == -1) {
		store_pg_rollback(pub);
		return -1;
	}
	return 0;
}

/* Sync the pipeline, read everything, leave pipeline mode. */
static int
end_pipeline(struct store_pgsql *s)
{
	int rc = 0;

	if (!s->broken) {
		if (PQpipelineSync(s->conn) != 1) {
			store_pgsql_fail(s, "sync: %s",
			    PQerrorMessage(s->conn));
			rc = -1;
		} else if (store_pgsql_push_sync(s) == -1)
			rc = -1;
		if (store_pgsql_drain(s) == -1)
			rc = -1;
	}
	if (!s->broken && PQexitPipelineMode(s->conn) != 1) {
		store_pgsql_fail(s, "pipeline: %s", PQerrorMessage(s->conn));
		rc = -1;
	}
	s->pipelined = 0;
	s->qlen = 0;
	return rc;
}

int
store_pg_commit(struct store *pub)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	if (!s->in_txn) {
		store_pgsql_fail(s, "commit without a transaction");
		return -1;
	}
	if (s->failed || store_pgw_before_commit(s) == -1 ||
	    pgq_send(s, &st_commit, NULL, NULL, 0) == -1)
		return -1; /* the caller rolls back */
	if (end_pipeline(s) == -1 || s->failed) {
		/* Not committed, or not known to be: the caller rolls back
		 * and the spool, still holding the batch, replays it. */
		s->failed = 1;
		return -1;
	}
	s->in_txn = 0;
	store_pgw_after_end(s, 1);
	return 0;
}

void
store_pg_rollback(struct store *pub)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	PGresult *r;

	if (!s->in_txn)
		return;
	if (s->pipelined) {
		if (s->failed)
			s->reprepare = 1; /* aborted preparations */
		(void)end_pipeline(s);
	}
	if (!s->broken) {
		/* Outside the pipeline: after a failure, the statements up
		 * to the sync were skipped, the ROLLBACK among them. */
		r = PQexec(s->conn, "ROLLBACK");
		PQclear(r);
		if (PQstatus(s->conn) == CONNECTION_BAD)
			s->broken = 1;
	}
	s->in_txn = 0;
	s->failed = 0;
	store_pgw_after_end(s, 0);
}

/* ---- the spool position of this instance, in meta ---- */

static const struct pg_stmt st_meta_get = { "h_meta_get",
	"SELECT value FROM meta WHERE key = $1" };
static const struct pg_stmt st_meta_set = { "h_meta_set",
	"INSERT INTO meta(key, value) VALUES($1, $2)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value" };
static const struct pg_stmt st_meta_add = { "h_meta_add",
	"INSERT INTO meta(key, value) VALUES($1, $2)"
	" ON CONFLICT(key) DO NOTHING" };

/* Each instance has a spool of its own, so a position of its own:
 * "spool:NAME" holds "SEG:OFF". */
static void
spool_key(const struct store_pgsql *s, char *out, size_t n)
{
	snprintf(out, n, "spool:%s", s->instance);
}

int
store_pg_spool_pos(struct store *pub, struct spool_pos *pos)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	unsigned long long seg = 1, off = 0;
	char key[160];
	const char *v;
	struct pgp p;
	PGresult *r;

	spool_key(s, key, sizeof(key));
	pgp_init(&p);
	pgp_text(&p, key);
	if ((r = pgq_query(s, &st_meta_get, &p)) == NULL)
		return -1;
	if ((v = pgr_text(r, 0, 0)) != NULL &&
	    sscanf(v, "%llu:%llu", &seg, &off) != 2) {
		store_pgsql_fail(s, "meta %s: not SEG:OFF: %.40s", key, v);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	pos->seg = seg;
	pos->off = off;
	return 0;
}

int
store_pg_set_spool_pos(struct store *pub, struct spool_pos pos)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	char key[160], val[48];
	struct pgp p;

	spool_key(s, key, sizeof(key));
	snprintf(val, sizeof(val), "%llu:%llu", (unsigned long long)pos.seg,
	    (unsigned long long)pos.off);
	pgp_init(&p);
	pgp_text(&p, key);
	pgp_text(&p, val);
	return pgq_send(s, &st_meta_set, &p, NULL, 0);
}

/* ---- the database's identity ---- */

int
store_pg_db_id(struct store *pub, char *out, size_t n)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	unsigned char b[STORE_ID_LEN / 2];
	char fresh[STORE_ID_LEN + 1];
	const char *v;
	struct pgp p;
	PGresult *r;
	size_t i;
	int rc = -1;

	if (n <= STORE_ID_LEN ||
	    getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		store_pgsql_fail(s, "cannot make a database id");
		return -1;
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(fresh + 2 * i, 3, "%02x", b[i]);
	/* Made by whichever instance asks first; the others read it. */
	pgp_init(&p);
	pgp_text(&p, "db_id");
	pgp_text(&p, fresh);
	if (pgq_run(s, &st_meta_add, &p) == -1)
		return -1;
	pgp_init(&p);
	pgp_text(&p, "db_id");
	if ((r = pgq_query(s, &st_meta_get, &p)) == NULL)
		return -1;
	if ((v = pgr_text(r, 0, 0)) != NULL && strlen(v) == STORE_ID_LEN) {
		memcpy(out, v, STORE_ID_LEN + 1);
		rc = 0;
	} else
		store_pgsql_fail(s, "meta db_id: not an id");
	PQclear(r);
	return rc;
}

int
store_pg_info(struct store *pub, struct store_info *info)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	memset(info, 0, sizeof(*info));
	info->schema_version = STORE_PG_SCHEMA_VERSION;
	info->size_bytes = s->size_bytes;
	return 0;
}

/* ---- the reader's snapshots ---- */

int
store_pg_read_begin(struct store *pub)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	if (store_pgsql_ready(s) == -1)
		return -1;
	/* One snapshot for every read of a report, as SQLite's read
	 * transaction gives. */
	return pgq_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

void
store_pg_read_end(struct store *pub)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	if (!s->broken && pgq_exec(s, "COMMIT") == -1)
		return; /* told; the next read starts afresh */
}

static const struct pg_stmt st_data_version = { "h_data_version",
	"SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint" };

/* Changes whenever anything is written to the server: a report
 * recomputed for nothing now and then costs less than one missed. */
int
store_pg_data_version(struct store *pub, int64_t *v)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	PGresult *r;

	if (store_pgsql_ready(s) == -1 ||
	    (r = pgq_query(s, &st_data_version, NULL)) == NULL)
		return -1;
	*v = pgr_i64(r, 0, 0, 0);
	PQclear(r);
	return 0;
}
