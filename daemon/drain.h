/*
 * drain: runs the pipeline's batches on the loop. A wake-up from the
 * receive thread arms a zero (or, caught up, a coalescing) timer; a batch
 * that failed arms a back-off timer instead; at stop, the final drain
 * commits what is left, waiting between failed tries.
 *
 * Timers rather than activated events: libevent runs events activated
 * during its callbacks in the same pass, so a flood that keeps
 * re-activating would never let it poll the HTTP sockets. A timer only
 * fires after the next poll.
 */
#ifndef WT_DRAIN_H
#define WT_DRAIN_H

#include "attr.h"

struct checkpoint;
struct drain;
struct event_base;
struct mqtt;
struct pipeline;
struct store;

/* after(arg) runs after every committed or failed batch (publishing). */
int drain_new(struct event_base *base, struct pipeline *p, struct store *s,
    struct checkpoint *ck, void (*after)(void *), void *arg,
    struct drain **out) WT_MUST_CHECK;
/* The receive side, once started: its end position bounds every batch. */
void drain_set_mqtt(struct drain *d, struct mqtt *m);
/* Schedule a batch; the mqtt_start() wake-up (arg: the drain). */
void drain_wake(void *d);
/* One batch now, unless a failed one waits for its retry. */
void drain_run(struct drain *d);
/* After mqtt_stop(): commit everything spooled. -1 when that failed
 * (nothing is lost: the next start replays it). */
int drain_final(struct drain *d) WT_MUST_CHECK;
void drain_free(struct drain *d);

#endif
