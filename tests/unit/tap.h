/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The unit tests' whole harness: CHECK macros that count failures and say
 * where and with which values a check failed, TAP output (one "ok" per test
 * function, meson registers the tests with protocol 'tap'), and helpers
 * that load captured inputs from tests/data/ into buffers of exactly their
 * size so that ASan flags any read past the length a parser was given.
 * Header-only; each test program includes it once.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned tap_failed_checks, tap_tests, tap_failed_tests;
static const char *tap_data_dir;

static inline bool tap_fail(const char *file, int line, const char *what)
{
	printf("#   %s:%d: check failed: %s\n", file, line, what);
	tap_failed_checks++;
	return false;
}

static inline bool tap_check(bool ok, const char *expr, const char *file, int line)
{
	return ok ? true : tap_fail(file, line, expr);
}

static inline bool tap_check_u64(uint64_t a, uint64_t b, const char *ea, const char *eb,
				 const char *file, int line)
{
	if (a == b)
		return true;
	printf("#   %s:%d: %s == %s: %" PRIu64 " (0x%" PRIx64 ") != %" PRIu64 " (0x%" PRIx64 ")\n",
	       file, line, ea, eb, a, a, b, b);
	tap_failed_checks++;
	return false;
}

static inline bool tap_check_i64(int64_t a, int64_t b, const char *ea, const char *eb,
				 const char *file, int line)
{
	if (a == b)
		return true;
	printf("#   %s:%d: %s == %s: %" PRId64 " != %" PRId64 "\n", file, line, ea, eb, a, b);
	tap_failed_checks++;
	return false;
}

static inline bool tap_check_str(const char *a, const char *b, const char *ea, const char *eb,
				 const char *file, int line)
{
	if (a && b && strcmp(a, b) == 0)
		return true;
	printf("#   %s:%d: %s == %s: \"%s\" != \"%s\"\n", file, line, ea, eb, a ? a : "(null)",
	       b ? b : "(null)");
	tap_failed_checks++;
	return false;
}

/* Each evaluates to true when the check passed, so a test can stop early. */
#define CHECK(expr) tap_check(!!(expr), #expr, __FILE__, __LINE__)
#define CHECK_EQ_U64(a, b) tap_check_u64((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_INT(a, b) tap_check_i64((int64_t)(a), (int64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STREQ(a, b) tap_check_str((a), (b), #a, #b, __FILE__, __LINE__)

/* Run one test function and report it as one TAP test point. */
#define RUN(fn)                                                                                    \
	do {                                                                                       \
		unsigned _before = tap_failed_checks;                                              \
		fn();                                                                              \
		tap_tests++;                                                                       \
		if (tap_failed_checks == _before) {                                                \
			printf("ok %u - %s\n", tap_tests, #fn);                                    \
		} else {                                                                           \
			tap_failed_tests++;                                                        \
			printf("not ok %u - %s\n", tap_tests, #fn);                                \
		}                                                                                  \
		fflush(stdout);                                                                    \
	} while (0)

/* argv[1], else $RESIDUE_TEST_DATA, else the source tree meson baked in. */
static inline void tap_init(int argc, char **argv)
{
	tap_data_dir = argc > 1 ? argv[1] : getenv("RESIDUE_TEST_DATA");
#ifdef RESIDUE_TEST_DATA
	if (!tap_data_dir)
		tap_data_dir = RESIDUE_TEST_DATA;
#endif
	if (!tap_data_dir)
		tap_data_dir = "tests/data";
}

static inline int tap_done(void)
{
	printf("1..%u\n", tap_tests);
	if (tap_failed_tests)
		printf("# %u of %u tests failed (%u checks)\n", tap_failed_tests, tap_tests,
		       tap_failed_checks);
	return tap_failed_tests ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A missing input is a broken tree, not a failed check: stop the program. */
static inline void tap_bail(const char *what, const char *name, int err)
{
	printf("Bail out! %s %s/%s: %s\n", what, tap_data_dir, name, strerror(err));
	exit(EXIT_FAILURE);
}

/*
 * Load tests/data/@name into a malloc'd buffer of exactly its size plus
 * @extra bytes (for parsers that may write buf[len]); the extra bytes are
 * zero.  Never returns NULL.
 */
static inline char *tap_data_extra(const char *name, size_t extra, size_t *ret_len)
{
	char path[4096];
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tap_data_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		tap_bail("cannot open", name, errno);
	buf = calloc(1, (size_t)st.st_size + extra + 1);
	if (!buf)
		tap_bail("out of memory reading", name, ENOMEM);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			tap_bail("cannot read", name, n < 0 ? errno : EIO);
		got += (size_t)n;
	}
	close(fd);
	*ret_len = got;
	/* Shrink to the exact size so ASan sees a read of buf[len + extra]. */
	char *exact = realloc(buf, got + extra ? got + extra : 1);
	return exact ? exact : buf;
}

static inline char *tap_data(const char *name, size_t *ret_len)
{
	return tap_data_extra(name, 0, ret_len);
}

/* A copy of @len bytes in a buffer of exactly @len + @extra bytes. */
static inline char *tap_dup_extra(const char *s, size_t len, size_t extra)
{
	char *p = malloc(len + extra ? len + extra : 1);
	if (!p) {
		printf("Bail out! out of memory\n");
		exit(EXIT_FAILURE);
	}
	memcpy(p, s, len);
	memset(p + len, 0, extra);
	return p;
}

static inline char *tap_dup(const char *s, size_t len)
{
	return tap_dup_extra(s, len, 0);
}

/* Iterate the lines of [buf, buf+len): *line and *line_len, without '\n'. */
static inline bool tap_next_line(const char *buf, size_t len, size_t *pos, const char **line,
				 size_t *line_len)
{
	if (*pos >= len)
		return false;
	const char *s = buf + *pos;
	const char *nl = memchr(s, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - s) : len - *pos;
	*line = s;
	*line_len = n;
	*pos += n + (nl ? 1 : 0);
	return true;
}
