// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for parse_proc_stat_flags(): the /proc/PID/stat lines captured
 * in tests/data/proc-stat.txt (a kernel thread, a process, a command name
 * with ") (" in it), then every cut of a line and malformed fields.
 */
#include "tap.h"

#include "base/procfmt.h"

#define PF_KTHREAD 0x00200000

static int flags_str(const char *s, size_t len, uint64_t *flags)
{
	char *p = tap_dup(s, len);
	int r = parse_proc_stat_flags(p, len, flags);
	free(p);
	return r;
}

static void test_captured(void)
{
	static const uint64_t want[] = { 2129984, 4194304, 4194304 };
	size_t len, pos = 0, ll, n = 0;
	char *buf = tap_data("proc-stat.txt", &len);
	const char *line;

	while (tap_next_line(buf, len, &pos, &line, &ll) && n < 3) {
		uint64_t flags = 0;
		if (CHECK_EQ_INT(flags_str(line, ll, &flags), 0))
			CHECK_EQ_U64(flags, want[n]);
		/* kthreadd is the only kernel thread among them. */
		CHECK_EQ_INT(!!(flags & PF_KTHREAD), n == 0);
		n++;
	}
	CHECK_EQ_U64(n, 3);
	free(buf);
}

static void test_cuts(void)
{
	const char *s = "7 (x) S 1 7 7 0 -1 4194560 0";
	uint64_t flags = 5;

	for (size_t l = 0; l <= strlen(s); l++) {
		int r = flags_str(s, l, &flags);
		/* From "… -1 4" on a number is there (a read is never cut: stat is small). */
		CHECK_EQ_INT(r, l >= 20 ? 0 : -EINVAL);
	}
	CHECK_EQ_U64(flags, 4194560);
}

static void test_rejects(void)
{
	static const char *const bad[] = {
		"",
		"7 x S 1 7 7 0 -1 4194560",
		"7 (x) S 1 7 7 0 -1",
		"7 (x) S 1 7 7 0 -1 ",
		"7 (x) S 1 7 7 0 -1 -4",
		"7 (x) S 1 7 7 0 -1 0x10",
		"7 (x) S 1 7 7 0 -1 12a",
		"7 (x) S  1 7 7 0 -1 4194560",
		"7 (x)S 1 7 7 0 -1 4194560",
		"7 (x) S 1 7 7 0 -1 18446744073709551616",
	};
	uint64_t flags = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_INT(flags_str(bad[i], strlen(bad[i]), &flags), -EINVAL))
			printf("#   input: \"%s\"\n", bad[i]);
	CHECK_EQ_U64(flags, 77);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_captured);
	RUN(test_cuts);
	RUN(test_rejects);
	return tap_done();
}
