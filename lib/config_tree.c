/*
 * config_tree: sections another module compiles (profiles, lib/profile.c)
 * are kept as cfg_node trees with their positions; only what the rest of
 * the configuration depends on, the profile names, is checked by the
 * treespec's accept() (config_schema.c).
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* A copy of a scalar's text; NUL bytes would silently cut it short. */
static char *
tree_text(struct ctx *ctx, const yaml_node_t *n)
{
	if (strlen(cfg_scalar(n)) != n->data.scalar.length)
		cfg_errat(ctx, &n->start_mark,
		    "scalars must not contain NUL bytes");
	return cfg_strdup(ctx, cfg_scalar(n));
}

static struct cfg_node *tree_node(struct ctx *, const struct treespec *,
    const yaml_node_t *, int);

static void
tree_list(struct ctx *ctx, const struct treespec *ts, const yaml_node_t *yn,
    struct cfg_node *t, int depth)
{
	const struct alias *a;
	yaml_node_item_t *it;
	struct cfg_node *c;
	size_t i;

	for (it = yn->data.sequence.items.start, i = 0;
	     it < yn->data.sequence.items.top; it++, i++) {
		if ((a = cfg_alias_at(ctx, yn, i)) != NULL) {
			cfg_alias_error(ctx, a);
			continue;
		}
		if ((c = tree_node(ctx, ts, cfg_node(ctx, *it), depth + 1)) !=
		    NULL)
			t->children[t->n++] = c;
	}
}

static void
tree_map(struct ctx *ctx, const struct treespec *ts, const yaml_node_t *yn,
    struct cfg_node *t, int depth)
{
	const struct alias *a, *ka;
	yaml_node_pair_t *pair;
	yaml_node_t *kn;
	struct cfg_node *c;
	char *key;
	size_t i;

	for (pair = yn->data.mapping.pairs.start, i = 0;
	     pair < yn->data.mapping.pairs.top; pair++, i++) {
		ka = cfg_alias_at(ctx, yn, 2 * i);
		a = cfg_alias_at(ctx, yn, 2 * i + 1);
		if (ka != NULL)
			cfg_alias_error(ctx, ka);
		if (a != NULL)
			cfg_alias_error(ctx, a);
		if (ka != NULL || a != NULL)
			continue;
		kn = cfg_node(ctx, pair->key);
		if (kn->type != YAML_SCALAR_NODE) {
			cfg_errat(ctx, &kn->start_mark,
			    "keys in %s must be strings", ts->what);
			continue;
		}
		if (cfg_dup_in_map(ctx, yn, pair, cfg_scalar(kn))) {
			cfg_errat(ctx, &kn->start_mark, "duplicate key \"%s\"",
			    cfg_scalar(kn));
			continue;
		}
		if ((key = tree_text(ctx, kn)) == NULL)
			continue;
		if ((c = tree_node(ctx, ts, cfg_node(ctx, pair->value),
			 depth + 1)) == NULL) {
			free(key);
			continue;
		}
		t->keys[t->n] = key;
		cfg_mark_pos(ctx, &kn->start_mark, &t->key_pos[t->n]);
		t->children[t->n++] = c;
	}
}

/*
 * Copy one YAML node and everything below it. Errors are reported and the
 * offending entry left out; the caller drops the whole tree if any was
 * reported. Aliases are refused, not resolved: they would need a copy per
 * reference (exponential for nested ones, endless for a recursive one), and
 * would give one node the position of another. NULL: out of memory.
 */
static struct cfg_node *
tree_node(struct ctx *ctx, const struct treespec *ts, const yaml_node_t *yn,
    int depth)
{
	struct cfg_node *t;
	size_t n = 0;

	if ((t = cfg_calloc(ctx, 1, sizeof(*t))) == NULL)
		return NULL;
	cfg_mark_pos(ctx, &yn->start_mark, &t->pos);
	switch (yn->type) {
	case YAML_NO_NODE: /* not made by the loader */
		t->type = CFG_NODE_SCALAR;
		if ((t->value = cfg_strdup(ctx, "")) == NULL)
			goto fail;
		return t;
	case YAML_SCALAR_NODE:
		t->type = CFG_NODE_SCALAR;
		if ((t->value = tree_text(ctx, yn)) == NULL)
			goto fail;
		t->quoted =
		    yn->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    yn->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		return t;
	case YAML_SEQUENCE_NODE:
		t->type = CFG_NODE_LIST;
		n = (size_t)(yn->data.sequence.items.top -
		    yn->data.sequence.items.start);
		break;
	case YAML_MAPPING_NODE:
		t->type = CFG_NODE_MAP;
		n = (size_t)(yn->data.mapping.pairs.top -
		    yn->data.mapping.pairs.start);
		if ((t->keys = cfg_calloc(ctx, n + 1, sizeof(*t->keys))) ==
			NULL ||
		    (t->key_pos = cfg_calloc(ctx, n + 1,
			 sizeof(*t->key_pos))) == NULL)
			goto fail;
		break;
	}
	if ((t->children = cfg_calloc(ctx, n + 1, sizeof(*t->children))) ==
	    NULL)
		goto fail;
	if (depth >= TREE_DEPTH_MAX) {
		cfg_errat(ctx, &yn->start_mark,
		    "%s nested deeper than %d levels", ts->what,
		    TREE_DEPTH_MAX);
		return t;
	}
	if (t->type == CFG_NODE_LIST)
		tree_list(ctx, ts, yn, t, depth);
	else
		tree_map(ctx, ts, yn, t, depth);
	return t;

fail:
	cfg_tree_free(t);
	return NULL;
}

void
cfg_parse_trees(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	const struct treespec *ts = k->trees;
	const struct alias *a;
	struct cfg_node ***arr = cfg_ftrees(ctx->cfg, ts), **narr, *t;
	size_t *n = cfg_ftrees_n(ctx->cfg, ts), i, nerr;
	yaml_node_item_t *it;
	yaml_node_t *in;
	int ok;

	if (cfg_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a list",
		    k->name);
		return;
	}
	for (it = v->data.sequence.items.start, i = 0;
	     it < v->data.sequence.items.top; it++, i++) {
		if ((a = cfg_alias_at(ctx, v, i)) != NULL) {
			cfg_alias_error(ctx, a);
			continue;
		}
		in = cfg_node(ctx, *it);
		if (in->type != YAML_MAPPING_NODE) {
			cfg_errat(ctx, &in->start_mark,
			    "each item of \"%s\" must be a mapping", k->name);
			continue;
		}
		nerr = diag_count(&ctx->diag);
		if ((t = tree_node(ctx, ts, in, 0)) == NULL)
			continue;
		ok = ts->accept == NULL || ts->accept(ctx, t) == 0;
		/* A broken item is not kept: the load fails anyway. */
		if (ok && diag_count(&ctx->diag) == nerr &&
		    (narr = cfg_reallocarray(ctx, *arr, *n + 1,
			 sizeof(**arr))) != NULL) {
			*arr = narr;
			(*arr)[(*n)++] = t;
		} else
			cfg_tree_free(t);
	}
}
