// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Latency samples and nearest-rank percentiles for the benchmarks.  Nearest
 * rank rather than interpolation: a reported p95 is a latency some operation
 * really had, and the percentiles are monotonic in pct by construction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"

int latency_add(LatencySet *s, double ms)
{
	if (ms != ms || ms < 0) /* NaN compares unequal to itself; no libm needed */
		return -EINVAL;
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *n = realloc(s->ms, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->ms = n;
		s->cap = cap;
	}
	s->ms[s->len++] = ms;
	return 0;
}

int latency_merge(LatencySet *dst, const LatencySet *src)
{
	for (size_t i = 0; i < src->len; i++) {
		int r = latency_add(dst, src->ms[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void latency_done(LatencySet *s)
{
	free(s->ms);
	*s = (LatencySet){ 0 };
}

double latency_percentile_sorted(const double *sorted, size_t n, double pct)
{
	if (n == 0)
		return 0;
	if (!(pct > 0))
		return sorted[0];
	if (pct >= 100)
		return sorted[n - 1];
	/*
	 * rank = ceil(pct/100 * n), 1-based.  Whole percentages in integers:
	 * 0.95 * 20 is 19.000000000000004 in binary floating point.
	 */
	size_t rank;
	if (pct == (double)(uint64_t)pct) {
		rank = (size_t)(((uint64_t)pct * n + 99) / 100);
	} else {
		double x = pct / 100.0 * (double)n;
		rank = (size_t)x;
		if ((double)rank < x)
			rank++;
	}
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void latency_stats(LatencySet *s, LatencyStats *ret)
{
	LatencyStats st = { .n = s->len };
	double sum = 0;

	if (s->len > 0) {
		qsort(s->ms, s->len, sizeof(*s->ms), cmp_double);
		for (size_t i = 0; i < s->len; i++)
			sum += s->ms[i];
		st.min = s->ms[0];
		st.max = s->ms[s->len - 1];
		st.p50 = latency_percentile_sorted(s->ms, s->len, 50);
		st.p95 = latency_percentile_sorted(s->ms, s->len, 95);
		st.mean = sum / (double)s->len;
	}
	*ret = st;
}
