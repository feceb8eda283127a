/*
 * norm_code: the half of the norm module (see norm.h) that maps labels
 * to canonical values: masses in kg, waste categories, hazardous-waste
 * codes, coordinates and manifest statuses. Tables and lookups, no
 * allocation.
 */
#include "norm.h"
#include "norm_int.h"
#include "event.h"

#include <math.h>
#include <string.h>

/* ---- Masses --------------------------------------------------------- */

struct unit_factor {
	const char *name;
	double kg;
};

static const struct unit_factor units[] = {
	{ "kg", 1 },
	{ "公斤", 1 },
	{ "千克", 1 },
	{ "g", 0.001 },
	{ "克", 0.001 },
	{ "t", 1000 },
	{ "tonne", 1000 },
	{ "tonnes", 1000 },
	{ "吨", 1000 },
	{ "lb", 0.45359237 },
	{ "lbs", 0.45359237 },
};

int
norm_mass_kg(double v, const char *unit, double *kg)
{
	double f = -1;
	size_t i;

	if (kg == NULL || !isfinite(v) || v < 0)
		return -1;
	if (unit == NULL || *unit == '\0')
		f = 1;
	for (i = 0; f < 0 && i < NELEM(units); i++)
		if (ascii_caseeq(unit, units[i].name))
			f = units[i].kg;
	if (f < 0 || !isfinite(v * f))
		return -1;
	*kg = v * f;
	return 0;
}

int
norm_mass_plausible(double kg, double max_kg)
{
	return isnan(kg) || (isfinite(kg) && kg >= 0 && kg <= max_kg);
}

static int
manifest_masses_plausible(const struct ev_manifest *m)
{
	size_t i;

	if (!norm_mass_plausible(m->declared_kg, NORM_LOAD_MAX_KG) ||
	    !norm_mass_plausible(m->received_kg, NORM_LOAD_MAX_KG))
		return 0;
	for (i = 0; i < m->nlines; i++)
		if (!norm_mass_plausible(m->lines[i].qty_kg, NORM_LOAD_MAX_KG))
			return 0;
	return 1;
}

void
norm_check_masses(struct ev *e)
{
	int ok = 1;

	switch (e->kind) {
	case EV_WEIGHING:
		ok = norm_mass_plausible(e->u.wb.gross_kg, NORM_LOAD_MAX_KG) &&
		    norm_mass_plausible(e->u.wb.tare_kg, NORM_LOAD_MAX_KG) &&
		    /* A negative net has its own flag (NET_NEGATIVE). */
		    norm_mass_plausible(fabs(e->u.wb.net_kg), NORM_LOAD_MAX_KG);
		break;
	case EV_VEHICLE_EVENT:
		ok = norm_mass_plausible(e->u.vev.mass_kg, NORM_LOAD_MAX_KG);
		break;
	case EV_FACILITY_STATUS:
		ok = norm_mass_plausible(e->u.fst.inventory_kg,
			 NORM_STOCK_MAX_KG) &&
		    norm_mass_plausible(e->u.fst.throughput_kg,
			NORM_STOCK_MAX_KG);
		break;
	case EV_MANIFEST:
		ok = manifest_masses_plausible(&e->u.man);
		break;
	case EV_POSITION:
	case EV_DEVICE_BINDING:
	case EV_NONE:
	case EV_KIND_COUNT:
		break;
	}
	if (!ok)
		e->dq |= DQ_IMPLAUSIBLE_WEIGHT;
}

/* ---- Waste categories ----------------------------------------------- */

/* The canonical codes, grouped by stream: municipal, construction,
 * hazardous and medical, industrial, agricultural; "unknown" last. */
static const char *const waste_canon[] = {
	"msw.recyclable",
	"msw.hazardous",
	"msw.food",
	"msw.residual",
	"msw.mixed",
	"msw.bulky",
	"msw.garden",
	"cw.excavated_soil",
	"cw.slurry",
	"cw.engineering",
	"cw.demolition",
	"cw.renovation",
	"hw",
	"mw",
	"ind.general",
	"sludge",
	"agri.film",
	"agri.pesticide_pack",
	"agri.manure",
	"agri.straw",
	"unknown",
};

struct synonym {
	const char *name, *code;
};

/*
 * GB/T 19095-2019 names and their regional/legacy variants, GB 55012
 * construction classes, other streams, and the vendor-a enumeration. Legacy pre-2019 labels map to the stream that
 * replaced them, never silently to residual.
 */
static const struct synonym waste_syn[] = {
	{ "厨余垃圾", "msw.food" },
	{ "湿垃圾", "msw.food" },
	{ "餐厨垃圾", "msw.food" },
	{ "易腐垃圾", "msw.food" },
	{ "家庭厨余垃圾", "msw.food" },
	{ "其他厨余垃圾", "msw.food" },
	{ "可堆肥垃圾", "msw.food" },
	{ "其他垃圾", "msw.residual" },
	{ "其它垃圾", "msw.residual" },
	{ "干垃圾", "msw.residual" },
	{ "可燃垃圾", "msw.residual" },
	{ "可回收物", "msw.recyclable" },
	{ "可回收垃圾", "msw.recyclable" },
	{ "有害垃圾", "msw.hazardous" },
	{ "有毒有害垃圾", "msw.hazardous" },
	{ "混合垃圾", "msw.mixed" },
	{ "生活垃圾", "msw.mixed" },
	{ "大件垃圾", "msw.bulky" },
	{ "园林垃圾", "msw.garden" },
	{ "园林绿化垃圾", "msw.garden" },
	{ "工程渣土", "cw.excavated_soil" },
	{ "渣土", "cw.excavated_soil" },
	{ "工程泥浆", "cw.slurry" },
	{ "工程垃圾", "cw.engineering" },
	{ "拆除垃圾", "cw.demolition" },
	{ "装修垃圾", "cw.renovation" },
	{ "危险废物", "hw" },
	{ "危废", "hw" },
	{ "医疗废物", "mw" },
	{ "医废", "mw" },
	{ "污泥", "sludge" },
	{ "一般工业固废", "ind.general" },
	{ "农膜", "agri.film" },
	{ "废旧农膜", "agri.film" },
	{ "农药包装废弃物", "agri.pesticide_pack" },
	{ "畜禽粪污", "agri.manure" },
	{ "秸秆", "agri.straw" },
	/* vendor-a */
	{ "FOOD_WASTE", "msw.food" },
	{ "RECYCLABLE", "msw.recyclable" },
	{ "RESIDUAL", "msw.residual" },
	{ "HAZARDOUS_HOUSEHOLD", "msw.hazardous" },
	{ "BULKY", "msw.bulky" },
	{ "GARDEN", "msw.garden" },
	{ "CONSTRUCTION_SOIL", "cw.excavated_soil" },
	{ "DEMOLITION", "cw.demolition" },
	{ "HAZARDOUS", "hw" },
	{ "MEDICAL", "mw" },
	/* a German "Restmüll" style label some vendors send */
	{ "Rest", "msw.residual" },
};

const char *
norm_waste(const char *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < NELEM(waste_canon); i++)
		if (ascii_caseeq(s, waste_canon[i]))
			return waste_canon[i];
	for (i = 0; i < NELEM(waste_syn); i++)
		if (ascii_caseeq(s, waste_syn[i].name))
			return waste_syn[i].code;
	return NULL;
}

int
norm_waste_is_canonical(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < NELEM(waste_canon); i++)
		if (strcmp(s, waste_canon[i]) == 0)
			return 1;
	return 0;
}

/* ---- Hazardous-waste codes ------------------------------------------ */

/* Fold in to ASCII in buf; -1 on bad UTF-8, non-ASCII or overflow. */
static int
fold_ascii(const char *in, char *buf, size_t bufsz)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n, len, used = 0;
	uint32_t cp;

	for (n = strlen(in); n > 0; p += len, n -= len) {
		if ((len = norm_utf8_decode(p, n, &cp)) == 0)
			return -1;
		cp = norm_fold_cp(cp);
		if (cp >= 0x80 || used + 1 >= bufsz)
			return -1;
		buf[used++] = (char)cp;
	}
	buf[used] = '\0';
	return 0;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Optional "HWnn/" or "HWnn " class prefix. Returns the rest of s, with
 * *cls set to nn or -1 when there is no prefix; NULL when malformed.
 */
static const char *
parse_hw_prefix(const char *s, int *cls)
{
	int sep = 0;

	*cls = -1;
	while (is_blank(*s))
		s++;
	if (ascii_upper((unsigned char)s[0]) != 'H' ||
	    ascii_upper((unsigned char)s[1]) != 'W')
		return s;
	if ((*cls = read_digits(s + 2, 2)) < 0)
		return NULL;
	for (s += 4; is_blank(*s); s++)
		sep = 1;
	if (*s == '/') {
		sep = 1;
		for (s++; is_blank(*s); s++)
			;
	}
	return sep ? s : NULL;
}

/* Collect exactly 8 digits, skipping blanks and dashes. */
static int
hw_digits(const char *s, char digits[9])
{
	int n = 0;

	for (; *s != '\0'; s++) {
		if (is_blank(*s) || *s == '-')
			continue;
		if (!is_digit((unsigned char)*s) || n == 8)
			return -1;
		digits[n++] = *s;
	}
	digits[n] = '\0';
	return n == 8 ? 0 : -1;
}

int
norm_hw_code(const char *in, char *out, char *hwcat)
{
	char buf[64], d[9];
	const char *p;
	int cls, cat;

	if (in == NULL || out == NULL || hwcat == NULL)
		return -1;
	if (fold_ascii(in, buf, sizeof(buf)) == -1 ||
	    (p = parse_hw_prefix(buf, &cls)) == NULL || hw_digits(p, d) == -1)
		return -1;
	cat = (d[6] - '0') * 10 + (d[7] - '0');
	/* 名录 categories run HW01..HW50; a stated class must agree. */
	if (cat < 1 || cat > 50 || (cls != -1 && cls != cat))
		return -1;
	memcpy(out, d, 3);
	out[3] = '-';
	memcpy(out + 4, d + 3, 3);
	out[7] = '-';
	memcpy(out + 8, d + 6, 2);
	out[10] = '\0';
	hwcat[0] = 'H';
	hwcat[1] = 'W';
	memcpy(hwcat + 2, d + 6, 2);
	hwcat[4] = '\0';
	return 0;
}

/* ---- Coordinates and statuses --------------------------------------- */

int
norm_coord(double *lat, double *lon, uint32_t *dq)
{
	/* !(x <= y) is also true for NaN; (0,0) is a GNSS without a fix. */
	if (!(fabs(*lat) <= 90) || !(fabs(*lon) <= 180) ||
	    (*lat == 0 && *lon == 0)) {
		*lat = NAN;
		*lon = NAN;
		dq_set(dq, DQ_COORD_INVALID);
	}
	return 0;
}

struct status_rank {
	const char *name;
	int rank;
};

static const struct status_rank statuses[] = {
	{ "created", 1 },
	{ "in_transit", 2 },
	{ "arrived", 3 },
	{ "received", 4 },
	{ "closed", 5 },
	{ "rejected", 5 },
	{ "cancelled", 5 },
};

int
norm_manifest_status_rank(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < NELEM(statuses); i++)
		if (strcmp(s, statuses[i].name) == 0)
			return statuses[i].rank;
	return -1;
}

int
norm_emptyish(const char *s)
{
	static const char *const words[] = { "", "-", "null", "NULL", "N/A",
		"n/a", "无", NULL };
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}
