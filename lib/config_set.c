/*
 * config_set: one setter per kind of single value (the leaves of the key
 * tables). Every setter reports its own errors and leaves the field as it
 * was when the value is refused.
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

/* Set one leaf (is_leaf() in config_walk.c) from its value v. */
void
cfg_set_leaf(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
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
	case K_SECTION:
	case K_LIST:
	case K_INCLUDE:
	case K_TREES:
	case K_CUSTOM:
		break; /* not leaves: config_walk.c */
	}
}
