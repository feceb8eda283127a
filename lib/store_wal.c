/*
 * store_wal: background maintenance for SQLite, i.e. checkpoints. The
 * writer's WAL hook reports the frames in the WAL after each commit (the
 * "pressure"), and a store_maint connection, on a thread of the caller's,
 * copies the WAL into the database so that the writer does not.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

/* How long the maintenance connection waits for a lock: it retries on
 * its next round anyway. */
#define MAINT_WAIT_MS 100
/* SQLite's own default: checkpoint inside the commit that takes the WAL
 * past this many frames. */
#define AUTOCHECKPOINT_FRAMES 1000

/* A connection that only checkpoints, for a thread of its own. */
struct sqlite_maint {
	struct store_maint pub; /* first: see store_backend.h */
	sqlite3 *db;
	char *path;
};

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_sqlite *s = arg;

	(void)db;
	(void)name;
	s->pressure_fn(s->pressure_arg, frames);
	return SQLITE_OK;
}

void
store_sqlite_on_commit_pressure(struct store *pub, store_pressure_fn fn,
    void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	s->pressure_fn = fn;
	s->pressure_arg = arg;
	/* The hook replaces the autocheckpoint, which is a WAL hook too. */
	if (fn != NULL)
		sqlite3_wal_hook(s->db, wal_hook, s);
	else
		sqlite3_wal_autocheckpoint(s->db, AUTOCHECKPOINT_FRAMES);
}

/*
 * BUSY is "not now", never a failure: the other connection's checkpoint
 * holds the lock, or (TRUNCATE) the writer or a reader is busy.
 */
static int
wal_checkpoint(sqlite3 *db, int mode, int *frames, int *copied)
{
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, mode, frames, copied);

	if (rc == SQLITE_BUSY && frames != NULL)
		*frames = *copied = 0;
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : -1;
}

/*
 * The writer's own passive checkpoint, between transactions: it copies
 * the WAL's last frames, so that the next transaction restarts the WAL
 * from its beginning instead of growing it.
 */
int
store_sqlite_maint_catch_up(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	return wal_checkpoint(s->db, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

int
store_sqlite_maint_open(const char *path, struct store_maint **out)
{
	struct sqlite_maint *m = NULL;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL ||
	    store_open_conn(path, SQLITE_OPEN_READWRITE, &m->db) == -1)
		goto fail;
	/* A fresh connection does not know the file is in WAL mode until
	 * it reads it; until then a checkpoint is a no-op. */
	if (store_db_exec(m->db, "PRAGMA journal_mode = WAL") == -1)
		goto fail;
	sqlite3_busy_timeout(m->db, MAINT_WAIT_MS);
	*out = &m->pub;
	return 0;
fail:
	store_sqlite_maint_close((struct store_maint *)m);
	return -1;
}

/*
 * PASSIVE: copy what no reader still needs and never wait, so neither the
 * writer nor a reader is ever blocked by it. The writer restarts the WAL
 * at its next transaction if everything had been copied by then.
 */
int
store_sqlite_maint_step(struct store_maint *pub, int *pending, int *done)
{
	struct sqlite_maint *m = (struct sqlite_maint *)pub;

	return wal_checkpoint(m->db, SQLITE_CHECKPOINT_PASSIVE, pending, done);
}

/*
 * TRUNCATE: copy everything and empty the WAL file. It takes the write
 * lock and waits for readers (up to MAINT_WAIT_MS), so the writer waits
 * meanwhile: for quiet moments only. A busy database is not a failure,
 * just "not now".
 */
int
store_sqlite_maint_truncate(struct store_maint *pub)
{
	struct sqlite_maint *m = (struct sqlite_maint *)pub;

	return wal_checkpoint(m->db, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int64_t
store_sqlite_maint_log_bytes(struct store_maint *pub)
{
	struct sqlite_maint *m = (struct sqlite_maint *)pub;

	return store_file_size(m->path, "-wal");
}

const char *
store_sqlite_maint_errmsg(struct store_maint *pub)
{
	struct sqlite_maint *m = (struct sqlite_maint *)pub;

	return sqlite3_errmsg(m->db);
}

void
store_sqlite_maint_close(struct store_maint *pub)
{
	struct sqlite_maint *m = (struct sqlite_maint *)pub;

	if (m == NULL)
		return;
	sqlite3_close(m->db);
	free(m->path);
	free(m);
}
