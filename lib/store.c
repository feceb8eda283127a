/*
 * store: see store.h. The dispatcher: each function of store.h finds the
 * backend its handle was opened with and makes one indirect call to its
 * operation (store_backend.h). Backend-neutral: no SQL here, and nothing
 * of any one backend but its table's name in backends[].
 */
#include "store_backend.h"

#include "log.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The backends built in. */
const struct store_backend *const store_backends[] = {
	&store_backend_sqlite,
#ifdef WT_HAVE_PG
	&store_backend_pg,
#endif
	NULL,
};

const char *const store_backend_default = "sqlite";

/*
 * Every operation, and whether the dispatcher calls it unchecked (0), or
 * checks for NULL first (1: optional alone; 2: the background-maintenance
 * group, all of it or none).
 */
static const struct {
	const char *name;
	size_t off;
	int optional;
} ops[] = {
#define OP(op, opt)                                                            \
	{                                                                      \
#op, offsetof(struct store_backend, op), opt                   \
	}
	OP(open, 0),
	OP(close, 0),
	OP(path, 0),
	OP(errmsg, 0),
	OP(info, 0),
	OP(begin, 0),
	OP(commit, 0),
	OP(rollback, 0),
	OP(spool_pos, 0),
	OP(set_spool_pos, 0),
	OP(db_id, 0),
	OP(message_find, 0),
	OP(message_add, 0),
	OP(event, 0),
	OP(reject, 0),
	OP(sync_config, 0),
	OP(reconcile_pass, 0),
	OP(reconcile_full, 0),
	OP(reconcile_behind, 0),
	OP(prune_payloads, 0),
	OP(prune_slice, 0),
	OP(reclaim_slice, 1),
	OP(hold_payloads, 0),
	OP(clock_state, 0),
	OP(unload_add, 0),
	OP(unload_weighed, 0),
	OP(unload_event_near, 0),
	OP(unload_absorb, 0),
	OP(vehicle_recent, 0),
	OP(vehicle_load, 0),
	OP(violation_add, 0),
	OP(alerts_sync, 0),
	OP(alerts_pending, 0),
	OP(alerts_acked, 0),
	OP(cluster_beat, 1),
	OP(take_late_duplicates, 1),
	OP(replay_next, 0),
	OP(replay_mark, 0),
	OP(rederive_next, 0),
	OP(rederive_open, 0),
	OP(rederive, 0),
	OP(rederive_close, 0),
	OP(open_reader, 0),
	OP(read_begin, 0),
	OP(read_end, 0),
	OP(data_version, 0),
	OP(day_tonnage, 0),
	OP(manifest_counts, 0),
	OP(day_indicators, 0),
	OP(day_muck, 0),
	OP(manifest_items, 0),
	OP(alert_open_by_kind, 0),
	OP(alert_counts, 0),
	OP(alert_items, 0),
	OP(on_commit_pressure, 1),
	OP(maint_catch_up, 1),
	OP(maint_open, 2),
	OP(maint_step, 2),
	OP(maint_truncate, 2),
	OP(maint_log_bytes, 2),
	OP(maint_errmsg, 2),
	OP(maint_close, 2),
	OP(backup, 1),
	OP(query_open, 0),
	OP(query_close, 0),
	OP(query_run, 0),
	OP(query_budget, 0),
	OP(query_timed_out, 0),
	OP(query_prune_due, 0),
	OP(query_plan, 1),
#undef OP
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* The list above names every operation: a new one that is not listed
 * makes the table larger than the list and stops the build. */
_Static_assert(sizeof(struct store_backend) ==
	offsetof(struct store_backend, open) + NOPS * sizeof(void (*)(void)),
    "store.c's ops[] must list every operation of struct store_backend");

static int
op_set(const struct store_backend *be, size_t i)
{
	void (*fp)(void);

	memcpy(&fp, (const char *)be + ops[i].off, sizeof(fp));
	return fp != NULL;
}

const char *
store_backend_check(const struct store_backend *be)
{
	int maint = -1; /* whether the group is there: -1 not seen yet */
	size_t i;

	if (be->name == NULL)
		return "name";
	for (i = 0; i < NOPS; i++) {
		if (ops[i].optional == 0 && !op_set(be, i))
			return ops[i].name;
		if (ops[i].optional != 2)
			continue;
		if (maint == -1)
			maint = op_set(be, i);
		else if (maint != op_set(be, i))
			return ops[i].name;
	}
	return NULL;
}

const struct store_backend *
store_backend_find(const char *name, char *err, size_t n)
{
	size_t i, len;

	if (name == NULL)
		name = store_backend_default;
	for (i = 0; store_backends[i] != NULL; i++)
		if (strcmp(store_backends[i]->name, name) == 0)
			return store_backends[i];
	if (n == 0)
		return NULL;
	/* Each piece is cut to the room left, which is never 0. */
	snprintf(err, n, "unknown store backend \"%s\" (known:", name);
	for (i = 0; store_backends[i] != NULL; i++) {
		len = strlen(err);
		snprintf(err + len, n - len, " %s", store_backends[i]->name);
	}
	len = strlen(err);
	snprintf(err + len, n - len, ")");
	return NULL;
}

int
store_backend_known(const char *name)
{
	char err[8];

	return store_backend_find(name, err, sizeof(err)) != NULL;
}

/* The backend of this name, ready to use, or NULL with the reason
 * logged. */
static const struct store_backend *
backend(const char *name)
{
	const struct store_backend *be;
	const char *missing;
	char err[160];

	if ((be = store_backend_find(name, err, sizeof(err))) == NULL) {
		log_warnx("store: %s", err);
		return NULL;
	}
	if ((missing = store_backend_check(be)) != NULL) {
		log_warnx("store: the %s backend lacks the operation %s",
		    be->name, missing);
		return NULL;
	}
	return be;
}

const char *
store_backend_name(const struct store *s)
{
	return s->be->name;
}

/* ---- opening: by backend name, or the default one ---- */

int
store_open_at(const struct store_where *w, int full_sync, struct store **out)
{
	const struct store_backend *be;

	if ((be = backend(w->backend)) == NULL ||
	    be->open(w, full_sync, out) == -1)
		return -1;
	(*out)->be = be;
	return 0;
}

int
store_open(const char *path, int full_sync, struct store **out)
{
	struct store_where w = { .path = path };

	return store_open_at(&w, full_sync, out);
}

int
store_open_reader_at(const struct store_where *w, struct store **out)
{
	const struct store_backend *be;

	if ((be = backend(w->backend)) == NULL || be->open_reader(w, out) == -1)
		return -1;
	(*out)->be = be;
	return 0;
}

int
store_open_reader(const char *path, struct store **out)
{
	struct store_where w = { .path = path };

	return store_open_reader_at(&w, out);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->be->close(s);
}

int
store_query_open_at(const struct store_where *w, struct store_query **out)
{
	const struct store_backend *be;

	if ((be = backend(w->backend)) == NULL || be->query_open(w, out) == -1)
		return -1;
	(*out)->be = be;
	return 0;
}

int
store_query_open(const char *path, struct store_query **out)
{
	struct store_where w = { .path = path };

	return store_query_open_at(&w, out);
}

void
store_query_close(struct store_query *q)
{
	if (q != NULL)
		q->be->query_close(q);
}

int
store_backup_at(const struct store_where *w, const char *dest,
    struct store_backup_info *info)
{
	const struct store_backend *be;

	if ((be = backend(w->backend)) == NULL)
		return -1;
	if (be->backup == NULL) {
		log_warnx("store: the %s backend makes no copies of its own: "
			  "use the database's own tools",
		    be->name);
		return -1;
	}
	return be->backup(w, dest, info);
}

int
store_backup(const char *path, const char *dest, struct store_backup_info *info)
{
	struct store_where w = { .path = path };

	return store_backup_at(&w, dest, info);
}

/* ---- background maintenance: a backend may have none ---- */

int
store_has_maint(const struct store *s)
{
	return s->be->maint_open != NULL;
}

void
store_on_commit_pressure(struct store *s, store_pressure_fn fn, void *arg)
{
	if (s->be->on_commit_pressure != NULL)
		s->be->on_commit_pressure(s, fn, arg);
}

int
store_maint_catch_up(struct store *s)
{
	return s->be->maint_catch_up != NULL ? s->be->maint_catch_up(s) : 0;
}

int
store_maint_open_at(const struct store_where *w, struct store_maint **out)
{
	const struct store_backend *be;

	if ((be = backend(w->backend)) == NULL)
		return -1;
	if (be->maint_open == NULL) {
		log_warnx("store: the %s backend has no background maintenance",
		    be->name);
		return -1;
	}
	if (be->maint_open(w, out) == -1)
		return -1;
	(*out)->be = be;
	return 0;
}

int
store_maint_open(const char *path, struct store_maint **out)
{
	struct store_where w = { .path = path };

	return store_maint_open_at(&w, out);
}

void
store_maint_close(struct store_maint *m)
{
	if (m != NULL)
		m->be->maint_close(m);
}

int
store_reclaim_slice(struct store *s, int pages, int64_t budget_us,
    int64_t *freed, int64_t *left)
{
	if (s->be->reclaim_slice == NULL) {
		*freed = *left = 0;
		return 0;
	}
	return s->be->reclaim_slice(s, pages, budget_us, freed, left);
}

/* ---- the same for every backend ---- */

int
store_reconcile(struct store *s, int64_t now_ms, const struct config *cfg)
{
	int more;

	return store_reconcile_pass(s, now_ms, cfg, &more);
}

void
store_rederive_close(struct store_rederive *job)
{
	if (job != NULL)
		job->be->rederive_close(job);
}

int
store_rederive_open(struct store *s, struct store_rederive **out)
{
	if (s->be->rederive_open(s, out) == -1)
		return -1;
	(*out)->be = s->be;
	return 0;
}

/* ---- the rest: one indirect call each ---- */

int
store_cluster_beat(struct store *s, const char *instance, const char *group,
    int64_t now_ms, struct store_cluster *out)
{
	if (s->be->cluster_beat != NULL)
		return s->be->cluster_beat(s, instance, group, now_ms, out);
	memset(out, 0, sizeof(*out));
	out->leader = 1;
	return 0;
}

int
store_is_shared(const struct store *s)
{
	return s->be->cluster_beat != NULL;
}

int64_t
store_take_late_duplicates(struct store *s)
{
	return s->be->take_late_duplicates != NULL
	    ? s->be->take_late_duplicates(s)
	    : 0;
}

const char *
store_path(const struct store *s)
{
	return s->be->path(s);
}

const char *
store_errmsg(struct store *s)
{
	return s->be->errmsg(s);
}

int
store_info(struct store *s, struct store_info *info)
{
	return s->be->info(s, info);
}

int
store_begin(struct store *s)
{
	return s->be->begin(s);
}

int
store_commit(struct store *s)
{
	return s->be->commit(s);
}

void
store_rollback(struct store *s)
{
	s->be->rollback(s);
}

int
store_spool_pos(struct store *s, struct spool_pos *pos)
{
	return s->be->spool_pos(s, pos);
}

int
store_set_spool_pos(struct store *s, struct spool_pos pos)
{
	return s->be->set_spool_pos(s, pos);
}

int
store_db_id(struct store *s, char *out, size_t n)
{
	return s->be->db_id(s, out, n);
}

int
store_message_find(struct store *s, const struct store_msg *m,
    int64_t *message_id, enum store_result *res)
{
	return s->be->message_find(s, m, message_id, res);
}

int
store_message_add(struct store *s, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind)
{
	return s->be->message_add(s, m, message_id, outcome, kind);
}

int
store_event(struct store *s, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res)
{
	return s->be->event(s, e, message_id, local_offset_min, now_ms, res);
}

int
store_reject(struct store *s, const struct store_msg *m, const char *reason,
    const char *detail)
{
	return s->be->reject(s, m, reason, detail);
}

int
store_sync_config(struct store *s, const struct config *cfg)
{
	return s->be->sync_config(s, cfg);
}

int
store_reconcile_pass(struct store *s, int64_t now_ms, const struct config *cfg,
    int *more)
{
	return s->be->reconcile_pass(s, now_ms, cfg, more);
}

int
store_reconcile_full(struct store *s, int64_t now_ms, const struct config *cfg)
{
	return s->be->reconcile_full(s, now_ms, cfg);
}

int
store_reconcile_behind(struct store *s, int *behind)
{
	return s->be->reconcile_behind(s, behind);
}

int
store_prune_payloads(struct store *s, int64_t cutoff_ms, int64_t *pruned)
{
	return s->be->prune_payloads(s, cutoff_ms, pruned);
}

int
store_prune_slice(struct store *s, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us)
{
	return s->be->prune_slice(s, r, pr, max_rows, budget_us);
}

int
store_hold_payloads(struct store *s, int64_t hold_ms, int clock_behind)
{
	return s->be->hold_payloads(s, hold_ms, clock_behind);
}

int
store_clock_state(struct store *s, int64_t *newest_ms, int *clock_behind)
{
	return s->be->clock_state(s, newest_ms, clock_behind);
}

int
store_unload_add(struct store *s, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added)
{
	return s->be->unload_add(s, u, local_offset_min, message_id, added);
}

int
store_unload_weighed(struct store *s, const char *plate, int64_t first_ms,
    int64_t second_ms, int loaded, int muck, int *changed)
{
	return s->be->unload_weighed(s, plate, first_ms, second_ms, loaded,
	    muck, changed);
}

int
store_unload_event_near(struct store *s, const char *vehicle, int64_t from_ms,
    int64_t to_ms, int *found)
{
	return s->be->unload_event_near(s, vehicle, from_ms, to_ms, found);
}

int
store_unload_absorb(struct store *s, const char *vehicle, int64_t from_ms,
    int64_t to_ms, int *removed)
{
	return s->be->unload_absorb(s, vehicle, from_ms, to_ms, removed);
}

int
store_vehicle_recent(struct store *s, const char *vehicle, int64_t before_ms,
    struct store_fix *out, size_t n, size_t *got)
{
	return s->be->vehicle_recent(s, vehicle, before_ms, out, n, got);
}

int
store_vehicle_load(struct store *s, const char *vehicle, struct store_load *out,
    int *found)
{
	return s->be->vehicle_load(s, vehicle, out, found);
}

int
store_violation_add(struct store *s, const struct store_violation *v,
    int local_offset_min, int *added)
{
	return s->be->violation_add(s, v, local_offset_min, added);
}

int
store_alerts_sync(struct store *s, int64_t now_ms, int64_t budget_us, int *more)
{
	return s->be->alerts_sync(s, now_ms, budget_us, more);
}

int
store_alerts_pending(struct store *s, store_alert_fn fn, void *arg)
{
	return s->be->alerts_pending(s, fn, arg);
}

int
store_alerts_acked(struct store *s, const int64_t *ids,
    const enum store_alert_step *steps, size_t n)
{
	return s->be->alerts_acked(s, ids, steps, n);
}

int
store_replay_next(struct store *s, const struct store_replay_filter *f,
    int64_t after_ms, int64_t after_id, size_t n, struct store_replay_row *rows,
    size_t *got)
{
	return s->be->replay_next(s, f, after_ms, after_id, n, rows, got);
}

int
store_replay_mark(struct store *s, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed)
{
	return s->be->replay_mark(s, id, now_ms, outcome, detail, changed);
}

int
store_rederive_next(struct store *s, const struct store_rederive_filter *f,
    int64_t after_ms, int64_t after_id, size_t n,
    struct store_rederive_row *rows, size_t *got)
{
	return s->be->rederive_next(s, f, after_ms, after_id, n, rows, got);
}

int
store_rederive(struct store_rederive *job, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out)
{
	return job->be->rederive(job, message_id, evs, n, local_offset_min,
	    now_ms, out);
}

int
store_read_begin(struct store *s)
{
	return s->be->read_begin(s);
}

void
store_read_end(struct store *s)
{
	s->be->read_end(s);
}

int
store_data_version(struct store *s, int64_t *v)
{
	return s->be->data_version(s, v);
}

int
store_day_tonnage(struct store *s, const char *day, store_row_fn fn, void *arg)
{
	return s->be->day_tonnage(s, day, fn, arg);
}

int
store_manifest_counts(struct store *s, struct store_manifest_counts *c)
{
	return s->be->manifest_counts(s, c);
}

int
store_day_indicators(struct store *s, const char *day, store_indicators_fn fn,
    void *arg)
{
	return s->be->day_indicators(s, day, fn, arg);
}

int
store_day_muck(struct store *s, const char *day, struct store_muck_day *out)
{
	return s->be->day_muck(s, day, out);
}

int
store_manifest_items(struct store *s, const char *verdict, int limit,
    store_item_fn fn, void *arg)
{
	return s->be->manifest_items(s, verdict, limit, fn, arg);
}

int
store_alert_open_by_kind(struct store *s, store_row_fn fn, void *arg)
{
	return s->be->alert_open_by_kind(s, fn, arg);
}

int
store_alert_counts(struct store *s, struct store_alert_counts *c)
{
	return s->be->alert_counts(s, c);
}

int
store_alert_items(struct store *s, int limit, store_alert_item_fn fn, void *arg)
{
	return s->be->alert_items(s, limit, fn, arg);
}

int
store_maint_step(struct store_maint *m, int *pending, int *done)
{
	return m->be->maint_step(m, pending, done);
}

int
store_maint_truncate(struct store_maint *m)
{
	return m->be->maint_truncate(m);
}

int64_t
store_maint_log_bytes(struct store_maint *m)
{
	return m->be->maint_log_bytes(m);
}

const char *
store_maint_errmsg(struct store_maint *m)
{
	return m->be->maint_errmsg(m);
}

int
store_query_run(struct store_query *q, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg)
{
	return q->be->query_run(q, id, a, fn, arg);
}

void
store_query_budget(struct store_query *q, int ms)
{
	q->be->query_budget(q, ms);
}

int
store_query_plan(struct store_query *q, enum store_q id, store_rows_fn fn,
    void *arg)
{
	return q->be->query_plan != NULL ? q->be->query_plan(q, id, fn, arg)
					 : -1;
}

int
store_query_timed_out(const struct store_query *q)
{
	return q->be->query_timed_out(q);
}

int
store_query_prune_due(struct store_query *q, const struct store_retention *r,
    int64_t due[STORE_PRUNE_KINDS])
{
	return q->be->query_prune_due(q, r, due);
}
