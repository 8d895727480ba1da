// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for lib/base/cgfmt.c.  The first byte picks the parser
 * (modulo 4, so the seeds start with an ASCII digit): '0' parse_proc_cgroups,
 * '1' parse_memory_stat, '2' parse_cgroup_stat, '3' cgroup_controllers_has;
 * the rest is the file.  Each result is checked against a slow reference
 * reader written here from cgfmt.h's rules (whole lines, whole keys, last
 * well-formed duplicate wins), so a present bit or has_* flag is set
 * exactly when the input holds that key on a well-formed line, with that
 * line's value; and output is untouched whenever a parser fails.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>

#include "base/cgfmt.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The line at *pos of [buf, buf+size), advancing *pos past it; false at the end. */
static bool nth_line(const char *buf, size_t size, size_t *pos, const char **ret, size_t *ret_len)
{
	if (*pos >= size)
		return false;
	size_t i = *pos;
	while (i < size && buf[i] != '\n')
		i++;
	*ret = buf + *pos;
	*ret_len = i - *pos;
	*pos = i + 1;
	return true;
}

/* Reference for "key value": the value of @key on the well-formed line [l, l+n), if any. */
static bool ref_kv(const char *l, size_t n, const char *key, uint64_t *ret)
{
	size_t kl = strlen(key), i;
	uint64_t v = 0;

	if (n <= kl || memcmp(l, key, kl) != 0 || !blank(l[kl]))
		return false;
	for (i = kl; i < n && blank(l[i]); i++)
		;
	size_t d0 = i;
	for (; i < n && l[i] >= '0' && l[i] <= '9'; i++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(l[i] - '0'), &v))
			return false;
	if (i == d0)
		return false;
	for (; i < n; i++)
		if (!blank(l[i]))
			return false;
	*ret = v;
	return true;
}

/* The last well-formed value of @key in the whole input. */
static bool ref_last(const char *buf, size_t size, const char *key, uint64_t *ret)
{
	size_t pos = 0, n;
	const char *l;
	bool found = false;

	while (nth_line(buf, size, &pos, &l, &n)) {
		uint64_t v;
		if (ref_kv(l, n, key, &v)) {
			*ret = v;
			found = true;
		}
	}
	return found;
}

static void check_key(const char *buf, size_t size, const char *key, bool has, uint64_t got)
{
	uint64_t want = 0;
	bool found = ref_last(buf, size, key, &want);

	FUZZ_ASSERT(has == found);
	FUZZ_ASSERT(got == (found ? want : 0));
}

/* Digits only, at least one, no overflow. */
static bool ref_number(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	*ret = v;
	return true;
}

/* Reference for parse_proc_cgroups: the first line whose first word is @name decides. */
static int ref_row(const char *buf, size_t size, const char *name, ProcCgroupsRow *ret)
{
	size_t pos = 0, n, nl = strlen(name);
	const char *l;

	if (!nl)
		return -EINVAL;
	while (nth_line(buf, size, &pos, &l, &n)) {
		size_t i = 0;
		while (i < n && !blank(l[i]))
			i++;
		if (i != nl || memcmp(l, name, nl) != 0)
			continue;
		/* Exactly three blank-separated numbers follow. */
		uint64_t v[3];
		int f = 0;
		while (i < n) {
			while (i < n && blank(l[i]))
				i++;
			if (i == n)
				break;
			size_t t = i;
			while (i < n && !blank(l[i]))
				i++;
			if (f == 3 || !ref_number(l + t, i - t, &v[f]))
				return -EINVAL;
			f++;
		}
		if (f != 3 || v[0] > UINT32_MAX || v[2] > 1)
			return -EINVAL;
		*ret = (ProcCgroupsRow){ (uint32_t)v[0], v[1], v[2] == 1 };
		return 0;
	}
	return -ENOENT;
}

static void fuzz_proc_cgroups(const char *buf, size_t size)
{
	static const char *const names[] = { "memory", "cpu", "pids", "" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ProcCgroupsRow row = { .hierarchy = 0xdead,
				       .num_cgroups = 0xbeef,
				       .enabled = true };
		ProcCgroupsRow want = { 0 };
		int r = parse_proc_cgroups(buf, size, names[i], &row);
		int wr = ref_row(buf, size, names[i], &want);

		FUZZ_ASSERT(r == wr);
		if (r < 0) {
			FUZZ_ASSERT(row.hierarchy == 0xdead && row.num_cgroups == 0xbeef &&
				    row.enabled);
		} else {
			FUZZ_ASSERT(row.hierarchy == want.hierarchy);
			FUZZ_ASSERT(row.num_cgroups == want.num_cgroups);
			FUZZ_ASSERT(row.enabled == want.enabled);
		}
	}
}

static void fuzz_memory_stat(const char *buf, size_t size)
{
	MemoryStat st, untouched;
	memset(&st, 0xa5, sizeof(st));
	untouched = st;

	int r = parse_memory_stat(buf, size, &st);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	if (r < 0) {
		FUZZ_ASSERT(memcmp(&st, &untouched, sizeof(st)) == 0);
		memset(&st, 0, sizeof(st));
	} else {
		FUZZ_ASSERT(st.present != 0);
		FUZZ_ASSERT(!(st.present & ~((UINT32_C(1) << _MEMSTAT_MAX) - 1)));
	}
#define F(key, f, m) check_key(buf, size, key, (st.present >> MEMSTAT_##f) & 1, st.m)
	F("cache", CACHE, cache);
	F("rss", RSS, rss);
	F("mapped_file", MAPPED_FILE, mapped_file);
	F("dirty", DIRTY, dirty);
	F("writeback", WRITEBACK, writeback);
	F("total_cache", TOTAL_CACHE, total_cache);
	F("total_rss", TOTAL_RSS, total_rss);
	F("total_shmem", TOTAL_SHMEM, total_shmem);
	F("total_dirty", TOTAL_DIRTY, total_dirty);
	F("total_writeback", TOTAL_WRITEBACK, total_writeback);
	F("anon", ANON, anon);
	F("file", FILE, file);
	F("file_dirty", FILE_DIRTY, file_dirty);
	F("file_writeback", FILE_WRITEBACK, file_writeback);
#undef F
	/* "shmem": in exactly one of the two fields, chosen by the version. */
	uint64_t shmem = 0, x;
	bool has_shmem = ref_last(buf, size, "shmem", &shmem);
	bool v1 = ref_last(buf, size, "cache", &x) || ref_last(buf, size, "total_cache", &x);
	bool v2 = !v1 && ref_last(buf, size, "file", &x);
	bool b1 = st.present & MEMSTAT_BIT(MEMSTAT_SHMEM);
	bool b2 = st.present & MEMSTAT_BIT(MEMSTAT_V2_SHMEM);
	FUZZ_ASSERT(!(b1 && b2));
	FUZZ_ASSERT(b1 == (has_shmem && !v2));
	FUZZ_ASSERT(b2 == (has_shmem && v2));
	FUZZ_ASSERT(st.shmem == (b1 ? shmem : 0));
	FUZZ_ASSERT(st.v2_shmem == (b2 ? shmem : 0));
	/* Failure exactly when nothing known was found. */
	FUZZ_ASSERT((r == 0) == (st.present != 0));
}

static void fuzz_cgroup_stat(const char *buf, size_t size)
{
	CgroupStat st, untouched;
	memset(&st, 0xa5, sizeof(st));
	untouched = st;

	int r = parse_cgroup_stat(buf, size, &st);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	if (r < 0) {
		FUZZ_ASSERT(memcmp(&st, &untouched, sizeof(st)) == 0);
		memset(&st, 0, sizeof(st));
	}
	check_key(buf, size, "nr_descendants", st.has_nr_descendants, st.nr_descendants);
	check_key(buf, size, "nr_dying_descendants", st.has_nr_dying_descendants,
		  st.nr_dying_descendants);
	check_key(buf, size, "nr_subsys_memory", st.has_nr_subsys_memory, st.nr_subsys_memory);
	check_key(buf, size, "nr_dying_subsys_memory", st.has_nr_dying_subsys_memory,
		  st.nr_dying_subsys_memory);
	FUZZ_ASSERT((r == 0) == (st.has_nr_descendants || st.has_nr_dying_descendants ||
				 st.has_nr_subsys_memory || st.has_nr_dying_subsys_memory));
}

/* Reference: split on blanks and '\n' with no shared code. */
static bool ref_listed(const char *buf, size_t size, const char *name)
{
	size_t nl = strlen(name);

	if (!nl)
		return false;
	for (size_t i = 0; i + nl <= size; i++) {
		bool starts = i == 0 || blank(buf[i - 1]) || buf[i - 1] == '\n';
		bool ends = i + nl == size || blank(buf[i + nl]) || buf[i + nl] == '\n';
		if (starts && ends && memcmp(buf + i, name, nl) == 0)
			return true;
	}
	return false;
}

static void fuzz_controllers(const char *buf, size_t size)
{
	static const char *const names[] = { "memory", "cpu", "io", "a", "" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		FUZZ_ASSERT(cgroup_controllers_has(buf, size, names[i]) ==
			    ref_listed(buf, size, names[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned which = data[0] % 4;
	size--;
	char *buf = fuzz_dup(data + 1, size, 0);

	switch (which) {
	case 0:
		fuzz_proc_cgroups(buf, size);
		break;
	case 1:
		fuzz_memory_stat(buf, size);
		break;
	case 2:
		fuzz_cgroup_stat(buf, size);
		break;
	default:
		fuzz_controllers(buf, size);
		break;
	}
	/* The range-list parser is cheap: every input goes through it too. */
	unsigned n = 12345;
	if (parse_range_list_count(buf, size, &n) == 0)
		FUZZ_ASSERT(n >= 1);
	else
		FUZZ_ASSERT(n == 12345);
	/* One past the highest id is at least the count, and answers for the same inputs. */
	unsigned end = 12345;
	if (parse_range_list_end(buf, size, &end) == 0)
		FUZZ_ASSERT(n != 12345 && end >= n);
	else
		FUZZ_ASSERT(end == 12345 && n == 12345);
	free(buf);
	return 0;
}
