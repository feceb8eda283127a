/*
 * pg_feed [OPTIONS] CONFIG BACKEND PATH_OR_URL [PASSWORD_FILE]
 *
 * Feeds messages into a store through the daemon's own ingest path: the
 * configuration (wastetrack.yaml) and its profiles loaded as the daemon
 * loads them, the store opened (store_open_at) and its registry synced,
 * the messages appended to a spool of its own (a temporary directory)
 * and taken from it in batches by ingest_batch(), one transaction each.
 * The PostgreSQL tests (test_pg_write.py) feed the same messages into
 * SQLite and PostgreSQL with it and compare the rows.
 *
 * Messages are lines "TOPIC<TAB>RECEIVED_MS<TAB>PAYLOAD" from stdin, or
 * from --input FILE. Options:
 *   --instance NAME   the store's instance name (mqtt.client_id)
 *   --batch N         messages per transaction (default 100)
 *   --now MS          the ingest's "now" (default: the clock)
 *   --reconcile MS    store_reconcile_full() at MS after feeding
 *   --alerts MS       store_alerts_sync() at MS until done, after that
 *   --hold MS         after feeding: store_hold_payloads(MS, behind 1),
 *                     then print store_clock_state()
 *   --prune MS        after that: store_prune_payloads(MS), print the count
 *   --bench N         instead of input: N positions of 50 vehicles, timed
 * Prints "name value" lines: the ingest counters, late_duplicates (as
 * store_take_late_duplicates() gave them), and for --bench msgs_per_s.
 */
#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "profile.h"
#include "spool.h"
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
	const char *instance, *input;
	size_t batch;
	int64_t now_ms, reconcile_ms, alerts_ms, hold_ms, prune_ms;
	long bench;
};

struct feed {
	struct config *cfg;
	struct profile_set *profiles;
	struct store *store;
	struct ingest *in;
	struct spool_writer *writer;
	struct spool_reader *reader;
	struct spool_pos end;
	char spool[PATH_MAX];
	int64_t late;
	size_t appended;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pg_feed [--instance NAME] [--batch N] [--now MS]"
	    " [--reconcile MS] [--alerts MS] [--hold MS] [--prune MS]"
	    " [--bench N] [--input FILE]"
	    " CONFIG BACKEND PATH_OR_URL [PASSWORD_FILE]\n");
	exit(2);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->batch = 100;
	o->now_ms = clock_ms();
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(k, "--instance") == 0)
			o->instance = v;
		else if (strcmp(k, "--input") == 0)
			o->input = v;
		else if (strcmp(k, "--batch") == 0)
			o->batch = strtoul(v, NULL, 10);
		else if (strcmp(k, "--now") == 0)
			o->now_ms = strtoll(v, NULL, 10);
		else if (strcmp(k, "--reconcile") == 0)
			o->reconcile_ms = strtoll(v, NULL, 10);
		else if (strcmp(k, "--alerts") == 0)
			o->alerts_ms = strtoll(v, NULL, 10);
		else if (strcmp(k, "--hold") == 0)
			o->hold_ms = strtoll(v, NULL, 10);
		else if (strcmp(k, "--prune") == 0)
			o->prune_ms = strtoll(v, NULL, 10);
		else if (strcmp(k, "--bench") == 0)
			o->bench = strtol(v, NULL, 10);
		else
			usage();
	}
	if (o->batch == 0)
		usage();
	return i;
}

static int
append(struct feed *f, const char *topic, int64_t received_ms,
    const char *payload, size_t len)
{
	if (spool_append(f->writer, topic, strlen(topic), payload, len,
		received_ms, &f->end) == -1) {
		fprintf(stderr, "pg_feed: spool_append failed\n");
		return -1;
	}
	f->appended++;
	return 0;
}

/* One line: TOPIC TAB RECEIVED_MS TAB PAYLOAD (the payload may hold
 * anything but a newline). */
static int
append_line(struct feed *f, char *line, size_t lineno)
{
	char *t1 = strchr(line, '\t'), *t2, *end;
	size_t n = strlen(line);
	long long ms;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0)
		return 0;
	if (t1 == NULL || (t2 = strchr(t1 + 1, '\t')) == NULL) {
		fprintf(stderr,
		    "pg_feed: line %zu: not TOPIC TAB MS TAB "
		    "PAYLOAD\n",
		    lineno);
		return -1;
	}
	*t1 = *t2 = '\0';
	errno = 0;
	ms = strtoll(t1 + 1, &end, 10);
	if (errno != 0 || *end != '\0') {
		fprintf(stderr, "pg_feed: line %zu: bad time\n", lineno);
		return -1;
	}
	return append(f, line, ms, t2 + 1, strlen(t2 + 1));
}

static int
append_input(struct feed *f, const char *path)
{
	FILE *fp = path != NULL ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0;

	if (fp == NULL) {
		fprintf(stderr, "pg_feed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, fp) != -1)
		rc = append_line(f, line, ++lineno);
	free(line);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* N positions of 50 vehicles, one a second each, in the native dialect
 * (the configuration must subscribe wt/v1/# with it). */
static int
append_bench(struct feed *f, long n, int64_t now_ms)
{
	char topic[64], payload[256];
	int64_t t0 = now_ms - n / 50 * 1000 - 60000;
	long i;

	for (i = 0; i < n; i++) {
		int64_t ts = t0 + (i / 50) * 1000;

		snprintf(topic, sizeof(topic),
		    "wt/v1/vehicles/B-%03ld/position", i % 50);
		snprintf(payload, sizeof(payload),
		    "{\"ts\":%" PRId64 ",\"lat\":%.6f,\"lon\":%.6f,"
		    "\"speed_kmh\":%.1f,\"load_state\":\"full\"}",
		    ts, 43.85 + (double)(i % 50) * 0.001 + (double)i * 1e-7,
		    125.30 + (double)(i % 97) * 1e-5, (double)(i % 60));
		if (append(f, topic, ts + 500, payload, strlen(payload)) == -1)
			return -1;
	}
	return 0;
}

static int
open_all(struct feed *f, const struct opts *o, int argc, char **argv, int i)
{
	struct store_where w = { 0 };
	char *errors = NULL;
	const char *tmp = getenv("TMPDIR");

	if (argc - i < 3 || argc - i > 4)
		usage();
	if (config_load(argv[i], &f->cfg, &errors) == -1 ||
	    profile_compile(f->cfg, &f->profiles, &errors) == -1) {
		fprintf(stderr, "%s", errors != NULL ? errors : "config\n");
		free(errors);
		return -1;
	}
	w.backend = argv[i + 1];
	w.path = argv[i + 2];
	w.password_file = argc - i == 4 ? argv[i + 3] : NULL;
	w.instance = o->instance;
	snprintf(f->spool, sizeof(f->spool), "%s/pg_feed.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(f->spool) == NULL) {
		fprintf(stderr, "pg_feed: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	if (store_open_at(&w, 0, &f->store) == -1 ||
	    store_sync_config(f->store, f->cfg) == -1 ||
	    ingest_open(f->store, f->cfg, f->profiles, &f->in) == -1 ||
	    spool_writer_open(f->spool, 1, 64u << 20, 0, &f->writer) == -1) {
		fprintf(stderr, "pg_feed: cannot open the store or spool\n");
		return -1;
	}
	return 0;
}

/* A fresh spool starts at its beginning whatever position the store
 * kept for this instance: the messages are new to this run. */
static int
drain(struct feed *f, const struct opts *o)
{
	struct spool_pos start = { 1, 0 };
	int n, failures = 0;

	if (spool_reader_open(f->spool, start, &f->reader) == -1)
		return -1;
	for (;;) {
		n = ingest_batch(f->in, f->reader, f->end, o->batch, o->now_ms,
		    0);
		f->late += store_take_late_duplicates(f->store);
		if (n == -1) {
			fprintf(stderr, "pg_feed: batch failed: %s\n",
			    ingest_error(f->in));
			if (++failures > 3)
				return -1;
			continue;
		}
		if (n == 0 &&
		    !spool_pos_before(spool_reader_pos(f->reader), f->end))
			return 0;
	}
}

/* The payloads' hold, the clock state it leaves, pruning under it. */
static int
payloads(struct feed *f, const struct opts *o)
{
	int64_t newest, pruned;
	int behind;

	if (o->hold_ms != 0) {
		if (store_begin(f->store) == -1 ||
		    store_hold_payloads(f->store, o->hold_ms, 1) == -1 ||
		    store_commit(f->store) == -1) {
			store_rollback(f->store);
			return -1;
		}
		if (store_clock_state(f->store, &newest, &behind) == -1)
			return -1;
		printf("clock_newest %" PRId64 "\nclock_behind %d\n", newest,
		    behind);
	}
	if (o->prune_ms != 0) {
		if (store_prune_payloads(f->store, o->prune_ms, &pruned) == -1)
			return -1;
		printf("pruned %" PRId64 "\n", pruned);
	}
	return 0;
}

static int
after(struct feed *f, const struct opts *o)
{
	int more = 1, rounds = 0;

	if (o->reconcile_ms != 0 &&
	    store_reconcile_full(f->store, o->reconcile_ms, f->cfg) == -1) {
		fprintf(stderr, "pg_feed: reconcile failed\n");
		return -1;
	}
	while (o->alerts_ms != 0 && more && rounds++ < 1000)
		if (store_alerts_sync(f->store, o->alerts_ms, 0, &more) == -1) {
			fprintf(stderr, "pg_feed: alerts failed\n");
			return -1;
		}
	return 0;
}

static void
print_counters(const struct feed *f)
{
	const struct ingest_counters *c = ingest_counters(f->in);
	int k;

	printf("received %" PRIu64 "\n", c->received);
	printf("stored %" PRIu64 "\n", c->stored);
	printf("duplicates %" PRIu64 "\n", c->duplicates);
	printf("history %" PRIu64 "\n", c->history);
	printf("rejected %" PRIu64 "\n", c->rejected);
	printf("commits %" PRIu64 "\n", c->commits);
	printf("write_errors %" PRIu64 "\n", c->write_errors);
	for (k = 0; k < EV_KIND_COUNT; k++)
		if (c->by_kind[k] > 0)
			printf("kind_%s %" PRIu64 "\n",
			    ev_kind_name((enum ev_kind)k), c->by_kind[k]);
	printf("late_duplicates %" PRId64 "\n", f->late);
}

static void
close_all(struct feed *f)
{
	char cmd[PATH_MAX + 16];

	spool_reader_close(f->reader);
	spool_writer_close(f->writer);
	ingest_free(f->in);
	store_close(f->store);
	profile_set_free(f->profiles);
	config_free(f->cfg);
	if (f->spool[0] != '\0' && strncmp(f->spool, "/", 1) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->spool);
		if (system(cmd) != 0)
			fprintf(stderr, "pg_feed: cannot remove %s\n",
			    f->spool);
	}
}

int
main(int argc, char **argv)
{
	struct feed f = { 0 };
	struct opts o;
	int64_t t0, us;
	int i = parse_opts(argc, argv, &o), rc = 1;

	if (open_all(&f, &o, argc, argv, i) == -1)
		goto done;
	if (o.bench > 0 ? append_bench(&f, o.bench, o.now_ms) == -1
			: append_input(&f, o.input) == -1)
		goto done;
	t0 = clock_mono_us();
	if (drain(&f, &o) == -1)
		goto done;
	us = clock_mono_us() - t0;
	if (after(&f, &o) == -1 || payloads(&f, &o) == -1)
		goto done;
	print_counters(&f);
	if (o.bench > 0)
		printf("msgs_per_s %.0f\n",
		    (double)f.appended * 1e6 / (double)(us > 0 ? us : 1));
	rc = 0;
done:
	close_all(&f);
	return rc;
}
