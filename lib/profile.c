/* profile: see profile.h and docs/profiles.md. */
#include "profile.h"

#include "diag.h"
#include "norm.h"
#include "topic.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- error collection and memory ---- */

struct cc { /* one compilation */
	struct diag diag;
	struct profile *p; /* the profile being compiled */
};

static void cerr(struct cc *c, const struct cfg_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cerr(struct cc *c, const struct cfg_pos *pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	/* Messages quote keys and values from the file: 511 bytes of one
	 * are enough to find it, and keep a hostile file's output bounded. */
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_at(&c->diag, pos->file, (size_t)pos->line, (size_t)pos->col, "%s",
	    msg);
}

/*
 * Allocation failure is recorded in the diagnostics (the compilation then
 * fails with "out of memory") and the caller leaves the structure it was
 * filling incomplete but freeable.
 */
static char *
cstrdup(struct cc *c, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		diag_nomem(&c->diag);
	return p;
}

static void *
ccalloc(struct cc *c, size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size)) == NULL)
		diag_nomem(&c->diag);
	return p;
}

/* ---- small readers over cfg_node ---- */

static const char *
scalar(struct cc *c, const struct cfg_node *n, const char *what)
{
	if (n->type != CFG_NODE_SCALAR) {
		cerr(c, &n->pos, "\"%s\" must be a scalar", what);
		return NULL;
	}
	return n->value;
}

static int
parse_int(struct cc *c, const struct cfg_node *n, const char *what, long min,
    long max, int *out)
{
	const char *s = scalar(c, n, what);
	char *end;
	long v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		cerr(c, &n->pos,
		    "\"%s\" must be an integer between %ld and %ld", what, min,
		    max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
parse_double(struct cc *c, const struct cfg_node *n, const char *what,
    double *out)
{
	const char *s = scalar(c, n, what);
	char *end;

	if (s == NULL)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || *out == 0) {
		cerr(c, &n->pos, "\"%s\" must be a non-zero number", what);
		return -1;
	}
	return 0;
}

/* Index of s in words (NULL-terminated), or -1 with an error. */
static int
parse_word(struct cc *c, const struct cfg_node *n, const char *what,
    const char *const *words)
{
	const char *s = scalar(c, n, what);
	char list[256] = "";
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(s, words[i]) == 0)
			return (int)i;
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i ? ", " : "", words[i]);
	}
	cerr(c, &n->pos, "\"%s\" must be one of: %s", what, list);
	return -1;
}

/* Keys of map m must be among allowed (NULL-terminated). */
static void
check_keys(struct cc *c, const struct cfg_node *m, const char *where,
    const char *const *allowed)
{
	size_t i, k;

	for (i = 0; i < m->n; i++) {
		for (k = 0; allowed[k] != NULL; k++)
			if (strcmp(m->keys[i], allowed[k]) == 0)
				break;
		if (allowed[k] == NULL)
			cerr(c, &m->key_pos[i], "unknown key \"%s\" in %s",
			    m->keys[i], where);
	}
}

/* ---- code tables ---- */

/* -1 when out of memory; t is freeable with table_free() either way. */
static int
table_from_map(struct cc *c, const struct cfg_node *m, const char *name,
    struct pf_table *t)
{
	const char *v;
	char *from, *to;
	size_t i;

	if ((t->name = cstrdup(c, name)) == NULL ||
	    (t->from = ccalloc(c, m->n, sizeof(char *))) == NULL ||
	    (t->to = ccalloc(c, m->n, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		v = scalar(c, m->children[i], m->keys[i]);
		from = cstrdup(c, m->keys[i]);
		to = cstrdup(c, v ? v : "");
		if (from == NULL || to == NULL) {
			free(from);
			free(to);
			return -1;
		}
		t->from[t->n] = from;
		t->to[t->n++] = to;
	}
	return 0;
}

static void
table_free(struct pf_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->from[i]);
		free(t->to[i]);
	}
	free(t->from);
	free(t->to);
	free(t->name);
}

static void
compile_tables(struct cc *c, const struct cfg_node *m)
{
	size_t i;

	if (m->type != CFG_NODE_MAP) {
		cerr(c, &m->pos, "\"tables\" must be a mapping");
		return;
	}
	if ((c->p->tables = ccalloc(c, m->n, sizeof(struct pf_table))) == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		/* The empty name marks inline tables, which field_free()
		 * frees: a named one must not be taken for one. */
		if (m->keys[i][0] == '\0') {
			cerr(c, &m->key_pos[i], "a table needs a name");
			continue;
		}
		if (m->children[i]->type != CFG_NODE_MAP) {
			cerr(c, &m->children[i]->pos,
			    "table \"%s\" must be a "
			    "mapping",
			    m->keys[i]);
			continue;
		}
		/* Kept even when incomplete, so that one free covers it. */
		if (table_from_map(c, m->children[i], m->keys[i],
			&c->p->tables[c->p->ntables++]) == -1)
			return;
	}
}

/* A named table of the profile, or an inline one (owned by the field:
 * kept in the profile's table list so one free covers both). */
static const struct pf_table *
table_ref(struct cc *c, const struct cfg_node *n, const char *what)
{
	struct pf_table *t;
	size_t i;

	if (n->type == CFG_NODE_SCALAR) {
		/* A NULL name: that table ran out of memory. */
		for (i = 0; i < c->p->ntables; i++)
			if (c->p->tables[i].name != NULL &&
			    strcmp(c->p->tables[i].name, n->value) == 0)
				return &c->p->tables[i];
		cerr(c, &n->pos, "unknown table \"%s\"", n->value);
		return NULL;
	}
	if (n->type != CFG_NODE_MAP) {
		cerr(c, &n->pos, "\"%s\" must be a table name or a mapping",
		    what);
		return NULL;
	}
	/* Inline tables live in a separate chain so named lookups stay
	 * fast and pointers into tables[] never move. */
	if ((t = ccalloc(c, 1, sizeof(*t))) == NULL)
		return NULL;
	if (table_from_map(c, n, "", t) == -1) {
		table_free(t);
		free(t);
		return NULL;
	}
	return t;
}

/* ---- sources ---- */

static void
src_free(struct pf_src *s)
{
	size_t i;

	for (i = 0; i < s->nseg; i++)
		free(s->seg[i]);
	free(s->seg);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

/* The segments of a dotted JSON path; out of memory, only those made. */
static void
src_path(struct cc *c, struct pf_src *s, const char *path)
{
	const char *p = path, *dot;
	size_t n = 1;
	char *seg;

	s->kind = PF_SRC_PATH;
	for (dot = path; (dot = strchr(dot, '.')) != NULL; dot++)
		n++;
	if ((s->seg = ccalloc(c, n, sizeof(char *))) == NULL)
		return;
	for (;; p = dot + 1) {
		dot = strchr(p, '.');
		seg = dot ? strndup(p, (size_t)(dot - p)) : strdup(p);
		if (seg == NULL) {
			diag_nomem(&c->diag);
			return;
		}
		s->seg[s->nseg++] = seg;
		if (dot == NULL)
			break;
	}
}

/* The capture names of a topic pattern, checked against a name. */
static int
topic_has_capture(const char *pattern, const char *name)
{
	char want[128];

	snprintf(want, sizeof(want), "{%s}", name);
	return strstr(pattern, want) != NULL;
}

/*
 * key is "path"/"field"/"topic"/"value" (or a prefix form such as
 * "unit_path"); n its node. Returns 0 when the key named a source.
 */
static int
src_parse(struct cc *c, const char *key, const char *prefix,
    const struct cfg_node *n, const char *topic, struct pf_src *s)
{
	char k[64];
	int v;

	snprintf(k, sizeof(k), "%spath", prefix);
	if (strcmp(key, k) == 0) {
		if (scalar(c, n, key) != NULL)
			src_path(c, s, n->value);
		return 0;
	}
	snprintf(k, sizeof(k), "%sfield", prefix);
	if (strcmp(key, k) == 0) {
		/* The source is named even when it is wrong, as for topic:
		 * one mistake, one error ("needs one of path..." would
		 * follow otherwise). */
		s->kind = PF_SRC_FIELD;
		if (c->p->format != PF_DELIMITED)
			cerr(c, &n->pos, "\"%s\" needs format: delimited", key);
		else if (parse_int(c, n, key, 1, 1000, &v) == 0)
			s->field = v;
		return 0;
	}
	snprintf(k, sizeof(k), "%stopic", prefix);
	if (strcmp(key, k) == 0) {
		if (scalar(c, n, key) == NULL)
			return 0;
		if (topic == NULL || !topic_has_capture(topic, n->value))
			cerr(c, &n->pos,
			    "the topic pattern has no capture "
			    "\"{%s}\"",
			    n->value);
		s->kind = PF_SRC_TOPIC;
		free(s->name); /* topic and value both given */
		s->name = cstrdup(c, n->value);
		return 0;
	}
	snprintf(k, sizeof(k), "%svalue", prefix);
	if (strcmp(key, k) == 0) {
		if (scalar(c, n, key) != NULL) {
			s->kind = PF_SRC_VALUE;
			free(s->name); /* topic and value both given */
			s->name = cstrdup(c, n->value);
		}
		return 0;
	}
	return -1;
}

/* Shorthand: a bare scalar is a JSON path, or a field number. */
static void
src_shorthand(struct cc *c, const struct cfg_node *n, struct pf_src *s)
{
	int v;

	if (c->p->format == PF_DELIMITED) {
		if (parse_int(c, n, "field", 1, 1000, &v) == 0) {
			s->kind = PF_SRC_FIELD;
			s->field = v;
		}
	} else
		src_path(c, s, n->value);
}

/* ---- fields ---- */

static const char *const field_keys[] = { "path", "field", "topic", "value",
	"map", "scale", "unit", "unit_path", "unit_field", "time", "date_path",
	"date_field", "bits", "sign_path", "sign_field", "sign_bit",
	"provinces", "check_topic", "required", "unmapped", "else", NULL };

static const char *const time_words[] = { "auto", "rfc3339", "local", "compact",
	"bcd", "epoch_s", "epoch_ms", NULL };

static void
field_free(struct pf_field *f)
{
	src_free(&f->src);
	src_free(&f->date);
	src_free(&f->unit_src);
	src_free(&f->sign_src);
	free(f->unit);
	free(f->check_topic);
	/* Inline tables (no name) belong to the field. */
	if (f->map != NULL && f->map->name[0] == '\0') {
		table_free((struct pf_table *)(uintptr_t)f->map);
		free((void *)(uintptr_t)f->map);
	}
	if (f->provinces != NULL && f->provinces->name[0] == '\0') {
		table_free((struct pf_table *)(uintptr_t)f->provinces);
		free((void *)(uintptr_t)f->provinces);
	}
	if (f->alt != NULL) {
		field_free(f->alt);
		free(f->alt);
	}
}

/* Map targets must be values the canonical field accepts. */
static void
check_map_targets(struct cc *c, const struct cfg_node *n,
    const struct pf_canon *canon, const struct pf_table *t)
{
	size_t i, k;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		const char *to = t->to[i];

		if (canon->type == PF_T_WASTE && !norm_waste_is_canonical(to))
			cerr(c, &n->pos,
			    "table maps \"%s\" to \"%s\", which is "
			    "not a waste category",
			    t->from[i], to);
		if (canon->type != PF_T_ENUM)
			continue;
		for (k = 0; canon->vocab[k] != NULL; k++)
			if (strcmp(canon->vocab[k], to) == 0)
				break;
		if (canon->vocab[k] == NULL)
			cerr(c, &n->pos,
			    "table maps \"%s\" to \"%s\", not a "
			    "value of \"%s\"",
			    t->from[i], to, canon->name);
	}
}

static void compile_field(struct cc *, const struct pf_canon *, int,
    const struct cfg_node *, const char *, struct pf_field *);

static void
field_option(struct cc *c, struct pf_field *f, const struct pf_canon *canon,
    const char *key, const struct cfg_node *v, const char *topic)
{
	static const char *const unmapped[] = { "reject", "null", "keep",
		NULL };
	int i;

	if (src_parse(c, key, "", v, topic, &f->src) == 0 ||
	    src_parse(c, key, "unit_", v, topic, &f->unit_src) == 0 ||
	    src_parse(c, key, "date_", v, topic, &f->date) == 0 ||
	    src_parse(c, key, "sign_", v, topic, &f->sign_src) == 0)
		return;
	if (strcmp(key, "map") == 0) {
		f->map = table_ref(c, v, canon->name);
		check_map_targets(c, v, canon, f->map);
	} else if (strcmp(key, "provinces") == 0)
		f->provinces = table_ref(c, v, "provinces");
	else if (strcmp(key, "scale") == 0)
		(void)parse_double(c, v, key, &f->scale);
	else if (strcmp(key, "unit") == 0 && scalar(c, v, key) != NULL) {
		double kg;

		if (strcmp(v->value, "infer") != 0 &&
		    norm_mass_kg(1, v->value, &kg) == -1)
			cerr(c, &v->pos, "unknown unit \"%s\"", v->value);
		f->unit = cstrdup(c, v->value);
	} else if (strcmp(key, "time") == 0) {
		if ((i = parse_word(c, v, key, time_words)) >= 0)
			f->time = (enum pf_time)i;
	} else if (strcmp(key, "bits") == 0) {
		/* One error per mistake: parse_int() reports a bad bound. */
		if (v->type != CFG_NODE_LIST || v->n != 2 ||
		    (parse_int(c, v->children[0], "bits", 0, 31, &f->bit_lo) ==
			    0 &&
			parse_int(c, v->children[1], "bits", 0, 31,
			    &f->bit_hi) == 0 &&
			f->bit_lo > f->bit_hi))
			cerr(c, &v->pos,
			    "\"bits\" must be [low, high] within "
			    "0..31");
	} else if (strcmp(key, "sign_bit") == 0)
		(void)parse_int(c, v, key, 0, 31, &f->sign_bit);
	else if (strcmp(key, "check_topic") == 0 && scalar(c, v, key)) {
		if (topic == NULL || !topic_has_capture(topic, v->value))
			cerr(c, &v->pos,
			    "the topic pattern has no capture "
			    "\"{%s}\"",
			    v->value);
		f->check_topic = cstrdup(c, v->value);
	} else if (strcmp(key, "required") == 0 && scalar(c, v, key))
		f->required = strcmp(v->value, "true") == 0 ||
		    strcmp(v->value, "yes") == 0;
	else if (strcmp(key, "unmapped") == 0) {
		if ((i = parse_word(c, v, key, unmapped)) >= 0)
			f->unmapped = i;
	} else if (strcmp(key, "else") == 0) {
		if ((f->alt = ccalloc(c, 1, sizeof(*f->alt))) != NULL)
			compile_field(c, canon, f->canon, v, topic, f->alt);
	}
}

static void
compile_field(struct cc *c, const struct pf_canon *canon, int idx,
    const struct cfg_node *n, const char *topic, struct pf_field *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->canon = idx;
	f->bit_lo = f->bit_hi = -1;
	f->sign_bit = -1;
	if (n->type == CFG_NODE_SCALAR) {
		src_shorthand(c, n, &f->src);
		return;
	}
	if (n->type != CFG_NODE_MAP) {
		cerr(c, &n->pos, "field \"%s\" must be a path or a mapping",
		    canon->name);
		return;
	}
	check_keys(c, n, canon->name, field_keys);
	for (i = 0; i < n->n; i++)
		field_option(c, f, canon, n->keys[i], n->children[i], topic);
	if (f->src.kind == PF_SRC_NONE)
		cerr(c, &n->pos,
		    "field \"%s\" needs one of path, field, topic "
		    "or value",
		    canon->name);
	/* A constant outside the vocabulary would reject every message. */
	if (f->src.kind == PF_SRC_VALUE && canon->type == PF_T_ENUM &&
	    f->map == NULL) {
		for (i = 0; canon->vocab[i] != NULL; i++)
			if (strcmp(canon->vocab[i], f->src.name) == 0)
				break;
		if (canon->vocab[i] == NULL)
			cerr(c, &cfg_node_get(n, "value")->pos,
			    "\"%s\" is not a value of \"%s\"", f->src.name,
			    canon->name);
	}
	if (f->time == PF_TIME_COMPACT && f->date.kind == PF_SRC_NONE)
		cerr(c, &n->pos, "time: compact needs date_path or date_field");
	if (f->sign_src.kind != PF_SRC_NONE && f->sign_bit < 0 &&
	    cfg_node_get(n, "sign_bit") == NULL)
		cerr(c, &n->pos, "a sign source needs sign_bit");
}

/* ---- kinds ---- */

static const char *const kind_words[] = { "position", "vehicle_event",
	"weighing", "facility_status", "manifest", "device_binding", NULL };
static const enum ev_kind kind_ev[] = { EV_POSITION, EV_VEHICLE_EVENT,
	EV_WEIGHING, EV_FACILITY_STATUS, EV_MANIFEST, EV_DEVICE_BINDING };
static const char *const kind_keys[] = { "kind", "topic", "when", "fields",
	NULL };

static int
canon_index(const struct pf_canon *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
kind_has(const struct pf_kind *k, const struct pf_canon *t, const char *name)
{
	size_t i;

	for (i = 0; i < k->nfields; i++)
		if (strcmp(t[k->fields[i].canon].name, name) == 0)
			return 1;
	return 0;
}

static void
compile_lines(struct cc *c, struct pf_kind *k, const struct cfg_node *n)
{
	static const char *const keys[] = { "path", "fields", NULL };
	const struct cfg_node *path = cfg_node_get(n, "path");
	const struct cfg_node *fields = cfg_node_get(n, "fields");
	const struct pf_canon *lc;
	size_t i, nlc;
	int idx;

	if (n->type != CFG_NODE_MAP || path == NULL || fields == NULL ||
	    fields->type != CFG_NODE_MAP || scalar(c, path, "path") == NULL) {
		cerr(c, &n->pos,
		    "\"lines\" must be a mapping with path and "
		    "fields");
		return;
	}
	check_keys(c, n, "lines", keys);
	src_path(c, &k->lines, path->value);
	lc = profile_line_canon(&nlc);
	if ((k->line_fields = ccalloc(c, fields->n, sizeof(struct pf_field))) ==
	    NULL)
		return;
	for (i = 0; i < fields->n; i++) {
		if ((idx = canon_index(lc, nlc, fields->keys[i])) < 0) {
			cerr(c, &fields->key_pos[i],
			    "unknown line field \"%s\"", fields->keys[i]);
			continue;
		}
		compile_field(c, &lc[idx], idx, fields->children[i], NULL,
		    &k->line_fields[k->nline_fields++]);
	}
}

static void
compile_fields(struct cc *c, struct pf_kind *k, const struct cfg_node *n)
{
	const struct pf_canon *t;
	size_t i, nt;
	int idx;

	t = profile_canon(k->kind, &nt);
	if ((k->fields = ccalloc(c, n->n, sizeof(struct pf_field))) == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		if (k->kind == EV_MANIFEST &&
		    strcmp(n->keys[i], "lines") == 0) {
			compile_lines(c, k, n->children[i]);
			continue;
		}
		if ((idx = canon_index(t, nt, n->keys[i])) < 0) {
			cerr(c, &n->key_pos[i],
			    "unknown field \"%s\" for this "
			    "kind",
			    n->keys[i]);
			continue;
		}
		compile_field(c, &t[idx], idx, n->children[i], k->topic,
		    &k->fields[k->nfields++]);
	}
}

static void
check_required(struct cc *c, const struct pf_kind *k, const struct cfg_pos *pos)
{
	const char *const *req = profile_required(k->kind);
	const struct pf_canon *t;
	size_t i, nt;

	t = profile_canon(k->kind, &nt);
	for (i = 0; req[i] != NULL; i++)
		if (!kind_has(k, t, req[i]))
			cerr(c, pos, "this kind needs field \"%s\"", req[i]);
	if (k->kind == EV_POSITION && !kind_has(k, t, "vehicle") &&
	    !kind_has(k, t, "device"))
		cerr(c, pos,
		    "a position needs field \"vehicle\" or \"device\"");
}

/* when: {path|field|topic: ..., equals: "512"} picks one kind among several
 * sharing a topic. */
static void
compile_when(struct cc *c, const struct cfg_node *n, struct pf_kind *k)
{
	static const char *const keys[] = { "path", "field", "topic", "equals",
		NULL };
	const struct cfg_node *eq = cfg_node_get(n, "equals");
	size_t i;

	if (n->type != CFG_NODE_MAP || eq == NULL ||
	    scalar(c, eq, "equals") == NULL) {
		cerr(c, &n->pos,
		    "\"when\" must be a mapping with a source and "
		    "equals");
		return;
	}
	check_keys(c, n, "when", keys);
	for (i = 0; i < n->n; i++)
		(void)src_parse(c, n->keys[i], "", n->children[i], k->topic,
		    &k->when);
	if (k->when.kind == PF_SRC_NONE)
		cerr(c, &n->pos, "\"when\" needs path, field or topic");
	k->when_equals = cstrdup(c, eq->value);
}

static void
compile_kind(struct cc *c, const struct cfg_node *n, struct pf_kind *k)
{
	const struct cfg_node *v;
	int i;

	if (n->type != CFG_NODE_MAP) {
		cerr(c, &n->pos, "each item of \"kinds\" must be a mapping");
		return;
	}
	check_keys(c, n, "kind", kind_keys);
	if ((v = cfg_node_get(n, "kind")) == NULL ||
	    (i = parse_word(c, v, "kind", kind_words)) < 0) {
		if (v == NULL)
			cerr(c, &n->pos, "missing required key \"kind\"");
		return;
	}
	k->kind = kind_ev[i];
	if ((v = cfg_node_get(n, "topic")) == NULL ||
	    scalar(c, v, "topic") == NULL) {
		if (v == NULL)
			cerr(c, &n->pos, "missing required key \"topic\"");
		return;
	}
	if ((k->topic = cstrdup(c, v->value)) == NULL)
		return;
	if ((v = cfg_node_get(n, "when")) != NULL)
		compile_when(c, v, k);
	if ((v = cfg_node_get(n, "fields")) == NULL ||
	    v->type != CFG_NODE_MAP) {
		cerr(c, v ? &v->pos : &n->pos, "\"fields\" must be a mapping");
		return;
	}
	compile_fields(c, k, v);
	check_required(c, k, &n->pos);
}

/* ---- profiles ---- */

static const char *const profile_keys[] = { "name", "format", "encoding",
	"local_offset", "coord_sys", "separator", "record_separator",
	"checksum_field", "tables", "kinds", NULL };

static void
compile_options(struct cc *c, const struct cfg_node *n)
{
	static const char *const formats[] = { "json", "delimited", NULL };
	static const char *const encodings[] = { "utf-8", "gbk", "auto", NULL };
	struct profile *p = c->p;
	const struct cfg_node *v;
	int i;

	if ((v = cfg_node_get(n, "format")) != NULL &&
	    (i = parse_word(c, v, "format", formats)) >= 0)
		p->format = (enum pf_format)i;
	if ((v = cfg_node_get(n, "encoding")) != NULL &&
	    (i = parse_word(c, v, "encoding", encodings)) >= 0)
		p->encoding = (enum pf_encoding)i;
	if ((v = cfg_node_get(n, "local_offset")) != NULL &&
	    scalar(c, v, "local_offset") != NULL) {
		if (norm_offset(v->value, &p->local_offset_min) == -1)
			cerr(c, &v->pos, "invalid offset \"%s\"", v->value);
		p->has_offset = 1;
	}
	if ((v = cfg_node_get(n, "coord_sys")) != NULL &&
	    scalar(c, v, "coord_sys") != NULL &&
	    geo_parse_sys(v->value, &p->coord_sys) == -1)
		cerr(c, &v->pos, "\"coord_sys\" must be wgs84, gcj02 or bd09");
	p->separator = ';';
	if ((v = cfg_node_get(n, "separator")) != NULL &&
	    scalar(c, v, "separator") != NULL) {
		if (strlen(v->value) != 1)
			cerr(c, &v->pos, "\"separator\" must be one character");
		p->separator = v->value[0];
	}
	if ((v = cfg_node_get(n, "record_separator")) != NULL &&
	    scalar(c, v, "record_separator") != NULL)
		p->record_separator = cstrdup(c, v->value);
	if ((v = cfg_node_get(n, "checksum_field")) != NULL)
		(void)parse_int(c, v, "checksum_field", 1, 1000,
		    &p->checksum_field);
	if (p->format != PF_DELIMITED &&
	    (cfg_node_get(n, "separator") ||
		cfg_node_get(n, "record_separator") ||
		cfg_node_get(n, "checksum_field")))
		cerr(c, &n->pos,
		    "separator, record_separator and "
		    "checksum_field need format: delimited");
}

static void
compile_profile(struct cc *c, const struct cfg_node *n, int default_offset)
{
	struct profile *p = c->p;
	const struct cfg_node *v;
	size_t i;

	check_keys(c, n, "profile", profile_keys);
	if ((p->name = cstrdup(c, cfg_node_get(n, "name")->value)) == NULL)
		return;
	p->local_offset_min = default_offset;
	compile_options(c, n);
	if ((v = cfg_node_get(n, "tables")) != NULL)
		compile_tables(c, v);
	if ((v = cfg_node_get(n, "kinds")) == NULL ||
	    v->type != CFG_NODE_LIST || v->n == 0) {
		cerr(c, v ? &v->pos : &n->pos,
		    "\"kinds\" must be a non-empty "
		    "list");
		return;
	}
	if ((p->kinds = ccalloc(c, v->n, sizeof(struct pf_kind))) == NULL)
		return;
	for (i = 0; i < v->n; i++)
		compile_kind(c, v->children[i], &p->kinds[p->nkinds++]);
}

static void
kind_free(struct pf_kind *k)
{
	size_t i;

	for (i = 0; i < k->nfields; i++)
		field_free(&k->fields[i]);
	for (i = 0; i < k->nline_fields; i++)
		field_free(&k->line_fields[i]);
	free(k->fields);
	free(k->line_fields);
	src_free(&k->when);
	src_free(&k->lines);
	free(k->when_equals);
	free(k->topic);
}

static void
profile_free(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nkinds; i++)
		kind_free(&p->kinds[i]);
	free(p->kinds);
	for (i = 0; i < p->ntables; i++)
		table_free(&p->tables[i]);
	free(p->tables);
	free(p->record_separator);
	free(p->name);
}

void
profile_set_free(struct profile_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		profile_free(&set->p[i]);
	free(set->p);
	free(set);
}

int
profile_compile(const struct config *cfg, struct profile_set **out,
    char **errors)
{
	struct profile_set *set = NULL;
	struct cc c;
	size_t i;

	*out = NULL;
	*errors = NULL;
	memset(&c, 0, sizeof(c));
	diag_init(&c.diag);
	if ((set = ccalloc(&c, 1, sizeof(*set))) == NULL ||
	    (set->p = ccalloc(&c, cfg->nprofiles, sizeof(struct profile))) ==
		NULL)
		goto fail;
	for (i = 0; i < cfg->nprofiles; i++) {
		c.p = &set->p[set->n++];
		compile_profile(&c, cfg->profiles[i],
		    cfg->time.local_offset_min);
	}
	if (diag_count(&c.diag) > 0)
		goto fail;
	*out = set;
	return 0;

fail:
	profile_set_free(set);
	*errors = diag_take(&c.diag);
	return -1;
}

const struct profile *
profile_find(const struct profile_set *set, const char *name)
{
	size_t i;

	for (i = 0; set != NULL && i < set->n; i++)
		if (strcmp(set->p[i].name, name) == 0)
			return &set->p[i];
	return NULL;
}
