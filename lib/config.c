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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_auth.h"
#include "config_int.h"
#include "geofence.h"
#include "store.h"

/* Where key sec.name was set, or the file's start (a default). */
static struct cfg_pos
seen_pos(struct ctx *ctx, const char *sec, const char *name)
{
	struct cfg_pos pos = { ctx->cfg->path, 1, 1 };
	const struct key *t, *k;
	const struct seen *s;

	for (t = cfg_top_keys; t->name != NULL; t++)
		for (k = t->sub; strcmp(t->name, sec) == 0 && k && k->name; k++)
			if (strcmp(k->name, name) == 0 &&
			    (s = cfg_find_seen(ctx, k)) != NULL)
				pos = s->pos;
	return pos;
}

/* 127.0.0.0/8, ::1 or localhost: only this host can connect. An
 * address, not a name that starts like one ("127.example.org"): a name
 * resolves wherever its DNS says. */
static int
loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char host[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n = colon != NULL ? (size_t)(colon - listen) : 0;

	if (strncmp(listen, "[::1]:", 6) == 0 ||
	    strncmp(listen, "localhost:", 10) == 0)
		return 1;
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, listen, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, &a) == 1 &&
	    (ntohl(a.s_addr) >> 24) == 127;
}

/*
 * Credentials are read with the rest, so that a check (-n, wastetrackctl
 * check) and a reload find their mistakes too. Without them the endpoint
 * answers only this host (docs/http.md): data of the city's operations are
 * not served to a network by default.
 */
static void
check_http(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct cfg_pos pos;

	if (cfg->http.auth_file != NULL) {
		if (api_auth_load(cfg->http.auth_file, &ctx->diag,
			&cfg->http.auth) == -1)
			return;
	} else if (!loopback(cfg->http.listen)) {
		pos = seen_pos(ctx, "http", "listen");
		cfg_errpos(ctx, &pos,
		    "http.listen \"%s\" is not a loopback address and "
		    "http.auth_file is not set: set one, or listen on "
		    "127.0.0.1 behind a reverse proxy",
		    cfg->http.listen);
	}
}

/* ingest.spool_dir when the files do not set it: beside the SQLite
 * file (same filesystem, same lifetime, same backups), else a fixed
 * directory of the service's. */
static int
spool_default(struct config *cfg)
{
	char *dir = NULL;

	if (cfg->database.backend == CFG_DB_SQLITE) {
		if (asprintf(&dir, "%s.spool", cfg->database.path) == -1)
			return -1;
	} else if ((dir = strdup(CFG_PG_SPOOL_DIR)) == NULL)
		return -1;
	free(cfg->ingest.spool_dir);
	cfg->ingest.spool_dir = dir;
	return 0;
}

/*
 * A libpq URI. No password in it: the file would then hold a secret that
 * backups, diffs and bug reports carry (mqtt.password is refused for the
 * same reason). NULL when good, else what is wrong.
 */
static const char *
pg_url_bad(const char *s)
{
	const char *auth, *end, *at;

	if (strncmp(s, "postgresql://", 13) == 0)
		auth = s + 13;
	else if (strncmp(s, "postgres://", 11) == 0)
		auth = s + 11;
	else
		return "must be a libpq URI, "
		       "postgresql://USER@HOST:PORT/DATABASE";
	end = auth + strcspn(auth, "/?");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (strstr(s, "password=") != NULL ||
	    (at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL))
		return "must not hold a password: put it in "
		       "database.password_file";
	if (strpbrk(s, " \t\r\n") != NULL)
		return "must not contain white space";
	return NULL;
}

/* The position of a key given by section and name, and whether it was
 * set in a file. */
static int
set_at(struct ctx *ctx, const char *sec, const char *name, struct cfg_pos *pos)
{
	const struct key *t, *k;

	*pos = seen_pos(ctx, sec, name);
	for (t = cfg_top_keys; t->name != NULL; t++)
		for (k = t->sub; strcmp(t->name, sec) == 0 && k && k->name; k++)
			if (strcmp(k->name, name) == 0)
				return cfg_find_seen(ctx, k) != NULL;
	return 0;
}

/*
 * The store (docs/cluster.md): PostgreSQL needs its URI; a shared group
 * needs a store several daemons can share. The password file is read by
 * the store when it connects (again after a reconnection, so that a
 * rotated password works); here only whether it can be.
 */
static void
check_store(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	const char *name = config_backend_name(cfg);
	struct cfg_pos pos;
	const char *why;
	int fd;

	if (cfg->database.url != NULL &&
	    (why = pg_url_bad(cfg->database.url)) != NULL) {
		(void)set_at(ctx, "database", "url", &pos);
		cfg_errpos(ctx, &pos, "database.url %s", why);
	}
	if (set_at(ctx, "database", "backend", &pos) &&
	    !store_backend_known(name))
		cfg_errpos(ctx, &pos,
		    "database.backend \"%s\" is not built into this "
		    "program (built with -Dpostgresql=disabled?)",
		    name);
	if (cfg->database.backend == CFG_DB_POSTGRESQL &&
	    cfg->database.url == NULL) {
		(void)set_at(ctx, "database", "backend", &pos);
		cfg_errpos(ctx, &pos,
		    "database.backend: postgresql needs database.url "
		    "(postgresql://USER@HOST:PORT/DATABASE)");
	}
	if (cfg->mqtt.shared_group != NULL &&
	    cfg->database.backend != CFG_DB_POSTGRESQL) {
		(void)set_at(ctx, "mqtt", "shared_group", &pos);
		cfg_errpos(ctx, &pos,
		    "mqtt.shared_group needs database.backend: postgresql "
		    "(several daemons cannot share the SQLite file %s)",
		    cfg->database.path);
	}
	if (cfg->database.password_file != NULL) {
		if ((fd = open(cfg->database.password_file,
			 O_RDONLY | O_CLOEXEC)) == -1) {
			(void)set_at(ctx, "database", "password_file", &pos);
			cfg_errpos(ctx, &pos,
			    "cannot read password_file \"%s\": %s",
			    cfg->database.password_file, strerror(errno));
		} else
			close(fd);
	}
	if (!set_at(ctx, "ingest", "spool_dir", &pos) &&
	    spool_default(cfg) == -1)
		diag_nomem(&ctx->diag);
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
	/* The value was checked when set (cfg_hours_ok). */
	(void)cfg_parse_hours(cfg->supervision.muck_hours,
	    &cfg->supervision.muck_from_min, &cfg->supervision.muck_to_min);
	if (diag_count(&ctx->diag) == 0)
		(void)cfg_build_fences(ctx);
	check_http(ctx);
	check_store(ctx);
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
	if (spool_default(cfg) == -1)
		goto fail;
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

const char *
config_backend_name(const struct config *cfg)
{
	return cfg_backend_names[cfg->database.backend];
}

void
config_store_where(const struct config *cfg, struct store_where *w)
{
	w->backend = config_backend_name(cfg);
	w->path = cfg->database.backend == CFG_DB_SQLITE ? cfg->database.path
							 : cfg->database.url;
	w->password_file = cfg->database.password_file;
	w->instance = cfg->mqtt.client_id;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	cfg_free_fields(cfg_top_keys, cfg);
	geofence_set_free(cfg->fences);
	api_auth_free(cfg->http.auth);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	free(cfg);
}
