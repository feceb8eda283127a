/*
 * store_pg: the foundations of the PostgreSQL store (docs/postgresql.md):
 * a connection from a libpq URI and a password file, and the versioned
 * migrations of store_pg_schema.c applied under an advisory lock. The
 * backend of store.h is built on it (store_pg_int.h, which includes
 * libpq: this header names none of its types).
 */
#ifndef STORE_PG_H
#define STORE_PG_H

#include <stddef.h>

/* The schema version the last migration reaches: SQLite's
 * STORE_SCHEMA_VERSION, which the baseline matches. */
#define STORE_PG_SCHEMA_VERSION 15

/* One step: the SQL that takes the database to version. The first is
 * the baseline (from an empty database to 14); later ones append. */
struct store_pg_migration {
	int version;
	const char *sql;
};

extern const struct store_pg_migration store_pg_migrations[];
extern const size_t store_pg_nmigrations;

struct store_pg;

/*
 * Connect to url (a libpq connection URI or key=value string; TLS by its
 * sslmode). password_file, when not NULL, holds the password, as
 * mqtt.password_file does: its content, at most 4096 bytes, without
 * trailing newlines, not empty, no NUL byte. Without it libpq's own
 * means apply (PGPASSFILE, ~/.pgpass). NULL on failure, with a message
 * in err (never the password).
 */
struct store_pg *store_pg_open(const char *url, const char *password_file,
    char *err, size_t errlen);

/*
 * Bring the schema to the last version, in one transaction under an
 * advisory lock, so that daemons starting together migrate once and the
 * others find it done. *from and *to (either may be NULL) receive the
 * versions before and after. Refuses a database newer than this build
 * and one not encoded in UTF8. 0 or -1 with err.
 */
int store_pg_migrate(struct store_pg *pg, int *from, int *to, char *err,
    size_t errlen);

/* The schema version recorded in the database, 0 when none; -1 on error. */
int store_pg_version(struct store_pg *pg, char *err, size_t errlen);

void store_pg_close(struct store_pg *pg);

#endif
