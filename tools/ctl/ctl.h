/*
 * ctl: what wastetrackctl's command files share (wastetrackctl.c): exit
 * statuses, the command table's entry, opening the database read-only,
 * options common to the commands, days and times.
 */
#ifndef WT_CTL_H
#define WT_CTL_H

#include <stdint.h>

#include "config.h"
#include "ctl_out.h"
#include "store.h"

/* Exit statuses (sysexits.h), documented in wastetrackctl(1). */
#define EXIT_OK		 0
#define EXIT_FAIL	 1  /* the command failed, or check found a problem */
#define EXIT_USAGE	 64 /* EX_USAGE */
#define EXIT_NOINPUT	 66 /* EX_NOINPUT: no such manifest or vehicle */
#define EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE: the daemon does not answer */
/* 75 (EX_TEMPFAIL): the daemon stopped in the middle of a replay
 * (ctl_replay.c). */
#define EXIT_CONFIG 78 /* EX_CONFIG */

struct ctl_cmd {
	const char *name;
	const char *args; /* synopsis after the name */
	const char *summary;
	const char *help; /* the rest of COMMAND --help; NULL: its own */
	int (*run)(const struct ctl_cmd *c, const struct config *cfg, int argc,
	    char **argv);
};

extern const struct ctl_cmd ctl_cmd_status, ctl_cmd_report, ctl_cmd_manifest,
    ctl_cmd_vehicle, ctl_cmd_rejects, ctl_cmd_check;

/* A command's usage error: the message and its synopsis on stderr. */
int ctl_usage_error(const struct ctl_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The options every tabular command takes: 1 when argv[optind - 1]'s
 * option ch was one of them (and handled), 0 when not, -1 on a bad
 * value. --format FMT. */
int ctl_common_opt(const struct ctl_cmd *c, int ch, const char *arg,
    enum ctl_fmt *fmt);
/* The default format: a table on a terminal, CSV elsewhere. */
enum ctl_fmt ctl_default_fmt(void);

/* The store named for people: the SQLite file or the PostgreSQL URI. */
const char *ctl_db_name(const struct config *cfg);
/* Open the configured database read-only: 0, or -1 with the reason on
 * stderr. */
int ctl_open(const struct config *cfg, struct store_query **q);

/* Query id into a section of o: 0 and *rows (may be NULL), or -1. */
int ctl_section(struct ctl_out *o, struct store_query *q, const char *name,
    int record, enum store_q id, const struct store_q_args *a, size_t *rows);
/* Finish o and report a failed write (a closed pipe, a full disk). */
int ctl_finish(struct ctl_out *o, int rc);

/* "YYYY-MM-DD", a real date: 0, else -1. */
int ctl_parse_day(const char *s);
/* Local midnight of day in UTC ms. */
int64_t ctl_day_start_ms(const char *day, int offset_min);
/* Today's local day. */
void ctl_today(const struct config *cfg, char day[11]);
/* A time for --since: "YYYY-MM-DD" (local midnight), RFC 3339, or a
 * duration back from now ("90m", "36h", "7d"). */
int ctl_parse_since(const char *s, const struct config *cfg, int64_t *ms);

#endif
