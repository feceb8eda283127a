/*
 * muck_int: what lib/muck.c (the rules) and lib/muck_table.c (the table
 * of vehicles and its journal) share. Not for other modules.
 */
#ifndef WT_MUCK_INT_H
#define WT_MUCK_INT_H

#include "muck.h"
#include "unload.h"

#include <stdint.h>

#define NBUCKETS (MUCK_MAX_VEHICLES * 2)

struct mv {
	char id[64], plate[32];
	uint32_t next;	/* hash chain: index + 1, 0 ends it */
	uint32_t batch; /* journaled in this batch */
	int used;
	unsigned gen; /* of reg_idx */
	long reg_idx; /* cfg->vehicles index, -1 none */
	struct unload_track track;
	char waste[32]; /* category of the current load; "" unknown */
	/* The construction site of the current load: its index in
	 * cfg->generators (-1 none), not a copy of its id, which may be of
	 * any length; muck_set_config() maps it into a new configuration. */
	long origin_idx;
	int load_evt;	 /* a load event since the last unload */
	int64_t load_ms; /* the last load seen (event or rise), 0 none */
	int64_t last_ms; /* last position with a point */
	double last_lat, last_lon;
	int64_t night_day, permit_day; /* local day numbers written */
	int64_t touched_ms;	       /* wall clock */
};

struct saved {
	uint32_t idx;
	int created;
	struct mv v;
};

/* What muck_before() found, for muck_after(). */
struct cur {
	int valid;
	uint32_t idx;
	enum unload_status status;
	int emitted, rose;
	struct unload_event ev;
};

struct muck {
	const struct config *cfg;
	unsigned gen;
	struct unload_params params;
	struct mv *v;
	uint32_t n, cap, free_head; /* free list: index + 1 */
	uint32_t *bucket;
	int in_batch, replay;
	uint32_t batch;
	struct saved *jr;
	size_t njr, capjr;
	struct cur cur;
	int64_t now_ms; /* wall clock of the batch */
	struct muck_counters c;
};

/* The vehicle's entry, made if new (*created); NULL when there is no
 * room. Journaled for the batch. */
struct mv *muck_vehicle(struct muck *m, const char *id, int64_t now_ms,
    uint32_t *idx, int *created);

#endif
