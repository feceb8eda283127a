/* mqtt_pub: the publishing half of mqtt.h (alerts, docs/alerts.md): the
 * slots the loop fills, the wt-mqtt-pub thread that sends them, and paho's
 * acknowledgements handed back to the loop. */
#include "mqtt_int.h"

#include "clock.h"
#include "config.h"
#include "log.h"

#include <event2/event.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- publishing: paho's threads and wt-mqtt-pub ---- */

/* A callback of paho's for a message sent: kept for the loop, which
 * matches it with the send by token (a late callback of a slot since
 * reused carries another). */
static void
pub_complete(struct pub_slot *sl, int ok, int token)
{
	struct mqtt *m = sl->m;
	int wake = 0;

	pthread_mutex_lock(&m->mu);
	if (sl->state == PUB_SENDING || sl->state == PUB_SENT) {
		sl->cb_done = 1;
		sl->cb_ok = ok;
		sl->cb_token = token;
		wake = 1;
	}
	pthread_mutex_unlock(&m->mu);
	if (wake)
		event_active(m->pub_ev, EV_READ, 0);
}

static void
on_pub_ok(void *ctx, MQTTAsync_successData *d)
{
	pub_complete(ctx, 1, d ? d->token : -1);
}

static void
on_pub_fail(void *ctx, MQTTAsync_failureData *f)
{
	pub_complete(ctx, 0, f ? f->token : -1);
}

static void
on_pub_ok5(void *ctx, MQTTAsync_successData5 *d)
{
	pub_complete(ctx, 1, d ? d->token : -1);
}

static void
on_pub_fail5(void *ctx, MQTTAsync_failureData5 *f)
{
	pub_complete(ctx, 0, f ? f->token : -1);
}

/* On wt-mqtt-pub: may wait for paho's lock, which is the point. */
static void
pub_send(struct mqtt *m, struct pub_slot *sl)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	int rc, wake;

	ro.context = sl;
	if (m->cfg->mqtt.mqtt5) {
		ro.onSuccess5 = on_pub_ok5;
		ro.onFailure5 = on_pub_fail5;
	} else {
		ro.onSuccess = on_pub_ok;
		ro.onFailure = on_pub_fail;
	}
	msg.payload = sl->payload;
	msg.payloadlen = (int)sl->len;
	msg.qos = 1;
	msg.retained = sl->retained;
	rc = MQTTAsync_sendMessage(m->client, sl->topic, &msg, &ro);
	pthread_mutex_lock(&m->mu);
	if (rc != MQTTASYNC_SUCCESS) {
		sl->state = PUB_FAILED;
		wake = 1;
	} else {
		sl->token = ro.token;
		sl->sent_us = clock_mono_us();
		sl->state = PUB_SENT;
		wake = sl->cb_done;
	}
	pthread_mutex_unlock(&m->mu);
	if (rc != MQTTASYNC_SUCCESS)
		log_debug("mqtt: publish %s: %s", sl->topic,
		    MQTTAsync_strerror(rc));
	if (wake)
		event_active(m->pub_ev, EV_READ, 0);
}

void *
mqtt_pub_run(void *arg)
{
	struct mqtt *m = arg;
	struct pub_slot *sl;
	size_t i;

	for (;;) {
		sl = NULL;
		pthread_mutex_lock(&m->mu);
		while (!m->stopping && sl == NULL) {
			for (i = 0; i < MQTT_PUB_SLOTS && sl == NULL; i++)
				if (m->pub[i].state == PUB_QUEUED)
					sl = &m->pub[i];
			if (sl == NULL)
				pthread_cond_wait(&m->pub_cv, &m->mu);
		}
		if (m->stopping) {
			pthread_mutex_unlock(&m->mu);
			return NULL;
		}
		sl->state = PUB_SENDING;
		sl->cb_done = 0;
		pthread_mutex_unlock(&m->mu);
		pub_send(m, sl);
	}
}

/* ---- loop thread ---- */

/* Completions to the loop's consumer: acknowledged, refused, or no
 * acknowledgement within MQTT_PUB_TIMEOUT_S. */
static void
pub_collect(struct mqtt *m)
{
	struct mqtt_sent done[MQTT_PUB_SLOTS];
	int64_t now = clock_mono_us();
	struct pub_slot *sl;
	size_t i, n = 0;
	int fin;

	pthread_mutex_lock(&m->mu);
	for (i = 0; i < MQTT_PUB_SLOTS; i++) {
		sl = &m->pub[i];
		fin = -1;
		if (sl->state == PUB_FAILED)
			fin = 0;
		else if (sl->state == PUB_SENT && sl->cb_done &&
		    sl->cb_token == sl->token)
			fin = sl->cb_ok;
		else if (sl->state == PUB_SENT) {
			sl->cb_done = 0; /* a late one of an earlier send */
			if (now - sl->sent_us > MQTT_PUB_TIMEOUT_S * 1000000LL)
				fin = 0;
		}
		if (fin == -1)
			continue;
		done[n].cookie = sl->cookie;
		done[n++].ok = fin;
		free(sl->topic);
		free(sl->payload);
		sl->topic = NULL;
		sl->payload = NULL;
		sl->state = PUB_FREE;
	}
	pthread_mutex_unlock(&m->mu);
	if (n > 0 && m->on_sent != NULL)
		m->on_sent(m->on_sent_arg, done, n);
}

void
mqtt_pub_ev_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pub_collect(arg);
}

void
mqtt_on_sent(struct mqtt *m, mqtt_sent_fn *fn, void *arg)
{
	m->on_sent = fn;
	m->on_sent_arg = arg;
}

void
mqtt_publish_poll(struct mqtt *m)
{
	pub_collect(m);
}

int
mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len,
    int retained, uint64_t cookie)
{
	struct pub_slot *sl = NULL;
	size_t i;
	int up;

	pthread_mutex_lock(&m->mu);
	up = m->st.connected && !m->stopping && m->pub_started;
	for (i = 0; i < MQTT_PUB_SLOTS && up && sl == NULL; i++)
		if (m->pub[i].state == PUB_FREE)
			sl = &m->pub[i];
	pthread_mutex_unlock(&m->mu);
	/* Only the loop fills a free slot or frees one: its fields need no
	 * lock until it is queued. */
	if (sl == NULL || len > INT_MAX)
		return -1;
	if ((sl->topic = strdup(topic)) == NULL ||
	    (sl->payload = malloc(len > 0 ? len : 1)) == NULL) {
		free(sl->topic);
		sl->topic = NULL;
		return -1;
	}
	memcpy(sl->payload, payload, len);
	sl->len = len;
	sl->retained = retained;
	sl->cookie = cookie;
	pthread_mutex_lock(&m->mu);
	sl->state = PUB_QUEUED;
	pthread_cond_signal(&m->pub_cv);
	pthread_mutex_unlock(&m->mu);
	return 0;
}
