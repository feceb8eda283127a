/* decode_field: reading one profile field and converting it (decode_int.h). */
#include "decode_int.h"

#include "norm.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading sources ---- */

const struct json *
decode_json_path(const struct json *base, const struct pf_src *s)
{
	const struct json *v = base;
	size_t i;
	char *end;

	for (i = 0; v != NULL && i < s->nseg; i++) {
		if (json_kind(v) == JSON_K_ARR) {
			unsigned long idx = strtoul(s->seg[i], &end, 10);

			v = *end == '\0' ? json_at(v, idx) : NULL;
		} else
			v = json_get(v, s->seg[i]);
	}
	return v;
}

static void
val_from_json(const struct json *j, struct val *v)
{
	if (j == NULL) {
		v->t = V_NONE;
		return;
	}
	switch (json_kind(j)) {
	case JSON_K_STR:
		v->t = V_STR;
		v->s = json_str(j);
		break;
	case JSON_K_NUM:
		v->t = V_NUM;
		/* Cannot fail on a number; NaN reads as "no value" anyway. */
		if (json_num(j, &v->num) == -1)
			v->num = NAN;
		break;
	case JSON_K_BOOL:
		v->t = V_BOOL;
		v->num = json_is_yes(j);
		break;
	case JSON_K_NULL:
		v->t = V_NULL;
		break;
	case JSON_K_OBJ:
	case JSON_K_ARR:
		v->t = V_STR;
		v->s = NULL; /* a container where a value belongs */
		break;
	}
}

int
decode_get_src(struct dec *d, const struct pf_src *s, const struct json *base,
    struct val *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	switch (s->kind) {
	case PF_SRC_PATH:
		val_from_json(decode_json_path(base ? base : d->doc, s), v);
		if (v->t == V_STR && v->s == NULL)
			return fail(d, "bad_type", "\"%s\" is not a scalar",
			    s->seg[s->nseg - 1]);
		break;
	case PF_SRC_FIELD:
		if ((size_t)s->field <= d->nfields) {
			v->t = V_STR;
			v->s = d->fields[s->field - 1];
		}
		break;
	case PF_SRC_TOPIC:
		for (i = 0; i < d->ncaps; i++)
			if (strlen(s->name) == d->caps[i].name_len &&
			    memcmp(s->name, d->caps[i].name,
				d->caps[i].name_len) == 0) {
				v->t = V_STR;
				if ((v->s = ev_strndup(d->e, d->caps[i].value,
					 d->caps[i].value_len)) == NULL)
					return fail(d, "internal",
					    "out of memory");
			}
		break;
	case PF_SRC_VALUE:
		v->t = V_STR;
		v->s = s->name;
		break;
	case PF_SRC_NONE:
		break;
	}
	if (v->t == V_STR && v->s != NULL && norm_emptyish(v->s))
		v->t = V_NULL;
	return 0;
}

/* Text of a scalar value (numbers without needless digits). */
const char *
decode_val_text(struct val *v)
{
	switch (v->t) {
	case V_STR:
		return v->s;
	case V_NUM:
		snprintf(v->buf, sizeof(v->buf), "%.15g", v->num);
		return v->buf;
	case V_BOOL:
		return v->num != 0 ? "true" : "false";
	case V_NONE:
	case V_NULL:
		break;
	}
	return NULL;
}

/* Number of a value: JSON numbers, or strings such as "18,070" or
 * " 4.75 " (thousands separators and spaces dropped). A trailing unit
 * ("4.75吨") is copied to rest (empty when none). */
static int
val_number(const struct val *v, double *out, char rest[32])
{
	char buf[96], *end;
	size_t i, n = 0;

	rest[0] = '\0';
	if (v->t == V_NUM || v->t == V_BOOL) {
		*out = v->num;
		return 0;
	}
	if (v->t != V_STR)
		return -1;
	for (i = 0; v->s[i] != '\0' && n < sizeof(buf) - 1; i++)
		if (v->s[i] != ',' && v->s[i] != ' ')
			buf[n++] = v->s[i];
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (end == buf || errno != 0 || !isfinite(*out))
		return -1;
	if (*end != '\0')
		snprintf(rest, 32, "%s", end);
	return 0;
}

static const char *
table_lookup(const struct pf_table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->from[i], key) == 0)
			return t->to[i];
	return NULL;
}

/*
 * The value of a field before its type: read the source, pick bits out of
 * an integer, then translate through the code table. A value the table
 * does not know is an error: a vendor word we cannot read is not guessed.
 */
static int
resolve(struct dec *d, const struct pf_field *f, const struct json *base,
    struct val *v)
{
	const char *key, *to;
	char rest[32];
	double n;

	if (decode_get_src(d, &f->src, base, v) == -1)
		return -1;
	if (v->t == V_NONE || v->t == V_NULL)
		return 0;
	if (f->bit_lo >= 0) {
		uint64_t bits;

		if (val_number(v, &n, rest) == -1 || n < 0 || n > 4294967295.0)
			return fail(d, "bad_value",
			    "not a bit field: \"%.32s\"",
			    decode_val_text(v) ? decode_val_text(v) : "?");
		bits = ((uint64_t)n >> f->bit_lo) &
		    ((1ull << (f->bit_hi - f->bit_lo + 1)) - 1);
		v->t = V_NUM;
		v->num = (double)bits;
	}
	if (f->map != NULL) {
		if ((key = decode_val_text(v)) != NULL &&
		    (to = table_lookup(f->map, key)) != NULL) {
			v->t = V_STR;
			v->s = to;
		} else if (f->unmapped == PF_UNMAPPED_NULL)
			v->t = V_NULL;
		else if (f->unmapped == PF_UNMAPPED_REJECT)
			return fail(d, "bad_value", "no mapping for \"%.64s\"",
			    key ? key : "?");
	}
	return 0;
}

/* Where a canonical value goes. */
static void *
slot(void *base, size_t off)
{
	return (char *)base + off;
}

static int
set_text(struct dec *d, void *dst, const char *s)
{
	if ((*(const char **)dst = ev_strdup(d->e, s)) == NULL)
		return fail(d, "internal", "out of memory");
	return 0;
}

static int
conv_num(struct dec *d, const struct pf_field *f, const char *name,
    struct val *v, double *out)
{
	struct val sv;
	char rest[32];
	double sign;

	*out = NAN;
	if (v->t == V_NONE || v->t == V_NULL)
		return 0;
	if (val_number(v, out, rest) == -1 || rest[0] != '\0')
		return fail(d, "bad_type", "\"%s\": \"%.32s\" is not a number",
		    name, decode_val_text(v) ? decode_val_text(v) : "?");
	if (f->scale != 0)
		*out *= f->scale;
	if (f->sign_src.kind != PF_SRC_NONE) {
		if (decode_get_src(d, &f->sign_src, NULL, &sv) == -1)
			return -1;
		/* Like bits: only 0..2^32-1 is a bit field (a wider double
		 * does not convert to an integer). */
		if (val_number(&sv, &sign, rest) == 0 && sign >= 0 &&
		    sign <= 4294967295.0 &&
		    (((uint64_t)sign >> f->sign_bit) & 1))
			*out = -*out;
	}
	return 0;
}

/*
 * Masses: a unit in the payload (a suffix such as "4.75吨", or the
 * profile's unit field) wins over the profile's fixed unit; "infer" is
 * the last resort and refuses the ambiguous middle.
 */
static int
conv_mass(struct dec *d, const struct pf_field *f, const char *name,
    struct val *v, double *out)
{
	struct val uv;
	const char *unit = f->unit ? f->unit : "kg";
	char rest[32];
	double n;

	*out = NAN;
	if (v->t == V_NONE || v->t == V_NULL)
		return 0;
	if (val_number(v, &n, rest) == -1)
		return fail(d, "bad_type", "\"%s\": \"%.32s\" is not a number",
		    name, decode_val_text(v) ? decode_val_text(v) : "?");
	if (f->unit_src.kind != PF_SRC_NONE) {
		if (decode_get_src(d, &f->unit_src, NULL, &uv) == -1)
			return -1;
		if (uv.t == V_STR)
			unit = uv.s;
	}
	if (rest[0] != '\0')
		unit = rest;
	if (strcmp(unit, "infer") == 0) {
		/* (0.1, 40) is t, [1000, 40000) kg; 40..1000 could be
		 * either. */
		if (n > 0.1 && n < 40)
			unit = "t";
		else if (n >= 1000 && n < 40000)
			unit = "kg";
		else
			return fail(d, "bad_unit",
			    "\"%s\": %g has no unit and "
			    "could be kg or t",
			    name, n);
		d->e->dq |= DQ_UNIT_INFERRED;
	}
	if (f->scale != 0)
		n *= f->scale;
	if (norm_mass_kg(n, unit, out) == -1)
		return fail(d, n < 0 ? "bad_value" : "bad_unit",
		    "\"%s\": %g %s "
		    "is not a mass",
		    name, n, unit);
	/* To the gram: 4.77 t is 4770 kg, not 4769.999999999999. (Not
	 * where grams overflow: 1e306 kg must not become infinite.) */
	if (isfinite(*out * 1000))
		*out = round(*out * 1000) / 1000;
	return 0;
}

/* "YYYYMMDD" + "HHMMSS" or BCD "YYMMDDhhmmss" to "YYYY-MM-DD HH:MM:SS". */
static int
compact_time(const char *date, const char *tod, char *out, size_t n)
{
	if (strlen(date) != 8 || strlen(tod) != 6 ||
	    strspn(date, "0123456789") != 8 || strspn(tod, "0123456789") != 6)
		return -1;
	snprintf(out, n, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", date, date + 4,
	    date + 6, tod, tod + 2, tod + 4);
	return 0;
}

static int
conv_time(struct dec *d, const struct pf_field *f, const char *name,
    struct val *v, int64_t *out)
{
	char buf[64], date[16];
	const char *s;
	struct val dv;
	uint32_t dq = 0;
	double n;
	int rc = 0;

	*out = WT_NOTIME;
	if (v->t == V_NONE || v->t == V_NULL)
		return 0;
	s = decode_val_text(v);
	switch (f->time) {
	case PF_TIME_EPOCH_S:
	case PF_TIME_EPOCH_MS:
		rc = val_number(v, &n, buf) == -1 || buf[0] != '\0'
		    ? -1
		    : norm_epoch(f->time == PF_TIME_EPOCH_S
			      ? n
			      : n / 1000.0 * (n < 1e11 ? 1000.0 : 1.0),
			  out);
		break;
	case PF_TIME_COMPACT:
		if (decode_get_src(d, &f->date, NULL, &dv) == -1)
			return -1;
		rc = dv.t != V_STR ||
			compact_time(dv.s, s, buf, sizeof(buf)) == -1
		    ? -1
		    : norm_time(buf, d->p->local_offset_min, out, &dq);
		break;
	case PF_TIME_BCD:
		snprintf(date, sizeof(date), "20%.6s", s);
		rc = strlen(s) != 12 ||
			compact_time(date, s + 6, buf, sizeof(buf)) == -1
		    ? -1
		    : norm_time(buf, d->p->local_offset_min, out, &dq);
		break;
	case PF_TIME_AUTO:
	case PF_TIME_RFC3339:
	case PF_TIME_LOCAL:
		rc = v->t == V_NUM
		    ? norm_epoch(v->num, out)
		    : norm_time(s, d->p->local_offset_min, out, &dq);
		break;
	}
	if (rc == -1)
		return fail(d, "bad_time", "\"%s\": cannot read time \"%.40s\"",
		    name, s ? s : "?");
	/* Compact and BCD times are naive local by definition. */
	if (f->time == PF_TIME_COMPACT || f->time == PF_TIME_BCD)
		dq |= DQ_TZ_ASSUMED;
	d->e->dq |= dq;
	if (*out > d->ctx->received_ms + d->ctx->future_tolerance_ms) {
		d->e->dq |= DQ_FUTURE_TS;
		return fail(d, "future_ts", "\"%s\" is %lld s in the future",
		    name, (long long)((*out - d->ctx->received_ms) / 1000));
	}
	return 0;
}

/* Romanised province prefixes (JIA → 吉) come only from the profile's
 * table, longest match first: never guessed. */
static int
conv_plate(struct dec *d, const struct pf_field *f, struct val *v,
    const char **out)
{
	const char *s = decode_val_text(v), *tail = NULL, *to = NULL;
	char buf[96], canon[64];
	size_t i, best = 0;

	*out = NULL;
	if (s == NULL)
		return 0;
	for (i = 0; f->provinces != NULL && i < f->provinces->n; i++) {
		size_t len = strlen(f->provinces->from[i]);

		if (len > best && strncmp(s, f->provinces->from[i], len) == 0) {
			best = len;
			to = f->provinces->to[i];
			tail = s + len;
		}
	}
	if (to != NULL) {
		snprintf(buf, sizeof(buf), "%s%s", to, tail);
		s = buf;
		d->e->dq |= DQ_PLATE_ALIASED;
	}
	if (norm_plate(s, canon, sizeof(canon), &d->e->dq) == -1) {
		d->e->dq |= DQ_PLATE_INVALID;
		return 0;
	}
	return set_text(d, out, canon);
}

/* A topic level that names the same thing as the payload must agree. */
static void
check_topic(struct dec *d, const struct pf_field *f, const char *value)
{
	struct pf_src src = { .kind = PF_SRC_TOPIC, .name = f->check_topic };
	char canon[64];
	uint32_t dq = 0;
	struct val tv;

	if (value == NULL || decode_get_src(d, &src, NULL, &tv) == -1 ||
	    tv.t != V_STR)
		return;
	if (norm_plate(tv.s, canon, sizeof(canon), &dq) == -1)
		snprintf(canon, sizeof(canon), "%s", tv.s);
	if (strcmp(canon, value) != 0)
		d->e->dq |= DQ_TOPIC_PAYLOAD_MISMATCH;
}

static int
conv_bool(struct dec *d, const char *name, struct val *v, int64_t *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on", "是", "开",
		"有效", NULL };
	static const char *const no[] = { "0", "false", "no", "off", "否", "关",
		"无效", NULL };
	const char *s = decode_val_text(v);
	size_t i;

	*out = -1;
	if (s == NULL)
		return 0;
	for (i = 0; yes[i] != NULL; i++)
		if (strcmp(s, yes[i]) == 0)
			return (int)(*out = 1) - 1;
	for (i = 0; no[i] != NULL; i++)
		if (strcmp(s, no[i]) == 0)
			return (int)(*out = 0);
	return fail(d, "bad_value", "\"%s\": \"%.32s\" is not yes or no", name,
	    s);
}

static int
conv_enum(struct dec *d, const struct pf_canon *c, struct val *v,
    const char **out)
{
	const char *s = decode_val_text(v);
	size_t i;

	*out = NULL;
	if (s == NULL)
		return 0;
	for (i = 0; c->vocab[i] != NULL; i++)
		if (strcmp(s, c->vocab[i]) == 0) {
			*out = c->vocab[i];
			return 0;
		}
	return fail(d, "bad_value", "\"%s\": unknown value \"%.64s\"", c->name,
	    s);
}

/* Convert one field into its slot at base (the event, or a line). */
int
decode_apply_field(struct dec *d, const struct pf_canon *table,
    const struct pf_field *f, const struct json *jbase, void *base)
{
	const struct pf_canon *c = &table[f->canon];
	void *dst = slot(base, c->off);
	const char *s;
	char code[16], cat[8];
	struct val v;
	double n;

	if (resolve(d, f, jbase, &v) == -1)
		return -1;
	if (f->alt != NULL && (v.t == V_NONE || v.t == V_NULL))
		return decode_apply_field(d, table, f->alt, jbase, base);
	if (f->required && (v.t == V_NONE || v.t == V_NULL))
		return fail(d, "missing_field", "\"%s\" is required", c->name);
	switch (c->type) {
	case PF_T_NUM:
		return conv_num(d, f, c->name, &v, (double *)dst);
	case PF_T_MASS:
		return conv_mass(d, f, c->name, &v, (double *)dst);
	case PF_T_TIME:
		return conv_time(d, f, c->name, &v, (int64_t *)dst);
	case PF_T_INT:
		if (conv_num(d, f, c->name, &v, &n) == -1)
			return -1;
		if (!isnan(n) && (n != floor(n) || n < 0 || n > 1e9))
			return fail(d, "bad_value",
			    "\"%s\" must be a whole "
			    "number",
			    c->name);
		*(int64_t *)dst = isnan(n) ? -1 : (int64_t)n;
		return 0;
	case PF_T_BOOL:
		return conv_bool(d, c->name, &v, (int64_t *)dst);
	case PF_T_ENUM:
		return conv_enum(d, c, &v, (const char **)dst);
	case PF_T_PLATE:
		if (conv_plate(d, f, &v, (const char **)dst) == -1)
			return -1;
		if (f->check_topic != NULL)
			check_topic(d, f, *(const char **)dst);
		return 0;
	case PF_T_WASTE:
		if ((s = decode_val_text(&v)) == NULL)
			return 0;
		*(const char **)dst = norm_waste(s) ? norm_waste(s) : "unknown";
		return 0;
	case PF_T_HWCODE:
		if ((s = decode_val_text(&v)) == NULL)
			return 0;
		if (norm_hw_code(s, code, cat) == -1)
			return fail(d, "bad_value",
			    "\"%s\": \"%.32s\" is not a "
			    "hazardous-waste code",
			    c->name, s);
		return set_text(d, dst, code);
	case PF_T_TEXT:
		if ((s = decode_val_text(&v)) == NULL)
			return 0;
		if (f->check_topic != NULL)
			check_topic(d, f, s);
		return set_text(d, dst, s);
	}
	return 0;
}

/* Required values that the message did not carry. */
int
decode_check_present(struct dec *d, const struct pf_canon *table, size_t n,
    const char *const *names, const void *base)
{
	size_t i, k;

	for (k = 0; names[k] != NULL; k++)
		for (i = 0; i < n; i++) {
			const void *p = (const char *)base + table[i].off;
			int missing;

			if (strcmp(table[i].name, names[k]) != 0)
				continue;
			switch (table[i].type) {
			case PF_T_NUM:
			case PF_T_MASS:
				missing = isnan(*(const double *)p);
				break;
			case PF_T_TIME:
				missing = *(const int64_t *)p == WT_NOTIME;
				break;
			case PF_T_INT:
			case PF_T_BOOL:
				missing = *(const int64_t *)p == -1;
				break;
			case PF_T_TEXT:
			case PF_T_PLATE:
			case PF_T_WASTE:
			case PF_T_ENUM:
			case PF_T_HWCODE:
			default:
				missing = *(const char *const *)p == NULL;
				break;
			}
			if (missing)
				return fail(d, "missing_field",
				    "\"%s\" is "
				    "required",
				    names[k]);
		}
	return 0;
}
