/*
 * config: YAML configuration, see config.h; the files of the module are
 * listed in config_int.h. This one reads files: includes, aliases, the
 * defaults, freeing, and the public functions.
 *
 * libyaml's document API gives a node tree with marks, so every error can
 * cite the place it comes from. Names that may be defined in any file (a
 * subscription's profile) are checked once every file is read. Aliases are
 * refused inside kept trees; libyaml's document API hides them, so each
 * file is also scanned as events.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "log.h"

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

/* Includes */

static void load_file(struct ctx *, const char *, const yaml_mark_t *,
    const char *);

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
		load_file(ctx, p, &mark, s);
	}
done:
	globfree(&g);
	free(pat);
}

void
cfg_parse_include(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
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

/* Files */

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

/* The whole of fp; -1 with errno on a read error or ENOMEM. */
static int
read_all(FILE *fp, char **text, size_t *len)
{
	size_t cap = 4096, n;
	char *buf, *nbuf;

	*len = 0;
	if ((buf = calloc(cap, 1)) == NULL)
		return -1;
	errno = 0;
	for (;;) {
		if (*len == cap) {
			if (cap > SIZE_MAX / 2 ||
			    (nbuf = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = fread(buf + *len, 1, cap - *len, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	*text = buf;
	return 0;
}

/* One more alias at the innermost open collection of scan_aliases(). */
static int
add_alias(struct ctx *ctx, int parent, size_t slot, const yaml_mark_t *mark)
{
	struct alias *a;

	if ((a = cfg_reallocarray(ctx, ctx->aliases, ctx->naliases + 1,
		 sizeof(*ctx->aliases))) == NULL)
		return -1;
	ctx->aliases = a;
	a[ctx->naliases].parent = parent;
	a[ctx->naliases].slot = slot;
	a[ctx->naliases++].mark = *mark;
	return 0;
}

/*
 * Where the first document of text uses aliases, into ctx->aliases.
 * libyaml's document API resolves an alias into a second reference to the
 * anchored node and keeps no trace of it, so the text is parsed again as
 * events. The loader numbers nodes in event order, which is what makes an
 * alias known by its collection's node index and its slot there. A syntax
 * error just ends the scan: the loader reports it. -1: out of memory.
 */
static int
scan_aliases(struct ctx *ctx, const char *text, size_t len)
{
	struct open {
		int node;
		size_t slots;
	} *stk = NULL, *nstk;
	size_t depth = 0, cap = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	int n = 0, done = 0, rc = 0;

	if (!yaml_parser_initialize(&p)) {
		diag_nomem(&ctx->diag);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0 && yaml_parser_parse(&p, &ev)) {
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n++;
			if (depth > 0)
				stk[depth - 1].slots++;
			if (ev.type == YAML_SCALAR_EVENT)
				break;
			if (depth == cap) {
				if ((nstk = cfg_reallocarray(ctx, stk,
					 cap * 2 + 16, sizeof(*stk))) == NULL) {
					rc = -1;
					break;
				}
				stk = nstk;
				cap = cap * 2 + 16;
			}
			stk[depth].node = n;
			stk[depth++].slots = 0;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_ALIAS_EVENT:
			if (depth == 0)
				break; /* a root alias cannot be defined */
			rc = add_alias(ctx, stk[depth - 1].node,
			    stk[depth - 1].slots++, &ev.start_mark);
			break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (rc == 0 && !done &&
	    (p.error == YAML_MEMORY_ERROR || p.error == YAML_NO_ERROR)) {
		diag_nomem(&ctx->diag);
		rc = -1;
	}
	yaml_parser_delete(&p);
	free(stk);
	return rc;
}

/* Report that path cannot be opened or read, where the include names it. */
static void
file_error(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern, const char *what, int error)
{
	if (from != NULL)
		cfg_errat(ctx, from, "include \"%s\": cannot %s \"%s\": %s",
		    pattern, what, path, strerror(error));
	else
		cfg_errfmt(ctx, "%s: cannot %s: %s", path, what,
		    strerror(error));
}

/*
 * The text of path, and its realpath(3) (NULL if unknown) for the include
 * loop check; -1 after reporting why there is none.
 */
static int
read_file(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern, char **text, size_t *len, char **real)
{
	struct stat st;
	FILE *fp = NULL;
	int error = 0, i, rc = -1;

	*real = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		error = errno;
	else if (fstat(fileno(fp), &st) == -1)
		error = errno;
	else if (S_ISDIR(st.st_mode))
		error = EISDIR; /* fopen(3) accepts a directory */
	if (error != 0) {
		file_error(ctx, path, from, pattern, "open", error);
		goto done;
	}
	/* Only a loop can nest 8 deep in practice; name it as one. */
	if ((*real = realpath(path, NULL)) != NULL && from != NULL)
		for (i = 0; i <= ctx->depth; i++)
			if (ctx->stack[i] != NULL &&
			    strcmp(ctx->stack[i], *real) == 0) {
				cfg_errat(ctx, from,
				    "include \"%s\": \"%s\" "
				    "is already being read (include loop)",
				    pattern, path);
				goto done;
			}
	/* Read once, parsed twice: see scan_aliases(). */
	if (read_all(fp, text, len) == -1) {
		file_error(ctx, path, from, pattern, "read", errno);
		goto done;
	}
	rc = 0;
done:
	if (fp != NULL)
		fclose(fp);
	if (rc == -1) {
		free(*real);
		*real = NULL;
	}
	return rc;
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
		cfg_parse_map(ctx, root, cfg_top_keys, ctx->cfg, "top level",
		    1);
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
static void
load_file(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern)
{
	yaml_document_t *odoc = ctx->doc;
	const char *ofile = ctx->file, *file;
	char *odir = ctx->dir, *real = NULL, *text = NULL, *dir = NULL;
	struct alias *oaliases = ctx->aliases;
	size_t onaliases = ctx->naliases, len = 0;

	if (read_file(ctx, path, from, pattern, &text, &len, &real) == -1)
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
	if (scan_aliases(ctx, text, len) == 0)
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

/* Rules between keys, checked once everything is read. */
static void
cross_check(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct cfg_pos pos = { NULL, 1, 1 };
	const struct seen *s;
	const struct key *k;
	const struct profref *r;
	size_t i;

	/* Profiles may be defined in any file, before or after their use. */
	for (i = 0; i < ctx->nrefs; i++) {
		r = &ctx->refs[i];
		if (!cfg_in_oneof(r->k->oneof, r->name) &&
		    !cfg_defined_profile(ctx, r->name))
			cfg_errpos(ctx, &r->pos, "%s \"%s\"%s", r->k->badmsg,
			    r->name,
			    r->k->badhint != NULL ? r->k->badhint : "");
	}
	if (cfg->mqtt.reconnect_min_s > cfg->mqtt.reconnect_max_s) {
		for (k = cfg_mqtt_keys; strcmp(k->name, "reconnect_min_s") != 0;
		     k++)
			;
		/* Only a file can set min above max; the defaults do not. */
		if ((s = cfg_find_seen(ctx, k)) != NULL)
			pos = s->pos;
		cfg_errpos(ctx, &pos,
		    "\"reconnect_min_s\" must not exceed "
		    "\"reconnect_max_s\"");
	}
}

/* Defaults and freeing walk the same tables as the parser. */

/* -1: out of memory, and what was set is left for cfg_free_fields(). */
static int
apply_defaults(const struct key *tab, void *base)
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
			if (apply_defaults(k->sub, base) == -1)
				return -1;
			break;
		case K_SECRETFILE:
		case K_REFUSED:
		case K_LIST:
		case K_INCLUDE:
		case K_TREES:
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

/* API */

struct config *
config_default(void)
{
	struct config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	if (apply_defaults(cfg_top_keys, cfg) == -1 ||
	    (cfg->subs = calloc(1, sizeof(*cfg->subs))) == NULL)
		goto fail;
	cfg->nsubs = 1;
	if ((cfg->subs[0].topic = strdup("wt/v1/#")) == NULL ||
	    (cfg->subs[0].profile = strdup("wastetrack")) == NULL)
		goto fail;
	return cfg;

fail:
	config_free(cfg);
	return NULL;
}

/* What only the load needs. */
static void
ctx_free(struct ctx *ctx)
{
	size_t i;

	free(ctx->seen);
	for (i = 0; i < ctx->npnames; i++)
		free(ctx->pnames[i]);
	free(ctx->pnames);
	for (i = 0; i < ctx->nrefs; i++)
		free(ctx->refs[i].name);
	free(ctx->refs);
}

int
config_load(const char *path, struct config **out, char **errors)
{
	struct ctx ctx;

	*out = NULL;
	if (errors != NULL)
		*errors = NULL;
	memset(&ctx, 0, sizeof(ctx));
	diag_init(&ctx.diag);
	if ((ctx.cfg = config_default()) == NULL)
		diag_nomem(&ctx.diag);
	else if ((ctx.cfg->path = cfg_strdup(&ctx, path)) != NULL) {
		load_file(&ctx, path, NULL, NULL);
		cross_check(&ctx);
	}
	ctx_free(&ctx);

	if (diag_count(&ctx.diag) > 0) {
		if (errors != NULL)
			*errors = diag_take(&ctx.diag);
		else
			diag_free(&ctx.diag);
		config_free(ctx.cfg);
		return -1;
	}
	*out = ctx.cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	cfg_free_fields(cfg_top_keys, cfg);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	free(cfg);
}

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
