/*
 * want: expected fields of a decoded event, as data. A test lists what one
 * decode must yield as a NULL-terminated array of struct want, then
 * want_check() compares it field by field: one check each, so that a
 * table of cases counts exactly what the hand-written CHECKs did.
 * Include after check.h.
 */
#ifndef WT_WANT_H
#define WT_WANT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event.h"

#define WANT_EPS 1e-9

enum want_type {
	W_STR,	     /* const char *, equal (NULL only to NULL) */
	W_STR_NOT,   /* const char *, NULL or anything but s */
	W_I64,	     /* int64_t */
	W_SIZE,	     /* size_t */
	W_U32,	     /* uint32_t, the dq bits */
	W_U32_CLEAR, /* uint32_t with none of the bits i set */
	W_NUM,	     /* double within eps of d */
	W_NAN,	     /* double, NaN */
	W_GATE	     /* pos.lat/lon within 5 m of the plant gate */
};

/* Where a field lives: the event, a manifest line or a manifest ticket. */
enum want_in { W_IN_EV, W_IN_LINE, W_IN_TICKET };

struct want {
	const char *name; /* NULL ends a list */
	enum want_in in;
	size_t idx; /* of the line or ticket */
	size_t off; /* offsetof() in its struct */
	enum want_type t;
	const char *s;
	int64_t i;
	double d, eps;
};

#define W_(in, idx, st, f, t, s, i, d, eps)                                    \
	{                                                                      \
#f, in, idx, offsetof(st, f), t, s, i, d, eps                  \
	}
#define W_EV(f, t, s, i, d, eps) W_(W_IN_EV, 0, struct ev, u.f, t, s, i, d, eps)

/* A field of the event's union member: WS(wb.ticket, "0153"). */
#define WS(f, v)       W_EV(f, W_STR, (v), 0, 0, 0)
#define WSNOT(f, v)    W_EV(f, W_STR_NOT, (v), 0, 0, 0)
#define WI(f, v)       W_EV(f, W_I64, NULL, (v), 0, 0)
#define WZ(f, v)       W_EV(f, W_SIZE, NULL, (v), 0, 0)
#define WN(f, v)       W_EV(f, W_NUM, NULL, 0, (v), WANT_EPS)
#define WNE(f, v, eps) W_EV(f, W_NUM, NULL, 0, (v), (eps))
#define WNAN(f)	       W_EV(f, W_NAN, NULL, 0, 0, 0)
#define WGATE()	       W_EV(pos, W_GATE, NULL, 0, 0, 0)
#define WDQ(v)                                                                 \
	{                                                                      \
		"dq", W_IN_EV, 0, offsetof(struct ev, dq), W_U32, NULL, (v),   \
		    0, 0                                                       \
	}
#define WDQ_CLEAR(v)                                                           \
	{                                                                      \
		"dq", W_IN_EV, 0, offsetof(struct ev, dq), W_U32_CLEAR, NULL,  \
		    (v), 0, 0                                                  \
	}
/* A field of manifest line n (from 0), or of ticket n. */
#define LS(n, f, v)                                                            \
	W_(W_IN_LINE, n, struct ev_manifest_line, f, W_STR, (v), 0, 0, 0)
#define LI(n, f, v)                                                            \
	W_(W_IN_LINE, n, struct ev_manifest_line, f, W_I64, NULL, (v), 0, 0)
#define LN(n, f, v)                                                            \
	W_(W_IN_LINE, n, struct ev_manifest_line, f, W_NUM, NULL, 0, (v),      \
	    WANT_EPS)
#define LNE(n, f, v, eps)                                                      \
	W_(W_IN_LINE, n, struct ev_manifest_line, f, W_NUM, NULL, 0, (v), (eps))
#define LNAN(n, f)                                                             \
	W_(W_IN_LINE, n, struct ev_manifest_line, f, W_NAN, NULL, 0, 0, 0)
#define TKS(n, f, v)                                                           \
	W_(W_IN_TICKET, n, struct ev_manifest_ticket, f, W_STR, (v), 0, 0, 0)

/* The plant gate of the example payloads, in WGS-84. */
#define WANT_GATE_LAT 43.883412
#define WANT_GATE_LON 125.314567

/* Metres between two WGS-84 points (haversine). */
static inline double
want_dist_m(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = 3.14159265358979323846 / 180, r = 6371008.8;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	    cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

/* The struct w's field lives in, or NULL when the event has no such
 * line or ticket. */
static inline const char *
want_base(const struct ev *e, const struct want *w)
{
	switch (w->in) {
	case W_IN_LINE:
		return w->idx < e->u.man.nlines
		    ? (const char *)&e->u.man.lines[w->idx]
		    : NULL;
	case W_IN_TICKET:
		return w->idx < e->u.man.ntickets
		    ? (const char *)&e->u.man.tickets[w->idx]
		    : NULL;
	case W_IN_EV:
	default:
		return (const char *)e;
	}
}

/* 1 when the field of w in e is as w wants; *got describes it if not. */
static inline int
want_one(const struct ev *e, const struct want *w, char *got, size_t n)
{
	const char *base = want_base(e, w), *s;
	double d;
	int64_t i;

	if (base == NULL) {
		snprintf(got, n, "no line or ticket %zu", w->idx);
		return 0;
	}
	base += w->off;
	switch (w->t) {
	case W_STR:
	case W_STR_NOT:
		memcpy(&s, base, sizeof(s));
		snprintf(got, n, "\"%s\"", s ? s : "(null)");
		if (w->t == W_STR_NOT)
			return s == NULL || w->s == NULL || strcmp(s, w->s);
		return (s == NULL) == (w->s == NULL) &&
		    (s == NULL || strcmp(s, w->s) == 0);
	case W_I64:
		memcpy(&i, base, sizeof(i));
		snprintf(got, n, "%lld", (long long)i);
		return i == w->i;
	case W_SIZE:
		i = (int64_t) * (const size_t *)(const void *)base;
		snprintf(got, n, "%lld", (long long)i);
		return i == w->i;
	case W_U32:
	case W_U32_CLEAR:
		i = *(const uint32_t *)(const void *)base;
		snprintf(got, n, "%lld", (long long)i);
		return w->t == W_U32 ? i == w->i : (i & w->i) == 0;
	case W_NUM:
	case W_NAN:
		memcpy(&d, base, sizeof(d));
		snprintf(got, n, "%.9g", d);
		return w->t == W_NAN ? isnan(d) : fabs(d - w->d) <= w->eps;
	case W_GATE:
		d = want_dist_m(e->u.pos.lat, e->u.pos.lon, WANT_GATE_LAT,
		    WANT_GATE_LON);
		snprintf(got, n, "%.6f,%.6f, %.1f m off", e->u.pos.lat,
		    e->u.pos.lon, d);
		return d < 5;
	}
	return 0;
}

/* Check every field of the list w (one check each); what names the case
 * in messages. */
static inline void
want_check(const struct ev *e, const struct want *w, const char *what)
{
	char got[160], in[32];

	for (; w != NULL && w->name != NULL; w++) {
		check_count++;
		if (want_one(e, w, got, sizeof(got)))
			continue;
		check_failures++;
		in[0] = '\0';
		if (w->in != W_IN_EV)
			snprintf(in, sizeof(in), "%s[%zu].",
			    w->in == W_IN_LINE ? "lines" : "tickets", w->idx);
		fprintf(stderr, "%s: %s%s: got %s\n", what, in, w->name, got);
	}
}

#endif
