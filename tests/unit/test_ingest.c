/*
 * test_ingest: lib/ingest.c from spool records to rows, without a broker.
 * Records are written with the real spool writer into a temporary
 * directory and ingested into a real store on a temporary SQLite file;
 * the rows are then counted with sqlite3 directly. And the city figures
 * (report_city_compute) over what was ingested.
 */
#include "check.h"
#include "tmpfiles.h"
#include "dbfiles.h"

#include "config.h"
#include "event.h"
#include "ingest.h"
#include "profile.h"
#include "report.h"
#include "sha256.h"
#include "spool.h"
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* 2023-08-07T09:20:00Z: after every event time below. */
#define NOW INT64_C(1691400000000)
#define DAY "2023-08-07"

static const struct spool_pos all = { UINT64_MAX, UINT64_MAX };

#define POSITION_TOPIC "wt/v1/vehicles/KW-0217/position"
#define POSITION                                                                  \
	"{\"ts\":\"2023-08-07T14:02:58+08:00\",\"lat\":43.883412,"                \
	"\"lon\":125.314567,\"plate\":\"吉A5G217\",\"device\":\"013912345678\"," \
	"\"speed_kmh\":32.5,\"heading_deg\":87,\"alt_m\":221,"                    \
	"\"load_state\":\"full\"}"
#define WEIGHING_TOPIC "wt/v1/facilities/CC-KWP-01/weighings"
#define WEIGHING                                                               \
	"{\"ticket\":\"0153\",\"plate\":\"吉A5G217\",\"direction\":\"in\","   \
	"\"gross_kg\":18070,\"tare_kg\":13320,\"net_kg\":4750,"                \
	"\"first_ts\":\"2023-08-07T14:03:22+08:00\","                          \
	"\"second_ts\":\"2023-08-07T14:21:05+08:00\",\"waste\":\"msw.food\","  \
	"\"origin\":\"朝阳区环卫所\",\"status\":\"complete\",\"version\":1}"
#define MANIFEST_TOPIC "wt/v1/manifests/20232201000153"
#define MANIFEST                                                                 \
	"{\"scheme\":\"CN_HW\",\"status\":\"in_transit\",\"version\":3,"         \
	"\"ts\":\"2023-08-07T09:13:05+08:00\",\"plate\":\"吉A02851D\","         \
	"\"generator\":{\"code\":\"91220101MA0XXXXXX1\",\"name\":\"g\","         \
	"\"district\":\"绿园区\"},\"carrier\":{\"name\":\"c\"},"              \
	"\"receiver\":{\"facility\":\"CC-HW-01\",\"name\":\"r\"},"               \
	"\"lines\":[{\"line\":1,\"waste_code\":\"900-249-08\",\"waste\":\"hw\"," \
	"\"qty\":1.2,\"unit\":\"t\"}]}"

struct msg {
	const char *topic, *payload;
};

/* The first batch: three rows, three rejects, one exact duplicate. */
static const struct msg first[] = {
	{ POSITION_TOPIC, POSITION },
	{ WEIGHING_TOPIC, WEIGHING },
	{ MANIFEST_TOPIC, MANIFEST },
	{ POSITION_TOPIC, "{\"ts\":" },
	{ "elsewhere/KW-0217/position", POSITION },
	{ POSITION_TOPIC, "{\"lat\":43.88,\"lon\":125.31}" },
	{ POSITION_TOPIC, POSITION },
};

struct env {
	struct config *cfg;
	struct profile_set *profiles;
	char db[PATH_MAX], spool[PATH_MAX];
	struct store *store;
	struct ingest *in;
	struct spool_reader *reader;
	struct spool_writer *writer;
	uint64_t bytes;	      /* appended so far */
	struct spool_pos end; /* the writer's end */
};

static void
die(const char *what)
{
	fprintf(stderr, "test_ingest: %s\n", what);
	exit(1);
}

static void
setup(struct env *e)
{
	memset(e, 0, sizeof(*e));
	load_test_config(test_conf, &e->cfg, &e->profiles);
	snprintf(e->db, sizeof(e->db), "%s", tpath("wt.db"));
	snprintf(e->spool, sizeof(e->spool), "%s", tpath("spool"));
	if (spool_mkdir(e->spool) == -1 ||
	    spool_writer_open(e->spool, 1, 1u << 20, 0, &e->writer) == -1)
		die("spool writer");
}

/* Open the store, the ingest and a reader at the committed position. */
static void
open_all(struct env *e)
{
	if (store_open(e->db, 0, &e->store) == -1 ||
	    store_sync_config(e->store, e->cfg) == -1 ||
	    ingest_open(e->store, e->cfg, e->profiles, &e->in) == -1 ||
	    spool_reader_open(e->spool, ingest_committed(e->in), &e->reader) ==
		-1)
		die("open");
}

static void
close_all(struct env *e)
{
	spool_reader_close(e->reader);
	ingest_free(e->in);
	store_close(e->store);
	e->reader = NULL;
	e->in = NULL;
	e->store = NULL;
}

static void
append(struct env *e, const struct msg *m, int64_t received_ms)
{
	if (spool_append(e->writer, m->topic, strlen(m->topic), m->payload,
		strlen(m->payload), received_ms, &e->end) == -1)
		die("spool_append");
	e->bytes += spool_record_size(strlen(m->topic), strlen(m->payload));
}

static long long
query(const struct env *e, const char *sql)
{
	return db_int(e->db, sql);
}

static int
pos_eq(struct spool_pos a, struct spool_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

static void
check_rows(const struct env *e)
{
	CHECK_INT(query(e, "SELECT count(*) FROM positions"), 1);
	CHECK_INT(query(e, "SELECT count(*) FROM weighings"), 1);
	CHECK_INT(query(e, "SELECT count(*) FROM manifests"), 1);
	CHECK_INT(query(e, "SELECT count(*) FROM messages"), 3);
	CHECK_INT(query(e, "SELECT count(*) FROM rejects"), 3);
	CHECK_INT(query(e,
		      "SELECT count(*) FROM rejects WHERE "
		      "reason = 'bad_json'"),
	    1);
	CHECK_INT(query(e,
		      "SELECT count(*) FROM rejects WHERE "
		      "reason = 'no_profile' AND profile IS NULL"),
	    1);
	CHECK_INT(query(e,
		      "SELECT count(*) FROM rejects WHERE "
		      "reason = 'missing_field'"),
	    1);
	CHECK_INT(query(e, "SELECT net_kg FROM weighings"), 4750);
	CHECK_INT(query(e,
		      "SELECT count(*) FROM messages WHERE "
		      "outcome = 'stored' AND payload IS NOT NULL"),
	    3);
}

/* Valid messages become rows, malformed ones rejects, a re-send a
 * duplicate; the spool position commits with them. */
static void
test_first_batch(struct env *e)
{
	const struct ingest_counters *c;
	struct spool_pos pos;
	size_t i;

	for (i = 0; i < NELEM(first); i++)
		append(e, &first[i], NOW - 60000 + (int64_t)i);
	open_all(e);
	CHECK(pos_eq(ingest_committed(e->in), (struct spool_pos){ 1, 0 }));
	CHECK_INT(ingest_batch(e->in, e->reader, e->end, 100, NOW, 0),
	    NELEM(first));
	c = ingest_counters(e->in);
	CHECK_INT(c->received, NELEM(first));
	CHECK_INT(c->bytes, e->bytes);
	CHECK_INT(c->stored, 3);
	CHECK_INT(c->by_kind[EV_POSITION], 1);
	CHECK_INT(c->by_kind[EV_WEIGHING], 1);
	CHECK_INT(c->by_kind[EV_MANIFEST], 1);
	CHECK_INT(c->duplicates, 1);
	CHECK_INT(c->history, 0);
	CHECK_INT(c->rejected, 3);
	CHECK_INT(c->rejected_by[REASON_bad_json], 1);
	CHECK_INT(c->rejected_by[REASON_no_profile], 1);
	CHECK_INT(c->rejected_by[REASON_missing_field], 1);
	CHECK_INT(c->commits, 1);
	CHECK_INT(c->write_errors, 0);
	CHECK_INT(ingest_last_commit_ms(e->in), NOW);
	CHECK_INT(ingest_last_message_ms(e->in), NOW - 60000 + 6);
	CHECK(pos_eq(ingest_committed(e->in), e->end));
	CHECK(store_spool_pos(e->store, &pos) == 0 && pos_eq(pos, e->end));
	check_rows(e);
	/* Nothing waiting: no transaction, no commit counted. */
	CHECK_INT(ingest_batch(e->in, e->reader, e->end, 100, NOW, 0), 0);
	CHECK_INT(ingest_counters(e->in)->commits, 1);
}

/* A batch stops at max records and at the limit; each commit moves the
 * committed position exactly as far as it read. */
static void
test_max_and_limit(struct env *e)
{
	static const struct msg more[] = {
		{ POSITION_TOPIC,
		    "{\"ts\":\"2023-08-07T14:03:58+08:00\","
		    "\"lat\":43.8834,\"lon\":125.3146}" },
		{ POSITION_TOPIC,
		    "{\"ts\":\"2023-08-07T14:04:58+08:00\","
		    "\"lat\":43.8835,\"lon\":125.3147}" },
		{ POSITION_TOPIC,
		    "{\"ts\":\"2023-08-07T14:05:58+08:00\","
		    "\"lat\":43.8836,\"lon\":125.3148}" },
	};
	struct spool_pos after_first, before = e->end;
	size_t i;

	append(e, &more[0], NOW - 1000);
	after_first = e->end;
	for (i = 1; i < NELEM(more); i++)
		append(e, &more[i], NOW - 1000 + (int64_t)i);
	/* The limit hides what the writer has not published yet. */
	CHECK_INT(ingest_batch(e->in, e->reader, before, 100, NOW, 0), 0);
	CHECK_INT(ingest_batch(e->in, e->reader, after_first, 100, NOW, 0), 1);
	CHECK(pos_eq(ingest_committed(e->in), after_first));
	CHECK_INT(ingest_batch(e->in, e->reader, all, 1, NOW, 0), 1);
	CHECK(spool_pos_before(after_first, ingest_committed(e->in)));
	CHECK(spool_pos_before(ingest_committed(e->in), e->end));
	CHECK_INT(ingest_batch(e->in, e->reader, all, 1, NOW, 0), 1);
	CHECK(pos_eq(ingest_committed(e->in), e->end));
	CHECK_INT(ingest_batch(e->in, e->reader, all, 1, NOW, 0), 0);
	CHECK_INT(ingest_counters(e->in)->commits, 4);
	CHECK_INT(ingest_counters(e->in)->by_kind[EV_POSITION], 4);
	CHECK_INT(ingest_counters(e->in)->bytes, e->bytes);
	CHECK_INT(query(e, "SELECT count(*) FROM positions"), 4);
}

/* After a restart the reader starts at the committed position: nothing
 * is imported twice. Read again from the start (a crash between the
 * spool write and the commit), every accepted message is an exact
 * duplicate and no row is added. */
static void
test_reopen(struct env *e)
{
	struct spool_pos start = { 1, 0 };
	const struct ingest_counters *c;

	close_all(e);
	open_all(e);
	CHECK(pos_eq(ingest_committed(e->in), e->end));
	CHECK(pos_eq(spool_reader_pos(e->reader), e->end));
	CHECK_INT(ingest_batch(e->in, e->reader, all, 100, NOW, 0), 0);
	CHECK_INT(ingest_counters(e->in)->received, 0);

	CHECK(spool_reader_seek(e->reader, start) == 0);
	CHECK_INT(ingest_batch(e->in, e->reader, all, 100, NOW, 0),
	    NELEM(first) + 3);
	c = ingest_counters(e->in);
	CHECK_INT(c->stored, 0);
	CHECK_INT(c->duplicates, NELEM(first) + 3 - 3);
	/* Rejects are not deduplicated: the same three again. */
	CHECK_INT(c->rejected, 3);
	CHECK_INT(query(e, "SELECT count(*) FROM positions"), 4);
	CHECK_INT(query(e, "SELECT count(*) FROM weighings"), 1);
	CHECK_INT(query(e, "SELECT count(*) FROM manifests"), 1);
	CHECK_INT(query(e, "SELECT count(*) FROM messages"), 6);
	CHECK(pos_eq(ingest_committed(e->in), e->end));
}

/* A failed batch keeps nothing: the reader goes back to the committed
 * position and the error is counted. Forced with a second connection
 * holding the write lock (the store gives up after its busy timeout). */
static void
test_write_error(struct env *e)
{
	static const struct msg late = { POSITION_TOPIC,
		"{\"ts\":\"2023-08-07T14:06:58+08:00\",\"lat\":43.8837,"
		"\"lon\":125.3149}" };
	struct spool_pos before = ingest_committed(e->in);
	sqlite3 *db = NULL;

	append(e, &late, NOW);
	if (sqlite3_open(e->db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		die("lock");
	CHECK_INT(ingest_batch(e->in, e->reader, all, 100, NOW, 0), -1);
	CHECK_INT(ingest_counters(e->in)->write_errors, 1);
	CHECK(strstr(ingest_error(e->in), "locked") != NULL);
	CHECK(pos_eq(ingest_committed(e->in), before));
	CHECK(pos_eq(spool_reader_pos(e->reader), before));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_INT(ingest_batch(e->in, e->reader, all, 100, NOW, 0), 1);
	CHECK(pos_eq(ingest_committed(e->in), e->end));
	CHECK_INT(query(e, "SELECT count(*) FROM positions"), 5);
}

/* Today's figures from what was ingested, on a reader connection. */
static void
test_city(struct env *e)
{
	struct report_city *c;
	struct store *reader = NULL;

	if ((c = malloc(sizeof(*c))) == NULL)
		die("malloc");
	CHECK(store_reconcile(e->store, NOW, e->cfg) == 0);
	CHECK(store_open_reader(e->db, &reader) == 0);
	CHECK(report_city_compute(reader, DAY, c) == 0);
	CHECK_STR(c->day, DAY);
	CHECK_INT(c->ntonnage, 1);
	CHECK_STR(c->tonnage[0].district, "朝阳区");
	CHECK_STR(c->tonnage[0].waste, "msw.food");
	CHECK_NEAR(c->tonnage[0].kg, 4750, 1e-9);
	CHECK_INT(c->open_manifests, 1);
	/* The city-wide row (全市) sorts first, then the district. */
	CHECK(c->ndistricts >= 2);
	CHECK_STR(c->districts[0].district, "全市");
	CHECK_NEAR(c->districts[0].collected_kg, 4750, 1e-9);
	CHECK_STR(c->districts[1].district, "朝阳区");
	CHECK_NEAR(c->districts[1].collected_kg, 4750, 1e-9);
	/* Another day: no tonnage, the same open manifest. */
	CHECK(report_city_compute(reader, "2023-08-08", c) == 0);
	CHECK_INT(c->ntonnage, 0);
	CHECK_INT(c->open_manifests, 1);
	store_close(reader);
	free(c);
}

/*
 * Over ingest.max_payload: a reject that keeps SPOOL_PREFIX_MAX bytes and
 * names the size and the digest, from a whole record (spooled under a
 * larger limit) as from a cut one (what the receive side writes).
 */
static void
test_too_large(struct env *e)
{
	static const char big_topic[] = "wt/v1/vehicles/BIG/position";
	size_t n = e->cfg->ingest.max_payload + 10000;
	uint8_t sha[32];
	char hex[65], sql[320], *big;

	if ((big = malloc(n)) == NULL)
		die("malloc");
	memset(big, 'x', n);
	big[0] = '{';
	if (spool_append(e->writer, POSITION_TOPIC, strlen(POSITION_TOPIC), big,
		n, NOW, &e->end) == -1)
		die("spool_append");
	CHECK(sha256(big, n, sha) == 0);
	if (spool_append_cut(e->writer, big_topic, strlen(big_topic), big,
		SPOOL_PREFIX_MAX, n, sha, NOW, &e->end) == -1)
		die("spool_append_cut");
	CHECK_INT(ingest_batch(e->in, e->reader, all, 100, NOW, 0), 2);
	CHECK_INT(ingest_counters(e->in)->rejected_by[REASON_too_large], 2);
	CHECK(sha256_hex(big, n, hex) == 0);
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM rejects WHERE reason = 'too_large'"
	    " AND length(payload) = %d AND hex(substr(payload, 1, 2)) = '7B78'"
	    " AND instr(detail, '%s') > 0 AND instr(detail, '%zu bytes') > 0",
	    SPOOL_PREFIX_MAX, hex, n);
	CHECK_INT(query(e, sql), 2);
	free(big);
}

int
main(void)
{
	struct env e;

	tmpfiles_init("test_ingest");
	setup(&e);
	test_first_batch(&e);
	test_max_and_limit(&e);
	test_reopen(&e);
	test_write_error(&e);
	test_city(&e);
	test_too_large(&e);
	close_all(&e);
	spool_writer_close(e.writer);
	profile_set_free(e.profiles);
	config_free(e.cfg);
	rmtree(tmpdir);
	return check_result("test_ingest");
}
