/* decode: see decode.h and docs/profiles.md. */
#include "decode_int.h"

#include "charset.h"
#include "geo.h"
#include "json.h"
#include "norm.h"
#include "topic.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- per kind ---- */

/* Vendor coordinates to WGS-84, or NULL with COORD_INVALID. */
static void
fix_coords(struct dec *d, const char *sys_name, int64_t fix_valid, double *lat,
    double *lon)
{
	enum geo_sys sys = d->p->coord_sys;

	if (isnan(*lat) && isnan(*lon))
		return;
	if (fix_valid == 0) {
		*lat = *lon = NAN;
		d->e->dq |= DQ_COORD_INVALID;
		return;
	}
	/* A per-message system name the profile does not know keeps the
	 * profile's own system. */
	if (sys_name != NULL && geo_parse_sys(sys_name, &sys) == -1)
		sys = d->p->coord_sys;
	(void)norm_coord(lat, lon, &d->e->dq);
	if (!isnan(*lat) && geo_to_wgs84(sys, lat, lon) == 1)
		d->e->dq |= DQ_COORD_CONVERTED;
}

static int
finish_position(struct dec *d)
{
	struct ev_position *p = &d->e->u.pos;

	if (p->vehicle == NULL)
		p->vehicle = p->device;
	if (p->vehicle == NULL)
		return fail(d, "missing_field", "no vehicle or device");
	fix_coords(d, p->coord_sys, p->fix_valid, &p->lat, &p->lon);
	if (!isnan(p->speed_kmh) && (p->speed_kmh < 0 || p->speed_kmh > 300))
		return fail(d, "bad_value", "speed %.1f km/h out of range",
		    p->speed_kmh);
	if (!isnan(p->heading_deg) &&
	    (p->heading_deg < 0 || p->heading_deg >= 360))
		return fail(d, "bad_value", "heading %.1f out of range",
		    p->heading_deg);
	return 0;
}

static int
decode_lines(struct dec *d)
{
	struct ev_manifest *m = &d->e->u.man;
	const struct json *arr = decode_json_path(d->doc, &d->k->lines);
	const struct pf_canon *lc;
	char code[16], cat[8];
	size_t i, k, nlc;

	if (arr == NULL || json_kind(arr) == JSON_K_NULL)
		return 0;
	if (json_kind(arr) != JSON_K_ARR || json_len(arr) > 1000)
		return fail(d, "bad_type",
		    "manifest lines must be an array "
		    "of at most 1000");
	lc = profile_line_canon(&nlc);
	m->nlines = json_len(arr);
	if ((m->lines = ev_alloc(d->e, m->nlines * sizeof(*m->lines) + 1)) ==
	    NULL)
		return fail(d, "internal", "out of memory");
	for (i = 0; i < m->nlines; i++) {
		struct ev_manifest_line *l = &m->lines[i];
		const struct json *lj = json_at(arr, i);

		l->line = -1;
		l->qty = l->qty_kg = NAN;
		if (json_kind(lj) != JSON_K_OBJ)
			return fail(d, "bad_type", "line %zu is not an object",
			    i + 1);
		for (k = 0; k < d->k->nline_fields; k++)
			if (decode_apply_field(d, lc, &d->k->line_fields[k], lj,
				l) == -1)
				return -1;
		if (l->line == -1)
			l->line = (int64_t)i + 1;
		if (l->waste_code != NULL &&
		    norm_hw_code(l->waste_code, code, cat) == 0 &&
		    (l->hw_category = ev_strdup(d->e, cat)) == NULL)
			return fail(d, "internal", "out of memory");
		if (l->waste == NULL)
			l->waste = l->hw_category == NULL	  ? "unknown"
			    : strcmp(l->hw_category, "HW01") == 0 ? "mw"
								  : "hw";
		if (isnan(l->qty))
			continue;
		/* A quantity is only a mass with its unit. */
		if (l->unit == NULL ||
		    norm_mass_kg(l->qty, l->unit, &l->qty_kg) == -1)
			return fail(d, "bad_unit",
			    "line %lld: quantity %g "
			    "without a mass unit",
			    (long long)l->line, l->qty);
	}
	return 0;
}

static int
finish_manifest(struct dec *d)
{
	struct ev_manifest *m = &d->e->u.man;

	if (m->version == -1)
		m->version = 1;
	if (m->version < 1)
		return fail(d, "bad_value", "version must be positive");
	if (m->ticket != NULL) {
		if ((m->tickets = ev_alloc(d->e, sizeof(*m->tickets))) == NULL)
			return fail(d, "internal", "out of memory");
		m->tickets[0].ticket = m->ticket;
		m->tickets[0].facility = m->ticket_facility
		    ? m->ticket_facility
		    : m->receiver_facility;
		if (m->tickets[0].facility == NULL)
			return fail(d, "missing_field",
			    "ticket %s has no "
			    "facility",
			    m->ticket);
		m->ntickets = 1;
	}
	return d->k->lines.kind == PF_SRC_NONE ? 0 : decode_lines(d);
}

static int
finish(struct dec *d)
{
	switch (d->e->kind) {
	case EV_POSITION:
		return finish_position(d);
	case EV_VEHICLE_EVENT:
		fix_coords(d, d->e->u.vev.coord_sys, -1, &d->e->u.vev.lat,
		    &d->e->u.vev.lon);
		if (ev_check_count(&d->e->u.vev) == -1)
			return fail(d, "missing_field",
			    "\"count\" needs \"count_unit\"");
		return 0;
	case EV_WEIGHING:
		ev_check_weighing(d->e);
		return 0;
	case EV_MANIFEST:
		return finish_manifest(d);
	case EV_FACILITY_STATUS:
	case EV_DEVICE_BINDING:
	case EV_NONE:
	case EV_KIND_COUNT:
		break;
	}
	return 0;
}

/* Decode the current record (JSON document or delimited fields) as kind
 * d->k into d->e. */
static int
decode_record(struct dec *d)
{
	const struct pf_canon *t;
	size_t i, nt;

	ev_init(d->e, d->k->kind);
	t = profile_canon(d->k->kind, &nt);
	for (i = 0; i < d->k->nfields; i++)
		if (decode_apply_field(d, t, &d->k->fields[i], NULL, d->e) ==
		    -1)
			return -1;
	if (d->k->kind == EV_POSITION && d->e->u.pos.vehicle == NULL)
		d->e->u.pos.vehicle = d->e->u.pos.device;
	if (decode_check_present(d, t, nt, profile_required(d->k->kind),
		d->e) == -1 ||
	    finish(d) == -1)
		return -1;
	/* Every mass, of every kind, through the one plausibility rule. */
	norm_check_masses(d->e);
	return 0;
}

/* ---- selecting the kind, splitting records ---- */

static int
kind_matches(struct dec *d, const struct pf_kind *k)
{
	struct val v;
	const char *s;

	if (topic_capture(k->topic, d->topic, d->caps, MAX_CAPS, &d->ncaps) !=
	    1)
		return 0;
	if (k->when.kind == PF_SRC_NONE)
		return 1;
	if (decode_get_src(d, &k->when, NULL, &v) == -1) {
		d->err->reason = NULL;
		return 0;
	}
	s = decode_val_text(&v);
	return s != NULL && strcmp(s, k->when_equals) == 0;
}

static int
select_kind(struct dec *d)
{
	struct ev *e = d->e, scratch;
	size_t i;

	/* A `when` on a topic capture copies it into d->e, which is not
	 * allocated yet (NULL for the first record): lend it a scratch
	 * event. */
	memset(&scratch, 0, sizeof(scratch));
	d->e = &scratch;
	for (i = 0; i < d->p->nkinds; i++)
		if (kind_matches(d, &d->p->kinds[i]))
			break;
	ev_reset(&scratch);
	d->e = e;
	if (i < d->p->nkinds) {
		d->k = &d->p->kinds[i];
		return 0;
	}
	return fail(d, "unknown_kind",
	    "no kind of profile %s matches topic "
	    "\"%.100s\"",
	    d->p->name, d->topic);
}

/* Text in UTF-8, transcoding GBK as the profile says. *owned is set when
 * the result was allocated. */
static int
to_utf8(struct dec *d, const char *in, size_t n, char **out, size_t *outn)
{
	int utf8 = norm_utf8_valid(in, n) && memchr(in, '\0', n) == NULL;

	if (d->p->encoding == PF_UTF8 || (d->p->encoding == PF_AUTO && utf8)) {
		if (!utf8)
			return fail(d, "bad_utf8", "payload is not UTF-8 text");
		*out = NULL;
		return 0;
	}
	if (charset_gbk_to_utf8(in, n, out, outn) == -1 ||
	    memchr(*out, '\0', *outn) != NULL) {
		free(*out);
		*out = NULL;
		return fail(d, "bad_utf8", "payload is neither UTF-8 nor GBK");
	}
	return 1;
}

/* XOR of every byte before the checksum field, as two hex digits. */
static int
checksum_ok(const struct profile *p, const char *rec, size_t n)
{
	const char *start = rec;
	unsigned x = 0, want;
	int field = 1;
	char hex[3], *end;

	while (field < p->checksum_field && start < rec + n) {
		if (*start++ == p->separator)
			field++;
	}
	if (field != p->checksum_field)
		return 0;
	for (const char *c = rec; c < start; c++)
		x ^= (unsigned char)*c;
	/* Exactly two hex digits, then the end of the record or a
	 * separator. The record is not NUL-terminated (nor is the payload
	 * it lies in): never let strtoul() read past rec + n. */
	if (rec + n - start < 2 || !isxdigit((unsigned char)start[0]) ||
	    !isxdigit((unsigned char)start[1]) ||
	    (rec + n - start > 2 && start[2] != p->separator))
		return 0;
	memcpy(hex, start, 2);
	hex[2] = '\0';
	want = (unsigned)strtoul(hex, &end, 16);
	return end == hex + 2 && want == x;
}

static int
decode_delimited_record(struct dec *d, const char *rec, size_t n,
    struct ev_list *out)
{
	char *text = NULL, *p;
	size_t tn = 0;
	int rc;

	if (d->p->checksum_field > 0 && !checksum_ok(d->p, rec, n))
		return fail(d, "bad_checksum",
		    "record checksum does not match");
	if ((rc = to_utf8(d, rec, n, &text, &tn)) == -1)
		return -1;
	if (rc == 0 && (text = strndup(rec, n)) == NULL)
		return fail(d, "internal", "out of memory");
	d->nfields = 0;
	for (p = text; p != NULL && d->nfields < MAX_FIELDS;) {
		d->fields[d->nfields++] = p;
		if ((p = strchr(p, d->p->separator)) != NULL)
			*p++ = '\0';
	}
	rc = select_kind(d);
	if (rc == 0 && out->n - d->first == DECODE_MAX_RECORDS)
		rc = fail(d, "bad_value", "more than %d records",
		    DECODE_MAX_RECORDS);
	else if (rc == 0 && (d->e = ev_list_add(out, SIZE_MAX)) == NULL)
		rc = fail(d, "internal", "out of memory");
	if (rc == 0)
		rc = decode_record(d);
	free(text);
	return rc;
}

static int
decode_delimited(struct dec *d, const char *payload, size_t len,
    struct ev_list *out)
{
	const char *sep = d->p->record_separator, *p = payload, *end;
	const char *stop = payload + len;
	size_t seplen = sep ? strlen(sep) : 0;

	while (p < stop) {
		end =
		    seplen ? memmem(p, (size_t)(stop - p), sep, seplen) : NULL;
		if (end == NULL)
			end = stop;
		if (end > p &&
		    decode_delimited_record(d, p, (size_t)(end - p), out) == -1)
			return -1;
		p = end + seplen;
	}
	if (out->n == d->first)
		return fail(d, "missing_field", "empty message");
	return 0;
}

static int
decode_json(struct dec *d, const char *payload, size_t len, struct ev_list *out)
{
	char *text = NULL, jerr[160];
	struct json *doc;
	size_t tn = len;
	int rc;

	if ((rc = to_utf8(d, payload, len, &text, &tn)) == -1)
		return -1;
	doc =
	    json_parse(rc ? text : payload, rc ? tn : len, jerr, sizeof(jerr));
	free(text);
	if (doc == NULL)
		return fail(d, "bad_json", "%s", jerr);
	rc = -1;
	d->doc = (const struct json *)doc;
	if (json_kind(d->doc) != JSON_K_OBJ)
		fail(d, "bad_type", "payload must be a JSON object");
	else if (select_kind(d) == 0) {
		if ((d->e = ev_list_add(out, SIZE_MAX)) == NULL)
			fail(d, "internal", "out of memory");
		else
			rc = decode_record(d);
	}
	json_free(doc);
	return rc;
}

int
decode_profile(const struct profile *p, const char *topic, const char *payload,
    size_t len, const struct decode_ctx *ctx, struct ev_list *out,
    struct decode_err *err)
{
	struct dec d = { .p = p, .ctx = ctx, .topic = topic, .err = err };

	d.first = decoder_begin(out, err);
	return decoder_end(p->format == PF_DELIMITED
		? decode_delimited(&d, payload, len, out)
		: decode_json(&d, payload, len, out),
	    out, d.first);
}
