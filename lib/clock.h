/*
 * clock: wall-clock time as UTC epoch milliseconds, the unit of every
 * *_ms column. One definition so tests and the daemon agree. And a
 * monotonic clock for intervals (budgets, pauses), which must not jump.
 */
#ifndef WT_CLOCK_H
#define WT_CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);
/* Monotonic microseconds, from an arbitrary origin. */
int64_t clock_mono_us(void);

#endif
