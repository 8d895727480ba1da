// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for parse_mountinfo_line(): the input is a whole
 * /proc/PID/mountinfo file; each line is copied into a buffer of exactly
 * len + 1 bytes (the parser writes line[len]) and parsed.  Every returned
 * string must be NUL-terminated inside that buffer.
 */
#include "fuzz.h"

#include "base/procfmt.h"

static int inside(const char *s, const char *line, size_t len)
{
	return s >= line && s <= line + len && s + strlen(s) <= line + len;
}

static void parse_one(const char *p, size_t len)
{
	char *line = fuzz_dup(p, len, 1);
	MountinfoEntry e;

	/* Poison line[len] so that a parser that forgets to terminate shows it. */
	line[len] = 'X';
	if (parse_mountinfo_line(line, len, &e) == 0) {
		FUZZ_ASSERT(line[len] == '\0');
		FUZZ_ASSERT(inside(e.root, line, len));
		FUZZ_ASSERT(inside(e.mount_point, line, len));
		FUZZ_ASSERT(inside(e.fstype, line, len));
		FUZZ_ASSERT(inside(e.source, line, len));
		FUZZ_ASSERT(e.super_opts[0] == '\0' || inside(e.super_opts, line, len));
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		parse_one(p, len);
		p += len + 1;
	}
	/* The whole input as one line too: newlines are just bytes to the parser. */
	parse_one((const char *)data, size);
	return 0;
}
