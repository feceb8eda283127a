/*
 * pg_misc BACKEND ADDRESS [PASSWORD_FILE]: run store.h's muck writes,
 * retention and replay on either backend (store_open_at), one command a
 * line from stdin, and print what each returned, canonically, so that
 * test_pg_misc.py can compare SQLite and PostgreSQL line by line.
 * Words are separated by spaces; "-" is NULL (or NaN for a number).
 *
 *	begin | commit | rollback
 *	unload_add VEHICLE PLATE TS SINCE LAT LON HOW CANDIDATE SITE
 *	    SITE_KIND DISTRICT WASTE ORIGIN MUCK AUTHORISED OFFSET MID
 *	unload_weighed PLATE FIRST SECOND LOADED MUCK
 *	event_near VEHICLE FROM TO
 *	absorb VEHICLE FROM TO
 *	recent VEHICLE BEFORE N
 *	load VEHICLE
 *	violation KIND SUBJECT REASON VEHICLE PLATE DISTRICT WASTE SITE TS
 *	    LAT LON OFFSET
 *	prune MAX_ROWS THIN_MS CUT0 .. CUT8	(a whole round)
 *	due THIN_MS CUT0 .. CUT8
 *	replay_next REASON SINCE UNTIL AFTER_MS AFTER_ID N
 *	replay_mark ID NOW OUTCOME DETAIL
 *	rederive_next PROFILE SINCE UNTIL AFTER_MS AFTER_ID N
 *	rederive_open
 *
 * Every command prints one line "CMD rc=RC ..." and maybe rows after it.
 */
#include "clock.h"
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXW 24

static const char *
str(const char *w)
{
	return strcmp(w, "-") == 0 ? NULL : w;
}

static int64_t
num(const char *w)
{
	return strcmp(w, "-") == 0 ? WT_NOTIME : strtoll(w, NULL, 10);
}

static double
real(const char *w)
{
	return strcmp(w, "-") == 0 ? NAN : strtod(w, NULL);
}

static void
print_real(double v)
{
	if (isnan(v))
		printf(" -");
	else
		printf(" %.6f", v);
}

static void
print_blob(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	if (p == NULL) {
		printf(" -");
		return;
	}
	printf(" x");
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static int
muck(struct store *s, char **w, int n)
{
	struct store_unload u;
	struct store_violation v;
	int k = 0;

	if (strcmp(w[0], "unload_add") == 0 && n == 18) {
		memset(&u, 0, sizeof(u));
		u.vehicle = str(w[1]);
		u.plate = str(w[2]);
		u.ts_ms = num(w[3]);
		u.since_ms = num(w[4]);
		u.lat = real(w[5]);
		u.lon = real(w[6]);
		u.how = str(w[7]);
		u.candidate = atoi(w[8]);
		u.site = str(w[9]);
		u.site_kind = str(w[10]);
		u.district = str(w[11]);
		u.waste = str(w[12]);
		u.origin = str(w[13]);
		u.muck = atoi(w[14]);
		u.authorised = atoi(w[15]);
		printf("unload_add rc=%d",
		    store_unload_add(s, &u, atoi(w[16]), num(w[17]), &k));
	} else if (strcmp(w[0], "unload_weighed") == 0 && n == 6)
		printf("unload_weighed rc=%d",
		    store_unload_weighed(s, str(w[1]), num(w[2]), num(w[3]),
			atoi(w[4]), atoi(w[5]), &k));
	else if (strcmp(w[0], "event_near") == 0 && n == 4)
		printf("event_near rc=%d",
		    store_unload_event_near(s, w[1], num(w[2]), num(w[3]), &k));
	else if (strcmp(w[0], "absorb") == 0 && n == 4)
		printf("absorb rc=%d",
		    store_unload_absorb(s, w[1], num(w[2]), num(w[3]), &k));
	else if (strcmp(w[0], "violation") == 0 && n == 13) {
		memset(&v, 0, sizeof(v));
		v.kind = w[1];
		v.subject = w[2];
		v.reason = str(w[3]);
		v.vehicle = str(w[4]);
		v.plate = str(w[5]);
		v.district = str(w[6]);
		v.waste = str(w[7]);
		v.site = str(w[8]);
		v.ts_ms = num(w[9]);
		v.lat = real(w[10]);
		v.lon = real(w[11]);
		printf("violation rc=%d",
		    store_violation_add(s, &v, atoi(w[12]), &k));
	} else
		return -1;
	printf(" n=%d\n", k);
	return 0;
}

static int
track(struct store *s, char **w, int n)
{
	struct store_fix fx[16];
	struct store_load ld;
	size_t got = 0, i, want;
	int found = 0, rc;

	if (strcmp(w[0], "recent") == 0 && n == 4) {
		want = (size_t)atoi(w[3]);
		if (want > 16)
			want = 16;
		rc = store_vehicle_recent(s, w[1], num(w[2]), fx, want, &got);
		printf("recent rc=%d got=%zu\n", rc, got);
		for (i = 0; i < got; i++) {
			printf("  %lld", (long long)fx[i].ts_ms);
			print_real(fx[i].lat);
			print_real(fx[i].lon);
			print_real(fx[i].speed_kmh);
			printf(" [%s]\n", fx[i].load_state);
		}
		return 0;
	}
	if (strcmp(w[0], "load") == 0 && n == 2) {
		memset(&ld, 0, sizeof(ld));
		rc = store_vehicle_load(s, w[1], &ld, &found);
		printf("load rc=%d found=%d", rc, found);
		if (found)
			printf(" %lld [%s] [%s]", (long long)ld.ts_ms, ld.waste,
			    ld.site);
		printf("\n");
		return 0;
	}
	return -1;
}

/* A kind's name as one word. */
static void
print_kind(int k, int64_t v)
{
	const char *c;

	printf(" ");
	for (c = store_prune_names[k]; *c != '\0'; c++)
		putchar(*c == ' ' ? '_' : *c);
	printf("=%lld", (long long)v);
}

static void
retention(struct store_retention *r, char **w)
{
	int k;

	memset(r, 0, sizeof(*r));
	r->thin_ms = num(w[0]);
	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		r->cutoff[k] = num(w[1 + k]);
}

static int
prune(struct store *s, const struct store_where *where, char **w, int n)
{
	struct store_retention r;
	struct store_prune pr;
	struct store_query *q;
	int64_t due[STORE_PRUNE_KINDS], before, sum, t0;
	/* A generous budget unless WT_PRUNE_BUDGET_US says (measuring the
	 * daemon's 50 ms): then slices are bound by rows. */
	const char *e = getenv("WT_PRUNE_BUDGET_US");
	int64_t budget = e != NULL ? strtoll(e, NULL, 10) : 60000000;
	int k, rc = 0, max;

	if (strcmp(w[0], "prune") == 0 && n == 3 + STORE_PRUNE_KINDS) {
		max = atoi(w[1]);
		retention(&r, w + 2);
		memset(&pr, 0, sizeof(pr));
		while (pr.kind < STORE_PRUNE_KINDS && rc == 0) {
			for (sum = 0, k = 0; k < STORE_PRUNE_KINDS; k++)
				sum += pr.rows[k];
			before = sum;
			t0 = clock_mono_us();
			rc = store_prune_slice(s, &r, &pr, max, budget);
			t0 = clock_mono_us() - t0;
			for (sum = 0, k = 0; k < STORE_PRUNE_KINDS; k++)
				sum += pr.rows[k];
			if (rc == 0)
				printf("  slice %lld\n",
				    (long long)(sum - before));
			/* Times differ from run to run: not in the output
			 * compared. */
			fprintf(stderr, "slice-us %lld %lld\n", (long long)t0,
			    (long long)(sum - before));
		}
		printf("prune rc=%d", rc);
		for (k = 0; k < STORE_PRUNE_KINDS; k++)
			print_kind(k, pr.rows[k]);
		printf("\n");
		return 0;
	}
	if (strcmp(w[0], "due") == 0 && n == 2 + STORE_PRUNE_KINDS) {
		retention(&r, w + 1);
		if ((rc = store_query_open_at(where, &q)) == 0) {
			rc = store_query_prune_due(q, &r, due);
			store_query_close(q);
		}
		printf("due rc=%d", rc);
		for (k = 0; rc == 0 && k < STORE_PRUNE_KINDS; k++)
			print_kind(k, due[k]);
		printf("\n");
		return 0;
	}
	return -1;
}

static int
replay(struct store *s, char **w, int n)
{
	struct store_replay_row rows[64];
	struct store_rederive_row rd[64];
	struct store_replay_filter f;
	struct store_rederive_filter g;
	struct store_rederive *job = NULL;
	size_t got = 0, i, want;
	int rc, k = 0;

	if (strcmp(w[0], "replay_next") == 0 && n == 7) {
		f.reason = str(w[1]);
		f.since_ms = num(w[2]);
		f.until_ms = num(w[3]);
		want = (size_t)atoi(w[6]);
		memset(rows, 0, sizeof(rows));
		rc = store_replay_next(s, &f, num(w[4]), num(w[5]),
		    want < 64 ? want : 64, rows, &got);
		printf("replay_next rc=%d got=%zu\n", rc, got);
		for (i = 0; i < got; i++) {
			printf("  %lld %lld %s %s skip=%d pruned=%d",
			    (long long)rows[i].id,
			    (long long)rows[i].received_ms, rows[i].topic,
			    rows[i].reason, rows[i].skip, rows[i].pruned);
			print_blob(rows[i].payload, rows[i].payload_len);
			printf("\n");
		}
		store_replay_rows_free(rows, got);
		return 0;
	}
	if (strcmp(w[0], "replay_mark") == 0 && n == 5) {
		rc = store_replay_mark(s, num(w[1]), num(w[2]), w[3], str(w[4]),
		    &k);
		printf("replay_mark rc=%d changed=%d\n", rc, k);
		return 0;
	}
	if (strcmp(w[0], "rederive_next") == 0 && n == 7) {
		g.profile = str(w[1]);
		g.since_ms = num(w[2]);
		g.until_ms = num(w[3]);
		want = (size_t)atoi(w[6]);
		memset(rd, 0, sizeof(rd));
		rc = store_rederive_next(s, &g, num(w[4]), num(w[5]),
		    want < 64 ? want : 64, rd, &got);
		printf("rederive_next rc=%d got=%zu\n", rc, got);
		for (i = 0; i < got; i++) {
			printf("  %lld %lld %s %s [%s]", (long long)rd[i].id,
			    (long long)rd[i].received_ms, rd[i].topic,
			    rd[i].profile, rd[i].kind);
			print_blob(rd[i].payload, rd[i].payload_len);
			printf("\n");
		}
		store_rederive_rows_free(rd, got);
		return 0;
	}
	if (strcmp(w[0], "rederive_open") == 0 && n == 1) {
		rc = store_rederive_open(s, &job);
		printf("rederive_open rc=%d\n", rc);
		if (rc == 0)
			store_rederive_close(job);
		return 0;
	}
	return -1;
}

static int
command(struct store *s, const struct store_where *where, char **w, int n)
{
	if (strcmp(w[0], "begin") == 0)
		printf("begin rc=%d\n", store_begin(s));
	else if (strcmp(w[0], "commit") == 0) {
		int rc = store_commit(s);

		printf("commit rc=%d\n", rc);
		if (rc == -1)
			store_rollback(s);
	} else if (strcmp(w[0], "rollback") == 0) {
		store_rollback(s);
		printf("rollback\n");
	} else if (muck(s, w, n) == -1 && track(s, w, n) == -1 &&
	    prune(s, where, w, n) == -1 && replay(s, w, n) == -1)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct store_where where = { 0 };
	struct store *s = NULL;
	char line[2048], *w[MAXW], *save;
	int n, rc = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr,
		    "usage: pg_misc BACKEND ADDRESS "
		    "[PASSWORD_FILE] < commands\n");
		return 2;
	}
	where.backend = argv[1];
	where.path = argv[2];
	where.password_file = argc == 4 ? argv[3] : NULL;
	where.instance = "pg_misc";
	if (store_open_at(&where, 0, &s) == -1) {
		fprintf(stderr, "pg_misc: cannot open %s\n", argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		n = 0;
		for (w[n] = strtok_r(line, " ", &save);
		     w[n] != NULL && n < MAXW - 1;
		     w[n] = strtok_r(NULL, " ", &save))
			n++;
		if (n == 0 || w[0][0] == '#')
			continue;
		if (command(s, &where, w, n) == -1) {
			fprintf(stderr, "pg_misc: bad command: %s (%d words)\n",
			    w[0], n);
			rc = 2;
			break;
		}
		fflush(stdout);
	}
	store_close(s);
	return rc;
}
