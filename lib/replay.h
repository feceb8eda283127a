/*
 * replay: re-run stored rejects through the configuration and profiles
 * as they are now, after a profile fix (docs/replay.md); or, asked for
 * explicitly, accepted messages, whose rows are then corrected in place
 * (store_rederive, same slices: see there and docs/replay.md). A job walks the
 * rejects table by id in slices, each one transaction holding the rows
 * the replayed messages became and the outcome recorded on each reject,
 * so a replay stopped at any point (a crash, a stop) keeps what it
 * committed and the next one goes on from there: a reject replayed into
 * rows is never selected again, one rejected again is retried by the
 * next replay and written only if its outcome changed. Runs on the loop
 * thread, between ingestion batches.
 */
#ifndef WT_REPLAY_H
#define WT_REPLAY_H

#include <stdint.h>

#include "attr.h"
#include "store.h"

struct ingest;
struct replay;

struct replay_req {
	char reason[32];  /* "": any reason */
	char topic[256];  /* an MQTT topic filter; "": any topic */
	int64_t since_ms; /* received at or after; 0: any time */
	int64_t until_ms; /* received before; 0: no end */
	int dry_run;	  /* decode and look up only; write nothing */
	int accepted;	  /* accepted messages, not rejects */
	char profile[64]; /* accepted: decoded by this profile; "": any */
};

struct replay_stats {
	uint64_t selected;  /* rejects that matched the request */
	uint64_t stored;    /* became new rows */
	uint64_t duplicate; /* the same payload is stored already */
	uint64_t history;   /* older versions, kept aside */
	uint64_t rejected;  /* rejected again */
	uint64_t marked;    /* rejects rows whose outcome was (re)written */
	uint64_t rows;	    /* canonical rows written */
	uint64_t pruned;    /* payload gone with retention: skipped */
	/* accepted messages: */
	uint64_t rederived;	  /* rows corrected in place */
	uint64_t unchanged;	  /* rows already right */
	uint64_t conflict;	  /* the events name other rows: left as is */
	uint64_t not_rederivable; /* positions, manifests, bindings */
	uint64_t changed[STORE_RD_TABLES]; /* rows corrected, per table */
	int64_t last_id; /* the last reject (or message) done */
	int64_t last_ms; /* its time of receipt (their order) */
	int done;
};

int replay_new(struct ingest *in, struct store *s, const struct replay_req *req,
    struct replay **out) WT_MUST_CHECK;
/*
 * One slice of at most budget_us (and at least one reject): 1 when more
 * may follow, 0 when the job is done, -1 when the database failed (the
 * slice is rolled back; the job may be stepped again later).
 */
int replay_step(struct replay *r, int64_t now_ms,
    int64_t budget_us) WT_MUST_CHECK;
const struct replay_stats *replay_stats(const struct replay *r);
const struct replay_req *replay_request(const struct replay *r);
void replay_free(struct replay *r);

#endif
