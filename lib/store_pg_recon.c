/*
 * store_pg_recon: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_reconcile_pass(struct store *pub, int64_t now_ms,
    const struct config *cfg, int *more)
{
	(void)pub;
	(void)now_ms;
	(void)cfg;
	(void)more;
	log_warnx(
	    "store: postgresql: store_pg_reconcile_pass is not written yet");
	return -1;
}

int
store_pg_reconcile_full(struct store *pub, int64_t now_ms,
    const struct config *cfg)
{
	(void)pub;
	(void)now_ms;
	(void)cfg;
	log_warnx(
	    "store: postgresql: store_pg_reconcile_full is not written yet");
	return -1;
}

int
store_pg_reconcile_behind(struct store *pub, int *behind)
{
	(void)pub;
	(void)behind;
	log_warnx(
	    "store: postgresql: store_pg_reconcile_behind is not written yet");
	return -1;
}
