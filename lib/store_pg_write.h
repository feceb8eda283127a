/*
 * store_pg_write: what the files of the PostgreSQL backend's write path
 * (store_pg_write.c, store_pg_cache.c, store_pg_batch.c,
 * store_pg_event.c, store_pg_version.c, store_pg_sync.c) share; nothing
 * else includes it.
 *
 * The write path keeps, per writer handle (its PGA_WRITE slot), the
 * state of the open transaction: the messages it wrote (for late
 * duplicates and outcomes corrected at commit), the vehicles seen, and
 * the facility registry as read once per transaction.
 */
#ifndef WT_STORE_PG_WRITE_H
#define WT_STORE_PG_WRITE_H

#include "store_pg_int.h"

/* What the registry says of a facility, as store_int.h's
 * store_facility: rows keep these values. */
struct pgw_facility {
	int known, has_district, has_kind;
	int harmless; /* -1: unknown */
	char district[64], kind[32];
};

/* store_pg_write.c */

/* The state of the other files, kept in store_pg_write.c's slot. */
struct pgw_parts {
	void *cache; /* store_pg_cache.c's */
	void *batch; /* store_pg_batch.c's */
};
struct pgw_parts *store_pgw_parts(struct store_pgsql *s);

/* The columns of a message's row, in the order of
 * store_pgw_message_params(). */
#define STORE_PGW_MSG_COLS                                                     \
	"id, topic, profile, received_ms, sha256, outcome, kind, payload,"     \
	" replay_of"
/* The message message_find() called new, not written yet, when it is
 * message_id: from now on the caller's to write with its first event
 * (kind first), its row's result told through
 * store_pgw_message_result(cookie, inserted). NULL: none (or failed:
 * then s->failed). */
const struct store_msg *store_pgw_message_take(struct store_pgsql *s,
    int64_t message_id, enum ev_kind first, int64_t *cookie);
/* Append the 9 parameters of STORE_PGW_MSG_COLS. */
void store_pgw_message_params(struct pgp *p, const struct store_msg *m,
    int64_t mid, const char *outcome, const char *kind);
void store_pgw_message_result(struct store_pgsql *s, int64_t cookie,
    int inserted);
/* A message's id from its cookie, and back (-1: not of this
 * transaction). */
int64_t store_pgw_message_id(struct store_pgsql *s, int64_t cookie);
int64_t store_pgw_message_cookie(struct store_pgsql *s, int64_t message_id);

/* The message message_id's row is queued (before an event's statements
 * that must come after it): 0 or -1. */
int store_pgw_message_sent(struct store_pgsql *s, int64_t message_id,
    enum ev_kind first) WT_MUST_CHECK;
/* 1 when message_id turned out to be stored already by another writer
 * (known once the queue was collected: call after a pgq_query()). */
int store_pgw_message_late(struct store_pgsql *s, int64_t message_id);
/* A queued event of message_id whose answer comes later: new 1 (or 0)
 * once its result is read (store_pgw_async_result()). */
int64_t store_pgw_async_cookie(struct store_pgsql *s, int64_t message_id);
void store_pgw_async_result(struct store_pgsql *s, int64_t cookie, int isnew);
/* An event answered now: its result, for the message's outcome. */
void store_pgw_sync_result(struct store_pgsql *s, int64_t message_id,
    enum store_result res);
/* store_pg_cache.c: the transaction's caches */
void store_pgw_cache_free(void *state);
void store_pgw_cache_end(struct store_pgsql *s);
/* Queue the vehicles seen (at commit), in the order of their keys. */
int store_pgw_seen_flush(struct store_pgsql *s) WT_MUST_CHECK;
/* The vehicles-seen cache: written at commit, in the order of keys. */
int store_pgw_vehicle_seen(struct store_pgsql *s, const char *vehicle,
    const char *plate, const char *device, int64_t ts) WT_MUST_CHECK;
/* The registry as this transaction sees it (read at its first use). */
int store_pgw_facility_get(struct store_pgsql *s, const char *id,
    struct pgw_facility *f) WT_MUST_CHECK;
/* DQ_UNKNOWN_FACILITY when id names no facility of the registry; -1 on
 * failure (as a flag that would be all bits: check with < 0). */
int64_t store_pgw_facility_flag(struct store_pgsql *s, const char *id);
/* Forget the registry read (after store_sync_config() changed it). */
void store_pgw_facility_forget(struct store_pgsql *s);

/* store_pg_batch.c: rows as JSON for json_to_recordset(), a text that
 * grows (oom set when it could not: the text is then not to be sent) */
struct pgw_json {
	char *p;
	size_t len, cap;
	int oom;
};
void store_pgw_jreset(struct pgw_json *j);
void store_pgw_jlit(struct pgw_json *j, const char *s);
/* A string (NULL: null), an integer; a field's name: its first is "n",
 * which opens the object. */
void store_pgw_jstr(struct pgw_json *j, const char *s);
void store_pgw_ji64(struct pgw_json *j, int64_t v);
void store_pgw_jkey(struct pgw_json *j, const char *name);

/* store_pg_batch.c: positions, many to a statement */
void store_pgw_batch_free(void *state);
void store_pgw_batch_end(struct store_pgsql *s);
/* Queue the positions waiting (before any other statement of the write
 * path, and at commit). */
int store_pgw_batch_flush(struct store_pgsql *s) WT_MUST_CHECK;
int store_pgw_position(struct store_pgsql *s, const struct ev *e, int64_t mid,
    enum store_result *res) WT_MUST_CHECK;

/* store_pg_event.c: vehicle events, facility status and bindings, for
 * store_pg_event() */
int store_pgw_vehicle_event(struct store_pgsql *s, const struct ev *e,
    int64_t mid, int off_min, enum store_result *res) WT_MUST_CHECK;
int store_pgw_facility_status(struct store_pgsql *s, const struct ev *e,
    int64_t mid, enum store_result *res) WT_MUST_CHECK;
int store_pgw_binding(struct store_pgsql *s, const struct ev *e, int64_t mid,
    int64_t now_ms, enum store_result *res) WT_MUST_CHECK;

/* store_pg_version.c: manifests need now (milestones, updated_ms) */
int store_pgv_weighing(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, enum store_result *res);
void store_pgv_wb_figures(struct pgp *p, const struct ev_weighing *w);
int store_pgv_manifest_at(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, int64_t now_ms,
    enum store_result *res) WT_MUST_CHECK;

#endif
