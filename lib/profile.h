/*
 * profile: vendor dialects as data. A profile (YAML under `profiles:`,
 * see docs/profiles.md) binds topic patterns to a kind of canonical event
 * and says, field by field, where each canonical value comes from and how
 * to convert it. This module compiles the YAML trees kept by config.h's
 * loader into the structures decode.c applies; every mistake is reported
 * as FILE:LINE:COL (diag.h) like the rest of the configuration.
 */
#ifndef WT_PROFILE_H
#define WT_PROFILE_H

#include <stddef.h>

#include "attr.h"
#include "config.h"
#include "event.h"
#include "geo.h"

enum pf_format { PF_JSON, PF_DELIMITED };
enum pf_encoding { PF_UTF8, PF_GBK, PF_AUTO };
enum pf_src_kind {
	PF_SRC_NONE,
	PF_SRC_PATH,
	PF_SRC_FIELD,
	PF_SRC_TOPIC,
	PF_SRC_VALUE
};
enum pf_time {
	PF_TIME_AUTO,
	PF_TIME_RFC3339,
	PF_TIME_LOCAL,
	PF_TIME_COMPACT,
	PF_TIME_BCD,
	PF_TIME_EPOCH_S,
	PF_TIME_EPOCH_MS
};

/* Where a value comes from: a JSON path, a delimited field, a topic
 * capture or a constant. */
struct pf_src {
	enum pf_src_kind kind;
	char **seg; /* JSON path segments */
	size_t nseg;
	int field;  /* delimited field, 1-based */
	char *name; /* topic capture name, or constant */
};

struct pf_table {
	char *name;
	char **from, **to;
	size_t n;
};

struct pf_field {
	int canon; /* index in the kind's canonical table */
	struct pf_src src;
	struct pf_src date; /* PF_TIME_COMPACT: the YYYYMMDD part */
	enum pf_time time;
	const struct pf_table *map;	  /* code table, or NULL */
	const struct pf_table *provinces; /* romanised plate prefixes */
	double scale;			  /* 0: none */
	char *unit;			  /* fixed unit, "infer", or NULL */
	struct pf_src unit_src;		  /* unit from elsewhere */
	int bit_lo, bit_hi;		  /* bit range of an integer; -1 none */
	struct pf_src sign_src;		  /* negate when this bit is set */
	int sign_bit;
	char *check_topic; /* capture that must agree (flag) */
	int required;
	int unmapped;	      /* PF_UNMAPPED_*: value not in map */
	struct pf_field *alt; /* `else:` when this one is absent */
};

enum { PF_UNMAPPED_REJECT, PF_UNMAPPED_NULL, PF_UNMAPPED_KEEP };

struct pf_kind {
	enum ev_kind kind;
	char *topic;	    /* pattern with {captures} */
	struct pf_src when; /* optional discriminator */
	char *when_equals;
	struct pf_field *fields;
	size_t nfields;
	struct pf_src lines; /* manifests: the array of lines */
	struct pf_field *line_fields;
	size_t nline_fields;
};

struct profile {
	char *name;
	enum pf_format format;
	enum pf_encoding encoding;
	int has_offset, local_offset_min;
	enum geo_sys coord_sys;
	char separator;
	char *record_separator; /* NULL: one record per message */
	int checksum_field;	/* 0: none; XOR of preceding bytes */
	struct pf_table *tables;
	size_t ntables;
	struct pf_kind *kinds;
	size_t nkinds;
};

struct profile_set {
	struct profile *p;
	size_t n;
};

/* Canonical field types, for decode.c. */
enum pf_ctype {
	PF_T_TEXT,
	PF_T_NUM,
	PF_T_MASS,
	PF_T_TIME,
	PF_T_PLATE,
	PF_T_WASTE,
	PF_T_ENUM,
	PF_T_INT,
	PF_T_HWCODE,
	PF_T_BOOL
};

/* Slots: text types are const char *, NUM and MASS double, TIME, INT and
 * BOOL int64_t, at `off` in struct ev (or struct ev_manifest_line). */
struct pf_canon {
	const char *name;
	enum pf_ctype type;
	const char *const *vocab; /* PF_T_ENUM: allowed values */
	size_t off;
};

/* The canonical fields of a kind, and of a manifest line; *n receives
 * the count. */
const struct pf_canon *profile_canon(enum ev_kind kind, size_t *n);
const struct pf_canon *profile_line_canon(size_t *n);
/* Canonical fields a kind cannot do without (NULL-terminated): checked
 * in the profile at compile time and in every message at decode time. */
const char *const *profile_required(enum ev_kind kind);

/*
 * Compile cfg->profiles. Returns 0 and *out (possibly empty), or -1 with
 * *errors holding every problem as "FILE:LINE:COL: message\n" lines
 * (malloc'd; the caller frees). Out of memory, the text ends in
 * "out of memory\n", and *errors is NULL if not even that fitted.
 */
int profile_compile(const struct config *cfg, struct profile_set **out,
    char **errors) WT_MUST_CHECK;
void profile_set_free(struct profile_set *set);
const struct profile *profile_find(const struct profile_set *set,
    const char *name);

#endif
