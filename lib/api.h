/*
 * api: the JSON API under /api/v1 (docs/openapi.yaml), without sockets.
 * api.c answers the paths read from the database through a read-only
 * store_query connection; api_reg.c renders what the daemon holds in
 * memory: today's figures (a report snapshot), the registry and the
 * page's settings (the configuration).
 *
 * Every answer is bounded: in rows (the API_MAX_* below) and in time
 * (API_BUDGET_MS for all the queries of one request, then 503).
 */
#ifndef WT_API_H
#define WT_API_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"

struct config;
struct report;
struct store_query;
struct store_value;

#define API_MAX_DAYS		92
#define API_MAX_VEHICLES	5000
#define API_MAX_ALERTS		500
#define API_MAX_POSITIONS	10000
#define API_POSITIONS_WINDOW_S	86400
#define API_POSITIONS_DEFAULT_S 3600
#define API_STALE_AFTER_S	600
#define API_BUDGET_MS		2000
#define API_CITY		"全市"

struct api_reply {
	int status;
	char *body; /* malloc'd JSON; NULL: out of memory */
};

/* A request: path without the query string, query (NULL: none). */
struct api_req {
	const char *path, *query;
	int64_t now_ms;
	int offset_min; /* time.local_offset */
};

/*
 * Answer req if its path is one of the database's (1), else 0 and out
 * untouched. q NULL: the database cannot be read (503). 400 for a bad
 * parameter, 404 for an unknown manifest or vehicle, 503 when the
 * queries failed or took too long, each with an Error body.
 */
int api_query(struct store_query *q, const struct api_req *req,
    struct api_reply *out);

/* 1 when api_query() answers path (its work may take API_BUDGET_MS). */
int api_is_query(const char *path);

/* {"status":status,"error":"..."} into out. */
void api_error(struct api_reply *out, int status, const char *fmt, ...)
    WT_PRINTF(3, 4);

/* /api/v1/today from a report snapshot and its /status document. */
char *api_reg_today(const struct report *r, int offset_min) WT_MUST_CHECK;
/* /api/v1/facilities and /api/v1/config from a configuration. */
char *api_reg_facilities(const struct config *cfg) WT_MUST_CHECK;
char *api_reg_config(const struct config *cfg,
    const char *version) WT_MUST_CHECK;
/* The origin of page.tile_url for a Content-Security-Policy ("https://
 * host[:port]", a "{s}." subdomain as "*."), "" when unset. */
void api_reg_tile_origin(const struct config *cfg, char *out, size_t n);

/*
 * The reason a manifest has its verdict, in words (docs/indicators.md),
 * from the verdict's row (nc columns: verdict, declared_kg, received_kg,
 * diff_pct and the recorded settings' tolerance and overdue time) and the
 * manifest's status. One text for the API and wastetrackctl.
 */
void api_verdict_why(char *out, size_t n, const char *status, int nc,
    const char *const *names, const struct store_value *v);

#endif
