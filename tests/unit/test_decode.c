/*
 * test_decode: the declarative profile engine (lib/decode.c) against its
 * data-quality rules, one accepted and one refused (or flagged and
 * unflagged) case per rule, then every example of
 * shared/payloads in the four vendor dialects through the SHIPPED
 * profiles, against expected.md.
 *
 * Profiles are small YAML files written to a mkdtemp(3) directory, loaded
 * with config_load() and compiled with profile_compile(). The shipped
 * profiles are the *.yaml of $WT_SOURCE/conf/profiles (else
 * ../conf/profiles), the payloads $WT_SHARED/payloads (else
 * ../shared/payloads).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "decode.h"
#include "event.h"
#include "profile.h"
#include "tmpfiles.h"
#include "tsv.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define EPS		1e-9

/* received in 2027: every example of 2023 is in the past */
static const struct decode_ctx ctx = {
	.local_offset_min = 480,
	.received_ms = INT64_C(1800000000000),
	.future_tolerance_ms = 300000,
};

/* 14:02:58+08 and 14:03:22+08 on 2023-08-07 */
#define TS_POS		INT64_C(1691388178000)
#define TS_FIRST	INT64_C(1691388202000)

/* The events of the last decode, and why it failed. */
static struct ev_list evs;
static struct decode_err err;

/* ---- fixtures ---- */

struct fx {
	struct config *cfg;
	struct profile_set *set;
	const struct profile *p;	/* the first profile */
};

/* Load and compile text; 0, or -1 (reported) when it does not compile. */
static int
fx_load(struct fx *f, const char *text)
{
	const char *path = write_t("profile.yaml", text);
	char *errors = NULL;

	memset(f, 0, sizeof(*f));
	if (config_load(path, &f->cfg, &errors) != 0) {
		fprintf(stderr, "config_load:\n%s", errors ? errors : "?\n");
		free(errors);
		CHECK(!"config loads");
		return -1;
	}
	if (profile_compile(f->cfg, &f->set, &errors) != 0) {
		fprintf(stderr, "profile_compile:\n%s%s", errors ? errors :
		    "?\n", text);
		free(errors);
		config_free(f->cfg);
		f->cfg = NULL;
		CHECK(!"profile compiles");
		return -1;
	}
	CHECK(f->set->n > 0);
	f->p = f->set->n > 0 ? &f->set->p[0] : NULL;
	return f->p != NULL ? 0 : -1;
}

static void
fx_free(struct fx *f)
{
	profile_set_free(f->set);
	config_free(f->cfg);
	memset(f, 0, sizeof(*f));
}

/* Decode n bytes into evs (emptied first); returns decode_profile(). */
static int
decode_n(const struct profile *p, const char *topic, const char *payload,
    size_t n)
{
	ev_list_clear(&evs);
	memset(&err, 0, sizeof(err));
	return decode_profile(p, topic, payload, n, &ctx, &evs, &err);
}

/* Expect one event of this kind; returns it, or NULL (reported). */
static const struct ev *
ok(const struct profile *p, const char *topic, const char *payload,
    enum ev_kind kind, int line)
{
	int rc = decode_n(p, topic, payload, strlen(payload));

	if (rc != 0 || evs.n != 1 || evs.ev[0].kind != kind) {
		fprintf(stderr, "%s:%d: decode %s %s: rc %d, %zu events, %s: "
		    "%s\n", __FILE__, line, topic, payload, rc, evs.n,
		    err.reason ? err.reason : "(null)", err.detail);
		CHECK(!"decoded");
		return NULL;
	}
	CHECK(err.reason == NULL);
	return &evs.ev[0];
}
#define OK(p, topic, payload, kind)	ok(p, topic, payload, kind, __LINE__)

/* Expect a rejection with reason, nothing appended. */
static void
rej(const struct profile *p, const char *topic, const char *payload,
    const char *reason, int line)
{
	int rc = decode_n(p, topic, payload, strlen(payload));

	check_count++;
	if (rc != -1 || err.reason == NULL || strcmp(err.reason, reason) != 0
	    || evs.n != 0 || err.detail[0] == '\0') {
		check_failures++;
		fprintf(stderr, "%s:%d: decode %s %s: rc %d, %zu events, "
		    "reason %s (%s), want %s\n", __FILE__, line, topic,
		    payload, rc, evs.n, err.reason ? err.reason : "(null)",
		    err.detail, reason);
	}
}
#define REJ(p, topic, payload, reason) \
	rej(p, topic, payload, reason, __LINE__)

/* Metres between two WGS-84 points (haversine). */
static double
dist_m(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = 3.14159265358979323846 / 180, r = 6371008.8;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) *
	    cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

/* ---- weighings: numbers, empty values, times, net checks, JSON ---- */

static const char wb_profile[] =
    "profiles:\n"
    "  - name: wb\n"
    "    tables:\n"
    "      status: {\"0\": open, \"1\": complete, \"9\": void}\n"
    "    kinds:\n"
    "      - kind: weighing\n"
    "        topic: \"wb/{station}\"\n"
    "        fields:\n"
    "          facility: {topic: station}\n"
    "          ticket: bdh\n"
    "          plate: cph\n"
    "          direction: {value: in}\n"
    "          gross_kg: {path: mz, unit_path: dw}\n"
    "          tare_kg: {path: pz, unit_path: dw}\n"
    "          net_kg: {path: jz, unit_path: dw}\n"
    "          first_ts: t1\n"
    "          second_ts: t2\n"
    "          waste: hwmc\n"
    "          origin: lydw\n"
    "          status: {path: zt, map: status}\n"
    "          version: ver\n"
    "          manifest_no: ld\n";

#define WB	"wb/ST02"
#define WB_MIN	"\"bdh\":\"0153\",\"t1\":\"2023-08-07T14:03:22+08:00\""

static void
test_weighing(void)
{
	static const char *const empty[] = { "\"\"", "\"-\"", "\"null\"",
	    "\"NULL\"", "\"无\"", "\"N/A\"", "\"n/a\"", "null" };
	const struct profile *p;
	const struct ev *e;
	char buf[512];
	struct fx f;
	size_t i;

	if (fx_load(&f, wb_profile) == -1)
		return;
	p = f.p;

	/* exact values: numbers as strings, thousands separators */
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":\"18,070\","
	    "\"pz\":\"13 320\",\"jz\":4750,\"dw\":\"kg\",\"ver\":\"2\","
	    "\"cph\":\"吉A·5G217\",\"hwmc\":\"厨余垃圾\",\"lydw\":\"朝阳区环卫所\","
	    "\"t2\":\"2023-08-07T14:21:05+08:00\"}", EV_WEIGHING);
	if (e != NULL) {
		CHECK_STR(e->u.wb.facility, "ST02");
		CHECK_STR(e->u.wb.ticket, "0153");
		CHECK_STR(e->u.wb.plate, "吉A5G217");
		CHECK_STR(e->u.wb.direction, "in");
		CHECK_STR(e->u.wb.status, "complete");
		CHECK_STR(e->u.wb.waste, "msw.food");
		CHECK_STR(e->u.wb.origin, "朝阳区环卫所");
		CHECK_NEAR(e->u.wb.gross_kg, 18070, EPS);
		CHECK_NEAR(e->u.wb.tare_kg, 13320, EPS);
		CHECK_NEAR(e->u.wb.net_kg, 4750, EPS);
		CHECK_INT(e->u.wb.version, 2);
		CHECK_INT(e->u.wb.first_ms, TS_FIRST);
		CHECK_INT(e->u.wb.second_ms, INT64_C(1691389265000));
		CHECK_STR(e->u.wb.manifest_no, NULL);
		CHECK_INT(e->dq, 0);
	}
	/* a number that is not one */
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"ver\":\"two\"}", "bad_type");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"ver\":\"2x\"}", "bad_type");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":\"abc\"}", "bad_type");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"ver\":1.5}", "bad_value");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":-5}", "bad_value");

	/* empty-ish values are absent: NULL, never "" */
	for (i = 0; i < NELEM(empty); i++) {
		snprintf(buf, sizeof(buf), "{" WB_MIN ",\"zt\":\"0\","
		    "\"cph\":%s,\"lydw\":%s,\"ld\":%s,\"mz\":%s,\"ver\":%s,"
		    "\"hwmc\":%s,\"t2\":%s}", empty[i], empty[i], empty[i],
		    empty[i], empty[i], empty[i], empty[i]);
		if ((e = OK(p, WB, buf, EV_WEIGHING)) == NULL)
			continue;
		CHECK_STR(e->u.wb.plate, NULL);
		CHECK_STR(e->u.wb.origin, NULL);
		CHECK_STR(e->u.wb.manifest_no, NULL);
		CHECK_STR(e->u.wb.waste, NULL);
		CHECK(isnan(e->u.wb.gross_kg));
		CHECK_INT(e->u.wb.version, -1);
		CHECK_INT(e->u.wb.second_ms, WT_NOTIME);
		CHECK_INT(e->dq, 0);
	}
	/* ... but not values that merely look empty */
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"0\",\"lydw\":\"无锡\",\"ld\":\"0\","
	    "\"mz\":\"0\"}", EV_WEIGHING);
	if (e != NULL) {
		CHECK_STR(e->u.wb.origin, "无锡");
		CHECK_STR(e->u.wb.manifest_no, "0");
		CHECK_NEAR(e->u.wb.gross_kg, 0, EPS);
	}
	/* a required field given as "-" (or "", or null) is missing */
	REJ(p, WB, "{\"bdh\":\"-\",\"t1\":\"2023-08-07T14:03:22+08:00\","
	    "\"zt\":\"1\"}", "missing_field");
	REJ(p, WB, "{\"bdh\":\"\",\"t1\":\"2023-08-07T14:03:22+08:00\","
	    "\"zt\":\"1\"}", "missing_field");
	REJ(p, WB, "{\"bdh\":\"0153\",\"t1\":null,\"zt\":\"1\"}",
	    "missing_field");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"无\"}", "missing_field");
	REJ(p, WB, "{\"t1\":\"2023-08-07T14:03:22+08:00\",\"zt\":\"1\"}",
	    "missing_field");

	/* explicit unit in the payload */
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":\"18.07\","
	    "\"pz\":\"13.32\",\"dw\":\"吨\"}", EV_WEIGHING);
	if (e != NULL) {
		CHECK_NEAR(e->u.wb.gross_kg, 18070, EPS);
		CHECK_NEAR(e->u.wb.tare_kg, 13320, EPS);
		CHECK_NEAR(e->u.wb.net_kg, 4750, EPS);	/* derived */
		CHECK_INT(e->dq, 0);
	}

	/* times: naive local is assumed +08:00 and flagged; zoned is not */
	e = OK(p, WB, "{\"bdh\":\"0153\",\"t1\":\"2023-08-07 14:03:22\","
	    "\"zt\":\"0\"}", EV_WEIGHING);
	if (e != NULL) {
		CHECK_INT(e->u.wb.first_ms, TS_FIRST);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
	}
	e = OK(p, WB, "{\"bdh\":\"0153\",\"t1\":\"2023-08-07T06:03:22Z\","
	    "\"zt\":\"0\"}", EV_WEIGHING);
	if (e != NULL) {
		CHECK_INT(e->u.wb.first_ms, TS_FIRST);
		CHECK_INT(e->dq, 0);
	}
	e = OK(p, WB, "{\"bdh\":\"0153\",\"t1\":1691388202000,\"zt\":\"0\"}",
	    EV_WEIGHING);
	if (e != NULL) {
		CHECK_INT(e->u.wb.first_ms, TS_FIRST);
		CHECK_INT(e->dq, 0);
	}
	REJ(p, WB, "{\"bdh\":\"0153\",\"t1\":\"2023-02-30 14:03:22\","
	    "\"zt\":\"0\"}", "bad_time");
	REJ(p, WB, "{\"bdh\":\"0153\",\"t1\":\"yesterday\",\"zt\":\"0\"}",
	    "bad_time");
	REJ(p, WB, "{\"bdh\":\"0153\",\"t1\":0,\"zt\":\"0\"}", "bad_time");
	/* future timestamps: beyond received + tolerance, on any time */
	REJ(p, WB, "{\"bdh\":\"0153\",\"t1\":\"2099-01-01T00:00:00Z\","
	    "\"zt\":\"0\"}", "future_ts");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\","
	    "\"t2\":\"2027-01-15T08:06:41Z\"}", "future_ts");
	/* 1800000000000 + 299 s: within the tolerance */
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"t2\":1800000299000}",
	    EV_WEIGHING);
	if (e != NULL) {
		CHECK_INT(e->u.wb.second_ms, INT64_C(1800000299000));
		CHECK_INT(e->dq & DQ_FUTURE_TS, 0);
	}
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"t2\":1800000301000}",
	    "future_ts");

	/* net: negative, mismatch beyond 20 kg, consistent */
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":13320,\"pz\":18070}",
	    EV_WEIGHING);
	if (e != NULL) {
		CHECK_NEAR(e->u.wb.net_kg, -4750, EPS);
		CHECK_INT(e->dq, DQ_NET_NEGATIVE);
	}
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4700}", EV_WEIGHING);
	if (e != NULL) {
		CHECK_NEAR(e->u.wb.net_kg, 4700, EPS);	/* kept as reported */
		CHECK_INT(e->dq, DQ_NET_MISMATCH);
	}
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4771}", EV_WEIGHING);
	if (e != NULL)
		CHECK_INT(e->dq, DQ_NET_MISMATCH);
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4770}", EV_WEIGHING);
	if (e != NULL)
		CHECK_INT(e->dq, 0);
	e = OK(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4750}", EV_WEIGHING);
	if (e != NULL)
		CHECK_INT(e->dq, 0);

	/* map with the default unmapped: reject */
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"5\"}", "bad_value");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"complete\"}", "bad_value");

	/* JSON that is broken, not an object, or a container for a value */
	REJ(p, WB, "{\"bdh\":", "bad_json");
	REJ(p, WB, "not json", "bad_json");
	REJ(p, WB, "", "bad_json");
	REJ(p, WB, "[1,2]", "bad_type");
	REJ(p, WB, "{\"bdh\":{\"no\":\"0153\"},\"t1\":1691388202000,"
	    "\"zt\":\"1\"}", "bad_type");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":[18070]}", "bad_type");
	REJ(p, WB, "{" WB_MIN ",\"zt\":\"1\",\"lydw\":{}}", "bad_type");
	/* no kind of the profile for this topic */
	REJ(p, "wb/ST02/x", "{" WB_MIN ",\"zt\":\"1\"}", "unknown_kind");
	REJ(p, "wb/", "{" WB_MIN ",\"zt\":\"1\"}", "unknown_kind");
	/* the length bounds the payload: no NUL needed */
	{
		const char buf2[] = "{" WB_MIN ",\"zt\":\"0\"}garbage";

		CHECK_INT(decode_n(p, WB, buf2, strlen(buf2) - 7), 0);
		CHECK_INT(evs.n, 1);
		CHECK_INT(decode_n(p, WB, buf2, strlen(buf2)), -1);
		CHECK_STR(err.reason, "bad_json");
	}
	fx_free(&f);

	/* a profile's own offset wins over the configuration's */
	{
		char text[sizeof(wb_profile) + 64];
		const char *nl = strstr(wb_profile, "    tables:");

		snprintf(text, sizeof(text), "%.*s    local_offset: \"+00:00\"\n"
		    "%s", (int)(nl - wb_profile), wb_profile, nl);
		if (fx_load(&f, text) == -1)
			return;
		e = OK(f.p, WB, "{\"bdh\":\"0153\",\"t1\":\"2023-08-07 "
		    "06:03:22\",\"zt\":\"0\"}", EV_WEIGHING);
		if (e != NULL) {
			CHECK_INT(e->u.wb.first_ms, TS_FIRST);
			CHECK_INT(e->dq, DQ_TZ_ASSUMED);
		}
		fx_free(&f);
	}
}

/* ---- masses: units, suffixes, inference, else ---- */

#define VEV_KIND(topic) \
    "      - kind: vehicle_event\n" \
    "        topic: \"" topic "\"\n" \
    "        fields:\n" \
    "          type: {value: unload}\n" \
    "          vehicle: {topic: vehicle}\n" \
    "          ts: {value: \"2023-08-07T14:12:40+08:00\"}\n" \
    "          waste: {value: msw.food}\n"

static const char mass_profile[] =
    "profiles:\n"
    "  - name: mass\n"
    "    kinds:\n"
    VEV_KIND("kg/{vehicle}")
    "          mass_kg: {path: m, unit: kg, unit_path: u}\n"
    VEV_KIND("t/{vehicle}")
    "          mass_kg: {path: m, unit: t}\n"
    VEV_KIND("infer/{vehicle}")
    "          mass_kg: {path: m, unit: infer, unit_path: u}\n"
    VEV_KIND("else/{vehicle}")
    "          mass_kg: {path: t, unit: t, else: {path: kg, unit: kg}}\n"
    VEV_KIND("req/{vehicle}")
    "          manifest_no: {path: ld, required: true}\n"
    VEV_KIND("site/{vehicle}")
    "          site: {path: s, map: {A1: CY-XQ-0031}}\n"
    VEV_KIND("sitenull/{vehicle}")
    "          site: {path: s, map: {A1: CY-XQ-0031}, unmapped: \"null\"}\n"
    VEV_KIND("sitekeep/{vehicle}")
    "          site: {path: s, map: {A1: CY-XQ-0031}, unmapped: keep}\n";

/* The mass of a vehicle event decoded on topic, or NaN (reported). */
static double
mass(const struct profile *p, const char *topic, const char *payload,
    uint32_t dq, int line)
{
	const struct ev *e = ok(p, topic, payload, EV_VEHICLE_EVENT, line);

	if (e == NULL)
		return NAN;
	check_count++;
	if (e->dq != dq) {
		check_failures++;
		fprintf(stderr, "%s:%d: %s: dq %u, want %u\n", __FILE__, line,
		    payload, (unsigned)e->dq, (unsigned)dq);
	}
	return e->u.vev.mass_kg;
}
#define MASS(p, topic, payload, dq)	mass(p, topic, payload, dq, __LINE__)

static void
test_mass(void)
{
	const struct profile *p;
	const struct ev *e;
	struct fx f;

	if (fx_load(&f, mass_profile) == -1)
		return;
	p = f.p;

	/* the profile's unit when the payload says none */
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":4750}", 0), 4750, EPS);
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":\"4,750\"}", 0), 4750, EPS);
	CHECK_NEAR(MASS(p, "t/KW-0217", "{\"m\":4.75}", 0), 4750, EPS);
	CHECK_NEAR(MASS(p, "t/KW-0217", "{\"m\":4.77}", 0), 4770, EPS);
	/* an explicit unit in the payload wins over the profile's */
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":\"4.75\",\"u\":\"t\"}", 0),
	    4750, EPS);
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":4.75,\"u\":\"吨\"}", 0),
	    4750, EPS);
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":4750,\"u\":\"公斤\"}", 0),
	    4750, EPS);
	/* empty-ish unit: the profile's */
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":4750,\"u\":\"-\"}", 0), 4750,
	    EPS);
	/* a suffix unit wins too */
	CHECK_NEAR(MASS(p, "kg/KW-0217", "{\"m\":\"4.75吨\"}", 0), 4750, EPS);
	CHECK_NEAR(MASS(p, "t/KW-0217", "{\"m\":\"4750kg\"}", 0), 4750, EPS);
	CHECK_NEAR(MASS(p, "t/KW-0217", "{\"m\":\"4,750 公斤\"}", 0), 4750,
	    EPS);
	/* unknown units */
	REJ(p, "kg/KW-0217", "{\"m\":4.75,\"u\":\"furlong\"}", "bad_unit");
	REJ(p, "kg/KW-0217", "{\"m\":\"4.75xyz\"}", "bad_unit");
	REJ(p, "kg/KW-0217", "{\"m\":\"4.75 方\"}", "bad_unit");
	REJ(p, "kg/KW-0217", "{\"m\":\"heavy\"}", "bad_type");

	/* unit: infer, only when the payload gives none */
	CHECK_NEAR(MASS(p, "infer/KW-0217", "{\"m\":4.75}", DQ_UNIT_INFERRED),
	    4750, EPS);
	CHECK_NEAR(MASS(p, "infer/KW-0217", "{\"m\":\"4.75\"}",
	    DQ_UNIT_INFERRED), 4750, EPS);
	CHECK_NEAR(MASS(p, "infer/KW-0217", "{\"m\":4750}", DQ_UNIT_INFERRED),
	    4750, EPS);
	CHECK_NEAR(MASS(p, "infer/KW-0217", "{\"m\":18070}",
	    DQ_UNIT_INFERRED), 18070, EPS);
	CHECK_NEAR(MASS(p, "infer/KW-0217", "{\"m\":500,\"u\":\"kg\"}", 0),
	    500, EPS);
	CHECK_NEAR(MASS(p, "infer/KW-0217", "{\"m\":\"500kg\"}", 0), 500,
	    EPS);
	/* the ambiguous middle (40..1000: kg or t?) and beyond */
	REJ(p, "infer/KW-0217", "{\"m\":500}", "bad_unit");
	REJ(p, "infer/KW-0217", "{\"m\":250.5}", "bad_unit");
	REJ(p, "infer/KW-0217", "{\"m\":999}", "bad_unit");
	REJ(p, "infer/KW-0217", "{\"m\":60}", "bad_unit");
	REJ(p, "infer/KW-0217", "{\"m\":0.05}", "bad_unit");
	REJ(p, "infer/KW-0217", "{\"m\":50000}", "bad_unit");

	/* else: the fallback only when the first source is absent */
	CHECK_NEAR(MASS(p, "else/KW-0217", "{\"t\":4.75,\"kg\":9999}", 0),
	    4750, EPS);
	CHECK_NEAR(MASS(p, "else/KW-0217", "{\"kg\":4750}", 0), 4750, EPS);
	CHECK_NEAR(MASS(p, "else/KW-0217", "{\"t\":null,\"kg\":4750}", 0),
	    4750, EPS);
	CHECK_NEAR(MASS(p, "else/KW-0217", "{\"t\":\"-\",\"kg\":\"4,750\"}",
	    0), 4750, EPS);
	CHECK(isnan(MASS(p, "else/KW-0217", "{}", 0)));
	REJ(p, "else/KW-0217", "{\"t\":\"x\",\"kg\":4750}", "bad_type");

	/* required: true on an optional field */
	e = OK(p, "req/KW-0217", "{\"ld\":\"KW20230807-0153\"}",
	    EV_VEHICLE_EVENT);
	if (e != NULL) {
		CHECK_STR(e->u.vev.manifest_no, "KW20230807-0153");
		CHECK_STR(e->u.vev.vehicle, "KW-0217");
		CHECK_STR(e->u.vev.type, "unload");
		CHECK_STR(e->u.vev.waste, "msw.food");
		CHECK_INT(e->u.vev.ts_ms, INT64_C(1691388760000));
	}
	REJ(p, "req/KW-0217", "{\"ld\":\"-\"}", "missing_field");
	REJ(p, "req/KW-0217", "{}", "missing_field");

	/* unmapped: reject (default), null, keep */
	e = OK(p, "site/KW-0217", "{\"s\":\"A1\"}", EV_VEHICLE_EVENT);
	if (e != NULL)
		CHECK_STR(e->u.vev.site, "CY-XQ-0031");
	REJ(p, "site/KW-0217", "{\"s\":\"B7\"}", "bad_value");
	e = OK(p, "sitenull/KW-0217", "{\"s\":\"A1\"}", EV_VEHICLE_EVENT);
	if (e != NULL)
		CHECK_STR(e->u.vev.site, "CY-XQ-0031");
	e = OK(p, "sitenull/KW-0217", "{\"s\":\"B7\"}", EV_VEHICLE_EVENT);
	if (e != NULL)
		CHECK_STR(e->u.vev.site, NULL);
	e = OK(p, "sitekeep/KW-0217", "{\"s\":\"A1\"}", EV_VEHICLE_EVENT);
	if (e != NULL)
		CHECK_STR(e->u.vev.site, "CY-XQ-0031");
	e = OK(p, "sitekeep/KW-0217", "{\"s\":\"B7\"}", EV_VEHICLE_EVENT);
	if (e != NULL)
		CHECK_STR(e->u.vev.site, "B7");
	/* an absent value is not "unmapped" */
	e = OK(p, "site/KW-0217", "{}", EV_VEHICLE_EVENT);
	if (e != NULL)
		CHECK_STR(e->u.vev.site, NULL);
	fx_free(&f);
}

/* ---- positions: coordinates, plates, topics ---- */

#define POS_FIELDS \
    "          vehicle: {topic: vehicle}\n" \
    "          ts: ts\n" \
    "          lat: lat\n" \
    "          lon: lon\n"

static const char pos_profile[] =
    "profiles:\n"
    "  - name: pos\n"
    "    kinds:\n"
    "      - kind: position\n"
    "        topic: \"raw/{vehicle}\"\n"
    "        fields:\n"
    POS_FIELDS
    "          fix_valid: fix\n"
    "          coord_sys: sys\n"
    "          speed_kmh: v\n"
    "          plate: p\n"
    "      - kind: position\n"
    "        topic: \"prov/{vehicle}\"\n"
    "        fields:\n"
    POS_FIELDS
    "          plate: {path: p, provinces: {JI: 吉, JING: 京, HEI: 黑}}\n"
    "      - kind: position\n"
    "        topic: \"chk/{plate}\"\n"
    "        fields:\n"
    "          vehicle: {topic: plate}\n"
    "          ts: ts\n"
    "          lat: lat\n"
    "          lon: lon\n"
    "          plate: {path: p, check_topic: plate}\n"
    "  - name: gcj\n"
    "    coord_sys: gcj02\n"
    "    kinds:\n"
    "      - kind: position\n"
    "        topic: \"gcj/{vehicle}\"\n"
    "        fields:\n"
    POS_FIELDS
    "          coord_sys: sys\n";

#define TS_LL	"\"ts\":\"2023-08-07T14:02:58+08:00\","

/* A payload plate, through profile "pos", and what becomes of it. */
static const struct {
	const char *topic, *sent, *plate;
	uint32_t dq;
} plates[] = {
	/* canonical */
	{ "raw/KW-0217", "吉a·5g217", "吉A5G217", 0 },
	/* aliased through the provinces table */
	{ "prov/KW-0217", "JIA5G217", "吉A5G217", DQ_PLATE_ALIASED },
	/* longest match first: JING, not JI */
	{ "prov/KW-0217", "JINGA12345", "京A12345", DQ_PLATE_ALIASED },
	/* a plate that needs no table is not aliased */
	{ "prov/KW-0217", "吉A5G217", "吉A5G217", 0 },
	/* the topic's plate agrees with the payload's */
	{ "chk/吉A5G217", "吉A·5G217", "吉A5G217", 0 },
};

static void
test_position(void)
{
	const struct profile *p, *g;
	const struct ev *e;
	struct fx f;
	size_t i;

	if (fx_load(&f, pos_profile) == -1)
		return;
	p = profile_find(f.set, "pos");
	g = profile_find(f.set, "gcj");
	CHECK(p != NULL && g != NULL);
	if (p == NULL || g == NULL) {
		fx_free(&f);
		return;
	}

	/* valid coordinates are kept */
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.883412,"
	    "\"lon\":125.314567,\"fix\":1}", EV_POSITION);
	if (e != NULL) {
		CHECK_STR(e->u.pos.vehicle, "KW-0217");
		CHECK_INT(e->u.pos.ts_ms, TS_POS);
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_INT(e->u.pos.fix_valid, 1);
		CHECK_INT(e->dq, 0);
	}
	/* numbers as strings */
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":\"43.883412\","
	    "\"lon\":\" 125.314567 \",\"v\":\"32.5\"}", EV_POSITION);
	if (e != NULL) {
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_NEAR(e->u.pos.speed_kmh, 32.5, EPS);
		CHECK_INT(e->u.pos.fix_valid, -1);
	}
	/* invalid: out of range, (0, 0), or no fix */
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":95,\"lon\":125.31}",
	    EV_POSITION);
	if (e != NULL) {
		CHECK(isnan(e->u.pos.lat) && isnan(e->u.pos.lon));
		CHECK_INT(e->dq, DQ_COORD_INVALID);
		CHECK_INT(e->u.pos.ts_ms, TS_POS);
	}
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":0,\"lon\":0}",
	    EV_POSITION);
	if (e != NULL) {
		CHECK(isnan(e->u.pos.lat) && isnan(e->u.pos.lon));
		CHECK_INT(e->dq, DQ_COORD_INVALID);
	}
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.883412,"
	    "\"lon\":125.314567,\"fix\":0}", EV_POSITION);
	if (e != NULL) {
		CHECK(isnan(e->u.pos.lat) && isnan(e->u.pos.lon));
		CHECK_INT(e->u.pos.fix_valid, 0);
		CHECK_INT(e->dq, DQ_COORD_INVALID);
	}
	REJ(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"fix\":\"maybe\"}", "bad_value");
	/* required coordinates absent are missing, not invalid */
	REJ(p, "raw/KW-0217", "{" TS_LL "\"lon\":125.31}", "missing_field");
	REJ(p, "raw/KW-0217", "{" TS_LL "\"lat\":\"-\",\"lon\":125.31}",
	    "missing_field");
	/* speed out of range (no scale here: 325 km/h) */
	REJ(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"v\":325}", "bad_value");
	REJ(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"sys\":\"utm\"}", "bad_value");

	/* GCJ-02 to WGS-84 inside China */
	e = OK(g, "gcj/KW-0217", "{" TS_LL "\"lat\":43.885810,"
	    "\"lon\":125.321060}", EV_POSITION);
	if (e != NULL) {
		double d = dist_m(e->u.pos.lat, e->u.pos.lon, 43.883412,
		    125.314567);

		CHECK(d < 5);
		if (!(d < 5))
			fprintf(stderr, "  GCJ-02 result %.6f,%.6f is %.1f m "
			    "off\n", e->u.pos.lat, e->u.pos.lon, d);
		CHECK_INT(e->dq, DQ_COORD_CONVERTED);
	}
	/* the payload's system wins: WGS-84 stays */
	e = OK(g, "gcj/KW-0217", "{" TS_LL "\"lat\":43.883412,"
	    "\"lon\":125.314567,\"sys\":\"wgs84\"}", EV_POSITION);
	if (e != NULL) {
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_STR(e->u.pos.coord_sys, "wgs84");
		CHECK_INT(e->dq, 0);
	}
	/* a WGS-84 profile converts what the payload says is GCJ-02 */
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.885810,"
	    "\"lon\":125.321060,\"sys\":\"gcj02\"}", EV_POSITION);
	if (e != NULL) {
		CHECK(dist_m(e->u.pos.lat, e->u.pos.lon, 43.883412,
		    125.314567) < 5);
		CHECK_INT(e->dq, DQ_COORD_CONVERTED);
	}
	/* outside China nothing is converted (Paris) */
	e = OK(g, "gcj/KW-0217", "{" TS_LL "\"lat\":48.8566,\"lon\":2.3522}",
	    EV_POSITION);
	if (e != NULL) {
		CHECK_NEAR(e->u.pos.lat, 48.8566, EPS);
		CHECK_NEAR(e->u.pos.lon, 2.3522, EPS);
		CHECK_INT(e->dq, 0);
	}
	/* invalid coordinates are not "converted" */
	e = OK(g, "gcj/KW-0217", "{" TS_LL "\"lat\":95,\"lon\":125.31}",
	    EV_POSITION);
	if (e != NULL) {
		CHECK(isnan(e->u.pos.lat) && isnan(e->u.pos.lon));
		CHECK_INT(e->dq, DQ_COORD_INVALID);
	}

	/* plates: canonical, or aliased through the provinces table */
	for (i = 0; i < NELEM(plates); i++) {
		char body[160];

		snprintf(body, sizeof(body), "{" TS_LL "\"lat\":43.88,"
		    "\"lon\":125.31,\"p\":\"%s\"}", plates[i].sent);
		e = OK(p, plates[i].topic, body, EV_POSITION);
		if (e != NULL) {
			CHECK_STR(e->u.pos.plate, plates[i].plate);
			CHECK_INT(e->dq, plates[i].dq);
		}
	}
	/* without a table the romanised plate is never guessed */
	e = OK(p, "raw/KW-0217", "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"p\":\"JIA5G217\"}", EV_POSITION);
	if (e != NULL) {
		CHECK(e->u.pos.plate == NULL ||
		    strcmp(e->u.pos.plate, "吉A5G217") != 0);
		CHECK_INT(e->dq, DQ_PLATE_INVALID);
	}

	/* topic and payload plates disagree: the payload wins, flagged */
	e = OK(p, "chk/吉B12345", "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"p\":\"吉A5G217\"}", EV_POSITION);
	if (e != NULL) {
		CHECK_STR(e->u.pos.plate, "吉A5G217");
		CHECK_STR(e->u.pos.vehicle, "吉B12345");
		CHECK_INT(e->dq, DQ_TOPIC_PAYLOAD_MISMATCH);
	}
	/* no payload plate: nothing to disagree with */
	e = OK(p, "chk/吉B12345", "{" TS_LL "\"lat\":43.88,\"lon\":125.31}",
	    EV_POSITION);
	if (e != NULL) {
		CHECK_STR(e->u.pos.plate, NULL);
		CHECK_INT(e->dq, 0);
	}
	fx_free(&f);
}

/* ---- JT/T 808 style: when, BCD, bits, sign bit, scale ---- */

static const char jt_profile[] =
    "profiles:\n"
    "  - name: jt\n"
    "    tables:\n"
    "      load: {\"0\": empty, \"1\": half, \"3\": full}\n"
    "      color: {\"1\": blue, \"2\": yellow}\n"
    "    kinds:\n"
    "      - kind: device_binding\n"
    "        topic: \"jt/{phone}/up\"\n"
    "        when: {path: header.msg_id, equals: \"256\"}\n"
    "        fields:\n"
    "          device: header.phone\n"
    "          plate: body.plate\n"
    "          plate_color: {path: body.color, map: color}\n"
    "      - kind: position\n"
    "        topic: \"jt/{phone}/up\"\n"
    "        when: {path: header.msg_id, equals: \"512\"}\n"
    "        fields:\n"
    "          device: {topic: phone}\n"
    "          ts: {path: body.time, time: bcd}\n"
    "          lat: {path: body.lat, scale: 0.000001, "
    "sign_path: body.status, sign_bit: 2}\n"
    "          lon: {path: body.lon, scale: 0.000001, "
    "sign_path: body.status, sign_bit: 3}\n"
    "          speed_kmh: {path: body.speed, scale: 0.1}\n"
    "          load_state: {path: body.status, bits: [8, 9], map: load, "
    "unmapped: \"null\"}\n"
    "          fix_valid: {path: body.status, bits: [1, 1]}\n"
    "      - kind: position\n"
    "        topic: \"strict/{phone}\"\n"
    "        fields:\n"
    "          device: {topic: phone}\n"
    "          ts: {path: time, time: bcd}\n"
    "          lat: lat\n"
    "          lon: lon\n"
    "          load_state: {path: status, bits: [8, 9], map: load}\n";

#define JT	"jt/013912345678/up"
#define H512	"{\"header\":{\"msg_id\":512,\"phone\":\"013912345678\"},"
/* body with status s (decimal) */
#define BODY(s) \
	"\"body\":{\"status\":" s ",\"lat\":43883412,\"lon\":125314567," \
	"\"speed\":325,\"time\":\"230807140258\"}}"

static void
test_jt808(void)
{
	const struct profile *p;
	const struct ev *e;
	struct fx f;

	if (fx_load(&f, jt_profile) == -1)
		return;
	p = f.p;

	/* 787203 = 0xC0303: ACC, fix, north, east, load bits 11 (full) */
	e = OK(p, JT, H512 BODY("787203"), EV_POSITION);
	if (e != NULL) {
		CHECK_STR(e->u.pos.device, "013912345678");
		CHECK_STR(e->u.pos.vehicle, "013912345678");
		CHECK_INT(e->u.pos.ts_ms, TS_POS);
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_NEAR(e->u.pos.speed_kmh, 32.5, EPS);
		CHECK_STR(e->u.pos.load_state, "full");
		CHECK_INT(e->u.pos.fix_valid, 1);
		/* BCD is naive local time */
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
	}
	/* bit 2: south; bits 8-9 = 01: half */
	e = OK(p, JT, H512 BODY("262"), EV_POSITION);	/* 0x106 */
	if (e != NULL) {
		CHECK_NEAR(e->u.pos.lat, -43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_STR(e->u.pos.load_state, "half");
		CHECK_INT(e->u.pos.fix_valid, 1);
	}
	/* bit 3: west; bits 8-9 = 00: empty */
	e = OK(p, JT, H512 BODY("10"), EV_POSITION);	/* 0x00A */
	if (e != NULL) {
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, -125.314567, EPS);
		CHECK_STR(e->u.pos.load_state, "empty");
	}
	/* bits 8-9 = 10 is reserved: unmapped null; bit 1 clear: no fix */
	e = OK(p, JT, H512 BODY("512"), EV_POSITION);	/* 0x200 */
	if (e != NULL) {
		CHECK_STR(e->u.pos.load_state, NULL);
		CHECK_INT(e->u.pos.fix_valid, 0);
		CHECK(isnan(e->u.pos.lat) && isnan(e->u.pos.lon));
		CHECK_INT(e->dq, DQ_TZ_ASSUMED | DQ_COORD_INVALID);
	}
	/* status as a numeric string is read the same */
	e = OK(p, JT, H512 BODY("\"787203\""), EV_POSITION);
	if (e != NULL)
		CHECK_STR(e->u.pos.load_state, "full");
	/* ... but a status that is no number is not a bit field */
	REJ(p, JT, H512 BODY("\"on\""), "bad_value");
	REJ(p, JT, H512 BODY("-1"), "bad_value");
	/* unmapped bits with the default (reject) */
	REJ(p, "strict/013912345678", "{\"time\":\"230807140258\","
	    "\"lat\":43.88,\"lon\":125.31,\"status\":514}", "bad_value");
	e = OK(p, "strict/013912345678", "{\"time\":\"230807140258\","
	    "\"lat\":43.88,\"lon\":125.31,\"status\":770}", EV_POSITION);
	if (e != NULL)
		CHECK_STR(e->u.pos.load_state, "full");

	/* BCD times: all zeros, short, or not digits */
	REJ(p, JT, H512 "\"body\":{\"status\":2,\"lat\":43883412,"
	    "\"lon\":125314567,\"time\":\"000000000000\"}}", "bad_time");
	REJ(p, JT, H512 "\"body\":{\"status\":2,\"lat\":43883412,"
	    "\"lon\":125314567,\"time\":\"2308071402\"}}", "bad_time");
	REJ(p, JT, H512 "\"body\":{\"status\":2,\"lat\":43883412,"
	    "\"lon\":125314567,\"time\":\"23080714025F\"}}", "bad_time");
	REJ(p, JT, H512 "\"body\":{\"status\":2,\"lat\":43883412,"
	    "\"lon\":125314567,\"time\":\"231307140258\"}}", "bad_time");
	/* the year 2099 (BCD 99) is in the future */
	REJ(p, JT, H512 "\"body\":{\"status\":2,\"lat\":43883412,"
	    "\"lon\":125314567,\"time\":\"990807140258\"}}", "future_ts");

	/* when: the discriminator picks the kind */
	e = OK(p, JT, "{\"header\":{\"msg_id\":256,\"phone\":\"013912345678\"},"
	    "\"body\":{\"plate\":\"吉A5G217\",\"color\":2}}",
	    EV_DEVICE_BINDING);
	if (e != NULL) {
		CHECK_STR(e->u.bind.device, "013912345678");
		CHECK_STR(e->u.bind.plate, "吉A5G217");
		CHECK_STR(e->u.bind.plate_color, "yellow");
		CHECK_INT(e->u.bind.ts_ms, WT_NOTIME);
	}
	/* msg_id as a string compares the same */
	e = OK(p, JT, "{\"header\":{\"msg_id\":\"512\"}," BODY("787203"),
	    EV_POSITION);
	if (e != NULL)
		CHECK_STR(e->u.pos.device, "013912345678");
	REJ(p, JT, "{\"header\":{\"msg_id\":514}," BODY("787203"),
	    "unknown_kind");
	REJ(p, JT, "{\"header\":{}," BODY("787203"), "unknown_kind");
	REJ(p, JT, "{" BODY("787203"), "unknown_kind");
	REJ(p, JT, "{\"header\":{\"msg_id\":{\"x\":1}}," BODY("787203"),
	    "unknown_kind");
	REJ(p, "jt/013912345678/down", H512 BODY("787203"), "unknown_kind");
	fx_free(&f);
}

/* ---- encodings ---- */

#define BIND_KIND \
    "    kinds:\n" \
    "      - kind: device_binding\n" \
    "        topic: \"b/{phone}\"\n" \
    "        fields:\n" \
    "          device: {topic: phone}\n" \
    "          plate: p\n"

static const char enc_profile[] =
    "profiles:\n"
    "  - name: gbk\n"
    "    encoding: gbk\n"
    BIND_KIND
    "  - name: auto\n"
    "    encoding: auto\n"
    BIND_KIND
    "  - name: utf8\n"
    "    encoding: utf-8\n"
    BIND_KIND;

/* {"p":"吉A5G217"} with 吉 in GBK (0xBC 0xAA) and in UTF-8 */
#define GBK_PLATE	"{\"p\":\"\xBC\xAA" "A5G217\"}"
#define UTF8_PLATE	"{\"p\":\"吉A5G217\"}"

static void
test_encoding(void)
{
	const struct profile *gbk, *autop, *utf8;
	const struct ev *e;
	struct fx f;

	if (fx_load(&f, enc_profile) == -1)
		return;
	gbk = profile_find(f.set, "gbk");
	autop = profile_find(f.set, "auto");
	utf8 = profile_find(f.set, "utf8");
	CHECK(gbk != NULL && autop != NULL && utf8 != NULL);
	if (gbk == NULL || autop == NULL || utf8 == NULL) {
		fx_free(&f);
		return;
	}
	e = OK(gbk, "b/013912345678", GBK_PLATE, EV_DEVICE_BINDING);
	if (e != NULL) {
		CHECK_STR(e->u.bind.plate, "吉A5G217");
		CHECK_STR(e->u.bind.device, "013912345678");
		CHECK_INT(e->dq, 0);
	}
	e = OK(autop, "b/013912345678", GBK_PLATE, EV_DEVICE_BINDING);
	if (e != NULL)
		CHECK_STR(e->u.bind.plate, "吉A5G217");
	/* auto keeps valid UTF-8 as it is */
	e = OK(autop, "b/013912345678", UTF8_PLATE, EV_DEVICE_BINDING);
	if (e != NULL)
		CHECK_STR(e->u.bind.plate, "吉A5G217");
	e = OK(utf8, "b/013912345678", UTF8_PLATE, EV_DEVICE_BINDING);
	if (e != NULL)
		CHECK_STR(e->u.bind.plate, "吉A5G217");
	/* GBK bytes where UTF-8 is promised */
	REJ(utf8, "b/013912345678", GBK_PLATE, "bad_utf8");
	/* bytes that are neither */
	REJ(gbk, "b/013912345678", "{\"p\":\"\xFF\xFF" "A5G217\"}",
	    "bad_utf8");
	REJ(autop, "b/013912345678", "{\"p\":\"\xFF\xFF" "A5G217\"}",
	    "bad_utf8");
	/* an embedded NUL is not text */
	CHECK_INT(decode_n(utf8, "b/013912345678", "{\"p\":\"\0\"}", 9), -1);
	CHECK_STR(err.reason, "bad_utf8");
	fx_free(&f);
}

/* ---- delimited records: checksums, batches, compact times ---- */

static const char csv_profile[] =
    "profiles:\n"
    "  - name: csv\n"
    "    format: delimited\n"
    "    encoding: auto\n"
    "    separator: \";\"\n"
    "    record_separator: \"\\r\\n\"\n"
    "    checksum_field: 6\n"
    "    kinds:\n"
    "      - kind: weighing\n"
    "        topic: \"lw/{station}\"\n"
    "        fields:\n"
    "          facility: {topic: station}\n"
    "          ticket: 1\n"
    "          first_ts: {field: 3, date_field: 2, time: compact}\n"
    "          status: {value: complete}\n"
    "          net_kg: {field: 4, unit: kg}\n"
    "          plate: 5\n";

/* rec (ending in the separator before the checksum) with its checksum
 * appended: XOR of every byte, two hex digits. */
static const char *
sum(const char *rec)
{
	static char buf[4][256];
	static int i;
	unsigned x = 0;
	const char *c;

	i = (i + 1) % 4;
	for (c = rec; *c != '\0'; c++)
		x ^= (unsigned char)*c;
	snprintf(buf[i], sizeof(buf[i]), "%s%02X", rec, x);
	return buf[i];
}

#define REC1	"0153;20230807;140322;4750;吉A5G217;"
#define REC2	"0154;20230807;141000;3,200;吉A12345;"
#define REC3	"0155;20230807;142000;5100;;"

static void
test_delimited(void)
{
	const struct profile *p;
	const struct ev *e;
	char buf[1024], *heap;
	struct fx f;
	size_t n;

	if (fx_load(&f, csv_profile) == -1)
		return;
	p = f.p;

	e = OK(p, "lw/ST02", sum(REC1), EV_WEIGHING);
	if (e != NULL) {
		CHECK_STR(e->u.wb.facility, "ST02");
		CHECK_STR(e->u.wb.ticket, "0153");
		CHECK_STR(e->u.wb.plate, "吉A5G217");
		CHECK_STR(e->u.wb.status, "complete");
		CHECK_INT(e->u.wb.first_ms, TS_FIRST);
		CHECK_NEAR(e->u.wb.net_kg, 4750, EPS);
		/* compact date + time is naive local */
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
	}
	/* wrong checksum, or none */
	snprintf(buf, sizeof(buf), "%s", sum(REC1));
	buf[strlen(buf) - 1] = buf[strlen(buf) - 1] == '0' ? '1' : '0';
	REJ(p, "lw/ST02", buf, "bad_checksum");
	REJ(p, "lw/ST02", REC1, "bad_checksum");
	REJ(p, "lw/ST02", REC1 "ZZ", "bad_checksum");
	REJ(p, "lw/ST02", "0153;20230807;140322", "bad_checksum");
	/* lower-case hex is the same number */
	snprintf(buf, sizeof(buf), "%s", sum(REC2));
	buf[strlen(buf) - 1] = (char)tolower((unsigned char)buf[strlen(buf)
	    - 1]);
	buf[strlen(buf) - 2] = (char)tolower((unsigned char)buf[strlen(buf)
	    - 2]);
	e = OK(p, "lw/ST02", buf, EV_WEIGHING);
	if (e != NULL)
		CHECK_NEAR(e->u.wb.net_kg, 3200, EPS);

	/*
	 * The checksum is the last thing of the payload, which the daemon
	 * does not NUL-terminate (spool records are packed): the bytes after
	 * it are not read. Exactly len bytes on the heap, so that ASan sees
	 * any read past them.
	 */
	{
		const char *s = sum(REC1);

		n = strlen(s);
		if ((heap = malloc(n)) == NULL) {
			perror("malloc");
			exit(1);
		}
		memcpy(heap, s, n);
		CHECK_INT(decode_n(p, "lw/ST02", heap, n), 0);
		CHECK_INT(evs.n, 1);
		/* a checksum cut short by the end of the payload */
		CHECK_INT(decode_n(p, "lw/ST02", heap, n - 1), -1);
		CHECK_STR(err.reason, "bad_checksum");
		free(heap);
	}

	/* compact date and time that cannot be read */
	REJ(p, "lw/ST02", sum("0153;20230807;1403;4750;吉A5G217;"),
	    "bad_time");
	REJ(p, "lw/ST02", sum("0153;20230231;140322;4750;吉A5G217;"),
	    "bad_time");
	REJ(p, "lw/ST02", sum("0153;;140322;4750;吉A5G217;"), "bad_time");
	/* a required field that is empty */
	REJ(p, "lw/ST02", sum(";20230807;140322;4750;吉A5G217;"),
	    "missing_field");

	/* a batch: one event per record, trailing CR LF ignored */
	snprintf(buf, sizeof(buf), "%s\r\n%s\r\n%s\r\n", sum(REC1), sum(REC2),
	    sum(REC3));
	CHECK_INT(decode_n(p, "lw/ST02", buf, strlen(buf)), 0);
	CHECK_INT(evs.n, 3);
	if (evs.n == 3) {
		CHECK_STR(evs.ev[0].u.wb.ticket, "0153");
		CHECK_STR(evs.ev[1].u.wb.ticket, "0154");
		CHECK_STR(evs.ev[2].u.wb.ticket, "0155");
		CHECK_NEAR(evs.ev[1].u.wb.net_kg, 3200, EPS);
		CHECK_STR(evs.ev[1].u.wb.plate, "吉A12345");
		CHECK_STR(evs.ev[2].u.wb.plate, NULL);
		CHECK_INT(evs.ev[2].u.wb.first_ms, INT64_C(1691389200000));
	}
	/* one bad record rejects the whole message; nothing is appended
	 * to what the list held before */
	{
		struct decode_err e2;
		int rc;

		CHECK_INT(decode_n(p, "lw/ST02", sum(REC1), strlen(sum(REC1))),
		    0);
		CHECK_INT(evs.n, 1);
		snprintf(buf, sizeof(buf), "%s\r\n%s\r\n%s", sum(REC2),
		    REC3 "00", sum(REC1));
		memset(&e2, 0, sizeof(e2));
		rc = decode_profile(p, "lw/ST02", buf, strlen(buf), &ctx, &evs,
		    &e2);
		CHECK_INT(rc, -1);
		CHECK_STR(e2.reason, "bad_checksum");
		CHECK_INT(evs.n, 1);
		CHECK_STR(evs.ev[0].u.wb.ticket, "0153");
		/* the bad record last: the first two are dropped again */
		snprintf(buf, sizeof(buf), "%s\r\n%s\r\n%s", sum(REC2),
		    sum(REC3), sum("0156;20230807;9999;1;;"));
		rc = decode_profile(p, "lw/ST02", buf, strlen(buf), &ctx, &evs,
		    &e2);
		CHECK_INT(rc, -1);
		CHECK_STR(e2.reason, "bad_time");
		CHECK_INT(evs.n, 1);
		CHECK_STR(evs.ev[0].u.wb.ticket, "0153");
	}
	/* at most DECODE_MAX_RECORDS records in one message */
	{
		const char *r = sum(REC1);
		size_t rl = strlen(r), k, cap2 = (rl + 2) *
		    (DECODE_MAX_RECORDS + 1) + 1;
		char *big;

		if ((big = malloc(cap2)) == NULL) {
			perror("malloc");
			exit(1);
		}
		for (n = 0, k = 0; k < DECODE_MAX_RECORDS; k++, n += rl + 2)
			snprintf(big + n, cap2 - n, "%s\r\n", r);
		CHECK_INT(decode_n(p, "lw/ST02", big, n), 0);
		CHECK_INT(evs.n, DECODE_MAX_RECORDS);
		snprintf(big + n, cap2 - n, "%s\r\n", r);
		CHECK_INT(decode_n(p, "lw/ST02", big, n + rl + 2), -1);
		CHECK_STR(err.reason, "bad_value");
		CHECK_INT(evs.n, 0);
		free(big);
	}
	/* an empty message, or only separators */
	REJ(p, "lw/ST02", "", "missing_field");
	REJ(p, "lw/ST02", "\r\n\r\n", "missing_field");

	/* GBK records: the checksum is over the bytes as sent */
	e = OK(p, "lw/ST02", sum("0153;20230807;140322;4750;\xBC\xAA"
	    "A5G217;"), EV_WEIGHING);
	if (e != NULL)
		CHECK_STR(e->u.wb.plate, "吉A5G217");
	/* topic with no kind */
	REJ(p, "lw/ST02/x", sum(REC1), "unknown_kind");
	fx_free(&f);
}

/* ---- manifests with lines ---- */

static const char man_profile[] =
    "profiles:\n"
    "  - name: man\n"
    "    kinds:\n"
    "      - kind: manifest\n"
    "        topic: \"man/{no}\"\n"
    "        fields:\n"
    "          scheme: {value: CN_HW}\n"
    "          manifest_no: {topic: no}\n"
    "          status: {value: created}\n"
    "          ts: ts\n"
    "          lines:\n"
    "            path: lines\n"
    "            fields:\n"
    "              line: n\n"
    "              waste_code: code\n"
    "              qty: q\n"
    "              unit: u\n";

#define MAN	"man/20232201000153"
#define MAN_TS	"{\"ts\":\"2023-08-07T09:13:05+08:00\","

static void
test_manifest(void)
{
	const struct ev_manifest *m;
	const struct profile *p;
	const struct ev *e;
	struct fx f;

	if (fx_load(&f, man_profile) == -1)
		return;
	p = f.p;

	e = OK(p, MAN, MAN_TS "\"lines\":[{\"n\":1,\"code\":\"900-249-08\","
	    "\"q\":1.2,\"u\":\"t\"},{\"code\":\"HW01/841-001-01\","
	    "\"q\":\"350\",\"u\":\"kg\"},{\"q\":\"0.5\",\"u\":\"吨\"},"
	    "{\"code\":\"90024908\"}]}", EV_MANIFEST);
	if (e != NULL) {
		m = &e->u.man;
		CHECK_STR(m->scheme, "CN_HW");
		CHECK_STR(m->manifest_no, "20232201000153");
		CHECK_STR(m->status, "created");
		CHECK_INT(m->version, 1);
		CHECK_INT(m->ts_ms, INT64_C(1691370785000));
		CHECK_INT(m->nlines, 4);
		if (m->nlines == 4) {
			CHECK_INT(m->lines[0].line, 1);
			CHECK_STR(m->lines[0].waste_code, "900-249-08");
			CHECK_STR(m->lines[0].hw_category, "HW08");
			CHECK_STR(m->lines[0].waste, "hw");
			CHECK_STR(m->lines[0].unit, "t");
			CHECK_NEAR(m->lines[0].qty, 1.2, EPS);
			CHECK_NEAR(m->lines[0].qty_kg, 1200, 1e-6);
			/* HW01 is medical waste */
			CHECK_INT(m->lines[1].line, 2);
			CHECK_STR(m->lines[1].waste_code, "841-001-01");
			CHECK_STR(m->lines[1].hw_category, "HW01");
			CHECK_STR(m->lines[1].waste, "mw");
			CHECK_NEAR(m->lines[1].qty_kg, 350, EPS);
			/* no code: waste unknown */
			CHECK_INT(m->lines[2].line, 3);
			CHECK_STR(m->lines[2].hw_category, NULL);
			CHECK_STR(m->lines[2].waste, "unknown");
			CHECK_NEAR(m->lines[2].qty_kg, 500, EPS);
			/* no quantity: no mass, and no unit needed */
			CHECK_STR(m->lines[3].waste_code, "900-249-08");
			CHECK(isnan(m->lines[3].qty));
			CHECK(isnan(m->lines[3].qty_kg));
		}
		CHECK_INT(e->dq, 0);
	}
	/* a quantity is only a mass with its unit */
	REJ(p, MAN, MAN_TS "\"lines\":[{\"code\":\"900-249-08\",\"q\":1.2}]}",
	    "bad_unit");
	REJ(p, MAN, MAN_TS "\"lines\":[{\"code\":\"900-249-08\",\"q\":1.2,"
	    "\"u\":\"-\"}]}", "bad_unit");
	REJ(p, MAN, MAN_TS "\"lines\":[{\"code\":\"900-249-08\",\"q\":2,"
	    "\"u\":\"m3\"}]}", "bad_unit");
	/* codes that are none, or disagree with their class */
	REJ(p, MAN, MAN_TS "\"lines\":[{\"code\":\"HW09/900-249-08\"}]}",
	    "bad_value");
	REJ(p, MAN, MAN_TS "\"lines\":[{\"code\":\"oil\"}]}", "bad_value");
	/* lines that are not an array of objects */
	REJ(p, MAN, MAN_TS "\"lines\":{\"q\":1}}", "bad_type");
	REJ(p, MAN, MAN_TS "\"lines\":[1]}", "bad_type");
	/* no lines, or null */
	e = OK(p, MAN, MAN_TS "\"lines\":null}", EV_MANIFEST);
	if (e != NULL)
		CHECK_INT(e->u.man.nlines, 0);
	e = OK(p, MAN, "{\"ts\":1691370785000}", EV_MANIFEST);
	if (e != NULL)
		CHECK_INT(e->u.man.nlines, 0);
	fx_free(&f);
}

/* ---- the shipped profiles on shared/payloads ---- */

static int
find_dir(const char *env, const char *sub, const char *const *fallback,
    char *out, size_t n)
{
	const char *base = getenv(env);
	struct stat st;
	size_t i;

	if (base != NULL && *base != '\0') {
		snprintf(out, n, "%s/%s", base, sub);
		return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
	}
	for (i = 0; fallback[i] != NULL; i++) {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/%s", fallback[i], sub);
		if (realpath(rel, out) != NULL && stat(out, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			return 0;
	}
	return -1;
}

static void
check_a(const struct ev *e, int *seen)
{
	const struct ev_manifest *m;

	switch (e->kind) {
	case EV_POSITION:
		seen[0]++;
		CHECK_STR(e->u.pos.vehicle, "KW-0217");
		CHECK_STR(e->u.pos.plate, "吉A5G217");
		CHECK_INT(e->u.pos.ts_ms, TS_POS);
		CHECK(dist_m(e->u.pos.lat, e->u.pos.lon, 43.883412,
		    125.314567) < 5);
		CHECK_NEAR(e->u.pos.speed_kmh, 32.5, EPS);
		CHECK_NEAR(e->u.pos.heading_deg, 87, EPS);
		CHECK_NEAR(e->u.pos.alt_m, 221, EPS);
		CHECK_STR(e->u.pos.load_state, "full");
		CHECK_STR(e->u.pos.coord_sys, "gcj02");
		CHECK_INT(e->dq, DQ_COORD_CONVERTED);
		break;
	case EV_VEHICLE_EVENT:
		seen[1]++;
		CHECK_STR(e->u.vev.type, "unload");
		CHECK_STR(e->u.vev.vehicle, "KW-0217");
		CHECK_STR(e->u.vev.plate, "吉A5G217");
		CHECK_STR(e->u.vev.facility, "CC-KWP-01");
		CHECK_STR(e->u.vev.site, NULL);
		CHECK_STR(e->u.vev.waste, "msw.food");
		CHECK_STR(e->u.vev.manifest_no, NULL);
		CHECK_INT(e->u.vev.ts_ms, INT64_C(1691388760000));
		CHECK_NEAR(e->u.vev.mass_kg, 4750, EPS);
		CHECK_INT(e->dq, 0);
		break;
	case EV_MANIFEST:
		seen[2]++;
		m = &e->u.man;
		CHECK_STR(m->scheme, "CN_HW");
		CHECK_STR(m->manifest_no, "20232201000153");
		CHECK_STR(m->status, "in_transit");
		CHECK_INT(m->version, 3);
		CHECK_INT(m->ts_ms, INT64_C(1691370785000));
		CHECK_INT(m->departed_ms, INT64_C(1691370720000));
		CHECK_STR(m->plate, "吉A02851D");
		CHECK_STR(m->generator_code, "91220101MA0XXXXXX1");
		CHECK_STR(m->generator_name, "长春某汽车零部件有限公司");
		CHECK_STR(m->carrier_name, "吉林某危险货物运输有限公司");
		CHECK_STR(m->receiver_facility, "CC-HW-01");
		CHECK_STR(m->receiver_name, "长春某危险废物处置中心");
		CHECK_INT(m->nlines, 1);
		if (m->nlines == 1) {
			CHECK_INT(m->lines[0].line, 1);
			CHECK_STR(m->lines[0].waste_code, "900-249-08");
			CHECK_STR(m->lines[0].hw_category, "HW08");
			CHECK_STR(m->lines[0].waste, "hw");
			CHECK_STR(m->lines[0].unit, "t");
			CHECK_NEAR(m->lines[0].qty, 1.2, EPS);
			CHECK_NEAR(m->lines[0].qty_kg, 1200, 1e-6);
		}
		CHECK_INT(e->dq, 0);
		break;
	default:
		CHECK(!"vendor-a kind");
	}
}

static void
check_b(const struct ev *e, int *seen)
{
	const struct ev_manifest *m;

	switch (e->kind) {
	case EV_WEIGHING:
		seen[0]++;
		CHECK_STR(e->u.wb.facility, "CC-KWP-01");
		CHECK_STR(e->u.wb.ticket, "0153");
		CHECK_STR(e->u.wb.plate, "吉A5G217");
		CHECK_STR(e->u.wb.direction, "in");
		CHECK_NEAR(e->u.wb.gross_kg, 18070, EPS);
		CHECK_NEAR(e->u.wb.tare_kg, 13320, EPS);
		CHECK_NEAR(e->u.wb.net_kg, 4750, EPS);
		CHECK_INT(e->u.wb.first_ms, TS_FIRST);
		CHECK_INT(e->u.wb.second_ms, INT64_C(1691389265000));
		CHECK_STR(e->u.wb.waste, "msw.food");
		CHECK_STR(e->u.wb.origin, "朝阳区环卫所");
		CHECK_STR(e->u.wb.status, "complete");
		CHECK_INT(e->u.wb.version, -1);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
		break;
	case EV_POSITION:
		seen[1]++;
		CHECK_STR(e->u.pos.vehicle, "吉A5G217");
		CHECK_STR(e->u.pos.plate, "吉A5G217");
		CHECK_STR(e->u.pos.device, "013912345678");
		CHECK_INT(e->u.pos.ts_ms, TS_POS);
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_NEAR(e->u.pos.speed_kmh, 32.5, EPS);
		CHECK_NEAR(e->u.pos.heading_deg, 87, EPS);
		CHECK_NEAR(e->u.pos.alt_m, 221, EPS);
		CHECK_STR(e->u.pos.load_state, "full");
		CHECK_INT(e->u.pos.fix_valid, 1);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
		break;
	case EV_MANIFEST:
		seen[2]++;
		m = &e->u.man;
		CHECK_STR(m->scheme, "CN_KW");
		CHECK_STR(m->manifest_no, "KW20230807-0153");
		CHECK_STR(m->status, "closed");
		CHECK_INT(m->version, 1);
		CHECK_INT(m->ts_ms, TS_FIRST);	/* arrival stands in */
		CHECK_INT(m->departed_ms, INT64_C(1691370720000));
		CHECK_INT(m->arrived_ms, TS_FIRST);
		CHECK_STR(m->plate, "吉A5G217");
		CHECK_STR(m->generator_name, "朝阳区某小区");
		CHECK_STR(m->carrier_name, "朝阳区环卫所");
		CHECK_STR(m->receiver_name, "长春市厨余垃圾处理厂");
		CHECK_STR(m->receiver_facility, "CC-KWP-01");
		CHECK_STR(m->waste, "msw.food");
		CHECK_NEAR(m->declared_kg, 4900, EPS);
		CHECK_NEAR(m->received_kg, 4750, EPS);
		CHECK_STR(m->ticket, "0153");
		CHECK_INT(m->ntickets, 1);
		if (m->ntickets == 1) {
			CHECK_STR(m->tickets[0].ticket, "0153");
			CHECK_STR(m->tickets[0].facility, "CC-KWP-01");
		}
		CHECK_INT(m->nlines, 0);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
		break;
	default:
		CHECK(!"vendor-b kind");
	}
}

static void
check_legacy(const struct ev *e, int *seen)
{
	const struct ev_weighing *w = &e->u.wb;

	if (e->kind != EV_WEIGHING) {
		CHECK(!"legacy-wb weighing");
		return;
	}
	CHECK_STR(w->facility, "CC-KWP-01");
	CHECK_STR(w->ticket, "0153");
	CHECK_STR(w->plate, "吉A5G217");
	CHECK_STR(w->direction, "in");
	CHECK_STR(w->waste, "msw.food");
	CHECK_STR(w->origin, "CHAOYANG-HWS");
	CHECK_INT(w->first_ms, TS_FIRST);
	CHECK_NEAR(w->gross_kg, 18070, 1e-6);
	CHECK_INT(w->version, -1);
	if (w->status != NULL && strcmp(w->status, "open") == 0) {
		/* F: first weighing only; the plate was romanised */
		seen[0]++;
		CHECK_INT(w->second_ms, WT_NOTIME);
		CHECK(isnan(w->tare_kg));
		CHECK(isnan(w->net_kg));
		CHECK_INT(e->dq, DQ_TZ_ASSUMED | DQ_PLATE_ALIASED);
	} else if (fabs(w->net_kg - 4750) < 1e-6) {
		/* T: completed */
		seen[1]++;
		CHECK_STR(w->status, "complete");
		CHECK_INT(w->second_ms, INT64_C(1691389265000));
		CHECK_NEAR(w->tare_kg, 13320, 1e-6);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
	} else {
		/* C: corrected, in tonnes */
		seen[2]++;
		CHECK_STR(w->status, "complete");
		CHECK_INT(w->second_ms, INT64_C(1691389265000));
		CHECK_NEAR(w->tare_kg, 13300, 1e-6);
		CHECK_NEAR(w->net_kg, 4770, 1e-6);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
	}
}

static void
check_jt808(const struct ev *e, int *seen)
{
	switch (e->kind) {
	case EV_DEVICE_BINDING:
		seen[0]++;
		CHECK_STR(e->u.bind.device, "013912345678");
		CHECK_STR(e->u.bind.plate, "吉A5G217");
		CHECK_STR(e->u.bind.plate_color, "yellow");
		CHECK_INT(e->dq, 0);
		break;
	case EV_POSITION:
		seen[1]++;
		CHECK_STR(e->u.pos.device, "013912345678");
		CHECK_STR(e->u.pos.vehicle, "013912345678");
		CHECK_INT(e->u.pos.ts_ms, TS_POS);
		CHECK_NEAR(e->u.pos.lat, 43.883412, EPS);
		CHECK_NEAR(e->u.pos.lon, 125.314567, EPS);
		CHECK_NEAR(e->u.pos.speed_kmh, 32.5, EPS);
		CHECK_NEAR(e->u.pos.heading_deg, 87, EPS);
		CHECK_NEAR(e->u.pos.alt_m, 221, EPS);
		CHECK_STR(e->u.pos.load_state, "full");
		CHECK_INT(e->u.pos.fix_valid, 1);
		CHECK_INT(e->dq, DQ_TZ_ASSUMED);
		break;
	default:
		CHECK(!"jt808-emqx kind");
	}
}

static const struct dialect {
	const char *name;
	void (*check)(const struct ev *, int *);
	int nlines, nkinds;
} dialects[] = {
	{ "vendor-a", check_a, 3, 3 },
	{ "vendor-b", check_b, 3, 3 },
	{ "legacy-wb", check_legacy, 3, 3 },
	{ "jt808-emqx", check_jt808, 2, 2 },
};

static void
decode_file(const struct profile *p, const struct dialect *d,
    const char *dir)
{
	char path[PATH_MAX + 32], *line = NULL, *topic, *tab;
	int seen[4] = { 0 }, nlines = 0, k;
	size_t cap = 0, i;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.tsv", dir, d->name);
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		CHECK(!"payload file readable");
		return;
	}
	while (tsv_next(fp, &line, &cap, &topic, &tab)) {
		nlines++;
		if (tab == NULL)
			continue;
		if (decode_n(p, topic, tab, strlen(tab)) != 0) {
			fprintf(stderr, "%s: %s %s: %s: %s\n", d->name, topic,
			    tab, err.reason ? err.reason : "?", err.detail);
			CHECK(!"example decodes");
			continue;
		}
		CHECK_INT(evs.n, 1);
		for (i = 0; i < evs.n; i++)
			d->check(&evs.ev[i], seen);
	}
	free(line);
	fclose(fp);
	CHECK_INT(nlines, d->nlines);
	for (k = 0; k < d->nkinds; k++)
		if (seen[k] != 1) {
			fprintf(stderr, "%s: case %d seen %d times\n", d->name,
			    k, seen[k]);
			CHECK_INT(seen[k], 1);
		}
}

static void
test_shipped(void)
{
	static const char *const up[] = { "..", NULL };
	static const char *const up2[] = { "..", "../..", NULL };
	char pdir[PATH_MAX], sdir[PATH_MAX], text[PATH_MAX + 64];
	const struct profile *p;
	struct fx f;
	size_t i;

	if (find_dir("WT_SOURCE", "conf/profiles", up, pdir,
	    sizeof(pdir)) == -1) {
		fprintf(stderr, "test_decode: no conf/profiles: set "
		    "WT_SOURCE\n");
		CHECK(!"conf/profiles found");
		return;
	}
	if (find_dir("WT_SHARED", "payloads", up2, sdir, sizeof(sdir)) ==
	    -1 && find_dir("WT_SHARED", "shared/payloads", up2, sdir,
	    sizeof(sdir)) == -1) {
		fprintf(stderr, "test_decode: no shared/payloads: set "
		    "WT_SHARED\n");
		CHECK(!"shared/payloads found");
		return;
	}
	snprintf(text, sizeof(text), "include: [\"%s/*.yaml\"]\n", pdir);
	if (fx_load(&f, text) == -1)
		return;
	for (i = 0; i < NELEM(dialects); i++) {
		if ((p = profile_find(f.set, dialects[i].name)) == NULL) {
			fprintf(stderr, "no profile %s\n", dialects[i].name);
			CHECK(!"shipped profile");
			continue;
		}
		decode_file(p, &dialects[i], sdir);
	}

	/* the three legacy-wb lines as one CR LF batch */
	if ((p = profile_find(f.set, "legacy-wb")) != NULL) {
		char path[PATH_MAX + 32], buf[2048], *line = NULL, *tab;
		int seen[4] = { 0 };
		size_t cap = 0, n = 0;
		ssize_t len;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/legacy-wb.tsv", sdir);
		buf[0] = '\0';
		if ((fp = fopen(path, "r")) != NULL) {
			while ((len = getline(&line, &cap, fp)) != -1) {
				while (len > 0 && (line[len - 1] == '\n' ||
				    line[len - 1] == '\r'))
					line[--len] = '\0';
				if ((tab = strchr(line, '\t')) == NULL)
					continue;
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    "%s\r\n", tab + 1);
			}
			free(line);
			fclose(fp);
		}
		CHECK_INT(decode_n(p, "legacy/wb/ST02/out", buf, n), 0);
		CHECK_INT(evs.n, 3);
		for (i = 0; i < evs.n; i++)
			check_legacy(&evs.ev[i], seen);
		CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
	}
	fx_free(&f);
}

int
main(void)
{
	tmpfiles_init("test_decode");
	test_weighing();
	test_mass();
	test_position();
	test_jt808();
	test_encoding();
	test_delimited();
	test_manifest();
	test_shipped();
	ev_list_free(&evs);
	tmpfiles_cleanup();
	return check_result("test_decode");
}
