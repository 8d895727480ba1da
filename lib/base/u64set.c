// SPDX-License-Identifier: LGPL-2.1-or-later
/* Open-addressing u64 set with linear probing; see u64set.h. */
#include "u64set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t key, size_t cap)
{
	/* splitmix64 finaliser: mount ids are sequential, spread them out. */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (size_t)key & (cap - 1);
}

static int rehash(U64Set *s, size_t ncap)
{
	uint64_t *n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t k = s->slots[i];
		if (!k)
			continue;
		size_t j = slot_of(k, ncap);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = k;
	}
	free(s->slots);
	s->slots = n;
	s->cap = ncap;
	return 0;
}

int u64set_reserve(U64Set *s, size_t n)
{
	size_t cap = s->cap ? s->cap : 64;
	while ((n + 1) * 2 > cap)
		cap *= 2;
	return cap > s->cap ? rehash(s, cap) : 0;
}

int u64set_add(U64Set *s, uint64_t key)
{
	if (key == 0) {
		if (s->has_zero)
			return 0;
		s->has_zero = true;
		s->len++;
		return 1;
	}
	if ((s->len + 1) * 2 > s->cap) {
		int r = rehash(s, s->cap ? s->cap * 2 : 64);
		if (r < 0)
			return r;
	}
	size_t j = slot_of(key, s->cap);
	while (s->slots[j]) {
		if (s->slots[j] == key)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j] = key;
	s->len++;
	return 1;
}

bool u64set_contains(const U64Set *s, uint64_t key)
{
	if (key == 0)
		return s->has_zero;
	if (!s->cap)
		return false;
	size_t j = slot_of(key, s->cap);
	while (s->slots[j]) {
		if (s->slots[j] == key)
			return true;
		j = (j + 1) & (s->cap - 1);
	}
	return false;
}

void u64set_clear(U64Set *s)
{
	if (s->slots)
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->len = 0;
	s->has_zero = false;
}

void u64set_done(U64Set *s)
{
	free(s->slots);
	*s = (U64Set){ 0 };
}
