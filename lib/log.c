/* log: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int verbose;
static int stamp = 1;	 /* prefix a UTC timestamp: stderr is not the journal */
static const char *tool; /* a command-line tool's name: plain lines */

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr (systemd.exec(5)). Only when stderr is still that stream does the
 * journal add its own timestamps; a redirect to a file (the demo, a
 * wrapper script) needs ours.
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int verbosity)
{
	verbose = verbosity;
	stamp = !stderr_is_journal();
}

void
log_init_tool(const char *name, int verbosity)
{
	verbose = verbosity;
	tool = name;
	stamp = 0;
}

/* "2026-12-07T15:41:00.123Z ": UTC, as every time in the database. */
static int
timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	return (int)n +
	    snprintf(buf + n, len - n, ".%03ldZ ",
		(long)(ts.tv_nsec / 1000000));
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

	if (tool != NULL)
		n = snprintf(line, sizeof(line), "%s: ", tool);
	else
		n = snprintf(line, sizeof(line), "<%d>", prio);
	if (stamp)
		n += timestamp(line + n, sizeof(line) - (size_t)n);
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

static void WT_PRINTF(2, 3) logp(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, 0, fmt, ap);
	va_end(ap);
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
log_errors(const char *text)
{
	const char *nl;
	int len;

	while (text != NULL && *text != '\0') {
		nl = strchr(text, '\n');
		len = nl != NULL ? (int)(nl - text) : (int)strlen(text);
		if (len > 0)
			logp(LOG_LVL_ERR, "%.*s", len, text);
		text = nl != NULL ? nl + 1 : NULL;
	}
}
