/*
 * city: today's figures for /status and /metrics (tonnage, indicators,
 * manifests needing attention), computed on a thread of its own with a
 * read-only connection, and handed to the HTTP server. The view queries
 * take tens of milliseconds on a large database; here they delay neither
 * ingestion nor an operator's request. Refreshed when another connection
 * has committed (at most once a second), when the local day changes, and
 * at least once a minute.
 */
#ifndef WT_CITY_H
#define WT_CITY_H

#include "attr.h"

struct city;
struct http;
struct store_where;

int city_start(const struct store_where *w, int local_offset_min,
    struct http *h, struct city **out) WT_MUST_CHECK;
/* After a reload: the local day follows the new offset. */
void city_set_offset(struct city *c, int local_offset_min);
void city_stop(struct city *c);

#endif
