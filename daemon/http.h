/*
 * http: the endpoint on libevent's evhttp: /healthz, /status, /metrics,
 * the JSON API under /api/v1 (docs/openapi.yaml) and the operator page
 * (page.h); GET and HEAD only; small limits and short timeouts; the
 * credentials of http.auth_file; security headers on every answer.
 *
 * It runs on a thread and event base of its own, so an operator's probe
 * is answered in microseconds even while the loop is inside a long batch,
 * a reconciliation or a busy wait on the database. It never touches the
 * loop's state: it answers from the snapshots handed to it by
 * http_publish() (the loop) and http_publish_city() (the city thread),
 * and, for the API's history, from the database through the read-only
 * connection of a thread of its own (apiq.h; bounded in rows and time,
 * lib/api.h).
 */
#ifndef WT_HTTP_H
#define WT_HTTP_H

#include "attr.h"

struct config;
struct http;
struct report;
struct report_city;

/*
 * Listen on c's http.listen "host:port" (port 0 = ephemeral), checking
 * c's credentials, and reading c's database for the API: a port in use
 * fails here, early. c must outlive the server. Connections wait until
 * http_serve() starts the thread; call it after the first
 * http_publish(). Then, when port_file is set, the bound port is written
 * there (atomically). Before any publish a request gets 503.
 */
int http_start(const struct config *c, struct http **out) WT_MUST_CHECK;
int http_serve(struct http *h) WT_MUST_CHECK;
/* Copy the loop's figures (its r->city is NULL); any thread. */
void http_publish(struct http *h, const struct report *r);
/* The registry and page settings the API serves, from cfg (at start and
 * after each reload); any thread. */
void http_set_config(struct http *h, const struct config *cfg,
    const char *version);
/* Copy today's city figures; any thread. */
void http_publish_city(struct http *h, const struct report_city *c);
/* The bound port. */
int http_port(const struct http *h);
/* Stop the thread, close every connection. */
void http_free(struct http *h);

#endif
