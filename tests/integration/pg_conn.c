/*
 * pg_conn URL PASSWORD_FILE: the PostgreSQL backend's connection layer
 * (lib/store_pg_conn.c, store_pg_handle.c) through its own functions,
 * for test_pg_conn.py. Prints one line per check, "ok ..." or "FAIL
 * ...", and exits 1 on the first failure. Between the two halves it
 * prints "restart" and waits for a line on stdin: the test restarts the
 * server meanwhile.
 */
#include "store_pg_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		if (cond)                                                      \
			printf("ok ");                                         \
		else {                                                         \
			printf("FAIL ");                                       \
			failed = 1;                                            \
		}                                                              \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		fflush(stdout);                                                \
		if (failed)                                                    \
			exit(1);                                               \
	} while (0)

static const struct pg_stmt st_set = { "t_set",
	"INSERT INTO meta(key, value) VALUES($1, $2)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value" };
static const struct pg_stmt st_bad = { "t_bad",
	"INSERT INTO meta(key, value) VALUES(NULL, $1)" };
static const struct pg_stmt st_count = { "t_count",
	"SELECT count(*) FROM meta WHERE key LIKE $1" };

static int64_t seen;

static void
count_row(struct store_pgsql *s, PGresult *res, int64_t cookie)
{
	(void)s;
	if (atoi(PQcmdTuples(res)) == 1)
		seen += cookie;
}

static int64_t
count_keys(struct store_pgsql *s, const char *like)
{
	struct pgp p;
	PGresult *r;
	int64_t n;

	pgp_init(&p);
	pgp_text(&p, like);
	if ((r = pgq_query(s, &st_count, &p)) == NULL)
		return -1;
	n = pgr_i64(r, 0, 0, -1);
	PQclear(r);
	return n;
}

static int
set_key(struct store_pgsql *s, const char *k, const char *v, int64_t cookie)
{
	struct pgp p;

	pgp_init(&p);
	pgp_text(&p, k);
	pgp_text(&p, v);
	return pgq_send(s, &st_set, &p, count_row, cookie);
}

/* Many statements in one transaction: more than the window between
 * reads, a question in the middle, every callback called. */
static void
check_many(struct store *st, struct store_pgsql *s)
{
	char k[32];
	int i, rc = 0;

	seen = 0;
	EXPECT(store_begin(st) == 0, "begin");
	for (i = 0; i < 5000 && rc == 0; i++) {
		snprintf(k, sizeof(k), "many:%05d", i);
		rc = set_key(s, k, "v", 1);
		if (i == 2500)
			EXPECT(count_keys(s, "many:%") == 2501,
			    "2501 rows seen in the middle of the pipeline");
	}
	EXPECT(rc == 0, "5000 statements queued");
	EXPECT(store_commit(st) == 0, "commit of 5000");
	EXPECT(seen == 5000, "5000 callbacks (%" PRId64 ")", seen);
	EXPECT(count_keys(s, "many:%") == 5000, "5000 rows after commit");
}

/* A failing statement fails the commit; the rollback undoes the rest;
 * the next transaction works, preparations included. */
static void
check_failure(struct store *st, struct store_pgsql *s)
{
	struct spool_pos pos = { 3, 30 }, got;
	struct pgp p;

	EXPECT(store_begin(st) == 0 && store_set_spool_pos(st, pos) == 0 &&
		store_commit(st) == 0,
	    "spool position 3:30 committed");
	EXPECT(store_begin(st) == 0, "begin");
	pos.off = 40;
	EXPECT(store_set_spool_pos(st, pos) == 0, "spool position 3:40 queued");
	EXPECT(set_key(s, "fail:a", "a", 0) == 0, "a row queued");
	pgp_init(&p);
	pgp_text(&p, "x");
	EXPECT(pgq_send(s, &st_bad, &p, NULL, 0) == 0, "a bad row queued");
	EXPECT(set_key(s, "fail:b", "b", 0) == 0 || s->failed,
	    "a row after it");
	EXPECT(store_commit(st) == -1, "the commit fails: %s",
	    store_errmsg(st));
	store_rollback(st);
	EXPECT(store_spool_pos(st, &got) == 0 && got.seg == 3 && got.off == 30,
	    "spool position still 3:30 (%llu:%llu)",
	    (unsigned long long)got.seg, (unsigned long long)got.off);
	EXPECT(count_keys(s, "fail:%") == 0, "nothing of it stored");
	pos.off = 50;
	EXPECT(store_begin(st) == 0 && set_key(s, "fail:c", "c", 0) == 0 &&
		store_set_spool_pos(st, pos) == 0 && store_commit(st) == 0,
	    "the next transaction commits");
	EXPECT(count_keys(s, "fail:%") == 1, "its row is there");
}

/* After the server restarted: a transaction may fail once (the loss is
 * learnt then); the next begin reconnects. */
static void
check_reconnect(struct store *st, struct store_pgsql *s)
{
	struct spool_pos pos = { 9, 90 }, got;
	int tries;

	for (tries = 1; tries <= 3; tries++) {
		if (store_begin(st) == 0 && set_key(s, "back", "1", 0) == 0 &&
		    store_set_spool_pos(st, pos) == 0 && store_commit(st) == 0)
			break;
		store_rollback(st);
	}
	EXPECT(tries <= 2, "committed again after %d tries", tries);
	EXPECT(store_spool_pos(st, &got) == 0 && got.seg == 9 && got.off == 90,
	    "spool position 9:90");
	EXPECT(count_keys(s, "back") == 1, "the row written after it");
}

int
main(int argc, char **argv)
{
	struct store_where w = { .backend = "postgresql", .instance = "t1" };
	struct store *st = NULL, *other = NULL;
	struct spool_pos pos;
	char line[16], id1[64], id2[64];

	if (argc != 3) {
		fprintf(stderr, "usage: pg_conn URL PASSWORD_FILE\n");
		return 2;
	}
	w.path = argv[1];
	w.password_file = argv[2];
	EXPECT(store_open_at(&w, 0, &st) == 0, "open");
	EXPECT(strstr(store_path(st), "postgresql://") == store_path(st),
	    "path %s", store_path(st));
	check_many(st, store_pgsql_of(st));
	check_failure(st, store_pgsql_of(st));
	/* Another instance: a spool position of its own, the same id. */
	w.instance = "t2";
	EXPECT(store_open_at(&w, 0, &other) == 0, "open as t2");
	EXPECT(store_spool_pos(other, &pos) == 0 && pos.seg == 1 &&
		pos.off == 0,
	    "t2 starts at 1:0");
	EXPECT(store_db_id(st, id1, sizeof(id1)) == 0 &&
		store_db_id(other, id2, sizeof(id2)) == 0 &&
		strcmp(id1, id2) == 0,
	    "one database id (%s)", id1);
	store_close(other);
	printf("restart\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 1;
	check_reconnect(st, store_pgsql_of(st));
	store_close(st);
	printf("done\n");
	return 0;
}
