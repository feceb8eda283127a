/* drain: see drain.h. */
#include "drain.h"

#include "checkpoint.h"
#include "clock.h"
#include "mqtt.h"
#include "pipeline.h"

#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

struct drain {
	struct pipeline *pipe;
	struct store *store;
	struct checkpoint *ckpt;
	struct mqtt *mqtt;
	struct event *drain_ev, *retry_ev, *prune_ev;
	void (*after)(void *);
	void *arg;
};

/* Between retention slices while ingestion keeps up: a slice is at most
 * 20 ms (pipeline_prune_idle), so retention takes at most half of the
 * loop, and a message that arrives meanwhile waits 20 ms at most. */
#define PRUNE_GAP_US 20000

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain_run(arg);
}

static void
prune_arm(struct drain *d)
{
	struct timeval tv = { 0, PRUNE_GAP_US };

	if (pipeline_prune_busy(d->pipe) && !evtimer_pending(d->prune_ev, NULL))
		evtimer_add(d->prune_ev, &tv);
}

/* A retention round that is behind goes on between the ticks, but only
 * while ingestion keeps up: with more than PIPELINE_DEFER_BACKLOG
 * spooled and not committed it waits for the next gap. */
static void
prune_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drain *d = arg;
	struct mqtt_state st;

	(void)fd;
	(void)what;
	mqtt_state(d->mqtt, &st);
	if (pipeline_backlog_bytes(d->pipe, st.written_bytes) >
	    PIPELINE_DEFER_BACKLOG) {
		prune_arm(d);
		return;
	}
	if (pipeline_prune_idle(d->pipe))
		prune_arm(d);
}

int
drain_new(struct event_base *base, struct pipeline *p, struct store *s,
    struct checkpoint *ck, void (*after)(void *), void *arg, struct drain **out)
{
	struct drain *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	d->pipe = p;
	d->store = s;
	d->ckpt = ck;
	d->after = after;
	d->arg = arg;
	d->drain_ev = evtimer_new(base, drain_cb, d);
	d->retry_ev = evtimer_new(base, drain_cb, d);
	d->prune_ev = evtimer_new(base, prune_cb, d);
	if (d->drain_ev == NULL || d->retry_ev == NULL || d->prune_ev == NULL) {
		drain_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

void
drain_set_mqtt(struct drain *d, struct mqtt *m)
{
	d->mqtt = m;
}

void
drain_wake(void *arg)
{
	struct drain *d = arg;
	struct timeval tv = { 0, 0 };

	tv.tv_usec =
	    (suseconds_t)pipeline_drain_wait_us(d->pipe, clock_mono_us());
	if (!evtimer_pending(d->drain_ev, NULL))
		evtimer_add(d->drain_ev, &tv);
}

void
drain_run(struct drain *d)
{
	struct mqtt_state st;
	struct timeval tv = { 0, 0 };
	unsigned ms;
	int n;

	if (pipeline_writes_failing(d->pipe) &&
	    evtimer_pending(d->retry_ev, NULL))
		return;
	checkpoint_catch_up(d->ckpt, d->store);
	mqtt_state(d->mqtt, &st);
	n = pipeline_drain(d->pipe, st.end, clock_ms());
	if (n == -1) {
		ms = pipeline_retry_ms(d->pipe);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		evtimer_add(d->retry_ev, &tv);
		d->after(d->arg);
		return;
	}
	mqtt_committed(d->mqtt, pipeline_committed_bytes(d->pipe));
	/* More may be waiting (a full or timed-out batch): continue on the
	 * next loop pass, so signals and the tick are served in between. */
	if (n > 0) {
		d->after(d->arg);
		drain_wake(d);
	}
	prune_arm(d);
}

int
drain_final(struct drain *d)
{
	struct mqtt_state st;
	unsigned wait_ms;
	int rc;

	mqtt_state(d->mqtt, &st);
	while ((rc = pipeline_final_drain(d->pipe, st.end, clock_ms(),
		    &wait_ms)) == 1)
		if (wait_ms > 0)
			usleep(wait_ms * 1000);
	return rc;
}

void
drain_free(struct drain *d)
{
	if (d == NULL)
		return;
	if (d->drain_ev != NULL)
		event_free(d->drain_ev);
	if (d->retry_ev != NULL)
		event_free(d->retry_ev);
	if (d->prune_ev != NULL)
		event_free(d->prune_ev);
	free(d);
}
