/*
 * unload: unloads inferred from one vehicle's track, and the speed-outlier
 * check of its positions (docs/geofence.md). A small state machine per
 * vehicle, fed the vehicle's positions in time order; plain data, no
 * allocation, no I/O, so the caller keeps one per vehicle wherever it
 * likes (and may save and restore it: it holds no pointers).
 *
 * An unload is inferred, in order of preference, from:
 * - UNLOAD_BY_TIPPING: the body-lift (tipping) signal rises (0 or unknown
 *   to 1). Not when the load state says the truck was already empty.
 * - UNLOAD_BY_LOAD_STATE: the reported load state goes from loaded (full,
 *   half, loaded) to empty between two positions.
 * - UNLOAD_BY_DWELL, only for a vehicle that has never reported a load
 *   state or a tipping signal: a stop (speed under stop_speed_kmh, within
 *   stop_radius_m) of at least dwell_ms that ends with the truck moving
 *   on. This is a candidate: the caller confirms it (the next weighing
 *   empty, a load noted before it) or drops it. A vehicle may give several
 *   candidates in a trip; they do not change what the machine believes.
 * One unload per load: after an unload (inferred, or an explicit one the
 * caller notes) nothing more is inferred until a load is seen (the load
 * state rises to loaded, or unload_note_load) or, for a vehicle without a
 * load state, until it has moved more than stop_radius_m from where it
 * unloaded. So a tip followed by the load state's empty is one unload, and
 * a body lifted twice at the same stop is one.
 *
 * Positions the machine ignores (their status says so; the caller still
 * stores them): without a time or a valid WGS-84 point (_INVALID); with
 * the time of the latest position taken (_DUPLICATE, whatever its
 * coordinates); older than it (_LATE, so out-of-order delivery never
 * replays a transition); speed outliers (_OUTLIER: flagged, and not used
 * for stops, load state or tipping, since the point is not to be trusted).
 *
 * The state lives in memory: a fresh state treats a first position with
 * the body lifted as a rising edge, so a caller that does not keep the
 * state across a restart may see that unload again.
 */
#ifndef WT_UNLOAD_H
#define WT_UNLOAD_H

#include <stdint.h>

#include "attr.h"

/* The defaults of struct unload_params. */
#define UNLOAD_STOP_SPEED_KMH 3.0
#define UNLOAD_STOP_RADIUS_M  30.0
#define UNLOAD_MAX_SPEED_KMH  150.0
#define UNLOAD_DWELL_MS	      (120 * 1000)
/* Implied speed flags a fix only when it moved at least this far: GNSS
 * jitter of a few metres between fixes a second apart is not a teleport. */
#define UNLOAD_OUTLIER_MIN_M 100.0

enum unload_load {
	UNLOAD_LOAD_UNKNOWN = 0,
	UNLOAD_LOAD_EMPTY,
	UNLOAD_LOAD_LOADED
};

enum unload_how {
	UNLOAD_BY_LOAD_STATE = 1,
	UNLOAD_BY_TIPPING,
	UNLOAD_BY_DWELL
};

enum unload_status {
	UNLOAD_FIX_USED = 0, /* taken into the track */
	UNLOAD_FIX_OUTLIER,  /* DQ_SPEED_OUTLIER: flagged, not used */
	UNLOAD_FIX_DUPLICATE,
	UNLOAD_FIX_LATE,
	UNLOAD_FIX_INVALID,
};

struct unload_params {
	int64_t dwell_ms;      /* 0: no dwell candidates */
	double stop_speed_kmh; /* a stop starts under this reported speed */
	double stop_radius_m;  /* and stays within this of its centroid */
	double max_speed_kmh;  /* above it (reported or implied): outlier */
};

/* One position as decoded (lib/event.h units: WGS-84 degrees, UTC ms). */
struct unload_fix {
	int64_t ts_ms; /* WT_NOTIME: invalid */
	double lat, lon;
	double speed_kmh;	/* NaN: not reported */
	const char *load_state; /* "empty", "half", "full", "loaded"; NULL
				 * or another word: unknown */
	int tipping;		/* 1 body lifted, 0 down, -1 not reported */
};

struct unload_event {
	enum unload_how how;
	int64_t ts_ms;	  /* the fix that revealed it */
	int64_t since_ms; /* the earliest it can have begun: the stop's
			   * start, or the fix before */
	double lat, lon;  /* the stop's centroid, else the last loaded fix
			   * (load state) or the lifting fix (tipping) */
	int load_noted;	  /* dwell: unload_note_load was called since the
			   * last unload (the caller's evidence of a load) */
};

/* Private: the caller allocates and initialises it, and reads nothing. */
struct unload_stop {
	int active;
	int64_t start_ms, last_ms;
	double sum_lat, sum_lon; /* of the fixes in it */
	double n;
};

struct unload_track {
	int have_last;
	int64_t last_ms, mark_ms; /* last used fix; latest fix not ignored */
	double last_lat, last_lon;
	int64_t loaded_ms; /* last fix reported loaded */
	double loaded_lat, loaded_lon;
	enum unload_load reported; /* last known load state */
	int tip;		   /* last known tipping value, -1 none */
	int seen_load, seen_tip;   /* ever reported */
	int done;		   /* unloaded, not re-armed */
	double done_lat, done_lon;
	int load_noted;
	int pending; /* an outlier that a next fix may confirm */
	int64_t pend_ms;
	double pend_lat, pend_lon;
	struct unload_stop stop;
};

void unload_params_default(struct unload_params *p);
void unload_track_init(struct unload_track *t);

/*
 * A load_state word to its meaning: 0, or -1 (and UNKNOWN) for anything
 * but empty, half, full, loaded (the profile layer has already refused
 * other words, so -1 means a caller's bug).
 */
int unload_parse_load(const char *s, enum unload_load *out) WT_MUST_CHECK;

/*
 * Feed the vehicle's next position. Returns what became of it (enum
 * unload_status); *dq gets DQ_SPEED_OUTLIER OR-ed in for an outlier;
 * returns with *emitted 1 and *ev filled when the position revealed an
 * unload (or a dwell candidate), else *emitted 0.
 */
enum unload_status unload_feed(struct unload_track *t,
    const struct unload_params *p, const struct unload_fix *f, uint32_t *dq,
    struct unload_event *ev, int *emitted);

/* The caller saw the vehicle load (a load event, an outbound weighing
 * with a load): a new load, inference re-armed. */
void unload_note_load(struct unload_track *t);
/* The caller recorded an explicit unload at (lat, lon) (a vehicle unload
 * event): inference must not count it a second time. */
void unload_note_unload(struct unload_track *t, double lat, double lon);

/* Great-circle distance in metres (haversine on the mean sphere). */
double unload_dist_m(double lat1, double lon1, double lat2, double lon2);

#endif
