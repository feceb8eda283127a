/*
 * store_pg_write: the PostgreSQL backend's messages and the state of the
 * writer's transaction (store_pg_write.h): message ids reserved in
 * blocks from the messages' identity sequence, the messages of the
 * transaction (a redelivery within it found here, one another writer
 * stored first found when the queue is read: a late duplicate), the
 * vehicles-seen cache, the facility registry read once per transaction;
 * rejects, payload pruning and the hold, and store_pg_event().
 *
 * What the SQLite backend answers at once (store_write.c), this one
 * answers without a round trip where it can: a message row and a
 * position are queued in the pipeline, and what their results say (a
 * message already stored, a position already there) is applied when
 * the transaction commits: the message's outcome corrected, the late
 * duplicates counted for store_take_late_duplicates().
 */
#include "store_pg_write.h"

#include "config.h"
#include "log.h"

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
	int sync_new, sync_dup;	    /* results of events answered now */
	int async_sent, async_new;  /* queued events, and how many new */
	enum store_result reported; /* the outcome message_add() wrote */
	const char *kind_sent;	    /* the kind the row was written with */
};

/* A vehicle seen in the open transaction: the row it will get. */
struct pgw_seen {
	char *vehicle, *plate, *device; /* NULL vehicle: a free slot */
	int64_t first, last;
};

struct pgw_fac {
	char *id;
	struct pgw_facility f;
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
	struct pgw_seen *seen;
	size_t nseen, seen_cap;
	struct pgw_fac *fac;
	size_t nfac;
	int fac_loaded;
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
seen_clear(struct pgw *w)
{
	size_t i;

	for (i = 0; i < w->seen_cap; i++) {
		free(w->seen[i].vehicle);
		free(w->seen[i].plate);
		free(w->seen[i].device);
		memset(&w->seen[i], 0, sizeof(w->seen[i]));
	}
	w->nseen = 0;
}

static void
fac_clear(struct pgw *w)
{
	size_t i;

	for (i = 0; i < w->nfac; i++)
		free(w->fac[i].id);
	free(w->fac);
	w->fac = NULL;
	w->nfac = 0;
	w->fac_loaded = 0;
}

static void
pgw_free(void *state)
{
	struct pgw *w = state;

	keys_clear(w);
	free(w->keys);
	seen_clear(w);
	free(w->seen);
	fac_clear(w);
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

/* ---- message ids, reserved in blocks ---- */

static const struct pg_stmt st_ids = { "w_ids",
	"SELECT nextval(pg_get_serial_sequence('messages', 'id'))"
	" FROM generate_series(1, $1)" };

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
static void
msg_inserted(struct store_pgsql *s, PGresult *res, int64_t cookie)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w == NULL || cookie < 0 || (size_t)cookie >= w->nmsgs)
		return;
	if (PQntuples(res) == 0) {
		w->msgs[cookie].late = 1;
		w->late_txn++;
	}
}

/* The row's outcome is "stored" until message_add() says otherwise:
 * the usual outcome of a position, which then costs one statement. */
static const struct pg_stmt st_msg_insert = { "w_msg_insert",
	"INSERT INTO messages(id, topic, profile, received_ms, sha256,"
	" outcome, kind, payload, replay_of)"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	" ON CONFLICT (sha256, topic) DO NOTHING RETURNING id" };
static const struct pg_stmt st_msg_update = { "w_msg_update",
	"UPDATE messages SET outcome = $2, kind = $3 WHERE id = $1" };
static const struct pg_stmt st_msg_outcome = { "w_msg_outcome",
	"UPDATE messages SET outcome = $2 WHERE id = $1" };

static const char *const outcome_names[] = { "stored", "duplicate", "history" };

static int
msg_send(struct store_pgsql *s, struct pgw *w, const struct store_msg *m,
    int64_t mid, const char *outcome, const char *kind)
{
	struct pgw_msg *t;
	struct pgp p;

	if ((t = msg_new(w, mid)) == NULL || key_add(w, m) == -1) {
		store_pgsql_fail(s, "out of memory");
		return -1;
	}
	if (w->pend == m && w->pend_mid == mid) {
		w->idpos++; /* the reserved id is used */
		w->pend = NULL;
	}
	pgp_init(&p);
	pgp_i64(&p, mid);
	pgp_text(&p, m->topic);
	pgp_text(&p, m->profile);
	pgp_i64(&p, m->received_ms);
	pgp_text(&p, m->sha256);
	pgp_text(&p, outcome);
	pgp_text(&p, kind);
	if (m->keep_payload)
		pgp_blob(&p, m->payload, m->payload_len);
	else
		pgp_null(&p);
	if (m->replay_of > 0)
		pgp_i64(&p, m->replay_of);
	else
		pgp_null(&p);
	return pgq_send(s, &st_msg_insert, &p, msg_inserted,
	    (int64_t)(t - w->msgs));
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
	pgp_init(&p);
	pgp_i64(&p, message_id);
	pgp_text(&p, outcome);
	pgp_text(&p, kind);
	return pgq_send(s, &st_msg_update, &p, NULL, 0);
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
	else if (res == STORE_DUPLICATE)
		t->sync_dup = 1;
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

/* ---- the vehicles seen ---- */

/*
 * `vehicles` is updated once per transaction and vehicle, not once per
 * position, as store_seen.c does for SQLite: the latest plate and device
 * in arrival order, the earliest and latest time. The rows are written
 * at commit in the order of their keys, so that two writers updating the
 * same vehicles take their locks in the same order and never deadlock.
 */
static const struct pg_stmt st_seen = { "w_seen",
	"INSERT INTO vehicles(vehicle, plate, device, first_seen_ms,"
	" last_seen_ms) VALUES($1, $2, $3, $4, $5)"
	" ON CONFLICT(vehicle) DO UPDATE SET"
	" plate = coalesce(excluded.plate, vehicles.plate),"
	" device = coalesce(excluded.device, vehicles.device),"
	" first_seen_ms = least(vehicles.first_seen_ms,"
	" excluded.first_seen_ms),"
	" last_seen_ms = greatest(vehicles.last_seen_ms,"
	" excluded.last_seen_ms)" };

static size_t
seen_slot(const struct pgw *w, const char *vehicle)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)vehicle; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (i = h & (w->seen_cap - 1); w->seen[i].vehicle != NULL;
	     i = (i + 1) & (w->seen_cap - 1))
		if (strcmp(w->seen[i].vehicle, vehicle) == 0)
			break;
	return i;
}

static int
seen_grow(struct pgw *w)
{
	struct pgw_seen *old = w->seen;
	size_t i, cap = w->seen_cap, ncap = cap == 0 ? 1024 : 2 * cap;

	if ((w->seen = calloc(ncap, sizeof(*w->seen))) == NULL) {
		w->seen = old;
		return -1;
	}
	w->seen_cap = ncap;
	for (i = 0; i < cap; i++)
		if (old[i].vehicle != NULL)
			w->seen[seen_slot(w, old[i].vehicle)] = old[i];
	free(old);
	return 0;
}

static int
keep_latest(char **dst, const char *src)
{
	char *copy;

	if (src == NULL)
		return 0;
	if ((copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

int
store_pgw_vehicle_seen(struct store_pgsql *s, const char *vehicle,
    const char *plate, const char *device, int64_t ts)
{
	struct pgw *w = pgw_of(s);
	struct pgw_seen *v;

	if (w == NULL || vehicle == NULL)
		return w == NULL ? -1 : 0;
	if (2 * (w->nseen + 1) > w->seen_cap && seen_grow(w) == -1)
		goto oom;
	v = &w->seen[seen_slot(w, vehicle)];
	if (v->vehicle == NULL) {
		if ((v->vehicle = strdup(vehicle)) == NULL)
			goto oom;
		v->first = v->last = ts;
		w->nseen++;
	}
	if (ts < v->first)
		v->first = ts;
	if (ts > v->last)
		v->last = ts;
	if (keep_latest(&v->plate, plate) == -1 ||
	    keep_latest(&v->device, device) == -1)
		goto oom;
	return 0;
oom:
	store_pgsql_fail(s, "out of memory");
	return -1;
}

static int
seen_cmp(const void *a, const void *b)
{
	const struct pgw_seen *x = *(const struct pgw_seen *const *)a;
	const struct pgw_seen *y = *(const struct pgw_seen *const *)b;

	return strcmp(x->vehicle, y->vehicle);
}

static int
seen_flush(struct store_pgsql *s, struct pgw *w)
{
	struct pgw_seen **order;
	struct pgp p;
	size_t i, n = 0;
	int rc = 0;

	if (w->nseen == 0)
		return 0;
	if ((order = calloc(w->nseen, sizeof(*order))) == NULL) {
		store_pgsql_fail(s, "out of memory");
		return -1;
	}
	for (i = 0; i < w->seen_cap; i++)
		if (w->seen[i].vehicle != NULL)
			order[n++] = &w->seen[i];
	qsort(order, n, sizeof(*order), seen_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		pgp_init(&p);
		pgp_text(&p, order[i]->vehicle);
		pgp_text(&p, order[i]->plate);
		pgp_text(&p, order[i]->device);
		pgp_i64(&p, order[i]->first);
		pgp_i64(&p, order[i]->last);
		rc = pgq_send(s, &st_seen, &p, NULL, 0);
	}
	free(order);
	return rc;
}

/* ---- the facility registry, read once per transaction ---- */

static const struct pg_stmt st_facilities = { "w_facilities",
	"SELECT id, district, kind, harmless FROM facilities" };

static int
fac_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pgw_fac *)a)->id,
	    ((const struct pgw_fac *)b)->id);
}

static int
fac_row(PGresult *r, int i, struct pgw_fac *out)
{
	const char *v;

	memset(out, 0, sizeof(*out));
	if ((out->id = strdup(pgr_text(r, i, 0))) == NULL)
		return -1;
	out->f.known = 1;
	if ((v = pgr_text(r, i, 1)) != NULL) {
		snprintf(out->f.district, sizeof(out->f.district), "%s", v);
		out->f.has_district = 1;
	}
	if ((v = pgr_text(r, i, 2)) != NULL) {
		snprintf(out->f.kind, sizeof(out->f.kind), "%s", v);
		out->f.has_kind = 1;
	}
	out->f.harmless = (int)pgr_i64(r, i, 3, -1);
	return 0;
}

static int
fac_load(struct store_pgsql *s, struct pgw *w)
{
	PGresult *r;
	int i, n;

	if (w->fac_loaded)
		return 0;
	fac_clear(w);
	if ((r = pgq_query(s, &st_facilities, NULL)) == NULL)
		return -1;
	n = PQntuples(r);
	if (n > 0 && (w->fac = calloc((size_t)n, sizeof(*w->fac))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		if (fac_row(r, i, &w->fac[i]) == -1)
			goto oom;
		w->nfac++;
	}
	PQclear(r);
	qsort(w->fac, w->nfac, sizeof(*w->fac), fac_cmp);
	w->fac_loaded = 1;
	return 0;
oom:
	PQclear(r);
	fac_clear(w);
	store_pgsql_fail(s, "out of memory");
	return -1;
}

int
store_pgw_facility_get(struct store_pgsql *s, const char *id,
    struct pgw_facility *f)
{
	struct pgw *w = pgw_of(s);
	struct pgw_fac key, *hit;

	memset(f, 0, sizeof(*f));
	f->harmless = -1;
	if (w == NULL)
		return -1;
	if (id == NULL)
		return 0;
	if (fac_load(s, w) == -1)
		return -1;
	key.id = (char *)(uintptr_t)id;
	hit = w->nfac > 0
	    ? bsearch(&key, w->fac, w->nfac, sizeof(*w->fac), fac_cmp)
	    : NULL;
	if (hit != NULL)
		*f = hit->f;
	return 0;
}

int64_t
store_pgw_facility_flag(struct store_pgsql *s, const char *id)
{
	struct pgw_facility f;

	if (id == NULL)
		return 0;
	if (store_pgw_facility_get(s, id, &f) == -1)
		return -1;
	return f.known ? 0 : DQ_UNKNOWN_FACILITY;
}

void
store_pgw_facility_forget(struct store_pgsql *s)
{
	struct pgw *w = s->area[PGA_WRITE];

	if (w != NULL)
		fac_clear(w);
}

/* ---- rejects, events ---- */

static const struct pg_stmt st_reject = { "w_reject",
	"INSERT INTO rejects(topic, profile, received_ms, payload,"
	" reason, detail) VALUES($1, $2, $3, $4, $5, $6)" };

int
store_pg_reject(struct store *pub, const struct store_msg *m,
    const char *reason, const char *detail)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;

	pgp_init(&p);
	pgp_text(&p, m->topic);
	pgp_text(&p, m->profile);
	pgp_i64(&p, m->received_ms);
	pgp_blob(&p, m->payload, m->payload_len);
	pgp_text(&p, reason);
	pgp_text(&p, detail);
	return pgq_send(s, &st_reject, &p, NULL, 0);
}

int
store_pg_event(struct store *pub, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	int rc;

	if (store_pgw_message_sent(s, message_id, e->kind) == -1)
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

	if (w == NULL)
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
	if (pgq_collect(s) == -1 || fix_outcomes(s, w) == -1 ||
	    seen_flush(s, w) == -1)
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
	seen_clear(w);
	/* Another writer may change the registry between transactions. */
	fac_clear(w);
}
