/*
 * store_pg_alert: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_alerts_sync(struct store *pub, int64_t now_ms, int64_t budget_us,
    int *more)
{
	(void)pub;
	(void)now_ms;
	(void)budget_us;
	(void)more;
	log_warnx("store: postgresql: store_pg_alerts_sync is not written yet");
	return -1;
}

int
store_pg_alerts_pending(struct store *pub, store_alert_fn fn, void *arg)
{
	(void)pub;
	(void)fn;
	(void)arg;
	log_warnx(
	    "store: postgresql: store_pg_alerts_pending is not written yet");
	return -1;
}

int
store_pg_alerts_acked(struct store *pub, const int64_t *ids,
    const enum store_alert_step *steps, size_t n)
{
	(void)pub;
	(void)ids;
	(void)steps;
	(void)n;
	log_warnx(
	    "store: postgresql: store_pg_alerts_acked is not written yet");
	return -1;
}
