/*
 * cmd_report: `wastetrackctl report` — tonnage by class and the daily
 * indicators per district and city-wide, for a day, a range of days or a
 * month (with the month's totals). The figures are the daily views'
 * (docs/indicators.md), summed by STORE_Q_REPORT.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int run(const struct ctl_cmd *, const struct config *, int, char **);

const struct ctl_cmd ctl_cmd_report = { "report",
	"--day D | --from D --to D | --month YYYY-MM [--format FMT]",
	"tonnage and the daily indicators per district and city-wide",
	"One row per local day and district (days in time.local_offset,\n"
	"YYYY-MM-DD), then the city-wide row 全市 of the day; --month adds\n"
	"the month's totals (day YYYY-MM). Tonnage is complete inbound\n"
	"weighed tonnes by class (msw_kg, cw_kg, hw_kg, mw_kg, other_kg),\n"
	"transfer stations left out (their waste is weighed again where it\n"
	"ends); the rates are those of docs/indicators.md, computed from the\n"
	"totals of the row (never an average of rates). Rates are fractions\n"
	"in CSV and JSON, percentages in a table.\n"
	"\n"
	"  --day D            one day\n"
	"  --from D --to D    the days from D to D, both included\n"
	"  --month YYYY-MM    every day of the month, and its totals\n"
	"  --format FMT       table, csv or json\n",
	run };

static const struct option options[] = {
	{ "day", required_argument, NULL, 'd' },
	{ "from", required_argument, NULL, 'F' },
	{ "to", required_argument, NULL, 'T' },
	{ "month", required_argument, NULL, 'm' },
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

struct period {
	char from[11], to[11], label[8]; /* label: a month's, or "" */
};

static int
parse_month(const char *s, struct period *p)
{
	char first[16];

	if (strlen(s) != 7)
		return -1;
	memcpy(first, s, 7);
	memcpy(first + 7, "-01", 4);
	if (ctl_parse_day(first) == -1)
		return -1;
	/* Days compare as text: -31 bounds every month. */
	memcpy(p->from, first, 11);
	memcpy(p->to, first, 11);
	memcpy(p->to + 8, "31", 2);
	memcpy(p->label, s, 8);
	return 0;
}

static int
parse_period(const struct ctl_cmd *c, int argc, char **argv, struct period *p,
    enum ctl_fmt *fmt)
{
	const char *day = NULL, *from = NULL, *to = NULL, *month = NULL;
	int ch, r;

	memset(p, 0, sizeof(*p));
	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((r = ctl_common_opt(c, ch, optarg, fmt)) != 0) {
			if (r == -1)
				return -1;
			continue;
		}
		if (ch == 'd')
			day = optarg;
		else if (ch == 'F')
			from = optarg;
		else if (ch == 'T')
			to = optarg;
		else if (ch == 'm')
			month = optarg;
		else
			return ctl_usage_error(c, "unknown option"), -1;
	}
	if (optind != argc)
		return ctl_usage_error(c, "unexpected \"%s\"", argv[optind]),
		       -1;
	if ((day != NULL) + (month != NULL) + (from != NULL || to != NULL) != 1)
		return ctl_usage_error(c,
			   "give one of --day, --from and --to, "
			   "--month"),
		       -1;
	if (month != NULL) {
		if (parse_month(month, p) == -1)
			return ctl_usage_error(c, "--month %s: not YYYY-MM",
				   month),
			       -1;
		return 0;
	}
	if (day != NULL)
		from = to = day;
	if (from == NULL || to == NULL)
		return ctl_usage_error(c, "--from and --to go together"), -1;
	if (ctl_parse_day(from) == -1 || ctl_parse_day(to) == -1)
		return ctl_usage_error(c, "%s: not a day YYYY-MM-DD",
			   ctl_parse_day(from) == -1 ? from : to),
		       -1;
	if (strcmp(from, to) > 0)
		return ctl_usage_error(c, "--from %s is after --to %s", from,
			   to),
		       -1;
	snprintf(p->from, sizeof(p->from), "%s", from);
	snprintf(p->to, sizeof(p->to), "%s", to);
	return 0;
}

static int
run(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv)
{
	enum ctl_fmt fmt = ctl_default_fmt();
	struct store_q_args a = { { NULL }, { 0 } };
	struct store_query *q = NULL;
	struct ctl_out *o;
	struct period p;
	int rc;

	if (parse_period(c, argc, argv, &p, &fmt) == -1)
		return EXIT_USAGE;
	if (ctl_open(cfg, &q) == -1)
		return EXIT_FAIL;
	a.text[0] = p.from;
	a.text[1] = p.to;
	a.text[2] = p.label[0] ? p.label : NULL;
	if ((o = ctl_out_new(stdout, fmt, 0, cfg->time.local_offset_min)) ==
	    NULL) {
		store_query_close(q);
		return EXIT_FAIL;
	}
	rc = ctl_section(o, q, NULL, 0, STORE_Q_REPORT, &a, NULL) == -1
	    ? EXIT_FAIL
	    : EXIT_OK;
	store_query_close(q);
	return ctl_finish(o, rc);
}
