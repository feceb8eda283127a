/*
 * decode: applies a compiled profile (profile.h) to one message and yields
 * canonical events, one per record. All or nothing: a message with one
 * bad record is rejected whole, never partially applied, so that a
 * truncated or corrupt batch cannot leave half its records behind.
 * Pure: no I/O.
 */
#ifndef WT_DECODE_H
#define WT_DECODE_H

#include <stddef.h>

#include "attr.h"
#include "decoder.h"
#include "event.h"
#include "profile.h"

/* Most records one message may carry (delimited batches). */
#define DECODE_MAX_RECORDS 256

/*
 * Decode payload (len bytes, raw as received) on topic with profile p.
 * Returns 0 with the events appended to out, or -1 with *err set and
 * nothing appended (see decoder.h).
 */
int decode_profile(const struct profile *p, const char *topic,
    const char *payload, size_t len, const struct decode_ctx *ctx,
    struct ev_list *out, struct decode_err *err) WT_MUST_CHECK;

#endif
