/* report: see report.h. */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

/* A growing string; on ENOMEM it is marked failed and yields NULL. */
struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void bprintf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
		    b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *np = realloc(b->p, ncap);

		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

static char *
bfinish(struct buf *b)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/* JSON string with escapes; NULL becomes null. UTF-8 passes through. */
static void
bjson(struct buf *b, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		bprintf(b, "null");
		return;
	}
	bprintf(b, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			bprintf(b, "\\%c", *p);
		else if (*p < 0x20)
			bprintf(b, "\\u%04x", *p);
		else
			bprintf(b, "%c", *p);
	}
	bprintf(b, "\"");
}

/* Prometheus label value escaping: backslash, quote, newline. */
static void
blabel(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			bprintf(b, "\\%c", *s);
		else if (*s == '\n')
			bprintf(b, "\\n");
		else
			bprintf(b, "%c", *s);
	}
}

/* Before the first computation the city figures are all empty. */
static const struct report_city *
city_of(const struct report *r)
{
	static const struct report_city none;

	return r->city != NULL ? r->city : &none;
}

static void
copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static const char *
or_null(const char *s)
{
	return s[0] ? s : NULL;
}

void
report_snap_copy(struct report_snap *dst, const struct report *src)
{
	copy_str(dst->mqtt_error, sizeof(dst->mqtt_error),
	    src->mqtt.last_error);
	copy_str(dst->db_error, sizeof(dst->db_error), src->db.last_error);
	copy_str(dst->ckpt_error, sizeof(dst->ckpt_error),
	    src->db.checkpoint_error);
	dst->ingest = *src->ingest;
	if (src->muck != NULL)
		dst->muck = *src->muck;
	if (src->city != NULL)
		dst->city = *src->city;
	dst->r = *src;
	dst->r.ingest = &dst->ingest;
	dst->r.muck = src->muck != NULL ? &dst->muck : NULL;
	dst->r.city = &dst->city;
	dst->r.mqtt.last_error = or_null(dst->mqtt_error);
	dst->r.db.last_error = or_null(dst->db_error);
	dst->r.db.checkpoint_error = or_null(dst->ckpt_error);
}

int
report_health(const struct report *r, const char **reason)
{
	int64_t since;

	/* The HTTP thread answers from the loop's last snapshot: if that
	 * is old, the loop is stuck and every other figure is stale. */
	if (r->published_ms > 0 &&
	    r->now_ms - r->published_ms > REPORT_LOOP_STALE_S * 1000) {
		*reason = "loop not responding";
		return 0;
	}
	if (r->db.writes_failing) {
		/* A server may be down or restarting: the daemon keeps
		 * acknowledging into its spool meanwhile. */
		*reason = r->db.file_gone ? "database file removed or replaced"
		    : r->db.shared	  ? "store unavailable"
					  : "database writes failing";
		return 0;
	}
	if (!r->mqtt.connected) {
		*reason = "broker disconnected";
		return 0;
	}
	/* Before the first commit (last_commit_ms 0) the wait is counted
	 * from the start: a fresh daemon is not stalled by its first
	 * message. */
	since = r->db.last_commit_ms > 0 ? r->db.last_commit_ms : r->start_ms;
	if (r->spool_backlog_bytes > 0 && r->stall_after_s > 0 &&
	    r->now_ms - since > (int64_t)r->stall_after_s * 1000) {
		*reason = "ingest stalled";
		return 0;
	}
	*reason = NULL;
	return 1;
}

static double
age_s(const struct report *r, int64_t ms)
{
	return ms > 0 ? (double)(r->now_ms - ms) / 1000.0 : -1;
}

static void
status_mqtt(struct buf *b, const struct report *r)
{
	size_t i;

	bprintf(b,
	    "\"mqtt\":{\"connected\":%s,\"subscribed\":%s,"
	    "\"broker\":",
	    r->mqtt.connected ? "true" : "false",
	    r->mqtt.subscribed ? "true" : "false");
	bjson(b, r->mqtt.broker);
	bprintf(b, ",\"client_id\":");
	bjson(b, r->mqtt.client_id);
	bprintf(b,
	    ",\"reconnects\":%" PRIu64 ",\"connection_losses\":%" PRIu64
	    ",\"down_for_s\":%.3f,\"last_error\":",
	    r->mqtt.reconnects, r->mqtt.connection_losses,
	    r->mqtt.connected ? 0.0 : age_s(r, r->mqtt.down_since_ms));
	bjson(b, r->mqtt.last_error);
	bprintf(b, ",\"subscriptions\":[");
	for (i = 0; i < r->mqtt.nsubs; i++) {
		bprintf(b, i ? "," : "");
		bjson(b, r->mqtt.subs[i]);
	}
	bprintf(b, "]}");
}

static void
status_ingest(struct buf *b, const struct report *r)
{
	const struct ingest_counters *c = r->ingest;
	size_t i;

	bprintf(b,
	    ",\"ingest\":{\"received\":%" PRIu64 ",\"stored\":%" PRIu64
	    ",\"duplicates\":%" PRIu64 ",\"history\":%" PRIu64
	    ",\"rejected\":%" PRIu64 ",\"rejected_by_reason\":{",
	    c->received, c->stored, c->duplicates, c->history, c->rejected);
	for (i = 0; i < REASON_COUNT; i++)
		bprintf(b, "%s\"%s\":%" PRIu64, i ? "," : "",
		    ingest_reason_name((enum ingest_reason)i),
		    c->rejected_by[i]);
	bprintf(b, "},\"stored_by_kind\":{");
	for (i = 1; i < EV_KIND_COUNT; i++)
		bprintf(b, "%s\"%s\":%" PRIu64, i > 1 ? "," : "",
		    ev_kind_name((enum ev_kind)i), c->by_kind[i]);
	bprintf(b,
	    "},\"queue_bytes\":%" PRIu64 ",\"spool_corrupt\":%" PRIu64
	    ",\"last_message_age_s\":%.3f",
	    r->spool_backlog_bytes, r->spool_corrupt,
	    age_s(r, r->last_message_ms));
	if (r->muck != NULL)
		bprintf(b,
		    ",\"muck\":{\"vehicles\":%zu,\"unloads\":%" PRIu64
		    ",\"candidates\":%" PRIu64 ",\"merged\":%" PRIu64
		    ",\"outliers\":%" PRIu64 ",\"violations\":%" PRIu64
		    ",\"untracked\":%" PRIu64 ",\"evicted\":%" PRIu64 "}",
		    r->muck->vehicles, r->muck->unloads, r->muck->candidates,
		    r->muck->merged, r->muck->outliers, r->muck->violations,
		    r->muck->untracked, r->muck->evicted);
	bprintf(b, "}");
}

const char *
report_health_detail(const struct report *r)
{
	const char *reason;

	if (report_health(r, &reason) || !r->db.shared ||
	    !r->db.writes_failing || r->db.file_gone)
		return NULL;
	return r->db.last_error;
}

/* A file for SQLite, a URI (without its password) for a server. */
static void
status_db(struct buf *b, const struct report *r)
{
	bprintf(b, ",\"database\":{\"path\":");
	bjson(b, r->db.shared ? NULL : r->db.path);
	bprintf(b, ",\"backend\":");
	bjson(b, r->db.backend != NULL ? r->db.backend : "sqlite");
	bprintf(b, ",\"url\":");
	bjson(b, r->db.shared ? r->db.path : NULL);
	bprintf(b,
	    ",\"size_bytes\":%" PRId64 ",\"wal_bytes\":%" PRId64
	    ",\"schema_version\":%d,\"last_commit_age_s\":%.3f,\"commits\":%" PRIu64
	    ",\"commit_gap_max_s\":%.3f,\"reconcile_behind\":%s"
	    ",\"write_errors\":%" PRIu64 ",\"writes_failing\":%s"
	    ",\"last_error\":",
	    r->db.size_bytes, r->db.wal_bytes, r->db.schema_version,
	    age_s(r, r->db.last_commit_ms), r->ingest->commits,
	    (double)r->db.commit_gap_max_us / 1e6,
	    r->db.reconcile_behind ? "true" : "false", r->ingest->write_errors,
	    r->db.writes_failing ? "true" : "false");
	bjson(b, r->db.last_error);
	bprintf(b, ",\"checkpoint_failures\":%" PRIu64 ",\"checkpoint_error\":",
	    r->db.checkpoint_failures);
	bjson(b, r->db.checkpoint_error);
	bprintf(b, "}");
}

/* This daemon among those sharing the store, and the others seen. */
static void
status_cluster(struct buf *b, const struct report *r)
{
	const struct store_peer *e;
	size_t i;

	bprintf(b, ",\"cluster\":{\"instance\":");
	bjson(b, r->cluster.instance);
	bprintf(b, ",\"group\":");
	bjson(b, r->cluster.group);
	bprintf(b, ",\"role\":\"%s\",\"leader_since_ms\":",
	    r->cluster.leader ? "leader" : "follower");
	if (r->cluster.leader)
		bprintf(b, "%" PRId64, r->cluster.leader_since_ms);
	else
		bprintf(b, "null");
	bprintf(b, ",\"peers\":[");
	for (i = 0; i < r->cluster.npeers; i++) {
		e = &r->cluster.peers[i];
		bprintf(b, "%s{\"id\":", i ? "," : "");
		bjson(b, e->id);
		bprintf(b, ",\"group\":");
		bjson(b, e->group[0] != '\0' ? e->group : NULL);
		bprintf(b, ",\"leader\":%s,\"seen_ms\":%" PRId64 "}",
		    e->leader ? "true" : "false", e->seen_ms);
	}
	bprintf(b, "]}");
}

/* A number or null: JSON has no NaN or infinity (printf would write
 * "nan" and "inf", and the document would not parse). */
static void
bnum(struct buf *b, const char *key, double v, int comma)
{
	if (!isfinite(v))
		bprintf(b, "%s\"%s\":null", comma ? "," : "", key);
	else
		bprintf(b, "%s\"%s\":%.6g", comma ? "," : "", key, v);
}

static void
status_districts(struct buf *b, const struct report *r)
{
	const struct report_city *cy = city_of(r);
	const struct store_indicators *d;
	size_t i;

	bprintf(b, ",\"districts\":[");
	for (i = 0; i < cy->ndistricts; i++) {
		d = &cy->districts[i];
		bprintf(b, "%s{\"district\":", i ? "," : "");
		bjson(b, d->district);
		bnum(b, "collected_kg", d->collected_kg, 1);
		bnum(b, "recycling_rate", d->recycling_rate, 1);
		bnum(b, "harmless_rate", d->harmless_rate, 1);
		bnum(b, "cw_utilisation_rate", d->cw_rate, 1);
		bnum(b, "clearance_rate", d->clearance_rate, 1);
		bnum(b, "manifest_closure_rate", d->closure_rate, 1);
		bnum(b, "discrepancy_rate", d->discrepancy_rate, 1);
		bnum(b, "authorised_unload_share", d->authorised_share, 1);
		bprintf(b,
		    ",\"manifests\":%" PRId64 ",\"overdue_manifests\":%" PRId64
		    "}",
		    d->manifests, d->overdue);
	}
	bprintf(b, "]");
}

static void
status_items(struct buf *b, const char *name,
    const struct store_manifest_item *it, size_t n)
{
	size_t i;

	bprintf(b, ",\"%s\":[", name);
	for (i = 0; i < n; i++) {
		bprintf(b, "%s{\"scheme\":", i ? "," : "");
		bjson(b, it[i].scheme);
		bprintf(b, ",\"manifest_no\":");
		bjson(b, it[i].manifest_no);
		bnum(b, "declared_kg", it[i].declared_kg, 1);
		bnum(b, "received_kg", it[i].received_kg, 1);
		bnum(b, "diff_pct", it[i].diff_pct, 1);
		if (it[i].departed_ms == WT_NOTIME)
			bprintf(b, ",\"departed_ms\":null}");
		else
			bprintf(b, ",\"departed_ms\":%" PRId64 "}",
			    it[i].departed_ms);
	}
	bprintf(b, "]");
}

static void
status_city(struct buf *b, const struct report *r)
{
	const struct report_city *cy = city_of(r);
	size_t i;

	bprintf(b, ",\"city\":{\"day\":\"%s\",\"tonnage\":[", cy->day);
	for (i = 0; i < cy->ntonnage; i++) {
		bprintf(b, "%s{\"district\":", i ? "," : "");
		bjson(b, cy->tonnage[i].district);
		bprintf(b, ",\"waste\":");
		bjson(b, cy->tonnage[i].waste);
		if (isfinite(cy->tonnage[i].kg))
			bprintf(b, ",\"kg\":%.3f}", cy->tonnage[i].kg);
		else
			bprintf(b, ",\"kg\":null}");
	}
	bprintf(b,
	    "],\"open_manifests\":%" PRId64 ",\"overdue_manifests\":%" PRId64
	    ",\"discrepancies\":%" PRId64,
	    cy->open_manifests, cy->overdue_manifests, cy->discrepancies);
	status_districts(b, r);
	status_items(b, "open_discrepancies", cy->discrepancy_items,
	    cy->ndiscrepancy_items);
	status_items(b, "overdue", cy->overdue_items, cy->noverdue_items);
	bprintf(b,
	    ",\"muck\":{\"trips\":%" PRId64 ",\"authorised_unloads\":%" PRId64
	    ",\"unauthorised_unloads\":%" PRId64
	    ",\"night_window_violations\":%" PRId64
	    ",\"permit_violations\":%" PRId64 "}}",
	    cy->muck.trips, cy->muck.authorised, cy->muck.unauthorised,
	    cy->muck.night_window, cy->muck.permit);
}

/* Alerts: open per kind, the newest open ones (docs/alerts.md). */
static void
status_alerts(struct buf *b, const struct report *r)
{
	const struct report_city *cy = city_of(r);
	const struct store_alert_item *it;
	size_t i;

	bprintf(b,
	    ",\"alerts\":{\"open\":%" PRId64 ",\"opened_total\":%" PRId64
	    ",\"unpublished\":%" PRId64 ",\"in_flight\":%u,\"acked\":%" PRIu64
	    ",\"failed\":%" PRIu64 ",\"synced_ms\":%" PRId64
	    ",\"open_by_kind\":{",
	    cy->alerts.open, cy->alerts.opened_total, cy->alerts.unpublished,
	    r->alerts.inflight, r->alerts.acked, r->alerts.failed,
	    r->alerts.synced_ms);
	for (i = 0; i < cy->nalert_kinds; i++) {
		bprintf(b, i ? "," : "");
		bjson(b, cy->alert_kinds[i].kind);
		bprintf(b, ":%" PRId64, cy->alert_kinds[i].open);
	}
	bprintf(b, "},\"newest\":[");
	for (i = 0; i < cy->nalert_items; i++) {
		it = &cy->alert_items[i];
		bprintf(b, "%s{\"id\":%" PRId64 ",\"kind\":", i ? "," : "",
		    it->id);
		bjson(b, it->kind);
		bprintf(b, ",\"severity\":");
		bjson(b, it->severity);
		bprintf(b, ",\"subject\":");
		bjson(b, it->subject);
		bprintf(b, ",\"district\":");
		bjson(b, it->district[0] ? it->district : NULL);
		bprintf(b, ",\"opened_ms\":%" PRId64 "}", it->opened_ms);
	}
	bprintf(b, "]}");
}

char *
report_status_json(const struct report *r)
{
	struct buf b = { 0 };
	const char *reason;
	int ok = report_health(r, &reason);

	bprintf(&b, "{\"version\":");
	bjson(&b, r->version);
	bprintf(&b, ",\"uptime_s\":%.3f,\"healthy\":%s,\"health_reason\":",
	    (double)(r->now_ms - r->start_ms) / 1000.0, ok ? "true" : "false");
	bjson(&b, reason);
	bprintf(&b, ",");
	status_mqtt(&b, r);
	status_ingest(&b, r);
	status_db(&b, r);
	status_cluster(&b, r);
	status_city(&b, r);
	status_alerts(&b, r);
	bprintf(&b, "}\n");
	return bfinish(&b);
}

static void
metric(struct buf *b, const char *name, const char *type, const char *help)
{
	bprintf(b, "# HELP wastetrack_%s %s\n# TYPE wastetrack_%s %s\n", name,
	    help, name, type);
}

/* One gauge sample per district; a rate without denominator, or a
 * figure that is not finite, is left out rather than reported as a
 * number it is not (Prometheus would take NaN and +Inf, but as values,
 * and a dashboard would plot them). */
static void
district_sample(struct buf *b, const char *name, const char *district, double v)
{
	if (!isfinite(v))
		return;
	bprintf(b, "wastetrack_%s{district=\"", name);
	blabel(b, district);
	bprintf(b, "\"} %.6g\n", v);
}

/* Today's city figures: manifests, tonnage and the district rates. */
static void
metrics_city(struct buf *b, const struct report_city *cy)
{
	size_t i;

	metric(b, "manifests_open", "gauge", "Manifests not yet received.");
	bprintf(b, "wastetrack_manifests_open %" PRId64 "\n",
	    cy->open_manifests);
	metric(b, "manifests_overdue", "gauge",
	    "Manifests in transit too long.");
	bprintf(b, "wastetrack_manifests_overdue %" PRId64 "\n",
	    cy->overdue_manifests);
	metric(b, "today_kg", "gauge",
	    "Tonnage received today by district and waste category.");
	for (i = 0; i < cy->ntonnage; i++) {
		if (!isfinite(cy->tonnage[i].kg))
			continue;
		bprintf(b, "wastetrack_today_kg{district=\"");
		blabel(b, cy->tonnage[i].district);
		bprintf(b, "\",waste=\"");
		blabel(b, cy->tonnage[i].waste);
		bprintf(b, "\"} %.3f\n", cy->tonnage[i].kg);
	}
	metric(b, "manifests_discrepancies", "gauge",
	    "Manifests whose received weight differs beyond tolerance.");
	bprintf(b, "wastetrack_manifests_discrepancies %" PRId64 "\n",
	    cy->discrepancies);
	metric(b, "today_collected_kg", "gauge",
	    "Household waste received by final facilities today, by district.");
	for (i = 0; i < cy->ndistricts; i++)
		district_sample(b, "today_collected_kg",
		    cy->districts[i].district, cy->districts[i].collected_kg);
	metric(b, "today_recycling_rate", "gauge",
	    "Share of collected household waste recycled today (0-1).");
	for (i = 0; i < cy->ndistricts; i++)
		district_sample(b, "today_recycling_rate",
		    cy->districts[i].district, cy->districts[i].recycling_rate);
	metric(b, "today_harmless_rate", "gauge",
	    "Share of collected household waste treated harmlessly today.");
	for (i = 0; i < cy->ndistricts; i++)
		district_sample(b, "today_harmless_rate",
		    cy->districts[i].district, cy->districts[i].harmless_rate);
	metric(b, "today_clearance_rate", "gauge",
	    "Share of transfer stations that cleared their day.");
	for (i = 0; i < cy->ndistricts; i++)
		district_sample(b, "today_clearance_rate",
		    cy->districts[i].district, cy->districts[i].clearance_rate);
}

static void
metrics_alerts(struct buf *b, const struct report_city *cy)
{
	size_t i;

	metric(b, "alerts_open", "gauge", "Open alerts by kind.");
	for (i = 0; i < cy->nalert_kinds; i++) {
		bprintf(b, "wastetrack_alerts_open{kind=\"");
		blabel(b, cy->alert_kinds[i].kind);
		bprintf(b, "\"} %" PRId64 "\n", cy->alert_kinds[i].open);
	}
	metric(b, "alerts_opened_total", "counter",
	    "Alerts opened since the database was created.");
	bprintf(b, "wastetrack_alerts_opened_total %" PRId64 "\n",
	    cy->alerts.opened_total);
	metric(b, "alerts_unpublished", "gauge",
	    "Alert messages the broker has not acknowledged yet.");
	bprintf(b, "wastetrack_alerts_unpublished %" PRId64 "\n",
	    cy->alerts.unpublished);
}

/* The muck module's counters (docs/geofence.md). */
static void
metrics_muck(struct buf *b, const struct muck_counters *m)
{
	static const char *const help[][2] = {
		{ "unloads", "Unload rows written (inferred and events)." },
		{ "candidates", "Dwell candidates written." },
		{ "merged",
		    "Inferred unloads an unload event of the same vehicle "
		    "stood for." },
		{ "outliers", "Positions flagged SPEED_OUTLIER." },
		{ "violations", "Night-window and permit rows written." },
		{ "untracked",
		    "Messages of vehicles the full track table had no room "
		    "for." },
		{ "evicted", "Idle vehicles evicted from the track table." },
	};
	const uint64_t v[] = { m->unloads, m->candidates, m->merged,
		m->outliers, m->violations, m->untracked, m->evicted };
	char name[48];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "muck_%s_total", help[i][0]);
		metric(b, name, "counter", help[i][1]);
		bprintf(b, "wastetrack_%s %" PRIu64 "\n", name, v[i]);
	}
	metric(b, "muck_vehicles", "gauge", "Vehicles tracked now.");
	bprintf(b, "wastetrack_muck_vehicles %zu\n", m->vehicles);
}

char *
report_metrics(const struct report *r)
{
	const struct ingest_counters *c = r->ingest;
	struct buf b = { 0 };
	const char *reason;
	size_t i;

	metric(&b, "up", "gauge", "1 when the daemon is healthy.");
	bprintf(&b, "wastetrack_up %d\n", report_health(r, &reason));
	metric(&b, "mqtt_connected", "gauge",
	    "1 while connected to the broker.");
	bprintf(&b, "wastetrack_mqtt_connected %d\n", r->mqtt.connected);
	metric(&b, "mqtt_reconnects_total", "counter",
	    "Successful reconnects.");
	bprintf(&b, "wastetrack_mqtt_reconnects_total %" PRIu64 "\n",
	    r->mqtt.reconnects);
	metric(&b, "messages_received_total", "counter",
	    "Messages taken from the spool.");
	bprintf(&b, "wastetrack_messages_received_total %" PRIu64 "\n",
	    c->received);
	metric(&b, "rows_stored_total", "counter",
	    "New canonical rows by kind.");
	for (i = 1; i < EV_KIND_COUNT; i++)
		bprintf(&b,
		    "wastetrack_rows_stored_total{kind=\"%s\"} %" PRIu64 "\n",
		    ev_kind_name((enum ev_kind)i), c->by_kind[i]);
	metric(&b, "duplicates_total", "counter",
	    "Exact or semantic re-sends that changed nothing.");
	bprintf(&b, "wastetrack_duplicates_total %" PRIu64 "\n", c->duplicates);
	metric(&b, "history_total", "counter",
	    "Late or older versions kept as history.");
	bprintf(&b, "wastetrack_history_total %" PRIu64 "\n", c->history);
	metric(&b, "rejected_total", "counter", "Rejected messages by reason.");
	for (i = 0; i < REASON_COUNT; i++) {
		bprintf(&b, "wastetrack_rejected_total{reason=\"");
		blabel(&b, ingest_reason_name((enum ingest_reason)i));
		bprintf(&b, "\"} %" PRIu64 "\n", c->rejected_by[i]);
	}
	metric(&b, "commits_total", "counter", "Committed batches.");
	bprintf(&b, "wastetrack_commits_total %" PRIu64 "\n", c->commits);
	metric(&b, "commit_gap_max_seconds", "gauge",
	    "Longest gap between commits with messages waiting, since start.");
	bprintf(&b, "wastetrack_commit_gap_max_seconds %.3f\n",
	    (double)r->db.commit_gap_max_us / 1e6);
	metric(&b, "reconcile_behind", "gauge",
	    "1 while reconciliation passes have queued work left.");
	bprintf(&b, "wastetrack_reconcile_behind %d\n",
	    r->db.reconcile_behind ? 1 : 0);
	metric(&b, "write_errors_total", "counter",
	    "Failed, rolled-back batches.");
	bprintf(&b, "wastetrack_write_errors_total %" PRIu64 "\n",
	    c->write_errors);
	metric(&b, "queue_bytes", "gauge",
	    "Acknowledged bytes in the spool not yet committed.");
	bprintf(&b, "wastetrack_queue_bytes %" PRIu64 "\n",
	    r->spool_backlog_bytes);
	metric(&b, "db_size_bytes", "gauge",
	    "Database size including the WAL.");
	bprintf(&b, "wastetrack_db_size_bytes %" PRId64 "\n", r->db.size_bytes);
	metric(&b, "db_wal_bytes", "gauge", "Size of the write-ahead log.");
	bprintf(&b, "wastetrack_db_wal_bytes %" PRId64 "\n", r->db.wal_bytes);
	metric(&b, "cluster_leader", "gauge",
	    "1 while this daemon leads (reconciles, raises alerts, prunes).");
	bprintf(&b, "wastetrack_cluster_leader %d\n", r->cluster.leader);
	metric(&b, "cluster_peers", "gauge",
	    "Other daemons on the same store seen lately.");
	bprintf(&b, "wastetrack_cluster_peers %zu\n", r->cluster.npeers);
	metric(&b, "checkpoint_failures_total", "counter",
	    "WAL checkpoints that failed (the WAL grows meanwhile).");
	bprintf(&b, "wastetrack_checkpoint_failures_total %" PRIu64 "\n",
	    r->db.checkpoint_failures);
	if (r->muck != NULL)
		metrics_muck(&b, r->muck);
	metrics_city(&b, city_of(r));
	metrics_alerts(&b, city_of(r));
	metric(&b, "uptime_seconds", "gauge", "Seconds since start.");
	bprintf(&b, "wastetrack_uptime_seconds %.3f\n",
	    (double)(r->now_ms - r->start_ms) / 1000.0);
	return bfinish(&b);
}
