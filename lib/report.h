/*
 * report: what the HTTP endpoint says — health, /status JSON and
 * Prometheus text — rendered from a snapshot the loop fills in. Pure
 * formatting, so every figure can be unit-tested without a socket. And
 * today's city figures, read from the database into that snapshot
 * (report_city.c).
 */
#ifndef WT_REPORT_H
#define WT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "ingest.h"
#include "muck.h"
#include "store.h"

struct report_tonnage {
	char district[64];
	char waste[32];
	double kg;
};

#define REPORT_MAX_TONNAGE     64
#define REPORT_MAX_DISTRICTS   32
#define REPORT_MAX_ITEMS       20 /* per list of manifests shown */
#define REPORT_MAX_SUBS	       64 /* subscriptions shown */
#define REPORT_MAX_ALERT_KINDS 16

struct report_alert_kind {
	char kind[32];
	int64_t open;
};

/* Today's figures from the database: a thread of their own computes them. */
struct report_city {
	char day[11];
	struct report_tonnage tonnage[REPORT_MAX_TONNAGE];
	size_t ntonnage;
	int64_t open_manifests, overdue_manifests, discrepancies;
	struct store_indicators districts[REPORT_MAX_DISTRICTS];
	size_t ndistricts;
	struct store_manifest_item discrepancy_items[REPORT_MAX_ITEMS];
	size_t ndiscrepancy_items;
	struct store_manifest_item overdue_items[REPORT_MAX_ITEMS];
	size_t noverdue_items;
	/* Alerts (docs/alerts.md): open ones per kind, every kind this
	 * build raises listed (0 included), and the newest open ones. */
	struct store_alert_counts alerts;
	struct report_alert_kind alert_kinds[REPORT_MAX_ALERT_KINDS];
	size_t nalert_kinds;
	struct store_alert_item alert_items[REPORT_MAX_ITEMS];
	size_t nalert_items;
	struct store_muck_day muck; /* city-wide, docs/geofence.md */
};

/*
 * Today's figures (local day `day`, "YYYY-MM-DD") from reader, a store
 * opened with store_open_reader(), in one read snapshot so that totals
 * and lists agree. Lists longer than the arrays are cut. -1 (logged by
 * the store) when the snapshot cannot start: *out is then unspecified.
 */
int report_city_compute(struct store *reader, const char *day,
    struct report_city *out) WT_MUST_CHECK;

struct report {
	const char *version;
	int64_t now_ms, start_ms;
	struct {
		int connected, subscribed;
		const char *broker;
		const char *client_id;
		uint64_t reconnects, connection_losses;
		int64_t down_since_ms;		   /* 0 when connected */
		const char *last_error;		   /* NULL when none */
		const char *subs[REPORT_MAX_SUBS]; /* topic filters */
		size_t nsubs;
	} mqtt;
	const struct ingest_counters *ingest;
	const struct muck_counters *muck; /* NULL: not reported */
	uint64_t spool_backlog_bytes;	  /* acked, not yet committed */
	uint64_t spool_corrupt;
	int64_t last_message_ms;
	struct {
		const char *path;    /* SQLite: the file; else the URI */
		const char *backend; /* "sqlite", "postgresql" */
		int shared;	     /* a server several daemons may share */
		int schema_version;
		int64_t size_bytes, wal_bytes;
		int64_t last_commit_ms;
		/* Longest gap between two commits while messages were
		 * waiting, since start (monotonic µs): the loop's worst
		 * stall as ingest sees it. */
		int64_t commit_gap_max_us;
		/* The last reconciliation pass left work for the next. */
		int reconcile_behind;
		int writes_failing; /* current state */
		int file_gone;	    /* the path names another file, or none */
		const char *last_error;
		uint64_t checkpoint_failures;
		const char *checkpoint_error; /* NULL unless failing now */
	} db;
	/* Alerts on the loop: the end of the last complete sync (0: none
	 * yet), messages in flight to the broker, completions since start. */
	struct {
		int64_t synced_ms;
		unsigned inflight;
		uint64_t acked, failed;
	} alerts;
	/* This daemon among those sharing the store (docs/cluster.md). */
	struct {
		const char *instance; /* mqtt.client_id */
		const char *group;    /* mqtt.shared_group; NULL: none */
		int leader;
		int64_t leader_since_ms;
		size_t npeers;
		struct store_peer peers[STORE_PEERS_MAX];
	} cluster;
	const struct report_city *city; /* NULL: none computed yet */
	int stall_after_s;		/* backlog without a commit this long */
	/* When the loop last published this snapshot (0: not a snapshot).
	 * Older than REPORT_LOOP_STALE_S: the loop is stuck. */
	int64_t published_ms;
};

#define REPORT_LOOP_STALE_S 10

/*
 * A report that owns what it points to, for handing between threads.
 * Its version, broker, client id, subscriptions and database path still
 * point where the source's did: those live as long as the process.
 */
struct report_snap {
	struct report r;
	struct ingest_counters ingest;
	struct muck_counters muck;
	struct report_city city;
	char mqtt_error[160], db_error[160], ckpt_error[160];
};

/*
 * Copy src (not dst's own report) into dst, and dst->r's pointers to
 * dst's own copies. Without city figures in src (NULL), dst keeps those
 * it had.
 */
void report_snap_copy(struct report_snap *dst, const struct report *src);

/*
 * Health: 1 when healthy. Otherwise 0 and *reason names the first
 * problem: "loop not responding", "database file removed or replaced",
 * "database writes failing" (SQLite), "store unavailable" (a server: down,
 * restarting, unreachable), "broker disconnected" or "ingest stalled".
 */
int report_health(const struct report *r, const char **reason);
/* For "store unavailable": the store's last error (NULL: none to add). */
const char *report_health_detail(const struct report *r);

/* /status body (malloc'd JSON) and /metrics body (malloc'd text). */
char *report_status_json(const struct report *r) WT_MUST_CHECK;
char *report_metrics(const struct report *r) WT_MUST_CHECK;

#endif
