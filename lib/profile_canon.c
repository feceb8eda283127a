/*
 * profile_canon: the canonical fields of each kind of event, the slots
 * decode.c fills, and the fields each kind cannot do without. Names are
 * those of the native dialect. See profile.h.
 */
#include "profile.h"

#include <stddef.h>

static const char *const v_load[] = { "empty", "half", "full", NULL };
static const char *const v_coord[] = { "wgs84", "gcj02", "bd09", NULL };
static const char *const v_vtype[] = { "load", "unload", NULL };
static const char *const v_cunit[] = { "piece", "bag", "box", "bin", NULL };
static const char *const v_dir[] = { "in", "out", NULL };
static const char *const v_wstatus[] = { "open", "complete", "void", NULL };
static const char *const v_mstatus[] = { "created", "in_transit", "arrived",
	"received", "closed", "rejected", "cancelled", NULL };
static const char *const v_color[] = { "blue", "yellow", "black", "white",
	"green", "yellow_green", "other", NULL };

#define F(name, type, vocab, member)                                           \
	{                                                                      \
		name, type, vocab, offsetof(struct ev, u.member)               \
	}
#define L(name, type, member)                                                  \
	{                                                                      \
		name, type, NULL, offsetof(struct ev_manifest_line, member)    \
	}

static const struct pf_canon c_position[] = {
	F("vehicle", PF_T_TEXT, NULL, pos.vehicle),
	F("device", PF_T_TEXT, NULL, pos.device),
	F("plate", PF_T_PLATE, NULL, pos.plate),
	F("ts", PF_T_TIME, NULL, pos.ts_ms),
	F("lat", PF_T_NUM, NULL, pos.lat),
	F("lon", PF_T_NUM, NULL, pos.lon),
	F("speed_kmh", PF_T_NUM, NULL, pos.speed_kmh),
	F("heading_deg", PF_T_NUM, NULL, pos.heading_deg),
	F("alt_m", PF_T_NUM, NULL, pos.alt_m),
	F("load_state", PF_T_ENUM, v_load, pos.load_state),
	F("coord_sys", PF_T_ENUM, v_coord, pos.coord_sys),
	F("fix_valid", PF_T_BOOL, NULL, pos.fix_valid),
	F("body_lifted", PF_T_BOOL, NULL, pos.body_lifted),
};
static const struct pf_canon c_vevent[] = {
	F("type", PF_T_ENUM, v_vtype, vev.type),
	F("vehicle", PF_T_TEXT, NULL, vev.vehicle),
	F("plate", PF_T_PLATE, NULL, vev.plate),
	F("ts", PF_T_TIME, NULL, vev.ts_ms),
	F("site", PF_T_TEXT, NULL, vev.site),
	F("facility", PF_T_TEXT, NULL, vev.facility),
	F("waste", PF_T_WASTE, NULL, vev.waste),
	F("mass_kg", PF_T_MASS, NULL, vev.mass_kg),
	F("manifest_no", PF_T_TEXT, NULL, vev.manifest_no),
	F("lat", PF_T_NUM, NULL, vev.lat),
	F("lon", PF_T_NUM, NULL, vev.lon),
	F("coord_sys", PF_T_ENUM, v_coord, vev.coord_sys),
	F("count", PF_T_INT, NULL, vev.count),
	F("count_unit", PF_T_ENUM, v_cunit, vev.count_unit),
};
static const struct pf_canon c_weighing[] = {
	F("facility", PF_T_TEXT, NULL, wb.facility),
	F("ticket", PF_T_TEXT, NULL, wb.ticket),
	F("plate", PF_T_PLATE, NULL, wb.plate),
	F("direction", PF_T_ENUM, v_dir, wb.direction),
	F("gross_kg", PF_T_MASS, NULL, wb.gross_kg),
	F("tare_kg", PF_T_MASS, NULL, wb.tare_kg),
	F("net_kg", PF_T_MASS, NULL, wb.net_kg),
	F("first_ts", PF_T_TIME, NULL, wb.first_ms),
	F("second_ts", PF_T_TIME, NULL, wb.second_ms),
	F("waste", PF_T_WASTE, NULL, wb.waste),
	F("origin", PF_T_TEXT, NULL, wb.origin),
	F("status", PF_T_ENUM, v_wstatus, wb.status),
	F("version", PF_T_INT, NULL, wb.version),
	F("manifest_no", PF_T_TEXT, NULL, wb.manifest_no),
};
static const struct pf_canon c_fstatus[] = {
	F("facility", PF_T_TEXT, NULL, fst.facility),
	F("ts", PF_T_TIME, NULL, fst.ts_ms),
	F("state", PF_T_TEXT, NULL, fst.state),
	F("inventory_kg", PF_T_MASS, NULL, fst.inventory_kg),
	F("throughput_kg", PF_T_MASS, NULL, fst.throughput_kg),
};
static const struct pf_canon c_manifest[] = {
	F("scheme", PF_T_TEXT, NULL, man.scheme),
	F("manifest_no", PF_T_TEXT, NULL, man.manifest_no),
	F("status", PF_T_ENUM, v_mstatus, man.status),
	F("version", PF_T_INT, NULL, man.version),
	F("ts", PF_T_TIME, NULL, man.ts_ms),
	F("plate", PF_T_PLATE, NULL, man.plate),
	F("generator_code", PF_T_TEXT, NULL, man.generator_code),
	F("generator_name", PF_T_TEXT, NULL, man.generator_name),
	F("generator_district", PF_T_TEXT, NULL, man.generator_district),
	F("carrier_name", PF_T_TEXT, NULL, man.carrier_name),
	F("receiver_facility", PF_T_TEXT, NULL, man.receiver_facility),
	F("receiver_name", PF_T_TEXT, NULL, man.receiver_name),
	F("departed_ts", PF_T_TIME, NULL, man.departed_ms),
	F("arrived_ts", PF_T_TIME, NULL, man.arrived_ms),
	F("declared_kg", PF_T_MASS, NULL, man.declared_kg),
	F("received_kg", PF_T_MASS, NULL, man.received_kg),
	F("ticket", PF_T_TEXT, NULL, man.ticket),
	F("ticket_facility", PF_T_TEXT, NULL, man.ticket_facility),
	F("waste", PF_T_WASTE, NULL, man.waste),
};
static const struct pf_canon c_binding[] = {
	F("device", PF_T_TEXT, NULL, bind.device),
	F("plate", PF_T_PLATE, NULL, bind.plate),
	F("plate_color", PF_T_ENUM, v_color, bind.plate_color),
	F("ts", PF_T_TIME, NULL, bind.ts_ms),
};
static const struct pf_canon c_line[] = {
	L("line", PF_T_INT, line),
	L("waste_code", PF_T_HWCODE, waste_code),
	L("waste", PF_T_WASTE, waste),
	L("qty", PF_T_NUM, qty),
	L("unit", PF_T_TEXT, unit),
};

#undef F
#undef L

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct pf_canon *
profile_canon(enum ev_kind kind, size_t *n)
{
	switch (kind) {
	case EV_POSITION:
		*n = NELEM(c_position);
		return c_position;
	case EV_VEHICLE_EVENT:
		*n = NELEM(c_vevent);
		return c_vevent;
	case EV_WEIGHING:
		*n = NELEM(c_weighing);
		return c_weighing;
	case EV_FACILITY_STATUS:
		*n = NELEM(c_fstatus);
		return c_fstatus;
	case EV_MANIFEST:
		*n = NELEM(c_manifest);
		return c_manifest;
	case EV_DEVICE_BINDING:
		*n = NELEM(c_binding);
		return c_binding;
	case EV_NONE:
	case EV_KIND_COUNT:
		break;
	}
	*n = 0;
	return NULL;
}

const struct pf_canon *
profile_line_canon(size_t *n)
{
	*n = NELEM(c_line);
	return c_line;
}

/* Canonical fields a kind cannot do without (besides these, position
 * needs vehicle or device). */
static const char *const required[EV_KIND_COUNT][5] = {
	[EV_POSITION] = { "ts", "lat", "lon", NULL },
	[EV_VEHICLE_EVENT] = { "type", "vehicle", "ts", "waste", NULL },
	[EV_WEIGHING] = { "facility", "ticket", "first_ts", "status", NULL },
	[EV_FACILITY_STATUS] = { "facility", "ts", "state", NULL },
	[EV_MANIFEST] = { "scheme", "manifest_no", "status", "ts", NULL },
	[EV_DEVICE_BINDING] = { "device", "plate", NULL },
};

const char *const *
profile_required(enum ev_kind kind)
{
	return required[kind];
}
