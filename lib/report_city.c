/* report: today's city figures from the database; see report.h. */
#include "report.h"

#include "store.h"

#include <stdio.h>
#include <string.h>

static void
add_tonnage(void *arg, const char *district, const char *waste, double kg)
{
	struct report_city *c = arg;
	struct report_tonnage *t;

	if (c->ntonnage == REPORT_MAX_TONNAGE)
		return;
	t = &c->tonnage[c->ntonnage++];
	snprintf(t->district, sizeof(t->district), "%s",
	    district ? district : "unknown");
	snprintf(t->waste, sizeof(t->waste), "%s", waste ? waste : "unknown");
	t->kg = kg;
}

static void
add_district(void *arg, const struct store_indicators *row)
{
	struct report_city *c = arg;

	if (c->ndistricts < REPORT_MAX_DISTRICTS)
		c->districts[c->ndistricts++] = *row;
}

static void
add_discrepancy(void *arg, const struct store_manifest_item *it)
{
	struct report_city *c = arg;

	if (c->ndiscrepancy_items < REPORT_MAX_ITEMS)
		c->discrepancy_items[c->ndiscrepancy_items++] = *it;
}

static void
add_overdue(void *arg, const struct store_manifest_item *it)
{
	struct report_city *c = arg;

	if (c->noverdue_items < REPORT_MAX_ITEMS)
		c->overdue_items[c->noverdue_items++] = *it;
}

/* A kind's open count, in the row of its name (added if new). */
static void
add_alert_kind(void *arg, const char *kind, const char *unused, double n)
{
	struct report_city *c = arg;
	size_t i;

	(void)unused;
	if (kind == NULL)
		return;
	for (i = 0; i < c->nalert_kinds; i++)
		if (strcmp(c->alert_kinds[i].kind, kind) == 0)
			break;
	if (i == c->nalert_kinds) {
		if (i == REPORT_MAX_ALERT_KINDS)
			return;
		snprintf(c->alert_kinds[i].kind, sizeof(c->alert_kinds[i].kind),
		    "%s", kind);
		c->nalert_kinds++;
	}
	c->alert_kinds[i].open = (int64_t)n;
}

static void
add_alert(void *arg, const struct store_alert_item *it)
{
	struct report_city *c = arg;

	if (c->nalert_items < REPORT_MAX_ITEMS)
		c->alert_items[c->nalert_items++] = *it;
}

static void
city_alerts(struct store *s, struct report_city *c)
{
	size_t i;

	for (i = 0; store_alert_kinds[i] != NULL; i++)
		add_alert_kind(c, store_alert_kinds[i], NULL, 0);
	if (store_alert_open_by_kind(s, add_alert_kind, c) == -1 ||
	    store_alert_counts(s, &c->alerts) == -1)
		memset(&c->alerts, 0, sizeof(c->alerts));
	if (store_alert_items(s, REPORT_MAX_ITEMS, add_alert, c) == -1)
		c->nalert_items = 0;
}

int
report_city_compute(struct store *s, const char *day, struct report_city *c)
{
	struct store_manifest_counts mc;

	memset(c, 0, sizeof(*c));
	snprintf(c->day, sizeof(c->day), "%s", day);
	if (store_read_begin(s) == -1)
		return -1;
	/* A query that fails leaves its part empty (the store logs it):
	 * the rest of the figures are still worth showing. */
	if (store_day_tonnage(s, c->day, add_tonnage, c) == -1)
		c->ntonnage = 0;
	if (store_day_indicators(s, c->day, add_district, c) == -1)
		c->ndistricts = 0;
	if (store_manifest_items(s, "discrepancy", REPORT_MAX_ITEMS,
		add_discrepancy, c) == -1)
		c->ndiscrepancy_items = 0;
	if (store_manifest_items(s, "overdue", REPORT_MAX_ITEMS, add_overdue,
		c) == -1)
		c->noverdue_items = 0;
	if (store_manifest_counts(s, &mc) == 0) {
		c->open_manifests = mc.open;
		c->overdue_manifests = mc.overdue;
		c->discrepancies = mc.discrepancies;
	}
	if (store_day_muck(s, c->day, &c->muck) == -1)
		memset(&c->muck, 0, sizeof(c->muck));
	city_alerts(s, c);
	store_read_end(s);
	return 0;
}
