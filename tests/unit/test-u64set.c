// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for U64Set: the zero key (kept outside the table), duplicates,
 * growth through several rehashes with the key shapes residue stores
 * (sequential mount ids, unique mount ids above 1 << 31, dev_t values, nsfs
 * inode numbers), clear and done, checked against a sorted array as oracle.
 */
#include "tap.h"

#include "base/u64set.h"

static void test_empty(void)
{
	U64Set s = { 0 };

	CHECK(!u64set_contains(&s, 0));
	CHECK(!u64set_contains(&s, 1));
	CHECK(!u64set_contains(&s, UINT64_MAX));
	u64set_clear(&s);
	CHECK_EQ_U64(s.len, 0);
	u64set_done(&s);
	u64set_done(&s);
	CHECK(s.slots == NULL && s.cap == 0 && s.len == 0);
}

static void test_add_contains(void)
{
	U64Set s = { 0 };

	CHECK_EQ_INT(u64set_add(&s, 27), 1);
	CHECK_EQ_INT(u64set_add(&s, 27), 0);
	CHECK_EQ_INT(u64set_add(&s, UINT64_MAX), 1);
	CHECK(u64set_contains(&s, 27));
	CHECK(u64set_contains(&s, UINT64_MAX));
	CHECK(!u64set_contains(&s, 28));
	CHECK(!u64set_contains(&s, 0));
	CHECK_EQ_U64(s.len, 2);
	/* cap is a power of two, at least twice len */
	CHECK(s.cap && (s.cap & (s.cap - 1)) == 0);
	CHECK(s.cap >= 2 * s.len);
	u64set_done(&s);
}

static void test_zero_key(void)
{
	U64Set s = { 0 };

	/* 0 is the empty-slot marker, so it lives in has_zero. */
	CHECK_EQ_INT(u64set_add(&s, 0), 1); /* new, like any other key */
	CHECK(u64set_contains(&s, 0));
	CHECK_EQ_INT(u64set_add(&s, 0), 0);
	CHECK_EQ_U64(s.len, 1);
	CHECK(!u64set_contains(&s, 1));
	CHECK_EQ_INT(u64set_add(&s, 1), 1);
	CHECK_EQ_U64(s.len, 2);
	u64set_clear(&s);
	CHECK(!u64set_contains(&s, 0));
	CHECK(!u64set_contains(&s, 1));
	CHECK_EQ_U64(s.len, 0);
	u64set_done(&s);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool in_sorted(const uint64_t *v, size_t n, uint64_t k)
{
	return bsearch(&k, v, n, sizeof(*v), cmp_u64) != NULL;
}

/* Deterministic xorshift so a failure reproduces. */
static uint64_t next_rand(uint64_t *st)
{
	uint64_t x = *st;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

static void grow_and_check(const char *what, uint64_t (*key)(size_t i, uint64_t *st), size_t n)
{
	U64Set s = { 0 };
	uint64_t *keys = calloc(n, sizeof(*keys)), st = 0x9e3779b97f4a7c15ULL;
	size_t distinct = 0;

	printf("# %s\n", what);
	if (!CHECK(keys))
		return;
	for (size_t i = 0; i < n; i++) {
		keys[i] = key(i, &st);
		int r = u64set_add(&s, keys[i]);
		CHECK(r >= 0);
	}
	qsort(keys, n, sizeof(*keys), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			keys[distinct++] = keys[i];
	CHECK_EQ_U64(s.len, distinct);
	CHECK(s.cap >= 2 * (s.len - (s.has_zero ? 1 : 0)));
	for (size_t i = 0; i < distinct; i++)
		if (!CHECK(u64set_contains(&s, keys[i])))
			break;
	/* Neighbours of members that are not members. */
	for (size_t i = 0; i < distinct; i++) {
		uint64_t k = keys[i] + 1;
		if (!CHECK_EQ_INT(u64set_contains(&s, k), in_sorted(keys, distinct, k)))
			break;
	}
	/* Re-adding everything changes nothing. */
	for (size_t i = 0; i < distinct; i++)
		if (keys[i] && !CHECK_EQ_INT(u64set_add(&s, keys[i]), 0))
			break;
	CHECK_EQ_U64(s.len, distinct);
	/* clear keeps the table, forgets the keys, and the set is usable again */
	size_t cap = s.cap;
	u64set_clear(&s);
	CHECK_EQ_U64(s.cap, cap);
	CHECK_EQ_U64(s.len, 0);
	for (size_t i = 0; i < distinct; i++)
		if (!CHECK(!u64set_contains(&s, keys[i])))
			break;
	CHECK_EQ_INT(u64set_add(&s, 12345), 1);
	CHECK(u64set_contains(&s, 12345));
	u64set_done(&s);
	CHECK(s.slots == NULL && s.len == 0);
	free(keys);
}

static uint64_t key_sequential(size_t i, uint64_t *st)
{
	(void)st;
	return 20 + i;
}

static uint64_t key_unique_mnt_id(size_t i, uint64_t *st)
{
	(void)st;
	return (1ULL << 31) + 2 * i;
}

static uint64_t key_dev(size_t i, uint64_t *st)
{
	/* makedev(0, minor) and makedev(254, minor): only high bits differ. */
	(void)st;
	return i % 2 ? ((uint64_t)254 << 8) | (i & 0xff) | ((i >> 8) << 20) : (i << 20);
}

static uint64_t key_random(size_t i, uint64_t *st)
{
	/* A few repeats and zeros mixed in. */
	if (i % 97 == 0)
		return 0;
	if (i % 13 == 0)
		return 4026531832ULL + (i % 5);
	return next_rand(st);
}

static void test_growth(void)
{
	grow_and_check("sequential mount ids", key_sequential, 5000);
	grow_and_check("unique mount ids", key_unique_mnt_id, 5000);
	grow_and_check("dev_t values", key_dev, 4096);
	grow_and_check("random with repeats and zeros", key_random, 20000);
}

/* Reserved room takes that many keys without another allocation, and keeps what was there. */
static void test_reserve(void)
{
	U64Set s = { 0 };

	CHECK_EQ_INT(u64set_add(&s, 5), 1);
	CHECK_EQ_INT(u64set_reserve(&s, 11048), 0);
	size_t cap = s.cap;
	const uint64_t *slots = s.slots;
	CHECK(cap >= 2 * (11048 + 1) && (cap & (cap - 1)) == 0);
	CHECK(u64set_contains(&s, 5));
	for (uint64_t k = 1000; k < 1000 + 11047; k++)
		CHECK_EQ_INT(u64set_add(&s, k), 1);
	CHECK(s.cap == cap && s.slots == slots);
	CHECK_EQ_U64(s.len, 11048);
	CHECK_EQ_INT(u64set_reserve(&s, 10), 0); /* never shrinks */
	CHECK(s.cap == cap);
	u64set_done(&s);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_empty);
	RUN(test_add_contains);
	RUN(test_zero_key);
	RUN(test_growth);
	RUN(test_reserve);
	return tap_done();
}
