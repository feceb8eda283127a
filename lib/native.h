/*
 * native: decoder for the native `wastetrack` dialect (DESIGN §5).
 * Topic decides the kind; the JSON payload is checked field by field and
 * normalised into a struct ev. Pure: no I/O, safe on any thread.
 */
#ifndef WT_NATIVE_H
#define WT_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct decode_ctx {
	int local_offset_min;		/* for naive local times */
	int64_t received_ms;		/* for the future-time check */
	int64_t future_tolerance_ms;
};

/* Why a message was rejected: a stable reason code (see README) and a
 * human-readable detail for the log and the rejects table. */
struct decode_err {
	const char *reason;
	char detail[256];
};

/* Set err (a reason code and a printf detail) and return -1: how every
 * decoder, native or profile, fails. */
int native_err(struct decode_err *err, const char *reason, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/*
 * Decode one message. Returns 0 with *e filled (the caller ev_reset()s it
 * afterwards), or -1 with *err set; e is reset on failure.
 */
int native_decode(const char *topic, const char *payload, size_t len,
    const struct decode_ctx *ctx, struct ev *e, struct decode_err *err);

#endif
