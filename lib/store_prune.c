/*
 * store_prune: retention per kind of record (store.h, docs/database.md),
 * in slices, and giving the freed pages back (incremental auto-vacuum).
 *
 * A slice is one transaction of chunks: each chunk changes at most
 * PRUNE_CHUNK rows of one kind, the oldest first, found through an index
 * on the kind's time (schema v8; positions: their store order and their
 * key), so a chunk costs the same however much history the table holds. The slice stops at its row bound, or when its
 * time budget is spent, between chunks. Sits beside store_write.c in the
 * stack of store_int.h: it calls store_db.c and store_stmt.c only.
 */
#include "store_int.h"

#include "clock.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>

/* Rows per chunk at most and at least. A chunk's size follows its kind's
 * cost: about a quarter of the slice's budget, so a slice overshoots its
 * budget by that at most. Deleting a message dirties a random page of the
 * dedupe index: measured ~40 us a row on a 2-million-row file, against
 * ~10 us for a position. */
#define PRUNE_CHUNK	500
#define PRUNE_CHUNK_MIN 20

/*
 * One chunk of a kind: the statements run in order with :cut, :n and the
 * hold bound; the changes of the last one are the chunk's rows. Rows go
 * oldest first (ORDER BY the indexed time, LIMIT :n in a subquery:
 * DELETE ... LIMIT needs a compile-time option).
 */
struct chunk_sql {
	const char *before, *sql;
	const char *rest; /* then, while sql finds fewer than :n */
};

/* The vehicles with positions, one index seek each (a skip-scan of the
 * (vehicle, ts_ms) key). */
#define VEHICLES_CTE                                                           \
	"WITH RECURSIVE v(name) AS (SELECT min(vehicle) FROM positions"        \
	" UNION ALL SELECT (SELECT min(vehicle) FROM positions"                \
	" WHERE vehicle > v.name) FROM v WHERE v.name IS NOT NULL) "

/* A day's unloads are counted, whole, before the first of its events
 * goes; daily_unloads reads the count from then on. */
static const char unload_days_sql[] =
    "INSERT INTO daily_unload_results(day, unloads, authorised)"
    " SELECT day, count(*), sum(facility IS NOT NULL"
    " AND (dq_flags & 262144) = 0) FROM vehicle_events"
    " WHERE type = 'unload' AND day IN (SELECT day FROM vehicle_events"
    " WHERE ts_ms < :cut ORDER BY ts_ms LIMIT :n)"
    " AND day NOT IN (SELECT day FROM daily_unload_results) GROUP BY day";

static const struct chunk_sql chunk_sql[STORE_PRUNE_KINDS] = {
	/* Held rows (store_hold_payloads) count as received at the hold,
	 * like S_PRUNE; the partial index holds only rows with a payload. */
	[STORE_PRUNE_PAYLOADS] = { NULL,
	    "UPDATE messages SET payload = NULL WHERE id IN (SELECT id"
	    " FROM messages WHERE received_ms < :cut AND payload IS NOT NULL"
	    " AND (:cut > :hold_ms OR id >= :hold_mid)"
	    " ORDER BY received_ms LIMIT :n)" },
	/* The newest row stays: the next message id is max(id) + 1, and
	 * must not go back to ids the events still name. */
	[STORE_PRUNE_MESSAGES] = { NULL,
	    "DELETE FROM messages WHERE id IN (SELECT id FROM messages"
	    " WHERE received_ms < :cut AND id < (SELECT max(id) FROM"
	    " messages) ORDER BY received_ms LIMIT :n)" },
	[STORE_PRUNE_REJECT_PAYLOADS] = { NULL,
	    "UPDATE rejects SET payload = NULL WHERE id IN (SELECT id"
	    " FROM rejects WHERE received_ms < :cut AND payload IS NOT NULL"
	    " ORDER BY received_ms LIMIT :n)" },
	[STORE_PRUNE_REJECTS] = { NULL,
	    "DELETE FROM rejects WHERE id IN (SELECT id FROM rejects"
	    " WHERE received_ms < :cut ORDER BY received_ms LIMIT :n)" },
	/* In the order they were stored (rowid), which is their time's
	 * order but for late deliveries: a chunk looks at the first :n
	 * rows and takes those before the first one still young. Rows in
	 * store order sit together in the table, so a chunk dirties few
	 * pages, and positions, the most frequent insert, need no index on
	 * time. The few old points stored after a young one (delivered
	 * late) go then, vehicle by vehicle through the (vehicle, ts_ms)
	 * key. */
	[STORE_PRUNE_POSITIONS] = { NULL,
	    "DELETE FROM positions WHERE id IN (SELECT id FROM (SELECT id"
	    " FROM positions ORDER BY id LIMIT :n) WHERE id < coalesce(("
	    "SELECT min(id) FROM (SELECT id, ts_ms FROM positions ORDER BY"
	    " id LIMIT :n) WHERE ts_ms >= :cut), 9223372036854775807))",
	    VEHICLES_CTE
	    "DELETE FROM positions WHERE id IN (SELECT p.id"
	    " FROM v CROSS JOIN positions p WHERE p.vehicle = v.name"
	    " AND p.ts_ms < :cut LIMIT :n)" },
	/* Done by thin_chunk(). */
	[STORE_PRUNE_POSITIONS_THIN] = { NULL, NULL },
	[STORE_PRUNE_VEHICLE_EVENTS] = { unload_days_sql,
	    "DELETE FROM vehicle_events WHERE id IN (SELECT id FROM"
	    " vehicle_events WHERE ts_ms < :cut ORDER BY ts_ms LIMIT :n)" },
	[STORE_PRUNE_WEIGHINGS_HISTORY] = { NULL,
	    "DELETE FROM weighings_history WHERE id IN (SELECT id FROM"
	    " weighings_history WHERE first_ms < :cut ORDER BY first_ms"
	    " LIMIT :n)" },
	[STORE_PRUNE_FACILITY_STATUS] = { NULL,
	    "DELETE FROM facility_status WHERE id IN (SELECT id FROM"
	    " facility_status WHERE ts_ms < :cut ORDER BY ts_ms LIMIT :n)" },
};

/* Thinning walks forward through time, a window of whole intervals at a
 * time, each vehicle's part of it found through the (vehicle, ts_ms) key;
 * meta positions_thinned_ms says how far it got. The window's length
 * follows the cost of the last one. The first point of each vehicle in
 * each interval stays. */
static const char thin_sql[] =
    VEHICLES_CTE "DELETE FROM positions WHERE id IN (SELECT id FROM"
		 " (SELECT p.id, row_number() OVER (PARTITION BY p.vehicle,"
		 " p.ts_ms / :iv ORDER BY p.ts_ms, p.id) AS k FROM v CROSS JOIN"
		 " positions p WHERE p.vehicle = v.name AND p.ts_ms >= :a"
		 " AND p.ts_ms < :b) WHERE k > 1)";
/* The oldest position at or after :a, any vehicle: where the next window
 * starts, so that gaps in the data cost nothing. */
static const char thin_oldest_sql[] =
    VEHICLES_CTE "SELECT coalesce(min((SELECT min(ts_ms) FROM positions p"
		 " WHERE p.vehicle = v.name AND p.ts_ms >= :a)), -1) FROM v";

#define THIN_WINDOW_MAX_MS 86400000 /* a day */

struct hold {
	int64_t ms, mid; /* 0, 0: none */
};

static void
bind_named(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

/* Run one statement with the chunk's parameters; *rows its changes. A
 * SELECT's first column goes to *rows instead (-1: no row). */
static int
run_sql(struct store_sqlite *s, const char *sql, const int64_t *args,
    int64_t *rows)
{
	static const char *const names[] = { ":cut", ":n", ":hold_ms",
		":hold_mid", ":a", ":b", ":end", ":iv" };
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: prune: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bind_named(st, names[i], args[i]);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*rows = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*rows = sqlite3_stmt_readonly(st) ? -1 : sqlite3_changes(s->db);
	else
		log_warnx("store: prune: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

enum { A_CUT, A_N, A_HOLD_MS, A_HOLD_MID, A_A, A_B, A_END, A_IV, A_COUNT };

static int
meta_int(struct store_sqlite *s, const char *key, int64_t *v)
{
	sqlite3_stmt *st = s->st[S_META_GET];
	int found;

	store_bind_text(st, 1, key);
	if ((found = store_lookup(s, S_META_GET)) == 1) {
		*v = sqlite3_column_int64(st, 0);
		store_lookup_end(s, S_META_GET);
	}
	return found;
}

static int
meta_put(struct store_sqlite *s, const char *key, int64_t v)
{
	store_bind_text(s->st[S_META_SET], 1, key);
	sqlite3_bind_int64(s->st[S_META_SET], 2, v);
	return store_run(s, S_META_SET);
}

/* Where the next window starts: the interval of the oldest position at
 * or after the mark (meta positions_thinned_ms, 0 before the first
 * window); the end when there is none. */
static int
thin_start(struct store_sqlite *s, int64_t *args, int64_t *a)
{
	int64_t mark = 0;

	if (meta_int(s, "positions_thinned_ms", &mark) == -1)
		return -1;
	if (mark >= args[A_END]) {
		*a = mark;
		return 0;
	}
	args[A_A] = mark;
	if (run_sql(s, thin_oldest_sql, args, a) == -1)
		return -1;
	if (*a < 0 || *a >= args[A_END])
		*a = args[A_END];
	else
		*a -= *a % args[A_IV];
	return 0;
}

/* The next window: as long as would have taken a quarter of the budget
 * and deleted at most n rows, at most four times the last one (an empty
 * or sparse window says little about the next), and at most a day. */
static int
thin_next_window(int64_t w, int64_t took_us, int64_t budget_us, int64_t rows,
    int n)
{
	int64_t by_time =
	    took_us > 0 ? w * (budget_us / 4) / took_us : THIN_WINDOW_MAX_MS;
	int64_t by_rows = rows > 0 ? w * n / rows : THIN_WINDOW_MAX_MS;

	int64_t next = by_time < by_rows ? by_time : by_rows;

	if (next > 4 * w)
		next = 4 * w;
	return (int)(next > THIN_WINDOW_MAX_MS ? THIN_WINDOW_MAX_MS : next);
}

/* One window of whole intervals before the cutoff's interval; *window is
 * its length, then the next one's. */
static int
thin_chunk(struct store_sqlite *s, const struct store_retention *r,
    int64_t *args, int *window, int64_t budget_us, int64_t *rows, int *done)
{
	int64_t a = 0, w, t0 = clock_mono_us();

	args[A_IV] = r->thin_ms;
	args[A_END] = args[A_CUT] - args[A_CUT] % r->thin_ms;
	if (thin_start(s, args, &a) == -1)
		return -1;
	*rows = 0;
	*done = a >= args[A_END];
	if (*done)
		return 0;
	/* *window is for a chunk of PRUNE_CHUNK rows; this one may be
	 * smaller (the end of a slice). */
	w = *window > 0 ? (int64_t)*window * args[A_N] / PRUNE_CHUNK : 0;
	w = w > r->thin_ms ? w - w % r->thin_ms : r->thin_ms;
	args[A_A] = a;
	args[A_B] = a + w < args[A_END] ? a + w : args[A_END];
	if (run_sql(s, thin_sql, args, rows) == -1 ||
	    meta_put(s, "positions_thinned_ms", args[A_B]) == -1)
		return -1;
	*done = args[A_B] >= args[A_END];
	*window = thin_next_window(w, clock_mono_us() - t0, budget_us, *rows,
	    PRUNE_CHUNK);
	return 0;
}

static int
prune_chunk(struct store_sqlite *s, const struct store_retention *r,
    const struct hold *h, int kind, int n, int *window, int64_t budget_us,
    int64_t *rows, int *done)
{
	int64_t args[A_COUNT] = { 0 }, ignored, more;
	const struct chunk_sql *c = &chunk_sql[kind];

	args[A_CUT] = r->cutoff[kind];
	args[A_N] = n;
	args[A_HOLD_MS] = h->ms;
	args[A_HOLD_MID] = h->mid;
	*rows = 0;
	*done = 1;
	/* A kind kept whole; or, after a clock step, rows whose times came
	 * from the stepped clock: raw payloads have their own rule (held
	 * rows by id), the others wait until the cutoff passes the hold. */
	if (args[A_CUT] <= 0 ||
	    (kind != STORE_PRUNE_PAYLOADS && args[A_CUT] <= h->ms))
		return 0;
	if (kind == STORE_PRUNE_POSITIONS_THIN)
		return r->thin_ms > 0
		    ? thin_chunk(s, r, args, window, budget_us, rows, done)
		    : 0;
	if ((c->before != NULL &&
		run_sql(s, c->before, args, &ignored) == -1) ||
	    run_sql(s, c->sql, args, rows) == -1)
		return -1;
	if (*rows < n && c->rest != NULL) {
		args[A_N] = n - *rows;
		if (run_sql(s, c->rest, args, &more) == -1)
			return -1;
		*rows += more;
	}
	*done = *rows < n;
	return 0;
}

static int
read_hold(struct store_sqlite *s, struct hold *h)
{
	h->ms = h->mid = 0;
	if (meta_int(s, "payload_hold_ms", &h->ms) == -1 ||
	    meta_int(s, "payload_hold_mid", &h->mid) == -1)
		return -1;
	return 0;
}

/* The size that would have taken a quarter of the budget. */
static int
next_chunk(int n, int64_t took_us, int64_t budget_us)
{
	int64_t want =
	    took_us > 0 ? n * (budget_us / 4) / took_us : PRUNE_CHUNK;

	if (want > PRUNE_CHUNK)
		return PRUNE_CHUNK;
	return want < PRUNE_CHUNK_MIN ? PRUNE_CHUNK_MIN : (int)want;
}

/* The rows that would have taken three quarters of the budget. */
static int
next_limit(int64_t rows, int64_t took_us, int64_t budget_us)
{
	int64_t want =
	    took_us > 0 ? rows * (budget_us * 3 / 4) / took_us : INT32_MAX;

	if (want > INT32_MAX)
		want = INT32_MAX;
	return want < PRUNE_CHUNK_MIN ? PRUNE_CHUNK_MIN : (int)want;
}

/* The kind after k not yet done, in turn; STORE_PRUNE_KINDS when none. */
static int
next_kind(const struct store_prune *pr, int k)
{
	int i, c;

	for (i = 1; i <= STORE_PRUNE_KINDS; i++) {
		c = (k + i) % STORE_PRUNE_KINDS;
		if (!(pr->done & (1u << c)))
			return c;
	}
	return STORE_PRUNE_KINDS;
}

int
store_sqlite_prune_slice(struct store *pub, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	int64_t t0 = clock_mono_us(), t1, rows, total = 0;
	struct hold h;
	int done, n;
	int *chunk;

	if (store_sqlite_begin(&s->pub) == -1)
		return -1;
	if (read_hold(s, &h) == -1)
		goto fail;
	if (pr->limit > 0 && pr->limit < max_rows)
		max_rows = pr->limit;
	while (pr->kind < STORE_PRUNE_KINDS && total < max_rows &&
	    clock_mono_us() - t0 < budget_us) {
		chunk = &pr->chunk[pr->kind];
		n = *chunk > 0 ? *chunk : PRUNE_CHUNK;
		if (max_rows - total < n)
			n = (int)(max_rows - total);
		t1 = clock_mono_us();
		if (prune_chunk(s, r, &h, pr->kind, n, &pr->thin_window,
			budget_us, &rows, &done) == -1)
			goto fail;
		pr->rows[pr->kind] += rows;
		total += rows;
		if (done)
			pr->done |= 1u << pr->kind;
		else
			*chunk = next_chunk(n, clock_mono_us() - t1, budget_us);
		pr->kind = next_kind(pr, pr->kind);
	}
	if (store_sqlite_commit(&s->pub) == -1)
		goto fail;
	pr->slices++;
	/* The commit writes every page the slice dirtied, and deleting a
	 * message dirties a random page of the dedupe index: the slice as
	 * a whole, commit included, sets the next one's row bound. */
	if (pr->kind < STORE_PRUNE_KINDS && total > 0)
		pr->limit = next_limit(total, clock_mono_us() - t0, budget_us);
	return 0;
fail:
	store_sqlite_rollback(&s->pub);
	return -1;
}

int
store_sqlite_reclaim_slice(struct store *pub, int pages, int64_t budget_us,
    int64_t *freed, int64_t *left)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	int64_t t0 = clock_mono_us(), mode, before;
	char sql[64];

	*freed = *left = 0;
	if (store_pragma_int(s->db, "PRAGMA auto_vacuum", &mode) == -1 ||
	    store_pragma_int(s->db, "PRAGMA freelist_count", left) == -1)
		return -1;
	if (mode != 2) {
		*left = 0;
		return 0;
	}
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%d)", pages);
	while (*left > 0 && clock_mono_us() - t0 < budget_us) {
		before = *left;
		if (store_db_exec(s->db, sql) == -1 ||
		    store_pragma_int(s->db, "PRAGMA freelist_count", left) ==
			-1)
			return -1;
		*freed += before - *left;
		if (*left >= before) /* nothing moved: stop, not spin */
			break;
	}
	return 0;
}
