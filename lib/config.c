/*
 * config: YAML configuration, see config.h; the files of the module are
 * listed in config_int.h. This one is the top of the module: the public
 * entry points, and the rules between keys checked once every file is read.
 *
 * libyaml's document API gives a node tree with marks, so every error can
 * cite the place it comes from. Names that may be defined in any file (a
 * subscription's profile) are checked once every file is read. Aliases are
 * refused inside kept trees; libyaml's document API hides them, so each
 * file is also scanned as events (config_file.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "geofence.h"

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
	/* The value was checked when set (cfg_hours_ok). */
	(void)cfg_parse_hours(cfg->supervision.muck_hours,
	    &cfg->supervision.muck_from_min, &cfg->supervision.muck_to_min);
	if (diag_count(&ctx->diag) == 0)
		(void)cfg_build_fences(ctx);
}

/* API */

struct config *
config_default(void)
{
	struct config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	if (cfg_apply_defaults(cfg_top_keys, cfg) == -1 ||
	    (cfg->subs = calloc(1, sizeof(*cfg->subs))) == NULL)
		goto fail;
	cfg->nsubs = 1;
	(void)cfg_parse_hours(cfg->supervision.muck_hours,
	    &cfg->supervision.muck_from_min, &cfg->supervision.muck_to_min);
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
		cfg_load_file(&ctx, path, NULL, NULL);
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

int
config_load_default(const char *path, struct config **out, char **errors,
    int *defaulted)
{
	*defaulted = 0;
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return config_load(path, out, errors);
	*defaulted = 1;
	if (errors != NULL)
		*errors = NULL;
	return (*out = config_default()) != NULL ? 0 : -1;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	cfg_free_fields(cfg_top_keys, cfg);
	geofence_set_free(cfg->fences);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	free(cfg);
}
