// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for the benchmarks' latency statistics (lib/bench/latency.c):
 * nearest-rank percentiles on hand-checked inputs (including sizes where
 * 0.95 * n is not exact in binary floating point), p50 <= p95 <= max on
 * every size from 1 to 300 with unsorted input, the empty set, rejected
 * samples, merging, and the monotonic clock helpers.
 */
#include "tap.h"

#include "bench/latency.h"

static void add_all(LatencySet *s, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(latency_add(s, v[i]), 0);
}

static void test_empty(void)
{
	LatencySet s = { 0 };
	LatencyStats st;

	latency_stats(&s, &st);
	CHECK_EQ_U64(st.n, 0);
	CHECK(st.p50 == 0 && st.p95 == 0 && st.max == 0 && st.min == 0 && st.mean == 0);
	CHECK(latency_percentile_sorted(NULL, 0, 50) == 0);
	latency_done(&s);
	latency_done(&s);
	CHECK(s.ms == NULL && s.len == 0 && s.cap == 0);
}

static void test_one(void)
{
	LatencySet s = { 0 };
	LatencyStats st;

	CHECK_EQ_INT(latency_add(&s, 2.5), 0);
	latency_stats(&s, &st);
	CHECK_EQ_U64(st.n, 1);
	CHECK(st.min == 2.5 && st.p50 == 2.5 && st.p95 == 2.5 && st.max == 2.5 && st.mean == 2.5);
	latency_done(&s);
}

/* 1..10 shuffled: nearest rank p50 = 5 (ceil(5)), p95 = 10 (ceil(9.5)). */
static void test_ten(void)
{
	const double v[] = { 7, 3, 10, 1, 9, 2, 8, 4, 6, 5 };
	LatencySet s = { 0 };
	LatencyStats st;

	add_all(&s, v, 10);
	latency_stats(&s, &st);
	CHECK_EQ_U64(st.n, 10);
	CHECK(st.min == 1);
	CHECK(st.p50 == 5);
	CHECK(st.p95 == 10);
	CHECK(st.max == 10);
	CHECK(st.mean == 5.5);
	/* sorted in place */
	for (size_t i = 0; i < 10; i++)
		CHECK(s.ms[i] == (double)(i + 1));
	latency_done(&s);
}

/* n = 20: 0.95 * 20 = 19 exactly in decimal, 19.000000000000004 in double; rank 19. */
static void test_twenty(void)
{
	LatencySet s = { 0 };
	LatencyStats st;

	for (int i = 20; i >= 1; i--)
		CHECK_EQ_INT(latency_add(&s, i), 0);
	latency_stats(&s, &st);
	CHECK(st.p50 == 10);
	CHECK(st.p95 == 19);
	CHECK(st.max == 20);
	latency_done(&s);
}

/* The 50 containers of the default run: p50 = 25th, p95 = 48th (ceil(47.5)). */
static void test_fifty(void)
{
	LatencySet s = { 0 };
	LatencyStats st;

	for (int i = 1; i <= 50; i++)
		CHECK_EQ_INT(latency_add(&s, (double)((i * 37) % 50 + 1) / 10.0), 0);
	latency_stats(&s, &st);
	CHECK(st.p50 == 2.5);
	CHECK(st.p95 == 4.8);
	CHECK(st.max == 5.0);
	CHECK(st.min == 0.1);
	latency_done(&s);
}

static void test_percentile_edges(void)
{
	const double v[] = { 1, 2, 3, 4 };

	CHECK(latency_percentile_sorted(v, 4, 0) == 1);
	CHECK(latency_percentile_sorted(v, 4, -5) == 1);
	CHECK(latency_percentile_sorted(v, 4, 25) == 1);
	CHECK(latency_percentile_sorted(v, 4, 25.5) == 2);
	CHECK(latency_percentile_sorted(v, 4, 50) == 2);
	CHECK(latency_percentile_sorted(v, 4, 99.9) == 4);
	CHECK(latency_percentile_sorted(v, 4, 100) == 4);
	CHECK(latency_percentile_sorted(v, 4, 250) == 4);
}

/* Every size, with duplicates and a scrambled order: min <= p50 <= p95 <= max, all samples. */
static void test_monotonic(void)
{
	for (size_t n = 1; n <= 300; n++) {
		LatencySet s = { 0 };
		LatencyStats st;
		bool in_set_p50 = false, in_set_p95 = false;

		for (size_t i = 0; i < n; i++)
			if (latency_add(&s, (double)((i * 7919) % 97) * 0.013) < 0)
				break;
		latency_stats(&s, &st);
		CHECK_EQ_U64(st.n, n);
		CHECK(st.min <= st.p50 && st.p50 <= st.p95 && st.p95 <= st.max);
		CHECK(st.min <= st.mean && st.mean <= st.max);
		for (size_t i = 0; i < n; i++) {
			in_set_p50 |= s.ms[i] == st.p50;
			in_set_p95 |= s.ms[i] == st.p95;
			if (i)
				CHECK(s.ms[i - 1] <= s.ms[i]);
		}
		CHECK(in_set_p50 && in_set_p95);
		latency_done(&s);
	}
}

static void test_rejects(void)
{
	LatencySet s = { 0 };

	CHECK_EQ_INT(latency_add(&s, -0.001), -EINVAL);
	CHECK_EQ_INT(latency_add(&s, 0.0 / 0.0), -EINVAL);
	CHECK_EQ_U64(s.len, 0);
	CHECK_EQ_INT(latency_add(&s, 0), 0);
	CHECK_EQ_U64(s.len, 1);
	latency_done(&s);
}

static void test_merge_and_growth(void)
{
	LatencySet a = { 0 }, b = { 0 };
	LatencyStats st;

	for (int i = 0; i < 1000; i++)
		CHECK_EQ_INT(latency_add(&a, 1), 0);
	for (int i = 0; i < 1000; i++)
		CHECK_EQ_INT(latency_add(&b, 3), 0);
	CHECK_EQ_INT(latency_merge(&a, &b), 0);
	CHECK_EQ_U64(a.len, 2000);
	CHECK(a.cap >= a.len);
	latency_stats(&a, &st);
	CHECK(st.p50 == 1); /* rank 1000 of 2000 */
	CHECK(st.p95 == 3);
	CHECK(st.mean == 2);
	CHECK_EQ_INT(latency_merge(&a, &(LatencySet){ 0 }), 0);
	CHECK_EQ_U64(a.len, 2000);
	latency_done(&a);
	latency_done(&b);
}

static void test_clock(void)
{
	uint64_t a = bench_now_ns(), b = bench_now_ns();

	CHECK(b >= a);
	CHECK(bench_ns_to_ms(1500000) == 1.5);
	CHECK(bench_ns_to_ms(0) == 0);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_empty);
	RUN(test_one);
	RUN(test_ten);
	RUN(test_twenty);
	RUN(test_fifty);
	RUN(test_percentile_edges);
	RUN(test_monotonic);
	RUN(test_rejects);
	RUN(test_merge_and_growth);
	RUN(test_clock);
	return tap_done();
}
