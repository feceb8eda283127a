/*
 * test_config_site: the registry's geometry (lat, lon, crs, geofence,
 * accepts; construction-site permits) and supervision hours, through
 * config_load on files written to a fresh directory; the fence index the
 * load builds, and its swap with the configuration. Error texts are exact
 * ("@" is the file's path), as in test_config.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "geo.h"
#include "geofence.h"
#include "tmpfiles.h"

static void
expect_errors(const char *name, const char *path, const char *want)
{
	struct config *cfg = NULL;
	char *errors = NULL, *w;

	w = expand(want, path);
	CHECK(config_load(path, &cfg, &errors) == -1);
	CHECK(cfg == NULL);
	if (errors == NULL || strcmp(errors, w) != 0)
		fprintf(stderr, "case \"%s\":\n--- got:\n%s--- want:\n%s---\n",
		    name, errors != NULL ? errors : "(null)\n", w);
	CHECK_STR(errors, w);
	free(errors);
	free(w);
}

static struct config *
expect_ok(const char *name, const char *path)
{
	struct config *cfg = NULL;
	char *errors = NULL;

	if (config_load(path, &cfg, &errors) != 0)
		fprintf(stderr, "case \"%s\": unexpected errors:\n%s", name,
		    errors != NULL ? errors : "(null)\n");
	CHECK(cfg != NULL);
	free(errors);
	return cfg;
}

#define FAC "facilities:\n  - {id: F1, kind: cw_disposal_site, "

static const struct bad_case {
	const char *name, *yaml, *want;
} bad_cases[] = {
	{ "circle without a centre", FAC "geofence: {radius_m: 300}}\n",
	    "@:2:38: geofence: a circle needs the facility's lat and lon\n" },
	{ "radius refused by geofence",
	    FAC "lat: 43.8, lon: 125.2,\n     geofence: {radius_m: 0.5}}\n",
	    "@:3:6: geofence: the radius is not between 1 m and 50 km\n" },
	{ "radius not a number",
	    FAC "lat: 43.8, lon: 125.2, geofence: {radius_m: big}}\n",
	    "@:2:82: \"radius_m\" must be a number above 0\n" },
	{ "circle and polygon",
	    FAC "lat: 1, lon: 2,\n     geofence: {radius_m: 9, polygon: "
		"[[1, 2], [1, 3], [2, 3]]}}\n",
	    "@:3:16: a geofence is a circle (radius_m) or a polygon, not "
	    "both\n" },
	{ "empty geofence", FAC "geofence: {}}\n",
	    "@:2:48: a geofence needs radius_m or polygon\n" },
	{ "unknown geofence key", FAC "geofence: {circle: 3}}\n",
	    "@:2:49: unknown key \"circle\" in geofence: want radius_m, or "
	    "polygon and holes\n" },
	{ "bad vertex",
	    FAC "geofence: {polygon: [[43.8, 125.2], [43.8], [43.9, "
		"125.3]]}}\n",
	    "@:2:74: a vertex is [lat, lon], two numbers\n" },
	{ "bow tie",
	    FAC "\n     geofence: {polygon: [[43.80, 125.20], [43.81, 125.21],"
		" [43.80, 125.21], [43.82, 125.20]]}}\n",
	    "@:3:6: geofence: edges of the polygon cross or touch\n" },
	{ "hole outside",
	    FAC "\n     geofence: {polygon: [[43.80, 125.20], [43.80, "
		"125.21], [43.81, 125.21]],\n       holes: [[[43.90, 125.20], "
		"[43.90, 125.201], [43.901, 125.201]]]}}\n",
	    "@:3:6: geofence: a hole is not inside the outline\n" },
	{ "holes without polygon",
	    FAC "lat: 1, lon: 2, geofence: {radius_m: 9, holes: []}}\n",
	    "@:2:85: \"holes\" needs a polygon\n" },
	{ "bad crs", FAC "crs: utm}\n",
	    "@:2:43: unknown coordinate system \"utm\": want wgs84, gcj02 or "
	    "bd09\n" },
	{ "accepts typo", FAC "accepts: [\"cw.soil\"]}\n",
	    "@:2:48: unknown waste category \"cw.soil\": want a category such "
	    "as msw.food, a family such as cw.*, or *\n" },
	{ "facility lat without lon", FAC "lat: 43.8}\n",
	    "@:2:5: facility \"F1\": give both lat and lon, or neither\n" },
	{ "permit on a clinic",
	    "generators:\n  - {id: G1, kind: clinic, district: D, permit_to: "
	    "\"2027-01-01\"}\n",
	    "@:2:52: permits apply to construction sites only\n" },
	{ "permit reversed",
	    "generators:\n  - {id: G1, kind: construction_site, district: D,\n"
	    "     permit_from: \"2027-01-02\", permit_to: \"2027-01-01\"}\n",
	    "@:3:44: permit_to is before permit_from\n" },
	{ "permit not a date",
	    "generators:\n  - {id: G1, kind: construction_site, district: D,"
	    " permit_to: \"2027-02-30\"}\n",
	    "@:2:63: invalid date \"2027-02-30\": want YYYY-MM-DD\n" },
	{ "generator fence refused",
	    "generators:\n  - {id: G1, kind: construction_site, district: D,\n"
	    "     lat: 43.8, lon: 125.2, geofence: {radius_m: 60000}}\n",
	    "@:3:29: geofence: the radius is not between 1 m and 50 km\n" },
	{ "hours", "supervision: {muck_hours: \"22:00-6:00\"}\n",
	    "@:1:27: invalid hours \"22:00-6:00\": want HH:MM-HH:MM\n" },
	{ "hours empty window", "supervision: {muck_hours: \"06:00-06:00\"}\n",
	    "@:1:27: invalid hours \"06:00-06:00\": want HH:MM-HH:MM\n" },
	{ "dwell", "supervision: {unload_dwell_s: -1}\n",
	    "@:1:31: \"unload_dwell_s\" must be between 0 and 86400\n" },
};

static void
test_bad_cases(void)
{
	char rel[32];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		snprintf(rel, sizeof(rel), "bad-%02zu.yaml", i);
		expect_errors(bad_cases[i].name,
		    write_t(rel, bad_cases[i].yaml), bad_cases[i].want);
	}
}

/* The tags of the fences containing (lat, lon), as "F1,G2". */
static void
sites_at(const struct config *cfg, double lat, double lon, char *out, size_t n)
{
	const struct cfg_facility *f;
	const struct cfg_generator *g;
	size_t tags[8], k, i, len = 0;

	out[0] = '\0';
	k = cfg->fences == NULL
	    ? 0
	    : geofence_set_find(cfg->fences, lat, lon, tags, 8);
	for (i = 0; i < k && i < 8; i++) {
		config_site(cfg, tags[i], &f, &g);
		len += (size_t)snprintf(out + len, n - len, "%s%s",
		    i > 0 ? "," : "", f != NULL ? f->id : g->id);
	}
}

static void
test_sites(void)
{
	const char *path = write_t("sites.yaml",
	    "facilities:\n"
	    "  - {id: CW1, kind: cw_disposal_site, district: A,\n"
	    "     lat: 43.80, lon: 125.20, geofence: {radius_m: 300},\n"
	    "     accepts: [\"cw.*\"]}\n"
	    "  - {id: CW2, kind: cw_recycling, district: B,\n"
	    "     geofence: {polygon: [[43.90, 125.30], [43.90, 125.31],\n"
	    "       [43.91, 125.31], [43.91, 125.30], [43.90, 125.30]],\n"
	    "       holes: [[[43.904, 125.304], [43.904, 125.306],\n"
	    "         [43.906, 125.306], [43.906, 125.304]]]},\n"
	    "     accepts: [cw.demolition, cw.renovation]}\n"
	    "  - {id: LF1, kind: sanitary_landfill, district: A}\n"
	    "  - {id: GC, kind: cw_disposal_site, district: A, crs: gcj02,\n"
	    "     lat: 43.70, lon: 125.10, geofence: {radius_m: 100}}\n"
	    "generators:\n"
	    "  - {id: CS1, kind: construction_site, district: A,\n"
	    "     lat: 43.85, lon: 125.25, geofence: {radius_m: 200},\n"
	    "     permit_from: \"2026-01-01\", permit_to: \"2026-12-31\"}\n"
	    "supervision: {muck_hours: \"21:30-05:15\", unload_dwell_s: 90}\n");
	const struct cfg_facility *f;
	const struct cfg_generator *g;
	struct config *cfg = expect_ok("sites", path);
	double wlat, wlon;
	char got[128];

	if (cfg == NULL)
		return;
	CHECK((f = config_facility(cfg, "CW1")) != NULL);
	CHECK(f->lat == 43.80 && f->lon == 125.20 && f->fence.radius_m == 300);
	CHECK(f->naccepts == 1 && strcmp(f->accepts[0], "cw.*") == 0);
	CHECK((f = config_facility(cfg, "CW2")) != NULL);
	CHECK(isnan(f->lat) && f->fence.nrings == 2 &&
	    f->fence.rings[0].n == 5 && f->fence.rings[1].n == 4);
	CHECK(f->naccepts == 2 && strcmp(f->accepts[1], "cw.renovation") == 0);
	CHECK((f = config_facility(cfg, "LF1")) != NULL && isnan(f->lat) &&
	    f->fence.radius_m == 0 && f->fence.rings == NULL &&
	    f->naccepts == 0);
	/* GCJ-02 input lands where geo.c puts the same point of a message. */
	wlat = 43.70;
	wlon = 125.10;
	CHECK(geo_to_wgs84(GEO_GCJ02, &wlat, &wlon) == 1);
	CHECK((f = config_facility(cfg, "GC")) != NULL && f->lat == wlat &&
	    f->lon == wlon && f->lat != 43.70);
	CHECK((g = config_generator(cfg, "CS1")) != NULL);
	CHECK_STR(g->permit_from, "2026-01-01");
	CHECK_STR(g->permit_to, "2026-12-31");
	CHECK_INT(cfg->supervision.muck_from_min, 21 * 60 + 30);
	CHECK_INT(cfg->supervision.muck_to_min, 5 * 60 + 15);
	CHECK_INT(cfg->supervision.unload_dwell_s, 90);

	CHECK(cfg->fences != NULL && geofence_set_count(cfg->fences) == 4);
	sites_at(cfg, 43.80, 125.20, got, sizeof(got));
	CHECK_STR(got, "CW1");
	/* 300 m north of CW1's centre is 0.0027 degrees; 0.0030 is out. */
	sites_at(cfg, 43.8026, 125.20, got, sizeof(got));
	CHECK_STR(got, "CW1");
	sites_at(cfg, 43.8030, 125.20, got, sizeof(got));
	CHECK_STR(got, "");
	sites_at(cfg, 43.902, 125.302, got, sizeof(got));
	CHECK_STR(got, "CW2");
	sites_at(cfg, 43.905, 125.305, got, sizeof(got)); /* in the hole */
	CHECK_STR(got, "");
	sites_at(cfg, 43.85, 125.25, got, sizeof(got));
	CHECK_STR(got, "CS1");
	sites_at(cfg, wlat, wlon, got, sizeof(got));
	CHECK_STR(got, "GC");
	config_free(cfg);
}

static void
test_defaults(void)
{
	struct config *cfg = config_default(), *c2;

	CHECK(cfg != NULL);
	CHECK_STR(cfg->supervision.muck_hours, "22:00-06:00");
	CHECK_INT(cfg->supervision.muck_from_min, 22 * 60);
	CHECK_INT(cfg->supervision.muck_to_min, 6 * 60);
	CHECK_INT(cfg->supervision.unload_dwell_s, 120);
	CHECK(cfg->fences == NULL);
	config_free(cfg);
	/* An empty value: no window at all. */
	c2 = expect_ok("no hours",
	    write_t("nohours.yaml", "supervision: {muck_hours: \"\"}\n"));
	if (c2 != NULL) {
		CHECK(c2->supervision.muck_hours == NULL);
		CHECK_INT(c2->supervision.muck_from_min, -1);
		CHECK_INT(c2->supervision.muck_to_min, -1);
	}
	config_free(c2);
}

static void
test_match(void)
{
	CHECK(config_waste_match("cw.*", "cw.slurry"));
	CHECK(config_waste_match("*", "msw.food"));
	CHECK(config_waste_match("cw.slurry", "cw.slurry"));
	CHECK(!config_waste_match("cw.*", "msw.food"));
	CHECK(!config_waste_match("cw.*", "cwx"));
	CHECK(!config_waste_match("cw.slurry", "cw.demolition"));
	CHECK(!config_waste_match("cw.*", NULL));
}

int
main(void)
{
	tmpfiles_init("test_config_site");
	test_bad_cases();
	test_sites();
	test_defaults();
	test_match();
	tmpfiles_cleanup();
	return check_result("test_config_site");
}
