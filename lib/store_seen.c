/*
 * store_seen: the vehicles-seen cache of the open transaction. store_write.c
 * fills it from positions and vehicle events; store_sqlite.c writes it out at
 * commit and drops it at rollback.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

/*
 * `vehicles` is updated once per transaction and vehicle, not once per
 * position: nine messages in ten are positions of the same few hundred
 * vehicles. The latest plate and device in arrival order, the earliest
 * and latest time, as the upsert per message had them.
 */
void
store_seen_clear(struct store_sqlite *s)
{
	size_t i;

	for (i = 0; s->seen != NULL && i < STORE_SEEN_SLOTS; i++) {
		free(s->seen[i].vehicle);
		free(s->seen[i].plate);
		free(s->seen[i].device);
	}
	if (s->seen != NULL)
		memset(s->seen, 0, STORE_SEEN_SLOTS * sizeof(*s->seen));
	s->nseen = 0;
}

int
store_seen_flush(struct store_sqlite *s)
{
	sqlite3_stmt *st = s->st[S_VEHICLE_SEEN];
	size_t i;
	int rc = 0;

	for (i = 0; i < STORE_SEEN_SLOTS && s->nseen > 0 && rc == 0; i++) {
		struct store_seen *v = &s->seen[i];

		if (v->vehicle == NULL)
			continue;
		store_bind_text(st, 1, v->vehicle);
		store_bind_text(st, 2, v->plate);
		store_bind_text(st, 3, v->device);
		sqlite3_bind_int64(st, 4, v->first);
		sqlite3_bind_int64(st, 5, v->last);
		rc = store_run(s, S_VEHICLE_SEEN);
	}
	store_seen_clear(s);
	return rc;
}

/* Replace *dst with a copy of src unless src is NULL. */
static int
keep_latest(char **dst, const char *src)
{
	char *copy;

	if (src == NULL)
		return 0;
	if ((copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

static struct store_seen *
seen_slot(struct store_sqlite *s, const char *vehicle)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)vehicle; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (i = h & (STORE_SEEN_SLOTS - 1);;
	     i = (i + 1) & (STORE_SEEN_SLOTS - 1))
		if (s->seen[i].vehicle == NULL ||
		    strcmp(s->seen[i].vehicle, vehicle) == 0)
			return &s->seen[i];
}

int
store_vehicle_seen(struct store_sqlite *s, const char *vehicle,
    const char *plate, const char *device, int64_t ts)
{
	struct store_seen *v;

	if (s->seen == NULL &&
	    (s->seen = calloc(STORE_SEEN_SLOTS, sizeof(*s->seen))) == NULL)
		return -1;
	/* Half full: write them out, so probes stay short. */
	if (s->nseen >= STORE_SEEN_SLOTS / 2 && store_seen_flush(s) == -1)
		return -1;
	v = seen_slot(s, vehicle);
	if (v->vehicle == NULL) {
		if ((v->vehicle = strdup(vehicle)) == NULL)
			return -1;
		v->first = v->last = ts;
		s->nseen++;
	}
	if (ts < v->first)
		v->first = ts;
	if (ts > v->last)
		v->last = ts;
	return keep_latest(&v->plate, plate) == -1 ||
		keep_latest(&v->device, device) == -1
	    ? -1
	    : 0;
}
