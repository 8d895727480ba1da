// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for statmount_string(): three raw statmount(2) replies captured
 * from a 6.18 kernel in tests/data/ (the root ext4 mount, and tmpfs mounts
 * with a space and with tab/newline/backslash in the mount point), checked
 * against known strings; then the bounds: a header-only or short buffer,
 * an offset at or past the reply's end, a reply whose own size cuts a
 * string or its NUL, and a mask bit that is cleared.  Buffers are allocated
 * at exactly the size passed, so ASan reports any read past it.
 */
#include "tap.h"

#include <stddef.h>

#include "base/procfmt.h"

#define HDR offsetof(struct rs_statmount, str)

/* The string fields residue reads, with their mask bits. */
static const struct {
	const char *name;
	uint64_t mask;
	size_t field; /* offsetof the u32 offset in the header */
} fields[] = {
	{ "fs_type", RS_STATMOUNT_FS_TYPE, offsetof(struct rs_statmount, fs_type) },
	{ "mnt_root", RS_STATMOUNT_MNT_ROOT, offsetof(struct rs_statmount, mnt_root) },
	{ "mnt_point", RS_STATMOUNT_MNT_POINT, offsetof(struct rs_statmount, mnt_point) },
	{ "mnt_opts", RS_STATMOUNT_MNT_OPTS, offsetof(struct rs_statmount, mnt_opts) },
	{ "sb_source", RS_STATMOUNT_SB_SOURCE, offsetof(struct rs_statmount, sb_source) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint32_t field_off(const struct rs_statmount *sm, size_t i)
{
	uint32_t off;
	memcpy(&off, (const char *)sm + fields[i].field, sizeof(off));
	return off;
}

static const char *get(const struct rs_statmount *sm, size_t bufsize, size_t i, int *ret_r)
{
	const char *s = NULL;
	*ret_r = statmount_string(sm, bufsize, fields[i].mask, field_off(sm, i), &s);
	return s;
}

static void test_layout(void)
{
	size_t len;
	struct rs_statmount *sm = (struct rs_statmount *)tap_data("statmount-root.bin", &len);

	/* compat.h's struct has the kernel's 512-byte header. */
	CHECK_EQ_U64(HDR, 512);
	CHECK_EQ_U64(sm->size, len);
	CHECK(sm->mask & RS_STATMOUNT_SB_BASIC);
	CHECK(sm->mask & RS_STATMOUNT_MNT_BASIC);
	CHECK(sm->mask & RS_STATMOUNT_MNT_NS_ID);
	CHECK_EQ_U64(sm->sb_dev_major, 254);
	CHECK_EQ_U64(sm->sb_dev_minor, 0);
	CHECK_EQ_U64(sm->sb_magic, 0xef53); /* EXT4_SUPER_MAGIC */
	/* The old ids are those mountinfo-host.txt shows for "/"; unique ids are
	 * counted from MNT_UNIQUE_ID_OFFSET (1 << 31) so the two never collide. */
	CHECK_EQ_U64(sm->mnt_id_old, 27);
	CHECK_EQ_U64(sm->mnt_parent_id_old, 1);
	CHECK(sm->mnt_id >= 1ULL << 31);
	CHECK(sm->mnt_parent_id >= 1ULL << 31);
	free(sm);
}

static void check_strings(const char *file, const char *const want[NFIELDS],
			  const char *mnt_point_suffix)
{
	size_t len;
	struct rs_statmount *sm = (struct rs_statmount *)tap_data(file, &len);

	printf("# %s\n", file);
	for (size_t i = 0; i < NFIELDS; i++) {
		int r;
		const char *s = get(sm, len, i, &r);
		if (!CHECK_EQ_INT(r, 0))
			continue;
		if (want[i]) {
			CHECK_STREQ(s, want[i]);
		} else {
			size_t a = strlen(s), b = strlen(mnt_point_suffix);
			if (!CHECK(a >= b && strcmp(s + a - b, mnt_point_suffix) == 0))
				printf("#   %s = \"%s\"\n", fields[i].name, s);
		}
	}
	free(sm);
}

static void test_captured(void)
{
	check_strings("statmount-root.bin",
		      (const char *const[]){ "ext4", "/", "/",
					     "discard,resv_strict,resuid=65534,resgid=65534",
					     "/dev/vda" },
		      NULL);
	/* statmount(2) strings are raw: no \040 as in mountinfo. */
	check_strings("statmount-space.bin",
		      (const char *const[]){ "tmpfs", "/", NULL, "size=1024k", "my src" },
		      "/mnt point");
	check_strings("statmount-escapes.bin",
		      (const char *const[]){ "tmpfs", "/", NULL, "size=1024k,mode=700",
					     "src\\with\\backslash" },
		      "/tab\tback\\slash\nnl");
}

/* A copy of the first @n bytes in a buffer of exactly @n bytes. */
static struct rs_statmount *prefix(const void *sm, size_t n)
{
	return (struct rs_statmount *)tap_dup(sm, n);
}

static void test_mask(void)
{
	size_t len;
	struct rs_statmount *sm = (struct rs_statmount *)tap_data("statmount-space.bin", &len);
	const char *s = "untouched";

	/* A bit the reply never had (STATMOUNT_FS_SUBTYPE, 6.10). */
	CHECK_EQ_INT(statmount_string(sm, len, 0x100, sm->fs_type, &s), -ENOENT);
	/* The same valid offset once the kernel has not set the bit. */
	for (size_t i = 0; i < NFIELDS; i++) {
		int r;
		sm->mask &= ~fields[i].mask;
		s = "untouched";
		CHECK_EQ_INT(statmount_string(sm, len, fields[i].mask, field_off(sm, i), &s),
			     -ENOENT);
		CHECK_STREQ(s, "untouched");
		/* the other fields still read */
		for (size_t j = i + 1; j < NFIELDS; j++) {
			get(sm, len, j, &r);
			CHECK_EQ_INT(r, 0);
		}
	}
	CHECK_EQ_INT(statmount_string(sm, len, 0, 0, &s), -ENOENT);
	free(sm);
}

static void test_offsets(void)
{
	size_t len;
	struct rs_statmount *sm = (struct rs_statmount *)tap_data("statmount-root.bin", &len);
	uint64_t m = RS_STATMOUNT_SB_SOURCE;
	uint32_t strsz = (uint32_t)(len - HDR);
	const char *s = "untouched";

	/* The last byte is the NUL of the last string: an empty string. */
	CHECK_EQ_INT(statmount_string(sm, len, m, strsz - 1, &s), 0);
	CHECK_STREQ(s, "");
	/* Offset 0 is the kernel's leading NUL. */
	CHECK_EQ_INT(statmount_string(sm, len, m, 0, &s), 0);
	CHECK_STREQ(s, "");
	/* At and past the end. */
	s = "untouched";
	CHECK_EQ_INT(statmount_string(sm, len, m, strsz, &s), -EINVAL);
	CHECK_EQ_INT(statmount_string(sm, len, m, strsz + 1, &s), -EINVAL);
	CHECK_EQ_INT(statmount_string(sm, len, m, (uint32_t)len, &s), -EINVAL);
	CHECK_EQ_INT(statmount_string(sm, len, m, UINT32_MAX, &s), -EINVAL);
	CHECK_EQ_INT(statmount_string(sm, len, m, UINT32_MAX - (uint32_t)HDR, &s), -EINVAL);
	CHECK_STREQ(s, "untouched");
	free(sm);
}

static void test_short_buffers(void)
{
	size_t len;
	struct rs_statmount *full = (struct rs_statmount *)tap_data("statmount-root.bin", &len);
	const char *s;
	int r;

	/* Shorter than the header: not a reply at all. */
	for (size_t n = 0; n < HDR; n += 7) {
		struct rs_statmount *sm = prefix(full, n ? n : 1);
		CHECK_EQ_INT(statmount_string(sm, n, RS_STATMOUNT_FS_TYPE, 1, &s), -ENOENT);
		free(sm);
	}
	/* Exactly the header: no room for any string. */
	{
		struct rs_statmount *sm = prefix(full, HDR);
		for (size_t i = 0; i < NFIELDS; i++) {
			get(sm, HDR, i, &r);
			CHECK_EQ_INT(r, -EINVAL);
		}
		free(sm);
	}
	/* Every truncation of the reply: a string is either whole or refused. */
	for (size_t n = HDR; n <= len; n++) {
		struct rs_statmount *sm = prefix(full, n);
		for (size_t i = 0; i < NFIELDS; i++) {
			uint32_t off = field_off(full, i);
			const char *want = full->str + off;
			bool fits = HDR + off + strlen(want) < n;

			s = get(sm, n, i, &r);
			if (fits && CHECK_EQ_INT(r, 0))
				CHECK_STREQ(s, want);
			else if (!fits)
				CHECK_EQ_INT(r, -EINVAL);
		}
		free(sm);
	}
	free(full);
}

/* The reply's own size field bounds the strings, whatever the buffer size. */
static void test_reply_size(void)
{
	size_t len;
	struct rs_statmount *sm = (struct rs_statmount *)tap_data("statmount-root.bin", &len);
	uint32_t src = sm->sb_source;
	const char *s;
	int r;

	/* sb_source is the last string; cut its NUL off by one byte. */
	sm->size = (uint32_t)len - 1;
	get(sm, len, 4, &r);
	CHECK_EQ_INT(r, -EINVAL);
	get(sm, len, 0, &r);
	CHECK_EQ_INT(r, 0);
	/* Ends exactly where sb_source starts. */
	sm->size = (uint32_t)(HDR + src);
	get(sm, len, 4, &r);
	CHECK_EQ_INT(r, -EINVAL);
	/* A size smaller than the header. */
	for (uint32_t sz = 0; sz <= HDR; sz += 8) {
		sm->size = sz;
		get(sm, len, 0, &r);
		CHECK_EQ_INT(r, -EINVAL);
	}
	/* A size larger than the buffer: the buffer wins. */
	sm->size = UINT32_MAX;
	s = get(sm, len, 4, &r);
	if (CHECK_EQ_INT(r, 0))
		CHECK_STREQ(s, "/dev/vda");
	get(sm, len - 1, 4, &r);
	CHECK_EQ_INT(r, -EINVAL);
	free(sm);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_layout);
	RUN(test_captured);
	RUN(test_mask);
	RUN(test_offsets);
	RUN(test_short_buffers);
	RUN(test_reply_size);
	return tap_done();
}
