/*
 * pg_recon BACKEND ADDRESS PASSWORD_FILE|- CONFIG NOW_MS OPS: open the
 * store (sqlite: ADDRESS is the file; postgresql: the URI) as the daemon
 * does and run OPS, a comma-separated list, at NOW_MS, printing what
 * each did; test_pg_recon.py runs it on SQLite and on PostgreSQL and
 * compares the rows it leaves.
 *
 *	small	bounds of a few rows: slices of 2 manifests, 3 ticket
 *		marks, a requeue of 2, alert slices of 2
 *	pass	reconciliation passes until none is left ("passes N
 *		slowest_ms T": T the longest pass)
 *	pass1	one pass ("more 0|1")
 *	full	the full rebuild
 *	behind	"behind 0|1"
 *	sync	alert syncs with no time budget until none is left
 *		("syncs N": one rule or slice a call)
 *	ack	the pending steps ("pending ID STEP RETAINED TOPIC
 *		PAYLOAD"), then all acknowledged
 */
#include "clock.h"
#include "config.h"
#include "store.h"
#include "store_int.h"
#include "store_pg_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACKS 4096

struct acks {
	int64_t ids[MAX_ACKS];
	enum store_alert_step steps[MAX_ACKS];
	size_t n;
};

static int pg;

static void
small(struct store *s)
{
	if (pg) {
		store_pg_recon_bounds(s, 2, 3, 2);
		store_pg_alert_bounds(s, 2);
		return;
	}
	store_sqlite_of(s)->recon_slice = 2;
	store_sqlite_of(s)->recon_marks = 3;
	store_sqlite_of(s)->recon_requeue = 2;
	store_sqlite_of(s)->alert_slice = 2;
}

static int
passes(struct store *s, int64_t now, const struct config *cfg)
{
	int more = 1, n = 0;
	int64_t t0, took, slowest = 0;

	while (more) {
		t0 = clock_mono_us();
		if (store_reconcile_pass(s, now, cfg, &more) == -1)
			return -1;
		took = clock_mono_us() - t0;
		slowest = took > slowest ? took : slowest;
		if (++n > 100000) {
			fprintf(stderr, "pg_recon: passes never end\n");
			return -1;
		}
	}
	printf("passes %d slowest_ms %.1f\n", n, (double)slowest / 1000);
	return 0;
}

static int
syncs(struct store *s, int64_t now)
{
	int more = 1, n = 0;

	while (more) {
		if (store_alerts_sync(s, now, 0, &more) == -1)
			return -1;
		if (++n > 100000) {
			fprintf(stderr, "pg_recon: syncs never end\n");
			return -1;
		}
	}
	printf("syncs %d\n", n);
	return 0;
}

static int
on_pending(void *arg, const struct store_alert_msg *m)
{
	struct acks *a = arg;

	printf("pending %lld %d %d %s %s\n", (long long)m->id, (int)m->step,
	    m->retained, m->topic, m->len > 0 ? m->payload : "-");
	if (a->n < MAX_ACKS) {
		a->ids[a->n] = m->id;
		a->steps[a->n++] = m->step;
	}
	return 1;
}

static int
ack(struct store *s)
{
	struct acks *a = calloc(1, sizeof(*a));
	int rc = -1;

	if (a != NULL && store_alerts_pending(s, on_pending, a) == 0 &&
	    store_alerts_acked(s, a->ids, a->steps, a->n) == 0)
		rc = 0;
	free(a);
	return rc;
}

static int
run(struct store *s, char *op, int64_t now, const struct config *cfg)
{
	int behind;

	if (strcmp(op, "small") == 0)
		small(s);
	else if (strcmp(op, "pass") == 0)
		return passes(s, now, cfg);
	else if (strcmp(op, "pass1") == 0) {
		if (store_reconcile_pass(s, now, cfg, &behind) == -1)
			return -1;
		printf("more %d\n", behind);
	} else if (strcmp(op, "full") == 0)
		return store_reconcile_full(s, now, cfg);
	else if (strcmp(op, "behind") == 0) {
		if (store_reconcile_behind(s, &behind) == -1)
			return -1;
		printf("behind %d\n", behind);
	} else if (strcmp(op, "sync") == 0)
		return syncs(s, now);
	else if (strcmp(op, "ack") == 0)
		return ack(s);
	else {
		fprintf(stderr, "pg_recon: unknown op %s\n", op);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct store_where w = { 0 };
	struct config *cfg = NULL;
	struct store *s = NULL;
	char *errors = NULL, *op, *save = NULL;
	int64_t now;
	int rc = 1;

	if (argc != 7) {
		fprintf(stderr,
		    "usage: pg_recon BACKEND ADDRESS PASSWORD_FILE|-"
		    " CONFIG NOW_MS OPS\n");
		return 2;
	}
	w.backend = argv[1];
	w.path = argv[2];
	w.password_file = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
	w.instance = "pg_recon";
	pg = strcmp(argv[1], "postgresql") == 0;
	now = strtoll(argv[5], NULL, 10);
	if (config_load(argv[4], &cfg, &errors) == -1) {
		fprintf(stderr, "%s",
		    errors != NULL ? errors : "out of memory\n");
		goto done;
	}
	if (store_open_at(&w, 0, &s) == -1) {
		fprintf(stderr, "pg_recon: cannot open %s\n", argv[2]);
		goto done;
	}
	for (op = strtok_r(argv[6], ",", &save); op != NULL;
	     op = strtok_r(NULL, ",", &save))
		if (run(s, op, now, cfg) == -1) {
			fprintf(stderr, "pg_recon: %s failed\n", op);
			goto done;
		}
	rc = 0;
done:
	if (s != NULL)
		store_close(s);
	config_free(cfg);
	free(errors);
	return rc;
}
