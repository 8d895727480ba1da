/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Growable arrays: ARRAY_PUSH(ptr, n, cap) makes room for one more element
 * and returns a pointer to it (zeroed), or NULL when memory runs out.
 */
#pragma once

#include <stdlib.h>
#include <string.h>

static inline void *array_grow(void *base, size_t elem, size_t need, size_t *cap)
{
	if (need <= *cap)
		return base;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	void *p = realloc(base, ncap * elem);
	if (!p)
		return NULL;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*cap = ncap;
	return p;
}

#define ARRAY_PUSH(ptr, n, cap)                                                                    \
	({                                                                                         \
		__typeof__(ptr) _np = array_grow((ptr), sizeof(*(ptr)), (n) + 1, &(cap));          \
		__typeof__(ptr) _slot = NULL;                                                      \
		if (_np) {                                                                         \
			(ptr) = _np;                                                               \
			_slot = &(ptr)[(n)++];                                                     \
		}                                                                                  \
		_slot;                                                                             \
	})
