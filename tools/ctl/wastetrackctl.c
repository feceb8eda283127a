/*
 * wastetrackctl: the operator's command line, on the same lib/ as the
 * daemon. It reads the configuration the daemon reads (-c) to find the
 * database, and never takes the daemon's lock: every command works while
 * the daemon runs.
 *
 * One table of commands; each takes its own arguments after the name.
 */
#include "config.h"
#include "ctl_replay.h"
#include "log.h"
#include "store.h"
#include "wt_version.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit statuses, as the daemon's (sysexits.h). */
#define EXIT_FAIL   1
#define EXIT_USAGE  64
#define EXIT_CONFIG 78

struct cmd {
	const char *name, *args, *help;
	int (*run)(const struct config *cfg, int argc, char **argv);
};

static int cmd_backup(const struct config *, int, char **);

static const struct cmd cmds[] = {
	{ "backup", "DEST",
	    "copy the database consistently to DEST while the daemon runs",
	    cmd_backup },
	{ "replay", CTL_REPLAY_ARGS, CTL_REPLAY_HELP, ctl_replay },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: wastetrackctl [-c FILE] COMMAND [ARGS]\n"
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
		fprintf(fp, "  %-8s %-10s %s\n", cmds[i].name, cmds[i].args,
		    cmds[i].help);
	fputs("\nExit status: 0 success; 1 failure; 64 usage error; "
	      "78 configuration error.\nSee wastetrackctl(8).\n",
	    fp);
}

/* "COMMAND --help" or "-h": 1 after printing the command's usage. */
static int
cmd_help(const struct cmd *c, int argc, char **argv)
{
	if (argc != 2 ||
	    (strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0))
		return 0;
	printf("usage: wastetrackctl [-c FILE] %s %s\n  %s\n", c->name, c->args,
	    c->help);
	return 1;
}

/* ---- backup ---- */

static int
cmd_backup(const struct config *cfg, int argc, char **argv)
{
	struct store_backup_info info;

	if (argc != 2) {
		fprintf(stderr, "usage: wastetrackctl backup DEST\n");
		return EXIT_USAGE;
	}
	if (store_backup(cfg->database.path, argv[1], &info) == -1)
		return EXIT_FAIL;
	printf("backup of %s written to %s\n"
	       "schema version %d, database id %s, %" PRId64 " bytes;\n"
	       "restored, it resumes from spool segment %" PRIu64
	       " offset %" PRIu64 "\n",
	    cfg->database.path, argv[1], info.schema_version, info.db_id,
	    info.size_bytes, info.spool.seg, info.spool.off);
	return 0;
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
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; argc > 0 && i < NCMDS; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (argc == 0 || i == NCMDS) {
		if (argc > 0)
			fprintf(stderr,
			    "wastetrackctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_help(&cmds[i], argc, argv))
		return 0;
	if (load(path, explicit, &cfg) == -1)
		return EXIT_CONFIG;
	rc = cmds[i].run(cfg, argc, argv);
	config_free(cfg);
	return rc;
}
