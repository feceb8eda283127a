/*
 * test_report: lib/report.c from a hand-built snapshot: health and its
 * reasons, the /status JSON and the Prometheus text of /metrics (checked
 * line by line here, and by promtool when it is installed).
 */
#include "check.h"
#include "event.h"
#include "ingest.h"
#include "json.h"
#include "report.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW	 INT64_C(1800000000000)
#define PROMTOOL "/usr/bin/promtool"

static const char *const subs[] = { "wt/v1/#", "vendor-a/+/events" };

static struct ingest_counters counters;
static struct report_city city;

/* A healthy daemon, an hour up, with some traffic and city figures. */
static void
fill(struct report *r)
{
	memset(&counters, 0, sizeof(counters));
	counters.received = 120;
	counters.bytes = 40960;
	counters.stored = 95;
	counters.duplicates = 6;
	counters.history = 4;
	counters.rejected = 15;
	counters.rejected_by[REASON_bad_json] = 9;
	counters.rejected_by[REASON_future_ts] = 6;
	counters.by_kind[EV_POSITION] = 70;
	counters.by_kind[EV_VEHICLE_EVENT] = 11;
	counters.by_kind[EV_WEIGHING] = 8;
	counters.by_kind[EV_FACILITY_STATUS] = 4;
	counters.by_kind[EV_MANIFEST] = 2;
	counters.commits = 33;
	counters.write_errors = 1;

	memset(r, 0, sizeof(*r));
	r->version = "1.2.3";
	r->now_ms = NOW;
	r->start_ms = NOW - 3600 * 1000;
	r->mqtt.connected = 1;
	r->mqtt.broker = "tcp://127.0.0.1:1883";
	r->mqtt.client_id = "wastetrackd-test";
	r->mqtt.reconnects = 2;
	r->mqtt.connection_losses = 3;
	r->mqtt.subs[0] = subs[0];
	r->mqtt.subs[1] = subs[1];
	r->mqtt.nsubs = 2;
	r->ingest = &counters;
	r->spool_backlog_bytes = 0;
	r->spool_corrupt = 1;
	r->last_message_ms = NOW - 1500;
	r->db.path = "/var/lib/wastetrack/wastetrack.db";
	r->db.schema_version = 4;
	r->db.size_bytes = 1 << 20;
	r->db.wal_bytes = 32768;
	r->db.last_commit_ms = NOW - 2000;
	r->db.commit_gap_max_us = 1250000;
	r->db.reconcile_behind = 1;
	memset(&city, 0, sizeof(city));
	r->city = &city;
	snprintf(city.day, sizeof(city.day), "2027-01-15");
	snprintf(city.tonnage[0].district, 64, "朝阳区");
	snprintf(city.tonnage[0].waste, 32, "msw.food");
	city.tonnage[0].kg = 4750;
	/* a district name that needs escaping everywhere */
	snprintf(city.tonnage[1].district, 64, "绿\"园\\区");
	snprintf(city.tonnage[1].waste, 32, "hw");
	city.tonnage[1].kg = 1200.5;
	city.ntonnage = 2;
	city.open_manifests = 3;
	city.overdue_manifests = 1;
	city.discrepancies = 2;
	r->stall_after_s = 60;
}

/* ---- health ---- */

static void
test_health(void)
{
	struct report r;
	const char *why = "unset";

	fill(&r);
	CHECK_INT(report_health(&r, &why), 1);
	CHECK_STR(why, NULL);

	r.mqtt.connected = 0;
	r.mqtt.down_since_ms = NOW - 5000;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "broker disconnected");
	/* failing writes win over a lost broker */
	r.db.writes_failing = 1;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "database writes failing");
	r.mqtt.connected = 1;
	r.mqtt.down_since_ms = 0;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "database writes failing");
	/* ... and say so when the file itself is gone */
	r.db.file_gone = 1;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "database file removed or replaced");
	r.db.file_gone = 0;
	r.db.writes_failing = 0;

	/* a backlog without a commit for longer than stall_after_s */
	r.spool_backlog_bytes = 4096;
	r.db.last_commit_ms = NOW - 61 * 1000;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "ingest stalled");
	/* ... but not for as long as the last commit is recent */
	r.db.last_commit_ms = NOW - 59 * 1000;
	CHECK_INT(report_health(&r, &why), 1);
	CHECK_STR(why, NULL);
	r.db.last_commit_ms = NOW - 60 * 1000;
	CHECK_INT(report_health(&r, &why), 1);
	/* an old commit with nothing waiting is just a quiet city */
	r.spool_backlog_bytes = 0;
	r.db.last_commit_ms = NOW - 3600 * 1000;
	CHECK_INT(report_health(&r, &why), 1);
	/* never committed: the stall is counted from the start */
	r.spool_backlog_bytes = 4096;
	r.db.last_commit_ms = 0;
	r.start_ms = NOW - 1000;
	CHECK_INT(report_health(&r, &why), 1);
	r.start_ms = NOW - 61 * 1000;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "ingest stalled");
	/* the broker is named before a stall */
	r.mqtt.connected = 0;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "broker disconnected");

	/* a snapshot older than REPORT_LOOP_STALE_S: the loop is stuck, and
	 * that is named first */
	fill(&r);
	r.published_ms = NOW - REPORT_LOOP_STALE_S * 1000;
	CHECK_INT(report_health(&r, &why), 1);
	r.published_ms = NOW - REPORT_LOOP_STALE_S * 1000 - 1;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "loop not responding");
	r.db.writes_failing = 1;
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "loop not responding");
}

/* ---- /status ---- */

static int
has(const char *hay, const char *needle)
{
	if (hay != NULL && strstr(hay, needle) != NULL)
		return 1;
	fprintf(stderr, "  missing: %s\n", needle);
	return 0;
}

/* The body must be one JSON object (checked with lib/json.c). */
static int
json_ok(const char *s)
{
	struct json *doc;
	char err[160];
	int ok;

	if (s == NULL)
		return 0;
	if ((doc = json_parse(s, strlen(s), err, sizeof(err))) == NULL) {
		fprintf(stderr, "  invalid JSON: %s\n%s", err, s);
		return 0;
	}
	ok = json_kind((const struct json *)doc) == JSON_K_OBJ;
	json_free(doc);
	return ok;
}

/* String member path a.b of the JSON text s equals want. */
static int
json_path_str(const char *s, const char *a, const char *b, const char *want)
{
	struct json *doc;
	const struct json *v;
	char err[160];
	const char *got;
	int ok = 0;

	if (s == NULL ||
	    (doc = json_parse(s, strlen(s), err, sizeof(err))) == NULL)
		return 0;
	v = json_get((const struct json *)doc, a);
	if (b != NULL)
		v = json_get(v, b);
	if (v != NULL && (got = json_str(v)) != NULL)
		ok = strcmp(got, want) == 0;
	json_free(doc);
	return ok;
}

static void
test_status(void)
{
	struct report r;
	char *s;

	fill(&r);
	s = report_status_json(&r);
	CHECK(s != NULL);
	CHECK(json_ok(s));
	CHECK(has(s, "\"version\":\"1.2.3\""));
	CHECK(has(s, "\"uptime_s\":3600.000"));
	CHECK(has(s, "\"healthy\":true"));
	CHECK(has(s, "\"health_reason\":null"));
	CHECK(has(s, "\"mqtt\":{\"connected\":true"));
	CHECK(has(s, "\"broker\":\"tcp://127.0.0.1:1883\""));
	CHECK(has(s, "\"client_id\":\"wastetrackd-test\""));
	CHECK(has(s, "\"reconnects\":2"));
	CHECK(has(s, "\"connection_losses\":3"));
	CHECK(has(s, "\"down_for_s\":0.000"));
	CHECK(has(s, "\"last_error\":null"));
	CHECK(has(s,
	    "\"subscriptions\":[\"wt/v1/#\","
	    "\"vendor-a/+/events\"]"));
	CHECK(has(s, "\"ingest\":{\"received\":120"));
	CHECK(has(s, "\"stored\":95"));
	CHECK(has(s, "\"duplicates\":6"));
	CHECK(has(s, "\"history\":4"));
	CHECK(has(s, "\"rejected\":15"));
	CHECK(has(s, "\"rejected_by_reason\":{\"too_large\":0,"));
	CHECK(has(s, "\"bad_json\":9"));
	CHECK(has(s, "\"future_ts\":6"));
	CHECK(has(s, "\"internal\":0}"));
	CHECK(has(s,
	    "\"stored_by_kind\":{\"position\":70,"
	    "\"vehicle_event\":11,\"weighing\":8,\"facility_status\":4,"
	    "\"manifest\":2,\"device_binding\":0}"));
	CHECK(has(s, "\"queue_bytes\":0"));
	CHECK(has(s, "\"spool_corrupt\":1"));
	CHECK(has(s, "\"last_message_age_s\":1.500"));
	CHECK(has(s,
	    "\"database\":{\"path\":"
	    "\"/var/lib/wastetrack/wastetrack.db\""));
	CHECK(has(s, "\"size_bytes\":1048576"));
	CHECK(has(s, "\"wal_bytes\":32768"));
	CHECK(has(s, "\"schema_version\":4"));
	CHECK(has(s, "\"last_commit_age_s\":2.000"));
	CHECK(has(s, "\"commits\":33"));
	CHECK(has(s, "\"commit_gap_max_s\":1.250"));
	CHECK(has(s, "\"reconcile_behind\":true"));
	CHECK(has(s, "\"write_errors\":1"));
	CHECK(has(s, "\"writes_failing\":false"));
	CHECK(has(s, "\"city\":{\"day\":\"2027-01-15\""));
	CHECK(has(s,
	    "{\"district\":\"朝阳区\",\"waste\":\"msw.food\","
	    "\"kg\":4750.000}"));
	CHECK(has(s,
	    "{\"district\":\"绿\\\"园\\\\区\",\"waste\":\"hw\","
	    "\"kg\":1200.500}"));
	CHECK(has(s, "\"open_manifests\":3"));
	CHECK(has(s, "\"overdue_manifests\":1"));
	CHECK(has(s, "\"discrepancies\":2"));
	CHECK(s != NULL && s[strlen(s) - 1] == '\n');
	CHECK(json_path_str(s, "mqtt", "broker", "tcp://127.0.0.1:1883"));
	free(s);

	/* unhealthy, with errors that need escaping */
	r.mqtt.connected = 0;
	r.mqtt.down_since_ms = NOW - 12500;
	r.mqtt.last_error = "connect \"tcp://x\": C:\\path\nretrying\t1";
	r.db.writes_failing = 1;
	r.db.last_error = "disk \"full\"\\";
	r.last_message_ms = 0;
	r.db.last_commit_ms = 0;
	r.mqtt.nsubs = 0;
	city.ntonnage = 0;
	s = report_status_json(&r);
	CHECK(s != NULL);
	CHECK(json_ok(s));
	CHECK(has(s, "\"healthy\":false"));
	CHECK(has(s, "\"health_reason\":\"database writes failing\""));
	CHECK(has(s, "\"connected\":false"));
	CHECK(has(s, "\"down_for_s\":12.500"));
	CHECK(has(s,
	    "\"last_error\":\"connect \\\"tcp://x\\\": "
	    "C:\\\\path\\u000aretrying\\u00091\""));
	CHECK(has(s, "\"last_error\":\"disk \\\"full\\\"\\\\\""));
	CHECK(has(s, "\"writes_failing\":true"));
	CHECK(has(s, "\"subscriptions\":[]"));
	CHECK(has(s, "\"tonnage\":[]"));
	CHECK(has(s, "\"last_message_age_s\":-1.000"));
	CHECK(has(s, "\"last_commit_age_s\":-1.000"));
	CHECK(s == NULL || strchr(s, '\n') == s + strlen(s) - 1);
	CHECK(json_path_str(s, "mqtt", "last_error",
	    "connect \"tcp://x\": C:\\path\nretrying\t1"));
	CHECK(json_path_str(s, "database", "last_error", "disk \"full\"\\"));
	free(s);

	/* a NULL version or path is null, not a crash */
	fill(&r);
	r.version = NULL;
	r.db.path = NULL;
	s = report_status_json(&r);
	CHECK(json_ok(s));
	CHECK(has(s, "\"version\":null"));
	CHECK(has(s, "\"database\":{\"path\":null"));
	free(s);
}

/* ---- /metrics ---- */

/* Length of a metric or label name at s (0 if none). */
static size_t
name_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_' && s[0] != ':')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == ':')
		n++;
	return n;
}

/*
 * Skip {name="value",...} at s; values may hold only the escapes \\, \"
 * and \n. Returns the end, or NULL when malformed.
 */
static const char *
skip_labels(const char *s)
{
	size_t n;

	if (*s != '{')
		return s;
	s++;
	for (;;) {
		if ((n = name_len(s)) == 0)
			return NULL;
		s += n;
		if (*s++ != '=' || *s++ != '"')
			return NULL;
		while (*s != '"') {
			if (*s == '\0' || *s == '\n')
				return NULL;
			if (*s == '\\') {
				s++;
				if (*s != '\\' && *s != '"' && *s != 'n')
					return NULL;
			}
			s++;
		}
		s++;
		if (*s == '}')
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

struct family {
	char name[128];
	char type[16];
	int help, samples;
};

/*
 * Check the exposition format line by line. Returns the number of bad
 * lines; fills fam[] with the families seen.
 */
static int
lint_metrics(const char *text, struct family *fam, size_t maxfam, size_t *nfam)
{
	char line[1024], name[128];
	const char *p, *nl, *end;
	struct family *cur = NULL;
	size_t n, i;
	int bad = 0;
	double v;
	char *ep;

	*nfam = 0;
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			fprintf(stderr, "  no newline after the last line\n");
			return bad + 1;
		}
		n = (size_t)(nl - p);
		if (n >= sizeof(line)) {
			bad++;
			continue;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (strncmp(line, "# HELP wastetrack_", 18) == 0) {
			n = name_len(line + 7);
			if (line[7 + n] != ' ' || line[8 + n] == '\0' ||
			    *nfam == maxfam) {
				fprintf(stderr, "  bad HELP: %s\n", line);
				bad++;
				continue;
			}
			snprintf(name, sizeof(name), "%.*s", (int)n, line + 7);
			for (i = 0; i < *nfam; i++)
				if (strcmp(fam[i].name, name) == 0)
					break;
			if (i < *nfam) {
				fprintf(stderr, "  family twice: %s\n", name);
				bad++;
				continue;
			}
			cur = &fam[(*nfam)++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			cur->help = 1;
		} else if (strncmp(line, "# TYPE wastetrack_", 18) == 0) {
			n = name_len(line + 7);
			if (cur == NULL || strlen(cur->name) != n ||
			    strncmp(cur->name, line + 7, n) != 0 ||
			    line[7 + n] != ' ' || cur->type[0] != '\0' ||
			    cur->samples != 0) {
				fprintf(stderr, "  TYPE out of place: %s\n",
				    line);
				bad++;
				continue;
			}
			snprintf(cur->type, sizeof(cur->type), "%s",
			    line + 8 + n);
			if (strcmp(cur->type, "counter") != 0 &&
			    strcmp(cur->type, "gauge") != 0) {
				fprintf(stderr, "  bad type: %s\n", line);
				bad++;
			}
		} else if (strncmp(line, "wastetrack_", 11) == 0) {
			n = name_len(line);
			if (cur == NULL || cur->type[0] == '\0' ||
			    strlen(cur->name) != n ||
			    strncmp(cur->name, line, n) != 0) {
				fprintf(stderr,
				    "  sample without its HELP and "
				    "TYPE: %s\n",
				    line);
				bad++;
				continue;
			}
			if ((end = skip_labels(line + n)) == NULL ||
			    *end != ' ') {
				fprintf(stderr, "  bad labels: %s\n", line);
				bad++;
				continue;
			}
			v = strtod(end + 1, &ep);
			if (ep == end + 1 || *ep != '\0' || v != v) {
				fprintf(stderr, "  bad value: %s\n", line);
				bad++;
				continue;
			}
			cur->samples++;
		} else {
			fprintf(stderr, "  stray line: %s\n", line);
			bad++;
		}
	}
	return bad;
}

/* The value of the sample line that starts with prefix, or NaN. */
static double
sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	fprintf(stderr, "  no sample %s\n", prefix);
	return NAN;
}

static void
promtool_check(const char *text)
{
	char path[] = "/tmp/test_report.XXXXXX", cmd[256];
	size_t len = strlen(text);
	int fd, st;

	if (access(PROMTOOL, X_OK) == -1)
		return;
	if ((fd = mkstemp(path)) == -1) {
		CHECK(!"mkstemp");
		return;
	}
	CHECK(write(fd, text, len) == (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s", path);
	st = system(cmd);
	CHECK(st != -1 && WIFEXITED(st));
	CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	unlink(path);
}

static void
test_metrics(void)
{
	struct family fam[64];
	struct report r;
	size_t nfam, i;
	char *m;

	fill(&r);
	m = report_metrics(&r);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_INT(lint_metrics(m, fam, 64, &nfam), 0);
	CHECK(nfam >= 15);
	for (i = 0; i < nfam; i++) {
		size_t n = strlen(fam[i].name);
		int total = n > 6 && strcmp(fam[i].name + n - 6, "_total") == 0;

		CHECK(fam[i].help && fam[i].type[0] != '\0');
		/* counters end in _total, and only counters do */
		CHECK_INT(total, strcmp(fam[i].type, "counter") == 0);
		if (total != (strcmp(fam[i].type, "counter") == 0))
			fprintf(stderr, "  %s is a %s\n", fam[i].name,
			    fam[i].type);
	}
	CHECK_NEAR(sample(m, "wastetrack_up"), 1, 0);
	CHECK_NEAR(sample(m, "wastetrack_mqtt_connected"), 1, 0);
	CHECK_NEAR(sample(m, "wastetrack_mqtt_reconnects_total"), 2, 0);
	CHECK_NEAR(sample(m, "wastetrack_messages_received_total"), 120, 0);
	CHECK_NEAR(sample(m, "wastetrack_rows_stored_total{kind=\"position\"}"),
	    70, 0);
	CHECK_NEAR(sample(m, "wastetrack_rows_stored_total{kind=\"manifest\"}"),
	    2, 0);
	CHECK_NEAR(sample(m, "wastetrack_duplicates_total"), 6, 0);
	CHECK_NEAR(sample(m, "wastetrack_history_total"), 4, 0);
	CHECK_NEAR(sample(m, "wastetrack_rejected_total{reason=\"bad_json\"}"),
	    9, 0);
	CHECK_NEAR(sample(m, "wastetrack_rejected_total{reason=\"future_ts\"}"),
	    6, 0);
	CHECK_NEAR(sample(m, "wastetrack_rejected_total{reason=\"internal\"}"),
	    0, 0);
	CHECK_NEAR(sample(m, "wastetrack_commits_total"), 33, 0);
	CHECK_NEAR(sample(m, "wastetrack_commit_gap_max_seconds"), 1.25, 0);
	CHECK_NEAR(sample(m, "wastetrack_reconcile_behind"), 1, 0);
	CHECK_NEAR(sample(m, "wastetrack_write_errors_total"), 1, 0);
	CHECK_NEAR(sample(m, "wastetrack_queue_bytes"), 0, 0);
	CHECK_NEAR(sample(m, "wastetrack_db_size_bytes"), 1048576, 0);
	CHECK_NEAR(sample(m, "wastetrack_db_wal_bytes"), 32768, 0);
	CHECK_NEAR(sample(m, "wastetrack_manifests_open"), 3, 0);
	CHECK_NEAR(sample(m, "wastetrack_manifests_overdue"), 1, 0);
	CHECK_NEAR(sample(m,
		       "wastetrack_today_kg{district=\"朝阳区\","
		       "waste=\"msw.food\"}"),
	    4750, 1e-9);
	/* label values escape quote and backslash */
	CHECK_NEAR(sample(m,
		       "wastetrack_today_kg{district=\"绿\\\"园\\\\区\","
		       "waste=\"hw\"}"),
	    1200.5, 1e-9);
	CHECK_NEAR(sample(m, "wastetrack_uptime_seconds"), 3600, 1e-9);
	promtool_check(m);
	free(m);

	/* unhealthy, a newline in a label, no tonnage rows at all */
	r.mqtt.connected = 0;
	snprintf(city.tonnage[0].district, 64, "a\nb");
	m = report_metrics(&r);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_INT(lint_metrics(m, fam, 64, &nfam), 0);
	CHECK_NEAR(sample(m, "wastetrack_up"), 0, 0);
	CHECK_NEAR(sample(m, "wastetrack_mqtt_connected"), 0, 0);
	CHECK_NEAR(sample(m,
		       "wastetrack_today_kg{district=\"a\\nb\","
		       "waste=\"msw.food\"}"),
	    4750, 1e-9);
	promtool_check(m);
	free(m);

	city.ntonnage = 0;
	m = report_metrics(&r);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_INT(lint_metrics(m, fam, 64, &nfam), 0);
	CHECK(strstr(m, "# TYPE wastetrack_today_kg gauge\n") != NULL);
	CHECK(strstr(m, "wastetrack_today_kg{") == NULL);
	promtool_check(m);
	free(m);
}

/* Figures that are not finite (a sum that overflowed, a rate of 0/0)
 * never reach the output as "inf" or "nan": JSON says null, Prometheus
 * leaves the sample out, and both still parse. */
static void
test_nonfinite(void)
{
	struct family fam[64];
	struct report r;
	size_t nfam;
	char *s, *m;

	fill(&r);
	city.tonnage[0].kg = INFINITY;
	city.tonnage[1].kg = NAN;
	city.ndistricts = 1;
	snprintf(city.districts[0].district, 64, "朝阳区");
	city.districts[0].collected_kg = INFINITY;
	city.districts[0].recycling_rate = NAN;
	city.districts[0].harmless_rate = -INFINITY;
	city.districts[0].cw_rate = 0.5;
	city.districts[0].clearance_rate = NAN;
	city.districts[0].closure_rate = INFINITY;
	city.districts[0].discrepancy_rate = NAN;
	city.districts[0].authorised_share = NAN;
	city.discrepancy_items[0].declared_kg = 1e308;
	city.discrepancy_items[0].received_kg = INFINITY;
	city.discrepancy_items[0].diff_pct = -INFINITY;
	city.discrepancy_items[0].departed_ms = WT_NOTIME;
	city.ndiscrepancy_items = 1;

	s = report_status_json(&r);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(json_ok(s));
	CHECK(strstr(s, "inf") == NULL);
	CHECK(strstr(s, "nan") == NULL);
	CHECK(has(s, "\"waste\":\"msw.food\",\"kg\":null}"));
	CHECK(has(s, "\"waste\":\"hw\",\"kg\":null}"));
	CHECK(has(s, "\"collected_kg\":null"));
	CHECK(has(s, "\"harmless_rate\":null"));
	CHECK(has(s, "\"cw_utilisation_rate\":0.5"));
	CHECK(has(s, "\"manifest_closure_rate\":null"));
	/* large but finite stays a number */
	CHECK(has(s, "\"declared_kg\":1e+308"));
	CHECK(has(s, "\"received_kg\":null"));
	CHECK(has(s, "\"diff_pct\":null"));
	free(s);

	m = report_metrics(&r);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_INT(lint_metrics(m, fam, 64, &nfam), 0);
	CHECK(strstr(m, "Inf") == NULL && strstr(m, "inf") == NULL);
	CHECK(strstr(m, "NaN") == NULL && strstr(m, "nan") == NULL);
	CHECK(strstr(m, "wastetrack_today_kg{") == NULL);
	CHECK(strstr(m, "wastetrack_today_collected_kg{") == NULL);
	CHECK(strstr(m, "wastetrack_today_harmless_rate{") == NULL);
	CHECK(strstr(m, "# TYPE wastetrack_today_kg gauge\n") != NULL);
	promtool_check(m);
	free(m);
}

/* The snapshot handed between threads owns what changes under it, and
 * keeps its city figures when the loop's report has none. */
static void
test_snap(void)
{
	static struct report_snap a, b;
	struct report r;
	char mqtt_err[32] = "connection refused";
	char db_err[32] = "disk I/O error";
	char *s;

	fill(&r);
	r.mqtt.last_error = mqtt_err;
	r.db.last_error = db_err;
	r.db.checkpoint_error = NULL;
	report_snap_copy(&a, &r);
	CHECK(a.r.ingest == &a.ingest);
	CHECK(a.r.city == &a.city);
	CHECK_INT(a.ingest.received, 120);
	CHECK_INT(a.city.ntonnage, 2);
	CHECK_STR(a.r.mqtt.last_error, "connection refused");
	CHECK(a.r.mqtt.last_error == a.mqtt_error);
	CHECK_STR(a.r.db.last_error, "disk I/O error");
	CHECK(a.r.db.checkpoint_error == NULL);
	CHECK_INT(a.r.mqtt.nsubs, 2);
	CHECK_STR(a.r.mqtt.subs[1], "vendor-a/+/events");
	/* The source changes; the copy does not. */
	counters.received = 121;
	mqtt_err[0] = 'X';
	city.ntonnage = 1;
	CHECK_INT(a.r.ingest->received, 120);
	CHECK_STR(a.r.mqtt.last_error, "connection refused");
	CHECK_INT(a.r.city->ntonnage, 2);
	/* Without city figures the copy keeps those it had. */
	r.city = NULL;
	r.mqtt.last_error = NULL;
	report_snap_copy(&a, &r);
	CHECK_INT(a.city.ntonnage, 2);
	CHECK(a.r.mqtt.last_error == NULL);
	CHECK_INT(a.ingest.received, 121);
	/* A copy of a copy points into itself and says the same. */
	report_snap_copy(&b, &a.r);
	CHECK(b.r.ingest == &b.ingest && b.r.city == &b.city);
	CHECK(b.r.db.last_error == b.db_error);
	s = report_status_json(&b.r);
	CHECK(s != NULL && strstr(s, "\"day\":\"2027-01-15\"") != NULL);
	CHECK(s != NULL &&
	    strstr(s, "\"last_error\":\"disk I/O error\"") != NULL);
	free(s);
	/* No city figures at all: an empty city, not a crash. */
	r.city = NULL;
	s = report_status_json(&r);
	CHECK(s != NULL &&
	    strstr(s, "\"city\":{\"day\":\"\",\"tonnage\":[]") != NULL);
	free(s);
}

/* A shared store (docs/cluster.md): its health reason with the server's
 * error, its URI instead of a path, and the cluster section. */
static void
test_cluster(void)
{
	struct report r;
	const char *why = "unset";
	char *s;

	fill(&r);
	r.db.backend = "postgresql";
	r.db.shared = 1;
	r.db.path = "postgresql://wt@db:5432/wt";
	CHECK(report_health_detail(&r) == NULL);
	r.db.writes_failing = 1;
	r.db.last_error = "connection refused";
	CHECK_INT(report_health(&r, &why), 0);
	CHECK_STR(why, "store unavailable");
	CHECK_STR(report_health_detail(&r), "connection refused");
	r.cluster.instance = "wt-b";
	r.cluster.group = "city";
	r.cluster.leader = 0;
	r.cluster.npeers = 2;
	snprintf(r.cluster.peers[0].id, sizeof(r.cluster.peers[0].id), "wt-a");
	snprintf(r.cluster.peers[0].group, sizeof(r.cluster.peers[0].group),
	    "city");
	r.cluster.peers[0].leader = 1;
	r.cluster.peers[0].seen_ms = NOW - 400;
	snprintf(r.cluster.peers[1].id, sizeof(r.cluster.peers[1].id), "wt-c");
	r.cluster.peers[1].seen_ms = NOW - 900;
	s = report_status_json(&r);
	CHECK(has(s,
	    "\"database\":{\"path\":null,\"backend\":\"postgresql\","
	    "\"url\":\"postgresql://wt@db:5432/wt\""));
	CHECK(has(s,
	    "\"cluster\":{\"instance\":\"wt-b\",\"group\":\"city\","
	    "\"role\":\"follower\",\"leader_since_ms\":null,\"peers\":["
	    "{\"id\":\"wt-a\",\"group\":\"city\",\"leader\":true,"
	    "\"seen_ms\":1799999999600},"
	    "{\"id\":\"wt-c\",\"group\":null,\"leader\":false,"
	    "\"seen_ms\":1799999999100}]}"));
	free(s);
	r.cluster.leader = 1;
	r.cluster.leader_since_ms = NOW - 5000;
	r.cluster.npeers = 0;
	s = report_status_json(&r);
	CHECK(has(s,
	    "\"role\":\"leader\",\"leader_since_ms\":1799999995000,"
	    "\"peers\":[]}"));
	free(s);
	s = report_metrics(&r);
	CHECK(has(s, "\nwastetrack_cluster_leader 1\n"));
	CHECK(has(s, "\nwastetrack_cluster_peers 0\n"));
	free(s);
}

int
main(void)
{
	test_health();
	test_status();
	test_cluster();
	test_metrics();
	test_nonfinite();
	test_snap();
	return check_result("test_report");
}
