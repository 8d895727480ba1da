/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Monotonic time for measuring how long something took: what the phase
 * timers and the BPF walks report in milliseconds.  Header-only.
 */
#pragma once

#include <time.h>

/* CLOCK_MONOTONIC in milliseconds, with the nanoseconds as a fraction. */
static inline double mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The same in seconds, for periods and ages. */
static inline double mono_s(void)
{
	return mono_ms() / 1e3;
}
