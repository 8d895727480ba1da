/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Latency samples and their summary for the benchmarks: a growable array of
 * millisecond samples, nearest-rank percentiles (so p50 <= p95 <= max holds
 * for every input, and every reported figure is a latency that was really
 * measured), and the monotonic clock the samples are taken with.  Nothing
 * here knows about mounts.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct LatencySet {
	double *ms;
	size_t len, cap;
} LatencySet;

typedef struct LatencyStats {
	size_t n; /* samples; every other field is 0 when n == 0 */
	double min, p50, p95, max, mean;
} LatencyStats;

/* 0, -EINVAL for a negative or NaN sample, -ENOMEM. */
int latency_add(LatencySet *s, double ms);
/* Append all of @src to @dst: 0 or -ENOMEM. */
int latency_merge(LatencySet *dst, const LatencySet *src);
void latency_done(LatencySet *s);

/*
 * The @pct percentile (0 < pct <= 100) of @n ascending samples by nearest
 * rank: the smallest sample with at least pct % of the samples at or below
 * it.  0 when n == 0.
 */
double latency_percentile_sorted(const double *sorted, size_t n, double pct);

/* Summarise @s into @ret; sorts the samples of @s in place. */
void latency_stats(LatencySet *s, LatencyStats *ret);

/* CLOCK_MONOTONIC in nanoseconds: comparable across the processes of one boot. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline double bench_ns_to_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}
