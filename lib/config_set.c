/*
 * config_set: one setter per kind of value, lists of mappings, and the walk
 * of a mapping against its key table. Every setter reports its own errors
 * and leaves the field as it was when the value is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_int.h"

/* A path relative to the directory of the file being read. */
static char *
resolve(struct ctx *ctx, const char *s)
{
	if (s[0] == '/')
		return cfg_strdup(ctx, s);
	return cfg_asprintf(ctx, "%s/%s",
	    strcmp(ctx->dir, "/") == 0 ? "" : ctx->dir, s);
}

/*
 * The secret, without trailing newlines (editors add one). read(2) rather
 * than stdio so no copy lingers in a FILE buffer; the stack copy is wiped.
 */
static int
read_secret(const char *path, char **out)
{
	char buf[SECRET_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SECRET_MAX) {
		errno = EFBIG;
		goto fail;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		errno = EINVAL;
		goto fail;
	}
	buf[len] = '\0';
	if ((*out = strdup(buf)) == NULL)
		goto fail; /* errno is ENOMEM */
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return 0;

fail:
	saved = errno;
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

/* Setters: one per key type, each reports its own errors. */

static void
bad_value(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	cfg_errat(ctx, &v->start_mark, "%s \"%s\"%s", k->badmsg, cfg_scalar(v),
	    k->badhint != NULL ? k->badhint : "");
}

/* The scalar text, or NULL after reporting why there is none. */
static const char *
want_string(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	if (v->type != YAML_SCALAR_NODE) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a string",
		    k->name);
		return NULL;
	}
	/* "\0" in a double-quoted scalar would silently truncate a path. */
	if (strlen(cfg_scalar(v)) != v->data.scalar.length) {
		cfg_errat(ctx, &v->start_mark,
		    "\"%s\" must not contain NUL bytes", k->name);
		return NULL;
	}
	return cfg_scalar(v);
}

/* A profile name, checked once every file is read (cross_check()). */
static int
add_profref(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    const char *s)
{
	struct profref *refs;
	char *name;

	if ((name = cfg_strdup(ctx, s)) == NULL)
		return -1;
	if ((refs = cfg_reallocarray(ctx, ctx->refs, ctx->nrefs + 1,
		 sizeof(*ctx->refs))) == NULL) {
		free(name);
		return -1;
	}
	ctx->refs = refs;
	refs[ctx->nrefs].k = k;
	refs[ctx->nrefs].name = name;
	cfg_mark_pos(ctx, &v->start_mark, &refs[ctx->nrefs].pos);
	ctx->nrefs++;
	return 0;
}

static void
set_str(struct ctx *ctx, const struct key *k, const yaml_node_t *v, void *base)
{
	char **field = cfg_fstr(base, k), *value;
	const char *const *o;
	const char *s;

	if ((s = want_string(ctx, k, v)) == NULL)
		return;
	/* Empty or null unsets an optional string (e.g. no port_file). */
	if (*s == '\0' || cfg_is_null(v)) {
		if (k->flags & F_NONEMPTY) {
			cfg_errat(ctx, &v->start_mark,
			    "\"%s\" must not be empty", k->name);
			return;
		}
		free(*field);
		*field = NULL;
		return;
	}
	if (k->oneof != NULL && !(k->flags & F_PROFILE)) {
		for (o = k->oneof; *o != NULL && strcmp(*o, s) != 0; o++)
			;
		if (*o == NULL) {
			bad_value(ctx, k, v);
			return;
		}
	}
	if (k->check != NULL && !k->check(s)) {
		bad_value(ctx, k, v);
		return;
	}
	if ((k->flags & F_PROFILE) && add_profref(ctx, k, v, s) == -1)
		return;
	if ((value = (k->flags & F_PATH) ? resolve(ctx, s)
					 : cfg_strdup(ctx, s)) == NULL)
		return;
	free(*field);
	*field = value;
}

static void
set_bool(struct ctx *ctx, const struct key *k, const yaml_node_t *v, void *base)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	const char *const *o;

	if (v->type == YAML_SCALAR_NODE) {
		for (o = yes; *o != NULL; o++)
			if (strcasecmp(cfg_scalar(v), *o) == 0) {
				*cfg_fint(base, k) = 1;
				return;
			}
		for (o = no; *o != NULL; o++)
			if (strcasecmp(cfg_scalar(v), *o) == 0) {
				*cfg_fint(base, k) = 0;
				return;
			}
	}
	cfg_errat(ctx, &v->start_mark, "\"%s\" must be true or false", k->name);
}

/* K_INT and K_SIZE: the table bounds fit both field types. */
static void
set_integer(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	const char *why;
	long long n;
	int rc;

	if (v->type != YAML_SCALAR_NODE ||
	    (rc = cfg_parse_ll(cfg_scalar(v), &n)) == -1) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be an integer",
		    k->name);
		return;
	}
	if (rc == 0 && k->vcheck != NULL && (why = k->vcheck(n)) != NULL) {
		cfg_errat(ctx, &v->start_mark, "%s", why);
		return;
	}
	if (rc == 1 || n < k->min || n > k->max) {
		cfg_errat(ctx, &v->start_mark,
		    "\"%s\" must be between %lld and %lld", k->name, k->min,
		    k->max);
		return;
	}
	if (k->type == K_SIZE)
		*cfg_fsize(base, k) = (size_t)n;
	else
		*cfg_fint(base, k) = (int)n;
}

static void
set_double(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	double d;
	int rc;

	if (v->type != YAML_SCALAR_NODE ||
	    (rc = cfg_parse_double(cfg_scalar(v), &d)) == -1) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a number",
		    k->name);
		return;
	}
	if (rc == 1 || d < k->dmin || d > k->dmax) {
		cfg_errat(ctx, &v->start_mark,
		    "\"%s\" must be between %g and %g", k->name, k->dmin,
		    k->dmax);
		return;
	}
	*cfg_fdbl(base, k) = d;
}

static void
set_enum(struct ctx *ctx, const struct key *k, const yaml_node_t *v, void *base)
{
	char list[256];
	size_t len = 0;
	int i;

	for (i = 0; v->type == YAML_SCALAR_NODE && k->oneof[i] != NULL; i++)
		if (strcmp(cfg_scalar(v), k->oneof[i]) == 0) {
			*cfg_fint(base, k) = i;
			return;
		}
	list[0] = '\0';
	for (i = 0; k->oneof[i] != NULL && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > 0 ? ", " : "", k->oneof[i]);
	cfg_errat(ctx, &v->start_mark, "\"%s\" must be one of: %s", k->name,
	    list);
}

static void
set_offset(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	const char *s;
	int min;

	if ((s = want_string(ctx, k, v)) == NULL)
		return;
	if (cfg_parse_offset(s, &min) == -1) {
		cfg_errat(ctx, &v->start_mark,
		    "invalid offset \"%s\": want "
		    "Z, UTC or ±HH:MM within ±14:00",
		    s);
		return;
	}
	*cfg_fint(base, k) = min;
}

static void
set_secretfile(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	char **field = cfg_fstr(base, k);
	char *path = NULL, *secret = NULL;
	const char *s;

	if ((s = want_string(ctx, k, v)) == NULL)
		return;
	if (*s == '\0' || cfg_is_null(v)) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must not be empty",
		    k->name);
		return;
	}
	if ((path = resolve(ctx, s)) == NULL)
		return;
	if (read_secret(path, &secret) == -1) {
		cfg_errat(ctx, &v->start_mark, "cannot read %s \"%s\": %s",
		    k->name, path,
		    errno == EINVAL ? "empty or not text" : strerror(errno));
		goto done;
	}
	if (*field != NULL) {
		explicit_bzero(*field, strlen(*field));
		free(*field);
	}
	*field = secret;
done:
	free(path);
}

/* Lists of mappings */

static void *
list_get(struct config *cfg, const struct listspec *ls, size_t *n)
{
	void *arr;

	/* memcpy: the field is a typed pointer, not a void *. */
	memcpy(&arr, (char *)cfg + ls->arr_off, sizeof(arr));
	memcpy(n, (char *)cfg + ls->n_off, sizeof(*n));
	return arr;
}

static void
list_set(struct config *cfg, const struct listspec *ls, void *arr, size_t n)
{
	memcpy((char *)cfg + ls->arr_off, &arr, sizeof(arr));
	memcpy((char *)cfg + ls->n_off, &n, sizeof(n));
}

static struct cfg_pos *
elem_pos(const struct listspec *ls, void *elem)
{
	return (struct cfg_pos *)(void *)((char *)elem + ls->pos_off);
}

/*
 * Drop elements: all of them, or only the embedded defaults (pos.file is
 * NULL). A file that sets a list replaces the defaults instead of adding
 * to them, otherwise "wt/v1/#" could never be removed.
 */
void
cfg_list_drop(struct config *cfg, const struct listspec *ls, int defaults_only)
{
	char *arr, *elem;
	size_t n, i, kept = 0;

	arr = list_get(cfg, ls, &n);
	for (i = 0; i < n; i++) {
		elem = arr + i * ls->size;
		if (defaults_only && elem_pos(ls, elem)->file != NULL) {
			if (kept != i)
				memmove(arr + kept * ls->size, elem, ls->size);
			kept++;
			continue;
		}
		cfg_free_fields(ls->item, elem);
	}
	if (kept == 0) {
		free(arr);
		arr = NULL;
	}
	list_set(cfg, ls, arr, kept);
}

static int
list_append(struct ctx *ctx, const struct listspec *ls, const void *elem)
{
	char *arr, *narr;
	size_t n;

	arr = list_get(ctx->cfg, ls, &n);
	if ((narr = cfg_reallocarray(ctx, arr, n + 1, ls->size)) == NULL)
		return -1;
	memcpy(narr + n * ls->size, elem, ls->size);
	list_set(ctx->cfg, ls, narr, n + 1);
	return 0;
}

int
cfg_facility_accept(struct ctx *ctx, void *elem, const yaml_node_t *map)
{
	struct cfg_facility *f = elem;
	const yaml_node_t *idn;

	/* Reports look facilities up by id: two with one id are ambiguous. */
	if (config_facility(ctx->cfg, f->id) != NULL) {
		idn = cfg_map_get(ctx, map, "id");
		cfg_errat(ctx, &idn->start_mark, "duplicate facility id \"%s\"",
		    f->id);
		return -1;
	}
	/* Reports print the name; the id is better than "(null)". */
	if (f->name == NULL && (f->name = cfg_strdup(ctx, f->id)) == NULL)
		return -1;
	return 0;
}

/* One item of a list of mappings, appended if nothing is wrong with it. */
static void
parse_item(struct ctx *ctx, const struct listspec *ls, const yaml_node_t *in)
{
	size_t nerr = diag_count(&ctx->diag);
	const struct key *ik;
	void *elem;
	int kept = 0;

	if ((elem = cfg_calloc(ctx, 1, ls->size)) == NULL)
		return;
	cfg_parse_map(ctx, in, ls->item, elem, ls->what, 0);
	for (ik = ls->item; ik->name != NULL; ik++)
		if ((ik->flags & F_REQUIRED) &&
		    cfg_map_get(ctx, in, ik->name) == NULL)
			cfg_errat(ctx, &in->start_mark,
			    "missing required key \"%s\" in %s", ik->name,
			    ls->what);
	/* A broken item is not kept: the load fails anyway. */
	if (diag_count(&ctx->diag) == nerr &&
	    (ls->accept == NULL || ls->accept(ctx, elem, in) == 0)) {
		cfg_mark_pos(ctx, &in->start_mark, elem_pos(ls, elem));
		kept = list_append(ctx, ls, elem) == 0;
	}
	if (!kept)
		cfg_free_fields(ls->item, elem);
	free(elem);
}

static void
parse_list(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	const struct listspec *ls = k->list;
	yaml_node_item_t *it;
	yaml_node_t *in;

	if (!cfg_is_null(v) && v->type != YAML_SEQUENCE_NODE) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a list",
		    k->name);
		return;
	}
	cfg_list_drop(ctx->cfg, ls, 1);
	if (cfg_is_null(v))
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		in = cfg_node(ctx, *it);
		if (in->type != YAML_MAPPING_NODE) {
			cfg_errat(ctx, &in->start_mark,
			    "each item of \"%s\" must be a mapping", k->name);
			continue;
		}
		parse_item(ctx, ls, in);
	}
}

/* Mappings */

/* Keys that hold one value: set twice anywhere is an error. */
static int
is_leaf(const struct key *k)
{
	switch (k->type) {
	case K_STR:
	case K_BOOL:
	case K_INT:
	case K_SIZE:
	case K_DOUBLE:
	case K_ENUM:
	case K_OFFSET:
	case K_SECRETFILE:
		return 1;
	case K_REFUSED:
	case K_SECTION:
	case K_LIST:
	case K_INCLUDE:
	case K_TREES:
		break;
	}
	return 0;
}

const struct seen *
cfg_find_seen(struct ctx *ctx, const struct key *k)
{
	size_t i;

	for (i = 0; i < ctx->nseen; i++)
		if (ctx->seen[i].k == k)
			return &ctx->seen[i];
	return NULL;
}

static void
set_value(struct ctx *ctx, const struct key *k, const yaml_node_t *kn,
    const yaml_node_t *v, void *base, int global)
{
	switch (k->type) {
	case K_STR:
		set_str(ctx, k, v, base);
		break;
	case K_BOOL:
		set_bool(ctx, k, v, base);
		break;
	case K_INT:
	case K_SIZE:
		set_integer(ctx, k, v, base);
		break;
	case K_DOUBLE:
		set_double(ctx, k, v, base);
		break;
	case K_ENUM:
		set_enum(ctx, k, v, base);
		break;
	case K_OFFSET:
		set_offset(ctx, k, v, base);
		break;
	case K_SECRETFILE:
		set_secretfile(ctx, k, v, base);
		break;
	case K_REFUSED:
		cfg_errat(ctx, &kn->start_mark, "%s", k->badmsg);
		break;
	case K_SECTION:
		if (cfg_is_null(v))
			break;
		if (v->type != YAML_MAPPING_NODE) {
			cfg_errat(ctx, &v->start_mark,
			    "\"%s\" must be a mapping", k->name);
			break;
		}
		cfg_parse_map(ctx, v, k->sub, base, k->where, global);
		break;
	case K_LIST:
		parse_list(ctx, k, v);
		break;
	case K_INCLUDE:
		cfg_parse_include(ctx, k, v);
		break;
	case K_TREES:
		cfg_parse_trees(ctx, k, v);
		break;
	}
}

/* Record a leaf as set (at its key kn); -1 if it was set before. */
static int
see_leaf(struct ctx *ctx, const struct key *k, const yaml_node_t *kn)
{
	struct seen *seen;

	if (cfg_find_seen(ctx, k) != NULL) {
		cfg_errat(ctx, &kn->start_mark, "duplicate key \"%s\"",
		    k->name);
		return -1;
	}
	if ((seen = cfg_reallocarray(ctx, ctx->seen, ctx->nseen + 1,
		 sizeof(*ctx->seen))) == NULL)
		return -1;
	ctx->seen = seen;
	seen[ctx->nseen].k = k;
	cfg_mark_pos(ctx, &kn->start_mark, &seen[ctx->nseen].pos);
	ctx->nseen++;
	return 0;
}

/*
 * Walk one mapping against its table. global: base is the struct config,
 * and leaves are recorded so that a second setting in any file is caught
 * (list items have their own per-item base and are not recorded).
 */
void
cfg_parse_map(struct ctx *ctx, const yaml_node_t *map, const struct key *tab,
    void *base, const char *where, int global)
{
	yaml_node_pair_t *pair;
	const struct alias *a;
	const struct key *k;
	yaml_node_t *kn, *v;
	const char *name;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		kn = cfg_node(ctx, pair->key);
		v = cfg_node(ctx, pair->value);
		if (kn->type != YAML_SCALAR_NODE) {
			cfg_errat(ctx, &kn->start_mark,
			    "keys in %s must be strings", where);
			continue;
		}
		name = cfg_scalar(kn);
		if (cfg_dup_in_map(ctx, map, pair, name)) {
			cfg_errat(ctx, &kn->start_mark, "duplicate key \"%s\"",
			    name);
			continue;
		}
		for (k = tab; k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (k->name == NULL) {
			cfg_errat(ctx, &kn->start_mark,
			    "unknown key \"%s\" in %s", name, where);
			continue;
		}
		/* Kept trees refuse aliases (config_tree.c), even as a
		 * whole. */
		if (k->type == K_TREES &&
		    (a = cfg_alias_at(ctx, map,
			 2 * (size_t)(pair - map->data.mapping.pairs.start) +
			     1)) != NULL) {
			cfg_alias_error(ctx, a);
			continue;
		}
		if (global && is_leaf(k) && see_leaf(ctx, k, kn) == -1)
			continue;
		set_value(ctx, k, kn, v, base, global);
	}
}
