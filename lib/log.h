/*
 * log: one line per event on stderr, with sd-daemon "<N>" priority prefixes
 * so journald keeps the severity, and a UTC timestamp after the prefix
 * unless stderr is the journal ($JOURNAL_STREAM), which stamps lines
 * itself. Modelled on OpenSMTPD's log.c.
 *
 * Every message should start with a subsystem tag ("mqtt: ", "store: ", ...).
 * log_warn() appends strerror(errno); the *x variants do not. errno is
 * preserved by every call. Thread-safe: each line is one write(2).
 */
#ifndef WT_LOG_H
#define WT_LOG_H

#include <stdarg.h>

#include "attr.h"

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7
};

/* verbosity: 0 = notice and above, 1 = info, 2 = debug. */
void log_init(int verbosity);
int log_verbosity(void);
/* For a command-line tool: "name: message" lines, for a person. */
void log_init_tool(const char *name, int verbosity);

void log_warn(const char *fmt, ...) WT_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) WT_PRINTF(1, 2);
void log_notice(const char *fmt, ...) WT_PRINTF(1, 2);
void log_info(const char *fmt, ...) WT_PRINTF(1, 2);
void log_debug(const char *fmt, ...) WT_PRINTF(1, 2);
/* Each line of text (e.g. configuration errors) at error priority. */
void log_errors(const char *text);

#endif
