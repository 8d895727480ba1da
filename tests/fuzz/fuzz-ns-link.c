// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_ns_link(): the input is a readlink() target of
 * /proc/PID/ns/<type>, tried against every namespace type.  Success means
 * the input is "<type>:[" digits "]".
 */
#include "fuzz.h"

#include "base/procfmt.h"

static const char *const types[] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t tl = strlen(types[i]);
		uint64_t ino = 42;

		if (parse_ns_link(buf, size, types[i], &ino) == 0) {
			FUZZ_ASSERT(size >= tl + 4);
			FUZZ_ASSERT(memcmp(buf, types[i], tl) == 0);
			FUZZ_ASSERT(buf[tl] == ':' && buf[tl + 1] == '[' && buf[size - 1] == ']');
			for (size_t j = tl + 2; j < size - 1; j++)
				FUZZ_ASSERT(buf[j] >= '0' && buf[j] <= '9');
		} else {
			FUZZ_ASSERT(ino == 42);
		}
	}
	free(buf);
	return 0;
}
