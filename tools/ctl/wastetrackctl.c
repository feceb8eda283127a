/*
 * wastetrackctl: the operator's command line, on the same lib/ as the
 * daemon. It reads the configuration the daemon reads (-c) to find the
 * database, opens it read-only and never takes the daemon's lock: every
 * command works while the daemon runs, and only the daemon writes.
 *
 * One table of commands, each in a file by role (cmd_*.c); each takes its
 * own options after its name, and --help.
 */
#include "ctl.h"

#include "ctl_replay.h"
#include "log.h"
#include "norm.h"
#include "clock.h"
#include "wt_version.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_backup(const struct ctl_cmd *, const struct config *, int,
    char **);

static const struct ctl_cmd ctl_cmd_backup = { "backup", "DEST",
	"copy the database consistently to DEST while the daemon runs",
	"DEST must not exist. The copy is one committed state, checked and\n"
	"on disk before it appears under its name; restored, the daemon\n"
	"resumes from the spool position committed in it.\n",
	cmd_backup };

/* replay is the daemon's work: the command is its control socket's
 * client (ctl_replay.c, docs/replay.md), with its own --help. */
static int
run_replay(const struct ctl_cmd *c, const struct config *cfg, int argc,
    char **argv)
{
	(void)c;
	return ctl_replay(cfg, argc, argv);
}

static const struct ctl_cmd ctl_cmd_replay = { "replay", CTL_REPLAY_ARGS,
	CTL_REPLAY_HELP, NULL, run_replay };

static const struct ctl_cmd *const cmds[] = { &ctl_cmd_status, &ctl_cmd_report,
	&ctl_cmd_manifest, &ctl_cmd_vehicle, &ctl_cmd_rejects, &ctl_cmd_replay,
	&ctl_cmd_check, &ctl_cmd_backup };
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char exit_text[] =
    "Exit status: 0 success; 1 failure (check: a problem found); 64 usage\n"
    "error; 66 no such manifest or vehicle; 69 the daemon does not answer\n"
    "(status, replay); 75 the daemon stopped in the middle (replay); 78\n"
    "configuration error.\n";

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: wastetrackctl [-c FILE] COMMAND [OPTIONS]\n"
	    "       wastetrackctl -h | -V\n"
	    "\n"
	    "  -c, --config FILE   the daemon's configuration (default "
	    "%s)\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n"
	    "\n"
	    "Commands (COMMAND --help describes one):\n",
	    WT_DEFAULT_CONFIG);
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-9s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(fp,
	    "\nTabular output: --format table|csv|json (default: a table on a "
	    "terminal,\nCSV otherwise).\n%sSee wastetrackctl(1).\n",
	    exit_text);
}

/* "COMMAND --help" or "-h" anywhere among its options: 1 after printing
 * the command's help. */
static int
cmd_help(const struct ctl_cmd *c, int argc, char **argv)
{
	int i;

	if (c->help == NULL) /* the command's own */
		return 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf("usage: wastetrackctl [-c FILE] %s %s\n\n%s.\n\n"
			       "%s\n%s",
			    c->name, c->args, c->summary, c->help, exit_text);
			return 1;
		}
	}
	return 0;
}

int
ctl_usage_error(const struct ctl_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wastetrackctl %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
	    "\nusage: wastetrackctl [-c FILE] %s %s\n"
	    "(wastetrackctl %s --help says more)\n",
	    c->name, c->args, c->name);
	return EXIT_USAGE;
}

enum ctl_fmt
ctl_default_fmt(void)
{
	return isatty(STDOUT_FILENO) ? CTL_FMT_TABLE : CTL_FMT_CSV;
}

int
ctl_common_opt(const struct ctl_cmd *c, int ch, const char *arg,
    enum ctl_fmt *fmt)
{
	if (ch != 'f')
		return 0;
	if (ctl_fmt_parse(arg, fmt) == -1) {
		ctl_usage_error(c, "--format %s: not table, csv or json", arg);
		return -1;
	}
	return 1;
}

const char *
ctl_db_name(const struct config *cfg)
{
	return cfg->database.backend == CFG_DB_SQLITE ? cfg->database.path
						      : cfg->database.url;
}

int
ctl_open(const struct config *cfg, struct store_query **q)
{
	struct store_where w;

	/* A file that is not there would be created empty: say so instead.
	 * A server says itself what is wrong when it is asked. */
	if (cfg->database.backend == CFG_DB_SQLITE &&
	    access(cfg->database.path, F_OK) == -1) {
		fprintf(stderr,
		    "wastetrackctl: %s: no database there "
		    "(database.path)\n",
		    cfg->database.path);
		return -1;
	}
	config_store_where(cfg, &w);
	if (store_query_open_at(&w, q) == -1) {
		if (cfg->database.backend != CFG_DB_SQLITE)
			fprintf(stderr,
			    "wastetrackctl: cannot open the %s store "
			    "(database.url; the reason is logged above)\n",
			    w.backend);
		return -1;
	}
	return 0;
}

struct counted {
	struct ctl_out *o;
	size_t rows;
};

static int
counted_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct counted *c = arg;

	if (v != NULL)
		c->rows++;
	return ctl_out_row(c->o, n, names, v);
}

int
ctl_section(struct ctl_out *o, struct store_query *q, const char *name,
    int record, enum store_q id, const struct store_q_args *a, size_t *rows)
{
	struct counted c = { o, 0 };

	if (ctl_out_begin(o, name, record) == -1 ||
	    store_query_run(q, id, a, counted_row, &c) == -1 ||
	    ctl_out_end(o) == -1)
		return -1;
	if (rows != NULL)
		*rows = c.rows;
	return 0;
}

int
ctl_finish(struct ctl_out *o, int rc)
{
	if (ctl_out_close(o) == -1) {
		fprintf(stderr, "wastetrackctl: writing the output failed\n");
		return EXIT_FAIL;
	}
	return rc;
}

int
ctl_parse_day(const char *s)
{
	int64_t ms;
	uint32_t dq = 0;
	char t[32], back[11];
	int i;

	if (strlen(s) != 10)
		return -1;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return -1;
	snprintf(t, sizeof(t), "%sT12:00:00Z", s);
	if (norm_time(t, 0, &ms, &dq) == -1)
		return -1;
	norm_local_day(ms, 0, back);
	return strcmp(back, s) == 0 ? 0 : -1;
}

int64_t
ctl_day_start_ms(const char *day, int offset_min)
{
	char t[32];
	int64_t ms = 0;
	uint32_t dq = 0;

	snprintf(t, sizeof(t), "%sT00:00:00Z", day);
	if (norm_time(t, 0, &ms, &dq) == -1)
		return 0;
	return ms - (int64_t)offset_min * 60000;
}

void
ctl_today(const struct config *cfg, char day[11])
{
	norm_local_day(clock_ms(), cfg->time.local_offset_min, day);
}

int
ctl_parse_since(const char *s, const struct config *cfg, int64_t *ms)
{
	char *end;
	long long n;
	uint32_t dq = 0;

	if (ctl_parse_day(s) == 0) {
		*ms = ctl_day_start_ms(s, cfg->time.local_offset_min);
		return 0;
	}
	n = strtoll(s, &end, 10);
	if (end != s && n >= 0 && end[0] != '\0' && end[1] == '\0' &&
	    strchr("mhd", end[0]) != NULL) {
		*ms = clock_ms() -
		    n *
			(end[0] == 'm'		? 60000
				: end[0] == 'h' ? 3600000
						: 86400000);
		return 0;
	}
	/* Digits alone would read as epoch seconds: not meant here. */
	if (strspn(s, "0123456789") == strlen(s))
		return -1;
	return norm_time(s, cfg->time.local_offset_min, ms, &dq);
}

/* ---- backup ---- */

static int
cmd_backup(const struct ctl_cmd *c, const struct config *cfg, int argc,
    char **argv)
{
	struct store_backup_info info;
	struct store_where w;

	if (argc != 2 || argv[1][0] == '-')
		return ctl_usage_error(c, "one DEST expected");
	if (cfg->database.backend != CFG_DB_SQLITE) {
		fprintf(stderr,
		    "wastetrackctl: backup: the %s store is backed up with "
		    "its own tools (pg_dump, or a base backup and WAL "
		    "archiving; docs/cluster.md), not by wastetrackctl\n",
		    config_backend_name(cfg));
		return EXIT_FAIL;
	}
	config_store_where(cfg, &w);
	if (store_backup_at(&w, argv[1], &info) == -1)
		return EXIT_FAIL;
	printf("backup of %s written to %s\n"
	       "schema version %d, database id %s, %" PRId64 " bytes;\n"
	       "restored, it resumes from spool segment %" PRIu64
	       " offset %" PRIu64 "\n",
	    cfg->database.path, argv[1], info.schema_version, info.db_id,
	    info.size_bytes, info.spool.seg, info.spool.off);
	return EXIT_OK;
}

/* ---- main ---- */

static int
load(const char *path, int explicit, struct config **cfg)
{
	char *errors = NULL;
	int defaulted;

	if ((explicit ? config_load(path, cfg, &errors)
		      : config_load_default(path, cfg, &errors, &defaulted)) ==
	    -1) {
		fputs(errors ? errors : "configuration error\n", stderr);
		free(errors);
		return -1;
	}
	return 0;
}

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char *argv[])
{
	const char *path = WT_DEFAULT_CONFIG;
	struct config *cfg = NULL;
	int ch, explicit = 0, rc;
	size_t i;

	log_init_tool("wastetrackctl", 0);
	/* "+": options end at the command; the rest is the command's. */
	while (
	    (ch = getopt_long(argc, argv, "+c:Vh", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			explicit = 1;
			break;
		case 'V':
			printf("wastetrackctl %s\n", WT_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; argc > 0 && i < NCMDS; i++)
		if (strcmp(argv[0], cmds[i]->name) == 0)
			break;
	if (argc == 0 || i == NCMDS) {
		if (argc > 0)
			fprintf(stderr,
			    "wastetrackctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_help(cmds[i], argc, argv))
		return EXIT_OK;
	if (load(path, explicit, &cfg) == -1)
		return EXIT_CONFIG;
	/* Each command parses its own options from its name on. */
	optind = 0;
	rc = cmds[i]->run(cmds[i], cfg, argc, argv);
	config_free(cfg);
	return rc;
}
