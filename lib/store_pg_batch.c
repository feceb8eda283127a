/*
 * store_pg_batch: the PostgreSQL writer's positions, many to a
 * statement. Nine messages in ten are one position; a statement per row
 * costs the server more than the row (store_pg_write.h). So positions,
 * with the rows of the messages they bring, wait here as JSON and go
 * out as one INSERT of messages and one of positions
 * (json_to_recordset), in arrival order, when 256 are waiting and
 * before any other statement of the write path: a statement after them
 * sees them as SQLite's would (a binding after a position does not
 * change its plate; a lookup of the message reads its row).
 *
 * What SQLite answers at once comes back with the results: the messages
 * another writer stored first (late duplicates; their positions are not
 * written, each guarded by its message's row), and which positions were
 * new (the vehicles seen, the messages' outcomes at commit).
 */
#include "store_pg_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Positions per statement (a few hundred kB of JSON). */
#define BATCH_ROWS 1024

struct pgw_batch {
	struct pgw_json msg, pos;
	size_t nmsg, npos;
	/* The cookies of the messages sent, per statement a range. */
	int64_t *sent;
	size_t nsent, sent_cap, sent_from;
};

static void
jb_need(struct pgw_json *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom || b->len + n + 1 <= b->cap)
		return;
	for (cap = b->cap ? b->cap : 4096; cap < b->len + n + 1; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void
jb_raw(struct pgw_json *b, const char *s, size_t n)
{
	jb_need(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
store_pgw_jlit(struct pgw_json *b, const char *s)
{
	jb_raw(b, s, strlen(s));
}

/* A JSON string (UTF-8 passes through; the store's texts are valid
 * UTF-8, checked on the way in), or null. */
void
store_pgw_jstr(struct pgw_json *b, const char *s)
{
	char esc[8];
	const char *run;

	if (s == NULL) {
		store_pgw_jlit(b, "null");
		return;
	}
	store_pgw_jlit(b, "\"");
	for (run = s; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_raw(b, run, (size_t)(s - run));
		snprintf(esc, sizeof(esc), "\\u%04x", c);
		store_pgw_jlit(b, esc);
		run = s + 1;
	}
	jb_raw(b, run, (size_t)(s - run));
	store_pgw_jlit(b, "\"");
}

void
store_pgw_ji64(struct pgw_json *b, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	store_pgw_jlit(b, num);
}

/* 17 digits: the double comes back the same; NaN is null. */
static void
jb_real(struct pgw_json *b, double v)
{
	char num[32];

	if (isnan(v) || isinf(v)) {
		store_pgw_jlit(b, "null");
		return;
	}
	snprintf(num, sizeof(num), "%.17g", v);
	store_pgw_jlit(b, num);
}

static void
jb_hex(struct pgw_json *b, const void *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *d = data;
	size_t i;

	jb_need(b, 2 * n + 2);
	if (b->oom)
		return;
	b->p[b->len++] = '"';
	for (i = 0; i < n; i++) {
		b->p[b->len++] = digits[d[i] >> 4];
		b->p[b->len++] = digits[d[i] & 15];
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

/* A field: ,"name": before its value (the first without the comma). */
void
store_pgw_jkey(struct pgw_json *b, const char *name)
{
	store_pgw_jlit(b, name[0] == 'n' && name[1] == '\0' ? "{\"" : ",\"");
	store_pgw_jlit(b, name);
	store_pgw_jlit(b, "\":");
}

/* ---- the state ---- */

void
store_pgw_batch_free(void *state)
{
	struct pgw_batch *b = state;

	if (b == NULL)
		return;
	free(b->msg.p);
	free(b->pos.p);
	free(b->sent);
	free(b);
}

static struct pgw_batch *
batch_of(struct store_pgsql *s)
{
	struct pgw_parts *parts = store_pgw_parts(s);

	if (parts == NULL)
		return NULL;
	if (parts->batch == NULL &&
	    (parts->batch = calloc(1, sizeof(struct pgw_batch))) == NULL)
		store_pgsql_fail(s, "out of memory");
	return parts->batch;
}

void
store_pgw_jreset(struct pgw_json *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
store_pgw_batch_end(struct store_pgsql *s)
{
	struct pgw_parts *parts = store_pgw_parts(s);
	struct pgw_batch *b = parts != NULL ? parts->batch : NULL;

	if (b == NULL)
		return;
	store_pgw_jreset(&b->msg);
	store_pgw_jreset(&b->pos);
	b->nmsg = b->npos = 0;
	b->nsent = b->sent_from = 0;
}

/* ---- sending ---- */

static const struct pg_stmt st_msgs = { "w_batch_msgs",
	"INSERT INTO messages(" STORE_PGW_MSG_COLS ")"
	" SELECT u.id, u.topic, u.profile, u.received_ms, u.sha256,"
	" u.outcome, u.kind, decode(u.payload, 'hex'), u.replay_of"
	" FROM json_to_recordset($1::json) AS u(n bigint, id bigint,"
	" topic text, profile text, received_ms bigint, sha256 text,"
	" outcome text, kind text, payload text, replay_of bigint)"
	" ORDER BY u.n ON CONFLICT (sha256, topic) DO NOTHING RETURNING id" };
/* The plate of a terminal that sends none is its binding's at the time;
 * a position is written only with its message's row (a scalar subquery,
 * not EXISTS: the planner would make that a join scanning messages). */
static const struct pg_stmt st_positions = { "w_batch_positions",
	"INSERT INTO positions(vehicle, device, plate, ts_ms,"
	" lat, lon, speed_kmh, heading_deg, alt_m, load_state, dq_flags,"
	" message_id) SELECT u.vehicle, u.device, coalesce(u.plate,"
	" (SELECT b.plate FROM device_bindings b WHERE b.device = u.device"
	" AND b.valid_from_ms <= u.ts_ms ORDER BY b.valid_from_ms DESC"
	" LIMIT 1)), u.ts_ms, u.lat, u.lon, u.speed_kmh, u.heading_deg,"
	" u.alt_m, u.load_state, u.dq_flags, u.message_id"
	" FROM json_to_recordset($1::json) AS u(n bigint, vehicle text,"
	" device text, plate text, ts_ms bigint, lat float8, lon float8,"
	" speed_kmh float8, heading_deg float8, alt_m float8,"
	" load_state text, dq_flags bigint, message_id bigint)"
	" WHERE (SELECT true FROM messages m WHERE m.id = u.message_id)"
	" ORDER BY u.n ON CONFLICT(vehicle, ts_ms) DO NOTHING"
	" RETURNING message_id, vehicle, plate, device, ts_ms" };

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The messages of one statement (a range of b->sent in the cookie)
 * whose row it did not write were stored by another writer first. */
static void
msgs_done(struct store_pgsql *s, PGresult *res, int64_t cookie)
{
	struct pgw_parts *parts = store_pgw_parts(s);
	struct pgw_batch *b = parts != NULL ? parts->batch : NULL;
	size_t from = (size_t)(cookie >> 32), n = (size_t)(cookie & 0xffffffff);
	int i, rows = PQntuples(res);
	int64_t *ids, mid;
	size_t k;

	if (b == NULL || from + n > b->nsent)
		return;
	if ((ids = calloc((size_t)rows + 1, sizeof(*ids))) == NULL) {
		s->failed = 1;
		return;
	}
	for (i = 0; i < rows; i++)
		ids[i] = pgr_i64(res, i, 0, 0);
	qsort(ids, (size_t)rows, sizeof(*ids), id_cmp);
	for (k = from; k < from + n; k++) {
		mid = store_pgw_message_id(s, b->sent[k]);
		store_pgw_message_result(s, b->sent[k],
		    bsearch(&mid, ids, (size_t)rows, sizeof(*ids), id_cmp) !=
			NULL);
	}
	free(ids);
}

/* The positions written: new, and their vehicles seen (in order). */
static void
positions_done(struct store_pgsql *s, PGresult *res, int64_t cookie)
{
	int i, rows = PQntuples(res);

	(void)cookie;
	for (i = 0; i < rows; i++) {
		store_pgw_async_result(s,
		    store_pgw_message_cookie(s, pgr_i64(res, i, 0, 0)), 1);
		/* A failure to remember the vehicle fails the commit. */
		if (store_pgw_vehicle_seen(s, pgr_text(res, i, 1),
			pgr_text(res, i, 2), pgr_text(res, i, 3),
			pgr_i64(res, i, 4, 0)) == -1)
			s->failed = 1;
	}
}

static int
send_json(struct store_pgsql *s, const struct pg_stmt *st, struct pgw_json *j,
    pgq_fn fn, int64_t cookie)
{
	struct pgp p;
	int rc;

	store_pgw_jlit(j, "]");
	if (j->oom) {
		store_pgsql_fail(s, "out of memory");
		return -1;
	}
	pgp_init(&p);
	pgp_text(&p, j->p);
	rc = pgq_send(s, st, &p, fn, cookie);
	store_pgw_jreset(j);
	return rc;
}

int
store_pgw_batch_flush(struct store_pgsql *s)
{
	struct pgw_parts *parts = store_pgw_parts(s);
	struct pgw_batch *b = parts != NULL ? parts->batch : NULL;
	int64_t range;

	if (b == NULL || b->npos == 0)
		return 0;
	if (b->nmsg > 0) {
		range = (int64_t)b->sent_from << 32 |
		    (int64_t)(b->nsent - b->sent_from);
		b->sent_from = b->nsent;
		b->nmsg = 0;
		if (send_json(s, &st_msgs, &b->msg, msgs_done, range) == -1)
			return -1;
	}
	b->npos = 0;
	return send_json(s, &st_positions, &b->pos, positions_done, 0);
}

/* ---- queueing ---- */

static int
add_msg(struct store_pgsql *s, struct pgw_batch *b, const struct store_msg *m,
    int64_t mid, int64_t cookie)
{
	int64_t *grown;
	size_t cap;

	if (b->nsent == b->sent_cap) {
		cap = b->sent_cap ? 2 * b->sent_cap : 512;
		if ((grown = realloc(b->sent, cap * sizeof(*grown))) == NULL) {
			store_pgsql_fail(s, "out of memory");
			return -1;
		}
		b->sent = grown;
		b->sent_cap = cap;
	}
	b->sent[b->nsent++] = cookie;
	store_pgw_jlit(&b->msg, b->nmsg == 0 ? "[" : ",");
	store_pgw_jkey(&b->msg, "n");
	store_pgw_ji64(&b->msg, (int64_t)b->nmsg++);
	store_pgw_jkey(&b->msg, "id");
	store_pgw_ji64(&b->msg, mid);
	store_pgw_jkey(&b->msg, "topic");
	store_pgw_jstr(&b->msg, m->topic);
	store_pgw_jkey(&b->msg, "profile");
	store_pgw_jstr(&b->msg, m->profile);
	store_pgw_jkey(&b->msg, "received_ms");
	store_pgw_ji64(&b->msg, m->received_ms);
	store_pgw_jkey(&b->msg, "sha256");
	store_pgw_jstr(&b->msg, m->sha256);
	store_pgw_jkey(&b->msg, "outcome");
	store_pgw_jstr(&b->msg, "stored");
	store_pgw_jkey(&b->msg, "kind");
	store_pgw_jstr(&b->msg, ev_kind_name(EV_POSITION));
	store_pgw_jkey(&b->msg, "payload");
	if (m->keep_payload)
		jb_hex(&b->msg, m->payload, m->payload_len);
	else
		store_pgw_jlit(&b->msg, "null");
	store_pgw_jkey(&b->msg, "replay_of");
	if (m->replay_of > 0)
		store_pgw_ji64(&b->msg, m->replay_of);
	else
		store_pgw_jlit(&b->msg, "null");
	store_pgw_jlit(&b->msg, "}");
	return 0;
}

static void
add_pos(struct pgw_batch *b, const struct ev *e, int64_t mid)
{
	const struct ev_position *p = &e->u.pos;
	struct pgw_json *j = &b->pos;

	store_pgw_jlit(j, b->npos == 0 ? "[" : ",");
	store_pgw_jkey(j, "n");
	store_pgw_ji64(j, (int64_t)b->npos++);
	store_pgw_jkey(j, "vehicle");
	store_pgw_jstr(j, p->vehicle);
	store_pgw_jkey(j, "device");
	store_pgw_jstr(j, p->device);
	store_pgw_jkey(j, "plate");
	store_pgw_jstr(j, p->plate);
	store_pgw_jkey(j, "ts_ms");
	store_pgw_ji64(j, p->ts_ms);
	store_pgw_jkey(j, "lat");
	jb_real(j, p->lat);
	store_pgw_jkey(j, "lon");
	jb_real(j, p->lon);
	store_pgw_jkey(j, "speed_kmh");
	jb_real(j, p->speed_kmh);
	store_pgw_jkey(j, "heading_deg");
	jb_real(j, p->heading_deg);
	store_pgw_jkey(j, "alt_m");
	jb_real(j, p->alt_m);
	store_pgw_jkey(j, "load_state");
	store_pgw_jstr(j, p->load_state);
	store_pgw_jkey(j, "dq_flags");
	store_pgw_ji64(j, e->dq);
	store_pgw_jkey(j, "message_id");
	store_pgw_ji64(j, mid);
	store_pgw_jlit(j, "}");
}

int
store_pgw_position(struct store_pgsql *s, const struct ev *e, int64_t mid,
    enum store_result *res)
{
	struct pgw_batch *b = batch_of(s);
	const struct store_msg *m;
	int64_t cookie;

	if (b == NULL)
		return -1;
	/* New until its result says otherwise (the message's outcome is
	 * then corrected at commit, store_pg_write.c). */
	*res = STORE_NEW;
	if ((m = store_pgw_message_take(s, mid, EV_POSITION, &cookie)) !=
	    NULL) {
		if (add_msg(s, b, m, mid, cookie) == -1)
			return -1;
	} else if (s->failed)
		return -1;
	else if (store_pgw_message_late(s, mid)) {
		/* Found stored by another writer already: nothing. */
		*res = STORE_DUPLICATE;
		return 0;
	}
	(void)store_pgw_async_cookie(s, mid);
	add_pos(b, e, mid);
	if (b->pos.oom || b->msg.oom) {
		store_pgsql_fail(s, "out of memory");
		return -1;
	}
	return b->npos >= BATCH_ROWS ? store_pgw_batch_flush(s) : 0;
}
