/*
 * control: the daemon's control socket (lib/ctlmsg.h says where and what
 * is said on it). One client at a time asks for a replay of stored
 * rejects; the loop runs it in slices between ingestion batches and
 * reports progress on the connection. The daemon stays the only writer
 * of the database: wastetrackctl only asks.
 */
#ifndef WT_CONTROL_H
#define WT_CONTROL_H

#include "attr.h"

struct control;
struct event_base;
struct pipeline;

/* Listen on path (a stale socket there is replaced: the caller holds the
 * database lock, so no other daemon owns it), mode 0660. */
int control_start(struct event_base *base, const char *path, struct pipeline *p,
    struct control **out) WT_MUST_CHECK;
/* Stop listening, drop the client and its replay, unlink the socket. */
void control_free(struct control *c);

#endif
