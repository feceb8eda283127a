/*
 * dbfiles: for unit tests that run a real store and spool in a temporary
 * directory (see tmpfiles.h): read one figure with sqlite3 on a
 * connection of the test's own, and remove whatever the store and the
 * spool created.
 */
#ifndef WT_DBFILES_H
#define WT_DBFILES_H

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

/* A single integer from the database at path, or -1 (printed). */
static inline long long
db_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "query %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static inline int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) == -1)
		perror(path);
	return 0;
}

/* dir and everything under it. */
static inline void
rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
