/*
 * norm: pure normalisation of dialect values, see norm.h.
 *
 * Everything here is arithmetic on the caller's buffers: no allocation,
 * no locale, no time zone database, no mutable statics. The calendar is
 * proleptic Gregorian via days-from-civil, so results do not depend on TZ
 * or on the C library's timegm().
 */
#include "norm.h"
#include "norm_int.h"
#include "event.h"

#include <math.h>
#include <string.h>

#define MS_PER_MIN INT64_C(60000)
#define MS_PER_DAY INT64_C(86400000)

/* Plausible clock window, 2000-01-01 .. 2100-01-01: outside it the device
 * clock is unset or broken. */
#define EPOCH_MIN_MS INT64_C(946684800000)
#define EPOCH_MAX_MS INT64_C(4102444800000)

/* Largest UTC offset in use anywhere (Kiribati, +14:00). */
#define OFFSET_MAX_MIN (14 * 60)

/* A plate longer than this many code points cannot be valid. */
#define PLATE_MAXCP 8

/* ---- UTF-8 ---------------------------------------------------------- */

/*
 * Decode one code point from s (n > 0 bytes available). Returns the
 * sequence length, or 0 for an invalid, overlong, surrogate, out-of-range
 * or truncated sequence.
 */
size_t
norm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
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
		return 0; /* continuation, C0/C1, F5..FF */
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
		if ((len = norm_utf8_decode(p, n, &cp)) == 0)
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
uint32_t
norm_fold_cp(uint32_t cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e)
		return cp - 0xfee0;
	if (cp == 0x3000 || cp == 0x00a0)
		return ' ';
	if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
		return '-';
	if (cp == 0xff65) /* half-width katakana middle dot */
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
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

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
	case 0x00b7:
	case 0x2022:
	case 0x30fb:
	case '.':
	case '-':
	case '_':
	case ' ':
	case '\t':
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

	while (n > 0 && (len = norm_utf8_decode(p, n, &c)) != 0) {
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
	if (is_energy(cp[0]) && is_serial(cp[1]) &&
	    all_match(cp + 2, 4, is_digit_cp))
		return 1;
	return all_match(cp, 5, is_digit_cp) && is_energy(cp[5]);
}

static int
plate_valid(const uint32_t *cp, size_t n)
{
	if ((n != 7 && n != 8) || !is_province(cp[0]) || cp[1] < 'A' ||
	    cp[1] > 'Z')
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
		if ((len = norm_utf8_decode(p, n, &cp)) == 0)
			return -1;
		cp = norm_fold_cp(cp);
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
