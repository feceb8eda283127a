/*
 * cmd_manifest: `wastetrackctl manifest NO` — the whole life of one
 * manifest: its current row and lines, every update received (applied or
 * not), the tickets linked (method, allocation) or named but not linked,
 * and the verdict with the reason for it in words
 * (docs/reconciliation.md, docs/indicators.md).
 */
#include "api.h"
#include "ctl.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(const struct ctl_cmd *, const struct config *, int, char **);

const struct ctl_cmd ctl_cmd_manifest = { "manifest", "NO [--format FMT]",
	"the whole life of one manifest, and its verdict",
	"Sections: manifest (the current state), lines, versions (every\n"
	"update received, applied = 0 when it was not: late or going\n"
	"backwards), links (the weighbridge tickets linked, the method and the\n"
	"share of the ticket allocated; a ticket the manifest names that no\n"
	"link took has no method), verdict (declared and received mass, the\n"
	"difference, ok | discrepancy | pending | overdue, and why). In CSV\n"
	"each section is a block headed \"# NAME\"; in JSON an object of\n"
	"sections. NO is matched in every scheme.\n"
	"\n"
	"  --format FMT   table, csv or json\n",
	run };

static const struct option options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* What the verdict's reason needs from the rows before it. */
struct verdict_ctx {
	struct ctl_out *o;
	int offset_min;
	char status[32];
};

/* The verdict's row with the reason added as a last column. */
static int
verdict_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct verdict_ctx *x = arg;
	const char *nn[40];
	struct store_value vv[40];
	char reason[256];

	if (n >= 39)
		return -1;
	memcpy(nn, names, sizeof(*nn) * (size_t)n);
	nn[n] = "why";
	if (v == NULL)
		return ctl_out_row(x->o, n + 1, nn, NULL);
	memcpy(vv, v, sizeof(*vv) * (size_t)n);
	api_verdict_why(reason, sizeof(reason), x->status, n, names, v);
	memset(&vv[n], 0, sizeof(vv[n]));
	vv[n].type = STORE_V_TEXT;
	vv[n].s = reason;
	return ctl_out_row(x->o, n + 1, nn, vv);
}

/* Keep the status for the reason, and pass the row on. */
static int
manifest_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct verdict_ctx *x = arg;

	if (v != NULL)
		snprintf(x->status, sizeof(x->status), "%s",
		    store_value_text(v, store_col(n, names, "status")));
	return ctl_out_row(x->o, n, names, v);
}

static int
sections(struct ctl_out *o, struct store_query *q, const struct store_q_args *a,
    struct verdict_ctx *x, int *found)
{
	static const struct {
		const char *name;
		enum store_q id;
	} rest[] = { { "lines", STORE_Q_MANIFEST_LINES },
		{ "versions", STORE_Q_MANIFEST_VERSIONS },
		{ "links", STORE_Q_MANIFEST_LINKS } };
	size_t i, rows = 0;

	x->o = o;
	if (ctl_out_begin(o, "manifest", 1) == -1 ||
	    store_query_run(q, STORE_Q_MANIFEST, a, manifest_row, x) == -1 ||
	    ctl_out_end(o) == -1)
		return -1;
	*found = x->status[0] != '\0';
	for (i = 0; *found && i < sizeof(rest) / sizeof(rest[0]); i++)
		if (ctl_section(o, q, rest[i].name, 0, rest[i].id, a, &rows) ==
		    -1)
			return -1;
	if (*found &&
	    (ctl_out_begin(o, "verdict", 1) == -1 ||
		store_query_run(q, STORE_Q_MANIFEST_VERDICT, a, verdict_row,
		    x) == -1 ||
		ctl_out_end(o) == -1))
		return -1;
	return 0;
}

static int
run(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv)
{
	enum ctl_fmt fmt = ctl_default_fmt();
	struct store_q_args a = { { NULL }, { 0 } };
	struct verdict_ctx x;
	struct store_query *q = NULL;
	struct ctl_out *o;
	int ch, r, rc, found = 0;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1)
		if ((r = ctl_common_opt(c, ch, optarg, &fmt)) != 1)
			return r == -1 ? EXIT_USAGE
				       : ctl_usage_error(c, "unknown option");
	if (argc - optind != 1)
		return ctl_usage_error(c, "one manifest number expected");
	if (ctl_open(cfg, &q) == -1)
		return EXIT_FAIL;
	memset(&x, 0, sizeof(x));
	x.offset_min = cfg->time.local_offset_min;
	a.text[0] = argv[optind];
	if ((o = ctl_out_new(stdout, fmt, 1, x.offset_min)) == NULL) {
		store_query_close(q);
		return EXIT_FAIL;
	}
	rc = sections(o, q, &a, &x, &found) == -1 ? EXIT_FAIL : EXIT_OK;
	store_query_close(q);
	rc = ctl_finish(o, rc);
	if (rc == EXIT_OK && !found) {
		fprintf(stderr,
		    "wastetrackctl manifest: no manifest %s in %s\n",
		    argv[optind], ctl_db_name(cfg));
		return EXIT_NOINPUT;
	}
	return rc;
}
