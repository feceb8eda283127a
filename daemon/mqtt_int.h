/*
 * mqtt_int: what the files of the mqtt module share (mqtt.c: the client,
 * the receive side and the spool hand-off; mqtt_pub.c: publishing from
 * the wt-mqtt-pub thread). Included by daemon/mqtt*.c only: the rest of
 * the daemon sees mqtt.h, and only these files include paho's headers.
 */
#ifndef WT_MQTT_INT_H
#define WT_MQTT_INT_H

#include <MQTTAsync.h>
#include <event2/util.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt.h"

struct event;

/* A message to publish, from the loop's queueing to its completion. */
enum pub_state {
	PUB_FREE,    /* the loop's */
	PUB_QUEUED,  /* for the publishing thread */
	PUB_SENDING, /* in MQTTAsync_sendMessage() */
	PUB_SENT,    /* token known; waiting for the acknowledgement */
	PUB_FAILED,  /* the send was refused */
};

struct pub_slot {
	struct mqtt *m;
	enum pub_state state; /* under m->mu */
	char *topic;
	void *payload;
	size_t len;
	int retained;
	uint64_t cookie;
	int token;   /* paho's, once sent */
	int cb_done; /* a callback came: its result and token */
	int cb_ok, cb_token;
	int64_t sent_us; /* monotonic */
};

struct mqtt {
	MQTTAsync client;
	const struct config *cfg; /* must outlive m (main keeps the
					 * start-time configuration) */
	char **topics;		  /* our copy, for resubscribing */
	int *qos;
	int ntopics;
	struct event_base *base;
	struct event *data_ev;	/* wakes the loop: new data */
	struct event *retry_ev; /* initial connect retry timer */
	int retry_s;

	/* Shared between paho's thread and the loop, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t room; /* committed_bytes advanced */
	struct mqtt_state st;
	uint64_t committed_bytes;
	uint64_t max_backlog;
	int stopping;
	int stuck;	    /* a callback can never return */
	int connect_failed; /* loop should schedule a retry */
	int notified;	    /* a wake-up is pending */

	void (*on_data)(void *); /* the loop's consumer */
	void *on_data_arg;
	struct spool_writer *w; /* paho thread only */
	unsigned write_failures;
	uint64_t own_skipped; /* our own alerts seen back, paho thread */

	/* Publishing: slots under mu, the thread that sends them, the
	 * wake-up of the loop for completions. */
	struct pub_slot pub[MQTT_PUB_SLOTS];
	pthread_t pub_thread;
	int pub_started, pub_joined;
	pthread_cond_t pub_cv;
	struct event *pub_ev;
	mqtt_sent_fn *on_sent;
	void *on_sent_arg;
};

/* mqtt_pub.c, started by mqtt_start(): the body of wt-mqtt-pub (sends
 * what the loop queued), and the callback of m->pub_ev on the loop (hands
 * the completions to the loop's consumer). */
void *mqtt_pub_run(void *arg);
void mqtt_pub_ev_cb(evutil_socket_t fd, short what, void *arg);

#endif
