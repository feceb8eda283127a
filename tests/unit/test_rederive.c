/*
 * test_rederive: a replay of accepted messages (lib/replay.c with
 * accepted set, lib/store_rederive.c) over a real store. A vendor's
 * profile reads tonnes as kilograms; its messages are accepted with
 * masses a thousand times too small. The profile is fixed and the
 * replay corrects the rows in place: a dry run changes nothing, the
 * replay corrects every row once and marks its message, the derived
 * rows (station days, ticket origins) follow, a second replay changes
 * nothing, a pruned payload is reported as skipped, a profile that
 * names other rows or refuses the payload leaves the rows as they are,
 * and a replay stopped after one slice completes on the next run.
 */
#include "check.h"
#include "tmpfiles.h"
#include "dbfiles.h"

#include "config.h"
#include "ctlmsg.h"
#include "ingest.h"
#include "json.h"
#include "profile.h"
#include "replay.h"
#include "spool.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2023-08-07T06:00:00Z, 14:00 in +08:00 */
#define T0 INT64_C(1691388000000)

static const struct spool_pos all = { UINT64_MAX, UINT64_MAX };

/* The vendor's profile; %s is the unit of its masses and %s the field
 * the ticket number is read from. */
static const char conf_fmt[] =
    "subscriptions:\n"
    "  - {topic: \"wt/v1/#\", profile: wastetrack}\n"
    "  - {topic: \"scaleco/#\", profile: scaleco}\n"
    "database:\n"
    "  path: \"$/wt.db\"\n"
    "  raw_retention_days: 7\n"
    "time:\n"
    "  local_offset: \"+08:00\"\n"
    "facilities:\n"
    "  - {id: TS, kind: transfer_station, district: 南关区}\n"
    "profiles:\n"
    "  - name: scaleco\n"
    "    tables:\n"
    "      fac_ids: {TS: TS-2}\n"
    "      veh_ids: {KW-1: KW-0001}\n"
    "    kinds:\n"
    "      - kind: weighing\n"
    "        topic: \"scaleco/{fac}/ticket\"\n"
    "        fields:\n"
    "          facility: {topic: fac}\n"
    "          ticket: %s\n"
    "          version: ver\n"
    "          plate: plate\n"
    "          direction: dir\n"
    "          gross_kg: {path: gross, unit: %s}\n"
    "          tare_kg: {path: tare, unit: %s}\n"
    "          first_ts: t1\n"
    "          second_ts: t2\n"
    "          waste: waste\n"
    "          status: st\n"
    "      - kind: vehicle_event\n"
    "        topic: \"scaleco/{veh}/event\"\n"
    "        fields:\n"
    "          vehicle: %s\n"
    "          type: type\n"
    "          ts: ts\n"
    "          waste: waste\n"
    "          mass_kg: {path: mass, unit: %s}\n"
    "      - kind: facility_status\n"
    "        topic: \"scaleco/{fac}/status\"\n"
    "        fields:\n"
    "          facility: %s\n"
    "          ts: ts\n"
    "          state: state\n"
    "          inventory_kg: {path: stock, unit: %s}\n";

struct env {
	struct config *cfg[5];
	struct profile_set *profiles[5];
	struct store *store;
	struct ingest *in;
	const char *db;
};

static void
load(struct env *e, int i, const char *ticket, const char *unit)
{
	char text[2048];
	/* The fifth: vehicle and facility ids mapped to new ones. */
	int map = i == 4;

	snprintf(text, sizeof(text), conf_fmt, ticket, unit, unit,
	    map ? "{topic: veh, map: veh_ids}" : "{topic: veh}", unit,
	    map ? "{topic: fac, map: fac_ids}" : "{topic: fac}", unit);
	load_test_config(text, &e->cfg[i], &e->profiles[i]);
}

static void
append(struct spool_writer *w, const char *topic, const char *payload,
    int64_t received_ms)
{
	struct spool_pos end;

	if (spool_append(w, topic, strlen(topic), payload, strlen(payload),
		received_ms, &end) == -1) {
		fprintf(stderr, "test_rederive: spool_append\n");
		exit(1);
	}
}

/* A ticket in tonnes: gross g, tare 4.5 (net g - 4.5). */
static void
ticket(struct spool_writer *w, int no, int ver, double g, int64_t t)
{
	char p[320];

	snprintf(p, sizeof(p),
	    "{\"no\":\"A%d\",\"alt\":\"Z%d\",\"ver\":%d,\"plate\":\"吉A%05d\","
	    "\"dir\":\"in\",\"gross\":%.1f,\"tare\":4.5,\"t1\":%lld,"
	    "\"t2\":%lld,\"waste\":\"msw.food\",\"st\":\"complete\"}",
	    no, no, ver, no, g, (long long)t, (long long)t + 300000);
	append(w, "scaleco/TS/ticket", p, t + 400000);
}

/*
 * 40 tickets A1..A40 (gross 10.5 t, net 6 t), then version 2 of A1
 * (gross 12.5 t: net 8 t), a load of 7.5 t, a stock report of 120 t, a
 * native position, and A2 sent again (a duplicate message): 45 messages.
 */
static void
ingest_all(struct env *e)
{
	struct spool_writer *w;
	struct spool_reader *r;
	char spool[PATH_MAX], p[256];
	int i;

	snprintf(spool, sizeof(spool), "%s", tpath("spool"));
	CHECK(spool_mkdir(spool) == 0);
	CHECK(spool_writer_open(spool, 1, 1u << 20, 0, &w) == 0);
	for (i = 1; i <= 40; i++)
		ticket(w, i, 1, 10.5, T0 + i * 600000);
	ticket(w, 1, 2, 12.5, T0 + 600000);
	snprintf(p, sizeof(p),
	    "{\"type\":\"load\",\"ts\":%lld,\"waste\":\"msw.food\","
	    "\"mass\":7.5}",
	    (long long)T0);
	append(w, "scaleco/KW-1/event", p, T0 + 1000);
	snprintf(p, sizeof(p),
	    "{\"ts\":%lld,\"state\":\"running\",\"stock\":120}", (long long)T0);
	append(w, "scaleco/TS/status", p, T0 + 1000);
	snprintf(p, sizeof(p),
	    "{\"ts\":%lld,\"lat\":43.88,\"lon\":125.31,\"speed_kmh\":30}",
	    (long long)T0);
	append(w, "wt/v1/vehicles/KW-1/position", p, T0 + 1000);
	/* A2 again, its bytes changed (a space): a re-send that writes
	 * nothing (same ticket, same figures). */
	snprintf(p, sizeof(p),
	    "{\"no\":\"A2\",\"alt\":\"Z2\",\"ver\":1,\"plate\":\"吉A00002\","
	    "\"dir\":\"in\",\"gross\":10.5,\"tare\":4.5,\"t1\":%lld,"
	    "\"t2\":%lld,\"waste\":\"msw.food\",\"st\":\"complete\"} ",
	    (long long)T0 + 1200000, (long long)T0 + 1500000);
	append(w, "scaleco/TS/ticket", p, T0 + 1700000);
	CHECK(spool_reader_open(spool, ingest_committed(e->in), &r) == 0);
	CHECK_INT(ingest_batch(e->in, r, all, 100, T0 + 30000000, 0), 45);
	spool_reader_close(r);
	spool_writer_close(w);
}

/* A whole replay of accepted messages, one chunk a step (a zero
 * budget); its stats in *st. */
static void
run(struct env *e, const char *profile, int64_t since, int dry_run,
    struct replay_stats *st)
{
	struct replay_req req = { .since_ms = since,
		.dry_run = dry_run,
		.accepted = 1 };
	struct replay *r;
	int rc, steps = 0;

	snprintf(req.profile, sizeof(req.profile), "%s", profile);
	CHECK(replay_new(e->in, e->store, &req, &r) == 0);
	while ((rc = replay_step(r, T0 + 86400000, 0)) == 1 && steps < 100)
		steps++;
	CHECK_INT(rc, 0);
	*st = *replay_stats(r);
	CHECK(st->done);
	replay_free(r);
}

/* One text from the database at path (the caller frees it), or NULL. */
static char *
db_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	else
		fprintf(stderr, "query %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A write of the test's own (what retention does to a payload). */
static int
db_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db) == SQLITE_OK &&
		sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
		sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
	    ? 0
	    : -1;

	sqlite3_close(db);
	return rc;
}

static long long
q(const struct env *e, const char *sql)
{
	return db_int(e->db, sql);
}

/* Every figure a replay of the tonnes fix gives, dry or not. */
static void
check_fix(const struct replay_stats *st)
{
	CHECK_INT(st->selected, 45);
	CHECK_INT(st->rederived, 43);
	CHECK_INT(st->unchanged, 1); /* the re-send of A2 */
	CHECK_INT(st->not_rederivable, 1);
	CHECK_INT(st->pruned, 0);
	CHECK_INT(st->rejected, 0);
	CHECK_INT(st->conflict, 0);
	CHECK_INT(st->changed[STORE_RD_WEIGHINGS], 40);
	CHECK_INT(st->changed[STORE_RD_WEIGHINGS_HISTORY], 1);
	CHECK_INT(st->changed[STORE_RD_VEHICLE_EVENTS], 1);
	CHECK_INT(st->changed[STORE_RD_FACILITY_STATUS], 1);
}

/* The row sets a replay may change, as one text, to compare runs. */
static const char rows_sql[] =
    "SELECT (SELECT group_concat(x, '|') FROM (SELECT id || ',' || ticket"
    " || ',' || version || ',' || net_kg || ',' || day || ',' || message_id"
    " AS x FROM weighings ORDER BY id))"
    " || (SELECT group_concat(x, '|') FROM (SELECT id || ',' || net_kg"
    " AS x FROM weighings_history ORDER BY id))"
    " || (SELECT group_concat(id || ',' || mass_kg) FROM vehicle_events)"
    " || (SELECT group_concat(id || ',' || inventory_kg)"
    " FROM facility_status)"
    " || (SELECT group_concat(x, '|') FROM (SELECT ticket_id || ','"
    " || kg AS x FROM ticket_origins ORDER BY 1))";

static char *
rows(const struct env *e)
{
	return db_text(e->db, rows_sql);
}

static void
check_corrected(const struct env *e)
{
	/* 40 tickets, A1 at 8 t now, the others 6 t: 242 t. */
	CHECK_INT(q(e, "SELECT count(*) FROM weighings"), 40);
	CHECK_INT(q(e, "SELECT round(sum(net_kg)) FROM weighings"), 242000);
	CHECK_INT(q(e,
		      "SELECT net_kg FROM weighings WHERE ticket = 'A1'"
		      " AND version = 2"),
	    8000);
	CHECK_INT(q(e, "SELECT net_kg FROM weighings_history"), 6000);
	CHECK_INT(q(e, "SELECT mass_kg FROM vehicle_events"), 7500);
	CHECK_INT(q(e, "SELECT inventory_kg FROM facility_status"), 120000);
	/* Derived rows follow: the station's day and the origins. */
	CHECK_INT(q(e, "SELECT round(sum(in_kg)) FROM station_days"), 242000);
	CHECK_INT(q(e, "SELECT round(sum(kg)) FROM ticket_origins"), 242000);
	/* Provenance: every changed message says when. */
	CHECK_INT(q(e,
		      "SELECT count(*) FROM messages WHERE rederived_ms = "
		      "1691474400000"),
	    43);
}

static void
check_wrong(const struct env *e)
{
	CHECK_INT(q(e, "SELECT round(sum(net_kg) * 1000) FROM weighings"),
	    242000);
	CHECK_INT(q(e, "SELECT round(sum(in_kg) * 1000) FROM station_days"),
	    242000);
	CHECK_INT(q(e,
		      "SELECT count(*) FROM messages WHERE rederived_ms IS "
		      "NOT NULL"),
	    0);
}

/* A fix that gives the vehicle and the facility other ids moves the
 * keys of their rows: corrected in place, paired in order with the
 * message's rows no event names any more. */
static void
check_moved(struct env *e)
{
	struct replay_stats st;

	ingest_set_config(e->in, e->cfg[4], e->profiles[4]);
	run(e, "", 0, 0, &st);
	CHECK_INT(st.rederived, 2);
	CHECK_INT(st.conflict, 0);
	CHECK_INT(st.changed[STORE_RD_VEHICLE_EVENTS], 1);
	CHECK_INT(st.changed[STORE_RD_FACILITY_STATUS], 1);
	CHECK_INT(q(e,
		      "SELECT count(*) FROM vehicle_events WHERE vehicle ="
		      " 'KW-0001' AND mass_kg = 7500 AND message_id = 42"),
	    1);
	CHECK_INT(q(e,
		      "SELECT count(*) FROM facility_status WHERE facility ="
		      " 'TS-2' AND inventory_kg = 120000 AND message_id = 43"),
	    1);
	run(e, "", 0, 0, &st);
	CHECK_INT(st.rederived, 0);
	CHECK_INT(st.unchanged, 44);
	/* Back: the keys move back. */
	ingest_set_config(e->in, e->cfg[1], e->profiles[1]);
	run(e, "", 0, 0, &st);
	CHECK_INT(st.rederived, 2);
	CHECK_INT(q(e,
		      "SELECT count(*) FROM vehicle_events WHERE vehicle ="
		      " 'KW-1'"),
	    1);
}

/* A profile that reads the ticket number from elsewhere names tickets
 * that are not the message's: every message is left as it is; one that
 * refuses the payload (a missing field) too. */
static void
check_kept(struct env *e)
{
	struct replay_stats st;
	char *before = rows(e), *after;

	ingest_set_config(e->in, e->cfg[2], e->profiles[2]);
	run(e, "scaleco", 0, 0, &st);
	CHECK_INT(st.conflict, 42); /* 41 tickets and A2's re-send */
	CHECK_INT(st.rederived, 0);
	ingest_set_config(e->in, e->cfg[3], e->profiles[3]);
	run(e, "scaleco", 0, 0, &st);
	CHECK_INT(st.rejected, 42);
	CHECK_INT(st.rederived, 0);
	after = rows(e);
	CHECK_STR(after, before);
	free(before);
	free(after);
}

/* The control socket's lines for a replay of accepted messages: the
 * request goes and comes back whole; a reason with it is refused; the
 * figures line is JSON with every table. */
static void
check_lines(void)
{
	struct replay_req req = { .accepted = 1,
		.since_ms = T0,
		.until_ms = T0 + 86400000,
		.dry_run = 1 },
			  back;
	struct replay_stats st = { .selected = 5, .rederived = 3 };
	char line[CTLMSG_MAX], err[160];
	struct json *doc;

	snprintf(req.profile, sizeof(req.profile), "vendor-\"b\"");
	snprintf(req.topic, sizeof(req.topic), "vy/#");
	CHECK(ctlmsg_replay_request(&req, line, sizeof(line)) == 0);
	CHECK(ctlmsg_parse_replay(line, strlen(line) - 1, &back, err,
		  sizeof(err)) == 0);
	CHECK(back.accepted && back.dry_run);
	CHECK_STR(back.profile, "vendor-\"b\"");
	CHECK_STR(back.topic, "vy/#");
	CHECK_INT(back.since_ms, T0);
	CHECK_INT(back.until_ms, T0 + 86400000);
	snprintf(req.reason, sizeof(req.reason), "missing_field");
	CHECK(ctlmsg_replay_request(&req, line, sizeof(line)) == 0);
	CHECK(ctlmsg_parse_replay(line, strlen(line) - 1, &back, err,
		  sizeof(err)) == -1);
	CHECK_STR(err, "accepted messages have no reason");
	/* An older client's request: no accepted, profile or until_ms. */
	{
		static const char old[] =
		    "{\"command\":\"replay\",\"since_ms\":5}";

		CHECK(ctlmsg_parse_replay(old, sizeof(old) - 1, &back, err,
			  sizeof(err)) == 0);
	}
	CHECK(!back.accepted && back.until_ms == 0 && back.since_ms == 5);
	st.changed[STORE_RD_WEIGHINGS_HISTORY] = 2;
	CHECK(ctlmsg_stats_line("done", &st, 1, 0, line, sizeof(line)) == 0);
	doc = json_parse(line, strlen(line) - 1, err, sizeof(err));
	CHECK(doc != NULL);
	if (doc != NULL) {
		double v = -1;

		CHECK(json_num(json_get(json_get(doc, "changed"),
				   "weighings_history"),
			  &v) == 0 &&
		    v == 2);
		CHECK(json_num(json_get(doc, "rederived"), &v) == 0 && v == 3);
		CHECK(json_is_yes(json_get(doc, "accepted")));
		json_free(doc);
	}
}

int
main(void)
{
	struct env e = { 0 };
	struct replay_stats st;
	struct replay_req req = { .accepted = 1 };
	struct replay *r;
	char *before, *after;

	tmpfiles_init("test_rederive");
	check_lines();
	load(&e, 0, "no", "kg");
	load(&e, 1, "no", "t");
	load(&e, 2, "alt", "t");
	load(&e, 3, "missing", "t");
	load(&e, 4, "no", "t");
	e.db = e.cfg[0]->database.path;
	CHECK(store_open(e.db, 0, &e.store) == 0);
	CHECK(store_sync_config(e.store, e.cfg[0]) == 0);
	CHECK(ingest_open(e.store, e.cfg[0], e.profiles[0], &e.in) == 0);
	ingest_all(&e);
	check_wrong(&e);

	/* Under the configuration that stored them: nothing to change. */
	run(&e, "", 0, 0, &st);
	CHECK_INT(st.unchanged, 44);
	CHECK_INT(st.rederived, 0);

	/* The fix. A dry run gives the figures and writes nothing. */
	ingest_set_config(e.in, e.cfg[1], e.profiles[1]);
	before = rows(&e);
	run(&e, "", 0, 1, &st);
	check_fix(&st);
	after = rows(&e);
	CHECK_STR(after, before);
	free(after);
	check_wrong(&e);

	/* A replay stopped after its first slice (a stop, a kill): the
	 * slice is committed whole, and the next run completes the job.
	 * The slice is the first 32 messages received: the event, the
	 * status and the position, then 29 tickets, one of them the
	 * re-send of A2 (nothing of its own to correct). */
	CHECK(replay_new(e.in, e.store, &req, &r) == 0);
	CHECK_INT(replay_step(r, T0 + 86400000, 0), 1);
	CHECK_INT(replay_stats(r)->rederived, 30);
	replay_free(r);
	CHECK_INT(q(&e,
		      "SELECT count(*) FROM messages WHERE rederived_ms "
		      "IS NOT NULL"),
	    30);
	run(&e, "", 0, 0, &st);
	CHECK_INT(st.rederived, 13);
	CHECK_INT(st.unchanged, 31);
	check_corrected(&e);

	/* Again from the start: nothing changes, row for row. */
	free(before);
	before = rows(&e);
	run(&e, "", 0, 0, &st);
	CHECK_INT(st.rederived, 0);
	CHECK_INT(st.unchanged, 44);
	after = rows(&e);
	CHECK_STR(after, before);
	free(after);
	free(before);
	/* Filters: the profile, the time of receipt. */
	run(&e, "wastetrack", 0, 1, &st);
	CHECK_INT(st.selected, 1);
	CHECK_INT(st.not_rederivable, 1);
	run(&e, "", T0 + 24000000, 1, &st);
	CHECK_INT(st.selected, 1); /* A40, received at T0 + 24 400 000 */
	/* Before: the rest. */
	{
		struct replay_req until = { .accepted = 1,
			.dry_run = 1,
			.until_ms = T0 + 24000000 };
		struct replay *u;

		CHECK(replay_new(e.in, e.store, &until, &u) == 0);
		while (replay_step(u, T0 + 86400000, 1000000) == 1)
			;
		CHECK_INT(replay_stats(u)->selected, 44);
		CHECK(replay_stats(u)->done);
		replay_free(u);
	}

	check_moved(&e);
	check_kept(&e);
	/* A pruned payload is reported, never passed over in silence. */
	CHECK(
	    db_exec(e.db,
		"UPDATE messages SET payload = NULL WHERE id IN (1, 2)") == 0);
	ingest_set_config(e.in, e.cfg[1], e.profiles[1]);
	run(&e, "", 0, 1, &st);
	CHECK_INT(st.pruned, 2);
	CHECK_INT(st.unchanged, 42);

	ingest_free(e.in);
	store_close(e.store);
	for (int i = 0; i < 5; i++) {
		config_free(e.cfg[i]);
		profile_set_free(e.profiles[i]);
	}
	rmtree(tmpdir);
	return check_result("test_rederive");
}
