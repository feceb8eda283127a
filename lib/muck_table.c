/*
 * muck_table: the muck module's vehicles (muck.h, muck_int.h). They live
 * in one array with a chained hash on their id; a batch journals the
 * first change to each vehicle so that a rollback puts it back.
 */
#include "muck_int.h"

#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

static void
set_params(struct muck *m)
{
	unload_params_default(&m->params);
	m->params.dwell_ms = (int64_t)m->cfg->supervision.unload_dwell_s * 1000;
}

int
muck_new(const struct config *cfg, struct muck **out)
{
	struct muck *m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->bucket = calloc(NBUCKETS, sizeof(*m->bucket))) == NULL) {
		free(m);
		return -1;
	}
	m->cfg = cfg;
	m->gen = 1;
	set_params(m);
	*out = m;
	return 0;
}

void
muck_free(struct muck *m)
{
	if (m == NULL)
		return;
	free(m->v);
	free(m->bucket);
	free(m->jr);
	free(m);
}

/* The loads' origins, indexes into the old configuration's generators
 * (alive until this returns), into the new one's: a site it no longer
 * lists is no origin any more. */
static void
remap_origins(struct muck *m, const struct config *cfg)
{
	const struct cfg_generator *g;
	uint32_t i;

	for (i = 0; i < m->n; i++) {
		if (!m->v[i].used || m->v[i].origin_idx < 0)
			continue;
		g = config_generator(cfg,
		    m->cfg->generators[m->v[i].origin_idx].id);
		m->v[i].origin_idx = g != NULL ? g - cfg->generators : -1;
	}
}

void
muck_set_config(struct muck *m, const struct config *cfg)
{
	if (cfg != m->cfg)
		remap_origins(m, cfg);
	m->cfg = cfg;
	m->gen++;
	set_params(m);
}

const struct muck_counters *
muck_counters(const struct muck *m)
{
	return &m->c;
}

/* The table */

static struct mv *
find(struct muck *m, const char *id, uint32_t *idx)
{
	uint32_t i;

	for (i = m->bucket[hash(id)]; i != 0; i = m->v[i - 1].next)
		if (strcmp(m->v[i - 1].id, id) == 0) {
			*idx = i - 1;
			return &m->v[i - 1];
		}
	return NULL;
}

static void
unlink_mv(struct muck *m, uint32_t idx)
{
	uint32_t *p = &m->bucket[hash(m->v[idx].id)];

	while (*p != 0 && *p != idx + 1)
		p = &m->v[*p - 1].next;
	if (*p == idx + 1)
		*p = m->v[idx].next;
	memset(&m->v[idx], 0, sizeof(m->v[idx]));
	m->v[idx].next = m->free_head;
	m->free_head = idx + 1;
	m->c.vehicles--;
}

/* Save v's state before its first change of the batch. */
static void
journal(struct muck *m, uint32_t idx, int created)
{
	struct saved *jr;
	size_t cap;

	if (!m->in_batch || m->v[idx].batch == m->batch)
		return;
	if (m->njr == m->capjr) {
		cap = m->capjr ? m->capjr * 2 : 64;
		if ((jr = reallocarray(m->jr, cap, sizeof(*jr))) == NULL) {
			/* Without room to save it, the vehicle cannot be put
			 * back: a rollback then starts it afresh. */
			log_warnx("muck: out of memory journaling a vehicle");
			return;
		}
		m->jr = jr;
		m->capjr = cap;
	}
	m->jr[m->njr].idx = idx;
	m->jr[m->njr].created = created;
	m->jr[m->njr].v = m->v[idx];
	m->njr++;
	m->v[idx].batch = m->batch;
}

static int
grow(struct muck *m)
{
	uint32_t cap = m->cap ? m->cap * 2 : 256;
	struct mv *v;

	if (cap > MUCK_MAX_VEHICLES)
		cap = MUCK_MAX_VEHICLES;
	if (cap == m->cap || (v = reallocarray(m->v, cap, sizeof(*v))) == NULL)
		return -1;
	memset(v + m->cap, 0, (cap - m->cap) * sizeof(*v));
	m->v = v;
	m->cap = cap;
	return 0;
}

struct mv *
muck_vehicle(struct muck *m, const char *id, int64_t now_ms, uint32_t *idx,
    int *created)
{
	struct mv *v;
	uint32_t h;

	if (id == NULL || strlen(id) >= sizeof(v->id))
		return NULL;
	*created = 0;
	if ((v = find(m, id, idx)) != NULL) {
		journal(m, *idx, 0);
		v->touched_ms = now_ms;
		return v;
	}
	if (m->free_head != 0) {
		*idx = m->free_head - 1;
		m->free_head = m->v[*idx].next;
	} else if (m->n < m->cap || grow(m) == 0)
		*idx = m->n++;
	else
		return NULL;
	v = &m->v[*idx];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->used = 1;
	v->reg_idx = -1;
	v->origin_idx = -1;
	v->night_day = v->permit_day = INT64_MIN;
	unload_track_init(&v->track);
	h = hash(id);
	v->next = m->bucket[h];
	m->bucket[h] = *idx + 1;
	v->touched_ms = now_ms;
	m->c.vehicles++;
	journal(m, *idx, 1);
	*created = 1;
	return v;
}

/* Between batches: room for new vehicles, from the idle ones. */
static void
evict_idle(struct muck *m, int64_t now_ms)
{
	uint32_t i;

	if (m->c.vehicles < MUCK_MAX_VEHICLES - MUCK_MAX_VEHICLES / 16)
		return;
	for (i = 0; i < m->n; i++)
		if (m->v[i].used &&
		    m->v[i].touched_ms < now_ms - MUCK_IDLE_MS) {
			unlink_mv(m, i);
			m->c.evicted++;
		}
}

void
muck_begin(struct muck *m, int64_t now_ms)
{
	evict_idle(m, now_ms);
	m->now_ms = now_ms;
	m->batch++;
	m->njr = 0;
	m->in_batch = 1;
	m->replay = 0;
	m->cur.valid = 0;
}

void
muck_begin_replay(struct muck *m, int64_t now_ms)
{
	muck_begin(m, now_ms);
	m->replay = 1;
}

void
muck_commit(struct muck *m)
{
	if (m->replay) {
		muck_rollback(m);
		return;
	}
	m->in_batch = 0;
	m->njr = 0;
}

void
muck_rollback(struct muck *m)
{
	size_t i;

	m->replay = 0;
	/* Newest first: a vehicle made in the batch goes last. */
	for (i = m->njr; i-- > 0;) {
		struct saved *s = &m->jr[i];

		if (s->created)
			unlink_mv(m, s->idx);
		else
			m->v[s->idx] = s->v;
	}
	m->in_batch = 0;
	m->njr = 0;
	m->cur.valid = 0;
}
