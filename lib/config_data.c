/*
 * config_data: what a loaded configuration holds, read and released through
 * the key tables: the defaults, freeing, dropping list elements and kept
 * trees, and the lookups every other file of the module may need. It calls
 * no other file of the module, so anything may call it.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* Lookups */

const struct cfg_facility *
config_facility(const struct config *cfg, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < cfg->nfacilities; i++)
		if (strcmp(cfg->facilities[i].id, id) == 0)
			return &cfg->facilities[i];
	return NULL;
}

const struct cfg_generator *
config_generator(const struct config *cfg, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < cfg->ngenerators; i++)
		if (strcmp(cfg->generators[i].id, id) == 0)
			return &cfg->generators[i];
	return NULL;
}

const struct cfg_vehicle *
config_vehicle(const struct config *cfg, const char *plate)
{
	size_t i;

	if (plate == NULL)
		return NULL;
	for (i = 0; i < cfg->nvehicles; i++)
		if (strcmp(cfg->vehicles[i].plate, plate) == 0)
			return &cfg->vehicles[i];
	return NULL;
}

void
config_site(const struct config *cfg, size_t tag,
    const struct cfg_facility **fac, const struct cfg_generator **gen)
{
	*fac = NULL;
	*gen = NULL;
	if (tag < cfg->nfacilities)
		*fac = &cfg->facilities[tag];
	else if (tag - cfg->nfacilities < cfg->ngenerators)
		*gen = &cfg->generators[tag - cfg->nfacilities];
}

int
config_waste_match(const char *pattern, const char *waste)
{
	size_t n;

	if (pattern == NULL || waste == NULL)
		return 0;
	if (strcmp(pattern, "*") == 0)
		return 1;
	n = strlen(pattern);
	/* "cw.*": the family and its dot, so "cw.*" is not "cwx.a". */
	if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
		return strncmp(pattern, waste, n - 1) == 0;
	return strcmp(pattern, waste) == 0;
}

const struct cfg_node *
cfg_node_get(const struct cfg_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != CFG_NODE_MAP || key == NULL)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->children[i];
	return NULL;
}

int
cfg_in_oneof(const char *const *oneof, const char *name)
{
	const char *const *o;

	for (o = oneof; *o != NULL; o++)
		if (strcmp(*o, name) == 0)
			return 1;
	return 0;
}

int
cfg_defined_profile(struct ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->npnames; i++)
		if (strcmp(ctx->pnames[i], name) == 0)
			return 1;
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

/* Defaults and freeing walk the same tables as the parser. */

/* -1: out of memory, and what was set is left for cfg_free_fields(). */
int
cfg_apply_defaults(const struct key *tab, void *base)
{
	const struct key *k;

	for (k = tab; k->name != NULL; k++)
		switch (k->type) {
		case K_STR:
			if (k->defstr != NULL &&
			    (*cfg_fstr(base, k) = strdup(k->defstr)) == NULL)
				return -1;
			break;
		case K_BOOL:
		case K_INT:
		case K_ENUM:
		case K_OFFSET:
			*cfg_fint(base, k) = (int)k->defnum;
			break;
		case K_SIZE:
			*cfg_fsize(base, k) = (size_t)k->defnum;
			break;
		case K_DOUBLE:
			*cfg_fdbl(base, k) = k->defdbl;
			break;
		case K_SECTION:
			if (cfg_apply_defaults(k->sub, base) == -1)
				return -1;
			break;
		case K_SECRETFILE:
		case K_REFUSED:
		case K_LIST:
		case K_INCLUDE:
		case K_TREES:
		case K_CUSTOM:
			break;
		}
	return 0;
}

void
cfg_free_fields(const struct key *tab, void *base)
{
	const struct key *k;
	char **s;

	for (k = tab; k->name != NULL; k++)
		switch (k->type) {
		case K_SECRETFILE:
			/* Do not leave the password in freed heap memory. */
			s = cfg_fstr(base, k);
			if (*s != NULL)
				explicit_bzero(*s, strlen(*s));
			free(*s);
			*s = NULL;
			break;
		case K_STR:
			s = cfg_fstr(base, k);
			free(*s);
			*s = NULL;
			break;
		case K_SECTION:
			cfg_free_fields(k->sub, base);
			break;
		case K_LIST:
			cfg_list_drop(base, k->list, 0);
			break;
		case K_TREES:
			cfg_trees_drop(base, k->trees);
			break;
		case K_CUSTOM:
			k->release(k, base);
			break;
		case K_BOOL:
		case K_INT:
		case K_SIZE:
		case K_DOUBLE:
		case K_ENUM:
		case K_OFFSET:
		case K_REFUSED:
		case K_INCLUDE:
			break;
		}
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

	arr = cfg_list_get(cfg, ls, &n);
	for (i = 0; i < n; i++) {
		elem = arr + i * ls->size;
		if (defaults_only && cfg_elem_pos(ls, elem)->file != NULL) {
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
	cfg_list_set(cfg, ls, arr, kept);
}

void
cfg_tree_free(struct cfg_node *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		if (t->keys != NULL)
			free(t->keys[i]);
		cfg_tree_free(t->children[i]);
	}
	free(t->keys);
	free(t->key_pos);
	free(t->children);
	free(t->value);
	free(t);
}

void
cfg_trees_drop(void *base, const struct treespec *ts)
{
	struct cfg_node ***arr = cfg_ftrees(base, ts);
	size_t *n = cfg_ftrees_n(base, ts), i;

	for (i = 0; i < *n; i++)
		cfg_tree_free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}
