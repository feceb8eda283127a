/*
 * norm: pure normalisation of dialect values, see norm.h.
 *
 * Everything here is arithmetic on the caller's buffers: no allocation,
 * no locale, no time zone database, no mutable statics. The calendar is
 * proleptic Gregorian via days-from-civil, so results do not depend on TZ
 * or on the C library's timegm().
 */
#include "norm.h"
#include "event.h"

#include <math.h>
#include <string.h>

#define MS_PER_MIN	INT64_C(60000)
#define MS_PER_DAY	INT64_C(86400000)

/* Plausible clock window, 2000-01-01 .. 2100-01-01: outside it the device
 * clock is unset or broken. */
#define EPOCH_MIN_MS	INT64_C(946684800000)
#define EPOCH_MAX_MS	INT64_C(4102444800000)

/* Largest UTC offset in use anywhere (Kiribati, +14:00). */
#define OFFSET_MAX_MIN	(14 * 60)

/* A plate longer than this many code points cannot be valid. */
#define PLATE_MAXCP	8

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
dq_set(uint32_t *dq, uint32_t flag)
{
	if (dq != NULL)
		*dq |= flag;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
ascii_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* strcasecmp() consults the locale; labels only need ASCII folding. */
static int
ascii_caseeq(const char *a, const char *b)
{
	while (*a != '\0' && ascii_upper((unsigned char)*a) ==
	    ascii_upper((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

/* Read exactly n decimal digits; -1 if any is missing. */
static int
read_digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/*
 * Decode one code point from s (n > 0 bytes available). Returns the
 * sequence length, or 0 for an invalid, overlong, surrogate, out-of-range
 * or truncated sequence.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c = s[0];
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else
		return 0;		/* continuation, C0/C1, F5..FF */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Encode cp (already known valid) into buf; returns the length. */
static size_t
utf8_encode(uint32_t cp, unsigned char *buf)
{
	if (cp < 0x80) {
		buf[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (unsigned char)(0xc0 | (cp >> 6));
		buf[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (unsigned char)(0xe0 | (cp >> 12));
		buf[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (unsigned char)(0xf0 | (cp >> 18));
	buf[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int
norm_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t len;

	if (s == NULL)
		return n == 0;
	while (n > 0) {
		if ((len = utf8_decode(p, n, &cp)) == 0)
			return 0;
		p += len;
		n -= len;
	}
	return 1;
}

/*
 * The NFKC subset that matters for codes typed on Chinese keyboards:
 * full-width ASCII, the ideographic and no-break spaces, and the dash
 * look-alikes that word processors substitute for '-'.
 */
static uint32_t
fold_cp(uint32_t cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e)
		return cp - 0xfee0;
	if (cp == 0x3000 || cp == 0x00a0)
		return ' ';
	if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
		return '-';
	if (cp == 0xff65)		/* half-width katakana middle dot */
		return 0x30fb;
	return cp;
}

/* ---- Calendar ------------------------------------------------------- */

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Division rounding toward minus infinity, for times before 1970. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* ---- Offsets and epochs --------------------------------------------- */

/*
 * "+HH:MM", "+HHMM" or "+HH" (or '-'). Returns the characters consumed,
 * or 0 when s does not start with a valid offset.
 */
static size_t
parse_signed_offset(const char *s, int *minutes)
{
	int sign, hh, mm = 0;
	size_t len = 3;

	if (*s != '+' && *s != '-')
		return 0;
	sign = *s == '-' ? -1 : 1;
	if ((hh = read_digits(s + 1, 2)) < 0)
		return 0;
	if (s[3] == ':') {
		if ((mm = read_digits(s + 4, 2)) < 0)
			return 0;
		len = 6;
	} else if (is_digit((unsigned char)s[3])) {
		if ((mm = read_digits(s + 3, 2)) < 0)
			return 0;
		len = 5;
	}
	if (mm > 59 || hh * 60 + mm > OFFSET_MAX_MIN)
		return 0;
	*minutes = sign * (hh * 60 + mm);
	return len;
}

int
norm_offset(const char *s, int *minutes)
{
	size_t len;
	int m = 0;

	if (s == NULL || minutes == NULL)
		return -1;
	if (strcmp(s, "Z") != 0 && strcmp(s, "z") != 0 &&
	    !ascii_caseeq(s, "UTC") &&
	    ((len = parse_signed_offset(s, &m)) == 0 || s[len] != '\0'))
		return -1;
	*minutes = m;
	return 0;
}

int
norm_epoch(double v, int64_t *ms)
{
	double t;

	if (ms == NULL || !isfinite(v) || v < 0)
		return -1;
	/*
	 * Seconds: a decimal fraction such as .246 is not exact in binary,
	 * so nudge by a microsecond before truncating lest it read .245.
	 */
	t = v < 1e11 ? floor(v * 1000.0 + 1e-3) : floor(v);
	/* Compare as double first so the int64 conversion cannot overflow. */
	if (t < (double)EPOCH_MIN_MS || t > (double)EPOCH_MAX_MS)
		return -1;
	*ms = (int64_t)t;
	return 0;
}

/* ---- Time strings --------------------------------------------------- */

struct civil {
	int y, mo, d, h, mi, s, ms;
};

/* "YYYY-MM-DD" followed by 'T', 't' or ' '; returns the rest or NULL. */
static const char *
parse_date(const char *s, struct civil *c)
{
	if ((c->y = read_digits(s, 4)) < 0 || s[4] != '-' ||
	    (c->mo = read_digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (c->d = read_digits(s + 8, 2)) < 0)
		return NULL;
	if (c->mo < 1 || c->mo > 12 || c->d < 1 ||
	    c->d > days_in_month(c->y, c->mo))
		return NULL;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return NULL;
	return s + 11;
}

/*
 * "HH:MM:SS" with an optional fraction of any length, truncated to ms
 * because sub-ms precision is noise for telemetry. Leap second 60 is
 * refused: no source we know emits it and it would alias the next minute.
 */
static const char *
parse_clock(const char *s, struct civil *c)
{
	int scale;

	if ((c->h = read_digits(s, 2)) < 0 || s[2] != ':' ||
	    (c->mi = read_digits(s + 3, 2)) < 0 || s[5] != ':' ||
	    (c->s = read_digits(s + 6, 2)) < 0)
		return NULL;
	if (c->h > 23 || c->mi > 59 || c->s > 59)
		return NULL;
	s += 8;
	c->ms = 0;
	if (*s != '.' && *s != ',')
		return s;
	s++;
	if (!is_digit((unsigned char)*s))
		return NULL;
	for (scale = 100; is_digit((unsigned char)*s); s++, scale /= 10)
		c->ms += (*s - '0') * scale;
	return s;
}

/* Zone suffix: "" (naive), "Z" or a signed offset, then end of string. */
static int
parse_zone(const char *s, int local_offset_min, int *off, uint32_t *dq)
{
	size_t len;

	if (*s == '\0') {
		/* A misconfigured source offset must not shift times by days. */
		if (local_offset_min < -OFFSET_MAX_MIN ||
		    local_offset_min > OFFSET_MAX_MIN)
			return -1;
		*off = local_offset_min;
		dq_set(dq, DQ_TZ_ASSUMED);
		return 0;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((len = parse_signed_offset(s, off)) == 0 || s[len] != '\0')
		return -1;
	return 0;
}

/* Digit-only strings are epochs; more than 15 digits is beyond 2100. */
static int
parse_epoch_digits(const char *s, int64_t *ms)
{
	int64_t v = 0;
	size_t n = strlen(s);

	if (n > 15)
		return -1;
	for (; *s != '\0'; s++)
		v = v * 10 + (*s - '0');
	return norm_epoch((double)v, ms);
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_digit((unsigned char)*s))
			return 0;
	return 1;
}

int
norm_time(const char *s, int local_offset_min, int64_t *ms, uint32_t *dq)
{
	struct civil c;
	const char *p;
	uint32_t zdq = 0;
	int64_t t;
	int off;

	if (s == NULL || ms == NULL)
		return -1;
	if (all_digits(s))
		return parse_epoch_digits(s, ms);
	if ((p = parse_date(s, &c)) == NULL || (p = parse_clock(p, &c)) == NULL)
		return -1;
	if (parse_zone(p, local_offset_min, &off, &zdq) == -1)
		return -1;
	t = days_from_civil(c.y, c.mo, c.d) * MS_PER_DAY +
	    ((c.h * 60 + c.mi) * 60 + c.s) * INT64_C(1000) + c.ms -
	    off * MS_PER_MIN;
	/* Same window as epochs: a 1970 date is a reset clock, not data. */
	if (t < EPOCH_MIN_MS || t > EPOCH_MAX_MS)
		return -1;
	*ms = t;
	dq_set(dq, zdq);
	return 0;
}

static void
put_digits(char *out, int64_t v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
norm_local_day(int64_t ms, int local_offset_min, char *out)
{
	/* 0000-03-01 .. 9999-12-31: anything outside cannot print as YYYY. */
	const int64_t lo = -719468, hi = 2932896;
	int64_t days, rem, y;
	int m, d;

	/* Split before adding the offset so WT_NOTIME cannot overflow. */
	days = floor_div(ms, MS_PER_DAY);
	rem = ms % MS_PER_DAY;
	if (rem < 0)
		rem += MS_PER_DAY;
	rem += local_offset_min * MS_PER_MIN;
	days += floor_div(rem, MS_PER_DAY);
	if (days < lo)
		days = lo;
	if (days > hi)
		days = hi;
	civil_from_days(days, &y, &m, &d);
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = '\0';
}

/* ---- Plates --------------------------------------------------------- */

static int
is_plate_sep(uint32_t cp)
{
	switch (cp) {
	case 0x00b7: case 0x2022: case 0x30fb:
	case '.': case '-': case '_': case ' ': case '\t':
		return 1;
	}
	return 0;
}

/* 1 if cp is one of the code points of the UTF-8 string set. */
static int
cp_in(uint32_t cp, const char *set)
{
	const unsigned char *p = (const unsigned char *)set;
	size_t n = strlen(set), len;
	uint32_t c;

	while (n > 0 && (len = utf8_decode(p, n, &c)) != 0) {
		if (c == cp)
			return 1;
		p += len;
		n -= len;
	}
	return 0;
}

static int
is_province(uint32_t cp)
{
	static const char provinces[] =
	    "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

	return cp_in(cp, provinces);
}

/* Serial characters: digits and letters other than I and O. */
static int
is_serial(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') ||
	    (cp >= 'A' && cp <= 'Z' && cp != 'I' && cp != 'O');
}

static int
is_energy(uint32_t cp)
{
	return cp < 0x80 && cp != 0 && strchr("DABCEFGHJK", (int)cp) != NULL;
}

static int
all_match(const uint32_t *cp, size_t n, int (*pred)(uint32_t))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pred(cp[i]))
			return 0;
	return 1;
}

static int
is_digit_cp(uint32_t cp)
{
	return cp >= '0' && cp <= '9';
}

/* GA 36: 4 serials, then a serial or a 挂/学/警/港/澳 suffix. */
static int
plate_conventional(const uint32_t *cp)
{
	return all_match(cp, 4, is_serial) &&
	    (is_serial(cp[4]) || cp_in(cp[4], "挂学警港澳"));
}

/* New-energy: small "D?nnnn" or large "nnnnnD" (D/F, or newer letters). */
static int
plate_nev(const uint32_t *cp)
{
	if (is_energy(cp[0]) && is_serial(cp[1]) && all_match(cp + 2, 4,
	    is_digit_cp))
		return 1;
	return all_match(cp, 5, is_digit_cp) && is_energy(cp[5]);
}

static int
plate_valid(const uint32_t *cp, size_t n)
{
	if ((n != 7 && n != 8) || !is_province(cp[0]) ||
	    cp[1] < 'A' || cp[1] > 'Z')
		return 0;
	return n == 7 ? plate_conventional(cp + 2) : plate_nev(cp + 2);
}

int
norm_plate(const char *in, char *out, size_t outsz, uint32_t *dq)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char enc[4];
	uint32_t cp, cps[PLATE_MAXCP];
	size_t n, len, elen, used = 0, ncp = 0;

	if (in == NULL || out == NULL || outsz == 0)
		return -1;
	for (n = strlen(in); n > 0; p += len, n -= len) {
		/* Undecodable bytes (e.g. untranscoded GBK) cannot be folded. */
		if ((len = utf8_decode(p, n, &cp)) == 0)
			return -1;
		cp = fold_cp(cp);
		if (is_plate_sep(cp))
			continue;
		cp = (uint32_t)ascii_upper((int)cp);
		elen = utf8_encode(cp, enc);
		if (used + elen >= outsz)
			return -1;
		memcpy(out + used, enc, elen);
		used += elen;
		if (ncp < PLATE_MAXCP)
			cps[ncp] = cp;
		ncp++;
	}
	if (used == 0)
		return -1;
	out[used] = '\0';
	if (!plate_valid(cps, ncp))
		dq_set(dq, DQ_PLATE_INVALID);
	return 0;
}

/* ---- Masses --------------------------------------------------------- */

struct unit_factor {
	const char *name;
	double kg;
};

static const struct unit_factor units[] = {
	{ "kg", 1 }, { "公斤", 1 }, { "千克", 1 },
	{ "g", 0.001 }, { "克", 0.001 },
	{ "t", 1000 }, { "tonne", 1000 }, { "tonnes", 1000 }, { "吨", 1000 },
	{ "lb", 0.45359237 }, { "lbs", 0.45359237 },
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

/* ---- Waste categories ----------------------------------------------- */

/* The canonical codes, grouped by stream: municipal, construction,
 * hazardous and medical, industrial, agricultural; "unknown" last. */
static const char *const waste_canon[] = {
	"msw.recyclable", "msw.hazardous", "msw.food", "msw.residual",
	"msw.mixed", "msw.bulky", "msw.garden",
	"cw.excavated_soil", "cw.slurry", "cw.engineering", "cw.demolition",
	"cw.renovation",
	"hw", "mw", "ind.general", "sludge",
	"agri.film", "agri.pesticide_pack", "agri.manure", "agri.straw",
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
	{ "厨余垃圾", "msw.food" }, { "湿垃圾", "msw.food" },
	{ "餐厨垃圾", "msw.food" }, { "易腐垃圾", "msw.food" },
	{ "家庭厨余垃圾", "msw.food" }, { "其他厨余垃圾", "msw.food" },
	{ "可堆肥垃圾", "msw.food" },
	{ "其他垃圾", "msw.residual" }, { "其它垃圾", "msw.residual" },
	{ "干垃圾", "msw.residual" }, { "可燃垃圾", "msw.residual" },
	{ "可回收物", "msw.recyclable" }, { "可回收垃圾", "msw.recyclable" },
	{ "有害垃圾", "msw.hazardous" }, { "有毒有害垃圾", "msw.hazardous" },
	{ "混合垃圾", "msw.mixed" }, { "生活垃圾", "msw.mixed" },
	{ "大件垃圾", "msw.bulky" },
	{ "园林垃圾", "msw.garden" }, { "园林绿化垃圾", "msw.garden" },
	{ "工程渣土", "cw.excavated_soil" }, { "渣土", "cw.excavated_soil" },
	{ "工程泥浆", "cw.slurry" }, { "工程垃圾", "cw.engineering" },
	{ "拆除垃圾", "cw.demolition" }, { "装修垃圾", "cw.renovation" },
	{ "危险废物", "hw" }, { "危废", "hw" },
	{ "医疗废物", "mw" }, { "医废", "mw" },
	{ "污泥", "sludge" }, { "一般工业固废", "ind.general" },
	{ "农膜", "agri.film" }, { "废旧农膜", "agri.film" },
	{ "农药包装废弃物", "agri.pesticide_pack" },
	{ "畜禽粪污", "agri.manure" }, { "秸秆", "agri.straw" },
	/* vendor-a */
	{ "FOOD_WASTE", "msw.food" }, { "RECYCLABLE", "msw.recyclable" },
	{ "RESIDUAL", "msw.residual" }, { "HAZARDOUS_HOUSEHOLD", "msw.hazardous" },
	{ "BULKY", "msw.bulky" }, { "GARDEN", "msw.garden" },
	{ "CONSTRUCTION_SOIL", "cw.excavated_soil" },
	{ "DEMOLITION", "cw.demolition" }, { "HAZARDOUS", "hw" },
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
		if ((len = utf8_decode(p, n, &cp)) == 0)
			return -1;
		cp = fold_cp(cp);
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
	{ "created", 1 }, { "in_transit", 2 }, { "arrived", 3 },
	{ "received", 4 }, { "closed", 5 }, { "rejected", 5 },
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
