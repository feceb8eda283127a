/*
 * store_sqlite: the SQLite backend's open and close (the writer's and a
 * reader's connections, the writer's prepared statements), transactions,
 * and the spool position and database id in `meta` (store.h). Its place
 * in the SQLite files' stack is in store_int.h.
 */
#include "store_int.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* A long reader stops checkpoints from resetting the WAL; once it leaves,
 * the file shrinks back to this instead of staying at its high-water
 * mark. */
#define JOURNAL_SIZE_LIMIT 33554432 /* 32 MiB: the WAL after a restart */
#define STR_(x)		   #x
#define STR(x)		   STR_(x)
#define CACHE_KIB	   -12288 /* the writer's page cache: 12 MiB */

static int load_next_mid(struct store_sqlite *);

/*
 * The writer's busy handler. SQLite's own (busy_timeout) sleeps 1, 2, 5,
 * 10, 15, 20... ms: a lock the checkpoint thread holds for 3 ms would cost
 * a batch 33 ms. Poll every 100 us for the first 10 ms instead, then every
 * millisecond, and give up after STORE_BUSY_GIVE_UP_MS like busy_timeout
 * would.
 */
static int
writer_busy(void *arg, int count)
{
	struct timespec ts = { 0, count < 100 ? 100000 : 1000000 };
	int64_t waited_us = count < 100 ? (int64_t)count * 100
					: 10000 + (int64_t)(count - 100) * 1000;

	(void)arg;
	if (waited_us >= (int64_t)STORE_BUSY_GIVE_UP_MS * 1000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/* The writer's settings, then the schema. */
static int
writer_setup(sqlite3 *db, const char *path, int full_sync)
{
	sqlite3_busy_handler(db, writer_busy, NULL);
	if (store_db_exec(db, "PRAGMA journal_mode = WAL") == -1 ||
	    store_db_exec(db,
		full_sync ? "PRAGMA synchronous = FULL"
			  : "PRAGMA synchronous = NORMAL") == -1 ||
	    store_db_exec(db, "PRAGMA foreign_keys = ON") == -1 ||
	    /* The random-key indexes (dedupe) stay in memory longer: the
	     * cost per message grows far slower with the database. */
	    store_db_exec(db, "PRAGMA cache_size = " STR(CACHE_KIB)) == -1 ||
	    store_db_exec(db,
		"PRAGMA journal_size_limit = " STR(JOURNAL_SIZE_LIMIT)) == -1)
		return -1;
	return store_migrate(db, path, STORE_SCHEMA_VERSION);
}

int
store_sqlite_open(const char *path, int full_sync, struct store **out)
{
	struct store_sqlite *s = NULL;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL)
		goto fail;
	if (store_open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		&s->db) == -1 ||
	    writer_setup(s->db, path, full_sync) == -1)
		goto fail;
	for (i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_stmt_sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, &s->st[i],
			NULL) != SQLITE_OK) {
			log_warnx("store: prepare %s: %s", store_stmt_sql[i],
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (load_next_mid(s) == -1 ||
	    store_open_conn(path, SQLITE_OPEN_READONLY, &s->ro) == -1)
		goto fail;
	*out = &s->pub;
	return 0;
fail:
	store_sqlite_close((struct store *)s);
	return -1;
}

int
store_sqlite_open_reader(const char *path, struct store **out)
{
	struct store_sqlite *s = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    store_open_conn(path, SQLITE_OPEN_READONLY, &s->ro) == -1) {
		store_sqlite_close((struct store *)s);
		return -1;
	}
	*out = &s->pub;
	return 0;
}

void
store_sqlite_close(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	size_t i;

	if (s == NULL)
		return;
	store_seen_clear(s);
	free(s->seen);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(s->db));
	sqlite3_close(s->ro);
	free(s->path);
	free(s);
}

const char *
store_sqlite_path(const struct store *pub)
{
	return ((const struct store_sqlite *)pub)->path;
}

const char *
store_sqlite_errmsg(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	return sqlite3_errmsg(s->db);
}

int
store_sqlite_info(struct store *pub, struct store_info *info)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	info->log_bytes = store_file_size(s->path, "-wal");
	info->size_bytes = store_file_size(s->path, "") + info->log_bytes;
	/* store_open() migrated to it, or failed. */
	info->schema_version = STORE_SCHEMA_VERSION;
	return 0;
}

/* ---- transactions ---- */

int
store_sqlite_begin(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	if (store_run(s, S_BEGIN) == -1)
		return -1;
	s->in_txn = 1;
	return 0;
}

int
store_sqlite_commit(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	if (store_seen_flush(s) == -1 || store_run(s, S_COMMIT) == -1)
		return -1;
	s->in_txn = 0;
	return 0;
}

void
store_sqlite_rollback(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	/* A failed COMMIT may already have rolled back on its own; a
	 * failing ROLLBACK has logged, and leaves nothing to undo here. */
	if (sqlite3_get_autocommit(s->db) == 0 &&
	    store_run(s, S_ROLLBACK) == -1)
		log_debug("store: rollback failed");
	s->in_txn = 0;
	store_seen_clear(s);
	/* The rolled-back rows leave a gap; reading max(id) again also
	 * steps over a row some other writer may have added. A failure
	 * keeps the old next id: the next insert then fails and rolls
	 * back in turn. */
	if (load_next_mid(s) == -1)
		log_debug("store: cannot read the next message id");
}

/* The id the next message row gets: rows are written after their events,
 * which refer to it. Read again after a rollback. */
static int
load_next_mid(struct store_sqlite *s)
{
	int found = store_lookup(s, S_MSG_MAX);

	if (found == -1)
		return -1;
	s->next_mid = found ? sqlite3_column_int64(s->st[S_MSG_MAX], 0) + 1 : 1;
	if (found)
		store_lookup_end(s, S_MSG_MAX);
	return 0;
}

/* ---- meta: the spool position ---- */

static int
meta_get_i64(struct store_sqlite *s, const char *key, int64_t *v)
{
	int found;

	store_bind_text(s->st[S_META_GET], 1, key);
	if ((found = store_lookup(s, S_META_GET)) == 1) {
		*v = sqlite3_column_int64(s->st[S_META_GET], 0);
		store_lookup_end(s, S_META_GET);
	}
	return found;
}

static int
meta_set_i64(struct store_sqlite *s, const char *key, int64_t v)
{
	store_bind_text(s->st[S_META_SET], 1, key);
	sqlite3_bind_int64(s->st[S_META_SET], 2, v);
	return store_run(s, S_META_SET);
}

int
store_sqlite_spool_pos(struct store *pub, struct spool_pos *pos)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	int64_t seg = 1, off = 0;

	if (meta_get_i64(s, "spool_seg", &seg) == -1 ||
	    meta_get_i64(s, "spool_off", &off) == -1)
		return -1;
	pos->seg = (uint64_t)seg;
	pos->off = (uint64_t)off;
	return 0;
}

int
store_sqlite_set_spool_pos(struct store *pub, struct spool_pos pos)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	if (meta_set_i64(s, "spool_seg", (int64_t)pos.seg) == -1 ||
	    meta_set_i64(s, "spool_off", (int64_t)pos.off) == -1)
		return -1;
	return 0;
}

/* ---- meta: the database's identity ---- */

static int
new_db_id(char *out, size_t n)
{
	unsigned char b[STORE_ID_LEN / 2];
	size_t i;

	if (n <= STORE_ID_LEN ||
	    getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		log_warn("store: cannot make a database id");
		return -1;
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int
store_sqlite_db_id(struct store *pub, char *out, size_t n)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	const unsigned char *v;
	int found;

	store_bind_text(s->st[S_META_GET], 1, "db_id");
	if ((found = store_lookup(s, S_META_GET)) == -1)
		return -1;
	if (found) {
		v = sqlite3_column_text(s->st[S_META_GET], 0);
		found = v != NULL && strlen((const char *)v) == STORE_ID_LEN &&
		    n > STORE_ID_LEN;
		if (found)
			memcpy(out, v, STORE_ID_LEN + 1);
		store_lookup_end(s, S_META_GET);
		if (found)
			return 0;
	}
	/* Made once, the first time anyone asks (a new database, or one
	 * from before identities), and never changed: a copy or backup of
	 * the file keeps it. */
	if (new_db_id(out, n) == -1)
		return -1;
	store_bind_text(s->st[S_META_SET], 1, "db_id");
	store_bind_text(s->st[S_META_SET], 2, out);
	return store_run(s, S_META_SET);
}
