/*
 * config_int: what the files of the config module share, and nothing
 * outside lib/config*.c may include.
 *
 * The files form a one-way stack, listed bottom first: each calls only
 * files listed before it, so each can be read knowing only those.
 *
 *	config_util.c	memory, diagnostics and libyaml node helpers
 *	config_data.c	lookups, defaults, freeing, dropping lists and trees
 *	config_site.c	sites' coordinates and fences, supervision hours,
 *			the fence index
 *	config_registry.c the registries' tables and values of their own
 *			shape (generators, vehicles, facility alarms)
 *	config_schema.c	the key tables, value parsers and item checks
 *	config_file.c	reading one file: text, realpath, alias scan
 *	config_set.c	one setter per kind of single value
 *	config_tree.c	subtrees kept as cfg_node (profiles)
 *	config_walk.c	the mapping walk, lists of mappings, includes and
 *			loading a file, which recurse into each other
 *	config.c	the public API and the cross-checks
 *
 * The one genuine recursion, load a file -> walk its mapping -> include ->
 * load a file, is kept inside config_walk.c rather than broken by a function
 * pointer, so the call graph between files is acyclic and also honest.
 *
 * One schema table per mapping (struct key) drives everything: the defaults,
 * the parser, the type and range checks and config_free(). Adding a key is
 * adding one table row and one struct field; nothing else should change.
 *
 * Errors never stop the walk: a bad value is reported and skipped, and the
 * load fails at the end if anything was reported, so that one run shows
 * every mistake (OpenBSD parse.y style). An allocation failure is reported
 * the same way ("out of memory", see diag.h): the helper that failed
 * returns NULL or -1, its caller gives up on that value, and the load fails.
 */
#ifndef WT_CONFIG_INT_H
#define WT_CONFIG_INT_H

#include <stddef.h>
#include <string.h>

#include <yaml.h>

#include "attr.h"
#include "config.h"
#include "diag.h"

#define INCLUDE_DEPTH_MAX 8
#define TREE_DEPTH_MAX	  64   /* nesting inside one kept subtree */
#define SECRET_MAX	  4096 /* bytes read from password_file */

struct ctx;

enum ktype {
	K_STR,	  /* char *; F_PATH resolves it, .oneof/.check restrict it */
	K_BOOL,	  /* int 0/1 */
	K_INT,	  /* int in [min, max] */
	K_SIZE,	  /* size_t in [min, max] */
	K_DOUBLE, /* double in [dmin, dmax] */
	K_ENUM,	  /* int: index into .oneof */
	K_OFFSET, /* int: minutes east of UTC, from "+08:00" */
	K_SECRETFILE, /* path of a file whose content goes into the char * */
	K_REFUSED,    /* a key that must never be set; .badmsg says why */
	K_SECTION,    /* a mapping described by .sub */
	K_LIST,	      /* a list of mappings described by .list */
	K_INCLUDE,    /* a list of globs naming more files of this schema */
	K_TREES,      /* a list of mappings kept as cfg_node trees: .trees */
	K_CUSTOM,     /* a value of its own shape: .parse and .release */
};

#define F_NONEMPTY 0x1 /* an empty or null string is an error */
#define F_PATH	   0x2 /* relative to the directory of its file */
#define F_REQUIRED 0x4 /* must be present in its mapping (list items) */
/* K_STR naming a profile: one of .oneof (built in) or a `profiles:` entry
 * of any file, so the check waits until every file is read. */
#define F_PROFILE 0x8

struct listspec;
struct treespec;

struct key {
	const char *name;
	enum ktype type;
	size_t off; /* into struct config or the list item */
	int flags;
	long long min, max;	    /* K_INT, K_SIZE */
	double dmin, dmax;	    /* K_DOUBLE */
	const char *const *oneof;   /* K_ENUM values; K_STR allowed set */
	int (*check)(const char *); /* K_STR shape */
	/* K_STR .oneof/.check failure: badmsg "VALUE"badhint; K_REFUSED */
	const char *badmsg, *badhint;
	/* K_INT: a value with its own explanation, before the range check */
	const char *(*vcheck)(long long);
	const char *defstr;	      /* default for string kinds */
	long long defnum;	      /* default for integer kinds */
	double defdbl;		      /* default for K_DOUBLE */
	const struct key *sub;	      /* K_SECTION */
	const char *where;	      /* K_SECTION name in messages */
	const struct listspec *list;  /* K_LIST */
	const struct treespec *trees; /* K_TREES */
	/* K_CUSTOM: parse v into base (reporting its own errors), and free
	 * what parse stored there. */
	void (*parse)(struct ctx *, const struct key *, const yaml_node_t *v,
	    void *base);
	void (*release)(const struct key *, void *base);
};

/*
 * A list of mappings stored as a plain array in struct config. Each item is
 * parsed into a zeroed element with the item table, then appended if it is
 * complete and accept() agrees.
 */
struct listspec {
	const struct key *item;
	const char *what;      /* "subscription": messages */
	size_t size;	       /* of one element */
	size_t pos_off;	       /* its struct cfg_pos */
	size_t arr_off, n_off; /* in struct config */
	int (*accept)(struct ctx *, void *, const yaml_node_t *);
};

/*
 * A list of mappings kept as written (struct cfg_node), for a module that
 * compiles them itself; the array is a struct cfg_node ** and its count a
 * size_t in struct config. Lists from every file are appended. Each item
 * must be a mapping; accept() checks what the config module knows about it
 * (it is called even when the item had errors, so that all are reported)
 * and the item is kept if nothing at all was reported.
 */
struct treespec {
	const char *what;      /* "profile": messages */
	size_t arr_off, n_off; /* in struct config */
	int (*accept)(struct ctx *, const struct cfg_node *);
};

/* A YAML alias in the file being read: the slot of a collection it fills. */
struct alias {
	int parent;  /* node index, as libyaml's */
	size_t slot; /* item; 2 * pair (+ 1: value) */
	yaml_mark_t mark;
};

/* A profile named by a subscription, checked once every file is read. */
struct profref {
	const struct key *k;
	char *name;
	struct cfg_pos pos; /* of the value */
};

/* A leaf key set somewhere: setting it again, in any file, is an error. */
struct seen {
	const struct key *k;
	struct cfg_pos pos;
};

/* One config_load(). */
struct ctx {
	struct config *cfg;
	yaml_document_t *doc;		    /* document being walked */
	const char *file;		    /* its name, in cfg->files */
	char *dir;			    /* its directory */
	int depth;			    /* include nesting, 0 = main file */
	char *stack[INCLUDE_DEPTH_MAX + 1]; /* realpaths: loops */
	struct seen *seen;
	size_t nseen;
	struct alias *aliases; /* of the file being read */
	size_t naliases;
	char **pnames; /* every profile name defined so far */
	size_t npnames;
	struct profref *refs;
	size_t nrefs;
	struct diag diag;
};

/* config_util.c: allocation failure is recorded in ctx->diag. */
void *cfg_calloc(struct ctx *, size_t, size_t) WT_MUST_CHECK;
void *cfg_reallocarray(struct ctx *, void *, size_t, size_t) WT_MUST_CHECK;
char *cfg_strdup(struct ctx *, const char *) WT_MUST_CHECK;
char *cfg_asprintf(struct ctx *, const char *, ...)
    WT_PRINTF(2, 3) WT_MUST_CHECK;
void cfg_errfmt(struct ctx *, const char *, ...) WT_PRINTF(2, 3);
void cfg_errat(struct ctx *, const yaml_mark_t *, const char *, ...)
    WT_PRINTF(3, 4);
void cfg_errpos(struct ctx *, const struct cfg_pos *, const char *, ...)
    WT_PRINTF(3, 4);
void cfg_mark_pos(struct ctx *, const yaml_mark_t *, struct cfg_pos *);
yaml_node_t *cfg_node(struct ctx *, int);
const char *cfg_scalar(const yaml_node_t *);
int cfg_is_null(const yaml_node_t *);
yaml_node_t *cfg_map_get(struct ctx *, const yaml_node_t *, const char *);
int cfg_dup_in_map(struct ctx *, const yaml_node_t *, const yaml_node_pair_t *,
    const char *);
const struct alias *cfg_alias_at(struct ctx *, const yaml_node_t *, size_t);
void cfg_alias_error(struct ctx *, const struct alias *);

/* config_data.c (and config_facility(), cfg_node_get() of config.h) */
int cfg_in_oneof(const char *const *, const char *);
int cfg_defined_profile(struct ctx *, const char *);
const struct seen *cfg_find_seen(struct ctx *, const struct key *);
int cfg_apply_defaults(const struct key *, void *) WT_MUST_CHECK;
void cfg_free_fields(const struct key *, void *);
void cfg_list_drop(struct config *, const struct listspec *, int);
void cfg_tree_free(struct cfg_node *);
void cfg_trees_drop(void *, const struct treespec *);

/* config_schema.c: the tables, and checks the setters share. */
extern const struct key cfg_top_keys[];
extern const struct key cfg_mqtt_keys[];
extern const char *const cfg_backend_names[];
extern const char *const cfg_builtin_profiles[];
int cfg_parse_ll(const char *, long long *);
int cfg_parse_double(const char *, double *);
int cfg_parse_offset(const char *, int *);

/* config_site.c */
void cfg_parse_fence(struct ctx *, const struct key *, const yaml_node_t *,
    void *);
void cfg_release_fence(const struct key *, void *);
int cfg_crs_ok(const char *);
int cfg_site_accept(struct ctx *, const yaml_node_t *, const char *,
    const char *, double *, double *, const char *, struct cfg_fence *);
int cfg_parse_hours(const char *, int *, int *);
int cfg_hours_ok(const char *);
int cfg_build_fences(struct ctx *);

/* config_registry.c: the tables config_schema.c names. */
extern const struct listspec cfg_generators_list;
extern const struct listspec cfg_vehicles_list;
void cfg_parse_alarms(struct ctx *, const struct key *, const yaml_node_t *,
    void *);
void cfg_release_alarms(const struct key *, void *);
void cfg_parse_accepts(struct ctx *, const struct key *, const yaml_node_t *,
    void *);
void cfg_release_accepts(const struct key *, void *);

/* config_file.c: -1 after reporting (or recording out of memory). */
int cfg_read_file(struct ctx *, const char *, const yaml_mark_t *, const char *,
    char **, size_t *, char **) WT_MUST_CHECK;
int cfg_scan_aliases(struct ctx *, const char *, size_t) WT_MUST_CHECK;

/* config_set.c */
void cfg_set_leaf(struct ctx *, const struct key *, const yaml_node_t *,
    void *);

/* config_tree.c */
void cfg_parse_trees(struct ctx *, const struct key *, const yaml_node_t *);

/* config_walk.c */
void cfg_load_file(struct ctx *, const char *, const yaml_mark_t *,
    const char *);

/* Field access: the tables address fields as base + offset. */
static inline char **
cfg_fstr(void *base, const struct key *k)
{
	return (char **)(void *)((char *)base + k->off);
}

static inline int *
cfg_fint(void *base, const struct key *k)
{
	return (int *)(void *)((char *)base + k->off);
}

static inline size_t *
cfg_fsize(void *base, const struct key *k)
{
	return (size_t *)(void *)((char *)base + k->off);
}

static inline double *
cfg_fdbl(void *base, const struct key *k)
{
	return (double *)(void *)((char *)base + k->off);
}

/* A list of mappings (struct listspec) as array and count. */
static inline void *
cfg_list_get(struct config *cfg, const struct listspec *ls, size_t *n)
{
	void *arr;

	/* memcpy: the field is a typed pointer, not a void *. */
	memcpy(&arr, (char *)cfg + ls->arr_off, sizeof(arr));
	memcpy(n, (char *)cfg + ls->n_off, sizeof(*n));
	return arr;
}

static inline void
cfg_list_set(struct config *cfg, const struct listspec *ls, void *arr, size_t n)
{
	memcpy((char *)cfg + ls->arr_off, &arr, sizeof(arr));
	memcpy((char *)cfg + ls->n_off, &n, sizeof(n));
}

static inline struct cfg_pos *
cfg_elem_pos(const struct listspec *ls, void *elem)
{
	return (struct cfg_pos *)(void *)((char *)elem + ls->pos_off);
}

/* Kept trees (struct treespec): the array and its count. */
static inline struct cfg_node ***
cfg_ftrees(void *base, const struct treespec *ts)
{
	return (struct cfg_node ***)(void *)((char *)base + ts->arr_off);
}

static inline size_t *
cfg_ftrees_n(void *base, const struct treespec *ts)
{
	return (size_t *)(void *)((char *)base + ts->n_off);
}

#endif
