/* api: the database's paths of /api/v1; see api.h and docs/openapi.yaml. */
#include "api.h"

#include "api_buf.h"
#include "event.h"
#include "norm.h"
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX	    "/api/v1/"
#define TOTALS	    "totals" /* the label of the period's rows */
#define PARAM_MAX   128
#define PATHSEG_MAX 64

void
api_error(struct api_reply *out, int status, const char *fmt, ...)
{
	struct api_buf b = { 0 };
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_buf_open(&b, '{');
	api_buf_key(&b, "status");
	api_buf_int(&b, status);
	api_buf_key(&b, "error");
	api_buf_str(&b, msg);
	api_buf_close(&b, '}');
	out->status = status;
	out->body = api_buf_take(&b);
}

/* ---- parameters ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of s into out; '+' stays '+' (a time's offset
 * is more often meant than a space). -1 for a bad escape, NUL, or too
 * long.
 */
static int
decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outsz)
			return -1;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		if ((hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0 || (hi | lo) == 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

/* Query parameter name: 1 found (decoded into out), 0 absent, -1 bad. */
static int
param(const char *query, const char *name, char *out, size_t outsz)
{
	const char *p = query, *amp, *eq;
	size_t nlen = strlen(name);

	for (; p != NULL && *p; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp))
			continue;
		if ((size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0)
			return decode(eq + 1,
				   amp ? (size_t)(amp - eq - 1)
				       : strlen(eq + 1),
				   out, outsz) == 0
			    ? 1
			    : -1;
	}
	return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD", a date that exists: its day number, else -1. */
static int
parse_day(const char *s, int64_t *day)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int y, m, d, leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789-") != 10 ||
	    sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 2000 || y > 2099 ||
	    m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return -1;
	*day = days_from_civil(y, m, d);
	return 0;
}

/* ---- rows ---- */

struct rows {
	struct api_buf *b;
	const char *const *bools; /* columns written as true/false */
	const char *const *jsons; /* columns holding JSON text */
	const char *skip;	  /* a column left out */
	/* more members of each row's object, after the columns */
	void (*extra)(struct api_buf *b, void *arg, int n,
	    const char *const *names, const struct store_value *v);
	void *extra_arg;
	size_t n, limit; /* rows seen; write at most limit (0: all) */
	/* the first row's end, for dropping it later */
	size_t first_start, first_end;
};

static int
listed(const char *const *list, const char *name)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

static void
column(struct api_buf *b, const struct rows *x, const char *name,
    const struct store_value *v)
{
	api_buf_key(b, name);
	if (v->type == STORE_V_INT && listed(x->bools, name))
		api_buf_bool(b, v->i != 0);
	else if (v->type == STORE_V_TEXT && listed(x->jsons, name))
		api_buf_raw(b, v->s);
	else
		api_buf_value(b, v);
}

/* One object per row, every column by its name. */
static int
row_object(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct rows *x = arg;
	int i;

	if (v == NULL)
		return 0;
	if (x->limit > 0 && x->n >= x->limit) {
		x->n++;
		return 0;
	}
	if (x->n == 0)
		x->first_start = api_buf_mark(x->b);
	api_buf_open(x->b, '{');
	for (i = 0; i < n; i++)
		if (x->skip == NULL || strcmp(names[i], x->skip) != 0)
			column(x->b, x, names[i], &v[i]);
	if (x->extra != NULL)
		x->extra(x->b, x->extra_arg, n, names, v);
	api_buf_close(x->b, '}');
	if (x->n++ == 0)
		x->first_end = api_buf_mark(x->b);
	return 0;
}

/* A key, then an array of the query's rows. */
static int
section(struct store_query *q, struct api_buf *b, const char *key,
    enum store_q id, const struct store_q_args *a, struct rows *x)
{
	int rc;

	x->b = b;
	api_buf_key(b, key);
	api_buf_open(b, '[');
	rc = store_query_run(q, id, a, row_object, x);
	api_buf_close(b, ']');
	return rc;
}

/* A failed query: too slow (the budget), or the database's error. */
static void
failed(struct store_query *q, struct api_reply *out)
{
	if (store_query_timed_out(q))
		api_error(out, 503, "query took longer than %d ms",
		    API_BUDGET_MS);
	else
		api_error(out, 503, "the database cannot be read");
}

static void
done(struct api_buf *b, struct api_reply *out)
{
	out->status = 200;
	out->body = api_buf_take(b);
}

/* ---- endpoints ---- */

/* Rows of the report: days first, then the period's, labelled TOTALS. */
struct indicators {
	struct api_buf *b;
	int in_totals;
};

static int
indicator_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct indicators *x = arg;
	int i;

	if (v == NULL)
		return 0;
	if (!x->in_totals && v[0].type == STORE_V_TEXT &&
	    strcmp(v[0].s, TOTALS) == 0) {
		api_buf_close(x->b, ']');
		api_buf_key(x->b, "totals");
		api_buf_open(x->b, '[');
		x->in_totals = 1;
	}
	api_buf_open(x->b, '{');
	for (i = x->in_totals ? 1 : 0; i < n; i++) {
		api_buf_key(x->b, names[i]);
		api_buf_value(x->b, &v[i]);
	}
	api_buf_close(x->b, '}');
	return 0;
}

static void
indicators(struct store_query *q, const struct api_req *r,
    struct api_reply *out)
{
	struct store_q_args a = { { NULL }, { 0 } };
	struct indicators x = { 0 };
	struct api_buf b = { 0 };
	char from[PARAM_MAX], to[PARAM_MAX];
	int64_t d0, d1;

	if (param(r->query, "from", from, sizeof(from)) != 1 ||
	    param(r->query, "to", to, sizeof(to)) != 1) {
		api_error(out, 400, "from and to (YYYY-MM-DD) needed");
		return;
	}
	if (parse_day(from, &d0) == -1 || parse_day(to, &d1) == -1) {
		api_error(out, 400,
		    "from and to are days YYYY-MM-DD (2000 to 2099)");
		return;
	}
	if (d1 < d0) {
		api_error(out, 400, "to is before from");
		return;
	}
	if (d1 - d0 + 1 > API_MAX_DAYS) {
		api_error(out, 400, "from..to spans %lld days; at most %d",
		    (long long)(d1 - d0 + 1), API_MAX_DAYS);
		return;
	}
	a.text[0] = from;
	a.text[1] = to;
	a.text[2] = TOTALS;
	x.b = &b;
	api_buf_open(&b, '{');
	api_buf_key(&b, "from");
	api_buf_str(&b, from);
	api_buf_key(&b, "to");
	api_buf_str(&b, to);
	api_buf_key(&b, "days");
	api_buf_open(&b, '[');
	if (store_query_run(q, STORE_Q_REPORT, &a, indicator_row, &x) == -1) {
		api_buf_free(&b);
		{
			failed(q, out);
			return;
		}
	}
	api_buf_close(&b, ']');
	if (!x.in_totals) {
		api_buf_key(&b, "totals");
		api_buf_open(&b, '[');
		api_buf_close(&b, ']');
	}
	api_buf_close(&b, '}');
	done(&b, out);
}

/* Vehicles seen in the window: the newest position of each. */
struct vehicles {
	struct api_buf *b;
	int64_t now_ms;
	size_t n;
};

static int
vehicle_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct vehicles *x = arg;
	int64_t ts = 0;
	int i;

	if (v == NULL)
		return 0;
	if (x->n++ >= API_MAX_VEHICLES)
		return 0;
	api_buf_open(x->b, '{');
	for (i = 0; i < n; i++) {
		api_buf_key(x->b, names[i]);
		api_buf_value(x->b, &v[i]);
		if (strcmp(names[i], "ts_ms") == 0 && v[i].type == STORE_V_INT)
			ts = v[i].i;
	}
	api_buf_key(x->b, "stale");
	api_buf_bool(x->b, x->now_ms - ts > API_STALE_AFTER_S * 1000LL);
	api_buf_close(x->b, '}');
	return 0;
}

static void
vehicles(struct store_query *q, const struct api_req *r, struct api_reply *out)
{
	struct store_q_args a = { { NULL }, { 0 } };
	struct api_buf b = { 0 };
	struct vehicles x = { &b, r->now_ms, 0 };
	int64_t since = r->now_ms - API_POSITIONS_WINDOW_S * 1000LL;

	a.num[0] = since;
	a.num[1] = API_MAX_VEHICLES + 1;
	api_buf_open(&b, '{');
	api_buf_key(&b, "now_ms");
	api_buf_int(&b, r->now_ms);
	api_buf_key(&b, "since_ms");
	api_buf_int(&b, since);
	api_buf_key(&b, "stale_after_s");
	api_buf_int(&b, API_STALE_AFTER_S);
	api_buf_key(&b, "vehicles");
	api_buf_open(&b, '[');
	if (store_query_run(q, STORE_Q_API_VEHICLES, &a, vehicle_row, &x) ==
	    -1) {
		api_buf_free(&b);
		{
			failed(q, out);
			return;
		}
	}
	api_buf_close(&b, ']');
	api_buf_key(&b, "truncated");
	api_buf_bool(&b, x.n > API_MAX_VEHICLES);
	api_buf_close(&b, '}');
	done(&b, out);
}

/* Epoch ms, or RFC 3339 with an offset; -1 when neither. */
static int
parse_since(const char *s, int offset_min, int64_t *ms)
{
	uint32_t dq = 0;
	char *end;

	if (s[0] >= '0' && s[0] <= '9' &&
	    strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		*ms = strtoll(s, &end, 10);
		return errno == 0 && *end == '\0' ? 0 : -1;
	}
	if (norm_time(s, offset_min, ms, &dq) == -1 || (dq & DQ_TZ_ASSUMED))
		return -1;
	return 0;
}

/* Any row: the plate or vehicle id is known. */
static int
any_row(void *arg, int n, const char *const *names, const struct store_value *v)
{
	(void)n;
	(void)names;
	if (v != NULL)
		*(int *)arg = 1;
	return 0;
}

/* Drop the first row written (the oldest of limit + 1) and its comma. */
static void
drop_first(struct api_buf *b, const struct rows *x)
{
	size_t from = x->first_start, to = x->first_end + 1;

	if (b->failed || to > b->len)
		return;
	memmove(b->p + from, b->p + to, b->len - to + 1);
	b->len -= to - from;
}

static int
positions_body(struct store_query *q, const struct store_q_args *a,
    const char *plate, struct api_buf *b)
{
	struct rows x = { 0 };

	api_buf_open(b, '{');
	api_buf_key(b, "plate");
	api_buf_str(b, plate);
	api_buf_key(b, "since_ms");
	api_buf_int(b, a->num[0]);
	if (section(q, b, "positions", STORE_Q_API_POSITIONS, a, &x) == -1)
		return -1;
	if (x.n > API_MAX_POSITIONS)
		drop_first(b, &x);
	api_buf_key(b, "truncated");
	api_buf_bool(b, x.n > API_MAX_POSITIONS);
	api_buf_close(b, '}');
	return 0;
}

static void
positions(struct store_query *q, const struct api_req *r, const char *plate,
    struct api_reply *out)
{
	struct store_q_args a = { { NULL }, { 0 } };
	struct api_buf b = { 0 };
	char since[PARAM_MAX], norm[PATHSEG_MAX];
	int64_t from = r->now_ms - API_POSITIONS_DEFAULT_S * 1000LL;
	uint32_t dq = 0;
	int found = 0, rc;

	if ((rc = param(r->query, "since", since, sizeof(since))) == -1 ||
	    (rc == 1 && parse_since(since, r->offset_min, &from) == -1)) {
		api_error(out, 400,
		    "since is epoch ms or a time with an offset "
		    "(2026-12-07T08:00:00+08:00)");
		return;
	}
	if (from < r->now_ms - API_POSITIONS_WINDOW_S * 1000LL) {
		api_error(out, 400, "since is more than %d h ago",
		    API_POSITIONS_WINDOW_S / 3600);
		return;
	}
	/* Written as stored, or as a person types it (吉A·5G217). */
	a.text[0] =
	    norm_plate(plate, norm, sizeof(norm), &dq) == 0 ? norm : plate;
	a.text[3] = plate;
	if (store_query_run(q, STORE_Q_VEHICLES, &a, any_row, &found) == -1) {
		failed(q, out);
		return;
	}
	if (!found) {
		api_error(out, 404, "no vehicle %s", plate);
		return;
	}
	a.num[0] = from;
	a.num[1] = API_MAX_POSITIONS + 1;
	if (positions_body(q, &a, plate, &b) == -1) {
		api_buf_free(&b);
		{
			failed(q, out);
			return;
		}
	}
	done(&b, out);
}

static int
open_count(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	(void)names;
	if (v != NULL && n > 0 && v[0].type == STORE_V_INT)
		*(int64_t *)arg = v[0].i;
	return 0;
}

static void
alerts(struct store_query *q, struct api_reply *out)
{
	static const char *const jsons[] = { "evidence", NULL };
	struct store_q_args a = { { NULL }, { 0 } };
	struct rows x = { 0 };
	struct api_buf b = { 0 };
	int64_t open = 0;

	x.jsons = jsons;
	x.limit = API_MAX_ALERTS;
	a.num[1] = API_MAX_ALERTS + 1;
	if (store_query_run(q, STORE_Q_API_ALERTS_OPEN, &a, open_count,
		&open) == -1) {
		failed(q, out);
		return;
	}
	api_buf_open(&b, '{');
	api_buf_key(&b, "open");
	api_buf_int(&b, open);
	if (section(q, &b, "alerts", STORE_Q_API_ALERTS, &a, &x) == -1) {
		api_buf_free(&b);
		{
			failed(q, out);
			return;
		}
	}
	api_buf_key(&b, "truncated");
	api_buf_bool(&b, x.n > API_MAX_ALERTS);
	api_buf_close(&b, '}');
	done(&b, out);
}

/* ---- the manifest ---- */

/* A setting "key=value" of the recorded reconciliation parameters. */
static double
setting(const char *settings, const char *key)
{
	const char *p = strstr(settings, key);

	return p != NULL ? strtod(p + strlen(key), NULL) : NAN;
}

void
api_verdict_why(char *out, size_t n, const char *status, int nc,
    const char *const *names, const struct store_value *v)
{
	const char *verdict =
	    store_value_text(v, store_col(nc, names, "verdict"));
	const char *settings =
	    store_value_text(v, store_col(nc, names, "settings"));
	double decl = store_value_num(v, store_col(nc, names, "declared_kg"));
	double recv = store_value_num(v, store_col(nc, names, "received_kg"));
	double diff = store_value_num(v, store_col(nc, names, "diff_pct"));
	double tol = setting(settings, "tol=");
	double overdue_h = setting(settings, "overdue_ms=") / 3600000;

	if (strcmp(verdict, "ok") == 0 || strcmp(verdict, "discrepancy") == 0)
		snprintf(out, n,
		    "received %.10g kg against %.10g kg declared: %+.2f %%, "
		    "%s the tolerance of %g %%",
		    recv, decl, diff,
		    strcmp(verdict, "ok") == 0 ? "within" : "beyond", tol);
	else if (strcmp(verdict, "overdue") == 0)
		snprintf(out, n,
		    "still %s more than %g h after departure, and no "
		    "received weight",
		    status[0] ? status : "in transit", overdue_h);
	else if (strcmp(verdict, "pending") == 0)
		snprintf(out, n, "%s",
		    isnan(decl) ? "no declared mass in kg to compare with"
				: "no received weight yet: no ticket linked, "
				  "no figure from the receiver");
	else
		snprintf(out, n, "%s", verdict);
}

struct manifest {
	struct rows rows;
	char status[32]; /* of the last manifest row */
};

static int
manifest_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct manifest *m = arg;

	if (v != NULL)
		snprintf(m->status, sizeof(m->status), "%s",
		    store_value_text(v, store_col(n, names, "status")));
	return row_object(&m->rows, n, names, v);
}

/* The verdict in words, after the verdict's columns. */
static void
verdict_why(struct api_buf *b, void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct manifest *m = arg;
	char why[256];

	api_verdict_why(why, sizeof(why), m->status, n, names, v);
	api_buf_key(b, "why");
	api_buf_str(b, why);
}

static int
manifest_body(struct store_query *q, const struct store_q_args *a,
    struct api_buf *b, int *found)
{
	static const char *const bools[] = { "applied", "queued", NULL };
	static const struct {
		const char *name;
		enum store_q id;
	} rest[] = { { "lines", STORE_Q_MANIFEST_LINES },
		{ "versions", STORE_Q_MANIFEST_VERSIONS },
		{ "links", STORE_Q_MANIFEST_LINKS } };
	struct manifest m;
	struct rows x;
	size_t i;

	memset(&m, 0, sizeof(m));
	api_buf_open(b, '{');
	api_buf_key(b, "manifest_no");
	api_buf_str(b, a->text[0]);
	m.rows.b = b;
	api_buf_key(b, "manifests");
	api_buf_open(b, '[');
	if (store_query_run(q, STORE_Q_MANIFEST, a, manifest_row, &m) == -1)
		return -1;
	api_buf_close(b, ']');
	if (!(*found = m.rows.n > 0))
		return 0;
	for (i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		memset(&x, 0, sizeof(x));
		x.bools = bools;
		if (section(q, b, rest[i].name, rest[i].id, a, &x) == -1)
			return -1;
	}
	memset(&m.rows, 0, sizeof(m.rows));
	m.rows.bools = bools;
	m.rows.skip = "settings";
	m.rows.extra = verdict_why;
	m.rows.extra_arg = &m;
	if (section(q, b, "verdicts", STORE_Q_MANIFEST_VERDICT, a, &m.rows) ==
	    -1)
		return -1;
	api_buf_close(b, '}');
	return 0;
}

static void
manifest(struct store_query *q, const char *no, struct api_reply *out)
{
	struct store_q_args a = { { NULL }, { 0 } };
	struct api_buf b = { 0 };
	int found = 0;

	a.text[0] = no;
	if (manifest_body(q, &a, &b, &found) == -1) {
		api_buf_free(&b);
		{
			failed(q, out);
			return;
		}
	}
	if (!found) {
		api_buf_free(&b);
		{
			api_error(out, 404, "no manifest %s", no);
			return;
		}
	}
	done(&b, out);
}

/* ---- routing ---- */

/* "/api/v1/" + prefix + SEG + suffix: SEG decoded into seg. */
static int
segment(const char *rest, const char *prefix, const char *suffix, char *seg,
    size_t segsz)
{
	size_t plen = strlen(prefix), n;
	const char *s;

	if (strncmp(rest, prefix, plen) != 0)
		return 0;
	s = rest + plen;
	n = strcspn(s, "/");
	if (n == 0 || strcmp(s + n, suffix) != 0)
		return 0;
	return decode(s, n, seg, segsz) == 0 && seg[0] != '\0' ? 1 : -1;
}

/* Which of the database's paths: 0 none, else the route; seg decoded. */
enum route {
	R_NONE,
	R_INDICATORS,
	R_VEHICLES,
	R_ALERTS,
	R_MANIFEST,
	R_POSITIONS,
	R_BAD_MANIFEST,
	R_BAD_PLATE
};

static enum route
route_of(const char *path, char *seg, size_t segsz)
{
	const char *rest;
	int m, p;

	if (strncmp(path, PREFIX, strlen(PREFIX)) != 0)
		return R_NONE;
	rest = path + strlen(PREFIX);
	if (strcmp(rest, "indicators") == 0)
		return R_INDICATORS;
	if (strcmp(rest, "vehicles") == 0)
		return R_VEHICLES;
	if (strcmp(rest, "alerts") == 0)
		return R_ALERTS;
	if ((m = segment(rest, "manifests/", "", seg, segsz)) != 0)
		return m == 1 ? R_MANIFEST : R_BAD_MANIFEST;
	if ((p = segment(rest, "vehicles/", "/positions", seg, segsz)) != 0)
		return p == 1 ? R_POSITIONS : R_BAD_PLATE;
	return R_NONE;
}

int
api_is_query(const char *path)
{
	char seg[PATHSEG_MAX];

	return route_of(path, seg, sizeof(seg)) != R_NONE;
}

int
api_query(struct store_query *q, const struct api_req *r, struct api_reply *out)
{
	char seg[PATHSEG_MAX];
	enum route rt = route_of(r->path, seg, sizeof(seg));

	if (rt == R_NONE)
		return 0;
	if (rt == R_BAD_MANIFEST || rt == R_BAD_PLATE) {
		api_error(out, 400, "bad %s in the path",
		    rt == R_BAD_MANIFEST ? "manifest number" : "plate");
		return 1;
	}
	if (q == NULL) {
		api_error(out, 503, "the database cannot be read");
		return 1;
	}
	store_query_budget(q, API_BUDGET_MS);
	if (rt == R_INDICATORS)
		indicators(q, r, out);
	else if (rt == R_VEHICLES)
		vehicles(q, r, out);
	else if (rt == R_ALERTS)
		alerts(q, out);
	else if (rt == R_MANIFEST)
		manifest(q, seg, out);
	else
		positions(q, r, seg, out);
	store_query_budget(q, 0);
	return 1;
}
