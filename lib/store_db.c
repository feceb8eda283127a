/*
 * store_db: helpers on a bare SQLite connection, below everything else of
 * the store: open a connection, run SQL text, read a PRAGMA, size a file.
 * They take a sqlite3 *, not a struct store_sqlite, so the schema, the readers
 * and the maintenance connection use them too.
 */
#include "store_int.h"

#include "log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
store_db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
store_pragma_int(sqlite3 *db, const char *pragma, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, pragma, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_open_conn(const char *path, int flags, sqlite3 **out)
{
	if (sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_warnx("store: open %s: %s", path,
		    *out ? sqlite3_errmsg(*out) : "out of memory");
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	/* Readers (other tools, our report connection) may hold the WAL
	 * for a while; wait instead of failing a batch. */
	sqlite3_busy_timeout(*out, STORE_BUSY_GIVE_UP_MS);
	return 0;
}

int64_t
store_file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (int64_t)st.st_size : 0;
}

char *
store_db_text_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t != NULL ? (const char *)t : "");
}

void *
store_db_blob_dup(sqlite3_stmt *st, int col, size_t *len)
{
	const void *blob = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	char *p;

	/* One byte more: an empty value still gets a pointer. */
	if ((p = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, blob, (size_t)n);
	*len = (size_t)n;
	return p;
}

double
store_db_real(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
	    ? NAN
	    : sqlite3_column_double(st, col);
}
