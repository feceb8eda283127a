/*
 * rawdb: the test's own sqlite3 connection to a store's file, to set up
 * rows the daemon would never write and to read figures back. Failures
 * count as failed checks (check.h); an unopenable file ends the test.
 */
#ifndef WT_RAWDB_H
#define WT_RAWDB_H

#include "check.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "open %s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	/* The store under test may hold the write lock for a moment. */
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static inline void
raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
		check_failures++;
	}
	sqlite3_free(err);
}

/* The first column of the first row of sql as an integer; -999 when
 * there is no row, NULL gives -1. */
static inline int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		check_failures++;
		return v;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL
		    ? -1
		    : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#endif
