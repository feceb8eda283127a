/*
 * config_util: what every file of the config module needs: allocation that
 * reports its failure instead of exiting, diagnostics at a libyaml mark or
 * a cfg_pos, and access to the nodes of the document being walked.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* Memory: each failure is one "out of memory" for the load (diag.h). */

void *
cfg_calloc(struct ctx *ctx, size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		diag_nomem(&ctx->diag);
	return p;
}

/* NULL on failure, and p is left as it was (still the caller's). */
void *
cfg_reallocarray(struct ctx *ctx, void *p, size_t n, size_t size)
{
	void *np;

	if (size != 0 && n > SIZE_MAX / size) {
		diag_nomem(&ctx->diag);
		return NULL;
	}
	if ((np = realloc(p, n * size)) == NULL)
		diag_nomem(&ctx->diag);
	return np;
}

char *
cfg_strdup(struct ctx *ctx, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		diag_nomem(&ctx->diag);
	return p;
}

char *
cfg_asprintf(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		diag_nomem(&ctx->diag);
		return NULL;
	}
	return s;
}

/* Errors, in the order they are found. */

void
cfg_errfmt(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(&ctx->diag, fmt, ap);
	va_end(ap);
}

/* An error tied to a place: libyaml marks are 0-based, ours 1-based. */
void
cfg_errat(struct ctx *ctx, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vat(&ctx->diag, ctx->file, m->line + 1, m->column + 1, fmt, ap);
	va_end(ap);
}

/* The same for a place already converted (a cfg_node, a deferred check). */
void
cfg_errpos(struct ctx *ctx, const struct cfg_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vat(&ctx->diag, pos->file, (size_t)pos->line, (size_t)pos->col,
	    fmt, ap);
	va_end(ap);
}

void
cfg_mark_pos(struct ctx *ctx, const yaml_mark_t *m, struct cfg_pos *pos)
{
	pos->file = ctx->file;
	pos->line = (int)m->line + 1;
	pos->col = (int)m->column + 1;
}

/* Nodes */

yaml_node_t *
cfg_node(struct ctx *ctx, int i)
{
	return yaml_document_get_node(ctx->doc, i);
}

const char *
cfg_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: YAML's ways of writing nothing. */
int
cfg_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = cfg_scalar(n);
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* The value of the first scalar key "name" in a mapping, or NULL. */
yaml_node_t *
cfg_map_get(struct ctx *ctx, const yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		kn = cfg_node(ctx, pair->key);
		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp(cfg_scalar(kn), name) == 0)
			return cfg_node(ctx, pair->value);
	}
	return NULL;
}

/* Whether a key before this pair in the same mapping has the same name. */
int
cfg_dup_in_map(struct ctx *ctx, const yaml_node_t *map,
    const yaml_node_pair_t *at, const char *name)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn;

	for (pair = map->data.mapping.pairs.start; pair < at; pair++) {
		kn = cfg_node(ctx, pair->key);
		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp(cfg_scalar(kn), name) == 0)
			return 1;
	}
	return 0;
}

/* libyaml's index of a node of the document being walked (1-based). */
static int
node_index(struct ctx *ctx, const yaml_node_t *n)
{
	return (int)(n - ctx->doc->nodes.start) + 1;
}

/* The alias that fills slot of the collection node n, or NULL. */
const struct alias *
cfg_alias_at(struct ctx *ctx, const yaml_node_t *n, size_t slot)
{
	int parent = node_index(ctx, n);
	size_t i;

	for (i = 0; i < ctx->naliases; i++)
		if (ctx->aliases[i].parent == parent &&
		    ctx->aliases[i].slot == slot)
			return &ctx->aliases[i];
	return NULL;
}

void
cfg_alias_error(struct ctx *ctx, const struct alias *a)
{
	cfg_errat(ctx, &a->mark, "aliases are not supported");
}
