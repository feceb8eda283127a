/*
 * pg_rederive [--dry-run] [--now MS] [--profile NAME]
 *             CONFIG BACKEND PATH_OR_URL [PASSWORD_FILE]
 *
 * A replay of accepted messages (lib/replay.c with accepted set, as
 * `wastetrackctl replay --accepted` has the daemon run it) over a store
 * that pg_feed filled: the configuration and its profiles loaded as the
 * daemon loads them (the fixed profile), the store opened and its
 * registry synced, then replay_step() until the job is done, one slice
 * a step. test_pg_rederive.py runs it on SQLite and on PostgreSQL and
 * compares. Prints the job's counters as "name value" lines.
 */
#include "config.h"
#include "ingest.h"
#include "profile.h"
#include "replay.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pg_rederive [--dry-run] [--now MS] [--profile NAME]"
	    " CONFIG BACKEND PATH_OR_URL [PASSWORD_FILE]\n");
	exit(2);
}

static int
parse_opts(int argc, char **argv, struct replay_req *req, int64_t *now_ms)
{
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			req->dry_run = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--now") == 0)
			*now_ms = strtoll(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--profile") == 0)
			snprintf(req->profile, sizeof(req->profile), "%s",
			    argv[i + 1]);
		else
			usage();
		i++;
	}
	if (argc - i < 3 || argc - i > 4)
		usage();
	return i;
}

static void
print_stats(const struct replay_stats *st)
{
	int k;

	printf("selected %" PRIu64 "\n", st->selected);
	printf("rederived %" PRIu64 "\n", st->rederived);
	printf("unchanged %" PRIu64 "\n", st->unchanged);
	printf("conflict %" PRIu64 "\n", st->conflict);
	printf("not_rederivable %" PRIu64 "\n", st->not_rederivable);
	printf("rejected %" PRIu64 "\n", st->rejected);
	printf("pruned %" PRIu64 "\n", st->pruned);
	for (k = 0; k < STORE_RD_TABLES; k++)
		printf("changed_%s %" PRIu64 "\n", store_rd_table_names[k],
		    st->changed[k]);
}

static int
rederive(struct store *s, struct ingest *in, const struct replay_req *req,
    int64_t now_ms)
{
	struct replay *r = NULL;
	int rc, steps = 0;

	if (replay_new(in, s, req, &r) == -1) {
		fprintf(stderr, "pg_rederive: replay_new failed\n");
		return -1;
	}
	/* A zero budget: one chunk a step, so a job runs several slices. */
	while ((rc = replay_step(r, now_ms, 0)) == 1 && steps < 100000)
		steps++;
	if (rc != 0 || !replay_stats(r)->done) {
		fprintf(stderr, "pg_rederive: replay_step failed (%d)\n", rc);
		replay_free(r);
		return -1;
	}
	print_stats(replay_stats(r));
	printf("steps %d\n", steps + 1);
	replay_free(r);
	return 0;
}

int
main(int argc, char **argv)
{
	struct replay_req req = { .accepted = 1 };
	struct store_where w = { 0 };
	struct config *cfg = NULL;
	struct profile_set *profiles = NULL;
	struct store *s = NULL;
	struct ingest *in = NULL;
	char *errors = NULL;
	int64_t now_ms = 0;
	int i, rc = 1;

	i = parse_opts(argc, argv, &req, &now_ms);
	if (config_load(argv[i], &cfg, &errors) == -1 ||
	    profile_compile(cfg, &profiles, &errors) == -1) {
		fprintf(stderr, "%s", errors != NULL ? errors : "config\n");
		goto done;
	}
	w.backend = argv[i + 1];
	w.path = argv[i + 2];
	w.password_file = argc - i == 4 ? argv[i + 3] : NULL;
	w.instance = "rederive";
	if (store_open_at(&w, 0, &s) == -1 || store_sync_config(s, cfg) == -1 ||
	    ingest_open(s, cfg, profiles, &in) == -1) {
		fprintf(stderr, "pg_rederive: cannot open the store\n");
		goto done;
	}
	if (rederive(s, in, &req, now_ms) == 0)
		rc = 0;
done:
	free(errors);
	ingest_free(in);
	store_close(s);
	profile_set_free(profiles);
	config_free(cfg);
	return rc;
}
