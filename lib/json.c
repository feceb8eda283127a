/*
 * json: see json.h. A strict RFC 8259 parser into one flat document.
 *
 * Why not a library: messages are a few hundred bytes and the daemon
 * parses tens of thousands a second. A general DOM (jansson) mallocs a
 * node and a hash table per value; here a parse is four growing arrays,
 * nodes refer to each other by index while they may move, and pointers
 * are fixed once at the end. Children of a container are contiguous, so
 * json_at() is O(1).
 */
#include "json.h"

#include "norm.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH    64
#define MAX_NUMBER   64 /* characters in one number token */
#define SMALL_OBJECT 16 /* duplicate keys: pairwise up to this */

struct json {
	enum json_kind kind;
	uint32_t n; /* members or elements */
	size_t key; /* offset in strs; then a pointer */
	size_t off; /* strings, number tokens: in strs;
					 * containers: in kids */
	const char *keyp;
	union {
		double num;
		int yes;
		const char *str;
		const struct json *const *kids;
	} u;
	const char *text; /* numbers: the source token, a copy */
	size_t text_len;
	struct doc *doc; /* the root's: what json_free() frees */
};

struct doc {
	struct json *nodes; /* nodes[0] is the root */
	size_t nnodes, cap_nodes;
	size_t *kids; /* node indices, per container in order */
	size_t nkids, cap_kids;
	size_t *stack; /* children of the open containers */
	size_t nstack, cap_stack;
	char *strs; /* decoded strings, NUL-terminated */
	size_t nstrs, cap_strs;
	const struct json **kidp; /* kids as pointers, after the parse */
};

struct parser {
	const char *p, *end, *start;
	struct doc *d;
	char *err;
	size_t errsz;
	int failed;
};

/* ---- growing arrays ---- */

static int
grow(void **a, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *b;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((b = realloc(*a, n * size)) == NULL)
		return -1;
	*a = b;
	*cap = n;
	return 0;
}

/* ---- errors ---- */

static int
fail(struct parser *ps, const char *what)
{
	const char *q;
	int line = 1, col = 1;

	if (ps->failed)
		return -1;
	ps->failed = 1;
	for (q = ps->start; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(ps->err, ps->errsz, "line %d col %d: %s", line, col, what);
	return -1;
}

/* ---- the grammar ---- */

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	    (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
		*ps->p == '\r'))
		ps->p++;
}

static long
new_node(struct parser *ps, enum json_kind kind)
{
	struct doc *d = ps->d;
	struct json *v;

	if (grow((void **)&d->nodes, &d->cap_nodes, d->nnodes + 1,
		sizeof(*d->nodes)) == -1)
		return fail(ps, "out of memory");
	v = &d->nodes[d->nnodes];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->key = SIZE_MAX;
	return (long)d->nnodes++;
}

static int
put_str(struct parser *ps, const char *s, size_t n)
{
	struct doc *d = ps->d;

	if (grow((void **)&d->strs, &d->cap_strs, d->nstrs + n + 1, 1) == -1)
		return fail(ps, "out of memory");
	memcpy(d->strs + d->nstrs, s, n);
	d->nstrs += n;
	return 0;
}

static int
put_utf8(struct parser *ps, uint32_t c)
{
	char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return put_str(ps, b, n);
}

static int
hex4(struct parser *ps, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (ps->end - ps->p < 4)
		return fail(ps, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail(ps, "invalid \\u escape");
	}
	*out = v;
	return 0;
}

/* \uXXXX, with a surrogate pair as one code point; never NUL. */
static int
unicode_escape(struct parser *ps)
{
	uint32_t c, lo;

	if (hex4(ps, &c) == -1)
		return -1;
	if (c >= 0xdc00 && c <= 0xdfff)
		return fail(ps, "lone low surrogate in \\u escape");
	if (c >= 0xd800 && c <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return fail(ps, "high surrogate without its pair");
		ps->p += 2;
		if (hex4(ps, &lo) == -1)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(ps, "high surrogate without its pair");
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (c == 0)
		return fail(ps, "\\u0000 is not allowed");
	return put_utf8(ps, c);
}

static int
escape(struct parser *ps)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;

	if (ps->p >= ps->end)
		return fail(ps, "truncated escape");
	if (*ps->p == 'u') {
		ps->p++;
		return unicode_escape(ps);
	}
	if ((k = memchr(from, *ps->p, sizeof(from) - 1)) == NULL)
		return fail(ps, "invalid escape");
	ps->p++;
	return put_str(ps, &to[k - from], 1);
}

/* A string at ps->p (after the quote), decoded into strs; *off is where. */
static int
string(struct parser *ps, size_t *off)
{
	const char *run;

	unsigned char high;

	*off = ps->d->nstrs;
	for (;;) {
		run = ps->p;
		high = 0;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		    (unsigned char)*ps->p >= 0x20)
			high |= (unsigned char)*ps->p++;
		/* Only strings may hold bytes above 0x7f; a run ends at an
		 * ASCII byte, so it holds whole characters when valid. */
		if ((high & 0x80) &&
		    !norm_utf8_valid(run, (size_t)(ps->p - run)))
			return fail(ps, "invalid UTF-8");
		if (put_str(ps, run, (size_t)(ps->p - run)) == -1)
			return -1;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		if (*ps->p == '"')
			break;
		if (*ps->p != '\\')
			return fail(ps, "control character in string");
		ps->p++;
		if (escape(ps) == -1)
			return -1;
	}
	ps->p++;
	if (put_str(ps, "", 1) == -1) /* the NUL */
		return -1;
	return 0;
}

static int
digits(struct parser *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > s ? 0 : fail(ps, "invalid number");
}

static int
number(struct parser *ps, struct json *v)
{
	const char *s = ps->p;
	char buf[MAX_NUMBER + 1];
	size_t n;

	if (*ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (digits(ps) == -1)
		return -1;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (digits(ps) == -1)
			return -1;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (digits(ps) == -1)
			return -1;
	}
	if ((n = (size_t)(ps->p - s)) > MAX_NUMBER)
		return fail(ps, "number too long");
	memcpy(buf, s, n);
	buf[n] = '\0';
	v->u.num = strtod(buf, NULL);
	if (!isfinite(v->u.num))
		return fail(ps, "number out of range");
	/* The token is kept for dumps in the document's own strings: the
	 * caller's buffer may be gone by then. */
	v->off = ps->d->nstrs;
	v->text_len = n;
	return put_str(ps, buf, n + 1);
}

static int
literal(struct parser *ps, const char *word, struct json *v)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "invalid token");
	ps->p += n;
	v->u.yes = word[0] == 't';
	return 0;
}

static long value(struct parser *, int);

static int
push_child(struct parser *ps, long idx)
{
	struct doc *d = ps->d;

	if (grow((void **)&d->stack, &d->cap_stack, d->nstack + 1,
		sizeof(*d->stack)) == -1)
		return fail(ps, "out of memory");
	d->stack[d->nstack++] = (size_t)idx;
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicate keys among the members on the stack from base. */
static int
duplicate_keys(struct parser *ps, size_t base)
{
	struct doc *d = ps->d;
	size_t n = d->nstack - base, i, j;
	const char **keys;
	int dup = 0;

	if (n <= SMALL_OBJECT) {
		for (i = base; i < d->nstack; i++)
			for (j = i + 1; j < d->nstack; j++)
				if (strcmp(d->strs + d->nodes[d->stack[i]].key,
					d->strs + d->nodes[d->stack[j]].key) ==
				    0)
					return 1;
		return 0;
	}
	if ((keys = malloc(n * sizeof(*keys))) == NULL)
		return fail(ps, "out of memory");
	for (i = 0; i < n; i++)
		keys[i] = d->strs + d->nodes[d->stack[base + i]].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n && !dup; i++)
		dup = strcmp(keys[i - 1], keys[i]) == 0;
	free(keys);
	return dup;
}

/* Move the children on the stack from base into kids, in order. */
static int
close_container(struct parser *ps, long idx, size_t base)
{
	struct doc *d = ps->d;
	size_t n = d->nstack - base;

	if (grow((void **)&d->kids, &d->cap_kids, d->nkids + n,
		sizeof(*d->kids)) == -1)
		return fail(ps, "out of memory");
	if (n > 0)
		memcpy(d->kids + d->nkids, d->stack + base,
		    n * sizeof(*d->kids));
	d->nodes[idx].off = d->nkids;
	d->nodes[idx].n = (uint32_t)n;
	d->nkids += n;
	d->nstack = base;
	return 0;
}

static int
member(struct parser *ps, int depth)
{
	size_t key;
	long m;

	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "string or '}' expected");
	ps->p++;
	if (string(ps, &key) == -1)
		return -1;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return fail(ps, "':' expected");
	ps->p++;
	if ((m = value(ps, depth)) == -1)
		return -1;
	ps->d->nodes[m].key = key;
	return push_child(ps, m);
}

/* An object or array after its opening bracket. */
static int
container(struct parser *ps, long idx, int depth)
{
	int obj = ps->d->nodes[idx].kind == JSON_K_OBJ;
	char close = obj ? '}' : ']';
	size_t base = ps->d->nstack;
	long el;

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return close_container(ps, idx, base);
	}
	for (;;) {
		if (obj) {
			if (member(ps, depth) == -1)
				return -1;
		} else if ((el = value(ps, depth)) == -1 ||
		    push_child(ps, el) == -1)
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close)
			break;
		return fail(ps,
		    obj ? "',' or '}' expected" : "',' or ']' expected");
	}
	ps->p++;
	if (obj && duplicate_keys(ps, base))
		return fail(ps, "duplicate object key");
	return close_container(ps, idx, base);
}

static long
value(struct parser *ps, int depth)
{
	long idx;
	int rc;
	char c;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	c = *ps->p;
	if (c == '{' || c == '[') {
		if (depth >= MAX_DEPTH)
			return fail(ps, "nested too deeply");
		if ((idx = new_node(ps, c == '{' ? JSON_K_OBJ : JSON_K_ARR)) ==
		    -1)
			return -1;
		ps->p++;
		return container(ps, idx, depth + 1) == -1 ? -1 : idx;
	}
	if ((idx = new_node(ps, JSON_K_NULL)) == -1)
		return -1;
	if (c == '"') {
		ps->d->nodes[idx].kind = JSON_K_STR;
		ps->p++;
		rc = string(ps, &ps->d->nodes[idx].off);
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		ps->d->nodes[idx].kind = JSON_K_NUM;
		rc = number(ps, &ps->d->nodes[idx]);
	} else if (c == 't' || c == 'f') {
		ps->d->nodes[idx].kind = JSON_K_BOOL;
		rc = literal(ps, c == 't' ? "true" : "false",
		    &ps->d->nodes[idx]);
	} else if (c == 'n')
		rc = literal(ps, "null", &ps->d->nodes[idx]);
	else
		rc = fail(ps, "invalid token");
	return rc == -1 ? -1 : idx;
}

/* Offsets become pointers: nothing moves any more. */
static int
fix_pointers(struct doc *d)
{
	size_t i;

	if (d->nkids > 0 &&
	    (d->kidp = malloc(d->nkids * sizeof(*d->kidp))) == NULL)
		return -1;
	for (i = 0; i < d->nkids; i++)
		d->kidp[i] = &d->nodes[d->kids[i]];
	for (i = 0; i < d->nnodes; i++) {
		struct json *v = &d->nodes[i];

		v->keyp = v->key == SIZE_MAX ? NULL : d->strs + v->key;
		if (v->kind == JSON_K_STR)
			v->u.str = d->strs + v->off;
		else if (v->kind == JSON_K_NUM)
			v->text = d->strs + v->off;
		else if (v->kind == JSON_K_OBJ || v->kind == JSON_K_ARR)
			v->u.kids = v->n > 0 ? d->kidp + v->off : NULL;
	}
	return 0;
}

static void
doc_free(struct doc *d)
{
	free(d->nodes);
	free(d->kids);
	free(d->stack);
	free(d->strs);
	free(d->kidp);
	free(d);
}

struct json *
json_parse(const char *buf, size_t len, char *err, size_t errsz)
{
	struct parser ps = { buf, buf + len, buf, NULL, err, errsz, 0 };
	struct doc *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ps.d = d;
	skip_ws(&ps);
	/* A message is always an object (or a batch array). */
	if (ps.p >= ps.end || (*ps.p != '{' && *ps.p != '[')) {
		fail(&ps, "'[' or '{' expected");
		goto fail;
	}
	if (value(&ps, 0) == -1)
		goto fail;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "end of input expected");
		goto fail;
	}
	if (fix_pointers(d) == -1) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	/* The root is the first node; the document is freed through it. */
	d->nodes[0].doc = d;
	return d->nodes;
fail:
	doc_free(d);
	return NULL;
}

void
json_free(struct json *doc)
{
	if (doc != NULL)
		doc_free(doc->doc);
}

/* ---- reading ---- */

enum json_kind
json_kind(const struct json *v)
{
	return v != NULL ? v->kind : JSON_K_NULL;
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	uint32_t i;

	if (obj == NULL || obj->kind != JSON_K_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->u.kids[i]->keyp, key) == 0)
			return obj->u.kids[i];
	return NULL;
}

const char *
json_str(const struct json *v)
{
	return v != NULL && v->kind == JSON_K_STR ? v->u.str : NULL;
}

int
json_num(const struct json *v, double *out)
{
	if (v == NULL || v->kind != JSON_K_NUM)
		return -1;
	*out = v->u.num;
	return 0;
}

int
json_is_yes(const struct json *v)
{
	return v != NULL && v->kind == JSON_K_BOOL && v->u.yes;
}

size_t
json_len(const struct json *arr)
{
	return arr != NULL && arr->kind == JSON_K_ARR ? arr->n : 0;
}

const struct json *
json_at(const struct json *arr, size_t i)
{
	if (arr == NULL || arr->kind != JSON_K_ARR || i >= arr->n)
		return NULL;
	return arr->u.kids[i];
}

/* ---- writing: compact, keys sorted, numbers as they were sent ---- */

struct out {
	char *s;
	size_t n, cap;
	int failed;
};

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (o->failed || grow((void **)&o->s, &o->cap, o->n + n + 1, 1) == -1) {
		o->failed = 1;
		return;
	}
	memcpy(o->s + o->n, s, n);
	o->n += n;
	o->s[o->n] = '\0';
}

static void
out_str(struct out *o, const char *s)
{
	char esc[8];

	out_add(o, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out_add(o, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			out_add(o, esc, 6);
		} else
			out_add(o, s, 1);
	}
	out_add(o, "\"", 1);
}

static int
member_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct json *const *)a)->keyp,
	    (*(const struct json *const *)b)->keyp);
}

static int
skipped(const char *key, const char *const *skip)
{
	size_t i;

	for (i = 0; skip != NULL && skip[i] != NULL; i++)
		if (strcmp(key, skip[i]) == 0)
			return 1;
	return 0;
}

static void out_value(struct out *, const struct json *, const char *const *);

static void
out_object(struct out *o, const struct json *v, const char *const *skip)
{
	const struct json **m;
	size_t i, n = 0;

	if ((m = malloc((v->n + 1) * sizeof(*m))) == NULL) {
		o->failed = 1;
		return;
	}
	for (i = 0; i < v->n; i++)
		if (!skipped(v->u.kids[i]->keyp, skip))
			m[n++] = v->u.kids[i];
	qsort(m, n, sizeof(*m), member_cmp);
	out_add(o, "{", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			out_add(o, ",", 1);
		out_str(o, m[i]->keyp);
		out_add(o, ":", 1);
		out_value(o, m[i], NULL);
	}
	out_add(o, "}", 1);
	free(m);
}

static void
out_value(struct out *o, const struct json *v, const char *const *skip)
{
	uint32_t i;

	switch (v->kind) {
	case JSON_K_NULL:
		out_add(o, "null", 4);
		break;
	case JSON_K_BOOL:
		out_add(o, v->u.yes ? "true" : "false", v->u.yes ? 4 : 5);
		break;
	case JSON_K_NUM:
		out_add(o, v->text, v->text_len);
		break;
	case JSON_K_STR:
		out_str(o, v->u.str);
		break;
	case JSON_K_OBJ:
		out_object(o, v, skip);
		break;
	case JSON_K_ARR:
		out_add(o, "[", 1);
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				out_add(o, ",", 1);
			out_value(o, v->u.kids[i], NULL);
		}
		out_add(o, "]", 1);
		break;
	}
}

char *
json_dump_except(const struct json *obj, const char *const *skip)
{
	struct out o = { NULL, 0, 0, 0 };
	uint32_t i, kept = 0;

	if (obj == NULL || obj->kind != JSON_K_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		kept += !skipped(obj->u.kids[i]->keyp, skip);
	if (kept == 0)
		return NULL;
	out_value(&o, obj, skip);
	if (o.failed) {
		free(o.s);
		return NULL;
	}
	return o.s;
}
