/*
 * store_pg_write: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_message_find(struct store *pub, const struct store_msg *m,
    int64_t *message_id, enum store_result *res)
{
	(void)pub;
	(void)m;
	(void)message_id;
	(void)res;
	log_warnx(
	    "store: postgresql: store_pg_message_find is not written yet");
	return -1;
}

int
store_pg_message_add(struct store *pub, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind)
{
	(void)pub;
	(void)m;
	(void)message_id;
	(void)outcome;
	(void)kind;
	log_warnx("store: postgresql: store_pg_message_add is not written yet");
	return -1;
}

int
store_pg_event(struct store *pub, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res)
{
	(void)pub;
	(void)e;
	(void)message_id;
	(void)local_offset_min;
	(void)now_ms;
	(void)res;
	log_warnx("store: postgresql: store_pg_event is not written yet");
	return -1;
}

int
store_pg_reject(struct store *pub, const struct store_msg *m,
    const char *reason, const char *detail)
{
	(void)pub;
	(void)m;
	(void)reason;
	(void)detail;
	log_warnx("store: postgresql: store_pg_reject is not written yet");
	return -1;
}

int
store_pg_sync_config(struct store *pub, const struct config *cfg)
{
	(void)pub;
	(void)cfg;
	log_warnx("store: postgresql: store_pg_sync_config is not written yet");
	return -1;
}

int
store_pg_prune_payloads(struct store *pub, int64_t cutoff_ms, int64_t *pruned)
{
	(void)pub;
	(void)cutoff_ms;
	(void)pruned;
	log_warnx(
	    "store: postgresql: store_pg_prune_payloads is not written yet");
	return -1;
}

int
store_pg_hold_payloads(struct store *pub, int64_t hold_ms, int clock_behind)
{
	(void)pub;
	(void)hold_ms;
	(void)clock_behind;
	log_warnx(
	    "store: postgresql: store_pg_hold_payloads is not written yet");
	return -1;
}

int
store_pg_clock_state(struct store *pub, int64_t *newest_ms, int *clock_behind)
{
	(void)pub;
	(void)newest_ms;
	(void)clock_behind;
	log_warnx("store: postgresql: store_pg_clock_state is not written yet");
	return -1;
}

int64_t
store_pg_take_late_duplicates(struct store *pub)
{
	(void)pub;
	return 0;
}

int
store_pgw_before_commit(struct store_pgsql *s)
{
	(void)s;
	return 0;
}

void
store_pgw_after_end(struct store_pgsql *s, int committed)
{
	(void)s;
	(void)committed;
}
