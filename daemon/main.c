/*
 * wastetrackd: start-up order, the loop, signals. Only wiring: every
 * decision about data lives in lib/.
 *
 * Start-up: configuration → database (migrate) → replay the spool tail →
 * HTTP → MQTT → READY. Nothing is acknowledged before the database and
 * the spool are known to work.
 */
#include "checkpoint.h"
#include "city.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "norm.h"
#include "notify.h"
#include "profile.h"
#include "report.h"
#include "spool.h"
#include "store.h"
#include "wt_version.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/wastetrack/wastetrack.yaml"
#define BATCH_MAX 8000			/* messages per transaction */
#define BATCH_BUDGET_MS 50		/* ... or this long, whichever first */
#define COALESCE_MS 5			/* caught up: a commit at most this often */
#define SEGMENT_MAX (64u << 20)		/* spool segment size */
#define STALL_AFTER_S 30
#define PRUNE_EVERY_S 3600
#define DEFER_BACKLOG_BYTES (256u << 10) /* ~1 400 typical messages */

struct wt {
	struct event_base *base;
	struct config *boot_cfg;	/* what MQTT, HTTP and the DB use */
	struct config *cfg;		/* current; SIGHUP replaces it */
	struct profile_set *boot_profiles, *profiles;
	const char *cfg_path;
	struct store *store;
	struct checkpoint *ckpt;
	struct city *city;
	struct ingest *ingest;
	char spool_dir[PATH_MAX];
	struct spool_reader *reader;
	struct mqtt *mqtt;
	struct http *http;
	struct event *sigs[3], *tick, *drain_ev, *retry_ev;
	int64_t start_ms, last_prune_ms, last_reconcile_ms;
	uint64_t reconciled_changes;	/* counter value at the last run */
	uint64_t replay_bytes;		/* committed before MQTT started */
	uint64_t removed_below;		/* spool segments already unlinked */
	int writes_failing;
	int caught_up;			/* the last batch reached the spool end */
	int64_t last_commit_us;		/* monotonic */
	unsigned retry_ms;
	char db_error[160];
	uint64_t watchdog_usec;
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: wastetrackd [-c FILE] [-n] [-v]... [-V] "
	    "[-h]\n");
	exit(1);
}

/* libevent's own messages, with our priorities and a subsystem tag. */
static void
libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_warnx("libevent: %s", msg);
	else if (severity == EVENT_LOG_WARN)
		log_notice("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/* ---- configuration ---- */

/* Configuration and its compiled profiles, or -1 with every error on
 * stderr as FILE:LINE:COL lines. */
static int
load_config(const char *path, int explicit, struct config **cfg,
    struct profile_set **profiles)
{
	char *errors = NULL;

	*cfg = NULL;
	*profiles = NULL;
	if (!explicit && access(path, F_OK) == -1 && errno == ENOENT) {
		log_notice("main: %s not found; running on embedded defaults",
		    path);
		if ((*cfg = config_default()) == NULL)
			goto fail;
	} else if (config_load(path, cfg, &errors) == -1)
		goto fail;
	if (profile_compile(*cfg, profiles, &errors) == -1)
		goto fail;
	return 0;
fail:
	fputs(errors ? errors : "configuration error\n", stderr);
	free(errors);
	config_free(*cfg);
	*cfg = NULL;
	return -1;
}

/* ---- draining the spool into the database ---- */

static void
remove_old_segments(struct wt *wt)
{
	struct spool_pos c = ingest_committed(wt->ingest);

	if (c.seg > wt->removed_below &&
	    spool_remove_before(wt->spool_dir, c.seg) == 0)
		wt->removed_below = c.seg;
}

static void
set_writes_failing(struct wt *wt, int failing)
{
	if (failing && !wt->writes_failing) {
		snprintf(wt->db_error, sizeof(wt->db_error), "%s",
		    store_errmsg(wt->store));
		log_warnx("store: writes failing (%s); retrying, nothing "
		    "acknowledged is lost", wt->db_error);
	} else if (!failing && wt->writes_failing)
		log_notice("store: writes work again");
	wt->writes_failing = failing;
}

static void schedule_drain(struct wt *);
static void publish(struct wt *);

static void
drain(struct wt *wt)
{
	struct mqtt_state st;
	int n;

	if (wt->writes_failing && evtimer_pending(wt->retry_ev, NULL))
		return;
	checkpoint_catch_up(wt->ckpt, wt->store);
	mqtt_state(wt->mqtt, &st);
	n = ingest_batch(wt->ingest, wt->reader, st.end, BATCH_MAX, clock_ms(),
	    BATCH_BUDGET_MS);
	if (n == -1) {
		struct timeval tv = { 0, 0 };

		set_writes_failing(wt, 1);
		wt->retry_ms = wt->retry_ms ? wt->retry_ms * 2 : 100;
		if (wt->retry_ms > 5000)
			wt->retry_ms = 5000;
		tv.tv_sec = wt->retry_ms / 1000;
		tv.tv_usec = (wt->retry_ms % 1000) * 1000;
		evtimer_add(wt->retry_ev, &tv);
		publish(wt);
		return;
	}
	set_writes_failing(wt, 0);
	wt->retry_ms = 0;
	mqtt_committed(wt->mqtt, ingest_counters(wt->ingest)->bytes -
	    wt->replay_bytes);
	remove_old_segments(wt);
	/* More may be waiting (a full or timed-out batch): continue on the
	 * next loop pass, so signals and the tick are served in between. */
	if (n > 0) {
		wt->last_commit_us = clock_mono_us();
		wt->caught_up = !spool_pos_before(spool_reader_pos(wt->reader),
		    st.end);
		publish(wt);
		schedule_drain(wt);
	}
}

/*
 * Draining runs from a zero timeout rather than an activated event:
 * libevent runs events activated during its callbacks in the same pass,
 * so a flood that keeps re-activating would never let it poll the HTTP
 * sockets. A timer only fires after the next poll.
 */
static void
schedule_drain(struct wt *wt)
{
	struct timeval tv = { 0, 0 };
	int64_t wait_us = 0;

	/* Caught up: the next commit waits until COALESCE_MS after the
	 * last, so a steady trickle makes one commit per few milliseconds
	 * instead of one per message (every commit rewrites its pages in the
	 * WAL). A message after a quiet spell is committed at once. */
	if (wt->caught_up)
		wait_us = wt->last_commit_us + COALESCE_MS * 1000 -
		    clock_mono_us();
	if (wait_us > 0)
		tv.tv_usec = (suseconds_t)wait_us;
	if (!evtimer_pending(wt->drain_ev, NULL))
		evtimer_add(wt->drain_ev, &tv);
}

static void
on_data(void *arg)
{
	schedule_drain(arg);
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg);
}

/* Replay what was spooled (and acknowledged) but not committed before
 * the last stop. Runs before MQTT starts, so it cannot race the writer. */
static int
replay(struct wt *wt)
{
	struct spool_pos all = { UINT64_MAX, UINT64_MAX };
	uint64_t before = 0;
	int n;

	do {
		n = ingest_batch(wt->ingest, wt->reader, all, BATCH_MAX,
		    clock_ms(), 0);
		if (n == -1) {
			log_warnx("main: cannot replay the spool into %s",
			    wt->cfg->database.path);
			return -1;
		}
	} while (n > 0);
	wt->replay_bytes = ingest_counters(wt->ingest)->bytes;
	before = ingest_counters(wt->ingest)->received;
	if (before > 0)
		log_notice("main: replayed %llu spooled messages",
		    (unsigned long long)before);
	if (spool_reader_corrupt(wt->reader) > 0)
		log_warnx("main: %llu corrupt spool records skipped",
		    (unsigned long long)spool_reader_corrupt(wt->reader));
	remove_old_segments(wt);
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg);
}

/* ---- the status snapshot ---- */

/* Acknowledged and spooled, not yet committed, given the MQTT state. */
static uint64_t
backlog_bytes(struct wt *wt, const struct mqtt_state *st)
{
	uint64_t committed = ingest_counters(wt->ingest)->bytes -
	    wt->replay_bytes;

	return st->written_bytes > committed ? st->written_bytes - committed :
	    0;
}

/*
 * Hand the HTTP thread what the loop knows. Cheap (a copy under a lock):
 * after every batch and every tick. Today's city figures come from the
 * city thread instead.
 */
static void
publish(struct wt *wt)
{
	static struct report r;		/* big; the loop's only */
	struct mqtt_state st;
	struct checkpoint_state ck;
	struct store_info info;
	const struct ingest_counters *c = ingest_counters(wt->ingest);
	size_t i;
	static const char *subs[64];
	static size_t nsubs;

	mqtt_state(wt->mqtt, &st);
	checkpoint_state(wt->ckpt, &ck);
	r.version = WT_VERSION;
	r.start_ms = wt->start_ms;
	r.mqtt.connected = st.connected;
	r.mqtt.subscribed = st.subscribed;
	r.mqtt.broker = wt->boot_cfg->mqtt.url;
	r.mqtt.client_id = wt->boot_cfg->mqtt.client_id;
	r.mqtt.reconnects = st.reconnects;
	r.mqtt.connection_losses = st.losses;
	r.mqtt.down_since_ms = st.down_since_ms;
	r.mqtt.last_error = st.last_error[0] ? st.last_error : NULL;
	/* Filled once, before the HTTP thread starts: it reads them. */
	for (i = nsubs; i < wt->boot_cfg->nsubs && i < 64; i++)
		subs[i] = wt->boot_cfg->subs[i].topic;
	nsubs = i;
	r.mqtt.subs = subs;
	r.mqtt.nsubs = nsubs;
	r.ingest = c;
	r.spool_backlog_bytes = backlog_bytes(wt, &st);
	r.spool_corrupt = spool_reader_corrupt(wt->reader);
	r.last_message_ms = ingest_last_message_ms(wt->ingest);
	r.db.path = store_path(wt->store);
	(void)store_info(wt->store, &info);
	r.db.schema_version = info.schema_version;
	r.db.size_bytes = info.size_bytes;
	r.db.wal_bytes = info.wal_bytes;
	r.db.last_commit_ms = ingest_last_commit_ms(wt->ingest);
	r.db.writes_failing = wt->writes_failing || st.spool_failing;
	r.db.last_error = wt->writes_failing ? wt->db_error :
	    st.spool_failing ? st.last_error : NULL;
	r.db.checkpoint_failures = ck.failures;
	r.db.checkpoint_error = ck.failing ? ck.last_error : NULL;
	r.stall_after_s = STALL_AFTER_S;
	http_publish(wt->http, &r);
}

/* ---- signals and the tick ---- */

static void
reload(struct wt *wt)
{
	struct config *cfg;
	struct profile_set *profiles;

	log_notice("main: SIGHUP: reloading %s", wt->cfg_path);
	if (load_config(wt->cfg_path, 1, &cfg, &profiles) == -1) {
		log_warnx("main: new configuration refused; keeping the old "
		    "one");
		return;
	}
	if (store_sync_config(wt->store, cfg) == -1) {
		log_warnx("main: cannot store the new facilities; keeping the "
		    "old configuration");
		profile_set_free(profiles);
		config_free(cfg);
		return;
	}
	/* MQTT, HTTP and database settings are bound at start; profiles,
	 * facilities, times and thresholds take effect now. */
	ingest_set_config(wt->ingest, cfg, profiles);
	city_set_offset(wt->city, cfg->time.local_offset_min);
	if (wt->cfg != wt->boot_cfg) {
		profile_set_free(wt->profiles);
		config_free(wt->cfg);
	}
	wt->cfg = cfg;
	wt->profiles = profiles;
	log_notice("main: configuration reloaded (connection, subscription, "
	    "database and http changes apply at the next start)");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct wt *wt = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload(wt);
		return;
	}
	log_notice("main: %s: draining and stopping", strsignal((int)sig));
	event_base_loopbreak(wt->base);
}

static void
prune(struct wt *wt, int64_t now)
{
	int64_t cutoff, n = 0;

	wt->last_prune_ms = now;
	cutoff = now - (int64_t)wt->cfg->database.raw_retention_days *
	    86400000;
	if (store_begin(wt->store) == 0 &&
	    store_prune_payloads(wt->store, cutoff, &n) == 0 &&
	    store_commit(wt->store) == 0) {
		if (n > 0)
			log_info("store: dropped %lld raw payloads past "
			    "retention", (long long)n);
	} else
		store_rollback(wt->store);
}

/* Manifests and tickets that changed, or time that passed (overdue):
 * reconcile at most once a second, and at least once a minute. */
static void
reconcile(struct wt *wt, int64_t now)
{
	const struct ingest_counters *c = ingest_counters(wt->ingest);
	uint64_t changes = c->by_kind[EV_WEIGHING] + c->by_kind[EV_MANIFEST] +
	    c->history;
	struct mqtt_state st;

	if (changes == wt->reconciled_changes &&
	    now - wt->last_reconcile_ms < 60000)
		return;
	/* A rebuild takes the loop for a while: with a backlog waiting,
	 * ingest first; the minute rule still bounds how stale it gets. */
	mqtt_state(wt->mqtt, &st);
	if (backlog_bytes(wt, &st) > DEFER_BACKLOG_BYTES &&
	    now - wt->last_reconcile_ms < 60000)
		return;
	if (store_reconcile(wt->store, now, wt->cfg) == 0) {
		wt->reconciled_changes = changes;
		wt->last_reconcile_ms = now;
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wt *wt = arg;
	const struct ingest_counters *c = ingest_counters(wt->ingest);
	int64_t now = clock_ms();

	(void)fd;
	(void)what;
	if (wt->watchdog_usec > 0)
		notify_send("WATCHDOG=1");
	notify_send("STATUS=received %llu, stored %llu, duplicates %llu, "
	    "rejected %llu%s", (unsigned long long)c->received,
	    (unsigned long long)c->stored, (unsigned long long)c->duplicates,
	    (unsigned long long)c->rejected, wt->writes_failing ?
	    ", database writes failing" : "");
	if (now - wt->last_prune_ms >= PRUNE_EVERY_S * 1000)
		prune(wt, now);
	if (!wt->writes_failing)
		reconcile(wt, now);
	/* Wake-ups can coalesce; a periodic drain guarantees progress. */
	drain(wt);
	publish(wt);
}

/* ---- start-up and shutdown ---- */

static int
open_store(struct wt *wt)
{
	struct spool_pos pos;
	const char *db = wt->cfg->database.path;

	if (store_open(db, wt->cfg->database.synchronous == CFG_SYNC_FULL,
	    &wt->store) == -1 ||
	    store_sync_config(wt->store, wt->cfg) == -1 ||
	    ingest_open(wt->store, wt->cfg, wt->profiles, &wt->ingest) == -1)
		return -1;
	/* The spool sits beside the database: same filesystem, same
	 * lifetime, same backups. */
	snprintf(wt->spool_dir, sizeof(wt->spool_dir), "%s.spool", db);
	pos = ingest_committed(wt->ingest);
	if (spool_mkdir(wt->spool_dir) == -1 ||
	    spool_reader_open(wt->spool_dir, pos, &wt->reader) == -1 ||
	    replay(wt) == -1)
		return -1;
	/* From here on commits never wait for a checkpoint. */
	return checkpoint_start(wt->store, &wt->ckpt);
}

static int
start_io(struct wt *wt)
{
	struct spool_writer *w = NULL;
	struct spool_pos start;
	uint64_t first, last;
	const struct config *c = wt->boot_cfg;

	if (spool_bounds(wt->spool_dir, &first, &last) == -1)
		return -1;
	start.seg = (last > ingest_committed(wt->ingest).seg ? last :
	    ingest_committed(wt->ingest).seg) + 1;
	start.off = 0;
	if (spool_writer_open(wt->spool_dir, start.seg, SEGMENT_MAX,
	    c->database.synchronous == CFG_SYNC_FULL, &w) == -1)
		return -1;
	if (http_start(c->http.listen, c->http.port_file, &wt->http) == -1 ||
	    mqtt_start(wt->base, c, w, start, on_data, wt, &wt->mqtt) == -1) {
		spool_writer_close(w);
		return -1;
	}
	publish(wt);
	if (http_serve(wt->http) == -1)
		return -1;
	return city_start(c->database.path, wt->cfg->time.local_offset_min,
	    wt->http, &wt->city);
}

static int
setup_events(struct wt *wt)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	struct timeval sec = { 1, 0 };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		wt->sigs[i] = evsignal_new(wt->base, signals[i], signal_cb, wt);
		if (wt->sigs[i] == NULL || evsignal_add(wt->sigs[i], NULL) == -1)
			return -1;
	}
	wt->drain_ev = evtimer_new(wt->base, drain_cb, wt);
	wt->retry_ev = evtimer_new(wt->base, retry_cb, wt);
	wt->tick = event_new(wt->base, -1, EV_PERSIST, tick_cb, wt);
	if (wt->drain_ev == NULL || wt->retry_ev == NULL || wt->tick == NULL)
		return -1;
	return event_add(wt->tick, &sec);
}

/* After MQTT is gone nothing new arrives: commit what was spooled. A
 * failure here loses nothing, the next start replays it. */
static int
final_drain(struct wt *wt)
{
	struct mqtt_state st;
	int n, tries = 0;

	mqtt_state(wt->mqtt, &st);
	while ((n = ingest_batch(wt->ingest, wt->reader, st.end, BATCH_MAX,
	    clock_ms(), 0)) != 0) {
		if (n == -1 && ++tries == 5) {
			log_warnx("main: cannot commit the last messages; "
			    "they stay in the spool for the next start");
			return -1;
		}
		if (n == -1)
			usleep(200 * 1000);
	}
	return 0;
}

static void
teardown(struct wt *wt)
{
	size_t i;

	mqtt_free(wt->mqtt);
	city_stop(wt->city);
	http_free(wt->http);
	for (i = 0; i < 3; i++)
		if (wt->sigs[i] != NULL)
			event_free(wt->sigs[i]);
	if (wt->tick != NULL)
		event_free(wt->tick);
	if (wt->drain_ev != NULL)
		event_free(wt->drain_ev);
	if (wt->retry_ev != NULL)
		event_free(wt->retry_ev);
	spool_reader_close(wt->reader);
	ingest_free(wt->ingest);
	checkpoint_stop(wt->ckpt, wt->store);
	store_close(wt->store);
	if (wt->cfg != wt->boot_cfg) {
		profile_set_free(wt->profiles);
		config_free(wt->cfg);
	}
	profile_set_free(wt->boot_profiles);
	config_free(wt->boot_cfg);
	if (wt->base != NULL)
		event_base_free(wt->base);
}

int
main(int argc, char *argv[])
{
	struct wt wt = { 0 };
	int ch, check_only = 0, verbose = 0, explicit = 0, rc = 1;

	wt.cfg_path = DEFAULT_CONFIG;
	while ((ch = getopt(argc, argv, "c:nvVh")) != -1) {
		switch (ch) {
		case 'c':
			wt.cfg_path = optarg;
			explicit = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("wastetrackd %s\n", WT_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(verbose);
	if (load_config(wt.cfg_path, explicit, &wt.boot_cfg,
	    &wt.boot_profiles) == -1)
		return 1;
	wt.cfg = wt.boot_cfg;
	wt.profiles = wt.boot_profiles;
	if (check_only) {
		printf("configuration OK\n");
		profile_set_free(wt.boot_profiles);
		config_free(wt.boot_cfg);
		return 0;
	}
	wt.start_ms = wt.last_prune_ms = clock_ms();
	wt.watchdog_usec = notify_watchdog_usec();
	event_set_log_callback(libevent_log);
	/* paho's thread wakes the loop with event_active(). */
	if (evthread_use_pthreads() == -1 ||
	    (wt.base = event_base_new()) == NULL) {
		log_warnx("main: cannot create the event loop");
		goto done;
	}
	if (open_store(&wt) == -1 || setup_events(&wt) == -1 ||
	    start_io(&wt) == -1)
		goto done;
	notify_send("READY=1");
	log_notice("main: wastetrackd %s running (database %s)", WT_VERSION,
	    wt.cfg->database.path);
	event_base_dispatch(wt.base);
	notify_send("STOPPING=1");
	mqtt_stop(wt.mqtt);
	rc = final_drain(&wt) == 0 ? 0 : 1;
	log_notice("main: stopped after %llu messages",
	    (unsigned long long)ingest_counters(wt.ingest)->received);
done:
	teardown(&wt);
	return rc;
}
