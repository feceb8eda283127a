/*
 * ctlmsg: the messages of the daemon's control socket, shared by
 * wastetrackd (daemon/control.c) and wastetrackctl, and where the socket
 * is. One request line of JSON from the client, then lines of JSON from
 * the daemon, the last one saying "done" or "error" (docs/replay.md).
 * Pure formatting and parsing: the socket is the daemon's business.
 */
#ifndef WT_CTLMSG_H
#define WT_CTLMSG_H

#include <stddef.h>

#include "attr.h"
#include "replay.h"

struct config;

/* A request or a reply line is at most this long (newline included). */
#define CTLMSG_MAX 1024

/* The socket: beside the SQLite database, like its spool, so that
 * whoever may read the database's directory finds it (docs/replay.md);
 * with PostgreSQL, beside the daemon's spool (<ingest.spool_dir>.ctl). */
int ctlmsg_socket_path(const struct config *cfg, char *buf,
    size_t len) WT_MUST_CHECK;

/* The request line of a replay (with its newline). -1 when too long. */
int ctlmsg_replay_request(const struct replay_req *req, char *buf,
    size_t len) WT_MUST_CHECK;
/* Parse one request line into *req; -1 with the reason in err. */
int ctlmsg_parse_replay(const char *line, size_t len, struct replay_req *req,
    char *err, size_t errsz) WT_MUST_CHECK;
/* A reply line: event "progress" or "done" with the figures (those of a
 * replay of accepted messages when accepted). */
int ctlmsg_stats_line(const char *event, const struct replay_stats *st,
    int accepted, int dry_run, char *buf, size_t len) WT_MUST_CHECK;
/* An "error" reply line with message (escaped). */
int ctlmsg_error_line(const char *message, char *buf, size_t len) WT_MUST_CHECK;

#endif
