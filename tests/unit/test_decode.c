/*
 * test_decode: the declarative profile engine (lib/decode.c) against its
 * data-quality rules, one accepted and one refused (or flagged and
 * unflagged) case per rule, then every example of
 * tests/fixtures/payloads in the four vendor dialects through the SHIPPED
 * profiles, against the fields this file expects.
 *
 * Profiles are small YAML files written to a mkdtemp(3) directory, loaded
 * with config_load() and compiled with profile_compile(). The shipped
 * profiles are the *.yaml of $WT_SOURCE/conf/profiles (else
 * ../conf/profiles), the payloads $WT_FIXTURES/payloads (else
 * tests/fixtures/payloads).
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
#include "want.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define EPS	 1e-9

/* received in 2027: every example of 2023 is in the past */
static const struct decode_ctx ctx = {
	.local_offset_min = 480,
	.received_ms = INT64_C(1800000000000),
	.future_tolerance_ms = 300000,
};

/* 14:02:58+08 and 14:03:22+08 on 2023-08-07 */
#define TS_POS	 INT64_C(1691388178000)
#define TS_FIRST INT64_C(1691388202000)

/* The events of the last decode, and why it failed. */
static struct ev_list evs;
static struct decode_err err;

/* ---- fixtures ---- */

struct fx {
	struct config *cfg;
	struct profile_set *set;
	const struct profile *p; /* the first profile */
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
		fprintf(stderr, "profile_compile:\n%s%s",
		    errors ? errors : "?\n", text);
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
		fprintf(stderr,
		    "%s:%d: decode %s %s: rc %d, %zu events, %s: "
		    "%s\n",
		    __FILE__, line, topic, payload, rc, evs.n,
		    err.reason ? err.reason : "(null)", err.detail);
		CHECK(!"decoded");
		return NULL;
	}
	CHECK(err.reason == NULL);
	return &evs.ev[0];
}

/* Expect a rejection with reason, nothing appended: one check. */
static void
rej(const struct profile *p, const char *topic, const char *payload,
    const char *reason, int line)
{
	int rc = decode_n(p, topic, payload, strlen(payload));

	check_count++;
	if (rc != -1 || err.reason == NULL || strcmp(err.reason, reason) != 0 ||
	    evs.n != 0 || err.detail[0] == '\0') {
		check_failures++;
		fprintf(stderr,
		    "%s:%d: decode %s %s: rc %d, %zu events, "
		    "reason %s (%s), want %s\n",
		    __FILE__, line, topic, payload, rc, evs.n,
		    err.reason ? err.reason : "(null)", err.detail, reason);
	}
}

/*
 * One decode and what must come of it: either a rejection for reason, or
 * one event of kind with the fields of want (want.h). The tables of cases
 * live at file scope so that their want lists can be compound literals.
 */
struct dcase {
	int line;	  /* of the case, for messages */
	const char *prof; /* profile name; NULL: the first */
	const char *topic, *payload;
	int sum;	    /* append the record's checksum */
	const char *reason; /* rejected for this reason, or NULL: */
	enum ev_kind kind;  /* accepted as one event of this kind */
	const struct want *want;
};

#define WANTS(...) ((const struct want[]){ __VA_ARGS__, { NULL } })
/* Accepted by the fixture's first profile, or by profile prof. */
#define ACC(topic, payload, kind, ...)                                         \
	{                                                                      \
		__LINE__, NULL, topic, payload, 0, NULL, kind,                 \
		    WANTS(__VA_ARGS__)                                         \
	}
#define ACC_P(prof, topic, payload, kind, ...)                                 \
	{                                                                      \
		__LINE__, prof, topic, payload, 0, NULL, kind,                 \
		    WANTS(__VA_ARGS__)                                         \
	}
/* Rejected by the fixture's first profile, or by profile prof. */
#define REJ(topic, payload, reason)                                            \
	{                                                                      \
		__LINE__, NULL, topic, payload, 0, reason, EV_NONE, NULL       \
	}
#define REJ_P(prof, topic, payload, reason)                                    \
	{                                                                      \
		__LINE__, prof, topic, payload, 0, reason, EV_NONE, NULL       \
	}
/* The same with the record's checksum appended (see sum()). */
#define ACC_SUM(topic, rec, kind, ...)                                         \
	{                                                                      \
		__LINE__, NULL, topic, rec, 1, NULL, kind, WANTS(__VA_ARGS__)  \
	}
#define REJ_SUM(topic, rec, reason)                                            \
	{                                                                      \
		__LINE__, NULL, topic, rec, 1, reason, EV_NONE, NULL           \
	}

static const char *sum(const char *);

/* Run n cases against the profiles of fixture f. */
static void
run(const struct fx *f, const struct dcase *c, size_t n)
{
	const struct profile *p;
	const struct ev *e;
	const char *payload;
	char what[64];
	size_t i;

	for (i = 0; i < n; i++, c++) {
		p = c->prof != NULL ? profile_find(f->set, c->prof) : f->p;
		if (p == NULL) {
			fprintf(stderr, "%s:%d: no profile %s\n", __FILE__,
			    c->line, c->prof);
			CHECK(!"profile of the case");
			continue;
		}
		payload = c->sum ? sum(c->payload) : c->payload;
		if (c->reason != NULL) {
			rej(p, c->topic, payload, c->reason, c->line);
			continue;
		}
		if ((e = ok(p, c->topic, payload, c->kind, c->line)) == NULL)
			continue;
		snprintf(what, sizeof(what), "%s:%d", __FILE__, c->line);
		want_check(e, c->want, what);
	}
}

/* Load text as fixture f, run its cases and free it. */
static void
run_profile(const char *text, const struct dcase *c, size_t n)
{
	struct fx f;

	if (fx_load(&f, text) == -1)
		return;
	run(&f, c, n);
	fx_free(&f);
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

#define WB     "wb/ST02"
#define WB_MIN "\"bdh\":\"0153\",\"t1\":\"2023-08-07T14:03:22+08:00\""

static const struct dcase wb_cases[] = {
	/* exact values: numbers as strings, thousands separators */
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"1\",\"mz\":\"18,070\","
	    "\"pz\":\"13 320\",\"jz\":4750,\"dw\":\"kg\",\"ver\":\"2\","
	    "\"cph\":\"吉A·5G217\",\"hwmc\":\"厨余垃圾\",\"lydw\":\"朝阳区环卫所\","
	    "\"t2\":\"2023-08-07T14:21:05+08:00\"}",
	    EV_WEIGHING, WS(wb.facility, "ST02"), WS(wb.ticket, "0153"),
	    WS(wb.plate, "吉A5G217"), WS(wb.direction, "in"),
	    WS(wb.status, "complete"), WS(wb.waste, "msw.food"),
	    WS(wb.origin, "朝阳区环卫所"), WN(wb.gross_kg, 18070),
	    WN(wb.tare_kg, 13320), WN(wb.net_kg, 4750), WI(wb.version, 2),
	    WI(wb.first_ms, TS_FIRST), WI(wb.second_ms, INT64_C(1691389265000)),
	    WS(wb.manifest_no, NULL), WDQ(0)),
	/* a number that is not one */
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"ver\":\"two\"}", "bad_type"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"ver\":\"2x\"}", "bad_type"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":\"abc\"}", "bad_type"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"ver\":1.5}", "bad_value"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":-5}", "bad_value"),

	/* values that merely look empty are not */
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"0\",\"lydw\":\"无锡\",\"ld\":\"0\","
	    "\"mz\":\"0\"}",
	    EV_WEIGHING, WS(wb.origin, "无锡"), WS(wb.manifest_no, "0"),
	    WN(wb.gross_kg, 0)),
	/* a required field given as "-" (or "", or null) is missing */
	REJ(WB,
	    "{\"bdh\":\"-\",\"t1\":\"2023-08-07T14:03:22+08:00\","
	    "\"zt\":\"1\"}",
	    "missing_field"),
	REJ(WB,
	    "{\"bdh\":\"\",\"t1\":\"2023-08-07T14:03:22+08:00\","
	    "\"zt\":\"1\"}",
	    "missing_field"),
	REJ(WB, "{\"bdh\":\"0153\",\"t1\":null,\"zt\":\"1\"}", "missing_field"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"无\"}", "missing_field"),
	REJ(WB, "{\"t1\":\"2023-08-07T14:03:22+08:00\",\"zt\":\"1\"}",
	    "missing_field"),

	/* explicit unit in the payload; net derived */
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"1\",\"mz\":\"18.07\","
	    "\"pz\":\"13.32\",\"dw\":\"吨\"}",
	    EV_WEIGHING, WN(wb.gross_kg, 18070), WN(wb.tare_kg, 13320),
	    WN(wb.net_kg, 4750), WDQ(0)),

	/* times: naive local is assumed +08:00 and flagged; zoned is not */
	ACC(WB,
	    "{\"bdh\":\"0153\",\"t1\":\"2023-08-07 14:03:22\","
	    "\"zt\":\"0\"}",
	    EV_WEIGHING, WI(wb.first_ms, TS_FIRST), WDQ(DQ_TZ_ASSUMED)),
	ACC(WB,
	    "{\"bdh\":\"0153\",\"t1\":\"2023-08-07T06:03:22Z\","
	    "\"zt\":\"0\"}",
	    EV_WEIGHING, WI(wb.first_ms, TS_FIRST), WDQ(0)),
	ACC(WB, "{\"bdh\":\"0153\",\"t1\":1691388202000,\"zt\":\"0\"}",
	    EV_WEIGHING, WI(wb.first_ms, TS_FIRST), WDQ(0)),
	REJ(WB,
	    "{\"bdh\":\"0153\",\"t1\":\"2023-02-30 14:03:22\","
	    "\"zt\":\"0\"}",
	    "bad_time"),
	REJ(WB, "{\"bdh\":\"0153\",\"t1\":\"yesterday\",\"zt\":\"0\"}",
	    "bad_time"),
	REJ(WB, "{\"bdh\":\"0153\",\"t1\":0,\"zt\":\"0\"}", "bad_time"),
	/* future timestamps: beyond received + tolerance, on any time */
	REJ(WB,
	    "{\"bdh\":\"0153\",\"t1\":\"2099-01-01T00:00:00Z\","
	    "\"zt\":\"0\"}",
	    "future_ts"),
	REJ(WB,
	    "{" WB_MIN ",\"zt\":\"1\","
	    "\"t2\":\"2027-01-15T08:06:41Z\"}",
	    "future_ts"),
	/* 1800000000000 + 299 s: within the tolerance */
	ACC(WB, "{" WB_MIN ",\"zt\":\"1\",\"t2\":1800000299000}", EV_WEIGHING,
	    WI(wb.second_ms, INT64_C(1800000299000)), WDQ_CLEAR(DQ_FUTURE_TS)),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"t2\":1800000301000}", "future_ts"),

	/* net: negative, mismatch beyond 20 kg (kept as reported),
	 * consistent */
	ACC(WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":13320,\"pz\":18070}",
	    EV_WEIGHING, WN(wb.net_kg, -4750), WDQ(DQ_NET_NEGATIVE)),
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4700}",
	    EV_WEIGHING, WN(wb.net_kg, 4700), WDQ(DQ_NET_MISMATCH)),
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4771}",
	    EV_WEIGHING, WDQ(DQ_NET_MISMATCH)),
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4770}",
	    EV_WEIGHING, WDQ(0)),
	ACC(WB,
	    "{" WB_MIN ",\"zt\":\"1\",\"mz\":18070,\"pz\":13320,"
	    "\"jz\":4750}",
	    EV_WEIGHING, WDQ(0)),

	/* map with the default unmapped: reject */
	REJ(WB, "{" WB_MIN ",\"zt\":\"5\"}", "bad_value"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"complete\"}", "bad_value"),

	/* JSON that is broken, not an object, or a container for a value */
	REJ(WB, "{\"bdh\":", "bad_json"),
	REJ(WB, "not json", "bad_json"),
	REJ(WB, "", "bad_json"),
	REJ(WB, "[1,2]", "bad_type"),
	REJ(WB,
	    "{\"bdh\":{\"no\":\"0153\"},\"t1\":1691388202000,"
	    "\"zt\":\"1\"}",
	    "bad_type"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"mz\":[18070]}", "bad_type"),
	REJ(WB, "{" WB_MIN ",\"zt\":\"1\",\"lydw\":{}}", "bad_type"),
	/* no kind of the profile for this topic */
	REJ("wb/ST02/x", "{" WB_MIN ",\"zt\":\"1\"}", "unknown_kind"),
	REJ("wb/", "{" WB_MIN ",\"zt\":\"1\"}", "unknown_kind"),
};

/* Empty-ish values are absent: NULL, never "". */
static const char *const wb_empty[] = { "\"\"", "\"-\"", "\"null\"", "\"NULL\"",
	"\"无\"", "\"N/A\"", "\"n/a\"", "null" };
static const struct want *const wb_empty_want = WANTS(WS(wb.plate, NULL),
    WS(wb.origin, NULL), WS(wb.manifest_no, NULL), WS(wb.waste, NULL),
    WNAN(wb.gross_kg), WI(wb.version, -1), WI(wb.second_ms, WT_NOTIME), WDQ(0));

/* A profile's own offset wins over the configuration's. */
static const struct dcase wb_offset_cases[] = {
	ACC(WB,
	    "{\"bdh\":\"0153\",\"t1\":\"2023-08-07 06:03:22\","
	    "\"zt\":\"0\"}",
	    EV_WEIGHING, WI(wb.first_ms, TS_FIRST), WDQ(DQ_TZ_ASSUMED)),
};

static void
test_weighing(void)
{
	const struct ev *e;
	char buf[512];
	struct fx f;
	size_t i;

	if (fx_load(&f, wb_profile) == -1)
		return;
	run(&f, wb_cases, NELEM(wb_cases));
	for (i = 0; i < NELEM(wb_empty); i++) {
		snprintf(buf, sizeof(buf),
		    "{" WB_MIN ",\"zt\":\"0\","
		    "\"cph\":%s,\"lydw\":%s,\"ld\":%s,\"mz\":%s,\"ver\":%s,"
		    "\"hwmc\":%s,\"t2\":%s}",
		    wb_empty[i], wb_empty[i], wb_empty[i], wb_empty[i],
		    wb_empty[i], wb_empty[i], wb_empty[i]);
		if ((e = ok(f.p, WB, buf, EV_WEIGHING, __LINE__)) != NULL)
			want_check(e, wb_empty_want, wb_empty[i]);
	}
	/* the length bounds the payload: no NUL needed */
	{
		const char buf2[] = "{" WB_MIN ",\"zt\":\"0\"}garbage";

		CHECK_INT(decode_n(f.p, WB, buf2, strlen(buf2) - 7), 0);
		CHECK_INT(evs.n, 1);
		CHECK_INT(decode_n(f.p, WB, buf2, strlen(buf2)), -1);
		CHECK_STR(err.reason, "bad_json");
	}
	fx_free(&f);

	{
		char text[sizeof(wb_profile) + 64];
		const char *nl = strstr(wb_profile, "    tables:");

		snprintf(text, sizeof(text),
		    "%.*s    local_offset: \"+00:00\"\n"
		    "%s",
		    (int)(nl - wb_profile), wb_profile, nl);
		run_profile(text, wb_offset_cases, NELEM(wb_offset_cases));
	}
}

/* ---- masses: units, suffixes, inference, else ---- */

#define VEV_KIND(topic)                                                        \
	"      - kind: vehicle_event\n"                                        \
	"        topic: \"" topic "\"\n"                                       \
	"        fields:\n"                                                    \
	"          type: {value: unload}\n"                                    \
	"          vehicle: {topic: vehicle}\n"                                \
	"          ts: {value: \"2023-08-07T14:12:40+08:00\"}\n"               \
	"          waste: {value: msw.food}\n"

static const char
    mass_profile
	[] = "profiles:\n"
	     "  - name: mass\n"
	     "    kinds:\n" VEV_KIND("kg/{vehicle}") "          mass_kg: {path: m, unit: kg, unit_path: u}\n" VEV_KIND("t/{vehicle}") "          mass_kg: {path: m, unit: t}\n" VEV_KIND("infer/{vehicle}") "          mass_kg: {path: m, unit: infer, unit_path: u}\n" VEV_KIND("else/{vehicle}") "          mass_kg: {path: t, unit: t, else: {path: kg, unit: kg}}\n" VEV_KIND("req/{vehicle}") "          manifest_no: {path: ld, required: true}\n" VEV_KIND(
		 "site/{vehicle}") "          site: {path: s, map: {A1: CY-XQ-0031}}\n" VEV_KIND("sitenull/{vehicle}") "          site: {path: s, map: {A1: CY-XQ-0031}, unmapped: \"null\"}\n" VEV_KIND("sitekeep/{vehicle}") "          site: {path: s, map: {A1: CY-XQ-0031}, unmapped: keep}\n";

/* A vehicle event on topic with these dq bits and this mass. */
#define MASS(topic, payload, dq, kg)                                           \
	ACC(topic, payload, EV_VEHICLE_EVENT, WDQ(dq), WN(vev.mass_kg, kg))

static const struct dcase mass_cases[] = {
	/* the profile's unit when the payload says none */
	MASS("kg/KW-0217", "{\"m\":4750}", 0, 4750),
	MASS("kg/KW-0217", "{\"m\":\"4,750\"}", 0, 4750),
	MASS("t/KW-0217", "{\"m\":4.75}", 0, 4750),
	MASS("t/KW-0217", "{\"m\":4.77}", 0, 4770),
	/* an explicit unit in the payload wins over the profile's */
	MASS("kg/KW-0217", "{\"m\":\"4.75\",\"u\":\"t\"}", 0, 4750),
	MASS("kg/KW-0217", "{\"m\":4.75,\"u\":\"吨\"}", 0, 4750),
	MASS("kg/KW-0217", "{\"m\":4750,\"u\":\"公斤\"}", 0, 4750),
	/* empty-ish unit: the profile's */
	MASS("kg/KW-0217", "{\"m\":4750,\"u\":\"-\"}", 0, 4750),
	/* a suffix unit wins too */
	MASS("kg/KW-0217", "{\"m\":\"4.75吨\"}", 0, 4750),
	MASS("t/KW-0217", "{\"m\":\"4750kg\"}", 0, 4750),
	MASS("t/KW-0217", "{\"m\":\"4,750 公斤\"}", 0, 4750),
	/* unknown units */
	REJ("kg/KW-0217", "{\"m\":4.75,\"u\":\"furlong\"}", "bad_unit"),
	REJ("kg/KW-0217", "{\"m\":\"4.75xyz\"}", "bad_unit"),
	REJ("kg/KW-0217", "{\"m\":\"4.75 方\"}", "bad_unit"),
	REJ("kg/KW-0217", "{\"m\":\"heavy\"}", "bad_type"),

	/* unit: infer, only when the payload gives none */
	MASS("infer/KW-0217", "{\"m\":4.75}", DQ_UNIT_INFERRED, 4750),
	MASS("infer/KW-0217", "{\"m\":\"4.75\"}", DQ_UNIT_INFERRED, 4750),
	MASS("infer/KW-0217", "{\"m\":4750}", DQ_UNIT_INFERRED, 4750),
	MASS("infer/KW-0217", "{\"m\":18070}", DQ_UNIT_INFERRED, 18070),
	MASS("infer/KW-0217", "{\"m\":500,\"u\":\"kg\"}", 0, 500),
	MASS("infer/KW-0217", "{\"m\":\"500kg\"}", 0, 500),
	/* the ambiguous middle (40..1000: kg or t?) and beyond */
	REJ("infer/KW-0217", "{\"m\":500}", "bad_unit"),
	REJ("infer/KW-0217", "{\"m\":250.5}", "bad_unit"),
	REJ("infer/KW-0217", "{\"m\":999}", "bad_unit"),
	REJ("infer/KW-0217", "{\"m\":60}", "bad_unit"),
	REJ("infer/KW-0217", "{\"m\":0.05}", "bad_unit"),
	REJ("infer/KW-0217", "{\"m\":50000}", "bad_unit"),

	/* else: the fallback only when the first source is absent */
	MASS("else/KW-0217", "{\"t\":4.75,\"kg\":9999}", 0, 4750),
	MASS("else/KW-0217", "{\"kg\":4750}", 0, 4750),
	MASS("else/KW-0217", "{\"t\":null,\"kg\":4750}", 0, 4750),
	MASS("else/KW-0217", "{\"t\":\"-\",\"kg\":\"4,750\"}", 0, 4750),
	ACC("else/KW-0217", "{}", EV_VEHICLE_EVENT, WDQ(0), WNAN(vev.mass_kg)),
	REJ("else/KW-0217", "{\"t\":\"x\",\"kg\":4750}", "bad_type"),

	/* required: true on an optional field */
	ACC("req/KW-0217", "{\"ld\":\"KW20230807-0153\"}", EV_VEHICLE_EVENT,
	    WS(vev.manifest_no, "KW20230807-0153"), WS(vev.vehicle, "KW-0217"),
	    WS(vev.type, "unload"), WS(vev.waste, "msw.food"),
	    WI(vev.ts_ms, INT64_C(1691388760000))),
	REJ("req/KW-0217", "{\"ld\":\"-\"}", "missing_field"),
	REJ("req/KW-0217", "{}", "missing_field"),

	/* unmapped: reject (default), null, keep */
	ACC("site/KW-0217", "{\"s\":\"A1\"}", EV_VEHICLE_EVENT,
	    WS(vev.site, "CY-XQ-0031")),
	REJ("site/KW-0217", "{\"s\":\"B7\"}", "bad_value"),
	ACC("sitenull/KW-0217", "{\"s\":\"A1\"}", EV_VEHICLE_EVENT,
	    WS(vev.site, "CY-XQ-0031")),
	ACC("sitenull/KW-0217", "{\"s\":\"B7\"}", EV_VEHICLE_EVENT,
	    WS(vev.site, NULL)),
	ACC("sitekeep/KW-0217", "{\"s\":\"A1\"}", EV_VEHICLE_EVENT,
	    WS(vev.site, "CY-XQ-0031")),
	ACC("sitekeep/KW-0217", "{\"s\":\"B7\"}", EV_VEHICLE_EVENT,
	    WS(vev.site, "B7")),
	/* an absent value is not "unmapped" */
	ACC("site/KW-0217", "{}", EV_VEHICLE_EVENT, WS(vev.site, NULL)),
};

static void
test_mass(void)
{
	run_profile(mass_profile, mass_cases, NELEM(mass_cases));
}

/* ---- counts of containers: a constant unit, a mapped one ---- */

static const char count_profile[] =
    "profiles:\n"
    "  - name: count\n"
    "    kinds:\n" VEV_KIND(
	"bags/{vehicle}") "          count: n\n"
			  "          count_unit: {value: bag}\n" VEV_KIND(
			      "mixed/{vehicle}") "          count: {path: n}\n"
						 "          count_unit: {path: u, map: {袋: bag, 箱: box}}\n";

static const struct dcase count_cases[] = {
	/* the vendor counts in bags: the constant unit */
	ACC("bags/KW-0217", "{\"n\":12}", EV_VEHICLE_EVENT, WI(vev.count, 12),
	    WS(vev.count_unit, "bag"), WNAN(vev.mass_kg)),
	ACC("bags/KW-0217", "{\"n\":\"0\"}", EV_VEHICLE_EVENT, WI(vev.count, 0),
	    WS(vev.count_unit, "bag")),
	/* no count: the unit alone says nothing */
	ACC("bags/KW-0217", "{}", EV_VEHICLE_EVENT, WI(vev.count, -1),
	    WS(vev.count_unit, NULL)),
	REJ("bags/KW-0217", "{\"n\":-2}", "bad_value"),
	REJ("bags/KW-0217", "{\"n\":1.5}", "bad_value"),
	/* the unit from the message, through a table */
	ACC("mixed/KW-0217", "{\"n\":4,\"u\":\"箱\"}", EV_VEHICLE_EVENT,
	    WI(vev.count, 4), WS(vev.count_unit, "box")),
	REJ("mixed/KW-0217", "{\"n\":4,\"u\":\"桶\"}", "bad_value"),
	REJ("mixed/KW-0217", "{\"n\":4}", "missing_field"),
};

static void
test_count(void)
{
	run_profile(count_profile, count_cases, NELEM(count_cases));
}

/* ---- positions: coordinates, plates, topics ---- */

#define POS_FIELDS                                                             \
	"          vehicle: {topic: vehicle}\n"                                \
	"          ts: ts\n"                                                   \
	"          lat: lat\n"                                                 \
	"          lon: lon\n"

static const char pos_profile[] =
    "profiles:\n"
    "  - name: pos\n"
    "    kinds:\n"
    "      - kind: position\n"
    "        topic: \"raw/{vehicle}\"\n"
    "        fields:\n" POS_FIELDS "          fix_valid: fix\n"
    "          coord_sys: sys\n"
    "          speed_kmh: v\n"
    "          plate: p\n"
    "      - kind: position\n"
    "        topic: \"prov/{vehicle}\"\n"
    "        fields:\n" POS_FIELDS
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
    "        fields:\n" POS_FIELDS "          coord_sys: sys\n";

#define TS_LL "\"ts\":\"2023-08-07T14:02:58+08:00\","

/* A position of profile "pos" at 43.88, 125.31 with plate p. */
#define PL(p) "{" TS_LL "\"lat\":43.88,\"lon\":125.31,\"p\":\"" p "\"}"

static const struct dcase pos_cases[] = {
	/* valid coordinates are kept */
	ACC_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":43.883412,"
	    "\"lon\":125.314567,\"fix\":1}",
	    EV_POSITION, WS(pos.vehicle, "KW-0217"), WI(pos.ts_ms, TS_POS),
	    WN(pos.lat, 43.883412), WN(pos.lon, 125.314567),
	    WI(pos.fix_valid, 1), WDQ(0)),
	/* numbers as strings */
	ACC_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":\"43.883412\","
	    "\"lon\":\" 125.314567 \",\"v\":\"32.5\"}",
	    EV_POSITION, WN(pos.lat, 43.883412), WN(pos.lon, 125.314567),
	    WN(pos.speed_kmh, 32.5), WI(pos.fix_valid, -1)),
	/* invalid: out of range, (0, 0), or no fix */
	ACC_P("pos", "raw/KW-0217", "{" TS_LL "\"lat\":95,\"lon\":125.31}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID),
	    WI(pos.ts_ms, TS_POS)),
	ACC_P("pos", "raw/KW-0217", "{" TS_LL "\"lat\":0,\"lon\":0}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID)),
	ACC_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":43.883412,"
	    "\"lon\":125.314567,\"fix\":0}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WI(pos.fix_valid, 0),
	    WDQ(DQ_COORD_INVALID)),
	REJ_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"fix\":\"maybe\"}",
	    "bad_value"),
	/* required coordinates absent are missing, not invalid */
	REJ_P("pos", "raw/KW-0217", "{" TS_LL "\"lon\":125.31}",
	    "missing_field"),
	REJ_P("pos", "raw/KW-0217", "{" TS_LL "\"lat\":\"-\",\"lon\":125.31}",
	    "missing_field"),
	/* speed out of range (no scale here: 325 km/h) */
	REJ_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"v\":325}",
	    "bad_value"),
	REJ_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":43.88,\"lon\":125.31,"
	    "\"sys\":\"utm\"}",
	    "bad_value"),

	/* GCJ-02 to WGS-84 inside China */
	ACC_P("gcj", "gcj/KW-0217",
	    "{" TS_LL "\"lat\":43.885810,"
	    "\"lon\":125.321060}",
	    EV_POSITION, WGATE(), WDQ(DQ_COORD_CONVERTED)),
	/* the payload's system wins: WGS-84 stays */
	ACC_P("gcj", "gcj/KW-0217",
	    "{" TS_LL "\"lat\":43.883412,"
	    "\"lon\":125.314567,\"sys\":\"wgs84\"}",
	    EV_POSITION, WN(pos.lat, 43.883412), WN(pos.lon, 125.314567),
	    WS(pos.coord_sys, "wgs84"), WDQ(0)),
	/* a WGS-84 profile converts what the payload says is GCJ-02 */
	ACC_P("pos", "raw/KW-0217",
	    "{" TS_LL "\"lat\":43.885810,"
	    "\"lon\":125.321060,\"sys\":\"gcj02\"}",
	    EV_POSITION, WGATE(), WDQ(DQ_COORD_CONVERTED)),
	/* outside China nothing is converted (Paris) */
	ACC_P("gcj", "gcj/KW-0217",
	    "{" TS_LL "\"lat\":48.8566,"
	    "\"lon\":2.3522}",
	    EV_POSITION, WN(pos.lat, 48.8566), WN(pos.lon, 2.3522), WDQ(0)),
	/* invalid coordinates are not "converted" */
	ACC_P("gcj", "gcj/KW-0217", "{" TS_LL "\"lat\":95,\"lon\":125.31}",
	    EV_POSITION, WNAN(pos.lat), WNAN(pos.lon), WDQ(DQ_COORD_INVALID)),

	/* plates: canonical */
	ACC_P("pos", "raw/KW-0217", PL("吉a·5g217"), EV_POSITION,
	    WS(pos.plate, "吉A5G217"), WDQ(0)),
	/* aliased through the provinces table */
	ACC_P("pos", "prov/KW-0217", PL("JIA5G217"), EV_POSITION,
	    WS(pos.plate, "吉A5G217"), WDQ(DQ_PLATE_ALIASED)),
	/* longest match first: JING, not JI */
	ACC_P("pos", "prov/KW-0217", PL("JINGA12345"), EV_POSITION,
	    WS(pos.plate, "京A12345"), WDQ(DQ_PLATE_ALIASED)),
	/* a plate that needs no table is not aliased */
	ACC_P("pos", "prov/KW-0217", PL("吉A5G217"), EV_POSITION,
	    WS(pos.plate, "吉A5G217"), WDQ(0)),
	/* the topic's plate agrees with the payload's */
	ACC_P("pos", "chk/吉A5G217", PL("吉A·5G217"), EV_POSITION,
	    WS(pos.plate, "吉A5G217"), WDQ(0)),
	/* without a table the romanised plate is never guessed */
	ACC_P("pos", "raw/KW-0217", PL("JIA5G217"), EV_POSITION,
	    WSNOT(pos.plate, "吉A5G217"), WDQ(DQ_PLATE_INVALID)),
	/* topic and payload plates disagree: the payload wins, flagged */
	ACC_P("pos", "chk/吉B12345", PL("吉A5G217"), EV_POSITION,
	    WS(pos.plate, "吉A5G217"), WS(pos.vehicle, "吉B12345"),
	    WDQ(DQ_TOPIC_PAYLOAD_MISMATCH)),
	/* no payload plate: nothing to disagree with */
	ACC_P("pos", "chk/吉B12345",
	    "{" TS_LL "\"lat\":43.88,"
	    "\"lon\":125.31}",
	    EV_POSITION, WS(pos.plate, NULL), WDQ(0)),
};

static void
test_position(void)
{
	run_profile(pos_profile, pos_cases, NELEM(pos_cases));
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

#define JT   "jt/013912345678/up"
#define H512 "{\"header\":{\"msg_id\":512,\"phone\":\"013912345678\"},"
/* body with status s (decimal) */
#define BODY(s)                                                                \
	"\"body\":{\"status\":" s ",\"lat\":43883412,\"lon\":125314567,"       \
	"\"speed\":325,\"time\":\"230807140258\"}}"

static const struct dcase jt_cases[] = {
	/* 787203 = 0xC0303: ACC, fix, north, east, load bits 11 (full);
	 * BCD is naive local time */
	ACC(JT, H512 BODY("787203"), EV_POSITION,
	    WS(pos.device, "013912345678"), WS(pos.vehicle, "013912345678"),
	    WI(pos.ts_ms, TS_POS), WN(pos.lat, 43.883412),
	    WN(pos.lon, 125.314567), WN(pos.speed_kmh, 32.5),
	    WS(pos.load_state, "full"), WI(pos.fix_valid, 1),
	    WDQ(DQ_TZ_ASSUMED)),
	/* 0x106, bit 2: south; bits 8-9 = 01: half */
	ACC(JT, H512 BODY("262"), EV_POSITION, WN(pos.lat, -43.883412),
	    WN(pos.lon, 125.314567), WS(pos.load_state, "half"),
	    WI(pos.fix_valid, 1)),
	/* 0x00A, bit 3: west; bits 8-9 = 00: empty */
	ACC(JT, H512 BODY("10"), EV_POSITION, WN(pos.lat, 43.883412),
	    WN(pos.lon, -125.314567), WS(pos.load_state, "empty")),
	/* 0x200, bits 8-9 = 10 is reserved: unmapped null; bit 1 clear: no
	 * fix */
	ACC(JT, H512 BODY("512"), EV_POSITION, WS(pos.load_state, NULL),
	    WI(pos.fix_valid, 0), WNAN(pos.lat), WNAN(pos.lon),
	    WDQ(DQ_TZ_ASSUMED | DQ_COORD_INVALID)),
	/* status as a numeric string is read the same */
	ACC(JT, H512 BODY("\"787203\""), EV_POSITION,
	    WS(pos.load_state, "full")),
	/* ... but a status that is no number is not a bit field */
	REJ(JT, H512 BODY("\"on\""), "bad_value"),
	REJ(JT, H512 BODY("-1"), "bad_value"),
	/* unmapped bits with the default (reject) */
	REJ("strict/013912345678",
	    "{\"time\":\"230807140258\","
	    "\"lat\":43.88,\"lon\":125.31,\"status\":514}",
	    "bad_value"),
	ACC("strict/013912345678",
	    "{\"time\":\"230807140258\","
	    "\"lat\":43.88,\"lon\":125.31,\"status\":770}",
	    EV_POSITION, WS(pos.load_state, "full")),

	/* BCD times: all zeros, short, or not digits */
	REJ(JT,
	    H512 "\"body\":{\"status\":2,\"lat\":43883412,"
		 "\"lon\":125314567,\"time\":\"000000000000\"}}",
	    "bad_time"),
	REJ(JT,
	    H512 "\"body\":{\"status\":2,\"lat\":43883412,"
		 "\"lon\":125314567,\"time\":\"2308071402\"}}",
	    "bad_time"),
	REJ(JT,
	    H512 "\"body\":{\"status\":2,\"lat\":43883412,"
		 "\"lon\":125314567,\"time\":\"23080714025F\"}}",
	    "bad_time"),
	REJ(JT,
	    H512 "\"body\":{\"status\":2,\"lat\":43883412,"
		 "\"lon\":125314567,\"time\":\"231307140258\"}}",
	    "bad_time"),
	/* the year 2099 (BCD 99) is in the future */
	REJ(JT,
	    H512 "\"body\":{\"status\":2,\"lat\":43883412,"
		 "\"lon\":125314567,\"time\":\"990807140258\"}}",
	    "future_ts"),

	/* when: the discriminator picks the kind */
	ACC(JT,
	    "{\"header\":{\"msg_id\":256,\"phone\":\"013912345678\"},"
	    "\"body\":{\"plate\":\"吉A5G217\",\"color\":2}}",
	    EV_DEVICE_BINDING, WS(bind.device, "013912345678"),
	    WS(bind.plate, "吉A5G217"), WS(bind.plate_color, "yellow"),
	    WI(bind.ts_ms, WT_NOTIME)),
	/* msg_id as a string compares the same */
	ACC(JT, "{\"header\":{\"msg_id\":\"512\"}," BODY("787203"), EV_POSITION,
	    WS(pos.device, "013912345678")),
	REJ(JT, "{\"header\":{\"msg_id\":514}," BODY("787203"), "unknown_kind"),
	REJ(JT, "{\"header\":{}," BODY("787203"), "unknown_kind"),
	REJ(JT, "{" BODY("787203"), "unknown_kind"),
	REJ(JT, "{\"header\":{\"msg_id\":{\"x\":1}}," BODY("787203"),
	    "unknown_kind"),
	REJ("jt/013912345678/down", H512 BODY("787203"), "unknown_kind"),
};

static void
test_jt808(void)
{
	run_profile(jt_profile, jt_cases, NELEM(jt_cases));
}

/* ---- encodings ---- */

#define BIND_KIND                                                              \
	"    kinds:\n"                                                         \
	"      - kind: device_binding\n"                                       \
	"        topic: \"b/{phone}\"\n"                                       \
	"        fields:\n"                                                    \
	"          device: {topic: phone}\n"                                   \
	"          plate: p\n"

static const char enc_profile[] =
    "profiles:\n"
    "  - name: gbk\n"
    "    encoding: gbk\n" BIND_KIND "  - name: auto\n"
    "    encoding: auto\n" BIND_KIND "  - name: utf8\n"
    "    encoding: utf-8\n" BIND_KIND;

/* {"p":"吉A5G217"} with 吉 in GBK (0xBC 0xAA) and in UTF-8 */
#define GBK_PLATE                                                              \
	"{\"p\":\"\xBC\xAA"                                                    \
	"A5G217\"}"
#define UTF8_PLATE "{\"p\":\"吉A5G217\"}"

static const struct dcase enc_cases[] = {
	ACC_P("gbk", "b/013912345678", GBK_PLATE, EV_DEVICE_BINDING,
	    WS(bind.plate, "吉A5G217"), WS(bind.device, "013912345678"),
	    WDQ(0)),
	ACC_P("auto", "b/013912345678", GBK_PLATE, EV_DEVICE_BINDING,
	    WS(bind.plate, "吉A5G217")),
	/* auto keeps valid UTF-8 as it is */
	ACC_P("auto", "b/013912345678", UTF8_PLATE, EV_DEVICE_BINDING,
	    WS(bind.plate, "吉A5G217")),
	ACC_P("utf8", "b/013912345678", UTF8_PLATE, EV_DEVICE_BINDING,
	    WS(bind.plate, "吉A5G217")),
	/* GBK bytes where UTF-8 is promised */
	REJ_P("utf8", "b/013912345678", GBK_PLATE, "bad_utf8"),
	/* bytes that are neither */
	REJ_P("gbk", "b/013912345678",
	    "{\"p\":\"\xFF\xFF"
	    "A5G217\"}",
	    "bad_utf8"),
	REJ_P("auto", "b/013912345678",
	    "{\"p\":\"\xFF\xFF"
	    "A5G217\"}",
	    "bad_utf8"),
};

static void
test_encoding(void)
{
	const struct profile *utf8;
	struct fx f;

	if (fx_load(&f, enc_profile) == -1)
		return;
	run(&f, enc_cases, NELEM(enc_cases));
	/* an embedded NUL is not text */
	if ((utf8 = profile_find(f.set, "utf8")) != NULL) {
		CHECK_INT(decode_n(utf8, "b/013912345678", "{\"p\":\"\0\"}", 9),
		    -1);
		CHECK_STR(err.reason, "bad_utf8");
	}
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

#define REC1 "0153;20230807;140322;4750;吉A5G217;"
#define REC2 "0154;20230807;141000;3,200;吉A12345;"
#define REC3 "0155;20230807;142000;5100;;"

static const struct dcase csv_cases[] = {
	/* compact date + time is naive local */
	ACC_SUM("lw/ST02", REC1, EV_WEIGHING, WS(wb.facility, "ST02"),
	    WS(wb.ticket, "0153"), WS(wb.plate, "吉A5G217"),
	    WS(wb.status, "complete"), WI(wb.first_ms, TS_FIRST),
	    WN(wb.net_kg, 4750), WDQ(DQ_TZ_ASSUMED)),
	/* no checksum, or not one */
	REJ("lw/ST02", REC1, "bad_checksum"),
	REJ("lw/ST02", REC1 "ZZ", "bad_checksum"),
	REJ("lw/ST02", "0153;20230807;140322", "bad_checksum"),
	/* compact date and time that cannot be read */
	REJ_SUM("lw/ST02", "0153;20230807;1403;4750;吉A5G217;", "bad_time"),
	REJ_SUM("lw/ST02", "0153;20230231;140322;4750;吉A5G217;", "bad_time"),
	REJ_SUM("lw/ST02", "0153;;140322;4750;吉A5G217;", "bad_time"),
	/* a required field that is empty */
	REJ_SUM("lw/ST02", ";20230807;140322;4750;吉A5G217;", "missing_field"),
	/* an empty message, or only separators */
	REJ("lw/ST02", "", "missing_field"),
	REJ("lw/ST02", "\r\n\r\n", "missing_field"),
	/* GBK records: the checksum is over the bytes as sent */
	ACC_SUM("lw/ST02",
	    "0153;20230807;140322;4750;\xBC\xAA"
	    "A5G217;",
	    EV_WEIGHING, WS(wb.plate, "吉A5G217")),
	/* topic with no kind */
	REJ_SUM("lw/ST02/x", REC1, "unknown_kind"),
};

/* Checksums as the bytes after them are, or are not, there. */
static void
test_checksum_bytes(const struct profile *p)
{
	const struct ev *e;
	char buf[1024], *heap;
	const char *s;
	size_t n;

	/* a wrong checksum */
	snprintf(buf, sizeof(buf), "%s", sum(REC1));
	buf[strlen(buf) - 1] = buf[strlen(buf) - 1] == '0' ? '1' : '0';
	rej(p, "lw/ST02", buf, "bad_checksum", __LINE__);
	/* lower-case hex is the same number */
	snprintf(buf, sizeof(buf), "%s", sum(REC2));
	buf[strlen(buf) - 1] =
	    (char)tolower((unsigned char)buf[strlen(buf) - 1]);
	buf[strlen(buf) - 2] =
	    (char)tolower((unsigned char)buf[strlen(buf) - 2]);
	if ((e = ok(p, "lw/ST02", buf, EV_WEIGHING, __LINE__)) != NULL)
		CHECK_NEAR(e->u.wb.net_kg, 3200, EPS);

	/*
	 * The checksum is the last thing of the payload, which the daemon
	 * does not NUL-terminate (spool records are packed): the bytes after
	 * it are not read. Exactly len bytes on the heap, so that ASan sees
	 * any read past them.
	 */
	s = sum(REC1);
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

/* A batch is one event per record, appended to what the list holds;
 * one bad record rejects the whole message and appends nothing. */
static void
test_batch(const struct profile *p)
{
	struct decode_err e2;
	char buf[1024];

	/* trailing CR LF ignored */
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

	CHECK_INT(decode_n(p, "lw/ST02", sum(REC1), strlen(sum(REC1))), 0);
	CHECK_INT(evs.n, 1);
	snprintf(buf, sizeof(buf), "%s\r\n%s\r\n%s", sum(REC2), REC3 "00",
	    sum(REC1));
	memset(&e2, 0, sizeof(e2));
	CHECK_INT(decode_profile(p, "lw/ST02", buf, strlen(buf), &ctx, &evs,
		      &e2),
	    -1);
	CHECK_STR(e2.reason, "bad_checksum");
	CHECK_INT(evs.n, 1);
	CHECK_STR(evs.ev[0].u.wb.ticket, "0153");
	/* the bad record last: the first two are dropped again */
	snprintf(buf, sizeof(buf), "%s\r\n%s\r\n%s", sum(REC2), sum(REC3),
	    sum("0156;20230807;9999;1;;"));
	CHECK_INT(decode_profile(p, "lw/ST02", buf, strlen(buf), &ctx, &evs,
		      &e2),
	    -1);
	CHECK_STR(e2.reason, "bad_time");
	CHECK_INT(evs.n, 1);
	CHECK_STR(evs.ev[0].u.wb.ticket, "0153");
	/* a good batch goes after the event already there */
	snprintf(buf, sizeof(buf), "%s\r\n%s", sum(REC2), sum(REC3));
	memset(&e2, 0, sizeof(e2));
	CHECK_INT(decode_profile(p, "lw/ST02", buf, strlen(buf), &ctx, &evs,
		      &e2),
	    0);
	CHECK_STR(e2.reason, NULL);
	CHECK_INT(evs.n, 3);
	if (evs.n == 3) {
		CHECK_STR(evs.ev[0].u.wb.ticket, "0153");
		CHECK_STR(evs.ev[1].u.wb.ticket, "0154");
		CHECK_STR(evs.ev[2].u.wb.ticket, "0155");
	}
}

/* At most DECODE_MAX_RECORDS records in one message, however many
 * events the list held before. */
static void
test_max_records(const struct profile *p)
{
	const char *r = sum(REC1);
	size_t rl = strlen(r), k, n,
	       cap = (rl + 2) * (DECODE_MAX_RECORDS + 1) + 1;
	struct decode_err e2;
	char *big;

	if ((big = malloc(cap)) == NULL) {
		perror("malloc");
		exit(1);
	}
	for (n = 0, k = 0; k < DECODE_MAX_RECORDS; k++, n += rl + 2)
		snprintf(big + n, cap - n, "%s\r\n", r);
	CHECK_INT(decode_n(p, "lw/ST02", big, n), 0);
	CHECK_INT(evs.n, DECODE_MAX_RECORDS);
	/* the limit is per message, not on the list */
	memset(&e2, 0, sizeof(e2));
	CHECK_INT(decode_profile(p, "lw/ST02", big, n, &ctx, &evs, &e2), 0);
	CHECK_INT(evs.n, 2 * DECODE_MAX_RECORDS);
	snprintf(big + n, cap - n, "%s\r\n", r);
	CHECK_INT(decode_n(p, "lw/ST02", big, n + rl + 2), -1);
	CHECK_STR(err.reason, "bad_value");
	CHECK_INT(evs.n, 0);
	free(big);
}

static void
test_delimited(void)
{
	struct fx f;

	if (fx_load(&f, csv_profile) == -1)
		return;
	run(&f, csv_cases, NELEM(csv_cases));
	test_checksum_bytes(f.p);
	test_batch(f.p);
	test_max_records(f.p);
	fx_free(&f);
}

/* ---- manifests with lines ---- */

static const char man_profile[] = "profiles:\n"
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

#define MAN    "man/20232201000153"
#define MAN_TS "{\"ts\":\"2023-08-07T09:13:05+08:00\","

static const struct dcase man_cases[] = {
	ACC(MAN,
	    MAN_TS "\"lines\":[{\"n\":1,\"code\":\"900-249-08\","
		   "\"q\":1.2,\"u\":\"t\"},{\"code\":\"HW01/841-001-01\","
		   "\"q\":\"350\",\"u\":\"kg\"},{\"q\":\"0.5\",\"u\":\"吨\"},"
		   "{\"code\":\"90024908\"}]}",
	    EV_MANIFEST, WS(man.scheme, "CN_HW"),
	    WS(man.manifest_no, "20232201000153"), WS(man.status, "created"),
	    WI(man.version, 1), WI(man.ts_ms, INT64_C(1691370785000)),
	    WZ(man.nlines, 4), LI(0, line, 1), LS(0, waste_code, "900-249-08"),
	    LS(0, hw_category, "HW08"), LS(0, waste, "hw"), LS(0, unit, "t"),
	    LN(0, qty, 1.2), LNE(0, qty_kg, 1200, 1e-6),
	    /* HW01 is medical waste */
	    LI(1, line, 2), LS(1, waste_code, "841-001-01"),
	    LS(1, hw_category, "HW01"), LS(1, waste, "mw"), LN(1, qty_kg, 350),
	    /* no code: waste unknown */
	    LI(2, line, 3), LS(2, hw_category, NULL), LS(2, waste, "unknown"),
	    LN(2, qty_kg, 500),
	    /* no quantity: no mass, and no unit needed */
	    LS(3, waste_code, "900-249-08"), LNAN(3, qty), LNAN(3, qty_kg),
	    WDQ(0)),
	/* a quantity is only a mass with its unit */
	REJ(MAN, MAN_TS "\"lines\":[{\"code\":\"900-249-08\",\"q\":1.2}]}",
	    "bad_unit"),
	REJ(MAN,
	    MAN_TS "\"lines\":[{\"code\":\"900-249-08\",\"q\":1.2,"
		   "\"u\":\"-\"}]}",
	    "bad_unit"),
	REJ(MAN,
	    MAN_TS "\"lines\":[{\"code\":\"900-249-08\",\"q\":2,"
		   "\"u\":\"m3\"}]}",
	    "bad_unit"),
	/* codes that are none, or disagree with their class */
	REJ(MAN, MAN_TS "\"lines\":[{\"code\":\"HW09/900-249-08\"}]}",
	    "bad_value"),
	REJ(MAN, MAN_TS "\"lines\":[{\"code\":\"oil\"}]}", "bad_value"),
	/* lines that are not an array of objects */
	REJ(MAN, MAN_TS "\"lines\":{\"q\":1}}", "bad_type"),
	REJ(MAN, MAN_TS "\"lines\":[1]}", "bad_type"),
	/* no lines, or null */
	ACC(MAN, MAN_TS "\"lines\":null}", EV_MANIFEST, WZ(man.nlines, 0)),
	ACC(MAN, "{\"ts\":1691370785000}", EV_MANIFEST, WZ(man.nlines, 0)),
};

static void
test_manifest(void)
{
	run_profile(man_profile, man_cases, NELEM(man_cases));
}

/* ---- the shipped profiles on tests/fixtures/payloads ---- */

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

/* What each kind of example of a dialect decodes to. */
struct kind_want {
	enum ev_kind kind;
	const struct want *want;
};

static const struct kind_want a_want[] = {
	{ EV_POSITION,
	    WANTS(WS(pos.vehicle, "KW-0217"), WS(pos.plate, "吉A5G217"),
		WI(pos.ts_ms, TS_POS), WGATE(), WN(pos.speed_kmh, 32.5),
		WN(pos.heading_deg, 87), WN(pos.alt_m, 221),
		WS(pos.load_state, "full"), WS(pos.coord_sys, "gcj02"),
		WDQ(DQ_COORD_CONVERTED)) },
	{ EV_VEHICLE_EVENT,
	    WANTS(WS(vev.type, "unload"), WS(vev.vehicle, "KW-0217"),
		WS(vev.plate, "吉A5G217"), WS(vev.facility, "CC-KWP-01"),
		WS(vev.site, NULL), WS(vev.waste, "msw.food"),
		WS(vev.manifest_no, NULL),
		WI(vev.ts_ms, INT64_C(1691388760000)), WN(vev.mass_kg, 4750),
		WDQ(0)) },
	{ EV_MANIFEST,
	    WANTS(WS(man.scheme, "CN_HW"),
		WS(man.manifest_no, "20232201000153"),
		WS(man.status, "in_transit"), WI(man.version, 3),
		WI(man.ts_ms, INT64_C(1691370785000)),
		WI(man.departed_ms, INT64_C(1691370720000)),
		WS(man.plate, "吉A02851D"),
		WS(man.generator_code, "91220101MA0XXXXXX1"),
		WS(man.generator_name, "长春某汽车零部件有限公司"),
		WS(man.carrier_name, "吉林某危险货物运输有限公司"),
		WS(man.receiver_facility, "CC-HW-01"),
		WS(man.receiver_name, "长春某危险废物处置中心"),
		WZ(man.nlines, 1), LI(0, line, 1),
		LS(0, waste_code, "900-249-08"), LS(0, hw_category, "HW08"),
		LS(0, waste, "hw"), LS(0, unit, "t"), LN(0, qty, 1.2),
		LNE(0, qty_kg, 1200, 1e-6), WDQ(0)) },
};

static const struct kind_want b_want[] = {
	{ EV_WEIGHING,
	    WANTS(WS(wb.facility, "CC-KWP-01"), WS(wb.ticket, "0153"),
		WS(wb.plate, "吉A5G217"), WS(wb.direction, "in"),
		WN(wb.gross_kg, 18070), WN(wb.tare_kg, 13320),
		WN(wb.net_kg, 4750), WI(wb.first_ms, TS_FIRST),
		WI(wb.second_ms, INT64_C(1691389265000)),
		WS(wb.waste, "msw.food"), WS(wb.origin, "朝阳区环卫所"),
		WS(wb.status, "complete"), WI(wb.version, -1),
		WDQ(DQ_TZ_ASSUMED)) },
	{ EV_POSITION,
	    WANTS(WS(pos.vehicle, "吉A5G217"), WS(pos.plate, "吉A5G217"),
		WS(pos.device, "013912345678"), WI(pos.ts_ms, TS_POS),
		WN(pos.lat, 43.883412), WN(pos.lon, 125.314567),
		WN(pos.speed_kmh, 32.5), WN(pos.heading_deg, 87),
		WN(pos.alt_m, 221), WS(pos.load_state, "full"),
		WI(pos.fix_valid, 1), WDQ(DQ_TZ_ASSUMED)) },
	/* the arrival stands in for the manifest's time */
	{ EV_MANIFEST,
	    WANTS(WS(man.scheme, "CN_KW"),
		WS(man.manifest_no, "KW20230807-0153"),
		WS(man.status, "closed"), WI(man.version, 1),
		WI(man.ts_ms, TS_FIRST),
		WI(man.departed_ms, INT64_C(1691370720000)),
		WI(man.arrived_ms, TS_FIRST), WS(man.plate, "吉A5G217"),
		WS(man.generator_name, "朝阳区某小区"),
		WS(man.carrier_name, "朝阳区环卫所"),
		WS(man.receiver_name, "长春市厨余垃圾处理厂"),
		WS(man.receiver_facility, "CC-KWP-01"),
		WS(man.waste, "msw.food"), WN(man.declared_kg, 4900),
		WN(man.received_kg, 4750), WS(man.ticket, "0153"),
		WZ(man.ntickets, 1), TKS(0, ticket, "0153"),
		TKS(0, facility, "CC-KWP-01"), WZ(man.nlines, 0),
		WDQ(DQ_TZ_ASSUMED)) },
};

/* Every legacy-wb line: the same weighing at some stage. */
#define LEGACY_COMMON                                                          \
	WS(wb.facility, "CC-KWP-01"), WS(wb.ticket, "0153"),                   \
	    WS(wb.plate, "吉A5G217"), WS(wb.direction, "in"),                  \
	    WS(wb.waste, "msw.food"), WS(wb.origin, "CHAOYANG-HWS"),           \
	    WI(wb.first_ms, TS_FIRST), WNE(wb.gross_kg, 18070, 1e-6),          \
	    WI(wb.version, -1)

static const struct kind_want legacy_want[] = {
	/* F: first weighing only; the plate was romanised */
	{ EV_WEIGHING,
	    WANTS(LEGACY_COMMON, WI(wb.second_ms, WT_NOTIME), WNAN(wb.tare_kg),
		WNAN(wb.net_kg), WDQ(DQ_TZ_ASSUMED | DQ_PLATE_ALIASED)) },
	/* T: completed */
	{ EV_WEIGHING,
	    WANTS(LEGACY_COMMON, WS(wb.status, "complete"),
		WI(wb.second_ms, INT64_C(1691389265000)),
		WNE(wb.tare_kg, 13320, 1e-6), WDQ(DQ_TZ_ASSUMED)) },
	/* C: corrected, in tonnes */
	{ EV_WEIGHING,
	    WANTS(LEGACY_COMMON, WS(wb.status, "complete"),
		WI(wb.second_ms, INT64_C(1691389265000)),
		WNE(wb.tare_kg, 13300, 1e-6), WNE(wb.net_kg, 4770, 1e-6),
		WDQ(DQ_TZ_ASSUMED)) },
};

static const struct kind_want jt808_want[] = {
	{ EV_DEVICE_BINDING,
	    WANTS(WS(bind.device, "013912345678"), WS(bind.plate, "吉A5G217"),
		WS(bind.plate_color, "yellow"), WDQ(0)) },
	{ EV_POSITION,
	    WANTS(WS(pos.device, "013912345678"),
		WS(pos.vehicle, "013912345678"), WI(pos.ts_ms, TS_POS),
		WN(pos.lat, 43.883412), WN(pos.lon, 125.314567),
		WN(pos.speed_kmh, 32.5), WN(pos.heading_deg, 87),
		WN(pos.alt_m, 221), WS(pos.load_state, "full"),
		WI(pos.fix_valid, 1), WDQ(DQ_TZ_ASSUMED)) },
};

/* The three legacy-wb lines are all weighings: tell them by stage. */
static int
legacy_stage(const struct ev *e)
{
	const struct ev_weighing *w = &e->u.wb;

	if (e->kind != EV_WEIGHING)
		return -1;
	if (w->status != NULL && strcmp(w->status, "open") == 0)
		return 0;
	return fabs(w->net_kg - 4750) < 1e-6 ? 1 : 2;
}

static const struct dialect {
	const char *name;
	const struct kind_want *kinds;
	int (*pick)(const struct ev *); /* NULL: by the event's kind */
	int nlines, nkinds;
} dialects[] = {
	{ "vendor-a", a_want, NULL, 3, NELEM(a_want) },
	{ "vendor-b", b_want, NULL, 3, NELEM(b_want) },
	{ "legacy-wb", legacy_want, legacy_stage, 3, NELEM(legacy_want) },
	{ "jt808-emqx", jt808_want, NULL, 2, NELEM(jt808_want) },
};

/* Check e against the example of dialect d it is, and count it seen. */
static void
check_example(const struct dialect *d, const struct ev *e, int *seen)
{
	int k;

	if (d->pick != NULL)
		k = d->pick(e);
	else
		for (k = d->nkinds - 1; k >= 0; k--)
			if (d->kinds[k].kind == e->kind)
				break;
	if (k < 0) {
		fprintf(stderr, "%s: unexpected kind %s\n", d->name,
		    ev_kind_name(e->kind));
		CHECK(!"a kind of the dialect");
		return;
	}
	seen[k]++;
	want_check(e, d->kinds[k].want, d->name);
}

static void
decode_file(const struct profile *p, const struct dialect *d, const char *dir)
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
			check_example(d, &evs.ev[i], seen);
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

	if (find_dir("WT_SOURCE", "conf/profiles", up, pdir, sizeof(pdir)) ==
	    -1) {
		fprintf(stderr,
		    "test_decode: no conf/profiles: set "
		    "WT_SOURCE\n");
		CHECK(!"conf/profiles found");
		return;
	}
	if (find_dir("WT_FIXTURES", "payloads", up2, sdir, sizeof(sdir)) ==
		-1 &&
	    find_dir("WT_FIXTURES", "tests/fixtures/payloads", up2, sdir,
		sizeof(sdir)) == -1) {
		fprintf(stderr,
		    "test_decode: no tests/fixtures/payloads: set "
		    "WT_FIXTURES\n");
		CHECK(!"tests/fixtures/payloads found");
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
				while (len > 0 &&
				    (line[len - 1] == '\n' ||
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
			check_example(&dialects[2], &evs.ev[i], seen);
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
	test_count();
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
