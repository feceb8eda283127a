/* event: arena and helpers for the canonical model, see event.h. */
#include "event.h"

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
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
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
	case EV_NONE:
		break;
	}
	return "none";
}
