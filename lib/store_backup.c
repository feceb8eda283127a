/*
 * store_backup: a consistent copy of a live database. VACUUM INTO reads
 * one snapshot on a read-only connection, so the daemon keeps committing
 * meanwhile (in WAL mode readers and the writer do not block each other)
 * and the copy holds exactly one committed state: its rows and the spool
 * position committed with them. Restoring it therefore resumes from that
 * position (docs/backup.md).
 *
 * The copy is written under "<dest>.partial", checked, made a single
 * self-contained file (rollback journal, not WAL), fsync'd, and only then
 * linked to dest, so a crash or a full disk never leaves a half copy under
 * the name an operator would restore from.
 */
#include "store_int.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync(2) a file or a directory by name. */
static int
sync_path(const char *path, int dir)
{
	int fd, rc;

	if ((fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
vacuum_into(const char *path, const char *tmp)
{
	sqlite3 *src = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (store_open_conn(path, SQLITE_OPEN_READONLY, &src) == -1)
		return -1;
	if (sqlite3_prepare_v2(src, "VACUUM INTO ?", -1, &st, NULL) !=
		SQLITE_OK ||
	    sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		/* With no daemon running the WAL index (-shm) is gone, and only
		 * the directory's owner may create it (docs/install.md). */
		rc = sqlite3_errcode(src);
		log_warnx("store: backup of %s: %s%s", path,
		    sqlite3_errmsg(src),
		    rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN
			? " (when no daemon has it open, run as root or as the "
			  "database's owner)"
			: "");
		rc = -1;
	} else
		rc = 0;
	sqlite3_finalize(st);
	sqlite3_close(src);
	return rc;
}

/* One text value of a one-row query, into out (may be empty). */
static int
query_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (v = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, n, "%s", (const char *)v);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Check the copy, make it one file, and read what it resumes from. */
static int
inspect(const char *tmp, struct store_backup_info *info)
{
	sqlite3 *db = NULL;
	char ok[64], seg[24], off[24];
	int64_t v;
	int rc = -1;

	if (store_open_conn(tmp, SQLITE_OPEN_READWRITE, &db) == -1)
		return -1;
	if (query_text(db, "PRAGMA quick_check", ok, sizeof(ok)) == -1 ||
	    strcmp(ok, "ok") != 0) {
		log_warnx("store: backup %s fails its check: %s", tmp,
		    ok[0] ? ok : sqlite3_errmsg(db));
		goto done;
	}
	if (store_db_exec(db, "PRAGMA journal_mode = DELETE") == -1 ||
	    store_pragma_int(db, "PRAGMA user_version", &v) == -1 ||
	    query_text(db, "SELECT value FROM meta WHERE key = 'db_id'",
		info->db_id, sizeof(info->db_id)) == -1 ||
	    query_text(db, "SELECT value FROM meta WHERE key = 'spool_seg'",
		seg, sizeof(seg)) == -1 ||
	    query_text(db, "SELECT value FROM meta WHERE key = 'spool_off'",
		off, sizeof(off)) == -1) {
		log_warnx("store: backup %s: %s", tmp, sqlite3_errmsg(db));
		goto done;
	}
	info->schema_version = (int)v;
	/* Absent until the first commit: the start of the first segment. */
	info->spool.seg = seg[0] ? strtoull(seg, NULL, 10) : 1;
	info->spool.off = off[0] ? strtoull(off, NULL, 10) : 0;
	rc = 0;
done:
	if (sqlite3_close(db) != SQLITE_OK)
		rc = -1;
	return rc;
}

int
store_sqlite_backup(const char *path, const char *dest,
    struct store_backup_info *info)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial", dest) >=
		sizeof(tmp) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s", dest) >= sizeof(dir)) {
		log_warnx("store: backup: %s: name too long", dest);
		return -1;
	}
	if (lstat(dest, &st) == 0 || errno != ENOENT) {
		log_warnx(
		    "store: backup: %s already exists; not overwriting it",
		    dest);
		return -1;
	}
	/* A partial copy is what a crashed backup left under our name. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		log_warn("store: backup: remove %s", tmp);
		return -1;
	}
	if (vacuum_into(path, tmp) == -1 || inspect(tmp, info) == -1)
		goto done;
	if (sync_path(tmp, 0) == -1 || stat(tmp, &st) == -1) {
		log_warn("store: backup: sync %s", tmp);
		goto done;
	}
	info->size_bytes = (int64_t)st.st_size;
	/* link(2), unlike rename(2), never replaces a dest made meanwhile. */
	if (link(tmp, dest) == -1) {
		log_warn("store: backup: link %s to %s", tmp, dest);
		goto done;
	}
	if (sync_path(dirname(dir), 1) == -1)
		log_warn("store: backup: sync the directory of %s", dest);
	rc = 0;
done:
	if (unlink(tmp) == -1 && errno != ENOENT)
		log_warn("store: backup: remove %s", tmp);
	return rc;
}
