/* test_geo: GCJ-02 / BD-09 conversions of lib/geo.c against geo.h. */
#include "check.h"
#include "geo.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PI	 3.14159265358979323846
#define EARTH_R	 6371008.8 /* mean radius, m */

/* The plant gate of the example payloads, in WGS-84 and as the GCJ-02
 * position a Chinese vendor platform reports for it. */
#define GATE_LAT  43.883412
#define GATE_LON  125.314567
#define GATE_GLAT 43.885810
#define GATE_GLON 125.321060

/* Great-circle distance in metres; plenty for errors of centimetres. */
static double
haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * PI / 180.0, p2 = lat2 * PI / 180.0;
	double dp = p2 - p1, dl = (lon2 - lon1) * PI / 180.0, h;

	h = sin(dp / 2) * sin(dp / 2) +
	    cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
	return 2.0 * EARTH_R * asin(sqrt(h));
}

/*
 * Baidu's forward GCJ-02 -> BD-09, written here from its definition so
 * the library's inverse is checked against an independent encoder.
 */
static void
bd_encode(double glat, double glon, double *blat, double *blon)
{
	const double xpi = PI * 3000.0 / 180.0;
	double z, theta;

	z = sqrt(glon * glon + glat * glat) + 0.00002 * sin(glat * xpi);
	theta = atan2(glat, glon) + 0.000003 * cos(glon * xpi);
	*blon = z * cos(theta) + 0.0065;
	*blat = z * sin(theta) + 0.006;
}

static void
test_gate(void)
{
	double glat, glon, lat, lon, d;

	geo_wgs84_to_gcj02(GATE_LAT, GATE_LON, &glat, &glon);
	CHECK_NEAR(glat, GATE_GLAT, 1e-5);
	CHECK_NEAR(glon, GATE_GLON, 1e-5);
	/* the GCJ-02 offset there is about 585 m */
	d = haversine_m(GATE_LAT, GATE_LON, glat, glon);
	CHECK(d > 575 && d < 595);

	geo_gcj02_to_wgs84(GATE_GLAT, GATE_GLON, &lat, &lon);
	CHECK(haversine_m(lat, lon, GATE_LAT, GATE_LON) < 5.0);

	/* the in-place entry point agrees and reports the change */
	lat = GATE_GLAT;
	lon = GATE_GLON;
	CHECK_INT(geo_to_wgs84(GEO_GCJ02, &lat, &lon), 1);
	CHECK(haversine_m(lat, lon, GATE_LAT, GATE_LON) < 5.0);
}

struct place {
	const char *name;
	double lat, lon;
};

static const struct place places[] = {
	{ "Changchun", GATE_LAT, GATE_LON },
	{ "Beijing", 39.9042, 116.4074 },
	{ "Shanghai", 31.2304, 121.4737 },
	{ "Kunming", 25.0389, 102.7183 },
	{ "Harbin", 45.8038, 126.5350 },
	{ "Urumqi", 43.8256, 87.6168 },
	{ "Guangzhou", 23.1291, 113.2644 },
	{ "Lhasa", 29.6520, 91.1721 },
	{ "Sanya", 18.2528, 109.5119 },
	{ "Mohe", 52.9720, 122.5380 },
};

static void
test_round_trip(void)
{
	const struct place *p;
	double glat, glon, blat, blon, lat, lon, d;
	size_t i;

	for (i = 0; i < NELEM(places); i++) {
		p = &places[i];
		CHECK_INT(geo_out_of_china(p->lat, p->lon), 0);

		/* the offset is real everywhere, a few hundred metres */
		geo_wgs84_to_gcj02(p->lat, p->lon, &glat, &glon);
		d = haversine_m(p->lat, p->lon, glat, glon);
		CHECK(d > 50 && d < 1000);

		geo_gcj02_to_wgs84(glat, glon, &lat, &lon);
		d = haversine_m(lat, lon, p->lat, p->lon);
		CHECK(d < 0.5);
		/* the iteration stops at 1e-9 deg: really about 0.1 mm */
		CHECK(d < 0.001);
		if (d >= 0.001)
			fprintf(stderr, "  gcj %s: %.6f m\n", p->name, d);

		/* wgs -> gcj -> bd (test encoder) -> wgs (library) */
		bd_encode(glat, glon, &blat, &blon);
		CHECK(haversine_m(blat, blon, glat, glon) > 100);
		geo_bd09_to_wgs84(blat, blon, &lat, &lon);
		d = haversine_m(lat, lon, p->lat, p->lon);
		CHECK(d < 0.5);
		if (d >= 0.5)
			fprintf(stderr, "  bd %s: %.6f m\n", p->name, d);

		geo_bd09_to_gcj02(blat, blon, &lat, &lon);
		CHECK(haversine_m(lat, lon, glat, glon) < 0.5);

		lat = blat;
		lon = blon;
		CHECK_INT(geo_to_wgs84(GEO_BD09, &lat, &lon), 1);
		CHECK(haversine_m(lat, lon, p->lat, p->lon) < 0.5);

		lat = p->lat;
		lon = p->lon;
		CHECK_INT(geo_to_wgs84(GEO_WGS84, &lat, &lon), 0);
		CHECK(lat == p->lat && lon == p->lon);
	}
}

struct outside {
	double lat, lon;
};

static const struct outside outside[] = {
	{ 51.5074, -0.1278 },  /* London */
	{ 35.6762, 139.6503 }, /* Tokyo, east of 135.05 */
	{ 1.3521, 103.8198 },  /* Singapore, south of 3.86 */
	{ 55.7558, 37.6173 },  /* Moscow */
	{ -33.9249, 18.4241 }, /* Cape Town */
	{ 43.8834, 135.06 },   /* just east of the box */
	{ 53.56, 125.31 },     /* just north of the box */
	{ 0, 0 },
	{ NAN, 125.3 },
	{ 43.8, NAN },
};

static void
test_outside(void)
{
	const struct outside *o;
	double a, b;
	size_t i;

	for (i = 0; i < NELEM(outside); i++) {
		o = &outside[i];
		CHECK_INT(geo_out_of_china(o->lat, o->lon), 1);

		geo_wgs84_to_gcj02(o->lat, o->lon, &a, &b);
		CHECK(memcmp(&a, &o->lat, sizeof(a)) == 0 &&
		    memcmp(&b, &o->lon, sizeof(b)) == 0);
		geo_gcj02_to_wgs84(o->lat, o->lon, &a, &b);
		CHECK(memcmp(&a, &o->lat, sizeof(a)) == 0 &&
		    memcmp(&b, &o->lon, sizeof(b)) == 0);
		geo_bd09_to_gcj02(o->lat, o->lon, &a, &b);
		CHECK(memcmp(&a, &o->lat, sizeof(a)) == 0 &&
		    memcmp(&b, &o->lon, sizeof(b)) == 0);
		geo_bd09_to_wgs84(o->lat, o->lon, &a, &b);
		CHECK(memcmp(&a, &o->lat, sizeof(a)) == 0 &&
		    memcmp(&b, &o->lon, sizeof(b)) == 0);

		a = o->lat;
		b = o->lon;
		CHECK_INT(geo_to_wgs84(GEO_GCJ02, &a, &b), 0);
		CHECK_INT(geo_to_wgs84(GEO_BD09, &a, &b), 0);
		CHECK(memcmp(&a, &o->lat, sizeof(a)) == 0 &&
		    memcmp(&b, &o->lon, sizeof(b)) == 0);
	}

	/* the box edges are inside */
	CHECK_INT(geo_out_of_china(3.86, 73.66), 0);
	CHECK_INT(geo_out_of_china(53.55, 135.05), 0);
	CHECK_INT(geo_out_of_china(3.8599, 100), 1);
	CHECK_INT(geo_out_of_china(40, 73.6599), 1);
	CHECK_INT(geo_out_of_china(INFINITY, 100), 1);

	a = GATE_GLAT;
	CHECK_INT(geo_to_wgs84(GEO_GCJ02, &a, NULL), 0);
	CHECK_INT(geo_to_wgs84(GEO_GCJ02, NULL, &a), 0);
	CHECK(a == GATE_GLAT);
}

struct sys_case {
	const char *in;
	int rc;
	enum geo_sys sys;
};

static const struct sys_case sys_cases[] = {
	{ "wgs84", 0, GEO_WGS84 },
	{ "WGS84", 0, GEO_WGS84 },
	{ "WGS-84", 0, GEO_WGS84 },
	{ "wgs-84", 0, GEO_WGS84 },
	{ "Wgs84", 0, GEO_WGS84 },
	{ "gcj02", 0, GEO_GCJ02 },
	{ "GCJ02", 0, GEO_GCJ02 },
	{ "GCJ-02", 0, GEO_GCJ02 },
	{ "gcj-02", 0, GEO_GCJ02 },
	{ "bd09", 0, GEO_BD09 },
	{ "BD09", 0, GEO_BD09 },
	{ "BD-09", 0, GEO_BD09 },
	{ "Bd-09", 0, GEO_BD09 },
	{ "", -1, 0 },
	{ "wgs", -1, 0 },
	{ "wgs84 ", -1, 0 },
	{ " wgs84", -1, 0 },
	{ "wgs_84", -1, 0 },
	{ "wgs-84-", -1, 0 },
	{ "gcj", -1, 0 },
	{ "gcj2", -1, 0 },
	{ "gcj-2", -1, 0 },
	{ "bd", -1, 0 },
	{ "bd09ll", -1, 0 },
	{ "bd-9", -1, 0 },
	{ "cgcs2000", -1, 0 },
	{ "epsg:4326", -1, 0 },
	{ "火星坐标", -1, 0 },
	{ "ＷＧＳ８４", -1, 0 },
};

static void
test_parse_sys(void)
{
	const struct sys_case *c;
	enum geo_sys sys, before;
	size_t i;

	for (i = 0; i < NELEM(sys_cases); i++) {
		c = &sys_cases[i];
		/* start from a value the case cannot produce */
		before = c->sys == GEO_BD09 ? GEO_WGS84 : GEO_BD09;
		sys = before;
		CHECK_INT(geo_parse_sys(c->in, &sys), c->rc);
		CHECK_INT(sys, c->rc == 0 ? c->sys : before);
	}
	CHECK_INT(geo_parse_sys(NULL, &sys), -1);
	CHECK_INT(geo_parse_sys("wgs84", NULL), -1);
}

int
main(void)
{
	test_gate();
	test_round_trip();
	test_outside();
	test_parse_sys();
	return check_result("test_geo");
}
