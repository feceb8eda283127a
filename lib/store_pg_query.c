/*
 * store_pg_query: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_query_open(const struct store_where *w, struct store_query **out)
{
	(void)w;
	(void)out;
	log_warnx("store: postgresql: store_pg_query_open is not written yet");
	return -1;
}

void
store_pg_query_close(struct store_query *q)
{
	(void)q;
}

int
store_pg_query_run(struct store_query *q, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg)
{
	(void)q;
	(void)id;
	(void)a;
	(void)fn;
	(void)arg;
	log_warnx("store: postgresql: store_pg_query_run is not written yet");
	return -1;
}

void
store_pg_query_budget(struct store_query *q, int ms)
{
	(void)q;
	(void)ms;
}

int
store_pg_query_timed_out(const struct store_query *q)
{
	(void)q;
	log_warnx(
	    "store: postgresql: store_pg_query_timed_out is not written yet");
	return -1;
}


int
store_pg_query_plan(struct store_query *q, enum store_q id, store_rows_fn fn,
    void *arg)
{
	(void)q;
	(void)id;
	(void)fn;
	(void)arg;
	log_warnx("store: postgresql: store_pg_query_plan is not written yet");
	return -1;
}
