/*
 * clock: wall-clock time as UTC epoch milliseconds, the unit of every
 * *_ms column. One definition so tests and the daemon agree. And a
 * monotonic clock for intervals (budgets, pauses), which must not jump.
 * clock_ms() honours a test hook, WT_TEST_CLOCK_OFFSET_FILE (clock.c);
 * clock_boot_us() too with WT_TEST_CLOCK_OFFSET_ELAPSES=1.
 */
#ifndef WT_CLOCK_H
#define WT_CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);
/* Monotonic microseconds, from an arbitrary origin. */
int64_t clock_mono_us(void);
/*
 * Monotonic microseconds that keep counting while the host is suspended
 * (CLOCK_BOOTTIME): what the wall clock should have advanced by, so a
 * difference between the two is a clock step, not a pause.
 */
int64_t clock_boot_us(void);

#endif
