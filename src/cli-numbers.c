// SPDX-License-Identifier: LGPL-2.1-or-later
/* Numbers on the command line: seconds and counts, checked, with one message when wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "residue.h"

int cli_seconds(const char *opt, const char *arg, double min, double *ret)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v >= min) || v > 1e9) {
		fprintf(stderr, "residue: %s wants seconds (at least %g), not '%s'\n", opt, min,
			arg);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int cli_count(const char *opt, const char *arg, uint64_t min, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || arg[0] == '-' || v < min || v > UINT32_MAX) {
		fprintf(stderr, "residue: %s wants a count of at least %llu, not '%s'\n", opt,
			(unsigned long long)min, arg);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}
