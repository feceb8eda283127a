/*
 * geofence: circles and polygons in WGS-84, and a uniform grid over them
 * (docs/geofence.md). Everything metric happens in a local projection
 * around each fence's centre, fixed when the fence is added, so that a
 * lookup is a few multiplications per candidate fence and no libm call.
 */
#include "geofence.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAD	 (3.14159265358979323846 / 180.0)
#define WGS84_A	 6378137.0
#define WGS84_F	 (1.0 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))
/* Radius limits of a circle, metres. */
#define MIN_RADIUS_M 1.0
#define MAX_RADIUS_M 50000.0
/* Below this a ring has no inside worth the name, square metres. */
#define MIN_AREA_M2 1.0
/* Bounding boxes are prefilters and grid keys: they must never be too
 * small, so the tolerance band is widened by this factor in them. */
#define BBOX_SLACK 1.01

enum fence_kind { FENCE_CIRCLE, FENCE_POLYGON };

struct fence {
	size_t tag;
	enum fence_kind kind;
	double lat0, lon0;			   /* centre, degrees */
	double min_lat, max_lat, min_lon, max_lon; /* tolerance included */
	/* circle: (r + tol)^2, the centre's cos/sin, radii of curvature
	 * (meridian M, prime vertical N, metres per radian) and N's relative
	 * rate of change with latitude (M's is three times it) */
	double r2, c0, s0, m0, n0, g;
	/* polygon: metres per degree east and north at the centre; the
	 * projected vertices are xy[2 * v0 ..], ring i ends at ring_end[r0 + i]
	 * (vertex count from v0) */
	double kx, ky;
	uint32_t v0, nv, r0, nr;
};

struct geofence_set {
	struct fence *f;
	size_t n, cap;
	double *xy; /* projected polygon vertices, x y pairs, metres */
	size_t nxy, capxy;
	uint32_t *ring_end;
	size_t nring, capring;
	/* the grid: cells of cell degrees from (lat_min, lon_min); the fences
	 * of cell c are items[start[c] .. start[c + 1]] */
	int built;
	double lat_min, lon_min, cell;
	uint32_t nrows, ncols;
	uint32_t *start, *items;
	size_t nitems;
};

struct geofence_set *
geofence_set_new(void)
{
	return calloc(1, sizeof(struct geofence_set));
}

void
geofence_set_free(struct geofence_set *s)
{
	if (s == NULL)
		return;
	free(s->f);
	free(s->xy);
	free(s->ring_end);
	free(s->start);
	free(s->items);
	free(s);
}

/*
 * ptr (of *cap elements of size sz) grown to hold need: the new pointer,
 * or NULL (ptr still valid, *cap unchanged) when out of memory.
 */
static void *
grow(void *ptr, size_t *cap, size_t need, size_t sz)
{
	void *np;
	size_t ncap;

	if (need <= *cap && ptr != NULL)
		return ptr;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	if ((np = realloc(ptr, ncap * sz)) == NULL)
		return NULL;
	*cap = ncap;
	return np;
}

static void
set_why(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
}

static int
point_ok(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) &&
	    fabs(lat) <= GEOFENCE_MAX_LAT && fabs(lon) <= 180.0;
}

/* The ellipsoid's radii of curvature at latitude lat, metres per radian. */
static void
radii(double lat, double *m, double *n)
{
	double s = sin(lat * RAD), w = 1.0 - WGS84_E2 * s * s;

	*n = WGS84_A / sqrt(w);
	*m = WGS84_A * (1.0 - WGS84_E2) / (w * sqrt(w));
}

/* Span and antimeridian checks on a fence's box, degrees. */
static int
box_ok(const struct fence *f, const char **why)
{
	if (f->max_lat - f->min_lat > GEOFENCE_MAX_SPAN_DEG ||
	    f->max_lon - f->min_lon > GEOFENCE_MAX_SPAN_DEG) {
		set_why(why,
		    "the fence spans more than 1 degree of latitude "
		    "or longitude, or crosses the antimeridian");
		return -1;
	}
	if (f->min_lon < -180.0 || f->max_lon > 180.0) {
		set_why(why, "the fence crosses the antimeridian");
		return -1;
	}
	if (fabs(f->min_lat) > GEOFENCE_MAX_LAT ||
	    fabs(f->max_lat) > GEOFENCE_MAX_LAT) {
		set_why(why, "the fence reaches beyond 80 degrees of latitude");
		return -1;
	}
	return 0;
}

static struct fence *
new_fence(struct geofence_set *s, const char **why)
{
	struct fence *nf;

	if (s->built) {
		set_why(why, "the set is already built");
		return NULL;
	}
	if ((nf = grow(s->f, &s->cap, s->n + 1, sizeof(*s->f))) == NULL) {
		set_why(why, "out of memory");
		return NULL;
	}
	s->f = nf;
	memset(&s->f[s->n], 0, sizeof(s->f[s->n]));
	return &s->f[s->n];
}

int
geofence_set_add_circle(struct geofence_set *s, size_t tag, double lat,
    double lon, double radius_m, const char **why)
{
	struct fence *f;
	double r, dlat, dlon, far_lat;

	if ((f = new_fence(s, why)) == NULL)
		return -1;
	if (!point_ok(lat, lon) || !isfinite(radius_m)) {
		set_why(why,
		    "the centre is not a finite point within 80 "
		    "degrees of latitude");
		return -1;
	}
	if (radius_m < MIN_RADIUS_M || radius_m > MAX_RADIUS_M) {
		set_why(why, "the radius is not between 1 m and 50 km");
		return -1;
	}
	f->tag = tag;
	f->kind = FENCE_CIRCLE;
	f->lat0 = lat;
	f->lon0 = lon;
	f->c0 = cos(lat * RAD);
	f->s0 = sin(lat * RAD);
	radii(lat, &f->m0, &f->n0);
	f->g = WGS84_E2 * f->s0 * f->c0 / (1.0 - WGS84_E2 * f->s0 * f->s0);
	r = radius_m + GEOFENCE_TOL_M;
	f->r2 = r * r;
	/* The box, widened: longitude degrees are widest at the circle's
	 * latitude furthest from the equator. */
	dlat = r * BBOX_SLACK / f->m0 / RAD;
	far_lat = fmin(fabs(lat) + dlat, 89.0);
	dlon = r * BBOX_SLACK / (f->n0 * cos(far_lat * RAD)) / RAD;
	f->min_lat = lat - dlat;
	f->max_lat = lat + dlat;
	f->min_lon = lon - dlon;
	f->max_lon = lon + dlon;
	if (box_ok(f, why) == -1)
		return -1;
	s->n++;
	return 0;
}

/* Twice the signed area of the triangle a b c (> 0: counter-clockwise). */
static double
orient(const double *a, const double *b, const double *c)
{
	return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/* c, collinear with a b, lies on the closed segment a b. */
static int
on_seg(const double *a, const double *b, const double *c)
{
	return fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) &&
	    fmin(a[1], b[1]) <= c[1] && c[1] <= fmax(a[1], b[1]);
}

/* The closed segments p1 p2 and q1 q2 share a point. */
static int
seg_meet(const double *p1, const double *p2, const double *q1, const double *q2)
{
	double d1 = orient(q1, q2, p1), d2 = orient(q1, q2, p2);
	double d3 = orient(p1, p2, q1), d4 = orient(p1, p2, q2);

	if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) &&
	    ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
		return 1;
	return (d1 == 0 && on_seg(q1, q2, p1)) ||
	    (d2 == 0 && on_seg(q1, q2, p2)) ||
	    (d3 == 0 && on_seg(p1, p2, q1)) || (d4 == 0 && on_seg(p1, p2, q2));
}

/* Even-odd test of (x, y) against ring [b, e) of xy, no tolerance. */
static int
ring_inside(const double *xy, uint32_t b, uint32_t e, double x, double y)
{
	int in = 0;
	uint32_t i, j;

	for (i = b, j = e - 1; i < e; j = i++) {
		const double *p = xy + 2 * i, *q = xy + 2 * j;

		if ((p[1] > y) != (q[1] > y) &&
		    x < p[0] + (y - p[1]) * (q[0] - p[0]) / (q[1] - p[1]))
			in = !in;
	}
	return in;
}

/* Edge i of its ring [b, e): from vertex i to the next one, wrapping. */
static uint32_t
next_v(uint32_t i, uint32_t b, uint32_t e)
{
	return i + 1 < e ? i + 1 : b;
}

/* Edges a->sv and sv->c fold back over each other (a spike). */
static int
folds(const double *a, const double *sv, const double *c)
{
	return orient(a, sv, c) == 0 &&
	    (a[0] - sv[0]) * (c[0] - sv[0]) + (a[1] - sv[1]) * (c[1] - sv[1]) >
	    0;
}

/* Edge i (next ni) against the later edges of rings [rj, nr). */
static int
edge_ok(const double *xy, const uint32_t *ends, uint32_t nr, uint32_t ri,
    uint32_t i, uint32_t ni)
{
	uint32_t rj, bj, j, nj;

	for (rj = ri, bj = ri ? ends[ri - 1] : 0; rj < nr; bj = ends[rj++])
		for (j = rj == ri ? i + 1 : bj; j < ends[rj]; j++) {
			nj = next_v(j, bj, ends[rj]);
			/* neighbours in a ring meet at their shared vertex */
			if (rj == ri && ni == j) {
				if (folds(xy + 2 * i, xy + 2 * j, xy + 2 * nj))
					return -1;
				continue;
			}
			if (rj == ri && nj == i) {
				if (folds(xy + 2 * j, xy + 2 * i, xy + 2 * ni))
					return -1;
				continue;
			}
			if (seg_meet(xy + 2 * i, xy + 2 * ni, xy + 2 * j,
				xy + 2 * nj))
				return -1;
		}
	return 0;
}

/* No two edges of the polygon (all its rings) meet, except neighbours at
 * their shared vertex; quadratic, at configuration load only. */
static int
poly_simple(const double *xy, const uint32_t *ends, uint32_t nr)
{
	uint32_t r, b, i;

	for (r = 0, b = 0; r < nr; b = ends[r++])
		for (i = b; i < ends[r]; i++)
			if (edge_ok(xy, ends, nr, r, i,
				next_v(i, b, ends[r])) == -1)
				return -1;
	return 0;
}

/* Count the vertices of each ring, dropping a closing repeat; checks. */
static int
poly_count(const struct geofence_ring *rings, size_t nrings, size_t *total,
    const char **why)
{
	size_t r, k, n;

	*total = 0;
	if (rings == NULL || nrings == 0 || nrings > GEOFENCE_MAX_VERTICES) {
		set_why(why, "a polygon needs an outline");
		return -1;
	}
	for (r = 0; r < nrings; r++) {
		const struct geofence_ll *v = rings[r].v;

		n = rings[r].n;
		if (v == NULL)
			n = 0;
		for (k = 0; k < n; k++)
			if (!point_ok(v[k].lat, v[k].lon)) {
				set_why(why,
				    "a vertex is not a finite point "
				    "within 80 degrees of latitude");
				return -1;
			}
		if (n > 1 && v[0].lat == v[n - 1].lat &&
		    v[0].lon == v[n - 1].lon)
			n--;
		if (n < 3) {
			set_why(why, "a ring has fewer than three vertices");
			return -1;
		}
		for (k = 0; k < n; k++)
			if (v[k].lat == v[(k + 1) % n].lat &&
			    v[k].lon == v[(k + 1) % n].lon) {
				set_why(why, "a ring repeats a vertex");
				return -1;
			}
		*total += n;
		if (*total > GEOFENCE_MAX_VERTICES) {
			set_why(why, "the polygon has more than 4096 vertices");
			return -1;
		}
	}
	return 0;
}

/* The centre, projection and box of a polygon from its vertices. */
static void
poly_frame(struct fence *f, const struct geofence_ring *rings, size_t nrings)
{
	size_t r, k;
	double m, n, tlat, tlon;

	f->min_lat = f->min_lon = INFINITY;
	f->max_lat = f->max_lon = -INFINITY;
	for (r = 0; r < nrings; r++)
		for (k = 0; k < rings[r].n; k++) {
			f->min_lat = fmin(f->min_lat, rings[r].v[k].lat);
			f->max_lat = fmax(f->max_lat, rings[r].v[k].lat);
			f->min_lon = fmin(f->min_lon, rings[r].v[k].lon);
			f->max_lon = fmax(f->max_lon, rings[r].v[k].lon);
		}
	f->lat0 = (f->min_lat + f->max_lat) / 2;
	f->lon0 = (f->min_lon + f->max_lon) / 2;
	radii(f->lat0, &m, &n);
	f->ky = m * RAD;
	f->kx = n * cos(f->lat0 * RAD) * RAD;
	tlat = GEOFENCE_TOL_M * BBOX_SLACK / f->ky;
	tlon = GEOFENCE_TOL_M * BBOX_SLACK / f->kx;
	f->min_lat -= tlat;
	f->max_lat += tlat;
	f->min_lon -= tlon;
	f->max_lon += tlon;
}

/* Shape checks on the projected rings: area, simplicity, holes. */
static int
poly_shape(const double *xy, const uint32_t *ends, uint32_t nr,
    const char **why)
{
	uint32_t r, k, b = 0, h, hb;
	double a;

	for (r = 0; r < nr; b = ends[r], r++) {
		for (a = 0, k = b; k < ends[r]; k++) {
			uint32_t n = next_v(k, b, ends[r]);

			a += xy[2 * k] * xy[2 * n + 1] -
			    xy[2 * n] * xy[2 * k + 1];
		}
		if (fabs(a) / 2 < MIN_AREA_M2) {
			set_why(why, "a ring has (almost) no area");
			return -1;
		}
	}
	if (poly_simple(xy, ends, nr) == -1) {
		set_why(why, "edges of the polygon cross or touch");
		return -1;
	}
	/* Rings do not meet, so one vertex tells where a whole hole is. */
	for (r = 1; r < nr; r++) {
		const double *p = xy + 2 * ends[r - 1];

		if (!ring_inside(xy, 0, ends[0], p[0], p[1])) {
			set_why(why, "a hole is not inside the outline");
			return -1;
		}
		for (h = 1, hb = ends[0]; h < nr; hb = ends[h], h++)
			if (h != r &&
			    ring_inside(xy, hb, ends[h], p[0], p[1])) {
				set_why(why, "a hole is inside another hole");
				return -1;
			}
	}
	return 0;
}

int
geofence_set_add_polygon(struct geofence_set *s, size_t tag,
    const struct geofence_ring *rings, size_t nrings, const char **why)
{
	struct fence *f;
	size_t total, r, k, n;
	uint32_t nv = 0, *ends;
	double *xy;

	if ((f = new_fence(s, why)) == NULL)
		return -1;
	if (poly_count(rings, nrings, &total, why) == -1)
		return -1;
	if ((xy = grow(s->xy, &s->capxy, s->nxy + 2 * total, sizeof(double))) !=
	    NULL)
		s->xy = xy;
	if ((ends = grow(s->ring_end, &s->capring, s->nring + nrings,
		 sizeof(uint32_t))) != NULL)
		s->ring_end = ends;
	if (xy == NULL || ends == NULL) {
		set_why(why, "out of memory");
		return -1;
	}
	f->tag = tag;
	f->kind = FENCE_POLYGON;
	poly_frame(f, rings, nrings);
	if (box_ok(f, why) == -1)
		return -1;
	xy = s->xy + s->nxy;
	for (r = 0; r < nrings; r++) {
		const struct geofence_ll *v = rings[r].v;

		n = rings[r].n;
		if (v[0].lat == v[n - 1].lat && v[0].lon == v[n - 1].lon)
			n--;
		for (k = 0; k < n; k++, nv++) {
			xy[2 * nv] = (v[k].lon - f->lon0) * f->kx;
			xy[2 * nv + 1] = (v[k].lat - f->lat0) * f->ky;
		}
		s->ring_end[s->nring + r] = nv;
	}
	if (poly_shape(xy, s->ring_end + s->nring, (uint32_t)nrings, why) == -1)
		return -1;
	f->v0 = (uint32_t)(s->nxy / 2);
	f->nv = nv;
	f->r0 = (uint32_t)s->nring;
	f->nr = (uint32_t)nrings;
	s->nxy += 2 * (size_t)nv;
	s->nring += nrings;
	s->n++;
	return 0;
}

/* Squared distance from (x, y) to the segment p q, metres^2. */
static double
seg_dist2(const double *p, const double *q, double x, double y)
{
	double dx = q[0] - p[0], dy = q[1] - p[1], t, ex, ey;
	double l2 = dx * dx + dy * dy;

	t = l2 > 0 ? ((x - p[0]) * dx + (y - p[1]) * dy) / l2 : 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	ex = p[0] + t * dx - x;
	ey = p[1] + t * dy - y;
	return ex * ex + ey * ey;
}

static int
poly_test(const struct geofence_set *s, const struct fence *f, double lat,
    double lon)
{
	const double tol = GEOFENCE_TOL_M, tol2 = tol * tol;
	const double *xy = s->xy + 2 * (size_t)f->v0;
	const uint32_t *ends = s->ring_end + f->r0;
	double x = (lon - f->lon0) * f->kx, y = (lat - f->lat0) * f->ky;
	uint32_t r, b = 0, i, j;
	int in = 0;

	for (r = 0; r < f->nr; b = ends[r], r++)
		for (i = b, j = ends[r] - 1; i < ends[r]; j = i++) {
			const double *p = xy + 2 * i, *q = xy + 2 * j;

			if ((p[1] > y) != (q[1] > y) &&
			    x < p[0] +
				    (y - p[1]) * (q[0] - p[0]) / (q[1] - p[1]))
				in = !in;
			/* The boundary band, only near the edge's box. */
			if (y >= fmin(p[1], q[1]) - tol &&
			    y <= fmax(p[1], q[1]) + tol &&
			    x >= fmin(p[0], q[0]) - tol &&
			    x <= fmax(p[0], q[0]) + tol &&
			    seg_dist2(p, q, x, y) <= tol2)
				return 1;
		}
	return in;
}

/*
 * Mid-latitude distance on the ellipsoid: the scales are taken at the mean
 * of the two latitudes, expanded to first order around the centre's (the
 * half difference h is under 0.5 degree). Against Vincenty's geodesic:
 * 1.3 mm at 10 km at 44 N, 3.4 cm at 10 km at 79.5 N (docs/geofence.md).
 */
static int
circle_test(const struct fence *f, double lat, double lon)
{
	double dphi = (lat - f->lat0) * RAD, dlam = (lon - f->lon0) * RAD;
	double h = dphi / 2, cm = f->c0 * (1 - h * h / 2) - f->s0 * h;
	double y = f->m0 * (1 + 3 * f->g * h) * dphi;
	double x = f->n0 * (1 + f->g * h) * cm * dlam;

	return x * x + y * y <= f->r2;
}

static int
fence_test(const struct geofence_set *s, const struct fence *f, double lat,
    double lon)
{
	if (lat < f->min_lat || lat > f->max_lat || lon < f->min_lon ||
	    lon > f->max_lon)
		return 0;
	return f->kind == FENCE_CIRCLE ? circle_test(f, lat, lon)
				       : poly_test(s, f, lat, lon);
}

size_t
geofence_set_count(const struct geofence_set *s)
{
	return s->n;
}

size_t
geofence_set_tag(const struct geofence_set *s, size_t i)
{
	return i < s->n ? s->f[i].tag : 0;
}

void
geofence_set_bbox(const struct geofence_set *s, size_t i, double *min_lat,
    double *max_lat, double *min_lon, double *max_lon)
{
	const struct fence *f;

	if (i >= s->n) {
		*min_lat = *max_lat = *min_lon = *max_lon = NAN;
		return;
	}
	f = &s->f[i];
	*min_lat = f->min_lat;
	*max_lat = f->max_lat;
	*min_lon = f->min_lon;
	*max_lon = f->max_lon;
}

int
geofence_set_test(const struct geofence_set *s, size_t i, double lat,
    double lon)
{
	if (i >= s->n || isnan(lat) || isnan(lon))
		return 0;
	return fence_test(s, &s->f[i], lat, lon);
}

size_t
geofence_set_scan(const struct geofence_set *s, double lat, double lon,
    size_t *tags, size_t cap)
{
	size_t i, n = 0;

	if (isnan(lat) || isnan(lon))
		return 0;
	for (i = 0; i < s->n; i++)
		if (fence_test(s, &s->f[i], lat, lon)) {
			if (n < cap)
				tags[n] = s->f[i].tag;
			n++;
		}
	return n;
}

/*
 * The cell index along one axis. The same function places fence boxes and
 * points, and is monotonic, so a point inside a box falls in one of the
 * box's cells.
 */
static long
cell_ix(double v, double v0, double cell)
{
	return (long)floor((v - v0) / cell);
}

/* Visit the cells of fence f's box: count (items NULL) or fill. */
static void
grid_cover(struct geofence_set *s, uint32_t i, uint32_t *fill)
{
	const struct fence *f = &s->f[i];
	long r, c, r0, r1, c0, c1;

	r0 = cell_ix(f->min_lat, s->lat_min, s->cell);
	r1 = cell_ix(f->max_lat, s->lat_min, s->cell);
	c0 = cell_ix(f->min_lon, s->lon_min, s->cell);
	c1 = cell_ix(f->max_lon, s->lon_min, s->cell);
	for (r = r0; r <= r1; r++)
		for (c = c0; c <= c1; c++) {
			size_t k = (size_t)r * s->ncols + (size_t)c;

			if (fill == NULL)
				s->start[k + 1]++;
			else
				s->items[fill[k]++] = i;
		}
}

/* How many (cell, fence) entries the grid will hold. */
static size_t
grid_items(const struct geofence_set *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++) {
		const struct fence *f = &s->f[i];

		n += (size_t)(cell_ix(f->max_lat, s->lat_min, s->cell) -
			 cell_ix(f->min_lat, s->lat_min, s->cell) + 1) *
		    (size_t)(cell_ix(f->max_lon, s->lon_min, s->cell) -
			cell_ix(f->min_lon, s->lon_min, s->cell) + 1);
	}
	return n;
}

/* The grid's origin, cell size and dimensions for the fences' boxes. */
static void
grid_shape(struct geofence_set *s)
{
	double lat1 = -INFINITY, lon1 = -INFINITY, rows, cols;
	size_t i;

	s->lat_min = s->lon_min = INFINITY;
	for (i = 0; i < s->n; i++) {
		s->lat_min = fmin(s->lat_min, s->f[i].min_lat);
		s->lon_min = fmin(s->lon_min, s->f[i].min_lon);
		lat1 = fmax(lat1, s->f[i].max_lat);
		lon1 = fmax(lon1, s->f[i].max_lon);
	}
	s->cell = GEOFENCE_CELL_DEG;
	for (;;) {
		rows = floor((lat1 - s->lat_min) / s->cell) + 1;
		cols = floor((lon1 - s->lon_min) / s->cell) + 1;
		if (rows * cols <= GEOFENCE_MAX_CELLS)
			break;
		s->cell *= 2;
	}
	s->nrows = (uint32_t)rows;
	s->ncols = (uint32_t)cols;
}

int
geofence_set_build(struct geofence_set *s)
{
	size_t ncells, k;
	uint32_t i, *fill = NULL;
	int rc = -1;

	s->built = 1;
	if (s->n == 0)
		return 0;
	grid_shape(s);
	ncells = (size_t)s->nrows * s->ncols;
	/* the cell lists are indexed by uint32_t */
	if (grid_items(s) > UINT32_MAX / 2)
		goto cleanup;
	if ((s->start = calloc(ncells + 1, sizeof(*s->start))) == NULL)
		goto cleanup;
	for (i = 0; i < s->n; i++)
		grid_cover(s, i, NULL);
	for (k = 0; k < ncells; k++)
		s->start[k + 1] += s->start[k];
	s->nitems = s->start[ncells];
	if ((s->items = malloc((s->nitems + 1) * sizeof(*s->items))) == NULL ||
	    (fill = malloc(ncells * sizeof(*fill))) == NULL)
		goto cleanup;
	memcpy(fill, s->start, ncells * sizeof(*fill));
	for (i = 0; i < s->n; i++)
		grid_cover(s, i, fill);
	rc = 0;
cleanup:
	free(fill);
	if (rc == -1) {
		free(s->start);
		free(s->items);
		s->start = s->items = NULL;
		s->nitems = 0;
	}
	return rc;
}

size_t
geofence_set_find(const struct geofence_set *s, double lat, double lon,
    size_t *tags, size_t cap)
{
	long r, c;
	size_t k, e, n = 0;

	if (s->start == NULL)
		return geofence_set_scan(s, lat, lon, tags, cap);
	if (isnan(lat) || isnan(lon))
		return 0;
	r = cell_ix(lat, s->lat_min, s->cell);
	c = cell_ix(lon, s->lon_min, s->cell);
	if (r < 0 || c < 0 || r >= (long)s->nrows || c >= (long)s->ncols)
		return 0;
	k = (size_t)r * s->ncols + (size_t)c;
	for (e = s->start[k + 1], k = s->start[k]; k < e; k++) {
		const struct fence *f = &s->f[s->items[k]];

		if (fence_test(s, f, lat, lon)) {
			if (n < cap)
				tags[n] = f->tag;
			n++;
		}
	}
	return n;
}

size_t
geofence_set_memory(const struct geofence_set *s)
{
	size_t b = sizeof(*s) + s->cap * sizeof(*s->f) +
	    s->capxy * sizeof(double) + s->capring * sizeof(uint32_t);

	if (s->start != NULL)
		b += ((size_t)s->nrows * s->ncols + 1) * sizeof(uint32_t) +
		    (s->nitems + 1) * sizeof(uint32_t);
	return b;
}
