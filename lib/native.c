/* native: see native.h. */
#include "native.h"

#include "json.h"
#include "norm.h"
#include "topic.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Everything one decode needs, so helpers take a single pointer. */
struct dec {
	const struct decode_ctx *ctx;
	const struct json *obj; /* the payload object */
	struct ev *e;
	struct decode_err *err;
	const char *topic_id; /* the {name} capture, in the arena */
};

#define fail(d, ...) decoder_fail((d)->err, __VA_ARGS__)

/* Optional string: *out NULL when absent, null or empty-ish. */
static int
opt_str(struct dec *d, const struct json *obj, const char *key,
    const char **out)
{
	const struct json *v = json_get(obj, key);
	const char *s;

	*out = NULL;
	if (v == NULL || json_kind(v) == JSON_K_NULL)
		return 0;
	if ((s = json_str(v)) == NULL)
		return fail(d, "bad_type", "\"%s\" must be a string", key);
	if (!norm_emptyish(s) && (*out = ev_strdup(d->e, s)) == NULL)
		return fail(d, "internal", "out of memory");
	return 0;
}

static int
req_str(struct dec *d, const struct json *obj, const char *key,
    const char **out)
{
	if (opt_str(d, obj, key, out) == -1)
		return -1;
	if (*out == NULL)
		return fail(d, "missing_field", "\"%s\" is required", key);
	return 0;
}

/* Optional number: NaN when absent or null. */
static int
opt_num(struct dec *d, const struct json *obj, const char *key, double *out)
{
	const struct json *v = json_get(obj, key);

	*out = NAN;
	if (v == NULL || json_kind(v) == JSON_K_NULL)
		return 0;
	if (json_num(v, out) == -1)
		return fail(d, "bad_type", "\"%s\" must be a number", key);
	if (!isfinite(*out))
		return fail(d, "bad_value", "\"%s\" is not finite", key);
	return 0;
}

/* Optional mass in kg: non-negative when present. */
static int
opt_kg(struct dec *d, const struct json *obj, const char *key, double *out)
{
	if (opt_num(d, obj, key, out) == -1)
		return -1;
	if (!isnan(*out) && norm_mass_kg(*out, "kg", out) == -1)
		return fail(d, "bad_value", "\"%s\" must not be negative", key);
	return 0;
}

/* Optional time: RFC 3339 string or epoch s/ms number. */
static int
opt_time(struct dec *d, const struct json *obj, const char *key, int64_t *out)
{
	const struct json *v = json_get(obj, key);
	const char *s;
	double n;

	*out = WT_NOTIME;
	if (v == NULL || json_kind(v) == JSON_K_NULL)
		return 0;
	if ((s = json_str(v)) != NULL) {
		if (norm_time(s, d->ctx->local_offset_min, out, &d->e->dq) ==
		    -1)
			return fail(d, "bad_time",
			    "\"%s\": cannot parse "
			    "time \"%.64s\"",
			    key, s);
	} else if (json_num(v, &n) == 0) {
		if (norm_epoch(n, out) == -1)
			return fail(d, "bad_time",
			    "\"%s\": epoch %.0f out "
			    "of range",
			    key, n);
	} else
		return fail(d, "bad_type",
		    "\"%s\" must be a time string or "
		    "epoch number",
		    key);
	if (*out > d->ctx->received_ms + d->ctx->future_tolerance_ms) {
		d->e->dq |= DQ_FUTURE_TS;
		return fail(d, "future_ts", "\"%s\" is %lld s in the future",
		    key, (long long)((*out - d->ctx->received_ms) / 1000));
	}
	return 0;
}

static int
req_time(struct dec *d, const struct json *obj, const char *key, int64_t *out)
{
	if (opt_time(d, obj, key, out) == -1)
		return -1;
	if (*out == WT_NOTIME)
		return fail(d, "missing_field", "\"%s\" is required", key);
	return 0;
}

/* A string that must be one of words (NULL-terminated list). */
static int
opt_word(struct dec *d, const struct json *obj, const char *key,
    const char *const *words, const char **out)
{
	size_t i;

	if (opt_str(d, obj, key, out) == -1 || *out == NULL)
		return *out == NULL && d->err->reason == NULL ? 0 : -1;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(*out, words[i]) == 0) {
			*out = words[i];
			return 0;
		}
	return fail(d, "bad_value", "\"%s\": unknown value \"%.64s\"", key,
	    *out);
}

static int
req_word(struct dec *d, const struct json *obj, const char *key,
    const char *const *words, const char **out)
{
	if (opt_word(d, obj, key, words, out) == -1)
		return -1;
	if (*out == NULL)
		return fail(d, "missing_field", "\"%s\" is required", key);
	return 0;
}

static int
opt_plate(struct dec *d, const struct json *obj, const char *key,
    const char **out)
{
	char buf[64];

	if (opt_str(d, obj, key, out) == -1 || *out == NULL)
		return *out == NULL && d->err->reason == NULL ? 0 : -1;
	if (norm_plate(*out, buf, sizeof(buf), &d->e->dq) == -1) {
		/* Not foldable at all: keep nothing rather than garbage. */
		d->e->dq |= DQ_PLATE_INVALID;
		*out = NULL;
		return 0;
	}
	if ((*out = ev_strdup(d->e, buf)) == NULL)
		return fail(d, "internal", "out of memory");
	return 0;
}

/* Waste category: canonical or a synonym; unknown names become
 * "unknown", never a guess (a guessed "residual" would skew the
 * indicators). */
static int
req_waste(struct dec *d, const struct json *obj, const char *key,
    const char **out)
{
	const char *w;

	if (req_str(d, obj, key, out) == -1)
		return -1;
	w = norm_waste(*out);
	*out = w != NULL ? w : "unknown";
	return 0;
}

static int
coords(struct dec *d, const struct json *obj, double *lat, double *lon,
    int required)
{
	if (opt_num(d, obj, "lat", lat) == -1 ||
	    opt_num(d, obj, "lon", lon) == -1)
		return -1;
	if (isnan(*lat) && isnan(*lon) && !required)
		return 0;
	if (required && (isnan(*lat) || isnan(*lon)) &&
	    json_get(obj, isnan(*lat) ? "lat" : "lon") == NULL)
		return fail(d, "missing_field", "\"%s\" is required",
		    isnan(*lat) ? "lat" : "lon");
	return norm_coord(lat, lon, &d->e->dq);
}

static int
dec_position(struct dec *d)
{
	static const char *const loads[] = { "empty", "half", "full", NULL };
	struct ev_position *p = &d->e->u.pos;

	ev_init(d->e, EV_POSITION);
	p->vehicle = d->topic_id;
	if (req_time(d, d->obj, "ts", &p->ts_ms) == -1 ||
	    coords(d, d->obj, &p->lat, &p->lon, 1) == -1 ||
	    opt_plate(d, d->obj, "plate", &p->plate) == -1 ||
	    opt_str(d, d->obj, "device", &p->device) == -1 ||
	    opt_num(d, d->obj, "speed_kmh", &p->speed_kmh) == -1 ||
	    opt_num(d, d->obj, "heading_deg", &p->heading_deg) == -1 ||
	    opt_num(d, d->obj, "alt_m", &p->alt_m) == -1 ||
	    opt_word(d, d->obj, "load_state", loads, &p->load_state) == -1)
		return -1;
	if (!isnan(p->speed_kmh) && (p->speed_kmh < 0 || p->speed_kmh > 300))
		return fail(d, "bad_value", "\"speed_kmh\" %.1f out of range",
		    p->speed_kmh);
	if (!isnan(p->heading_deg) &&
	    (p->heading_deg < 0 || p->heading_deg >= 360))
		return fail(d, "bad_value", "\"heading_deg\" %.1f out of range",
		    p->heading_deg);
	return 0;
}

/* A count of containers: a whole number, 0..1e9, -1 when absent. */
static int
opt_count(struct dec *d, const struct json *obj, const char *key, int64_t *out)
{
	double n;

	*out = -1;
	if (opt_num(d, obj, key, &n) == -1)
		return -1;
	if (isnan(n))
		return 0;
	/* Range first: converting a double beyond int64_t is undefined. */
	if (n < 0 || n > 1e9 || n != floor(n))
		return fail(d, "bad_value",
		    "\"%s\" must be a whole number "
		    "0..1000000000",
		    key);
	*out = (int64_t)n;
	return 0;
}

static int
dec_vehicle_event(struct dec *d)
{
	static const char *const types[] = { "load", "unload", NULL };
	static const char *const units[] = { "piece", "bag", "box", "bin",
		NULL };
	struct ev_vehicle_event *v = &d->e->u.vev;

	ev_init(d->e, EV_VEHICLE_EVENT);
	v->vehicle = d->topic_id;
	if (req_word(d, d->obj, "type", types, &v->type) == -1 ||
	    req_time(d, d->obj, "ts", &v->ts_ms) == -1 ||
	    opt_plate(d, d->obj, "plate", &v->plate) == -1 ||
	    opt_str(d, d->obj, "site", &v->site) == -1 ||
	    opt_str(d, d->obj, "facility", &v->facility) == -1 ||
	    req_waste(d, d->obj, "waste", &v->waste) == -1 ||
	    opt_kg(d, d->obj, "mass_kg", &v->mass_kg) == -1 ||
	    opt_str(d, d->obj, "manifest_no", &v->manifest_no) == -1 ||
	    opt_count(d, d->obj, "count", &v->count) == -1 ||
	    opt_word(d, d->obj, "count_unit", units, &v->count_unit) == -1 ||
	    coords(d, d->obj, &v->lat, &v->lon, 0) == -1)
		return -1;
	if (ev_check_count(v) == -1)
		return fail(d, "missing_field",
		    "\"count\" needs \"count_unit\"");
	return 0;
}

static int
dec_weighing(struct dec *d)
{
	static const char *const dirs[] = { "in", "out", NULL };
	static const char *const states[] = { "open", "complete", "void",
		NULL };
	struct ev_weighing *w = &d->e->u.wb;
	double ver;

	ev_init(d->e, EV_WEIGHING);
	w->facility = d->topic_id;
	if (req_str(d, d->obj, "ticket", &w->ticket) == -1 ||
	    opt_plate(d, d->obj, "plate", &w->plate) == -1 ||
	    req_word(d, d->obj, "direction", dirs, &w->direction) == -1 ||
	    opt_num(d, d->obj, "gross_kg", &w->gross_kg) == -1 ||
	    opt_num(d, d->obj, "tare_kg", &w->tare_kg) == -1 ||
	    opt_num(d, d->obj, "net_kg", &w->net_kg) == -1 ||
	    req_time(d, d->obj, "first_ts", &w->first_ms) == -1 ||
	    opt_time(d, d->obj, "second_ts", &w->second_ms) == -1 ||
	    req_waste(d, d->obj, "waste", &w->waste) == -1 ||
	    opt_str(d, d->obj, "origin", &w->origin) == -1 ||
	    req_word(d, d->obj, "status", states, &w->status) == -1 ||
	    opt_num(d, d->obj, "version", &ver) == -1 ||
	    opt_str(d, d->obj, "manifest_no", &w->manifest_no) == -1)
		return -1;
	if (w->plate == NULL && json_get(d->obj, "plate") == NULL)
		return fail(d, "missing_field", "\"plate\" is required");
	if (!isnan(ver) && (ver < 1 || ver > 1e9 || ver != floor(ver)))
		return fail(d, "bad_value",
		    "\"version\" must be a positive "
		    "integer");
	w->version = isnan(ver) ? -1 : (int64_t)ver;
	ev_check_weighing(d->e);
	return 0;
}

static int
dec_facility_status(struct dec *d)
{
	static const char *const known[] = { "ts", "state", "inventory_kg",
		"throughput_kg", NULL };
	struct ev_facility_status *f = &d->e->u.fst;
	char *extra;

	ev_init(d->e, EV_FACILITY_STATUS);
	f->facility = d->topic_id;
	if (req_time(d, d->obj, "ts", &f->ts_ms) == -1 ||
	    req_str(d, d->obj, "state", &f->state) == -1 ||
	    opt_kg(d, d->obj, "inventory_kg", &f->inventory_kg) == -1 ||
	    opt_kg(d, d->obj, "throughput_kg", &f->throughput_kg) == -1)
		return -1;
	/* Facilities report more than we model: keep the rest verbatim. */
	if ((extra = json_dump_except(d->obj, known)) != NULL) {
		f->extra_json = ev_strdup(d->e, extra);
		free(extra);
		if (f->extra_json == NULL)
			return fail(d, "internal", "out of memory");
	}
	return 0;
}

static int
dec_manifest_line(struct dec *d, const struct json *lj, size_t i,
    struct ev_manifest_line *l)
{
	double line;
	char code[16], cat[8];

	if (json_kind(lj) != JSON_K_OBJ)
		return fail(d, "bad_type", "\"lines[%zu]\" must be an object",
		    i);
	if (opt_num(d, lj, "line", &line) == -1 ||
	    opt_str(d, lj, "waste_code", &l->waste_code) == -1 ||
	    req_waste(d, lj, "waste", &l->waste) == -1 ||
	    opt_num(d, lj, "qty", &l->qty) == -1 ||
	    opt_str(d, lj, "unit", &l->unit) == -1)
		return -1;
	/* Range first: converting a double beyond int64_t is undefined.
	 * (Without "line", i + 1 <= 1000: at most 1000 lines.) */
	if (!isnan(line) && (line < 1 || line > 9999 || line != floor(line)))
		return fail(d, "bad_value",
		    "\"lines[%zu].line\" must be 1.."
		    "9999",
		    i);
	l->line = isnan(line) ? (int64_t)i + 1 : (int64_t)line;
	if (l->waste_code != NULL) {
		if (norm_hw_code(l->waste_code, code, cat) == -1)
			return fail(d, "bad_value",
			    "\"lines[%zu].waste_code\""
			    " \"%.32s\" is not a hazardous-waste code",
			    i, l->waste_code);
		if ((l->waste_code = ev_strdup(d->e, code)) == NULL ||
		    (l->hw_category = ev_strdup(d->e, cat)) == NULL)
			return fail(d, "internal", "out of memory");
	}
	l->qty_kg = NAN;
	if (isnan(l->qty))
		return 0;
	/* An explicit unit wins; a bare number is never guessed. */
	if (l->unit == NULL)
		return fail(d, "bad_unit", "\"lines[%zu]\" has qty but no unit",
		    i);
	if (norm_mass_kg(l->qty, l->unit, &l->qty_kg) == -1)
		return fail(d, "bad_unit",
		    "\"lines[%zu].unit\" \"%.16s\" is "
		    "not a mass unit",
		    i, l->unit);
	return 0;
}

static int
dec_manifest_parties(struct dec *d, struct ev_manifest *m)
{
	const struct json *g = json_get(d->obj, "generator");
	const struct json *c = json_get(d->obj, "carrier");
	const struct json *r = json_get(d->obj, "receiver");

	if ((g != NULL && json_kind(g) != JSON_K_OBJ) ||
	    (c != NULL && json_kind(c) != JSON_K_OBJ) ||
	    (r != NULL && json_kind(r) != JSON_K_OBJ))
		return fail(d, "bad_type",
		    "generator, carrier and receiver "
		    "must be objects");
	if (opt_str(d, g, "code", &m->generator_code) == -1 ||
	    opt_str(d, g, "name", &m->generator_name) == -1 ||
	    opt_str(d, g, "district", &m->generator_district) == -1 ||
	    opt_str(d, c, "name", &m->carrier_name) == -1 ||
	    opt_str(d, r, "facility", &m->receiver_facility) == -1 ||
	    opt_str(d, r, "name", &m->receiver_name) == -1)
		return -1;
	return 0;
}

static int
dec_manifest_tickets(struct dec *d, struct ev_manifest *m)
{
	const struct json *t = json_get(d->obj, "tickets");
	size_t i;

	if (t == NULL || json_kind(t) == JSON_K_NULL)
		return 0;
	if (json_kind(t) != JSON_K_ARR)
		return fail(d, "bad_type", "\"tickets\" must be an array");
	m->ntickets = json_len(t);
	if (m->ntickets > 1000)
		return fail(d, "bad_value", "too many tickets");
	m->tickets = ev_alloc(d->e, m->ntickets * sizeof(*m->tickets) + 1);
	if (m->tickets == NULL)
		return fail(d, "internal", "out of memory");
	for (i = 0; i < m->ntickets; i++) {
		const struct json *tj = json_at(t, i);

		if (json_kind(tj) != JSON_K_OBJ)
			return fail(d, "bad_type",
			    "\"tickets[%zu]\" must be "
			    "an object",
			    i);
		if (req_str(d, tj, "facility", &m->tickets[i].facility) == -1 ||
		    req_str(d, tj, "ticket", &m->tickets[i].ticket) == -1)
			return -1;
	}
	return 0;
}

static int
dec_manifest(struct dec *d)
{
	static const char *const states[] = { "created", "in_transit",
		"arrived", "received", "closed", "rejected", "cancelled",
		NULL };
	struct ev_manifest *m = &d->e->u.man;
	const struct json *lines;
	double ver;
	size_t i;

	ev_init(d->e, EV_MANIFEST);
	m->manifest_no = d->topic_id;
	if (req_str(d, d->obj, "scheme", &m->scheme) == -1 ||
	    req_word(d, d->obj, "status", states, &m->status) == -1 ||
	    opt_num(d, d->obj, "version", &ver) == -1 ||
	    req_time(d, d->obj, "ts", &m->ts_ms) == -1 ||
	    opt_plate(d, d->obj, "plate", &m->plate) == -1 ||
	    dec_manifest_parties(d, m) == -1 ||
	    dec_manifest_tickets(d, m) == -1)
		return -1;
	if (isnan(ver))
		return fail(d, "missing_field", "\"version\" is required");
	if (ver < 1 || ver > 1e9 || ver != floor(ver))
		return fail(d, "bad_value",
		    "\"version\" must be a positive "
		    "integer");
	m->version = (int64_t)ver;
	lines = json_get(d->obj, "lines");
	if (lines != NULL && json_kind(lines) != JSON_K_ARR)
		return fail(d, "bad_type", "\"lines\" must be an array");
	m->nlines = json_len(lines);
	if (m->nlines > 1000)
		return fail(d, "bad_value", "too many lines");
	m->lines = ev_alloc(d->e, m->nlines * sizeof(*m->lines) + 1);
	if (m->lines == NULL)
		return fail(d, "internal", "out of memory");
	for (i = 0; i < m->nlines; i++)
		if (dec_manifest_line(d, json_at(lines, i), i, &m->lines[i]) ==
		    -1)
			return -1;
	return 0;
}

/* Topic patterns of the dialect; the capture names the subject. */
static const struct {
	const char *pattern;
	int (*decode)(struct dec *);
} kinds[] = {
	{ "wt/v1/vehicles/{vehicle}/position", dec_position },
	{ "wt/v1/vehicles/{vehicle}/events", dec_vehicle_event },
	{ "wt/v1/facilities/{facility}/weighings", dec_weighing },
	{ "wt/v1/facilities/{facility}/status", dec_facility_status },
	{ "wt/v1/manifests/{manifest_no}", dec_manifest },
};

/* Decode into d->e, appended to out; the caller rolls back on -1. */
static int
native_decode_one(struct dec *d, const char *topic, const char *payload,
    size_t len, struct ev_list *out)
{
	struct topic_cap cap;
	struct json *doc = NULL;
	size_t i, ncap;
	char jerr[160];
	int rc = -1;

	if (!norm_utf8_valid(payload, len) || memchr(payload, '\0', len))
		return fail(d, "bad_utf8", "payload is not UTF-8 text");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (topic_capture(kinds[i].pattern, topic, &cap, 1, &ncap) == 1)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return fail(d, "unknown_kind",
		    "topic \"%.128s\" is not a kind "
		    "of the wastetrack dialect",
		    topic);
	if ((doc = json_parse(payload, len, jerr, sizeof(jerr))) == NULL)
		return fail(d, "bad_json", "%s", jerr);
	if (json_kind((const struct json *)doc) != JSON_K_OBJ) {
		fail(d, "bad_type", "payload must be a JSON object");
		goto done;
	}
	d->obj = (const struct json *)doc;
	/* One event per message: whatever out already holds, add one. */
	if ((d->e = ev_list_add(out, SIZE_MAX)) == NULL ||
	    (d->topic_id = ev_strndup(d->e, cap.value, cap.value_len)) ==
		NULL) {
		fail(d, "internal", "out of memory");
		goto done;
	}
	/* Every mass, of every kind, through the one plausibility rule. */
	if ((rc = kinds[i].decode(d)) == 0)
		norm_check_masses(d->e);
done:
	json_free(doc);
	return rc;
}

int
native_decode(const char *topic, const char *payload, size_t len,
    const struct decode_ctx *ctx, struct ev_list *out, struct decode_err *err)
{
	struct dec d = { .ctx = ctx, .err = err };
	size_t first = decoder_begin(out, err);

	return decoder_end(native_decode_one(&d, topic, payload, len, out), out,
	    first);
}
