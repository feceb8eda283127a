/*
 * cmd_rejects: `wastetrackctl rejects [--reason R] [--since T]` — what
 * was rejected over a period, counted by reason, by topic and by profile,
 * with the newest samples of each reason and their detail
 * (docs/rejects.md).
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(const struct ctl_cmd *, const struct config *, int, char **);

const struct ctl_cmd ctl_cmd_rejects = { "rejects",
	"[--reason R] [--since T] [--samples N] [--format FMT]",
	"rejected messages by reason, topic and profile, with samples",
	"Sections: reasons (count, first and last received, how many a\n"
	"replay turned into rows and how many it rejected again), topics and\n"
	"profiles (count per reason), samples (the newest N of each reason:\n"
	"time, topic, profile, the detail, the payload's size and its first\n"
	"160 characters while retention keeps it, the last replay's outcome).\n"
	"Reason codes are those of docs/rejects.md (missing_field,\n"
	"bad_json...).\n"
	"\n"
	"  --reason R     only this reason\n"
	"  --since T      received at or after T: a local day YYYY-MM-DD, a\n"
	"                 time (RFC 3339; without a zone, local), or a\n"
	"                 duration back from now: 90m, 36h, 7d (default:\n"
	"                 every reject the database keeps)\n"
	"  --samples N    samples per reason, 0 to 1000 (default 3)\n"
	"  --format FMT   table, csv or json\n",
	run };

static const struct option options[] = {
	{ "reason", required_argument, NULL, 'r' },
	{ "since", required_argument, NULL, 's' },
	{ "samples", required_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static int
parse(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv,
    struct store_q_args *a, enum ctl_fmt *fmt)
{
	char *end;
	long n;
	int ch, r;

	a->num[1] = 3;
	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((r = ctl_common_opt(c, ch, optarg, fmt)) == -1)
			return -1;
		if (r == 1)
			continue;
		if (ch == 'r')
			a->text[0] = optarg;
		else if (ch == 's') {
			if (ctl_parse_since(optarg, cfg, &a->num[0]) == -1)
				return ctl_usage_error(c,
					   "--since %s: not a day, a time "
					   "or a duration (7d)",
					   optarg),
				       -1;
		} else if (ch == 'n') {
			n = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || n < 0 || n > 1000)
				return ctl_usage_error(c,
					   "--samples %s: not 0 to 1000",
					   optarg),
				       -1;
			a->num[1] = n;
		} else
			return ctl_usage_error(c, "unknown option"), -1;
	}
	if (optind != argc)
		return ctl_usage_error(c, "unexpected \"%s\"", argv[optind]),
		       -1;
	return 0;
}

static int
run(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv)
{
	static const struct {
		const char *name;
		enum store_q id;
	} sec[] = { { "reasons", STORE_Q_REJECT_REASONS },
		{ "topics", STORE_Q_REJECT_TOPICS },
		{ "profiles", STORE_Q_REJECT_PROFILES },
		{ "samples", STORE_Q_REJECT_SAMPLES } };
	enum ctl_fmt fmt = ctl_default_fmt();
	struct store_q_args a = { { NULL }, { 0 } };
	struct store_query *q = NULL;
	struct ctl_out *o;
	size_t i;
	int rc = EXIT_OK;

	if (parse(c, cfg, argc, argv, &a, &fmt) == -1)
		return EXIT_USAGE;
	if (ctl_open(cfg, &q) == -1)
		return EXIT_FAIL;
	if ((o = ctl_out_new(stdout, fmt, 1, cfg->time.local_offset_min)) ==
	    NULL) {
		store_query_close(q);
		return EXIT_FAIL;
	}
	for (i = 0; rc == EXIT_OK && i < sizeof(sec) / sizeof(sec[0]); i++)
		if (ctl_section(o, q, sec[i].name, 0, sec[i].id, &a, NULL) ==
		    -1)
			rc = EXIT_FAIL;
	store_query_close(q);
	return ctl_finish(o, rc);
}
