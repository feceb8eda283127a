/*
 * config: YAML configuration, see config.h.
 *
 * One schema table per mapping (struct key) drives everything: the defaults,
 * the parser, the type and range checks and config_free(). Adding a key is
 * adding one table row and one struct field; nothing else should change.
 *
 * libyaml's document API gives a node tree with marks, so every error can
 * cite the place it comes from. The walk never stops at the first error:
 * a bad value is reported and skipped, and the load fails at the end if
 * anything was reported (OpenBSD parse.y style).
 *
 * Sections another module compiles (profiles, lib/profile.c) are kept as
 * cfg_node trees with their positions (K_TREES); only what the rest of the
 * configuration depends on, the profile names, is checked here. Names that
 * may be defined in any file (a subscription's profile) are checked once
 * every file is read. Aliases are refused inside kept trees; libyaml's
 * document API hides them, so each file is also scanned as events.
 *
 * Memory: the configuration is a few kilobytes read at start-up and on
 * SIGHUP; like config_default(), allocation failure is fatal rather than
 * threaded through every helper as an error.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "log.h"

#define INCLUDE_DEPTH_MAX	8
#define TREE_DEPTH_MAX		64	/* nesting inside one kept subtree */
#define SECRET_MAX		4096	/* bytes read from password_file */

struct ctx;

enum ktype {
	K_STR,		/* char *; F_PATH resolves it, .oneof/.check restrict it */
	K_BOOL,		/* int 0/1 */
	K_INT,		/* int in [min, max] */
	K_SIZE,		/* size_t in [min, max] */
	K_DOUBLE,	/* double in [dmin, dmax] */
	K_ENUM,		/* int: index into .oneof */
	K_OFFSET,	/* int: minutes east of UTC, from "+08:00" */
	K_SECRETFILE,	/* path of a file whose content goes into the char * */
	K_REFUSED,	/* a key that must never be set; .badmsg says why */
	K_SECTION,	/* a mapping described by .sub */
	K_LIST,		/* a list of mappings described by .list */
	K_INCLUDE,	/* a list of globs naming more files of this schema */
	K_TREES,	/* a list of mappings kept as cfg_node trees: .trees */
};

#define F_NONEMPTY	0x1	/* an empty or null string is an error */
#define F_PATH		0x2	/* relative to the directory of its file */
#define F_REQUIRED	0x4	/* must be present in its mapping (list items) */
/* K_STR naming a profile: one of .oneof (built in) or a `profiles:` entry
 * of any file, so the check waits until every file is read. */
#define F_PROFILE	0x8

struct listspec;
struct treespec;

struct key {
	const char		*name;
	enum ktype		 type;
	size_t			 off;	/* into struct config or the list item */
	int			 flags;
	long long		 min, max;	/* K_INT, K_SIZE */
	double			 dmin, dmax;	/* K_DOUBLE */
	const char *const	*oneof;	/* K_ENUM values; K_STR allowed set */
	int			(*check)(const char *);	/* K_STR shape */
	/* K_STR .oneof/.check failure: badmsg "VALUE"badhint; K_REFUSED */
	const char		*badmsg, *badhint;
	/* K_INT: a value with its own explanation, before the range check */
	const char		*(*vcheck)(long long);
	const char		*defstr;	/* default for string kinds */
	long long		 defnum;	/* default for integer kinds */
	double			 defdbl;	/* default for K_DOUBLE */
	const struct key	*sub;		/* K_SECTION */
	const char		*where;		/* K_SECTION name in messages */
	const struct listspec	*list;		/* K_LIST */
	const struct treespec	*trees;		/* K_TREES */
};

/*
 * A list of mappings stored as a plain array in struct config. Each item is
 * parsed into a zeroed element with the item table, then appended if it is
 * complete and accept() agrees.
 */
struct listspec {
	const struct key	*item;
	const char		*what;		/* "subscription": messages */
	size_t			 size;		/* of one element */
	size_t			 pos_off;	/* its struct cfg_pos */
	size_t			 arr_off, n_off; /* in struct config */
	int			(*accept)(struct ctx *, void *,
				    const yaml_node_t *);
};

/*
 * A list of mappings kept as written (struct cfg_node), for a module that
 * compiles them itself; the array is a struct cfg_node ** and its count a
 * size_t in struct config. Lists from every file are appended. Each item
 * must be a mapping; accept() checks what config.c knows about it (it is
 * called even when the item had errors, so that all are reported) and the
 * item is kept if nothing at all was reported.
 */
struct treespec {
	const char		*what;		/* "profile": messages */
	size_t			 arr_off, n_off; /* in struct config */
	int			(*accept)(struct ctx *, const struct cfg_node *);
};

/* A YAML alias in the file being read: the slot of a collection it fills. */
struct alias {
	int			 parent;	/* node index, as libyaml's */
	size_t			 slot;		/* item; 2 * pair (+ 1: value) */
	yaml_mark_t		 mark;
};

/* A profile named by a subscription, checked once every file is read. */
struct profref {
	const struct key	*k;
	char			*name;
	struct cfg_pos		 pos;		/* of the value */
};

/* A leaf key set somewhere: setting it again, in any file, is an error. */
struct seen {
	const struct key	*k;
	struct cfg_pos		 pos;
};

struct errbuf {
	char	*buf;
	size_t	 len, cap;
	int	 n;
};

struct ctx {
	struct config	*cfg;
	yaml_document_t	*doc;		/* document being walked */
	const char	*file;		/* its name, in cfg->files */
	char		*dir;		/* its directory */
	int		 depth;		/* include nesting, 0 = main file */
	char		*stack[INCLUDE_DEPTH_MAX + 1];	/* realpaths: loops */
	struct seen	*seen;
	size_t		 nseen;
	struct alias	*aliases;	/* of the file being read */
	size_t		 naliases;
	char		**pnames;	/* every profile name defined so far */
	size_t		 npnames;
	struct profref	*refs;
	size_t		 nrefs;
	struct errbuf	 err;
};

static int	url_ok(const char *);
static int	listen_ok(const char *);
static int	topic_ok(const char *);
static const char *qos_check(long long);
static int	facility_accept(struct ctx *, void *, const yaml_node_t *);
static int	profile_accept(struct ctx *, const struct cfg_node *);

/*
 * Dialects compiled into the decoder. A subscription names one of these or
 * a profile defined under `profiles:` (lib/profile.c compiles those); a
 * name that is neither could never decode a message, so it is refused here.
 * A `profiles:` entry may not take a built-in name.
 */
static const char *const builtin_profiles[] = {
	"wastetrack",
	NULL
};

static const char *const facility_kinds[] = {
	"transfer_station", "incinerator", "sanitary_landfill",
	"food_waste_plant", "recycling_center", "hazardous_collection_point",
	"cw_recycling", "cw_disposal_site", "hw_facility", "mw_facility",
	NULL
};

static const char *const sync_modes[] = { "normal", "full", NULL };

#define C(f)	offsetof(struct config, f)

static const struct key sub_keys[] = {
	{ .name = "topic", .type = K_STR,
	  .off = offsetof(struct cfg_subscription, topic),
	  .flags = F_NONEMPTY | F_REQUIRED, .check = topic_ok,
	  .badmsg = "invalid topic filter" },
	{ .name = "profile", .type = K_STR,
	  .off = offsetof(struct cfg_subscription, profile),
	  .flags = F_NONEMPTY | F_REQUIRED | F_PROFILE,
	  .oneof = builtin_profiles, .badmsg = "unknown profile" },
	{ .name = NULL }
};

static const struct key facility_keys[] = {
	{ .name = "id", .type = K_STR,
	  .off = offsetof(struct cfg_facility, id),
	  .flags = F_NONEMPTY | F_REQUIRED },
	{ .name = "name", .type = K_STR,
	  .off = offsetof(struct cfg_facility, name) },
	{ .name = "kind", .type = K_STR,
	  .off = offsetof(struct cfg_facility, kind),
	  .flags = F_NONEMPTY | F_REQUIRED, .oneof = facility_kinds,
	  .badmsg = "unknown facility kind" },
	{ .name = "district", .type = K_STR,
	  .off = offsetof(struct cfg_facility, district) },
	{ .name = "harmless", .type = K_BOOL,
	  .off = offsetof(struct cfg_facility, harmless) },
	{ .name = NULL }
};

static const struct listspec subs_list = {
	.item = sub_keys, .what = "subscription",
	.size = sizeof(struct cfg_subscription),
	.pos_off = offsetof(struct cfg_subscription, pos),
	.arr_off = C(subs), .n_off = C(nsubs),
};

static const struct listspec facilities_list = {
	.item = facility_keys, .what = "facility",
	.size = sizeof(struct cfg_facility),
	.pos_off = offsetof(struct cfg_facility, pos),
	.arr_off = C(facilities), .n_off = C(nfacilities),
	.accept = facility_accept,
};

static const struct treespec profiles_trees = {
	.what = "profile",
	.arr_off = C(profiles), .n_off = C(nprofiles),
	.accept = profile_accept,
};

static const struct key tls_keys[] = {
	{ .name = "ca_file", .type = K_STR, .off = C(mqtt.ca_file),
	  .flags = F_PATH },
	{ .name = "cert_file", .type = K_STR, .off = C(mqtt.cert_file),
	  .flags = F_PATH },
	{ .name = "key_file", .type = K_STR, .off = C(mqtt.key_file),
	  .flags = F_PATH },
	{ .name = NULL }
};

static const struct key mqtt_keys[] = {
	{ .name = "url", .type = K_STR, .off = C(mqtt.url),
	  .flags = F_NONEMPTY, .check = url_ok, .badmsg = "invalid url",
	  .badhint = ": want tcp://host:port or ssl://host:port",
	  .defstr = "tcp://127.0.0.1:1883" },
	{ .name = "client_id", .type = K_STR, .off = C(mqtt.client_id),
	  .flags = F_NONEMPTY, .defstr = "wastetrack-1" },
	{ .name = "qos", .type = K_INT, .off = C(mqtt.qos),
	  .min = 0, .max = 1, .vcheck = qos_check, .defnum = 1 },
	{ .name = "clean_session", .type = K_BOOL, .off = C(mqtt.clean_session),
	  .defnum = 0 },
	{ .name = "keepalive_s", .type = K_INT, .off = C(mqtt.keepalive_s),
	  .min = 1, .max = 3600, .defnum = 30 },
	{ .name = "mqtt5", .type = K_BOOL, .off = C(mqtt.mqtt5), .defnum = 0 },
	/* MQTT allows 2^32-1 ("never"), but the field is an int. */
	{ .name = "session_expiry_s", .type = K_INT,
	  .off = C(mqtt.session_expiry_s), .min = 0, .max = INT_MAX,
	  .defnum = 86400 },
	{ .name = "reconnect_min_s", .type = K_INT,
	  .off = C(mqtt.reconnect_min_s), .min = 1, .max = 3600, .defnum = 1 },
	{ .name = "reconnect_max_s", .type = K_INT,
	  .off = C(mqtt.reconnect_max_s), .min = 1, .max = 3600, .defnum = 30 },
	{ .name = "username", .type = K_STR, .off = C(mqtt.username) },
	/*
	 * A secret in the main file ends up in backups, diffs and bug
	 * reports; only a reference to a file (mode 0600) is accepted.
	 */
	{ .name = "password", .type = K_REFUSED,
	  .badmsg = "password must not be inline: use password_file" },
	{ .name = "password_file", .type = K_SECRETFILE, .off = C(mqtt.password),
	  .flags = F_PATH },
	{ .name = "tls", .type = K_SECTION, .sub = tls_keys,
	  .where = "mqtt.tls" },
	{ .name = NULL }
};

static const struct key database_keys[] = {
	{ .name = "path", .type = K_STR, .off = C(database.path),
	  .flags = F_NONEMPTY | F_PATH,
	  .defstr = "/var/lib/wastetrack/wastetrack.db" },
	{ .name = "synchronous", .type = K_ENUM, .off = C(database.synchronous),
	  .oneof = sync_modes, .defnum = CFG_SYNC_NORMAL },
	{ .name = "raw_retention_days", .type = K_INT,
	  .off = C(database.raw_retention_days), .min = 0, .max = 3650,
	  .defnum = 7 },
	{ .name = NULL }
};

static const struct key http_keys[] = {
	{ .name = "listen", .type = K_STR, .off = C(http.listen),
	  .flags = F_NONEMPTY, .check = listen_ok,
	  .badmsg = "invalid listen address", .badhint = ": want host:port",
	  .defstr = "127.0.0.1:8080" },
	{ .name = "port_file", .type = K_STR, .off = C(http.port_file),
	  .flags = F_PATH },
	{ .name = NULL }
};

static const struct key time_keys[] = {
	{ .name = "local_offset", .type = K_OFFSET,
	  .off = C(time.local_offset_min), .defnum = 8 * 60 },
	{ .name = "future_tolerance_s", .type = K_INT,
	  .off = C(time.future_tolerance_s), .min = 0, .max = 86400,
	  .defnum = 300 },
	{ .name = NULL }
};

static const struct key reconcile_keys[] = {
	{ .name = "tolerance_pct", .type = K_DOUBLE,
	  .off = C(reconcile.tolerance_pct), .dmin = 0, .dmax = 100,
	  .defdbl = 10 },
	{ .name = "overdue_h", .type = K_INT, .off = C(reconcile.overdue_h),
	  .min = 1, .max = 8760, .defnum = 48 },
	{ .name = "clearance_tolerance_pct", .type = K_DOUBLE,
	  .off = C(reconcile.clearance_tolerance_pct), .dmin = 0, .dmax = 100,
	  .defdbl = 5 },
	{ .name = "window_h", .type = K_INT, .off = C(reconcile.window_h),
	  .min = 1, .max = 720, .defnum = 24 },
	{ .name = NULL }
};

static const struct key ingest_keys[] = {
	{ .name = "max_payload", .type = K_SIZE, .off = C(ingest.max_payload),
	  .min = 64, .max = 16 * 1024 * 1024, .defnum = 262144 },
	{ .name = "spool_max_mb", .type = K_SIZE, .off = C(ingest.spool_max_mb),
	  .min = 1, .max = 4096, .defnum = 64 },
	{ .name = NULL }
};

static const struct key top_keys[] = {
	{ .name = "include", .type = K_INCLUDE },
	{ .name = "mqtt", .type = K_SECTION, .sub = mqtt_keys, .where = "mqtt" },
	{ .name = "subscriptions", .type = K_LIST, .list = &subs_list },
	{ .name = "database", .type = K_SECTION, .sub = database_keys,
	  .where = "database" },
	{ .name = "http", .type = K_SECTION, .sub = http_keys, .where = "http" },
	{ .name = "time", .type = K_SECTION, .sub = time_keys, .where = "time" },
	{ .name = "facilities", .type = K_LIST, .list = &facilities_list },
	{ .name = "profiles", .type = K_TREES, .trees = &profiles_trees },
	{ .name = "reconcile", .type = K_SECTION, .sub = reconcile_keys,
	  .where = "reconcile" },
	{ .name = "ingest", .type = K_SECTION, .sub = ingest_keys,
	  .where = "ingest" },
	{ .name = NULL }
};

#undef C

/* Memory helpers: see the top of the file for why failure is fatal. */

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		fatal("config: calloc");
	return p;
}

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		fatal("config: reallocarray");
	}
	if ((p = realloc(p, n * size)) == NULL)
		fatal("config: realloc");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatal("config: strdup");
	return p;
}

static char *
xasprintf(const char *fmt, ...) WT_PRINTF(1, 2);

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("config: vasprintf");
	return s;
}

/* Field access: the tables address fields as base + offset. */

static char **
fstr(void *base, const struct key *k)
{
	return (char **)(void *)((char *)base + k->off);
}

static int *
fint(void *base, const struct key *k)
{
	return (int *)(void *)((char *)base + k->off);
}

static size_t *
fsize(void *base, const struct key *k)
{
	return (size_t *)(void *)((char *)base + k->off);
}

static double *
fdbl(void *base, const struct key *k)
{
	return (double *)(void *)((char *)base + k->off);
}


/* Errors: appended to one buffer, one "\n"-terminated line each. */

static void
errv(struct ctx *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
errv(struct ctx *ctx, const char *fmt, va_list ap)
{
	struct errbuf *e = &ctx->err;
	char *line;
	size_t n;

	if (vasprintf(&line, fmt, ap) < 0)
		fatal("config: vasprintf");
	n = strlen(line);
	if (e->len + n + 2 > e->cap) {
		e->cap = (e->len + n + 2) * 2;
		e->buf = xreallocarray(e->buf, e->cap, 1);
	}
	memcpy(e->buf + e->len, line, n);
	e->len += n;
	e->buf[e->len++] = '\n';
	e->buf[e->len] = '\0';
	e->n++;
	free(line);
}

static void
errfmt(struct ctx *ctx, const char *fmt, ...) WT_PRINTF(2, 3);

static void
errfmt(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errv(ctx, fmt, ap);
	va_end(ap);
}

/* An error tied to a place: libyaml marks are 0-based, ours 1-based. */
static void
errat(struct ctx *ctx, const yaml_mark_t *m, const char *fmt, ...)
    WT_PRINTF(3, 4);

static void
errat(struct ctx *ctx, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("config: vasprintf");
	errfmt(ctx, "%s:%zu:%zu: %s", ctx->file, m->line + 1, m->column + 1,
	    msg);
	free(msg);
}

/* The same for a place already converted (a cfg_node, a deferred check). */
static void
errpos(struct ctx *ctx, const struct cfg_pos *pos, const char *fmt, ...)
    WT_PRINTF(3, 4);

static void
errpos(struct ctx *ctx, const struct cfg_pos *pos, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("config: vasprintf");
	errfmt(ctx, "%s:%d:%d: %s", pos->file, pos->line, pos->col, msg);
	free(msg);
}

static void
mark_pos(struct ctx *ctx, const yaml_mark_t *m, struct cfg_pos *pos)
{
	pos->file = ctx->file;
	pos->line = (int)m->line + 1;
	pos->col = (int)m->column + 1;
}

/* libyaml stops at the first syntax error, so there is one per file. */
static void
syntax_error(struct ctx *ctx, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		fatalx("config: libyaml: out of memory");
	/* The reader (encoding) errors carry a byte offset, not a mark. */
	if (p->error == YAML_READER_ERROR) {
		errfmt(ctx, "%s: %s at byte %zu", ctx->file,
		    p->problem ? p->problem : "cannot read",
		    p->problem_offset);
		return;
	}
	errat(ctx, &p->problem_mark, "%s",
	    p->problem ? p->problem : "cannot parse YAML");
}

/* Nodes */

static yaml_node_t *
node(struct ctx *ctx, int i)
{
	return yaml_document_get_node(ctx->doc, i);
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: YAML's ways of writing nothing. */
static int
is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = scalar(n);
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* The value of the first scalar key "name" in a mapping, or NULL. */
static yaml_node_t *
map_get(struct ctx *ctx, const yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		kn = node(ctx, pair->key);
		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp(scalar(kn), name) == 0)
			return node(ctx, pair->value);
	}
	return NULL;
}

/* Whether a key before this pair in the same mapping has the same name. */
static int
dup_in_map(struct ctx *ctx, const yaml_node_t *map,
    const yaml_node_pair_t *at, const char *name)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn;

	for (pair = map->data.mapping.pairs.start; pair < at; pair++) {
		kn = node(ctx, pair->key);
		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp(scalar(kn), name) == 0)
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
static const struct alias *
alias_at(struct ctx *ctx, const yaml_node_t *n, size_t slot)
{
	int parent = node_index(ctx, n);
	size_t i;

	for (i = 0; i < ctx->naliases; i++)
		if (ctx->aliases[i].parent == parent &&
		    ctx->aliases[i].slot == slot)
			return &ctx->aliases[i];
	return NULL;
}

/* Value checks that do not fit a range or a list */

static const char *
qos_check(long long v)
{
	/* QoS 2 can lose messages in paho 1.3.12, see DESIGN §2. */
	if (v == 2)
		return "qos 2 is not supported: use 1 (see DESIGN §2)";
	return NULL;
}

/* "host:port" or "[v6]:port", port in [minport, 65535], nothing else. */
static int
hostport_ok(const char *s, long minport)
{
	const char *colon, *rb, *p;
	long port;

	if (*s == '[') {
		if ((rb = strchr(s, ']')) == NULL || rb == s + 1 || rb[1] != ':')
			return 0;
		colon = rb + 1;
	} else {
		/* An unbracketed v6 address would make the port ambiguous. */
		colon = strchr(s, ':');
		if (colon == NULL || colon == s || strchr(colon + 1, ':'))
			return 0;
	}
	for (p = s; p < colon; p++)
		if (isspace((unsigned char)*p) || *p == '/')
			return 0;
	p = colon + 1;
	if (*p == '\0' || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
		return 0;
	port = strtol(p, NULL, 10);
	return port >= minport && port <= 65535;
}

static int
url_ok(const char *s)
{
	if (strncmp(s, "tcp://", 6) != 0 && strncmp(s, "ssl://", 6) != 0)
		return 0;
	return hostport_ok(s + 6, 1);
}

static int
listen_ok(const char *s)
{
	return hostport_ok(s, 0);
}

/* An MQTT topic filter: '+' and '#' fill a level, '#' only the last. */
static int
topic_ok(const char *s)
{
	const char *p, *end;
	size_t len;

	if (strlen(s) > 65535)
		return 0;
	for (p = s;; p = end + 1) {
		if ((end = strchr(p, '/')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (memchr(p, '#', len) != NULL && (len != 1 || *end != '\0'))
			return 0;
		if (memchr(p, '+', len) != NULL && len != 1)
			return 0;
		if (*end == '\0')
			return 1;
	}
}

/* Base-10 integer, whole string: 0, -1 not a number, 1 out of range. */
static int
parse_ll(const char *s, long long *v)
{
	char *end;

	/* strtoll would skip leading blanks and accept "" as 0. */
	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return -1;
	return errno == ERANGE ? 1 : 0;
}

static int
parse_double(const char *s, double *v)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end != '\0')
		return -1;
	if (errno == ERANGE && fabs(*v) >= 1)
		return 1;		/* overflow (HUGE_VAL), not underflow */
	return isfinite(*v) ? 0 : -1;	/* "nan" and "inf" are not numbers */
}

static int
two_digits(const char *s, int *v)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

/* Z, UTC, ±HH:MM, ±HHMM or ±HH, within ±14:00 (Kiribati), in minutes. */
static int
parse_offset(const char *s, int *out)
{
	int sign, h, m = 0;

	if (strcasecmp(s, "Z") == 0 || strcasecmp(s, "UTC") == 0) {
		*out = 0;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (two_digits(s, &h) == -1)
		return -1;
	s += 2;
	if (*s == ':')
		s++;
	if (*s != '\0') {
		if (two_digits(s, &m) == -1 || s[2] != '\0')
			return -1;
	} else if (s[-1] == ':')
		return -1;
	if (m > 59 || h * 60 + m > 14 * 60)
		return -1;
	*out = sign * (h * 60 + m);
	return 0;
}

/* A path relative to the directory of the file being read. */
static char *
resolve(struct ctx *ctx, const char *s)
{
	if (s[0] == '/')
		return xstrdup(s);
	return xasprintf("%s/%s", strcmp(ctx->dir, "/") == 0 ? "" : ctx->dir,
	    s);
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
	*out = xstrdup(buf);
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
	errat(ctx, &v->start_mark, "%s \"%s\"%s", k->badmsg, scalar(v),
	    k->badhint != NULL ? k->badhint : "");
}

/* The scalar text, or NULL after reporting why there is none. */
static const char *
want_string(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	if (v->type != YAML_SCALAR_NODE) {
		errat(ctx, &v->start_mark, "\"%s\" must be a string", k->name);
		return NULL;
	}
	/* "\0" in a double-quoted scalar would silently truncate a path. */
	if (strlen(scalar(v)) != v->data.scalar.length) {
		errat(ctx, &v->start_mark, "\"%s\" must not contain NUL bytes",
		    k->name);
		return NULL;
	}
	return scalar(v);
}

static void
set_str(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	char **field = fstr(base, k);
	const char *const *o;
	const char *s;

	if ((s = want_string(ctx, k, v)) == NULL)
		return;
	/* Empty or null unsets an optional string (e.g. no port_file). */
	if (*s == '\0' || is_null(v)) {
		if (k->flags & F_NONEMPTY) {
			errat(ctx, &v->start_mark, "\"%s\" must not be empty",
			    k->name);
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
	if (k->flags & F_PROFILE) {
		ctx->refs = xreallocarray(ctx->refs, ctx->nrefs + 1,
		    sizeof(*ctx->refs));
		ctx->refs[ctx->nrefs].k = k;
		ctx->refs[ctx->nrefs].name = xstrdup(s);
		mark_pos(ctx, &v->start_mark, &ctx->refs[ctx->nrefs].pos);
		ctx->nrefs++;
	}
	free(*field);
	*field = (k->flags & F_PATH) ? resolve(ctx, s) : xstrdup(s);
}

static void
set_bool(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	const char *const *o;

	if (v->type == YAML_SCALAR_NODE) {
		for (o = yes; *o != NULL; o++)
			if (strcasecmp(scalar(v), *o) == 0) {
				*fint(base, k) = 1;
				return;
			}
		for (o = no; *o != NULL; o++)
			if (strcasecmp(scalar(v), *o) == 0) {
				*fint(base, k) = 0;
				return;
			}
	}
	errat(ctx, &v->start_mark, "\"%s\" must be true or false", k->name);
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
	    (rc = parse_ll(scalar(v), &n)) == -1) {
		errat(ctx, &v->start_mark, "\"%s\" must be an integer", k->name);
		return;
	}
	if (rc == 0 && k->vcheck != NULL && (why = k->vcheck(n)) != NULL) {
		errat(ctx, &v->start_mark, "%s", why);
		return;
	}
	if (rc == 1 || n < k->min || n > k->max) {
		errat(ctx, &v->start_mark, "\"%s\" must be between %lld and %lld",
		    k->name, k->min, k->max);
		return;
	}
	if (k->type == K_SIZE)
		*fsize(base, k) = (size_t)n;
	else
		*fint(base, k) = (int)n;
}

static void
set_double(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	double d;
	int rc;

	if (v->type != YAML_SCALAR_NODE ||
	    (rc = parse_double(scalar(v), &d)) == -1) {
		errat(ctx, &v->start_mark, "\"%s\" must be a number", k->name);
		return;
	}
	if (rc == 1 || d < k->dmin || d > k->dmax) {
		errat(ctx, &v->start_mark, "\"%s\" must be between %g and %g",
		    k->name, k->dmin, k->dmax);
		return;
	}
	*fdbl(base, k) = d;
}

static void
set_enum(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	char list[256];
	size_t len = 0;
	int i;

	for (i = 0; v->type == YAML_SCALAR_NODE && k->oneof[i] != NULL; i++)
		if (strcmp(scalar(v), k->oneof[i]) == 0) {
			*fint(base, k) = i;
			return;
		}
	list[0] = '\0';
	for (i = 0; k->oneof[i] != NULL && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > 0 ? ", " : "", k->oneof[i]);
	errat(ctx, &v->start_mark, "\"%s\" must be one of: %s", k->name, list);
}

static void
set_offset(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	const char *s;
	int min;

	if ((s = want_string(ctx, k, v)) == NULL)
		return;
	if (parse_offset(s, &min) == -1) {
		errat(ctx, &v->start_mark, "invalid offset \"%s\": want Z, UTC "
		    "or ±HH:MM within ±14:00", s);
		return;
	}
	*fint(base, k) = min;
}

static void
set_secretfile(struct ctx *ctx, const struct key *k, const yaml_node_t *v,
    void *base)
{
	char **field = fstr(base, k);
	char *path = NULL, *secret = NULL;
	const char *s;

	if ((s = want_string(ctx, k, v)) == NULL)
		return;
	if (*s == '\0' || is_null(v)) {
		errat(ctx, &v->start_mark, "\"%s\" must not be empty", k->name);
		return;
	}
	path = resolve(ctx, s);
	if (read_secret(path, &secret) == -1) {
		errat(ctx, &v->start_mark, "cannot read %s \"%s\": %s", k->name,
		    path, errno == EINVAL ? "empty or not text" :
		    strerror(errno));
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

static void	free_fields(const struct key *, void *);

/*
 * Drop elements: all of them, or only the embedded defaults (pos.file is
 * NULL). A file that sets a list replaces the defaults instead of adding
 * to them, otherwise "wt/v1/#" could never be removed.
 */
static void
list_drop(struct config *cfg, const struct listspec *ls, int defaults_only)
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
		free_fields(ls->item, elem);
	}
	if (kept == 0) {
		free(arr);
		arr = NULL;
	}
	list_set(cfg, ls, arr, kept);
}

static void
list_append(struct config *cfg, const struct listspec *ls, const void *elem)
{
	char *arr;
	size_t n;

	arr = list_get(cfg, ls, &n);
	arr = xreallocarray(arr, n + 1, ls->size);
	memcpy(arr + n * ls->size, elem, ls->size);
	list_set(cfg, ls, arr, n + 1);
}

static int
facility_accept(struct ctx *ctx, void *elem, const yaml_node_t *map)
{
	struct cfg_facility *f = elem;
	const yaml_node_t *idn;

	/* Reports look facilities up by id: two with one id are ambiguous. */
	if (config_facility(ctx->cfg, f->id) != NULL) {
		idn = map_get(ctx, map, "id");
		errat(ctx, &idn->start_mark, "duplicate facility id \"%s\"",
		    f->id);
		return -1;
	}
	/* Reports print the name; the id is better than "(null)". */
	if (f->name == NULL)
		f->name = xstrdup(f->id);
	return 0;
}

static void	parse_map(struct ctx *, const yaml_node_t *, const struct key *,
		    void *, const char *, int);

static void
parse_list(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	const struct listspec *ls = k->list;
	const struct key *ik;
	yaml_node_item_t *it;
	yaml_node_t *in;
	struct cfg_pos *pos;
	void *elem;
	int nerr;

	if (!is_null(v) && v->type != YAML_SEQUENCE_NODE) {
		errat(ctx, &v->start_mark, "\"%s\" must be a list", k->name);
		return;
	}
	list_drop(ctx->cfg, ls, 1);
	if (is_null(v))
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	    it++) {
		in = node(ctx, *it);
		if (in->type != YAML_MAPPING_NODE) {
			errat(ctx, &in->start_mark,
			    "each item of \"%s\" must be a mapping", k->name);
			continue;
		}
		nerr = ctx->err.n;
		elem = xcalloc(1, ls->size);
		parse_map(ctx, in, ls->item, elem, ls->what, 0);
		for (ik = ls->item; ik->name != NULL; ik++)
			if ((ik->flags & F_REQUIRED) &&
			    map_get(ctx, in, ik->name) == NULL)
				errat(ctx, &in->start_mark,
				    "missing required key \"%s\" in %s",
				    ik->name, ls->what);
		/* A broken item is not kept: the load fails anyway. */
		if (ctx->err.n == nerr &&
		    (ls->accept == NULL || ls->accept(ctx, elem, in) == 0)) {
			pos = elem_pos(ls, elem);
			pos->file = ctx->file;
			pos->line = (int)in->start_mark.line + 1;
			pos->col = (int)in->start_mark.column + 1;
			list_append(ctx->cfg, ls, elem);
		} else
			free_fields(ls->item, elem);
		free(elem);
	}
}

/* Kept subtrees (profiles) */

static void
tree_free(struct cfg_node *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		if (t->keys != NULL)
			free(t->keys[i]);
		tree_free(t->children[i]);
	}
	free(t->keys);
	free(t->key_pos);
	free(t->children);
	free(t->value);
	free(t);
}

static struct cfg_node ***
ftrees(void *base, const struct treespec *ts)
{
	return (struct cfg_node ***)(void *)((char *)base + ts->arr_off);
}

static size_t *
ftrees_n(void *base, const struct treespec *ts)
{
	return (size_t *)(void *)((char *)base + ts->n_off);
}

static void
trees_drop(void *base, const struct treespec *ts)
{
	struct cfg_node ***arr = ftrees(base, ts);
	size_t *n = ftrees_n(base, ts), i;

	for (i = 0; i < *n; i++)
		tree_free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

/* A copy of a scalar's text; NUL bytes would silently cut it short. */
static char *
tree_text(struct ctx *ctx, const yaml_node_t *n)
{
	if (strlen(scalar(n)) != n->data.scalar.length)
		errat(ctx, &n->start_mark,
		    "scalars must not contain NUL bytes");
	return xstrdup(scalar(n));
}

static void
alias_error(struct ctx *ctx, const struct alias *a)
{
	errat(ctx, &a->mark, "aliases are not supported");
}

/*
 * Copy one YAML node and everything below it. Errors are reported and the
 * offending entry left out; the caller drops the whole tree if any was
 * reported. Aliases are refused, not resolved: they would need a copy per
 * reference (exponential for nested ones, endless for a recursive one), and
 * would give one node the position of another.
 */
static struct cfg_node *
tree_node(struct ctx *ctx, const struct treespec *ts, const yaml_node_t *yn,
    int depth)
{
	struct cfg_node *t;
	const struct alias *a, *ka;
	yaml_node_item_t *it;
	yaml_node_pair_t *pair;
	yaml_node_t *kn;
	size_t n = 0, i;

	t = xcalloc(1, sizeof(*t));
	mark_pos(ctx, &yn->start_mark, &t->pos);
	switch (yn->type) {
	case YAML_NO_NODE:		/* not made by the loader */
		t->type = CFG_NODE_SCALAR;
		t->value = xstrdup("");
		return t;
	case YAML_SCALAR_NODE:
		t->type = CFG_NODE_SCALAR;
		t->value = tree_text(ctx, yn);
		t->quoted = yn->data.scalar.style ==
		    YAML_SINGLE_QUOTED_SCALAR_STYLE ||
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
		t->keys = xcalloc(n + 1, sizeof(*t->keys));
		t->key_pos = xcalloc(n + 1, sizeof(*t->key_pos));
		break;
	}
	t->children = xcalloc(n + 1, sizeof(*t->children));
	if (depth >= TREE_DEPTH_MAX) {
		errat(ctx, &yn->start_mark, "%s nested deeper than %d levels",
		    ts->what, TREE_DEPTH_MAX);
		return t;
	}
	if (t->type == CFG_NODE_LIST) {
		for (it = yn->data.sequence.items.start, i = 0;
		    it < yn->data.sequence.items.top; it++, i++) {
			if ((a = alias_at(ctx, yn, i)) != NULL) {
				alias_error(ctx, a);
				continue;
			}
			t->children[t->n++] = tree_node(ctx, ts,
			    node(ctx, *it), depth + 1);
		}
		return t;
	}
	for (pair = yn->data.mapping.pairs.start, i = 0;
	    pair < yn->data.mapping.pairs.top; pair++, i++) {
		ka = alias_at(ctx, yn, 2 * i);
		a = alias_at(ctx, yn, 2 * i + 1);
		if (ka != NULL)
			alias_error(ctx, ka);
		if (a != NULL)
			alias_error(ctx, a);
		if (ka != NULL || a != NULL)
			continue;
		kn = node(ctx, pair->key);
		if (kn->type != YAML_SCALAR_NODE) {
			errat(ctx, &kn->start_mark, "keys in %s must be strings",
			    ts->what);
			continue;
		}
		if (dup_in_map(ctx, yn, pair, scalar(kn))) {
			errat(ctx, &kn->start_mark, "duplicate key \"%s\"",
			    scalar(kn));
			continue;
		}
		t->keys[t->n] = tree_text(ctx, kn);
		mark_pos(ctx, &kn->start_mark, &t->key_pos[t->n]);
		t->children[t->n++] = tree_node(ctx, ts, node(ctx, pair->value),
		    depth + 1);
	}
	return t;
}

static void
parse_trees(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	const struct treespec *ts = k->trees;
	const struct alias *a;
	struct cfg_node ***arr = ftrees(ctx->cfg, ts), *t;
	size_t *n = ftrees_n(ctx->cfg, ts), i;
	yaml_node_item_t *it;
	yaml_node_t *in;
	int nerr, ok;

	if (is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		errat(ctx, &v->start_mark, "\"%s\" must be a list", k->name);
		return;
	}
	for (it = v->data.sequence.items.start, i = 0;
	    it < v->data.sequence.items.top; it++, i++) {
		if ((a = alias_at(ctx, v, i)) != NULL) {
			alias_error(ctx, a);
			continue;
		}
		in = node(ctx, *it);
		if (in->type != YAML_MAPPING_NODE) {
			errat(ctx, &in->start_mark,
			    "each item of \"%s\" must be a mapping", k->name);
			continue;
		}
		nerr = ctx->err.n;
		t = tree_node(ctx, ts, in, 0);
		ok = ts->accept == NULL || ts->accept(ctx, t) == 0;
		/* A broken item is not kept: the load fails anyway. */
		if (ok && ctx->err.n == nerr) {
			*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
			(*arr)[(*n)++] = t;
		} else
			tree_free(t);
	}
}

static int
in_oneof(const char *const *oneof, const char *name)
{
	const char *const *o;

	for (o = oneof; *o != NULL; o++)
		if (strcmp(*o, name) == 0)
			return 1;
	return 0;
}

static int
defined_profile(struct ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->npnames; i++)
		if (strcmp(ctx->pnames[i], name) == 0)
			return 1;
	return 0;
}

/*
 * What config.c knows of a profile: its name. The name is recorded even if
 * the rest of the entry is broken, so that a subscription naming it is not
 * reported as well.
 */
static int
profile_accept(struct ctx *ctx, const struct cfg_node *t)
{
	const struct cfg_node *nm;
	const char *s;

	if ((nm = cfg_node_get(t, "name")) == NULL) {
		errpos(ctx, &t->pos, "missing required key \"name\" in profile");
		return -1;
	}
	if (nm->type != CFG_NODE_SCALAR) {
		errpos(ctx, &nm->pos, "\"name\" must be a string");
		return -1;
	}
	s = nm->value;
	/* As is_null(): the plain ways of writing nothing. */
	if (*s == '\0' || (!nm->quoted && (strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0))) {
		errpos(ctx, &nm->pos, "\"name\" must not be empty");
		return -1;
	}
	if (in_oneof(builtin_profiles, s)) {
		errpos(ctx, &nm->pos, "profile \"%s\" is built in", s);
		return -1;
	}
	if (defined_profile(ctx, s)) {
		errpos(ctx, &nm->pos, "duplicate profile \"%s\"", s);
		return -1;
	}
	ctx->pnames = xreallocarray(ctx->pnames, ctx->npnames + 1,
	    sizeof(*ctx->pnames));
	ctx->pnames[ctx->npnames++] = xstrdup(s);
	return 0;
}

/* Includes */

static void	load_file(struct ctx *, const char *, const yaml_mark_t *,
		    const char *);

/* dir "/" pat, with glob metacharacters in dir taken literally. */
static char *
glob_join(const char *dir, const char *pat)
{
	size_t n = strlen(dir), i, j = 0;
	char *s;

	s = xcalloc(2 * n + strlen(pat) + 2, 1);
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
	const char *s = scalar(in);
	char *pat = NULL, *p;
	glob_t g;
	size_t i;
	int rc;

	memset(&g, 0, sizeof(g));
	if (ctx->depth >= INCLUDE_DEPTH_MAX) {
		errat(ctx, &mark, "include \"%s\": nested deeper than %d levels",
		    s, INCLUDE_DEPTH_MAX);
		return;
	}
	pat = s[0] == '/' ? xstrdup(s) : glob_join(ctx->dir, s);
	/* GLOB_MARK: directories end in '/', and are skipped. */
	rc = glob(pat, GLOB_MARK, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* An empty conf.d is normal; a typo shows up in the log. */
		log_warnx("config: %s:%zu:%zu: include \"%s\" matched no file",
		    ctx->file, mark.line + 1, mark.column + 1, s);
		goto done;
	}
	if (rc == GLOB_NOSPACE)
		fatalx("config: glob: out of memory");
	if (rc != 0) {
		errat(ctx, &mark, "include \"%s\": cannot read directory", s);
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

static void
parse_include(struct ctx *ctx, const struct key *k, const yaml_node_t *v)
{
	yaml_node_item_t *it;
	yaml_node_t *in;

	if (is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		errat(ctx, &v->start_mark, "\"%s\" must be a list", k->name);
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	    it++) {
		in = node(ctx, *it);
		if (in->type != YAML_SCALAR_NODE || is_null(in) ||
		    *scalar(in) == '\0') {
			errat(ctx, &in->start_mark,
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
		break;
	}
	return 0;
}

static struct seen *
find_seen(struct ctx *ctx, const struct key *k)
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
		errat(ctx, &kn->start_mark, "%s", k->badmsg);
		break;
	case K_SECTION:
		if (is_null(v))
			break;
		if (v->type != YAML_MAPPING_NODE) {
			errat(ctx, &v->start_mark, "\"%s\" must be a mapping",
			    k->name);
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
		parse_trees(ctx, k, v);
		break;
	}
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
		kn = node(ctx, pair->key);
		v = node(ctx, pair->value);
		if (kn->type != YAML_SCALAR_NODE) {
			errat(ctx, &kn->start_mark, "keys in %s must be strings",
			    where);
			continue;
		}
		name = scalar(kn);
		if (dup_in_map(ctx, map, pair, name)) {
			errat(ctx, &kn->start_mark, "duplicate key \"%s\"", name);
			continue;
		}
		for (k = tab; k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (k->name == NULL) {
			errat(ctx, &kn->start_mark, "unknown key \"%s\" in %s",
			    name, where);
			continue;
		}
		/* Kept trees refuse aliases (tree_node()), even as a whole. */
		if (k->type == K_TREES && (a = alias_at(ctx, map, 2 *
		    (size_t)(pair - map->data.mapping.pairs.start) + 1)) != NULL) {
			alias_error(ctx, a);
			continue;
		}
		if (global && is_leaf(k)) {
			if (find_seen(ctx, k) != NULL) {
				errat(ctx, &kn->start_mark,
				    "duplicate key \"%s\"", name);
				continue;
			}
			ctx->seen = xreallocarray(ctx->seen, ctx->nseen + 1,
			    sizeof(*ctx->seen));
			ctx->seen[ctx->nseen].k = k;
			ctx->seen[ctx->nseen].pos.file = ctx->file;
			ctx->seen[ctx->nseen].pos.line =
			    (int)kn->start_mark.line + 1;
			ctx->seen[ctx->nseen].pos.col =
			    (int)kn->start_mark.column + 1;
			ctx->nseen++;
		}
		set_value(ctx, k, kn, v, base, global);
	}
}

/* Files */

static const char *
add_file(struct config *cfg, const char *path)
{
	cfg->files = xreallocarray(cfg->files, cfg->nfiles + 1,
	    sizeof(*cfg->files));
	cfg->files[cfg->nfiles] = xstrdup(path);
	return cfg->files[cfg->nfiles++];
}

static char *
dir_of(const char *path)
{
	const char *slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

/* The whole of fp; -1 with errno on a read error. */
static int
read_all(FILE *fp, char **text, size_t *len)
{
	size_t cap = 4096, n;
	char *buf;

	buf = xcalloc(cap, 1);
	*len = 0;
	errno = 0;
	for (;;) {
		if (*len == cap)
			buf = xreallocarray(buf, cap *= 2, 1);
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

/*
 * Where the first document of text uses aliases, into ctx->aliases.
 * libyaml's document API resolves an alias into a second reference to the
 * anchored node and keeps no trace of it, so the text is parsed again as
 * events. The loader numbers nodes in event order, which is what makes an
 * alias known by its collection's node index and its slot there. A syntax
 * error just ends the scan: the loader reports it.
 */
static void
scan_aliases(struct ctx *ctx, const char *text, size_t len)
{
	struct open { int node; size_t slots; } *stk = NULL;
	size_t depth = 0, cap = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	int n = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		fatalx("config: libyaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && yaml_parser_parse(&p, &ev)) {
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n++;
			if (depth > 0)
				stk[depth - 1].slots++;
			if (ev.type == YAML_SCALAR_EVENT)
				break;
			if (depth == cap)
				stk = xreallocarray(stk, cap = cap * 2 + 16,
				    sizeof(*stk));
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
				break;	/* a root alias cannot be defined */
			ctx->aliases = xreallocarray(ctx->aliases,
			    ctx->naliases + 1, sizeof(*ctx->aliases));
			ctx->aliases[ctx->naliases].parent = stk[depth - 1].node;
			ctx->aliases[ctx->naliases].slot =
			    stk[depth - 1].slots++;
			ctx->aliases[ctx->naliases++].mark = ev.start_mark;
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
	yaml_parser_delete(&p);
	free(stk);
}

/*
 * Read one file into ctx->cfg. from/pattern: the include item that named
 * it (NULL for the main file), which is where open errors are reported.
 */
static void
load_file(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern)
{
	yaml_document_t *odoc = ctx->doc;
	const char *ofile = ctx->file;
	char *odir = ctx->dir;
	struct alias *oaliases = ctx->aliases;
	size_t onaliases = ctx->naliases, len = 0;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root, *r2;
	struct stat st;
	FILE *fp = NULL;
	char *real = NULL, *text = NULL;
	int parser_ok = 0, doc_ok = 0, entered = 0, error = 0, i;

	if ((fp = fopen(path, "r")) == NULL)
		error = errno;
	else if (fstat(fileno(fp), &st) == -1)
		error = errno;
	else if (S_ISDIR(st.st_mode))
		error = EISDIR;		/* fopen(3) accepts a directory */
	if (error != 0) {
		if (from != NULL)
			errat(ctx, from, "include \"%s\": cannot open \"%s\": %s",
			    pattern, path, strerror(error));
		else
			errfmt(ctx, "%s: cannot open: %s", path,
			    strerror(error));
		goto done;
	}
	/* Only a loop can nest 8 deep in practice; name it as one. */
	if ((real = realpath(path, NULL)) != NULL && from != NULL)
		for (i = 0; i <= ctx->depth; i++)
			if (ctx->stack[i] != NULL &&
			    strcmp(ctx->stack[i], real) == 0) {
				errat(ctx, from, "include \"%s\": \"%s\" is "
				    "already being read (include loop)",
				    pattern, path);
				goto done;
			}
	/* Read once, parsed twice: see scan_aliases(). */
	if (read_all(fp, &text, &len) == -1) {
		if (from != NULL)
			errat(ctx, from, "include \"%s\": cannot read \"%s\": %s",
			    pattern, path, strerror(errno));
		else
			errfmt(ctx, "%s: cannot read: %s", path,
			    strerror(errno));
		goto done;
	}
	if (!yaml_parser_initialize(&parser))
		fatalx("config: libyaml: out of memory");
	parser_ok = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);

	entered = 1;
	if (from != NULL)
		ctx->depth++;
	ctx->stack[ctx->depth] = real;
	real = NULL;
	ctx->doc = &doc;
	ctx->file = add_file(ctx->cfg, path);
	ctx->dir = dir_of(path);
	ctx->aliases = NULL;
	ctx->naliases = 0;
	scan_aliases(ctx, text, len);

	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(ctx, &parser);
		goto done;
	}
	doc_ok = 1;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		goto done;		/* an empty file: nothing to change */
	if (root->type == YAML_MAPPING_NODE)
		parse_map(ctx, root, top_keys, ctx->cfg, "top level", 1);
	else if (!is_null(root))
		errat(ctx, &root->start_mark, "top level must be a mapping");

	/* A second document would otherwise be ignored without a word. */
	if (!yaml_parser_load(&parser, &extra))
		syntax_error(ctx, &parser);
	else {
		if ((r2 = yaml_document_get_root_node(&extra)) != NULL)
			errat(ctx, &r2->start_mark,
			    "only one YAML document is allowed");
		yaml_document_delete(&extra);
	}

done:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (fp != NULL)
		fclose(fp);
	free(text);
	free(real);
	if (entered) {
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
}

/* Rules between keys, checked once everything is read. */
static void
cross_check(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	const struct seen *s;
	const struct key *k;
	const char *ofile = ctx->file;
	const struct profref *r;
	yaml_mark_t m;
	size_t i;

	/* Profiles may be defined in any file, before or after their use. */
	for (i = 0; i < ctx->nrefs; i++) {
		r = &ctx->refs[i];
		if (!in_oneof(r->k->oneof, r->name) &&
		    !defined_profile(ctx, r->name))
			errpos(ctx, &r->pos, "%s \"%s\"%s", r->k->badmsg,
			    r->name, r->k->badhint != NULL ? r->k->badhint : "");
	}
	if (cfg->mqtt.reconnect_min_s > cfg->mqtt.reconnect_max_s) {
		for (k = mqtt_keys; strcmp(k->name, "reconnect_min_s") != 0;
		    k++)
			;
		memset(&m, 0, sizeof(m));
		if ((s = find_seen(ctx, k)) != NULL) {
			ctx->file = s->pos.file;
			m.line = (size_t)s->pos.line - 1;
			m.column = (size_t)s->pos.col - 1;
		}
		errat(ctx, &m, "\"reconnect_min_s\" must not exceed "
		    "\"reconnect_max_s\"");
		ctx->file = ofile;
	}
}

/* Defaults and freeing walk the same tables as the parser. */

static void
apply_defaults(const struct key *tab, void *base)
{
	const struct key *k;

	for (k = tab; k->name != NULL; k++)
		switch (k->type) {
		case K_STR:
			if (k->defstr != NULL)
				*fstr(base, k) = xstrdup(k->defstr);
			break;
		case K_BOOL:
		case K_INT:
		case K_ENUM:
		case K_OFFSET:
			*fint(base, k) = (int)k->defnum;
			break;
		case K_SIZE:
			*fsize(base, k) = (size_t)k->defnum;
			break;
		case K_DOUBLE:
			*fdbl(base, k) = k->defdbl;
			break;
		case K_SECTION:
			apply_defaults(k->sub, base);
			break;
		case K_SECRETFILE:
		case K_REFUSED:
		case K_LIST:
		case K_INCLUDE:
		case K_TREES:
			break;
		}
}

static void
free_fields(const struct key *tab, void *base)
{
	const struct key *k;
	char **s;

	for (k = tab; k->name != NULL; k++)
		switch (k->type) {
		case K_SECRETFILE:
			/* Do not leave the password in freed heap memory. */
			s = fstr(base, k);
			if (*s != NULL)
				explicit_bzero(*s, strlen(*s));
			free(*s);
			*s = NULL;
			break;
		case K_STR:
			s = fstr(base, k);
			free(*s);
			*s = NULL;
			break;
		case K_SECTION:
			free_fields(k->sub, base);
			break;
		case K_LIST:
			list_drop(base, k->list, 0);
			break;
		case K_TREES:
			trees_drop(base, k->trees);
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

	cfg = xcalloc(1, sizeof(*cfg));
	apply_defaults(top_keys, cfg);
	cfg->subs = xcalloc(1, sizeof(*cfg->subs));
	cfg->subs[0].topic = xstrdup("wt/v1/#");
	cfg->subs[0].profile = xstrdup("wastetrack");
	cfg->nsubs = 1;
	return cfg;
}

int
config_load(const char *path, struct config **out, char **errors)
{
	struct ctx ctx;
	size_t i;

	*out = NULL;
	if (errors != NULL)
		*errors = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = config_default();
	ctx.cfg->path = xstrdup(path);

	load_file(&ctx, path, NULL, NULL);
	cross_check(&ctx);
	free(ctx.seen);
	for (i = 0; i < ctx.npnames; i++)
		free(ctx.pnames[i]);
	free(ctx.pnames);
	for (i = 0; i < ctx.nrefs; i++)
		free(ctx.refs[i].name);
	free(ctx.refs);

	if (ctx.err.n > 0) {
		if (errors != NULL)
			*errors = ctx.err.buf;
		else
			free(ctx.err.buf);
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
	free_fields(top_keys, cfg);
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
