/*
 * config_site: where registered sites are — lat, lon, their coordinate
 * system and their geofence — for facilities and generators alike, the
 * supervision hours of muck trucks, and the fence index built once every
 * file is read (docs/geofence.md). Calls only config_util.c and
 * config_data.c.
 *
 * A site's coordinates (lat, lon and every vertex of its fence) are in the
 * system its `crs` names, WGS-84 by default, and are converted to WGS-84
 * here, vertex by vertex, as positions are when they are decoded (lib/geo.c);
 * a circle's radius stays metres. Everything after the load sees WGS-84.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "geo.h"
#include "geofence.h"
#include "log.h"

static struct cfg_fence *
fence_field(const struct key *k, void *base)
{
	return (struct cfg_fence *)(void *)((char *)base + k->off);
}

static void
fence_clear(struct cfg_fence *f)
{
	size_t i;

	for (i = 0; f->rings != NULL && i < f->nrings; i++)
		free((void *)(uintptr_t)f->rings[i].v);
	free(f->rings);
	f->rings = NULL;
	f->nrings = 0;
	f->radius_m = 0;
}

void
cfg_release_fence(const struct key *k, void *base)
{
	fence_clear(fence_field(k, base));
}

/* [lat, lon]: 0, or -1 reported. */
static int
ll_pair(struct ctx *ctx, const yaml_node_t *n, struct geofence_ll *out)
{
	yaml_node_t *a, *b;

	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top - n->data.sequence.items.start != 2)
		goto bad;
	a = cfg_node(ctx, n->data.sequence.items.start[0]);
	b = cfg_node(ctx, n->data.sequence.items.start[1]);
	if (a->type != YAML_SCALAR_NODE || b->type != YAML_SCALAR_NODE ||
	    cfg_parse_double(cfg_scalar(a), &out->lat) != 0 ||
	    cfg_parse_double(cfg_scalar(b), &out->lon) != 0)
		goto bad;
	if (fabs(out->lat) > 90 || fabs(out->lon) > 180) {
		cfg_errat(ctx, &n->start_mark,
		    "vertex out of range: latitude -90..90, longitude "
		    "-180..180");
		return -1;
	}
	return 0;
bad:
	cfg_errat(ctx, &n->start_mark, "a vertex is [lat, lon], two numbers");
	return -1;
}

/* A list of [lat, lon] vertices into r (v allocated): 0, or -1. */
static int
parse_ring(struct ctx *ctx, const yaml_node_t *n, struct geofence_ring *r)
{
	struct geofence_ll *v;
	yaml_node_item_t *it;
	size_t cnt;
	int rc = 0;

	r->v = NULL;
	r->n = 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_errat(ctx, &n->start_mark,
		    "a ring is a list of [lat, lon] vertices");
		return -1;
	}
	cnt =
	    (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > GEOFENCE_MAX_VERTICES) {
		cfg_errat(ctx, &n->start_mark, "more than %d vertices",
		    GEOFENCE_MAX_VERTICES);
		return -1;
	}
	if ((v = cfg_calloc(ctx, cnt + 1, sizeof(*v))) == NULL)
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++)
		if (ll_pair(ctx, cfg_node(ctx, *it), &v[r->n++]) == -1)
			rc = -1;
	r->v = v;
	return rc;
}

/* holes: a list of rings, appended to f->rings after the outline. */
static int
parse_holes(struct ctx *ctx, const yaml_node_t *n, struct cfg_fence *f)
{
	struct geofence_ring *rings;
	yaml_node_item_t *it;
	size_t cnt;
	int rc = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_errat(ctx, &n->start_mark,
		    "\"holes\" must be a list of "
		    "rings");
		return -1;
	}
	cnt =
	    (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if ((rings = cfg_reallocarray(ctx, f->rings, f->nrings + cnt + 1,
		 sizeof(*rings))) == NULL)
		return -1;
	f->rings = rings;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		if (parse_ring(ctx, cfg_node(ctx, *it), &rings[f->nrings]) ==
		    -1)
			rc = -1;
		if (rings[f->nrings].v != NULL)
			f->nrings++;
	}
	return rc;
}

/* One key of a geofence mapping: 0, or -1 reported. */
static int
fence_key(struct ctx *ctx, const char *key, const yaml_node_t *kn,
    const yaml_node_t *v, struct cfg_fence *f, const yaml_node_t **holes)
{
	if (strcmp(key, "radius_m") == 0) {
		if (v->type != YAML_SCALAR_NODE ||
		    cfg_parse_double(cfg_scalar(v), &f->radius_m) != 0 ||
		    f->radius_m <= 0) {
			cfg_errat(ctx, &v->start_mark,
			    "\"radius_m\" must be a number above 0");
			f->radius_m = 0;
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "polygon") == 0) {
		if ((f->rings = cfg_calloc(ctx, 1, sizeof(*f->rings))) == NULL)
			return -1;
		f->nrings = 1;
		return parse_ring(ctx, v, &f->rings[0]);
	}
	if (strcmp(key, "holes") == 0) {
		*holes = v;
		return 0;
	}
	cfg_errat(ctx, &kn->start_mark,
	    "unknown key \"%s\" in geofence: want radius_m, or polygon and "
	    "holes",
	    key);
	return -1;
}

/* geofence: {radius_m: R} or {polygon: [[lat, lon], ...], holes: [...]} */
void
cfg_parse_fence(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	struct cfg_fence *f = fence_field(k, base);
	const yaml_node_t *holes = NULL, *kn;
	yaml_node_pair_t *p;
	int rc = 0;

	fence_clear(f);
	if (cfg_is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errat(ctx, &v->start_mark,
		    "\"geofence\" must be a mapping: {radius_m: R} or "
		    "{polygon: [[lat, lon], ...]}");
		return;
	}
	cfg_mark_pos(ctx, &v->start_mark, &f->pos);
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		kn = cfg_node(ctx, p->key);
		if (kn->type != YAML_SCALAR_NODE ||
		    cfg_dup_in_map(ctx, v, p, cfg_scalar(kn))) {
			cfg_errat(ctx, &kn->start_mark,
			    "duplicate or invalid key in geofence");
			rc = -1;
			continue;
		}
		rc |= fence_key(ctx, cfg_scalar(kn), kn,
		    cfg_node(ctx, p->value), f, &holes);
	}
	if (rc == 0 && f->radius_m > 0 && f->rings != NULL) {
		cfg_errat(ctx, &v->start_mark,
		    "a geofence is a circle (radius_m) or a polygon, not both");
		rc = -1;
	} else if (rc == 0 && f->radius_m == 0 && f->rings == NULL) {
		cfg_errat(ctx, &v->start_mark,
		    "a geofence needs radius_m or polygon");
		rc = -1;
	} else if (rc == 0 && holes != NULL && f->rings == NULL) {
		cfg_errat(ctx, &holes->start_mark, "\"holes\" needs a polygon");
		rc = -1;
	}
	if (rc == 0 && holes != NULL)
		rc = parse_holes(ctx, holes, f);
	if (rc != 0)
		fence_clear(f);
}

/* The key node of name in map (for messages "at its key"), or NULL. */
static const yaml_node_t *
key_node(struct ctx *ctx, const yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *p;
	yaml_node_t *kn;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		kn = cfg_node(ctx, p->key);
		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp(cfg_scalar(kn), name) == 0)
			return kn;
	}
	return NULL;
}

int
cfg_crs_ok(const char *s)
{
	enum geo_sys sys;

	return geo_parse_sys(s, &sys) == 0;
}

/* Add the fence to s; -1 and *why when geofence refuses it. */
static int
fence_add(struct geofence_set *s, size_t tag, double lat, double lon,
    const struct cfg_fence *f, const char **why)
{
	if (f->radius_m > 0)
		return geofence_set_add_circle(s, tag, lat, lon, f->radius_m,
		    why);
	return geofence_set_add_polygon(s, tag, f->rings, f->nrings, why);
}

/* Convert every coordinate of the site from its crs to WGS-84. */
static void
site_convert(const char *crs, double *lat, double *lon, struct cfg_fence *f)
{
	enum geo_sys sys = GEO_WGS84;
	struct geofence_ll *v;
	size_t i, j;

	if (crs == NULL || geo_parse_sys(crs, &sys) == -1 || sys == GEO_WGS84)
		return;
	if (!isnan(*lat))
		(void)geo_to_wgs84(sys, lat, lon);
	for (i = 0; i < f->nrings; i++) {
		v = (struct geofence_ll *)(uintptr_t)f->rings[i].v;
		for (j = 0; j < f->rings[i].n; j++)
			(void)geo_to_wgs84(sys, &v[j].lat, &v[j].lon);
	}
}

/*
 * What a facility and a generator share: lat and lon both or neither,
 * the crs conversion, a circle needs a centre, and the fence as geofence
 * would take it (its reason reported at the geofence key). 0, or -1.
 */
int
cfg_site_accept(struct ctx *ctx, const yaml_node_t *map, const char *what,
    const char *id, double *lat, double *lon, const char *crs,
    struct cfg_fence *f)
{
	int has_lat = cfg_map_get(ctx, map, "lat") != NULL;
	int has_lon = cfg_map_get(ctx, map, "lon") != NULL;
	const yaml_node_t *kn = key_node(ctx, map, "geofence");
	struct geofence_set *s;
	const char *why = NULL;
	int rc;

	if (has_lat != has_lon) {
		cfg_errat(ctx, &map->start_mark,
		    "%s \"%s\": give both lat and lon, or neither", what, id);
		return -1;
	}
	if (!has_lat)
		*lat = *lon = NAN;
	site_convert(crs, lat, lon, f);
	if (kn == NULL || (f->radius_m == 0 && f->rings == NULL))
		return 0;
	cfg_mark_pos(ctx, &kn->start_mark, &f->pos);
	if (f->radius_m > 0 && !has_lat) {
		cfg_errat(ctx, &kn->start_mark,
		    "geofence: a circle needs the %s's lat and lon", what);
		return -1;
	}
	if ((s = geofence_set_new()) == NULL) {
		diag_nomem(&ctx->diag);
		return -1;
	}
	rc = fence_add(s, 0, *lat, *lon, f, &why);
	geofence_set_free(s);
	if (rc == -1)
		cfg_errat(ctx, &kn->start_mark, "geofence: %s",
		    why != NULL ? why : "refused");
	return rc;
}

/* "HH:MM" at s: minutes of the day, or -1. */
static int
hhmm(const char *s)
{
	int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

int
cfg_parse_hours(const char *s, int *from, int *to)
{
	int a, b;

	if (s == NULL) {
		*from = *to = -1;
		return 0;
	}
	if (strlen(s) != 11 || s[5] != '-' || (a = hhmm(s)) == -1 ||
	    (b = hhmm(s + 6)) == -1 || a == b || a == 24 * 60)
		return -1;
	*from = a;
	*to = b;
	return 0;
}

int
cfg_hours_ok(const char *s)
{
	int a, b;

	return cfg_parse_hours(s, &a, &b) == 0;
}

/* cfg->fences from every site with a fence; 0, or -1 reported. */
int
cfg_build_fences(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct geofence_set *s;
	const char *why = NULL;
	size_t i, n = 0;
	int rc = 0;

	if ((s = geofence_set_new()) == NULL)
		goto nomem;
	for (i = 0; i < cfg->nfacilities && rc == 0; i++) {
		const struct cfg_facility *f = &cfg->facilities[i];

		if (f->fence.radius_m > 0 || f->fence.rings != NULL) {
			rc = fence_add(s, i, f->lat, f->lon, &f->fence, &why);
			n++;
			if (rc == -1)
				cfg_errpos(ctx, &f->fence.pos, "geofence: %s",
				    why);
		}
	}
	for (i = 0; i < cfg->ngenerators && rc == 0; i++) {
		const struct cfg_generator *g = &cfg->generators[i];

		if (g->fence.radius_m > 0 || g->fence.rings != NULL) {
			rc = fence_add(s, cfg->nfacilities + i, g->lat, g->lon,
			    &g->fence, &why);
			n++;
			if (rc == -1)
				cfg_errpos(ctx, &g->fence.pos, "geofence: %s",
				    why);
		}
	}
	/* A failed build still answers, by scanning (geofence.h). */
	if (rc == 0 && n > 0 && geofence_set_build(s) == -1)
		log_warn("config: geofence grid: out of memory, scanning");
	if (rc == -1 || n == 0) {
		geofence_set_free(s);
		s = NULL;
	}
	cfg->fences = s;
	return rc;
nomem:
	diag_nomem(&ctx->diag);
	return -1;
}
