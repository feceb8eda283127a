/*
 * apiq: the thread that answers the API's database paths (api_query(),
 * lib/api.h) with a read-only connection of its own, so that a query,
 * up to its time budget, never holds up the HTTP thread: /healthz,
 * /metrics, /status and the page answer meanwhile.
 *
 * The HTTP thread submits a request with a tag of its own (its evhttp
 * request) and is woken (event_active on its event) when answers are
 * ready; it collects them on its own thread, the only one that touches
 * evhttp. Requests are answered one at a time, in order; a full queue
 * refuses more (the caller answers 503).
 */
#ifndef WT_APIQ_H
#define WT_APIQ_H

#include "attr.h"

struct api_reply;
struct api_req;
struct apiq;
struct event;
struct store_where;

/* Open nothing yet: the connection is made at the first request (the
 * daemon has created the database by then), again after a failure. */
int apiq_start(const struct store_where *where, struct event *wake,
    struct apiq **out) WT_MUST_CHECK;
/* Queue a copy of r; 0, or -1 when the queue is full or memory short. */
int apiq_submit(struct apiq *w, const struct api_req *r,
    void *tag) WT_MUST_CHECK;
/* fn(arg, tag, reply) for each answer ready, in order; reply->body is
 * fn's to free. */
void apiq_collect(struct apiq *w,
    void (*fn)(void *arg, void *tag, struct api_reply *r), void *arg);
/* Stop the thread (after the query under way, if any) and free what is
 * left unanswered; the tags are the caller's. */
void apiq_stop(struct apiq *w);

#endif
