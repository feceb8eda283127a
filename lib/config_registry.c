/*
 * config_registry: the registries beside `facilities:` — generators
 * (where waste arises: clinics, farm collection points...) and vehicles
 * (plate, fleet, service district, permitted waste, permit) — and the
 * facility keys the streams read (alarm thresholds, silence, clearance).
 * Values whose shape no key type has (a map of alarm thresholds, a list
 * of category patterns) are parsed here as K_CUSTOM.
 */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "event.h"
#include "norm.h"

static int generator_accept(struct ctx *, void *, const yaml_node_t *);
static int vehicle_accept(struct ctx *, void *, const yaml_node_t *);
static void parse_waste(struct ctx *, const struct key *, const yaml_node_t *,
    void *);
static void release_waste(const struct key *, void *);
static int date_ok(const char *);

static const char *const generator_kinds[] = { "clinic", "enterprise",
	"residential", "market", "construction_site", "farm_film_point",
	"pesticide_pack_point", "manure_plant", "straw_point", NULL };

#define G(f) offsetof(struct cfg_generator, f)
#define V(f) offsetof(struct cfg_vehicle, f)

/* A day, YYYY-MM-DD: the permits of construction sites and vehicles. */
#define DATE_KEY(key, offset)                                                  \
	{                                                                      \
		.name = key, .type = K_STR, .off = offset,                     \
		.flags = F_NONEMPTY, .check = date_ok,                         \
		.badmsg = "invalid date", .badhint = ": want YYYY-MM-DD"       \
	}

static const struct key generator_keys[] = { { .name = "id",
						 .type = K_STR,
						 .off = G(id),
						 .flags =
						     F_NONEMPTY | F_REQUIRED },
	{ .name = "name", .type = K_STR, .off = G(name) },
	{ .name = "kind",
	    .type = K_STR,
	    .off = G(kind),
	    .flags = F_NONEMPTY | F_REQUIRED,
	    .oneof = generator_kinds,
	    .badmsg = "unknown generator kind" },
	/* Required: attributing waste to its origin is what it is for. */
	{ .name = "district",
	    .type = K_STR,
	    .off = G(district),
	    .flags = F_NONEMPTY | F_REQUIRED },
	{ .name = "lat",
	    .type = K_DOUBLE,
	    .off = G(lat),
	    .dmin = -90,
	    .dmax = 90 },
	{ .name = "lon",
	    .type = K_DOUBLE,
	    .off = G(lon),
	    .dmin = -180,
	    .dmax = 180 },
	{ .name = "crs",
	    .type = K_STR,
	    .off = G(crs),
	    .flags = F_NONEMPTY,
	    .check = cfg_crs_ok,
	    .badmsg = "unknown coordinate system",
	    .badhint = ": want wgs84, gcj02 or bd09" },
	{ .name = "max_pickup_interval_h",
	    .type = K_INT,
	    .off = G(max_pickup_interval_h),
	    .min = 1,
	    .max = 8760 },
	{ .name = "geofence",
	    .type = K_CUSTOM,
	    .off = G(fence),
	    .parse = cfg_parse_fence,
	    .release = cfg_release_fence },
	/* Construction sites: the permit's first and last day. */
	DATE_KEY("permit_from", G(permit_from)),
	DATE_KEY("permit_to", G(permit_to)), { .name = NULL } };

static const struct key vehicle_keys[] = { { .name = "plate",
					       .type = K_STR,
					       .off = V(plate),
					       .flags =
						   F_NONEMPTY | F_REQUIRED },
	{ .name = "fleet", .type = K_STR, .off = V(fleet) },
	{ .name = "kind", .type = K_STR, .off = V(kind), .flags = F_NONEMPTY },
	{ .name = "district",
	    .type = K_STR,
	    .off = V(district),
	    .flags = F_NONEMPTY },
	{ .name = "waste",
	    .type = K_CUSTOM,
	    .off = V(waste),
	    .parse = parse_waste,
	    .release = release_waste },
	DATE_KEY("permit_from", V(permit_from)),
	DATE_KEY("permit_to", V(permit_to)), { .name = NULL } };

const struct listspec cfg_generators_list = {
	.item = generator_keys,
	.what = "generator",
	.size = sizeof(struct cfg_generator),
	.pos_off = G(pos),
	.arr_off = offsetof(struct config, generators),
	.n_off = offsetof(struct config, ngenerators),
	.accept = generator_accept,
};

const struct listspec cfg_vehicles_list = {
	.item = vehicle_keys,
	.what = "vehicle",
	.size = sizeof(struct cfg_vehicle),
	.pos_off = V(pos),
	.arr_off = offsetof(struct config, vehicles),
	.n_off = offsetof(struct config, nvehicles),
	.accept = vehicle_accept,
};

#undef G
#undef V

/* YYYY-MM-DD, a day that exists. */
static int
date_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 ||
	    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* "*", a canonical category, or "prefix.*" where some category starts
 * with "prefix.": a pattern that can match nothing is a typo. */
static int
waste_pattern_ok(const char *s)
{
	static const char *const families[] = { "msw", "cw", "agri", NULL };
	size_t n = strlen(s);
	char fam[16];

	if (strcmp(s, "*") == 0 || norm_waste_is_canonical(s))
		return 1;
	if (n < 3 || n - 2 >= sizeof(fam) || strcmp(s + n - 2, ".*") != 0)
		return 0;
	memcpy(fam, s, n - 2);
	fam[n - 2] = '\0';
	return cfg_in_oneof(families, fam);
}

static void
patterns_free(char ***arr, size_t *n)
{
	size_t i;

	for (i = 0; *arr != NULL && i < *n; i++)
		free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

static void
release_waste(const struct key *k, void *base)
{
	struct cfg_vehicle *v = base;

	(void)k;
	patterns_free(&v->waste, &v->nwaste);
}

void
cfg_release_accepts(const struct key *k, void *base)
{
	struct cfg_facility *f = base;

	(void)k;
	patterns_free(&f->accepts, &f->naccepts);
}

/* A list of category patterns into *out, *nout (released first). */
static void
parse_patterns(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    char ***out, size_t *nout)
{
	yaml_node_item_t *it;
	yaml_node_t *in;
	char **arr, *s;
	size_t n;

	patterns_free(out, nout);
	if (cfg_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a list",
		    k->name);
		return;
	}
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if ((arr = cfg_calloc(ctx, n + 1, sizeof(*arr))) == NULL)
		return;
	*out = arr;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		in = cfg_node(ctx, *it);
		if (in->type != YAML_SCALAR_NODE || cfg_is_null(in)) {
			cfg_errat(ctx, &in->start_mark,
			    "each item of \"%s\" must be a string", k->name);
			continue;
		}
		if (!waste_pattern_ok(cfg_scalar(in))) {
			cfg_errat(ctx, &in->start_mark,
			    "unknown waste category \"%s\": want a category "
			    "such as msw.food, a family such as cw.*, or *",
			    cfg_scalar(in));
			continue;
		}
		if ((s = cfg_strdup(ctx, cfg_scalar(in))) == NULL)
			return;
		arr[(*nout)++] = s;
	}
}

/* waste: what a vehicle may carry. */
static void
parse_waste(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	struct cfg_vehicle *veh = base;

	parse_patterns(ctx, k, v, &veh->waste, &veh->nwaste);
}

/* accepts: what a facility may receive (authorised unloads). */
void
cfg_parse_accepts(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	struct cfg_facility *f = base;

	parse_patterns(ctx, k, v, &f->accepts, &f->naccepts);
}

/* Facility alarms */

static void
free_alarms(struct cfg_alarm *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(a[i].value);
	free(a);
}

void
cfg_release_alarms(const struct key *k, void *base)
{
	struct cfg_facility *f = base;

	(void)k;
	free_alarms(f->alarms, f->nalarms);
	f->alarms = NULL;
	f->nalarms = 0;
}

/* A status value name: what json_extract() can address as $.name. */
static int
value_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* One bound, min or max, of an alarm; 0 set, -1 reported. */
static int
alarm_bound(struct ctx *ctx, const yaml_node_t *v, const char *name,
    double *out)
{
	if (v->type != YAML_SCALAR_NODE ||
	    cfg_parse_double(cfg_scalar(v), out) != 0) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a number", name);
		return -1;
	}
	return 0;
}

/* {min: N, max: N, severity: warning|critical}: 0, or -1 reported. */
static int
alarm_entry(struct ctx *ctx, const yaml_node_t *m, struct cfg_alarm *a)
{
	yaml_node_pair_t *p;
	yaml_node_t *kn, *v;
	const char *key;
	int rc = 0;

	a->min = a->max = NAN;
	if (m->type != YAML_MAPPING_NODE) {
		cfg_errat(ctx, &m->start_mark,
		    "alarm \"%s\" must be a mapping such as {min: 850}",
		    a->value);
		return -1;
	}
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		kn = cfg_node(ctx, p->key);
		v = cfg_node(ctx, p->value);
		key = kn->type == YAML_SCALAR_NODE ? cfg_scalar(kn) : "";
		if (strcmp(key, "min") == 0)
			rc |= alarm_bound(ctx, v, key, &a->min);
		else if (strcmp(key, "max") == 0)
			rc |= alarm_bound(ctx, v, key, &a->max);
		else if (strcmp(key, "severity") == 0 &&
		    v->type == YAML_SCALAR_NODE &&
		    (strcmp(cfg_scalar(v), "warning") == 0 ||
			strcmp(cfg_scalar(v), "critical") == 0))
			a->critical = strcmp(cfg_scalar(v), "critical") == 0;
		else if (strcmp(key, "severity") == 0) {
			cfg_errat(ctx, &v->start_mark,
			    "\"severity\" must be warning or critical");
			rc = -1;
		} else {
			cfg_errat(ctx, &kn->start_mark,
			    "unknown key \"%s\" in alarm", key);
			rc = -1;
		}
	}
	if (rc == 0 && isnan(a->min) && isnan(a->max)) {
		cfg_errat(ctx, &m->start_mark, "alarm \"%s\" needs min or max",
		    a->value);
		rc = -1;
	}
	if (rc == 0 && a->min > a->max) {
		cfg_errat(ctx, &m->start_mark, "alarm \"%s\": min is above max",
		    a->value);
		rc = -1;
	}
	return rc;
}

/* alarms: {VALUE: {min: N, max: N, severity: S}, ...} */
void
cfg_parse_alarms(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	struct cfg_facility *f = base;
	struct cfg_alarm *arr;
	yaml_node_pair_t *p;
	yaml_node_t *kn;
	size_t n;

	cfg_release_alarms(k, base);
	if (cfg_is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errat(ctx, &v->start_mark,
		    "\"%s\" must be a mapping of status values to bounds",
		    k->name);
		return;
	}
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if ((arr = cfg_calloc(ctx, n + 1, sizeof(*arr))) == NULL)
		return;
	f->alarms = arr;
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		kn = cfg_node(ctx, p->key);
		if (kn->type != YAML_SCALAR_NODE ||
		    !value_name_ok(cfg_scalar(kn))) {
			cfg_errat(ctx, &kn->start_mark,
			    "alarm names a status value: letters, digits, _");
			continue;
		}
		if (cfg_dup_in_map(ctx, v, p, cfg_scalar(kn))) {
			cfg_errat(ctx, &kn->start_mark, "duplicate key \"%s\"",
			    cfg_scalar(kn));
			continue;
		}
		if ((arr[f->nalarms].value = cfg_strdup(ctx, cfg_scalar(kn))) ==
		    NULL)
			return;
		cfg_mark_pos(ctx, &kn->start_mark, &arr[f->nalarms].pos);
		if (alarm_entry(ctx, cfg_node(ctx, p->value),
			&arr[f->nalarms]) == 0)
			f->nalarms++;
		else {
			free(arr[f->nalarms].value);
			arr[f->nalarms].value = NULL;
		}
	}
}

/* Item checks */

static int
generator_accept(struct ctx *ctx, void *elem, const yaml_node_t *map)
{
	struct cfg_generator *g = elem;
	const yaml_node_t *n;
	int cs = strcmp(g->kind, "construction_site") == 0;

	if (config_generator(ctx->cfg, g->id) != NULL) {
		n = cfg_map_get(ctx, map, "id");
		cfg_errat(ctx, &n->start_mark, "duplicate generator id \"%s\"",
		    g->id);
		return -1;
	}
	if (!cs &&
	    ((n = cfg_map_get(ctx, map, "permit_from")) != NULL ||
		(n = cfg_map_get(ctx, map, "permit_to")) != NULL)) {
		cfg_errat(ctx, &n->start_mark,
		    "permits apply to construction sites only");
		return -1;
	}
	if (g->permit_from != NULL && g->permit_to != NULL &&
	    strcmp(g->permit_from, g->permit_to) > 0) {
		cfg_errat(ctx, &cfg_map_get(ctx, map, "permit_to")->start_mark,
		    "permit_to is before permit_from");
		return -1;
	}
	if (cfg_site_accept(ctx, map, "generator", g->id, &g->lat, &g->lon,
		g->crs, &g->fence) == -1)
		return -1;
	n = cfg_map_get(ctx, map, "max_pickup_interval_h");
	if (n != NULL && strcmp(g->kind, "clinic") != 0) {
		cfg_errat(ctx, &n->start_mark,
		    "max_pickup_interval_h applies to clinics only");
		return -1;
	}
	/* Medical waste must go within 48 h (the national rule for small
	 * clinics) unless the registry says otherwise. */
	if (n == NULL && strcmp(g->kind, "clinic") == 0)
		g->max_pickup_interval_h = 48;
	if (g->name == NULL && (g->name = cfg_strdup(ctx, g->id)) == NULL)
		return -1;
	return 0;
}

static int
vehicle_accept(struct ctx *ctx, void *elem, const yaml_node_t *map)
{
	struct cfg_vehicle *v = elem;
	const yaml_node_t *pn = cfg_map_get(ctx, map, "plate");
	char plate[64];
	uint32_t dq = 0;

	/* Messages carry normalised plates: compare like with like. */
	if (norm_plate(v->plate, plate, sizeof(plate), &dq) == -1 ||
	    (dq & DQ_PLATE_INVALID)) {
		cfg_errat(ctx, &pn->start_mark, "invalid plate \"%s\"",
		    v->plate);
		return -1;
	}
	if (config_vehicle(ctx->cfg, plate) != NULL) {
		cfg_errat(ctx, &pn->start_mark,
		    "duplicate vehicle plate \"%s\"", plate);
		return -1;
	}
	if (v->permit_from != NULL && v->permit_to != NULL &&
	    strcmp(v->permit_from, v->permit_to) > 0) {
		cfg_errat(ctx, &cfg_map_get(ctx, map, "permit_to")->start_mark,
		    "permit_to is before permit_from");
		return -1;
	}
	free(v->plate);
	if ((v->plate = cfg_strdup(ctx, plate)) == NULL)
		return -1;
	return 0;
}
