/*
 * event: the canonical model every dialect is decoded into.
 *
 * Units: mass in kg, time in UTC epoch milliseconds, positions in WGS-84
 * degrees. Unknown values are NaN (doubles), WT_NOTIME (times), -1 (small
 * integers) or NULL (strings) and are stored as SQL NULL, never as 0.
 *
 * Strings point into the event's own arena (ev_strdup) and live until
 * ev_reset(). An event is filled by a decoder, then read by the store.
 */
#ifndef WT_EVENT_H
#define WT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"

#define WT_NOTIME INT64_MIN

/*
 * Data-quality flags (dq_flags column). The bit values are stored and
 * exported, so they never change: new flags take the next free bit.
 */
enum dq_flag {
	DQ_DUP_SEMANTIC = 1u << 0,
	DQ_LATE = 1u << 1,
	DQ_TZ_ASSUMED = 1u << 2,
	DQ_UNIT_INFERRED = 1u << 3,
	DQ_PLATE_INVALID = 1u << 4,
	DQ_PLATE_ALIASED = 1u << 5,
	DQ_COORD_INVALID = 1u << 6,
	DQ_COORD_CONVERTED = 1u << 7,
	DQ_SPEED_OUTLIER = 1u << 8,
	DQ_NET_MISMATCH = 1u << 9,
	DQ_NET_NEGATIVE = 1u << 10,
	DQ_IMPLAUSIBLE_WEIGHT = 1u << 11,
	DQ_TARE_STORED = 1u << 12,
	DQ_MISSING_OPTIONAL = 1u << 13,
	DQ_TOPIC_PAYLOAD_MISMATCH = 1u << 14,
	DQ_STATUS_REGRESSION_IGNORED = 1u << 15,
	DQ_FUTURE_TS = 1u << 16,
	DQ_RECON_DISCREPANCY = 1u << 17,
	/* The facility named is not in the registry. The row is kept so
	 * that no data is lost; its tonnage has no district. */
	DQ_UNKNOWN_FACILITY = 1u << 18,
};

enum ev_kind {
	EV_NONE = 0,
	EV_POSITION,
	EV_VEHICLE_EVENT,
	EV_WEIGHING,
	EV_FACILITY_STATUS,
	EV_MANIFEST,
	EV_DEVICE_BINDING,
	EV_KIND_COUNT
};

struct ev_position {
	const char *vehicle, *device, *plate, *load_state;
	const char *coord_sys; /* as sent; lat/lon are WGS-84 */
	int64_t ts_ms;
	int64_t fix_valid; /* 0 = no GNSS fix, -1 unknown */
	/* Tipping body raised (a muck truck unloading): 1, 0, -1 unknown.
	 * Not stored; lib/muck.c infers unloads from it. */
	int64_t body_lifted;
	double lat, lon, speed_kmh, heading_deg, alt_m;
};

struct ev_vehicle_event {
	const char *type; /* "load" | "unload" */
	const char *vehicle, *plate, *site, *facility, *waste, *manifest_no;
	const char *coord_sys;
	/* Containers handled, besides the mass (which stays the measure):
	 * count_unit is "piece", "bag", "box" or "bin" and is set exactly
	 * when count is (>= 0; -1 unknown). */
	const char *count_unit;
	int64_t count;
	int64_t ts_ms;
	double mass_kg, lat, lon;
};

struct ev_weighing {
	const char *facility, *ticket, *plate, *direction, *waste, *origin;
	const char *status, *manifest_no;
	int64_t version; /* -1 when the sender gave none */
	int64_t first_ms, second_ms;
	double gross_kg, tare_kg, net_kg;
};

struct ev_facility_status {
	const char *facility, *state;
	int64_t ts_ms;
	double inventory_kg, throughput_kg;
	const char *extra_json; /* remaining members, as JSON text */
};

struct ev_manifest_line {
	int64_t line;
	const char *waste_code, *hw_category, *waste, *unit;
	double qty, qty_kg;
};

struct ev_manifest_ticket {
	const char *facility, *ticket;
};

struct ev_manifest {
	const char *scheme, *manifest_no, *status, *plate;
	const char *generator_code, *generator_name, *generator_district;
	const char *carrier_name, *receiver_facility, *receiver_name;
	const char *waste; /* category of a line-less manifest */
	const char *ticket, *ticket_facility; /* one ticket, as vendors send */
	int64_t version, ts_ms;
	int64_t departed_ms, arrived_ms; /* explicit milestones, if sent */
	double declared_kg, received_kg; /* without lines / as received */
	struct ev_manifest_line *lines;
	size_t nlines;
	struct ev_manifest_ticket *tickets;
	size_t ntickets;
};

/* A terminal (JT/T 808 phone number) bound to a plate from a given time. */
struct ev_device_binding {
	const char *device, *plate, *plate_color;
	int64_t ts_ms; /* WT_NOTIME: since the beginning */
};

struct ev {
	enum ev_kind kind;
	uint32_t dq; /* enum dq_flag bits */
	union {
		struct ev_position pos;
		struct ev_vehicle_event vev;
		struct ev_weighing wb;
		struct ev_facility_status fst;
		struct ev_manifest man;
		struct ev_device_binding bind;
	} u;
	/* private: string and array storage, freed by ev_reset() */
	struct ev_chunk *arena;
};

/* Clear an event for reuse; frees its arena. Safe on a zeroed event. */
void ev_reset(struct ev *e);
/* Copy n bytes of s (NUL added) into the event's arena; NULL on ENOMEM. */
char *ev_strndup(struct ev *e, const char *s, size_t n) WT_MUST_CHECK;
char *ev_strdup(struct ev *e, const char *s) WT_MUST_CHECK;
/* Zeroed storage of size bytes in the arena; NULL on ENOMEM. */
void *ev_alloc(struct ev *e, size_t size) WT_MUST_CHECK;
/* Name of a kind, as used in `messages.kind` and logs. */
const char *ev_kind_name(enum ev_kind k);

/* Set every field of kind k to "unknown" (NaN, WT_NOTIME, -1, NULL). */
void ev_init(struct ev *e, enum ev_kind k);

/*
 * Weighing checks: keep the reported values (a deduction or a manual edit
 * can explain a difference), derive net = gross − tare only when net is
 * missing on a complete ticket, flag NET_NEGATIVE / NET_MISMATCH (more
 * than 20 kg from gross − tare) and IMPLAUSIBLE_WEIGHT (beyond 200 t).
 */
void ev_check_weighing(struct ev *e);

/*
 * A vehicle event's count: a count needs its unit (-1 then: the caller
 * rejects the message), and a unit without a count says nothing, so it
 * is cleared (a profile's constant unit on a message without a count).
 */
int ev_check_count(struct ev_vehicle_event *v) WT_MUST_CHECK;

/* A growing list of events: one message may carry several records. */
struct ev_list {
	struct ev *ev;
	size_t n, cap;
};

/* A new zeroed event at the end, or NULL on ENOMEM or past max. */
struct ev *ev_list_add(struct ev_list *l, size_t max) WT_MUST_CHECK;
/* ev_reset() the events from index n on and keep the first n. */
void ev_list_truncate(struct ev_list *l, size_t n);
/* ev_reset() every event and empty the list (keeps its storage). */
void ev_list_clear(struct ev_list *l);
void ev_list_free(struct ev_list *l);

#endif
