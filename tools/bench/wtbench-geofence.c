/*
 * wtbench-geofence: what the per-position geofence test costs on the
 * ingest path (docs/geofence.md). Sites (circles and polygons, some with
 * a hole) spread over a Changchun-sized area, 43.7-44.1 N, 125.1-125.5 E;
 * trucks drive random walks over it and spend a share of their fixes at
 * sites; every fix is looked up
 *   - through the grid (geofence_set_find),
 *   - by testing every fence (geofence_set_scan, the brute force),
 *   - through SQLite's R*Tree module on the system library (an in-memory
 *     database: its best case), the bounding boxes, then the exact test,
 * with the CPU nanoseconds per lookup (best of the repetitions), the matches
 * (all three must agree, or the program fails) and the memory of each
 * index: the set's own count and the resident-set growth. Then the same
 * fixes through one unload_feed state machine per truck (lib/unload.c),
 * the other per-position cost issue 15 adds.
 *
 *	wtbench-geofence [--sites N] [--trucks N] [--fixes N] [--reps N]
 *	    [--seed N]
 *
 * Defaults: 500 sites, 2 000 trucks, 500 fixes each (1 000 000 lookups),
 * 3 repetitions.
 */
#include "geofence.h"
#include "unload.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PI	   3.14159265358979323846
#define LAT0	   43.7
#define LON0	   125.1
#define SPAN	   0.4
#define M_PER_DLAT 111100.0
#define MAXV	   12

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double
urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* The thread's CPU time: a busy machine preempting the bench then does
 * not count (its caches and the other hyperthread still do). */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set, KiB, from /proc/self/status; -1 if unreadable. */
static long
rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

struct site {
	double lat, lon, r;
};

/*
 * A site: 60 % circles of 100-500 m (the registry's usual radius_m), the
 * rest star-shaped polygons of 4-12 vertices and 200-800 m, one in five
 * of them with a square hole; one site in fifty is a landfill of 1-2 km.
 */
static int
add_site(struct geofence_set *set, size_t i, struct site *st)
{
	struct geofence_ll v[MAXV], h[4];
	struct geofence_ring rings[2] = { { v, 0 }, { h, 4 } };
	double kx, hr;
	const char *why = NULL;
	size_t k, n;

	st->lat = LAT0 + urand() * SPAN;
	st->lon = LON0 + urand() * SPAN;
	st->r = urand() < 0.02 ? 1000 + 1000 * urand() : 100 + 400 * urand();
	if (urand() < 0.6) {
		if (geofence_set_add_circle(set, i, st->lat, st->lon, st->r,
			&why) == 0)
			return 0;
		goto fail;
	}
	st->r *= 1.6;
	kx = M_PER_DLAT * cos(st->lat * PI / 180);
	n = 4 + (size_t)(urand() * (MAXV - 3));
	for (k = 0; k < n; k++) {
		double a = (k + 0.5) * 2 * PI / n;
		double rr = st->r * (0.7 + 0.3 * urand());

		v[k].lat = st->lat + rr * sin(a) / M_PER_DLAT;
		v[k].lon = st->lon + rr * cos(a) / kx;
	}
	rings[0].n = n;
	hr = st->r * 0.15;
	h[0] = (struct geofence_ll){ st->lat - hr / M_PER_DLAT,
		st->lon - hr / kx };
	h[1] = (struct geofence_ll){ st->lat - hr / M_PER_DLAT,
		st->lon + hr / kx };
	h[2] = (struct geofence_ll){ st->lat + hr / M_PER_DLAT,
		st->lon + hr / kx };
	h[3] = (struct geofence_ll){ st->lat + hr / M_PER_DLAT,
		st->lon - hr / kx };
	if (geofence_set_add_polygon(set, i, rings, urand() < 0.2 ? 2 : 1,
		&why) == 0)
		return 0;
fail:
	fprintf(stderr, "wtbench-geofence: site %zu refused: %s\n", i, why);
	return -1;
}

/*
 * Positions in arrival order (every truck's fix t, then t + 1): random
 * walks of ~250 m a fix (30 s at 30 km/h) kept in the area, and one fix in
 * five at or near a site (loading, unloading, queueing).
 */
static void
make_fixes(double *ll, size_t ntrucks, size_t nfix, const struct site *sites,
    size_t nsites)
{
	size_t t, k;

	for (t = 0; t < ntrucks; t++) {
		ll[2 * t] = LAT0 + urand() * SPAN;
		ll[2 * t + 1] = LON0 + urand() * SPAN;
	}
	for (k = 1; k < nfix; k++)
		for (t = 0; t < ntrucks; t++) {
			double *prev = ll + 2 * ((k - 1) * ntrucks + t);
			double *cur = ll + 2 * (k * ntrucks + t);
			double a = urand() * 2 * PI;

			if (urand() < 0.2) {
				const struct site *s =
				    &sites[(size_t)(urand() * nsites)];
				double d = s->r * 1.2 * urand();

				cur[0] = s->lat + d * sin(a) / M_PER_DLAT;
				cur[1] = s->lon +
				    d * cos(a) /
					(M_PER_DLAT * cos(s->lat * PI / 180));
				continue;
			}
			cur[0] = prev[0] + 250 * sin(a) / M_PER_DLAT;
			cur[1] = prev[1] + 250 * cos(a) / (M_PER_DLAT * 0.72);
			cur[0] = fmin(fmax(cur[0], LAT0), LAT0 + SPAN);
			cur[1] = fmin(fmax(cur[1], LON0), LON0 + SPAN);
		}
}

enum method { M_GRID, M_SCAN, M_RTREE };

struct rt {
	sqlite3 *db;
	sqlite3_stmt *q;
};

static size_t
rtree_find(struct rt *rt, const struct geofence_set *set, double lat,
    double lon, size_t *tags, size_t cap)
{
	size_t n = 0;

	sqlite3_bind_double(rt->q, 1, lat);
	sqlite3_bind_double(rt->q, 2, lon);
	while (sqlite3_step(rt->q) == SQLITE_ROW) {
		size_t i = (size_t)sqlite3_column_int64(rt->q, 0);

		if (geofence_set_test(set, i, lat, lon)) {
			if (n < cap)
				tags[n] = geofence_set_tag(set, i);
			n++;
		}
	}
	sqlite3_reset(rt->q);
	return n;
}

/* One pass over the fixes; the matches (fences found) go to *hits. */
static double
pass(enum method m, const struct geofence_set *set, struct rt *rt,
    const double *ll, size_t n, uint64_t *hits)
{
	size_t i, tags[16];
	uint64_t h = 0;
	double t0 = now_s();

	for (i = 0; i < n; i++) {
		double lat = ll[2 * i], lon = ll[2 * i + 1];

		if (m == M_GRID)
			h += geofence_set_find(set, lat, lon, tags, 16);
		else if (m == M_SCAN)
			h += geofence_set_scan(set, lat, lon, tags, 16);
		else
			h += rtree_find(rt, set, lat, lon, tags, 16);
	}
	*hits = h;
	return (now_s() - t0) * 1e9 / (double)n;
}

/* Every fix through its truck's unload machine: ns per fix; the
 * unloads inferred go to *found. */
static double
feed_pass(const double *ll, size_t ntrucks, size_t nfix, uint64_t *found)
{
	struct unload_params p;
	struct unload_track *t = calloc(ntrucks, sizeof(*t));
	size_t k, i;
	uint64_t n = 0;
	double t0;

	if (t == NULL)
		return NAN;
	unload_params_default(&p);
	for (i = 0; i < ntrucks; i++)
		unload_track_init(&t[i]);
	t0 = now_s();
	for (k = 0; k < nfix; k++)
		for (i = 0; i < ntrucks; i++) {
			const double *c = ll + 2 * (k * ntrucks + i);
			/* loaded half the time, in spells of 50 fixes */
			struct unload_fix f = { INT64_C(1700000000000) +
				    (int64_t)k * 30000,
				c[0], c[1], 30.0,
				(k / 50 + i) % 2 ? "full" : "empty", -1 };
			struct unload_event ev;
			uint32_t dq = 0;
			int emitted;

			(void)unload_feed(&t[i], &p, &f, &dq, &ev, &emitted);
			n += (uint64_t)emitted;
		}
	t0 = now_s() - t0;
	free(t);
	*found = n;
	return t0 * 1e9 / (double)(ntrucks * nfix);
}

static int
rtree_open(struct rt *rt, const struct geofence_set *set)
{
	sqlite3_stmt *ins = NULL;
	size_t i;
	int rc = -1;

	if (sqlite3_open(":memory:", &rt->db) != SQLITE_OK ||
	    sqlite3_exec(rt->db,
		"CREATE VIRTUAL TABLE site_rt USING rtree(id, min_lat, "
		"max_lat, min_lon, max_lon)",
		NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(rt->db,
		"INSERT INTO site_rt VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(rt->db,
		"SELECT id FROM site_rt WHERE min_lat <= ?1 AND max_lat >= ?1 "
		"AND min_lon <= ?2 AND max_lon >= ?2",
		-1, &rt->q, NULL) != SQLITE_OK)
		goto cleanup;
	for (i = 0; i < geofence_set_count(set); i++) {
		double a, b, c, d;

		geofence_set_bbox(set, i, &a, &b, &c, &d);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i);
		sqlite3_bind_double(ins, 2, a);
		sqlite3_bind_double(ins, 3, b);
		sqlite3_bind_double(ins, 4, c);
		sqlite3_bind_double(ins, 5, d);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto cleanup;
		sqlite3_reset(ins);
	}
	rc = 0;
cleanup:
	if (rc == -1)
		fprintf(stderr, "wtbench-geofence: sqlite: %s\n",
		    sqlite3_errmsg(rt->db));
	sqlite3_finalize(ins);
	return rc;
}

static long
opt(int argc, char **argv, const char *name, long def)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return strtol(argv[i + 1], NULL, 10);
	return def;
}

int
main(int argc, char **argv)
{
	size_t nsites = (size_t)opt(argc, argv, "--sites", 500);
	size_t ntrucks = (size_t)opt(argc, argv, "--trucks", 2000);
	size_t nfix = (size_t)opt(argc, argv, "--fixes", 500);
	int reps = (int)opt(argc, argv, "--reps", 3), r, m, rc = 1;
	static const char *const names[] = { "grid", "brute force",
		"sqlite r*tree" };
	double best[3] = { INFINITY, INFINITY, INFINITY };
	uint64_t hits[3] = { 0, 0, 0 };
	struct site *sites = calloc(nsites ? nsites : 1, sizeof(*sites));
	double *ll = malloc(2 * sizeof(double) * ntrucks * nfix);
	struct geofence_set *set = geofence_set_new();
	struct rt rt = { NULL, NULL };
	long rss0, rss1, rss2;
	size_t i, npos = ntrucks * nfix;
	sqlite3_int64 sqlmem;

	rng_state ^= (uint64_t)opt(argc, argv, "--seed", 0);
	if (sites == NULL || ll == NULL || set == NULL || npos == 0 ||
	    reps < 1) {
		fprintf(stderr, "wtbench-geofence: bad options or no memory\n");
		goto cleanup;
	}
	rss0 = rss_kib();
	for (i = 0; i < nsites; i++)
		if (add_site(set, i, &sites[i]) == -1)
			goto cleanup;
	if (geofence_set_build(set) == -1)
		goto cleanup;
	rss1 = rss_kib();
	sqlmem = sqlite3_memory_used();
	if (rtree_open(&rt, set) == -1)
		goto cleanup;
	sqlmem = sqlite3_memory_used() - sqlmem;
	rss2 = rss_kib();
	make_fixes(ll, ntrucks, nfix, sites, nsites);
	for (r = 0; r < reps; r++)
		for (m = M_GRID; m <= M_RTREE; m++) {
			uint64_t h;
			double ns = pass((enum method)m, set, rt.q ? &rt : NULL,
			    ll, npos, &h);

			best[m] = fmin(best[m], ns);
			hits[m] = h;
		}
	printf("%zu sites, %zu trucks x %zu fixes = %zu lookups, best of %d\n",
	    nsites, ntrucks, nfix, npos, reps);
	for (m = M_GRID; m <= M_RTREE; m++)
		printf("  %-14s %9.1f ns/lookup  %" PRIu64 " matches\n",
		    names[m], best[m], hits[m]);
	{
		uint64_t found = 0;
		double ns = INFINITY;

		for (r = 0; r < reps; r++)
			ns = fmin(ns, feed_pass(ll, ntrucks, nfix, &found));
		printf("  unload_feed    %9.1f ns/fix     %" PRIu64
		       " unloads inferred\n",
		    ns, found);
	}
	printf("  grid index: %zu bytes allocated, RSS +%ld KiB\n",
	    geofence_set_memory(set), rss1 - rss0);
	printf("  r*tree:     %lld bytes in SQLite, RSS +%ld KiB\n",
	    (long long)sqlmem, rss2 - rss1);
	if (hits[M_GRID] != hits[M_SCAN] || hits[M_GRID] != hits[M_RTREE]) {
		fprintf(stderr, "wtbench-geofence: the methods disagree\n");
		goto cleanup;
	}
	rc = 0;
cleanup:
	sqlite3_finalize(rt.q);
	sqlite3_close(rt.db);
	geofence_set_free(set);
	free(ll);
	free(sites);
	return rc;
}
