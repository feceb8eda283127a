/*
 * store_pg_version: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pgv_weighing(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, enum store_result *res)
{
	(void)s;
	(void)e;
	(void)message_id;
	(void)local_offset_min;
	(void)res;
	log_warnx("store: postgresql: store_pgv_weighing is not written yet");
	return -1;
}

int
store_pgv_manifest(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, enum store_result *res)
{
	(void)s;
	(void)e;
	(void)message_id;
	(void)local_offset_min;
	(void)res;
	log_warnx("store: postgresql: store_pgv_manifest is not written yet");
	return -1;
}
