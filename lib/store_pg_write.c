/*
 * store_pg_write: the PostgreSQL backend's messages and the state of the
 * writer's transaction (store_pg_write.h): message ids reserved in
 * blocks from the messages' identity sequence, the messages of the
 * transaction (a redelivery within it found here, one another writer
 * stored first found when the queue is read: a late duplicate); rejects,
 * payload pruning and the hold, store_pg_event(), and the hooks around
 * the end of a transaction. The vehicles seen and the facility registry
 * are store_pg_cache.c's, positions store_pg_batch.c's.
 *
 * What the SQLite backend answers at once (store_write.c), this one
 * answers without a round trip where it can: a message's row and its
 * position are queued, and what their results say (a message already
 * stored, a position already there) is applied when the transaction
 * commits: the message's outcome corrected, the late duplicates counted
 * for store_take_late_duplicates().
 */
#include "store_pg_write.h"

#include "config.h"
#include "log.h"
#include "norm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Message ids reserved per query of the sequence. */
#define ID_BLOCK 1000

/* A message written in the open transaction. */
struct pgw_msg {
	int64_t mid;
	int late;		    /* another writer had stored it */
	int sync_new;		    /* an event answered now was new */
	int async_sent, async_new;  /* queued events, and how many new */
	enum store_result reported; /* the outcome message_add() wrote */
	const char *kind_sent;	    /* the kind the row was written with */
};

struct pgw {
	int64_t ids[ID_BLOCK];
	size_t nids, idpos;
	/* The message message_find() called new, not written yet: its row
	 * goes out with its first event (or message_add()). */
	const struct store_msg *pend;
	int64_t pend_mid;
	struct pgw_msg *msgs;
	size_t nmsgs, msgs_cap;
	/* "topic\nsha256" of the messages of the transaction, a hash set. */
	char **keys;
	size_t nkeys, keys_cap;
	struct pgw_parts parts;
	int64_t late_txn, late_total;
};

static void
keys_clear(struct pgw *w)
{
	size_t i;

	for (i = 0; i < w->keys_cap; i++) {
		free(w->keys[i]);
		w->keys[i] = NULL;
	}
	w->nkeys = 0;
}

static void
pgw_free(void *state)
{
	struct pgw *w = state;

	keys_clear(w);
	free(w->keys);
	store_pgw_cache_free(w->parts.cache);
	store_pgw_batch_free(w->parts.batch);
	free(w->msgs);
	free(w);
}

static void *
pgw_make(void)
{
	return calloc(1, sizeof(struct pgw));
}

static struct pgw *
pgw_of(struct store_pgsql *s)
{
	return store_pgsql_area(s, PGA_WRITE, pgw_make, pgw_free);
}

struct pgw_parts *
store_pgw_parts(struct store_pgsql *s)
{
	struct pgw *w = pgw_of(s);

	return w != NULL ? &w->parts : NULL;
}

/* ---- message ids, reserved in blocks ---- */

/* The sequence looked up once (OFFSET 0 keeps the subquery whole), not
 * once per id. */
static const struct pg_stmt st_ids = { "w_ids",
	"SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence('messages',"
	" 'id')::regclass AS seq OFFSET 0) q, generate_series(1, $1)" };

static int
next_id(struct store_pgsql *s, struct pgw *w, int64_t *id)
{
	struct pgp p;
	PGresult *r;
	int i, n;

	if (w->idpos >= w->nids) {
		pgp_init(&p);
		pgp_i64(&p, ID_BLOCK);
		if ((r = pgq_query(s, &st_ids, &p)) == NULL)
			return -1;
		n = PQntuples(r);
		for (i = 0; i < n && i < ID_BLOCK; i++)
			w->ids[i] = pgr_i64(r, i, 0, 0);
		PQclear(r);
		if (n <= 0) {
			store_pgsql_fail(s, "no message ids reserved");
			return -1;
		}
		w->nids = (size_t)n;
		w->idpos = 0;
	}
	*id = w->ids[w->idpos];
	return 0;
}

/* ---- the messages of the transaction ---- */

static char *
msg_key(const struct store_msg *m)
{
	size_t a = strlen(m->topic), b = strlen(m->sha256);
	char *k = malloc(a + b + 2);

	if (k == NULL)
		return NULL;
	memcpy(k, m->topic, a);
	k[a] = '\n';
	memcpy(k + a + 1, m->sha256, b + 1);
	return k;
}

static size_t
key_slot(const struct pgw *w, const char *key)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (i = h & (w->keys_cap - 1); w->keys[i] != NULL;
	     i = (i + 1) & (w->keys_cap - 1))
		if (strcmp(w->keys[i], key) == 0)
			break;
	return i;
}

static int
key_has(const struct pgw *w, const struct store_msg *m)
{
	char *k;
	int found;

	if (w->nkeys == 0)
		return 0;
	if ((k = msg_key(m)) == NULL)
		return -1;
	found = w->keys[key_slot(w, k)] != NULL;
	free(k);
	return found;
}

static int
keys_grow(struct pgw *w)
{
	char **old = w->keys;
	size_t i, cap = w->keys_cap, ncap = cap == 0 ? 1024 : 2 * cap;

	if ((w->keys = calloc(ncap, sizeof(*w->keys))) == NULL) {
		w->keys = old;
		return -1;
	}
	w->keys_cap = ncap;
	for (i = 0; i < cap; i++)
		if (old[i] != NULL)
			w->keys[key_slot(w, old[i])] = old[i];
	free(old);
	return 0;
}

static int
key_add(struct pgw *w, const struct store_msg *m)
{
	char *k;

	if (2 * (w->nkeys + 1) > w->keys_cap && keys_grow(w) == -1)
		return -1;
	if ((k = msg_key(m)) == NULL)
		return -1;
	w->keys[key_slot(w, k)] = k;
	w->nkeys++;
	return 0;
}

static struct pgw_msg *
msg_of(struct pgw *w, int64_t mid)
{
	size_t i;

	for (i = w->nmsgs; i > 0; i--)
		if (w->msgs[i - 1].mid == mid)
			return &w->msgs[i - 1];
	return NULL;
}

static struct pgw_msg *
msg_new(struct pgw *w, int64_t mid)
{
	struct pgw_msg *grown;
	size_t ncap;

	if (w->nmsgs == w->msgs_cap) {
		ncap = w->msgs_cap == 0 ? 256 : 2 * w->msgs_cap;
		if ((grown = realloc(w->msgs, ncap * sizeof(*grown))) == NULL)
			return NULL;
		w->msgs = grown;
		w->msgs_cap = ncap;
	}
	memset(&w->msgs[w->nmsgs], 0, sizeof(w->msgs[0]));
	w->msgs[w->nmsgs].mid = mid;
	w->msgs[w->nmsgs].reported = STORE_NEW;
	return &w->msgs[w->nmsgs++];
}

/* The row of a message another writer stored first is not written:
 * a late duplicate, its events not stored either. */
void
store_pgw_message_result(struct store_pgsql *s, int64_t cookie, int inserted)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w == NULL || cookie < 0 || (size_t)cookie >= w->nmsgs || inserted)
		return;
	w->msgs[cookie].late = 1;
	w->late_txn++;
}

static void
msg_inserted(struct store_pgsql *s, PGresult *res, int64_t cookie)
{
	store_pgw_message_result(s, cookie, PQntuples(res) > 0);
}

/* The row's outcome is "stored" until message_add() says otherwise:
 * the usual outcome of a position, which then costs one statement. */
static const struct pg_stmt st_msg_insert = { "w_msg_insert",
	"INSERT INTO messages(" STORE_PGW_MSG_COLS ")"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	" ON CONFLICT (sha256, topic) DO NOTHING RETURNING id" };
static const struct pg_stmt st_msg_update = { "w_msg_update",
	"UPDATE messages SET outcome = $2, kind = $3 WHERE id = $1" };
static const struct pg_stmt st_msg_outcome = { "w_msg_outcome",
	"UPDATE messages SET outcome = $2 WHERE id = $1" };

static const char *const outcome_names[] = { "stored", "duplicate", "history" };

void
store_pgw_message_params(struct pgp *p, const struct store_msg *m, int64_t mid,
    const char *outcome, const char *kind)
{
	pgp_i64(p, mid);
	pgp_text(p, m->topic);
	pgp_text(p, m->profile);
	pgp_i64(p, m->received_ms);
	pgp_text(p, m->sha256);
	pgp_text(p, outcome);
	pgp_text(p, kind);
	if (m->keep_payload)
		pgp_blob(p, m->payload, m->payload_len);
	else
		pgp_null(p);
	if (m->replay_of > 0)
		pgp_i64(p, m->replay_of);
	else
		pgp_null(p);
}

/* The message mid of the transaction from now on: its cookie, or -1. */
static int64_t
msg_take(struct store_pgsql *s, struct pgw *w, const struct store_msg *m,
    int64_t mid)
{
	struct pgw_msg *t;

	if ((t = msg_new(w, mid)) == NULL || key_add(w, m) == -1) {
		store_pgsql_fail(s, "out of memory");
		s->failed = 1;
		return -1;
	}
	if (w->pend == m && w->pend_mid == mid) {
		w->idpos++; /* the reserved id is used */
		w->pend = NULL;
	}
	return (int64_t)(t - w->msgs);
}

static int
msg_send(struct store_pgsql *s, struct pgw *w, const struct store_msg *m,
    int64_t mid, const char *outcome, const char *kind)
{
	int64_t cookie = msg_take(s, w, m, mid);
	struct pgp p;

	if (cookie < 0)
		return -1;
	pgp_init(&p);
	store_pgw_message_params(&p, m, mid, outcome, kind);
	return pgq_send(s, &st_msg_insert, &p, msg_inserted, cookie);
}

const struct store_msg *
store_pgw_message_take(struct store_pgsql *s, int64_t message_id,
    enum ev_kind first, int64_t *cookie)
{
	struct pgw *w = pgw_of(s);
	const struct store_msg *m;

	if (w == NULL || w->pend == NULL || w->pend_mid != message_id)
		return NULL;
	m = w->pend;
	if ((*cookie = msg_take(s, w, m, message_id)) < 0)
		return NULL;
	w->msgs[*cookie].kind_sent = ev_kind_name(first);
	return m;
}

int
store_pg_message_find(struct store *pub, const struct store_msg *m,
    int64_t *message_id, enum store_result *res)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgw *w = pgw_of(s);
	int found;

	if (w == NULL)
		return -1;
	/* A message found new and never written (a dry run) gives its id
	 * to the next, as SQLite's next id stays where it was. */
	w->pend = NULL;
	if ((found = key_has(w, m)) == -1) {
		store_pgsql_fail(s, "out of memory");
		return -1;
	}
	if (found) {
		*res = STORE_DUPLICATE;
		*message_id = 0;
		return 0;
	}
	if (next_id(s, w, message_id) == -1)
		return -1;
	w->pend = m;
	w->pend_mid = *message_id;
	*res = STORE_NEW;
	return 0;
}

int
store_pgw_message_sent(struct store_pgsql *s, int64_t message_id,
    enum ev_kind first)
{
	struct pgw *w = pgw_of(s);

	if (w == NULL)
		return -1;
	if (w->pend == NULL || w->pend_mid != message_id)
		return 0; /* written already (or a caller's own id) */
	if (msg_send(s, w, w->pend, message_id, outcome_names[STORE_NEW],
		ev_kind_name(first)) == -1)
		return -1;
	w->msgs[w->nmsgs - 1].kind_sent = ev_kind_name(first);
	return 0;
}

static enum store_result
outcome_of(const char *outcome)
{
	if (outcome != NULL && strcmp(outcome, "duplicate") == 0)
		return STORE_DUPLICATE;
	if (outcome != NULL && strcmp(outcome, "history") == 0)
		return STORE_HISTORY;
	return STORE_NEW;
}

int
store_pg_message_add(struct store *pub, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgw *w = pgw_of(s);
	struct pgw_msg *t;
	struct pgp p;

	if (w == NULL)
		return -1;
	if ((w->pend == m && w->pend_mid == message_id) ||
	    (t = msg_of(w, message_id)) == NULL) {
		if (msg_send(s, w, m, message_id, outcome, kind) == -1)
			return -1;
		w->msgs[w->nmsgs - 1].reported = outcome_of(outcome);
		w->msgs[w->nmsgs - 1].kind_sent = NULL;
		return 0;
	}
	t->reported = outcome_of(outcome);
	/* The row says "stored" and the first event's kind already. */
	if (t->late ||
	    (t->reported == STORE_NEW && kind != NULL && t->kind_sent != NULL &&
		strcmp(kind, t->kind_sent) == 0))
		return 0;
	/* After the row, which may be waiting with its positions. */
	if (store_pgw_batch_flush(s) == -1)
		return -1;
	pgp_init(&p);
	pgp_i64(&p, message_id);
	pgp_text(&p, outcome);
	pgp_text(&p, kind);
	return pgq_send(s, &st_msg_update, &p, NULL, 0);
}

int64_t
store_pgw_message_id(struct store_pgsql *s, int64_t cookie)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w == NULL || cookie < 0 || (size_t)cookie >= w->nmsgs)
		return -1;
	return w->msgs[cookie].mid;
}

/* Ids rise within a transaction (blocks of one sequence), so a binary
 * search finds them; one given by a caller may not: then a scan. */
int64_t
store_pgw_message_cookie(struct store_pgsql *s, int64_t message_id)
{
	struct pgw *w = s->area[PGA_WRITE];
	struct pgw_msg *t;
	size_t lo = 0, hi, mid;

	if (w == NULL)
		return -1;
	hi = w->nmsgs;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->msgs[mid].mid == message_id)
			return (int64_t)mid;
		if (w->msgs[mid].mid < message_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	t = msg_of(w, message_id);
	return t != NULL ? (int64_t)(t - w->msgs) : -1;
}

int
store_pgw_message_late(struct store_pgsql *s, int64_t message_id)
{
	struct pgw *w = s->area[PGA_WRITE];
	struct pgw_msg *t;

	return w != NULL && (t = msg_of(w, message_id)) != NULL && t->late;
}

int64_t
store_pgw_async_cookie(struct store_pgsql *s, int64_t message_id)
{
	struct pgw *w = s->area[PGA_WRITE];
	struct pgw_msg *t;

	if (w == NULL || (t = msg_of(w, message_id)) == NULL)
		return -1;
	t->async_sent++;
	return (int64_t)(t - w->msgs);
}

void
store_pgw_async_result(struct store_pgsql *s, int64_t cookie, int isnew)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w != NULL && cookie >= 0 && (size_t)cookie < w->nmsgs && isnew)
		w->msgs[cookie].async_new++;
}

void
store_pgw_sync_result(struct store_pgsql *s, int64_t message_id,
    enum store_result res)
{
	struct pgw *w = s->area[PGA_WRITE];
	struct pgw_msg *t;

	if (w == NULL || (t = msg_of(w, message_id)) == NULL)
		return;
	if (res == STORE_NEW)
		t->sync_new = 1;
}

/*
 * The outcome ingest gave a message counted its queued events as new;
 * those that found their row already there (a position re-sent in
 * another message) make it what SQLite would have said: "duplicate"
 * when none of its events was new. Its events had no "history".
 */
static int
fix_outcomes(struct store_pgsql *s, struct pgw *w)
{
	enum store_result truth;
	struct pgp p;
	size_t i;

	for (i = 0; i < w->nmsgs; i++) {
		struct pgw_msg *t = &w->msgs[i];

		if (t->late || t->async_sent == 0)
			continue;
		truth = t->sync_new || t->async_new > 0 ? STORE_NEW
							: STORE_DUPLICATE;
		if (truth == t->reported)
			continue;
		pgp_init(&p);
		pgp_i64(&p, t->mid);
		pgp_text(&p, outcome_names[truth]);
		if (pgq_send(s, &st_msg_outcome, &p, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

/* ---- rejects, events ---- */

static const struct pg_stmt st_reject = { "w_reject",
	"INSERT INTO rejects(topic, profile, received_ms, payload,"
	" reason, detail) VALUES($1, $2, $3, $4, $5, $6)" };

/* The length of the UTF-8 sequence at p (at most n bytes), 0 when it
 * is not one. */
static size_t
utf8_seq(const char *p, size_t n)
{
	unsigned char c = (unsigned char)*p;
	size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

	return len <= n && norm_utf8_valid(p, len) ? len : 0;
}

/*
 * A text PostgreSQL takes: a reason's detail may quote a value cut in
 * the middle of a character ("%.32s"), which SQLite stores as it is
 * and PostgreSQL refuses, and a refused reject would fail its batch
 * again at every retry. Each byte of a broken sequence becomes '?'.
 * NULL for out of memory; *copy is what to free.
 */
static const char *
utf8_text(const char *in, char **copy)
{
	size_t i, k, n;

	*copy = NULL;
	if (in == NULL || norm_utf8_valid(in, (n = strlen(in))))
		return in;
	if ((*copy = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq(in + i, n - i)) == 0) {
			(*copy)[i] = '?';
			k = 1;
		} else
			memcpy(*copy + i, in + i, k);
	}
	(*copy)[n] = '\0';
	return *copy;
}

int
store_pg_reject(struct store *pub, const struct store_msg *m,
    const char *reason, const char *detail)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	const char *topic, *why;
	char *c1, *c2;
	struct pgp p;
	int rc = -1;

	topic = utf8_text(m->topic, &c1);
	why = utf8_text(detail, &c2);
	if ((m->topic != NULL && topic == NULL) ||
	    (detail != NULL && why == NULL)) {
		store_pgsql_fail(s, "out of memory");
		goto done;
	}
	pgp_init(&p);
	pgp_text(&p, topic);
	pgp_text(&p, m->profile);
	pgp_i64(&p, m->received_ms);
	pgp_blob(&p, m->payload, m->payload_len);
	pgp_text(&p, reason);
	pgp_text(&p, why);
	rc = pgq_send(s, &st_reject, &p, NULL, 0);
done:
	free(c1);
	free(c2);
	return rc;
}

int
store_pg_event(struct store *pub, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	int rc;

	/* A position writes its message's row itself (store_pg_batch.c);
	 * anything else comes after the positions queued before it. */
	if (e->kind != EV_POSITION &&
	    (store_pgw_batch_flush(s) == -1 ||
		store_pgw_message_sent(s, message_id, e->kind) == -1))
		return -1;
	switch (e->kind) {
	case EV_POSITION:
		return store_pgw_position(s, e, message_id, res);
	case EV_VEHICLE_EVENT:
		rc = store_pgw_vehicle_event(s, e, message_id, local_offset_min,
		    res);
		break;
	case EV_WEIGHING:
		rc =
		    store_pgv_weighing(s, e, message_id, local_offset_min, res);
		break;
	case EV_FACILITY_STATUS:
		rc = store_pgw_facility_status(s, e, message_id, res);
		break;
	case EV_MANIFEST:
		rc = store_pgv_manifest_at(s, e, message_id, local_offset_min,
		    now_ms, res);
		break;
	case EV_DEVICE_BINDING:
		rc = store_pgw_binding(s, e, message_id, now_ms, res);
		break;
	case EV_NONE:
	case EV_KIND_COUNT:
	default:
		log_warnx("store: event without a kind");
		return -1;
	}
	if (rc == 0)
		store_pgw_sync_result(s, message_id, *res);
	return rc;
}

/* ---- payloads: pruning, the hold, the clock ---- */

/* Held rows (store_hold_payloads) count as received at the hold. */
static const struct pg_stmt st_prune = { "w_prune",
	"WITH p AS (UPDATE messages SET payload = NULL"
	" WHERE received_ms < $1 AND payload IS NOT NULL"
	" AND (id >= coalesce(wt_meta_num('payload_hold_mid'), 0)"
	" OR $1 > coalesce(wt_meta_num('payload_hold_ms'), 0))"
	" RETURNING 1) SELECT count(*) FROM p" };

int
store_pg_prune_payloads(struct store *pub, int64_t cutoff_ms, int64_t *pruned)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;
	PGresult *r;

	if (store_pgw_batch_flush(s) == -1)
		return -1;
	pgp_init(&p);
	pgp_i64(&p, cutoff_ms);
	if ((r = pgq_query(s, &st_prune, &p)) == NULL)
		return -1;
	*pruned = pgr_i64(r, 0, 0, 0);
	PQclear(r);
	return 0;
}

/* payload_hold_mid: the first id not held. SQLite's is its next id;
 * here ids come in blocks, so every id handed out so far, by any
 * writer, is held (a payload of another writer's open block held too:
 * kept longer, never dropped early). */
static const struct pg_stmt st_hold = { "w_hold",
	"INSERT INTO meta(key, value) VALUES"
	" ('payload_hold_mid', greatest($1::bigint, (SELECT coalesce(max(id),"
	" 0) + 1 FROM messages))::text),"
	" ('payload_hold_ms', $2::text), ('clock_behind', $3::text)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value" };

int
store_pg_hold_payloads(struct store *pub, int64_t hold_ms, int clock_behind)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgw *w = pgw_of(s);
	struct pgp p;

	if (w == NULL || store_pgw_batch_flush(s) == -1)
		return -1;
	pgp_init(&p);
	pgp_i64(&p, w->idpos < w->nids ? w->ids[w->idpos] : 0);
	pgp_i64(&p, hold_ms);
	pgp_i64(&p, clock_behind != 0);
	return pgq_send(s, &st_hold, &p, NULL, 0);
}

static const struct pg_stmt st_clock = { "w_clock",
	"SELECT coalesce(max(received_ms), 0),"
	" coalesce(wt_meta_num('clock_behind'), 0)::bigint FROM messages" };

int
store_pg_clock_state(struct store *pub, int64_t *newest_ms, int *clock_behind)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	PGresult *r;

	if (store_pgw_batch_flush(s) == -1)
		return -1;
	*newest_ms = 0;
	*clock_behind = 0;
	if ((r = pgq_query(s, &st_clock, NULL)) == NULL)
		return -1;
	*newest_ms = pgr_i64(r, 0, 0, 0);
	*clock_behind = pgr_i64(r, 0, 1, 0) != 0;
	PQclear(r);
	return 0;
}

/* ---- the end of a transaction ---- */

int64_t
store_pg_take_late_duplicates(struct store *pub)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgw *w = s->area[PGA_WRITE];
	int64_t n;

	if (w == NULL)
		return 0;
	n = w->late_total;
	w->late_total = 0;
	return n;
}

/* Every queued result read first: the positions' callbacks fill the
 * vehicles seen and tell which outcomes to correct. */
int
store_pgw_before_commit(struct store_pgsql *s)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w == NULL)
		return 0;
	if (store_pgw_batch_flush(s) == -1 || pgq_collect(s) == -1 ||
	    fix_outcomes(s, w) == -1 || store_pgw_seen_flush(s) == -1)
		return -1;
	return 0;
}

void
store_pgw_after_end(struct store_pgsql *s, int committed)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w == NULL)
		return;
	if (committed)
		w->late_total += w->late_txn;
	w->late_txn = 0;
	w->pend = NULL;
	w->nmsgs = 0;
	keys_clear(w);
	store_pgw_cache_end(s);
	store_pgw_batch_end(s);
}
