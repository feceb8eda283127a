/*
 * store_pg_prune: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_prune_slice(struct store *pub, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us)
{
	(void)pub;
	(void)r;
	(void)pr;
	(void)max_rows;
	(void)budget_us;
	log_warnx("store: postgresql: store_pg_prune_slice is not written yet");
	return -1;
}

int
store_pg_query_prune_due(struct store_query *q, const struct store_retention *r,
    int64_t due[STORE_PRUNE_KINDS])
{
	(void)q;
	(void)r;
	(void)due;
	log_warnx(
	    "store: postgresql: store_pg_query_prune_due is not written yet");
	return -1;
}
