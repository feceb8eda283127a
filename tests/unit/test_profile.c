/*
 * test_profile: the profile compiler (lib/profile.c) against bad and good
 * profiles, and the four shipped ones.
 *
 * Every profile is written to a fresh mkdtemp(3) directory, loaded with
 * config_load() (which keeps `profiles:` entries as trees) and compiled
 * with profile_compile(). Expected error text is exact, with "@" standing
 * for the file's path, so a changed message or an off-by-one mark fails
 * here first.
 *
 * The shipped profiles are found through $WT_SOURCE/conf/profiles, else
 * ../conf/profiles relative to the working directory (meson runs unit
 * tests in build/).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "profile.h"
#include "tmpfiles.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Load text as a configuration (which must succeed: the loader only checks
 * a profile's name) and compile its profiles. Returns profile_compile()'s
 * result; *cfg, *set and *errors as it left them.
 */
static int
compile_text(const char *name, const char *text, const char **pathp,
    struct config **cfg, struct profile_set **set, char **errors)
{
	const char *path = write_t("profile.yaml", text);
	char *cerrors = NULL;

	*pathp = path;
	*cfg = NULL;
	*set = NULL;
	*errors = NULL;
	if (config_load(path, cfg, &cerrors) != 0) {
		fprintf(stderr, "case \"%s\": config_load failed:\n%s", name,
		    cerrors != NULL ? cerrors : "(null)\n");
		free(cerrors);
		CHECK(!"config loads");
		return -2;
	}
	return profile_compile(*cfg, set, errors);
}

/* ---- bad profiles: exact messages and positions ---- */

struct bad_case {
	const char *name, *text, *want;
};

/* A facility_status kind that compiles, for cases about the profile. */
#define FST_KIND                                                               \
	"    kinds:\n"                                                         \
	"      - kind: facility_status\n"                                      \
	"        topic: \"f/{facility}/status\"\n"                             \
	"        fields:\n"                                                    \
	"          facility: {topic: facility}\n"                              \
	"          ts: ts\n"                                                   \
	"          state: state\n"

/* The same for a delimited profile: fields are numbers. */
#define FST_KIND_DELIM                                                         \
	"    kinds:\n"                                                         \
	"      - kind: facility_status\n"                                      \
	"        topic: \"f/{facility}/status\"\n"                             \
	"        fields:\n"                                                    \
	"          facility: {topic: facility}\n"                              \
	"          ts: 1\n"                                                    \
	"          state: 2\n"

/* A position kind header: fields follow at 10 spaces, from line 7. */
#define POS_HEAD                                                               \
	"profiles:\n"                                                          \
	"  - name: p\n"                                                        \
	"    kinds:\n"                                                         \
	"      - kind: position\n"                                             \
	"        topic: \"v/{vehicle}/pos\"\n"                                 \
	"        fields:\n"
#define POS_OK_FIELDS                                                          \
	"          vehicle: {topic: vehicle}\n"                                \
	"          ts: ts\n"                                                   \
	"          lat: lat\n"                                                 \
	"          lon: lon\n"

static const struct bad_case bad_cases[] = {
	{ "unknown profile key",
	    "profiles:\n"
	    "  - name: p\n"
	    "    colour: red\n" FST_KIND,
	    "@:3:5: unknown key \"colour\" in profile\n" },
	{ "unknown kind",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: truck\n"
	    "        topic: \"v/{vehicle}/pos\"\n"
	    "        fields: {vehicle: {topic: vehicle}}\n",
	    "@:4:15: \"kind\" must be one of: position, vehicle_event, "
	    "weighing, facility_status, manifest, device_binding\n" },
	{ "unknown key in a kind",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: facility_status\n"
	    "        topic: \"f/{facility}/status\"\n"
	    "        filter: x\n"
	    "        fields:\n"
	    "          facility: {topic: facility}\n"
	    "          ts: ts\n"
	    "          state: state\n",
	    "@:6:9: unknown key \"filter\" in kind\n" },
	{ "missing topic",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: facility_status\n"
	    "        fields:\n"
	    "          facility: fac\n"
	    "          ts: ts\n"
	    "          state: state\n",
	    "@:4:9: missing required key \"topic\"\n" },
	{ "missing kind",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - topic: \"f/{facility}/status\"\n"
	    "        fields: {state: state}\n",
	    "@:4:9: missing required key \"kind\"\n" },
	{ "kinds empty",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds: []\n",
	    "@:3:12: \"kinds\" must be a non-empty list\n" },
	{ "fields not a mapping",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: facility_status\n"
	    "        topic: \"f/{facility}/status\"\n"
	    "        fields: [facility, ts]\n",
	    "@:6:17: \"fields\" must be a mapping\n" },
	{ "unknown field for the kind",
	    POS_HEAD POS_OK_FIELDS "          weight: w\n",
	    "@:11:11: unknown field \"weight\" for this kind\n" },
	{ "field of another kind",
	    POS_HEAD POS_OK_FIELDS "          ticket: t\n",
	    "@:11:11: unknown field \"ticket\" for this kind\n" },
	{ "missing required field",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: ts\n"
		     "          lon: lon\n",
	    "@:4:9: this kind needs field \"lat\"\n" },
	{ "missing two required fields, in table order",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: weighing\n"
	    "        topic: \"wb/{station}\"\n"
	    "        fields:\n"
	    "          facility: {topic: station}\n"
	    "          status: st\n",
	    "@:4:9: this kind needs field \"ticket\"\n"
	    "@:4:9: this kind needs field \"first_ts\"\n" },
	{ "position without vehicle or device",
	    POS_HEAD "          plate: plate\n"
		     "          ts: ts\n"
		     "          lat: lat\n"
		     "          lon: lon\n",
	    "@:4:9: a position needs field \"vehicle\" or \"device\"\n" },
	{ "topic capture not in the pattern",
	    POS_HEAD "          vehicle: {topic: truck}\n"
		     "          ts: ts\n"
		     "          lat: lat\n"
		     "          lon: lon\n",
	    "@:7:28: the topic pattern has no capture \"{truck}\"\n" },
	{ "check_topic capture not in the pattern",
	    POS_HEAD POS_OK_FIELDS
	    "          plate: {path: plate, check_topic: plate}\n",
	    "@:11:45: the topic pattern has no capture \"{plate}\"\n" },
	{ "unknown field option",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: ts\n"
		     "          lat: {path: lat, scal: 0.1}\n"
		     "          lon: lon\n",
	    "@:9:28: unknown key \"scal\" in lat\n" },
	{ "field without a source",
	    POS_HEAD POS_OK_FIELDS "          speed_kmh: {scale: 0.1}\n",
	    "@:11:22: field \"speed_kmh\" needs one of path, field, topic "
	    "or value\n" },
	{ "map target not in the vocabulary",
	    POS_HEAD POS_OK_FIELDS
	    "          load_state: {path: ls, map: {FULL: full, BRIM: brim}}\n",
	    "@:11:39: table maps \"BRIM\" to \"brim\", not a value of "
	    "\"load_state\"\n" },
	{ "named map target not in the vocabulary",
	    "profiles:\n"
	    "  - name: p\n"
	    "    tables:\n"
	    "      load: {EMPTY: empty, FULL: loaded}\n"
	    "    kinds:\n"
	    "      - kind: position\n"
	    "        topic: \"v/{vehicle}/pos\"\n"
	    "        fields:\n" POS_OK_FIELDS
	    "          load_state: {path: ls, map: load}\n",
	    "@:13:39: table maps \"FULL\" to \"loaded\", not a value of "
	    "\"load_state\"\n" },
	{ "waste map target not canonical",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: vehicle_event\n"
	    "        topic: \"v/{vehicle}/ev\"\n"
	    "        fields:\n"
	    "          type: type\n"
	    "          vehicle: {topic: vehicle}\n"
	    "          ts: ts\n"
	    "          waste: {path: w, map: {FOOD: msw.food, SOIL: soil}}\n",
	    "@:10:33: table maps \"SOIL\" to \"soil\", which is not a waste "
	    "category\n" },
	/* a constant outside the vocabulary would reject every message */
	{ "constant not in the vocabulary",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: vehicle_event\n"
	    "        topic: \"v/{vehicle}/ev\"\n"
	    "        fields:\n"
	    "          type: type\n"
	    "          vehicle: {topic: vehicle}\n"
	    "          ts: ts\n"
	    "          waste: w\n"
	    "          count: n\n"
	    "          count_unit: {value: sack}\n",
	    "@:12:31: \"sack\" is not a value of \"count_unit\"\n" },
	{ "unknown named table",
	    POS_HEAD POS_OK_FIELDS
	    "          load_state: {path: ls, map: nope}\n",
	    "@:11:39: unknown table \"nope\"\n" },
	{ "table not a mapping",
	    "profiles:\n"
	    "  - name: p\n"
	    "    tables:\n"
	    "      load: full\n" FST_KIND,
	    "@:4:13: table \"load\" must be a mapping\n" },
	/* "" marks inline tables: a named one would be freed twice */
	{ "table without a name",
	    "profiles:\n"
	    "  - name: p\n"
	    "    tables:\n"
	    "      \"\": {EMPTY: empty}\n"
	    "    kinds:\n"
	    "      - kind: position\n"
	    "        topic: \"v/{vehicle}/pos\"\n"
	    "        fields:\n" POS_OK_FIELDS
	    "          load_state: {path: ls, map: \"\"}\n",
	    "@:4:7: a table needs a name\n"
	    "@:13:39: unknown table \"\"\n" },
	{ "unknown provinces table",
	    POS_HEAD POS_OK_FIELDS
	    "          plate: {path: p, provinces: prov}\n",
	    "@:11:39: unknown table \"prov\"\n" },
	{ "bits out of range",
	    POS_HEAD POS_OK_FIELDS
	    "          load_state: {path: st, bits: [8, 32]}\n",
	    "@:11:44: \"bits\" must be an integer between 0 and 31\n" },
	{ "bits reversed",
	    POS_HEAD POS_OK_FIELDS
	    "          load_state: {path: st, bits: [9, 8]}\n",
	    "@:11:40: \"bits\" must be [low, high] within 0..31\n" },
	{ "bits not a pair",
	    POS_HEAD POS_OK_FIELDS
	    "          load_state: {path: st, bits: 8}\n",
	    "@:11:40: \"bits\" must be [low, high] within 0..31\n" },
	{ "sign source without sign_bit",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: ts\n"
		     "          lat: {path: lat, sign_path: st}\n"
		     "          lon: lon\n",
	    "@:9:16: a sign source needs sign_bit\n" },
	{ "sign_bit out of range",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: ts\n"
		     "          lat: {path: lat, sign_path: st, sign_bit: 32}\n"
		     "          lon: lon\n",
	    "@:9:53: \"sign_bit\" must be an integer between 0 and 31\n" },
	{ "time: compact without a date source",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: {path: hhmmss, time: compact}\n"
		     "          lat: lat\n"
		     "          lon: lon\n",
	    "@:8:15: time: compact needs date_path or date_field\n" },
	{ "unknown time format",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: {path: ts, time: iso}\n"
		     "          lat: lat\n"
		     "          lon: lon\n",
	    "@:8:32: \"time\" must be one of: auto, rfc3339, local, compact, "
	    "bcd, epoch_s, epoch_ms\n" },
	{ "field: in a json profile",
	    POS_HEAD "          vehicle: {topic: vehicle}\n"
		     "          ts: ts\n"
		     "          lat: {field: 3}\n"
		     "          lon: lon\n",
	    "@:9:24: \"field\" needs format: delimited\n" },
	{ "field number out of range",
	    "profiles:\n"
	    "  - name: p\n"
	    "    format: delimited\n" FST_KIND_DELIM
	    "          inventory_kg: {field: 0}\n"
	    "          throughput_kg: 1001\n",
	    "@:11:33: \"field\" must be an integer between 1 and 1000\n"
	    "@:12:26: \"field\" must be an integer between 1 and 1000\n" },
	{ "delimited options in a json profile",
	    "profiles:\n"
	    "  - name: p\n"
	    "    separator: \",\"\n" FST_KIND,
	    "@:2:5: separator, record_separator and checksum_field need "
	    "format: delimited\n" },
	{ "separator of two characters",
	    "profiles:\n"
	    "  - name: p\n"
	    "    format: delimited\n"
	    "    separator: \";;\"\n" FST_KIND_DELIM,
	    "@:4:16: \"separator\" must be one character\n" },
	{ "bad format",
	    "profiles:\n"
	    "  - name: p\n"
	    "    format: csv\n" FST_KIND,
	    "@:3:13: \"format\" must be one of: json, delimited\n" },
	{ "bad encoding",
	    "profiles:\n"
	    "  - name: p\n"
	    "    encoding: latin1\n" FST_KIND,
	    "@:3:15: \"encoding\" must be one of: utf-8, gbk, auto\n" },
	{ "bad unit",
	    "profiles:\n"
	    "  - name: p\n" FST_KIND
	    "          inventory_kg: {path: inv, unit: furlong}\n",
	    "@:10:43: unknown unit \"furlong\"\n" },
	{ "bad coord_sys",
	    "profiles:\n"
	    "  - name: p\n"
	    "    coord_sys: utm\n" FST_KIND,
	    "@:3:16: \"coord_sys\" must be wgs84, gcj02 or bd09\n" },
	{ "bad offset",
	    "profiles:\n"
	    "  - name: p\n"
	    "    local_offset: \"+8h\"\n" FST_KIND,
	    "@:3:19: invalid offset \"+8h\"\n" },
	{ "unmapped: maybe",
	    "profiles:\n"
	    "  - name: p\n" FST_KIND
	    "          inventory_kg: {path: inv, map: {a: \"1\"}, "
	    "unmapped: maybe}\n",
	    "@:10:62: \"unmapped\" must be one of: reject, null, keep\n" },
	{ "scale zero",
	    POS_HEAD POS_OK_FIELDS "          speed_kmh: {path: v, scale: 0}\n",
	    "@:11:39: \"scale\" must be a non-zero number\n" },
	{ "when without equals",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: facility_status\n"
	    "        topic: \"f/{facility}/status\"\n"
	    "        when: {path: type}\n"
	    "        fields:\n"
	    "          facility: {topic: facility}\n"
	    "          ts: ts\n"
	    "          state: state\n",
	    "@:6:15: \"when\" must be a mapping with a source and equals\n" },
	{ "unknown line field",
	    "profiles:\n"
	    "  - name: p\n"
	    "    kinds:\n"
	    "      - kind: manifest\n"
	    "        topic: \"m/{no}\"\n"
	    "        fields:\n"
	    "          scheme: {value: CN_HW}\n"
	    "          manifest_no: {topic: no}\n"
	    "          status: status\n"
	    "          ts: ts\n"
	    "          lines:\n"
	    "            path: lines\n"
	    "            fields:\n"
	    "              qty: q\n"
	    "              colour: c\n",
	    "@:15:15: unknown line field \"colour\"\n" },
	{ "several errors, all in order",
	    "profiles:\n"
	    "  - name: p\n"
	    "    coord_sys: utm\n"
	    "    tables:\n"
	    "      load: {F: full}\n"
	    "    kinds:\n"
	    "      - kind: position\n"
	    "        topic: \"v/{vehicle}/pos\"\n"
	    "        fields:\n"
	    "          vehicle: {topic: truck}\n"
	    "          ts: {path: ts, time: compact}\n"
	    "          lat: lat\n"
	    "          speed_kmh: {path: v, unit: furlong}\n"
	    "          load_state: {path: ls, map: lod}\n"
	    "      - kind: pose\n"
	    "        topic: x\n"
	    "  - name: q\n"
	    "    local_offset: \"+25:00\"\n" FST_KIND "          colour: c\n",
	    "@:3:16: \"coord_sys\" must be wgs84, gcj02 or bd09\n"
	    "@:10:28: the topic pattern has no capture \"{truck}\"\n"
	    "@:11:15: time: compact needs date_path or date_field\n"
	    "@:13:38: unknown unit \"furlong\"\n"
	    "@:14:39: unknown table \"lod\"\n"
	    "@:7:9: this kind needs field \"lon\"\n"
	    "@:15:15: \"kind\" must be one of: position, vehicle_event, "
	    "weighing, facility_status, manifest, device_binding\n"
	    "@:18:19: invalid offset \"+25:00\"\n"
	    "@:26:11: unknown field \"colour\" for this kind\n" },
};

static void
test_bad_cases(void)
{
	const struct bad_case *c;
	struct profile_set *set;
	struct config *cfg;
	const char *path;
	char *errors, *want;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(bad_cases); i++) {
		c = &bad_cases[i];
		rc = compile_text(c->name, c->text, &path, &cfg, &set, &errors);
		if (rc == -2)
			continue;
		want = expand(c->want, path);
		CHECK_INT(rc, -1);
		CHECK(set == NULL);
		if (errors == NULL || strcmp(errors, want) != 0)
			fprintf(stderr,
			    "case \"%s\":\n--- got:\n%s--- want:\n"
			    "%s---\n",
			    c->name, errors ? errors : "(null)\n", want);
		CHECK_STR(errors, want);
		free(want);
		free(errors);
		profile_set_free(set);
		config_free(cfg);
	}
}

/* ---- good profiles: what the compiler builds ---- */

static const struct pf_field *
field_of(const struct pf_kind *k, const char *name)
{
	const struct pf_canon *t;
	size_t i, nt;

	t = profile_canon(k->kind, &nt);
	for (i = 0; i < k->nfields; i++)
		if (strcmp(t[k->fields[i].canon].name, name) == 0)
			return &k->fields[i];
	return NULL;
}

static void
test_good(void)
{
	static const char text[] =
	    "time:\n"
	    "  local_offset: \"+05:30\"\n"
	    "profiles:\n"
	    "  - name: good\n"
	    "    coord_sys: bd09\n"
	    "    encoding: gbk\n"
	    "    tables:\n"
	    "      load: {\"0\": empty, \"3\": full}\n"
	    "    kinds:\n"
	    "      - kind: device_binding\n"
	    "        topic: \"t/{phone}/up\"\n"
	    "        when: {path: header.msg_id, equals: \"256\"}\n"
	    "        fields:\n"
	    "          device: {topic: phone}\n"
	    "          plate: {path: body.plate, provinces: {JI: 吉}}\n"
	    "      - kind: position\n"
	    "        topic: \"t/{phone}/up\"\n"
	    "        fields:\n"
	    "          device: {topic: phone}\n"
	    "          ts: {path: body.time, time: bcd}\n"
	    "          lat: {path: body.lat, scale: 0.000001, "
	    "sign_path: body.status, sign_bit: 2}\n"
	    "          lon: body.lon\n"
	    "          load_state: {path: body.status, bits: [8, 9], "
	    "map: load, unmapped: \"null\"}\n"
	    "          speed_kmh: {path: v, required: true, "
	    "else: {path: v2, scale: 0.1}}\n"
	    "  - name: lines\n"
	    "    format: delimited\n"
	    "    local_offset: \"-05:00\"\n"
	    "    separator: \",\"\n"
	    "    record_separator: \"\\r\\n\"\n"
	    "    checksum_field: 6\n"
	    "    kinds:\n"
	    "      - kind: facility_status\n"
	    "        topic: \"f/{facility}\"\n"
	    "        fields:\n"
	    "          facility: {topic: facility}\n"
	    "          ts: {field: 3, date_field: 2, time: compact}\n"
	    "          state: {value: open}\n"
	    "          inventory_kg: {field: 4, unit_field: 5, unit: t}\n";
	const struct pf_field *f;
	const struct pf_kind *k;
	const struct profile *p;
	struct profile_set *set;
	struct config *cfg;
	const char *path;
	char *errors;

	if (compile_text("good", text, &path, &cfg, &set, &errors) != 0) {
		fprintf(stderr, "good: unexpected errors:\n%s",
		    errors ? errors : "(null)\n");
		CHECK(!"good profiles compile");
		free(errors);
		profile_set_free(set);
		config_free(cfg);
		return;
	}
	CHECK(errors == NULL);
	CHECK_INT(set->n, 2);
	CHECK(profile_find(set, "nope") == NULL);

	CHECK((p = profile_find(set, "good")) != NULL);
	if (p != NULL && p->nkinds == 2) {
		CHECK_INT(p->format, PF_JSON);
		CHECK_INT(p->encoding, PF_GBK);
		CHECK_INT(p->coord_sys, GEO_BD09);
		/* no offset of its own: the configuration's */
		CHECK_INT(p->has_offset, 0);
		CHECK_INT(p->local_offset_min, 330);
		CHECK_INT(p->ntables, 1);
		k = &p->kinds[0];
		CHECK_INT(k->kind, EV_DEVICE_BINDING);
		CHECK_STR(k->topic, "t/{phone}/up");
		CHECK_INT(k->when.kind, PF_SRC_PATH);
		CHECK_INT(k->when.nseg, 2);
		if (k->when.nseg == 2) {
			CHECK_STR(k->when.seg[0], "header");
			CHECK_STR(k->when.seg[1], "msg_id");
		}
		CHECK_STR(k->when_equals, "256");
		CHECK((f = field_of(k, "device")) != NULL);
		if (f != NULL) {
			CHECK_INT(f->src.kind, PF_SRC_TOPIC);
			CHECK_STR(f->src.name, "phone");
		}
		CHECK((f = field_of(k, "plate")) != NULL);
		if (f != NULL && f->provinces != NULL) {
			CHECK_INT(f->provinces->n, 1);
			CHECK_STR(f->provinces->from[0], "JI");
			CHECK_STR(f->provinces->to[0], "吉");
		} else
			CHECK(!"inline provinces table");
		k = &p->kinds[1];
		CHECK_INT(k->kind, EV_POSITION);
		CHECK_INT(k->when.kind, PF_SRC_NONE);
		CHECK((f = field_of(k, "ts")) != NULL);
		if (f != NULL)
			CHECK_INT(f->time, PF_TIME_BCD);
		CHECK((f = field_of(k, "lat")) != NULL);
		if (f != NULL) {
			CHECK_NEAR(f->scale, 1e-6, 1e-15);
			CHECK_INT(f->sign_src.kind, PF_SRC_PATH);
			CHECK_INT(f->sign_bit, 2);
			CHECK_INT(f->bit_lo, -1);
		}
		CHECK((f = field_of(k, "lon")) != NULL);
		if (f != NULL) {
			CHECK_INT(f->src.kind, PF_SRC_PATH);
			CHECK_INT(f->scale, 0);
			CHECK_INT(f->sign_bit, -1);
			CHECK(f->map == NULL);
		}
		CHECK((f = field_of(k, "load_state")) != NULL);
		if (f != NULL) {
			CHECK_INT(f->bit_lo, 8);
			CHECK_INT(f->bit_hi, 9);
			CHECK(f->map == &p->tables[0]);
			CHECK_INT(f->unmapped, PF_UNMAPPED_NULL);
		}
		CHECK((f = field_of(k, "speed_kmh")) != NULL);
		if (f != NULL) {
			CHECK_INT(f->required, 1);
			CHECK_INT(f->unmapped, PF_UNMAPPED_REJECT);
			CHECK(f->alt != NULL);
			if (f->alt != NULL) {
				CHECK_STR(f->alt->src.seg[0], "v2");
				CHECK_NEAR(f->alt->scale, 0.1, 1e-15);
				CHECK_INT(f->alt->canon, f->canon);
			}
		}
	} else
		CHECK(!"profile good with two kinds");

	CHECK((p = profile_find(set, "lines")) != NULL);
	if (p != NULL && p->nkinds == 1) {
		CHECK_INT(p->format, PF_DELIMITED);
		CHECK_INT(p->encoding, PF_UTF8);
		CHECK_INT(p->coord_sys, GEO_WGS84);
		CHECK_INT(p->has_offset, 1);
		CHECK_INT(p->local_offset_min, -300);
		CHECK_INT(p->separator, ',');
		CHECK_STR(p->record_separator, "\r\n");
		CHECK_INT(p->checksum_field, 6);
		k = &p->kinds[0];
		CHECK((f = field_of(k, "ts")) != NULL);
		if (f != NULL) {
			CHECK_INT(f->src.kind, PF_SRC_FIELD);
			CHECK_INT(f->src.field, 3);
			CHECK_INT(f->date.kind, PF_SRC_FIELD);
			CHECK_INT(f->date.field, 2);
			CHECK_INT(f->time, PF_TIME_COMPACT);
		}
		CHECK((f = field_of(k, "state")) != NULL);
		if (f != NULL) {
			CHECK_INT(f->src.kind, PF_SRC_VALUE);
			CHECK_STR(f->src.name, "open");
		}
		CHECK((f = field_of(k, "inventory_kg")) != NULL);
		if (f != NULL) {
			CHECK_STR(f->unit, "t");
			CHECK_INT(f->unit_src.kind, PF_SRC_FIELD);
			CHECK_INT(f->unit_src.field, 5);
		}
	} else
		CHECK(!"profile lines with one kind");
	profile_set_free(set);
	config_free(cfg);
}

/* No profiles at all is an empty set, not an error. */
static void
test_empty(void)
{
	struct profile_set *set;
	struct config *cfg;
	const char *path;
	char *errors;

	CHECK_INT(compile_text("empty", "time:\n  local_offset: \"+08:00\"\n",
		      &path, &cfg, &set, &errors),
	    0);
	CHECK(errors == NULL);
	CHECK(set != NULL && set->n == 0);
	CHECK(profile_find(set, "vendor-a") == NULL);
	profile_set_free(set);
	config_free(cfg);
}

/* ---- the shipped profiles ---- */

static int
profiles_dir(char *out, size_t n)
{
	const char *src = getenv("WT_SOURCE");
	struct stat st;
	int len;

	if (src != NULL && *src != '\0')
		len = snprintf(out, n, "%s/conf/profiles", src);
	else if (realpath("../conf/profiles", out) != NULL)
		len = (int)strlen(out);
	else
		return -1;
	if (len <= 0 || (size_t)len >= n || stat(out, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return -1;
	return 0;
}

static void
test_shipped(void)
{
	static const char *const names[] = { "vendor-a", "vendor-b",
		"legacy-wb", "jt808-emqx" };
	char dir[PATH_MAX], text[PATH_MAX + 64], *errors;
	const struct profile *p;
	struct profile_set *set;
	struct config *cfg;
	const char *path;
	size_t i;

	if (profiles_dir(dir, sizeof(dir)) == -1) {
		fprintf(stderr,
		    "test_profile: no conf/profiles: set "
		    "WT_SOURCE\n");
		CHECK(!"conf/profiles found");
		return;
	}
	snprintf(text, sizeof(text), "include: [\"%s/*.yaml\"]\n", dir);
	if (compile_text("shipped", text, &path, &cfg, &set, &errors) != 0) {
		fprintf(stderr, "shipped profiles: errors:\n%s",
		    errors ? errors : "(null)\n");
		CHECK(!"shipped profiles compile");
		free(errors);
		config_free(cfg);
		return;
	}
	CHECK(errors == NULL);
	CHECK_INT(set->n, NELEM(names));
	for (i = 0; i < NELEM(names); i++)
		CHECK(profile_find(set, names[i]) != NULL);

	if ((p = profile_find(set, "vendor-a")) != NULL) {
		CHECK_INT(p->format, PF_JSON);
		CHECK_INT(p->coord_sys, GEO_GCJ02);
		CHECK_INT(p->nkinds, 3);
	}
	if ((p = profile_find(set, "vendor-b")) != NULL) {
		CHECK_INT(p->format, PF_JSON);
		CHECK_INT(p->coord_sys, GEO_WGS84);
		CHECK_INT(p->nkinds, 3);
	}
	if ((p = profile_find(set, "legacy-wb")) != NULL) {
		CHECK_INT(p->format, PF_DELIMITED);
		CHECK_INT(p->encoding, PF_AUTO);
		CHECK_INT(p->separator, ';');
		CHECK_STR(p->record_separator, "\r\n");
		CHECK_INT(p->checksum_field, 15);
		CHECK_INT(p->nkinds, 1);
		if (p->nkinds == 1)
			CHECK_INT(p->kinds[0].kind, EV_WEIGHING);
	}
	if ((p = profile_find(set, "jt808-emqx")) != NULL) {
		CHECK_INT(p->has_offset, 1);
		CHECK_INT(p->local_offset_min, 480);
		CHECK_INT(p->nkinds, 2);
		if (p->nkinds == 2) {
			CHECK_INT(p->kinds[0].kind, EV_DEVICE_BINDING);
			CHECK_STR(p->kinds[0].when_equals, "256");
			CHECK_INT(p->kinds[1].kind, EV_POSITION);
			CHECK_STR(p->kinds[1].when_equals, "512");
		}
	}
	profile_set_free(set);
	config_free(cfg);
}

int
main(void)
{
	tmpfiles_init("test_profile");
	test_bad_cases();
	test_good();
	test_empty();
	test_shipped();
	tmpfiles_cleanup();
	return check_result("test_profile");
}
