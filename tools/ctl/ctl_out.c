/*
 * ctl_out: tables, CSV and JSON from the store's rows (ctl_out.h).
 */
#include "ctl_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TABLE_CELL_MAX 60 /* display columns of a table cell at most */

struct cell {
	enum store_vtype type;
	int64_t i;
	double r;
	char *s;
};

struct ctl_out {
	FILE *fp;
	enum ctl_fmt fmt;
	int sections, offset_min;
	int nsections;	    /* begun so far */
	char *name;	    /* of the current section */
	int record;	    /* the current section is one record */
	int ncols;	    /* 0 until the first row */
	char **cols;	    /* ncols names */
	struct cell *cells; /* nrows * ncols */
	size_t nrows, cap;
	int failed;
};

/* ---- UTF-8 ---- */

/* The code point at s: its length, or -1 (then one byte) when the bytes
 * are not UTF-8 (overlong forms and surrogates included). */
static int
utf8_next(const unsigned char *s, uint32_t *cp)
{
	int len, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07;
	else
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

static int
cp_width(uint32_t c)
{
	static const uint32_t zero[][2] = { { 0x0300, 0x036f },
		{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
		{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f } };
	/* East Asian Wide (W) and Fullwidth (F), Unicode 15, coarsely. */
	static const uint32_t wide[][2] = { { 0x1100, 0x115f },
		{ 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 },
		{ 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
		{ 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff },
		{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd } };
	size_t i;

	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

int
ctl_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	int len, w = 0;

	while (*p) {
		if ((len = utf8_next(p, &c)) == -1) {
			w++;
			p++;
			continue;
		}
		w += cp_width(c);
		p += len;
	}
	return w;
}

/* s as valid UTF-8 (U+FFFD for each invalid byte); in a table, control
 * characters become spaces and the text is cut to max columns with an
 * ellipsis. malloc'd. */
static char *
clean_text(const char *s, int table, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 3 + 4);
	uint32_t c;
	int len, w = 0, cw;

	if (out == NULL)
		return NULL;
	while (*p) {
		if ((len = utf8_next(p, &c)) == -1) {
			c = 0xfffd;
			len = 1;
		}
		cw = cp_width(c);
		if (table && max > 0 && w + cw > max - 1 &&
		    (size_t)(p - (const unsigned char *)s) + len < n) {
			memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
			o += 3;
			break;
		}
		w += cw;
		if (c == 0xfffd && len == 1) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else if (table && (c < 0x20 || c == 0x7f))
			out[o++] = ' ';
		else {
			memcpy(out + o, p, (size_t)len);
			o += (size_t)len;
		}
		p += len;
	}
	out[o] = '\0';
	return out;
}

/* ---- values ---- */

void
ctl_fmt_real(char *buf, size_t n, double v)
{
	int digits;

	/* The shortest that reads back as v: 0.2, not 0.20000000000000001. */
	for (digits = 15; digits < 17; digits++) {
		snprintf(buf, n, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, n, "%.17g", v);
}

static int
ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* A cell as a person reads it in a table. */
static char *
table_text(const struct ctl_out *o, const char *col, const struct cell *c)
{
	char buf[64];
	time_t t;
	struct tm tm;
	size_t len;

	switch (c->type) {
	case STORE_V_NULL:
		return strdup("-");
	case STORE_V_INT:
		if (ends_with(col, "_ms") && c->i > 0) {
			t = (time_t)(c->i / 1000 + o->offset_min * 60);
			gmtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		} else
			snprintf(buf, sizeof(buf), "%lld", (long long)c->i);
		return strdup(buf);
	case STORE_V_REAL:
		if (!isfinite(c->r))
			return strdup("-");
		if (ends_with(col, "_rate") || ends_with(col, "_share"))
			snprintf(buf, sizeof(buf), "%.1f%%", c->r * 100);
		else {
			/* kg and percentages: three decimals at most. */
			snprintf(buf, sizeof(buf), "%.3f", c->r);
			len = strlen(buf);
			while (len > 0 && buf[len - 1] == '0')
				buf[--len] = '\0';
			if (len > 0 && buf[len - 1] == '.')
				buf[--len] = '\0';
			if (strcmp(buf, "-0") == 0)
				strcpy(buf, "0");
		}
		return strdup(buf);
	default:
		/* A record's value has the line to itself. */
		return clean_text(c->s, 1, o->record ? 0 : TABLE_CELL_MAX);
	}
}

void
ctl_csv_field(FILE *fp, const char *s)
{
	char *t = clean_text(s, 0, 0);
	const char *p;

	if (t == NULL)
		return;
	if (strpbrk(t, ",\"\r\n") == NULL) {
		fputs(t, fp);
		free(t);
		return;
	}
	fputc('"', fp);
	for (p = t; *p; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
	free(t);
}

void
ctl_json_string(FILE *fp, const char *s)
{
	char *t = clean_text(s, 0, 0);
	const unsigned char *p;

	if (t == NULL)
		return;
	fputc('"', fp);
	for (p = (const unsigned char *)t; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
	free(t);
}

/* A cell for a script: CSV (json 0) or JSON (json 1). */
static void
script_value(FILE *fp, const struct cell *c, int json)
{
	char buf[40];

	switch (c->type) {
	case STORE_V_NULL:
		if (json)
			fputs("null", fp);
		break;
	case STORE_V_INT:
		fprintf(fp, "%lld", (long long)c->i);
		break;
	case STORE_V_REAL:
		if (!isfinite(c->r)) {
			if (json)
				fputs("null", fp);
			break;
		}
		ctl_fmt_real(buf, sizeof(buf), c->r);
		fputs(buf, fp);
		break;
	default:
		if (json)
			ctl_json_string(fp, c->s);
		else
			ctl_csv_field(fp, c->s);
	}
}

/* ---- sections ---- */

int
ctl_fmt_parse(const char *s, enum ctl_fmt *fmt)
{
	if (strcmp(s, "table") == 0)
		*fmt = CTL_FMT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*fmt = CTL_FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*fmt = CTL_FMT_JSON;
	else
		return -1;
	return 0;
}

struct ctl_out *
ctl_out_new(FILE *fp, enum ctl_fmt fmt, int sections, int local_offset_min)
{
	struct ctl_out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->fp = fp;
	o->fmt = fmt;
	o->sections = sections;
	o->offset_min = local_offset_min;
	if (fmt == CTL_FMT_JSON && sections)
		fputc('{', fp);
	return o;
}

static void
clear_section(struct ctl_out *o)
{
	size_t i;
	int c;

	for (i = 0; i < o->nrows * (size_t)o->ncols; i++)
		free(o->cells[i].s);
	for (c = 0; c < o->ncols; c++)
		free(o->cols[c]);
	free(o->cells);
	free(o->cols);
	free(o->name);
	o->cells = NULL;
	o->cols = NULL;
	o->name = NULL;
	o->ncols = 0;
	o->nrows = o->cap = 0;
}

int
ctl_out_begin(struct ctl_out *o, const char *name, int record)
{
	clear_section(o);
	o->record = record;
	if (name != NULL && (o->name = strdup(name)) == NULL) {
		o->failed = 1;
		return -1;
	}
	return 0;
}

static int
set_columns(struct ctl_out *o, int n, const char *const *names)
{
	int c;

	if ((o->cols = calloc((size_t)n, sizeof(*o->cols))) == NULL)
		return -1;
	o->ncols = n;
	for (c = 0; c < n; c++)
		if ((o->cols[c] = strdup(names[c])) == NULL)
			return -1;
	return 0;
}

int
ctl_out_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct ctl_out *o = arg;
	struct cell *row, *grown;
	int c;

	if (o->ncols == 0 && set_columns(o, n, names) == -1)
		goto oom;
	if (n != o->ncols)
		return -1;
	if (v == NULL)
		return 0;
	if (o->nrows == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		grown = realloc(o->cells, o->cap * (size_t)n * sizeof(*grown));
		if (grown == NULL)
			goto oom;
		o->cells = grown;
	}
	row = o->cells + o->nrows * (size_t)n;
	for (c = 0; c < n; c++) {
		row[c].type = v[c].type;
		row[c].i = v[c].i;
		row[c].r = v[c].r;
		row[c].s = NULL;
		if (v[c].type == STORE_V_TEXT &&
		    (row[c].s = strdup(v[c].s)) == NULL) {
			while (--c >= 0)
				free(row[c].s);
			goto oom;
		}
	}
	o->nrows++;
	return 0;
oom:
	o->failed = 1;
	return -1;
}

static void
pad(FILE *fp, int n)
{
	while (n-- > 0)
		fputc(' ', fp);
}

static void
print_record(struct ctl_out *o, char **text)
{
	int c, w = 0, cw;

	for (c = 0; c < o->ncols; c++)
		if ((cw = ctl_display_width(o->cols[c])) > w)
			w = cw;
	for (c = 0; c < o->ncols; c++) {
		fputs(o->cols[c], o->fp);
		pad(o->fp, w - ctl_display_width(o->cols[c]) + 2);
		fprintf(o->fp, "%s\n", text[c]);
	}
}

/* A column of numbers (and NULLs) is right-aligned, header included. */
static int
numeric(const struct ctl_out *o, int c)
{
	size_t r;
	int any = 0;

	for (r = 0; r < o->nrows; r++)
		switch (o->cells[r * o->ncols + c].type) {
		case STORE_V_INT:
		case STORE_V_REAL:
			any = 1;
			break;
		case STORE_V_TEXT:
			return 0;
		default:
			break;
		}
	return any;
}

static void
print_rows(struct ctl_out *o, char **text, const int *width, const int *right)
{
	size_t r;
	int c, w;

	for (r = 0; r <= o->nrows; r++)
		for (c = 0; c < o->ncols; c++) {
			const char *t =
			    r == 0 ? o->cols[c] : text[(r - 1) * o->ncols + c];

			w = width[c] - ctl_display_width(t);
			if (right[c])
				pad(o->fp, w);
			fputs(t, o->fp);
			if (c == o->ncols - 1)
				fputc('\n', o->fp);
			else
				pad(o->fp, (right[c] ? 0 : w) + 2);
		}
}

static int
print_table(struct ctl_out *o)
{
	size_t i, n = o->nrows * (size_t)o->ncols;
	char **text = calloc(n ? n : 1, sizeof(*text));
	int *width =
	    calloc(o->ncols ? (size_t)o->ncols * 2 : 1, sizeof(*width));
	int c, w, rc = -1;

	if (text == NULL || width == NULL)
		goto done;
	for (c = 0; c < o->ncols; c++) {
		width[c] = ctl_display_width(o->cols[c]);
		width[o->ncols + c] = numeric(o, c);
	}
	for (i = 0; i < n; i++) {
		c = (int)(i % (size_t)o->ncols);
		if ((text[i] = table_text(o, o->cols[c], &o->cells[i])) == NULL)
			goto done;
		if ((w = ctl_display_width(text[i])) > width[c])
			width[c] = w;
	}
	if (o->name != NULL)
		fprintf(o->fp, "%s%s:\n", o->nsections > 1 ? "\n" : "",
		    o->name);
	if (o->nrows == 0)
		fputs("(none)\n", o->fp);
	else if (o->record && o->nrows == 1)
		print_record(o, text);
	else
		print_rows(o, text, width, width + o->ncols);
	rc = 0;
done:
	for (i = 0; text != NULL && i < n; i++)
		free(text[i]);
	free(text);
	free(width);
	return rc;
}

static void
print_csv(struct ctl_out *o)
{
	size_t r;
	int c;

	if (o->sections && o->name != NULL)
		fprintf(o->fp, "%s# %s\n", o->nsections > 1 ? "\n" : "",
		    o->name);
	for (c = 0; c < o->ncols; c++) {
		if (c > 0)
			fputc(',', o->fp);
		ctl_csv_field(o->fp, o->cols[c]);
	}
	if (o->ncols > 0)
		fputc('\n', o->fp);
	for (r = 0; r < o->nrows; r++) {
		for (c = 0; c < o->ncols; c++) {
			if (c > 0)
				fputc(',', o->fp);
			script_value(o->fp, &o->cells[r * o->ncols + c], 0);
		}
		fputc('\n', o->fp);
	}
}

static void
print_json_row(struct ctl_out *o, size_t r)
{
	int c;

	fputc('{', o->fp);
	for (c = 0; c < o->ncols; c++) {
		if (c > 0)
			fputs(", ", o->fp);
		ctl_json_string(o->fp, o->cols[c]);
		fputs(": ", o->fp);
		script_value(o->fp, &o->cells[r * o->ncols + c], 1);
	}
	fputc('}', o->fp);
}

static void
print_json(struct ctl_out *o)
{
	size_t r;

	if (o->sections) {
		fputs(o->nsections > 1 ? ",\n " : "\n ", o->fp);
		ctl_json_string(o->fp, o->name ? o->name : "");
		fputs(": ", o->fp);
	}
	if (o->record && o->nrows <= 1) {
		if (o->nrows == 0)
			fputs("null", o->fp);
		else
			print_json_row(o, 0);
	}
	if (!o->record || o->nrows > 1) {
		fputc('[', o->fp);
		for (r = 0; r < o->nrows; r++) {
			fputs(r > 0 ? ",\n  " : "\n  ", o->fp);
			print_json_row(o, r);
		}
		fputs(o->nrows > 0 ? "\n]" : "]", o->fp);
	}
	if (!o->sections)
		fputc('\n', o->fp);
}

int
ctl_out_end(struct ctl_out *o)
{
	int rc = 0;

	o->nsections++;
	if (o->failed)
		rc = -1;
	else if (o->fmt == CTL_FMT_TABLE)
		rc = print_table(o);
	else if (o->fmt == CTL_FMT_CSV)
		print_csv(o);
	else
		print_json(o);
	clear_section(o);
	if (rc == -1)
		o->failed = 1;
	return rc;
}

int
ctl_out_close(struct ctl_out *o)
{
	int rc;

	if (o == NULL)
		return -1;
	if (o->fmt == CTL_FMT_JSON && o->sections)
		fputs("\n}\n", o->fp);
	clear_section(o);
	rc = o->failed || fflush(o->fp) == EOF || ferror(o->fp) ? -1 : 0;
	free(o);
	return rc;
}
