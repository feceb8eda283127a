/* log: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int verbose;

void
log_init(int verbosity)
{
	verbose = verbosity;
}

int
log_verbosity(void)
{
	return verbose;
}

/*
 * Format the whole line first and write it with one write(2): the paho
 * thread and the loop thread both log, and lines must not interleave.
 */
static void
vlog(int prio, int with_errno, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;
	int n, m;

	n = snprintf(line, sizeof(line), "<%d>", prio);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(line) - 64)
		n = (int)sizeof(line) - 64;
	if (with_errno)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(saved));
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
	errno = saved;
}

#define LOG_FN(name, prio, with_errno, min_verbose)                            \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		if (verbose < (min_verbose))                                   \
			return;                                                \
		va_start(ap, fmt);                                             \
		vlog(prio, with_errno, fmt, ap);                               \
		va_end(ap);                                                    \
	}

LOG_FN(log_warn, LOG_LVL_WARNING, 1, 0)
LOG_FN(log_warnx, LOG_LVL_WARNING, 0, 0)
LOG_FN(log_notice, LOG_LVL_NOTICE, 0, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0, 1)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0, 2)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
