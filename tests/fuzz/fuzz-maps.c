// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_maps_perms(): the input is a whole
 * /proc/PID/maps file, searched for the start address of each of its first
 * lines (as strtoull reads it) and for a few fixed ones.  Returned
 * permissions must be four bytes copied from the input.
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
	free(z);
	free(buf);
	return 0;
}
