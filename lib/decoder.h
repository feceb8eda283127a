/*
 * decoder: what every decoder shares, whichever dialect it reads. A
 * decoder takes one message (topic and raw payload) and a decode_ctx, and
 * either appends its events to a struct ev_list and returns 0, or sets
 * *err, appends nothing and returns -1. native_decode() (native.h) and
 * decode_profile() (decode.h) both have this shape.
 */
#ifndef WT_DECODER_H
#define WT_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "event.h"

/* What a decoder needs to know beyond the message itself. */
struct decode_ctx {
	int local_offset_min; /* for naive local times */
	int64_t received_ms;  /* for the future-time check */
	int64_t future_tolerance_ms;
};

/* Why a message was rejected: a stable reason code (docs/rejects.md) and a
 * human-readable detail for the log and the rejects table. */
struct decode_err {
	const char *reason;
	char detail[256];
};

/* Set err (a reason code and a printf detail) and return -1, so that a
 * decoder fails with `return decoder_fail(...)`. Never fails itself. */
int decoder_fail(struct decode_err *err, const char *reason, const char *fmt,
    ...) WT_PRINTF(3, 4);

/* Start decoding one message into out: clear *err and return the length
 * of out, which decoder_end() rolls back to on failure. */
size_t decoder_begin(struct ev_list *out, struct decode_err *err);

/*
 * Finish decoding one message with the decoder's result rc. On -1, drop
 * every event appended to out since decoder_begin() returned first: a
 * message is decoded whole or not at all. Returns rc.
 */
int decoder_end(int rc, struct ev_list *out, size_t first);

#endif
