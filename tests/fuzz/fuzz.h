/*
 * fuzz: what the fuzz targets share. Each target defines the two libFuzzer
 * entry points below; replay.c drives them over a corpus without libFuzzer
 * (any compiler), and -Dfuzz=true links them with -fsanitize=fuzzer.
 *
 * Besides memory errors (ASan), UB (UBSan) and leaks (LSan), a target
 * aborts when a decoded event breaks the canonical model of event.h: text
 * that is not UTF-8, a non-finite number, a time outside the accepted
 * window, a coordinate off the globe.
 */
#ifndef WT_FUZZ_H
#define WT_FUZZ_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "native.h"
#include "norm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The clock of every decode: received in 2027, five minutes' tolerance. */
static const struct decode_ctx fuzz_ctx __attribute__((unused)) = {
	.local_offset_min = 480,
	.received_ms = INT64_C(1800000000000),
	.future_tolerance_ms = 300000,
};

#define FUZZ_EPOCH_MIN_MS INT64_C(946684800000) /* 2000-01-01 */

static inline void
fuzz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz: invariant broken: %s%s%s\n", what,
	    detail ? ": " : "", detail ? detail : "");
	abort();
}

static inline void
fuzz_text(const char *what, const char *s)
{
	if (s != NULL && !norm_utf8_valid(s, strlen(s)))
		fuzz_fail(what, "not UTF-8");
}

static inline void
fuzz_num(const char *what, double v)
{
	if (isinf(v))
		fuzz_fail(what, "infinite");
}

static inline void
fuzz_mass(const char *what, double v)
{
	fuzz_num(what, v);
}

static inline void
fuzz_time(const char *what, int64_t t)
{
	if (t != WT_NOTIME &&
	    (t < FUZZ_EPOCH_MIN_MS ||
		t > fuzz_ctx.received_ms + fuzz_ctx.future_tolerance_ms))
		fuzz_fail(what, "outside the accepted window");
}

static inline void
fuzz_coords(const char *what, double lat, double lon)
{
	if (isnan(lat) != isnan(lon))
		fuzz_fail(what, "half a coordinate");
	if (!isnan(lat) && (!(fabs(lat) <= 90) || !(fabs(lon) <= 180)))
		fuzz_fail(what, "off the globe");
}

/* Abort unless e is a well-formed canonical event. */
static inline void
fuzz_check_event(const struct ev *e)
{
	size_t i;

	switch (e->kind) {
	case EV_POSITION: {
		const struct ev_position *p = &e->u.pos;

		fuzz_text("position.vehicle", p->vehicle);
		fuzz_text("position.device", p->device);
		fuzz_text("position.plate", p->plate);
		fuzz_text("position.load_state", p->load_state);
		fuzz_text("position.coord_sys", p->coord_sys);
		if (p->vehicle == NULL)
			fuzz_fail("position.vehicle", "missing");
		if (p->ts_ms == WT_NOTIME)
			fuzz_fail("position.ts", "missing");
		fuzz_time("position.ts", p->ts_ms);
		fuzz_coords("position", p->lat, p->lon);
		fuzz_num("position.speed_kmh", p->speed_kmh);
		fuzz_num("position.heading_deg", p->heading_deg);
		fuzz_num("position.alt_m", p->alt_m);
		break;
	}
	case EV_VEHICLE_EVENT: {
		const struct ev_vehicle_event *v = &e->u.vev;

		fuzz_text("vehicle_event.type", v->type);
		fuzz_text("vehicle_event.vehicle", v->vehicle);
		fuzz_text("vehicle_event.plate", v->plate);
		fuzz_text("vehicle_event.site", v->site);
		fuzz_text("vehicle_event.facility", v->facility);
		fuzz_text("vehicle_event.waste", v->waste);
		fuzz_text("vehicle_event.manifest_no", v->manifest_no);
		fuzz_text("vehicle_event.coord_sys", v->coord_sys);
		fuzz_time("vehicle_event.ts", v->ts_ms);
		fuzz_mass("vehicle_event.mass_kg", v->mass_kg);
		fuzz_coords("vehicle_event", v->lat, v->lon);
		break;
	}
	case EV_WEIGHING: {
		const struct ev_weighing *w = &e->u.wb;

		fuzz_text("weighing.facility", w->facility);
		fuzz_text("weighing.ticket", w->ticket);
		fuzz_text("weighing.plate", w->plate);
		fuzz_text("weighing.direction", w->direction);
		fuzz_text("weighing.waste", w->waste);
		fuzz_text("weighing.origin", w->origin);
		fuzz_text("weighing.status", w->status);
		fuzz_text("weighing.manifest_no", w->manifest_no);
		fuzz_time("weighing.first_ts", w->first_ms);
		fuzz_time("weighing.second_ts", w->second_ms);
		fuzz_mass("weighing.gross_kg", w->gross_kg);
		fuzz_mass("weighing.tare_kg", w->tare_kg);
		fuzz_mass("weighing.net_kg", w->net_kg);
		break;
	}
	case EV_FACILITY_STATUS: {
		const struct ev_facility_status *f = &e->u.fst;

		fuzz_text("facility_status.facility", f->facility);
		fuzz_text("facility_status.state", f->state);
		fuzz_text("facility_status.extra_json", f->extra_json);
		fuzz_time("facility_status.ts", f->ts_ms);
		fuzz_mass("facility_status.inventory_kg", f->inventory_kg);
		fuzz_mass("facility_status.throughput_kg", f->throughput_kg);
		break;
	}
	case EV_MANIFEST: {
		const struct ev_manifest *m = &e->u.man;

		fuzz_text("manifest.scheme", m->scheme);
		fuzz_text("manifest.manifest_no", m->manifest_no);
		fuzz_text("manifest.status", m->status);
		fuzz_text("manifest.plate", m->plate);
		fuzz_text("manifest.generator_code", m->generator_code);
		fuzz_text("manifest.generator_name", m->generator_name);
		fuzz_text("manifest.generator_district", m->generator_district);
		fuzz_text("manifest.carrier_name", m->carrier_name);
		fuzz_text("manifest.receiver_facility", m->receiver_facility);
		fuzz_text("manifest.receiver_name", m->receiver_name);
		fuzz_text("manifest.waste", m->waste);
		fuzz_time("manifest.ts", m->ts_ms);
		fuzz_time("manifest.departed_ts", m->departed_ms);
		fuzz_time("manifest.arrived_ts", m->arrived_ms);
		fuzz_mass("manifest.declared_kg", m->declared_kg);
		fuzz_mass("manifest.received_kg", m->received_kg);
		if (m->version < 1)
			fuzz_fail("manifest.version", "not positive");
		if (m->nlines > 0 && m->lines == NULL)
			fuzz_fail("manifest.lines", "NULL with a count");
		for (i = 0; i < m->nlines; i++) {
			const struct ev_manifest_line *l = &m->lines[i];

			fuzz_text("manifest.line.waste_code", l->waste_code);
			fuzz_text("manifest.line.hw_category", l->hw_category);
			fuzz_text("manifest.line.waste", l->waste);
			fuzz_text("manifest.line.unit", l->unit);
			fuzz_num("manifest.line.qty", l->qty);
			fuzz_mass("manifest.line.qty_kg", l->qty_kg);
		}
		if (m->ntickets > 0 && m->tickets == NULL)
			fuzz_fail("manifest.tickets", "NULL with a count");
		for (i = 0; i < m->ntickets; i++) {
			fuzz_text("manifest.ticket.facility",
			    m->tickets[i].facility);
			fuzz_text("manifest.ticket.ticket",
			    m->tickets[i].ticket);
		}
		break;
	}
	case EV_DEVICE_BINDING:
		fuzz_text("device_binding.device", e->u.bind.device);
		fuzz_text("device_binding.plate", e->u.bind.plate);
		fuzz_text("device_binding.plate_color", e->u.bind.plate_color);
		fuzz_time("device_binding.ts", e->u.bind.ts_ms);
		break;
	case EV_NONE:
	case EV_KIND_COUNT:
	default:
		fuzz_fail("kind", "not a kind of event");
	}
}

/*
 * A topic that matches pattern: each {capture} becomes a plausible value
 * (the scenario of tests/fixtures/payloads), '+' and '#' a plain level.
 */
static inline void
fuzz_topic(const char *pattern, char *buf, size_t n)
{
	static const char *const caps[][2] = {
		{ "vehicle", "KW-0217" },
		{ "manifest_no", "20232201000153" },
		{ "station", "ST02" },
		{ "stream", "out" },
		{ "plate",
		    "\xe5\x90\x89"
		    "A5G217" },
		{ "clientid", "013912345678" },
		{ "phone", "013912345678" },
		{ "facility", "CC-KWP-01" },
	};
	const char *p = pattern, *end, *val;
	size_t used = 0, k, len;

	while (*p != '\0' && used + 1 < n) {
		if (*p == '{' && (end = strchr(p, '}')) != NULL) {
			val = "X1";
			len = (size_t)(end - p - 1);
			for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++)
				if (strlen(caps[k][0]) == len &&
				    memcmp(caps[k][0], p + 1, len) == 0)
					val = caps[k][1];
			used +=
			    (size_t)snprintf(buf + used, n - used, "%s", val);
			if (used >= n)
				used = n - 1;
			p = end + 1;
		} else if (*p == '+' || *p == '#') {
			buf[used++] = 'x';
			p++;
		} else
			buf[used++] = *p++;
	}
	buf[used] = '\0';
}

/* Abort unless a rejection carries a reason and a terminated detail. */
static inline void
fuzz_check_err(const struct decode_err *err)
{
	if (err->reason == NULL || *err->reason == '\0')
		fuzz_fail("decode_err.reason", "missing");
	if (memchr(err->detail, '\0', sizeof(err->detail)) == NULL)
		fuzz_fail("decode_err.detail", "not terminated");
}

#endif
