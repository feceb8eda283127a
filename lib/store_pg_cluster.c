/*
 * store_pg_cluster: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_cluster_beat(struct store *pub, const char *instance,
    const char *group, int64_t now_ms, struct store_cluster *out)
{
	(void)pub;
	(void)instance;
	(void)group;
	(void)now_ms;
	(void)out;
	log_warnx(
	    "store: postgresql: store_pg_cluster_beat is not written yet");
	return -1;
}
