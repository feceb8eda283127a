/* page: see page.h. */
#include "page.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <string.h>

#define STATIC_PREFIX "/static/"

const struct page_asset *
page_find(const char *name)
{
	const struct page_asset *a;

	for (a = page_assets; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/*
 * A short text answer. Not evhttp_send_error(): it replaces the headers
 * already set (the router's security headers) with its own HTML page.
 */
static void
send_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL || evbuffer_add_printf(b, "%s\n", text) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		/* No memory for a body: the status line and headers alone. */
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* If-None-Match holds our ETag (alone or in a list) or "*". */
static int
not_modified(struct evhttp_request *req, const struct page_asset *a)
{
	const char *inm =
	    evhttp_find_header(evhttp_request_get_input_headers(req),
		"If-None-Match");

	if (inm == NULL)
		return 0;
	return strcmp(inm, "*") == 0 || strstr(inm, a->etag) != NULL;
}

static void
send_asset(struct evhttp_request *req, const struct page_asset *a)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;

	/*
	 * The names carry no version, so a browser must ask again each time:
	 * no-cache with a strong ETag makes that a 304 without a body when
	 * nothing changed, and a new daemon's page is never mixed with an
	 * old script.
	 */
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "ETag", a->etag);
	if (not_modified(req, a)) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		send_text(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	evhttp_add_header(h, "Content-Type", a->ctype);
	/* Constant data: referenced, not copied. evhttp answers HEAD with
	 * the GET's headers and no body. */
	if (evbuffer_add_reference(b, a->data, a->len, NULL, NULL) == -1) {
		evbuffer_free(b);
		send_text(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int
page_serve(struct evhttp_request *req, const char *path)
{
	const struct page_asset *a = NULL;
	const char *name;

	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		a = page_find("index.html");
	else if (strncmp(path, STATIC_PREFIX, strlen(STATIC_PREFIX)) == 0) {
		name = path + strlen(STATIC_PREFIX);
		/* Flat names only: nothing like "../" can be asked for, and
		 * the table is the whole file system. */
		if (strchr(name, '/') == NULL)
			a = page_find(name);
		if (a == NULL) {
			send_text(req, 404, "Not Found", "not found");
			return 1;
		}
	} else
		return 0;
	if (a == NULL) {
		send_text(req, 500, "Internal Server Error",
		    "page not built in");
		return 1;
	}
	send_asset(req, a);
	return 1;
}
