/*
 * mqtt: the paho.mqtt.c bridge and the durable hand-off: a message is
 * acknowledged to the broker only once it is in the spool.
 *
 * paho's receive thread runs on_message(): it appends the message to the
 * spool with one write, publishes the new spool end under a mutex, wakes
 * the loop with event_active(), and only then returns 1, which lets paho
 * send the PUBACK. Everything else here runs on the loop thread. The loop
 * never calls a paho function while a callback could be waiting on it.
 */
#ifndef WT_MQTT_H
#define WT_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "spool.h"

struct config;
struct event_base;
struct mqtt;
struct report;

struct mqtt_state {
	int connected;
	int subscribed; /* the broker acknowledged SUBSCRIBE */
	uint64_t reconnects, losses;
	int64_t down_since_ms; /* 0 while connected */
	char last_error[160];
	int spool_failing;	/* appends failing: nothing is acked */
	uint64_t written_bytes; /* spooled this run */
	struct spool_pos end;	/* spool end, for the reader's limit */
};

/*
 * Create the client from cfg and start connecting (retries forever with
 * backoff). Takes ownership of w. on_data(arg) runs on the loop whenever
 * new messages are spooled.
 */
int mqtt_start(struct event_base *base, const struct config *cfg,
    struct spool_writer *w, struct spool_pos start, void (*on_data)(void *),
    void *arg, struct mqtt **out) WT_MUST_CHECK;

/* Snapshot of the shared state, under its mutex. */
void mqtt_state(struct mqtt *m, struct mqtt_state *st);

/*
 * The MQTT part of the status snapshot, from st (a mqtt_state() of the
 * caller's): r's strings point into st and into the configuration given
 * to mqtt_start().
 */
void mqtt_report(const struct mqtt *m, const struct mqtt_state *st,
    struct report *r);

/* The loop has committed up to this many bytes of this run's spool:
 * releases a receive thread waiting for room (spool_max_mb). */
void mqtt_committed(struct mqtt *m, uint64_t committed_bytes);

/*
 * Publishing (alerts, docs/alerts.md), QoS 1. The loop never calls paho
 * itself: paho holds its lock while on_message() waits for the loop to
 * commit, so a send from the loop could wait for the loop. A thread of
 * this module (wt-mqtt-pub) does the sends; completions come back to the
 * loop as one call of fn(arg, done, n), on the loop.
 *
 * mqtt_publish() queues one message (copied) and returns 0, or -1 when
 * disconnected or MQTT_PUB_SLOTS are in flight. Each queued message gets
 * exactly one completion: ok once the broker acknowledged it (PUBACK),
 * not ok when the send failed or no acknowledgement came within
 * MQTT_PUB_TIMEOUT_S (a connection lost meanwhile).
 */
#define MQTT_PUB_SLOTS	   16
#define MQTT_PUB_TIMEOUT_S 60
struct mqtt_sent {
	uint64_t cookie;
	int ok;
};
typedef void mqtt_sent_fn(void *arg, const struct mqtt_sent *done, size_t n);
void mqtt_on_sent(struct mqtt *m, mqtt_sent_fn *fn, void *arg);
int mqtt_publish(struct mqtt *m, const char *topic, const void *payload,
    size_t len, int retained, uint64_t cookie) WT_MUST_CHECK;
/* Once a tick: completions of messages acknowledged too late. */
void mqtt_publish_poll(struct mqtt *m);

/* Stop acknowledging: disconnect and destroy the client. After this no
 * message is spooled; the loop then drains what is left. */
void mqtt_stop(struct mqtt *m);
void mqtt_free(struct mqtt *m);

#endif
