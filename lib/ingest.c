/* ingest: see ingest.h. */
#include "ingest.h"

#include "clock.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "decode.h"
#include "muck.h"
#include "native.h"
#include "profile.h"
#include "norm.h"
#include "sha256.h"
#include "store.h"
#include "topic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REJECT_LOGS_PER_S 10

struct ingest {
	struct store *store;
	const struct config *cfg;
	struct ingest_counters total; /* committed */
	struct ingest_counters batch; /* this transaction, merged on commit */
	struct spool_pos committed;
	int64_t last_commit_ms, last_message_ms;
	/* Reject logging is rate-limited: one line each, up to a budget per
	 * second, then one summary of what was not logged. */
	int64_t log_second;
	unsigned log_budget;
	uint64_t log_suppressed;
	const struct profile_set *profiles;
	struct ev_list evs; /* the events of one message */
	struct muck *muck;  /* unloads, night window, permits: muck.h */
	char error[160];    /* why the last failed batch failed */
};

/* The built-in profile; every other one is declared in YAML. */
#define NATIVE_PROFILE "wastetrack"

#define REASON_NAME(name) #name,
static const char *const reason_names[] = { INGEST_REASONS(REASON_NAME) };
#undef REASON_NAME

const char *
ingest_reason_name(enum ingest_reason r)
{
	return r < REASON_COUNT ? reason_names[r] : "internal";
}

static enum ingest_reason
reason_of(const char *name)
{
	size_t i;

	for (i = 0; i < REASON_COUNT; i++)
		if (strcmp(reason_names[i], name) == 0)
			return (enum ingest_reason)i;
	return REASON_internal;
}

int
ingest_open(struct store *store, const struct config *cfg,
    const struct profile_set *profiles, struct ingest **out)
{
	struct ingest *in;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return -1;
	in->store = store;
	in->cfg = cfg;
	in->profiles = profiles;
	if (muck_new(cfg, &in->muck) == -1 ||
	    store_spool_pos(store, &in->committed) == -1) {
		muck_free(in->muck);
		free(in);
		return -1;
	}
	*out = in;
	return 0;
}

void
ingest_free(struct ingest *in)
{
	if (in == NULL)
		return;
	if (in->log_suppressed > 0)
		log_notice("ingest: %llu reject log lines suppressed",
		    (unsigned long long)in->log_suppressed);
	ev_list_free(&in->evs);
	muck_free(in->muck);
	free(in);
}

void
ingest_set_config(struct ingest *in, const struct config *cfg,
    const struct profile_set *profiles)
{
	in->cfg = cfg;
	in->profiles = profiles;
	muck_set_config(in->muck, cfg);
}

const struct muck_counters *
ingest_muck_counters(const struct ingest *in)
{
	return muck_counters(in->muck);
}

const struct ingest_counters *
ingest_counters(const struct ingest *in)
{
	return &in->total;
}

int64_t
ingest_last_commit_ms(const struct ingest *in)
{
	return in->last_commit_ms;
}

int64_t
ingest_last_message_ms(const struct ingest *in)
{
	return in->last_message_ms;
}

struct spool_pos
ingest_committed(const struct ingest *in)
{
	return in->committed;
}

const char *
ingest_error(const struct ingest *in)
{
	return in->error;
}

/*
 * The profile of the first subscription whose filter matches: its name,
 * and *p the compiled profile (NULL for the built-in one). NULL when none.
 */
static const char *
profile_for(const struct ingest *in, const char *topic,
    const struct profile **p)
{
	const struct config *cfg = in->cfg;
	size_t i;

	for (i = 0; i < cfg->nsubs; i++) {
		if (!topic_match(cfg->subs[i].topic, topic))
			continue;
		*p = profile_find(in->profiles, cfg->subs[i].profile);
		if (*p != NULL)
			return (*p)->name;
		if (strcmp(cfg->subs[i].profile, NATIVE_PROFILE) == 0)
			return NATIVE_PROFILE;
	}
	return NULL;
}

static void
log_reject(struct ingest *in, const char *topic, const char *reason,
    const char *detail, int64_t now_ms)
{
	if (now_ms / 1000 != in->log_second) {
		if (in->log_suppressed > 0)
			log_notice("ingest: %llu more rejects not logged in "
				   "the last second",
			    (unsigned long long)in->log_suppressed);
		in->log_second = now_ms / 1000;
		in->log_budget = REJECT_LOGS_PER_S;
		in->log_suppressed = 0;
	}
	if (in->log_budget == 0) {
		in->log_suppressed++;
		return;
	}
	in->log_budget--;
	log_notice("ingest: rejected message on %.128s: %s: %s", topic, reason,
	    detail);
}

static int
reject(struct ingest *in, const struct store_msg *m, const char *reason,
    const char *detail, int64_t now_ms)
{
	if (store_reject(in->store, m, reason, detail) == -1)
		return -1;
	in->batch.rejected++;
	in->batch.rejected_by[reason_of(reason)]++;
	log_reject(in, m->topic, reason, detail, now_ms);
	return 0;
}

/*
 * A payload over the limit is never stored whole: the reject keeps its
 * first SPOOL_PREFIX_MAX bytes, and its detail the true size and the
 * SHA-256 of the whole, enough to recognise it again or ask the sender
 * for it. A cut record (the receive side kept only that) brings its
 * digest along; a whole one (spooled under a larger limit) is hashed here.
 */
static int
reject_too_large(struct ingest *in, struct store_msg *m,
    const struct spool_rec *rec, int64_t now_ms)
{
	char sha[65], detail[224];

	if (rec->cut)
		sha256_to_hex(rec->sha256, sha);
	else if (sha256_hex(rec->payload, rec->payload_len, sha) == -1)
		snprintf(sha, sizeof(sha), "unavailable");
	if (m->payload_len > SPOOL_PREFIX_MAX)
		m->payload_len = SPOOL_PREFIX_MAX;
	snprintf(detail, sizeof(detail),
	    "payload of %llu bytes exceeds ingest.max_payload %zu; sha256 %s;"
	    " first %zu bytes kept",
	    (unsigned long long)rec->full_len, in->cfg->ingest.max_payload, sha,
	    m->payload_len);
	return reject(in, m, "too_large", detail, now_ms);
}

static void
count_result(struct ingest_counters *c, enum ev_kind kind,
    enum store_result res)
{
	switch (res) {
	case STORE_NEW:
		c->stored++;
		c->by_kind[kind]++;
		break;
	case STORE_DUPLICATE:
		c->duplicates++;
		break;
	case STORE_HISTORY:
		c->history++;
		break;
	}
}

static const char *const outcome_names[] = { "stored", "duplicate", "history" };

/* Decode into in->evs with the built-in or a declared profile. */
static int
decode(const struct profile *p, const struct spool_rec *rec,
    const struct decode_ctx *ctx, struct ev_list *evs, struct decode_err *err)
{
	if (p != NULL)
		return decode_profile(p, rec->topic, rec->payload,
		    rec->payload_len, ctx, evs, err);
	return native_decode(rec->topic, rec->payload, rec->payload_len, ctx,
	    evs, err);
}

/* Store every event of the message, counted in c; the message's outcome
 * is the best of them (one new row makes it "stored"), also in *best. */
static int
store_events(struct ingest *in, const struct store_msg *m, int64_t mid,
    int64_t now_ms, struct ingest_counters *c, enum store_result *best)
{
	enum store_result res;
	size_t i;

	*best = STORE_HISTORY;
	for (i = 0; i < in->evs.n; i++) {
		/* Positions go through their track first: an outlier is
		 * stored flagged. */
		muck_before(in->muck, in->store, &in->evs.ev[i], now_ms);
		if (store_event(in->store, &in->evs.ev[i], mid,
			in->cfg->time.local_offset_min, now_ms, &res) == -1 ||
		    muck_after(in->muck, in->store, &in->evs.ev[i], mid, res) ==
			-1)
			return -1;
		count_result(c, in->evs.ev[i].kind, res);
		if (res == STORE_NEW ||
		    (res == STORE_DUPLICATE && *best == STORE_HISTORY))
			*best = res;
	}
	return store_message_add(in->store, m, mid, outcome_names[*best],
	    ev_kind_name(in->evs.ev[0].kind));
}

/* One message, inside the batch transaction; -1 only for store errors. */
static int
ingest_one(struct ingest *in, const struct spool_rec *rec, int64_t now_ms)
{
	const struct config *cfg = in->cfg;
	struct store_msg m = { .topic = rec->topic,
		.payload = rec->payload,
		.payload_len = rec->payload_len,
		.received_ms = rec->received_ms,
		.keep_payload = cfg->database.raw_retention_days > 0 };
	struct decode_ctx ctx = { cfg->time.local_offset_min, rec->received_ms,
		(int64_t)cfg->time.future_tolerance_s * 1000 };
	const struct profile *p = NULL;
	struct decode_err err;
	enum store_result res, best;
	char sha[65];
	int64_t mid;
	int rc = -1;

	in->batch.received++;
	in->batch.bytes += rec->size;
	in->last_message_ms = rec->received_ms;
	m.profile = profile_for(in, rec->topic, &p);
	if (rec->cut || rec->payload_len > cfg->ingest.max_payload)
		return reject_too_large(in, &m, rec, now_ms);
	if (m.profile == NULL)
		return reject(in, &m, "no_profile",
		    "no subscription with a "
		    "known profile matches the topic",
		    now_ms);
	if (decode(p, rec, &ctx, &in->evs, &err) == -1)
		return reject(in, &m, err.reason, err.detail, now_ms);
	/* Without a digest the message cannot be checked for a duplicate:
	 * fail the batch, which is retried, rather than store it blind. */
	if (sha256_hex(rec->payload, rec->payload_len, sha) == -1)
		goto done;
	m.sha256 = sha;
	if (store_message_find(in->store, &m, &mid, &res) == -1)
		goto done;
	if (res == STORE_DUPLICATE)
		in->batch.duplicates++;
	else if (store_events(in, &m, mid, now_ms, &in->batch, &best) == -1)
		goto done;
	rc = 0;
done:
	ev_list_clear(&in->evs);
	return rc;
}

void
ingest_replay_begin(struct ingest *in, int64_t now_ms)
{
	muck_begin_replay(in->muck, now_ms);
}

void
ingest_replay_end(struct ingest *in, int ok)
{
	if (ok)
		muck_commit(in->muck);
	else
		muck_rollback(in->muck);
}

int
ingest_replay_one(struct ingest *in, const struct store_replay_row *row,
    int dry_run, int64_t now_ms, struct ingest_replay_result *out)
{
	const struct config *cfg = in->cfg;
	struct store_msg m = { .topic = row->topic,
		.payload = row->payload,
		.payload_len = row->payload_len,
		.received_ms = row->received_ms,
		.keep_payload = cfg->database.raw_retention_days > 0,
		.replay_of = row->id };
	/* Times are judged against the original receipt, as they were. */
	struct decode_ctx ctx = { cfg->time.local_offset_min, row->received_ms,
		(int64_t)cfg->time.future_tolerance_s * 1000 };
	struct spool_rec rec = { .topic = row->topic,
		.topic_len = strlen(row->topic),
		.payload = row->payload,
		.payload_len = row->payload_len,
		.full_len = row->payload_len,
		.received_ms = row->received_ms };
	const struct profile *p = NULL;
	struct decode_err err;
	enum store_result res;
	char sha[65];
	int64_t mid;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->outcome = "rejected";
	m.profile = profile_for(in, row->topic, &p);
	if (m.profile == NULL) {
		snprintf(out->detail, sizeof(out->detail), "no_profile");
		return 0;
	}
	if (decode(p, &rec, &ctx, &in->evs, &err) == -1) {
		snprintf(out->detail, sizeof(out->detail), "%.24s: %.190s",
		    err.reason, err.detail);
		rc = 0;
		goto done;
	}
	if (sha256_hex(row->payload, row->payload_len, sha) == -1)
		goto done;
	m.sha256 = sha;
	if (store_message_find(in->store, &m, &mid, &res) == -1)
		goto done;
	if (res == STORE_DUPLICATE)
		out->outcome = outcome_names[STORE_DUPLICATE];
	else if (dry_run)
		out->outcome = outcome_names[STORE_NEW];
	else {
		if (store_events(in, &m, mid, now_ms, &out->counters, &res) ==
		    -1)
			goto done;
		out->outcome = outcome_names[res];
	}
	rc = 0;
done:
	ev_list_clear(&in->evs);
	return rc;
}

int
ingest_decode_stored(struct ingest *in, const char *topic, const void *payload,
    size_t len, int64_t received_ms, struct ev_list *evs, char *detail,
    size_t dsz)
{
	const struct config *cfg = in->cfg;
	struct decode_ctx ctx = { cfg->time.local_offset_min, received_ms,
		(int64_t)cfg->time.future_tolerance_s * 1000 };
	struct spool_rec rec = { .topic = topic,
		.topic_len = strlen(topic),
		.payload = payload,
		.payload_len = len,
		.full_len = len,
		.received_ms = received_ms };
	const struct profile *p = NULL;
	struct decode_err err;

	ev_list_clear(evs);
	if (profile_for(in, topic, &p) == NULL) {
		snprintf(detail, dsz, "no_profile");
		return -1;
	}
	if (decode(p, &rec, &ctx, evs, &err) == -1) {
		snprintf(detail, dsz, "%.24s: %.190s", err.reason, err.detail);
		ev_list_clear(evs);
		return -1;
	}
	return 0;
}

int
ingest_local_offset(const struct ingest *in)
{
	return in->cfg->time.local_offset_min;
}

static void
counters_add(struct ingest_counters *t, const struct ingest_counters *b)
{
	const uint64_t *src = (const uint64_t *)b;
	uint64_t *dst = (uint64_t *)t;
	size_t i;

	for (i = 0; i < sizeof(*t) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

/*
 * Messages another daemon of the group stored first (a redelivery after
 * a crash): the store learns it only when the batch ran (store.h), after
 * they were counted as stored. Moved to duplicates, so that stored counts
 * each message once across the group.
 */
static void
late_duplicates(struct ingest *in)
{
	int64_t late = store_take_late_duplicates(in->store);
	uint64_t n = late > 0 ? (uint64_t)late : 0;

	in->batch.stored -= n < in->batch.stored ? n : in->batch.stored;
	in->batch.duplicates += n;
}

int
ingest_batch(struct ingest *in, struct spool_reader *r, struct spool_pos limit,
    size_t max, int64_t now_ms, int budget_ms)
{
	struct spool_rec rec;
	int64_t deadline =
	    budget_ms > 0 ? clock_mono_us() + (int64_t)budget_ms * 1000 : 0;
	size_t n = 0;
	int rc = 0;

	memset(&in->batch, 0, sizeof(in->batch));
	muck_begin(in->muck, now_ms);
	if (store_begin(in->store) == -1)
		goto fail;
	while (n < max && (rc = spool_read(r, limit, &rec)) == 1) {
		if (ingest_one(in, &rec, now_ms) == -1)
			goto fail;
		/* Checking the clock costs more than a message: every 32. */
		if (++n % 32 == 0 && deadline != 0 &&
		    clock_mono_us() > deadline)
			break;
	}
	if (rc == -1)
		goto fail;
	if (n == 0 && spool_reader_pos(r).seg == in->committed.seg &&
	    spool_reader_pos(r).off == in->committed.off) {
		store_rollback(in->store);
		muck_commit(in->muck); /* nothing was fed */
		return 0;
	}
	if (store_set_spool_pos(in->store, spool_reader_pos(r)) == -1 ||
	    store_commit(in->store) == -1)
		goto fail;
	muck_commit(in->muck);
	late_duplicates(in);
	in->batch.commits = 1;
	counters_add(&in->total, &in->batch);
	in->committed = spool_reader_pos(r);
	in->last_commit_ms = now_ms;
	return (int)n;
fail:
	/* Taken before the rollback, which resets the connection's
	 * message. */
	snprintf(in->error, sizeof(in->error), "%s",
	    rc == -1 ? "cannot read the spool" : store_errmsg(in->store));
	store_rollback(in->store);
	/* Nothing of the batch was stored, its late finds included. */
	(void)store_take_late_duplicates(in->store);
	/* The batch is read again: its vehicles start again from where
	 * they were before it. */
	muck_rollback(in->muck);
	spool_reader_seek(r, in->committed);
	in->total.write_errors++;
	return -1;
}
