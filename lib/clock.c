/* clock: see clock.h. */
#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/*
 * Test hook: the integration tests must run the real daemon with its wall
 * clock wrong and then "fix" it, which a test cannot do to the host. When
 * WT_TEST_CLOCK_OFFSET_FILE names a file, clock_ms() adds the signed
 * milliseconds written in it, re-read at most once a second (by the
 * monotonic clock, which it leaves alone). Unset, as in production, it
 * costs one atomic load per call. Several threads call clock_ms(): the
 * offset and the next read time are atomics, and two threads reading the
 * file at once read the same value.
 *
 * By default the offset moves the wall clock alone, which the daemon must
 * see as a step. With WT_TEST_CLOCK_OFFSET_ELAPSES=1 as well it moves the
 * boot clock too: time that passed rather than a clock that was set, so
 * the growth benchmark (tools/bench/growth) can run simulated days through
 * retention without tripping the step detector.
 */
#define CLOCK_HOOK_ENV	  "WT_TEST_CLOCK_OFFSET_FILE"
#define CLOCK_ELAPSES_ENV "WT_TEST_CLOCK_OFFSET_ELAPSES"

static atomic_int hook_state;	    /* 0 not looked up, 1 off, 2 on */
static atomic_llong hook_offset;    /* ms */
static atomic_llong hook_next_read; /* monotonic µs */
static atomic_int elapses_state;    /* 0 not looked up, 1 off, 2 on */

static int64_t
hook_offset_ms(void)
{
	const char *path;
	long long v;
	int64_t now;
	FILE *f;

	if (atomic_load(&hook_state) == 1)
		return 0;
	path = getenv(CLOCK_HOOK_ENV);
	if (path == NULL || *path == '\0') {
		atomic_store(&hook_state, 1);
		return 0;
	}
	atomic_store(&hook_state, 2);
	now = clock_mono_us();
	if (now < atomic_load(&hook_next_read))
		return atomic_load(&hook_offset);
	atomic_store(&hook_next_read, now + 1000000);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%lld", &v) == 1)
			atomic_store(&hook_offset, v);
		fclose(f);
	}
	return atomic_load(&hook_offset);
}

int64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    hook_offset_ms();
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
elapsed_offset_us(void)
{
	const char *v;
	int st = atomic_load(&elapses_state);

	if (st == 0) {
		v = getenv(CLOCK_ELAPSES_ENV);
		st = v != NULL && v[0] == '1' ? 2 : 1;
		atomic_store(&elapses_state, st);
	}
	return st == 2 ? hook_offset_ms() * 1000 : 0;
}

int64_t
clock_boot_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
	    elapsed_offset_us();
}
