/*
 * test_streams: the streams of issue 14 on a real SQLite store — origin
 * attribution (and the 全市 row), transfer-station stock carried over,
 * clinics' pickups, agricultural collection, facility alarms and
 * silence — and the alert rules of store_streams_sql.c, run through
 * store_alert_rule_eval(). Messages go through the native decoder and
 * store_event(), as the daemon writes them; figures are read back with a
 * connection of the test's own. Every expected figure is worked out by
 * hand in the comments.
 */
#include "check.h"
#include "rawdb.h"
#include "tmpfiles.h"

#include "config.h"
#include "decoder.h"
#include "event.h"
#include "native.h"
#include "store.h"
#include "store_int.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Local days at +08:00. D is 2023-08-07. */
#define D    "2023-08-07"
#define D_1  "2023-08-06"
#define D1   "2023-08-08"
#define D2   "2023-08-09"
#define D3   "2023-08-10"
#define HOUR INT64_C(3600000)
/* D 00:00 local in UTC ms: 2023-08-06T16:00:00Z. */
#define D0_MS INT64_C(1691337600000)
/* h:m on D (+ days), local, in UTC ms. */
#define AT(days, h, m)                                                         \
	(D0_MS + (int64_t)(days)*24 * HOUR + (int64_t)(h)*HOUR +               \
	    (int64_t)(m)*60000)

static const char cfg_yaml[] =
    "database:\n  path: streams.db\n"
    "facilities:\n"
    "  - id: INC\n    kind: incinerator\n    district: 朝阳区\n"
    "    harmless: true\n"
    "    alarms:\n"
    "      furnace_temp_c: {min: 850, severity: critical}\n"
    "      load_pct: {max: 95}\n"
    "    alarm_after_s: 600\n    silent_after_s: 900\n"
    "  - {id: RC, kind: recycling_center, district: 南关区}\n"
    "  - {id: TS, kind: transfer_station, district: 绿园区,"
    " clear_threshold_kg: 500}\n"
    "  - {id: HWF, kind: hw_facility, district: 绿园区, harmless: true}\n"
    "generators:\n"
    "  - {id: CL1, kind: clinic, district: 南关区}\n"
    "  - {id: CL2, kind: clinic, district: 朝阳区,"
    " max_pickup_interval_h: 24}\n"
    "  - {id: GA, kind: residential, district: 宽城区}\n"
    "  - {id: GB, kind: market, district: 二道区}\n"
    "  - {id: FF1, kind: farm_film_point, district: 双阳区}\n"
    "  - {id: ST1, kind: straw_point, district: 双阳区}\n"
    "  - {id: PP1, kind: pesticide_pack_point, district: 九台区}\n"
    "vehicles:\n"
    "  - {plate: 吉A11111, kind: compactor, district: 宽城区}\n";

static struct store *S;
static struct config *C;
static sqlite3 *R; /* the test's own connection */
static int64_t mid;

static void
put(const char *topic, const char *json)
{
	struct decode_ctx ctx = { 480, AT(400, 0, 0), 300000 };
	struct ev_list l = { NULL, 0, 0 };
	struct decode_err err;
	enum store_result res;

	if (native_decode(topic, json, strlen(json), &ctx, &l, &err) != 0) {
		fprintf(stderr, "%s: %s: %s\n", json, err.reason, err.detail);
		CHECK(!"decoded");
		return;
	}
	CHECK(store_begin(S) == 0);
	CHECK(store_event(S, &l.ev[0], ++mid, 480, AT(400, 0, 0), &res) == 0);
	CHECK(store_commit(S) == 0);
	ev_list_free(&l);
}

static const char *
ts(int64_t ms)
{
	static char buf[8][24];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%" PRId64, ms);
	return buf[i];
}

/* A complete weighing: facility, ticket, plate, direction, net kg, first
 * weighing at ms, waste. */
static void
weigh(const char *fac, const char *ticket, const char *plate, const char *dir,
    int net, int64_t ms, const char *waste)
{
	char topic[64], json[512];

	snprintf(topic, sizeof(topic), "wt/v1/facilities/%s/weighings", fac);
	snprintf(json, sizeof(json),
	    "{\"ticket\":\"%s\",\"plate\":\"%s\",\"direction\":\"%s\","
	    "\"gross_kg\":%d,\"tare_kg\":10000,\"net_kg\":%d,"
	    "\"first_ts\":%s,\"second_ts\":%s,\"waste\":\"%s\","
	    "\"status\":\"complete\",\"version\":1}",
	    ticket, plate, dir, net + 10000, net, ts(ms), ts(ms + 600000),
	    waste);
	put(topic, json);
}

/* A load event at a site; mass < 0: none sent; count < 0: no count
 * of containers sent, else count of unit. */
static void
load_n(const char *vehicle, const char *plate, const char *site, int mass,
    int64_t ms, const char *waste, int count, const char *unit)
{
	char topic[64], json[512], m[32] = "", n[64] = "";

	snprintf(topic, sizeof(topic), "wt/v1/vehicles/%s/events", vehicle);
	if (mass >= 0)
		snprintf(m, sizeof(m), ",\"mass_kg\":%d", mass);
	if (count >= 0)
		snprintf(n, sizeof(n), ",\"count\":%d,\"count_unit\":\"%s\"",
		    count, unit);
	snprintf(json, sizeof(json),
	    "{\"type\":\"load\",\"ts\":%s,\"plate\":\"%s\",\"site\":\"%s\","
	    "\"waste\":\"%s\"%s%s}",
	    ts(ms), plate, site, waste, m, n);
	put(topic, json);
}

static void
load(const char *vehicle, const char *plate, const char *site, int mass,
    int64_t ms, const char *waste)
{
	load_n(vehicle, plate, site, mass, ms, waste, -1, NULL);
}

static void
status(const char *fac, int64_t ms, int temp, int load_pct)
{
	char topic[64], json[256];

	snprintf(topic, sizeof(topic), "wt/v1/facilities/%s/status", fac);
	snprintf(json, sizeof(json),
	    "{\"ts\":%s,\"state\":\"running\",\"furnace_temp_c\":%d,"
	    "\"load_pct\":%d}",
	    ts(ms), temp, load_pct);
	put(topic, json);
}

/* The rows of sql, columns joined with '|' and rows with ';'. */
static const char *
rows(const char *sql)
{
	static char buf[2048];
	sqlite3_stmt *st;
	size_t len = 0;
	int i, n;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(R, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(R));
		check_failures++;
		return buf;
	}
	while (sqlite3_step(st) == SQLITE_ROW && len < sizeof(buf) - 1) {
		n = sqlite3_column_count(st);
		for (i = 0; i < n && len < sizeof(buf) - 1; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s%s", i ? "|" : (len ? ";" : ""),
			    v ? (const char *)v : "NULL");
		}
	}
	sqlite3_finalize(st);
	return buf;
}

/* ---- alert rules ---- */

struct conds {
	char text[1024]; /* "subject@district;..." in the rule's order */
	char evidence[1024];
	int n;
};

static void
on_cond(void *arg, const char *subject, const char *district,
    const char *evidence)
{
	struct conds *c = arg;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s%s@%s",
	    c->n ? ";" : "", subject, district ? district : "NULL");
	len = strlen(c->evidence);
	snprintf(c->evidence + len, sizeof(c->evidence) - len, "%s%s",
	    c->n ? ";" : "", evidence ? evidence : "NULL");
	c->n++;
}

/* The conditions of the rule of kind and severity that hold at now. */
static const char *
eval(const char *kind, const char *severity, int64_t now, char *evidence,
    size_t evsize)
{
	static struct conds c;
	size_t i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < store_alert_nrules_streams; i++) {
		const struct store_alert_rule *r =
		    &store_alert_rules_streams[i];

		if (strcmp(r->kind, kind) != 0 ||
		    strcmp(r->severity, severity) != 0)
			continue;
		CHECK(store_alert_rule_eval(store_sqlite_of(S), r, now, on_cond,
			  &c) == 0);
		if (evidence != NULL)
			snprintf(evidence, evsize, "%s", c.evidence);
		return c.text;
	}
	CHECK(!"rule found");
	return "";
}

/* ---- the streams ---- */

/*
 * Origins on D. Collected household waste, by where it came from:
 *   W1 INC 吉A10001 10:00 6000 residual: loaded at GA 3000 kg (08:00)
 *      and GB 1000 kg (08:30) -> 宽城区 4500, 二道区 1500 (generator).
 *   W2 INC 吉A11111 11:00 2000: no load, registered in 宽城区 (vehicle).
 *   W3 INC 吉A10003 12:00 1000: nothing known -> 朝阳区, the facility's
 *      (fallback).
 *   W4 RC 吉A10001 14:00 800 recyclable: its trip since W1 (10:00) loaded
 *      at GB at 12:00 without a mass -> 二道区 800 (generator, whole).
 *   Transfer: TS in 2000 + 1500; out 吉A20002 3000 at 15:00, weighed in
 *      at INC at 16:00 (W5, 3000): the station's inbound is not
 *      collected, W5 is, once, in 朝阳区 (fallback).
 *   Hazardous: H1 at HWF 500 with manifest M1 from 长春某厂 in 绿园区
 *      (not household waste: only in ticket_origins, as 'manifest').
 */
static void
feed_origins(void)
{
	load("V1", "吉A10001", "GA", 3000, AT(0, 8, 0), "msw.residual");
	load("V1", "吉A10001", "GB", 1000, AT(0, 8, 30), "msw.residual");
	weigh("INC", "W1", "吉A10001", "in", 6000, AT(0, 10, 0),
	    "msw.residual");
	weigh("INC", "W2", "吉A11111", "in", 2000, AT(0, 11, 0),
	    "msw.residual");
	weigh("INC", "W3", "吉A10003", "in", 1000, AT(0, 12, 0),
	    "msw.residual");
	load("V1", "吉A10001", "GB", -1, AT(0, 12, 0), "msw.recyclable");
	weigh("RC", "W4", "吉A10001", "in", 800, AT(0, 14, 0),
	    "msw.recyclable");
	weigh("TS", "S1", "吉A30001", "in", 2000, AT(0, 8, 0), "msw.residual");
	weigh("TS", "S2", "吉A30002", "in", 1500, AT(0, 9, 0), "msw.residual");
	weigh("TS", "S3", "吉A20002", "out", 3000, AT(0, 15, 0),
	    "msw.residual");
	weigh("INC", "W5", "吉A20002", "in", 3000, AT(0, 16, 0),
	    "msw.residual");
	put("wt/v1/manifests/M1",
	    "{\"scheme\":\"CN_HW\",\"status\":\"in_transit\",\"version\":1,"
	    "\"ts\":1691366400000,\"plate\":\"吉A50009\",\"generator\":{"
	    "\"code\":\"G-HW\",\"name\":\"长春某厂\",\"district\":\"绿园区\"},"
	    "\"receiver\":{\"facility\":\"HWF\"},\"lines\":[{\"line\":1,"
	    "\"waste_code\":\"900-249-08\",\"waste\":\"hw\",\"qty\":500,"
	    "\"unit\":\"kg\"}]}");
	put("wt/v1/facilities/HWF/weighings",
	    "{\"ticket\":\"H1\",\"plate\":\"吉A50009\",\"direction\":\"in\","
	    "\"gross_kg\":10500,\"tare_kg\":10000,\"first_ts\":1691373600000,"
	    "\"waste\":\"hw\",\"status\":\"complete\",\"manifest_no\":\"M1\"}");
}

static void
test_origins(void)
{
	feed_origins();
	CHECK(store_reconcile(S, AT(1, 0, 0), C) == 0);
	/* Stamped when stored: the sites' and the plate's districts. */
	CHECK_STR(rows("SELECT site, site_district FROM vehicle_events"
		       " ORDER BY ts_ms"),
	    "GA|宽城区;GB|二道区;GB|二道区");
	CHECK_STR(rows("SELECT vehicle_district FROM weighings"
		       " WHERE ticket = 'W2'"),
	    "宽城区");
	CHECK_STR(rows("SELECT origin_district, origin_source, kg"
		       " FROM ticket_origins WHERE facility = 'INC'"
		       " ORDER BY ticket_id, origin_district"),
	    "二道区|generator|1500.0;宽城区|generator|4500.0;"
	    "宽城区|vehicle|2000.0;朝阳区|facility|1000.0;"
	    "朝阳区|facility|3000.0");
	CHECK_STR(rows("SELECT origin_district, origin_source, kg"
		       " FROM ticket_origins WHERE facility IN ('RC', 'HWF')"
		       " ORDER BY facility"),
	    "绿园区|manifest|500.0;二道区|generator|800.0");
	/* collected, recycled, harmless, fallback per origin:
	 *   二道区 1500 + 800 = 2300, recycled 800 (RC), harmless 1500;
	 *   宽城区 4500 + 2000 = 6500, all harmless (INC);
	 *   朝阳区 1000 + 3000 = 4000, harmless, fallback 4000;
	 *   全市 12800 = INC 12000 + RC 800, recycled 800, harmless 12000,
	 *   fallback 4000. The station's 3500 inbound is in none. */
	CHECK_STR(rows("SELECT district, collected_kg, recycled_kg,"
		       " harmless_kg, fallback_kg FROM daily_collected"
		       " WHERE day = '" D "' ORDER BY district"),
	    "二道区|2300.0|800.0|1500.0|0.0;全市|12800.0|800.0|12000.0|4000.0;"
	    "宽城区|6500.0|0.0|6500.0|0.0;朝阳区|4000.0|0.0|4000.0|4000.0");
	/* Rates: 二道区 800 / 2300, 1500 / 2300; 全市 800 / 12800 =
	 * 0.0625, 12000 / 12800 = 0.9375. */
	CHECK_STR(rows("SELECT district, round(recycling_rate, 6),"
		       " round(harmless_rate, 6) FROM daily_indicators"
		       " WHERE day = '" D "' AND district IN ('二道区', '全市')"
		       " ORDER BY district"),
	    "二道区|0.347826|0.652174;全市|0.0625|0.9375");
	/* Order does not matter: W6 (INC, 吉A10009, 17:00, 500 kg) first,
	 * then its load at GA (16:30, 宽城区), then a manifest naming W6
	 * from 九台区 — each moves the ticket's origin. */
	weigh("INC", "W6", "吉A10009", "in", 500, AT(0, 17, 0), "msw.residual");
	CHECK_STR(rows(
		      "SELECT origin_district, origin_source, kg FROM"
		      " ticket_origins o JOIN weighings w ON w.id = o.ticket_id"
		      " WHERE w.ticket = 'W6'"),
	    "朝阳区|facility|500.0");
	load("V9", "吉A10009", "GA", 500, AT(0, 16, 30), "msw.residual");
	CHECK_STR(rows(
		      "SELECT origin_district, origin_source, kg FROM"
		      " ticket_origins o JOIN weighings w ON w.id = o.ticket_id"
		      " WHERE w.ticket = 'W6'"),
	    "宽城区|generator|500.0");
	put("wt/v1/manifests/M6",
	    "{\"scheme\":\"CN_KW\",\"status\":\"arrived\",\"version\":1,"
	    "\"ts\":1691399000000,\"plate\":\"吉A10009\",\"generator\":{"
	    "\"code\":\"G9\",\"district\":\"九台区\"},\"receiver\":{"
	    "\"facility\":\"INC\"},\"tickets\":[{\"facility\":\"INC\","
	    "\"ticket\":\"W6\"}],\"waste\":"
	    "\"msw.residual\",\"declared_kg\":500}");
	CHECK(store_reconcile(S, AT(1, 0, 0), C) == 0);
	CHECK_STR(rows(
		      "SELECT origin_district, origin_source, kg FROM"
		      " ticket_origins o JOIN weighings w ON w.id = o.ticket_id"
		      " WHERE w.ticket = 'W6'"),
	    "九台区|manifest|500.0");
}

/*
 * TS, threshold 500 kg, stock carried over:
 *   D   in 2000 + 1500, out 3000: 0 -> 500, cleared (500 <= 500).
 *   D+1 in 1000:                500 -> 1500, not cleared.
 *   D+2 out 1800:               1500 -> 0 (not -300: stock is never
 *                               negative), cleared.
 *   D+3 in 100:                 0 -> 100, cleared.
 */
static void
test_station(void)
{
	char ev[1024];

	weigh("TS", "S4", "吉A30001", "in", 1000, AT(1, 9, 0), "msw.residual");
	weigh("TS", "S5", "吉A20002", "out", 1800, AT(2, 9, 0), "msw.residual");
	weigh("TS", "S6", "吉A30001", "in", 100, AT(3, 9, 0), "msw.residual");
	CHECK_STR(rows("SELECT day, opening_kg, in_kg, out_kg, closing_kg,"
		       " cleared FROM daily_station_clearance ORDER BY day"),
	    D "|0|3500.0|3000.0|500.0|1;" D1 "|500.0|1000.0|0.0|1500.0|0;" D2
	      "|1500.0|0.0|1800.0|0.0|1;" D3 "|0.0|100.0|0.0|100.0|1");
	/* At D+2 10:00 the last day ended is D+1: 1500 > 500. */
	CHECK_STR(eval("station_not_cleared", "warning", AT(2, 10, 0), ev,
		      sizeof(ev)),
	    "TS@绿园区");
	CHECK_STR(ev,
	    "{\"day\":\"" D1
	    "\",\"closing_kg\":1500.0,\"threshold_kg\":500.0}");
	/* At D+3 10:00, D+2 closed at 0. At D+1 10:00, D closed at 500. */
	CHECK_STR(eval("station_not_cleared", "warning", AT(3, 10, 0), NULL, 0),
	    "");
	CHECK_STR(eval("station_not_cleared", "warning", AT(1, 10, 0), NULL, 0),
	    "");
	/* A correction takes the old weight out of the carried stock: S4
	 * voided -> D+1 closes at 500, D+2 at 0 (500 - 1800 floored). */
	put("wt/v1/facilities/TS/weighings",
	    "{\"ticket\":\"S4\",\"plate\":\"吉A30001\",\"direction\":\"in\","
	    "\"gross_kg\":11000,\"tare_kg\":10000,\"first_ts\":1691456400000,"
	    "\"waste\":\"msw.residual\",\"status\":\"void\",\"version\":2}");
	CHECK_STR(rows("SELECT day, closing_kg, cleared FROM"
		       " daily_station_clearance WHERE day IN ('" D1 "', '" D2
		       "') ORDER BY day"),
	    D1 "|500.0|1;" D2 "|0.0|1");
}

/*
 * Clinics: CL1 (南关区, 48 h) picked up by loads at D 08:00 and 09:00;
 * CL2 (朝阳区, 24 h) by its manifest departing D-1 07:00 and a load at
 * D-1 06:00 before it.
 *   D-1 (ends D 00:00): CL1 never (not served), CL2 17 h before (served).
 *   D (ends D+1 00:00): CL1 15 h before (served), CL2 41 h (not).
 * Containers: D-1 CL2 4 bags (朝阳区 and 全市); D CL1 2 + 3 = 5 boxes
 * (南关区 and 全市); none counted elsewhere (NULL).
 */
static void
test_clinics(void)
{
	char ev[1024];

	load_n("MW1", "吉A40001", "CL1", 6, AT(0, 8, 0), "mw", 2, "box");
	load_n("MW1", "吉A40001", "CL1", 20, AT(0, 9, 0), "mw", 3, "box");
	load_n("MW2", "吉A40002", "CL2", 9, AT(-1, 6, 0), "mw", 4, "bag");
	put("wt/v1/manifests/MW-CL2",
	    "{\"scheme\":\"CN_HW\",\"status\":\"in_transit\",\"version\":1,"
	    "\"ts\":1691276400000,\"plate\":\"吉A40001\",\"generator\":{"
	    "\"code\":\"CL2\",\"district\":\"朝阳区\"},\"receiver\":{"
	    "\"facility\":\"HWF\"},\"lines\":[{\"line\":1,\"waste_code\":"
	    "\"841-001-01\",\"waste\":\"mw\",\"qty\":30,\"unit\":\"kg\"}]}");
	CHECK_STR(rows("SELECT day, district, clinics, served FROM"
		       " daily_clinic_pickups ORDER BY day, district"),
	    D_1 "|全市|2|1;" D_1 "|南关区|1|0;" D_1 "|朝阳区|1|1;" D
		"|全市|2|1;" D "|南关区|1|1;" D "|朝阳区|1|0");
	CHECK_STR(rows("SELECT day, district, containers, container_unit FROM"
		       " daily_clinic_pickups ORDER BY day, district"),
	    D_1 "|全市|4|bag;" D_1 "|南关区|NULL|NULL;" D_1 "|朝阳区|4|bag;" D
		"|全市|5|box;" D "|南关区|5|box;" D "|朝阳区|NULL|NULL");
	/* The mass stays kg: the counted loads are stored as sent. */
	CHECK_STR(rows("SELECT site, mass_kg, count, count_unit FROM"
		       " vehicle_events WHERE site IN ('CL1', 'CL2')"
		       " ORDER BY ts_ms"),
	    "CL2|9.0|4|bag;CL1|6.0|2|box;CL1|20.0|3|box");
	/* D 12:00: CL2's last pickup 29 h ago > 24 h; CL1 3 h ago. */
	CHECK_STR(eval("clinic_pickup_overdue", "warning", AT(0, 12, 0), ev,
		      sizeof(ev)),
	    "CL2@朝阳区");
	CHECK_STR(ev,
	    "{\"name\":\"CL2\",\"last_pickup_ms\":1691276400000,"
	    "\"max_pickup_interval_h\":24}");
	/* D-1 12:00: CL2 picked up 5 h before; CL1 never, but registered
	 * just now (the test's wall clock), so not overdue yet. */
	CHECK_STR(eval("clinic_pickup_overdue", "warning", AT(-1, 12, 0), NULL,
		      0),
	    "");
	/* D+2 10:00: CL1 49 h after its pickup, too. */
	CHECK_STR(eval("clinic_pickup_overdue", "warning", AT(2, 10, 0), NULL,
		      0),
	    "CL1@南关区;CL2@朝阳区");
}

/*
 * Agricultural collection on D: FF1 film 300 + 200 kg (2 loads), ST1
 * straw 5000, an unregistered site X-9 manure 100 (no district); PP1
 * (九台区) loaded twice, on D-40: active on D-40, not on D.
 * Containers: FF1 6 + 4 = 10 bags; ST1 none counted (NULL); X-9 2 bins;
 * PP1 30 pieces and 5 bags: no sum across units (NULL, NULL).
 */
static void
test_agri(void)
{
	load_n("AG1", "吉A60001", "FF1", 300, AT(0, 9, 0), "农膜", 6, "bag");
	load_n("AG1", "吉A60001", "FF1", 200, AT(0, 11, 0), "农膜", 4, "bag");
	load("AG2", "吉A60002", "ST1", 5000, AT(0, 10, 0), "秸秆");
	load_n("AG3", "吉A60003", "X-9", 100, AT(0, 13, 0), "畜禽粪污", 2,
	    "bin");
	load_n("AG4", "吉A60004", "PP1", 40, AT(-40, 9, 0), "农药包装废弃物",
	    30, "piece");
	load_n("AG4", "吉A60004", "PP1", 10, AT(-40, 11, 0), "农药包装废弃物",
	    5, "bag");
	CHECK_STR(rows("SELECT district, point, category, kg, loads,"
		       " containers, container_unit"
		       " FROM daily_agri WHERE day = '" D "'"
		       " ORDER BY point"),
	    "双阳区|FF1|agri.film|500.0|2|10|bag;"
	    "双阳区|ST1|agri.straw|5000.0|1|NULL|NULL;"
	    "NULL|X-9|agri.manure|100.0|1|2|bin");
	CHECK_STR(rows("SELECT point, kg, loads, containers, container_unit"
		       " FROM daily_agri WHERE day = '2023-06-28'"),
	    "PP1|50.0|2|NULL|NULL");
	CHECK_STR(rows("SELECT day, district, points, active_points FROM"
		       " daily_agri_points ORDER BY day, district"),
	    "2023-06-28|九台区|1|1;2023-06-28|双阳区|2|0;" D "|九台区|1|0;" D
	    "|双阳区|2|2");
}

/*
 * INC's furnace (min 850, critical) and load (max 95, warning), 600 s:
 *   11:40 900/90, 11:48 840/96, 11:52 830/97, 11:56 845/96, 12:00 820/98.
 *   At 12:00 the window (11:50, 12:00] is all out of bounds and so was
 *   11:48, the report in force at 11:50: both alarm. At 11:55 the report
 *   in force at 11:45 is 11:40's, within bounds: neither.
 *   12:05 870/90: at 12:05 the window holds a report within bounds.
 * Silence, 900 s: at 12:20 the last report (12:05) is 15 min old, not
 * more; at 12:21 it is.
 */
static void
test_facility(void)
{
	static const int temp[] = { 900, 840, 830, 845, 820 };
	static const int pct[] = { 90, 96, 97, 96, 98 };
	static const int min[] = { 40, 48, 52, 56, 60 };
	char ev[1024];
	int i;

	for (i = 0; i < 5; i++)
		status("INC", AT(0, 11, 0) + min[i] * 60000, temp[i], pct[i]);
	CHECK_STR(eval("facility_alarm", "critical", AT(0, 12, 0), ev,
		      sizeof(ev)),
	    "INC/furnace_temp_c@朝阳区");
	CHECK_STR(ev,
	    "{\"facility\":\"INC\",\"value\":\"furnace_temp_c\",\"min\":850.0,"
	    "\"max\":null,\"after_s\":600,\"reading\":820}");
	CHECK_STR(eval("facility_alarm", "warning", AT(0, 12, 0), NULL, 0),
	    "INC/load_pct@朝阳区");
	CHECK_STR(eval("facility_alarm", "critical", AT(0, 11, 55), NULL, 0),
	    "");
	CHECK_STR(eval("facility_alarm", "warning", AT(0, 11, 55), NULL, 0),
	    "");
	status("INC", AT(0, 12, 5), 870, 90);
	CHECK_STR(eval("facility_alarm", "critical", AT(0, 12, 5), NULL, 0),
	    "");
	CHECK_STR(eval("facility_alarm", "warning", AT(0, 12, 5), NULL, 0), "");
	/* Only INC is watched (silent_after_s 0 elsewhere). */
	CHECK_STR(eval("facility_silent", "warning", AT(0, 12, 20), NULL, 0),
	    "");
	CHECK_STR(eval("facility_silent", "warning", AT(0, 12, 21), ev,
		      sizeof(ev)),
	    "INC@朝阳区");
	CHECK_STR(ev,
	    "{\"silent_after_s\":900,\"last_status_ms\":1691381100000}");
}

/*
 * Retention reaches the load events: the days whose figures read them
 * are kept first, and the views show the same rows after.
 */
static void
test_retention_keeps_days(void)
{
	static const char *const views[] = {
		"SELECT * FROM daily_collected ORDER BY day, district",
		"SELECT * FROM daily_agri ORDER BY day, point, category",
		"SELECT * FROM daily_clinic_pickups ORDER BY day, district",
		"SELECT * FROM daily_indicators ORDER BY day, district",
	};
	struct store_retention r;
	struct store_prune pr;
	char before[4][2048];
	size_t i;
	int guard = 0;

	for (i = 0; i < 4; i++)
		snprintf(before[i], sizeof(before[i]), "%s", rows(views[i]));
	memset(&r, 0, sizeof(r));
	memset(&pr, 0, sizeof(pr));
	r.cutoff[STORE_PRUNE_VEHICLE_EVENTS] = AT(10, 0, 0);
	while (pr.kind != STORE_PRUNE_KINDS && guard++ < 1000)
		CHECK(store_prune_slice(S, &r, &pr, 4000, 50000) == 0);
	CHECK_INT(raw_int(R, "SELECT count(*) FROM vehicle_events"), 0);
	CHECK(raw_int(R, "SELECT count(*) FROM daily_agri_results") > 0);
	CHECK(raw_int(R, "SELECT count(*) FROM daily_clinic_results") > 0);
	for (i = 0; i < 4; i++)
		CHECK_STR(rows(views[i]), before[i]);
}

int
main(void)
{
	char *errors = NULL;
	const char *cfgp;

	tmpfiles_init("test_streams");
	cfgp = write_t("streams.yaml", cfg_yaml);
	remember(tpath("streams.db"));
	remember(tpath("streams.db-wal"));
	remember(tpath("streams.db-shm"));
	if (config_load(cfgp, &C, &errors) != 0) {
		fprintf(stderr, "%s", errors ? errors : "config\n");
		return 1;
	}
	if (store_open(C->database.path, 0, &S) != 0)
		return 1;
	CHECK(store_sync_config(S, C) == 0);
	R = raw_open(C->database.path);
	CHECK_STR(rows("SELECT id, kind, district, max_pickup_interval_h"
		       " FROM generators WHERE kind = 'clinic' ORDER BY id"),
	    "CL1|clinic|南关区|48;CL2|clinic|朝阳区|24");
	CHECK_STR(rows("SELECT facility, value, min, max, severity FROM"
		       " facility_alarms ORDER BY value"),
	    "INC|furnace_temp_c|850.0|NULL|critical;"
	    "INC|load_pct|NULL|95.0|warning");
	CHECK_STR(rows("SELECT id, alarm_after_s, silent_after_s,"
		       " clear_threshold_kg FROM facilities"
		       " WHERE id IN ('INC', 'TS') ORDER BY id"),
	    "INC|600|900|NULL;TS|300|0|500.0");
	CHECK_STR(rows("SELECT plate, district FROM vehicle_registry"),
	    "吉A11111|宽城区");
	test_origins();
	test_station();
	test_clinics();
	test_agri();
	test_facility();
	test_retention_keeps_days();
	/* A reload that drops a generator removes it, and keeps the
	 * registration time of the others. */
	{
		int64_t reg = raw_int(R,
		    "SELECT registered_ms FROM generators WHERE id = 'CL1'");
		C->ngenerators--; /* PP1, the last, leaves */
		CHECK(store_sync_config(S, C) == 0);
		C->ngenerators++;
		CHECK_INT(raw_int(R, "SELECT count(*) FROM generators"), 6);
		CHECK_INT(raw_int(R,
			      "SELECT registered_ms FROM generators"
			      " WHERE id = 'CL1'"),
		    reg);
	}
	sqlite3_close(R);
	store_close(S);
	config_free(C);
	tmpfiles_cleanup();
	return check_result("test_streams");
}
