/*
 * alert: the loop's side of publishing alerts (docs/alerts.md). The store
 * says which step of which alert the broker has not acknowledged yet
 * (store_alerts_pending); this module hands at most ALERT_INFLIGHT of
 * them to a sender, one step per alert at a time (so the steps of one
 * topic reach the broker in order), and records a step in the store only
 * once the broker acknowledged it. Nothing is lost by a broker that is
 * down, a connection lost or a restart: what is not acknowledged is
 * simply still pending, and is sent again.
 *
 * No threads, sockets or MQTT library: the daemon gives the sender (its
 * MQTT bridge) and reports completions back, on the loop.
 */
#ifndef WT_ALERT_H
#define WT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "store.h"

#define ALERT_INFLIGHT 16

struct alert_pub;

/*
 * Hand one message to the broker, QoS 1: 0 when it is on its way (a
 * completion with cookie follows, exactly once), -1 when it cannot be
 * sent now (disconnected, full): the step stays pending.
 */
typedef int alert_send_fn(void *arg, const char *topic, const void *payload,
    size_t len, int retained, uint64_t cookie);

int alert_pub_new(struct alert_pub **out) WT_MUST_CHECK;
void alert_pub_free(struct alert_pub *ap);

/*
 * Record the acknowledgements received since the last call, then send
 * pending steps while slots are free. -1 when the store failed (logged):
 * the acknowledgements are kept and nothing new is sent until they are
 * written.
 */
int alert_pub_flush(struct alert_pub *ap, struct store *s, alert_send_fn *send,
    void *arg) WT_MUST_CHECK;

/* The sender's completion of cookie: ok when the broker acknowledged. */
void alert_pub_done(struct alert_pub *ap, uint64_t cookie, int ok);

/* Steps in flight now, acknowledged and failed since start. */
struct alert_pub_stats {
	unsigned inflight;
	uint64_t acked, failed;
};
void alert_pub_stats(const struct alert_pub *ap, struct alert_pub_stats *st);

#endif
