/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every libFuzzer target in tests/fuzz/ shares: the entry point's
 * prototype (defined once per target, called by libFuzzer or by
 * replay-main.c), a copy helper that gives a parser a heap buffer of
 * exactly the size it is told, and FUZZ_ASSERT, which aborts so that a
 * broken parser contract is reported like a memory error.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of @size bytes followed by @extra zero bytes, in a buffer of exactly that size. */
static inline char *fuzz_dup(const void *data, size_t size, size_t extra)
{
	/* calloc: gcc 12 flags a const pointer to possibly unwritten bytes when size is 0. */
	char *p = calloc(1, size + extra ? size + extra : 1);
	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

#define FUZZ_ASSERT(expr)                                                                          \
	do {                                                                                       \
		if (!(expr)) {                                                                     \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__,        \
				#expr);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
