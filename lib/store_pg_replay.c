/*
 * store_pg_replay: replaying stored rejects on PostgreSQL (store.h,
 * docs/replay.md), the statements of SQLite's store_replay.c: rows in
 * the order of receipt (rejects_received: time, then id; the month
 * partitions before the period's start are pruned from the plan), a
 * chunk at a time, and the outcome recorded on each. And the reading of
 * accepted messages a replay re-derives (store_rederive.c's next_sql).
 *
 * Correcting the rows of re-derived messages in place (SQLite's
 * store_rederive()) is not ported yet: opening such a job refuses, with
 * a log line that says so, before any message is read.
 */
#include "store_pg_int.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

/* SQLite's SKIP: another reason, a cut payload, replayed into rows. */
#define SKIP                                                                   \
	" (reason = 'too_large' OR reason IS DISTINCT FROM"                    \
	" coalesce($5::text, reason) OR (replay_outcome IS NOT NULL"           \
	" AND replay_outcome <> 'rejected'))"
static const struct pg_stmt st_replay_next = { "y_replay_next",
	"SELECT id, received_ms, topic, reason,"
	" CASE WHEN" SKIP " THEN NULL ELSE payload END, (" SKIP ")::int"
	" FROM rejects WHERE received_ms >= $2"
	" AND (received_ms > $2 OR id > $1) AND received_ms < $3"
	" ORDER BY received_ms, id LIMIT $4" };

static const struct pg_stmt st_replay_mark = { "y_replay_mark",
	"UPDATE rejects SET replayed_ms = $2, replay_outcome = $3,"
	" replay_detail = $4 WHERE id = $1 AND (replay_outcome IS DISTINCT"
	" FROM $3::text OR replay_detail IS DISTINCT FROM $4::text)" };

static const struct pg_stmt st_rederive_next = { "y_rederive_next",
	"SELECT id, received_ms, topic, profile, coalesce(kind, ''),"
	" CASE WHEN kind IS NOT DISTINCT FROM 'position'"
	" OR profile IS DISTINCT FROM coalesce($4::text, profile)"
	" THEN NULL ELSE payload END"
	" FROM messages WHERE received_ms >= $2"
	" AND (received_ms > $2 OR id > $1) AND received_ms < $3"
	" ORDER BY received_ms, id LIMIT $5" };

static char *
text_dup(const PGresult *r, int row, int col)
{
	const char *t = pgr_text(r, row, col);

	return strdup(t != NULL ? t : "");
}

/* A bytea column as store_db_blob_dup() gives it: a buffer one byte
 * longer than the value (an empty or NULL value still gets one). */
static void *
blob_dup(const PGresult *r, int row, int col, size_t *len)
{
	unsigned char *raw = NULL;
	const char *t = pgr_text(r, row, col);
	size_t n = 0;
	char *p;

	*len = 0;
	if (t != NULL &&
	    (raw = PQunescapeBytea((const unsigned char *)t, &n)) == NULL)
		return NULL;
	if ((p = malloc(n + 1)) != NULL) {
		if (n > 0)
			memcpy(p, raw, n);
		*len = n;
	}
	if (raw != NULL)
		PQfreemem(raw);
	return p;
}

int
store_pg_replay_next(struct store *pub, const struct store_replay_filter *f,
    int64_t after_ms, int64_t after_id, size_t n, struct store_replay_row *rows,
    size_t *got)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct store_replay_row *w;
	struct pgp p;
	PGresult *r;
	size_t k, m;

	*got = 0;
	pgp_init(&p);
	pgp_i64(&p, after_id);
	pgp_i64(&p, after_ms > f->since_ms ? after_ms : f->since_ms);
	pgp_i64(&p, f->until_ms > 0 ? f->until_ms : INT64_MAX);
	pgp_i64(&p, (int64_t)n);
	pgp_text(&p, f->reason);
	if ((r = pgq_query(s, &st_replay_next, &p)) == NULL)
		return -1;
	m = (size_t)PQntuples(r);
	for (k = 0; k < m && k < n; k++) {
		w = &rows[k];
		w->id = pgr_i64(r, (int)k, 0, 0);
		w->received_ms = pgr_i64(r, (int)k, 1, 0);
		w->topic = text_dup(r, (int)k, 2);
		w->reason = text_dup(r, (int)k, 3);
		w->skip = (int)pgr_i64(r, (int)k, 5, 0);
		w->pruned = !w->skip && PQgetisnull(r, (int)k, 4);
		w->payload = blob_dup(r, (int)k, 4, &w->payload_len);
		if (w->topic == NULL || w->reason == NULL ||
		    w->payload == NULL) {
			store_replay_rows_free(rows, k + 1);
			PQclear(r);
			store_pgsql_fail(s, "replay: out of memory");
			return -1;
		}
	}
	PQclear(r);
	*got = k;
	return 0;
}

int
store_pg_replay_mark(struct store *pub, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;
	PGresult *r;

	*changed = 0;
	pgp_init(&p);
	pgp_i64(&p, id);
	pgp_i64(&p, now_ms);
	pgp_text(&p, outcome);
	pgp_text(&p, detail);
	if ((r = pgq_query(s, &st_replay_mark, &p)) == NULL)
		return -1;
	*changed = atoi(PQcmdTuples(r)) > 0;
	PQclear(r);
	return 0;
}

int
store_pg_rederive_next(struct store *pub, const struct store_rederive_filter *f,
    int64_t after_ms, int64_t after_id, size_t n,
    struct store_rederive_row *rows, size_t *got)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct store_rederive_row *w;
	struct pgp p;
	PGresult *r;
	size_t k, m;

	*got = 0;
	pgp_init(&p);
	pgp_i64(&p, after_id);
	pgp_i64(&p, after_ms > f->since_ms ? after_ms : f->since_ms);
	pgp_i64(&p, f->until_ms > 0 ? f->until_ms : INT64_MAX);
	pgp_text(&p, f->profile);
	pgp_i64(&p, (int64_t)n);
	if ((r = pgq_query(s, &st_rederive_next, &p)) == NULL)
		return -1;
	m = (size_t)PQntuples(r);
	for (k = 0; k < m && k < n; k++) {
		w = &rows[k];
		memset(w, 0, sizeof(*w));
		w->id = pgr_i64(r, (int)k, 0, 0);
		w->received_ms = pgr_i64(r, (int)k, 1, 0);
		w->topic = text_dup(r, (int)k, 2);
		w->profile = text_dup(r, (int)k, 3);
		w->kind = text_dup(r, (int)k, 4);
		if (w->topic == NULL || w->profile == NULL || w->kind == NULL ||
		    (!PQgetisnull(r, (int)k, 5) &&
			(w->payload = blob_dup(r, (int)k, 5,
			     &w->payload_len)) == NULL)) {
			store_rederive_rows_free(rows, k + 1);
			PQclear(r);
			store_pgsql_fail(s, "rederive: out of memory");
			return -1;
		}
	}
	PQclear(r);
	*got = k;
	return 0;
}

static void
not_ported(void)
{
	log_warnx("store: postgresql: re-deriving accepted messages (replay "
		  "--accepted) is not supported on PostgreSQL yet: their rows "
		  "are left as they are");
}

int
store_pg_rederive_open(struct store *pub, struct store_rederive **out)
{
	(void)pub;
	*out = NULL;
	not_ported();
	return -1;
}

int
store_pg_rederive(struct store_rederive *job, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out)
{
	(void)job;
	(void)message_id;
	(void)evs;
	(void)n;
	(void)local_offset_min;
	(void)now_ms;
	memset(out, 0, sizeof(*out));
	not_ported();
	return -1;
}

void
store_pg_rederive_close(struct store_rederive *job)
{
	(void)job;
}
