/*
 * wtbench-pg URL ROWS: positions inserted into the PostgreSQL schema's
 * partitioned table (lib/store_pg_schema.c), with its unique key and ON
 * CONFLICT DO NOTHING, in transactions of 500 rows: one round trip per
 * row against libpq's pipeline mode (one round trip per transaction).
 * One row in ten repeats an earlier one (a redelivery). The schema must
 * be there (tests/integration/pg_migrate); the password comes from libpq
 * (PGPASSWORD, PGPASSFILE). Prints rows/s for each. Not a test.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH	 500
#define VEHICLES 200

static const char insert_sql[] =
    "INSERT INTO positions(vehicle, plate, ts_ms, lat, lon, speed_kmh,"
    " heading_deg, dq_flags, message_id) VALUES($1, $2, $3, $4, $5, $6, $7,"
    " 0, $8) ON CONFLICT (vehicle, ts_ms) DO NOTHING";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(PGconn *c, const char *what)
{
	fprintf(stderr, "wtbench-pg: %s: %s", what, PQerrorMessage(c));
	PQfinish(c);
	exit(1);
}

static void
run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		die(c, sql);
	PQclear(r);
}

/* Row i of a run: vehicle i % VEHICLES, 5 s apart per vehicle from t0;
 * every tenth row repeats the row before it. */
struct row {
	char vehicle[16], plate[16], ts[24], lat[24], lon[24], speed[16],
	    heading[16], mid[24];
	const char *v[8];
};

static void
make_row(struct row *r, long i, long long t0)
{
	long k = i % 10 == 9 ? i - 1 : i;

	snprintf(r->vehicle, sizeof(r->vehicle), "V%04ld", k % VEHICLES);
	snprintf(r->plate, sizeof(r->plate), "B%05ld", k % VEHICLES);
	snprintf(r->ts, sizeof(r->ts), "%lld",
	    t0 + (long long)(k / VEHICLES) * 5000);
	snprintf(r->lat, sizeof(r->lat), "%.6f",
	    43.8 + (double)(k % 997) / 1e4);
	snprintf(r->lon, sizeof(r->lon), "%.6f",
	    125.3 + (double)(k % 991) / 1e4);
	snprintf(r->speed, sizeof(r->speed), "%ld", k % 60);
	snprintf(r->heading, sizeof(r->heading), "%ld", k % 360);
	snprintf(r->mid, sizeof(r->mid), "%ld", i + 1);
	r->v[0] = r->vehicle;
	r->v[1] = r->plate;
	r->v[2] = r->ts;
	r->v[3] = r->lat;
	r->v[4] = r->lon;
	r->v[5] = r->speed;
	r->v[6] = r->heading;
	r->v[7] = r->mid;
}

static void
one_by_one(PGconn *c, long n, long long t0)
{
	struct row r;
	long i;

	for (i = 0; i < n; i++) {
		PGresult *res;

		if (i % BATCH == 0)
			run(c, "BEGIN");
		make_row(&r, i, t0);
		res = PQexecPrepared(c, "ins", 8, r.v, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die(c, "insert");
		PQclear(res);
		if (i % BATCH == BATCH - 1 || i == n - 1)
			run(c, "COMMIT");
	}
}

/* Read results up to and including the batch's sync. */
static void
drain(PGconn *c)
{
	PGresult *res;

	for (;;) {
		res = PQgetResult(c);
		if (res == NULL) {
			/* The end of one query's results, or a broken link. */
			if (PQstatus(c) != CONNECTION_OK)
				die(c, "pipeline");
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die(c, "pipelined insert");
		PQclear(res);
	}
}

static void
pipelined(PGconn *c, long n, long long t0)
{
	struct row r;
	long i;

	if (PQenterPipelineMode(c) != 1)
		die(c, "pipeline mode");
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0 &&
		    PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL,
			0) != 1)
			die(c, "BEGIN");
		make_row(&r, i, t0);
		if (PQsendQueryPrepared(c, "ins", 8, r.v, NULL, NULL, 0) != 1)
			die(c, "send");
		if (i % BATCH == BATCH - 1 || i == n - 1) {
			if (PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL,
				NULL, 0) != 1 ||
			    PQpipelineSync(c) != 1)
				die(c, "COMMIT");
			drain(c);
		}
	}
	if (PQexitPipelineMode(c) != 1)
		die(c, "pipeline exit");
}

static long
count_rows(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT count(*) FROM positions");
	long v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die(c, "count");
	v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

int
main(int argc, char **argv)
{
	PGconn *c;
	PGresult *p;
	char sql[128];
	long n;
	long long t0;
	double t, rate_row, rate_pipe;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: wtbench-pg URL ROWS\n");
		return 2;
	}
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK)
		die(c, "connect");
	/* Today's and tomorrow's partitions; rows go into today's. */
	t0 = (long long)time(NULL) * 1000;
	t0 -= t0 % 86400000;
	snprintf(sql, sizeof(sql),
	    "SELECT wt_partitions('positions', %lld, 2,"
	    " NULL)",
	    t0);
	run(c, sql);
	p = PQprepare(c, "ins", insert_sql, 8, NULL);
	if (PQresultStatus(p) != PGRES_COMMAND_OK)
		die(c, "prepare");
	PQclear(p);
	run(c, "TRUNCATE positions");
	t = now_s();
	one_by_one(c, n, t0);
	rate_row = (double)n / (now_s() - t);
	printf("one round trip per row: %ld rows (%ld stored) in %.2f s: "
	       "%.0f rows/s\n",
	    n, count_rows(c), (double)n / rate_row, rate_row);
	run(c, "TRUNCATE positions");
	t = now_s();
	pipelined(c, n, t0);
	rate_pipe = (double)n / (now_s() - t);
	printf("pipeline, %d per transaction: %ld rows (%ld stored) in %.2f s: "
	       "%.0f rows/s (%.1fx)\n",
	    BATCH, n, count_rows(c), (double)n / rate_pipe, rate_pipe,
	    rate_pipe / rate_row);
	PQfinish(c);
	return 0;
}
