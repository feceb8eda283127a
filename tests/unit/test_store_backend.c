/*
 * test_store_backend: the store's dispatch by backend (lib/store.c).
 * An unknown backend is refused with a message naming the known ones, by
 * every function that opens by name, and leaves nothing behind; every
 * backend built in has each operation the dispatcher calls unchecked; a
 * table lacking one is named; and a backend without the optional
 * operations (background maintenance, giving space back, backups) gets
 * the documented fallbacks, tried on a real SQLite store whose table is
 * swapped for a copy without them.
 */
#include "check.h"
#include "tmpfiles.h"

#include "store.h"
#include "store_backend.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

static void
test_unknown(void)
{
	struct store *s = NULL;
	struct store_maint *m = NULL;
	struct store_query *q = NULL;
	struct store_backup_info bi;
	struct store_where w = { 0 };
	char err[160], path[512], dest[512];

	tdb_path("unknown.db", path, sizeof(path));
	snprintf(dest, sizeof(dest), "%s", tpath("unknown-copy.db"));
	remember(dest);

	CHECK(store_backend_find("postgres", err, sizeof(err)) == NULL);
#ifdef WT_HAVE_PG
	CHECK_STR(err,
	    "unknown store backend \"postgres\" (known: sqlite postgresql)");
#else
	CHECK_STR(err, "unknown store backend \"postgres\" (known: sqlite)");
#endif
	/* A buffer too small for the whole message holds its first 19
	 * characters and the NUL. */
	CHECK(store_backend_find("postgres", err, 20) == NULL);
	CHECK_STR(err, "unknown store backe");
	CHECK(store_backend_find("sqlite", err, sizeof(err)) ==
	    &store_backend_sqlite);
	CHECK_INT(store_backend_known("sqlite"), 1);
	CHECK_INT(store_backend_known("SQLite"), 0);
	CHECK_INT(store_backend_known(""), 0);
	CHECK_INT(store_backend_known(NULL), 1); /* the default */
	CHECK(store_backend_find("x", err, 0) == NULL);
	CHECK_STR(store_backend_default, "sqlite");

	/* Refused before anything is created. */
	w.backend = "postgres";
	w.path = path;
	CHECK_INT(store_open_at(&w, 0, &s), -1);
	CHECK(s == NULL);
	CHECK_INT(store_open_reader_at(&w, &s), -1);
	CHECK(s == NULL);
	CHECK_INT(store_maint_open_at(&w, &m), -1);
	CHECK(m == NULL);
	CHECK_INT(store_query_open_at(&w, &q), -1);
	CHECK(q == NULL);
	CHECK_INT(store_backup_at(&w, dest, &bi), -1);
	CHECK(access(path, F_OK) == -1);
	CHECK(access(dest, F_OK) == -1);
}

/* The SQLite backend's table with some operations taken out. */
static struct store_backend
without(const char *what)
{
	struct store_backend be = store_backend_sqlite;

	if (strcmp(what, "commit") == 0)
		be.commit = NULL;
	else if (strcmp(what, "query_prune_due") == 0)
		be.query_prune_due = NULL;
	else if (strcmp(what, "maint_step") == 0)
		be.maint_step = NULL;
	else if (strcmp(what, "optional") == 0) {
		be.reclaim_slice = NULL;
		be.on_commit_pressure = NULL;
		be.maint_catch_up = NULL;
		be.maint_open = NULL;
		be.maint_step = NULL;
		be.maint_truncate = NULL;
		be.maint_log_bytes = NULL;
		be.maint_errmsg = NULL;
		be.maint_close = NULL;
		be.backup = NULL;
	}
	return be;
}

static void
test_tables(void)
{
	struct store_backend be;
	size_t i;

	for (i = 0; store_backends[i] != NULL; i++) {
		CHECK_STR(store_backend_check(store_backends[i]), NULL);
		CHECK(store_backends[i]->name != NULL);
	}
#ifdef WT_HAVE_PG
	CHECK_INT((int)i, 2);
#else
	CHECK_INT((int)i, 1);
#endif
	CHECK(store_backends[0] == &store_backend_sqlite);

	/* The first operation missing is named; optional ones may go. */
	be = without("commit");
	CHECK_STR(store_backend_check(&be), "commit");
	be = without("query_prune_due");
	CHECK_STR(store_backend_check(&be), "query_prune_due");
	be = without("maint_step"); /* maintenance is all or nothing */
	CHECK_STR(store_backend_check(&be), "maint_step");
	be = without("optional");
	CHECK_STR(store_backend_check(&be), NULL);
	be.name = NULL;
	CHECK_STR(store_backend_check(&be), "name");
}

static int pressure_calls;

static void
on_pressure(void *arg, int pending)
{
	(void)arg;
	(void)pending;
	pressure_calls++;
}

static void
test_fallbacks(void)
{
	struct store_backend bare = without("optional");
	const struct store_backend *real;
	struct store *s = NULL;
	struct spool_pos pos = { 1, 1 };
	int64_t freed = -1, left = -1;
	char path[512];
	struct store_where w = { .backend = "sqlite" };
	struct store_cluster cl;

	tdb_path("fallback.db", path, sizeof(path));
	w.path = path;
	CHECK(store_open_at(&w, 0, &s) == 0);
	if (s == NULL)
		return;
	CHECK_STR(store_backend_name(s), "sqlite");
	CHECK_INT(store_has_maint(s), 1);

	/* SQLite serves one daemon: it leads alone, learns nothing late. */
	memset(&cl, 0xff, sizeof(cl));
	CHECK_INT(store_is_shared(s), 0);
	CHECK(store_cluster_beat(s, "a", "g", 1000, &cl) == 0);
	CHECK_INT(cl.leader, 1);
	CHECK_INT((int)cl.npeers, 0);
	CHECK(store_take_late_duplicates(s) == 0);

	/* The same store seen through a table without the optional ones. */
	real = s->be;
	s->be = &bare;
	CHECK_INT(store_has_maint(s), 0);
	CHECK_INT(store_reclaim_slice(s, 64, 1000, &freed, &left), 0);
	CHECK(freed == 0 && left == 0);
	CHECK_INT(store_maint_catch_up(s), 0);
	store_on_commit_pressure(s, on_pressure, NULL);
	CHECK(store_begin(s) == 0);
	CHECK(store_set_spool_pos(s, pos) == 0);
	CHECK(store_commit(s) == 0);
	CHECK_INT(pressure_calls, 0); /* never registered with SQLite */
	s->be = real;

	/* Through the real table the pressure is reported. */
	store_on_commit_pressure(s, on_pressure, NULL);
	pos.off = 2;
	CHECK(store_begin(s) == 0);
	CHECK(store_set_spool_pos(s, pos) == 0);
	CHECK(store_commit(s) == 0);
	CHECK_INT(pressure_calls, 1);
	CHECK(store_spool_pos(s, &pos) == 0);
	CHECK(pos.seg == 1 && pos.off == 2);
	store_on_commit_pressure(s, NULL, NULL);
	store_close(s);
}

int
main(void)
{
	tmpfiles_init("test_store_backend");
	test_unknown();
	test_tables();
	test_fallbacks();
	tmpfiles_cleanup();
	return check_result("test_store_backend");
}
