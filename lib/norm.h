/*
 * norm: pure normalisation of the values every dialect sends — times,
 * masses, plates, waste categories, hazardous-waste codes, coordinates.
 * No I/O, no allocation, no global state; safe on any thread.
 *
 * Functions return 0 on success and -1 when the input cannot be trusted
 * (the caller rejects the message). Data-quality findings that do not
 * reject the value are OR-ed into *dq (enum dq_flag in event.h).
 */
#ifndef WT_NORM_H
#define WT_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"

/*
 * Parse a time string into UTC epoch ms. Accepts RFC 3339 / ISO 8601 with
 * 'T' or ' ' separator, optional fraction (any digits, truncated to ms),
 * and a zone of 'Z', '+08:00', '+0800' or '+08'. A string without a zone is
 * naive local time in local_offset_min (minutes east of UTC) and sets
 * DQ_TZ_ASSUMED. A string of only digits is epoch seconds or milliseconds
 * (see norm_epoch). Calendar fields are range-checked (Feb 30 fails).
 */
int norm_time(const char *s, int local_offset_min, int64_t *ms,
    uint32_t *dq) WT_MUST_CHECK;

/*
 * Epoch number to ms: values below 1e11 are seconds, others milliseconds.
 * Rejects NaN, negative values, and anything before 2000-01-01 or after
 * 2100-01-01: such dates come from unset or broken device clocks (zero
 * BCD times, 1970), not from real events.
 */
int norm_epoch(double v, int64_t *ms) WT_MUST_CHECK;

/* Format ms as the local calendar day "YYYY-MM-DD" (out has >= 11 bytes). */
void norm_local_day(int64_t ms, int local_offset_min, char *out);

/*
 * Parse "+08:00", "-05:30", "+0800", "Z" or "UTC" into minutes east of UTC.
 */
int norm_offset(const char *s, int *minutes) WT_MUST_CHECK;

/*
 * Canonical plate: NFKC-style folding of full-width ASCII and the
 * ideographic space, upper case, separators removed (U+00B7 '·', '•',
 * '・', '．', '.', '-', '_', spaces). Writes the result to out (UTF-8, NUL
 * terminated); returns -1 if it does not fit or the input is empty after
 * folding. A result that does not match a Chinese plate format
 * (conventional 吉A12345, new-energy 吉AD12345 or 吉A12345D, trailer
 * 吉A1234挂) sets DQ_PLATE_INVALID but returns 0: the row is kept. No OCR
 * correction, no pinyin province guessing.
 */
int norm_plate(const char *in, char *out, size_t outsz,
    uint32_t *dq) WT_MUST_CHECK;

/*
 * Mass to kg. unit is one of kg, KG, g, t, T, 吨, 公斤, 千克, 克, lb (case-
 * insensitive for ASCII); NULL means kg. Returns -1 for an unknown unit,
 * NaN, infinity or a negative value.
 */
int norm_mass_kg(double v, const char *unit, double *kg) WT_MUST_CHECK;

/*
 * The plausibility rule every mass of an event goes through, whatever
 * dialect it came in: a known mass (not NaN) is plausible when it is
 * finite, not negative and at most max_kg. One vehicle, weighbridge pass
 * or manifest carries at most NORM_LOAD_MAX_KG (200 t: the heaviest
 * legal road train is 49 t, a weighbridge's range rarely above 150 t); a
 * facility's inventory or daily throughput at most NORM_STOCK_MAX_KG (10
 * million tonnes, a large landfill's whole content). Anything beyond is a
 * unit or sender error, and summed it could reach infinity.
 */
#define NORM_LOAD_MAX_KG  2e5
#define NORM_STOCK_MAX_KG 1e10
int norm_mass_plausible(double kg, double max_kg);

/*
 * Apply the rule to every mass of e — gross, tare and net of a weighing,
 * a vehicle event's mass, a manifest's declared and received masses and
 * each line, a facility's inventory and throughput — and flag
 * DQ_IMPLAUSIBLE_WEIGHT when any fails. The values are kept as sent; the
 * flag keeps them out of every indicator.
 */
struct ev;
void norm_check_masses(struct ev *e);

/*
 * Waste category: returns the canonical code (a static string such as
 * "msw.food") for a canonical code or a known synonym (厨余垃圾, 湿垃圾,
 * 餐厨垃圾, 易腐垃圾, 其他垃圾, 干垃圾, 可回收物, 有害垃圾, 大件垃圾, 园林垃圾,
 * 工程渣土, 渣土, 工程泥浆, 工程垃圾, 拆除垃圾, 装修垃圾, 危险废物, 医疗废物,
 * FOOD_WASTE, RECYCLABLE, RESIDUAL, ...). NULL when unknown.
 */
const char *norm_waste(const char *s);

/* 1 if s is one of the canonical category codes (msw.food, cw.slurry, hw,
 * ..., unknown). */
int norm_waste_is_canonical(const char *s);

/*
 * Hazardous-waste code to canonical "NNN-NNN-NN" (out >= 11 bytes) and its
 * category "HWNN" (hwcat >= 5 bytes). Accepts "90024908", "900-249-08",
 * "900 249 08", "HW08/900-249-08" and full-width digits. If an explicit HW
 * class is given it must match the last two digits; otherwise -1.
 */
int norm_hw_code(const char *in, char *out, char *hwcat) WT_MUST_CHECK;

/*
 * Coordinates: NaN, out of range (|lat| > 90, |lon| > 180) or exactly
 * (0, 0) become NaN, NaN with DQ_COORD_INVALID. Always returns 0.
 */
int norm_coord(double *lat, double *lon, uint32_t *dq);

/* Manifest status rank for the forward-only state machine: created 1,
 * in_transit 2, arrived 3, received 4, closed 5, rejected 5, cancelled 5;
 * -1 when s is not a canonical status. */
int norm_manifest_status_rank(const char *s);

/* 1 for values that mean "nothing" in the wild: "", "-", "null", "NULL",
 * "N/A", "n/a", "无"; they are stored as NULL. */
int norm_emptyish(const char *s);

/* 1 if the n bytes at s are valid UTF-8 (no overlongs, no surrogates). */
int norm_utf8_valid(const char *s, size_t n);

#endif
