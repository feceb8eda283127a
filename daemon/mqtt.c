/* mqtt: see mqtt.h. The client, the receive side and the spool hand-off;
 * publishing is in mqtt_pub.c. The mqtt module's files (mqtt.c,
 * mqtt_pub.c) are the only ones that include paho's headers. */
#include "mqtt_int.h"

#include "clock.h"
#include "config.h"
#include "log.h"
#include "report.h"
#include "sha256.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The topics the daemon publishes its alerts on (docs/alerts.md). */
#define OWN_PREFIX "wt/v1/alerts/"

static void
set_error(struct mqtt *m, const char *what, const char *msg, int code)
{
	pthread_mutex_lock(&m->mu);
	snprintf(m->st.last_error, sizeof(m->st.last_error), "%s: %s (%d)",
	    what, msg ? msg : MQTTAsync_strerror(code), code);
	pthread_mutex_unlock(&m->mu);
}

/* ---- paho thread ---- */

static void
set_subscribed(struct mqtt *m, int yes)
{
	pthread_mutex_lock(&m->mu);
	m->st.subscribed = yes;
	pthread_mutex_unlock(&m->mu);
}

static void
on_subscribed(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	set_subscribed(ctx, 1);
}

static void
on_subscribed5(void *ctx, MQTTAsync_successData5 *d)
{
	(void)d;
	set_subscribed(ctx, 1);
}

static void
subscribe(struct mqtt *m)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	ro.context = m;
	if (m->cfg->mqtt.mqtt5)
		ro.onSuccess5 = on_subscribed5;
	else
		ro.onSuccess = on_subscribed;

	/* The session may be new (expired, or a broker without persistence):
	 * subscribing again is idempotent and never loses a queue. */
	rc = MQTTAsync_subscribeMany(m->client, m->ntopics, m->topics, m->qos,
	    &ro);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("mqtt: subscribe: %s", MQTTAsync_strerror(rc));
		set_error(m, "subscribe", NULL, rc);
	}
}

static void
on_connected(void *ctx, char *cause)
{
	struct mqtt *m = ctx;
	int again;

	(void)cause;
	pthread_mutex_lock(&m->mu);
	again = m->st.down_since_ms != 0 && m->st.losses > 0;
	m->st.connected = 1;
	m->st.down_since_ms = 0;
	if (again)
		m->st.reconnects++;
	pthread_mutex_unlock(&m->mu);
	log_notice("mqtt: connected to %s as %s", m->cfg->mqtt.url,
	    m->cfg->mqtt.client_id);
	subscribe(m);
}

static void
on_lost(void *ctx, char *cause)
{
	struct mqtt *m = ctx;

	pthread_mutex_lock(&m->mu);
	m->st.connected = 0;
	m->st.subscribed = 0;
	m->st.losses++;
	m->st.down_since_ms = clock_ms();
	snprintf(m->st.last_error, sizeof(m->st.last_error),
	    "connection lost: %s", cause ? cause : "unknown");
	pthread_mutex_unlock(&m->mu);
	log_warnx("mqtt: connection to %s lost (%s); reconnecting",
	    m->cfg->mqtt.url, cause ? cause : "no reason given");
}

static void
connect_failed(struct mqtt *m, int code, const char *msg)
{
	pthread_mutex_lock(&m->mu);
	m->connect_failed = 1;
	pthread_mutex_unlock(&m->mu);
	set_error(m, "connect", msg, code);
	log_warnx("mqtt: cannot connect to %s: %s (%d)", m->cfg->mqtt.url,
	    msg ? msg : MQTTAsync_strerror(code), code);
	event_active(m->data_ev, EV_TIMEOUT, 0);
}

static void
on_connect_failure(void *ctx, MQTTAsync_failureData *f)
{
	connect_failed(ctx, f ? f->code : -1, f ? f->message : NULL);
}

static void
on_connect_failure5(void *ctx, MQTTAsync_failureData5 *f)
{
	connect_failed(ctx, f ? f->code : -1, f ? f->message : NULL);
}

/* Wait for the loop to commit while the spool backlog is over its bound:
 * the broker then holds the rest, which is what QoS 1 is for. */
static void
wait_for_room(struct mqtt *m)
{
	pthread_mutex_lock(&m->mu);
	while (!m->stopping && m->st.written_bytes > m->committed_bytes &&
	    m->st.written_bytes - m->committed_bytes > m->max_backlog)
		pthread_cond_wait(&m->room, &m->mu);
	pthread_mutex_unlock(&m->mu);
}

static void
set_spool_failing(struct mqtt *m, int failing)
{
	pthread_mutex_lock(&m->mu);
	m->st.spool_failing = failing;
	if (failing)
		snprintf(m->st.last_error, sizeof(m->st.last_error),
		    "spool write: %s", strerror(errno));
	pthread_mutex_unlock(&m->mu);
}

/* One message as the spool gets it: whole, or cut to a prefix. */
struct spooled {
	const char *topic;
	size_t tlen;
	const void *payload;
	size_t plen; /* bytes of payload to spool */
	uint64_t full_len;
	uint8_t sha256[32]; /* of the whole, when cut */
	int cut;
	int64_t received_ms;
};

static int
append(struct mqtt *m, const struct spooled *s, struct spool_pos *end)
{
	uint64_t backlog;

	pthread_mutex_lock(&m->mu);
	backlog = m->st.written_bytes > m->committed_bytes
	    ? m->st.written_bytes - m->committed_bytes
	    : 0;
	pthread_mutex_unlock(&m->mu);
	spool_writer_backlog(m->w, backlog);
	if (s->cut)
		return spool_append_cut(m->w, s->topic, s->tlen, s->payload,
		    s->plen, s->full_len, s->sha256, s->received_ms, end);
	return spool_append(m->w, s->topic, s->tlen, s->payload, s->plen,
	    s->received_ms, end);
}

/*
 * After a failed append the writer may have moved to a new segment (a
 * full filesystem): publish that end so the loop commits its way out of
 * the full segment, which can then be unlinked.
 */
static void
publish_moved_end(struct mqtt *m)
{
	struct spool_pos end = spool_writer_end(m->w);
	int wake = 0;

	pthread_mutex_lock(&m->mu);
	if (spool_pos_before(m->st.end, end) && end.off == 0) {
		m->st.end = end;
		wake = !m->notified;
		m->notified = 1;
	}
	pthread_mutex_unlock(&m->mu);
	if (wake)
		event_active(m->data_ev, EV_READ, 0);
}

/*
 * Wait up to ms before retrying an append, or less: a commit of the loop
 * may have unlinked the full segment that held the space (mqtt_committed
 * signals room), and a stop wakes us too.
 */
static void
wait_retry(struct mqtt *m, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->mu);
	if (!m->stopping)
		(void)pthread_cond_timedwait(&m->room, &m->mu, &until);
	pthread_mutex_unlock(&m->mu);
}

/* At shutdown this thread never returns to paho again: the message stays
 * unacknowledged, and mqtt_stop() skips paho's teardown (stuck). */
static void
park_if_stopping(struct mqtt *m)
{
	pthread_mutex_lock(&m->mu);
	if (m->stopping) {
		m->stuck = 1;
		pthread_mutex_unlock(&m->mu);
		for (;;)
			pause();
	}
	pthread_mutex_unlock(&m->mu);
}

/*
 * Append until it works. The message must not be acknowledged before it
 * is in the spool, and returning 0 does not hold paho's ack back, so on
 * failure we keep the message (and paho's thread) here and retry with
 * backoff. At shutdown a message that could never be written is left
 * unacknowledged for the broker to redeliver: this thread parks for good
 * and mqtt_stop() skips paho's teardown.
 */
static void
spool_until_written(struct mqtt *m, const struct spooled *s,
    struct spool_pos *end)
{
	unsigned delay_ms = 100;

	while (append(m, s, end) == -1) {
		if (m->write_failures++ == 0) {
			log_warn("mqtt: spool write failed; not acknowledging "
				 "until it works");
			set_spool_failing(m, 1);
		}
		publish_moved_end(m);
		park_if_stopping(m);
		wait_retry(m, delay_ms);
		/* A stop during the wait: the loop may be tearing down, so
		 * this message must not be appended and acknowledged now. */
		park_if_stopping(m);
		delay_ms = delay_ms * 2 > 5000 ? 5000 : delay_ms * 2;
	}
	if (m->write_failures > 0) {
		log_notice("mqtt: spool writes work again after %u failed "
			   "attempts",
		    m->write_failures);
		m->write_failures = 0;
		set_spool_failing(m, 0);
	}
}

/*
 * A payload over ingest.max_payload will be rejected as too_large: the
 * spool keeps only what the reject row keeps (a prefix, the size and the
 * digest), so the message is never copied whole again after paho's copy.
 */
static void
spooled_of(const struct mqtt *m, char *topic, int topic_len,
    const MQTTAsync_message *msg, struct spooled *s)
{
	s->topic = topic;
	s->tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
	s->payload = msg->payload;
	s->plen = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	s->full_len = s->plen;
	s->cut = s->plen > m->cfg->ingest.max_payload;
	if (!s->cut)
		return;
	/* Without a digest the reject still says the size, and the prefix
	 * is kept: zeros say "unknown" (sha256.h logs why). */
	if (sha256(s->payload, s->plen, s->sha256) == -1)
		memset(s->sha256, 0, sizeof(s->sha256));
	if (s->plen > SPOOL_PREFIX_MAX)
		s->plen = SPOOL_PREFIX_MAX;
}

/*
 * Our own alerts come back to a subscription such as "wt/v1/#" (and, as
 * retained messages, at every subscribe): they are the daemon's output,
 * not telemetry, and would only be rejected as an unknown kind. Counted
 * and logged at debug level, then acknowledged.
 */
static int
own_alert(struct mqtt *m, const char *topic, size_t tlen)
{
	size_t n = sizeof(OWN_PREFIX) - 1;

	if (tlen < n || memcmp(topic, OWN_PREFIX, n) != 0)
		return 0;
	m->own_skipped++;
	log_debug("mqtt: %.*s is an alert of ours; not ingested (%llu so far)",
	    (int)(tlen > 200 ? 200 : tlen), topic,
	    (unsigned long long)m->own_skipped);
	return 1;
}

static int
on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct mqtt *m = ctx;
	struct spool_pos end;
	struct spooled s;
	uint64_t size;
	int wake;

	spooled_of(m, topic, topic_len, msg, &s);
	if (own_alert(m, s.topic, s.tlen)) {
		MQTTAsync_freeMessage(&msg);
		MQTTAsync_free(topic);
		return 1;
	}
	size = s.cut ? spool_cut_record_size(s.tlen, s.plen)
		     : spool_record_size(s.tlen, s.plen);
	wait_for_room(m);
	s.received_ms = clock_ms();
	spool_until_written(m, &s, &end);

	pthread_mutex_lock(&m->mu);
	m->st.end = end;
	m->st.written_bytes += size;
	/* One wake-up at a time: the loop reads everything up to st.end. */
	wake = !m->notified;
	m->notified = 1;
	pthread_mutex_unlock(&m->mu);
	if (wake)
		event_active(m->data_ev, EV_READ, 0);
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1; /* now paho may send the PUBACK */
}

/* ---- loop thread ---- */

static int
do_connect(struct mqtt *m)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_connectOptions co5 = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	MQTTProperties props = MQTTProperties_initializer;
	MQTTProperty expiry;
	const struct config *c = m->cfg;
	MQTTAsync_connectOptions *o = c->mqtt.mqtt5 ? &co5 : &co;
	int rc;

	o->keepAliveInterval = c->mqtt.keepalive_s;
	o->automaticReconnect = 1;
	o->minRetryInterval = c->mqtt.reconnect_min_s;
	o->maxRetryInterval = c->mqtt.reconnect_max_s;
	o->username = c->mqtt.username;
	o->password = c->mqtt.password;
	o->context = m;
	if (c->mqtt.mqtt5) {
		/* Persistent session in v5: no clean start, and a session
		 * that outlives the connection. */
		o->cleanstart = c->mqtt.clean_session;
		expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
		expiry.value.integer4 = (unsigned)c->mqtt.session_expiry_s;
		MQTTProperties_add(&props, &expiry);
		o->connectProperties = &props;
		o->onFailure5 = on_connect_failure5;
	} else {
		o->cleansession = c->mqtt.clean_session;
		o->onFailure = on_connect_failure;
	}
	if (strncmp(c->mqtt.url, "ssl://", 6) == 0) {
		ssl.trustStore = c->mqtt.ca_file;
		ssl.keyStore = c->mqtt.cert_file;
		ssl.privateKey = c->mqtt.key_file;
		ssl.enableServerCertAuth = 1;
		ssl.verify = 1;
		o->ssl = &ssl;
	}
	rc = MQTTAsync_connect(m->client, o);
	MQTTProperties_free(&props);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("mqtt: connect: %s", MQTTAsync_strerror(rc));
		return -1;
	}
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mqtt *m = arg;

	(void)fd;
	(void)what;
	if (do_connect(m) == -1) {
		struct timeval tv = { m->retry_s, 0 };

		event_add(m->retry_ev, &tv);
	}
}

/* Runs on the loop when paho's thread pokes it. */
static void
data_ev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mqtt *m = arg;
	int failed;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&m->mu);
	failed = m->connect_failed;
	m->connect_failed = 0;
	m->notified = 0;
	pthread_mutex_unlock(&m->mu);
	if (failed && !m->stopping) {
		struct timeval tv = { m->retry_s, 0 };

		/* paho retries lost connections itself, not a first connect
		 * that failed: back off here, doubling up to the maximum. */
		event_add(m->retry_ev, &tv);
		m->retry_s = m->retry_s * 2 > m->cfg->mqtt.reconnect_max_s
		    ? m->cfg->mqtt.reconnect_max_s
		    : m->retry_s * 2;
	}
	m->on_data(m->on_data_arg);
}

static int
copy_topics(struct mqtt *m, const struct config *cfg)
{
	size_t i;

	m->topics = calloc(cfg->nsubs + 1, sizeof(*m->topics));
	m->qos = calloc(cfg->nsubs + 1, sizeof(*m->qos));
	if (m->topics == NULL || m->qos == NULL)
		return -1;
	for (i = 0; i < cfg->nsubs; i++) {
		/* A shared subscription (docs/cluster.md): the broker hands
		 * each message to one member of the group; messages still
		 * arrive under their own topic. */
		if (cfg->mqtt.shared_group != NULL) {
			if (asprintf(&m->topics[i], "$share/%s/%s",
				cfg->mqtt.shared_group,
				cfg->subs[i].topic) == -1) {
				m->topics[i] = NULL;
				return -1;
			}
		} else if ((m->topics[i] = strdup(cfg->subs[i].topic)) == NULL)
			return -1;
		m->qos[i] = cfg->mqtt.qos;
	}
	m->ntopics = (int)cfg->nsubs;
	return 0;
}

int
mqtt_start(struct event_base *base, const struct config *cfg,
    struct spool_writer *w, struct spool_pos start, void (*on_data)(void *),
    void *arg, struct mqtt **out)
{
	MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer;
	MQTTAsync_createOptions cr5 = MQTTAsync_createOptions_initializer5;
	struct mqtt *m;
	pthread_condattr_t ca;
	size_t i;
	int rc;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -1;
	pthread_mutex_init(&m->mu, NULL);
	/* wait_retry() waits on the monotonic clock: a wall clock stepped
	 * back must not postpone a retry by the size of the step. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->room, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&m->pub_cv, NULL);
	m->cfg = cfg;
	m->w = w;
	m->base = base;
	m->st.end = start;
	m->st.down_since_ms = clock_ms();
	m->retry_s = cfg->mqtt.reconnect_min_s;
	m->max_backlog = (uint64_t)cfg->ingest.spool_max_mb << 20;
	m->on_data = on_data;
	m->on_data_arg = arg;
	for (i = 0; i < MQTT_PUB_SLOTS; i++)
		m->pub[i].m = m;
	if (copy_topics(m, cfg) == -1)
		goto fail;
	m->data_ev = event_new(base, -1, 0, data_ev_cb, m);
	m->retry_ev = evtimer_new(base, retry_cb, m);
	m->pub_ev = event_new(base, -1, 0, mqtt_pub_ev_cb, m);
	if (m->data_ev == NULL || m->retry_ev == NULL || m->pub_ev == NULL)
		goto fail;
	/* The spool is our persistence: for inbound QoS 1 paho's store
	 * would only keep a second copy of what is acknowledged after the
	 * spool write anyway. Messages are not kept while disconnected. */
	rc = MQTTAsync_createWithOptions(&m->client, cfg->mqtt.url,
	    cfg->mqtt.client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
	    cfg->mqtt.mqtt5 ? &cr5 : &cr);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("mqtt: create client for %s: %s", cfg->mqtt.url,
		    MQTTAsync_strerror(rc));
		goto fail;
	}
	if (MQTTAsync_setCallbacks(m->client, m, on_lost, on_message, NULL) !=
		MQTTASYNC_SUCCESS ||
	    MQTTAsync_setConnected(m->client, m, on_connected) !=
		MQTTASYNC_SUCCESS)
		goto fail;
	if (pthread_create(&m->pub_thread, NULL, mqtt_pub_run, m) != 0) {
		log_warnx("mqtt: cannot start the publishing thread");
		goto fail;
	}
	m->pub_started = 1;
	/* Named for top -H: see docs/threads.md. */
	pthread_setname_np(m->pub_thread, "wt-mqtt-pub");
	if (do_connect(m) == -1)
		retry_cb(-1, 0, m);
	*out = m;
	return 0;
fail:
	m->w = NULL; /* the caller still owns it */
	mqtt_free(m);
	return -1;
}

void
mqtt_state(struct mqtt *m, struct mqtt_state *st)
{
	pthread_mutex_lock(&m->mu);
	*st = m->st;
	pthread_mutex_unlock(&m->mu);
}

void
mqtt_report(const struct mqtt *m, const struct mqtt_state *st, struct report *r)
{
	const struct config *c = m->cfg;
	size_t i;

	r->mqtt.connected = st->connected;
	r->mqtt.subscribed = st->subscribed;
	r->mqtt.broker = c->mqtt.url;
	r->mqtt.client_id = c->mqtt.client_id;
	r->mqtt.reconnects = st->reconnects;
	r->mqtt.connection_losses = st->losses;
	r->mqtt.down_since_ms = st->down_since_ms;
	r->mqtt.last_error = st->last_error[0] ? st->last_error : NULL;
	for (i = 0; i < c->nsubs && i < REPORT_MAX_SUBS; i++)
		r->mqtt.subs[i] = c->subs[i].topic;
	r->mqtt.nsubs = i;
}

void
mqtt_committed(struct mqtt *m, uint64_t committed_bytes)
{
	pthread_mutex_lock(&m->mu);
	m->committed_bytes = committed_bytes;
	pthread_cond_broadcast(&m->room);
	pthread_mutex_unlock(&m->mu);
}

static void
on_disconnected(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	(void)ctx;
}

void
mqtt_stop(struct mqtt *m)
{
	MQTTAsync_disconnectOptions dopt =
	    MQTTAsync_disconnectOptions_initializer;
	int stuck, i;

	pthread_mutex_lock(&m->mu);
	m->stopping = 1;
	pthread_cond_broadcast(&m->room);
	pthread_cond_broadcast(&m->pub_cv);
	/* A callback retrying a failed spool write holds paho's lock and will
	 * park instead of returning: paho cannot be torn down then. */
	stuck = m->stuck || m->st.spool_failing;
	m->stuck = stuck;
	pthread_mutex_unlock(&m->mu);
	event_del(m->retry_ev);
	/* Stuck, the publishing thread may wait for paho's lock for good. */
	if (m->pub_started && !stuck) {
		pthread_join(m->pub_thread, NULL);
		m->pub_joined = 1;
	}
	if (m->client == NULL)
		return;
	if (stuck) {
		log_warnx("mqtt: a message could not be spooled; leaving it "
			  "unacknowledged for the broker to redeliver");
		return;
	}
	dopt.timeout = 1000;
	dopt.onSuccess = on_disconnected;
	dopt.context = m;
	(void)MQTTAsync_disconnect(m->client, &dopt);
	/* Give paho a moment to send DISCONNECT; destroy stops its threads,
	 * after which no callback runs. */
	for (i = 0; i < 20 && MQTTAsync_isConnected(m->client); i++)
		usleep(50 * 1000);
	MQTTAsync_destroy(&m->client);
	m->client = NULL;
}

void
mqtt_free(struct mqtt *m)
{
	int i;

	if (m == NULL)
		return;
	if (m->pub_started && !m->pub_joined && !m->stuck) {
		pthread_mutex_lock(&m->mu);
		m->stopping = 1;
		pthread_cond_broadcast(&m->pub_cv);
		pthread_mutex_unlock(&m->mu);
		pthread_join(m->pub_thread, NULL);
		m->pub_joined = 1;
	}
	if (m->client != NULL && !m->stuck)
		MQTTAsync_destroy(&m->client);
	if (m->data_ev != NULL)
		event_free(m->data_ev);
	if (m->retry_ev != NULL)
		event_free(m->retry_ev);
	for (i = 0; m->topics != NULL && m->topics[i] != NULL; i++)
		free(m->topics[i]);
	free(m->topics);
	free(m->qos);
	if (!m->stuck)
		spool_writer_close(m->w);
	if (m->pub_ev != NULL)
		event_free(m->pub_ev);
	/* A publishing thread not joined may still read its slot. */
	for (i = 0; (m->pub_joined || !m->pub_started) && i < MQTT_PUB_SLOTS;
	     i++) {
		free(m->pub[i].topic);
		free(m->pub[i].payload);
	}
	pthread_cond_destroy(&m->pub_cv);
	pthread_cond_destroy(&m->room);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
