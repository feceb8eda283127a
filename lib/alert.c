/* alert: see alert.h. */
#include "alert.h"

#include "log.h"

#include <stdlib.h>

struct slot {
	int used;
	int64_t id;
	enum store_alert_step step;
	uint64_t cookie;
};

struct alert_pub {
	struct slot fl[ALERT_INFLIGHT];
	uint64_t gen; /* cookies: (gen << 8) | slot, never reused */
	/* Acknowledged, not yet recorded: at most one per slot, since no
	 * step is sent while some are unrecorded. */
	int64_t ack_id[ALERT_INFLIGHT];
	enum store_alert_step ack_step[ALERT_INFLIGHT];
	size_t nack;
	struct alert_pub_stats st;
};

int
alert_pub_new(struct alert_pub **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return -1;
	return 0;
}

void
alert_pub_free(struct alert_pub *ap)
{
	free(ap);
}

struct flush {
	struct alert_pub *ap;
	alert_send_fn *send;
	void *arg;
};

static int
inflight(const struct alert_pub *ap, int64_t id)
{
	size_t i;

	for (i = 0; i < ALERT_INFLIGHT; i++)
		if (ap->fl[i].used && ap->fl[i].id == id)
			return 1;
	return 0;
}

static int
free_slot(const struct alert_pub *ap)
{
	int i;

	for (i = 0; i < ALERT_INFLIGHT; i++)
		if (!ap->fl[i].used)
			return i;
	return -1;
}

/* One pending step: sent unless its alert has a step in flight. */
static int
send_one(void *arg, const struct store_alert_msg *m)
{
	struct flush *f = arg;
	struct alert_pub *ap = f->ap;
	struct slot *sl;
	int i;

	if (inflight(ap, m->id))
		return 1;
	if ((i = free_slot(ap)) == -1)
		return 0;
	sl = &ap->fl[i];
	sl->cookie = (++ap->gen << 8) | (uint64_t)i;
	if (f->send(f->arg, m->topic, m->payload, m->len, m->retained,
		sl->cookie) == -1)
		return 0; /* not now: pending still */
	sl->used = 1;
	sl->id = m->id;
	sl->step = m->step;
	ap->st.inflight++;
	return 1;
}

int
alert_pub_flush(struct alert_pub *ap, struct store *s, alert_send_fn *send,
    void *arg)
{
	struct flush f = { ap, send, arg };

	if (ap->nack > 0) {
		if (store_alerts_acked(s, ap->ack_id, ap->ack_step, ap->nack) ==
		    -1)
			return -1;
		ap->nack = 0;
	}
	if (free_slot(ap) == -1)
		return 0;
	return store_alerts_pending(s, send_one, &f);
}

void
alert_pub_done(struct alert_pub *ap, uint64_t cookie, int ok)
{
	size_t i = (size_t)(cookie & 0xff);
	struct slot *sl;

	if (i >= ALERT_INFLIGHT)
		return;
	sl = &ap->fl[i];
	if (!sl->used || sl->cookie != cookie)
		return; /* not ours (cannot happen: one completion each) */
	sl->used = 0;
	ap->st.inflight--;
	if (!ok) {
		/* Still pending in the store: sent again at a flush. */
		ap->st.failed++;
		log_debug("alert: step %d of alert %lld not acknowledged; "
			  "sent again later",
		    (int)sl->step, (long long)sl->id);
		return;
	}
	ap->st.acked++;
	ap->ack_id[ap->nack] = sl->id;
	ap->ack_step[ap->nack] = sl->step;
	ap->nack++;
}

void
alert_pub_stats(const struct alert_pub *ap, struct alert_pub_stats *st)
{
	*st = ap->st;
}
