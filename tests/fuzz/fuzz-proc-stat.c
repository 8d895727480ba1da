// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_proc_stat_flags(): the input is the contents
 * of a /proc/PID/stat.  Failure leaves the result untouched; success means
 * the input has a ')' and the seventh space-separated field after the last
 * one is the decimal number returned.
 */
#include "fuzz.h"

#include "base/procfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);
	uint64_t flags = 42;

	if (parse_proc_stat_flags(buf, size, &flags) == 0) {
		const char *p = NULL;
		for (size_t i = 0; i < size; i++)
			if (buf[i] == ')')
				p = buf + i + 1;
		FUZZ_ASSERT(p);
		for (int spaces = 0; spaces < 7; p++) {
			FUZZ_ASSERT(p < buf + size);
			spaces += *p == ' ';
		}
		uint64_t v = 0;
		FUZZ_ASSERT(p < buf + size && *p >= '0' && *p <= '9');
		for (; p < buf + size && *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		FUZZ_ASSERT(v == flags);
	} else {
		FUZZ_ASSERT(flags == 42);
	}
	free(buf);
	return 0;
}
