/*
 * test_config: the configuration loader against bad and good files.
 *
 * Every file is written to a fresh mkdtemp(3) directory. Expected error
 * text is exact: "@" stands for the file's path and "$" for its directory,
 * so a changed message or an off-by-one mark fails here first.
 *
 * Usage: test_config [conf/wastetrack.yaml]
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "tmpfiles.h"

/* Load path, expecting failure with exactly want (expanded). */
static void
expect_errors(const char *name, const char *path, const char *want)
{
	struct config *cfg = (struct config *)&cfg; /* must become NULL */
	char *errors = NULL, *w;
	int rc;

	w = expand(want, path);
	rc = config_load(path, &cfg, &errors);
	CHECK(rc == -1);
	CHECK(cfg == NULL);
	if (errors == NULL || strcmp(errors, w) != 0) {
		fprintf(stderr, "case \"%s\":\n--- got:\n%s--- want:\n%s---\n",
		    name, errors != NULL ? errors : "(null)\n", w);
	}
	CHECK_STR(errors, w);
	free(errors);
	free(w);
}

/* Load path, expecting success; reports errors if any. */
static struct config *
expect_ok(const char *name, const char *path)
{
	struct config *cfg = NULL;
	char *errors = NULL;
	int rc;

	rc = config_load(path, &cfg, &errors);
	if (rc != 0)
		fprintf(stderr, "case \"%s\": unexpected errors:\n%s", name,
		    errors != NULL ? errors : "(null)\n");
	CHECK_INT(rc, 0);
	CHECK(errors == NULL);
	free(errors);
	return cfg;
}

/*
 * Bad files. Columns are 1-based and point at the offending node: the key
 * for unknown/duplicate/refused keys, the value for type and range errors,
 * the mapping for a missing key.
 */
static const struct bad_case {
	const char *name;
	const char *yaml;
	const char *want;
} bad_cases[] = {
	{ "typo of password_file",
	    "mqtt:\n  username: wt\n  pasword_file: /etc/wt.pw\n",
	    "@:3:3: unknown key \"pasword_file\" in mqtt\n" },
	{ "unknown top-level key", "mqt:\n  url: \"tcp://h:1\"\n",
	    "@:1:1: unknown key \"mqt\" in top level\n" },
	{ "unknown key in tls", "mqtt:\n  tls:\n    ca: /x\n",
	    "@:3:5: unknown key \"ca\" in mqtt.tls\n" },
	{ "duplicate key", "mqtt:\n  qos: 1\n  keepalive_s: 30\n  qos: 0\n",
	    "@:4:3: duplicate key \"qos\"\n" },
	{ "duplicate section",
	    "http: {listen: \"127.0.0.1:1\"}\nhttp: {port_file: p}\n",
	    "@:2:1: duplicate key \"http\"\n" },
	{ "string wanted", "mqtt:\n  client_id: [a, b]\n",
	    "@:2:14: \"client_id\" must be a string\n" },
	{ "empty required string", "mqtt:\n  client_id: \"\"\n",
	    "@:2:14: \"client_id\" must not be empty\n" },
	{ "integer wanted", "mqtt:\n  keepalive_s: 12abc\n",
	    "@:2:16: \"keepalive_s\" must be an integer\n" },
	{ "integer, not a fraction", "mqtt:\n  keepalive_s: 1.5\n",
	    "@:2:16: \"keepalive_s\" must be an integer\n" },
	{ "integer, not hex", "database:\n  raw_retention_days: 0x10\n",
	    "@:2:23: \"raw_retention_days\" must be an integer\n" },
	{ "integer, not empty", "mqtt:\n  keepalive_s:\n",
	    "@:2:15: \"keepalive_s\" must be an integer\n" },
	{ "size wanted", "ingest:\n  max_payload: 256k\n",
	    "@:2:16: \"max_payload\" must be an integer\n" },
	{ "number wanted", "reconcile:\n  tolerance_pct: ten\n",
	    "@:2:18: \"tolerance_pct\" must be a number\n" },
	{ "number, not nan", "reconcile:\n  tolerance_pct: nan\n",
	    "@:2:18: \"tolerance_pct\" must be a number\n" },
	{ "number beyond double", "reconcile:\n  tolerance_pct: 1e999\n",
	    "@:2:18: \"tolerance_pct\" must be between 0 and 100\n" },
	{ "include items are strings", "include: [[a.yaml]]\n",
	    "@:1:11: each item of \"include\" must be a string\n" },
	{ "boolean wanted", "mqtt:\n  clean_session: maybe\n",
	    "@:2:18: \"clean_session\" must be true or false\n" },
	{ "boolean, not 1",
	    "facilities:\n  - {id: A, kind: incinerator, harmless: 1}\n",
	    "@:2:42: \"harmless\" must be true or false\n" },
	{ "mapping wanted", "mqtt: \"tcp://127.0.0.1:1883\"\n",
	    "@:1:7: \"mqtt\" must be a mapping\n" },
	{ "list wanted", "subscriptions: \"wt/v1/#\"\n",
	    "@:1:16: \"subscriptions\" must be a list\n" },
	{ "list of mappings wanted", "facilities:\n  - CC-KWP-01\n",
	    "@:2:5: each item of \"facilities\" must be a mapping\n" },
	{ "include wants a list", "include: \"profiles/*.yaml\"\n",
	    "@:1:10: \"include\" must be a list\n" },
	{ "integer below range", "mqtt:\n  keepalive_s: 0\n",
	    "@:2:16: \"keepalive_s\" must be between 1 and 3600\n" },
	{ "integer beyond long long",
	    "mqtt:\n  keepalive_s: 99999999999999999999\n",
	    "@:2:16: \"keepalive_s\" must be between 1 and 3600\n" },
	{ "negative integer", "database:\n  raw_retention_days: -1\n",
	    "@:2:23: \"raw_retention_days\" must be between 0 and 3650\n" },
	{ "size below range", "ingest:\n  max_payload: 63\n",
	    "@:2:16: \"max_payload\" must be between 64 and 16777216\n" },
	{ "size above range", "ingest:\n  spool_max_mb: 4097\n",
	    "@:2:17: \"spool_max_mb\" must be between 1 and 4096\n" },
	{ "number above range", "reconcile:\n  tolerance_pct: 100.5\n",
	    "@:2:18: \"tolerance_pct\" must be between 0 and 100\n" },
	{ "bad enum", "database:\n  synchronous: fast\n",
	    "@:2:16: \"synchronous\" must be one of: normal, full\n" },
	{ "qos 2", "mqtt:\n  qos: 2\n",
	    "@:2:8: qos 2 is not supported: use 1\n" },
	{ "qos 3", "mqtt:\n  qos: 3\n",
	    "@:2:8: \"qos\" must be between 0 and 1\n" },
	{ "bad url scheme", "mqtt:\n  url: \"mqtt://broker:1883\"\n",
	    "@:2:8: invalid url \"mqtt://broker:1883\": "
	    "want tcp://host:port or ssl://host:port\n" },
	{ "url without port", "mqtt:\n  url: tcp://broker\n",
	    "@:2:8: invalid url \"tcp://broker\": "
	    "want tcp://host:port or ssl://host:port\n" },
	{ "url with port 0", "mqtt:\n  url: ssl://broker:0\n",
	    "@:2:8: invalid url \"ssl://broker:0\": "
	    "want tcp://host:port or ssl://host:port\n" },
	{ "bad listen", "http:\n  listen: 8080\n",
	    "@:2:11: invalid listen address \"8080\": want host:port\n" },
	/* A name that merely starts like a loopback address is not one: it
	 * resolves to wherever its DNS says. */
	{ "listen on a name that starts with 127.",
	    "http:\n  listen: \"127.example.org:8080\"\n",
	    "@:2:3: http.listen \"127.example.org:8080\" is not a loopback "
	    "address and http.auth_file is not set: set one, or listen on "
	    "127.0.0.1 behind a reverse proxy\n" },
	{ "listen on a name that ends in 127.0.0.1",
	    "http:\n  listen: \"127.0.0.1.example.org:8080\"\n",
	    "@:2:3: http.listen \"127.0.0.1.example.org:8080\" is not a "
	    "loopback address and http.auth_file is not set: set one, or "
	    "listen on 127.0.0.1 behind a reverse proxy\n" },
	{ "listen port too large", "http:\n  listen: \"127.0.0.1:65536\"\n",
	    "@:2:11: invalid listen address \"127.0.0.1:65536\": "
	    "want host:port\n" },
	{ "offset out of range", "time:\n  local_offset: \"+14:30\"\n",
	    "@:2:17: invalid offset \"+14:30\": "
	    "want Z, UTC or ±HH:MM within ±14:00\n" },
	{ "unknown profile",
	    "subscriptions:\n  - {topic: \"x/#\", profile: vendor-z}\n",
	    "@:2:29: unknown profile \"vendor-z\"\n" },
	{ "missing topic", "subscriptions:\n  - profile: wastetrack\n",
	    "@:2:5: missing required key \"topic\" in subscription\n" },
	{ "bad topic filter",
	    "subscriptions:\n  - {topic: \"wt/#/x\", profile: wastetrack}\n",
	    "@:2:13: invalid topic filter \"wt/#/x\"\n" },
	{ "unknown key in subscription",
	    "subscriptions:\n  - {topic: \"x/#\", profile: wastetrack, "
	    "qos: 1}\n",
	    "@:2:41: unknown key \"qos\" in subscription\n" },
	{ "unknown facility kind",
	    "facilities:\n  - id: CC-X-01\n    kind: dump\n",
	    "@:3:11: unknown facility kind \"dump\"\n" },
	{ "duplicate facility id",
	    "facilities:\n"
	    "  - {id: CC-INC-02, kind: incinerator}\n"
	    "  - {id: CC-INC-02, kind: sanitary_landfill}\n",
	    "@:3:10: duplicate facility id \"CC-INC-02\"\n" },
	{ "facility without id and kind", "facilities:\n  - name: somewhere\n",
	    "@:2:5: missing required key \"id\" in facility\n"
	    "@:2:5: missing required key \"kind\" in facility\n" },
	{ "inline password", "mqtt:\n  username: wt\n  password: hunter2\n",
	    "@:3:3: password must not be inline: use password_file\n" },
	{ "reconnect bounds crossed",
	    "mqtt:\n  reconnect_min_s: 60\n  reconnect_max_s: 10\n",
	    "@:2:3: \"reconnect_min_s\" must not exceed \"reconnect_max_s\"\n" },
	{ "syntax error: unclosed flow sequence", "mqtt:\n  url: [\n",
	    "@:3:1: did not find expected node content\n" },
	{ "syntax error: tab indentation", "mqtt:\n\tqos: 1\n",
	    "@:2:1: found character that cannot start any token\n" },
	{ "top level not a mapping", "- mqtt\n",
	    "@:1:1: top level must be a mapping\n" },
	{ "two documents", "mqtt: {qos: 1}\n---\nmqtt: {qos: 0}\n",
	    "@:3:1: only one YAML document is allowed\n" },
	{ "profiles must be a list", "profiles: {name: vendor-a}\n",
	    "@:1:11: \"profiles\" must be a list\n" },
	{ "profile entry not a mapping", "profiles:\n  - vendor-a\n",
	    "@:2:5: each item of \"profiles\" must be a mapping\n" },
	{ "profile without name",
	    "profiles:\n  - match: \"x/#\"\n    kind: weigh\n",
	    "@:2:5: missing required key \"name\" in profile\n" },
	{ "profile name empty", "profiles:\n  - name:\n    kind: weigh\n",
	    "@:2:10: \"name\" must not be empty\n" },
	{ "profile name not a string", "profiles:\n  - name: [a]\n",
	    "@:2:11: \"name\" must be a string\n" },
	{ "profile with a built-in name", "profiles:\n  - name: wastetrack\n",
	    "@:2:11: profile \"wastetrack\" is built in\n" },
	{ "duplicate profile name in one file",
	    "profiles:\n  - {name: vendor-a}\n  - {name: vendor-a}\n",
	    "@:3:12: duplicate profile \"vendor-a\"\n" },
	{ "duplicate key inside a profile",
	    "profiles:\n"
	    "  - name: vendor-a\n"
	    "    fields:\n"
	    "      weight: $.w\n"
	    "      weight: $.kg\n",
	    "@:5:7: duplicate key \"weight\"\n" },
	{ "duplicate key at the top of a profile",
	    "profiles:\n  - {name: a, kind: weigh, name: b}\n",
	    "@:2:28: duplicate key \"name\"\n" },
	{ "duplicate key in a map inside a list of a profile",
	    "profiles:\n  - name: a\n    rules:\n      - {x: 1, x: 2}\n",
	    "@:4:16: duplicate key \"x\"\n" },
	{ "alias in a profile",
	    "profiles:\n  - name: a\n    x: &v 1\n    y: *v\n",
	    "@:4:8: aliases are not supported\n" },
	{ "alias as a profile key",
	    "profiles:\n  - {name: a, &k x: 1, *k : 2}\n",
	    "@:2:24: aliases are not supported\n" },
	{ "recursive alias in a profile",
	    "profiles:\n  - &p {name: a, self: *p}\n",
	    "@:2:24: aliases are not supported\n" },
	{ "alias as a profile", "profiles:\n  - &p {name: a}\n  - *p\n",
	    "@:3:5: aliases are not supported\n" },
	{ "alias as the profiles list", "facilities: &f []\nprofiles: *f\n",
	    "@:2:11: aliases are not supported\n" },
	{ "profile deeper than 64 levels",
	    "profiles:\n  - name: a\n    x: "
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	    "@:3:71: profile nested deeper than 64 levels\n" },
	{ "NUL in a profile scalar", "profiles:\n  - {name: a, x: \"a\\0b\"}\n",
	    "@:2:18: scalars must not contain NUL bytes\n" },
	{ "unknown profile with profiles defined",
	    "profiles:\n  - name: vendor-a\n"
	    "subscriptions:\n  - {topic: \"x/#\", profile: nope}\n",
	    "@:4:29: unknown profile \"nope\"\n" },
	{ "a broken profile is still known by name",
	    "subscriptions:\n  - {topic: \"x/#\", profile: vendor-a}\n"
	    "profiles:\n  - {name: vendor-a, a: 1, a: 2}\n",
	    "@:4:28: duplicate key \"a\"\n" },
	{ "profile errors with other errors, in order",
	    "subscriptions:\n"
	    "  - {topic: \"x/#/y\", profile: nope}\n"
	    "profiles:\n"
	    "  - 42\n"
	    "  - {kind: weigh}\n"
	    "mqtt:\n"
	    "  qos: 2\n",
	    "@:2:13: invalid topic filter \"x/#/y\"\n"
	    "@:4:5: each item of \"profiles\" must be a mapping\n"
	    "@:5:5: missing required key \"name\" in profile\n"
	    "@:7:8: qos 2 is not supported: use 1\n"
	    "@:2:31: unknown profile \"nope\"\n" },
	/* Registries of the streams (issue 14). */
	{ "unknown generator kind",
	    "generators:\n  - {id: G1, kind: hospital, district: D}\n",
	    "@:2:20: unknown generator kind \"hospital\"\n" },
	{ "generator without district",
	    "generators:\n  - {id: G1, kind: clinic}\n",
	    "@:2:5: missing required key \"district\" in generator\n" },
	{ "duplicate generator id",
	    "generators:\n  - {id: G1, kind: market, district: D}\n"
	    "  - {id: G1, kind: market, district: D}\n",
	    "@:3:10: duplicate generator id \"G1\"\n" },
	{ "pickup interval of a farm point",
	    "generators:\n  - {id: G1, kind: straw_point, district: D,"
	    " max_pickup_interval_h: 24}\n",
	    "@:2:69: max_pickup_interval_h applies to clinics only\n" },
	{ "lat without lon",
	    "generators:\n  - {id: G1, kind: clinic, district: D, lat: 43.8}\n",
	    "@:2:5: generator \"G1\": give both lat and lon, or neither\n" },
	{ "latitude out of range",
	    "generators:\n  - {id: G1, kind: clinic, district: D, lat: 91,"
	    " lon: 125}\n",
	    "@:2:46: \"lat\" must be between -90 and 90\n" },
	{ "invalid plate", "vehicles:\n  - {plate: \"X1\"}\n",
	    "@:2:13: invalid plate \"X1\"\n" },
	{ "duplicate plate after normalisation",
	    "vehicles:\n  - {plate: \"吉A12345\"}\n  - {plate: \"吉a·12345\"}\n",
	    "@:3:13: duplicate vehicle plate \"吉A12345\"\n" },
	{ "unknown waste pattern",
	    "vehicles:\n  - {plate: \"吉A12345\", waste: [msw.food, xx.*]}\n",
	    "@:2:42: unknown waste category \"xx.*\": want a category such as"
	    " msw.food, a family such as cw.*, or *\n" },
	{ "waste not a list",
	    "vehicles:\n  - {plate: \"吉A12345\", waste: msw.food}\n",
	    "@:2:31: \"waste\" must be a list\n" },
	{ "permit date",
	    "vehicles:\n  - {plate: \"吉A12345\", permit_from: 2023-02-30}\n",
	    "@:2:37: invalid date \"2023-02-30\": want YYYY-MM-DD\n" },
	{ "permit ends before it starts",
	    "vehicles:\n  - {plate: \"吉A12345\", permit_from: 2023-02-01,"
	    " permit_to: 2023-01-31}\n",
	    "@:2:60: permit_to is before permit_from\n" },
	{ "alarm without bounds",
	    "facilities:\n  - id: I\n    kind: incinerator\n"
	    "    alarms:\n      furnace_temp_c: {severity: critical}\n",
	    "@:5:23: alarm \"furnace_temp_c\" needs min or max\n" },
	{ "alarm errors",
	    "facilities:\n  - id: I\n    kind: incinerator\n"
	    "    alarms:\n      t: {min: hot, sev: 1}\n"
	    "      \"a-b\": {max: 1}\n      u: {min: 2, max: 1}\n"
	    "      v: {max: 1, severity: loud}\n      w: 5\n",
	    "@:5:16: \"min\" must be a number\n"
	    "@:5:21: unknown key \"sev\" in alarm\n"
	    "@:6:7: alarm names a status value: letters, digits, _\n"
	    "@:7:10: alarm \"u\": min is above max\n"
	    "@:8:29: \"severity\" must be warning or critical\n"
	    "@:9:10: alarm \"w\" must be a mapping such as {min: 850}\n" },
	{ "alarms not a mapping",
	    "facilities:\n  - {id: I, kind: incinerator, alarms: [t]}\n",
	    "@:2:40: \"alarms\" must be a mapping of status values to bounds\n" },
	{ "clearance threshold of an incinerator",
	    "facilities:\n  - {id: I, kind: incinerator, clear_threshold_kg: 5}\n",
	    "@:2:52: clear_threshold_kg applies to transfer stations only\n" },
	{ "silence out of range",
	    "facilities:\n  - {id: I, kind: incinerator, silent_after_s: -1}\n",
	    "@:2:48: \"silent_after_s\" must be between 0 and 2592000\n" },
	{ "three errors, in order",
	    "mqtt:\n"
	    "  qos: 2\n"
	    "  keepalive_s: 30\n"
	    "database:\n"
	    "  synchronous: fast\n"
	    "reconcile:\n"
	    "  overdue_h: 0\n",
	    "@:2:8: qos 2 is not supported: use 1\n"
	    "@:5:16: \"synchronous\" must be one of: normal, full\n"
	    "@:7:14: \"overdue_h\" must be between 1 and 8760\n" },
};

static void
test_bad_cases(void)
{
	char rel[32];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		snprintf(rel, sizeof(rel), "bad-%02zu.yaml", i);
		expect_errors(bad_cases[i].name,
		    write_t(rel, bad_cases[i].yaml), bad_cases[i].want);
	}
}

static void
check_defaults(const struct config *cfg)
{
	CHECK_STR(cfg->mqtt.url, "tcp://127.0.0.1:1883");
	CHECK_STR(cfg->mqtt.client_id, "wastetrack-1");
	CHECK_INT(cfg->mqtt.qos, 1);
	CHECK_INT(cfg->mqtt.clean_session, 0);
	CHECK_INT(cfg->mqtt.keepalive_s, 30);
	CHECK_INT(cfg->mqtt.mqtt5, 0);
	CHECK_INT(cfg->mqtt.session_expiry_s, 86400);
	CHECK_INT(cfg->mqtt.reconnect_min_s, 1);
	CHECK_INT(cfg->mqtt.reconnect_max_s, 30);
	CHECK(cfg->mqtt.username == NULL);
	CHECK(cfg->mqtt.password == NULL);
	CHECK(cfg->mqtt.ca_file == NULL);
	CHECK(cfg->mqtt.cert_file == NULL);
	CHECK(cfg->mqtt.key_file == NULL);
	CHECK_INT(cfg->nsubs, 1);
	if (cfg->nsubs == 1) {
		CHECK_STR(cfg->subs[0].topic, "wt/v1/#");
		CHECK_STR(cfg->subs[0].profile, "wastetrack");
		CHECK(cfg->subs[0].pos.file == NULL);
	}
	CHECK_STR(cfg->database.path, "/var/lib/wastetrack/wastetrack.db");
	CHECK_INT(cfg->database.synchronous, CFG_SYNC_NORMAL);
	CHECK_INT(cfg->database.raw_retention_days, 7);
	CHECK_STR(cfg->http.listen, "127.0.0.1:8080");
	CHECK(cfg->http.port_file == NULL);
	CHECK_INT(cfg->time.local_offset_min, 480);
	CHECK_INT(cfg->time.future_tolerance_s, 300);
	CHECK_INT(cfg->nfacilities, 0);
	CHECK(cfg->profiles == NULL);
	CHECK_INT(cfg->nprofiles, 0);
	CHECK_NEAR(cfg->reconcile.tolerance_pct, 10, 1e-9);
	CHECK_INT(cfg->reconcile.overdue_h, 48);
	CHECK_INT(cfg->ingest.max_payload, 262144);
	CHECK_INT(cfg->ingest.spool_max_mb, 64);
}

/* Without -c: a missing default file is the embedded defaults; one that
 * exists is read, errors included. */
static void
test_load_default(void)
{
	struct config *cfg = NULL;
	char *errors = NULL;
	int defaulted = -1;
	const char *p;

	CHECK(config_load_default(tpath("absent.yaml"), &cfg, &errors,
		  &defaulted) == 0);
	CHECK_INT(defaulted, 1);
	CHECK(errors == NULL && cfg != NULL && cfg->path == NULL);
	if (cfg != NULL)
		check_defaults(cfg);
	config_free(cfg);
	p = write_t("present.yaml", "database:\n  path: /x.db\n");
	CHECK(config_load_default(p, &cfg, &errors, &defaulted) == 0);
	CHECK_INT(defaulted, 0);
	if (cfg != NULL)
		CHECK_STR(cfg->database.path, "/x.db");
	config_free(cfg);
	p = write_t("broken.yaml", "bogus: 1\n");
	CHECK(config_load_default(p, &cfg, &errors, &defaulted) == -1);
	CHECK(cfg == NULL && errors != NULL && strstr(errors, p) != NULL);
	free(errors);
}

static void
test_defaults(void)
{
	struct config *cfg;
	const char *p;

	/* NULL only when out of memory. */
	cfg = config_default();
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK(cfg->path == NULL);
		check_defaults(cfg);
		config_free(cfg);
	}

	p = write_t("empty.yaml", "");
	if ((cfg = expect_ok("empty file", p)) != NULL) {
		check_defaults(cfg);
		CHECK_STR(cfg->path, p);
		CHECK_INT(cfg->nfiles, 1);
		config_free(cfg);
	}
	p = write_t("comments.yaml", "# nothing but a comment\n");
	if ((cfg = expect_ok("comments only", p)) != NULL) {
		check_defaults(cfg);
		config_free(cfg);
	}
	test_load_default();
}

/* Whether p is one of cfg->files (the pointer, not a copy). */
static int
in_files(const struct config *cfg, const char *p)
{
	size_t i;

	for (i = 0; i < cfg->nfiles; i++)
		if (cfg->files[i] == p)
			return 1;
	return 0;
}

static void
test_full(void)
{
	struct config *cfg;
	const char *p;

	write_t("full.pw", "s3cret\n");
	p = write_t("full.yaml",
	    "mqtt:\n"
	    "  url: \"ssl://broker.example.cn:8883\"\n"
	    "  client_id: wt-cc-1\n"
	    "  qos: 0\n"
	    "  clean_session: yes\n"
	    "  keepalive_s: 60\n"
	    "  mqtt5: on\n"
	    "  session_expiry_s: 3600\n"
	    "  reconnect_min_s: 2\n"
	    "  reconnect_max_s: 120\n"
	    "  username: wastetrack\n"
	    "  password_file: full.pw\n"
	    "  tls:\n"
	    "    ca_file: /etc/ssl/ca.pem\n"
	    "    cert_file: tls/client.pem\n"
	    "    key_file: tls/client.key\n"
	    "subscriptions:\n"
	    "  - {topic: \"wt/v1/#\", profile: wastetrack}\n"
	    "  - topic: \"wt/v1/+/weigh\"\n"
	    "    profile: wastetrack\n"
	    "database:\n"
	    "  path: data/wt.db\n"
	    "  synchronous: full\n"
	    "  raw_retention_days: 0\n"
	    "http:\n"
	    "  listen: \"[::1]:0\"\n"
	    "  port_file: run/http.port\n"
	    "time:\n"
	    "  local_offset: \"-05:30\"\n"
	    "  future_tolerance_s: 60\n"
	    "facilities:\n"
	    "  - id: CC-KWP-01\n"
	    "    name: \"长春市厨余垃圾处理厂\"\n"
	    "    kind: food_waste_plant\n"
	    "    district: \"朝阳区\"\n"
	    "    harmless: true\n"
	    "  - {id: CC-TS-02, kind: transfer_station}\n"
	    "reconcile:\n"
	    "  tolerance_pct: 12.5\n"
	    "  overdue_h: 72\n"
	    "ingest:\n"
	    "  max_payload: 65536\n"
	    "  spool_max_mb: 128\n");
	if ((cfg = expect_ok("full file", p)) == NULL)
		return;
	CHECK_STR(cfg->mqtt.url, "ssl://broker.example.cn:8883");
	CHECK_STR(cfg->mqtt.client_id, "wt-cc-1");
	CHECK_INT(cfg->mqtt.qos, 0);
	CHECK_INT(cfg->mqtt.clean_session, 1);
	CHECK_INT(cfg->mqtt.keepalive_s, 60);
	CHECK_INT(cfg->mqtt.mqtt5, 1);
	CHECK_INT(cfg->mqtt.session_expiry_s, 3600);
	CHECK_INT(cfg->mqtt.reconnect_min_s, 2);
	CHECK_INT(cfg->mqtt.reconnect_max_s, 120);
	CHECK_STR(cfg->mqtt.username, "wastetrack");
	CHECK_STR(cfg->mqtt.password, "s3cret");
	CHECK_STR(cfg->mqtt.ca_file, "/etc/ssl/ca.pem");
	CHECK_STR(cfg->mqtt.cert_file, tpath("tls/client.pem"));
	CHECK_STR(cfg->mqtt.key_file, tpath("tls/client.key"));
	CHECK_INT(cfg->nsubs, 2); /* the default was replaced */
	if (cfg->nsubs == 2) {
		CHECK_STR(cfg->subs[0].topic, "wt/v1/#");
		CHECK_STR(cfg->subs[0].profile, "wastetrack");
		CHECK_STR(cfg->subs[1].topic, "wt/v1/+/weigh");
		CHECK(cfg->subs[0].pos.file == cfg->files[0]);
		CHECK_INT(cfg->subs[0].pos.line, 18);
		CHECK_INT(cfg->subs[0].pos.col, 5);
		CHECK_INT(cfg->subs[1].pos.line, 19);
		CHECK_INT(cfg->subs[1].pos.col, 5);
	}
	CHECK_STR(cfg->database.path, tpath("data/wt.db"));
	CHECK_INT(cfg->database.synchronous, CFG_SYNC_FULL);
	CHECK_INT(cfg->database.raw_retention_days, 0);
	CHECK_STR(cfg->http.listen, "[::1]:0");
	CHECK_STR(cfg->http.port_file, tpath("run/http.port"));
	CHECK_INT(cfg->time.local_offset_min, -330);
	CHECK_INT(cfg->time.future_tolerance_s, 60);
	CHECK_INT(cfg->nfacilities, 2);
	if (cfg->nfacilities == 2) {
		const struct cfg_facility *f = &cfg->facilities[0];

		CHECK_STR(f->id, "CC-KWP-01");
		CHECK_STR(f->name, "长春市厨余垃圾处理厂");
		CHECK_STR(f->kind, "food_waste_plant");
		CHECK_STR(f->district, "朝阳区");
		CHECK_INT(f->harmless, 1);
		CHECK_INT(f->pos.line, 32);
		f = &cfg->facilities[1];
		CHECK_STR(f->id, "CC-TS-02");
		CHECK_STR(f->name, "CC-TS-02"); /* defaults to the id */
		CHECK(f->district == NULL);
		CHECK_INT(f->harmless, 0); /* default */
	}
	CHECK(config_facility(cfg, "CC-TS-02") == &cfg->facilities[1]);
	CHECK(config_facility(cfg, "CC-XX-99") == NULL);
	CHECK_NEAR(cfg->reconcile.tolerance_pct, 12.5, 1e-9);
	CHECK_INT(cfg->reconcile.overdue_h, 72);
	CHECK_INT(cfg->ingest.max_payload, 65536);
	CHECK_INT(cfg->ingest.spool_max_mb, 128);
	config_free(cfg);
}

static void
test_offsets(void)
{
	static const struct {
		const char *text;
		int ok, min;
	} cases[] = {
		{ "+08:00", 1, 480 },
		{ "-05:30", 1, -330 },
		{ "Z", 1, 0 },
		{ "UTC", 1, 0 },
		{ "+0545", 1, 345 },
		{ "-03", 1, -180 },
		{ "+14:00", 1, 840 },
		{ "-14:00", 1, -840 },
		{ "+00:00", 1, 0 },
		{ "+14:01", 0, 0 },
		{ "08:00", 0, 0 },
		{ "+8:00", 0, 0 },
		{ "+08:60", 0, 0 },
		{ "+08:", 0, 0 },
		{ "+080", 0, 0 },
		{ "+08:000", 0, 0 },
		{ "GMT", 0, 0 },
		{ "", 0, 0 },
	};
	struct config *cfg;
	char yaml[128], want[160];
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml), "time:\n  local_offset: \"%s\"\n",
		    cases[i].text);
		p = write_t("offset.yaml", yaml);
		if (!cases[i].ok) {
			snprintf(want, sizeof(want),
			    "@:2:17: invalid offset "
			    "\"%s\": want Z, UTC or ±HH:MM within ±14:00\n",
			    cases[i].text);
			expect_errors(cases[i].text, p, want);
		} else if ((cfg = expect_ok(cases[i].text, p)) != NULL) {
			CHECK_INT(cfg->time.local_offset_min, cases[i].min);
			config_free(cfg);
		}
	}
}

static void
test_include(void)
{
	struct config *cfg;
	const char *p;
	char *a, *b;

	mkdir_t("conf.d");
	a = strdup(write_t("conf.d/10-a.yaml",
	    "subscriptions:\n"
	    "  - {topic: \"a/#\", profile: wastetrack}\n"
	    "facilities:\n"
	    "  - {id: A-1, kind: incinerator, harmless: true}\n"
	    "mqtt:\n"
	    "  url: \"tcp://10.0.0.1:1883\"\n"
	    "database:\n"
	    "  path: a.db\n"));
	b = strdup(write_t("conf.d/20-b.yaml",
	    "subscriptions:\n"
	    "  - {topic: \"b/#\", profile: wastetrack}\n"
	    "  - {topic: \"c/#\", profile: wastetrack}\n"
	    "facilities:\n"
	    "  - {id: B-1, kind: recycling_center}\n"));
	write_t("conf.d/README", "not yaml: not included\n");
	p = write_t("main.yaml",
	    "include: [\"conf.d/*.yaml\"]\n"
	    "mqtt:\n"
	    "  qos: 0\n"
	    "subscriptions:\n"
	    "  - {topic: \"m/#\", profile: wastetrack}\n"
	    "facilities:\n"
	    "  - {id: M-1, kind: hw_facility}\n");
	if ((cfg = expect_ok("include glob", p)) != NULL) {
		CHECK_INT(cfg->nfiles, 3);
		/* Includes are read where they are named: first here. */
		CHECK_INT(cfg->nsubs, 4);
		if (cfg->nsubs == 4) {
			CHECK_STR(cfg->subs[0].topic, "a/#");
			CHECK_STR(cfg->subs[1].topic, "b/#");
			CHECK_STR(cfg->subs[2].topic, "c/#");
			CHECK_STR(cfg->subs[3].topic, "m/#");
			CHECK_STR(cfg->subs[0].pos.file, a);
			CHECK(in_files(cfg, cfg->subs[0].pos.file));
			CHECK_STR(cfg->subs[2].pos.file, b);
			CHECK_INT(cfg->subs[2].pos.line, 3);
			CHECK(in_files(cfg, cfg->subs[2].pos.file));
			CHECK_STR(cfg->subs[3].pos.file, p);
			CHECK(in_files(cfg, cfg->subs[3].pos.file));
		}
		CHECK_INT(cfg->nfacilities, 3);
		if (cfg->nfacilities == 3) {
			CHECK_STR(cfg->facilities[0].id, "A-1");
			CHECK_INT(cfg->facilities[0].harmless, 1);
			CHECK_STR(cfg->facilities[1].id, "B-1");
			CHECK_STR(cfg->facilities[2].id, "M-1");
		}
		/* Sections merge across files; paths follow their file. */
		CHECK_STR(cfg->mqtt.url, "tcp://10.0.0.1:1883");
		CHECK_INT(cfg->mqtt.qos, 0);
		CHECK_STR(cfg->database.path, tpath("conf.d/a.db"));
		config_free(cfg);
	}

	/* A scalar set in an include and again in the main file. */
	p = write_t("dup.yaml",
	    "include: [\"conf.d/10-a.yaml\"]\n"
	    "mqtt:\n"
	    "  qos: 0\n"
	    "  url: \"tcp://10.0.0.2:1883\"\n");
	expect_errors("duplicate across include", p,
	    "@:4:3: duplicate key \"url\"\n");

	/* A facility id repeated in another file. */
	p = write_t("dupfac.yaml",
	    "include: [conf.d/20-b.yaml]\n"
	    "facilities:\n"
	    "  - {id: B-1, kind: recycling_center}\n");
	expect_errors("duplicate facility id across include", p,
	    "@:3:10: duplicate facility id \"B-1\"\n");

	/* Errors inside an include name the included file. */
	write_t("broken.yaml", "mqtt:\n  qos: [\n");
	write_t("wrong.yaml", "mqtt:\n  keepalive_s: never\n");
	p = write_t("incbad.yaml",
	    "include: [broken.yaml, wrong.yaml]\n"
	    "http:\n  listen: nowhere\n");
	{
		char want[1024];

		snprintf(want, sizeof(want),
		    "%s:3:1: did not find expected node content\n"
		    "%s:2:16: \"keepalive_s\" must be an integer\n"
		    "@:3:11: invalid listen address \"nowhere\": "
		    "want host:port\n",
		    tpath("broken.yaml"), tpath("wrong.yaml"));
		expect_errors("errors in includes", p, want);
	}

	/* A glob matching nothing only warns (on stderr). */
	p = write_t("nomatch.yaml",
	    "include: [\"profiles.d/*.yaml\", \"/nonexistent/x.yaml\"]\n");
	if ((cfg = expect_ok("include matching nothing", p)) != NULL) {
		CHECK_INT(cfg->nfiles, 1);
		config_free(cfg);
	}

	/* A file including itself. */
	p = write_t("loop.yaml", "include: [loop.yaml]\n");
	expect_errors("include loop", p,
	    "@:1:11: include \"loop.yaml\": \"$/loop.yaml\" is already "
	    "being read (include loop)\n");

	free(a);
	free(b);
}

/*
 * profiles: kept as trees, appended across files in load order; names are
 * unique and subscriptions may name them from any file.
 */
static void
test_profiles(void)
{
	const struct cfg_node *p0, *p1, *n, *w;
	struct config *cfg;
	const char *p;
	char *inc, want[1024];

	mkdir_t("prof.d");
	inc = strdup(write_t("prof.d/a.yaml",
	    "profiles:\n"
	    "  - name: vendor-a\n"
	    "    kind: weigh\n"));
	/* The include comes last: vendor-a is used before it is defined. */
	p = write_t("prof-main.yaml",
	    "subscriptions:\n"
	    "  - {topic: \"zwc/vendorA/v2/#\", profile: vendor-a}\n"
	    "  - {topic: \"huanwei/cc/#\", profile: vendor-b}\n"
	    "  - {topic: \"wt/v1/#\", profile: wastetrack}\n"
	    "profiles:\n"
	    "  - name: vendor-b\n"
	    "    match: \"huanwei/cc/#\"\n"
	    "    fields:\n"
	    "      weight: {path: \"$.w\", scale: \"1\", offset: 1}\n"
	    "      plate: '$.plate'\n"
	    "    units: [kg, t, g]\n"
	    "    empty:\n"
	    "include: [\"prof.d/*.yaml\"]\n");
	if ((cfg = expect_ok("profiles across files", p)) != NULL) {
		CHECK_INT(cfg->nsubs, 3);
		CHECK_INT(cfg->nprofiles, 2);
	}
	if (cfg != NULL && cfg->nprofiles == 2) {
		p0 = cfg->profiles[0];
		p1 = cfg->profiles[1];
		CHECK_INT(p0->type, CFG_NODE_MAP);
		CHECK(p0->value == NULL);
		CHECK_STR(cfg_node_get(p0, "name")->value, "vendor-b");
		CHECK_STR(cfg_node_get(p1, "name")->value, "vendor-a");
		CHECK_INT(cfg_node_get(p1, "name")->type, CFG_NODE_SCALAR);
		CHECK_INT(cfg_node_get(p1, "name")->quoted, 0);
		CHECK_STR(cfg_node_get(p1, "kind")->value, "weigh");
		/* Positions: the entry, a key and values, in their files. */
		CHECK_STR(p0->pos.file, p);
		CHECK(in_files(cfg, p0->pos.file));
		CHECK_INT(p0->pos.line, 6);
		CHECK_INT(p0->pos.col, 5);
		CHECK_STR(p1->pos.file, inc);
		CHECK(in_files(cfg, p1->pos.file));
		CHECK_INT(p1->pos.line, 2);
		CHECK_INT(p1->pos.col, 5);
		CHECK_INT(p0->n, 5);
		if (p0->n == 5) {
			CHECK_STR(p0->keys[3], "units");
			CHECK_STR(p0->key_pos[3].file, p);
			CHECK_INT(p0->key_pos[3].line, 11);
			CHECK_INT(p0->key_pos[3].col, 5);
		}
		/* A nested map, and "1" against 1. */
		n = cfg_node_get(p0, "fields");
		CHECK(n != NULL && n->type == CFG_NODE_MAP);
		w = cfg_node_get(n, "weight");
		CHECK(w != NULL && w->type == CFG_NODE_MAP);
		CHECK_INT(w->pos.line, 9);
		CHECK_INT(w->pos.col, 15);
		CHECK_STR(cfg_node_get(w, "path")->value, "$.w");
		n = cfg_node_get(w, "scale");
		CHECK(n != NULL && n->type == CFG_NODE_SCALAR);
		CHECK_STR(n->value, "1");
		CHECK_INT(n->quoted, 1);
		CHECK_STR(n->pos.file, p);
		CHECK_INT(n->pos.line, 9);
		CHECK_INT(n->pos.col, 36);
		n = cfg_node_get(w, "offset");
		CHECK_STR(n->value, "1");
		CHECK_INT(n->quoted, 0);
		CHECK_INT(
		    cfg_node_get(cfg_node_get(p0, "fields"), "plate")->quoted,
		    1);
		/* A list. */
		n = cfg_node_get(p0, "units");
		CHECK(n != NULL && n->type == CFG_NODE_LIST);
		CHECK_INT(n->n, 3);
		CHECK(n->keys == NULL && n->key_pos == NULL);
		if (n->n == 3) {
			CHECK_STR(n->children[2]->value, "g");
			CHECK_INT(n->children[2]->pos.line, 11);
			CHECK_INT(n->children[2]->pos.col, 20);
		}
		/* A key with nothing: a plain empty scalar. */
		n = cfg_node_get(p0, "empty");
		CHECK(n != NULL && n->type == CFG_NODE_SCALAR &&
		    strcmp(n->value, "") == 0 && !n->quoted);
		CHECK(cfg_node_get(p0, "missing") == NULL);
		CHECK(cfg_node_get(cfg_node_get(p0, "units"), "kg") == NULL);
		CHECK(cfg_node_get(NULL, "name") == NULL);
	}
	config_free(cfg);

	/* The same name in the main file after the include: the second. */
	p = write_t("prof-dup.yaml",
	    "include: [prof.d/a.yaml]\n"
	    "profiles:\n"
	    "  - name: vendor-c\n"
	    "  - name: vendor-a\n");
	expect_errors("duplicate profile across files", p,
	    "@:4:11: duplicate profile \"vendor-a\"\n");

	/* And the other way round: the error names the included file. */
	p = write_t("prof-dup2.yaml",
	    "profiles:\n"
	    "  - {name: vendor-a}\n"
	    "include: [prof.d/a.yaml]\n");
	snprintf(want, sizeof(want),
	    "%s:2:11: duplicate profile "
	    "\"vendor-a\"\n",
	    inc);
	expect_errors("duplicate profile in an include", p, want);

	/* The unknown-profile check still runs after every include. */
	p = write_t("prof-unknown.yaml",
	    "subscriptions:\n"
	    "  - {topic: \"a/#\", profile: vendor-a}\n"
	    "  - {topic: \"b/#\", profile: nope}\n"
	    "include: [prof.d/a.yaml]\n");
	expect_errors("unknown profile after includes", p,
	    "@:3:29: unknown profile \"nope\"\n");

	free(inc);
}

/* Includes nest 8 deep below the main file, and no deeper. */
static void
test_include_depth(void)
{
	struct config *cfg;
	char rel[32], text[64], want[256];
	const char *p;
	int i;

	mkdir_t("deep");
	for (i = 0; i < 10; i++) {
		snprintf(rel, sizeof(rel), "deep/n%d.yaml", i);
		if (i == 9)
			snprintf(text, sizeof(text),
			    "facilities: [{id: N%d, kind: incinerator}]\n", i);
		else
			snprintf(text, sizeof(text), "include: [n%d.yaml]\n",
			    i + 1);
		write_t(rel, text);
	}
	/* From n1, n9 is 8 levels down; from n0 it would be 9. */
	p = tpath("deep/n1.yaml");
	if ((cfg = expect_ok("include depth 8", p)) != NULL) {
		CHECK_INT(cfg->nfiles, 9);
		CHECK(config_facility(cfg, "N9") != NULL);
		config_free(cfg);
	}
	p = tpath("deep/n0.yaml");
	snprintf(want, sizeof(want),
	    "%s:1:11: include \"n9.yaml\": nested "
	    "deeper than 8 levels\n",
	    tpath("deep/n8.yaml"));
	expect_errors("include depth 9", p, want);
}

static void
test_password_file(void)
{
	struct config *cfg;
	char want[512];
	const char *p;

	write_t("crlf.pw", "pa ss\r\n\n");
	p = write_t("pw.yaml", "mqtt:\n  password_file: crlf.pw\n");
	if ((cfg = expect_ok("password_file", p)) != NULL) {
		CHECK_STR(cfg->mqtt.password, "pa ss");
		config_free(cfg);
	}

	p = write_t("pw-missing.yaml", "mqtt:\n  password_file: none.pw\n");
	snprintf(want, sizeof(want),
	    "@:2:18: cannot read password_file \"$/none.pw\": %s\n",
	    strerror(ENOENT));
	expect_errors("password_file missing", p, want);

	p = tpath("absent.yaml");
	snprintf(want, sizeof(want), "@: cannot open: %s\n", strerror(ENOENT));
	expect_errors("missing main file", p, want);
}

/*
 * The shipped sample: it must load cleanly, and (Fluent Bit's rule) it must
 * document every key, even those it leaves commented out.
 */
static const char *sample_text, *sample_path;

/* "reconcile.window_h" is found as "window_h:", "subscriptions[].topic"
 * as "topic:". */
static void
sample_has_key(const char *key, void *arg)
{
	const char *leaf = strrchr(key, '.');
	char needle[64];

	(void)arg;
	leaf = leaf != NULL ? leaf + 1 : key;
	snprintf(needle, sizeof(needle), "%.*s:", (int)strcspn(leaf, "[]"),
	    leaf);
	if (strstr(sample_text, needle) == NULL)
		fprintf(stderr, "%s: key \"%s\" not in the sample\n",
		    sample_path, key);
	CHECK(strstr(sample_text, needle) != NULL);
}

static void
test_sample(const char *path)
{
	struct config *cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((cfg = expect_ok("sample configuration", path)) != NULL) {
		CHECK_STR(cfg->mqtt.url, "tcp://127.0.0.1:1883");
		CHECK_INT(cfg->mqtt.qos, 1);
		CHECK(cfg->mqtt.password == NULL);
		CHECK_INT(cfg->nsubs, 1);
		/* conf/profiles/: the four shipped vendor dialects. */
		CHECK_INT(cfg->nprofiles, 4);
		CHECK_STR(cfg->database.path,
		    "/var/lib/wastetrack/wastetrack.db");
		CHECK_STR(cfg->http.port_file, "/run/wastetrack/http.port");
		CHECK_INT(cfg->time.local_offset_min, 480);
		CHECK(cfg->nfacilities >= 7);
		CHECK(config_facility(cfg, "CC-KWP-01") != NULL &&
		    config_facility(cfg, "CC-KWP-01")->harmless);
		config_free(cfg);
	}

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		CHECK(fp != NULL);
		return;
	}
	CHECK(getdelim(&text, &len, '\0', fp) > 0);
	fclose(fp);
	/* Every key of the schema appears in the sample, commented out or
	 * set, so that an operator finds it where they edit. */
	sample_text = text;
	sample_path = path;
	if (text != NULL)
		config_keys(sample_has_key, NULL);
	free(text);
}

/* The registries of the streams, with their defaults. */
static void
test_registries(void)
{
	const struct cfg_facility *f;
	const struct cfg_generator *g;
	const struct cfg_vehicle *v;
	struct config *cfg;
	const char *p;

	p = write_t("registries.yaml",
	    "facilities:\n"
	    "  - id: INC\n    kind: incinerator\n"
	    "    alarms:\n"
	    "      furnace_temp_c: {min: 850, severity: critical}\n"
	    "      load_pct: {max: 95}\n"
	    "    alarm_after_s: 600\n    silent_after_s: 900\n"
	    "  - {id: TS, kind: transfer_station, clear_threshold_kg: 250.5}\n"
	    "  - {id: TS2, kind: transfer_station}\n"
	    "generators:\n"
	    "  - {id: CL1, kind: clinic, district: 南关区, lat: 43.86,"
	    " lon: 125.35}\n"
	    "  - {id: CL2, name: 诊所, kind: clinic, district: 南关区,"
	    " max_pickup_interval_h: 72}\n"
	    "  - {id: FF1, kind: farm_film_point, district: 双阳区}\n"
	    "vehicles:\n"
	    "  - {plate: \"吉a·12345\", fleet: F, kind: muck_truck,"
	    " district: 朝阳区, waste: [\"cw.*\", msw.food, \"*\"],"
	    " permit_from: 2024-02-29, permit_to: 2024-12-31}\n"
	    "  - {plate: \"吉A54321\"}\n");
	if ((cfg = expect_ok("registries", p)) == NULL)
		return;
	CHECK((f = config_facility(cfg, "INC")) != NULL);
	if (f != NULL) {
		CHECK_INT((int)f->nalarms, 2);
		CHECK_STR(f->alarms[0].value, "furnace_temp_c");
		CHECK(f->alarms[0].min == 850 && isnan(f->alarms[0].max));
		CHECK_INT(f->alarms[0].critical, 1);
		CHECK_STR(f->alarms[1].value, "load_pct");
		CHECK(isnan(f->alarms[1].min) && f->alarms[1].max == 95);
		CHECK_INT(f->alarms[1].critical, 0);
		CHECK_INT(f->alarm_after_s, 600);
		CHECK_INT(f->silent_after_s, 900);
	}
	/* Defaults: 5 min sustained, not watched, 1 t at midnight. */
	CHECK((f = config_facility(cfg, "TS")) != NULL &&
	    f->clear_threshold_kg == 250.5 && f->alarm_after_s == 300);
	CHECK((f = config_facility(cfg, "TS2")) != NULL &&
	    f->clear_threshold_kg == 1000 && f->silent_after_s == 0 &&
	    f->nalarms == 0);
	CHECK_INT((int)cfg->ngenerators, 3);
	CHECK((g = config_generator(cfg, "CL1")) != NULL &&
	    g->max_pickup_interval_h == 48 && g->lat == 43.86 &&
	    g->lon == 125.35 && strcmp(g->name, "CL1") == 0);
	CHECK((g = config_generator(cfg, "CL2")) != NULL &&
	    g->max_pickup_interval_h == 72 && strcmp(g->name, "诊所") == 0);
	CHECK((g = config_generator(cfg, "FF1")) != NULL &&
	    g->max_pickup_interval_h == 0 && isnan(g->lat) &&
	    strcmp(g->district, "双阳区") == 0);
	CHECK_INT((int)cfg->nvehicles, 2);
	CHECK((v = config_vehicle(cfg, "吉A12345")) != NULL);
	if (v != NULL) {
		CHECK_INT((int)v->nwaste, 3);
		CHECK_STR(v->waste[0], "cw.*");
		CHECK_STR(v->waste[2], "*");
		CHECK_STR(v->district, "朝阳区");
		CHECK_STR(v->permit_from, "2024-02-29");
		CHECK_STR(v->permit_to, "2024-12-31");
	}
	CHECK((v = config_vehicle(cfg, "吉A54321")) != NULL && v->nwaste == 0 &&
	    v->waste == NULL && v->district == NULL);
	config_free(cfg);
}

int
main(int argc, char **argv)
{
	tmpfiles_init("test_config");
	test_bad_cases();
	test_registries();
	test_defaults();
	test_full();
	test_offsets();
	test_include();
	test_profiles();
	test_include_depth();
	test_password_file();
	if (argc > 1)
		test_sample(argv[1]);
	tmpfiles_cleanup();
	return check_result("test_config");
}
