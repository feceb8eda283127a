/*
 * geo: GCJ-02 / BD-09 to WGS-84, see geo.h.
 *
 * GCJ-02 is WGS-84 plus a smooth pseudo-random offset of a few hundred
 * metres: two fixed polynomial-plus-sine fields in (lon - 105, lat - 35),
 * read as metres and turned into degrees on the Krasovsky 1940 ellipsoid.
 * BD-09 adds a second, rotation-like perturbation on top of GCJ-02.
 * Neither is published as a standard; the constants below are the ones
 * every interoperable implementation agrees on.
 */
#include "geo.h"

#include <math.h>
#include <stddef.h>

/* M_PI is POSIX, not C11; spell it out rather than depend on the flags. */
#define GEO_PI 3.14159265358979323846

/* Krasovsky 1940: semi-major axis (m) and first eccentricity squared. */
#define KRAS_A	6378245.0
#define KRAS_EE 0.00669342162296594323

/* BD-09 works on degrees scaled by 3000/180 for its perturbation terms. */
#define BD_X_PI (GEO_PI * 3000.0 / 180.0)
#define BD_DLON 0.0065
#define BD_DLAT 0.006

/* 1e-9 degrees is about 0.1 mm: far below anything a receiver reports. */
#define INV_EPS	    1e-9
#define INV_MAXITER 30

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
geo_out_of_china(double lat, double lon)
{
	/* Written as "not inside" so NaN compares as outside. */
	return !(lon >= 73.66 && lon <= 135.05 && lat >= 3.86 && lat <= 53.55);
}

/*
 * The sine terms shared by both offset fields; t is the coordinate that
 * the slow terms of each field depend on (y for latitude, x for
 * longitude), and c12, c30 their amplitudes.
 */
static double
offset_waves(double x, double t, double c12, double c30)
{
	double v;

	v = (20.0 * sin(6.0 * x * GEO_PI) + 20.0 * sin(2.0 * x * GEO_PI)) *
	    2.0 / 3.0;
	v +=
	    (20.0 * sin(t * GEO_PI) + 40.0 * sin(t / 3.0 * GEO_PI)) * 2.0 / 3.0;
	v += (c12 * sin(t / 12.0 * GEO_PI) + c30 * sin(t / 30.0 * GEO_PI)) *
	    2.0 / 3.0;
	return v;
}

/* Northward offset in metres at (x, y) = (lon - 105, lat - 35). */
static double
offset_lat_m(double x, double y)
{
	return -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
	    0.2 * sqrt(fabs(x)) + offset_waves(x, y, 160.0, 320.0);
}

/* Eastward offset in metres at (x, y) = (lon - 105, lat - 35). */
static double
offset_lon_m(double x, double y)
{
	return 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y +
	    0.1 * sqrt(fabs(x)) + offset_waves(x, x, 150.0, 300.0);
}

/*
 * The GCJ-02 offset in degrees at a WGS-84 point (inside China). The
 * metre offsets become degrees through the meridional radius of curvature
 * M = a(1-e^2)/W^3 and the parallel radius N cos(lat) = a cos(lat)/W,
 * where W = sqrt(1 - e^2 sin^2(lat)).
 */
static void
gcj_offset(double lat, double lon, double *dlat, double *dlon)
{
	double x = lon - 105.0, y = lat - 35.0;
	double phi, s, w2, w;

	phi = lat / 180.0 * GEO_PI;
	s = sin(phi);
	w2 = 1.0 - KRAS_EE * s * s;
	w = sqrt(w2);
	*dlat = offset_lat_m(x, y) * 180.0 /
	    (KRAS_A * (1.0 - KRAS_EE) / (w2 * w) * GEO_PI);
	*dlon = offset_lon_m(x, y) * 180.0 / (KRAS_A / w * cos(phi) * GEO_PI);
}

void
geo_wgs84_to_gcj02(double lat, double lon, double *glat, double *glon)
{
	double dlat, dlon;

	if (geo_out_of_china(lat, lon)) {
		*glat = lat;
		*glon = lon;
		return;
	}
	gcj_offset(lat, lon, &dlat, &dlon);
	*glat = lat + dlat;
	*glon = lon + dlon;
}

/*
 * The offset moves by about a millimetre per metre moved, so the map
 * wgs -> wgs - (forward(wgs) - gcj) is a strong contraction: each step
 * gains about three decimal digits and 3-4 steps reach INV_EPS. The
 * one-step "gcj - offset(gcj)" of many ports stops at up to 2 m.
 */
void
geo_gcj02_to_wgs84(double glat, double glon, double *lat, double *lon)
{
	double wlat = glat, wlon = glon, flat, flon, elat, elon;
	int i;

	if (geo_out_of_china(glat, glon)) {
		*lat = glat;
		*lon = glon;
		return;
	}
	for (i = 0; i < INV_MAXITER; i++) {
		geo_wgs84_to_gcj02(wlat, wlon, &flat, &flon);
		elat = flat - glat;
		elon = flon - glon;
		wlat -= elat;
		wlon -= elon;
		if (fabs(elat) < INV_EPS && fabs(elon) < INV_EPS)
			break;
	}
	*lat = wlat;
	*lon = wlon;
}

void
geo_bd09_to_gcj02(double blat, double blon, double *glat, double *glon)
{
	double x = blon - BD_DLON, y = blat - BD_DLAT, z, theta;

	if (geo_out_of_china(blat, blon)) {
		*glat = blat;
		*glon = blon;
		return;
	}
	z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_X_PI);
	theta = atan2(y, x) - 0.000003 * cos(x * BD_X_PI);
	*glon = z * cos(theta);
	*glat = z * sin(theta);
}

void
geo_bd09_to_wgs84(double blat, double blon, double *lat, double *lon)
{
	double glat, glon;

	geo_bd09_to_gcj02(blat, blon, &glat, &glon);
	geo_gcj02_to_wgs84(glat, glon, lat, lon);
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* strcasecmp() consults the locale; config labels only need ASCII. */
static int
ascii_caseeq(const char *a, const char *b)
{
	while (*a != '\0' &&
	    ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

int
geo_parse_sys(const char *s, enum geo_sys *out)
{
	static const struct {
		const char *name;
		enum geo_sys sys;
	} names[] = {
		{ "wgs84", GEO_WGS84 },
		{ "wgs-84", GEO_WGS84 },
		{ "gcj02", GEO_GCJ02 },
		{ "gcj-02", GEO_GCJ02 },
		{ "bd09", GEO_BD09 },
		{ "bd-09", GEO_BD09 },
	};
	size_t i;

	if (s == NULL || out == NULL)
		return -1;
	for (i = 0; i < NELEM(names); i++) {
		if (ascii_caseeq(s, names[i].name)) {
			*out = names[i].sys;
			return 0;
		}
	}
	return -1;
}

int
geo_to_wgs84(enum geo_sys sys, double *lat, double *lon)
{
	if (lat == NULL || lon == NULL || geo_out_of_china(*lat, *lon))
		return 0;
	switch (sys) {
	case GEO_WGS84:
		return 0;
	case GEO_GCJ02:
		geo_gcj02_to_wgs84(*lat, *lon, lat, lon);
		return 1;
	case GEO_BD09:
		geo_bd09_to_wgs84(*lat, *lon, lat, lon);
		return 1;
	}
	return 0; /* not an enum geo_sys value: leave it alone */
}
