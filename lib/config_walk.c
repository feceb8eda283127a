/*
 * config_walk: the walk of a mapping against its key table, lists of
 * mappings, and `include:`, which loads more files into the same walk.
 * They call each other (a list item and a section are mappings; a file is
 * a mapping that may include files), so they live in one file: the
 * recursion stays visible here instead of running through a function
 * pointer, and none of the files this one calls ever calls back.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "log.h"

static void parse_map(struct ctx *, const yaml_node_t *, const struct key *,
    void *, const char *, int);

/* Lists of mappings */

static int
list_append(struct ctx *ctx, const struct listspec *ls, const void *elem)
{
	char *arr, *narr;
	size_t n;

	arr = cfg_list_get(ctx->cfg, ls, &n);
	if ((narr = cfg_reallocarray(ctx, arr, n + 1, ls->size)) == NULL)
		return -1;
	memcpy(narr + n * ls->size, elem, ls->size);
	cfg_list_set(ctx->cfg, ls, narr, n + 1);
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
	parse_map(ctx, in, ls->item, elem, ls->what, 0);
	for (ik = ls->item; ik->name != NULL; ik++)
		if ((ik->flags & F_REQUIRED) &&
		    cfg_map_get(ctx, in, ik->name) == NULL)
			cfg_errat(ctx, &in->start_mark,
			    "missing required key \"%s\" in %s", ik->name,
			    ls->what);
	/* A broken item is not kept: the load fails anyway. */
	if (diag_count(&ctx->diag) == nerr &&
	    (ls->accept == NULL || ls->accept(ctx, elem, in) == 0)) {
		cfg_mark_pos(ctx, &in->start_mark, cfg_elem_pos(ls, elem));
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

/* Includes */

/* dir "/" pat, with glob metacharacters in dir taken literally. */
static char *
glob_join(struct ctx *ctx, const char *dir, const char *pat)
{
	size_t n = strlen(dir), i, j = 0;
	char *s;

	if ((s = cfg_calloc(ctx, 2 * n + strlen(pat) + 2, 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strchr("*?[\\", dir[i]) != NULL)
			s[j++] = '\\';
		s[j++] = dir[i];
	}
	s[j++] = '/';
	memcpy(s + j, pat, strlen(pat) + 1);
	return s;
}

static void
include_glob(struct ctx *ctx, const yaml_node_t *in)
{
	yaml_mark_t mark = in->start_mark;
	const char *s = cfg_scalar(in);
	char *pat = NULL, *p;
	glob_t g;
	size_t i;
	int rc;

	memset(&g, 0, sizeof(g));
	if (ctx->depth >= INCLUDE_DEPTH_MAX) {
		cfg_errat(ctx, &mark,
		    "include \"%s\": nested deeper than %d levels", s,
		    INCLUDE_DEPTH_MAX);
		return;
	}
	if ((pat = s[0] == '/' ? cfg_strdup(ctx, s)
			       : glob_join(ctx, ctx->dir, s)) == NULL)
		return;
	/* GLOB_MARK: directories end in '/', and are skipped. */
	rc = glob(pat, GLOB_MARK, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* An empty conf.d is normal; a typo shows up in the log. */
		log_warnx("config: %s:%zu:%zu: include \"%s\" matched no file",
		    ctx->file, mark.line + 1, mark.column + 1, s);
		goto done;
	}
	if (rc == GLOB_NOSPACE) {
		diag_nomem(&ctx->diag);
		goto done;
	}
	if (rc != 0) {
		cfg_errat(ctx, &mark, "include \"%s\": cannot read directory",
		    s);
		goto done;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		p = g.gl_pathv[i];
		if (*p != '\0' && p[strlen(p) - 1] == '/')
			continue;
		cfg_load_file(ctx, p, &mark, s);
	}
done:
	globfree(&g);
	free(pat);
}

static void
parse_include(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	yaml_node_item_t *it;
	yaml_node_t *in;

	if (cfg_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		cfg_errat(ctx, &v->start_mark, "\"%s\" must be a list",
		    k->name);
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		in = cfg_node(ctx, *it);
		if (in->type != YAML_SCALAR_NODE || cfg_is_null(in) ||
		    *cfg_scalar(in) == '\0') {
			cfg_errat(ctx, &in->start_mark,
			    "each item of \"%s\" must be a string", k->name);
			continue;
		}
		include_glob(ctx, in);
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
	case K_CUSTOM:
		break;
	}
	return 0;
}

static void
set_value(struct ctx *ctx, const struct key *k, const yaml_node_t *kn,
    const yaml_node_t *v, void *base, int global)
{
	switch (k->type) {
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
		parse_map(ctx, v, k->sub, base, k->where, global);
		break;
	case K_LIST:
		parse_list(ctx, k, v);
		break;
	case K_INCLUDE:
		parse_include(ctx, k, v);
		break;
	case K_TREES:
		cfg_parse_trees(ctx, k, v);
		break;
	case K_CUSTOM:
		k->parse(ctx, k, v, base);
		break;
	case K_STR:
	case K_BOOL:
	case K_INT:
	case K_SIZE:
	case K_DOUBLE:
	case K_ENUM:
	case K_OFFSET:
	case K_SECRETFILE:
		cfg_set_leaf(ctx, k, v, base);
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
static void
parse_map(struct ctx *ctx, const yaml_node_t *map, const struct key *tab,
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

/* Files */

/* libyaml stops at the first syntax error, so there is one per file. */
static void
syntax_error(struct ctx *ctx, const yaml_parser_t *p)
{
	/* libyaml fails without an error code only when malloc fails. */
	if (p->error == YAML_MEMORY_ERROR || p->error == YAML_NO_ERROR) {
		diag_nomem(&ctx->diag);
		return;
	}
	/* The reader (encoding) errors carry a byte offset, not a mark. */
	if (p->error == YAML_READER_ERROR) {
		cfg_errfmt(ctx, "%s: %s at byte %zu", ctx->file,
		    p->problem ? p->problem : "cannot read", p->problem_offset);
		return;
	}
	cfg_errat(ctx, &p->problem_mark, "%s",
	    p->problem ? p->problem : "cannot parse YAML");
}

/* path in cfg->files, which cfg_pos.file points into; NULL: no memory. */
/* path in cfg->files, which cfg_pos.file points into; NULL: no memory. */
static const char *
add_file(struct ctx *ctx, const char *path)
{
	struct config *cfg = ctx->cfg;
	char **files, *copy;

	if ((copy = cfg_strdup(ctx, path)) == NULL)
		return NULL;
	if ((files = cfg_reallocarray(ctx, cfg->files, cfg->nfiles + 1,
		 sizeof(*cfg->files))) == NULL) {
		free(copy);
		return NULL;
	}
	cfg->files = files;
	files[cfg->nfiles++] = copy;
	return copy;
}

static char *
dir_of(struct ctx *ctx, const char *path)
{
	const char *slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return cfg_strdup(ctx, ".");
	if (slash == path)
		return cfg_strdup(ctx, "/");
	return cfg_asprintf(ctx, "%.*s", (int)(slash - path), path);
}

/* Walk the document in text, the file being read, into ctx->cfg. */
static void
parse_text(struct ctx *ctx, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root, *r2;

	if (!yaml_parser_initialize(&parser)) {
		diag_nomem(&ctx->diag);
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(ctx, &parser);
		goto done;
	}
	ctx->doc = &doc;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		goto done_doc; /* an empty file: nothing to change */
	if (root->type == YAML_MAPPING_NODE)
		parse_map(ctx, root, cfg_top_keys, ctx->cfg, "top level", 1);
	else if (!cfg_is_null(root))
		cfg_errat(ctx, &root->start_mark,
		    "top level must be a mapping");

	/* A second document would otherwise be ignored without a word. */
	if (!yaml_parser_load(&parser, &extra))
		syntax_error(ctx, &parser);
	else {
		if ((r2 = yaml_document_get_root_node(&extra)) != NULL)
			cfg_errat(ctx, &r2->start_mark,
			    "only one YAML document is allowed");
		yaml_document_delete(&extra);
	}
done_doc:
	yaml_document_delete(&doc);
done:
	yaml_parser_delete(&parser);
}

/*
 * Read one file into ctx->cfg. from/pattern: the include item that named
 * it (NULL for the main file), which is where open errors are reported.
 * What describes the file being read is saved and restored around it.
 */
void
cfg_load_file(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern)
{
	yaml_document_t *odoc = ctx->doc;
	const char *ofile = ctx->file, *file;
	char *odir = ctx->dir, *real = NULL, *text = NULL, *dir = NULL;
	struct alias *oaliases = ctx->aliases;
	size_t onaliases = ctx->naliases, len = 0;

	if (cfg_read_file(ctx, path, from, pattern, &text, &len, &real) == -1)
		return;
	if ((file = add_file(ctx, path)) == NULL ||
	    (dir = dir_of(ctx, path)) == NULL) {
		free(real);
		free(text);
		return;
	}
	if (from != NULL)
		ctx->depth++;
	ctx->stack[ctx->depth] = real;
	ctx->file = file;
	ctx->dir = dir;
	ctx->aliases = NULL;
	ctx->naliases = 0;
	if (cfg_scan_aliases(ctx, text, len) == 0)
		parse_text(ctx, text, len);

	free(text);
	free(ctx->aliases);
	ctx->aliases = oaliases;
	ctx->naliases = onaliases;
	free(ctx->stack[ctx->depth]);
	ctx->stack[ctx->depth] = NULL;
	if (from != NULL)
		ctx->depth--;
	free(ctx->dir);
	ctx->doc = odoc;
	ctx->file = ofile;
	ctx->dir = odir;
}
