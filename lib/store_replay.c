/*
 * store_replay: the SQL of replaying stored rejects (store.h). The rows
 * are read in the order of receipt along rejects_received (time, then
 * id), after the last one read and before the period's end, a chunk at a
 * time: each chunk reads its own rows and no more, however many rows
 * before it the filters leave out, so a replay of yesterday over a year
 * of rejects, or of a rare reason, costs a chunk per slice.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

/* Rows a replay never turns into rows are read but flagged (skip), and
 * their payload left where it is: another reason, a cut payload
 * (too_large keeps a prefix), rows already replayed into rows. A pruned
 * payload is selected, to be reported as skipped. */
#define SKIP                                                                   \
	" (reason = 'too_large' OR reason IS NOT coalesce(?5, reason)"         \
	" OR (replay_outcome IS NOT NULL AND replay_outcome <> 'rejected'))"
static const char next_sql[] =
    "SELECT id, received_ms, topic, reason,"
    " CASE WHEN" SKIP " THEN NULL ELSE payload END," SKIP
    " FROM rejects WHERE received_ms >= ?2"
    " AND (received_ms > ?2 OR id > ?1) AND received_ms < ?3"
    " ORDER BY received_ms, id LIMIT ?4";

static const char mark_sql[] =
    "UPDATE rejects SET replayed_ms = ?2, replay_outcome = ?3,"
    " replay_detail = ?4 WHERE id = ?1 AND (replay_outcome IS NOT ?3"
    " OR replay_detail IS NOT ?4)";

/* Copy the current row of st into r; -1 when out of memory. */
static int
row_copy(sqlite3_stmt *st, struct store_replay_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->received_ms = sqlite3_column_int64(st, 1);
	r->topic = store_db_text_dup(st, 2);
	r->reason = store_db_text_dup(st, 3);
	r->skip = sqlite3_column_int(st, 5);
	r->pruned = !r->skip && sqlite3_column_type(st, 4) == SQLITE_NULL;
	r->payload = store_db_blob_dup(st, 4, &r->payload_len);
	return r->topic != NULL && r->reason != NULL && r->payload != NULL ? 0
									   : -1;
}

int
store_sqlite_replay_next(struct store *pub, const struct store_replay_filter *f,
    int64_t after_ms, int64_t after_id, size_t n, struct store_replay_row *rows,
    size_t *got)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	size_t k = 0;
	int rc = -1, step = SQLITE_DONE;

	*got = 0;
	if (sqlite3_prepare_v2(s->db, next_sql, -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2,
	    after_ms > f->since_ms ? after_ms : f->since_ms);
	sqlite3_bind_int64(st, 3, f->until_ms > 0 ? f->until_ms : INT64_MAX);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)n);
	store_bind_text(st, 5, f->reason);
	while (k < n && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_copy(st, &rows[k]) == -1) {
			store_replay_rows_free(rows, k + 1);
			goto done;
		}
		k++;
	}
	if (k < n && step != SQLITE_DONE) {
		store_replay_rows_free(rows, k);
		goto done;
	}
	*got = k;
	rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}

int
store_sqlite_replay_mark(struct store *pub, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*changed = 0;
	if (sqlite3_prepare_v2(s->db, mark_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	store_bind_text(st, 3, outcome);
	store_bind_text(st, 4, detail);
	if (sqlite3_step(st) == SQLITE_DONE) {
		*changed = sqlite3_changes(s->db) > 0;
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}
