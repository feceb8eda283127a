/*
 * cmd_vehicle: `wastetrackctl vehicle PLATE [--day D]` — a vehicle's day:
 * its events (loads and unloads) and trips, the weighbridge tickets of
 * its plate, and how many positions it sent and where (first and last
 * time, bounding box).
 */
#include "ctl.h"

#include "norm.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int run(const struct ctl_cmd *, const struct config *, int, char **);

const struct ctl_cmd ctl_cmd_vehicle = { "vehicle",
	"PLATE [--day D] [--format FMT]",
	"a vehicle's day: events, weighings, positions",
	"PLATE is written as the daemon stores plates (吉a·5g217 is\n"
	"吉A5G217), or a vehicle id. Sections: vehicles (every vehicle id\n"
	"the plate was seen under), events (loads, unloads), trips (each\n"
	"unload with the load before it: where from, where to, how much),\n"
	"weighings (tickets of the plate whose first weighing is on the day),\n"
	"positions (per vehicle id: count, first and last time, bounding box\n"
	"lat_min..lat_max, lon_min..lon_max). The day is local, in\n"
	"time.local_offset.\n"
	"\n"
	"  --day D        the local day YYYY-MM-DD (default: today)\n"
	"  --format FMT   table, csv or json\n",
	run };

static const struct option options[] = {
	{ "day", required_argument, NULL, 'd' },
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static int
report(struct ctl_out *o, struct store_query *q, const struct store_q_args *a,
    size_t *known)
{
	static const struct {
		const char *name;
		enum store_q id;
	} rest[] = { { "events", STORE_Q_VEHICLE_EVENTS },
		{ "trips", STORE_Q_VEHICLE_TRIPS },
		{ "weighings", STORE_Q_VEHICLE_WEIGHINGS },
		{ "positions", STORE_Q_VEHICLE_POSITIONS } };
	size_t i;

	if (ctl_section(o, q, "vehicles", 0, STORE_Q_VEHICLES, a, known) == -1)
		return -1;
	for (i = 0; *known > 0 && i < sizeof(rest) / sizeof(rest[0]); i++)
		if (ctl_section(o, q, rest[i].name, 0, rest[i].id, a, NULL) ==
		    -1)
			return -1;
	return 0;
}

static int
run(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv)
{
	enum ctl_fmt fmt = ctl_default_fmt();
	struct store_q_args a = { { NULL }, { 0 } };
	struct store_query *q = NULL;
	struct ctl_out *o;
	char day[11], plate[64];
	const char *d = NULL;
	uint32_t dq = 0;
	size_t known = 0;
	int ch, r, rc;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((r = ctl_common_opt(c, ch, optarg, &fmt)) == -1)
			return EXIT_USAGE;
		if (r == 1)
			continue;
		if (ch != 'd')
			return ctl_usage_error(c, "unknown option");
		d = optarg;
	}
	if (argc - optind != 1)
		return ctl_usage_error(c, "one plate expected");
	if (d != NULL && ctl_parse_day(d) == -1)
		return ctl_usage_error(c, "--day %s: not YYYY-MM-DD", d);
	/* As the daemon stores plates; a vehicle id as it is. */
	if (norm_plate(argv[optind], plate, sizeof(plate), &dq) == -1)
		snprintf(plate, sizeof(plate), "%s", argv[optind]);
	if (d != NULL)
		snprintf(day, sizeof(day), "%s", d);
	else
		ctl_today(cfg, day);
	if (ctl_open(cfg, &q) == -1)
		return EXIT_FAIL;
	a.text[0] = plate;
	a.text[1] = day;
	a.text[3] = argv[optind];
	a.num[0] = ctl_day_start_ms(day, cfg->time.local_offset_min);
	a.num[1] = a.num[0] + 86400000;
	if ((o = ctl_out_new(stdout, fmt, 1, cfg->time.local_offset_min)) ==
	    NULL) {
		store_query_close(q);
		return EXIT_FAIL;
	}
	rc = report(o, q, &a, &known) == -1 ? EXIT_FAIL : EXIT_OK;
	store_query_close(q);
	rc = ctl_finish(o, rc);
	if (rc == EXIT_OK && known == 0) {
		fprintf(stderr, "wastetrackctl vehicle: no vehicle %s in %s\n",
		    plate, ctl_db_name(cfg));
		return EXIT_NOINPUT;
	}
	return rc;
}
