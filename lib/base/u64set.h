/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An open-addressing set of 64-bit keys (mount ids, device numbers,
 * namespace ids).  Scans look up every holder's mount id, so membership
 * must be O(1) and allocation-free on the hot path.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct U64Set {
	uint64_t *slots; /* 0 marks an empty slot */
	size_t cap; /* power of two */
	size_t len;
	bool has_zero;
} U64Set;

/* 1 when @key is new, 0 when it was there, -ENOMEM. */
int u64set_add(U64Set *s, uint64_t key);
/* Room for @n keys in all without growing (one allocation instead of a rehash per doubling). */
int u64set_reserve(U64Set *s, size_t n);
bool u64set_contains(const U64Set *s, uint64_t key);
void u64set_clear(U64Set *s);
void u64set_done(U64Set *s);
