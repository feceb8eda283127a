/*
 * pipeline_int: what the files of the pipeline module share (pipeline.c:
 * the spool, draining, reconciliation, alerts, the lock and the owner;
 * pipeline_prune.c: retention and the clock-step hold). Included by
 * lib/pipeline*.c only: the rest of the program sees pipeline.h.
 */
#ifndef WT_PIPELINE_INT_H
#define WT_PIPELINE_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipeline.h"
#include "store.h"

struct pipeline {
	struct store *store;
	const struct config *cfg; /* current; SIGHUP replaces it */
	struct ingest *ingest;
	struct spool_reader *reader;
	char spool_dir[PATH_MAX];
	uint64_t replay_bytes;	/* committed before the writer ran */
	uint64_t removed_below; /* segments already unlinked */
	int writes_failing;
	char error[160]; /* of the first failure in a row */
	unsigned retry_ms;
	int caught_up;		   /* the last batch reached the end */
	int64_t last_commit_us;	   /* monotonic */
	int64_t commit_gap_max_us; /* longest with messages waiting */
	int final_tries;
	int64_t last_reconcile_ms;
	/* Retention: the interval by the boot clock, and the wall and boot
	 * clocks read together at start and at the last prune. */
	int64_t prune_every_ms; /* 0 until the first pipeline_prune_at() */
	int64_t last_prune_us;	/* boot clock */
	int64_t ref_wall_ms, ref_boot_us;
	int clock_checked; /* against the database, at the first prune call */
	int hold_pending;  /* a step is logged, its hold not yet written */
	int hold_behind;   /* ... and the clock went backwards */
	/* A retention round in progress: its cutoffs, read at its start,
	 * and how far its slices got; then giving the pages back. */
	int pruning, vacuuming;
	struct store_retention ret;
	struct store_prune prune;
	int64_t round_us, vacuumed;  /* busy time, pages given back */
	uint64_t reconciled_changes; /* counter value at the last run */
	int reconcile_behind;	     /* the last pass left work */
	int64_t last_alerts_us;	     /* monotonic; 0: never synced */
	int alerts_behind;	     /* the last sync left work */
	int64_t alerts_synced_ms;    /* the last complete sync's now */
	int db_file;		     /* the store is a file (SQLite) */
	dev_t db_dev;		     /* the database file opened */
	ino_t db_ino;
	int db_gone; /* its path names another file, or none */
	/* Several daemons on one store (docs/cluster.md): the last beat's
	 * answer, and whether this daemon does the leader's work
	 * (reconciliation, alerts, retention): always with SQLite. */
	struct store_cluster cluster;
	int leader;
	int64_t beat_ms;      /* the last beat (0: none yet) */
	int64_t ref_start_ms; /* pipeline_open()'s now: alone, leader since */
	char gone_error[PATH_MAX + 96];
};

#endif
