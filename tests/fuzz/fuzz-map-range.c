// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_map_range(): the input is one
 * /proc/PID/map_files entry name.  Success means "hex-hex" with start <= end,
 * and the result agrees with strtoull on a NUL-terminated copy.
 */
#include "fuzz.h"

#include <ctype.h>

#include "base/procfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);
	uint64_t a = 1, b = 2;

	if (parse_map_range(buf, size, &a, &b) == 0) {
		char *z = fuzz_dup(data, size, 1), *dash, *end;
		FUZZ_ASSERT(a <= b);
		FUZZ_ASSERT(size >= 3 && isxdigit((unsigned char)z[0]));
		dash = strchr(z, '-');
		FUZZ_ASSERT(dash && isxdigit((unsigned char)dash[1]));
		FUZZ_ASSERT(strtoull(z, &end, 16) == a && end == dash);
		FUZZ_ASSERT(strtoull(dash + 1, &end, 16) == b && end == z + size);
		free(z);
	} else {
		FUZZ_ASSERT(a == 1 && b == 2);
	}
	free(buf);
	return 0;
}
