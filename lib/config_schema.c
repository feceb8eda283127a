/*
 * config_schema: the configuration's keys, one table per mapping, and the
 * checks of values that do not fit a range or a list. See config_int.h
 * for how the tables drive the loader.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

static int url_ok(const char *);
static int listen_ok(const char *);
static int tile_url_ok(const char *);
static int topic_ok(const char *);
static int share_ok(const char *);
static const char *qos_check(long long);
static int facility_accept(struct ctx *, void *, const yaml_node_t *);
static int profile_accept(struct ctx *, const struct cfg_node *);

/*
 * Dialects compiled into the decoder. A subscription names one of these or
 * a profile defined under `profiles:` (lib/profile.c compiles those); a
 * name that is neither could never decode a message, so it is refused here.
 * A `profiles:` entry may not take a built-in name.
 */
const char *const cfg_builtin_profiles[] = { "wastetrack", NULL };

static const char *const facility_kinds[] = { "transfer_station", "incinerator",
	"sanitary_landfill", "food_waste_plant", "recycling_center",
	"hazardous_collection_point", "cw_recycling", "cw_disposal_site",
	"hw_facility", "mw_facility", NULL };

static const char *const sync_modes[] = { "normal", "full", NULL };

/* In the order of enum cfg_backend. */
const char *const cfg_backend_names[] = { "sqlite", "postgresql", NULL };

#define C(f) offsetof(struct config, f)

static const struct key sub_keys[] = {
	{ .name = "topic",
	    .type = K_STR,
	    .off = offsetof(struct cfg_subscription, topic),
	    .flags = F_NONEMPTY | F_REQUIRED,
	    .check = topic_ok,
	    .badmsg = "invalid topic filter" },
	{ .name = "profile",
	    .type = K_STR,
	    .off = offsetof(struct cfg_subscription, profile),
	    .flags = F_NONEMPTY | F_REQUIRED | F_PROFILE,
	    .oneof = cfg_builtin_profiles,
	    .badmsg = "unknown profile" },
	{ .name = NULL }
};

static const struct key facility_keys[] = {
	{ .name = "id",
	    .type = K_STR,
	    .off = offsetof(struct cfg_facility, id),
	    .flags = F_NONEMPTY | F_REQUIRED },
	{ .name = "name",
	    .type = K_STR,
	    .off = offsetof(struct cfg_facility, name) },
	{ .name = "kind",
	    .type = K_STR,
	    .off = offsetof(struct cfg_facility, kind),
	    .flags = F_NONEMPTY | F_REQUIRED,
	    .oneof = facility_kinds,
	    .badmsg = "unknown facility kind" },
	{ .name = "district",
	    .type = K_STR,
	    .off = offsetof(struct cfg_facility, district) },
	{ .name = "harmless",
	    .type = K_BOOL,
	    .off = offsetof(struct cfg_facility, harmless) },
	/* The streams (docs/indicators.md): status thresholds, silence,
	 * transfer-station clearance. Defaults: facility_accept(). */
	{ .name = "alarms",
	    .type = K_CUSTOM,
	    .parse = cfg_parse_alarms,
	    .release = cfg_release_alarms },
	{ .name = "alarm_after_s",
	    .type = K_INT,
	    .off = offsetof(struct cfg_facility, alarm_after_s),
	    .min = 0,
	    .max = 7 * 86400 },
	{ .name = "silent_after_s",
	    .type = K_INT,
	    .off = offsetof(struct cfg_facility, silent_after_s),
	    .min = 0,
	    .max = 30 * 86400 },
	{ .name = "clear_threshold_kg",
	    .type = K_DOUBLE,
	    .off = offsetof(struct cfg_facility, clear_threshold_kg),
	    .dmin = 0,
	    .dmax = 1e6 },
	/* Where it is and what it takes (docs/geofence.md). */
	{ .name = "lat",
	    .type = K_DOUBLE,
	    .off = offsetof(struct cfg_facility, lat),
	    .dmin = -90,
	    .dmax = 90 },
	{ .name = "lon",
	    .type = K_DOUBLE,
	    .off = offsetof(struct cfg_facility, lon),
	    .dmin = -180,
	    .dmax = 180 },
	{ .name = "crs",
	    .type = K_STR,
	    .off = offsetof(struct cfg_facility, crs),
	    .flags = F_NONEMPTY,
	    .check = cfg_crs_ok,
	    .badmsg = "unknown coordinate system",
	    .badhint = ": want wgs84, gcj02 or bd09" },
	{ .name = "geofence",
	    .type = K_CUSTOM,
	    .off = offsetof(struct cfg_facility, fence),
	    .parse = cfg_parse_fence,
	    .release = cfg_release_fence },
	{ .name = "accepts",
	    .type = K_CUSTOM,
	    .parse = cfg_parse_accepts,
	    .release = cfg_release_accepts },
	{ .name = NULL }
};

static const struct listspec subs_list = {
	.item = sub_keys,
	.what = "subscription",
	.size = sizeof(struct cfg_subscription),
	.pos_off = offsetof(struct cfg_subscription, pos),
	.arr_off = C(subs),
	.n_off = C(nsubs),
};

static const struct listspec facilities_list = {
	.item = facility_keys,
	.what = "facility",
	.size = sizeof(struct cfg_facility),
	.pos_off = offsetof(struct cfg_facility, pos),
	.arr_off = C(facilities),
	.n_off = C(nfacilities),
	.accept = facility_accept,
};

static const struct treespec profiles_trees = {
	.what = "profile",
	.arr_off = C(profiles),
	.n_off = C(nprofiles),
	.accept = profile_accept,
};

static const struct key tls_keys[] = { { .name = "ca_file",
					   .type = K_STR,
					   .off = C(mqtt.ca_file),
					   .flags = F_PATH },
	{ .name = "cert_file",
	    .type = K_STR,
	    .off = C(mqtt.cert_file),
	    .flags = F_PATH },
	{ .name = "key_file",
	    .type = K_STR,
	    .off = C(mqtt.key_file),
	    .flags = F_PATH },
	{ .name = NULL } };

const struct key cfg_mqtt_keys[] = {
	{ .name = "url",
	    .type = K_STR,
	    .off = C(mqtt.url),
	    .flags = F_NONEMPTY,
	    .check = url_ok,
	    .badmsg = "invalid url",
	    .badhint = ": want tcp://host:port or ssl://host:port",
	    .defstr = "tcp://127.0.0.1:1883" },
	{ .name = "client_id",
	    .type = K_STR,
	    .off = C(mqtt.client_id),
	    .flags = F_NONEMPTY,
	    .defstr = "wastetrack-1" },
	{ .name = "qos",
	    .type = K_INT,
	    .off = C(mqtt.qos),
	    .min = 0,
	    .max = 1,
	    .vcheck = qos_check,
	    .defnum = 1 },
	{ .name = "clean_session",
	    .type = K_BOOL,
	    .off = C(mqtt.clean_session),
	    .defnum = 0 },
	{ .name = "keepalive_s",
	    .type = K_INT,
	    .off = C(mqtt.keepalive_s),
	    .min = 1,
	    .max = 3600,
	    .defnum = 30 },
	{ .name = "mqtt5", .type = K_BOOL, .off = C(mqtt.mqtt5), .defnum = 0 },
	/* MQTT allows 2^32-1 ("never"), but the field is an int. */
	{ .name = "session_expiry_s",
	    .type = K_INT,
	    .off = C(mqtt.session_expiry_s),
	    .min = 0,
	    .max = INT_MAX,
	    .defnum = 86400 },
	{ .name = "reconnect_min_s",
	    .type = K_INT,
	    .off = C(mqtt.reconnect_min_s),
	    .min = 1,
	    .max = 3600,
	    .defnum = 1 },
	{ .name = "reconnect_max_s",
	    .type = K_INT,
	    .off = C(mqtt.reconnect_max_s),
	    .min = 1,
	    .max = 3600,
	    .defnum = 30 },
	{ .name = "username", .type = K_STR, .off = C(mqtt.username) },
	/*
	 * A secret in the main file ends up in backups, diffs and bug
	 * reports; only a reference to a file (mode 0600) is accepted.
	 */
	{ .name = "password",
	    .type = K_REFUSED,
	    .badmsg = "password must not be inline: use password_file" },
	{ .name = "password_file",
	    .type = K_SECRETFILE,
	    .off = C(mqtt.password),
	    .flags = F_PATH },
	{ .name = "tls",
	    .type = K_SECTION,
	    .sub = tls_keys,
	    .where = "mqtt.tls" },
	/* Refused with SQLite (config.c): a file serves one daemon. */
	{ .name = "shared_group",
	    .type = K_STR,
	    .off = C(mqtt.shared_group),
	    .flags = F_NONEMPTY,
	    .check = share_ok,
	    .badmsg = "invalid shared_group",
	    .badhint = ": want 1 to 63 characters without /, + or #" },
	{ .name = NULL }
};

static const struct key database_keys[] = {
	{ .name = "path",
	    .type = K_STR,
	    .off = C(database.path),
	    .flags = F_NONEMPTY | F_PATH,
	    .defstr = "/var/lib/wastetrack/wastetrack.db" },
	{ .name = "synchronous",
	    .type = K_ENUM,
	    .off = C(database.synchronous),
	    .oneof = sync_modes,
	    .defnum = CFG_SYNC_NORMAL },
	{ .name = "raw_retention_days",
	    .type = K_INT,
	    .off = C(database.raw_retention_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 7 },
	{ .name = "backend",
	    .type = K_ENUM,
	    .off = C(database.backend),
	    .oneof = cfg_backend_names,
	    .defnum = CFG_DB_SQLITE },
	/* Required with postgresql; its shape is checked in config.c,
	 * whose messages never repeat it (it might hold a password). */
	{ .name = "url",
	    .type = K_STR,
	    .off = C(database.url),
	    .flags = F_NONEMPTY },
	/* Read by the store when it connects; checked readable at load
	 * (config.c), so that -n finds a wrong path. */
	{ .name = "password_file",
	    .type = K_STR,
	    .off = C(database.password_file),
	    .flags = F_NONEMPTY | F_PATH },
	{ .name = NULL }
};

static const struct key http_keys[] = { { .name = "listen",
					    .type = K_STR,
					    .off = C(http.listen),
					    .flags = F_NONEMPTY,
					    .check = listen_ok,
					    .badmsg = "invalid listen address",
					    .badhint = ": want host:port",
					    .defstr = "127.0.0.1:8080" },
	{ .name = "port_file",
	    .type = K_STR,
	    .off = C(http.port_file),
	    .flags = F_PATH },
	/* Read and checked once every key is known (config.c). */
	{ .name = "auth_file",
	    .type = K_STR,
	    .off = C(http.auth_file),
	    .flags = F_PATH },
	{ .name = NULL } };

/* The operator page (docs/http.md). */
static const struct key page_keys[] = { { .name = "recycling_target",
					    .type = K_DOUBLE,
					    .off = C(page.recycling_target),
					    .dmin = 0,
					    .dmax = 1,
					    .defdbl = 0.4025 },
	{ .name = "tile_url",
	    .type = K_STR,
	    .off = C(page.tile_url),
	    .check = tile_url_ok,
	    .badmsg = "invalid tile URL",
	    .badhint = ": want http(s)://host/.../{z}/{x}/{y}.png" },
	{ .name = NULL } };

static const struct key time_keys[] = { { .name = "local_offset",
					    .type = K_OFFSET,
					    .off = C(time.local_offset_min),
					    .defnum = 8 * 60 },
	{ .name = "future_tolerance_s",
	    .type = K_INT,
	    .off = C(time.future_tolerance_s),
	    .min = 0,
	    .max = 86400,
	    .defnum = 300 },
	{ .name = NULL } };

static const struct key reconcile_keys[] = { { .name = "tolerance_pct",
						 .type = K_DOUBLE,
						 .off =
						     C(reconcile.tolerance_pct),
						 .dmin = 0,
						 .dmax = 100,
						 .defdbl = 10 },
	{ .name = "overdue_h",
	    .type = K_INT,
	    .off = C(reconcile.overdue_h),
	    .min = 1,
	    .max = 8760,
	    .defnum = 48 },
	{ .name = "clearance_tolerance_pct",
	    .type = K_DOUBLE,
	    .off = C(reconcile.clearance_tolerance_pct),
	    .dmin = 0,
	    .dmax = 100,
	    .defdbl = 5 },
	{ .name = "window_h",
	    .type = K_INT,
	    .off = C(reconcile.window_h),
	    .min = 1,
	    .max = 720,
	    .defnum = 24 },
	{ .name = NULL } };

static const struct key ingest_keys[] = { { .name = "max_payload",
					      .type = K_SIZE,
					      .off = C(ingest.max_payload),
					      .min = 64,
					      .max = 16 * 1024 * 1024,
					      .defnum = 262144 },
	{ .name = "spool_max_mb",
	    .type = K_SIZE,
	    .off = C(ingest.spool_max_mb),
	    .min = 1,
	    .max = 4096,
	    .defnum = 64 },
	/* Default from the backend (config.c). */
	{ .name = "spool_dir",
	    .type = K_STR,
	    .off = C(ingest.spool_dir),
	    .flags = F_NONEMPTY | F_PATH },
	{ .name = NULL } };

/* Days per kind of record (docs/database.md, Retention): 0 keeps it for
 * ever. */
static const struct key retention_keys[] = { { .name = "messages_days",
						 .type = K_INT,
						 .off =
						     C(retention.messages_days),
						 .min = 0,
						 .max = 3650,
						 .defnum = 90 },
	{ .name = "positions_days",
	    .type = K_INT,
	    .off = C(retention.positions_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 190 },
	{ .name = "positions_full_days",
	    .type = K_INT,
	    .off = C(retention.positions_full_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 30 },
	{ .name = "positions_thin_s",
	    .type = K_INT,
	    .off = C(retention.positions_thin_s),
	    .min = 0,
	    .max = 86400,
	    .defnum = 60 },
	{ .name = "rejects_payload_days",
	    .type = K_INT,
	    .off = C(retention.rejects_payload_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 30 },
	{ .name = "rejects_days",
	    .type = K_INT,
	    .off = C(retention.rejects_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 365 },
	{ .name = "vehicle_events_days",
	    .type = K_INT,
	    .off = C(retention.vehicle_events_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 400 },
	{ .name = "weighings_history_days",
	    .type = K_INT,
	    .off = C(retention.weighings_history_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 400 },
	{ .name = "facility_status_days",
	    .type = K_INT,
	    .off = C(retention.facility_status_days),
	    .min = 0,
	    .max = 3650,
	    .defnum = 90 },
	{ .name = NULL } };

/* Muck trucks (docs/geofence.md). */
static const struct key supervision_keys[] = {
	{ .name = "muck_hours",
	    .type = K_STR,
	    .off = C(supervision.muck_hours),
	    .check = cfg_hours_ok,
	    .badmsg = "invalid hours",
	    .badhint = ": want HH:MM-HH:MM",
	    .defstr = "22:00-06:00" },
	{ .name = "unload_dwell_s",
	    .type = K_INT,
	    .off = C(supervision.unload_dwell_s),
	    .min = 0,
	    .max = 86400,
	    .defnum = 120 },
	{ .name = NULL }
};

/* Alerts (docs/alerts.md). */
static const struct key alerts_keys[] = { { .name = "interval_s",
					      .type = K_INT,
					      .off = C(alerts.interval_s),
					      .min = 0,
					      .max = 3600,
					      .defnum = 10 },
	{ .name = NULL } };

const struct key cfg_top_keys[] = { { .name = "include", .type = K_INCLUDE },
	{ .name = "mqtt",
	    .type = K_SECTION,
	    .sub = cfg_mqtt_keys,
	    .where = "mqtt" },
	{ .name = "subscriptions", .type = K_LIST, .list = &subs_list },
	{ .name = "database",
	    .type = K_SECTION,
	    .sub = database_keys,
	    .where = "database" },
	{ .name = "http",
	    .type = K_SECTION,
	    .sub = http_keys,
	    .where = "http" },
	{ .name = "page",
	    .type = K_SECTION,
	    .sub = page_keys,
	    .where = "page" },
	{ .name = "time",
	    .type = K_SECTION,
	    .sub = time_keys,
	    .where = "time" },
	{ .name = "facilities", .type = K_LIST, .list = &facilities_list },
	{ .name = "generators", .type = K_LIST, .list = &cfg_generators_list },
	{ .name = "vehicles", .type = K_LIST, .list = &cfg_vehicles_list },
	{ .name = "profiles", .type = K_TREES, .trees = &profiles_trees },
	{ .name = "reconcile",
	    .type = K_SECTION,
	    .sub = reconcile_keys,
	    .where = "reconcile" },
	{ .name = "ingest",
	    .type = K_SECTION,
	    .sub = ingest_keys,
	    .where = "ingest" },
	{ .name = "retention",
	    .type = K_SECTION,
	    .sub = retention_keys,
	    .where = "retention" },
	{ .name = "alerts",
	    .type = K_SECTION,
	    .sub = alerts_keys,
	    .where = "alerts" },
	{ .name = "supervision",
	    .type = K_SECTION,
	    .sub = supervision_keys,
	    .where = "supervision" },
	{ .name = NULL } };

#undef C
/* Value checks that do not fit a range or a list */

static const char *
qos_check(long long v)
{
	/*
	 * QoS 2 can lose messages in paho 1.3.12. The message names the
	 * design document as it always has: tests and scripts match it.
	 */
	if (v == 2)
		return "qos 2 is not supported: use 1";
	return NULL;
}

/* "host:port" or "[v6]:port", port in [minport, 65535], nothing else. */
static int
hostport_ok(const char *s, long minport)
{
	const char *colon, *rb, *p;
	long port;

	if (*s == '[') {
		if ((rb = strchr(s, ']')) == NULL || rb == s + 1 ||
		    rb[1] != ':')
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

/* Goes into a Content-Security-Policy header as its origin: a plain
 * http(s) URL with the three placeholders, no quote, space or ';'. */
static int
tile_url_ok(const char *s)
{
	const char *host = strstr(s, "://");

	if ((strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
	    host[3] == '\0' || host[3] == '/' || strpbrk(s, " \t\"';,\\") ||
	    !strstr(s, "{z}") || !strstr(s, "{x}") || !strstr(s, "{y}"))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* A shared subscription's name: one topic level, no wildcard (MQTT 5.0,
 * 4.8.2), short enough for /status. */
static int
share_ok(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= 63 && strpbrk(s, "/+#") == NULL;
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
int
cfg_parse_ll(const char *s, long long *v)
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

int
cfg_parse_double(const char *s, double *v)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end != '\0')
		return -1;
	if (errno == ERANGE && fabs(*v) >= 1)
		return 1;	      /* overflow (HUGE_VAL), not underflow */
	return isfinite(*v) ? 0 : -1; /* "nan" and "inf" are not numbers */
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
int
cfg_parse_offset(const char *s, int *out)
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

/* Item checks: what the config module knows of a list item or a tree. */

static int
facility_accept(struct ctx *ctx, void *elem, const yaml_node_t *map)
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
	idn = cfg_map_get(ctx, map, "clear_threshold_kg");
	if (idn != NULL && strcmp(f->kind, "transfer_station") != 0) {
		cfg_errat(ctx, &idn->start_mark,
		    "clear_threshold_kg applies to transfer stations only");
		return -1;
	}
	/* Items start zeroed: the defaults of keys left out. A threshold
	 * crossed for 5 min alarms (one status report a minute is usual);
	 * a station holding more than a tonne at midnight is not cleared. */
	if (cfg_map_get(ctx, map, "alarm_after_s") == NULL)
		f->alarm_after_s = 300;
	if (idn == NULL)
		f->clear_threshold_kg = 1000;
	/* Reports print the name; the id is better than "(null)". */
	if (f->name == NULL && (f->name = cfg_strdup(ctx, f->id)) == NULL)
		return -1;
	return cfg_site_accept(ctx, map, "facility", f->id, &f->lat, &f->lon,
	    f->crs, &f->fence);
}

/*
 * What the config module knows of a profile: its name. The name is
 * recorded even if the rest of the entry is broken, so that a subscription
 * naming it is not reported as well.
 */
static int
profile_accept(struct ctx *ctx, const struct cfg_node *t)
{
	const struct cfg_node *nm;
	char **pnames, *name;
	const char *s;

	if ((nm = cfg_node_get(t, "name")) == NULL) {
		cfg_errpos(ctx, &t->pos,
		    "missing required key \"name\" in profile");
		return -1;
	}
	if (nm->type != CFG_NODE_SCALAR) {
		cfg_errpos(ctx, &nm->pos, "\"name\" must be a string");
		return -1;
	}
	s = nm->value;
	/* As cfg_is_null(): the plain ways of writing nothing. */
	if (*s == '\0' ||
	    (!nm->quoted &&
		(strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
		    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0))) {
		cfg_errpos(ctx, &nm->pos, "\"name\" must not be empty");
		return -1;
	}
	if (cfg_in_oneof(cfg_builtin_profiles, s)) {
		cfg_errpos(ctx, &nm->pos, "profile \"%s\" is built in", s);
		return -1;
	}
	if (cfg_defined_profile(ctx, s)) {
		cfg_errpos(ctx, &nm->pos, "duplicate profile \"%s\"", s);
		return -1;
	}
	if ((name = cfg_strdup(ctx, s)) == NULL)
		return -1;
	if ((pnames = cfg_reallocarray(ctx, ctx->pnames, ctx->npnames + 1,
		 sizeof(*ctx->pnames))) == NULL) {
		free(name);
		return -1;
	}
	ctx->pnames = pnames;
	pnames[ctx->npnames++] = name;
	return 0;
}

/* Key paths (config_keys) */

static void
keys_walk(const struct key *t, char *path, size_t len, size_t size,
    void (*fn)(const char *, void *), void *arg)
{
	const struct key *sub;
	const char *suffix;
	int n;

	for (; t->name != NULL; t++) {
		n = snprintf(path + len, size - len, "%s", t->name);
		/* The tables are static and shallow: a path never fills the
		 * buffer, but a cut one must not be handed out as a key. */
		if (n < 0 || (size_t)n >= size - len)
			continue;
		fn(path, arg);
		sub = t->type == K_SECTION ? t->sub
		    : t->type == K_LIST	   ? t->list->item
					   : NULL;
		suffix = t->type == K_LIST ? "[]." : ".";
		if (sub == NULL)
			continue;
		n = snprintf(path + len, size - len, "%s%s", t->name, suffix);
		if (n > 0 && (size_t)n < size - len)
			keys_walk(sub, path, len + (size_t)n, size, fn, arg);
	}
	path[len] = '\0';
}

void
config_keys(void (*fn)(const char *path, void *arg), void *arg)
{
	char path[256];

	path[0] = '\0';
	keys_walk(cfg_top_keys, path, 0, sizeof(path), fn, arg);
}
