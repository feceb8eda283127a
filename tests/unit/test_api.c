/*
 * The API's parts without a socket: the JSON writer (escapes, numbers,
 * commas), the credentials of http.auth_file (tokens, crypt(3) users, the
 * file's mode and mistakes at their line), and, on a real store, the
 * bounds: 10 000 positions of 10 050 (the newest, in order, truncated),
 * and a query abandoned past its time budget with the connection still
 * usable afterwards.
 */
#include "api.h"
#include "api_auth.h"
#include "api_buf.h"
#include "clock.h"
#include "diag.h"
#include "json.h"
#include "store.h"

#include "check.h"
#include "rawdb.h"
#include "tmpfiles.h"

#include <sys/stat.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void
test_buf(void)
{
	struct api_buf b = { 0 };
	char *s;

	api_buf_open(&b, '{');
	api_buf_key(&b, "s");
	api_buf_str(&b, "朝阳区 \"q\" \\ \n\x01");
	api_buf_key(&b, "bad");
	api_buf_str(&b,
	    "a\xff"
	    "b");
	api_buf_key(&b, "n");
	api_buf_open(&b, '[');
	api_buf_num(&b, 0.41);
	api_buf_num(&b, NAN);
	api_buf_num(&b, 1.0 / 3);
	api_buf_int(&b, -7);
	api_buf_null(&b);
	api_buf_bool(&b, 1);
	api_buf_open(&b, '{');
	api_buf_close(&b, '}');
	api_buf_close(&b, ']');
	api_buf_key(&b, "raw");
	api_buf_raw(&b, "{\"x\":1}");
	api_buf_close(&b, '}');
	s = api_buf_take(&b);
	CHECK_STR(s,
	    "{\"s\":\"朝阳区 \\\"q\\\" \\\\ \\u000a\\u0001\","
	    "\"bad\":\"a\\ufffdb\","
	    "\"n\":[0.41,null,0.33333333333333331,-7,null,true,{}],"
	    "\"raw\":{\"x\":1}}");
	free(s);
}

/* sha512crypt of "secret" with salt "saltsaltsalt" (mkpasswd -m
 * sha512crypt -S saltsaltsalt secret). */
#define HASH                                                                    \
	"$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0/tGPjanN35jcY68" \
	"QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts."
#define TOKEN "abcdefghijklmnop0123"
#define T0    1796630400000LL /* a clock's time, ms */

static struct api_auth *
load(const char *text, mode_t mode, char **errors)
{
	const char *p = write_t("http.auth", text);
	struct api_auth *a = NULL;
	struct diag d;

	diag_init(&d);
	chmod(p, mode);
	if (api_auth_load(p, &d, &a) == -1)
		CHECK(a == NULL);
	*errors = diag_take(&d);
	return a;
}

static void
test_auth(void)
{
	struct api_auth *a;
	char *err, want[512];
	int tokens, users;

	a = load("# c\n\ntoken: " TOKEN "\nalice:" HASH "\n", 0600, &err);
	CHECK(a != NULL && err == NULL);
	api_auth_counts(a, &tokens, &users);
	CHECK(tokens == 1 && users == 1);
	CHECK(api_auth_check(a, "Bearer " TOKEN, "10.0.0.1", T0) == 1);
	CHECK(api_auth_check(a, "bearer  " TOKEN, "10.0.0.1", T0) == 1);
	CHECK(api_auth_check(a, "Bearer " TOKEN "x", "10.0.0.1", T0) == 0);
	CHECK(api_auth_check(a, "Bearer abcdefghijklmnop012", "10.0.0.1", T0) ==
	    0);
	CHECK(api_auth_check(a, "Bearer abcdefghijklmnop0124", "10.0.0.1",
		  T0) == 0);
	CHECK(api_auth_check(a, NULL, "10.0.0.1", T0) == 0);
	CHECK(api_auth_check(a, "", "10.0.0.1", T0) == 0);
	/* alice:secret, twice (the second remembered); each try below in a
	 * second of its own, under the rate of hashes */
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", "10.0.0.1", T0) == 1);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", "10.0.0.1", T0) == 1);
	/* alice:secreT, bob:secret, alice (no colon), bad base64 */
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVU", "10.0.0.1",
		  T0 + 1000) == 0);
	CHECK(api_auth_check(a, "Basic Ym9iOnNlY3JldA==", "10.0.0.1",
		  T0 + 2000) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U=", "10.0.0.1", T0 + 3000) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0=", "10.0.0.1",
		  T0 + 4000) == 0);
	CHECK(api_auth_check(a, "Basic ****", "10.0.0.1", T0 + 5000) == 0);
	/* token: TOKEN as basic credentials: "token" is not a user */
	CHECK(api_auth_check(a, "Basic dG9rZW46YWJjZGVmZ2hpamtsbW5vcDAxMjM=",
		  "10.0.0.1", T0 + 6000) == 0);
	api_auth_free(a);

	/* Two hashes a second for each client address, four in all: past
	 * either budget a try is not checked (BUSY, the daemon's 503 with
	 * Retry-After: 1), never refused: a browser keeps the password that
	 * a flood of guesses from elsewhere would make it drop. A remembered
	 * one and tokens are never held back. */
	a = load("token:" TOKEN "\nalice:" HASH "\n", 0600, &err);
	CHECK(a != NULL);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVU", "10.6.6.6", T0) ==
	    API_AUTH_REFUSED);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVV", "10.6.6.6", T0) ==
	    API_AUTH_REFUSED);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVW", "10.6.6.6", T0) ==
	    API_AUTH_BUSY);
	/* the guesser's third is not the others' loss */
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", "10.0.0.2", T0) ==
	    API_AUTH_OK);
	CHECK(api_auth_check(a, "Basic Ym9iOnNlY3JldA==", "10.0.0.3", T0) ==
	    API_AUTH_REFUSED);
	/* four hashed this second: all others wait, even a right one */
	CHECK(api_auth_check(a, "Basic Ym9iOnNlY3JldA==", "10.0.0.4", T0) ==
	    API_AUTH_BUSY);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", NULL, T0) ==
	    API_AUTH_OK); /* remembered */
	CHECK(
	    api_auth_check(a, "Bearer " TOKEN, "10.6.6.6", T0) == API_AUTH_OK);
	/* The table of addresses is bounded: 200 of them in one second. */
	{
		char addr[32];
		int i, busy = 0;

		for (i = 0; i < 200; i++) {
			snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256,
			    i % 256);
			busy += api_auth_check(a, "Basic YWxpY2U6c2VjcmVa",
				    addr, T0 + 5000) == API_AUTH_BUSY;
		}
		CHECK_INT(busy, 196);
	}
	api_auth_free(a);

	/* The budget in all, from one client at a time. */
	a = load("token:" TOKEN "\nalice:" HASH "\n", 0600, &err);
	CHECK(a != NULL);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVU", "10.0.0.1", T0) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVV", "10.0.0.2",
		  T0 + 100) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVW", "10.0.0.3",
		  T0 + 200) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVX", "10.0.0.4",
		  T0 + 300) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", "10.0.0.5",
		  T0 + 400) == API_AUTH_BUSY);
	CHECK(api_auth_check(a, "Bearer " TOKEN, "10.0.0.1", T0 + 500) == 1);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", "10.0.0.5",
		  T0 + 1000) == 1);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVZ", "10.0.0.1",
		  T0 + 1100) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVZ", "10.0.0.2",
		  T0 + 1200) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmVZ", "10.0.0.3",
		  T0 + 1300) == 0);
	CHECK(api_auth_check(a, "Basic YWxpY2U6c2VjcmV0", "10.0.0.4",
		  T0 + 1400) == 1);
	api_auth_free(a);

	CHECK(load("token:" TOKEN "\n", 0644, &err) == NULL);
	snprintf(want, sizeof(want),
	    "%s:1:1: the auth file is readable or writable by others "
	    "(mode 0644)",
	    tpath("http.auth"));
	CHECK(err != NULL && strncmp(err, want, strlen(want)) == 0);
	free(err);
	CHECK(load("token:short\nbob:plain\n  x\nbob:$1$ab$cdefgh\n", 0640,
		  &err) == NULL);
	snprintf(want, sizeof(want),
	    "%s:1:7: a token has 16 characters at least", tpath("http.auth"));
	CHECK(err != NULL && strstr(err, want) != NULL);
	snprintf(want, sizeof(want), "%s:2:5: not a supported crypt(3) hash",
	    tpath("http.auth"));
	CHECK(err != NULL && strstr(err, want) != NULL);
	snprintf(want, sizeof(want), "%s:3:1: want token:VALUE",
	    tpath("http.auth"));
	CHECK(err != NULL && strstr(err, want) != NULL);
	/* MD5 crypt is legacy: refused too. */
	snprintf(want, sizeof(want), "%s:4:5: not a supported",
	    tpath("http.auth"));
	CHECK(err != NULL && strstr(err, want) != NULL);
	free(err);
}

/* 10 050 positions of V1, one a second up to now - 1 s. */
static void
fill(const char *path, int64_t now)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st;
	int i;

	raw_exec(db,
	    "BEGIN; INSERT INTO vehicles(vehicle, plate,"
	    " first_seen_ms, last_seen_ms) VALUES('V1', '吉A00001',"
	    " 0, 0)");
	CHECK(sqlite3_prepare_v2(db,
		  "INSERT INTO positions(vehicle, plate, ts_ms, lat, lon)"
		  " VALUES('V1', '吉A00001', ?1, 43.8, 125.3)",
		  -1, &st, NULL) == SQLITE_OK);
	for (i = 1; i <= 10050; i++) {
		sqlite3_bind_int64(st, 1, now - i * 1000LL);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	raw_exec(db,
	    "UPDATE vehicles SET last_seen_ms = (SELECT"
	    " max(ts_ms) FROM positions); COMMIT");
	sqlite3_close(db);
}

static void
test_positions_bound(struct store_query *q, int64_t now)
{
	struct api_req r = { "/api/v1/vehicles/%E5%90%89A00001/positions", NULL,
		now, 480 };
	struct api_reply out = { 0, NULL };
	const struct json *ps;
	struct json *doc;
	char query[64], err[128];
	double first, last, since;

	snprintf(query, sizeof(query), "since=%" PRId64,
	    (int64_t)(now - 86400000));
	r.query = query;
	CHECK(api_query(q, &r, &out) == 1);
	CHECK_INT(out.status, 200);
	doc = out.body
	    ? json_parse(out.body, strlen(out.body), err, sizeof(err))
	    : NULL;
	CHECK(doc != NULL);
	ps = json_get(doc, "positions");
	/* The newest 10 000: from now - 10 000 s to now - 1 s, in order. */
	CHECK_INT(json_len(ps), 10000);
	CHECK(json_is_yes(json_get(doc, "truncated")));
	CHECK(json_num(json_get(json_at(ps, 0), "ts_ms"), &first) == 0);
	CHECK(json_num(json_get(json_at(ps, 9999), "ts_ms"), &last) == 0);
	CHECK_NEAR(first, (double)(now - 10000000), 0);
	CHECK_NEAR(last, (double)(now - 1000), 0);
	CHECK(json_num(json_get(doc, "since_ms"), &since) == 0);
	json_free(doc);
	free(out.body);

	/* Not a path of the database's: left to the caller. */
	r.path = "/api/v1/today";
	CHECK(api_query(q, &r, &out) == 0);
	/* Without a connection: 503 with the reason. */
	r.path = "/api/v1/alerts";
	CHECK(api_query(NULL, &r, &out) == 1);
	CHECK_INT(out.status, 503);
	CHECK_STR(out.body,
	    "{\"status\":503,\"error\":\"the database cannot be read\"}");
	free(out.body);
}

/* A query over every point, sorted: longer than 1 ms on 10 050 rows. */
static int
count_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	(void)n;
	(void)names;
	if (v != NULL)
		++*(int *)arg;
	return 0;
}

static void
test_budget(struct store_query *q)
{
	struct store_q_args a = { { "吉A00001", NULL, NULL, "V1" },
		{ 0, 1000000 } };
	int64_t t0;
	int rows = 0;

	/* 1 ms, spent before the query starts: the handler, called every
	 * few thousand steps, stops it within the first of 10 050 rows. */
	store_query_budget(q, 1);
	t0 = clock_mono_us();
	while (clock_mono_us() - t0 < 1500)
		;
	CHECK(store_query_run(q, STORE_Q_API_POSITIONS, &a, count_row, &rows) ==
	    -1);
	CHECK(store_query_timed_out(q));
	CHECK(rows < 10050);
	/* No budget: the same connection answers in full. */
	store_query_budget(q, 0);
	rows = 0;
	CHECK(store_query_run(q, STORE_Q_API_POSITIONS, &a, count_row, &rows) ==
	    0);
	CHECK_INT(rows, 10050);
	CHECK(!store_query_timed_out(q));
}

/*
 * The open alerts through the index of open alerts, not a walk over every
 * alert ever raised (none is ever deleted): with the budget spent before
 * the query starts, a walk over 20 000 resolved alerts reaches the
 * handler and is stopped; the 3 open ones cost too few steps to reach it.
 */
static void
test_alerts_open_only(const char *path, struct store_query *q)
{
	struct store_q_args a = { { NULL }, { 0, API_MAX_ALERTS + 1 } };
	sqlite3 *db = raw_open(path);
	int64_t t0;
	int rows = 0;

	raw_exec(db,
	    "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < 20000) INSERT INTO alerts(kind, severity,"
	    " subject, opened_ms, resolved_ms, evidence) SELECT 'permit',"
	    " 'warning', 'P' || i, i, i + 1, '{}' FROM n;"
	    " INSERT INTO alerts(kind, severity, subject, opened_ms, evidence)"
	    " VALUES('permit', 'warning', 'O1', 1, '{}'), ('permit',"
	    " 'warning', 'O2', 2, '{}'), ('night_window', 'warning', 'O3', 3,"
	    " '{}'); COMMIT");
	sqlite3_close(db);
	store_query_budget(q, 1);
	t0 = clock_mono_us();
	while (clock_mono_us() - t0 < 1500)
		;
	CHECK(
	    store_query_run(q, STORE_Q_API_ALERTS, &a, count_row, &rows) == 0);
	CHECK(!store_query_timed_out(q));
	CHECK_INT(rows, 3);
	store_query_budget(q, 0);
}

/* The plan's steps, one a line. */
static int
plan_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	char *out = arg;
	size_t len = strlen(out);

	(void)names;
	if (v != NULL && n > 0 && v[n - 1].type == STORE_V_TEXT)
		snprintf(out + len, 2048 - len, "%s\n", v[n - 1].s);
	return 0;
}

/* /api/v1/vehicles/{plate}/positions first asks whether the plate is
 * known: only through indexes, never a scan of vehicle_events (an
 * unknown plate read the whole table). */
static void
test_vehicles_plan(struct store_query *q)
{
	char plan[2048] = "";

	CHECK(store_query_plan(q, STORE_Q_VEHICLES, plan_row, plan) == 0);
	if (strstr(plan, "vehicle_events") != NULL)
		fprintf(stderr, "%s", plan);
	CHECK(strstr(plan, "vehicle_events") == NULL);
	CHECK(strstr(plan, "SEARCH weighings") != NULL);
}

int
main(void)
{
	struct store_query *q = NULL;
	struct store *s = NULL;
	char path[PATH_MAX];
	int64_t now = clock_ms();

	tmpfiles_init("test_api");
	test_buf();
	test_auth();
	tdb_path("wt.db", path, sizeof(path));
	CHECK(store_open(path, 0, &s) == 0);
	fill(path, now);
	CHECK(store_query_open(path, &q) == 0);
	if (q != NULL) {
		test_positions_bound(q, now);
		test_budget(q);
		test_alerts_open_only(path, q);
		test_vehicles_plan(q);
	}
	store_query_close(q);
	store_close(s);
	tmpfiles_cleanup();
	return check_result("api");
}
