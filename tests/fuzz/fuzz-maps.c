// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_maps_perms() and parse_maps_next(): the input
 * is a whole /proc/PID/maps file, searched for the start address of each of
 * its first lines (as strtoull reads it) and for a few fixed ones, then
 * iterated.  Returned permissions must be four bytes copied from the input;
 * the iterator must always advance and end.
 */
#include "fuzz.h"

#include "base/procfmt.h"

static void probe(const char *buf, size_t size, uint64_t start)
{
	char perms[5] = "xxxx";

	if (parse_maps_perms(buf, size, start, perms) == 0) {
		FUZZ_ASSERT(perms[4] == '\0');
		FUZZ_ASSERT(memmem(buf, size, perms, 4));
	} else {
		FUZZ_ASSERT(strcmp(perms, "xxxx") == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);
	char *z = fuzz_dup(data, size, 1);
	int lines = 0;

	probe(buf, size, 0);
	probe(buf, size, UINT64_MAX);
	for (char *p = z; p < z + size && lines < 64; lines++) {
		char *nl = memchr(p, '\n', (size_t)(z + size - p));
		probe(buf, size, strtoull(p, NULL, 16));
		if (!nl)
			break;
		p = nl + 1;
	}
	size_t pos = 0, steps = 0;
	MapsEntry e;
	int r;
	while ((r = parse_maps_next(buf, size, &pos, &e)) != 0) {
		FUZZ_ASSERT(pos <= size);
		FUZZ_ASSERT(++steps <= size);
		if (r == 1)
			FUZZ_ASSERT(e.end >= e.start && memmem(buf, size, e.perms, 4));
	}
	free(z);
	free(buf);
	return 0;
}
