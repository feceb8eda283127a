/* event: arena and helpers for the canonical model, see event.h. */
#include "event.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ev_chunk {
	struct ev_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define CHUNK_MIN 4096

void
ev_reset(struct ev *e)
{
	struct ev_chunk *c, *next;

	for (c = e->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	memset(e, 0, sizeof(*e));
}

void *
ev_alloc(struct ev *e, size_t size)
{
	struct ev_chunk *c = e->arena;
	size_t need =
	    (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > CHUNK_MIN ? need : CHUNK_MIN;

		c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->size = sz;
		c->next = e->arena;
		e->arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, size);
	return p;
}

char *
ev_strndup(struct ev *e, const char *s, size_t n)
{
	char *p = ev_alloc(e, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ev_strdup(struct ev *e, const char *s)
{
	return ev_strndup(e, s, strlen(s));
}

const char *
ev_kind_name(enum ev_kind k)
{
	switch (k) {
	case EV_POSITION:
		return "position";
	case EV_VEHICLE_EVENT:
		return "vehicle_event";
	case EV_WEIGHING:
		return "weighing";
	case EV_FACILITY_STATUS:
		return "facility_status";
	case EV_MANIFEST:
		return "manifest";
	case EV_DEVICE_BINDING:
		return "device_binding";
	case EV_NONE:
	case EV_KIND_COUNT:
		break;
	}
	return "none";
}

void
ev_init(struct ev *e, enum ev_kind k)
{
	e->kind = k;
	switch (k) {
	case EV_POSITION:
		e->u.pos.ts_ms = WT_NOTIME;
		e->u.pos.fix_valid = -1;
		e->u.pos.body_lifted = -1;
		e->u.pos.lat = e->u.pos.lon = e->u.pos.speed_kmh = NAN;
		e->u.pos.heading_deg = e->u.pos.alt_m = NAN;
		break;
	case EV_VEHICLE_EVENT:
		e->u.vev.ts_ms = WT_NOTIME;
		e->u.vev.count = -1;
		e->u.vev.mass_kg = e->u.vev.lat = e->u.vev.lon = NAN;
		break;
	case EV_WEIGHING:
		e->u.wb.version = -1;
		e->u.wb.first_ms = e->u.wb.second_ms = WT_NOTIME;
		e->u.wb.gross_kg = e->u.wb.tare_kg = e->u.wb.net_kg = NAN;
		break;
	case EV_FACILITY_STATUS:
		e->u.fst.ts_ms = WT_NOTIME;
		e->u.fst.inventory_kg = e->u.fst.throughput_kg = NAN;
		break;
	case EV_MANIFEST:
		e->u.man.version = -1;
		e->u.man.ts_ms = WT_NOTIME;
		e->u.man.departed_ms = e->u.man.arrived_ms = WT_NOTIME;
		e->u.man.declared_kg = e->u.man.received_kg = NAN;
		break;
	case EV_DEVICE_BINDING:
		e->u.bind.ts_ms = WT_NOTIME;
		break;
	case EV_NONE:
	case EV_KIND_COUNT:
		break;
	}
}

void
ev_check_weighing(struct ev *e)
{
	struct ev_weighing *w = &e->u.wb;
	double calc;

	if ((!isnan(w->gross_kg) && (w->gross_kg < 0 || w->gross_kg > 2e5)) ||
	    (!isnan(w->tare_kg) && (w->tare_kg < 0 || w->tare_kg > 2e5)))
		e->dq |= DQ_IMPLAUSIBLE_WEIGHT;
	if (isnan(w->gross_kg) || isnan(w->tare_kg)) {
		if (!isnan(w->net_kg) && w->net_kg < 0)
			e->dq |= DQ_NET_NEGATIVE;
		return;
	}
	calc = w->gross_kg - w->tare_kg;
	/* gross - tare overflows for absurd weights: derive no infinity. */
	if (isnan(w->net_kg) && isfinite(calc) && w->status != NULL &&
	    strcmp(w->status, "complete") == 0)
		w->net_kg = calc;
	if (calc < 0 || (!isnan(w->net_kg) && w->net_kg < 0))
		e->dq |= DQ_NET_NEGATIVE;
	else if (!isnan(w->net_kg) && fabs(w->net_kg - calc) > 20)
		e->dq |= DQ_NET_MISMATCH;
}

struct ev *
ev_list_add(struct ev_list *l, size_t max)
{
	if (l->n == max)
		return NULL;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		struct ev *nv = realloc(l->ev, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		l->ev = nv;
		l->cap = ncap;
	}
	memset(&l->ev[l->n], 0, sizeof(l->ev[0]));
	return &l->ev[l->n++];
}

void
ev_list_truncate(struct ev_list *l, size_t n)
{
	size_t i;

	for (i = n; i < l->n; i++)
		ev_reset(&l->ev[i]);
	if (n < l->n)
		l->n = n;
}

void
ev_list_clear(struct ev_list *l)
{
	ev_list_truncate(l, 0);
}

void
ev_list_free(struct ev_list *l)
{
	ev_list_clear(l);
	free(l->ev);
	l->ev = NULL;
	l->cap = 0;
}

int
ev_check_count(struct ev_vehicle_event *v)
{
	if (v->count == -1)
		v->count_unit = NULL;
	return v->count != -1 && v->count_unit == NULL ? -1 : 0;
}
