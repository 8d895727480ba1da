// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_proc_cgroup(): the input is a whole
 * /proc/PID/cgroup file.  A returned path must be a non-empty copy of the
 * bytes of one line after its second colon.
 */
#include "fuzz.h"

#include "base/procfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);
	char *path = NULL;

	if (parse_proc_cgroup(buf, size, &path) == 0) {
		size_t n;
		FUZZ_ASSERT(path);
		n = strlen(path);
		FUZZ_ASSERT(n > 0 && n < size);
		FUZZ_ASSERT(!memchr(path, '\n', n));
		FUZZ_ASSERT(memmem(buf, size, path, n));
		free(path);
	} else {
		FUZZ_ASSERT(!path);
	}
	free(buf);
	return 0;
}
