// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for the two /proc/PID/maps helpers: parse_map_range() on the
 * entry names of a captured /proc/self/map_files listing, and
 * parse_maps_perms() on captured maps files (one holds MAP_SHARED mappings
 * of a deleted file on a tmpfs whose path has a space), each line checked
 * against sscanf as an independent reader; then hand-made edge cases.
 */
#include "tap.h"

#include "base/procfmt.h"

static int range_str(const char *s, uint64_t *a, uint64_t *b)
{
	char *p = tap_dup(s, strlen(s));
	int r = parse_map_range(p, strlen(s), a, b);
	free(p);
	return r;
}

static void test_range_captured(void)
{
	size_t len, pos = 0, ll, n = 0;
	char *buf = tap_data("map-files.txt", &len);
	const char *line;

	while (tap_next_line(buf, len, &pos, &line, &ll)) {
		char *copy = tap_dup(line, ll);
		char *z = strndup(line, ll);
		unsigned long long wa, wb;
		uint64_t a = 0, b = 0;

		CHECK(z && sscanf(z, "%llx-%llx", &wa, &wb) == 2);
		if (CHECK_EQ_INT(parse_map_range(copy, ll, &a, &b), 0)) {
			CHECK_EQ_U64(a, wa);
			CHECK_EQ_U64(b, wb);
			CHECK(a < b);
		}
		n++;
		free(z);
		free(copy);
	}
	CHECK(n > 10);
	free(buf);
}

static void test_range_edges(void)
{
	uint64_t a = 11, b = 22;

	CHECK_EQ_INT(range_str("0-0", &a, &b), 0);
	CHECK_EQ_U64(a, 0);
	CHECK_EQ_U64(b, 0);
	CHECK_EQ_INT(range_str("ffffffffff600000-ffffffffff601000", &a, &b), 0);
	CHECK_EQ_U64(a, 0xffffffffff600000ULL);
	CHECK_EQ_U64(b, 0xffffffffff601000ULL);
	CHECK_EQ_INT(range_str("ffffffffffffffff-ffffffffffffffff", &a, &b), 0);
	CHECK_EQ_U64(b, UINT64_MAX);
	CHECK_EQ_INT(range_str("7F1C2A000000-7F1C2A001000", &a, &b), 0);
	CHECK_EQ_U64(a, 0x7f1c2a000000ULL);

	a = 11;
	b = 22;
	CHECK_EQ_INT(range_str("", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("-", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("1000", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("1000-", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("-1000", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("1000-2000 ", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("1000-2000-3000", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("1000_2000", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("0x1000-0x2000", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("2000-1000", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("10000000000000000-10000000000000001", &a, &b), -EINVAL);
	CHECK_EQ_INT(range_str("1000-10000000000000000", &a, &b), -EINVAL);
	CHECK_EQ_U64(a, 11);
	CHECK_EQ_U64(b, 22);

	/* @len, not a NUL, ends the name. */
	{
		const char *s = "1000-2000ZZZ";
		CHECK_EQ_INT(parse_map_range(s, 9, &a, &b), 0);
		CHECK_EQ_U64(b, 0x2000);
		/* "1000-200": the end is now below the start */
		CHECK_EQ_INT(parse_map_range(s, 8, &a, &b), -EINVAL);
		CHECK_EQ_INT(parse_map_range(s + 1, 7, &a, &b), 0);
		CHECK_EQ_U64(a, 0);
		CHECK_EQ_U64(b, 0x200);
		CHECK_EQ_INT(parse_map_range(s, 5, &a, &b), -EINVAL);
	}
}

/* Every line of a captured maps file, against sscanf. */
static void check_maps_file(const char *name)
{
	size_t len, pos = 0, ll, n = 0;
	char *buf = tap_data(name, &len);
	const char *line;

	printf("# %s\n", name);
	while (tap_next_line(buf, len, &pos, &line, &ll)) {
		char *z = strndup(line, ll);
		unsigned long long start, end;
		char want[5], got[5] = "????";

		if (!CHECK(z && sscanf(z, "%llx-%llx %4s", &start, &end, want) == 3)) {
			free(z);
			continue;
		}
		if (CHECK_EQ_INT(parse_maps_perms(buf, len, start, got), 0))
			CHECK_STREQ(got, want);
		n++;
		free(z);
	}
	CHECK(n > 10);
	free(buf);
}

/* parse_maps_next() against an sscanf reading of every line of the captured files. */
static void check_maps_next(const char *name)
{
	size_t len, pos = 0, lpos = 0, ll, n = 0;
	char *buf = tap_data(name, &len);
	const char *line;
	MapsEntry e;

	printf("# %s\n", name);
	while (tap_next_line(buf, len, &lpos, &line, &ll)) {
		char *z = strndup(line, ll);
		unsigned long long start, end, off, ino;
		unsigned maj, min;
		char perms[5];

		if (!CHECK(z && sscanf(z, "%llx-%llx %4s %llx %x:%x %llu", &start, &end, perms,
				       &off, &maj, &min, &ino) == 7)) {
			free(z);
			continue;
		}
		if (CHECK_EQ_INT(parse_maps_next(buf, len, &pos, &e), 1)) {
			CHECK_EQ_U64(e.start, start);
			CHECK_EQ_U64(e.end, end);
			CHECK_STREQ(e.perms, perms);
			CHECK_EQ_U64(e.major, maj);
			CHECK_EQ_U64(e.minor, min);
			CHECK_EQ_U64(e.ino, ino);
		}
		n++;
		free(z);
	}
	CHECK_EQ_INT(parse_maps_next(buf, len, &pos, &e), 0);
	CHECK(n > 10);
	free(buf);
}

static void test_next_captured(void)
{
	check_maps_next("maps-cat.txt");
	check_maps_next("maps-shared-deleted.txt");
}

static void test_next_edges(void)
{
	static const char text[] = "1000-2000 rw-s 00000000 fe:01 42 /x\n"
				   "garbage\n"
				   "3000-2000 r--p 0 0:0 0\n" /* end before start */
				   "4000-5000 r--p 0 0:0 0"; /* anonymous, no newline */
	size_t pos = 0;
	MapsEntry e;

	CHECK_EQ_INT(parse_maps_next(text, sizeof(text) - 1, &pos, &e), 1);
	CHECK_EQ_U64(e.major, 0xfe);
	CHECK_EQ_U64(e.minor, 1);
	CHECK_EQ_U64(e.ino, 42);
	CHECK_STREQ(e.perms, "rw-s");
	CHECK_EQ_INT(parse_maps_next(text, sizeof(text) - 1, &pos, &e), -EINVAL);
	CHECK_EQ_INT(parse_maps_next(text, sizeof(text) - 1, &pos, &e), -EINVAL);
	CHECK_EQ_INT(parse_maps_next(text, sizeof(text) - 1, &pos, &e), 1);
	CHECK_EQ_U64(e.start, 0x4000);
	CHECK_EQ_U64(e.ino, 0);
	CHECK_EQ_INT(parse_maps_next(text, sizeof(text) - 1, &pos, &e), 0);
	pos = 0;
	CHECK_EQ_INT(parse_maps_next("1000-2000 rw", 12, &pos, &e), -EINVAL);
	CHECK_EQ_U64(pos, 12);
}

static void test_perms_captured(void)
{
	check_maps_file("maps-cat.txt");
	check_maps_file("maps-shared-deleted.txt");
}

static void test_perms_shared(void)
{
	size_t len;
	char *buf = tap_data("maps-shared-deleted.txt", &len);
	char perms[5];

	/* The two MAP_SHARED views of "mnt point/shm file (deleted)". */
	CHECK_EQ_INT(parse_maps_perms(buf, len, 0x7fd612803000ULL, perms), 0);
	CHECK_STREQ(perms, "r--s");
	CHECK_EQ_INT(parse_maps_perms(buf, len, 0x7fd612804000ULL, perms), 0);
	CHECK_STREQ(perms, "rw-s");
	/* The last line, with no mapping after it. */
	CHECK_EQ_INT(parse_maps_perms(buf, len, 0xffffffffff600000ULL, perms), 0);
	CHECK_STREQ(perms, "--xp");
	/* An address inside a mapping is not its start. */
	strcpy(perms, "keep");
	CHECK_EQ_INT(parse_maps_perms(buf, len, 0x7fd612804001ULL, perms), -ENOENT);
	CHECK_EQ_INT(parse_maps_perms(buf, len, 0x7fd612805000ULL, perms), -ENOENT);
	CHECK_EQ_INT(parse_maps_perms(buf, len, 0, perms), -ENOENT);
	CHECK_STREQ(perms, "keep");
	free(buf);
}

static int perms_str(const char *s, uint64_t start, char perms[5])
{
	char *p = tap_dup(s, strlen(s));
	int r = parse_maps_perms(p, strlen(s), start, perms);
	free(p);
	return r;
}

static void test_perms_edges(void)
{
	char perms[5] = "keep";

	CHECK_EQ_INT(perms_str("", 0x1000, perms), -ENOENT);
	CHECK_EQ_INT(perms_str("\n\n", 0x1000, perms), -ENOENT);
	/* No newline at the end; the minimal "a-b perm" line. */
	CHECK_EQ_INT(perms_str("1000-2000 rw-s", 0x1000, perms), 0);
	CHECK_STREQ(perms, "rw-s");
	/* A matching start on a line cut short is an error, not a miss. */
	strcpy(perms, "keep");
	CHECK_EQ_INT(perms_str("1000-2000 rw-", 0x1000, perms), -EINVAL);
	CHECK_EQ_INT(perms_str("1000-2000\n", 0x1000, perms), -EINVAL);
	CHECK_EQ_INT(perms_str("1000-2000rw-p 0\n", 0x1000, perms), -EINVAL);
	CHECK_EQ_INT(perms_str("1000-\n", 0x1000, perms), -EINVAL);
	CHECK_STREQ(perms, "keep");
	/* Lines that do not parse are skipped while searching. */
	CHECK_EQ_INT(perms_str("garbage\n1000 rw-p\n1000-2000 r--p 0 00:00 0\n", 0x1000, perms), 0);
	CHECK_STREQ(perms, "r--p");
	/* The first of two lines with the same start. */
	CHECK_EQ_INT(perms_str("1000-2000 r--p\n1000-3000 rw-p\n", 0x1000, perms), 0);
	CHECK_STREQ(perms, "r--p");
	/* A bad line's newline ends the search of that line only. */
	CHECK_EQ_INT(perms_str("1000-2000 r-\n2000-3000 rwxp\n", 0x2000, perms), 0);
	CHECK_STREQ(perms, "rwxp");
	/* Length bounds: the perms must lie inside @len. */
	{
		const char *s = "1000-2000 rw-s 0";
		for (size_t l = 0; l <= strlen(s); l++) {
			char *p = tap_dup(s, l);
			int r = parse_maps_perms(p, l, 0x1000, perms);
			if (l < 5)
				CHECK_EQ_INT(r, -ENOENT);
			else if (l < 14)
				CHECK_EQ_INT(r, -EINVAL);
			else if (CHECK_EQ_INT(r, 0))
				CHECK_STREQ(perms, "rw-s");
			free(p);
		}
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_range_captured);
	RUN(test_range_edges);
	RUN(test_perms_captured);
	RUN(test_perms_shared);
	RUN(test_perms_edges);
	RUN(test_next_captured);
	RUN(test_next_edges);
	return tap_done();
}
