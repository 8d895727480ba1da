// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for parse_ns_link(): the readlink() targets of every
 * /proc/self/ns/ entry captured in tests/data/ns-links.txt, then type
 * mismatches, malformed brackets, overflow and length bounds.
 */
#include "tap.h"

#include "base/procfmt.h"

static int link_str(const char *s, const char *type, uint64_t *ino)
{
	char *p = tap_dup(s, strlen(s));
	int r = parse_ns_link(p, strlen(s), type, ino);
	free(p);
	return r;
}

static void test_captured(void)
{
	static const char *const other[] = { "mnt", "net", "cgroup", "user" };
	size_t len, pos = 0, ll, n = 0;
	char *buf = tap_data("ns-links.txt", &len);
	const char *line;

	while (tap_next_line(buf, len, &pos, &line, &ll)) {
		char *z = strndup(line, ll);
		char type[16];
		unsigned long long want;
		uint64_t ino = 0;

		if (!CHECK(z && sscanf(z, "%15[a-z]:[%llu]", type, &want) == 2)) {
			free(z);
			continue;
		}
		char *copy = tap_dup(line, ll);
		if (CHECK_EQ_INT(parse_ns_link(copy, ll, type, &ino), 0))
			CHECK_EQ_U64(ino, want);
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
			if (strcmp(type, other[i]) != 0)
				CHECK_EQ_INT(parse_ns_link(copy, ll, other[i], &ino), -EINVAL);
		n++;
		free(copy);
		free(z);
	}
	CHECK(n >= 8);
	free(buf);
}

static void test_pinned(void)
{
	uint64_t ino = 0;

	CHECK_EQ_INT(link_str("mnt:[4026531832]", "mnt", &ino), 0);
	CHECK_EQ_U64(ino, 4026531832ULL);
	CHECK_EQ_INT(link_str("mnt:[0]", "mnt", &ino), 0);
	CHECK_EQ_U64(ino, 0);
	CHECK_EQ_INT(link_str("mnt:[18446744073709551615]", "mnt", &ino), 0);
	CHECK_EQ_U64(ino, UINT64_MAX);
	/* pid_for_children and time_for_children point at "pid:" and "time:". */
	CHECK_EQ_INT(link_str("pid:[4026531836]", "pid", &ino), 0);
	CHECK_EQ_INT(link_str("time:[4026531834]", "time", &ino), 0);
}

static void test_rejects(void)
{
	static const char *const bad[] = {
		/* empty or cut short */
		"",
		"mnt",
		"mnt:",
		"mnt:[",
		"mnt:[]",
		"mnt:[1",
		/* wrong brackets or trailing bytes */
		"mnt:1]",
		"mnt[1]",
		"mnt:(1)",
		"mnt:[1]\n",
		"mnt:[1] ",
		"mnt:[1]]",
		/* not a plain decimal that fits in 64 bits */
		"mnt:[ 1]",
		"mnt:[-1]",
		"mnt:[+1]",
		"mnt:[0x10]",
		"mnt:[1a]",
		"mnt:[18446744073709551616]",
		/* another type, or not a link target at all */
		"mntx:[1]",
		"mn:[1]",
		"MNT:[1]",
		"net:[4026531833]",
		" mnt:[1]",
		"/proc/self/ns/mnt",
	};
	uint64_t ino = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_INT(link_str(bad[i], "mnt", &ino), -EINVAL))
			printf("#   input: \"%s\"\n", bad[i]);
	CHECK_EQ_U64(ino, 77);
}

static void test_length_bounds(void)
{
	const char *s = "mnt:[4026531832]trailing";
	uint64_t ino;

	for (size_t l = 0; l <= strlen(s); l++) {
		char *p = tap_dup(s, l);
		int r = parse_ns_link(p, l, "mnt", &ino);
		if (l == 16) {
			if (CHECK_EQ_INT(r, 0))
				CHECK_EQ_U64(ino, 4026531832ULL);
		} else {
			CHECK_EQ_INT(r, -EINVAL);
		}
		free(p);
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_captured);
	RUN(test_pinned);
	RUN(test_rejects);
	RUN(test_length_bounds);
	return tap_done();
}
