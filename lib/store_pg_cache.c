/*
 * store_pg_cache: what the PostgreSQL writer keeps for the length of a
 * transaction besides its messages (store_pg_write.h): the vehicles
 * seen, written at commit in the order of their keys, and the facility
 * registry, read at its first use in a transaction and forgotten at its
 * end (another writer may sync another registry in between).
 */
#include "store_pg_write.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A vehicle seen in the open transaction: the row it will get. */
struct pgw_seen {
	char *vehicle, *plate, *device; /* NULL vehicle: a free slot */
	int64_t first, last;
};

struct pgw_fac {
	char *id;
	struct pgw_facility f;
};

struct pgw_cache {
	struct pgw_seen *seen;
	size_t nseen, seen_cap;
	struct pgw_fac *fac;
	size_t nfac;
	int fac_loaded;
};

static void
seen_clear(struct pgw_cache *w)
{
	size_t i;

	for (i = 0; i < w->seen_cap; i++) {
		free(w->seen[i].vehicle);
		free(w->seen[i].plate);
		free(w->seen[i].device);
		memset(&w->seen[i], 0, sizeof(w->seen[i]));
	}
	w->nseen = 0;
}

static void
fac_clear(struct pgw_cache *w)
{
	size_t i;

	for (i = 0; i < w->nfac; i++)
		free(w->fac[i].id);
	free(w->fac);
	w->fac = NULL;
	w->nfac = 0;
	w->fac_loaded = 0;
}

void
store_pgw_cache_free(void *state)
{
	struct pgw_cache *w = state;

	if (w == NULL)
		return;
	seen_clear(w);
	free(w->seen);
	fac_clear(w);
	free(w);
}

static struct pgw_cache *
cache_of(struct store_pgsql *s)
{
	struct pgw_parts *parts = store_pgw_parts(s);

	if (parts == NULL)
		return NULL;
	if (parts->cache == NULL &&
	    (parts->cache = calloc(1, sizeof(struct pgw_cache))) == NULL)
		store_pgsql_fail(s, "out of memory");
	return parts->cache;
}

void
store_pgw_cache_end(struct store_pgsql *s)
{
	struct pgw_cache *w = cache_of(s);

	if (w == NULL)
		return;
	seen_clear(w);
	fac_clear(w);
}

/* ---- the vehicles seen ---- */

/*
 * `vehicles` is updated once per transaction and vehicle, not once per
 * position, as store_seen.c does for SQLite: the latest plate and device
 * in arrival order, the earliest and latest time. The rows are written
 * at commit in the order of their keys, so that two writers updating the
 * same vehicles take their locks in the same order and never deadlock.
 */
static const struct pg_stmt st_seen = { "w_seen",
	"INSERT INTO vehicles AS v(vehicle, plate, device, first_seen_ms,"
	" last_seen_ms) SELECT u.vehicle, u.plate, u.device, u.first, u.last"
	" FROM json_to_recordset($1::json) AS u(n bigint, vehicle text,"
	" plate text, device text, first bigint, last bigint) ORDER BY u.n"
	" ON CONFLICT(vehicle) DO UPDATE SET"
	" plate = coalesce(excluded.plate, v.plate),"
	" device = coalesce(excluded.device, v.device),"
	" first_seen_ms = least(v.first_seen_ms, excluded.first_seen_ms),"
	" last_seen_ms = greatest(v.last_seen_ms, excluded.last_seen_ms)" };

static size_t
seen_slot(const struct pgw_cache *w, const char *vehicle)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)vehicle; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (i = h & (w->seen_cap - 1); w->seen[i].vehicle != NULL;
	     i = (i + 1) & (w->seen_cap - 1))
		if (strcmp(w->seen[i].vehicle, vehicle) == 0)
			break;
	return i;
}

static int
seen_grow(struct pgw_cache *w)
{
	struct pgw_seen *old = w->seen;
	size_t i, cap = w->seen_cap, ncap = cap == 0 ? 1024 : 2 * cap;

	if ((w->seen = calloc(ncap, sizeof(*w->seen))) == NULL) {
		w->seen = old;
		return -1;
	}
	w->seen_cap = ncap;
	for (i = 0; i < cap; i++)
		if (old[i].vehicle != NULL)
			w->seen[seen_slot(w, old[i].vehicle)] = old[i];
	free(old);
	return 0;
}

static int
keep_latest(char **dst, const char *src)
{
	char *copy;

	if (src == NULL)
		return 0;
	if ((copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

int
store_pgw_vehicle_seen(struct store_pgsql *s, const char *vehicle,
    const char *plate, const char *device, int64_t ts)
{
	struct pgw_cache *w = cache_of(s);
	struct pgw_seen *v;

	if (w == NULL || vehicle == NULL)
		return w == NULL ? -1 : 0;
	if (2 * (w->nseen + 1) > w->seen_cap && seen_grow(w) == -1)
		goto oom;
	v = &w->seen[seen_slot(w, vehicle)];
	if (v->vehicle == NULL) {
		if ((v->vehicle = strdup(vehicle)) == NULL)
			goto oom;
		v->first = v->last = ts;
		w->nseen++;
	}
	if (ts < v->first)
		v->first = ts;
	if (ts > v->last)
		v->last = ts;
	if (keep_latest(&v->plate, plate) == -1 ||
	    keep_latest(&v->device, device) == -1)
		goto oom;
	return 0;
oom:
	store_pgsql_fail(s, "out of memory");
	return -1;
}

static int
seen_cmp(const void *a, const void *b)
{
	const struct pgw_seen *x = *(const struct pgw_seen *const *)a;
	const struct pgw_seen *y = *(const struct pgw_seen *const *)b;

	return strcmp(x->vehicle, y->vehicle);
}

static void
seen_json(struct pgw_json *j, struct pgw_seen **order, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		store_pgw_jlit(j, i == 0 ? "[" : ",");
		store_pgw_jkey(j, "n");
		store_pgw_ji64(j, (int64_t)i);
		store_pgw_jkey(j, "vehicle");
		store_pgw_jstr(j, order[i]->vehicle);
		store_pgw_jkey(j, "plate");
		store_pgw_jstr(j, order[i]->plate);
		store_pgw_jkey(j, "device");
		store_pgw_jstr(j, order[i]->device);
		store_pgw_jkey(j, "first");
		store_pgw_ji64(j, order[i]->first);
		store_pgw_jkey(j, "last");
		store_pgw_ji64(j, order[i]->last);
		store_pgw_jlit(j, "}");
	}
	store_pgw_jlit(j, "]");
}

/* One statement for them all, its rows in the order of their keys. */
int
store_pgw_seen_flush(struct store_pgsql *s)
{
	struct pgw_cache *w = cache_of(s);
	struct pgw_json j = { 0 };
	struct pgw_seen **order;
	struct pgp p;
	size_t i, n = 0;
	int rc = -1;

	if (w == NULL)
		return -1;
	if (w->nseen == 0)
		return 0;
	if ((order = calloc(w->nseen, sizeof(*order))) == NULL) {
		store_pgsql_fail(s, "out of memory");
		return -1;
	}
	for (i = 0; i < w->seen_cap; i++)
		if (w->seen[i].vehicle != NULL)
			order[n++] = &w->seen[i];
	qsort(order, n, sizeof(*order), seen_cmp);
	seen_json(&j, order, n);
	if (j.oom)
		store_pgsql_fail(s, "out of memory");
	else {
		pgp_init(&p);
		pgp_text(&p, j.p);
		rc = pgq_send(s, &st_seen, &p, NULL, 0);
	}
	free(j.p);
	free(order);
	return rc;
}

/* ---- the facility registry, read once per transaction ---- */

static const struct pg_stmt st_facilities = { "w_facilities",
	"SELECT id, district, kind, harmless FROM facilities" };

static int
fac_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pgw_fac *)a)->id,
	    ((const struct pgw_fac *)b)->id);
}

static int
fac_row(PGresult *r, int i, struct pgw_fac *out)
{
	const char *v;

	memset(out, 0, sizeof(*out));
	if ((out->id = strdup(pgr_text(r, i, 0))) == NULL)
		return -1;
	out->f.known = 1;
	if ((v = pgr_text(r, i, 1)) != NULL) {
		snprintf(out->f.district, sizeof(out->f.district), "%s", v);
		out->f.has_district = 1;
	}
	if ((v = pgr_text(r, i, 2)) != NULL) {
		snprintf(out->f.kind, sizeof(out->f.kind), "%s", v);
		out->f.has_kind = 1;
	}
	out->f.harmless = (int)pgr_i64(r, i, 3, -1);
	return 0;
}

static int
fac_load(struct store_pgsql *s, struct pgw_cache *w)
{
	PGresult *r;
	int i, n;

	if (w->fac_loaded)
		return 0;
	fac_clear(w);
	if ((r = pgq_query(s, &st_facilities, NULL)) == NULL)
		return -1;
	n = PQntuples(r);
	if (n > 0 && (w->fac = calloc((size_t)n, sizeof(*w->fac))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		if (fac_row(r, i, &w->fac[i]) == -1)
			goto oom;
		w->nfac++;
	}
	PQclear(r);
	qsort(w->fac, w->nfac, sizeof(*w->fac), fac_cmp);
	w->fac_loaded = 1;
	return 0;
oom:
	PQclear(r);
	fac_clear(w);
	store_pgsql_fail(s, "out of memory");
	return -1;
}

int
store_pgw_facility_get(struct store_pgsql *s, const char *id,
    struct pgw_facility *f)
{
	struct pgw_cache *w = cache_of(s);
	struct pgw_fac key, *hit;

	memset(f, 0, sizeof(*f));
	f->harmless = -1;
	if (w == NULL)
		return -1;
	if (id == NULL)
		return 0;
	if (fac_load(s, w) == -1)
		return -1;
	key.id = (char *)(uintptr_t)id;
	hit = w->nfac > 0
	    ? bsearch(&key, w->fac, w->nfac, sizeof(*w->fac), fac_cmp)
	    : NULL;
	if (hit != NULL)
		*f = hit->f;
	return 0;
}

int64_t
store_pgw_facility_flag(struct store_pgsql *s, const char *id)
{
	struct pgw_facility f;

	if (id == NULL)
		return 0;
	if (store_pgw_facility_get(s, id, &f) == -1)
		return -1;
	return f.known ? 0 : DQ_UNKNOWN_FACILITY;
}

void
store_pgw_facility_forget(struct store_pgsql *s)
{
	struct pgw_cache *w = cache_of(s);

	if (w != NULL)
		fac_clear(w);
}
