/*
 * pipeline: the spool reader and the ingest behind it, with every decision
 * the loop makes about them: where the spool lives (ingest.spool_dir),
 * replaying it at start, draining it in batches, how many acknowledged
 * bytes still wait, which segments may go, which segment a new writer
 * starts, when database writes count as failing and how long to wait
 * before retrying, when to prune raw payloads and when to reconcile.
 *
 * No threads, sockets or sleeps: the daemon calls in from its loop with
 * the receive side's figures (bytes spooled this run, the spool end) as
 * plain arguments, and does any waiting itself.
 */
#ifndef WT_PIPELINE_H
#define WT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "spool.h"

struct config;
struct ingest_counters;
struct pipeline;
struct profile_set;
struct report;
struct store;

#define PIPELINE_BATCH_MAX	  8000 /* messages per transaction */
#define PIPELINE_BATCH_BUDGET_MS  50   /* ... or this long, whichever first */
#define PIPELINE_SEGMENT_MAX	  (64u << 20) /* spool segment size */
#define PIPELINE_COALESCE_MS	  5 /* caught up: one commit per this */
#define PIPELINE_PRUNE_EVERY_MS	  3600000
#define PIPELINE_CLOCK_STEP_MS	  60000 /* wall vs boot clock, per prune */
#define PIPELINE_RECONCILE_MAX_MS 60000 /* reconcile at least this often */
#define PIPELINE_DEFER_BACKLOG	  (256u << 10) /* ~1 400 typical messages */
#define PIPELINE_FINAL_TRIES	  5
#define PIPELINE_FINAL_WAIT_MS	  200
#define PIPELINE_RETRY_MIN_MS	  100
#define PIPELINE_RETRY_MAX_MS	  5000

/*
 * Ingest into store (already open and migrated) from the spool directory
 * "<database>.spool", created if missing, from the position its last
 * commit recorded. cfg and profiles must outlive their use (see
 * pipeline_set_config); now_ms starts the prune interval.
 */
int pipeline_open(struct store *store, const struct config *cfg,
    const struct profile_set *profiles, int64_t now_ms,
    struct pipeline **out) WT_MUST_CHECK;
void pipeline_free(struct pipeline *p);

/*
 * One writer per spool, and so per SQLite database: take the lock file
 * in spool_dir (ingest.spool_dir; creating the directory), before
 * anything else touches either. 0 and *fd (hold it open while running;
 * the kernel releases it however the process ends), 1 when another
 * process holds it (logged with its pid), -1 on error.
 */
int pipeline_lock(const char *spool_dir, int *fd) WT_MUST_CHECK;
void pipeline_unlock(int fd);

/*
 * Before pipeline_open(): make sure the spool in spool_dir belongs to
 * store's database. The spool records the database's id (store_db_id);
 * a spool without one is taken as the database's when the committed
 * position lies within it. Returns 0 when it is (now) this database's,
 * 1 when it belongs to another and adopt is 0 (logged; nothing
 * touched), -1 on error. With adopt, a foreign spool is imported: replay
 * starts at its first segment (ingest is idempotent). A database older
 * than its own spool (a restored backup whose position is in a segment
 * since removed) replays from the first segment, with a warning that
 * the messages between may be missing.
 */
int pipeline_claim_spool(struct store *store, const char *spool_dir,
    int adopt) WT_MUST_CHECK;

/*
 * Once a tick, outside a transaction: record this daemon as alive in the
 * store (instance: mqtt.client_id, group: mqtt.shared_group or NULL, as
 * bound at start; report.h's cluster names them) and learn whether it leads (store_cluster_beat(); always with
 * SQLite). Reconciliation, alerts and retention run only while it does:
 * pipeline_reconcile(), pipeline_alerts() and the pruning calls do
 * nothing otherwise. -1 when the beat failed (then it does not lead).
 */
int pipeline_beat(struct pipeline *p, const char *instance, const char *group,
    int64_t now_ms);
int pipeline_leader(const struct pipeline *p);

/*
 * Once a tick: does the database path still name the file the store has
 * open (a store that is not a file: nothing to check)? When it was removed or replaced, writes count as failing (logged
 * once, with the reason in pipeline_error()) and nothing more is
 * committed: messages stay in the spool; when it names the file again,
 * ingestion resumes.
 */
void pipeline_check_file(struct pipeline *p);
/* Swap the configuration and profiles (SIGHUP). */
void pipeline_set_config(struct pipeline *p, const struct config *cfg,
    const struct profile_set *profiles);

/*
 * Commit everything spooled (and acknowledged) but not committed before
 * the last stop, then remove the segments that are done. Only before a
 * writer starts: it reads to the end of what is on disk. progress (may be
 * NULL) is called after every committed batch with the messages replayed
 * so far: a long replay can tell its supervisor that it is not stuck.
 */
typedef void pipeline_progress_fn(void *arg, uint64_t replayed);
int pipeline_replay(struct pipeline *p, pipeline_progress_fn *progress,
    void *arg) WT_MUST_CHECK;

/*
 * Open the spool writer for this run on a fresh segment, numbered after
 * every segment on disk and after the committed one; *start is where its
 * first record goes. sync: fdatasync after every append.
 */
int pipeline_writer_open(struct pipeline *p, int sync, struct spool_writer **w,
    struct spool_pos *start) WT_MUST_CHECK;

/*
 * One batch of at most PIPELINE_BATCH_MAX records before end (the
 * writer's published end), within PIPELINE_BATCH_BUDGET_MS. Returns the
 * number of records committed, 0 when none were waiting, or -1 when the
 * database failed: writes are then failing (logged once) until a batch
 * commits again, and the caller retries after pipeline_retry_ms().
 */
int pipeline_drain(struct pipeline *p, struct spool_pos end,
    int64_t now_ms) WT_MUST_CHECK;
/* After a failed batch: how long to wait, doubling up to a limit. */
unsigned pipeline_retry_ms(const struct pipeline *p);
/*
 * How long (µs, 0: now) before the next batch should run, given the
 * monotonic clock now_us. Caught up, commits are spaced by
 * PIPELINE_COALESCE_MS, so a steady trickle makes one commit per few
 * milliseconds instead of one per message (every commit rewrites its
 * pages in the WAL); a message after a quiet spell goes at once.
 */
int64_t pipeline_drain_wait_us(const struct pipeline *p, int64_t now_us);

/*
 * After the writer has stopped: one more batch of what is left. Returns
 * 0 when everything is committed, 1 to call again after *wait_ms, or -1
 * at the PIPELINE_FINAL_TRIES-th failed batch (logged; the records stay
 * in the spool for the next start, nothing is lost).
 */
int pipeline_final_drain(struct pipeline *p, struct spool_pos end,
    int64_t now_ms, unsigned *wait_ms) WT_MUST_CHECK;

/* Bytes of this run's spool committed (what the writer may reuse). */
uint64_t pipeline_committed_bytes(const struct pipeline *p);
/* Acknowledged and spooled, not yet committed, given the bytes the
 * writer has spooled this run. */
uint64_t pipeline_backlog_bytes(const struct pipeline *p,
    uint64_t written_bytes);

/* 1 while database writes fail; the error of the first failure. */
int pipeline_writes_failing(const struct pipeline *p);
const char *pipeline_error(const struct pipeline *p);

/*
 * Once every PIPELINE_PRUNE_EVERY_MS by the boot clock (clock_boot_us):
 * start a retention round (docs/database.md, Retention): raw payloads
 * received before pipeline_prune_cutoff(), then every other kind of
 * record by its retention.* days, one slice of at most ~50 ms per call,
 * then the freed pages given back within the same budget. 1 when a round
 * started (whatever the outcome: a failure waits for the next interval),
 * 0 when not due yet, refused, or continuing a round.
 *
 * Refused when the wall clock moved more than PIPELINE_CLOCK_STEP_MS
 * away from the boot clock since the start or the last prune: a payload's
 * received_ms was read from a clock that has since stepped, so its age is
 * unknown. The step is logged once and the round in progress abandoned;
 * every payload stored so far is then held (store_hold_payloads) until
 * raw_retention_days after the step, every other kind until its own
 * retention has passed since the step, and the next prunes compare
 * against the clock as it reads after the step.
 * The first call of a run also compares the clock with the database
 * (store_clock_state): reading more than that bound before the newest
 * stored receive time, or ahead again after an earlier run found it
 * behind, is a step made while the daemon was stopped, handled alike.
 * pipeline_prune_at takes the boot clock as an argument (tests).
 */
int pipeline_prune(struct pipeline *p, int64_t now_ms);
int pipeline_prune_at(struct pipeline *p, int64_t now_ms, int64_t now_boot_us);
/*
 * A round takes one slice a tick whatever the load; a round that is
 * behind (an upgrade with months of history, a backlog after downtime,
 * a benchmark that compresses days into minutes) would then take hours
 * of ticks. While ingestion keeps up the daemon also calls
 * pipeline_prune_idle() between ticks: one shorter slice of the round in
 * progress. 1 while a round (or its vacuum) is in progress
 * (pipeline_prune_busy) and, for pipeline_prune_idle, still is after it.
 */
/* The cutoffs of a retention round at now_ms, from cfg as it is (the
 * daemon's rounds, and what `wastetrackctl check` says is due next). */
struct store_retention;
void pipeline_retention_of(const struct config *cfg, int64_t now_ms,
    struct store_retention *r);
int pipeline_prune_busy(const struct pipeline *p);
int pipeline_prune_idle(struct pipeline *p);
/* How far the wall clock moved beyond the boot clock since a reference
 * reading of both (ms; negative: backwards). */
int64_t pipeline_clock_step_ms(int64_t ref_wall_ms, int64_t ref_boot_us,
    int64_t now_ms, int64_t now_boot_us);
int64_t pipeline_prune_cutoff(int64_t now_ms, int retention_days);

/*
 * Reconcile manifests and tickets when weighings, manifests or history
 * changed since the last run, and at least every
 * PIPELINE_RECONCILE_MAX_MS since time alone makes manifests overdue.
 * Called once a second, which bounds how often it runs; while a pass
 * leaves work (reported as the database's reconcile_behind, and the
 * verdicts are behind the data until it is done) the next call runs another
 * even without changes. A pass holds the loop for a bounded slice of
 * work, tens of ms at most: with more than PIPELINE_DEFER_BACKLOG bytes
 * waiting it is deferred (the minute bound still holds), and while
 * writes fail it is skipped. Returns 1 when it ran, 0 when not due or
 * deferred, -1 when the reconciliation failed (tried again next call).
 */
int pipeline_reconcile(struct pipeline *p, int64_t now_ms,
    uint64_t written_bytes) WT_MUST_CHECK;

/*
 * Alerts (docs/alerts.md): every alerts.interval_s (0: never) by the
 * monotonic clock, a sync of the alerts with the conditions that hold
 * now (store_alerts_sync), after the reconciliation it reads. A sync
 * holds the loop for about PIPELINE_ALERTS_BUDGET_US; work it leaves
 * goes on at the next call. Deferred like reconciliation while a backlog
 * drains, skipped while writes fail. 1 when it ran, 0 when not due, -1
 * when a rule failed (logged; the other rules ran).
 */
#define PIPELINE_ALERTS_BUDGET_US 50000
int pipeline_alerts(struct pipeline *p, int64_t now_ms,
    uint64_t written_bytes) WT_MUST_CHECK;

/*
 * The pipeline's part of the status snapshot: counters, backlog, spool
 * and database figures. A failing spool writer (spool_error set) counts
 * as failing writes too. r's pointers stay valid until the next call.
 */
void pipeline_report(struct pipeline *p, uint64_t written_bytes,
    const char *spool_error, struct report *r);

const struct ingest_counters *pipeline_counters(const struct pipeline *p);
/* The committed spool position. */
struct spool_pos pipeline_committed(const struct pipeline *p);
const char *pipeline_spool_dir(const struct pipeline *p);

/* A replay of stored rejects (lib/replay.h) through the pipeline's
 * ingest, so that it decodes with the configuration SIGHUP last
 * installed. Step it between batches; free it with replay_free(). */
struct replay;
struct replay_req;
int pipeline_replay_new(struct pipeline *p, const struct replay_req *req,
    struct replay **out) WT_MUST_CHECK;
/* A replay's slice committed rows: the next tick reconciles, as after a
 * batch of fresh ones (the queue says what changed). */
void pipeline_replayed(struct pipeline *p);

#endif
