/*
 * checkpoint: the store's background maintenance (with SQLite: copying
 * the write-ahead log into the database) on a thread of its own, so the
 * loop does not wait for the bulk of a checkpoint's writes and fsyncs.
 * The thread owns nothing but its store_maint handle; the loop hands it
 * one message, "committed; N pages are pending", from the writer's
 * commit hook. The loop itself only does the last few pages, now and
 * then (checkpoint_catch_up()).
 */
#ifndef WT_CHECKPOINT_H
#define WT_CHECKPOINT_H

#include <stdint.h>

struct checkpoint;
struct store;

/* Start the thread and route the writer's commit notifications to it;
 * *out NULL (and no thread) when the store's backend has no background
 * maintenance (store_has_maint()): the functions below take that NULL. */
int checkpoint_start(struct store *s, struct checkpoint **out);
/* Stop and join; the writer checkpoints for itself again. */
void checkpoint_stop(struct checkpoint *c, struct store *s);

/*
 * On the loop, between batches: when the WAL has grown past what the
 * thread can restart, copy its tail here so the next batch restarts it.
 * Usually a no-op; otherwise a few milliseconds.
 */
void checkpoint_catch_up(struct checkpoint *c, struct store *s);

struct checkpoint_state {
	uint64_t runs, failures;
	int failing;
	char last_error[128];
};
void checkpoint_state(struct checkpoint *c, struct checkpoint_state *st);

#endif
