/*
 * store_pg: connecting with libpq and applying the PostgreSQL schema's
 * migrations (store_pg.h); the rest of the backend takes the connection
 * from here (store_pg_int.h).
 */
#include "store_pg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct store_pg {
	PGconn *conn;
};

/* Every daemon takes this lock around a migration: "WTRK", the SQLite
 * file's application id, in the first key space of the two-int form. */
#define MIGRATE_LOCK "SELECT pg_advisory_xact_lock(1465143883, 1)"

/* The versions applied, one row each: PostgreSQL has no user_version. */
#define VERSION_TABLE                                                            \
	"CREATE TABLE IF NOT EXISTS schema_version(version integer PRIMARY KEY," \
	" applied_ms bigint NOT NULL)"

#define PASSWORD_MAX 4096

/* The server's notices (CREATE TABLE IF NOT EXISTS... skipping) are not
 * errors and would go to stderr. */
static void
quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* libpq's messages end with a newline; the log adds its own. */
static void
pq_err(char *err, size_t errlen, const char *what, const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	seterr(err, errlen, "%s: %.*s", what, (int)n, msg);
}

/* The password file's rules are mqtt.password_file's (config_file.c). */
static int
read_password(const char *path, char *buf, size_t cap, char *err, size_t errlen)
{
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len == cap) {
		seterr(err, errlen, "%s: longer than %d bytes", path,
		    PASSWORD_MAX);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		seterr(err, errlen, "%s: %s", path,
		    len == 0 ? "empty" : "contains a NUL byte");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

struct store_pg *
store_pg_open(const char *url, const char *password_file, char *err,
    size_t errlen)
{
	/* One byte more than the limit tells a too long file apart. */
	char password[PASSWORD_MAX + 2];
	/*
	 * Before the URI (whose own options then win): commits durable
	 * when they return, whatever the server's default, since the
	 * daemon lets its spool go after them; off, a crash of the server
	 * loses the last commits, and their messages with them.
	 */
	const char *keys[5] = { "options", "dbname", NULL, NULL, NULL };
	const char *vals[5] = { "-c synchronous_commit=on", url, NULL, NULL,
		NULL };
	struct store_pg *pg;
	int k = 2;

	if (password_file != NULL) {
		if (read_password(password_file, password, sizeof(password) - 1,
			err, errlen) == -1)
			return NULL;
		keys[k] = "password";
		vals[k++] = password;
	}
	/* The daemon's name in pg_stat_activity, unless the URI says. */
	keys[k] = "fallback_application_name";
	vals[k++] = "wastetrackd";
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	/* expand_dbname: the URI's own parameters (sslmode...) apply. */
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK) {
		pq_err(err, errlen, "postgresql",
		    pg->conn != NULL ? PQerrorMessage(pg->conn)
				     : "out of memory");
		store_pg_close(pg);
		pg = NULL;
	} else
		PQsetNoticeProcessor(pg->conn, quiet_notice, NULL);
fail:
	explicit_bzero(password, sizeof(password));
	return pg;
}

void
store_pg_close(struct store_pg *pg)
{
	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg);
}

/* Run sql (one or more statements, no parameters); 0 or -1 with err. */
static int
exec(struct store_pg *pg, const char *sql, const char *what, char *err,
    size_t errlen)
{
	PGresult *res = PQexec(pg->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pq_err(err, errlen, what, PQerrorMessage(pg->conn));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* One integer from sql (its first column of its first row); -1 when
 * there is none or on error. */
static int
query_int(struct store_pg *pg, const char *sql, int *out, char *err,
    size_t errlen)
{
	PGresult *res = PQexec(pg->conn, sql);
	int rc = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		pq_err(err, errlen, "postgresql", PQerrorMessage(pg->conn));
	else if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		seterr(err, errlen, "postgresql: no value from %s", sql);
	else {
		*out = atoi(PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int
store_pg_version(struct store_pg *pg, char *err, size_t errlen)
{
	int exists, v;

	/* A query naming a missing table fails at parse time: look first. */
	if (query_int(pg,
		"SELECT (to_regclass('schema_version') IS NOT NULL)::int",
		&exists, err, errlen) == -1)
		return -1;
	if (!exists)
		return 0;
	if (query_int(pg,
		"SELECT coalesce(max(version), 0) FROM schema_version", &v, err,
		errlen) == -1)
		return -1;
	return v;
}

/* Chinese district names and plates need UTF8; SQL_ASCII would store
 * bytes and compare them wrongly, another encoding would refuse them. */
static int
check_encoding(struct store_pg *pg, char *err, size_t errlen)
{
	const char *enc = PQparameterStatus(pg->conn, "server_encoding");

	if (enc == NULL || strcmp(enc, "UTF8") != 0) {
		seterr(err, errlen,
		    "postgresql: database encoding is %s, not UTF8 (create "
		    "it with ENCODING 'UTF8')",
		    enc != NULL ? enc : "unknown");
		return -1;
	}
	return 0;
}

/* Apply every step after version v, each recorded in schema_version. */
static int
apply_steps(struct store_pg *pg, int v, char *err, size_t errlen)
{
	char sql[160];
	size_t i;

	for (i = 0; i < store_pg_nmigrations; i++) {
		const struct store_pg_migration *m = &store_pg_migrations[i];

		if (m->version <= v)
			continue;
		if (exec(pg, m->sql, "postgresql: migration", err, errlen) ==
		    -1)
			return -1;
		snprintf(sql, sizeof(sql),
		    "INSERT INTO schema_version VALUES(%d,"
		    " (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
		    m->version);
		if (exec(pg, sql, "postgresql: schema_version", err, errlen) ==
		    -1)
			return -1;
	}
	return 0;
}

int
store_pg_migrate(struct store_pg *pg, int *from, int *to, char *err,
    size_t errlen)
{
	int v, last = store_pg_migrations[store_pg_nmigrations - 1].version;

	if (check_encoding(pg, err, errlen) == -1)
		return -1;
	/* The lock first: a second daemon waits here, then finds the
	 * version the first one committed. */
	if (exec(pg, "BEGIN", "postgresql", err, errlen) == -1)
		return -1;
	if (exec(pg, MIGRATE_LOCK, "postgresql: lock", err, errlen) == -1 ||
	    exec(pg, VERSION_TABLE, "postgresql: schema_version", err,
		errlen) == -1 ||
	    (v = store_pg_version(pg, err, errlen)) == -1)
		goto fail;
	if (v > last) {
		seterr(err, errlen,
		    "postgresql: schema version %d is newer than this "
		    "wastetrackd (%d): refusing to touch it",
		    v, last);
		goto fail;
	}
	if (apply_steps(pg, v, err, errlen) == -1)
		goto fail;
	if (exec(pg, "COMMIT", "postgresql: commit", err, errlen) == -1)
		return -1;
	if (from != NULL)
		*from = v;
	if (to != NULL)
		*to = last > v ? last : v;
	return 0;
fail:
	/* Already failing: the rollback's own error adds nothing. */
	(void)exec(pg, "ROLLBACK", "postgresql", NULL, 0);
	return -1;
}

PGconn *
store_pg_conn(struct store_pg *pg)
{
	return pg->conn;
}
