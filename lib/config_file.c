/*
 * config_file: reading one configuration file, before it is walked: its
 * text, its realpath(3) for the include loop check, and where it uses YAML
 * aliases. Errors cite the include item that named the file, if any.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"

/* The whole of fp; -1 with errno on a read error or ENOMEM. */
static int
read_all(FILE *fp, char **text, size_t *len)
{
	size_t cap = 4096, n;
	char *buf, *nbuf;

	*len = 0;
	if ((buf = calloc(cap, 1)) == NULL)
		return -1;
	errno = 0;
	for (;;) {
		if (*len == cap) {
			if (cap > SIZE_MAX / 2 ||
			    (nbuf = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = fread(buf + *len, 1, cap - *len, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	*text = buf;
	return 0;
}

/* One more alias at the innermost open collection of cfg_scan_aliases(). */
static int
add_alias(struct ctx *ctx, int parent, size_t slot, const yaml_mark_t *mark)
{
	struct alias *a;

	if ((a = cfg_reallocarray(ctx, ctx->aliases, ctx->naliases + 1,
		 sizeof(*ctx->aliases))) == NULL)
		return -1;
	ctx->aliases = a;
	a[ctx->naliases].parent = parent;
	a[ctx->naliases].slot = slot;
	a[ctx->naliases++].mark = *mark;
	return 0;
}

/*
 * Where the first document of text uses aliases, into ctx->aliases.
 * libyaml's document API resolves an alias into a second reference to the
 * anchored node and keeps no trace of it, so the text is parsed again as
 * events. The loader numbers nodes in event order, which is what makes an
 * alias known by its collection's node index and its slot there. A syntax
 * error just ends the scan: the loader reports it. -1: out of memory.
 */
int
cfg_scan_aliases(struct ctx *ctx, const char *text, size_t len)
{
	struct open {
		int node;
		size_t slots;
	} *stk = NULL, *nstk;
	size_t depth = 0, cap = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	int n = 0, done = 0, rc = 0;

	if (!yaml_parser_initialize(&p)) {
		diag_nomem(&ctx->diag);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0 && yaml_parser_parse(&p, &ev)) {
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n++;
			if (depth > 0)
				stk[depth - 1].slots++;
			if (ev.type == YAML_SCALAR_EVENT)
				break;
			if (depth == cap) {
				if ((nstk = cfg_reallocarray(ctx, stk,
					 cap * 2 + 16, sizeof(*stk))) == NULL) {
					rc = -1;
					break;
				}
				stk = nstk;
				cap = cap * 2 + 16;
			}
			stk[depth].node = n;
			stk[depth++].slots = 0;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_ALIAS_EVENT:
			if (depth == 0)
				break; /* a root alias cannot be defined */
			rc = add_alias(ctx, stk[depth - 1].node,
			    stk[depth - 1].slots++, &ev.start_mark);
			break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (rc == 0 && !done &&
	    (p.error == YAML_MEMORY_ERROR || p.error == YAML_NO_ERROR)) {
		diag_nomem(&ctx->diag);
		rc = -1;
	}
	yaml_parser_delete(&p);
	free(stk);
	return rc;
}

/*
 * Report that path cannot be opened or read, where the include names it.
 * The usual EACCES is a file installed root-only while the service runs
 * as its own user: say which user asked.
 */
static void
file_error(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern, const char *what, int error)
{
	char hint[96] = "";

	if (error == EACCES)
		snprintf(hint, sizeof(hint),
		    " (read as uid %u gid %u: make it readable by the "
		    "daemon's group)",
		    (unsigned)geteuid(), (unsigned)getegid());
	if (from != NULL)
		cfg_errat(ctx, from, "include \"%s\": cannot %s \"%s\": %s%s",
		    pattern, what, path, strerror(error), hint);
	else
		cfg_errfmt(ctx, "%s: cannot %s: %s%s", path, what,
		    strerror(error), hint);
}

/*
 * The text of path, and its realpath(3) (NULL if unknown) for the include
 * loop check; -1 after reporting why there is none.
 */
int
cfg_read_file(struct ctx *ctx, const char *path, const yaml_mark_t *from,
    const char *pattern, char **text, size_t *len, char **real)
{
	struct stat st;
	FILE *fp = NULL;
	int error = 0, i, rc = -1;

	*real = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		error = errno;
	else if (fstat(fileno(fp), &st) == -1)
		error = errno;
	else if (S_ISDIR(st.st_mode))
		error = EISDIR; /* fopen(3) accepts a directory */
	if (error != 0) {
		file_error(ctx, path, from, pattern, "open", error);
		goto done;
	}
	/* Only a loop can nest 8 deep in practice; name it as one. */
	if ((*real = realpath(path, NULL)) != NULL && from != NULL)
		for (i = 0; i <= ctx->depth; i++)
			if (ctx->stack[i] != NULL &&
			    strcmp(ctx->stack[i], *real) == 0) {
				cfg_errat(ctx, from,
				    "include \"%s\": \"%s\" "
				    "is already being read (include loop)",
				    pattern, path);
				goto done;
			}
	/* Read once, parsed twice: see cfg_scan_aliases(). */
	if (read_all(fp, text, len) == -1) {
		file_error(ctx, path, from, pattern, "read", errno);
		goto done;
	}
	rc = 0;
done:
	if (fp != NULL)
		fclose(fp);
	if (rc == -1) {
		free(*real);
		*real = NULL;
	}
	return rc;
}
