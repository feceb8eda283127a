/*
 * wastetrackd: start-up order, the loop, signals. Only wiring: threads,
 * timers, sockets and signals live here; every decision about data
 * lives in lib/ (the spool and the ingest behind it in lib/pipeline).
 *
 * Start-up: configuration → database (migrate) → replay the spool tail →
 * HTTP → MQTT → READY. Nothing is acknowledged before the database and
 * the spool are known to work.
 */
#include "alert.h"
#include "checkpoint.h"
#include "city.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "ctlmsg.h"
#include "drain.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "notify.h"
#include "pipeline.h"
#include "profile.h"
#include "report.h"
#include "spool.h"
#include "store.h"
#include "wt_version.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALL_AFTER_S 30
/*
 * Exit statuses (sysexits.h) a unit or a script can tell apart. 1 is a
 * runtime failure worth a restart; the others need a person (the unit's
 * RestartPreventExitStatus=), except that the other daemon of 75 may
 * just be stopping.
 */
#define EXIT_USAGE	   64 /* EX_USAGE */
#define EXIT_FOREIGN_SPOOL 65 /* EX_DATAERR */
#define EXIT_LOCKED	   75 /* EX_TEMPFAIL */
#define EXIT_CONFIG	   78 /* EX_CONFIG */
/* How long systemd may wait for each start-up step that can take long on a
 * big database (migrations) or a long spool (replay); sent again while
 * replay makes progress, so only a stuck start times out. */
#define START_STEP_USEC (120ULL * 1000000)

struct wt {
	struct event_base *base;
	struct config *boot_cfg; /* what MQTT, HTTP and the DB use */
	struct config *cfg;	 /* current; SIGHUP replaces it */
	struct profile_set *boot_profiles, *profiles;
	const char *cfg_path;
	struct store *store;
	struct checkpoint *ckpt;
	struct city *city;
	struct pipeline *pipe;
	struct mqtt *mqtt;
	struct http *http;
	struct drain *drain;
	struct control *control;
	struct alert_pub *apub; /* alerts on their way to the broker */
	struct event *sigs[3], *tick;
	int64_t start_ms;
	uint64_t watchdog_usec;
	int lock_fd; /* held while running: one daemon per database */
	int adopt;   /* -A: import a spool that is another database's */
};

#define SYNOPSIS "usage: wastetrackd [-c FILE] [-n] [-A] [-v]... | -h | -V\n"
static const char short_usage[] =
    SYNOPSIS "Try 'wastetrackd --help' for more information.\n";
static const char usage_text[] = SYNOPSIS
    "\n"
    "Ingest waste-management telemetry from MQTT into SQLite and serve\n"
    "its status over HTTP.\n"
    "\n"
    "  -c, --config FILE   configuration file (default " WT_DEFAULT_CONFIG ";\n"
    "                      embedded defaults when that file does not exist)\n"
    "  -n, --check         check the configuration and profiles, then exit\n"
    "  -A, --adopt-spool   import a spool that belongs to another database\n"
    "  -v, --verbose       more logging (once: info, twice: debug)\n"
    "  -V, --version       print the version and exit\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "Exit status: 0 stopped cleanly; 1 runtime failure; 64 usage error;\n"
    "65 the spool belongs to another database; 75 another wastetrackd\n"
    "holds the database; 78 configuration error.\n"
    "Signals: HUP reloads the configuration; TERM and INT drain and stop.\n"
    "See wastetrackd(8) and wastetrack.yaml(5).\n";

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "adopt-spool", no_argument, NULL, 'A' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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
	int defaulted = 0;

	*cfg = NULL;
	*profiles = NULL;
	if ((explicit ? config_load(path, cfg, &errors)
		      : config_load_default(path, cfg, &errors, &defaulted)) ==
	    -1)
		goto fail;
	if (defaulted)
		log_notice("main: %s not found; running on embedded defaults",
		    path);
	if (profile_compile(*cfg, profiles, &errors) == -1)
		goto fail;
	return 0;
fail:
	/* At error priority, so that `journalctl -p err` shows why. */
	log_errors(errors ? errors : "configuration error");
	free(errors);
	config_free(*cfg);
	*cfg = NULL;
	return -1;
}

/* ---- the status snapshot ---- */

/*
 * Hand the HTTP thread what the loop knows. Cheap (a copy under a lock):
 * after every batch and every tick. Today's city figures come from the
 * city thread instead.
 */
static void
publish(void *arg)
{
	struct wt *wt = arg;
	struct report r = { 0 };
	struct mqtt_state st;
	struct checkpoint_state ck;
	struct alert_pub_stats as;

	mqtt_state(wt->mqtt, &st);
	alert_pub_stats(wt->apub, &as);
	r.alerts.inflight = as.inflight;
	r.alerts.acked = as.acked;
	r.alerts.failed = as.failed;
	checkpoint_state(wt->ckpt, &ck);
	r.version = WT_VERSION;
	r.start_ms = wt->start_ms;
	mqtt_report(wt->mqtt, &st, &r);
	pipeline_report(wt->pipe, st.written_bytes,
	    st.spool_failing ? st.last_error : NULL, &r);
	/* The boot configuration's: bound at start, alive till the end. */
	r.cluster.instance = wt->boot_cfg->mqtt.client_id;
	r.cluster.group = wt->boot_cfg->mqtt.shared_group;
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
	pipeline_set_config(wt->pipe, cfg, profiles);
	city_set_offset(wt->city, cfg->time.local_offset_min);
	http_set_config(wt->http, cfg, WT_VERSION);
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

/* ---- alerts to the broker (lib/alert.h, docs/alerts.md) ---- */

static int
send_alert(void *arg, const char *topic, const void *payload, size_t len,
    int retained, uint64_t cookie)
{
	struct wt *wt = arg;

	return mqtt_publish(wt->mqtt, topic, payload, len, retained, cookie);
}

/* Record what the broker acknowledged, send what is pending. */
static void
alerts_flush(struct wt *wt)
{
	/* Only the leader publishes: the others would send the same. */
	if (pipeline_writes_failing(wt->pipe) || !pipeline_leader(wt->pipe))
		return;
	/* The store logs why; the next tick tries again. */
	if (alert_pub_flush(wt->apub, wt->store, send_alert, wt) == -1)
		log_debug("main: alerts not flushed");
}

static void
alerts_sent(void *arg, const struct mqtt_sent *done, size_t n)
{
	struct wt *wt = arg;
	size_t i;

	for (i = 0; i < n; i++)
		alert_pub_done(wt->apub, done[i].cookie, done[i].ok);
	alerts_flush(wt);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wt *wt = arg;
	const struct ingest_counters *c = pipeline_counters(wt->pipe);
	struct mqtt_state st;
	int64_t now = clock_ms();

	(void)fd;
	(void)what;
	if (wt->watchdog_usec > 0)
		notify_send("WATCHDOG=1");
	notify_send("STATUS=received %llu, stored %llu, duplicates %llu, "
		    "rejected %llu%s",
	    (unsigned long long)c->received, (unsigned long long)c->stored,
	    (unsigned long long)c->duplicates, (unsigned long long)c->rejected,
	    pipeline_writes_failing(wt->pipe) ? ", database writes failing"
					      : "");
	pipeline_check_file(wt->pipe);
	/* Outside any transaction: who leads decides who does the work
	 * below (docs/cluster.md); the store logs why a beat failed. */
	if (pipeline_beat(wt->pipe, wt->boot_cfg->mqtt.client_id,
		wt->boot_cfg->mqtt.shared_group, now) == -1)
		log_debug("main: cluster beat failed");
	pipeline_prune(wt->pipe, now);
	mqtt_state(wt->mqtt, &st);
	/* The store logs why; the next tick tries again. */
	if (pipeline_reconcile(wt->pipe, now, st.written_bytes) == -1)
		log_debug("main: reconciliation failed");
	if (pipeline_alerts(wt->pipe, now, st.written_bytes) == -1)
		log_debug("main: an alert rule failed");
	mqtt_publish_poll(wt->mqtt);
	alerts_flush(wt);
	/* Wake-ups can coalesce; a periodic drain guarantees progress. */
	drain_run(wt->drain);
	publish(wt);
}

/* ---- start-up and shutdown ---- */

/* Once a second at most: the replay is alive, give it another step. */
static void
replay_progress(void *arg, uint64_t replayed)
{
	int64_t *last_us = arg, now = clock_mono_us();

	if (now - *last_us < 1000000)
		return;
	*last_us = now;
	notify_send("EXTEND_TIMEOUT_USEC=%llu\nSTATUS=replaying the spool: "
		    "%llu messages committed",
	    START_STEP_USEC, (unsigned long long)replayed);
}

/*
 * The lock first, then the database, then whose spool it is: 0, -1, or
 * the exit status of a refusal.
 */
static int
open_store(struct wt *wt)
{
	const char *spool = wt->cfg->ingest.spool_dir;
	struct store_where where;
	int64_t last_us = 0; /* the first batch reports at once */
	int rc;

	config_store_where(wt->cfg, &where);
	if ((rc = pipeline_lock(spool, &wt->lock_fd)) != 0)
		return rc == 1 ? EXIT_LOCKED : -1;
	/* Opening may migrate a large database: one step's time for it. */
	notify_send("EXTEND_TIMEOUT_USEC=%llu\nSTATUS=opening the %s store",
	    START_STEP_USEC, where.backend);
	if (store_open_at(&where,
		wt->cfg->database.synchronous == CFG_SYNC_FULL,
		&wt->store) == -1 ||
	    (rc = pipeline_claim_spool(wt->store, spool, wt->adopt)) == -1)
		return -1;
	if (rc == 1) {
		log_warnx("main: refusing to start: to import the spool's "
			  "messages into %s, start once with -A; to start "
			  "without them, move %s away",
		    store_path(wt->store), spool);
		return EXIT_FOREIGN_SPOOL;
	}
	if (store_sync_config(wt->store, wt->cfg) == -1 ||
	    pipeline_open(wt->store, wt->cfg, wt->profiles, wt->start_ms,
		&wt->pipe) == -1 ||
	    pipeline_replay(wt->pipe, replay_progress, &last_us) == -1)
		return -1;
	/* From here on commits never wait for a checkpoint. */
	return checkpoint_start(wt->store, &wt->ckpt);
}

/* The control socket beside the database (wastetrackctl replay). */
static int
start_control(struct wt *wt)
{
	char path[PATH_MAX];

	if (ctlmsg_socket_path(wt->boot_cfg, path, sizeof(path)) == -1) {
		log_warnx("main: the control socket's path (beside %s) is too "
			  "long for a socket (107 bytes at most)",
		    wt->boot_cfg->database.backend == CFG_DB_SQLITE
			? wt->boot_cfg->database.path
			: wt->boot_cfg->ingest.spool_dir);
		return -1;
	}
	return control_start(wt->base, path, wt->pipe, &wt->control);
}

static int
start_io(struct wt *wt)
{
	struct spool_writer *w = NULL;
	struct spool_pos start;
	const struct config *c = wt->boot_cfg;
	struct store_where where;

	if (alert_pub_new(&wt->apub) == -1 ||
	    pipeline_writer_open(wt->pipe,
		c->database.synchronous == CFG_SYNC_FULL, &w, &start) == -1)
		return -1;
	if (http_start(c, &wt->http) == -1 ||
	    mqtt_start(wt->base, c, w, start, drain_wake, wt->drain,
		&wt->mqtt) == -1) {
		spool_writer_close(w);
		return -1;
	}
	http_set_config(wt->http, wt->cfg, WT_VERSION);
	drain_set_mqtt(wt->drain, wt->mqtt);
	mqtt_on_sent(wt->mqtt, alerts_sent, wt);
	if (start_control(wt) == -1)
		return -1;
	publish(wt);
	if (http_serve(wt->http) == -1)
		return -1;
	config_store_where(c, &where);
	return city_start(&where, wt->cfg->time.local_offset_min, wt->http,
	    &wt->city);
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
		if (wt->sigs[i] == NULL ||
		    evsignal_add(wt->sigs[i], NULL) == -1)
			return -1;
	}
	if (drain_new(wt->base, wt->pipe, wt->store, wt->ckpt, publish, wt,
		&wt->drain) == -1 ||
	    (wt->tick = event_new(wt->base, -1, EV_PERSIST, tick_cb, wt)) ==
		NULL)
		return -1;
	return event_add(wt->tick, &sec);
}

static void
teardown(struct wt *wt)
{
	size_t i;

	control_free(wt->control);
	mqtt_free(wt->mqtt);
	city_stop(wt->city);
	http_free(wt->http);
	for (i = 0; i < 3; i++)
		if (wt->sigs[i] != NULL)
			event_free(wt->sigs[i]);
	if (wt->tick != NULL)
		event_free(wt->tick);
	drain_free(wt->drain);
	alert_pub_free(wt->apub);
	pipeline_free(wt->pipe);
	checkpoint_stop(wt->ckpt, wt->store);
	store_close(wt->store);
	pipeline_unlock(wt->lock_fd);
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
	int ch, check_only = 0, verbose = 0, explicit = 0, rc = 1, opened;

	wt.cfg_path = WT_DEFAULT_CONFIG;
	wt.lock_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:nAvVh", long_options, NULL)) !=
	    -1) {
		switch (ch) {
		case 'A':
			wt.adopt = 1;
			break;
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
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(short_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wastetrackd: unexpected argument \"%s\"\n%s",
		    argv[optind], short_usage);
		return EXIT_USAGE;
	}
	log_init(verbose);
	if (load_config(wt.cfg_path, explicit, &wt.boot_cfg,
		&wt.boot_profiles) == -1)
		return EXIT_CONFIG;
	wt.cfg = wt.boot_cfg;
	wt.profiles = wt.boot_profiles;
	if (check_only) {
		printf("configuration OK\n");
		profile_set_free(wt.boot_profiles);
		config_free(wt.boot_cfg);
		return 0;
	}
	wt.start_ms = clock_ms();
	wt.watchdog_usec = notify_watchdog_usec();
	event_set_log_callback(libevent_log);
	/* paho's thread wakes the loop with event_active(). */
	if (evthread_use_pthreads() == -1 ||
	    (wt.base = event_base_new()) == NULL) {
		log_warnx("main: cannot create the event loop");
		goto done;
	}
	if ((opened = open_store(&wt)) != 0) {
		if (opened > 0)
			rc = opened;
		goto done;
	}
	if (setup_events(&wt) == -1 || start_io(&wt) == -1)
		goto done;
	notify_send("READY=1");
	log_notice("main: wastetrackd %s running (%s store %s, instance %s)",
	    WT_VERSION, store_backend_name(wt.store), store_path(wt.store),
	    wt.cfg->mqtt.client_id);
	event_base_dispatch(wt.base);
	notify_send("STOPPING=1");
	mqtt_stop(wt.mqtt);
	/* Nothing new arrives now: commit what was spooled. */
	rc = drain_final(wt.drain) == 0 ? 0 : 1;
	log_notice("main: stopped after %llu messages",
	    (unsigned long long)pipeline_counters(wt.pipe)->received);
done:
	teardown(&wt);
	return rc;
}
