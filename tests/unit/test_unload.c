/*
 * test_unload: lib/unload.c on recorded tracks, written out as tables.
 * Each row is one position and what must come of it: the status, and
 * the unload it reveals (how, where, when) computed by hand in the
 * comment next to it. Times are seconds from T0.
 */
#include "check.h"
#include "event.h"
#include "unload.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define T0	 INT64_C(1700000000000)
#define NOSPD	 NAN

struct row {
	int64_t t; /* s from T0; -1: no time */
	double lat, lon, speed;
	const char *load;
	int tip;
	enum unload_status status;
	int how; /* 0: no unload */
	double elat, elon;
	int64_t ets, esince; /* s from T0 */
};

/* A position that reveals nothing, and one that reveals an unload. */
#define U(t, la, lo, sp, ld, tp)                                               \
	{                                                                      \
		t, la, lo, sp, ld, tp, UNLOAD_FIX_USED, 0, 0, 0, 0, 0          \
	}
#define S(t, la, lo, sp, ld, tp, st)                                           \
	{                                                                      \
		t, la, lo, sp, ld, tp, st, 0, 0, 0, 0, 0                       \
	}
#define E(t, la, lo, sp, ld, tp, how, ela, elo, ets, esi)                      \
	{                                                                      \
		t, la, lo, sp, ld, tp, UNLOAD_FIX_USED, how, ela, elo, ets,    \
		    esi                                                        \
	}

static int
run(const char *name, const struct row *rows, size_t n,
    const struct unload_params *p, struct unload_track *t)
{
	size_t i;
	int bad = 0, events = 0;

	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct unload_fix f = { r->t < 0 ? WT_NOTIME : T0 + r->t * 1000,
			r->lat, r->lon, r->speed, r->load, r->tip };
		struct unload_event ev;
		uint32_t dq = 0;
		int emitted = -1;
		enum unload_status st =
		    unload_feed(t, p, &f, &dq, &ev, &emitted);

		events += emitted;
		if (st != r->status || emitted != (r->how != 0) ||
		    (dq == DQ_SPEED_OUTLIER) != (st == UNLOAD_FIX_OUTLIER) ||
		    (dq & ~(uint32_t)DQ_SPEED_OUTLIER) != 0) {
			fprintf(stderr,
			    "%s row %zu (t=%lld): status %d emitted %d dq %u, "
			    "want status %d emitted %d\n",
			    name, i, (long long)r->t, (int)st, emitted,
			    (unsigned)dq, (int)r->status, r->how != 0);
			bad++;
			continue;
		}
		if (!emitted)
			continue;
		if ((int)ev.how != r->how || fabs(ev.lat - r->elat) > 1e-9 ||
		    fabs(ev.lon - r->elon) > 1e-9 ||
		    ev.ts_ms != T0 + r->ets * 1000 ||
		    ev.since_ms != T0 + r->esince * 1000) {
			fprintf(stderr,
			    "%s row %zu: unload how %d at %.7f %.7f ts %lld "
			    "since %lld, want how %d at %.7f %.7f ts %lld "
			    "since %lld\n",
			    name, i, (int)ev.how, ev.lat, ev.lon,
			    (long long)(ev.ts_ms - T0) / 1000,
			    (long long)(ev.since_ms - T0) / 1000, r->how,
			    r->elat, r->elon, (long long)r->ets,
			    (long long)r->esince);
			bad++;
		}
	}
	check_count++;
	if (bad)
		check_failures++;
	return events;
}

static int
replay(const char *name, const struct row *rows, size_t n)
{
	struct unload_params p;
	struct unload_track t;

	unload_params_default(&p);
	unload_track_init(&t);
	return run(name, rows, n, &p, &t);
}

#define REPLAY(rows) replay(#rows, rows, NELEM(rows))

/* Full on the way in, stopped at the site (stop from t=90: speed 2), empty
 * while still there: the unload is the stop's centroid, (90, 120, 150):
 * lat (43.8060 + 43.8061 + 43.8060) / 3, lon (3 x 125.3 + 0.0001) / 3. */
static const struct row emptied_at_stop[] = {
	U(0, 43.8000, 125.3000, 40, "full", -1),
	U(30, 43.8030, 125.3000, 40, "full", -1),
	U(60, 43.8050, 125.3000, 10, "full", -1),
	U(90, 43.8060, 125.3000, 2, "full", -1),
	U(120, 43.8061, 125.3000, 0, "full", -1),
	E(150, 43.8060, 125.3001, 0, "empty", -1, UNLOAD_BY_LOAD_STATE,
	    (43.8060 + 43.8061 + 43.8060) / 3, (3 * 125.3 + 0.0001) / 3, 150,
	    90),
	U(180, 43.8070, 125.3000, 20, "empty", -1),
	U(210, 43.8100, 125.3000, 40, "empty", -1),
};

/* Emptied while moving (no stop), a position without a load state in
 * between: the unload is the last loaded fix (t=30), since then. Loaded
 * again (half) and emptied again: a second unload. */
static const struct row emptied_moving[] = {
	U(0, 43.8000, 125.3000, 30, "full", -1),
	U(30, 43.8025, 125.3000, 30, "full", -1),
	U(60, 43.8050, 125.3000, 30, NULL, -1),
	E(90, 43.8075, 125.3000, 30, "empty", -1, UNLOAD_BY_LOAD_STATE, 43.8025,
	    125.3000, 90, 30),
	U(120, 43.8100, 125.3000, 30, "empty", -1),
	U(150, 43.8125, 125.3000, 30, "half", -1),
	E(180, 43.8150, 125.3000, 30, "empty", -1, UNLOAD_BY_LOAD_STATE,
	    43.8125, 125.3000, 180, 150),
};

/* The body lifts while loaded and stopped: one unload (tipping) at the
 * stop (t=0 speed 0, t=30 joins: centroid 43.81 125.31), since the fix
 * before. The load state's empty that follows is the same unload; an
 * empty truck lifting its body again unloads nothing. */
static const struct row tipped[] = {
	U(0, 43.8100, 125.3100, 0, "full", 0),
	E(30, 43.8100, 125.3100, 0, "full", 1, UNLOAD_BY_TIPPING, 43.8100,
	    125.3100, 30, 0),
	U(60, 43.8100, 125.3100, 0, "full", 1),
	U(90, 43.8100, 125.3100, 0, "empty", 0),
	U(120, 43.8101, 125.3101, 0, "empty", 1),
	U(150, 43.8150, 125.3100, 30, "empty", 0),
};

/* Tipping only, no load state: lifted twice at one stop is one unload;
 * away (222 m) and lifted at another stop (t=150, 180: centroid 43.825
 * 125.32) is a second. */
static const struct row tipped_twice[] = {
	U(0, 43.8200, 125.3200, 0, NULL, 0),
	E(30, 43.8200, 125.3200, 0, NULL, 1, UNLOAD_BY_TIPPING, 43.8200,
	    125.3200, 30, 0),
	U(60, 43.8200, 125.3200, 0, NULL, 0),
	U(90, 43.8201, 125.3200, 0, NULL, 1),
	U(120, 43.8220, 125.3200, 25, NULL, 0),
	U(150, 43.8250, 125.3200, 0, NULL, 0),
	E(180, 43.8250, 125.3200, 0, NULL, 1, UNLOAD_BY_TIPPING, 43.8250,
	    125.3200, 180, 150),
};

/* Neither signal: a stop from t=30 to t=180 (150 s >= 120 s) with GNSS
 * jitter of up to 20 m, then moving on at t=210: a dwell candidate at the
 * centroid of the six stop fixes, lat 43.8305 (the four 43.8305s and
 * 43.8306 + 43.8304), lon 125.3300 + (0+1+0+2+1+2) / 6 * 0.0001. */
static const struct row dwelled[] = {
	U(0, 43.8300, 125.3300, 30, NULL, -1),
	U(30, 43.8305, 125.3300, 2, NULL, -1),
	U(60, 43.8305, 125.3301, 0, NULL, -1),
	U(90, 43.8306, 125.3300, 1, NULL, -1),
	U(120, 43.8304, 125.3302, 0, NULL, -1),
	U(150, 43.8305, 125.3301, 0, NULL, -1),
	U(180, 43.8305, 125.3302, 0, NULL, -1),
	E(210, 43.8320, 125.3300, 25, NULL, -1, UNLOAD_BY_DWELL, 43.8305,
	    125.3301, 210, 30),
	U(240, 43.8340, 125.3300, 25, NULL, -1),
	/* a short stop (60 s) is nothing */
	U(270, 43.8350, 125.3300, 0, NULL, -1),
	U(300, 43.8350, 125.3300, 0, NULL, -1),
	U(330, 43.8350, 125.3300, 0, NULL, -1),
	U(360, 43.8370, 125.3300, 25, NULL, -1),
};

/* Parked for ten minutes with jitter, including a 60 m jump that still
 * reports a standstill (it neither joins nor ends the stop) and a
 * spurious 5 km/h within the radius: one candidate when it leaves, for the
 * whole stop (since t=0), at the centroid of the fixes within 30 m:
 * (0, 60, 120, 240, 300, 360, 420, 480, 540, 600): lat 43.8400 + (0 + 1 +
 * 2 + 1 + 0 + 1 + 0 + 1 + 2 + 2) / 10 * 0.0001 = 43.8401, lon 125.3400. */
static const struct row parked_jitter[] = {
	U(0, 43.8400, 125.3400, 0, NULL, -1),
	U(60, 43.8401, 125.3400, 1, NULL, -1),
	U(120, 43.8402, 125.3400, 0, NULL, -1),
	U(180, 43.8405, 125.3405, 0.5, NULL, -1), /* 60 m, standstill */
	U(240, 43.8401, 125.3400, 5, NULL, -1),	  /* spurious speed */
	U(300, 43.8400, 125.3400, 0, NULL, -1),
	U(360, 43.8401, 125.3400, 0, NULL, -1),
	U(420, 43.8400, 125.3400, 0, NULL, -1),
	U(480, 43.8401, 125.3400, 0, NULL, -1),
	U(540, 43.8402, 125.3400, 0, NULL, -1),
	U(600, 43.8402, 125.3400, 0, NULL, -1),
	E(630, 43.8430, 125.3400, 20, NULL, -1, UNLOAD_BY_DWELL, 43.8401,
	    125.3400, 630, 0),
};

/* A loaded truck parked with the same jitter, body down: no unload. */
static const struct row parked_loaded[] = {
	U(0, 43.8400, 125.3400, 0, "full", 0),
	U(60, 43.8401, 125.3400, 1, "full", 0),
	U(120, 43.8402, 125.3400, 0, "full", 0),
	U(180, 43.8405, 125.3405, 0.5, "full", 0),
	U(240, 43.8401, 125.3400, 5, "full", 0),
	U(300, 43.8400, 125.3400, 0, "full", 0),
	U(600, 43.8402, 125.3400, 0, "full", 0),
	U(630, 43.8430, 125.3400, 20, "full", 0),
};

/* Redelivered and out-of-order positions never replay the transition. */
static const struct row reordered[] = {
	U(0, 43.8000, 125.3000, 30, "full", -1),
	U(30, 43.8025, 125.3000, 30, "full", -1),
	E(60, 43.8050, 125.3000, 30, "empty", -1, UNLOAD_BY_LOAD_STATE, 43.8025,
	    125.3000, 60, 30),
	S(60, 43.8050, 125.3000, 30, "empty", -1, UNLOAD_FIX_DUPLICATE),
	S(60, 43.8060, 125.3010, 30, "full", -1, UNLOAD_FIX_DUPLICATE),
	S(30, 43.8025, 125.3000, 30, "full", -1, UNLOAD_FIX_LATE),
	S(45, 43.8030, 125.3000, 30, "full", -1, UNLOAD_FIX_LATE),
	U(90, 43.8075, 125.3000, 30, "empty", -1),
	S(0, 43.8000, 125.3000, 30, "full", -1, UNLOAD_FIX_LATE),
	U(120, 43.8100, 125.3000, 30, "empty", -1),
	S(-1, 43.8100, 125.3000, 30, "full", -1, UNLOAD_FIX_INVALID),
	S(150, NAN, 125.3000, 30, "full", -1, UNLOAD_FIX_INVALID),
	S(150, 91.0, 125.3000, 30, "full", -1, UNLOAD_FIX_INVALID),
	U(150, 43.8125, 125.3000, 30, "empty", -1),
};

/* Speed outliers: a jump of 6.4 km in 30 s (767 km/h), a reported
 * 200 km/h, then a relocation (the track stays at the new place: its
 * second fix is followed), and 1 Hz jitter (33 m and 60 m in a second,
 * 120 and 216 km/h, but under the 100 m floor). The outlier's "empty" is
 * not used: the truck empties only at t=300. */
static const struct row outliers[] = {
	U(0, 43.8400, 125.3400, 30, "full", -1),
	U(30, 43.8425, 125.3400, 30, "full", -1),
	S(60, 43.9000, 125.3400, 30, "empty", -1, UNLOAD_FIX_OUTLIER),
	U(90, 43.8475, 125.3400, 30, "full", -1),
	S(120, 43.8500, 125.3400, 200, "full", -1, UNLOAD_FIX_OUTLIER),
	U(150, 43.8525, 125.3400, 30, "full", -1),
	S(180, 43.9500, 125.4000, 30, "full", -1, UNLOAD_FIX_OUTLIER),
	U(210, 43.9501, 125.4000, 30, "full", -1),
	U(240, 43.9502, 125.4000, 30, "full", -1),
	U(241, 43.9505, 125.4000, NOSPD, "full", -1),
	U(242, 43.95104, 125.4000, NOSPD, "full", -1),
	E(300, 43.9520, 125.4000, 30, "empty", -1, UNLOAD_BY_LOAD_STATE,
	    43.95104, 125.4000, 300, 242),
};

/* The caller's notes: an explicit unload event at the stop, then the
 * load state's empty is not a second unload; a noted load re-arms. */
static void
test_notes(void)
{
	static const struct row before[] = {
		U(0, 43.8600, 125.3600, 0, "full", -1),
		U(30, 43.8600, 125.3600, 0, "full", -1),
	};
	static const struct row after[] = {
		U(60, 43.8600, 125.3600, 0, "empty", -1),
		U(90, 43.8650, 125.3600, 30, "empty", -1),
	};
	/* dwell truck: the noted load is carried by the candidate */
	static const struct row dwell_a[] = {
		U(0, 43.8700, 125.3700, 0, NULL, -1),
		U(150, 43.8700, 125.3700, 0, NULL, -1),
	};
	static const struct row dwell_b[] = {
		E(180, 43.8720, 125.3700, 30, NULL, -1, UNLOAD_BY_DWELL,
		    43.8700, 125.3700, 180, 0),
	};
	struct unload_params p;
	struct unload_track t;
	struct unload_fix f = { T0 + 210000, 43.8740, 125.37, 30, NULL, -1 };
	struct unload_event ev;
	uint32_t dq = 0;
	int emitted;

	unload_params_default(&p);
	unload_track_init(&t);
	CHECK_INT(run("notes before", before, NELEM(before), &p, &t), 0);
	unload_note_unload(&t, 43.8600, 125.3600);
	CHECK_INT(run("notes after", after, NELEM(after), &p, &t), 0);

	unload_track_init(&t);
	CHECK_INT(run("dwell a", dwell_a, NELEM(dwell_a), &p, &t), 0);
	unload_note_load(&t);
	CHECK_INT(run("dwell b", dwell_b, NELEM(dwell_b), &p, &t), 1);
	CHECK_INT(unload_feed(&t, &p, &f, &dq, &ev, &emitted), UNLOAD_FIX_USED);
	CHECK_INT(emitted, 0);

	/* the same stop with an explicit unload noted in it: no candidate */
	unload_track_init(&t);
	CHECK_INT(run("dwell a2", dwell_a, NELEM(dwell_a), &p, &t), 0);
	unload_note_unload(&t, 43.8700, 125.3700);
	f.ts_ms = T0 + 180000;
	f.lat = 43.8720;
	CHECK_INT(unload_feed(&t, &p, &f, &dq, &ev, &emitted), UNLOAD_FIX_USED);
	CHECK_INT(emitted, 0);
	CHECK_INT(dq, 0);
}

/* The load_noted flag of a dwell candidate, and dwell switched off. */
static void
test_dwell_flags(void)
{
	struct unload_params p;
	struct unload_track t;
	struct unload_fix f = { T0, 43.87, 125.37, 0, NULL, -1 };
	struct unload_event ev;
	uint32_t dq = 0;
	int emitted, off;

	for (off = 0; off < 2; off++) {
		unload_params_default(&p);
		if (off)
			p.dwell_ms = 0;
		unload_track_init(&t);
		unload_note_load(&t);
		f.ts_ms = T0;
		f.lat = 43.87;
		f.speed_kmh = 0;
		CHECK_INT(unload_feed(&t, &p, &f, &dq, &ev, &emitted), 0);
		f.ts_ms = T0 + 300000;
		CHECK_INT(unload_feed(&t, &p, &f, &dq, &ev, &emitted), 0);
		f.ts_ms = T0 + 330000;
		f.lat = 43.88;
		f.speed_kmh = 30;
		CHECK_INT(unload_feed(&t, &p, &f, &dq, &ev, &emitted), 0);
		CHECK_INT(emitted, !off);
		if (!off)
			CHECK_INT(ev.load_noted, 1);
	}
}

static void
test_parse(void)
{
	enum unload_load l;

	CHECK_INT(unload_parse_load("full", &l), 0);
	CHECK_INT(l, UNLOAD_LOAD_LOADED);
	CHECK_INT(unload_parse_load("half", &l), 0);
	CHECK_INT(l, UNLOAD_LOAD_LOADED);
	CHECK_INT(unload_parse_load("Loaded", &l), 0);
	CHECK_INT(l, UNLOAD_LOAD_LOADED);
	CHECK_INT(unload_parse_load("empty", &l), 0);
	CHECK_INT(l, UNLOAD_LOAD_EMPTY);
	CHECK_INT(unload_parse_load(NULL, &l), 0);
	CHECK_INT(l, UNLOAD_LOAD_UNKNOWN);
	CHECK_INT(unload_parse_load("overloaded", &l), -1);
	CHECK_INT(l, UNLOAD_LOAD_UNKNOWN);
	/* 0.001 degree of latitude: 111.19 m on the mean sphere */
	CHECK_NEAR(unload_dist_m(43.8, 125.3, 43.801, 125.3), 111.195, 0.01);
}

int
main(void)
{
	CHECK_INT(REPLAY(emptied_at_stop), 1);
	CHECK_INT(REPLAY(emptied_moving), 2);
	CHECK_INT(REPLAY(tipped), 1);
	CHECK_INT(REPLAY(tipped_twice), 2);
	CHECK_INT(REPLAY(dwelled), 1);
	CHECK_INT(REPLAY(parked_jitter), 1);
	CHECK_INT(REPLAY(parked_loaded), 0);
	CHECK_INT(REPLAY(reordered), 1);
	CHECK_INT(REPLAY(outliers), 1);
	test_notes();
	test_dwell_flags();
	test_parse();
	return check_result("test_unload");
}
