/*
 * test_native: lib/native.c against the wastetrack dialect and its
 * examples in tests/fixtures/payloads: every example of wastetrack.tsv decodes to
 * what the table below says, bad input is rejected with its reason code,
 * data-quality findings are flagged.
 * Usage: test_native [wastetrack.tsv]; without an argument the file is
 * $WT_FIXTURES/payloads/wastetrack.tsv.
 */
#include "check.h"
#include "tsv.h"
#include "event.h"
#include "native.h"
#include "want.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define POS_TOPIC "wt/v1/vehicles/KW-0217/position"
#define EV_TOPIC  "wt/v1/vehicles/KW-0217/events"
#define WB_TOPIC  "wt/v1/facilities/CC-KWP-01/weighings"
#define FST_TOPIC "wt/v1/facilities/CC-KWP-01/status"
#define MAN_TOPIC "wt/v1/manifests/20232201000153"

/* received in 2027: every example of 2023 is in the past */
static const struct decode_ctx ctx = {
	.local_offset_min = 480,
	.received_ms = INT64_C(1800000000000),
	.future_tolerance_ms = 300000,
};

/*
 * native_decode() into a list of its own, checking the decoder contract
 * (one event appended on success, none on failure), then the event moved
 * out to *e, which the caller ev_reset()s; *e is zeroed on failure.
 */
static int
decode_one(const char *topic, const char *payload, size_t len,
    const struct decode_ctx *c, struct ev *e, struct decode_err *err)
{
	struct ev_list l = { NULL, 0, 0 };
	int rc;

	memset(e, 0, sizeof(*e));
	rc = native_decode(topic, payload, len, c, &l, err);
	CHECK_INT(l.n, rc == 0 ? 1 : 0);
	if (rc == 0 && l.n == 1) {
		*e = l.ev[0]; /* the arena moves with it */
		l.n = 0;
	}
	ev_list_free(&l);
	return rc;
}

/* ---- the cases: one decode each, and what must come of it ---- */

/*
 * Either a rejection for reason, or one event of kind with the fields of
 * want (want.h). At file scope so that the want lists can be compound
 * literals.
 */
struct ncase {
	int line; /* of the case, for messages */
	const char *topic, *payload;
	const char *reason; /* rejected for this reason, or NULL: */
	enum ev_kind kind;  /* accepted as this kind */
	const struct want *want;
};

#define WANTS(...) ((const struct want[]){ __VA_ARGS__, { NULL } })
#define ACC(topic, payload, kind, ...)                                         \
	{                                                                      \
		__LINE__, topic, payload, NULL, kind, WANTS(__VA_ARGS__)       \
	}
#define REJ(topic, payload, reason)                                            \
	{                                                                      \
		__LINE__, topic, payload, reason, EV_NONE, NULL                \
	}

/* ---- the examples of tests/fixtures/payloads/wastetrack.tsv ---- */

/* What each example decodes to: its kind (and vehicle event type), the
 * topic it came on and its fields. */
static const struct example {
	enum ev_kind kind;
	const char *type; /* of a vehicle event */
	const char *topic;
	const struct want *want;
} examples[] = {
	{ EV_POSITION, NULL, POS_TOPIC,
	    WANTS(WS(pos.vehicle, "KW-0217"), WS(pos.device, "013912345678"),
		WS(pos.plate, "吉A5G217"), WS(pos.load_state, "full"),
		WI(pos.ts_ms, INT64_C(1691388178000)), WN(pos.lat, 43.883412),
		WN(pos.lon, 125.314567), WN(pos.speed_kmh, 32.5),
		WN(pos.heading_deg, 87), WN(pos.alt_m, 221), WDQ(0)) },
	{ EV_VEHICLE_EVENT, "load", EV_TOPIC,
	    WANTS(WS(vev.type, "load"), WS(vev.vehicle, "KW-0217"),
		WS(vev.plate, "吉A5G217"), WS(vev.site, "CY-XQ-0031"),
		WS(vev.facility, NULL), WS(vev.waste, "msw.food"),
		WS(vev.manifest_no, "KW20230807-0153"),
		WI(vev.ts_ms, INT64_C(1691370720000)), WN(vev.mass_kg, 4900),
		WN(vev.lat, 43.8612), WN(vev.lon, 125.3521), WDQ(0)) },
	{ EV_VEHICLE_EVENT, "unload", EV_TOPIC,
	    WANTS(WS(vev.type, "unload"), WS(vev.vehicle, "KW-0217"),
		WS(vev.plate, "吉A5G217"), WS(vev.site, NULL),
		WS(vev.facility, "CC-KWP-01"), WS(vev.waste, "msw.food"),
		WS(vev.manifest_no, "KW20230807-0153"),
		WI(vev.ts_ms, INT64_C(1691388760000)), WN(vev.mass_kg, 4750),
		WNAN(vev.lat), WNAN(vev.lon), WDQ(0)) },
	{ EV_WEIGHING, NULL, WB_TOPIC,
	    WANTS(WS(wb.facility, "CC-KWP-01"), WS(wb.ticket, "0153"),
		WS(wb.plate, "吉A5G217"), WS(wb.direction, "in"),
		WS(wb.waste, "msw.food"), WS(wb.origin, "朝阳区环卫所"),
		WS(wb.status, "complete"), WS(wb.manifest_no, NULL),
		WI(wb.version, 1), WI(wb.first_ms, INT64_C(1691388202000)),
		WI(wb.second_ms, INT64_C(1691389265000)),
		WN(wb.gross_kg, 18070), WN(wb.tare_kg, 13320),
		WN(wb.net_kg, 4750), WDQ(0)) },
	/* 23:59 +08:00 */
	{ EV_FACILITY_STATUS, NULL, FST_TOPIC,
	    WANTS(WS(fst.facility, "CC-KWP-01"), WS(fst.state, "open"),
		WI(fst.ts_ms, INT64_C(1691423940000)),
		WN(fst.inventory_kg, 1200), WN(fst.throughput_kg, 412000),
		WS(fst.extra_json, NULL), WDQ(0)) },
	/* 09:13:05 +08:00 */
	{ EV_MANIFEST, NULL, MAN_TOPIC,
	    WANTS(WS(man.scheme, "CN_HW"),
		WS(man.manifest_no, "20232201000153"),
		WS(man.status, "in_transit"), WS(man.plate, "吉A02851D"),
		WI(man.version, 3), WI(man.ts_ms, INT64_C(1691370785000)),
		WS(man.generator_code, "91220101MA0XXXXXX1"),
		WS(man.generator_name, "长春某汽车零部件有限公司"),
		WS(man.generator_district, "绿园区"),
		WS(man.carrier_name, "吉林某危险货物运输有限公司"),
		WS(man.receiver_facility, "CC-HW-01"),
		WS(man.receiver_name, "长春某危险废物处置中心"),
		WZ(man.ntickets, 0), WZ(man.nlines, 1), LI(0, line, 1),
		LS(0, waste_code, "900-249-08"), LS(0, hw_category, "HW08"),
		LS(0, waste, "hw"), LS(0, unit, "t"), LN(0, qty, 1.2),
		LNE(0, qty_kg, 1200, 1e-6), WDQ(0)) },
};

/* The example e is, or -1. */
static int
example_of(const struct ev *e)
{
	size_t i;

	for (i = 0; i < NELEM(examples); i++)
		if (examples[i].kind == e->kind &&
		    (examples[i].type == NULL ||
			(e->u.vev.type != NULL &&
			    strcmp(e->u.vev.type, examples[i].type) == 0)))
			return (int)i;
	return -1;
}

/* Path of wastetrack.tsv: argv[1], else $WT_FIXTURES/payloads/... */
static int
tsv_path(int argc, char **argv, char *out, size_t n)
{
	const char *shared;
	int len;

	if (argc > 1 && access(argv[1], R_OK) == 0) {
		len = snprintf(out, n, "%s", argv[1]);
		return len > 0 && (size_t)len < n ? 0 : -1;
	}
	if ((shared = getenv("WT_FIXTURES")) == NULL || *shared == '\0')
		return -1;
	len = snprintf(out, n, "%s/payloads/wastetrack.tsv", shared);
	if (len <= 0 || (size_t)len >= n || access(out, R_OK) == -1)
		return -1;
	return 0;
}

static void
test_examples(int argc, char **argv)
{
	char path[4096], *line = NULL, *topic, *tab;
	size_t cap = 0, nlines = 0;
	int seen[NELEM(examples)] = { 0 }, k;
	struct decode_err err;
	struct ev e;
	FILE *fp;

	if (tsv_path(argc, argv, path, sizeof(path)) == -1) {
		fprintf(stderr,
		    "test_native: no wastetrack.tsv: give its path "
		    "or set WT_FIXTURES\n");
		CHECK(!"wastetrack.tsv found");
		return;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		CHECK(!"wastetrack.tsv readable");
		return;
	}
	while (tsv_next(fp, &line, &cap, &topic, &tab)) {
		nlines++;
		if (tab == NULL)
			continue;
		memset(&err, 0, sizeof(err));
		CHECK_INT(decode_one(topic, tab, strlen(tab), &ctx, &e, &err),
		    0);
		CHECK_STR(err.reason, NULL);
		if ((k = example_of(&e)) == -1) {
			fprintf(stderr, "  %s %s: %s: %s\n", topic, tab,
			    err.reason ? err.reason : "(null)", err.detail);
			CHECK(!"known kind");
		} else {
			CHECK_STR(topic, examples[k].topic);
			want_check(&e, examples[k].want, topic);
			seen[k]++;
		}
		ev_reset(&e);
	}
	free(line);
	fclose(fp);
	CHECK_INT(nlines, NELEM(examples));
	for (k = 0; k < (int)NELEM(examples); k++)
		CHECK_INT(seen[k], 1);
}

#define POS_OK                                                                 \
	"\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":43.88,"                  \
	"\"lon\":125.31"
#define WB_OK                                                                  \
	"\"ticket\":\"0153\",\"plate\":\"吉A5G217\","                         \
	"\"direction\":\"in\",\"first_ts\":1691388202000,"                     \
	"\"waste\":\"msw.food\",\"status\":\"open\""
#define MAN_OK                                                                 \
	"\"scheme\":\"CN_HW\",\"status\":\"created\","                         \
	"\"ts\":1691370785000"
#define EV_OK "\"type\":\"load\",\"ts\":1691370720000,\"waste\":\"mw\""
#define LINE  "\"lines\":[{\"line\":1,\"waste\":\"hw\",\"qty\":1.2"

/* A weighing with these gross, tare, net and status members. */
#define NET(fields, ...)                                                       \
	ACC(WB_TOPIC,                                                          \
	    "{\"ticket\":\"0153\",\"plate\":\"吉A5G217\","                    \
	    "\"direction\":\"in\",\"first_ts\":1691388202000,"                 \
	    "\"waste\":\"msw.food\"," fields "}",                              \
	    EV_WEIGHING, __VA_ARGS__)

static const struct ncase cases[] = {
	/* ---- rejected ---- */

	/* not JSON */
	REJ(POS_TOPIC, "{\"ts\":", "bad_json"),
	REJ(POS_TOPIC, "not json", "bad_json"),
	REJ(POS_TOPIC, "", "bad_json"),
	REJ(POS_TOPIC, "{" POS_OK ",\"lat\":1}", "bad_json"), /* dup key */
	/* wrong JSON types */
	REJ(POS_TOPIC, "[1,2]", "bad_type"),
	REJ(POS_TOPIC,
	    "{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":"
	    "\"43.88\",\"lon\":125.31}",
	    "bad_type"),
	REJ(POS_TOPIC, "{" POS_OK ",\"speed_kmh\":\"32.5\"}", "bad_type"),
	REJ(POS_TOPIC, "{" POS_OK ",\"plate\":5}", "bad_type"),
	REJ(POS_TOPIC, "{\"ts\":true,\"lat\":43.88,\"lon\":125.31}",
	    "bad_type"),
	REJ(MAN_TOPIC, "{" MAN_OK ",\"version\":1,\"lines\":{}}", "bad_type"),
	REJ(MAN_TOPIC, "{" MAN_OK ",\"version\":1,\"generator\":\"x\"}",
	    "bad_type"),
	/* required fields */
	REJ(POS_TOPIC, "{\"lat\":43.88,\"lon\":125.31}", "missing_field"),
	REJ(POS_TOPIC, "{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lon\":125.31}",
	    "missing_field"),
	REJ(POS_TOPIC, "{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":43.88}",
	    "missing_field"),
	REJ(WB_TOPIC,
	    "{\"plate\":\"吉A5G217\",\"direction\":\"in\","
	    "\"first_ts\":1691388202000,\"waste\":\"msw.food\","
	    "\"status\":\"open\"}",
	    "missing_field"),
	REJ(WB_TOPIC,
	    "{\"ticket\":\"0153\",\"direction\":\"in\","
	    "\"first_ts\":1691388202000,\"waste\":\"msw.food\","
	    "\"status\":\"open\"}",
	    "missing_field"),
	REJ(MAN_TOPIC, "{" MAN_OK "}", "missing_field"),
	REJ(EV_TOPIC, "{\"type\":\"load\",\"ts\":1691370720000}",
	    "missing_field"),
	REJ(EV_TOPIC,
	    "{\"type\":\"load\",\"ts\":1691370720000,\"waste\":\"-\"}",
	    "missing_field"),
	/* times */
	REJ(POS_TOPIC,
	    "{\"ts\":\"2023-02-30T00:00:00Z\",\"lat\":43.88,"
	    "\"lon\":125.31}",
	    "bad_time"),
	REJ(POS_TOPIC, "{\"ts\":\"yesterday\",\"lat\":43.88,\"lon\":125.31}",
	    "bad_time"),
	REJ(POS_TOPIC, "{\"ts\":0,\"lat\":43.88,\"lon\":125.31}", "bad_time"),
	REJ(POS_TOPIC,
	    "{\"ts\":\"2099-01-01T00:00:00Z\",\"lat\":43.88,"
	    "\"lon\":125.31}",
	    "future_ts"),
	REJ(WB_TOPIC, "{" WB_OK ",\"second_ts\":\"2099-01-01T00:00:00Z\"}",
	    "future_ts"),
	/* topics that are no kind of the dialect */
	REJ("wt/v1/foo/bar", "{}", "unknown_kind"),
	REJ("wt/v1/vehicles//position", "{" POS_OK "}", "unknown_kind"),
	REJ("wt/v1/vehicles/KW-0217/position/x", "{" POS_OK "}",
	    "unknown_kind"),
	/* values outside their domain */
	REJ(WB_TOPIC,
	    "{\"ticket\":\"0153\",\"plate\":\"吉A5G217\","
	    "\"direction\":\"up\",\"first_ts\":1691388202000,"
	    "\"waste\":\"msw.food\",\"status\":\"open\"}",
	    "bad_value"),
	REJ(WB_TOPIC,
	    "{\"ticket\":\"0153\",\"plate\":\"吉A5G217\","
	    "\"direction\":\"in\",\"first_ts\":1691388202000,"
	    "\"waste\":\"msw.food\",\"status\":\"weighed\"}",
	    "bad_value"),
	REJ(POS_TOPIC, "{" POS_OK ",\"load_state\":\"brim\"}", "bad_value"),
	REJ(POS_TOPIC, "{" POS_OK ",\"speed_kmh\":-1}", "bad_value"),
	REJ(POS_TOPIC, "{" POS_OK ",\"heading_deg\":360}", "bad_value"),
	REJ(WB_TOPIC, "{" WB_OK ",\"version\":0}", "bad_value"),
	REJ(WB_TOPIC, "{" WB_OK ",\"version\":1.5}", "bad_value"),
	REJ(EV_TOPIC,
	    "{\"type\":\"teleport\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\"}",
	    "bad_value"),
	REJ(EV_TOPIC,
	    "{\"type\":\"load\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\",\"mass_kg\":-5}",
	    "bad_value"),
	/* counts of containers: a unit of the list, a whole count >= 0,
	 * and a count needs its unit */
	REJ(EV_TOPIC, "{" EV_OK ",\"count\":3,\"count_unit\":\"sack\"}",
	    "bad_value"),
	REJ(EV_TOPIC, "{" EV_OK ",\"count\":-1,\"count_unit\":\"bag\"}",
	    "bad_value"),
	REJ(EV_TOPIC, "{" EV_OK ",\"count\":2.5,\"count_unit\":\"bag\"}",
	    "bad_value"),
	REJ(EV_TOPIC, "{" EV_OK ",\"count\":1e12,\"count_unit\":\"bag\"}",
	    "bad_value"),
	REJ(EV_TOPIC, "{" EV_OK ",\"count\":\"3\",\"count_unit\":\"bag\"}",
	    "bad_type"),
	REJ(EV_TOPIC, "{" EV_OK ",\"count\":3}", "missing_field"),
	REJ(MAN_TOPIC, "{" MAN_OK ",\"version\":0}", "bad_value"),
	REJ(MAN_TOPIC, "{" MAN_OK ",\"version\":1,\"status\":\"lost\"}",
	    "bad_json"), /* MAN_OK has status already: duplicate key */
	REJ(MAN_TOPIC,
	    "{\"scheme\":\"CN_HW\",\"status\":\"lost\","
	    "\"ts\":1691370785000,\"version\":1}",
	    "bad_value"),
	REJ(MAN_TOPIC,
	    "{" MAN_OK ",\"version\":1," LINE ",\"unit\":\"t\","
	    "\"waste_code\":\"HW09/900-249-08\"}]}",
	    "bad_value"),
	/* units */
	REJ(MAN_TOPIC, "{" MAN_OK ",\"version\":1," LINE "}]}", "bad_unit"),
	REJ(MAN_TOPIC,
	    "{" MAN_OK ",\"version\":1," LINE ",\"unit\":"
	    "\"furlong\"}]}",
	    "bad_unit"),
	REJ(MAN_TOPIC, "{" MAN_OK ",\"version\":1," LINE ",\"unit\":\"\"}]}",
	    "bad_unit"),

	/* ---- accepted, with data-quality findings ---- */
	/* out-of-range coordinates are kept as unknown, flagged */
	ACC(POS_TOPIC, "{\"ts\":1691388178000,\"lat\":95,\"lon\":125.31}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID),
	    WI(pos.ts_ms, INT64_C(1691388178000))),
	ACC(POS_TOPIC, "{\"ts\":1691388178000,\"lat\":43.88,\"lon\":-181}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID),
	    WI(pos.ts_ms, INT64_C(1691388178000))),
	ACC(POS_TOPIC, "{\"ts\":1691388178000,\"lat\":0,\"lon\":0}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID),
	    WI(pos.ts_ms, INT64_C(1691388178000))),
	ACC(POS_TOPIC, "{\"ts\":1691388178000,\"lat\":null,\"lon\":125.31}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID),
	    WI(pos.ts_ms, INT64_C(1691388178000))),
	/* a count of containers besides the mass; none: -1 and no unit,
	 * and a unit without a count says nothing */
	ACC(EV_TOPIC,
	    "{" EV_OK ",\"mass_kg\":14.5,\"count\":3,"
	    "\"count_unit\":\"box\"}",
	    EV_VEHICLE_EVENT, WI(vev.count, 3), WS(vev.count_unit, "box"),
	    WN(vev.mass_kg, 14.5)),
	ACC(EV_TOPIC, "{" EV_OK ",\"count\":0,\"count_unit\":\"bin\"}",
	    EV_VEHICLE_EVENT, WI(vev.count, 0), WS(vev.count_unit, "bin")),
	ACC(EV_TOPIC, "{" EV_OK ",\"count\":null,\"count_unit\":\"bag\"}",
	    EV_VEHICLE_EVENT, WI(vev.count, -1), WS(vev.count_unit, NULL)),
	ACC(EV_TOPIC, "{" EV_OK "}", EV_VEHICLE_EVENT, WI(vev.count, -1),
	    WS(vev.count_unit, NULL)),
	/* optional coordinates of an event: absent is not invalid */
	ACC(EV_TOPIC,
	    "{\"type\":\"load\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\"}",
	    EV_VEHICLE_EVENT, WNAN(vev.lat), WNAN(vev.lon), WNAN(vev.mass_kg),
	    WDQ(0)),
	ACC(EV_TOPIC,
	    "{\"type\":\"load\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\",\"lat\":91,\"lon\":125}",
	    EV_VEHICLE_EVENT, WNAN(vev.lat), WNAN(vev.lon),
	    WDQ(DQ_COORD_INVALID)),

	/* naive local time in the configured offset */
	ACC(POS_TOPIC,
	    "{\"ts\":\"2023-08-07 14:02:58\","
	    "\"lat\":43.883412,\"lon\":125.314567}",
	    EV_POSITION, WI(pos.ts_ms, INT64_C(1691388178000)),
	    WDQ(DQ_TZ_ASSUMED)),
	/* epoch seconds and milliseconds, UTC designator */
	ACC(POS_TOPIC,
	    "{\"ts\":1691388178,\"lat\":43.88,"
	    "\"lon\":125.31}",
	    EV_POSITION, WI(pos.ts_ms, INT64_C(1691388178000)), WDQ(0)),
	ACC(POS_TOPIC,
	    "{\"ts\":\"2023-08-07T06:02:58Z\","
	    "\"lat\":43.88,\"lon\":125.31}",
	    EV_POSITION, WI(pos.ts_ms, INT64_C(1691388178000))),
	/* an open ticket has no second time */
	ACC(WB_TOPIC, "{" WB_OK "}", EV_WEIGHING, WI(wb.second_ms, WT_NOTIME),
	    WI(wb.version, -1), WNAN(wb.gross_kg), WNAN(wb.tare_kg),
	    WNAN(wb.net_kg)),

	/* plates are folded, separators dropped */
	ACC(POS_TOPIC, "{" POS_OK ",\"plate\":\"吉a·5g217\"}", EV_POSITION,
	    WS(pos.plate, "吉A5G217"), WDQ_CLEAR(DQ_PLATE_INVALID)),
	ACC(POS_TOPIC, "{" POS_OK ",\"plate\":\"吉Ａ ５Ｇ２１７\"}",
	    EV_POSITION, WS(pos.plate, "吉A5G217")),
	/* waste synonyms; unknown names are not guessed */
	ACC(EV_TOPIC,
	    "{\"type\":\"unload\",\"ts\":1691388760000,"
	    "\"waste\":\"厨余垃圾\"}",
	    EV_VEHICLE_EVENT, WS(vev.waste, "msw.food")),
	ACC(EV_TOPIC,
	    "{\"type\":\"unload\",\"ts\":1691388760000,"
	    "\"waste\":\"foo\"}",
	    EV_VEHICLE_EVENT, WS(vev.waste, "unknown")),

	/* net derived from gross and tare once complete */
	NET("\"gross_kg\":18070,\"tare_kg\":13320,\"status\":\"complete\"",
	    WN(wb.net_kg, 4750), WDQ(0)),
	/* an open ticket gets no derived net */
	NET("\"gross_kg\":18070,\"tare_kg\":13320,\"status\":\"open\"",
	    WNAN(wb.net_kg), WDQ(0)),
	/* within 20 kg is consistent, beyond is a mismatch; both kept */
	NET("\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4770,"
	    "\"status\":\"complete\"",
	    WN(wb.net_kg, 4770), WDQ(0)),
	NET("\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4771,"
	    "\"status\":\"complete\"",
	    WN(wb.net_kg, 4771), WDQ(DQ_NET_MISMATCH)),
	NET("\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4700,"
	    "\"status\":\"complete\"",
	    WN(wb.net_kg, 4700), WDQ(DQ_NET_MISMATCH)),
	/* tare above gross */
	NET("\"gross_kg\":13320,\"tare_kg\":18070,\"status\":\"complete\"",
	    WN(wb.net_kg, -4750), WDQ(DQ_NET_NEGATIVE)),
	NET("\"gross_kg\":13320,\"tare_kg\":18070,\"net_kg\":4750,"
	    "\"status\":\"complete\"",
	    WN(wb.net_kg, 4750), WDQ(DQ_NET_NEGATIVE)),
	NET("\"net_kg\":-10,\"status\":\"complete\"", WN(wb.net_kg, -10),
	    WDQ(DQ_NET_NEGATIVE)),
	/* only net */
	NET("\"net_kg\":4750,\"status\":\"complete\"", WN(wb.net_kg, 4750),
	    WDQ(0)),
	/* implausible scale readings are flagged, not rejected */
	NET("\"gross_kg\":250000,\"tare_kg\":13320,\"net_kg\":236680,"
	    "\"status\":\"complete\"",
	    WN(wb.net_kg, 236680), WDQ(DQ_IMPLAUSIBLE_WEIGHT)),

	/* facilities report more than is modelled: kept as JSON */
	ACC(FST_TOPIC,
	    "{\"ts\":\"2023-08-07T23:59:00+08:00\","
	    "\"state\":\"open\",\"lines_running\": 2}",
	    EV_FACILITY_STATUS, WS(fst.state, "open"),
	    WS(fst.extra_json, "{\"lines_running\":2}"), WNAN(fst.inventory_kg),
	    WNAN(fst.throughput_kg)),
	ACC(FST_TOPIC,
	    "{\"ts\":1691423940000,\"state\":\"open\","
	    "\"inventory_kg\":1200,\"alarm\":{\"code\":\"T1\",\"on\":true},"
	    "\"note\":\"炉温\\\"正常\\\"\"}",
	    EV_FACILITY_STATUS,
	    WS(fst.extra_json,
		"{\"alarm\":{\"code\":\"T1\",\"on\":true},"
		"\"note\":\"炉温\\\"正常\\\"\"}"),
	    WN(fst.inventory_kg, 1200)),

	/* lines numbered by position when "line" is absent; kg and 吨 */
	ACC(MAN_TOPIC,
	    "{" MAN_OK ",\"version\":2,"
	    "\"lines\":[{\"waste\":\"hw\",\"qty\":350,\"unit\":\"kg\","
	    "\"waste_code\":\"90024908\"},{\"waste\":\"危险废物\",\"qty\":0.5,"
	    "\"unit\":\"吨\"},{\"waste\":\"hw\"}],\"tickets\":["
	    "{\"facility\":\"CC-HW-01\",\"ticket\":\"0007\"}]}",
	    EV_MANIFEST, WI(man.version, 2), WS(man.status, "created"),
	    WS(man.plate, NULL), WS(man.generator_code, NULL),
	    WS(man.receiver_facility, NULL), WZ(man.nlines, 3), LI(0, line, 1),
	    LS(0, waste_code, "900-249-08"), LS(0, hw_category, "HW08"),
	    LN(0, qty_kg, 350), LI(1, line, 2), LS(1, waste, "hw"),
	    LS(1, waste_code, NULL), LN(1, qty_kg, 500), LI(2, line, 3),
	    LNAN(2, qty), LNAN(2, qty_kg), WZ(man.ntickets, 1),
	    TKS(0, facility, "CC-HW-01"), TKS(0, ticket, "0007")),
	/* no lines at all */
	ACC(MAN_TOPIC, "{" MAN_OK ",\"version\":1}", EV_MANIFEST,
	    WZ(man.nlines, 0), WZ(man.ntickets, 0)),
};

/* Decode case c; one check for the decoder contract (decode_one), then
 * the outcome, then every wanted field. */
static void
run_case(const struct ncase *c)
{
	struct decode_err err;
	char what[64];
	struct ev e;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = decode_one(c->topic, c->payload, strlen(c->payload), &ctx, &e,
	    &err);
	snprintf(what, sizeof(what), "%s:%d", __FILE__, c->line);
	if (c->reason == NULL) {
		CHECK_INT(rc, 0);
		if (rc != 0) {
			fprintf(stderr, "%s: %s %s: %s: %s\n", what, c->topic,
			    c->payload, err.reason ? err.reason : "(null)",
			    err.detail);
			return;
		}
		CHECK_INT(e.kind, c->kind);
		want_check(&e, c->want, what);
		ev_reset(&e);
		return;
	}
	CHECK_INT(rc, -1);
	CHECK_STR(err.reason, c->reason);
	if (rc != -1 || err.reason == NULL ||
	    strcmp(err.reason, c->reason) != 0)
		fprintf(stderr, "%s: %s %s: %s: %s\n", what, c->topic,
		    c->payload, err.reason ? err.reason : "(null)", err.detail);
	CHECK(err.detail[0] != '\0');
	/* nothing appended on failure: nothing left to free */
	CHECK_INT(e.kind, EV_NONE);
	CHECK(e.arena == NULL);
	if (rc == 0)
		ev_reset(&e);
}

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		run_case(&cases[i]);
}

/* Empty-ish optional strings are NULL, never "". */
static const char *const empty[] = { "\"\"", "\"-\"", "\"无\"", "null",
	"\"N/A\"" };

static void
test_empty(void)
{
	char buf[512];
	size_t i;

	for (i = 0; i < NELEM(empty); i++) {
		struct ncase c[3] = {
			ACC(POS_TOPIC, buf, EV_POSITION, WS(pos.device, NULL),
			    WS(pos.plate, NULL), WS(pos.load_state, NULL)),
			ACC(EV_TOPIC, buf, EV_VEHICLE_EVENT, WS(vev.site, NULL),
			    WS(vev.facility, NULL), WS(vev.manifest_no, NULL),
			    WS(vev.plate, NULL)),
			ACC(WB_TOPIC, buf, EV_WEIGHING, WS(wb.plate, NULL),
			    WS(wb.origin, NULL)),
		};

		snprintf(buf, sizeof(buf),
		    "{" POS_OK ",\"device\":%s,"
		    "\"plate\":%s,\"load_state\":%s}",
		    empty[i], empty[i], empty[i]);
		run_case(&c[0]);
		snprintf(buf, sizeof(buf),
		    "{\"type\":\"load\","
		    "\"ts\":1691370720000,\"waste\":\"msw.food\",\"site\":%s,"
		    "\"facility\":%s,\"manifest_no\":%s}",
		    empty[i], empty[i], empty[i]);
		run_case(&c[1]);
		snprintf(buf, sizeof(buf),
		    "{\"ticket\":\"0153\",\"plate\":%s,"
		    "\"direction\":\"in\",\"first_ts\":1691388202000,"
		    "\"waste\":\"msw.food\",\"status\":\"open\","
		    "\"origin\":%s}",
		    empty[i], empty[i]);
		run_case(&c[2]);
	}
}

/* What the table cannot say: lengths, bare scalars, the clock. */
static void
test_bounds(void)
{
	const char buf[] = "{" POS_OK "}garbage";
	struct decode_err err;
	struct decode_ctx c2 = ctx;
	struct ev e;

	/* the payload length bounds the parse: no NUL needed */
	CHECK_INT(decode_one(POS_TOPIC, buf, strlen(buf) - 7, &ctx, &e, &err),
	    0);
	CHECK_INT(e.kind, EV_POSITION);
	ev_reset(&e);
	CHECK_INT(decode_one(POS_TOPIC, buf, strlen(buf), &ctx, &e, &err), -1);
	CHECK_STR(err.reason, "bad_json");
	/*
	 * A bare scalar is valid JSON of the wrong type, but json_parse()
	 * takes only an object or an array at the top: either code will do,
	 * as long as it is rejected.
	 */
	CHECK_INT(decode_one(POS_TOPIC, "\"a string\"", 10, &ctx, &e, &err),
	    -1);
	CHECK(err.reason != NULL &&
	    (strcmp(err.reason, "bad_json") == 0 ||
		strcmp(err.reason, "bad_type") == 0));
	CHECK_INT(decode_one(POS_TOPIC, "42", 2, &ctx, &e, &err), -1);
	CHECK(err.reason != NULL &&
	    (strcmp(err.reason, "bad_json") == 0 ||
		strcmp(err.reason, "bad_type") == 0));
	/* within the future tolerance is accepted */
	c2.received_ms = INT64_C(1691388178000) - 299000;
	CHECK_INT(decode_one(POS_TOPIC, "{" POS_OK "}", strlen("{" POS_OK "}"),
		      &c2, &e, &err),
	    0);
	ev_reset(&e);
	c2.received_ms = INT64_C(1691388178000) - 301000;
	CHECK_INT(decode_one(POS_TOPIC, "{" POS_OK "}", strlen("{" POS_OK "}"),
		      &c2, &e, &err),
	    -1);
	CHECK_STR(err.reason, "future_ts");
}

/* The decoder appends: events already in the list stay, before it. */
static void
test_append(void)
{
	struct ev_list l = { NULL, 0, 0 };
	struct decode_err err;
	const char *p = "{" POS_OK "}";

	CHECK_INT(native_decode(POS_TOPIC, p, strlen(p), &ctx, &l, &err), 0);
	CHECK_INT(native_decode(EV_TOPIC, p, strlen(p), &ctx, &l, &err), -1);
	CHECK_INT(l.n, 1);
	CHECK_INT(native_decode(WB_TOPIC, "{" WB_OK "}", strlen("{" WB_OK "}"),
		      &ctx, &l, &err),
	    0);
	CHECK_INT(l.n, 2);
	if (l.n == 2) {
		CHECK_INT(l.ev[0].kind, EV_POSITION);
		CHECK_INT(l.ev[1].kind, EV_WEIGHING);
		CHECK_STR(l.ev[1].u.wb.ticket, "0153");
	}
	ev_list_free(&l);
}

int
main(int argc, char **argv)
{
	test_examples(argc, argv);
	test_cases();
	test_empty();
	test_bounds();
	test_append();
	return check_result("test_native");
}
