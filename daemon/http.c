/* http: see http.h. */
#include "http.h"

#include "clock.h"
#include "log.h"
#include "page.h"
#include "report.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct http {
	struct event_base *base; /* this thread's own */
	pthread_t thread;
	int running;
	struct evhttp *evh;
	struct evconnlistener *listener;
	struct event *resume; /* re-enables accepting after EMFILE */
	struct event *stop;   /* activated by http_free() */
	uint64_t accept_errors;
	int port;
	const char *port_file; /* written by http_serve() */
	pthread_mutex_t mu;    /* guards the two below */
	int published;
	struct report_snap live; /* the loop's and the city thread's */
};

/* Requests are tiny GETs; anything bigger is refused by evhttp itself. */
#define MAX_HEADERS 8192
#define MAX_BODY    0
#define TIMEOUT_S   10

static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evbuffer_add(b, body, strlen(body));
	/* evhttp answers HEAD with the headers of the GET and no body. */
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* The loop's report carries no city figures: the live ones stay. */
void
http_publish(struct http *h, const struct report *r)
{
	pthread_mutex_lock(&h->mu);
	report_snap_copy(&h->live, r);
	h->live.r.published_ms = clock_ms();
	h->published = 1;
	pthread_mutex_unlock(&h->mu);
}

void
http_publish_city(struct http *h, const struct report_city *c)
{
	pthread_mutex_lock(&h->mu);
	h->live.city = *c;
	pthread_mutex_unlock(&h->mu);
}

/* A private copy of the latest snapshot, its pointers into itself; NULL
 * before the loop's first publish. */
static struct report_snap *
take(struct http *h)
{
	struct report_snap *sn;

	if ((sn = malloc(sizeof(*sn))) == NULL)
		return NULL;
	pthread_mutex_lock(&h->mu);
	if (!h->published) {
		pthread_mutex_unlock(&h->mu);
		free(sn);
		return NULL;
	}
	report_snap_copy(sn, &h->live.r);
	pthread_mutex_unlock(&h->mu);
	sn->r.now_ms = clock_ms();
	return sn;
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	struct report_snap *sn;
	struct report *r;
	const char *uri = evhttp_request_get_uri(req), *reason, *path;
	char *body = NULL, line[160], pbuf[64];
	size_t plen = strcspn(uri, "?#");

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "method not allowed");
		return;
	}
	if ((sn = take(h)) == NULL) {
		evhttp_send_error(req, 503, "starting");
		return;
	}
	r = &sn->r;
	/* Routes are exact paths; a query string is ignored. */
	snprintf(pbuf, sizeof(pbuf), "%.*s", (int)(plen < 63 ? plen : 63), uri);
	path = pbuf;
	if (page_serve(req, path))
		;
	else if (strcmp(path, "/healthz") == 0) {
		if (report_health(r, &reason))
			reply(req, 200, "OK", "text/plain", "ok\n");
		else {
			snprintf(line, sizeof(line), "%s\n", reason);
			reply(req, 503, "Service Unavailable", "text/plain",
			    line);
		}
	} else if (strcmp(path, "/status") == 0 &&
	    (body = report_status_json(r)) != NULL)
		reply(req, 200, "OK", "application/json", body);
	else if (strcmp(path, "/metrics") == 0 &&
	    (body = report_metrics(r)) != NULL)
		reply(req, 200, "OK", "text/plain; version=0.0.4", body);
	else if (strcmp(path, "/status") == 0 || strcmp(path, "/metrics") == 0)
		evhttp_send_error(req, 503, "out of memory");
	else
		evhttp_send_error(req, 404, "not found");
	free(body);
	free(sn);
}

/*
 * accept() failing (out of file descriptors) would otherwise make the
 * listener fire again at once, forever: pause accepting for a second,
 * log the state change once, and let established clients finish.
 */
/* evhttp owns the listener and its callback argument: the one HTTP
 * server of the process is found here instead. */
static struct http *accepting;

static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct http *h = accepting;
	struct timeval sec = { 1, 0 };

	(void)arg;
	if (h->accept_errors++ == 0 || !evtimer_pending(h->resume, NULL))
		log_warn("http: cannot accept connections; pausing for 1 s");
	evconnlistener_disable(lev);
	evtimer_add(h->resume, &sec);
}

static void
resume_accepting(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(h->listener);
}

static int
split_listen(const char *listen, char *host, size_t hostsz, int *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - listen) >= hostsz)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	/* "[::1]:8080" */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("http: cannot write %s", tmp);
		return -1;
	}
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		log_warn("http: cannot write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
		&len) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* An activated event is never lost, unlike a loopbreak sent before the
 * thread has entered its loop. */
static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(h->base);
}

static void *
serve(void *arg)
{
	struct http *h = arg;

	event_base_dispatch(h->base);
	return NULL;
}

int
http_start(const char *listen, const char *port_file, struct http **out)
{
	struct evhttp_bound_socket *bs;
	struct http *h;
	char host[256];
	int port;

	if (split_listen(listen, host, sizeof(host), &port) == -1) {
		log_warnx("http: invalid listen address \"%s\"", listen);
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	pthread_mutex_init(&h->mu, NULL);
	if ((h->base = event_base_new()) == NULL ||
	    (h->evh = evhttp_new(h->base)) == NULL)
		goto fail;
	/* Let every known method through to route(), which answers 405 with
	 * an Allow header; evhttp itself would say 501. */
	evhttp_set_allowed_methods(h->evh,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->evh, MAX_HEADERS);
	evhttp_set_max_body_size(h->evh, MAX_BODY);
	evhttp_set_timeout(h->evh, TIMEOUT_S);
	evhttp_set_gencb(h->evh, route, h);
	if ((bs = evhttp_bind_socket_with_handle(h->evh, host,
		 (ev_uint16_t)port)) == NULL) {
		log_warn("http: cannot listen on %s", listen);
		goto fail;
	}
	h->port = bound_port(bs);
	h->listener = evhttp_bound_socket_get_listener(bs);
	if ((h->resume = evtimer_new(h->base, resume_accepting, h)) == NULL ||
	    (h->stop = event_new(h->base, -1, 0, stop_cb, h)) == NULL)
		goto fail;
	accepting = h;
	evconnlistener_set_error_cb(h->listener, accept_error);
	h->port_file = port_file;
	log_notice("http: listening on %s port %d", host, h->port);
	*out = h;
	return 0;
fail:
	http_free(h);
	return -1;
}

int
http_serve(struct http *h)
{
	if (pthread_create(&h->thread, NULL, serve, h) != 0) {
		log_warnx("http: cannot start a thread");
		return -1;
	}
	/* Named for top -H and perf: the loop keeps "wastetrackd". */
	pthread_setname_np(h->thread, "wt-http");
	h->running = 1;
	/* Announced only now: from here on every request gets an answer. */
	if (h->port_file != NULL &&
	    write_port_file(h->port_file, h->port) == -1)
		return -1;
	return 0;
}

int
http_port(const struct http *h)
{
	return h->port;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		event_active(h->stop, EV_READ, 0);
		pthread_join(h->thread, NULL);
	}
	if (h->stop != NULL)
		event_free(h->stop);
	if (accepting == h)
		accepting = NULL;
	if (h->resume != NULL)
		event_free(h->resume);
	if (h->evh != NULL)
		evhttp_free(h->evh);
	if (h->base != NULL)
		event_base_free(h->base);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
