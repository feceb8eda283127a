/*
 * test_native: lib/native.c against the wastetrack dialect and its
 * examples in shared/payloads: every example of wastetrack.tsv decodes to
 * what expected.md says, bad input is rejected with its reason code,
 * data-quality findings are flagged.
 * Usage: test_native [wastetrack.tsv]; without an argument the file is
 * $WT_SHARED/payloads/wastetrack.tsv.
 */
#include "check.h"
#include "tsv.h"
#include "event.h"
#include "native.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define EPS		1e-9

#define POS_TOPIC	"wt/v1/vehicles/KW-0217/position"
#define EV_TOPIC	"wt/v1/vehicles/KW-0217/events"
#define WB_TOPIC	"wt/v1/facilities/CC-KWP-01/weighings"
#define FST_TOPIC	"wt/v1/facilities/CC-KWP-01/status"
#define MAN_TOPIC	"wt/v1/manifests/20232201000153"

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
		*e = l.ev[0];		/* the arena moves with it */
		l.n = 0;
	}
	ev_list_free(&l);
	return rc;
}

static int
decode(const char *topic, const char *payload, struct ev *e,
    struct decode_err *err)
{
	int rc;

	memset(err, 0, sizeof(*err));
	rc = decode_one(topic, payload, strlen(payload), &ctx, e, err);
	if (rc != 0)
		fprintf(stderr, "  decode %s %s: %s: %s\n", topic, payload,
		    err->reason ? err->reason : "(null)", err->detail);
	return rc;
}

/* ---- the examples of shared/payloads/wastetrack.tsv ---- */

static void
check_position(const struct ev *e)
{
	const struct ev_position *p = &e->u.pos;

	CHECK_STR(p->vehicle, "KW-0217");
	CHECK_STR(p->device, "013912345678");
	CHECK_STR(p->plate, "吉A5G217");
	CHECK_STR(p->load_state, "full");
	CHECK_INT(p->ts_ms, INT64_C(1691388178000));
	CHECK_NEAR(p->lat, 43.883412, EPS);
	CHECK_NEAR(p->lon, 125.314567, EPS);
	CHECK_NEAR(p->speed_kmh, 32.5, EPS);
	CHECK_NEAR(p->heading_deg, 87, EPS);
	CHECK_NEAR(p->alt_m, 221, EPS);
	CHECK_INT(e->dq, 0);
}

static void
check_load(const struct ev *e)
{
	const struct ev_vehicle_event *v = &e->u.vev;

	CHECK_STR(v->type, "load");
	CHECK_STR(v->vehicle, "KW-0217");
	CHECK_STR(v->plate, "吉A5G217");
	CHECK_STR(v->site, "CY-XQ-0031");
	CHECK_STR(v->facility, NULL);
	CHECK_STR(v->waste, "msw.food");
	CHECK_STR(v->manifest_no, "KW20230807-0153");
	CHECK_INT(v->ts_ms, INT64_C(1691370720000));
	CHECK_NEAR(v->mass_kg, 4900, EPS);
	CHECK_NEAR(v->lat, 43.8612, EPS);
	CHECK_NEAR(v->lon, 125.3521, EPS);
	CHECK_INT(e->dq, 0);
}

static void
check_unload(const struct ev *e)
{
	const struct ev_vehicle_event *v = &e->u.vev;

	CHECK_STR(v->type, "unload");
	CHECK_STR(v->vehicle, "KW-0217");
	CHECK_STR(v->plate, "吉A5G217");
	CHECK_STR(v->site, NULL);
	CHECK_STR(v->facility, "CC-KWP-01");
	CHECK_STR(v->waste, "msw.food");
	CHECK_STR(v->manifest_no, "KW20230807-0153");
	CHECK_INT(v->ts_ms, INT64_C(1691388760000));
	CHECK_NEAR(v->mass_kg, 4750, EPS);
	CHECK(isnan(v->lat) && isnan(v->lon));
	CHECK_INT(e->dq, 0);
}

static void
check_weighing(const struct ev *e)
{
	const struct ev_weighing *w = &e->u.wb;

	CHECK_STR(w->facility, "CC-KWP-01");
	CHECK_STR(w->ticket, "0153");
	CHECK_STR(w->plate, "吉A5G217");
	CHECK_STR(w->direction, "in");
	CHECK_STR(w->waste, "msw.food");
	CHECK_STR(w->origin, "朝阳区环卫所");
	CHECK_STR(w->status, "complete");
	CHECK_STR(w->manifest_no, NULL);
	CHECK_INT(w->version, 1);
	CHECK_INT(w->first_ms, INT64_C(1691388202000));
	CHECK_INT(w->second_ms, INT64_C(1691389265000));
	CHECK_NEAR(w->gross_kg, 18070, EPS);
	CHECK_NEAR(w->tare_kg, 13320, EPS);
	CHECK_NEAR(w->net_kg, 4750, EPS);
	CHECK_INT(e->dq, 0);
}

static void
check_facility_status(const struct ev *e)
{
	const struct ev_facility_status *f = &e->u.fst;

	CHECK_STR(f->facility, "CC-KWP-01");
	CHECK_STR(f->state, "open");
	CHECK_INT(f->ts_ms, INT64_C(1691423940000));	/* 23:59 +08:00 */
	CHECK_NEAR(f->inventory_kg, 1200, EPS);
	CHECK_NEAR(f->throughput_kg, 412000, EPS);
	CHECK_STR(f->extra_json, NULL);
	CHECK_INT(e->dq, 0);
}

static void
check_manifest(const struct ev *e)
{
	const struct ev_manifest *m = &e->u.man;
	const struct ev_manifest_line *l = m->lines;

	CHECK_STR(m->scheme, "CN_HW");
	CHECK_STR(m->manifest_no, "20232201000153");
	CHECK_STR(m->status, "in_transit");
	CHECK_STR(m->plate, "吉A02851D");
	CHECK_INT(m->version, 3);
	CHECK_INT(m->ts_ms, INT64_C(1691370785000));	/* 09:13:05 +08:00 */
	CHECK_STR(m->generator_code, "91220101MA0XXXXXX1");
	CHECK_STR(m->generator_name, "长春某汽车零部件有限公司");
	CHECK_STR(m->generator_district, "绿园区");
	CHECK_STR(m->carrier_name, "吉林某危险货物运输有限公司");
	CHECK_STR(m->receiver_facility, "CC-HW-01");
	CHECK_STR(m->receiver_name, "长春某危险废物处置中心");
	CHECK_INT(m->ntickets, 0);
	CHECK_INT(m->nlines, 1);
	if (m->nlines != 1 || l == NULL)
		return;
	CHECK_INT(l->line, 1);
	CHECK_STR(l->waste_code, "900-249-08");
	CHECK_STR(l->hw_category, "HW08");
	CHECK_STR(l->waste, "hw");
	CHECK_STR(l->unit, "t");
	CHECK_NEAR(l->qty, 1.2, EPS);
	CHECK_NEAR(l->qty_kg, 1200, 1e-6);
	CHECK_INT(e->dq, 0);
}

/* Path of wastetrack.tsv: argv[1], else $WT_SHARED/payloads/... */
static int
tsv_path(int argc, char **argv, char *out, size_t n)
{
	const char *shared;
	int len;

	if (argc > 1 && access(argv[1], R_OK) == 0) {
		len = snprintf(out, n, "%s", argv[1]);
		return len > 0 && (size_t)len < n ? 0 : -1;
	}
	if ((shared = getenv("WT_SHARED")) == NULL || *shared == '\0')
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
	int seen[6] = { 0 }, k;
	struct decode_err err;
	struct ev e;
	FILE *fp;

	if (tsv_path(argc, argv, path, sizeof(path)) == -1) {
		fprintf(stderr, "test_native: no wastetrack.tsv: give its path "
		    "or set WT_SHARED\n");
		CHECK(!"wastetrack.tsv found");
		return;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		CHECK(!"wastetrack.tsv readable");
		return;
	}
	memset(&e, 0, sizeof(e));
	while (tsv_next(fp, &line, &cap, &topic, &tab)) {
		nlines++;
		if (tab == NULL)
			continue;
		CHECK_INT(decode(topic, tab, &e, &err), 0);
		CHECK_STR(err.reason, NULL);
		k = -1;
		switch (e.kind) {
		case EV_POSITION:
			CHECK_STR(topic, POS_TOPIC);
			check_position(&e);
			k = 0;
			break;
		case EV_VEHICLE_EVENT:
			CHECK_STR(topic, EV_TOPIC);
			if (e.u.vev.type != NULL &&
			    strcmp(e.u.vev.type, "load") == 0) {
				check_load(&e);
				k = 1;
			} else {
				check_unload(&e);
				k = 2;
			}
			break;
		case EV_WEIGHING:
			CHECK_STR(topic, WB_TOPIC);
			check_weighing(&e);
			k = 3;
			break;
		case EV_FACILITY_STATUS:
			CHECK_STR(topic, FST_TOPIC);
			check_facility_status(&e);
			k = 4;
			break;
		case EV_MANIFEST:
			CHECK_STR(topic, MAN_TOPIC);
			check_manifest(&e);
			k = 5;
			break;
		default:
			CHECK(!"known kind");
			break;
		}
		if (k >= 0)
			seen[k]++;
		ev_reset(&e);
	}
	free(line);
	fclose(fp);
	CHECK_INT(nlines, 6);
	for (k = 0; k < 6; k++)
		CHECK_INT(seen[k], 1);
}

/* ---- rejects ---- */

struct bad_case {
	const char *topic, *payload, *reason;
};

#define POS_OK		"\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":43.88," \
			"\"lon\":125.31"
#define WB_OK		"\"ticket\":\"0153\",\"plate\":\"吉A5G217\"," \
			"\"direction\":\"in\",\"first_ts\":1691388202000," \
			"\"waste\":\"msw.food\",\"status\":\"open\""
#define MAN_OK		"\"scheme\":\"CN_HW\",\"status\":\"created\"," \
			"\"ts\":1691370785000"
#define LINE		"\"lines\":[{\"line\":1,\"waste\":\"hw\",\"qty\":1.2"

static const struct bad_case bad_cases[] = {
	/* not JSON */
	{ POS_TOPIC, "{\"ts\":", "bad_json" },
	{ POS_TOPIC, "not json", "bad_json" },
	{ POS_TOPIC, "", "bad_json" },
	{ POS_TOPIC, "{" POS_OK ",\"lat\":1}", "bad_json" },	/* dup key */
	/* wrong JSON types */
	{ POS_TOPIC, "[1,2]", "bad_type" },
	{ POS_TOPIC, "{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":"
	    "\"43.88\",\"lon\":125.31}", "bad_type" },
	{ POS_TOPIC, "{" POS_OK ",\"speed_kmh\":\"32.5\"}", "bad_type" },
	{ POS_TOPIC, "{" POS_OK ",\"plate\":5}", "bad_type" },
	{ POS_TOPIC, "{\"ts\":true,\"lat\":43.88,\"lon\":125.31}",
	    "bad_type" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1,\"lines\":{}}", "bad_type" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1,\"generator\":\"x\"}",
	    "bad_type" },
	/* required fields */
	{ POS_TOPIC, "{\"lat\":43.88,\"lon\":125.31}", "missing_field" },
	{ POS_TOPIC, "{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lon\":125.31}",
	    "missing_field" },
	{ POS_TOPIC, "{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":43.88}",
	    "missing_field" },
	{ WB_TOPIC, "{\"plate\":\"吉A5G217\",\"direction\":\"in\","
	    "\"first_ts\":1691388202000,\"waste\":\"msw.food\","
	    "\"status\":\"open\"}", "missing_field" },
	{ WB_TOPIC, "{\"ticket\":\"0153\",\"direction\":\"in\","
	    "\"first_ts\":1691388202000,\"waste\":\"msw.food\","
	    "\"status\":\"open\"}", "missing_field" },
	{ MAN_TOPIC, "{" MAN_OK "}", "missing_field" },
	{ EV_TOPIC, "{\"type\":\"load\",\"ts\":1691370720000}",
	    "missing_field" },
	{ EV_TOPIC, "{\"type\":\"load\",\"ts\":1691370720000,\"waste\":\"-\"}",
	    "missing_field" },
	/* times */
	{ POS_TOPIC, "{\"ts\":\"2023-02-30T00:00:00Z\",\"lat\":43.88,"
	    "\"lon\":125.31}", "bad_time" },
	{ POS_TOPIC, "{\"ts\":\"yesterday\",\"lat\":43.88,\"lon\":125.31}",
	    "bad_time" },
	{ POS_TOPIC, "{\"ts\":0,\"lat\":43.88,\"lon\":125.31}", "bad_time" },
	{ POS_TOPIC, "{\"ts\":\"2099-01-01T00:00:00Z\",\"lat\":43.88,"
	    "\"lon\":125.31}", "future_ts" },
	{ WB_TOPIC, "{" WB_OK ",\"second_ts\":\"2099-01-01T00:00:00Z\"}",
	    "future_ts" },
	/* topics that are no kind of the dialect */
	{ "wt/v1/foo/bar", "{}", "unknown_kind" },
	{ "wt/v1/vehicles//position", "{" POS_OK "}", "unknown_kind" },
	{ "wt/v1/vehicles/KW-0217/position/x", "{" POS_OK "}",
	    "unknown_kind" },
	/* values outside their domain */
	{ WB_TOPIC, "{\"ticket\":\"0153\",\"plate\":\"吉A5G217\","
	    "\"direction\":\"up\",\"first_ts\":1691388202000,"
	    "\"waste\":\"msw.food\",\"status\":\"open\"}", "bad_value" },
	{ WB_TOPIC, "{\"ticket\":\"0153\",\"plate\":\"吉A5G217\","
	    "\"direction\":\"in\",\"first_ts\":1691388202000,"
	    "\"waste\":\"msw.food\",\"status\":\"weighed\"}", "bad_value" },
	{ POS_TOPIC, "{" POS_OK ",\"load_state\":\"brim\"}", "bad_value" },
	{ POS_TOPIC, "{" POS_OK ",\"speed_kmh\":-1}", "bad_value" },
	{ POS_TOPIC, "{" POS_OK ",\"heading_deg\":360}", "bad_value" },
	{ WB_TOPIC, "{" WB_OK ",\"version\":0}", "bad_value" },
	{ WB_TOPIC, "{" WB_OK ",\"version\":1.5}", "bad_value" },
	{ EV_TOPIC, "{\"type\":\"teleport\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\"}", "bad_value" },
	{ EV_TOPIC, "{\"type\":\"load\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\",\"mass_kg\":-5}", "bad_value" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":0}", "bad_value" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1,\"status\":\"lost\"}",
	    "bad_json" },	/* MAN_OK has status already: duplicate key */
	{ MAN_TOPIC, "{\"scheme\":\"CN_HW\",\"status\":\"lost\","
	    "\"ts\":1691370785000,\"version\":1}", "bad_value" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1," LINE ",\"unit\":\"t\","
	    "\"waste_code\":\"HW09/900-249-08\"}]}", "bad_value" },
	/* units */
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1," LINE "}]}", "bad_unit" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1," LINE ",\"unit\":"
	    "\"furlong\"}]}", "bad_unit" },
	{ MAN_TOPIC, "{" MAN_OK ",\"version\":1," LINE ",\"unit\":\"\"}]}",
	    "bad_unit" },
};

static void
test_rejects(void)
{
	const struct bad_case *c;
	struct decode_err err;
	struct ev e;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(bad_cases); i++) {
		c = &bad_cases[i];
		memset(&err, 0, sizeof(err));
		rc = decode_one(c->topic, c->payload, strlen(c->payload),
		    &ctx, &e, &err);
		CHECK_INT(rc, -1);
		CHECK_STR(err.reason, c->reason);
		if (rc != -1 || err.reason == NULL ||
		    strcmp(err.reason, c->reason) != 0)
			fprintf(stderr, "  case %zu: %s %s: %s: %s\n", i,
			    c->topic, c->payload, err.reason ? err.reason :
			    "(null)", err.detail);
		CHECK(err.detail[0] != '\0');
		/* nothing appended on failure: nothing left to free */
		CHECK_INT(e.kind, EV_NONE);
		CHECK(e.arena == NULL);
		if (rc == 0)
			ev_reset(&e);
	}
	/* the payload length bounds the parse: no NUL needed */
	{
		const char buf[] = "{" POS_OK "}garbage";

		CHECK_INT(decode_one(POS_TOPIC, buf, strlen(buf) - 7, &ctx,
		    &e, &err), 0);
		CHECK_INT(e.kind, EV_POSITION);
		ev_reset(&e);
		CHECK_INT(decode_one(POS_TOPIC, buf, strlen(buf), &ctx, &e,
		    &err), -1);
		CHECK_STR(err.reason, "bad_json");
	}
	/*
	 * A bare scalar is valid JSON of the wrong type, but json_parse()
	 * (jansson without JSON_DECODE_ANY) refuses it: either code will do,
	 * as long as it is rejected.
	 */
	CHECK_INT(decode_one(POS_TOPIC, "\"a string\"", 10, &ctx, &e,
	    &err), -1);
	CHECK(err.reason != NULL && (strcmp(err.reason, "bad_json") == 0 ||
	    strcmp(err.reason, "bad_type") == 0));
	CHECK_INT(decode_one(POS_TOPIC, "42", 2, &ctx, &e, &err), -1);
	CHECK(err.reason != NULL && (strcmp(err.reason, "bad_json") == 0 ||
	    strcmp(err.reason, "bad_type") == 0));
	/* within the future tolerance is accepted */
	{
		struct decode_ctx c2 = ctx;

		c2.received_ms = INT64_C(1691388178000) - 299000;
		CHECK_INT(decode_one(POS_TOPIC, "{" POS_OK "}",
		    strlen("{" POS_OK "}"), &c2, &e, &err), 0);
		ev_reset(&e);
		c2.received_ms = INT64_C(1691388178000) - 301000;
		CHECK_INT(decode_one(POS_TOPIC, "{" POS_OK "}",
		    strlen("{" POS_OK "}"), &c2, &e, &err), -1);
		CHECK_STR(err.reason, "future_ts");
	}
}

/* ---- accepted, with data-quality findings ---- */

static void
test_coords(void)
{
	static const char *const bad[] = {
		"{\"ts\":1691388178000,\"lat\":95,\"lon\":125.31}",
		"{\"ts\":1691388178000,\"lat\":43.88,\"lon\":-181}",
		"{\"ts\":1691388178000,\"lat\":0,\"lon\":0}",
		"{\"ts\":1691388178000,\"lat\":null,\"lon\":125.31}",
	};
	struct decode_err err;
	struct ev e;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		if (decode(POS_TOPIC, bad[i], &e, &err) != 0) {
			CHECK(!"out-of-range coordinates are kept");
			continue;
		}
		CHECK(isnan(e.u.pos.lat));
		CHECK(isnan(e.u.pos.lon));
		CHECK_INT(e.dq, DQ_COORD_INVALID);
		CHECK_INT(e.u.pos.ts_ms, INT64_C(1691388178000));
		ev_reset(&e);
	}
	/* optional coordinates of an event: absent is not invalid */
	CHECK_INT(decode(EV_TOPIC, "{\"type\":\"load\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\"}", &e, &err), 0);
	CHECK(isnan(e.u.vev.lat) && isnan(e.u.vev.lon));
	CHECK(isnan(e.u.vev.mass_kg));
	CHECK_INT(e.dq, 0);
	ev_reset(&e);
	CHECK_INT(decode(EV_TOPIC, "{\"type\":\"load\",\"ts\":1691370720000,"
	    "\"waste\":\"msw.food\",\"lat\":91,\"lon\":125}", &e, &err), 0);
	CHECK(isnan(e.u.vev.lat) && isnan(e.u.vev.lon));
	CHECK_INT(e.dq, DQ_COORD_INVALID);
	ev_reset(&e);
}

static void
test_times(void)
{
	struct decode_err err;
	struct ev e;

	/* naive local time in the configured offset */
	CHECK_INT(decode(POS_TOPIC, "{\"ts\":\"2023-08-07 14:02:58\","
	    "\"lat\":43.883412,\"lon\":125.314567}", &e, &err), 0);
	CHECK_INT(e.u.pos.ts_ms, INT64_C(1691388178000));
	CHECK_INT(e.dq, DQ_TZ_ASSUMED);
	ev_reset(&e);
	/* epoch seconds and milliseconds, UTC designator */
	CHECK_INT(decode(POS_TOPIC, "{\"ts\":1691388178,\"lat\":43.88,"
	    "\"lon\":125.31}", &e, &err), 0);
	CHECK_INT(e.u.pos.ts_ms, INT64_C(1691388178000));
	CHECK_INT(e.dq, 0);
	ev_reset(&e);
	CHECK_INT(decode(POS_TOPIC, "{\"ts\":\"2023-08-07T06:02:58Z\","
	    "\"lat\":43.88,\"lon\":125.31}", &e, &err), 0);
	CHECK_INT(e.u.pos.ts_ms, INT64_C(1691388178000));
	ev_reset(&e);
	/* an open ticket has no second time */
	CHECK_INT(decode(WB_TOPIC, "{" WB_OK "}", &e, &err), 0);
	CHECK_INT(e.u.wb.second_ms, WT_NOTIME);
	CHECK_INT(e.u.wb.version, -1);
	CHECK(isnan(e.u.wb.gross_kg) && isnan(e.u.wb.tare_kg) &&
	    isnan(e.u.wb.net_kg));
	ev_reset(&e);
}

static void
test_strings(void)
{
	static const char *const empty[] = { "\"\"", "\"-\"", "\"无\"",
	    "null", "\"N/A\"" };
	char buf[512];
	struct decode_err err;
	struct ev e;
	size_t i;

	/* plates are folded, separators dropped */
	CHECK_INT(decode(POS_TOPIC, "{" POS_OK ",\"plate\":\"吉a·5g217\"}", &e,
	    &err), 0);
	CHECK_STR(e.u.pos.plate, "吉A5G217");
	CHECK_INT(e.dq & DQ_PLATE_INVALID, 0);
	ev_reset(&e);
	CHECK_INT(decode(POS_TOPIC, "{" POS_OK ",\"plate\":\"吉Ａ ５Ｇ２１７\"}",
	    &e, &err), 0);
	CHECK_STR(e.u.pos.plate, "吉A5G217");
	ev_reset(&e);

	/* waste synonyms; unknown names are not guessed */
	CHECK_INT(decode(EV_TOPIC, "{\"type\":\"unload\",\"ts\":1691388760000,"
	    "\"waste\":\"厨余垃圾\"}", &e, &err), 0);
	CHECK_STR(e.u.vev.waste, "msw.food");
	ev_reset(&e);
	CHECK_INT(decode(EV_TOPIC, "{\"type\":\"unload\",\"ts\":1691388760000,"
	    "\"waste\":\"foo\"}", &e, &err), 0);
	CHECK_STR(e.u.vev.waste, "unknown");
	ev_reset(&e);

	/* empty-ish optional strings are NULL, never "" */
	for (i = 0; i < NELEM(empty); i++) {
		snprintf(buf, sizeof(buf), "{" POS_OK ",\"device\":%s,"
		    "\"plate\":%s,\"load_state\":%s}", empty[i], empty[i],
		    empty[i]);
		CHECK_INT(decode(POS_TOPIC, buf, &e, &err), 0);
		CHECK_STR(e.u.pos.device, NULL);
		CHECK_STR(e.u.pos.plate, NULL);
		CHECK_STR(e.u.pos.load_state, NULL);
		ev_reset(&e);
		snprintf(buf, sizeof(buf), "{\"type\":\"load\","
		    "\"ts\":1691370720000,\"waste\":\"msw.food\",\"site\":%s,"
		    "\"facility\":%s,\"manifest_no\":%s}", empty[i], empty[i],
		    empty[i]);
		CHECK_INT(decode(EV_TOPIC, buf, &e, &err), 0);
		CHECK_STR(e.u.vev.site, NULL);
		CHECK_STR(e.u.vev.facility, NULL);
		CHECK_STR(e.u.vev.manifest_no, NULL);
		CHECK_STR(e.u.vev.plate, NULL);
		ev_reset(&e);
		snprintf(buf, sizeof(buf), "{\"ticket\":\"0153\",\"plate\":%s,"
		    "\"direction\":\"in\",\"first_ts\":1691388202000,"
		    "\"waste\":\"msw.food\",\"status\":\"open\","
		    "\"origin\":%s}", empty[i], empty[i]);
		CHECK_INT(decode(WB_TOPIC, buf, &e, &err), 0);
		CHECK_STR(e.u.wb.plate, NULL);
		CHECK_STR(e.u.wb.origin, NULL);
		ev_reset(&e);
	}
}

struct net_case {
	const char *fields;		/* gross, tare, net, status */
	double net;			/* NaN: none */
	uint32_t dq;
};

static const struct net_case net_cases[] = {
	/* net derived from gross and tare once complete */
	{ "\"gross_kg\":18070,\"tare_kg\":13320,\"status\":\"complete\"",
	    4750, 0 },
	/* an open ticket gets no derived net */
	{ "\"gross_kg\":18070,\"tare_kg\":13320,\"status\":\"open\"",
	    NAN, 0 },
	/* within 20 kg is consistent, beyond is a mismatch; both kept */
	{ "\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4770,"
	    "\"status\":\"complete\"", 4770, 0 },
	{ "\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4771,"
	    "\"status\":\"complete\"", 4771, DQ_NET_MISMATCH },
	{ "\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4700,"
	    "\"status\":\"complete\"", 4700, DQ_NET_MISMATCH },
	/* tare above gross */
	{ "\"gross_kg\":13320,\"tare_kg\":18070,\"status\":\"complete\"",
	    -4750, DQ_NET_NEGATIVE },
	{ "\"gross_kg\":13320,\"tare_kg\":18070,\"net_kg\":4750,"
	    "\"status\":\"complete\"", 4750, DQ_NET_NEGATIVE },
	{ "\"net_kg\":-10,\"status\":\"complete\"", -10, DQ_NET_NEGATIVE },
	/* only net */
	{ "\"net_kg\":4750,\"status\":\"complete\"", 4750, 0 },
	/* implausible scale readings are flagged, not rejected */
	{ "\"gross_kg\":250000,\"tare_kg\":13320,\"net_kg\":236680,"
	    "\"status\":\"complete\"", 236680, DQ_IMPLAUSIBLE_WEIGHT },
};

static void
test_weighing_net(void)
{
	const struct net_case *c;
	struct decode_err err;
	char buf[512];
	struct ev e;
	size_t i;

	for (i = 0; i < NELEM(net_cases); i++) {
		c = &net_cases[i];
		snprintf(buf, sizeof(buf), "{\"ticket\":\"0153\",\"plate\":"
		    "\"吉A5G217\",\"direction\":\"in\",\"first_ts\":"
		    "1691388202000,\"waste\":\"msw.food\",%s}", c->fields);
		if (decode(WB_TOPIC, buf, &e, &err) != 0) {
			CHECK(!"weighing accepted");
			continue;
		}
		if (isnan(c->net))
			CHECK(isnan(e.u.wb.net_kg));
		else
			CHECK_NEAR(e.u.wb.net_kg, c->net, EPS);
		CHECK_INT(e.dq, c->dq);
		if (e.dq != c->dq)
			fprintf(stderr, "  net case %zu\n", i);
		ev_reset(&e);
	}
}

static void
test_facility_extra(void)
{
	struct decode_err err;
	struct ev e;

	CHECK_INT(decode(FST_TOPIC, "{\"ts\":\"2023-08-07T23:59:00+08:00\","
	    "\"state\":\"open\",\"lines_running\": 2}", &e, &err), 0);
	CHECK_STR(e.u.fst.state, "open");
	CHECK_STR(e.u.fst.extra_json, "{\"lines_running\":2}");
	CHECK(isnan(e.u.fst.inventory_kg) && isnan(e.u.fst.throughput_kg));
	ev_reset(&e);
	CHECK_INT(decode(FST_TOPIC, "{\"ts\":1691423940000,\"state\":\"open\","
	    "\"inventory_kg\":1200,\"alarm\":{\"code\":\"T1\",\"on\":true},"
	    "\"note\":\"炉温\\\"正常\\\"\"}", &e, &err), 0);
	CHECK_STR(e.u.fst.extra_json,
	    "{\"alarm\":{\"code\":\"T1\",\"on\":true},"
	    "\"note\":\"炉温\\\"正常\\\"\"}");
	CHECK_NEAR(e.u.fst.inventory_kg, 1200, EPS);
	ev_reset(&e);
}

static void
test_manifest_more(void)
{
	struct decode_err err;
	struct ev e;

	/* lines numbered by position when "line" is absent; kg and 吨 */
	CHECK_INT(decode(MAN_TOPIC, "{" MAN_OK ",\"version\":2,"
	    "\"lines\":[{\"waste\":\"hw\",\"qty\":350,\"unit\":\"kg\","
	    "\"waste_code\":\"90024908\"},{\"waste\":\"危险废物\",\"qty\":0.5,"
	    "\"unit\":\"吨\"},{\"waste\":\"hw\"}],\"tickets\":["
	    "{\"facility\":\"CC-HW-01\",\"ticket\":\"0007\"}]}", &e, &err), 0);
	CHECK_INT(e.kind, EV_MANIFEST);
	CHECK_INT(e.u.man.version, 2);
	CHECK_STR(e.u.man.status, "created");
	CHECK_STR(e.u.man.plate, NULL);
	CHECK_STR(e.u.man.generator_code, NULL);
	CHECK_STR(e.u.man.receiver_facility, NULL);
	CHECK_INT(e.u.man.nlines, 3);
	if (e.u.man.nlines == 3) {
		CHECK_INT(e.u.man.lines[0].line, 1);
		CHECK_STR(e.u.man.lines[0].waste_code, "900-249-08");
		CHECK_STR(e.u.man.lines[0].hw_category, "HW08");
		CHECK_NEAR(e.u.man.lines[0].qty_kg, 350, EPS);
		CHECK_INT(e.u.man.lines[1].line, 2);
		CHECK_STR(e.u.man.lines[1].waste, "hw");
		CHECK_STR(e.u.man.lines[1].waste_code, NULL);
		CHECK_NEAR(e.u.man.lines[1].qty_kg, 500, EPS);
		CHECK_INT(e.u.man.lines[2].line, 3);
		CHECK(isnan(e.u.man.lines[2].qty));
		CHECK(isnan(e.u.man.lines[2].qty_kg));
	}
	CHECK_INT(e.u.man.ntickets, 1);
	if (e.u.man.ntickets == 1) {
		CHECK_STR(e.u.man.tickets[0].facility, "CC-HW-01");
		CHECK_STR(e.u.man.tickets[0].ticket, "0007");
	}
	ev_reset(&e);
	/* no lines at all */
	CHECK_INT(decode(MAN_TOPIC, "{" MAN_OK ",\"version\":1}", &e, &err),
	    0);
	CHECK_INT(e.u.man.nlines, 0);
	CHECK_INT(e.u.man.ntickets, 0);
	ev_reset(&e);
}

int
main(int argc, char **argv)
{
	test_examples(argc, argv);
	test_rejects();
	test_coords();
	test_times();
	test_strings();
	test_weighing_net();
	test_facility_extra();
	test_manifest_more();
	return check_result("test_native");
}
