/*
 * store: the database — schema, migrations, idempotent writes and the few
 * read queries the status endpoint needs. Backend-neutral: each function
 * goes through the table of the backend its handle was opened with
 * (lib/store_backend.h; the dispatcher is lib/store.c), and a backend is
 * a set of files of its own (lib/store_*.c, the only files with SQL).
 * docs/architecture.md, "Store backends", says what each backend does.
 *
 * One writer connection, used by the loop thread only, plus a read-only
 * connection for reports. All writes happen between store_begin() and
 * store_commit(); a failed write leaves the transaction to be rolled back
 * by the caller with store_rollback().
 */
#ifndef WT_STORE_H
#define WT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "event.h"
#include "spool.h"

struct store;
struct config;

#define STORE_SCHEMA_VERSION 15

/* What a write did: inserted, nothing new (idempotent no-op), or kept as
 * history without moving the current state (late or older version). */
enum store_result { STORE_NEW = 0, STORE_DUPLICATE = 1, STORE_HISTORY = 2 };

struct store_msg {
	const char *topic, *profile;
	const void *payload;
	size_t payload_len;
	int64_t received_ms;
	const char *sha256; /* 64 hex chars */
	int keep_payload;   /* raw_retention_days > 0 */
	int64_t replay_of;  /* the reject replayed (rejects.id); 0: none */
};

/*
 * Backends. A store is opened with a backend chosen by name
 * (database.backend); every function below then goes to that backend.
 * The functions that open by path without a backend name use the
 * default one, store_backend_default, as does a NULL name. An unknown
 * name, or a backend that lacks an operation, is refused: -1 with the
 * reason logged ("unknown store backend ..."), the handle left alone.
 */
extern const char *const store_backend_default;
/* 1 when a backend of this name is built in. */
int store_backend_known(const char *name);
/* The name of the backend s was opened with. */
const char *store_backend_name(const struct store *s);

/*
 * Where a store is (database.* of the configuration): the backend by
 * name (NULL: the default), its address (a file for SQLite, a libpq
 * connection URI for PostgreSQL), the file holding its password (NULL:
 * none; the backend's own means apply) and the name of this instance
 * (NULL: "default"), under which a store shared by several daemons keeps
 * each one's spool position. The strings are the caller's; a store
 * copies what it keeps.
 */
struct store_where {
	const char *backend;
	const char *path;
	const char *password_file;
	const char *instance;
};

/*
 * Open or create the database at path (for a backend that is a server,
 * where to reach it), durable per full_sync (0: a crash of the machine
 * may lose the last commits; 1: every commit is durable when
 * store_commit() returns), then migrate to STORE_SCHEMA_VERSION. A
 * database newer than this binary is refused.
 */
int store_open_at(const struct store_where *w, int full_sync,
    struct store **out) WT_MUST_CHECK;
int store_open(const char *path, int full_sync,
    struct store **out) WT_MUST_CHECK;
void store_close(struct store *s);

int store_begin(struct store *s) WT_MUST_CHECK;
int store_commit(struct store *s) WT_MUST_CHECK;
void store_rollback(struct store *s);

/* The spool position recorded by the last commit ({1, 0} when none). */
int store_spool_pos(struct store *s, struct spool_pos *pos) WT_MUST_CHECK;
int store_set_spool_pos(struct store *s, struct spool_pos pos) WT_MUST_CHECK;

/*
 * The database's identity: STORE_ID_LEN hex digits (out holds n > that),
 * random, made and recorded the first time it is asked for and kept for
 * the life of the database (copies and backups included). Outside a
 * transaction. The spool records whose it is.
 */
#define STORE_ID_LEN 32
int store_db_id(struct store *s, char *out, size_t n) WT_MUST_CHECK;

/*
 * An accepted message: STORE_DUPLICATE when the same payload was already
 * stored for this topic (exact redelivery); then nothing else should be
 * written for it. Otherwise *message_id is the id its row will have: the
 * events refer to it, and store_message_add() writes the row after them
 * with the outcome they had ("stored", "duplicate", "history").
 */
int store_message_find(struct store *s, const struct store_msg *m,
    int64_t *message_id, enum store_result *res) WT_MUST_CHECK;
int store_message_add(struct store *s, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind) WT_MUST_CHECK;

/* Write a canonical event; *res says whether it was new. */
int store_event(struct store *s, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res) WT_MUST_CHECK;

/* Dead-letter a message with a reason code and a human detail. */
int store_reject(struct store *s, const struct store_msg *m, const char *reason,
    const char *detail) WT_MUST_CHECK;

/* Replace the facilities table with the configured registry, and record
 * the settings the indicator views read (offset, tolerances). */
int store_sync_config(struct store *s, const struct config *cfg) WT_MUST_CHECK;

/*
 * Link manifests to weighbridge tickets (explicit references, else plate
 * + receiving facility + reconcile.window_h), allocate shared tickets by
 * declared mass, and write one `reconciliations` row per manifest with a
 * verdict: ok, discrepancy (beyond reconcile.tolerance_pct), pending, or
 * overdue (in transit longer than reconcile.overdue_h).
 *
 * A pass derives again only what changed since the last one: manifests
 * and tickets written since, manifests whose overdue deadline passed,
 * everything after the settings above changed or the schema upgrade.
 * It does a bounded slice of that work in its own short transaction;
 * *more says that work is left for the next pass (the results are then
 * behind). store_reconcile() is a pass that does not say.
 */
int store_reconcile_pass(struct store *s, int64_t now_ms,
    const struct config *cfg, int *more) WT_MUST_CHECK;
int store_reconcile(struct store *s, int64_t now_ms,
    const struct config *cfg) WT_MUST_CHECK;
/* Everything at once, in one transaction however long: the reference
 * the passes are tested against. Leaves nothing for the passes. */
int store_reconcile_full(struct store *s, int64_t now_ms,
    const struct config *cfg) WT_MUST_CHECK;
/* Whether a pass has work left (outside a transaction). */
int store_reconcile_behind(struct store *s, int *behind) WT_MUST_CHECK;

/*
 * Drop raw payloads received before cutoff_ms (retention), except those
 * under the hold store_hold_payloads() recorded: a held payload counts as
 * received at the hold's time if that is later. All of them, in one
 * statement: the daemon prunes in slices with store_prune_slice().
 */
int store_prune_payloads(struct store *s, int64_t cutoff_ms,
    int64_t *pruned) WT_MUST_CHECK;

/*
 * Retention per kind of record (docs/database.md). A round prunes every
 * kind in this order, in slices: each its own short transaction, bounded
 * in rows and in time, so ingestion waits at most one slice. Cutoffs are
 * wall-clock ms: rows older go; a cutoff <= 0 keeps that kind whole.
 * After a hold (store_hold_payloads) only raw payloads are pruned, as
 * store_prune_payloads() says, until a cutoff passes the hold's time.
 */
enum store_prune_kind {
	STORE_PRUNE_PAYLOADS,	       /* messages.payload by received_ms */
	STORE_PRUNE_MESSAGES,	       /* messages rows, by received_ms */
	STORE_PRUNE_REJECT_PAYLOADS,   /* rejects.payload, by received_ms */
	STORE_PRUNE_REJECTS,	       /* rejects rows */
	STORE_PRUNE_POSITIONS,	       /* by ts_ms */
	STORE_PRUNE_POSITIONS_THIN,    /* one per vehicle per thin_ms */
	STORE_PRUNE_VEHICLE_EVENTS,    /* by ts_ms; unloads counted first */
	STORE_PRUNE_WEIGHINGS_HISTORY, /* by first_ms */
	STORE_PRUNE_FACILITY_STATUS,   /* by ts_ms */
	STORE_PRUNE_KINDS
};
extern const char *const store_prune_names[STORE_PRUNE_KINDS];

struct store_retention {
	int64_t cutoff[STORE_PRUNE_KINDS];
	/* Thinned positions keep the first point of each vehicle in each
	 * interval of this many ms since the epoch (0: no thinning). */
	int64_t thin_ms;
};

/* A round's progress: start it zeroed. */
struct store_prune {
	/* The kind pruned next; STORE_PRUNE_KINDS once every kind is done.
	 * Kinds take turns, a chunk each, so that one with a large backlog
	 * (months of positions to thin after an upgrade) never holds back
	 * the others, raw payloads first of all. */
	int kind;
	unsigned done; /* a bit per kind with nothing left this round */
	int64_t rows[STORE_PRUNE_KINDS]; /* changed so far */
	int chunk[STORE_PRUNE_KINDS];	 /* rows per chunk, from its cost */
	int limit;	 /* rows per slice, from the last one's time (0: max) */
	int thin_window; /* ms of positions a thinning chunk takes */
	int slices;
};

/*
 * One slice of a round, in its own transaction: at most max_rows rows
 * changed, and it stops starting new chunks of a few hundred rows once
 * budget_us have passed. Unload counts of a day are written to
 * daily_unload_results before its first event goes, in the same slice.
 */
int store_prune_slice(struct store *s, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us) WT_MUST_CHECK;

/*
 * Give the space retention freed back to the file system, in steps of
 * `pages` units of about 4 KiB until budget_us have passed or none are
 * left; outside a transaction. *left: units still free in the database (0
 * also when it does not keep free space that way, or where the backend
 * gives space back by itself: then nothing is done). The database may
 * shrink only at the next background maintenance.
 */
int store_reclaim_slice(struct store *s, int pages, int64_t budget_us,
    int64_t *freed, int64_t *left) WT_MUST_CHECK;

/*
 * Hold every payload stored so far as if received at hold_ms (after the
 * wall clock stepped, their received_ms says nothing about their age).
 * Replaces an earlier hold: it covers those payloads too, from later.
 * clock_behind is remembered for store_clock_state(). In a transaction.
 */
int store_hold_payloads(struct store *s, int64_t hold_ms,
    int clock_behind) WT_MUST_CHECK;
/* The newest received_ms of a stored message (0: none) and the last
 * clock_behind given to store_hold_payloads() (0: never). */
int store_clock_state(struct store *s, int64_t *newest_ms,
    int *clock_behind) WT_MUST_CHECK;

/* ---- muck trucks (docs/geofence.md) ---- */

/* An unload, explicit or inferred from a track (lib/muck.c decides). */
struct store_unload {
	const char *vehicle, *plate;
	int64_t ts_ms, since_ms;      /* when; the earliest it can have begun */
	double lat, lon;	      /* NaN: unknown */
	const char *how;	      /* event, load_state, tipping, dwell */
	int candidate;		      /* a dwell, until a weighing settles it */
	const char *site, *site_kind; /* the site it fell in; NULL: none */
	const char *district;	      /* origin district */
	const char *waste, *origin;   /* origin: construction site */
	int muck, authorised;	      /* 0/1 */
};
/*
 * Record an unload (inside a transaction). One row per (vehicle, ts_ms,
 * how): writing it again rewrites where it fell and whether it is
 * authorised, never the state a weighing gave it. *added: 1 when the row
 * was written (inserted or rewritten).
 */
int store_unload_add(struct store *s, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added) WT_MUST_CHECK;
/*
 * A weighing of plate settles its dwell candidates: weighed empty at
 * first_ms, the latest candidate before is the unload and the others
 * are dropped; weighed loaded, the latest candidate between first_ms and
 * second_ms (unloaded at the weighbridge) is, and those before are
 * dropped. muck: the weighing was of construction waste, so the unload it
 * confirms was a muck truck's. *changed: rows changed.
 */
int store_unload_weighed(struct store *s, const char *plate, int64_t first_ms,
    int64_t second_ms, int loaded, int muck, int *changed) WT_MUST_CHECK;
/*
 * One unload seen twice: inferred from the track and told by an unload
 * event (docs/geofence.md). store_unload_event_near: *found 1 when the
 * vehicle has an event's unload with ts_ms in [from_ms, to_ms];
 * store_unload_absorb removes its inferred ones there (*removed rows),
 * the event's row standing for them.
 */
int store_unload_event_near(struct store *s, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *found) WT_MUST_CHECK;
int store_unload_absorb(struct store *s, const char *vehicle, int64_t from_ms,
    int64_t to_ms, int *removed) WT_MUST_CHECK;
/*
 * What a vehicle's track was before this run saw it (lib/muck.c warms a
 * track it starts with them): its last positions before before_ms, up
 * to n, oldest first, speed outliers left out; and its current load, the
 * newest `load` event after its last unload (*found 0 when none).
 */
struct store_fix {
	int64_t ts_ms;
	double lat, lon, speed_kmh; /* NaN: unknown */
	char load_state[8];	    /* "" unknown */
};
int store_vehicle_recent(struct store *s, const char *vehicle,
    int64_t before_ms, struct store_fix *out, size_t n,
    size_t *got) WT_MUST_CHECK;
struct store_load {
	int64_t ts_ms;
	char waste[32], site[64];
};
int store_vehicle_load(struct store *s, const char *vehicle,
    struct store_load *out, int *found) WT_MUST_CHECK;

/* A night-window or permit violation, once per (kind, subject, local
 * day, reason); *added: 1 when new. */
struct store_violation {
	const char *kind, *subject, *reason; /* reason "" for none */
	const char *vehicle, *plate, *district, *waste, *site;
	int64_t ts_ms;
	double lat, lon;
};
int store_violation_add(struct store *s, const struct store_violation *v,
    int local_offset_min, int *added) WT_MUST_CHECK;

/* ---- alerts (docs/alerts.md) ---- */

/*
 * Bring the alerts in line with the conditions that hold at now_ms: open
 * one alert per (kind, subject) whose condition holds and has none open,
 * resolve the open ones whose condition no longer holds, leave the rest
 * untouched (an open alert keeps the evidence it opened with). Every
 * rule built in is evaluated in its own short transaction, rules in turn
 * until budget_us have passed; a rule opens or resolves at most a slice
 * of rows at a time. *more: rules or rows are left for the next call
 * (which goes on where this one stopped). Outside a transaction.
 */
int store_alerts_sync(struct store *s, int64_t now_ms, int64_t budget_us,
    int *more) WT_MUST_CHECK;

/* What is sent to the broker for an alert, step by step, each once the
 * one before is acknowledged: */
enum store_alert_step {
	STORE_ALERT_OPEN = 1,	  /* the alert, retained */
	STORE_ALERT_RESOLVED = 2, /* the alert with resolved_ms, not retained */
	STORE_ALERT_CLEAR = 3,	  /* empty and retained: clears the first */
};
struct store_alert_msg {
	int64_t id;
	enum store_alert_step step;
	int retained;
	const char *topic; /* wt/v1/alerts/{kind}/{id} */
	const char *payload;
	size_t len; /* 0 for STORE_ALERT_CLEAR */
};
/* 1 to be given the next, 0 to stop. m is valid during the call. */
typedef int (*store_alert_fn)(void *arg, const struct store_alert_msg *m);
/* The next step of every alert whose last step is not acknowledged yet,
 * oldest alert first, until fn says stop. Outside a transaction. */
int store_alerts_pending(struct store *s, store_alert_fn fn,
    void *arg) WT_MUST_CHECK;
/* The broker acknowledged these steps (in a transaction of its own). */
int store_alerts_acked(struct store *s, const int64_t *ids,
    const enum store_alert_step *steps, size_t n) WT_MUST_CHECK;

/* ---- reads for reports (read-only connection) ---- */

/*
 * A store that only reads (the report functions below), for a thread
 * other than the writer's; closed with store_close().
 */
int store_open_reader_at(const struct store_where *w,
    struct store **out) WT_MUST_CHECK;
int store_open_reader(const char *path, struct store **out) WT_MUST_CHECK;
/* The report reads between these see one snapshot of the database. */
int store_read_begin(struct store *s) WT_MUST_CHECK;
void store_read_end(struct store *s);
/* Changes whenever another connection has committed since the last call. */
int store_data_version(struct store *s, int64_t *v) WT_MUST_CHECK;

struct store_info {
	int schema_version;
	int64_t size_bytes; /* on disk, the log included */
	/* Bytes of committed work not yet merged into the database's main
	 * files (a log the background maintenance empties); 0 where the
	 * backend keeps none. */
	int64_t log_bytes;
};
/* Cheap enough for every batch (no query); never fails. */
int store_info(struct store *s, struct store_info *info);

/* Called per row of a report query. */
typedef void (*store_row_fn)(void *arg, const char *a, const char *b, double v);

/* Tonnage on local day `day` ("YYYY-MM-DD"): fn(arg, district, waste, kg). */
int store_day_tonnage(struct store *s, const char *day, store_row_fn fn,
    void *arg) WT_MUST_CHECK;

struct store_manifest_counts {
	int64_t open, overdue, discrepancies;
};
/* Open manifests, and the overdue and discrepant verdicts of the last
 * reconciliation. */
int store_manifest_counts(struct store *s,
    struct store_manifest_counts *c) WT_MUST_CHECK;

/* One row of daily_indicators; NaN where a rate has no denominator. */
struct store_indicators {
	char district[64];
	double collected_kg, recycling_rate, harmless_rate, cw_rate;
	double clearance_rate, closure_rate, discrepancy_rate;
	double authorised_share;
	int64_t manifests, overdue;
};
typedef void (
    *store_indicators_fn)(void *arg, const struct store_indicators *row);
int store_day_indicators(struct store *s, const char *day,
    store_indicators_fn fn, void *arg) WT_MUST_CHECK;

/* Muck trucks on local day `day`, city-wide (daily_muck's 全市 row). */
struct store_muck_day {
	int64_t trips, authorised, unauthorised, night_window, permit;
};
int store_day_muck(struct store *s, const char *day,
    struct store_muck_day *out) WT_MUST_CHECK;

/* A manifest needing attention (a discrepancy, or overdue). */
struct store_manifest_item {
	char scheme[16], manifest_no[64], verdict[16];
	double declared_kg, received_kg, diff_pct; /* NaN: unknown */
	int64_t departed_ms;			   /* WT_NOTIME: unknown */
};
typedef void (
    *store_item_fn)(void *arg, const struct store_manifest_item *item);
/* The newest `limit` manifests with this verdict. */
int store_manifest_items(struct store *s, const char *verdict, int limit,
    store_item_fn fn, void *arg) WT_MUST_CHECK;

/* Alerts for reports: the open ones per kind, counted, and the newest
 * open ones. */
struct store_alert_item {
	int64_t id, opened_ms;
	char kind[32], severity[16], subject[96], district[64];
};
struct store_alert_counts {
	int64_t opened_total; /* ever opened (the newest id) */
	int64_t open, unpublished;
};
typedef void (
    *store_alert_item_fn)(void *arg, const struct store_alert_item *item);
/* fn(arg, kind, NULL, open alerts of that kind), by kind. */
int store_alert_open_by_kind(struct store *s, store_row_fn fn,
    void *arg) WT_MUST_CHECK;
int store_alert_counts(struct store *s,
    struct store_alert_counts *c) WT_MUST_CHECK;
int store_alert_items(struct store *s, int limit, store_alert_item_fn fn,
    void *arg) WT_MUST_CHECK;
/* Every kind this build can raise (NULL-terminated): /metrics shows each,
 * 0 included. */
extern const char *const store_alert_kinds[];

/*
 * Background maintenance: work a commit leaves for later (merging the
 * log of committed work into the database's main files). By default the
 * writer does it itself inside some commits. With
 * store_on_commit_pressure() it only calls fn(arg, pending) after each
 * commit, pending being how much such work has accumulated (in units of
 * about 4 KiB; 0 where the backend has none), and a store_maint handle on
 * a thread of the caller's does the work. fn must not block. NULL
 * restores the default.
 */
typedef void (*store_pressure_fn)(void *arg, int pending);
void store_on_commit_pressure(struct store *s, store_pressure_fn fn, void *arg);

/* On the writer, between transactions: do the part of the pending work
 * that lets the next transaction start afresh. */
int store_maint_catch_up(struct store *s) WT_MUST_CHECK;

struct store_maint;
/* Whether s's backend has background maintenance at all: without it,
 * store_maint_open() refuses, and the pressure is never reported. */
int store_has_maint(const struct store *s);
int store_maint_open_at(const struct store_where *w,
    struct store_maint **out) WT_MUST_CHECK;
int store_maint_open(const char *path, struct store_maint **out) WT_MUST_CHECK;
/* Do what needs nobody to wait, never waiting itself: *pending units
 * were outstanding, *done of them are now done. */
int store_maint_step(struct store_maint *m, int *pending,
    int *done) WT_MUST_CHECK;
/* Do all of it and give the log's disk space back; waits briefly for the
 * writer and readers, and holds the writer up while it works (busy: does
 * nothing). */
int store_maint_truncate(struct store_maint *m) WT_MUST_CHECK;
/* Bytes in the log of committed work now (0 where the backend has
 * none). */
int64_t store_maint_log_bytes(struct store_maint *m);
const char *store_maint_errmsg(struct store_maint *m);
void store_maint_close(struct store_maint *m);

/* ---- backup ---- */

struct store_backup_info {
	int schema_version;
	char db_id[STORE_ID_LEN + 1];
	struct spool_pos
	    spool; /* committed in the copy: where replay resumes */
	int64_t size_bytes;
};
/*
 * A consistent copy of the database at path into dest (which must not
 * exist), made on a read-only connection while a daemon may be writing:
 * the copy is one committed state, checked and on disk before it appears
 * under its name. 0, or -1 with the reason logged.
 */
int store_backup_at(const struct store_where *w, const char *dest,
    struct store_backup_info *info) WT_MUST_CHECK;
int store_backup(const char *path, const char *dest,
    struct store_backup_info *info) WT_MUST_CHECK;

/* ---- read-only queries for other tools (lib/store_query.c) ---- */

/*
 * A connection that can only read, for a program other than the daemon
 * (wastetrackctl): opened read-only, never doing the writer's background
 * maintenance, waiting up to a few seconds for a lock, so it works while the
 * daemon writes. Each query is one read transaction. The queries are
 * named, not written by the caller: their text is the backend's.
 */
struct store_query;

/* The application id a wastetrack database records, "WTRK", so that a
 * tool can tell it from any other database (0 in databases of schema
 * versions before the one that sets it). */
#define STORE_APPLICATION_ID 0x5754524B

enum store_vtype { STORE_V_NULL, STORE_V_INT, STORE_V_REAL, STORE_V_TEXT };
struct store_value {
	enum store_vtype type;
	int64_t i;
	double r;
	const char *s; /* STORE_V_TEXT: NUL-terminated, maybe not UTF-8 */
};
/* One result row: n columns, their names (stable across versions of the
 * schema) and values, valid during the call. Called first with v NULL,
 * the names only (also when no row follows). Return -1 to stop. */
typedef int (*store_rows_fn)(void *arg, int n, const char *const *names,
    const struct store_value *v);
/* Reading such a row by column name: the index of name among names[0..n-1]
 * (-1: absent); a value as a number (NAN when NULL or absent) or as
 * text ("" when not text). Any index, -1 included, may be passed on. */
int store_col(int n, const char *const *names, const char *name);
double store_value_num(const struct store_value *v, int i);
const char *store_value_text(const struct store_value *v, int i);

enum store_q {
	/* Days ?1..?2 ("YYYY-MM-DD"): tonnage by class and the indicators
	 * per day and district, then the city-wide row "全市" of each day;
	 * with ?3 (a label) the totals of the period too, labelled ?3. */
	STORE_Q_REPORT,
	/* Manifest number ?1, any scheme: the current row, its lines, every
	 * update received, the tickets linked or named, the verdict. */
	STORE_Q_MANIFEST,
	STORE_Q_MANIFEST_LINES,
	STORE_Q_MANIFEST_VERSIONS,
	STORE_Q_MANIFEST_LINKS,
	STORE_Q_MANIFEST_VERDICT,
	/* Plate ?1 or vehicle id ?4: the vehicles; on local day ?2 (from
	 * ?5 to ?6 in UTC ms) their events, weighings, positions' extent. */
	STORE_Q_VEHICLES,
	STORE_Q_VEHICLE_EVENTS,
	STORE_Q_VEHICLE_TRIPS, /* each unload with the load before it */
	STORE_Q_VEHICLE_WEIGHINGS,
	STORE_Q_VEHICLE_POSITIONS,
	/* Rejects received since ?5 (UTC ms), of reason ?1 if not NULL:
	 * counts by reason (and what replays made of them), by topic, by
	 * profile; ?6 samples per reason. */
	STORE_Q_REJECT_REASONS,
	STORE_Q_REJECT_TOPICS,
	STORE_Q_REJECT_PROFILES,
	STORE_Q_REJECT_SAMPLES,
	/* One row: schema version, application id, database id, committed
	 * spool position, reconciliation and retention state. */
	STORE_Q_META,
	/* One row of activity since ?5: messages, rejects, the newest
	 * message, open, overdue and discrepant manifests. */
	STORE_Q_ACTIVITY,
	STORE_Q_INTEGRITY, /* one row per problem; "ok" when none */
	STORE_Q_QUICK_CHECK,
	/* The HTTP API (docs/openapi.yaml). Vehicles last seen at or after
	 * ?5 (UTC ms): each one's newest position with coordinates since
	 * then, newest first, ?6 at most. */
	STORE_Q_API_VEHICLES,
	/* Plate ?1 or vehicle id ?4: the newest ?6 positions with
	 * coordinates since ?5, oldest first. */
	STORE_Q_API_POSITIONS,
	/* The newest ?6 open alerts, and how many are open. */
	STORE_Q_API_ALERTS,
	STORE_Q_API_ALERTS_OPEN,
	STORE_Q_COUNT
};
struct store_q_args {
	const char *text[4]; /* ?1..?4; NULL binds NULL */
	int64_t num[4];	     /* ?5..?8 */
};

int store_query_open_at(const struct store_where *w,
    struct store_query **out) WT_MUST_CHECK;
int store_query_open(const char *path, struct store_query **out) WT_MUST_CHECK;
void store_query_close(struct store_query *q);
/* Run query id, fn per row; 0, or -1 with the reason logged (or fn's
 * -1). */
int store_query_run(struct store_query *q, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg) WT_MUST_CHECK;
/* How the backend would run query id: one row per step, its own words
 * (for tests that a query reads through indexes); 0 or -1. */
int store_query_plan(struct store_query *q, enum store_q id, store_rows_fn fn,
    void *arg) WT_MUST_CHECK;
/* The queries run after this have ms (0: no limit) in all: one still
 * running then is abandoned (store_query_run() -1), and
 * store_query_timed_out() says 1 until the next call of this. */
void store_query_budget(struct store_query *q, int ms);
int store_query_timed_out(const struct store_query *q);
/* What the next retention round would remove with these cutoffs, per
 * kind (the positions a thinning would drop included), counted in one
 * read transaction; as store_prune_slice() would, holds included. */
int store_query_prune_due(struct store_query *q,
    const struct store_retention *r,
    int64_t due[STORE_PRUNE_KINDS]) WT_MUST_CHECK;

/* ---- replaying stored rejects (store_replay.c) ---- */

struct store_replay_filter {
	const char *reason; /* NULL: any reason */
	int64_t since_ms;   /* received at or after; 0: any time */
	int64_t until_ms;   /* received before; 0: no end */
};

struct store_replay_row {
	int64_t id, received_ms;
	char *topic, *reason;
	void *payload;
	size_t payload_len;
	int pruned; /* retention dropped the payload: nothing to replay */
	int skip;   /* not selected: the caller passes it over */
};

/*
 * Up to n rejects received in the filter's period, in the order of
 * receipt (time, then id) after the one received at after_ms with id
 * after_id (0, 0: from the start). Each is either one a replay may retry
 * (payload whole, or pruned by retention: said in pruned, for the caller
 * to report; no replay has turned it into rows yet), or flagged skip (of
 * another reason, cut to a prefix, or replayed into rows already), for
 * the caller to pass over: a chunk costs its rows only. The rows are the
 * caller's (store_replay_rows_free); *got says how many, 0 at the end.
 */
int store_replay_next(struct store *s, const struct store_replay_filter *f,
    int64_t after_ms, int64_t after_id, size_t n, struct store_replay_row *rows,
    size_t *got) WT_MUST_CHECK;
void store_replay_rows_free(struct store_replay_row *rows, size_t n);
/*
 * Inside a transaction: what replaying reject id gave, outcome "stored",
 * "duplicate" or "history", or "rejected" with the new reason and detail
 * in detail. A row that already says exactly that is left alone, so a
 * second replay of unchanged input changes nothing. *changed 1 when the
 * row was written.
 */
int store_replay_mark(struct store *s, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed) WT_MUST_CHECK;

/* ---- re-deriving accepted messages (store_rederive.c) ---- */

struct store_rederive_filter {
	const char *profile; /* NULL: any */
	int64_t since_ms;    /* received at or after */
	int64_t until_ms;    /* received before; 0: no end */
};
struct store_rederive_row {
	int64_t id, received_ms;
	char *topic, *profile, *kind;
	void *payload; /* NULL when retention pruned it (or a position's) */
	size_t payload_len;
};
/*
 * Up to n accepted messages received in the filter's period, in the
 * order of receipt (time, then id) after the one received at after_ms
 * with id after_id (0, 0: from the start), pruned payloads included (the
 * caller reports them). The payload of a position is not read: positions
 * are never re-derived; nor that of a message of another profile than
 * f->profile, which the caller must pass over (the rows are all of the
 * period's, so that a chunk costs its rows only). Rows are the caller's
 * (store_rederive_rows_free).
 */
int store_rederive_next(struct store *s, const struct store_rederive_filter *f,
    int64_t after_ms, int64_t after_id, size_t n,
    struct store_rederive_row *rows, size_t *got) WT_MUST_CHECK;
void store_rederive_rows_free(struct store_rederive_row *rows, size_t n);

/* The tables whose rows a re-derivation changes in place. */
enum store_rd_table {
	STORE_RD_WEIGHINGS,
	STORE_RD_WEIGHINGS_HISTORY,
	STORE_RD_VEHICLE_EVENTS,
	STORE_RD_FACILITY_STATUS,
	STORE_RD_TABLES
};
extern const char *const store_rd_table_names[STORE_RD_TABLES];
enum store_rd_outcome {
	STORE_RD_UNCHANGED, /* the rows already say what the events say */
	STORE_RD_CHANGED,   /* rows corrected in place */
	STORE_RD_CONFLICT   /* the events name other rows: left as is */
};
struct store_rd_result {
	enum store_rd_outcome outcome;
	int64_t changed[STORE_RD_TABLES]; /* rows changed, per table */
	char detail[160];		  /* why a conflict */
};
/*
 * Inside a transaction: bring the rows of accepted message message_id in
 * line with evs (its payload decoded again; weighings, vehicle events and
 * facility statuses only), all of them or none: each event must name a
 * row of the message by its key (a ticket and its version, a vehicle's
 * event, a facility's report), or a row another message owns (nothing
 * to do), and every row of the message must be named. Changed rows keep
 * their id, key, message and the stamps taken when they were first
 * stored; the message records now_ms as rederived_ms. -1 only when the
 * database failed.
 */
struct store_rederive;
int store_rederive(struct store_rederive *job, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out) WT_MUST_CHECK;
/* A job's state (its prepared statements): open one per replay, close it
 * before the store. */
int store_rederive_open(struct store *s,
    struct store_rederive **out) WT_MUST_CHECK;
void store_rederive_close(struct store_rederive *job);

/*
 * Several daemons on one store (docs/cluster.md). The loop calls
 * store_cluster_beat() once a tick, outside a transaction: it records
 * this instance as alive (id, group, now), makes it the leader when no
 * other instance is (the one that reconciles, raises alerts and prunes;
 * for PostgreSQL, whoever holds an advisory lock), and lists the other
 * instances seen lately. A backend that serves a single daemon (SQLite)
 * has no such operation: every daemon is then its own leader, alone.
 */
#define STORE_PEERS_MAX 16
struct store_peer {
	char id[64];
	char group[64];
	int leader;
	int64_t seen_ms;
};
struct store_cluster {
	int leader;		 /* 1: this instance leads */
	int64_t leader_since_ms; /* since when (0: not leader) */
	size_t npeers;		 /* the others, at most STORE_PEERS_MAX */
	struct store_peer peers[STORE_PEERS_MAX];
};
int store_cluster_beat(struct store *s, const char *instance, const char *group,
    int64_t now_ms, struct store_cluster *out) WT_MUST_CHECK;
/* 1 when several daemons may share this store (store_cluster_beat()
 * means something); 0 for SQLite. */
int store_is_shared(const struct store *s);
/*
 * Messages store_message_find() called new that the store found already
 * stored when the transaction ran (another instance stored them first: a
 * backend that pipelines learns it late), taken since the last call:
 * the counters move them from stored to duplicates. Always 0 for SQLite.
 */
int64_t store_take_late_duplicates(struct store *s);

const char *store_path(const struct store *s);
/* The writer connection's last error message (for /status). */
const char *store_errmsg(struct store *s);

#endif
