/* pipeline: see pipeline.h. Retention is in pipeline_prune.c. */
#include "pipeline_int.h"

#include "clock.h"
#include "config.h"
#include "event.h"
#include "ingest.h"
#include "log.h"
#include "replay.h"
#include "report.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* In the spool directory: whose spool it is, and who writes it now. */
#define OWNER_FILE "database-id"
#define LOCK_FILE  "lock"

/* ingest.spool_dir: by default beside a SQLite file (same filesystem,
 * same lifetime, same backups), a directory of its own for a server. */
static int
spool_dir_copy(const char *dir, char *out, size_t n)
{
	int len = snprintf(out, n, "%s", dir);

	if (len < 0 || (size_t)len >= n) {
		log_warnx("pipeline: spool directory path too long");
		return -1;
	}
	return 0;
}

static int
spool_file(const char *dir, const char *name, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%s", dir, name);

	if (len < 0 || (size_t)len >= n) {
		log_warnx("pipeline: spool path too long");
		return -1;
	}
	return 0;
}

int
pipeline_open(struct store *store, const struct config *cfg,
    const struct profile_set *profiles, int64_t now_ms, struct pipeline **out)
{
	struct pipeline *p = NULL;
	struct stat st;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	p->store = store;
	p->cfg = cfg;
	p->ref_wall_ms = p->ref_start_ms = now_ms;
	p->ref_boot_us = p->last_prune_us = clock_boot_us();
	if (spool_dir_copy(cfg->ingest.spool_dir, p->spool_dir,
		sizeof(p->spool_dir)) == -1)
		goto fail;
	/* The file the store has just opened: pipeline_check_file()
	 * compares the path with it. A server has no file to check. */
	p->db_file = !store_is_shared(store);
	if (p->db_file && stat(store_path(store), &st) == -1) {
		log_warn("pipeline: stat %s", store_path(store));
		goto fail;
	}
	p->db_dev = p->db_file ? st.st_dev : 0;
	p->db_ino = p->db_file ? st.st_ino : 0;
	/* Alone on its store, a daemon leads from the start; sharing it,
	 * once a beat says so. */
	p->leader = !store_is_shared(store);
	p->cluster.leader = p->leader;
	if (ingest_open(store, cfg, profiles, &p->ingest) == -1 ||
	    spool_mkdir(p->spool_dir) == -1 ||
	    spool_reader_open(p->spool_dir, ingest_committed(p->ingest),
		&p->reader) == -1)
		goto fail;
	*out = p;
	return 0;
fail:
	pipeline_free(p);
	return -1;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	spool_reader_close(p->reader);
	ingest_free(p->ingest);
	free(p);
}

void
pipeline_set_config(struct pipeline *p, const struct config *cfg,
    const struct profile_set *profiles)
{
	ingest_set_config(p->ingest, cfg, profiles);
	p->cfg = cfg;
}

/* Segments before the committed one are done: unlink them, once. */
static void
remove_old_segments(struct pipeline *p)
{
	struct spool_pos c = ingest_committed(p->ingest);

	if (c.seg <= p->removed_below)
		return;
	/* Committed to the file at the database's path, not to one removed
	 * since the last tick: else the spool keeps the only copy. */
	pipeline_check_file(p);
	if (!p->db_gone && spool_remove_before(p->spool_dir, c.seg) == 0)
		p->removed_below = c.seg;
}

int
pipeline_replay(struct pipeline *p, pipeline_progress_fn *progress, void *arg)
{
	struct spool_pos all = { 0, UINT64_MAX };
	const struct ingest_counters *c = ingest_counters(p->ingest);
	uint64_t corrupt, first;
	int n;

	/* Up to the end of the last segment on disk, stepping over a
	 * missing one as the live reader does: both must agree on what
	 * the spool holds, or the live reader takes up records the writer
	 * of this run never wrote. */
	if (spool_bounds(p->spool_dir, &first, &all.seg) == -1)
		return -1;
	do {
		n = ingest_batch(p->ingest, p->reader, all, PIPELINE_BATCH_MAX,
		    clock_ms(), 0);
		if (n == -1) {
			log_warnx("pipeline: cannot replay the spool into %s",
			    store_path(p->store));
			return -1;
		}
		if (progress != NULL && n > 0)
			progress(arg, c->received);
	} while (n > 0);
	p->replay_bytes = c->bytes;
	if (c->received > 0)
		log_notice("pipeline: replayed %llu spooled messages",
		    (unsigned long long)c->received);
	if ((corrupt = spool_reader_corrupt(p->reader)) > 0)
		log_warnx("pipeline: %llu corrupt spool records skipped",
		    (unsigned long long)corrupt);
	remove_old_segments(p);
	return 0;
}

int
pipeline_writer_open(struct pipeline *p, int sync, struct spool_writer **w,
    struct spool_pos *start)
{
	uint64_t first, last, committed = ingest_committed(p->ingest).seg;

	if (spool_bounds(p->spool_dir, &first, &last) == -1)
		return -1;
	/* Never append to a segment the reader may be in the middle of. */
	start->seg = (last > committed ? last : committed) + 1;
	start->off = 0;
	return spool_writer_open(p->spool_dir, start->seg, PIPELINE_SEGMENT_MAX,
	    sync, w);
}

static void
set_writes_failing(struct pipeline *p, int failing)
{
	if (failing && !p->writes_failing) {
		snprintf(p->error, sizeof(p->error), "%s",
		    ingest_error(p->ingest));
		log_warnx("store: writes failing (%s); retrying, nothing "
			  "acknowledged is lost",
		    p->error);
	} else if (!failing && p->writes_failing)
		log_notice("store: writes work again");
	p->writes_failing = failing;
}

int
pipeline_drain(struct pipeline *p, struct spool_pos end, int64_t now_ms)
{
	int64_t now_us;
	int n;

	/* Commits would go to a file nobody will open again: keep the
	 * messages in the spool instead (pipeline_check_file()). */
	n = p->db_gone
	    ? -1
	    : ingest_batch(p->ingest, p->reader, end, PIPELINE_BATCH_MAX,
		  now_ms, PIPELINE_BATCH_BUDGET_MS);
	if (n == -1) {
		if (!p->db_gone)
			set_writes_failing(p, 1);
		p->retry_ms =
		    p->retry_ms ? p->retry_ms * 2 : PIPELINE_RETRY_MIN_MS;
		if (p->retry_ms > PIPELINE_RETRY_MAX_MS)
			p->retry_ms = PIPELINE_RETRY_MAX_MS;
		return -1;
	}
	set_writes_failing(p, 0);
	p->retry_ms = 0;
	remove_old_segments(p);
	if (n > 0) {
		now_us = clock_mono_us();
		/* Messages were left waiting at the last commit, so the whole
		 * gap is time ingest stood still (batches, reconciliation,
		 * retention, checkpoints); after catching up it would include
		 * idle time, so it is not counted. */
		if (!p->caught_up && p->last_commit_us > 0 &&
		    now_us - p->last_commit_us > p->commit_gap_max_us)
			p->commit_gap_max_us = now_us - p->last_commit_us;
		p->last_commit_us = now_us;
		p->caught_up =
		    !spool_pos_before(spool_reader_pos(p->reader), end);
	}
	return n;
}

unsigned
pipeline_retry_ms(const struct pipeline *p)
{
	return p->retry_ms;
}

int64_t
pipeline_drain_wait_us(const struct pipeline *p, int64_t now_us)
{
	int64_t wait_us;

	if (!p->caught_up)
		return 0;
	wait_us = p->last_commit_us + PIPELINE_COALESCE_MS * 1000 - now_us;
	return wait_us > 0 ? wait_us : 0;
}

int
pipeline_final_drain(struct pipeline *p, struct spool_pos end, int64_t now_ms,
    unsigned *wait_ms)
{
	int n;

	*wait_ms = 0;
	if (p->db_gone) {
		log_warnx("pipeline: %s; the last messages stay in the spool",
		    p->gone_error);
		return -1;
	}
	n = ingest_batch(p->ingest, p->reader, end, PIPELINE_BATCH_MAX, now_ms,
	    0);
	if (n == 0)
		return 0;
	if (n > 0)
		return 1;
	if (++p->final_tries == PIPELINE_FINAL_TRIES) {
		log_warnx("pipeline: cannot commit the last messages; they "
			  "stay in the spool for the next start");
		return -1;
	}
	*wait_ms = PIPELINE_FINAL_WAIT_MS;
	return 1;
}

uint64_t
pipeline_committed_bytes(const struct pipeline *p)
{
	uint64_t bytes = ingest_counters(p->ingest)->bytes;

	return bytes > p->replay_bytes ? bytes - p->replay_bytes : 0;
}

uint64_t
pipeline_backlog_bytes(const struct pipeline *p, uint64_t written_bytes)
{
	uint64_t committed = pipeline_committed_bytes(p);

	return written_bytes > committed ? written_bytes - committed : 0;
}

int
pipeline_writes_failing(const struct pipeline *p)
{
	return p->writes_failing || p->db_gone;
}

const char *
pipeline_error(const struct pipeline *p)
{
	if (p->db_gone)
		return p->gone_error;
	return p->writes_failing ? p->error : NULL;
}

int
pipeline_beat(struct pipeline *p, const char *instance, const char *group,
    int64_t now_ms)
{
	struct store_cluster c;
	int was = p->leader, rc;

	rc = store_cluster_beat(p->store, instance, group, now_ms, &c);
	if (rc == -1) {
		/* Not known to lead: nobody's work is done twice. The peers
		 * stay as last seen. */
		c = p->cluster;
		c.leader = 0;
		c.leader_since_ms = 0;
	}
	p->cluster = c;
	p->leader = c.leader;
	p->beat_ms = now_ms;
	if (p->leader && !was) {
		/* Whatever the last leader left: a pass and an alert sync
		 * at once; retention at its own interval. */
		p->reconcile_behind = 1;
		p->last_alerts_us = 0;
	} else if (!p->leader && was)
		p->pruning = p->vacuuming = 0;
	return rc;
}

int
pipeline_leader(const struct pipeline *p)
{
	return p->leader;
}

int
pipeline_reconcile(struct pipeline *p, int64_t now_ms, uint64_t written_bytes)
{
	const struct ingest_counters *c = ingest_counters(p->ingest);
	uint64_t changes =
	    c->by_kind[EV_WEIGHING] + c->by_kind[EV_MANIFEST] + c->history;
	int stale = now_ms - p->last_reconcile_ms >= PIPELINE_RECONCILE_MAX_MS;
	int more = 0;

	if (pipeline_writes_failing(p) || !p->leader)
		return 0;
	/* The other daemons of a shared store write manifests and tickets
	 * this one's counters never see: ask the store's queue (one cheap
	 * query a tick, on the leader only). */
	if (changes == p->reconciled_changes && !stale &&
	    !p->reconcile_behind && store_is_shared(p->store) &&
	    store_reconcile_behind(p->store, &p->reconcile_behind) == -1)
		return -1;
	if (changes == p->reconciled_changes && !stale && !p->reconcile_behind)
		return 0;
	/* Ingest first; the minute rule still bounds how stale it gets. */
	if (pipeline_backlog_bytes(p, written_bytes) > PIPELINE_DEFER_BACKLOG &&
	    !stale)
		return 0;
	/* A pass is one bounded slice: a large catch-up (an upgrade, a
	 * changed setting) goes on at the next tick, between batches. */
	if (store_reconcile_pass(p->store, now_ms, p->cfg, &more) == -1)
		return -1;
	p->reconciled_changes = changes;
	p->last_reconcile_ms = now_ms;
	p->reconcile_behind = more;
	return 1;
}

int
pipeline_alerts(struct pipeline *p, int64_t now_ms, uint64_t written_bytes)
{
	int64_t now_us = clock_mono_us();
	int64_t every_us = (int64_t)p->cfg->alerts.interval_s * 1000000;
	int rc;

	if (every_us == 0 || pipeline_writes_failing(p) || !p->leader)
		return 0;
	/* Work left goes on at the next tick; otherwise every interval,
	 * and the backlog first, as for reconciliation. */
	if (!p->alerts_behind && p->last_alerts_us != 0 &&
	    now_us - p->last_alerts_us < every_us)
		return 0;
	if (pipeline_backlog_bytes(p, written_bytes) > PIPELINE_DEFER_BACKLOG &&
	    now_us - p->last_alerts_us < PIPELINE_RECONCILE_MAX_MS * 1000)
		return 0;
	p->last_alerts_us = now_us;
	rc = store_alerts_sync(p->store, now_ms, PIPELINE_ALERTS_BUDGET_US,
	    &p->alerts_behind);
	if (rc == 0 && !p->alerts_behind)
		p->alerts_synced_ms = now_ms;
	return rc == -1 ? -1 : 1;
}

void
pipeline_report(struct pipeline *p, uint64_t written_bytes,
    const char *spool_error, struct report *r)
{
	struct store_info info = { 0 };

	r->ingest = ingest_counters(p->ingest);
	r->muck = ingest_muck_counters(p->ingest);
	r->spool_backlog_bytes = pipeline_backlog_bytes(p, written_bytes);
	r->spool_corrupt = spool_reader_corrupt(p->reader);
	r->last_message_ms = ingest_last_message_ms(p->ingest);
	r->db.path = store_path(p->store);
	r->db.backend = store_backend_name(p->store);
	r->db.shared = store_is_shared(p->store);
	r->cluster.leader = p->leader;
	r->cluster.leader_since_ms = p->leader
	    ? (p->cluster.leader_since_ms > 0 ? p->cluster.leader_since_ms
					      : p->ref_start_ms)
	    : 0;
	r->cluster.npeers = p->cluster.npeers;
	memcpy(r->cluster.peers, p->cluster.peers,
	    p->cluster.npeers * sizeof(p->cluster.peers[0]));
	/* SQLite: two stat() calls; on failure the sizes read 0 until the
	 * next. A server: the size last asked for (store_info()). */
	(void)store_info(p->store, &info);
	r->db.schema_version = info.schema_version;
	r->db.size_bytes = info.size_bytes;
	r->db.wal_bytes = info.log_bytes;
	r->db.last_commit_ms = ingest_last_commit_ms(p->ingest);
	r->db.commit_gap_max_us = p->commit_gap_max_us;
	r->db.reconcile_behind = p->reconcile_behind;
	r->alerts.synced_ms = p->alerts_synced_ms;
	r->db.writes_failing =
	    pipeline_writes_failing(p) || spool_error != NULL;
	r->db.file_gone = p->db_gone;
	r->db.last_error =
	    pipeline_writes_failing(p) ? pipeline_error(p) : spool_error;
}

const struct ingest_counters *
pipeline_counters(const struct pipeline *p)
{
	return ingest_counters(p->ingest);
}

struct spool_pos
pipeline_committed(const struct pipeline *p)
{
	return ingest_committed(p->ingest);
}

const char *
pipeline_spool_dir(const struct pipeline *p)
{
	return p->spool_dir;
}

/* ---- whose spool: one writer, one database ---- */

int
pipeline_lock(const char *spool_dir, int *out)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[32];
	ssize_t n;
	int fd, len;

	*out = -1;
	if (spool_dir_copy(spool_dir, dir, sizeof(dir)) == -1 ||
	    spool_file(dir, LOCK_FILE, path, sizeof(path)) == -1 ||
	    spool_mkdir(dir) == -1)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		log_warn("pipeline: open %s", path);
		return -1;
	}
	/* flock: held by the open file, so the kernel lets go when the
	 * process ends, however it ends (SIGKILL included). */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_warn("pipeline: lock %s", path);
			close(fd);
			return -1;
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("pipeline: another wastetrackd (pid %s) holds the "
			  "spool %s and its database (lock %s)",
		    buf[0] ? buf : "unknown", dir, path);
		close(fd);
		return 1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, (size_t)len, 0) != (ssize_t)len) {
		log_warn("pipeline: write %s", path);
		close(fd);
		return -1;
	}
	*out = fd;
	return 0;
}

void
pipeline_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/* The id in the spool's owner file: 1 and owner, 0 when there is none. */
static int
read_owner(const char *dir, char *owner, size_t n)
{
	char path[PATH_MAX];
	ssize_t got;
	int fd;

	if (spool_file(dir, OWNER_FILE, path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("pipeline: open %s", path);
		return -1;
	}
	got = read(fd, owner, n - 1);
	close(fd);
	if (got == -1) {
		log_warn("pipeline: read %s", path);
		return -1;
	}
	owner[got] = '\0';
	owner[strcspn(owner, "\n")] = '\0';
	return 1;
}

/* Record id as the spool's owner: a whole file or the old one. */
static int
write_owner(const char *dir, const char *id)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(id);
	int fd, ok;

	if (spool_file(dir, OWNER_FILE, path, sizeof(path)) == -1 ||
	    spool_file(dir, OWNER_FILE ".tmp", tmp, sizeof(tmp)) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("pipeline: open %s", tmp);
		return -1;
	}
	ok = write(fd, id, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
	    fsync(fd) == 0;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		log_warn("pipeline: write %s", path);
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* Replay from the first segment on disk on. */
static int
restart_at(struct store *store, uint64_t seg)
{
	struct spool_pos pos = { seg, 0 };

	if (store_begin(store) == -1 || store_set_spool_pos(store, pos) == -1 ||
	    store_commit(store) == -1) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

int
pipeline_claim_spool(struct store *store, const char *spool_dir, int adopt)
{
	const char *db_path = store_path(store);
	char dir[PATH_MAX], id[STORE_ID_LEN + 1], owner[STORE_ID_LEN + 2];
	struct spool_pos c;
	uint64_t first, last;
	int has_owner, ours;

	if (spool_dir_copy(spool_dir, dir, sizeof(dir)) == -1 ||
	    spool_mkdir(dir) == -1 ||
	    store_db_id(store, id, sizeof(id)) == -1 ||
	    store_spool_pos(store, &c) == -1 ||
	    spool_bounds(dir, &first, &last) == -1 ||
	    (has_owner = read_owner(dir, owner, sizeof(owner))) == -1)
		return -1;
	/* A spool from before owner files is this database's when the
	 * committed position lies within it. */
	ours = last == 0 ||
	    (has_owner ? strcmp(owner, id) == 0
		       : c.seg >= first && c.seg <= last);
	if (!ours && !adopt) {
		log_warnx("pipeline: the spool %s belongs to another database "
			  "(%s), not to %s (%s); its messages may be missing "
			  "from this one",
		    dir, has_owner ? owner : "unknown", db_path, id);
		return 1;
	}
	if (!ours) {
		log_notice("pipeline: importing the spool %s (of database %s) "
			   "into %s: every record from segment %" PRIu64 " on",
		    dir, has_owner ? owner : "unknown", db_path, first);
		if (restart_at(store, first) == -1)
			return -1;
	} else if (last != 0 && c.seg < first) {
		/* Segments go only once a commit has passed them: a copy of
		 * this database went further than this one (a backup). */
		log_warnx("pipeline: %s is older than its spool: segments "
			  "%" PRIu64 " to %" PRIu64
			  " were removed after a newer "
			  "copy of it committed them, and messages in them may "
			  "be missing here; importing the spool from segment "
			  "%" PRIu64,
		    db_path, c.seg, first - 1, first);
		if (restart_at(store, first) == -1)
			return -1;
	}
	if (!has_owner || strcmp(owner, id) != 0)
		return write_owner(dir, id);
	return 0;
}

void
pipeline_check_file(struct pipeline *p)
{
	const char *path = store_path(p->store);
	struct stat st;
	int gone;

	if (!p->db_file)
		return;
	if (stat(path, &st) == -1)
		gone = errno == ENOENT || errno == ENOTDIR;
	else
		gone = st.st_dev != p->db_dev || st.st_ino != p->db_ino;
	if (gone && !p->db_gone) {
		snprintf(p->gone_error, sizeof(p->gone_error),
		    "database file %s was removed or replaced while running; "
		    "restart wastetrackd",
		    path);
		log_warnx("pipeline: %s (new messages stay in the spool)",
		    p->gone_error);
	} else if (!gone && p->db_gone)
		log_notice("pipeline: database file %s is back", path);
	p->db_gone = gone;
}

int
pipeline_replay_new(struct pipeline *p, const struct replay_req *req,
    struct replay **out)
{
	return replay_new(p->ingest, p->store, req, out);
}

void
pipeline_replayed(struct pipeline *p)
{
	p->reconcile_behind = 1;
}
