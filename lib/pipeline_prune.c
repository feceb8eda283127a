/*
 * pipeline_prune: retention, the part of pipeline.h that decides when to
 * prune: the hourly round in bounded slices (cutoffs read at its start),
 * giving free pages back after it, and the hold of every raw payload when
 * the wall clock steps (seen against the boot clock, or against the
 * database at start).
 */
#include "pipeline_int.h"

#include "clock.h"
#include "config.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t
pipeline_prune_cutoff(int64_t now_ms, int retention_days)
{
	return now_ms - (int64_t)retention_days * 86400000;
}

int64_t
pipeline_clock_step_ms(int64_t ref_wall_ms, int64_t ref_boot_us, int64_t now_ms,
    int64_t now_boot_us)
{
	return (now_ms - ref_wall_ms) - (now_boot_us - ref_boot_us) / 1000;
}

/*
 * Test hook: WT_TEST_PRUNE_EVERY_MS shortens the hourly interval so an
 * integration test can watch retention run. Read once per pipeline.
 */
static int64_t
prune_every_ms(struct pipeline *p)
{
	const char *v;
	long long ms;

	if (p->prune_every_ms > 0)
		return p->prune_every_ms;
	p->prune_every_ms = PIPELINE_PRUNE_EVERY_MS;
	if ((v = getenv("WT_TEST_PRUNE_EVERY_MS")) != NULL &&
	    (ms = atoll(v)) > 0) {
		p->prune_every_ms = ms;
		log_notice("pipeline: test hook: retention every %lld ms", ms);
	}
	return p->prune_every_ms;
}

/*
 * The first call of a run compares the clock with the database: a clock
 * behind the newest stored receive time went backwards since (a bad RTC
 * at boot, a wrong manual setting); a clock that went backwards in an
 * earlier run and reads ahead of the database now has been fixed while
 * the daemon was stopped. Either is a step the boot clock cannot see
 * across a restart. -1 when the database cannot say (retried).
 */
static int
check_clock_at_start(struct pipeline *p, int64_t now_ms)
{
	int64_t newest;
	int behind;

	if (store_clock_state(p->store, &newest, &behind) == -1)
		return -1;
	p->clock_checked = 1;
	if (newest - now_ms > PIPELINE_CLOCK_STEP_MS) {
		log_warnx("pipeline: the wall clock reads %lld s before the "
			  "newest stored message; retention refused, payloads "
			  "stored so far kept %d days from now",
		    (long long)((newest - now_ms) / 1000),
		    p->cfg->database.raw_retention_days);
		p->hold_pending = p->hold_behind = 1;
	} else if (behind) {
		log_warnx("pipeline: the wall clock, behind in an earlier run, "
			  "no longer is; retention refused, payloads stored so "
			  "far kept %d days from now",
		    p->cfg->database.raw_retention_days);
		p->hold_pending = 1;
		p->hold_behind = 0;
	}
	return 0;
}

/*
 * After a step every received_ms stored so far may be off by it, so no
 * payload may go by its age: hold them all until raw_retention_days after
 * now (on the clock as it reads now). The hold is in the store, so a
 * restart keeps it. Until it is written nothing is pruned.
 */
static int
write_hold(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	if (store_begin(p->store) == -1 ||
	    store_hold_payloads(p->store, now_ms, p->hold_behind) == -1 ||
	    store_commit(p->store) == -1) {
		store_rollback(p->store);
		return -1;
	}
	p->hold_pending = 0;
	p->ref_wall_ms = now_ms;
	p->ref_boot_us = now_boot_us;
	return 0;
}

/* A round's slices: rows changed per transaction, and the loop time one
 * tick may spend on them (a batch's own budget), so ingestion waits at
 * most that long once a second. */
#define PRUNE_SLICE_ROWS 4000
#define PRUNE_SLICE_US	 50000
/* While ingestion keeps up a round may go on between the ticks in
 * shorter slices (pipeline_prune_idle), so a message that arrives meanwhile
 * waits ~20 ms at most. */
#define PRUNE_IDLE_SLICE_US 20000
#define VACUUM_STEP_PAGES   128 /* 512 KiB of 4 KiB pages: ~5 ms a step */

/* Cutoff of a kind kept `days` (0: for ever). */
static int64_t
days_cutoff(int64_t now_ms, int days)
{
	return days > 0 ? pipeline_prune_cutoff(now_ms, days) : 0;
}

void
pipeline_retention_of(const struct config *cfg, int64_t now_ms,
    struct store_retention *r)
{
	int64_t *c = r->cutoff;

	/* 0 days keeps no payload, as it always did. */
	c[STORE_PRUNE_PAYLOADS] =
	    pipeline_prune_cutoff(now_ms, cfg->database.raw_retention_days);
	c[STORE_PRUNE_MESSAGES] =
	    days_cutoff(now_ms, cfg->retention.messages_days);
	c[STORE_PRUNE_REJECT_PAYLOADS] =
	    days_cutoff(now_ms, cfg->retention.rejects_payload_days);
	c[STORE_PRUNE_REJECTS] =
	    days_cutoff(now_ms, cfg->retention.rejects_days);
	c[STORE_PRUNE_POSITIONS] =
	    days_cutoff(now_ms, cfg->retention.positions_days);
	r->thin_ms = (int64_t)cfg->retention.positions_thin_s * 1000;
	c[STORE_PRUNE_POSITIONS_THIN] = r->thin_ms > 0
	    ? days_cutoff(now_ms, cfg->retention.positions_full_days)
	    : 0;
	c[STORE_PRUNE_VEHICLE_EVENTS] =
	    days_cutoff(now_ms, cfg->retention.vehicle_events_days);
	c[STORE_PRUNE_WEIGHINGS_HISTORY] =
	    days_cutoff(now_ms, cfg->retention.weighings_history_days);
	c[STORE_PRUNE_FACILITY_STATUS] =
	    days_cutoff(now_ms, cfg->retention.facility_status_days);
}

/* What a round did, in one line (the first words are what the
 * integration tests count). */
static void
log_round(const struct pipeline *p)
{
	char buf[512];
	size_t len = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 1; i < STORE_PRUNE_KINDS; i++) {
		if (p->prune.rows[i] == 0)
			continue;
		n = snprintf(buf + len, sizeof(buf) - len, ", %lld %s",
		    (long long)p->prune.rows[i], store_prune_names[i]);
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	log_info("store: retention dropped %lld raw payloads%s in %d slices, "
		 "%.1f ms",
	    (long long)p->prune.rows[STORE_PRUNE_PAYLOADS], buf,
	    p->prune.slices, (double)p->round_us / 1000);
}

/* Give free pages back for what is left of this tick's budget. */
static void
vacuum_some(struct pipeline *p, int64_t budget_us)
{
	int64_t freed = 0, left = 0;

	if (budget_us <= 0)
		return;
	if (store_reclaim_slice(p->store, VACUUM_STEP_PAGES, budget_us, &freed,
		&left) == -1)
		left = 0; /* logged; the next round tries again */
	p->vacuumed += freed;
	if (left == 0) {
		p->vacuuming = 0;
		if (p->vacuumed > 0)
			log_info("store: retention gave %lld pages back to the "
				 "file system",
			    (long long)p->vacuumed);
	}
}

/* One slice of the round in progress, within budget_us. */
static void
prune_continue(struct pipeline *p, int64_t budget_us)
{
	int64_t t0 = clock_mono_us();

	if (p->pruning) {
		if (store_prune_slice(p->store, &p->ret, &p->prune,
			PRUNE_SLICE_ROWS, budget_us) == -1) {
			/* Logged; what committed stays, the rest waits for
			 * the next round. */
			p->pruning = 0;
			return;
		}
		p->round_us += clock_mono_us() - t0;
		if (p->prune.kind < STORE_PRUNE_KINDS)
			return;
		p->pruning = 0;
		log_round(p);
		p->vacuuming = 1;
		p->vacuumed = 0;
	}
	if (p->vacuuming)
		vacuum_some(p, budget_us - (clock_mono_us() - t0));
}

int
pipeline_prune(struct pipeline *p, int64_t now_ms)
{
	return pipeline_prune_at(p, now_ms, clock_boot_us());
}

/* A step seen: refused, and the round in progress (its cutoffs read from
 * the clock before the step) abandoned. */
static int
refuse_after_step(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	p->pruning = p->vacuuming = 0;
	if (write_hold(p, now_ms, now_boot_us) == 0)
		log_notice("pipeline: raw payloads held");
	return 0;
}

int
pipeline_prune_at(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	int64_t step;

	/* A database file that is gone takes nothing more: see
	 * pipeline_check_file(). Retention is the leader's. */
	if (p->db_gone || !p->leader)
		return 0;
	if (!p->clock_checked && check_clock_at_start(p, now_ms) == -1)
		return 0;
	step = pipeline_clock_step_ms(p->ref_wall_ms, p->ref_boot_us, now_ms,
	    now_boot_us);
	if (step > PIPELINE_CLOCK_STEP_MS || step < -PIPELINE_CLOCK_STEP_MS) {
		if (!p->hold_pending)
			log_warnx(
			    "pipeline: the wall clock stepped %+lld s "
			    "against the monotonic clock; retention "
			    "refused, payloads stored so far kept %d days "
			    "from now",
			    (long long)(step / 1000),
			    p->cfg->database.raw_retention_days);
		p->hold_pending = 1;
		p->hold_behind = step < 0;
	}
	if (p->hold_pending)
		return refuse_after_step(p, now_ms, now_boot_us);
	if (p->pruning || p->vacuuming) {
		if (!pipeline_writes_failing(p))
			prune_continue(p, PRUNE_SLICE_US);
		return 0;
	}
	if (now_boot_us - p->last_prune_us < prune_every_ms(p) * 1000)
		return 0;
	p->last_prune_us = p->ref_boot_us = now_boot_us;
	p->ref_wall_ms = now_ms;
	pipeline_retention_of(p->cfg, now_ms, &p->ret);
	memset(&p->prune, 0, sizeof(p->prune));
	p->round_us = 0;
	p->pruning = 1;
	prune_continue(p, PRUNE_SLICE_US);
	return 1;
}

int
pipeline_prune_busy(const struct pipeline *p)
{
	return (p->pruning || p->vacuuming) && !p->hold_pending &&
	    !p->db_gone && p->leader;
}

int
pipeline_prune_idle(struct pipeline *p)
{
	if (!pipeline_prune_busy(p) || pipeline_writes_failing(p))
		return 0;
	prune_continue(p, PRUNE_IDLE_SLICE_US);
	return pipeline_prune_busy(p);
}
