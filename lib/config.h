/*
 * config: the daemon's configuration, loaded from YAML with libyaml.
 *
 * The schema is a table (config_schema.c); every key is checked for type
 * and range, unknown and duplicate keys are errors, and all errors of a
 * load are reported in one pass as "FILE:LINE:COL: message" lines
 * (1-based marks).
 * Relative paths (include globs, database.path, password_file, TLS files,
 * port_file) resolve against the directory of the file that names them.
 * Files pulled in by `include:` use the same schema; list keys
 * (subscriptions, facilities, generators, vehicles) are appended, a scalar set twice is an error.
 */
#ifndef WT_CONFIG_H
#define WT_CONFIG_H

#include <stddef.h>

#include "attr.h"

struct cfg_pos {
	const char *file; /* points into config's file list */
	int line, col;	  /* 1-based */
};

struct cfg_subscription {
	char *topic;   /* MQTT topic filter */
	char *profile; /* dialect name, e.g. "wastetrack" */
	struct cfg_pos pos;
};

/* A threshold on one value of a facility's status messages (a column,
 * inventory_kg or throughput_kg, or a member of their extra JSON). */
struct cfg_alarm {
	char *value;	    /* e.g. "furnace_temp_c" */
	double min, max;    /* NAN: no bound on that side */
	int critical;	    /* severity: 1 critical, 0 warning */
	struct cfg_pos pos; /* of the value's key */
};

/* Declared in lib/geofence.h. */
struct geofence_ring;
struct geofence_set;

/* A site's fence (WGS-84): a circle around the site's lat/lon, or a
 * polygon. Neither (radius_m 0, rings NULL): the site has no fence. */
struct cfg_fence {
	double radius_m;	     /* > 0: circle around lat/lon */
	struct geofence_ring *rings; /* polygon: rings[0] outline, then
				      * holes; NULL: none. each ring's v[]
				      * owned by the config */
	size_t nrings;
	struct cfg_pos pos; /* of the geofence key */
};

struct cfg_facility {
	char *id, *name, *kind, *district;
	int harmless;	 /* 0/1 */
	double lat, lon; /* WGS-84 (converted from crs); NAN: not given */
	char *crs;	 /* as written (lat, lon, fence are converted) */
	struct cfg_fence fence;
	char **accepts; /* category patterns: "cw.*" */
	size_t naccepts;
	struct cfg_alarm *alarms;
	size_t nalarms;
	int alarm_after_s;	   /* a threshold crossed this long alarms */
	int silent_after_s;	   /* no status this long; 0: not watched */
	double clear_threshold_kg; /* transfer stations: cleared at most */
	struct cfg_pos pos;
};

/* Kinds of generators: where waste arises (DESIGN: registries). */
struct cfg_generator {
	char *id, *name, *kind, *district;
	double lat, lon;	   /* NAN when not given; WGS-84 */
	char *crs;		   /* as written (lat, lon, fence converted) */
	int max_pickup_interval_h; /* clinics; 0 for other kinds */
	struct cfg_fence fence;
	char *permit_from, *permit_to; /* construction sites; YYYY-MM-DD or
					* NULL */
	struct cfg_pos pos;
};

struct cfg_vehicle {
	char *plate; /* normalised like the plates of messages */
	char *fleet, *kind, *district;
	char **waste; /* category patterns: "msw.food", "cw.*", "*" */
	size_t nwaste;
	char *permit_from, *permit_to; /* YYYY-MM-DD or NULL */
	struct cfg_pos pos;
};

/*
 * A YAML subtree kept as it was written, with positions, for modules that
 * compile their own sections (profiles: lib/profile.c) without including
 * libyaml themselves.
 */
enum cfg_node_type { CFG_NODE_SCALAR, CFG_NODE_MAP, CFG_NODE_LIST };

struct cfg_node {
	enum cfg_node_type type;
	char *value;		    /* scalars: the text, UTF-8 */
	int quoted;		    /* scalar was quoted ("1" is text) */
	struct cfg_pos pos;	    /* of the node (for a scalar: its value) */
	size_t n;		    /* entries of a map or list */
	char **keys;		    /* maps: the keys; NULL for lists */
	struct cfg_pos *key_pos;    /* maps: where each key is */
	struct cfg_node **children; /* maps and lists: the values */
};

/* The value of key in a map node, or NULL. */
const struct cfg_node *cfg_node_get(const struct cfg_node *map,
    const char *key);

enum cfg_sync { CFG_SYNC_NORMAL = 0, CFG_SYNC_FULL = 1 };
/* database.backend, as indices into its list of names. */
enum cfg_backend { CFG_DB_SQLITE = 0, CFG_DB_POSTGRESQL = 1 };

struct config {
	char *path; /* main file, NULL for embedded defaults */
	struct {
		char *url; /* tcp://host:port or ssl://host:port */
		char *client_id;
		int qos;	      /* 1; 0 accepted; 2 refused (paho 1.3.12
					 * can lose messages at QoS 2) */
		int clean_session;    /* 0/1 */
		int keepalive_s;      /* 1..3600 */
		int mqtt5;	      /* 0/1 */
		int session_expiry_s; /* MQTT 5 only; 0..2^32-1 */
		int reconnect_min_s, reconnect_max_s;
		char *username;
		char *password; /* read from password_file */
		char *ca_file, *cert_file, *key_file;
		/* Subscribe as $share/GROUP/filter (docs/cluster.md); NULL:
		 * plain subscriptions. Only with a shared store. */
		char *shared_group;
	} mqtt;
	struct cfg_subscription *subs;
	size_t nsubs;
	struct {
		char *path;
		enum cfg_sync synchronous;
		int raw_retention_days; /* 0..3650; 0 = keep no payloads */
		int backend;		/* enum cfg_backend */
		char *url;		/* PostgreSQL: a libpq URI */
		/* PostgreSQL's password, read by the store at connect (only
		 * checked readable at load); NULL: libpq's own means. */
		char *password_file;
	} database;
	struct {
		char *listen;	 /* "host:port"; port 0 = ephemeral */
		char *port_file; /* NULL = none */
		/* Credentials for every path but /healthz (docs/http.md):
		 * the file, and what it holds, read with the configuration;
		 * NULL: none, then only a loopback listen is accepted. */
		char *auth_file;
		struct api_auth *auth;
	} http;
	struct {
		double recycling_target; /* 0..1: the trend's target line */
		char *tile_url;		 /* map tiles; NULL: none */
	} page;
	struct {
		int local_offset_min;	/* minutes east of UTC, from "+08:00" */
		int future_tolerance_s; /* reject event times beyond now + this */
	} time;
	struct cfg_facility *facilities;
	size_t nfacilities;
	struct cfg_generator *generators;
	size_t ngenerators;
	struct cfg_vehicle *vehicles;
	size_t nvehicles;
	struct {
		double tolerance_pct;		/* 0..100 */
		int overdue_h;			/* 1..8760 */
		double clearance_tolerance_pct; /* transfer-station stock */
		int window_h; /* plate + facility match window */
	} reconcile;
	/* `profiles:` entries from every file, in order: each a map node with
	 * at least a scalar `name`. Compiled by lib/profile.c. */
	struct cfg_node **profiles;
	size_t nprofiles;
	struct {
		size_t max_payload;  /* bytes; larger messages are rejected */
		size_t spool_max_mb; /* un-committed journal bound (MiB) */
		/* Never NULL after a load: by default <database.path>.spool
		 * with SQLite, CFG_PG_SPOOL_DIR with PostgreSQL. */
		char *spool_dir;
	} ingest;
	/* Days each kind of record is kept (0..3650; 0 = for ever). Raw
	 * payloads: database.raw_retention_days. docs/database.md. */
	struct {
		int messages_days;	    /* provenance rows */
		int positions_days;	    /* every position goes after */
		int positions_full_days;    /* every point kept this long */
		int positions_thin_s;	    /* then one per vehicle per this */
		int rejects_payload_days;   /* rejects.payload nulled */
		int rejects_days;	    /* rejects rows */
		int vehicle_events_days;    /* unloads counted first */
		int weighings_history_days; /* superseded ticket versions */
		int facility_status_days;
	} retention;
	struct {
		int interval_s; /* 0..3600; 0 = no alerts are raised */
	} alerts;
	/* Muck trucks (docs/geofence.md). */
	struct {
		char *muck_hours; /* "22:00-06:00" as written; NULL: none */
		int muck_from_min, muck_to_min; /* local minutes of the day;
						 * -1: no window */
		int unload_dwell_s;		/* 0: no dwell candidates */
	} supervision;
	/* Every fence of facilities and generators, built at load. A tag
	 * below nfacilities is a facility's index, else nfacilities plus a
	 * generator's (config_site()). NULL when there are none. */
	struct geofence_set *fences;
	/* private */
	char **files; /* every file read, for cfg_pos.file */
	size_t nfiles;
};

/*
 * Embedded defaults (what runs without a file): broker tcp://127.0.0.1:1883,
 * client id "wastetrack-1", QoS 1, persistent session, subscription
 * "wt/v1/#" → wastetrack, database /var/lib/wastetrack/wastetrack.db,
 * HTTP 127.0.0.1:8080, local offset +08:00. NULL when out of memory.
 */
struct config *config_default(void) WT_MUST_CHECK;

/* The spool's default directory with PostgreSQL (no database file to
 * sit beside). */
#define CFG_PG_SPOOL_DIR "/var/lib/wastetrack/spool"

/* database.backend's name ("sqlite", "postgresql"). */
const char *config_backend_name(const struct config *cfg);

/*
 * Where the configured store is, for store_open_at() and the other
 * openers of store.h: the backend's name, the SQLite file or the
 * PostgreSQL URI, the password file, and this instance's name
 * (mqtt.client_id). The strings stay cfg's.
 */
struct store_where;
void config_store_where(const struct config *cfg, struct store_where *w);

/*
 * Load path on top of the defaults. On success returns 0 and *out. On any
 * error returns -1, *out is NULL and *errors holds every error as lines of
 * "FILE:LINE:COL: message\n" (malloc'd; the caller frees). Errors that are
 * not tied to a place (the file cannot be opened) use "FILE: message".
 * Out of memory, the text ends in "out of memory\n"; *errors is NULL if
 * not even that could be allocated.
 */
int config_load(const char *path, struct config **out,
    char **errors) WT_MUST_CHECK;

/*
 * What the programs read without -c: the file at path (their default) when
 * it exists, else the embedded defaults (*defaulted set to 1). A default
 * file that exists but cannot be read is an error, as with config_load().
 */
int config_load_default(const char *path, struct config **out, char **errors,
    int *defaulted) WT_MUST_CHECK;

void config_free(struct config *cfg);

/* The facility with this id, or NULL. */
const struct cfg_facility *config_facility(const struct config *cfg,
    const char *id);
/* The generator with this id, the vehicle with this (normalised) plate. */
const struct cfg_generator *config_generator(const struct config *cfg,
    const char *id);
const struct cfg_vehicle *config_vehicle(const struct config *cfg,
    const char *plate);

/* The site a fence tag of cfg->fences names: one of *fac, *gen is set,
 * the other NULL (both NULL for a tag out of range). */
void config_site(const struct config *cfg, size_t tag,
    const struct cfg_facility **fac, const struct cfg_generator **gen);

/* 1 when a category pattern ("cw.*", "*", "msw.food") matches the
 * canonical category waste, else 0 (NULL waste: 0). */
int config_waste_match(const char *pattern, const char *waste);

/*
 * Call fn once for every key of the schema, as its full dotted path, in
 * table order: a section is "mqtt", its keys "mqtt.url", "mqtt.tls.ca_file";
 * a key of the items of a list "subscriptions[].topic". Sections and lists
 * are keys too. A kept tree ("profiles") is named, not entered: its keys
 * belong to the module that compiles it (lib/profile.c). For documentation
 * and the test that compares it with wastetrack.yaml(5).
 */
void config_keys(void (*fn)(const char *path, void *arg), void *arg);

#endif
