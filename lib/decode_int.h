/*
 * decode_int: what the files of the decode module share (decode.c reads
 * the message and finishes each event, decode_field.c reads and converts
 * one field). Not for other modules: include decode.h.
 */
#ifndef WT_DECODE_INT_H
#define WT_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "json.h"
#include "topic.h"

#define MAX_CAPS   8
#define MAX_FIELDS 64

/* One record being decoded. */
struct dec {
	const struct profile *p;
	const struct pf_kind *k;
	const struct decode_ctx *ctx;
	const struct json *doc;	  /* JSON payload */
	char *fields[MAX_FIELDS]; /* delimited record, NUL-terminated */
	size_t nfields;
	const char *topic;
	struct topic_cap caps[MAX_CAPS];
	size_t ncaps;
	struct ev *e;
	struct decode_err *err;
	size_t first; /* out->n when the message began */
};

/* A raw value before conversion. */
struct val {
	enum { V_NONE, V_NULL, V_STR, V_NUM, V_BOOL } t;
	const char *s;
	double num;
	char buf[96];
};

#define fail(d, ...) decoder_fail((d)->err, __VA_ARGS__)

/* The JSON value at s's path under base (NULL when absent). */
const struct json *decode_json_path(const struct json *base,
    const struct pf_src *s);
/* Read source s (under base, or the document) into v; 0, or -1 for a
 * container where a scalar belongs. */
int decode_get_src(struct dec *d, const struct pf_src *s,
    const struct json *base, struct val *v);
/* Text of a scalar value (numbers without needless digits), or NULL. */
const char *decode_val_text(struct val *v);
/* Convert field f into its slot at base (the event, or a manifest line),
 * reading from jbase (NULL: the record). */
int decode_apply_field(struct dec *d, const struct pf_canon *table,
    const struct pf_field *f, const struct json *jbase, void *base);
/* -1 when one of the names (NULL-terminated) has no value at base. */
int decode_check_present(struct dec *d, const struct pf_canon *table, size_t n,
    const char *const *names, const void *base);

#endif
