/*
 * geofence: which registered sites contain a position. Fences are circles
 * (centre, radius in metres) or simple polygons with optional holes, in
 * WGS-84 degrees; a set of them is indexed by a uniform grid so that a
 * lookup costs the fences near the point, not all of them.
 *
 * Geometry (docs/geofence.md has the figures):
 * - A point is inside a fence when it lies in it or within GEOFENCE_TOL_M
 *   of its boundary: points on the boundary, and on vertices, count.
 * - Circles: the distance to the centre is the mid-latitude form on the
 *   WGS-84 ellipsoid; against the geodesic (Vincenty) it is off by at most
 *   1.3 mm at 10 km at 44 N, 1 cm at 20 km, 3.4 cm at 10 km at 79.5 N.
 * - Polygons: edges are straight lines in latitude/longitude, as GeoJSON
 *   and most map tools draw them. The geodesic between two vertices
 *   departs from that line by at most L^2 tan(lat) / (8 R) (an east-west
 *   edge of length L): 5 mm for a 500 m edge at 44 N, 7.6 m for 20 km.
 *   Distances to edges (the tolerance band) are taken in a local
 *   equirectangular projection around the fence's centre.
 * - Out of scope, and refused when the fence is added: fences beyond
 *   +-80 degrees of latitude, crossing the antimeridian, or spanning more
 *   than GEOFENCE_MAX_SPAN_DEG in latitude or longitude.
 *
 * Life cycle: geofence_set_new, add fences, geofence_set_build, then any
 * number of lookups. A built set is read-only: lookups allocate nothing,
 * touch no global state and may run on several threads at once. To change
 * the fences (a configuration reload), build a new set and swap it.
 */
#ifndef WT_GEOFENCE_H
#define WT_GEOFENCE_H

#include <stddef.h>

#include "attr.h"

/* Boundary tolerance: a point this close to the edge counts as inside. */
#define GEOFENCE_TOL_M 0.5
/* The largest latitude and longitude extent of one fence, degrees. */
#define GEOFENCE_MAX_SPAN_DEG 1.0
/* The furthest a fence may sit from the equator, degrees. */
#define GEOFENCE_MAX_LAT 80.0
/* Vertices of one polygon, all rings together (the simplicity check is
 * quadratic in it, and runs at configuration load). */
#define GEOFENCE_MAX_VERTICES 4096
/* Grid cell edge, degrees (~1.1 km north-south); larger when the fences
 * spread so far that the grid would exceed GEOFENCE_MAX_CELLS. */
#define GEOFENCE_CELL_DEG  0.01
#define GEOFENCE_MAX_CELLS (1u << 20)

struct geofence_set;

struct geofence_ll {
	double lat, lon;
};

/*
 * One ring of a polygon: n vertices in order (either direction). A last
 * vertex equal to the first (the GeoJSON closing vertex) is dropped.
 */
struct geofence_ring {
	const struct geofence_ll *v;
	size_t n;
};

/* An empty set; NULL when out of memory. */
struct geofence_set *geofence_set_new(void) WT_MUST_CHECK;
void geofence_set_free(struct geofence_set *s);

/*
 * Add a circle. tag is the caller's (an index into its registry, say):
 * lookups report it. Several fences may share a tag (a site drawn as two
 * polygons). Returns 0, or -1 with *why set to a static English sentence
 * (why may be NULL): not finite, latitude beyond GEOFENCE_MAX_LAT, radius
 * not in [1 m, 50 km], too wide, crossing the antimeridian, set already
 * built, out of memory. A refused fence leaves the set as it was.
 */
int geofence_set_add_circle(struct geofence_set *s, size_t tag, double lat,
    double lon, double radius_m, const char **why) WT_MUST_CHECK;

/*
 * Add a polygon: rings[0] is the outline, rings[1..] holes in it. Refused
 * (-1, *why) besides the circle's reasons: a ring of fewer than three
 * distinct vertices, a repeated consecutive vertex, a ring of zero area,
 * edges that cross or touch (within a ring or between rings, a ring that
 * doubles back on itself included), a hole not inside the outline or
 * inside another hole, more than GEOFENCE_MAX_VERTICES vertices.
 */
int geofence_set_add_polygon(struct geofence_set *s, size_t tag,
    const struct geofence_ring *rings, size_t nrings,
    const char **why) WT_MUST_CHECK;

/*
 * Build the grid over the fences added. Returns 0, or -1 when out of
 * memory (the set is then still usable: lookups scan every fence).
 * Afterwards the set refuses new fences.
 */
int geofence_set_build(struct geofence_set *s) WT_MUST_CHECK;

/* Fences added (the index i of the functions below is 0..count-1, in
 * the order they were added). */
size_t geofence_set_count(const struct geofence_set *s);
size_t geofence_set_tag(const struct geofence_set *s, size_t i);
/* The fence's bounding box in degrees, the tolerance band included. */
void geofence_set_bbox(const struct geofence_set *s, size_t i, double *min_lat,
    double *max_lat, double *min_lon, double *max_lon);
/* 1 when fence i contains (lat, lon), 0 when not or i is out of range. */
int geofence_set_test(const struct geofence_set *s, size_t i, double lat,
    double lon);

/*
 * Every fence containing (lat, lon), through the grid: their tags go to
 * tags[0..cap-1] in the order the fences were added. Returns how many
 * fences contain the point, which may exceed cap (only cap tags are
 * written). NaN or a point off the grid: 0. On a set not built (or whose
 * build failed) this is geofence_set_scan.
 */
size_t geofence_set_find(const struct geofence_set *s, double lat, double lon,
    size_t *tags, size_t cap);
/* The same answer by testing every fence: the reference for the tests
 * and the benchmark's brute force. */
size_t geofence_set_scan(const struct geofence_set *s, double lat, double lon,
    size_t *tags, size_t cap);

/* Bytes the set has allocated (fences, vertices, grid). */
size_t geofence_set_memory(const struct geofence_set *s);

#endif
