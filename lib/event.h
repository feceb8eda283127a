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

#define WT_NOTIME INT64_MIN

/* Data-quality flags (dq_flags column), bit values from domain.md §8. */
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
};

enum ev_kind {
	EV_NONE = 0,
	EV_POSITION,
	EV_VEHICLE_EVENT,
	EV_WEIGHING,
	EV_FACILITY_STATUS,
	EV_MANIFEST,
};

struct ev_position {
	const char *vehicle, *device, *plate, *load_state;
	int64_t ts_ms;
	double lat, lon, speed_kmh, heading_deg, alt_m;
};

struct ev_vehicle_event {
	const char *type;		/* "load" | "unload" */
	const char *vehicle, *plate, *site, *facility, *waste, *manifest_no;
	int64_t ts_ms;
	double mass_kg, lat, lon;
};

struct ev_weighing {
	const char *facility, *ticket, *plate, *direction, *waste, *origin;
	const char *status, *manifest_no;
	int64_t version;		/* -1 when the sender gave none */
	int64_t first_ms, second_ms;
	double gross_kg, tare_kg, net_kg;
};

struct ev_facility_status {
	const char *facility, *state;
	int64_t ts_ms;
	double inventory_kg, throughput_kg;
	const char *extra_json;		/* remaining members, as JSON text */
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
	int64_t version, ts_ms;
	struct ev_manifest_line *lines;
	size_t nlines;
	struct ev_manifest_ticket *tickets;
	size_t ntickets;
};

struct ev {
	enum ev_kind kind;
	uint32_t dq;			/* enum dq_flag bits */
	union {
		struct ev_position pos;
		struct ev_vehicle_event vev;
		struct ev_weighing wb;
		struct ev_facility_status fst;
		struct ev_manifest man;
	} u;
	/* private: string and array storage, freed by ev_reset() */
	struct ev_chunk *arena;
};

/* Clear an event for reuse; frees its arena. Safe on a zeroed event. */
void ev_reset(struct ev *e);
/* Copy n bytes of s (NUL added) into the event's arena; NULL on ENOMEM. */
char *ev_strndup(struct ev *e, const char *s, size_t n);
char *ev_strdup(struct ev *e, const char *s);
/* Zeroed storage of size bytes in the arena; NULL on ENOMEM. */
void *ev_alloc(struct ev *e, size_t size);
/* Name of a kind, as used in `messages.outcome` and logs. */
const char *ev_kind_name(enum ev_kind k);

#endif
