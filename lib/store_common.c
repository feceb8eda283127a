/*
 * store_common: what store.h exports that is the same whatever the
 * backend: the names of its enumerations, and freeing the rows it hands
 * to callers (plain allocations, so every backend's are freed alike).
 * Backend-neutral, below every backend's files: any of them may call it.
 */
#include "store_backend.h"

#include "event.h"
#include "sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const store_prune_names[STORE_PRUNE_KINDS] = {
	[STORE_PRUNE_PAYLOADS] = "raw payloads",
	[STORE_PRUNE_MESSAGES] = "messages",
	[STORE_PRUNE_REJECT_PAYLOADS] = "reject payloads",
	[STORE_PRUNE_REJECTS] = "rejects",
	[STORE_PRUNE_POSITIONS] = "positions",
	[STORE_PRUNE_POSITIONS_THIN] = "thinned positions",
	[STORE_PRUNE_VEHICLE_EVENTS] = "vehicle events",
	[STORE_PRUNE_WEIGHINGS_HISTORY] = "ticket versions",
	[STORE_PRUNE_FACILITY_STATUS] = "facility statuses",
};

const char *const store_alert_kinds[] = { "discrepancy", "overdue_manifest",
	"clinic_pickup_overdue", "station_not_cleared", "facility_alarm",
	"facility_silent", "unknown_facility", "unauthorised_unload",
	"night_window", "permit", NULL };

const char *const store_rd_table_names[STORE_RD_TABLES] = { "weighings",
	"weighings_history", "vehicle_events", "facility_status" };

void
store_replay_rows_free(struct store_replay_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].topic);
		free(rows[i].reason);
		free(rows[i].payload);
		memset(&rows[i], 0, sizeof(rows[i]));
	}
}

void
store_rederive_rows_free(struct store_rederive_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].topic);
		free(rows[i].profile);
		free(rows[i].kind);
		free(rows[i].payload);
		memset(&rows[i], 0, sizeof(rows[i]));
	}
}

int
store_col(int n, const char *const *names, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

double
store_value_num(const struct store_value *v, int i)
{
	if (i < 0 || v[i].type == STORE_V_NULL)
		return NAN;
	return v[i].type == STORE_V_INT ? (double)v[i].i : v[i].r;
}

const char *
store_value_text(const struct store_value *v, int i)
{
	return i >= 0 && v[i].type == STORE_V_TEXT ? v[i].s : "";
}

/* ---- for the backends (store_backend.h) ---- */

static void
fp_add(struct sha256 *h, const char *s)
{
	sha256_update(h, s ? s : "\x01", s ? strlen(s) + 1 : 1);
}

static void
fp_num(struct sha256 *h, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.17g", v);
	fp_add(h, isnan(v) ? NULL : buf);
}

/* A digest of everything the sender said about a ticket except its
 * version: equal digests mean a re-send, not a correction. The same in
 * every backend (the column holding it is part of the schema). */
int
store_wb_fingerprint(const struct ev_weighing *w, char out[65])
{
	struct sha256 h;
	uint8_t d[32];

	if (sha256_init(&h) == -1) {
		(void)!sha256_final(&h, d);
		return -1;
	}
	fp_add(&h, w->plate);
	fp_add(&h, w->direction);
	fp_num(&h, w->gross_kg);
	fp_num(&h, w->tare_kg);
	fp_num(&h, w->net_kg);
	fp_num(&h, (double)w->first_ms);
	fp_num(&h, w->second_ms == WT_NOTIME ? NAN : (double)w->second_ms);
	fp_add(&h, w->waste);
	fp_add(&h, w->origin);
	fp_add(&h, w->status);
	fp_add(&h, w->manifest_no);
	if (sha256_final(&h, d) == -1)
		return -1;
	sha256_to_hex(d, out);
	return 0;
}
