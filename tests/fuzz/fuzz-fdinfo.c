// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_fdinfo() and parse_fdinfo_user_file(): the
 * input is a whole /proc/PID/fdinfo/N file.  Checks the contract that success
 * means a flags line was seen and failure leaves the output untouched, and
 * that a fixed file's path is absolute and no longer than the input.
 */
#include "fuzz.h"

#include <errno.h>

#include "base/procfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);
	FdInfo fi, orig;

	memset(&fi, 0xa5, sizeof(fi));
	orig = fi;
	if (parse_fdinfo(buf, size, &fi) == 0) {
		FUZZ_ASSERT(fi.has_flags);
		FUZZ_ASSERT(fi.has_mnt_id || fi.mnt_id == 0);
		FUZZ_ASSERT(fi.has_ino || fi.ino == 0);
		FUZZ_ASSERT(fi.has_scm_fds || fi.scm_fds == 0);
	} else {
		FUZZ_ASSERT(memcmp(&fi, &orig, sizeof(fi)) == 0);
	}
	/* A ring's fixed files: a path found is an absolute one, whole, within the input. */
	for (uint32_t index = 0; index < 4; index++) {
		char *path = (char *)"unset";
		int r = parse_fdinfo_user_file(buf, size, index, &path);
		FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -ENOMEM);
		if (r == 0 && path) {
			FUZZ_ASSERT(path[0] == '/' && strlen(path) < size);
			free(path);
		}
	}
	free(buf);
	return 0;
}
