/*
 * muck: muck-truck supervision on the ingest path (docs/geofence.md).
 * One unload_track per vehicle (lib/unload.h), kept in a bounded table
 * that evicts idle vehicles; every decoded position goes through it, so
 * speed outliers are flagged before the position is stored, and the
 * unloads it infers, the explicit unload events, the night-window and
 * permit rules are written through store.h with where they fell
 * (cfg->fences, lib/geofence.h) and whether a site there accepts the
 * truck's waste.
 *
 * Cheap by construction: a position costs a hash lookup and a step of
 * the state machine; the geofence is looked up only where an unload or a
 * load is found, the night and permit rules run only for loaded muck
 * trucks and write at most once per vehicle and local day. No SQL per
 * position.
 *
 * The state is in memory and follows the writer's transactions: the
 * caller brackets a batch with muck_begin() and muck_commit() or
 * muck_rollback(), so that a batch rolled back and read again is fed
 * again from the state it started with. Every row written is keyed, so a
 * replay of the same messages (redelivery, a restart before the commit)
 * writes nothing twice. A vehicle first seen in a run (after a restart,
 * or an eviction) starts from its stored positions and load events, read
 * once (two indexed reads), so that a load state that changes across a
 * restart is still an unload.
 */
#ifndef WT_MUCK_H
#define WT_MUCK_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "event.h"
#include "store.h"

struct config;
struct muck;

/* Vehicles tracked at most (about 450 bytes each). When the table is
 * full, muck_begin() evicts those idle for MUCK_IDLE_MS; a vehicle that
 * finds no room is not tracked (counted). */
#define MUCK_MAX_VEHICLES 65536
#define MUCK_IDLE_MS	  (6 * 3600 * 1000LL)
/* A weighing with a net load under this is of an empty truck. */
#define MUCK_EMPTY_KG 1000.0
/* An explicit unload without a position takes the vehicle's last one
 * when it is at most this old. */
#define MUCK_LAST_FIX_MS (10 * 60 * 1000LL)

struct muck_counters {
	uint64_t unloads;    /* unload rows written (inferred and events) */
	uint64_t candidates; /* dwell candidates written */
	uint64_t outliers;   /* positions flagged SPEED_OUTLIER */
	uint64_t violations; /* night-window and permit rows written */
	uint64_t untracked;  /* positions of vehicles that found no room */
	uint64_t evicted;
	size_t vehicles; /* tracked now */
};

int muck_new(const struct config *cfg, struct muck **out) WT_MUST_CHECK;
void muck_free(struct muck *m);
/* A new configuration (SIGHUP): its fences, registry, hours and dwell
 * from now on; the tracks stay. */
void muck_set_config(struct muck *m, const struct config *cfg);

void muck_begin(struct muck *m, int64_t now_ms);
void muck_commit(struct muck *m);
void muck_rollback(struct muck *m);

/*
 * Before e is stored: a position is fed to its vehicle's track, and
 * DQ_SPEED_OUTLIER is OR-ed into e->dq for an outlier. Then, once e is
 * stored with result res, muck_after() writes what it revealed (inside
 * the caller's transaction). -1 only when the store failed.
 */
void muck_before(struct muck *m, struct store *s, struct ev *e, int64_t now_ms);
int muck_after(struct muck *m, struct store *s, const struct ev *e,
    int64_t message_id, enum store_result res) WT_MUST_CHECK;

const struct muck_counters *muck_counters(const struct muck *m);

/* Local minute of the day of ts_ms inside [from, to) (may wrap
 * midnight); 1 also when from is -1 (no window). */
int muck_in_hours(int64_t ts_ms, int offset_min, int from, int to);

#endif
