/*
 * store_pg_prune: retention on PostgreSQL (store.h, docs/database.md,
 * docs/postgresql.md "Partitions"), with the meaning of SQLite's
 * store_prune.c: the same kinds in the same turns, the same cutoffs, the
 * same rows left at the end of a round, the same counters.
 *
 * What differs is how positions and rejects go. They are partitioned by
 * time (positions by day, rejects by month: wt_partitions()), so a
 * partition wholly before its kind's cutoff is dropped whole (no dead
 * rows, no vacuum), its rows counted first under the lock the drop takes
 * anyway: pr->rows says rows removed, as in SQLite. The rows before the
 * cutoff left after that (the partition straddling it, and the default
 * partition) go in bounded chunks like every other kind; so does the
 * thinning of positions. The first slice of a round also creates the
 * partitions of today and the next two days (wt_partitions(), from this
 * host's clock), so that the instances inserting meanwhile always find
 * today's and tomorrow's; rows outside every partition (the days before
 * the first round, a device whose clock is far off) sit in
 * positions_default / rejects_default, move into a partition made later
 * for their range, and otherwise are thinned and pruned row by row there.
 *
 * A slice is a transaction outside the pipeline (DDL runs there, and
 * every statement's answer is read anyway). Only the leader prunes
 * (store_cluster_beat()); other instances insert meanwhile. Dropping a
 * partition locks its parent exclusively for the count and the drop:
 * inserts into that table wait that long (a count of one old day). The
 * lock is awaited for at most LOCK_WAIT (a reader's long transaction on
 * the table holds it off): then the slice fails, and the round with it,
 * as any failed slice does, to be tried again at the next round.
 */
#include "store_pg_int.h"

#include "clock.h"
#include "log.h"
#include "norm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As store_prune.c: rows per chunk at most and at least. */
#define PRUNE_CHUNK	   500
#define PRUNE_CHUNK_MIN	   20
#define THIN_WINDOW_MAX_MS 86400000 /* a day */
#define DAY_MS		   86400000
#define LOCK_WAIT	   "SET LOCAL lock_timeout = '1s'"
/* Partitions made ahead of today (wt_partitions()' ahead_days). */
#define AHEAD_DAYS 2

/* The partitions of $1 named by wt_partitions(), with their bounds in
 * ms, from their names as wt_partitions() reads them. */
#define PARTS(parent)                                                          \
	"SELECT relname, wt_day_ms(d) AS lo, wt_day_ms(CASE WHEN " parent      \
	" = 'rejects' THEN (d + interval '1 month')::date ELSE d + 1 END)"     \
	" AS hi FROM (SELECT c.relname::text AS relname,"                      \
	" to_date(substr(c.relname, length(" parent                            \
	") + 3) || CASE WHEN " parent                                          \
	" = 'rejects' THEN '01' ELSE '' END, 'YYYYMMDD') AS d"                 \
	" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"            \
	" WHERE i.inhparent = (" parent                                        \
	")::regclass AND c.relname ~ ('^' || " parent " || '_p[0-9]+$')) x"

/* The oldest partition of $1 wholly before the cutoff: named before $2,
 * the name of the cutoff's day (month) partition (wt_partitions()'
 * names: the same prefix and digits, in the order of their time). */
static const struct pg_stmt st_droppable = { "p_droppable",
	"SELECT c.relname FROM pg_inherits i JOIN pg_class c"
	" ON c.oid = i.inhrelid WHERE i.inhparent = $1::text::regclass"
	" AND c.relname ~ ('^' || $1::text || '_p[0-9]+$')"
	" AND c.relname::text COLLATE \"C\" < $2::text COLLATE \"C\""
	" ORDER BY c.relname::text COLLATE \"C\" LIMIT 1" };

static const struct pg_stmt st_ahead = { "p_ahead",
	"SELECT wt_partitions($1, $2, $3, 0)" };

/* The hold (store_hold_payloads) and the thinning's mark. */
static const struct pg_stmt st_marks = { "p_marks",
	"SELECT coalesce(wt_meta_num('payload_hold_ms'), 0)::bigint,"
	" coalesce(wt_meta_num('payload_hold_mid'), 0)::bigint,"
	" coalesce(wt_meta_num('positions_thinned_ms'), 0)::bigint" };
static const struct pg_stmt st_mark_set = { "p_mark_set",
	"INSERT INTO meta(key, value) VALUES('positions_thinned_ms', $1)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value" };

/* A day's unloads, counted whole before the first of its events goes
 * (store_prune.c's unload_days_sql). */
static const struct pg_stmt st_unload_days = { "p_unload_days",
	"INSERT INTO daily_unload_results(day, unloads, authorised)"
	" SELECT day, count(*), sum((facility IS NOT NULL"
	" AND (dq_flags & 262144) = 0)::int) FROM vehicle_events"
	" WHERE type = 'unload' AND day IN (SELECT day FROM vehicle_events"
	" WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2)"
	" AND day NOT IN (SELECT day FROM daily_unload_results) GROUP BY day" };

/*
 * One chunk of each kind with $1 the cutoff and $2 the rows at most (and
 * $3, $4 the hold for raw payloads), the oldest first where an index on
 * the kind's time gives that order. Positions have no such index (the
 * most frequent insert): the rows before the cutoff, once the partitions
 * before it are gone, are those of one day and of the default partition,
 * taken in any order.
 */
static const struct pg_stmt st_chunk[STORE_PRUNE_KINDS] = {
	[STORE_PRUNE_PAYLOADS] = { "p_payloads",
	    "UPDATE messages SET payload = NULL WHERE id IN (SELECT id"
	    " FROM messages WHERE received_ms < $1 AND payload IS NOT NULL"
	    " AND ($1 > $3::bigint OR id >= $4::bigint)"
	    " ORDER BY received_ms LIMIT $2)" },
	/* The newest row stays, as in SQLite (there its id is the next
	 * one's base; here ids come from a sequence, but the same rows are
	 * kept on both backends). */
	[STORE_PRUNE_MESSAGES] = { "p_messages",
	    "DELETE FROM messages WHERE id IN (SELECT id FROM messages"
	    " WHERE received_ms < $1 AND id < (SELECT max(id) FROM"
	    " messages) ORDER BY received_ms LIMIT $2)" },
	[STORE_PRUNE_REJECT_PAYLOADS] = { "p_reject_payloads",
	    "UPDATE rejects SET payload = NULL WHERE received_ms < $1"
	    " AND id IN (SELECT id FROM rejects WHERE received_ms < $1"
	    " AND payload IS NOT NULL ORDER BY received_ms LIMIT $2)" },
	[STORE_PRUNE_REJECTS] = { "p_rejects",
	    "DELETE FROM rejects WHERE received_ms < $1 AND id IN (SELECT id"
	    " FROM rejects WHERE received_ms < $1 ORDER BY received_ms"
	    " LIMIT $2)" },
	[STORE_PRUNE_POSITIONS] = { "p_positions",
	    "DELETE FROM positions WHERE ts_ms < $1 AND (vehicle, ts_ms) IN"
	    " (SELECT vehicle, ts_ms FROM positions WHERE ts_ms < $1"
	    " LIMIT $2)" },
	[STORE_PRUNE_POSITIONS_THIN] = { NULL, NULL }, /* thin_chunk() */
	[STORE_PRUNE_VEHICLE_EVENTS] = { "p_vehicle_events",
	    "DELETE FROM vehicle_events WHERE id IN (SELECT id FROM"
	    " vehicle_events WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2)" },
	[STORE_PRUNE_WEIGHINGS_HISTORY] = { "p_weighings_history",
	    "DELETE FROM weighings_history WHERE id IN (SELECT id FROM"
	    " weighings_history WHERE first_ms < $1 ORDER BY first_ms"
	    " LIMIT $2)" },
	[STORE_PRUNE_FACILITY_STATUS] = { "p_facility_status",
	    "DELETE FROM facility_status WHERE id IN (SELECT id FROM"
	    " facility_status WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2)" },
};

/*
 * Thinning, as store_prune.c's: a window [$1, $2) of whole intervals of
 * $3 ms at a time keeps the first point of each vehicle in each
 * interval. The window is at most a day, so it lies in at most two day
 * partitions ($4, $5: the days it touches). The vehicles come from a
 * skip-scan of the (vehicle, ts_ms) key in those days, as SQLite's
 * VEHICLES_CTE, and each one's part of the window through that key; the
 * rows go by their ctid (a TID scan; their key checks the partition),
 * since a join on the key makes the planner read the whole day.
 */
static const struct pg_stmt st_thin = { "p_thin",
	"WITH RECURSIVE v(name) AS (SELECT min(vehicle) FROM positions"
	" WHERE ts_ms >= $4 AND ts_ms < $5 UNION ALL SELECT (SELECT"
	" min(vehicle) FROM positions WHERE vehicle > v.name"
	" AND ts_ms >= $4 AND ts_ms < $5) FROM v WHERE v.name IS NOT NULL),"
	" z AS MATERIALIZED (SELECT x.vehicle, x.ts_ms, x.c FROM v CROSS JOIN"
	" LATERAL (SELECT p.vehicle, p.ts_ms, p.ctid AS c, row_number() OVER"
	" (PARTITION BY p.ts_ms / $3 ORDER BY p.ts_ms) AS k FROM positions p"
	" WHERE p.vehicle = v.name AND p.ts_ms >= $1 AND p.ts_ms < $2) x"
	" WHERE x.k > 1)"
	" DELETE FROM positions d WHERE d.ts_ms >= $1 AND d.ts_ms < $2"
	" AND d.ctid = ANY (ARRAY(SELECT c FROM z))"
	" AND (d.vehicle, d.ts_ms) IN (SELECT vehicle, ts_ms FROM z)" };

/* Where the next window can start: the oldest position at or after $1
 * in its day ($2, $3: the day's bounds), each vehicle's through the
 * (vehicle, ts_ms) key after a skip-scan of the vehicles of that day, as
 * SQLite's thin_oldest_sql; NULL when none. */
static const struct pg_stmt st_thin_day = { "p_thin_day",
	"WITH RECURSIVE v(name) AS (SELECT min(vehicle) FROM positions"
	" WHERE ts_ms >= $2 AND ts_ms < $3 UNION ALL SELECT (SELECT"
	" min(vehicle) FROM positions WHERE vehicle > v.name"
	" AND ts_ms >= $2 AND ts_ms < $3) FROM v WHERE v.name IS NOT NULL)"
	" SELECT min((SELECT min(p.ts_ms) FROM positions p"
	" WHERE p.vehicle = v.name AND p.ts_ms >= $1 AND p.ts_ms < $3))"
	" FROM v" };

/* Past a gap of more than a day: the first day at or after $1 and
 * before $2 with a position, the first partition that has one (tried in
 * order: OFFSET 0 keeps the test out of the sort) or the default
 * partition's oldest; NULL when none. */
/* PARTS() in the text: clang-format 14 indents it anew at each run. */
/* clang-format off */
static const struct pg_stmt st_thin_far = { "p_thin_far",
	"SELECT least((SELECT min(ts_ms) FROM positions_default"
	" WHERE ts_ms >= $1 AND ts_ms < $2), (SELECT greatest($1, p.lo)"
	" FROM (SELECT * FROM (" PARTS("'positions'") ") p0"
	" WHERE p0.hi > $1 AND p0.lo < $2 ORDER BY p0.lo OFFSET 0) p"
	" WHERE EXISTS (SELECT 1 FROM positions q WHERE q.ts_ms >="
	" greatest($1, p.lo) AND q.ts_ms < p.hi) LIMIT 1))" };
/* clang-format on */

/* What a handle remembers between slices (PGA_PRUNE): the cutoff of
 * each partitioned table below which no partition is left to drop, so
 * that a round looks the partitions up once per table and not once per
 * chunk (none older is ever made: wt_partitions() makes days ahead). */
struct prune_state {
	int64_t none_below[2]; /* positions, rejects */
	/* The thinning's mark after a window that had points: the next
	 * window starts there, without looking for the oldest point (the
	 * look costs as much as a window: a gap is only past an empty one). */
	int64_t dense_at;
};

static void *
prune_state_new(void)
{
	return calloc(1, sizeof(struct prune_state));
}

struct marks {
	int64_t hold_ms, hold_mid, thinned_ms;
};

/* What a chunk did: rows changed, whether its kind is done this round,
 * and whether the slice has no room left for it (a partition larger
 * than what the slice may still change: it waits for the next slice,
 * where it goes alone). */
struct chunk {
	int64_t rows;
	int done, full;
};

static int64_t
cmd_rows(PGresult *r)
{
	return strtoll(PQcmdTuples(r), NULL, 10);
}

/* Run st; its changed rows (or the first column of a SELECT's first
 * row, -1 when none) in *v. */
static int
run(struct store_pgsql *s, const struct pg_stmt *st, const struct pgp *p,
    int64_t *v)
{
	PGresult *r = pgq_query(s, st, p);

	if (r == NULL)
		return -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		*v = PQntuples(r) > 0 ? pgr_i64(r, 0, 0, -1) : -1;
	else
		*v = cmd_rows(r);
	PQclear(r);
	return 0;
}

/* One text built here (names of partitions), outside the statement
 * cache; the first column of its first row in *v when it has one. */
static int
exec_sql(struct store_pgsql *s, const char *sql, int64_t *v)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st == PGRES_TUPLES_OK && v != NULL)
		*v = PQntuples(r) > 0 ? pgr_i64(r, 0, 0, 0) : 0;
	else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		store_pgsql_fail(s, "prune: %.80s: %s", sql,
		    PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/*
 * Drop the oldest partition of parent wholly before cut, if any (*found):
 * parent locked first (the drop needs that lock; taking it before the
 * partition's keeps the order inserts take them in), its rows counted,
 * then dropped. room: the rows the slice may still change; a larger
 * partition is left (c->full) unless the slice has changed nothing yet.
 */
static int
drop_partition(struct store_pgsql *s, const char *parent, int64_t cut,
    int64_t room, int first, struct chunk *c, int *found)
{
	char sql[256], day[16], *id = NULL;
	struct prune_state *ps;
	int64_t *none;
	struct pgp p;
	PGresult *r;
	int64_t n = 0;
	int rc = -1;

	*found = 0;
	if ((ps = store_pgsql_area(s, PGA_PRUNE, prune_state_new, free)) ==
	    NULL)
		return -1;
	none = &ps->none_below[strcmp(parent, "rejects") == 0];
	if (cut <= *none)
		return 0;
	/* The cutoff's partition: those before it end at or before it. */
	norm_local_day(cut, 0, day);
	snprintf(sql, sizeof(sql), "%s_p%.4s%.2s%.2s", parent, day, day + 5,
	    strcmp(parent, "rejects") == 0 ? "" : day + 8);
	pgp_init(&p);
	pgp_text(&p, parent);
	pgp_text(&p, sql);
	if ((r = pgq_query(s, &st_droppable, &p)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		*none = cut;
		return 0;
	}
	*found = 1;
	id = PQescapeIdentifier(s->conn, pgr_text(r, 0, 0),
	    strlen(pgr_text(r, 0, 0)));
	PQclear(r);
	if (id == NULL) {
		store_pgsql_fail(s, "prune: %s", PQerrorMessage(s->conn));
		return -1;
	}
	snprintf(sql, sizeof(sql),
	    "LOCK TABLE ONLY %s IN ACCESS EXCLUSIVE MODE", parent);
	if (exec_sql(s, sql, NULL) == -1)
		goto done;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", id);
	if (exec_sql(s, sql, &n) == -1)
		goto done;
	if (n > room && !first) {
		c->full = 1;
		rc = 0;
		goto done;
	}
	snprintf(sql, sizeof(sql), "DROP TABLE %s", id);
	if (exec_sql(s, sql, NULL) == -1)
		goto done;
	c->rows = n;
	rc = 0;
done:
	PQfreemem(id);
	return rc;
}

static int
mark_put(struct store_pgsql *s, int64_t v)
{
	struct pgp p;

	pgp_init(&p);
	pgp_i64(&p, v);
	return pgq_run(s, &st_mark_set, &p);
}

/* store_prune.c's: the next window's length from the last one's cost. */
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

static int64_t
floor_day(int64_t ms)
{
	return ms - ((ms % DAY_MS) + DAY_MS) % DAY_MS;
}

/* The oldest position at or after from: in its day, the next day, or
 * past a longer gap; -1 when none before end. */
static int
thin_oldest(struct store_pgsql *s, int64_t from, int64_t end, int64_t *a)
{
	int64_t day = floor_day(from);
	struct pgp p;
	int i;

	*a = -1;
	for (i = 0; i < 2 && *a < 0 && day < end; i++) {
		pgp_init(&p);
		pgp_i64(&p, from);
		pgp_i64(&p, day);
		pgp_i64(&p, day + DAY_MS);
		if (run(s, &st_thin_day, &p, a) == -1)
			return -1;
		from = day = day + DAY_MS;
	}
	if (*a >= 0 || day >= end)
		return 0;
	pgp_init(&p);
	pgp_i64(&p, from);
	pgp_i64(&p, end);
	return run(s, &st_thin_far, &p, a);
}

/* Where the next window starts: the interval of the oldest position at
 * or after the mark; end when there is none. */
static int
thin_start(struct store_pgsql *s, struct marks *m, int64_t iv, int64_t end,
    int64_t *a)
{
	if (m->thinned_ms >= end) {
		*a = m->thinned_ms;
		return 0;
	}
	if (thin_oldest(s, m->thinned_ms, end, a) == -1)
		return -1;
	if (*a < 0 || *a >= end)
		*a = end;
	else
		*a -= *a % iv;
	return 0;
}

/* One window of whole intervals before the cutoff's interval, as
 * store_prune.c's thin_chunk(); *window is its length, then the next
 * one's. */
static int
thin_chunk(struct store_pgsql *s, const struct store_retention *r,
    struct marks *m, int64_t n, int *window, int64_t budget_us, struct chunk *c)
{
	int64_t cut = r->cutoff[STORE_PRUNE_POSITIONS_THIN], iv = r->thin_ms;
	int64_t end = cut - cut % iv, a = 0, b, w, t0 = clock_mono_us();
	struct prune_state *ps;
	struct pgp p;

	if ((ps = store_pgsql_area(s, PGA_PRUNE, prune_state_new, free)) ==
	    NULL)
		return -1;
	if (ps->dense_at > 0 && ps->dense_at == m->thinned_ms &&
	    m->thinned_ms < end)
		a = m->thinned_ms - m->thinned_ms % iv;
	else if (thin_start(s, m, iv, end, &a) == -1)
		return -1;
	c->done = a >= end;
	if (c->done)
		return 0;
	w = *window > 0 ? (int64_t)*window * n / PRUNE_CHUNK : 0;
	w = w > iv ? w - w % iv : iv;
	b = a + w < end ? a + w : end;
	pgp_init(&p);
	pgp_i64(&p, a);
	pgp_i64(&p, b);
	pgp_i64(&p, iv);
	pgp_i64(&p, floor_day(a));
	pgp_i64(&p, floor_day(b - 1) + DAY_MS);
	if (run(s, &st_thin, &p, &c->rows) == -1 || mark_put(s, b) == -1)
		return -1;
	m->thinned_ms = b;
	ps->dense_at = c->rows > 0 ? b : 0;
	c->done = b >= end;
	*window = thin_next_window(w, clock_mono_us() - t0, budget_us, c->rows,
	    PRUNE_CHUNK);
	return 0;
}

/* Rows of a kind before its cutoff: partitions first, one a chunk. */
static int
rows_chunk(struct store_pgsql *s, int kind, int64_t cut, const struct marks *m,
    int64_t n, int first, struct chunk *c)
{
	const char *parent = kind == STORE_PRUNE_POSITIONS ? "positions"
	    : kind == STORE_PRUNE_REJECTS		   ? "rejects"
							   : NULL;
	int64_t ignored;
	struct pgp p;
	int found = 0;

	if (parent != NULL &&
	    drop_partition(s, parent, cut, n, first, c, &found) == -1)
		return -1;
	if (found) {
		c->done = 0; /* another may follow */
		return 0;
	}
	pgp_init(&p);
	pgp_i64(&p, cut);
	pgp_i64(&p, n);
	if (kind == STORE_PRUNE_VEHICLE_EVENTS &&
	    run(s, &st_unload_days, &p, &ignored) == -1)
		return -1;
	if (kind == STORE_PRUNE_PAYLOADS) {
		pgp_i64(&p, m->hold_ms);
		pgp_i64(&p, m->hold_mid);
	}
	if (run(s, &st_chunk[kind], &p, &c->rows) == -1)
		return -1;
	c->done = c->rows < n;
	return 0;
}

static int
prune_chunk(struct store_pgsql *s, const struct store_retention *r,
    struct marks *m, int kind, int64_t n, int first, int *window,
    int64_t budget_us, struct chunk *c)
{
	int64_t cut = r->cutoff[kind];

	memset(c, 0, sizeof(*c));
	c->done = 1;
	/* Kept whole; or after a clock step, as store_prune.c. */
	if (cut <= 0 || (kind != STORE_PRUNE_PAYLOADS && cut <= m->hold_ms))
		return 0;
	if (kind == STORE_PRUNE_POSITIONS_THIN)
		return r->thin_ms > 0
		    ? thin_chunk(s, r, m, n, window, budget_us, c)
		    : 0;
	return rows_chunk(s, kind, cut, m, n, first, c);
}

/* The partitions of today and the next days, from this host's clock. */
static int
make_ahead(struct store_pgsql *s)
{
	static const char *const parents[] = { "positions", "rejects" };
	int64_t made, now = clock_ms();
	struct pgp p;
	size_t i;

	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		pgp_init(&p);
		pgp_text(&p, parents[i]);
		pgp_i64(&p, now);
		pgp_i64(&p, AHEAD_DAYS);
		if (run(s, &st_ahead, &p, &made) == -1)
			return -1;
		if (made > 0)
			log_info("store: postgresql: %lld partition(s) of %s "
				 "made ahead",
			    (long long)made, parents[i]);
	}
	return 0;
}

static int
read_marks(struct store_pgsql *s, struct marks *m)
{
	PGresult *r = pgq_query(s, &st_marks, NULL);

	if (r == NULL)
		return -1;
	m->hold_ms = pgr_i64(r, 0, 0, 0);
	m->hold_mid = pgr_i64(r, 0, 1, 0);
	m->thinned_ms = pgr_i64(r, 0, 2, 0);
	PQclear(r);
	return 0;
}

/* store_prune.c's: the chunk that would have taken a quarter of the
 * budget; the slice's rows that would have taken three quarters. */
static int
next_chunk(int64_t n, int64_t took_us, int64_t budget_us)
{
	int64_t want =
	    took_us > 0 ? n * (budget_us / 4) / took_us : PRUNE_CHUNK;

	if (want > PRUNE_CHUNK)
		return PRUNE_CHUNK;
	return want < PRUNE_CHUNK_MIN ? PRUNE_CHUNK_MIN : (int)want;
}

static int
next_limit(int64_t rows, int64_t took_us, int64_t budget_us)
{
	int64_t want =
	    took_us > 0 ? rows * (budget_us * 3 / 4) / took_us : INT32_MAX;

	if (want > INT32_MAX)
		want = INT32_MAX;
	return want < PRUNE_CHUNK_MIN ? PRUNE_CHUNK_MIN : (int)want;
}

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

/* The chunks of a slice, as store_prune.c's loop; *total the rows. */
static int
slice_chunks(struct store_pgsql *s, const struct store_retention *r,
    struct store_prune *pr, struct marks *m, int64_t max_rows,
    int64_t budget_us, int64_t t0, int64_t *total)
{
	struct chunk c;
	int64_t n, t1;
	int *chunk;

	while (pr->kind < STORE_PRUNE_KINDS && *total < max_rows &&
	    clock_mono_us() - t0 < budget_us) {
		chunk = &pr->chunk[pr->kind];
		n = *chunk > 0 ? *chunk : PRUNE_CHUNK;
		if (max_rows - *total < n)
			n = max_rows - *total;
		t1 = clock_mono_us();
		if (prune_chunk(s, r, m, pr->kind, n, *total == 0,
			&pr->thin_window, budget_us, &c) == -1)
			return -1;
		if (c.full)
			break; /* this kind first in the next slice */
		pr->rows[pr->kind] += c.rows;
		*total += c.rows;
		if (c.done)
			pr->done |= 1u << pr->kind;
		else
			*chunk = next_chunk(n, clock_mono_us() - t1, budget_us);
		pr->kind = next_kind(pr, pr->kind);
	}
	return 0;
}

static void
abandon(struct store_pgsql *s)
{
	struct prune_state *ps = s->area[PGA_PRUNE];

	/* What the slice saw is undone: look again next time. */
	if (ps != NULL)
		memset(ps, 0, sizeof(*ps));
	if (PQstatus(s->conn) == CONNECTION_BAD) {
		/* Made again at the writer's next store_begin(). */
		s->broken = 1;
		return;
	}
	if (exec_sql(s, "ROLLBACK", NULL) == -1)
		log_warnx("store: postgresql: prune: rollback failed");
}

int
store_pg_prune_slice(struct store *pub, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	int64_t t0 = clock_mono_us(), total = 0, limit = max_rows;
	struct marks m;

	if (s->in_txn) {
		store_pgsql_fail(s, "prune: a transaction is open");
		return -1;
	}
	if (store_pgsql_ready(s) == -1)
		return -1;
	if (pgq_exec(s, "BEGIN") == -1 || pgq_exec(s, LOCK_WAIT) == -1 ||
	    read_marks(s, &m) == -1 || (pr->slices == 0 && make_ahead(s) == -1))
		goto fail;
	if (pr->limit > 0 && pr->limit < limit)
		limit = pr->limit;
	if (slice_chunks(s, r, pr, &m, limit, budget_us, t0, &total) == -1)
		goto fail;
	if (pgq_exec(s, "COMMIT") == -1)
		goto fail;
	pr->slices++;
	if (pr->kind < STORE_PRUNE_KINDS && total > 0)
		pr->limit = next_limit(total, clock_mono_us() - t0, budget_us);
	return 0;
fail:
	abandon(s);
	return -1;
}

/*
 * store_query.c's due_sql: what a round would take, counted. $1 the
 * cutoff; thinning $2 the interval and $3 the positions' own cutoff.
 */
static const struct pg_stmt st_due[STORE_PRUNE_KINDS] = {
	[STORE_PRUNE_PAYLOADS] = { "p_due_payloads",
	    "SELECT count(*) FROM messages WHERE received_ms < $1"
	    " AND payload IS NOT NULL AND ($1 > coalesce("
	    "wt_meta_num('payload_hold_ms'), 0) OR id >= coalesce("
	    "wt_meta_num('payload_hold_mid'), 0))" },
	[STORE_PRUNE_MESSAGES] = { "p_due_messages",
	    "SELECT count(*) FROM messages WHERE received_ms < $1"
	    " AND id < (SELECT max(id) FROM messages)" },
	[STORE_PRUNE_REJECT_PAYLOADS] = { "p_due_reject_payloads",
	    "SELECT count(*) FROM rejects WHERE received_ms < $1"
	    " AND payload IS NOT NULL" },
	[STORE_PRUNE_REJECTS] = { "p_due_rejects",
	    "SELECT count(*) FROM rejects WHERE received_ms < $1" },
	[STORE_PRUNE_POSITIONS] = { "p_due_positions",
	    "SELECT count(*) FROM positions WHERE ts_ms < $1" },
	[STORE_PRUNE_POSITIONS_THIN] = { "p_due_thin",
	    "SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY"
	    " vehicle, ts_ms / $2::bigint ORDER BY ts_ms) AS k FROM positions"
	    " WHERE ts_ms >= greatest($3::bigint, coalesce(wt_meta_num("
	    "'positions_thinned_ms'), 0)::bigint)"
	    " AND ts_ms < $1::bigint - $1::bigint % $2::bigint) x WHERE k > 1" },
	[STORE_PRUNE_VEHICLE_EVENTS] = { "p_due_vehicle_events",
	    "SELECT count(*) FROM vehicle_events WHERE ts_ms < $1" },
	[STORE_PRUNE_WEIGHINGS_HISTORY] = { "p_due_weighings_history",
	    "SELECT count(*) FROM weighings_history WHERE first_ms < $1" },
	[STORE_PRUNE_FACILITY_STATUS] = { "p_due_facility_status",
	    "SELECT count(*) FROM facility_status WHERE ts_ms < $1" },
};

static const struct pg_stmt st_hold = { "p_hold",
	"SELECT coalesce(wt_meta_num('payload_hold_ms'), 0)::bigint" };

static int
count_due(struct store_pgsql *s, const struct store_retention *r, int k,
    int64_t *n)
{
	int64_t poscut = r->cutoff[STORE_PRUNE_POSITIONS];
	struct pgp p;

	pgp_init(&p);
	pgp_i64(&p, r->cutoff[k]);
	if (k == STORE_PRUNE_POSITIONS_THIN) {
		pgp_i64(&p, r->thin_ms);
		pgp_i64(&p, poscut > 0 ? poscut : 0);
	}
	return run(s, &st_due[k], &p, n);
}

int
store_pg_query_prune_due(struct store_query *q, const struct store_retention *r,
    int64_t due[STORE_PRUNE_KINDS])
{
	struct store_pgsql *s = store_pgsql_of_query(q);
	int64_t hold = 0;
	int k, rc = -1;

	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		due[k] = 0;
	/* One snapshot for every count, as SQLite's read transaction; no
	 * time limit a query's budget may have left on the session. A lost
	 * connection fails here: the query handle's own next query
	 * (store_pg_query.c) makes it again. */
	if (pgq_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") ==
	    -1)
		return -1;
	if (pgq_exec(s, "SET LOCAL statement_timeout = 0") == -1)
		goto done;
	if (run(s, &st_hold, NULL, &hold) == -1)
		goto done;
	for (k = 0; k < STORE_PRUNE_KINDS; k++) {
		if (r->cutoff[k] <= 0 ||
		    (k != STORE_PRUNE_PAYLOADS && r->cutoff[k] <= hold))
			continue;
		if (k == STORE_PRUNE_POSITIONS_THIN && r->thin_ms <= 0)
			continue;
		if (count_due(s, r, k, &due[k]) == -1)
			goto done;
	}
	rc = 0;
done:
	if (pgq_exec(s, rc == 0 ? "COMMIT" : "ROLLBACK") == -1)
		rc = -1;
	return rc;
}
