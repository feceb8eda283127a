/*
 * store_pg_read: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_day_tonnage(struct store *pub, const char *day, store_row_fn fn,
    void *arg)
{
	(void)pub;
	(void)day;
	(void)fn;
	(void)arg;
	log_warnx("store: postgresql: store_pg_day_tonnage is not written yet");
	return -1;
}

int
store_pg_manifest_counts(struct store *pub, struct store_manifest_counts *c)
{
	(void)pub;
	(void)c;
	log_warnx(
	    "store: postgresql: store_pg_manifest_counts is not written yet");
	return -1;
}

int
store_pg_day_indicators(struct store *pub, const char *day,
    store_indicators_fn fn, void *arg)
{
	(void)pub;
	(void)day;
	(void)fn;
	(void)arg;
	log_warnx(
	    "store: postgresql: store_pg_day_indicators is not written yet");
	return -1;
}

int
store_pg_day_muck(struct store *pub, const char *day,
    struct store_muck_day *out)
{
	(void)pub;
	(void)day;
	(void)out;
	log_warnx("store: postgresql: store_pg_day_muck is not written yet");
	return -1;
}

int
store_pg_manifest_items(struct store *pub, const char *verdict, int limit,
    store_item_fn fn, void *arg)
{
	(void)pub;
	(void)verdict;
	(void)limit;
	(void)fn;
	(void)arg;
	log_warnx(
	    "store: postgresql: store_pg_manifest_items is not written yet");
	return -1;
}

int
store_pg_alert_open_by_kind(struct store *pub, store_row_fn fn, void *arg)
{
	(void)pub;
	(void)fn;
	(void)arg;
	log_warnx(
	    "store: postgresql: store_pg_alert_open_by_kind is not written yet");
	return -1;
}

int
store_pg_alert_counts(struct store *pub, struct store_alert_counts *c)
{
	(void)pub;
	(void)c;
	log_warnx(
	    "store: postgresql: store_pg_alert_counts is not written yet");
	return -1;
}

int
store_pg_alert_items(struct store *pub, int limit, store_alert_item_fn fn,
    void *arg)
{
	(void)pub;
	(void)limit;
	(void)fn;
	(void)arg;
	log_warnx("store: postgresql: store_pg_alert_items is not written yet");
	return -1;
}
