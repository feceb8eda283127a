/*
 * api_reg: the paths of /api/v1 answered from memory: today's figures
 * (a report snapshot), the registry and the page's settings (the
 * configuration). See api.h.
 */
#include "api.h"

#include "api_buf.h"
#include "config.h"
#include "geofence.h"
#include "json.h"
#include "norm.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An age in seconds, null when the thing never happened. */
static void
age(struct api_buf *b, const char *key, int64_t now_ms, int64_t ms)
{
	api_buf_key(b, key);
	if (ms > 0)
		api_buf_num(b, (double)(now_ms - ms) / 1000.0);
	else
		api_buf_null(b);
}

/*
 * `city` and `alerts` are taken from the /status document itself, so the
 * two can never disagree; the members come out in key order.
 */
static int
status_parts(const struct report *r, char **city, char **alerts)
{
	static const char *const keep_all[] = { NULL };
	struct json *doc;
	char *status, err[128];

	*city = *alerts = NULL;
	if ((status = report_status_json(r)) == NULL)
		return -1;
	doc = json_parse(status, strlen(status), err, sizeof(err));
	free(status);
	if (doc == NULL)
		return -1;
	*city = json_dump_except(json_get(doc, "city"), keep_all);
	*alerts = json_dump_except(json_get(doc, "alerts"), keep_all);
	json_free(doc);
	if (*city == NULL || *alerts == NULL) {
		free(*city);
		free(*alerts);
		return -1;
	}
	return 0;
}

char *
api_reg_today(const struct report *r, int offset_min)
{
	struct api_buf b = { 0 };
	const char *reason;
	char *city, *alerts, day[11];
	int ok = report_health(r, &reason);

	if (status_parts(r, &city, &alerts) == -1)
		return NULL;
	norm_local_day(r->now_ms, offset_min, day);
	api_buf_open(&b, '{');
	api_buf_key(&b, "version");
	api_buf_str(&b, r->version);
	api_buf_key(&b, "day");
	api_buf_str(&b, day);
	api_buf_key(&b, "now_ms");
	api_buf_int(&b, r->now_ms);
	api_buf_key(&b, "healthy");
	api_buf_bool(&b, ok);
	api_buf_key(&b, "health_reason");
	api_buf_str(&b, ok ? NULL : reason);
	age(&b, "last_message_age_s", r->now_ms, r->last_message_ms);
	age(&b, "last_commit_age_s", r->now_ms, r->db.last_commit_ms);
	api_buf_key(&b, "city");
	api_buf_raw(&b, city);
	api_buf_key(&b, "alerts");
	api_buf_raw(&b, alerts);
	api_buf_close(&b, '}');
	free(city);
	free(alerts);
	return api_buf_take(&b);
}

static void
num_or_null(struct api_buf *b, const char *key, double v)
{
	api_buf_key(b, key);
	api_buf_num(b, v); /* NAN: null */
}

static void
ring(struct api_buf *b, const struct geofence_ring *rg)
{
	size_t i;

	api_buf_open(b, '[');
	for (i = 0; i < rg->n; i++) {
		api_buf_open(b, '[');
		api_buf_num(b, rg->v[i].lat);
		api_buf_num(b, rg->v[i].lon);
		api_buf_close(b, ']');
	}
	api_buf_close(b, ']');
}

static void
fence(struct api_buf *b, const struct cfg_fence *f)
{
	size_t i;

	api_buf_key(b, "fence");
	api_buf_open(b, '{');
	api_buf_key(b, "kind");
	if (f->rings != NULL && f->nrings > 0) {
		api_buf_str(b, "polygon");
		api_buf_key(b, "polygon");
		ring(b, &f->rings[0]);
		api_buf_key(b, "holes");
		api_buf_open(b, '[');
		for (i = 1; i < f->nrings; i++)
			ring(b, &f->rings[i]);
		api_buf_close(b, ']');
	} else if (f->radius_m > 0) {
		api_buf_str(b, "circle");
		api_buf_key(b, "radius_m");
		api_buf_num(b, f->radius_m);
	} else
		api_buf_str(b, "none");
	api_buf_close(b, '}');
}

/* id, name, kind, district: what every site has. */
static void
site(struct api_buf *b, const char *id, const char *name, const char *kind,
    const char *district)
{
	api_buf_key(b, "id");
	api_buf_str(b, id);
	api_buf_key(b, "name");
	api_buf_str(b, name);
	api_buf_key(b, "kind");
	api_buf_str(b, kind);
	api_buf_key(b, "district");
	api_buf_str(b, district);
}

static void
facility(struct api_buf *b, const struct cfg_facility *f)
{
	size_t i;

	api_buf_open(b, '{');
	site(b, f->id, f->name, f->kind, f->district);
	api_buf_key(b, "harmless");
	api_buf_bool(b, f->harmless);
	num_or_null(b, "lat", f->lat);
	num_or_null(b, "lon", f->lon);
	fence(b, &f->fence);
	api_buf_key(b, "accepts");
	api_buf_open(b, '[');
	for (i = 0; i < f->naccepts; i++)
		api_buf_str(b, f->accepts[i]);
	api_buf_close(b, ']');
	api_buf_close(b, '}');
}

static void
generator(struct api_buf *b, const struct cfg_generator *g)
{
	api_buf_open(b, '{');
	site(b, g->id, g->name, g->kind, g->district);
	num_or_null(b, "lat", g->lat);
	num_or_null(b, "lon", g->lon);
	fence(b, &g->fence);
	api_buf_key(b, "permit_from");
	api_buf_str(b, g->permit_from);
	api_buf_key(b, "permit_to");
	api_buf_str(b, g->permit_to);
	api_buf_close(b, '}');
}

char *
api_reg_facilities(const struct config *cfg)
{
	struct api_buf b = { 0 };
	size_t i;

	api_buf_open(&b, '{');
	api_buf_key(&b, "facilities");
	api_buf_open(&b, '[');
	for (i = 0; i < cfg->nfacilities; i++)
		facility(&b, &cfg->facilities[i]);
	api_buf_close(&b, ']');
	api_buf_key(&b, "generators");
	api_buf_open(&b, '[');
	for (i = 0; i < cfg->ngenerators; i++)
		generator(&b, &cfg->generators[i]);
	api_buf_close(&b, ']');
	api_buf_close(&b, '}');
	return api_buf_take(&b);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The registry's districts, sorted, each once, without the city's. */
static void
districts(struct api_buf *b, const struct config *cfg)
{
	size_t n = cfg->nfacilities + cfg->ngenerators + cfg->nvehicles;
	const char **d = calloc(n + 1, sizeof(*d));
	size_t i, k = 0;

	if (d == NULL) {
		b->failed = 1;
		return;
	}
	for (i = 0; i < cfg->nfacilities; i++)
		d[k++] = cfg->facilities[i].district;
	for (i = 0; i < cfg->ngenerators; i++)
		d[k++] = cfg->generators[i].district;
	for (i = 0; i < cfg->nvehicles; i++)
		d[k++] = cfg->vehicles[i].district;
	for (i = n = 0; i < k; i++)
		if (d[i] != NULL && d[i][0] != '\0' &&
		    strcmp(d[i], API_CITY) != 0)
			d[n++] = d[i];
	qsort(d, n, sizeof(*d), by_name);
	api_buf_key(b, "districts");
	api_buf_open(b, '[');
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(d[i], d[i - 1]) != 0)
			api_buf_str(b, d[i]);
	api_buf_close(b, ']');
	free(d);
}

static void
limit(struct api_buf *b, const char *key, int v)
{
	api_buf_key(b, key);
	api_buf_int(b, v);
}

char *
api_reg_config(const struct config *cfg, const char *version)
{
	struct api_buf b = { 0 };
	int off = cfg->time.local_offset_min;
	char offset[8];

	snprintf(offset, sizeof(offset), "%c%02d:%02d", off < 0 ? '-' : '+',
	    abs(off) / 60 % 100, abs(off) % 60);
	api_buf_open(&b, '{');
	api_buf_key(&b, "version");
	api_buf_str(&b, version);
	api_buf_key(&b, "recycling_target");
	api_buf_num(&b, cfg->page.recycling_target);
	api_buf_key(&b, "tile_url");
	api_buf_str(&b, cfg->page.tile_url);
	districts(&b, cfg);
	api_buf_key(&b, "city_district");
	api_buf_str(&b, API_CITY);
	api_buf_key(&b, "local_offset");
	api_buf_str(&b, offset);
	limit(&b, "stale_after_s", API_STALE_AFTER_S);
	api_buf_key(&b, "limits");
	api_buf_open(&b, '{');
	limit(&b, "max_days", API_MAX_DAYS);
	limit(&b, "max_vehicles", API_MAX_VEHICLES);
	limit(&b, "max_alerts", API_MAX_ALERTS);
	limit(&b, "max_positions", API_MAX_POSITIONS);
	limit(&b, "positions_window_s", API_POSITIONS_WINDOW_S);
	api_buf_close(&b, '}');
	api_buf_close(&b, '}');
	return api_buf_take(&b);
}

void
api_reg_tile_origin(const struct config *cfg, char *out, size_t n)
{
	const char *u = cfg->page.tile_url, *host, *end;

	out[0] = '\0';
	if (u == NULL || (host = strstr(u, "://")) == NULL)
		return;
	host += 3;
	end = host + strcspn(host, "/");
	/* A {s} subdomain placeholder stands for any subdomain. */
	if (strncmp(host, "{s}.", 4) == 0)
		snprintf(out, n, "%.*s*.%.*s", (int)(host - u), u,
		    (int)(end - host - 4), host + 4);
	else
		snprintf(out, n, "%.*s", (int)(end - u), u);
}
