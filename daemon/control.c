/* control: see control.h. */
#include "control.h"

#include "clock.h"
#include "ctlmsg.h"
#include "log.h"
#include "pipeline.h"
#include "replay.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A slice of replay, then the rest of the loop (ingestion first) gets
 * the gap: replay takes at most two thirds of an otherwise idle loop. */
#define STEP_US	    20000
#define STEP_GAP_US 10000
/* Progress lines at most this often. */
#define PROGRESS_US 250000

struct control {
	struct event_base *base;
	struct pipeline *pipe;
	struct evconnlistener *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct bufferevent *client; /* NULL: none */
	struct replay *job;	    /* NULL: none running */
	struct event *step_ev;
	int64_t last_progress_us;
};

static void
client_close(struct control *c)
{
	if (c->job != NULL) {
		log_notice("control: replay stopped by the client after "
			   "%s %lld",
		    replay_request(c->job)->accepted ? "message" : "reject",
		    (long long)replay_stats(c->job)->last_id);
		replay_free(c->job);
		c->job = NULL;
	}
	if (c->client != NULL)
		bufferevent_free(c->client);
	c->client = NULL;
}

static void
say(struct control *c, const char *line)
{
	if (c->client != NULL)
		bufferevent_write(c->client, line, strlen(line));
}

/* Close once what was said has been sent. */
static void
drained_cb(struct bufferevent *bev, void *arg)
{
	struct control *c = arg;

	(void)bev;
	if (c->job == NULL)
		client_close(c);
}

static void
job_end(struct control *c, const char *line)
{
	say(c, line);
	replay_free(c->job);
	c->job = NULL;
	if (c->client != NULL)
		bufferevent_setcb(c->client, NULL, drained_cb, NULL, c);
	if (c->client != NULL &&
	    evbuffer_get_length(bufferevent_get_output(c->client)) == 0)
		client_close(c);
}

static void
log_done(const struct replay_stats *st, int dry, int accepted)
{
	if (accepted)
		log_notice(
		    "control: replay of accepted messages %s: %llu "
		    "selected, %llu re-derived, %llu unchanged, %llu "
		    "refused now, %llu conflicts, %llu not re-derivable, "
		    "%llu pruned",
		    dry ? "dry run done" : "done",
		    (unsigned long long)st->selected,
		    (unsigned long long)st->rederived,
		    (unsigned long long)st->unchanged,
		    (unsigned long long)st->rejected,
		    (unsigned long long)st->conflict,
		    (unsigned long long)st->not_rederivable,
		    (unsigned long long)st->pruned);
	else
		log_notice("control: replay %s: %llu selected, %llu stored, "
			   "%llu duplicate, %llu rejected again, %llu pruned",
		    dry ? "dry run done" : "done",
		    (unsigned long long)st->selected,
		    (unsigned long long)st->stored,
		    (unsigned long long)st->duplicate,
		    (unsigned long long)st->rejected,
		    (unsigned long long)st->pruned);
}

static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct timeval gap = { 0, STEP_GAP_US };
	const struct replay_stats *st;
	char line[CTLMSG_MAX];
	int rc, dry, acc;

	(void)fd;
	(void)what;
	if (c->job == NULL)
		return;
	dry = replay_request(c->job)->dry_run;
	acc = replay_request(c->job)->accepted;
	/* While the database refuses writes, ingestion's retries come first. */
	if (pipeline_writes_failing(c->pipe)) {
		evtimer_add(c->step_ev, &gap);
		return;
	}
	rc = replay_step(c->job, clock_ms(), STEP_US);
	st = replay_stats(c->job);
	if (rc != -1 && !dry)
		pipeline_replayed(c->pipe);
	if (rc == -1) {
		if (ctlmsg_error_line("the database failed; what was "
				      "committed stays, run the replay again",
			line, sizeof(line)) == 0)
			job_end(c, line);
		return;
	}
	if (rc == 0) {
		log_done(st, dry, acc);
		if (ctlmsg_stats_line("done", st, acc, dry, line,
			sizeof(line)) == 0)
			job_end(c, line);
		return;
	}
	if (clock_mono_us() - c->last_progress_us >= PROGRESS_US &&
	    ctlmsg_stats_line("progress", st, acc, dry, line, sizeof(line)) ==
		0) {
		say(c, line);
		c->last_progress_us = clock_mono_us();
	}
	evtimer_add(c->step_ev, &gap);
}

static void
refuse(struct control *c, const char *why)
{
	char line[CTLMSG_MAX];

	log_notice("control: request refused: %s", why);
	if (ctlmsg_error_line(why, line, sizeof(line)) == 0)
		say(c, line);
	bufferevent_setcb(c->client, NULL, drained_cb, NULL, c);
}

static void
start_job(struct control *c, const char *line, size_t len)
{
	struct replay_req req;
	struct timeval now = { 0, 0 };
	char err[160];

	if (ctlmsg_parse_replay(line, len, &req, err, sizeof(err)) == -1) {
		refuse(c, err);
		return;
	}
	if (pipeline_replay_new(c->pipe, &req, &c->job) == -1) {
		refuse(c, "out of memory");
		return;
	}
	if (req.accepted)
		log_notice(
		    "control: replay%s of accepted messages (profile %s, "
		    "topic %s, received since %lld ms, before %lld ms)",
		    req.dry_run ? " (dry run)" : "",
		    req.profile[0] ? req.profile : "any",
		    req.topic[0] ? req.topic : "any", (long long)req.since_ms,
		    (long long)req.until_ms);
	else
		log_notice("control: replay%s of rejects (reason %s, topic %s, "
			   "received since %lld ms, before %lld ms)",
		    req.dry_run ? " (dry run)" : "",
		    req.reason[0] ? req.reason : "any",
		    req.topic[0] ? req.topic : "any", (long long)req.since_ms,
		    (long long)req.until_ms);
	c->last_progress_us = clock_mono_us();
	evtimer_add(c->step_ev, &now);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct control *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	if (c->job != NULL)
		return; /* one request per connection; the rest is ignored */
	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) >= CTLMSG_MAX)
			refuse(c, "request line too long");
		return;
	}
	start_job(c, line, len);
	free(line);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_close(c);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	static const char busy[] = "{\"event\":\"error\",\"message\":"
				   "\"another request is being served\"}\n";
	struct control *c = arg;
	ssize_t n;

	(void)l;
	(void)sa;
	(void)salen;
	if (c->client != NULL) {
		/* Best effort: the socket is new and its buffer empty. */
		n = write(fd, busy, sizeof(busy) - 1);
		(void)n;
		evutil_closesocket(fd);
		return;
	}
	c->client = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->client == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(c->client, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->client, EV_READ | EV_WRITE);
}

/* A socket file left by a daemon that died; anything else is refused. */
static int
remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	return unlink(path);
}

static int
listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (remove_stale(path) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1)
		return -1;
	/* 0660: root and the service's group, as the database. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 4) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
control_start(struct event_base *base, const char *path, struct pipeline *p,
    struct control **out)
{
	struct control *c;
	int fd;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->base = base;
	c->pipe = p;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((fd = listen_on(path)) == -1) {
		log_warn("control: cannot listen on %s", path);
		free(c);
		return -1;
	}
	c->listener = evconnlistener_new(base, accept_cb, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	c->step_ev = evtimer_new(base, step_cb, c);
	if (c->listener == NULL || c->step_ev == NULL) {
		if (c->listener == NULL)
			close(fd);
		control_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	client_close(c);
	if (c->step_ev != NULL)
		event_free(c->step_ev);
	if (c->listener != NULL) {
		evconnlistener_free(c->listener);
		unlink(c->path);
	}
	free(c);
}
