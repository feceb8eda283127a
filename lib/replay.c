/* replay: see replay.h. */
#include "replay.h"

#include "clock.h"
#include "event.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "topic.h"

#include <stdlib.h>
#include <string.h>

/* Rejects read per chunk: a few ms of decoding. */
#define REPLAY_CHUNK 32
/* Conflicts logged with their reason per job; the rest are counted. */
#define CONFLICT_LOGS 10

struct replay {
	struct ingest *in;
	struct store *store;
	struct replay_req req;
	struct replay_stats st;
	struct store_replay_row rows[REPLAY_CHUNK];
	struct store_rederive_row arows[REPLAY_CHUNK];
	struct ev_list evs;	   /* one accepted message decoded again */
	struct store_rederive *rd; /* accepted: the job's statements */
	unsigned conflict_logs;
};

int
replay_new(struct ingest *in, struct store *s, const struct replay_req *req,
    struct replay **out)
{
	struct replay *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->in = in;
	r->store = s;
	r->req = *req;
	r->req.reason[sizeof(r->req.reason) - 1] = '\0';
	r->req.topic[sizeof(r->req.topic) - 1] = '\0';
	r->req.profile[sizeof(r->req.profile) - 1] = '\0';
	if (r->req.accepted && store_rederive_open(s, &r->rd) == -1) {
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	ev_list_free(&r->evs);
	store_rederive_close(r->rd);
	free(r);
}

const struct replay_stats *
replay_stats(const struct replay *r)
{
	return &r->st;
}

const struct replay_req *
replay_request(const struct replay *r)
{
	return &r->req;
}

static void
count(struct replay_stats *st, const struct ingest_replay_result *res)
{
	const struct ingest_counters *c = &res->counters;

	if (strcmp(res->outcome, "stored") == 0)
		st->stored++;
	else if (strcmp(res->outcome, "duplicate") == 0)
		st->duplicate++;
	else if (strcmp(res->outcome, "history") == 0)
		st->history++;
	else
		st->rejected++;
	st->rows += c->stored + c->history;
}

/* One reject: replayed, counted into st and, unless a dry run, its
 * outcome recorded. */
static int
replay_row(struct replay *r, const struct store_replay_row *row, int64_t now_ms,
    struct replay_stats *st)
{
	struct ingest_replay_result res;
	int changed;

	if (row->skip ||
	    (r->req.topic[0] != '\0' && !topic_match(r->req.topic, row->topic)))
		return 0;
	st->selected++;
	if (row->pruned) {
		st->pruned++;
		return 0;
	}
	if (ingest_replay_one(r->in, row, r->req.dry_run, now_ms, &res) == -1)
		return -1;
	count(st, &res);
	if (r->req.dry_run)
		return 0;
	if (store_replay_mark(r->store, row->id, now_ms, res.outcome,
		strcmp(res.outcome, "rejected") == 0 ? res.detail : NULL,
		&changed) == -1)
		return -1;
	st->marked += (uint64_t)changed;
	return 0;
}

/* The kinds whose rows a replay re-derives; never the others
 * (positions, manifests, bindings: docs/replay.md). */
static int
rederivable(const char *kind)
{
	return strcmp(kind, "weighing") == 0 ||
	    strcmp(kind, "vehicle_event") == 0 ||
	    strcmp(kind, "facility_status") == 0;
}

static void
count_rederived(struct replay *r, const struct store_rederive_row *row,
    const struct store_rd_result *res, struct replay_stats *st)
{
	size_t i;

	switch (res->outcome) {
	case STORE_RD_UNCHANGED:
		st->unchanged++;
		break;
	case STORE_RD_CHANGED:
		st->rederived++;
		break;
	case STORE_RD_CONFLICT:
		st->conflict++;
		if (r->conflict_logs++ < CONFLICT_LOGS)
			log_notice("replay: message %lld left as it is: %s",
			    (long long)row->id, res->detail);
		break;
	}
	for (i = 0; i < STORE_RD_TABLES; i++)
		st->changed[i] += (uint64_t)res->changed[i];
}

/* One accepted message decoded again and its rows corrected. */
static int
rederive_row(struct replay *r, const struct store_rederive_row *row,
    int64_t now_ms, struct replay_stats *st)
{
	struct store_rd_result res;
	char detail[224];

	if (r->req.topic[0] != '\0' && !topic_match(r->req.topic, row->topic))
		return 0;
	if (r->req.profile[0] != '\0' && strcmp(r->req.profile, row->profile))
		return 0;
	st->selected++;
	if (!rederivable(row->kind)) {
		st->not_rederivable++;
		return 0;
	}
	if (row->payload == NULL) {
		st->pruned++;
		return 0;
	}
	/* A payload the profiles now refuse keeps the rows it has: a broken
	 * profile must not take accepted tonnes away. */
	if (ingest_decode_stored(r->in, row->topic, row->payload,
		row->payload_len, row->received_ms, &r->evs, detail,
		sizeof(detail)) == -1) {
		st->rejected++;
		if (r->conflict_logs++ < CONFLICT_LOGS)
			log_notice("replay: message %lld refused by the "
				   "profiles now loaded, left as it is: %s",
			    (long long)row->id, detail);
		return 0;
	}
	if (store_rederive(r->rd, row->id, r->evs.ev, r->evs.n,
		ingest_local_offset(r->in), now_ms, &res) == -1) {
		ev_list_clear(&r->evs);
		return -1;
	}
	ev_list_clear(&r->evs);
	count_rederived(r, row, &res, st);
	return 0;
}

/* The next chunk of accepted messages: *got of them done. */
static int
chunk_accepted(struct replay *r, int64_t now_ms, struct replay_stats *st,
    size_t *got)
{
	struct store_rederive_filter f = {
		.profile = r->req.profile[0] != '\0' ? r->req.profile : NULL,
		.since_ms = r->req.since_ms,
		.until_ms = r->req.until_ms,
	};
	size_t i;
	int rc = 0;

	if (store_rederive_next(r->store, &f, st->last_ms, st->last_id,
		REPLAY_CHUNK, r->arows, got) == -1)
		return -1;
	for (i = 0; i < *got && rc == 0; i++) {
		rc = rederive_row(r, &r->arows[i], now_ms, st);
		st->last_id = r->arows[i].id;
		st->last_ms = r->arows[i].received_ms;
	}
	store_rederive_rows_free(r->arows, *got);
	return rc;
}

/* The next chunk of rejects: *got of them done. */
static int
chunk_rejects(struct replay *r, int64_t now_ms, struct replay_stats *st,
    size_t *got)
{
	struct store_replay_filter f = {
		.reason = r->req.reason[0] != '\0' ? r->req.reason : NULL,
		.since_ms = r->req.since_ms,
		.until_ms = r->req.until_ms,
	};
	size_t i;
	int rc = 0;

	if (store_replay_next(r->store, &f, st->last_ms, st->last_id,
		REPLAY_CHUNK, r->rows, got) == -1)
		return -1;
	for (i = 0; i < *got && rc == 0; i++) {
		rc = replay_row(r, &r->rows[i], now_ms, st);
		st->last_id = r->rows[i].id;
		st->last_ms = r->rows[i].received_ms;
	}
	store_replay_rows_free(r->rows, *got);
	return rc;
}

int
replay_step(struct replay *r, int64_t now_ms, int64_t budget_us)
{
	struct replay_stats st = r->st;
	int64_t t0 = clock_mono_us();
	size_t got = 0;
	int rc;

	if (r->st.done)
		return 0;
	if (store_begin(r->store) == -1)
		return -1;
	/* The muck module sees the replayed messages in the slice's
	 * transaction (muck.h: the live tracks are left as they were). */
	ingest_replay_begin(r->in, now_ms);
	do {
		rc = r->req.accepted ? chunk_accepted(r, now_ms, &st, &got)
				     : chunk_rejects(r, now_ms, &st, &got);
		if (rc == -1)
			goto fail;
	} while (got == REPLAY_CHUNK && clock_mono_us() - t0 < budget_us);
	/* A dry run's changes (accepted messages are corrected to be
	 * compared) are undone with the rest of its slice. */
	if (r->req.dry_run)
		store_rollback(r->store);
	else if (store_commit(r->store) == -1)
		goto fail;
	ingest_replay_end(r->in, !r->req.dry_run);
	st.done = got < REPLAY_CHUNK;
	r->st = st;
	return st.done ? 0 : 1;
fail:
	log_warnx("replay: slice after %s %lld failed: %s",
	    r->req.accepted ? "message" : "reject", (long long)r->st.last_id,
	    store_errmsg(r->store));
	store_rollback(r->store);
	ingest_replay_end(r->in, 0);
	return -1;
}
