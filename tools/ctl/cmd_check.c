/*
 * cmd_check: `wastetrackctl check` — is the database sound? Its schema
 * version against the one this binary knows, SQLite's integrity check,
 * the spool beside it against the position the database committed, and
 * what the retention settings will remove at the next round. Exit 1 when
 * a problem is found.
 */
#include "ctl.h"

#include "clock.h"
#include "pipeline.h"
#include "spool.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int run(const struct ctl_cmd *, const struct config *, int, char **);

const struct ctl_cmd ctl_cmd_check = { "check", "[--quick] [--format FMT]",
	"schema version, integrity, spool, what retention removes next",
	"Sections: schema (the file's version against the one this binary\n"
	"knows, the application id, the database id), integrity (the\n"
	"problems SQLite's integrity check finds, or ok), spool (the spool\n"
	"directory beside the database: its segments, its owner, the\n"
	"position the database committed in it, the bytes after it), and\n"
	"retention (per kind of record, the configured days, the cutoff,\n"
	"and how many rows the next round would remove, counted: a full\n"
	"scan of the large tables). Each section has a status: ok, or the\n"
	"problem. Read-only: the daemon may run.\n"
	"\n"
	"  --quick        PRAGMA quick_check instead of integrity_check\n"
	"                 (skips index contents: much faster on a large file)\n"
	"  --format FMT   table, csv or json\n",
	run };

static const struct option options[] = {
	{ "quick", no_argument, NULL, 'q' },
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* A row built here: names and values, added by kind. */
struct rec {
	const char *names[16];
	struct store_value v[16];
	int n;
};

static void
put_text(struct rec *r, const char *name, const char *s)
{
	r->names[r->n] = name;
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	r->v[r->n].type = s != NULL ? STORE_V_TEXT : STORE_V_NULL;
	r->v[r->n].s = s;
	r->n++;
}

static void
put_int(struct rec *r, const char *name, int64_t i)
{
	r->names[r->n] = name;
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	r->v[r->n].type = STORE_V_INT;
	r->v[r->n].i = i;
	r->n++;
}

static int
emit(struct ctl_out *o, const char *section, int record, struct rec *rows,
    size_t nrows)
{
	size_t i;

	if (ctl_out_begin(o, section, record) == -1)
		return -1;
	for (i = 0; i < nrows; i++)
		if ((i == 0 &&
			ctl_out_row(o, rows[i].n, rows[i].names, NULL) == -1) ||
		    ctl_out_row(o, rows[i].n, rows[i].names, rows[i].v) == -1)
			return -1;
	return ctl_out_end(o);
}

/* ---- schema ---- */

struct meta {
	int64_t version, app_id, spool_seg, spool_off;
	char db_id[64];
	int has_pos;
};

static int
meta_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct meta *m = arg;
	int i;

	for (i = 0; v != NULL && i < n; i++) {
		const char *s = v[i].type == STORE_V_TEXT ? v[i].s : NULL;
		int64_t x = v[i].type == STORE_V_INT ? v[i].i
		    : s != NULL			     ? strtoll(s, NULL, 10)
						     : 0;

		if (strcmp(names[i], "schema_version") == 0)
			m->version = x;
		else if (strcmp(names[i], "application_id") == 0)
			m->app_id = x;
		else if (strcmp(names[i], "db_id") == 0 && s != NULL)
			snprintf(m->db_id, sizeof(m->db_id), "%s", s);
		else if (strcmp(names[i], "spool_seg") == 0 &&
		    v[i].type != STORE_V_NULL) {
			m->spool_seg = x;
			m->has_pos = 1;
		} else if (strcmp(names[i], "spool_off") == 0)
			m->spool_off = x;
	}
	return 0;
}

static int
check_schema(struct ctl_out *o, const struct meta *m)
{
	struct rec r = { .n = 0 };
	char status[160];
	int bad = 0;

	if (m->version > STORE_SCHEMA_VERSION)
		snprintf(status, sizeof(status),
		    "newer than this wastetrackctl: it reads the columns "
		    "it knows; update it");
	else if (m->version < STORE_SCHEMA_VERSION)
		snprintf(status, sizeof(status),
		    "older: the daemon migrates it at its next start");
	else
		snprintf(status, sizeof(status), "ok");
	/* Older or newer is a state, not damage: it never fails the check,
	 * except a file with no schema at all or another program's. */
	if (m->version == 0) {
		snprintf(status, sizeof(status),
		    "no schema: not a database of wastetrackd");
		bad = 1;
	} else if (m->app_id != 0 && m->app_id != STORE_APPLICATION_ID) {
		snprintf(status, sizeof(status),
		    "application id %" PRId64 ": not a database of wastetrackd",
		    m->app_id);
		bad = 1;
	}
	put_int(&r, "schema_version", m->version);
	put_int(&r, "known_version", STORE_SCHEMA_VERSION);
	put_int(&r, "application_id", m->app_id);
	put_text(&r, "db_id", m->db_id[0] ? m->db_id : NULL);
	put_text(&r, "status", status);
	return emit(o, "schema", 1, &r, 1) == -1 ? -1 : bad;
}

/* ---- integrity ---- */

struct integ {
	struct ctl_out *o;
	int problems;
};

static int
integ_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct integ *x = arg;
	const char *nn[1] = { "result" };

	(void)names;
	if (v != NULL && n >= 1 &&
	    (v[0].type != STORE_V_TEXT || strcmp(v[0].s, "ok") != 0))
		x->problems++;
	return ctl_out_row(x->o, 1, nn, v);
}

static int
check_integrity(struct ctl_out *o, struct store_query *q, int quick)
{
	struct integ x = { o, 0 };

	if (ctl_out_begin(o, "integrity", 0) == -1 ||
	    store_query_run(q, quick ? STORE_Q_QUICK_CHECK : STORE_Q_INTEGRITY,
		NULL, integ_row, &x) == -1 ||
	    ctl_out_end(o) == -1)
		return -1;
	return x.problems > 0;
}

/* ---- spool ---- */

struct spool_state {
	char dir[PATH_MAX], owner[80], status[PATH_MAX + 160];
	uint64_t first, last;
	int64_t seg_bytes, pending;
	int exists, bad;
};

static int64_t
segment_size(const char *dir, uint64_t seg)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%016" PRIu64 ".spool", dir, seg);
	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static void
read_owner(struct spool_state *s)
{
	char path[PATH_MAX + 32];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/database-id", s->dir);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(s->owner, sizeof(s->owner), fp) == NULL)
		s->owner[0] = '\0';
	s->owner[strcspn(s->owner, "\n")] = '\0';
	fclose(fp);
}

/* The committed position against the segments on disk, as the daemon
 * reads them at start (lib/pipeline.c, pipeline_claim_spool). */
static void
judge_spool(struct spool_state *s, const struct meta *m)
{
	uint64_t seg = m->has_pos ? (uint64_t)m->spool_seg : 1, k;
	int64_t off = m->has_pos ? m->spool_off : 0, size;

	snprintf(s->status, sizeof(s->status), "ok");
	if (!s->exists || s->last == 0)
		return;
	if (s->owner[0] && m->db_id[0] && strcmp(s->owner, m->db_id) != 0) {
		snprintf(s->status, sizeof(s->status),
		    "belongs to another database (%s): the daemon will "
		    "refuse it",
		    s->owner);
		s->bad = 1;
		return;
	}
	s->seg_bytes = segment_size(s->dir, seg);
	if (seg < s->first) {
		snprintf(s->status, sizeof(s->status),
		    "the database is older than its spool: segments before "
		    "%" PRIu64 " are gone after a newer copy committed them",
		    s->first);
		s->bad = 1;
	} else if (seg > s->last + 1 || (seg == s->last + 1 && off > 0) ||
	    (s->seg_bytes >= 0 && off > s->seg_bytes)) {
		snprintf(s->status, sizeof(s->status),
		    "the committed position (segment %" PRIu64
		    " offset %" PRId64 ") is ahead of the spool (last segment "
		    "%" PRIu64 ", %" PRId64 " bytes there)",
		    seg, off, s->last, s->seg_bytes < 0 ? 0 : s->seg_bytes);
		s->bad = 1;
		return;
	}
	/* Spooled, not committed: stored at the next start if the daemon
	 * is stopped, in its next batches if it runs. */
	for (k = seg > s->first ? seg : s->first; k <= s->last; k++)
		if ((size = segment_size(s->dir, k)) > 0)
			s->pending +=
			    k == seg ? (size > off ? size - off : 0) : size;
}

static int
check_spool(struct ctl_out *o, const struct config *cfg, const struct meta *m)
{
	struct spool_state s;
	struct rec r = { .n = 0 };
	struct stat st;

	memset(&s, 0, sizeof(s));
	snprintf(s.dir, sizeof(s.dir), "%s", cfg->ingest.spool_dir);
	s.exists = stat(s.dir, &st) == 0 && S_ISDIR(st.st_mode);
	if (s.exists && spool_bounds(s.dir, &s.first, &s.last) == -1) {
		snprintf(s.status, sizeof(s.status), "cannot read %s: %s",
		    s.dir, strerror(errno));
		s.bad = 1;
	} else {
		if (s.exists)
			read_owner(&s);
		judge_spool(&s, m);
		if (!s.exists)
			snprintf(s.status, sizeof(s.status),
			    "ok: no spool yet (the daemon makes it at start)");
	}
	put_text(&r, "directory", s.dir);
	put_int(&r, "first_segment", (int64_t)s.first);
	put_int(&r, "last_segment", (int64_t)s.last);
	put_int(&r, "committed_segment", m->has_pos ? m->spool_seg : 1);
	put_int(&r, "committed_offset", m->has_pos ? m->spool_off : 0);
	put_int(&r, "pending_bytes", s.pending);
	put_text(&r, "owner", s.owner[0] ? s.owner : NULL);
	put_text(&r, "status", s.status);
	return emit(o, "spool", 1, &r, 1) == -1 ? -1 : s.bad;
}

/* ---- retention ---- */

/* The cutoffs of the daemon's next round (pipeline_retention_of) from
 * the configuration read, and the key and days behind each. */
static void
cutoffs(const struct config *cfg, int64_t now, struct store_retention *r,
    const char *key[STORE_PRUNE_KINDS], int days[STORE_PRUNE_KINDS])
{
	days[STORE_PRUNE_PAYLOADS] = cfg->database.raw_retention_days;
	key[STORE_PRUNE_PAYLOADS] = "database.raw_retention_days";
	days[STORE_PRUNE_MESSAGES] = cfg->retention.messages_days;
	key[STORE_PRUNE_MESSAGES] = "retention.messages_days";
	days[STORE_PRUNE_REJECT_PAYLOADS] = cfg->retention.rejects_payload_days;
	key[STORE_PRUNE_REJECT_PAYLOADS] = "retention.rejects_payload_days";
	days[STORE_PRUNE_REJECTS] = cfg->retention.rejects_days;
	key[STORE_PRUNE_REJECTS] = "retention.rejects_days";
	days[STORE_PRUNE_POSITIONS] = cfg->retention.positions_days;
	key[STORE_PRUNE_POSITIONS] = "retention.positions_days";
	days[STORE_PRUNE_POSITIONS_THIN] = cfg->retention.positions_full_days;
	key[STORE_PRUNE_POSITIONS_THIN] = "retention.positions_full_days";
	days[STORE_PRUNE_VEHICLE_EVENTS] = cfg->retention.vehicle_events_days;
	key[STORE_PRUNE_VEHICLE_EVENTS] = "retention.vehicle_events_days";
	days[STORE_PRUNE_WEIGHINGS_HISTORY] =
	    cfg->retention.weighings_history_days;
	key[STORE_PRUNE_WEIGHINGS_HISTORY] = "retention.weighings_history_days";
	days[STORE_PRUNE_FACILITY_STATUS] = cfg->retention.facility_status_days;
	key[STORE_PRUNE_FACILITY_STATUS] = "retention.facility_status_days";
	memset(r, 0, sizeof(*r));
	pipeline_retention_of(cfg, now, r);
}

static int
check_retention(struct ctl_out *o, struct store_query *q,
    const struct config *cfg)
{
	struct store_retention r;
	const char *key[STORE_PRUNE_KINDS];
	int days[STORE_PRUNE_KINDS], k;
	int64_t due[STORE_PRUNE_KINDS];
	struct rec rows[STORE_PRUNE_KINDS];

	cutoffs(cfg, clock_ms(), &r, key, days);
	if (store_query_prune_due(q, &r, due) == -1)
		return -1;
	for (k = 0; k < STORE_PRUNE_KINDS; k++) {
		rows[k].n = 0;
		put_text(&rows[k], "kind", store_prune_names[k]);
		put_text(&rows[k], "setting", key[k]);
		put_int(&rows[k], "days", days[k]);
		put_int(&rows[k], "cutoff_ms", r.cutoff[k]);
		put_int(&rows[k], "due", due[k]);
		if (r.cutoff[k] <= 0)
			rows[k].v[3].type = STORE_V_NULL;
	}
	return emit(o, "retention", 0, rows, STORE_PRUNE_KINDS);
}

static int
run(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv)
{
	enum ctl_fmt fmt = ctl_default_fmt();
	struct store_query *q = NULL;
	struct ctl_out *o;
	struct meta m;
	int ch, r, quick = 0, bad = 0, rc = 0;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((r = ctl_common_opt(c, ch, optarg, &fmt)) == -1)
			return EXIT_USAGE;
		if (r == 1)
			continue;
		if (ch != 'q')
			return ctl_usage_error(c, "unknown option");
		quick = 1;
	}
	if (optind != argc)
		return ctl_usage_error(c, "unexpected \"%s\"", argv[optind]);
	if (ctl_open(cfg, &q) == -1)
		return EXIT_FAIL;
	memset(&m, 0, sizeof(m));
	if ((o = ctl_out_new(stdout, fmt, 1, cfg->time.local_offset_min)) ==
		NULL ||
	    store_query_run(q, STORE_Q_META, NULL, meta_row, &m) == -1)
		rc = -1;
	if (rc == 0 && (r = check_schema(o, &m)) >= 0)
		bad |= r;
	else
		rc = -1;
	if (rc == 0 && (r = check_integrity(o, q, quick)) >= 0)
		bad |= r;
	else
		rc = -1;
	if (rc == 0 && (r = check_spool(o, cfg, &m)) >= 0)
		bad |= r;
	else
		rc = -1;
	if (rc == 0 && check_retention(o, q, cfg) == -1)
		rc = -1;
	store_query_close(q);
	if (o == NULL)
		return EXIT_FAIL;
	return ctl_finish(o, rc == -1 || bad ? EXIT_FAIL : EXIT_OK);
}
