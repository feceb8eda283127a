/*
 * ctl_out: wastetrackctl's output, one way for every command. Rows come
 * in as the store gives them (named, typed columns) and go out as
 *
 *   table  aligned columns for a person: display width of UTF-8 text
 *          (CJK characters take two columns), numbers right-aligned,
 *          rates as percentages, *_ms times as local times, long text cut;
 *   csv    RFC 4180 quoting, a header line, lines ending in LF, NULL an
 *          empty field, numbers as stored, times in UTC ms;
 *   json   an array of objects (or an object of named sections), NULL
 *          null, numbers as stored.
 *
 * Output is always valid UTF-8: invalid bytes (a rejected payload) become
 * U+FFFD. A section is buffered until it ends, to measure the columns.
 */
#ifndef WT_CTL_OUT_H
#define WT_CTL_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

enum ctl_fmt { CTL_FMT_TABLE, CTL_FMT_CSV, CTL_FMT_JSON };

struct ctl_out;

/* "table", "csv" or "json": 0 and *fmt, else -1. */
int ctl_fmt_parse(const char *s, enum ctl_fmt *fmt);

/* sections: the document has named sections (an object in JSON, blocks
 * headed "# name" in CSV); otherwise it is one table. Times in tables are
 * shown in local_offset_min. NULL when out of memory. */
struct ctl_out *ctl_out_new(FILE *fp, enum ctl_fmt fmt, int sections,
    int local_offset_min);
/* Start a section; record: one row, shown as name/value lines in a
 * table and as an object (null when none) in JSON; several rows, as
 * another section's. */
int ctl_out_begin(struct ctl_out *o, const char *name, int record);
/* Add a row (copied), or with v NULL name the columns; a store_rows_fn
 * with o as arg. */
int ctl_out_row(void *o, int n, const char *const *names,
    const struct store_value *v);
/* Print the section. */
int ctl_out_end(struct ctl_out *o);
/* Finish the document and free o: 0, or -1 when writing failed. */
int ctl_out_close(struct ctl_out *o);

/* The pieces, for the unit test. */
/* Columns s takes on a terminal: East Asian wide and fullwidth
 * characters two, combining marks none, invalid bytes one each. */
int ctl_display_width(const char *s);
void ctl_csv_field(FILE *fp, const char *s);
void ctl_json_string(FILE *fp, const char *s);
/* The shortest of %.15g, %.17g that reads back as v. */
void ctl_fmt_real(char *buf, size_t n, double v);

#endif
