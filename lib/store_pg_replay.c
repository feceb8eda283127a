/*
 * store_pg_replay: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_replay_next(struct store *pub, const struct store_replay_filter *f,
    int64_t after_ms, int64_t after_id, size_t n, struct store_replay_row *rows,
    size_t *got)
{
	(void)pub;
	(void)f;
	(void)after_ms;
	(void)after_id;
	(void)n;
	(void)rows;
	(void)got;
	log_warnx("store: postgresql: store_pg_replay_next is not written yet");
	return -1;
}

int
store_pg_replay_mark(struct store *pub, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed)
{
	(void)pub;
	(void)id;
	(void)now_ms;
	(void)outcome;
	(void)detail;
	(void)changed;
	log_warnx("store: postgresql: store_pg_replay_mark is not written yet");
	return -1;
}

int
store_pg_rederive_next(struct store *pub, const struct store_rederive_filter *f,
    int64_t after_ms, int64_t after_id, size_t n,
    struct store_rederive_row *rows, size_t *got)
{
	(void)pub;
	(void)f;
	(void)after_ms;
	(void)after_id;
	(void)n;
	(void)rows;
	(void)got;
	log_warnx(
	    "store: postgresql: store_pg_rederive_next is not written yet");
	return -1;
}

int
store_pg_rederive_open(struct store *pub, struct store_rederive **out)
{
	(void)pub;
	(void)out;
	log_warnx(
	    "store: postgresql: store_pg_rederive_open is not written yet");
	return -1;
}

int
store_pg_rederive(struct store_rederive *job, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out)
{
	(void)job;
	(void)message_id;
	(void)evs;
	(void)n;
	(void)local_offset_min;
	(void)now_ms;
	(void)out;
	log_warnx("store: postgresql: store_pg_rederive is not written yet");
	return -1;
}

void
store_pg_rederive_close(struct store_rederive *job)
{
	(void)job;
}
