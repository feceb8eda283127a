/*
 * store_pg_muck: not yet written; every operation here refuses (-1, logged).
 */
#include "store_pg_int.h"

#include "log.h"

int
store_pg_unload_add(struct store *pub, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added)
{
	(void)pub;
	(void)u;
	(void)local_offset_min;
	(void)message_id;
	(void)added;
	log_warnx("store: postgresql: store_pg_unload_add is not written yet");
	return -1;
}

int
store_pg_unload_weighed(struct store *pub, const char *plate, int64_t first_ms,
    int64_t second_ms, int loaded, int muck, int *changed)
{
	(void)pub;
	(void)plate;
	(void)first_ms;
	(void)second_ms;
	(void)loaded;
	(void)muck;
	(void)changed;
	log_warnx(
	    "store: postgresql: store_pg_unload_weighed is not written yet");
	return -1;
}

int
store_pg_unload_event_near(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *found)
{
	(void)pub;
	(void)vehicle;
	(void)from_ms;
	(void)to_ms;
	(void)found;
	log_warnx(
	    "store: postgresql: store_pg_unload_event_near is not written yet");
	return -1;
}

int
store_pg_unload_absorb(struct store *pub, const char *vehicle, int64_t from_ms,
    int64_t to_ms, int *removed)
{
	(void)pub;
	(void)vehicle;
	(void)from_ms;
	(void)to_ms;
	(void)removed;
	log_warnx(
	    "store: postgresql: store_pg_unload_absorb is not written yet");
	return -1;
}

int
store_pg_vehicle_recent(struct store *pub, const char *vehicle,
    int64_t before_ms, struct store_fix *out, size_t n, size_t *got)
{
	(void)pub;
	(void)vehicle;
	(void)before_ms;
	(void)out;
	(void)n;
	(void)got;
	log_warnx(
	    "store: postgresql: store_pg_vehicle_recent is not written yet");
	return -1;
}

int
store_pg_vehicle_load(struct store *pub, const char *vehicle,
    struct store_load *out, int *found)
{
	(void)pub;
	(void)vehicle;
	(void)out;
	(void)found;
	log_warnx(
	    "store: postgresql: store_pg_vehicle_load is not written yet");
	return -1;
}

int
store_pg_violation_add(struct store *pub, const struct store_violation *v,
    int local_offset_min, int *added)
{
	(void)pub;
	(void)v;
	(void)local_offset_min;
	(void)added;
	log_warnx(
	    "store: postgresql: store_pg_violation_add is not written yet");
	return -1;
}
