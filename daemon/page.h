/*
 * page: the operator page (docs/page.md) served from the binary itself.
 *
 * The files of daemon/page/ are compiled in at build time
 * (tools/embed_assets.py writes page_assets[]): the package installs
 * nothing else for the page, a running daemon can never serve an asset
 * of another version, and an air-gapped server needs no web root.
 * page_serve() runs on the HTTP thread; it only reads constant data.
 */
#ifndef WT_PAGE_H
#define WT_PAGE_H

#include <stddef.h>

struct evhttp_request;

/* One embedded file; page_assets[] ends with a row of NULLs. */
struct page_asset {
	const char *name;  /* base name, e.g. "app.js" */
	const char *ctype; /* Content-Type, charset=utf-8 on text */
	const unsigned char *data;
	size_t len;
	const char *etag; /* strong, quoted: its SHA-256's first 16 digits */
};

extern const struct page_asset page_assets[];

/* The asset called name, or NULL. */
const struct page_asset *page_find(const char *name);

/*
 * Answer `/` (index.html) and `/static/<name>` (GET or HEAD; path without
 * its query string): 1 when path is one of the page's (answered, 404 for
 * an unknown /static/ name), 0 when it is not (the caller routes on).
 */
int page_serve(struct evhttp_request *req, const char *path);

#endif
