/* replay: see replay.h. */
#include "replay.h"

#include "clock.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "topic.h"

#include <stdlib.h>
#include <string.h>

/* Rejects read per chunk: a few ms of decoding. */
#define REPLAY_CHUNK 32

struct replay {
	struct ingest *in;
	struct store *store;
	struct replay_req req;
	struct replay_stats st;
	struct store_replay_row rows[REPLAY_CHUNK];
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
	*out = r;
	return 0;
}

void
replay_free(struct replay *r)
{
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

	if (r->req.topic[0] != '\0' && !topic_match(r->req.topic, row->topic))
		return 0;
	st->selected++;
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

int
replay_step(struct replay *r, int64_t now_ms, int64_t budget_us)
{
	struct store_replay_filter f = {
		.reason = r->req.reason[0] != '\0' ? r->req.reason : NULL,
		.since_ms = r->req.since_ms,
	};
	struct replay_stats st = r->st;
	int64_t t0 = clock_mono_us();
	size_t got = 0, i;

	if (r->st.done)
		return 0;
	if (store_begin(r->store) == -1)
		return -1;
	do {
		if (store_replay_next(r->store, &f, st.last_id, REPLAY_CHUNK,
			r->rows, &got) == -1)
			goto fail;
		for (i = 0; i < got; i++) {
			if (replay_row(r, &r->rows[i], now_ms, &st) == -1)
				goto fail;
			st.last_id = r->rows[i].id;
		}
		store_replay_rows_free(r->rows, got);
	} while (got == REPLAY_CHUNK && clock_mono_us() - t0 < budget_us);
	/* A dry run writes nothing: its reads need no commit. */
	if (r->req.dry_run)
		store_rollback(r->store);
	else if (store_commit(r->store) == -1)
		goto fail_committing;
	st.done = got < REPLAY_CHUNK;
	r->st = st;
	return st.done ? 0 : 1;
fail:
	store_replay_rows_free(r->rows, got);
fail_committing:
	log_warnx("replay: slice after reject %lld failed: %s",
	    (long long)r->st.last_id, store_errmsg(r->store));
	store_rollback(r->store);
	return -1;
}
