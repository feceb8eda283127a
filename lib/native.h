/*
 * native: decoder for the native `wastetrack` dialect, the JSON the
 * project defines itself (topics wt/v1/...). The topic decides the kind;
 * the JSON payload is checked field by field and normalised into one
 * struct ev. Pure: no I/O, safe on any thread.
 */
#ifndef WT_NATIVE_H
#define WT_NATIVE_H

#include <stddef.h>

#include "attr.h"
#include "decoder.h"
#include "event.h"

/*
 * Decode one message (len bytes of payload, raw as received) on topic.
 * Returns 0 with its one event appended to out, or -1 with *err set and
 * nothing appended (see decoder.h).
 */
int native_decode(const char *topic, const char *payload, size_t len,
    const struct decode_ctx *ctx, struct ev_list *out,
    struct decode_err *err) WT_MUST_CHECK;

#endif
