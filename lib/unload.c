/*
 * unload: the per-vehicle state machine of unload.h. The order of the
 * rules inside one position matters and is fixed: stops first (they give
 * the unload its position), then re-arming, then tipping before the load
 * state (a tip and the empty that follows it are one unload), then dwell.
 */
#include "unload.h"

#include "event.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define RAD	 (3.14159265358979323846 / 180.0)
#define EARTH_R	 6371008.8 /* mean radius, m */
#define MS_PER_H 3600000.0

void
unload_params_default(struct unload_params *p)
{
	p->dwell_ms = UNLOAD_DWELL_MS;
	p->stop_speed_kmh = UNLOAD_STOP_SPEED_KMH;
	p->stop_radius_m = UNLOAD_STOP_RADIUS_M;
	p->max_speed_kmh = UNLOAD_MAX_SPEED_KMH;
}

void
unload_track_init(struct unload_track *t)
{
	memset(t, 0, sizeof(*t));
	t->last_ms = t->mark_ms = t->loaded_ms = WT_NOTIME;
	t->reported = UNLOAD_LOAD_UNKNOWN;
	t->tip = -1;
}

int
unload_parse_load(const char *s, enum unload_load *out)
{
	*out = UNLOAD_LOAD_UNKNOWN;
	if (s == NULL)
		return 0;
	if (strcasecmp(s, "empty") == 0)
		*out = UNLOAD_LOAD_EMPTY;
	else if (strcasecmp(s, "full") == 0 || strcasecmp(s, "half") == 0 ||
	    strcasecmp(s, "loaded") == 0)
		*out = UNLOAD_LOAD_LOADED;
	else
		return -1;
	return 0;
}

double
unload_dist_m(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * RAD, p2 = lat2 * RAD;
	double sp = sin((p2 - p1) / 2), sl = sin((lon2 - lon1) * RAD / 2);
	double h = sp * sp + cos(p1) * cos(p2) * sl * sl;

	return 2.0 * EARTH_R * asin(sqrt(fmin(h, 1.0)));
}

void
unload_note_load(struct unload_track *t)
{
	t->done = 0;
	t->load_noted = 1;
}

void
unload_note_unload(struct unload_track *t, double lat, double lon)
{
	t->done = 1;
	t->done_lat = lat;
	t->done_lon = lon;
	t->load_noted = 0;
}

/* From (ms, lat, lon) to f faster than the bound, over a real distance. */
static int
too_fast(const struct unload_params *p, int64_t ms, double lat, double lon,
    const struct unload_fix *f)
{
	double d = unload_dist_m(lat, lon, f->lat, f->lon);
	double h = (double)(f->ts_ms - ms) / MS_PER_H;

	return d >= UNLOAD_OUTLIER_MIN_M && d / 1000.0 > p->max_speed_kmh * h;
}

/*
 * A reported speed over the bound, or an implied one from the last used
 * fix. One outlier is remembered: when the next fix is consistent with it
 * and not with the last used one, the vehicle did move (a gap in the
 * track, or the old fix was the bad one) and the track follows it.
 */
static int
outlier(struct unload_track *t, const struct unload_params *p,
    const struct unload_fix *f)
{
	if (isfinite(f->speed_kmh) && f->speed_kmh > p->max_speed_kmh)
		return 1;
	if (!t->have_last ||
	    !too_fast(p, t->last_ms, t->last_lat, t->last_lon, f)) {
		t->pending = 0;
		return 0;
	}
	if (t->pending &&
	    !too_fast(p, t->pend_ms, t->pend_lat, t->pend_lon, f)) {
		t->pending = 0;
		return 0;
	}
	t->pending = 1;
	t->pend_ms = f->ts_ms;
	t->pend_lat = f->lat;
	t->pend_lon = f->lon;
	return 1;
}

static void
stop_add(struct unload_stop *s, int64_t ms, double lat, double lon)
{
	if (!s->active) {
		memset(s, 0, sizeof(*s));
		s->active = 1;
		s->start_ms = ms;
	}
	s->last_ms = ms;
	s->sum_lat += lat;
	s->sum_lon += lon;
	s->n++;
}

/*
 * Stops: one starts at a fix reporting a speed under stop_speed_kmh (or,
 * without a speed, within stop_radius_m of the fix before, from which it
 * then starts) and goes on while the fixes stay within stop_radius_m of
 * its centroid. A fix beyond that still reporting a standstill speed is a
 * parked truck's GNSS jump: it neither joins nor ends the stop. Any other
 * fix beyond it ends the stop (copied to *ended).
 */
static void
stop_update(struct unload_track *t, const struct unload_params *p,
    const struct unload_fix *f, struct unload_stop *ended)
{
	struct unload_stop *s = &t->stop;
	int known = isfinite(f->speed_kmh);
	int slow = known && f->speed_kmh < p->stop_speed_kmh;

	if (s->active) {
		if (unload_dist_m(s->sum_lat / s->n, s->sum_lon / s->n, f->lat,
			f->lon) <= p->stop_radius_m) {
			stop_add(s, f->ts_ms, f->lat, f->lon);
			return;
		}
		if (slow)
			return;
		*ended = *s;
		s->active = 0;
	}
	if (slow) {
		stop_add(s, f->ts_ms, f->lat, f->lon);
	} else if (!known && t->have_last &&
	    unload_dist_m(t->last_lat, t->last_lon, f->lat, f->lon) <=
		p->stop_radius_m) {
		stop_add(s, t->last_ms, t->last_lat, t->last_lon);
		stop_add(s, f->ts_ms, f->lat, f->lon);
	}
}

static void
emit(struct unload_track *t, struct unload_event *ev, int *emitted,
    enum unload_how how, int64_t ts, int64_t since, double lat, double lon)
{
	memset(ev, 0, sizeof(*ev));
	ev->how = how;
	ev->ts_ms = ts;
	ev->since_ms = since;
	ev->lat = lat;
	ev->lon = lon;
	ev->load_noted = t->load_noted;
	*emitted = 1;
	if (how != UNLOAD_BY_DWELL) {
		t->done = 1;
		t->done_lat = lat;
		t->done_lon = lon;
		t->load_noted = 0;
	}
}

/* Where a loaded -> empty change happened: the stop holding the last
 * loaded fix (going on, or just ended), else that fix. */
static void
emit_emptied(struct unload_track *t, const struct unload_fix *f,
    const struct unload_stop *ended, struct unload_event *ev, int *emitted)
{
	const struct unload_stop *s = NULL;

	if (t->stop.active && t->loaded_ms >= t->stop.start_ms)
		s = &t->stop;
	else if (ended->active && t->loaded_ms >= ended->start_ms &&
	    t->loaded_ms <= ended->last_ms)
		s = ended;
	if (s != NULL)
		emit(t, ev, emitted, UNLOAD_BY_LOAD_STATE, f->ts_ms,
		    s->start_ms, s->sum_lat / s->n, s->sum_lon / s->n);
	else
		emit(t, ev, emitted, UNLOAD_BY_LOAD_STATE, f->ts_ms,
		    t->loaded_ms, t->loaded_lat, t->loaded_lon);
}

static void
tipping(struct unload_track *t, const struct unload_fix *f,
    enum unload_load load, struct unload_event *ev, int *emitted)
{
	int64_t since = t->have_last ? t->last_ms : f->ts_ms;

	/* an empty truck lifting its body (to clean it) unloads nothing */
	if (f->tipping != 1 || t->tip == 1 || t->done ||
	    (t->reported == UNLOAD_LOAD_EMPTY && load != UNLOAD_LOAD_LOADED))
		return;
	if (t->stop.active && t->stop.last_ms == f->ts_ms)
		emit(t, ev, emitted, UNLOAD_BY_TIPPING, f->ts_ms, since,
		    t->stop.sum_lat / t->stop.n, t->stop.sum_lon / t->stop.n);
	else
		emit(t, ev, emitted, UNLOAD_BY_TIPPING, f->ts_ms, since, f->lat,
		    f->lon);
}

/* done: whether an unload was recorded before this fix re-armed. */
static void
dwell(struct unload_track *t, const struct unload_params *p,
    const struct unload_fix *f, const struct unload_stop *ended, int done,
    struct unload_event *ev, int *emitted)
{
	double clat, clon;

	if (*emitted || !ended->active || t->seen_load || t->seen_tip ||
	    p->dwell_ms <= 0 || ended->last_ms - ended->start_ms < p->dwell_ms)
		return;
	clat = ended->sum_lat / ended->n;
	clon = ended->sum_lon / ended->n;
	/* the caller noted an explicit unload at this stop */
	if (done &&
	    unload_dist_m(t->done_lat, t->done_lon, clat, clon) <=
		p->stop_radius_m)
		return;
	emit(t, ev, emitted, UNLOAD_BY_DWELL, f->ts_ms, ended->start_ms, clat,
	    clon);
}

static void
use_fix(struct unload_track *t, const struct unload_params *p,
    const struct unload_fix *f, struct unload_event *ev, int *emitted)
{
	struct unload_stop ended;
	enum unload_load load;
	int done = t->done;

	memset(&ended, 0, sizeof(ended));
	if (unload_parse_load(f->load_state, &load) == -1)
		load = UNLOAD_LOAD_UNKNOWN; /* documented: unknown */
	stop_update(t, p, f, &ended);
	/* re-arm: a new load, or (no load state) away from the unload */
	if (load == UNLOAD_LOAD_LOADED && t->reported != UNLOAD_LOAD_LOADED)
		t->done = 0;
	if (t->done && !t->seen_load && load == UNLOAD_LOAD_UNKNOWN &&
	    unload_dist_m(t->done_lat, t->done_lon, f->lat, f->lon) >
		p->stop_radius_m)
		t->done = 0;
	tipping(t, f, load, ev, emitted);
	if (load == UNLOAD_LOAD_EMPTY && t->reported == UNLOAD_LOAD_LOADED &&
	    !t->done)
		emit_emptied(t, f, &ended, ev, emitted);
	if (load != UNLOAD_LOAD_UNKNOWN) {
		t->reported = load;
		t->seen_load = 1;
	}
	if (load == UNLOAD_LOAD_LOADED) {
		t->loaded_ms = f->ts_ms;
		t->loaded_lat = f->lat;
		t->loaded_lon = f->lon;
	}
	if (f->tipping == 0 || f->tipping == 1) {
		t->tip = f->tipping;
		t->seen_tip = 1;
	}
	dwell(t, p, f, &ended, done, ev, emitted);
	t->have_last = 1;
	t->last_ms = f->ts_ms;
	t->last_lat = f->lat;
	t->last_lon = f->lon;
}

enum unload_status
unload_feed(struct unload_track *t, const struct unload_params *p,
    const struct unload_fix *f, uint32_t *dq, struct unload_event *ev,
    int *emitted)
{
	*emitted = 0;
	if (f->ts_ms == WT_NOTIME || !isfinite(f->lat) || !isfinite(f->lon) ||
	    fabs(f->lat) > 90.0 || fabs(f->lon) > 180.0)
		return UNLOAD_FIX_INVALID;
	if (t->mark_ms != WT_NOTIME && f->ts_ms == t->mark_ms)
		return UNLOAD_FIX_DUPLICATE;
	if (t->mark_ms != WT_NOTIME && f->ts_ms < t->mark_ms)
		return UNLOAD_FIX_LATE;
	t->mark_ms = f->ts_ms;
	if (outlier(t, p, f)) {
		*dq |= DQ_SPEED_OUTLIER;
		return UNLOAD_FIX_OUTLIER;
	}
	use_fix(t, p, f, ev, emitted);
	return UNLOAD_FIX_USED;
}
