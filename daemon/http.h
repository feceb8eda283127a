/*
 * http: the status endpoint on libevent's evhttp (DESIGN §7): /healthz,
 * /status, /metrics; GET and HEAD only; small limits and short timeouts.
 * Runs on the loop; the snapshot comes from fill() per request.
 */
#ifndef WT_HTTP_H
#define WT_HTTP_H

struct event_base;
struct http;
struct report;

/* Fill the snapshot; city figures (database queries) only when full. */
typedef void (*http_fill_fn)(void *arg, struct report *r, int full);

/*
 * Listen on "host:port" (port 0 = ephemeral). When port_file is set the
 * bound port is written there (atomically) once listening.
 */
int http_start(struct event_base *base, const char *listen,
    const char *port_file, http_fill_fn fill, void *arg, struct http **out);
/* The bound port. */
int http_port(const struct http *h);
void http_free(struct http *h);

#endif
