/*
 * test_geofence: circles, polygons (convex, concave, with holes), their
 * boundaries, refused shapes, and the grid against a brute-force scan and
 * against an independent reference (Vincenty's geodesic distance for
 * circles, an even-odd test in degrees for polygons) on random points.
 */
#include "check.h"
#include "geofence.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PI	 3.14159265358979323846
#define RAD	 (PI / 180.0)

/*
 * Vincenty's inverse formula on WGS-84: the geodesic distance in metres,
 * to well under a millimetre for the short lines used here. Written from
 * the 1975 paper, independent of the library's local projection.
 */
static double
vincenty_m(double lat1, double lon1, double lat2, double lon2)
{
	const double a = 6378137.0, f = 1 / 298.257223563, b = a * (1 - f);
	double L = (lon2 - lon1) * RAD, U1 = atan((1 - f) * tan(lat1 * RAD));
	double U2 = atan((1 - f) * tan(lat2 * RAD)), lam = L, lamp;
	double sU1 = sin(U1), cU1 = cos(U1), sU2 = sin(U2), cU2 = cos(U2);
	double ss, cs, sig, sa, c2a, c2sm, C, u2, A, B, ds;
	int it = 0;

	do {
		double sl = sin(lam), cl = cos(lam);

		ss = sqrt((cU2 * sl) * (cU2 * sl) +
		    (cU1 * sU2 - sU1 * cU2 * cl) *
			(cU1 * sU2 - sU1 * cU2 * cl));
		if (ss == 0)
			return 0;
		cs = sU1 * sU2 + cU1 * cU2 * cl;
		sig = atan2(ss, cs);
		sa = cU1 * cU2 * sl / ss;
		c2a = 1 - sa * sa;
		c2sm = c2a != 0 ? cs - 2 * sU1 * sU2 / c2a : 0;
		C = f / 16 * c2a * (4 + f * (4 - 3 * c2a));
		lamp = lam;
		lam = L +
		    (1 - C) * f * sa *
			(sig +
			    C * ss * (c2sm + C * cs * (-1 + 2 * c2sm * c2sm)));
	} while (fabs(lam - lamp) > 1e-13 && ++it < 200);
	u2 = c2a * (a * a - b * b) / (b * b);
	A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
	B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
	ds = B * ss *
	    (c2sm +
		B / 4 *
		    (cs * (-1 + 2 * c2sm * c2sm) -
			B / 6 * c2sm * (-3 + 4 * ss * ss) *
			    (-3 + 4 * c2sm * c2sm)));
	return b * A * (sig - ds);
}

/*
 * The point at geodesic distance d (metres) from (lat, lon) along the
 * direction (dlat, dlon) in degrees, by bisection on Vincenty's distance.
 */
static void
offset(double lat, double lon, double dlat, double dlon, double d, double *olat,
    double *olon)
{
	double lo = 0, hi = 1, len = sqrt(dlat * dlat + dlon * dlon);
	int i;

	dlat /= len;
	dlon /= len;
	while (vincenty_m(lat, lon, lat + hi * dlat, lon + hi * dlon) < d)
		hi *= 2;
	for (i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;

		if (vincenty_m(lat, lon, lat + mid * dlat, lon + mid * dlon) <
		    d)
			lo = mid;
		else
			hi = mid;
	}
	*olat = lat + lo * dlat;
	*olon = lon + lo * dlon;
}

static int
in1(struct geofence_set *s, double lat, double lon)
{
	size_t tag;

	return (int)geofence_set_find(s, lat, lon, &tag, 1);
}

/* Circles at several latitudes: inside, outside, and the boundary band
 * measured with Vincenty's distance along 16 bearings. */
static void
test_circle(void)
{
	static const double lats[] = { 0.0, 43.88, 60.0, 79.0 };
	static const double radii[] = { 300.0, 5000.0 };
	size_t li, ri;
	int k;

	for (li = 0; li < NELEM(lats); li++)
		for (ri = 0; ri < NELEM(radii); ri++) {
			struct geofence_set *s = geofence_set_new();
			double lat0 = lats[li], lon0 = 125.32, r = radii[ri];
			const char *why = NULL;

			CHECK(s != NULL);
			if (s == NULL)
				return;
			CHECK_INT(geofence_set_add_circle(s, 7, lat0, lon0, r,
				      &why),
			    0);
			CHECK_INT(geofence_set_build(s), 0);
			CHECK_INT(in1(s, lat0, lon0), 1);
			for (k = 0; k < 16; k++) {
				double th = k * 2 * PI / 16, la, lo;
				double dl = cos(th), dn = sin(th);

				/* on the radius, inside the tolerance, out */
				offset(lat0, lon0, dl, dn, r, &la, &lo);
				CHECK_INT(in1(s, la, lo), 1);
				offset(lat0, lon0, dl, dn, r + 0.45, &la, &lo);
				CHECK_INT(in1(s, la, lo), 1);
				offset(lat0, lon0, dl, dn, r + 0.55, &la, &lo);
				CHECK_INT(in1(s, la, lo), 0);
				offset(lat0, lon0, dl, dn, r * 0.99, &la, &lo);
				CHECK_INT(in1(s, la, lo), 1);
				offset(lat0, lon0, dl, dn, r * 1.5, &la, &lo);
				CHECK_INT(in1(s, la, lo), 0);
			}
			geofence_set_free(s);
		}
}

/* The checks shared by the polygon tests: at a distance d outside (d > 0)
 * or inside (d < 0) the midpoint of edge a b, pushed along direction
 * (nlat, nlon) in degrees. */
static int
near_edge(struct geofence_set *s, struct geofence_ll a, struct geofence_ll b,
    double nlat, double nlon, double d)
{
	double mlat = (a.lat + b.lat) / 2, mlon = (a.lon + b.lon) / 2, la, lo;

	if (d == 0)
		return in1(s, mlat, mlon);
	if (d < 0) {
		nlat = -nlat;
		nlon = -nlon;
		d = -d;
	}
	offset(mlat, mlon, nlat, nlon, d, &la, &lo);
	return in1(s, la, lo);
}

static void
test_convex(void)
{
	/* 43.85..43.86 N, 125.30..125.31 E: about 1.1 km by 0.8 km */
	static const struct geofence_ll sq[] = { { 43.85, 125.30 },
		{ 43.85, 125.31 }, { 43.86, 125.31 }, { 43.86, 125.30 } };
	struct geofence_ring ring = { sq, NELEM(sq) };
	struct geofence_set *s = geofence_set_new();
	const char *why = NULL;
	size_t i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(geofence_set_add_polygon(s, 3, &ring, 1, &why), 0);
	CHECK_INT(geofence_set_build(s), 0);
	CHECK_INT(in1(s, 43.855, 125.305), 1);
	CHECK_INT(in1(s, 43.849, 125.305), 0);
	CHECK_INT(in1(s, 43.855, 125.311), 0);
	for (i = 0; i < NELEM(sq); i++)
		CHECK_INT(in1(s, sq[i].lat, sq[i].lon), 1);
	/* south edge: outward is south; east edge: outward is east */
	CHECK_INT(near_edge(s, sq[0], sq[1], -1, 0, 0), 1);
	CHECK_INT(near_edge(s, sq[0], sq[1], -1, 0, 0.45), 1);
	CHECK_INT(near_edge(s, sq[0], sq[1], -1, 0, 0.55), 0);
	CHECK_INT(near_edge(s, sq[0], sq[1], -1, 0, -0.1), 1);
	CHECK_INT(near_edge(s, sq[1], sq[2], 0, 1, 0), 1);
	CHECK_INT(near_edge(s, sq[1], sq[2], 0, 1, 0.45), 1);
	CHECK_INT(near_edge(s, sq[1], sq[2], 0, 1, 0.55), 0);
	/* beyond a corner, diagonally: 0.4 m away inside, 0.6 m out */
	{
		double la, lo;

		offset(sq[2].lat, sq[2].lon, 1, 1, 0.4, &la, &lo);
		CHECK_INT(in1(s, la, lo), 1);
		offset(sq[2].lat, sq[2].lon, 1, 1, 0.6, &la, &lo);
		CHECK_INT(in1(s, la, lo), 0);
	}
	geofence_set_free(s);
}

/* A U open to the north, drawn clockwise, with a GeoJSON closing vertex:
 * the notch between the arms is outside. */
static void
test_concave(void)
{
	static const struct geofence_ll u[] = { { 43.80, 125.20 },
		{ 43.83, 125.20 }, { 43.83, 125.21 }, { 43.81, 125.21 },
		{ 43.81, 125.22 }, { 43.83, 125.22 }, { 43.83, 125.23 },
		{ 43.80, 125.23 }, { 43.80, 125.20 } };
	struct geofence_ring ring = { u, NELEM(u) };
	struct geofence_set *s = geofence_set_new();
	const char *why = NULL;
	size_t i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(geofence_set_add_polygon(s, 1, &ring, 1, &why), 0);
	CHECK_INT(geofence_set_build(s), 0);
	CHECK_INT(in1(s, 43.82, 125.205), 1);  /* west arm */
	CHECK_INT(in1(s, 43.82, 125.225), 1);  /* east arm */
	CHECK_INT(in1(s, 43.805, 125.215), 1); /* the base */
	CHECK_INT(in1(s, 43.82, 125.215), 0);  /* the notch */
	CHECK_INT(in1(s, 43.835, 125.215), 0); /* north of it */
	for (i = 0; i < NELEM(u); i++)	       /* every vertex, reflex too */
		CHECK_INT(in1(s, u[i].lat, u[i].lon), 1);
	/* the notch's floor (43.81) from above: 0.45 m in, 0.55 m out */
	CHECK_INT(near_edge(s, u[3], u[4], 1, 0, 0.45), 1);
	CHECK_INT(near_edge(s, u[3], u[4], 1, 0, 0.55), 0);
	CHECK_INT(near_edge(s, u[2], u[3], 0, 1, 0), 1);
	CHECK_INT(near_edge(s, u[2], u[3], 0, 1, 0.55), 0);
	geofence_set_free(s);
}

static void
test_hole(void)
{
	static const struct geofence_ll out[] = { { 43.90, 125.40 },
		{ 43.90, 125.44 }, { 43.94, 125.44 }, { 43.94, 125.40 } };
	static const struct geofence_ll hole[] = { { 43.91, 125.41 },
		{ 43.93, 125.41 }, { 43.93, 125.43 }, { 43.91, 125.43 } };
	struct geofence_ring rings[] = { { out, 4 }, { hole, 4 } };
	struct geofence_set *s = geofence_set_new();
	const char *why = NULL;
	size_t i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(geofence_set_add_polygon(s, 9, rings, 2, &why), 0);
	CHECK_INT(geofence_set_build(s), 0);
	CHECK_INT(in1(s, 43.92, 125.42), 0);  /* in the hole */
	CHECK_INT(in1(s, 43.905, 125.42), 1); /* between the rings */
	CHECK_INT(in1(s, 43.95, 125.42), 0);  /* outside */
	for (i = 0; i < NELEM(hole); i++)     /* the hole's corners */
		CHECK_INT(in1(s, hole[i].lat, hole[i].lon), 1);
	/* the hole's south edge, from inside the hole (north) */
	CHECK_INT(near_edge(s, hole[3], hole[0], 1, 0, 0), 1);
	CHECK_INT(near_edge(s, hole[3], hole[0], 1, 0, 0.45), 1);
	CHECK_INT(near_edge(s, hole[3], hole[0], 1, 0, 0.55), 0);
	geofence_set_free(s);
}

struct bad_poly {
	const char *what;
	struct geofence_ll v[8];
	size_t n;
	struct geofence_ll h[5]; /* a hole, when nh > 0 */
	size_t nh;
};

static const struct bad_poly bad[] = {
	{ "two vertices", { { 43.8, 125.2 }, { 43.81, 125.2 } }, 2 },
	{ "collinear", { { 43.8, 125.2 }, { 43.81, 125.2 }, { 43.82, 125.2 } },
	    3 },
	{ "repeated vertex",
	    { { 43.8, 125.2 }, { 43.81, 125.2 }, { 43.81, 125.2 },
		{ 43.81, 125.21 } },
	    4 },
	{ "bow tie",
	    { { 43.8, 125.2 }, { 43.81, 125.21 }, { 43.81, 125.2 },
		{ 43.8, 125.21 } },
	    4 },
	{ "spike folding back",
	    { { 43.8, 125.2 }, { 43.8, 125.22 }, { 43.8, 125.21 },
		{ 43.81, 125.21 } },
	    4 },
	{ "vertex touching an edge",
	    { { 43.8, 125.2 }, { 43.8, 125.22 }, { 43.81, 125.22 },
		{ 43.8, 125.21 }, { 43.81, 125.2 } },
	    5 },
	{ "NaN", { { 43.8, 125.2 }, { NAN, 125.2 }, { 43.8, 125.21 } }, 3 },
	{ "beyond 80 N", { { 80.5, 25.2 }, { 80.51, 25.2 }, { 80.51, 25.21 } },
	    3 },
	{ "wider than a degree",
	    { { 43.8, 125.0 }, { 43.81, 126.1 }, { 43.82, 125.0 } }, 3 },
	{ "across the antimeridian",
	    { { 50.0, 179.99 }, { 50.01, -179.99 }, { 50.02, 179.99 } }, 3 },
	{ "hole outside",
	    { { 43.8, 125.2 }, { 43.8, 125.21 }, { 43.81, 125.21 },
		{ 43.81, 125.2 } },
	    4, { { 43.82, 125.2 }, { 43.82, 125.21 }, { 43.83, 125.21 } }, 3 },
	{ "hole crossing the outline",
	    { { 43.8, 125.2 }, { 43.8, 125.21 }, { 43.81, 125.21 },
		{ 43.81, 125.2 } },
	    4,
	    { { 43.805, 125.205 }, { 43.805, 125.215 }, { 43.806, 125.205 } },
	    3 },
};

/* Every shape of bad[] is refused, with a reason, and so are bad circles
 * and fences added after the build. */
static void
test_refused(void)
{
	struct geofence_set *s = geofence_set_new();
	const char *why;
	size_t i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < NELEM(bad); i++) {
		struct geofence_ring r[2] = { { bad[i].v, bad[i].n },
			{ bad[i].h, bad[i].nh } };

		why = NULL;
		if (geofence_set_add_polygon(s, i, r, bad[i].nh ? 2 : 1,
			&why) != -1) {
			check_failures++;
			fprintf(stderr, "accepted: %s\n", bad[i].what);
		}
		CHECK(why != NULL);
	}
	/* a hole inside another hole */
	{
		static const struct geofence_ll o[] = { { 43.8, 125.2 },
			{ 43.8, 125.24 }, { 43.84, 125.24 }, { 43.84, 125.2 } };
		static const struct geofence_ll h1[] = { { 43.81, 125.21 },
			{ 43.81, 125.23 }, { 43.83, 125.23 },
			{ 43.83, 125.21 } };
		static const struct geofence_ll h2[] = { { 43.815, 125.215 },
			{ 43.815, 125.225 }, { 43.825, 125.225 } };
		struct geofence_ring r[] = { { o, 4 }, { h1, 4 }, { h2, 3 } };

		CHECK_INT(geofence_set_add_polygon(s, 0, r, 3, &why), -1);
		CHECK_INT(geofence_set_add_polygon(s, 0, r, 2, &why), 0);
		CHECK_INT(geofence_set_add_polygon(s, 0, NULL, 0, &why), -1);
	}
	CHECK_INT(geofence_set_add_circle(s, 0, 43.8, 125.2, 0, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, 43.8, 125.2, -5, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, 43.8, 125.2, NAN, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, 43.8, 125.2, 60000, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, NAN, 125.2, 100, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, 85.0, 125.2, 100, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, 43.8, 179.9999, 100, &why), -1);
	CHECK_INT(geofence_set_add_circle(s, 0, 79.995, 20.0, 1000, &why), -1);
	/* only the accepted polygon went in */
	CHECK_INT(geofence_set_count(s), 1);
	CHECK_INT(geofence_set_build(s), 0);
	CHECK_INT(geofence_set_add_circle(s, 0, 43.8, 125.2, 100, &why), -1);
	CHECK_STR(why, "the set is already built");
	CHECK_INT(geofence_set_count(s), 1);
	geofence_set_free(s);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static double
urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

#define NFENCES	   500
#define NPOINTS	   100000
#define MAXV	   12
#define AREA_LAT0  43.70
#define AREA_LON0  125.10
#define AREA_DEG   0.40
#define M_PER_DLAT 111100.0 /* rough, only to size shapes */

/* What the test knows of each fence, for its own reference answer. */
struct shape {
	int circle;
	double lat, lon, r;
	struct geofence_ll v[MAXV], h[4];
	size_t n, nh;
};

static struct shape shapes[NFENCES];

static double ref_seg_m(double lat, double lon, struct geofence_ll a,
    struct geofence_ll b);

/* A star-shaped polygon around (lat, lon): vertices at increasing angles
 * and random radii, so it is simple; every third one gets a hole. */
static void
make_poly(struct shape *sh, double lat, double lon, double rm)
{
	double kx = M_PER_DLAT * cos(lat * RAD);
	size_t k;

	sh->n = 3 + (size_t)(urand() * (MAXV - 2));
	for (k = 0; k < sh->n; k++) {
		double a = (k + 0.2 + 0.6 * urand()) * 2 * PI / sh->n;
		double rr = rm * (0.5 + 0.5 * urand());

		sh->v[k].lat = lat + rr * sin(a) / M_PER_DLAT;
		sh->v[k].lon = lon + rr * cos(a) / kx;
	}
	sh->nh = 0;
	/* the hole's corners are 0.21 rm out: keep clear of every edge */
	for (k = 0; k < sh->n; k++)
		if (ref_seg_m(lat, lon, sh->v[k], sh->v[(k + 1) % sh->n]) <
		    0.3 * rm)
			return;
	if (urand() < 0.33) {
		double hr = rm * 0.15;

		sh->nh = 4;
		sh->h[0] = (struct geofence_ll){ lat - hr / M_PER_DLAT,
			lon - hr / kx };
		sh->h[1] = (struct geofence_ll){ lat - hr / M_PER_DLAT,
			lon + hr / kx };
		sh->h[2] = (struct geofence_ll){ lat + hr / M_PER_DLAT,
			lon + hr / kx };
		sh->h[3] = (struct geofence_ll){ lat + hr / M_PER_DLAT,
			lon - hr / kx };
	}
}

/* Distance from (lat, lon) to the segment a b, metres, in the tangent
 * plane at the point (a different frame from the library's). */
static double
ref_seg_m(double lat, double lon, struct geofence_ll a, struct geofence_ll b)
{
	double ky = 111132.954 - 559.822 * cos(2 * lat * RAD);
	double kx = 111412.84 * cos(lat * RAD) - 93.5 * cos(3 * lat * RAD);
	double ax = (a.lon - lon) * kx, ay = (a.lat - lat) * ky;
	double bx = (b.lon - lon) * kx, by = (b.lat - lat) * ky;
	double dx = bx - ax, dy = by - ay, t;

	t = -(ax * dx + ay * dy) / (dx * dx + dy * dy);
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return hypot(ax + t * dx, ay + t * dy);
}

static int
ref_ring(const struct geofence_ll *v, size_t n, double lat, double lon,
    double *dmin)
{
	size_t i, j;
	int in = 0;

	for (i = 0, j = n - 1; i < n; j = i++) {
		if ((v[i].lat > lat) != (v[j].lat > lat) &&
		    lon < v[i].lon +
			    (lat - v[i].lat) * (v[j].lon - v[i].lon) /
				(v[j].lat - v[i].lat))
			in = !in;
		*dmin = fmin(*dmin, ref_seg_m(lat, lon, v[j], v[i]));
	}
	return in;
}

/* The reference answer: 1 in, 0 out, -1 too close to the tolerance's edge
 * to call (within 5 cm of it). */
static int
ref_contains(const struct shape *sh, double lat, double lon)
{
	double d, dmin = INFINITY;
	int in;

	if (sh->circle) {
		/* rough metres first: Vincenty only near the circle */
		d = hypot((lat - sh->lat) * M_PER_DLAT,
		    (lon - sh->lon) * M_PER_DLAT * cos(lat * RAD));
		if (d > sh->r * 1.01 + 10)
			return 0;
		if (d < sh->r * 0.99 - 10)
			return 1;
		d = vincenty_m(sh->lat, sh->lon, lat, lon) - sh->r;
		return fabs(d - GEOFENCE_TOL_M) < 0.05 ? -1
						       : d <= GEOFENCE_TOL_M;
	}
	if (fabs(lat - sh->v[0].lat) > 0.3 || fabs(lon - sh->v[0].lon) > 0.3)
		return 0;
	in = ref_ring(sh->v, sh->n, lat, lon, &dmin);
	if (sh->nh)
		in ^= ref_ring(sh->h, sh->nh, lat, lon, &dmin);
	if (fabs(dmin - GEOFENCE_TOL_M) < 0.05)
		return -1;
	return in || dmin <= GEOFENCE_TOL_M;
}

static int
add_shapes(struct geofence_set *s)
{
	size_t i;
	const char *why = NULL;

	for (i = 0; i < NFENCES; i++) {
		struct shape *sh = &shapes[i];
		double lat = AREA_LAT0 + urand() * AREA_DEG;
		double lon = AREA_LON0 + urand() * AREA_DEG;
		/* mostly sites of 50-800 m, a few of several km */
		double rm =
		    urand() < 0.05 ? 2000 + 3000 * urand() : 50 + 750 * urand();
		struct geofence_ring r[2];

		sh->circle = urand() < 0.5;
		sh->lat = lat;
		sh->lon = lon;
		sh->r = rm;
		/* tag i / 2: pairs of fences share a site */
		if (sh->circle) {
			if (geofence_set_add_circle(s, i / 2, lat, lon, rm,
				&why) == -1)
				goto fail;
			continue;
		}
		make_poly(sh, lat, lon, rm);
		r[0] = (struct geofence_ring){ sh->v, sh->n };
		r[1] = (struct geofence_ring){ sh->h, sh->nh };
		if (geofence_set_add_polygon(s, i / 2, r, sh->nh ? 2 : 1,
			&why) == -1)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "fence %zu refused: %s\n", i, why);
	return -1;
}

/* A point: uniform over the area and a margin around it, or on/near a
 * fence's boundary (a vertex, an edge, the circle), to exercise the band. */
static void
random_point(double *lat, double *lon)
{
	const struct shape *sh = &shapes[(size_t)(urand() * NFENCES)];
	double u = urand(), t;
	size_t k;

	if (u < 0.5) {
		*lat = AREA_LAT0 - 0.05 + urand() * (AREA_DEG + 0.1);
		*lon = AREA_LON0 - 0.05 + urand() * (AREA_DEG + 0.1);
	} else if (sh->circle) {
		double a = urand() * 2 * PI;
		double d = sh->r + GEOFENCE_TOL_M * (2 * urand() - 1) * 3;

		*lat = sh->lat + d * sin(a) / M_PER_DLAT;
		*lon = sh->lon + d * cos(a) / (M_PER_DLAT * cos(sh->lat * RAD));
	} else {
		k = (size_t)(urand() * sh->n);
		t = u < 0.6 ? 0 : urand();
		*lat = sh->v[k].lat +
		    t * (sh->v[(k + 1) % sh->n].lat - sh->v[k].lat);
		*lon = sh->v[k].lon +
		    t * (sh->v[(k + 1) % sh->n].lon - sh->v[k].lon);
		*lat += (2 * urand() - 1) * 1.5 / M_PER_DLAT;
		*lon += (2 * urand() - 1) * 1.5 / M_PER_DLAT;
	}
}

static void
test_grid(void)
{
	struct geofence_set *s = geofence_set_new();
	size_t got[64], want[64], ng, nw, i, k, hits = 0, mism = 0, refd = 0;
	size_t wrong = 0, maxhits = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(add_shapes(s), 0);
	/* before the build, find is a scan */
	ng = geofence_set_find(s, shapes[0].lat, shapes[0].lon, got, 64);
	nw = geofence_set_scan(s, shapes[0].lat, shapes[0].lon, want, 64);
	CHECK_INT(ng, nw);
	CHECK(ng >= 1);
	CHECK_INT(geofence_set_build(s), 0);
	for (i = 0; i < NPOINTS; i++) {
		double lat, lon;

		random_point(&lat, &lon);
		ng = geofence_set_find(s, lat, lon, got, 64);
		nw = geofence_set_scan(s, lat, lon, want, 64);
		if (ng != nw || memcmp(got, want, ng * sizeof(*got)) != 0)
			mism++;
		hits += ng > 0;
		maxhits = ng > maxhits ? ng : maxhits;
		/* the reference, fence by fence, every tenth point */
		if (i % 10 != 0)
			continue;
		for (k = 0; k < NFENCES; k++) {
			int r = ref_contains(&shapes[k], lat, lon);

			refd += r >= 0;
			if (r >= 0 && r != geofence_set_test(s, k, lat, lon))
				wrong++;
		}
	}
	printf("grid: %zu points, %zu in a fence, at most %zu fences, "
	       "%zu reference answers, %zu bytes\n",
	    (size_t)NPOINTS, hits, maxhits, refd, geofence_set_memory(s));
	CHECK_INT(mism, 0);
	CHECK_INT(wrong, 0);
	/* the sample must exercise something: over a third of the points
	 * are placed on boundaries, and fences overlap */
	CHECK(hits > NPOINTS / 4);
	CHECK(maxhits >= 2);
	/* a count beyond cap: the total, only cap written */
	for (i = 0; i < NPOINTS; i++) {
		double lat, lon;

		random_point(&lat, &lon);
		nw = geofence_set_scan(s, lat, lon, want, 64);
		if (nw >= 2) {
			got[1] = (size_t)-1;
			CHECK_INT(geofence_set_find(s, lat, lon, got, 1), nw);
			CHECK_INT(got[0], want[0]);
			CHECK(got[1] == (size_t)-1);
			break;
		}
	}
	CHECK_INT(geofence_set_find(s, NAN, 125.2, got, 64), 0);
	CHECK_INT(geofence_set_find(s, 10.0, 10.0, got, 64), 0);
	CHECK_INT(geofence_set_find(s, 43.9, 170.0, got, 64), 0);
	geofence_set_free(s);
}

/*
 * Random vertex lists (most of them self-intersecting), some with a random
 * hole: every one is accepted or refused with a reason, never a crash
 * (the sanitizer build runs this), and what was accepted is found by the
 * grid exactly as by the scan.
 */
static void
test_random_shapes(void)
{
	struct geofence_set *s = geofence_set_new();
	struct geofence_ll v[8], h[4];
	size_t i, k, ok = 0, got[64], want[64];
	const char *why;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < 2000; i++) {
		struct geofence_ring r[2] = { { v, 3 + (size_t)(urand() * 6) },
			{ h, 3 + (size_t)(urand() * 2) } };
		double lat = 43.8 + urand() * 0.05,
		       lon = 125.2 + urand() * 0.05;

		for (k = 0; k < 8; k++)
			v[k] = (struct geofence_ll){ lat + urand() * 0.002,
				lon + urand() * 0.002 };
		for (k = 0; k < 4; k++)
			h[k] = (struct geofence_ll){ lat + urand() * 0.002,
				lon + urand() * 0.002 };
		why = NULL;
		if (geofence_set_add_polygon(s, i, r, urand() < 0.3 ? 2 : 1,
			&why) == 0)
			ok++;
		else
			CHECK(why != NULL);
	}
	printf("random shapes: %zu of 2000 accepted\n", ok);
	CHECK_INT(geofence_set_count(s), ok);
	CHECK(ok > 100 && ok < 2000);
	CHECK_INT(geofence_set_build(s), 0);
	for (i = 0; i < 20000; i++) {
		double lat = 43.8 + urand() * 0.052,
		       lon = 125.2 + urand() * 0.052;
		size_t ng = geofence_set_find(s, lat, lon, got, 64);
		size_t nw = geofence_set_scan(s, lat, lon, want, 64);

		if (ng != nw ||
		    memcmp(got, want, (ng < 64 ? ng : 64) * sizeof(*got)) !=
			0) {
			CHECK_INT(ng, nw);
			break;
		}
	}
	geofence_set_free(s);
}

static void
test_empty(void)
{
	struct geofence_set *s = geofence_set_new();
	size_t t;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(geofence_set_find(s, 43.8, 125.2, &t, 1), 0);
	CHECK_INT(geofence_set_build(s), 0);
	CHECK_INT(geofence_set_find(s, 43.8, 125.2, &t, 1), 0);
	CHECK_INT(geofence_set_test(s, 0, 43.8, 125.2), 0);
	geofence_set_free(s);
}

int
main(void)
{
	test_circle();
	test_convex();
	test_concave();
	test_hole();
	test_refused();
	test_empty();
	test_random_shapes();
	test_grid();
	return check_result("test_geofence");
}
