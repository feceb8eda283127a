/*
 * dbfiles: for unit tests that run a real store and spool in a temporary
 * directory (see tmpfiles.h): read one figure with sqlite3 on a
 * connection of the test's own, and remove whatever the store and the
 * spool created.
 */
#ifndef WT_DBFILES_H
#define WT_DBFILES_H

#include "config.h"
#include "profile.h"
#include "tmpfiles.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The configuration the store-backed tests run on: the native dialect,
 * a database in the temporary directory, one facility. */
static const char test_conf[] =
    "subscriptions:\n"
    "  - {topic: \"wt/v1/#\", profile: wastetrack}\n"
    "database:\n"
    "  path: \"$/wt.db\"\n"
    "  raw_retention_days: 7\n"
    "time:\n"
    "  local_offset: \"+08:00\"\n"
    "facilities:\n"
    "  - id: \"CC-KWP-01\"\n"
    "    name: \"kitchen waste plant\"\n"
    "    kind: food_waste_plant\n"
    "    district: \"朝阳区\"\n"
    "    harmless: true\n";

/* Load the configuration text (tmpfiles.h's expand() placeholders) and
 * compile its profiles, or print the errors and exit: a test that cannot
 * build its configuration has nothing to test. */
static inline void
load_test_config(const char *conf, struct config **cfg,
    struct profile_set **profiles)
{
	char *text = expand(conf, "");
	char *errors = NULL;

	if (config_load(write_t("wt.yaml", text), cfg, &errors) == -1 ||
	    profile_compile(*cfg, profiles, &errors) == -1) {
		fputs(errors ? errors : "config\n", stderr);
		exit(1);
	}
	free(text);
}

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
