// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for parse_fdinfo() and parse_fdinfo_user_file(): every fdinfo
 * sample captured from a 6.18 kernel (and an io_uring ring's from 6.1) in tests/data/ (one per kind of fd the collectors meet, including
 * the ones whose extra lines contain "pos:", "ino:" or "flags:" later in a
 * line), then hand-made edge cases for lengths, overflow and bad digits.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>

#include "base/procfmt.h"

struct fdinfo_case {
	const char *file;
	uint64_t pos;
	uint32_t flags;
	uint32_t mnt_id;
	uint64_t ino;
	int scm_fds; /* -1: no such line */
};

/* The values in the captured files; tests/data/capture.sh rewrites them. */
static const struct fdinfo_case fdinfo_cases[] = {
	{ "fdinfo-stdin.txt", 0, 0100000, 27, 733, -1 },
	{ "fdinfo-rdonly.txt", 0, 02100000, 27, 733, -1 },
	{ "fdinfo-wronly-append.txt", 10, 02102001, 27, 5308528, -1 },
	{ "fdinfo-opath-dir.txt", 0, 012200000, 27, 2, -1 },
	{ "fdinfo-eventfd.txt", 0, 02004002, 17, 1038, -1 },
	{ "fdinfo-epoll.txt", 0, 02000002, 17, 1038, -1 },
	{ "fdinfo-inotify.txt", 0, 02000000, 17, 1038, -1 },
	{ "fdinfo-timerfd.txt", 0, 02000002, 17, 1038, -1 },
	{ "fdinfo-signalfd.txt", 0, 02000002, 17, 1038, -1 },
	{ "fdinfo-pidfd.txt", 0, 02000002, 4, 4147, -1 },
	{ "fdinfo-memfd.txt", 0, 02100002, 0, 1027, -1 },
	{ "fdinfo-pipe-write.txt", 0, 02000001, 16, 8179, -1 },
	{ "fdinfo-socket.txt", 0, 02000002, 10, 8181, 0 },
	/* A socketpair's receiving end with three files in flight in two messages. */
	{ "fdinfo-socket-inflight.txt", 0, 02000002, 10, 122732419, 3 },
	/* io_uring rings with three fixed-file slots, on 6.18 and on Debian's 6.1. */
	{ "fdinfo-io_uring.txt", 0, 02000002, 17, 124027854, -1 },
	{ "fdinfo-io_uring-6.1.txt", 0, 02000002, 15, 11449, -1 },
};

static void test_captured(void)
{
	for (size_t i = 0; i < sizeof(fdinfo_cases) / sizeof(fdinfo_cases[0]); i++) {
		const struct fdinfo_case *c = &fdinfo_cases[i];
		size_t len;
		char *buf = tap_data(c->file, &len);
		FdInfo fi;

		printf("# %s\n", c->file);
		if (CHECK_EQ_INT(parse_fdinfo(buf, len, &fi), 0)) {
			CHECK(fi.has_flags);
			CHECK(fi.has_mnt_id);
			CHECK(fi.has_ino);
			CHECK_EQ_U64(fi.pos, c->pos);
			CHECK_EQ_U64(fi.flags, c->flags);
			CHECK_EQ_U64(fi.mnt_id, c->mnt_id);
			CHECK_EQ_U64(fi.ino, c->ino);
			CHECK_EQ_INT(fi.has_scm_fds, c->scm_fds >= 0);
			CHECK_EQ_U64(fi.scm_fds, c->scm_fds >= 0 ? (uint64_t)c->scm_fds : 0);
		}
		free(buf);
	}
}

/*
 * A ring's fixed files: how many, and the path of one slot (6.18 lists the
 * slots in use with their \ooo-escaped paths; 6.1 every slot, with the
 * file's name alone or <none>).
 */
static void test_io_uring(void)
{
	size_t len;
	char *buf = tap_data("fdinfo-io_uring.txt", &len), *path = NULL;
	FdInfo fi;

	if (CHECK_EQ_INT(parse_fdinfo(buf, len, &fi), 0)) {
		CHECK(fi.has_user_files);
		CHECK_EQ_U64(fi.user_files, 3);
	}
	if (CHECK_EQ_INT(parse_fdinfo_user_file(buf, len, 2, &path), 0))
		CHECK_STREQ(path, "/tmp/kh/cap/mnt point/held file");
	free(path);
	path = NULL;
	CHECK_EQ_INT(parse_fdinfo_user_file(buf, len, 0, &path), -ENOENT);
	CHECK_EQ_INT(parse_fdinfo_user_file(buf, len, 3, &path), -ENOENT);
	CHECK(path == NULL);
	free(buf);

	buf = tap_data("fdinfo-io_uring-6.1.txt", &len);
	if (CHECK_EQ_INT(parse_fdinfo(buf, len, &fi), 0))
		CHECK_EQ_U64(fi.user_files, 3);
	path = (char *)"unset";
	CHECK_EQ_INT(parse_fdinfo_user_file(buf, len, 2, &path), 0);
	CHECK(path == NULL); /* "held": a name, not a path */
	path = (char *)"unset";
	CHECK_EQ_INT(parse_fdinfo_user_file(buf, len, 0, &path), 0);
	CHECK(path == NULL); /* <none> */
	free(buf);

	/* Other fds have no such list; a list ends at the first line of another shape. */
	buf = tap_data("fdinfo-socket.txt", &len);
	CHECK_EQ_INT(parse_fdinfo_user_file(buf, len, 0, &path), -ENOENT);
	free(buf);
	static const char cut[] = "flags:\t0\nUserFiles:\t2\n    0: /a\nUserBufs:\t0\n    1: /b\n";
	path = NULL;
	CHECK_EQ_INT(parse_fdinfo_user_file(cut, sizeof(cut) - 1, 1, &path), -ENOENT);
	if (CHECK_EQ_INT(parse_fdinfo_user_file(cut, sizeof(cut) - 1, 0, &path), 0))
		CHECK_STREQ(path, "/a");
	free(path);
	static const char no_nl[] = "UserFiles:\t1\n    7: /x\\134y";
	path = NULL;
	if (CHECK_EQ_INT(parse_fdinfo_user_file(no_nl, sizeof(no_nl) - 1, 7, &path), 0))
		CHECK_STREQ(path, "/x\\y");
	free(path);
}

/* The flags the collectors derive a holder's mode from. */
static void test_captured_modes(void)
{
	size_t len;
	char *buf = tap_data("fdinfo-wronly-append.txt", &len);
	FdInfo fi;

	CHECK_EQ_INT(parse_fdinfo(buf, len, &fi), 0);
	CHECK_EQ_U64(fi.flags & O_ACCMODE, O_WRONLY);
	CHECK(fi.flags & O_APPEND);
	CHECK(fi.flags & O_CLOEXEC);
	free(buf);

	buf = tap_data("fdinfo-opath-dir.txt", &len);
	CHECK_EQ_INT(parse_fdinfo(buf, len, &fi), 0);
	CHECK(fi.flags & O_PATH);
	CHECK(fi.flags & O_DIRECTORY);
	free(buf);
}

static int parse_str(const char *s, FdInfo *fi)
{
	char *b = tap_dup(s, strlen(s));
	int r = parse_fdinfo(b, strlen(s), fi);
	free(b);
	return r;
}

static void test_minimal(void)
{
	FdInfo fi;

	CHECK_EQ_INT(parse_str("flags:\t02\n", &fi), 0);
	CHECK(fi.has_flags && !fi.has_mnt_id && !fi.has_ino);
	CHECK_EQ_U64(fi.flags, 2);
	CHECK_EQ_U64(fi.pos, 0);
	/* No final newline, spaces instead of a tab, fields in another order. */
	CHECK_EQ_INT(parse_str("ino: 99\nmnt_id:  5\nflags: 0777\npos:\t123", &fi), 0);
	CHECK_EQ_U64(fi.flags, 0777);
	CHECK_EQ_U64(fi.mnt_id, 5);
	CHECK_EQ_U64(fi.ino, 99);
	CHECK_EQ_U64(fi.pos, 123);
	/* A later duplicate wins. */
	CHECK_EQ_INT(parse_str("flags:\t01\nflags:\t02\n", &fi), 0);
	CHECK_EQ_U64(fi.flags, 2);
}

static void test_missing_flags(void)
{
	FdInfo fi = { .pos = 4242 };

	CHECK_EQ_INT(parse_str("", &fi), -EINVAL);
	CHECK_EQ_INT(parse_str("\n\n", &fi), -EINVAL);
	CHECK_EQ_INT(parse_str("pos:\t0\nmnt_id:\t27\nino:\t733\n", &fi), -EINVAL);
	/* Only at the start of a line. */
	CHECK_EQ_INT(parse_str("settime flags: 00\n", &fi), -EINVAL);
	CHECK_EQ_INT(parse_str(" flags:\t02\n", &fi), -EINVAL);
	CHECK_EQ_INT(parse_str("flags:\n", &fi), -EINVAL);
	CHECK_EQ_INT(parse_str("flags:\tx\n", &fi), -EINVAL);
	/* Octal only: an 8 is not a digit. */
	CHECK_EQ_INT(parse_str("flags:\t8\n", &fi), -EINVAL);
	/* Output untouched on failure. */
	CHECK_EQ_U64(fi.pos, 4242);
}

static void test_ranges(void)
{
	FdInfo fi;

	/* flags and mnt_id are 32-bit; a larger value is ignored, not truncated. */
	CHECK_EQ_INT(parse_str("flags:\t037777777777\n", &fi), 0);
	CHECK_EQ_U64(fi.flags, UINT32_MAX);
	CHECK_EQ_INT(parse_str("flags:\t040000000000\n", &fi), -EINVAL);
	CHECK_EQ_INT(parse_str("flags:\t0\nmnt_id:\t4294967296\n", &fi), 0);
	CHECK(!fi.has_mnt_id);
	CHECK_EQ_U64(fi.mnt_id, 0);
	CHECK_EQ_INT(parse_str("flags:\t0\nmnt_id:\t4294967295\n", &fi), 0);
	CHECK(fi.has_mnt_id);
	CHECK_EQ_U64(fi.mnt_id, UINT32_MAX);
	/* ino and pos are 64-bit; overflow is rejected. */
	CHECK_EQ_INT(parse_str("flags:\t0\nino:\t18446744073709551615\n", &fi), 0);
	CHECK(fi.has_ino);
	CHECK_EQ_U64(fi.ino, UINT64_MAX);
	CHECK_EQ_INT(parse_str("flags:\t0\nino:\t18446744073709551616\n", &fi), 0);
	CHECK(!fi.has_ino);
	CHECK_EQ_INT(parse_str("flags:\t0\npos:\t99999999999999999999\n", &fi), 0);
	CHECK_EQ_U64(fi.pos, 0);
}

/* Nothing at or past @len is looked at. */
static void test_length_bounds(void)
{
	const char *s = "pos:\t0\nflags:\t0123\nmnt_id:\t27\n";
	size_t n = strlen(s);
	FdInfo fi;

	for (size_t len = 0; len <= n; len++) {
		char *b = tap_dup(s, len);
		int r = parse_fdinfo(b, len, &fi);
		size_t flags_digits = strlen("pos:\t0\nflags:\t");
		if (len <= flags_digits) {
			CHECK_EQ_INT(r, -EINVAL);
		} else if (CHECK_EQ_INT(r, 0)) {
			/* "0", "01", "012", "0123" as the buffer grows. */
			static const uint32_t want[] = { 0, 01, 012, 0123 };
			size_t d = len - flags_digits;
			CHECK_EQ_U64(fi.flags, want[d > 4 ? 3 : d - 1]);
		}
		free(b);
	}
}

/* A number followed by anything but blanks is not the kernel's: the field is ignored. */
static void test_trailing_garbage(void)
{
	static const char bad_flags[] = "pos:\t0\nflags:\t0128\n";
	static const char bad_mnt[] = "pos:\t0\nflags:\t02\nmnt_id:\t27x\nino:\t5 \n";
	FdInfo fi;

	CHECK_EQ_INT(parse_fdinfo(bad_flags, sizeof(bad_flags) - 1, &fi), -EINVAL);
	if (CHECK_EQ_INT(parse_fdinfo(bad_mnt, sizeof(bad_mnt) - 1, &fi), 0)) {
		CHECK_EQ_U64(fi.flags, 2);
		CHECK(!fi.has_mnt_id);
		CHECK(fi.has_ino); /* trailing blanks are fine */
		CHECK_EQ_U64(fi.ino, 5);
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_captured);
	RUN(test_captured_modes);
	RUN(test_io_uring);
	RUN(test_minimal);
	RUN(test_missing_flags);
	RUN(test_ranges);
	RUN(test_length_bounds);
	RUN(test_trailing_garbage);
	return tap_done();
}
