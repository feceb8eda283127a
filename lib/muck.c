/*
 * muck: see muck.h. The vehicles live in one array with a chained hash
 * on their id; a batch journals the first change to each vehicle so that
 * a rollback puts it back.
 */
#include "muck.h"

#include "config.h"
#include "geofence.h"
#include "log.h"
#include "norm.h"
#include "unload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS   (MUCK_MAX_VEHICLES * 2)
#define WARM_FIXES 32 /* stored positions a new track starts from */
#define MAX_TAGS   8
#define DAY_MS	   86400000LL
#define MINUTE_MS  60000LL

struct mv {
	char id[64], plate[32];
	uint32_t next;	/* hash chain: index + 1, 0 ends it */
	uint32_t batch; /* journaled in this batch */
	int used;
	unsigned gen; /* of reg_idx */
	long reg_idx; /* cfg->vehicles index, -1 none */
	struct unload_track track;
	char waste[32];	 /* category of the current load; "" unknown */
	char origin[64]; /* construction site of the current load */
	int load_evt;	 /* a load event since the last unload */
	int64_t last_ms; /* last position with a point */
	double last_lat, last_lon;
	int64_t night_day, permit_day; /* local day numbers written */
	int64_t touched_ms;	       /* wall clock */
};

struct saved {
	uint32_t idx;
	int created;
	struct mv v;
};

/* What muck_before() found, for muck_after(). */
struct cur {
	int valid;
	uint32_t idx;
	enum unload_status status;
	int emitted, rose;
	struct unload_event ev;
};

struct muck {
	const struct config *cfg;
	unsigned gen;
	struct unload_params params;
	struct mv *v;
	uint32_t n, cap, free_head; /* free list: index + 1 */
	uint32_t *bucket;
	int in_batch;
	uint32_t batch;
	struct saved *jr;
	size_t njr, capjr;
	struct cur cur;
	int64_t now_ms; /* wall clock of the batch */
	struct muck_counters c;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

static void
set_params(struct muck *m)
{
	unload_params_default(&m->params);
	m->params.dwell_ms = (int64_t)m->cfg->supervision.unload_dwell_s * 1000;
}

int
muck_new(const struct config *cfg, struct muck **out)
{
	struct muck *m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->bucket = calloc(NBUCKETS, sizeof(*m->bucket))) == NULL) {
		free(m);
		return -1;
	}
	m->cfg = cfg;
	m->gen = 1;
	set_params(m);
	*out = m;
	return 0;
}

void
muck_free(struct muck *m)
{
	if (m == NULL)
		return;
	free(m->v);
	free(m->bucket);
	free(m->jr);
	free(m);
}

void
muck_set_config(struct muck *m, const struct config *cfg)
{
	m->cfg = cfg;
	m->gen++;
	set_params(m);
}

const struct muck_counters *
muck_counters(const struct muck *m)
{
	return &m->c;
}

/* The table */

static struct mv *
find(struct muck *m, const char *id, uint32_t *idx)
{
	uint32_t i;

	for (i = m->bucket[hash(id)]; i != 0; i = m->v[i - 1].next)
		if (strcmp(m->v[i - 1].id, id) == 0) {
			*idx = i - 1;
			return &m->v[i - 1];
		}
	return NULL;
}

static void
unlink_mv(struct muck *m, uint32_t idx)
{
	uint32_t *p = &m->bucket[hash(m->v[idx].id)];

	while (*p != 0 && *p != idx + 1)
		p = &m->v[*p - 1].next;
	if (*p == idx + 1)
		*p = m->v[idx].next;
	memset(&m->v[idx], 0, sizeof(m->v[idx]));
	m->v[idx].next = m->free_head;
	m->free_head = idx + 1;
	m->c.vehicles--;
}

/* Save v's state before its first change of the batch. */
static void
journal(struct muck *m, uint32_t idx, int created)
{
	struct saved *jr;
	size_t cap;

	if (!m->in_batch || m->v[idx].batch == m->batch)
		return;
	if (m->njr == m->capjr) {
		cap = m->capjr ? m->capjr * 2 : 64;
		if ((jr = reallocarray(m->jr, cap, sizeof(*jr))) == NULL) {
			/* Without room to save it, the vehicle cannot be put
			 * back: a rollback then starts it afresh. */
			log_warnx("muck: out of memory journaling a vehicle");
			return;
		}
		m->jr = jr;
		m->capjr = cap;
	}
	m->jr[m->njr].idx = idx;
	m->jr[m->njr].created = created;
	m->jr[m->njr].v = m->v[idx];
	m->njr++;
	m->v[idx].batch = m->batch;
}

static int
grow(struct muck *m)
{
	uint32_t cap = m->cap ? m->cap * 2 : 256;
	struct mv *v;

	if (cap > MUCK_MAX_VEHICLES)
		cap = MUCK_MAX_VEHICLES;
	if (cap == m->cap || (v = reallocarray(m->v, cap, sizeof(*v))) == NULL)
		return -1;
	memset(v + m->cap, 0, (cap - m->cap) * sizeof(*v));
	m->v = v;
	m->cap = cap;
	return 0;
}

/* The vehicle's entry, made if new (*created); NULL when there is no
 * room. */
static struct mv *
get(struct muck *m, const char *id, int64_t now_ms, uint32_t *idx, int *created)
{
	struct mv *v;
	uint32_t h;

	if (id == NULL || strlen(id) >= sizeof(v->id))
		return NULL;
	*created = 0;
	if ((v = find(m, id, idx)) != NULL) {
		journal(m, *idx, 0);
		v->touched_ms = now_ms;
		return v;
	}
	if (m->free_head != 0) {
		*idx = m->free_head - 1;
		m->free_head = m->v[*idx].next;
	} else if (m->n < m->cap || grow(m) == 0)
		*idx = m->n++;
	else
		return NULL;
	v = &m->v[*idx];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->used = 1;
	v->reg_idx = -1;
	v->night_day = v->permit_day = INT64_MIN;
	unload_track_init(&v->track);
	h = hash(id);
	v->next = m->bucket[h];
	m->bucket[h] = *idx + 1;
	v->touched_ms = now_ms;
	m->c.vehicles++;
	journal(m, *idx, 1);
	*created = 1;
	return v;
}

/* Between batches: room for new vehicles, from the idle ones. */
static void
evict_idle(struct muck *m, int64_t now_ms)
{
	uint32_t i;

	if (m->c.vehicles < MUCK_MAX_VEHICLES - MUCK_MAX_VEHICLES / 16)
		return;
	for (i = 0; i < m->n; i++)
		if (m->v[i].used &&
		    m->v[i].touched_ms < now_ms - MUCK_IDLE_MS) {
			unlink_mv(m, i);
			m->c.evicted++;
		}
}

void
muck_begin(struct muck *m, int64_t now_ms)
{
	evict_idle(m, now_ms);
	m->now_ms = now_ms;
	m->batch++;
	m->njr = 0;
	m->in_batch = 1;
	m->cur.valid = 0;
}

void
muck_commit(struct muck *m)
{
	m->in_batch = 0;
	m->njr = 0;
}

void
muck_rollback(struct muck *m)
{
	size_t i;

	/* Newest first: a vehicle made in the batch goes last. */
	for (i = m->njr; i-- > 0;) {
		struct saved *s = &m->jr[i];

		if (s->created)
			unlink_mv(m, s->idx);
		else
			m->v[s->idx] = s->v;
	}
	m->in_batch = 0;
	m->njr = 0;
	m->cur.valid = 0;
}

/* Rules */

static const struct cfg_vehicle *
registry(struct muck *m, struct mv *v)
{
	const struct cfg_vehicle *r;

	if (v->gen != m->gen) {
		r = v->plate[0] != '\0' ? config_vehicle(m->cfg, v->plate)
					: NULL;
		v->reg_idx = r != NULL ? r - m->cfg->vehicles : -1;
		v->gen = m->gen;
	}
	return v->reg_idx >= 0 ? &m->cfg->vehicles[v->reg_idx] : NULL;
}

static void
set_plate(struct muck *m, struct mv *v, const char *plate)
{
	if (plate == NULL || strcmp(plate, v->plate) == 0 ||
	    strlen(plate) >= sizeof(v->plate))
		return;
	snprintf(v->plate, sizeof(v->plate), "%s", plate);
	v->gen = m->gen - 1; /* look the registry up again */
}

static int
is_muck(struct muck *m, struct mv *v)
{
	const struct cfg_vehicle *r = registry(m, v);

	return (r != NULL && r->kind != NULL &&
		   strcmp(r->kind, "muck_truck") == 0) ||
	    strncmp(v->waste, "cw.", 3) == 0;
}

static int
is_loaded(const struct mv *v)
{
	return v->track.reported == UNLOAD_LOAD_LOADED || v->load_evt;
}

static int
overlap(const char *p, const char *q)
{
	return config_waste_match(p, q) || config_waste_match(q, p);
}

/*
 * Does facility f accept the truck's waste: the registry's patterns,
 * else the load's category? A facility without `accepts` takes any
 * waste; unknown waste is taken by a facility that accepts some.
 */
static int
accepts(const struct cfg_facility *f, const struct cfg_vehicle *r,
    const char *waste)
{
	size_t i, j;

	if (f->accepts == NULL)
		return 1;
	for (i = 0; i < f->naccepts; i++) {
		if (r != NULL && r->nwaste > 0) {
			for (j = 0; j < r->nwaste; j++)
				if (overlap(f->accepts[i], r->waste[j]))
					return 1;
		} else if (waste == NULL || *waste == '\0' ||
		    config_waste_match(f->accepts[i], waste))
			return 1;
	}
	return 0;
}

static const char *
nz(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static int64_t
local_day_no(int64_t ts_ms, int offset_min)
{
	int64_t t = ts_ms + offset_min * MINUTE_MS;

	return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

int
muck_in_hours(int64_t ts_ms, int offset_min, int from, int to)
{
	int64_t t = ts_ms + offset_min * MINUTE_MS, min;

	if (from < 0)
		return 1;
	min = (t % DAY_MS + DAY_MS) % DAY_MS / MINUTE_MS;
	return from < to ? min >= from && min < to : min >= from || min < to;
}

/* The origin district: the construction site's, the vehicle's, else the
 * site's where it unloaded (site_district, may be NULL). */
static const char *
district_of(struct muck *m, struct mv *v, const char *site_district)
{
	const struct cfg_generator *g = config_generator(m->cfg, nz(v->origin));
	const struct cfg_vehicle *r = registry(m, v);

	if (g != NULL)
		return g->district;
	if (r != NULL && r->district != NULL)
		return r->district;
	return site_district;
}

static int
violation(struct muck *m, struct store *s, const char *kind,
    const char *subject, const char *reason, struct mv *v, int64_t ts_ms,
    const char *waste, const char *site, const char *district)
{
	struct store_violation sv = { .kind = kind,
		.subject = subject,
		.reason = reason,
		.vehicle = v != NULL ? v->id : NULL,
		.plate = v != NULL ? nz(v->plate) : NULL,
		.district = district,
		.waste = nz(waste),
		.site = site,
		.ts_ms = ts_ms,
		.lat = v != NULL && v->last_ms != 0 ? v->last_lat : NAN,
		.lon = v != NULL && v->last_ms != 0 ? v->last_lon : NAN };
	int added;

	if (store_violation_add(s, &sv, m->cfg->time.local_offset_min,
		&added) == -1)
		return -1;
	m->c.violations += (uint64_t)added;
	return 0;
}

/* The vehicle's permit on the local day of ts_ms, for carrying waste. */
static const char *
permit_reason(struct muck *m, struct mv *v, int64_t ts_ms, const char *waste)
{
	const struct cfg_vehicle *r = registry(m, v);
	char day[16];
	size_t i;

	/* A registry that lists no vehicle at all is a city that does not
	 * register them: nobody is unregistered there. */
	if (r == NULL)
		return m->cfg->nvehicles > 0 ? "unregistered" : NULL;
	norm_local_day(ts_ms, m->cfg->time.local_offset_min, day);
	if (r->permit_from != NULL && strcmp(day, r->permit_from) < 0)
		return "not_yet_valid";
	if (r->permit_to != NULL && strcmp(day, r->permit_to) > 0)
		return "expired";
	if (r->nwaste == 0 || nz(waste) == NULL)
		return NULL;
	for (i = 0; i < r->nwaste; i++)
		if (config_waste_match(r->waste[i], waste))
			return NULL;
	return "category";
}

static int
check_permit(struct muck *m, struct store *s, struct mv *v, int64_t ts_ms,
    const char *waste)
{
	const char *why = permit_reason(m, v, ts_ms, waste);
	const struct cfg_vehicle *r = registry(m, v);

	if (why == NULL)
		return 0;
	return violation(m, s, "permit", nz(v->plate) ? v->plate : v->id, why,
	    v, ts_ms, waste, nz(v->origin),
	    r != NULL && r->district ? r->district : district_of(m, v, NULL));
}

/* A load at construction site g outside its permit window. */
static int
check_site(struct muck *m, struct store *s, struct mv *v,
    const struct cfg_generator *g, int64_t ts_ms, const char *waste)
{
	const char *why = NULL;
	char day[16];

	if (g == NULL || strcmp(g->kind, "construction_site") != 0)
		return 0;
	norm_local_day(ts_ms, m->cfg->time.local_offset_min, day);
	if (g->permit_from != NULL && strcmp(day, g->permit_from) < 0)
		why = "site_not_yet_valid";
	else if (g->permit_to != NULL && strcmp(day, g->permit_to) > 0)
		why = "site_expired";
	if (why == NULL)
		return 0;
	return violation(m, s, "permit", g->id, why, v, ts_ms, waste, g->id,
	    g->district);
}

/* The sites whose fences contain the point: how many, tags in t. */
static size_t
sites_at(struct muck *m, double lat, double lon, size_t *t)
{
	size_t n;

	if (m->cfg->fences == NULL || isnan(lat))
		return 0;
	n = geofence_set_find(m->cfg->fences, lat, lon, t, MAX_TAGS);
	return n < MAX_TAGS ? n : MAX_TAGS;
}

/* The construction site whose fence holds the point, or NULL. */
static const struct cfg_generator *
construction_at(struct muck *m, double lat, double lon)
{
	const struct cfg_facility *f;
	const struct cfg_generator *g;
	size_t t[MAX_TAGS], n = sites_at(m, lat, lon, t), i;

	for (i = 0; i < n; i++) {
		config_site(m->cfg, t[i], &f, &g);
		if (g != NULL && strcmp(g->kind, "construction_site") == 0)
			return g;
	}
	return NULL;
}

/* Where an unload fell (u->site, site_kind, authorised). fallback: a
 * registered facility the event named, taken when the position says
 * nothing against it. 1 when it fell at a generator (a construction
 * site, a clinic: where loads are taken on). */
static int
place(struct muck *m, struct mv *v, const char *waste,
    const struct cfg_facility *fallback, struct store_unload *u,
    const char **site_district)
{
	const struct cfg_vehicle *r = registry(m, v);
	const struct cfg_facility *f;
	const struct cfg_generator *g;
	size_t t[MAX_TAGS], n = sites_at(m, u->lat, u->lon, t), i;
	int at_origin = 0;

	*site_district = NULL;
	for (i = 0; i < n; i++) {
		config_site(m->cfg, t[i], &f, &g);
		if (f != NULL && accepts(f, r, waste)) {
			u->site = f->id;
			u->site_kind = f->kind;
			*site_district = f->district;
			u->authorised = 1;
			return 0;
		}
		if (u->site == NULL) {
			u->site = f != NULL ? f->id : g->id;
			u->site_kind = f != NULL ? f->kind : g->kind;
			*site_district = f != NULL ? f->district : g->district;
		}
		at_origin |= g != NULL;
	}
	if (u->site == NULL && fallback != NULL &&
	    (isnan(u->lat) ||
		(fallback->fence.radius_m == 0 &&
		    fallback->fence.rings == NULL))) {
		u->site = fallback->id;
		u->site_kind = fallback->kind;
		*site_district = fallback->district;
		u->authorised = accepts(fallback, r, waste);
	}
	return at_origin;
}

/* The load is over: what it carried no longer applies. */
static void
unloaded(struct mv *v)
{
	v->load_evt = 0;
	v->waste[0] = v->origin[0] = '\0';
}

/* An unload the track revealed. */
static int
inferred(struct muck *m, struct store *s, struct mv *v,
    const struct unload_event *ev, int64_t mid)
{
	static const char *const hows[] = { "", "load_state", "tipping",
		"dwell" };
	struct store_unload u = { .vehicle = v->id,
		.plate = nz(v->plate),
		.ts_ms = ev->ts_ms,
		.since_ms = ev->since_ms,
		.lat = ev->lat,
		.lon = ev->lon,
		.how = hows[ev->how],
		.candidate = ev->how == UNLOAD_BY_DWELL,
		.waste = nz(v->waste),
		.origin = nz(v->origin) };
	const char *sd;
	int added;

	/* A stop at a generator's site is a load, not an unload. */
	if (place(m, v, v->waste, NULL, &u, &sd) && !u.authorised &&
	    u.candidate)
		return 0;
	u.district = district_of(m, v, sd);
	u.muck = is_muck(m, v);
	if (store_unload_add(s, &u, m->cfg->time.local_offset_min, mid,
		&added) == -1)
		return -1;
	if (u.candidate)
		m->c.candidates += (uint64_t)added;
	else {
		m->c.unloads += (uint64_t)added;
		unloaded(v);
	}
	return 0;
}

/*
 * A vehicle this run has not seen (a restart, an eviction) starts from
 * what is stored: its last positions before ts_ms are fed to the fresh
 * track, whatever they reveal ignored (it was written when they came),
 * and a load event after its last unload makes it loaded. So a load
 * state that changes across a restart is still an unload. A failed read
 * only leaves the track fresh.
 */
static void
warm(struct muck *m, struct store *s, struct mv *v, int64_t ts_ms)
{
	struct store_fix fx[WARM_FIXES];
	struct unload_event ev;
	struct unload_fix f;
	struct store_load ld;
	size_t n = 0, i;
	uint32_t dq;
	int emitted, found = 0;

	if (s == NULL || ts_ms == WT_NOTIME ||
	    store_vehicle_recent(s, v->id, ts_ms, fx, WARM_FIXES, &n) == -1 ||
	    store_vehicle_load(s, v->id, &ld, &found) == -1)
		log_warnx("muck: %s: its stored track could not be read: it "
			  "starts afresh",
		    v->id);
	for (i = 0; i < n; i++) {
		f.ts_ms = fx[i].ts_ms;
		f.lat = fx[i].lat;
		f.lon = fx[i].lon;
		f.speed_kmh = fx[i].speed_kmh;
		f.load_state = nz(fx[i].load_state);
		f.tipping = -1;
		dq = 0;
		if (unload_feed(&v->track, &m->params, &f, &dq, &ev,
			&emitted) == UNLOAD_FIX_USED) {
			v->last_ms = f.ts_ms;
			v->last_lat = f.lat;
			v->last_lon = f.lon;
		}
	}
	if (found && ld.ts_ms < ts_ms) {
		unload_note_load(&v->track);
		v->load_evt = 1;
		snprintf(v->waste, sizeof(v->waste), "%s", ld.waste);
		if (config_generator(m->cfg, nz(ld.site)) != NULL)
			snprintf(v->origin, sizeof(v->origin), "%s", ld.site);
	}
}

void
muck_before(struct muck *m, struct store *s, struct ev *e, int64_t now_ms)
{
	const struct ev_position *p = &e->u.pos;
	struct unload_fix fix;
	struct cur *c = &m->cur;
	struct mv *v;
	int was_loaded, created;

	c->valid = 0;
	m->now_ms = now_ms;
	if (e->kind != EV_POSITION)
		return;
	if ((v = get(m, p->vehicle, now_ms, &c->idx, &created)) == NULL) {
		m->c.untracked++;
		return;
	}
	set_plate(m, v, p->plate);
	if (created)
		warm(m, s, v, p->ts_ms);
	fix.ts_ms = p->ts_ms;
	fix.lat = p->lat;
	fix.lon = p->lon;
	fix.speed_kmh = p->speed_kmh;
	fix.load_state = p->load_state;
	fix.tipping = (int)p->body_lifted;
	was_loaded = v->track.reported == UNLOAD_LOAD_LOADED;
	c->status = unload_feed(&v->track, &m->params, &fix, &e->dq, &c->ev,
	    &c->emitted);
	c->rose = !was_loaded && v->track.reported == UNLOAD_LOAD_LOADED;
	c->valid = 1;
	if (c->status == UNLOAD_FIX_OUTLIER)
		m->c.outliers++;
}

/* Night window and permit, for a loaded muck truck (at most one row
 * each per local day). */
static int
moving_rules(struct muck *m, struct store *s, struct mv *v,
    const struct ev_position *p, int moved)
{
	int off = m->cfg->time.local_offset_min;
	int64_t day = local_day_no(p->ts_ms, off);
	const struct cfg_vehicle *r;
	char subject[96], dstr[16];

	if (!is_loaded(v) || !is_muck(m, v))
		return 0;
	if (v->permit_day != day) {
		v->permit_day = day;
		if (check_permit(m, s, v, p->ts_ms, v->waste) == -1)
			return -1;
	}
	if (v->night_day == day || !moved ||
	    muck_in_hours(p->ts_ms, off, m->cfg->supervision.muck_from_min,
		m->cfg->supervision.muck_to_min))
		return 0;
	v->night_day = day;
	norm_local_day(p->ts_ms, off, dstr);
	snprintf(subject, sizeof(subject), "%s/%s",
	    nz(v->plate) ? v->plate : v->id, dstr);
	r = registry(m, v);
	return violation(m, s, "night_window", subject, "", v, p->ts_ms,
	    v->waste, nz(v->origin),
	    r != NULL && r->district ? r->district : district_of(m, v, NULL));
}

static int
after_position(struct muck *m, struct store *s, const struct ev *e, int64_t mid)
{
	const struct ev_position *p = &e->u.pos;
	struct cur *c = &m->cur;
	struct mv *v = &m->v[c->idx];
	const struct cfg_generator *g;
	int moved;

	if (c->status != UNLOAD_FIX_USED)
		return 0;
	moved = !isnan(p->speed_kmh) ? p->speed_kmh >= m->params.stop_speed_kmh
				     : v->last_ms != 0 &&
		unload_dist_m(v->last_lat, v->last_lon, p->lat, p->lon) >
		    m->params.stop_radius_m;
	v->last_ms = p->ts_ms;
	v->last_lat = p->lat;
	v->last_lon = p->lon;
	if (c->emitted && inferred(m, s, v, &c->ev, mid) == -1)
		return -1;
	/* Loaded where? At a construction site: the load's origin, and the
	 * site's permit. Only on the rise, so once per load. */
	if (c->rose && (g = construction_at(m, p->lat, p->lon)) != NULL) {
		snprintf(v->origin, sizeof(v->origin), "%s", g->id);
		if (check_site(m, s, v, g, p->ts_ms, v->waste) == -1)
			return -1;
	}
	return moving_rules(m, s, v, p, moved);
}

static int
after_load(struct muck *m, struct store *s, struct mv *v,
    const struct ev_vehicle_event *ve)
{
	const struct cfg_generator *g = config_generator(m->cfg, ve->site);

	unload_note_load(&v->track);
	v->load_evt = 1;
	snprintf(v->waste, sizeof(v->waste), "%s", ve->waste);
	snprintf(v->origin, sizeof(v->origin), "%s", g != NULL ? g->id : "");
	if (check_site(m, s, v, g, ve->ts_ms, ve->waste) == -1)
		return -1;
	if (strncmp(ve->waste, "cw.", 3) == 0 ||
	    (g != NULL && strcmp(g->kind, "construction_site") == 0))
		return check_permit(m, s, v, ve->ts_ms, ve->waste);
	return 0;
}

static int
after_unload(struct muck *m, struct store *s, struct mv *v,
    const struct ev_vehicle_event *ve, int64_t mid)
{
	struct store_unload u = { .vehicle = v->id,
		.plate = nz(v->plate),
		.ts_ms = ve->ts_ms,
		.since_ms = ve->ts_ms,
		.lat = ve->lat,
		.lon = ve->lon,
		.how = "event",
		.waste = ve->waste,
		.origin = nz(v->origin) };
	const char *sd;
	int added;

	if (isnan(u.lat) && v->last_ms != 0 &&
	    llabs(ve->ts_ms - v->last_ms) <= MUCK_LAST_FIX_MS) {
		u.lat = v->last_lat;
		u.lon = v->last_lon;
	}
	(void)place(m, v, ve->waste, config_facility(m->cfg, ve->facility), &u,
	    &sd);
	u.district = district_of(m, v, sd);
	/* The event says what it carried; a muck truck either way. */
	u.muck = is_muck(m, v) || strncmp(ve->waste, "cw.", 3) == 0;
	if (!isnan(u.lat))
		unload_note_unload(&v->track, u.lat, u.lon);
	if (store_unload_add(s, &u, m->cfg->time.local_offset_min, mid,
		&added) == -1)
		return -1;
	m->c.unloads += (uint64_t)added;
	unloaded(v);
	return 0;
}

static int
after_weighing(struct muck *m, struct store *s, const struct ev_weighing *w)
{
	double net = w->net_kg;
	struct mv probe;
	int changed;

	if (w->plate == NULL)
		return 0;
	if (isnan(net) && !isnan(w->gross_kg) && !isnan(w->tare_kg))
		net = w->gross_kg - w->tare_kg;
	if (!isnan(net) && m->params.dwell_ms > 0 &&
	    store_unload_weighed(s, w->plate, w->first_ms, w->second_ms,
		net >= MUCK_EMPTY_KG,
		w->waste != NULL && strncmp(w->waste, "cw.", 3) == 0,
		&changed) == -1)
		return -1;
	if (w->waste == NULL || strncmp(w->waste, "cw.", 3) != 0)
		return 0;
	/* Construction waste over a weighbridge: the plate's permit. The
	 * plate may never have sent a position: a probe, not kept. */
	memset(&probe, 0, sizeof(probe));
	snprintf(probe.id, sizeof(probe.id), "%s", w->plate);
	snprintf(probe.plate, sizeof(probe.plate), "%s", w->plate);
	probe.gen = m->gen - 1;
	return check_permit(m, s, &probe, w->first_ms, w->waste);
}

int
muck_after(struct muck *m, struct store *s, const struct ev *e,
    int64_t message_id, enum store_result res)
{
	const struct ev_vehicle_event *ve = &e->u.vev;
	struct mv *v;
	uint32_t idx;
	int created;

	if (e->kind == EV_POSITION)
		return m->cur.valid ? after_position(m, s, e, message_id) : 0;
	/* A redelivered event has done its work already. */
	if (res != STORE_NEW)
		return 0;
	if (e->kind == EV_WEIGHING)
		return after_weighing(m, s, &e->u.wb);
	if (e->kind != EV_VEHICLE_EVENT || ve->type == NULL)
		return 0;
	if ((v = get(m, ve->vehicle, m->now_ms, &idx, &created)) == NULL) {
		m->c.untracked++;
		return 0;
	}
	set_plate(m, v, ve->plate);
	if (created)
		warm(m, s, v, ve->ts_ms);
	if (strcmp(ve->type, "load") == 0)
		return after_load(m, s, v, ve);
	if (strcmp(ve->type, "unload") == 0)
		return after_unload(m, s, v, ve, message_id);
	return 0;
}
