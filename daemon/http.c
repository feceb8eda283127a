/* http: see http.h. */
#include "http.h"

#include "api.h"
#include "api_auth.h"
#include "apiq.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "report.h"
#include "store.h"

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
	/* Checked on this thread only; owned by the boot configuration,
	 * which outlives the server. NULL: no credentials asked. */
	struct api_auth *auth;
	int auth_tokens, auth_users;
	/* The API's database paths: answered on a thread of their own
	 * (apiq.h), delivered here when api_done fires. */
	struct apiq *apiq;
	struct event *api_done;
	pthread_mutex_t mu; /* guards the fields below */
	int published;
	struct report_snap live; /* the loop's and the city thread's */
	struct http_conf *conf;	 /* from the configuration; NULL: none yet */
};

/* What the configuration (reloaded on SIGHUP) gives the answers. */
struct http_conf {
	char *facilities, *config; /* /api/v1/... bodies */
	char csp[512];
	int offset_min;
};

/* Requests are tiny GETs; anything bigger is refused by evhttp itself. */
#define MAX_HEADERS 8192
#define MAX_BODY    0
#define TIMEOUT_S   10
#define PATH_MAX_   1024 /* a longer path is 404 */
#define JSON	    "application/json; charset=utf-8"
#define TEXT	    "text/plain; charset=utf-8"

/*
 * daemon/page.c serves the operator page (its header: page.h); declared
 * weak so that this file links without it, "/" and "/static/" then being
 * 404 like any unknown path.
 */
int page_serve(struct evhttp_request *req, const char *path)
    __attribute__((weak));

static const char *
status_text(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

static void
reply(struct evhttp_request *req, int code, const char *ctype, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_remove_header(h, "Content-Type");
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (b == NULL || evbuffer_add(b, body, strlen(body)) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		evhttp_send_reply(req, 503, "out of memory", NULL);
		return;
	}
	/* evhttp answers HEAD with the headers of the GET and no body. */
	evhttp_send_reply(req, code, status_text(code), b);
	evbuffer_free(b);
}

/* An error: JSON on the API's paths, a line of text elsewhere. */
static void
fail(struct evhttp_request *req, const char *path, int code, const char *msg)
{
	struct api_reply r = { 0, NULL };
	char line[256];

	if (strncmp(path, "/api/", 5) == 0) {
		api_error(&r, code, "%s", msg);
		if (r.body != NULL) {
			reply(req, code, JSON, r.body);
			free(r.body);
			return;
		}
	}
	snprintf(line, sizeof(line), "%s\n", msg);
	reply(req, code, TEXT, line);
}

/* On every response, the page's included (docs/http.md). */
static void
security_headers(struct evhttp_request *req, const char *csp)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
}

static void
conf_free(struct http_conf *c)
{
	if (c == NULL)
		return;
	free(c->facilities);
	free(c->config);
	free(c);
}

void
http_set_config(struct http *h, const struct config *cfg, const char *version)
{
	struct http_conf *c = calloc(1, sizeof(*c)), *old;
	char origin[256];

	if (c == NULL || (c->facilities = api_reg_facilities(cfg)) == NULL ||
	    (c->config = api_reg_config(cfg, version)) == NULL) {
		log_warnx("http: out of memory; the API keeps the last "
			  "configuration");
		conf_free(c);
		return;
	}
	api_reg_tile_origin(cfg, origin, sizeof(origin));
	/* No inline script or style anywhere; map tiles from their origin
	 * only when configured. */
	snprintf(c->csp, sizeof(c->csp),
	    "default-src 'self'; img-src 'self' data:%s%s; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	    origin[0] ? " " : "", origin);
	c->offset_min = cfg->time.local_offset_min;
	pthread_mutex_lock(&h->mu);
	old = h->conf;
	h->conf = c;
	pthread_mutex_unlock(&h->mu);
	conf_free(old);
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

/* What a request reads of the configuration, copied under the lock. */
struct conf_view {
	char csp[512];
	int offset_min;
	char *facilities, *config; /* malloc'd; NULL: none or no memory */
};

static void
view_conf(struct http *h, struct conf_view *v, const char *path)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->csp, sizeof(v->csp), "default-src 'self'");
	pthread_mutex_lock(&h->mu);
	if (h->conf != NULL) {
		memcpy(v->csp, h->conf->csp, sizeof(v->csp));
		v->offset_min = h->conf->offset_min;
		if (strcmp(path, "/api/v1/facilities") == 0)
			v->facilities = strdup(h->conf->facilities);
		if (strcmp(path, "/api/v1/config") == 0)
			v->config = strdup(h->conf->config);
	}
	pthread_mutex_unlock(&h->mu);
}

/* 1 when the request may go on; else answered 401, or 503 when the
 * password could not be checked now (api_auth.h). /healthz is open:
 * monitors probe it, and it tells no figures. */
static int
authorised(struct http *h, struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *a;
	char *peer = NULL;
	ev_uint16_t port;
	int v;

	if (h->auth == NULL || strcmp(path, "/healthz") == 0)
		return 1;
	a = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (conn != NULL)
		evhttp_connection_get_peer(conn, &peer, &port);
	if ((v = api_auth_check(h->auth, a, peer, clock_ms())) == API_AUTH_OK)
		return 1;
	if (v == API_AUTH_BUSY) {
		evhttp_add_header(out, "Retry-After", "1");
		fail(req, path, 503, "busy: too many password checks");
		return 0;
	}
	if (h->auth_tokens > 0)
		evhttp_add_header(out, "WWW-Authenticate",
		    "Bearer realm=\"wastetrack\"");
	if (h->auth_users > 0)
		evhttp_add_header(out, "WWW-Authenticate",
		    "Basic realm=\"wastetrack\", charset=\"UTF-8\"");
	fail(req, path, 401,
	    a == NULL ? "credentials required" : "credentials refused");
	return 0;
}

/* The paths answered from the snapshot: 1 when path was one. */
static int
from_snapshot(struct http *h, struct evhttp_request *req, const char *path,
    const struct conf_view *cv)
{
	struct report_snap *sn;
	const char *reason, *detail;
	char *body = NULL, line[320];

	if (strcmp(path, "/healthz") != 0 && strcmp(path, "/status") != 0 &&
	    strcmp(path, "/metrics") != 0 && strcmp(path, "/api/v1/today") != 0)
		return 0;
	if ((sn = take(h)) == NULL) {
		fail(req, path, 503, "starting");
		return 1;
	}
	if (strcmp(path, "/healthz") == 0) {
		if (report_health(&sn->r, &reason))
			reply(req, 200, TEXT, "ok\n");
		else {
			detail = report_health_detail(&sn->r);
			snprintf(line, sizeof(line), "%s%s%s\n", reason,
			    detail != NULL ? ": " : "",
			    detail != NULL ? detail : "");
			reply(req, 503, TEXT, line);
		}
	} else if (strcmp(path, "/status") == 0 &&
	    (body = report_status_json(&sn->r)) != NULL)
		reply(req, 200, JSON, body);
	else if (strcmp(path, "/metrics") == 0 &&
	    (body = report_metrics(&sn->r)) != NULL)
		reply(req, 200, "text/plain; version=0.0.4; charset=utf-8",
		    body);
	else if (strcmp(path, "/api/v1/today") == 0 &&
	    (body = api_reg_today(&sn->r, cv->offset_min)) != NULL)
		reply(req, 200, JSON, body);
	else
		fail(req, path, 503, "out of memory");
	free(body);
	free(sn);
	return 1;
}

/* An answer of the API's thread, on this one. */
static void
deliver(void *arg, void *tag, struct api_reply *r)
{
	struct evhttp_request *req = tag;

	(void)arg;
	/* A client gone meanwhile: evhttp frees the request it kept. */
	if (r->body == NULL)
		fail(req, "/api/", 503, "out of memory");
	else
		reply(req, r->status, JSON, r->body);
	free(r->body);
}

static void
api_done(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	(void)fd;
	(void)what;
	apiq_collect(h->apiq, deliver, h);
}

/* The API's paths: from the configuration, or handed to its thread. */
static int
api(struct http *h, struct evhttp_request *req, const char *path,
    const char *query, const struct conf_view *cv)
{
	struct api_req ar = { path, query, 0, cv->offset_min };
	const char *body;

	if (api_is_query(path)) {
		if (apiq_submit(h->apiq, &ar, req) == -1)
			fail(req, path, 503,
			    "busy: too many API requests waiting");
		return 1;
	}
	if (strcmp(path, "/api/v1/facilities") == 0)
		body = cv->facilities;
	else if (strcmp(path, "/api/v1/config") == 0)
		body = cv->config;
	else
		return 0;
	if (body == NULL)
		fail(req, path, 503, "starting");
	else
		reply(req, 200, JSON, body);
	return 1;
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	struct conf_view cv;
	const char *uri = evhttp_request_get_uri(req), *query;
	char path[PATH_MAX_];
	size_t plen = strcspn(uri, "?#");
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	/* Routes are exact paths; the query string is the API's. */
	snprintf(path, sizeof(path), "%.*s",
	    (int)(plen < sizeof(path) ? plen : 0), uri);
	query = uri[plen] == '?' ? uri + plen + 1 : NULL;
	view_conf(h, &cv, path);
	security_headers(req, cv.csp);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		fail(req, path, 405, "method not allowed");
	} else if (!authorised(h, req, path))
		;
	else if (page_serve != NULL && page_serve(req, path))
		;
	else if (from_snapshot(h, req, path, &cv))
		;
	else if (!api(h, req, path, query, &cv))
		fail(req, path, 404, "not found");
	free(cv.facilities);
	free(cv.config);
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

/* The API's thread, on the configured store. */
static int
start_api(const struct config *c, struct http *h)
{
	struct store_where w;

	config_store_where(c, &w);
	return apiq_start(&w, h->api_done, &h->apiq);
}

int
http_start(const struct config *c, struct http **out)
{
	const char *listen = c->http.listen;
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
	    (h->stop = event_new(h->base, -1, 0, stop_cb, h)) == NULL ||
	    (h->api_done = event_new(h->base, -1, 0, api_done, h)) == NULL ||
	    start_api(c, h) == -1)
		goto fail;
	accepting = h;
	evconnlistener_set_error_cb(h->listener, accept_error);
	h->port_file = c->http.port_file;
	if ((h->auth = c->http.auth) != NULL) {
		api_auth_counts(h->auth, &h->auth_tokens, &h->auth_users);
		log_notice("http: credentials from %s: %d tokens, %d users",
		    c->http.auth_file, h->auth_tokens, h->auth_users);
	}
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
	/* After this thread: nothing is delivered any more; the requests
	 * still waiting go with evhttp's connections below. */
	apiq_stop(h->apiq);
	if (h->api_done != NULL)
		event_free(h->api_done);
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
	conf_free(h->conf);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
