/*
 * ingest: the pipeline from a spooled message to committed rows.
 * size and UTF-8 checks → profile by topic → decode and normalise →
 * `messages` provenance (exact duplicates stop here) → canonical row, or
 * a `rejects` row with a reason. Batches are one transaction that also
 * records the spool position reached, so a crash replays exactly the
 * uncommitted tail. Runs on the loop thread.
 */
#ifndef WT_INGEST_H
#define WT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "event.h"
#include "spool.h"

struct config;
struct store;
struct ingest;

/* Reject reason codes, documented in docs/rejects.md; an
 * X-macro list, one per line (clang-format cannot keep it stable). */
/* clang-format off */
#define INGEST_REASONS(X) \
	X(too_large) \
	X(bad_utf8) \
	X(no_profile) \
	X(unknown_kind) \
	X(bad_json) \
	X(bad_type) \
	X(missing_field) \
	X(bad_value) \
	X(bad_time) \
	X(future_ts) \
	X(bad_unit) \
	X(bad_checksum) \
	X(internal)
/* clang-format on */

#define INGEST_REASON_ENUM(name) REASON_##name,
enum ingest_reason { INGEST_REASONS(INGEST_REASON_ENUM) REASON_COUNT };
#undef INGEST_REASON_ENUM

struct ingest_counters {
	uint64_t received;   /* messages taken from the spool */
	uint64_t bytes;	     /* spool bytes those took */
	uint64_t stored;     /* new canonical rows */
	uint64_t duplicates; /* exact or semantic re-sends */
	uint64_t history;    /* late / older versions kept aside */
	uint64_t rejected;
	uint64_t rejected_by[REASON_COUNT];
	uint64_t by_kind[EV_KIND_COUNT]; /* new rows per enum ev_kind */
	uint64_t commits;
	uint64_t write_errors; /* failed batches (rolled back) */
};

struct profile_set;

/* cfg and profiles must outlive their use (see ingest_set_config). */
int ingest_open(struct store *store, const struct config *cfg,
    const struct profile_set *profiles, struct ingest **out) WT_MUST_CHECK;
void ingest_free(struct ingest *in);
/* Swap the configuration and profiles (SIGHUP). */
void ingest_set_config(struct ingest *in, const struct config *cfg,
    const struct profile_set *profiles);

/*
 * Read up to max records from r (before limit), process them in one
 * transaction and commit together with the new spool position. A batch
 * also ends once it has taken budget_ms (0: no limit), so one loop pass
 * never keeps HTTP and signals waiting long. Returns
 * the number of records committed (0 when none were waiting), or -1 when
 * the database failed: then nothing of the batch is kept, the reader is
 * back at the committed position and the caller retries later.
 */
int ingest_batch(struct ingest *in, struct spool_reader *r,
    struct spool_pos limit, size_t max, int64_t now_ms,
    int budget_ms) WT_MUST_CHECK;

const struct ingest_counters *ingest_counters(const struct ingest *in);
/* The muck trucks' figures (lib/muck.h). */
struct muck_counters;
const struct muck_counters *ingest_muck_counters(const struct ingest *in);

/*
 * Replay one stored reject through the configuration and profiles as
 * they are now, inside the caller's transaction (lib/replay.c): decoded,
 * it becomes rows as if it had just arrived, its `messages` row naming
 * the reject (replay_of); a duplicate of a stored message stops there;
 * rejected again, nothing is written. out->outcome is "stored",
 * "duplicate", "history" or "rejected" (the reason and detail then in
 * out->detail); with dry_run nothing is written and a message that would
 * be new says "stored". -1 only when the database failed.
 */
struct store_replay_row;
struct ingest_replay_result {
	const char *outcome;
	char detail[224];
	struct ingest_counters counters; /* the rows it wrote */
};
int ingest_replay_one(struct ingest *in, const struct store_replay_row *row,
    int dry_run, int64_t now_ms,
    struct ingest_replay_result *out) WT_MUST_CHECK;
const char *ingest_reason_name(enum ingest_reason r);
/* Time of the last commit and of the last message received (ms, 0 = never). */
int64_t ingest_last_commit_ms(const struct ingest *in);
int64_t ingest_last_message_ms(const struct ingest *in);
/* The committed spool position. */
struct spool_pos ingest_committed(const struct ingest *in);
/* Why the last batch that returned -1 failed ("" before any). */
const char *ingest_error(const struct ingest *in);

#endif
