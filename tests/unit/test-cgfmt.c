// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for lib/base/cgfmt.c: /proc/cgroups, memory.stat of both
 * versions and cgroup.stat as captured from a hybrid 6.18 host (and, for
 * the v2 memory controller this host lacks, transcribed from the 6.1 and
 * 6.12 sources) in tests/data/cgroup-fs/, every field pinned; then every
 * line of every capture re-read by a naive sscanf reader as a second
 * opinion; then hand-made edge cases: empty input, no final newline,
 * overflow, duplicates, key prefixes, NUL bytes, CRLF and buffer lengths.
 */
#include "tap.h"

#include "base/cgfmt.h"

#define DIR "cgroup-fs/"
#define BIT(f) MEMSTAT_BIT(MEMSTAT_##f)

/* Copy a literal into a buffer of exactly its length (sizeof - 1: NULs inside count). */
#define LIT(s) tap_dup((s), sizeof(s) - 1), sizeof(s) - 1

static int memstat_lit(char *b, size_t len, MemoryStat *st)
{
	int r = parse_memory_stat(b, len, st);
	free(b);
	return r;
}

static int cgstat_lit(char *b, size_t len, CgroupStat *st)
{
	int r = parse_cgroup_stat(b, len, st);
	free(b);
	return r;
}

static int cgroups_lit(char *b, size_t len, const char *ss, ProcCgroupsRow *row)
{
	int r = parse_proc_cgroups(b, len, ss, row);
	free(b);
	return r;
}

static bool has_lit(char *b, size_t len, const char *name)
{
	bool r = cgroup_controllers_has(b, len, name);
	free(b);
	return r;
}

/* ---- /proc/cgroups ---- */

struct cgroups_case {
	const char *subsys;
	uint32_t hierarchy;
	uint64_t num_cgroups;
};

/* proc-cgroups.txt; tests/data/cgroup-fs/capture.sh rewrites it. */
// clang-format off: one row of the file per line
static const struct cgroups_case cgroups_cases[] = {
	{ "cpuset", 3, 1 },	{ "cpu", 1, 1 },      { "cpuacct", 2, 1 }, { "blkio", 7, 1 },
	{ "memory", 4, 24 },	{ "devices", 5, 1 },  { "freezer", 6, 1 }, { "net_cls", 0, 1 },
	{ "perf_event", 0, 1 }, { "net_prio", 0, 1 }, { "hugetlb", 0, 1 }, { "pids", 8, 1 },
};
// clang-format on

static void test_proc_cgroups_captured(void)
{
	size_t len;
	char *buf = tap_data(DIR "proc-cgroups.txt", &len);

	for (size_t i = 0; i < sizeof(cgroups_cases) / sizeof(cgroups_cases[0]); i++) {
		const struct cgroups_case *c = &cgroups_cases[i];
		ProcCgroupsRow row;

		if (CHECK_EQ_INT(parse_proc_cgroups(buf, len, c->subsys, &row), 0)) {
			CHECK_EQ_U64(row.hierarchy, c->hierarchy);
			CHECK_EQ_U64(row.num_cgroups, c->num_cgroups);
			CHECK(row.enabled);
		}
	}

	ProcCgroupsRow row = { .hierarchy = 77, .num_cgroups = 77 };
	CHECK_EQ_INT(parse_proc_cgroups(buf, len, "rdma", &row), -ENOENT);
	CHECK_EQ_INT(parse_proc_cgroups(buf, len, "mem", &row), -ENOENT);
	CHECK_EQ_INT(parse_proc_cgroups(buf, len, "memory ", &row), -ENOENT);
	/* The header is not a row. */
	CHECK_EQ_INT(parse_proc_cgroups(buf, len, "#subsys_name", &row), -ENOENT);
	CHECK_EQ_INT(parse_proc_cgroups(buf, len, "hierarchy", &row), -ENOENT);
	CHECK_EQ_INT(parse_proc_cgroups(buf, len, "", &row), -EINVAL);
	CHECK_EQ_U64(row.hierarchy, 77);
	CHECK_EQ_U64(row.num_cgroups, 77);
	free(buf);
}

static void test_proc_cgroups_edges(void)
{
	ProcCgroupsRow row;

	CHECK_EQ_INT(cgroups_lit(LIT(""), "memory", &row), -ENOENT);
	CHECK_EQ_INT(cgroups_lit(LIT("\n\n"), "memory", &row), -ENOENT);
	/* Header only: a v1-less kernel still prints it. */
	CHECK_EQ_INT(
		cgroups_lit(LIT("#subsys_name\thierarchy\tnum_cgroups\tenabled\n"), "memory", &row),
		-ENOENT);
	/* No final newline; spaces instead of tabs; disabled. */
	if (CHECK_EQ_INT(cgroups_lit(LIT("memory 0  1234\t0"), "memory", &row), 0)) {
		CHECK_EQ_U64(row.hierarchy, 0);
		CHECK_EQ_U64(row.num_cgroups, 1234);
		CHECK(!row.enabled);
	}
	/* CRLF. */
	if (CHECK_EQ_INT(cgroups_lit(LIT("#h\r\nmemory\t4\t24\t1\r\n"), "memory", &row), 0))
		CHECK_EQ_U64(row.num_cgroups, 24);
	/* num_cgroups is 64-bit; hierarchy 32-bit. */
	if (CHECK_EQ_INT(cgroups_lit(LIT("memory\t4294967295\t18446744073709551615\t1\n"), "memory",
				     &row),
			 0)) {
		CHECK_EQ_U64(row.hierarchy, UINT32_MAX);
		CHECK_EQ_U64(row.num_cgroups, UINT64_MAX);
	}

	/* A malformed row of the subsystem asked for; output untouched. */
	static const char *const bad[] = {
		"memory\n",
		"memory\t4\t24\n",
		"memory\t4\t24\t1\t9\n",
		"memory\t4\t24\t2\n",
		"memory\t4\t-1\t1\n",
		"memory\t4294967296\t24\t1\n",
		"memory\t4\t18446744073709551616\t1\n",
		"memory\tx\t24\t1\n",
		"memory\t4\t24\t1x\n",
		"memory\t4\t24 1\tx\n",
		"memory\t+4\t24\t1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *b = tap_dup(bad[i], strlen(bad[i]));
		ProcCgroupsRow r2 = { .hierarchy = 5, .num_cgroups = 5, .enabled = true };
		printf("# bad row %zu\n", i);
		CHECK_EQ_INT(parse_proc_cgroups(b, strlen(bad[i]), "memory", &r2), -EINVAL);
		CHECK_EQ_U64(r2.hierarchy, 5);
		CHECK_EQ_U64(r2.num_cgroups, 5);
		free(b);
	}

	/* Another subsystem's broken row does not matter. */
	CHECK_EQ_INT(cgroups_lit(LIT("cpu\tgarbage\nmemory\t4\t24\t1\n"), "memory", &row), 0);
	/* The first row of a name decides, well-formed or not. */
	if (CHECK_EQ_INT(cgroups_lit(LIT("memory\t4\t24\t1\nmemory\t5\t99\t1\n"), "memory", &row),
			 0))
		CHECK_EQ_U64(row.num_cgroups, 24);
	CHECK_EQ_INT(cgroups_lit(LIT("memory\t4\nmemory\t5\t99\t1\n"), "memory", &row), -EINVAL);
	/* Names match whole and only at the start of a line. */
	CHECK_EQ_INT(cgroups_lit(LIT("memory_x\t4\t24\t1\n"), "memory", &row), -ENOENT);
	CHECK_EQ_INT(cgroups_lit(LIT(" memory\t4\t24\t1\n"), "memory", &row), -ENOENT);
	CHECK_EQ_INT(cgroups_lit(LIT("#memory\t4\t24\t1\n"), "memory", &row), -ENOENT);
	/* NUL bytes: in the name it is another name, in a number a malformed row. */
	CHECK_EQ_INT(cgroups_lit(LIT("memory\0\t4\t24\t1\n"), "memory", &row), -ENOENT);
	CHECK_EQ_INT(cgroups_lit(LIT("memory\t4\t2\0004\t1\n"), "memory", &row), -EINVAL);
}

/* ---- memory.stat ---- */

struct memstat_case {
	const char *file;
	uint32_t present;
	MemoryStat want;
};

#define V1_PRESENT                                                                                 \
	(BIT(CACHE) | BIT(RSS) | BIT(SHMEM) | BIT(MAPPED_FILE) | BIT(DIRTY) | BIT(WRITEBACK) |     \
	 BIT(TOTAL_CACHE) | BIT(TOTAL_RSS) | BIT(TOTAL_SHMEM) | BIT(TOTAL_DIRTY) |                 \
	 BIT(TOTAL_WRITEBACK))
#define V2_PRESENT (BIT(ANON) | BIT(FILE) | BIT(FILE_DIRTY) | BIT(FILE_WRITEBACK) | BIT(V2_SHMEM))

/* The values in the files (capture.sh rewrites the v1 ones). */
static const struct memstat_case memstat_cases[] = {
	{ DIR "v1-memory-stat-root.txt",
	  V1_PRESENT,
	  { .cache = 9211904,
	    .rss = 6365184,
	    .shmem = 9068544,
	    .mapped_file = 7655424,
	    .dirty = 20480,
	    .writeback = 0,
	    .total_cache = 456155136,
	    .total_rss = 11599872,
	    .total_shmem = 9068544,
	    .total_dirty = 3878912,
	    .total_writeback = 0 } },
	/* A parent with nothing charged locally: everything is in total_*. */
	{ DIR "v1-memory-stat-parent.txt",
	  V1_PRESENT,
	  { .total_cache = 446947328, .total_rss = 5316608, .total_dirty = 3862528 } },
	{ DIR "v1-memory-stat-leaf.txt",
	  V1_PRESENT,
	  { .cache = 22409216,
	    .rss = 1069056,
	    .mapped_file = 102400,
	    .dirty = 45056,
	    .total_cache = 22409216,
	    .total_rss = 1069056,
	    .total_dirty = 45056 } },
	{ DIR "transcribed-v2-memory-stat-6.1.txt",
	  V2_PRESENT,
	  { .anon = 10592256,
	    .file = 53895168,
	    .file_dirty = 12288,
	    .file_writeback = 4096,
	    .v2_shmem = 135168 } },
	{ DIR "transcribed-v2-memory-stat-6.12.txt",
	  V2_PRESENT,
	  { .anon = 4325376,
	    .file = 187400192,
	    .file_dirty = 233472,
	    .file_writeback = 8192,
	    .v2_shmem = 1048576 } },
};

static void check_memstat(const MemoryStat *got, const MemoryStat *want)
{
	CHECK_EQ_U64(got->cache, want->cache);
	CHECK_EQ_U64(got->rss, want->rss);
	CHECK_EQ_U64(got->shmem, want->shmem);
	CHECK_EQ_U64(got->mapped_file, want->mapped_file);
	CHECK_EQ_U64(got->dirty, want->dirty);
	CHECK_EQ_U64(got->writeback, want->writeback);
	CHECK_EQ_U64(got->total_cache, want->total_cache);
	CHECK_EQ_U64(got->total_rss, want->total_rss);
	CHECK_EQ_U64(got->total_shmem, want->total_shmem);
	CHECK_EQ_U64(got->total_dirty, want->total_dirty);
	CHECK_EQ_U64(got->total_writeback, want->total_writeback);
	CHECK_EQ_U64(got->anon, want->anon);
	CHECK_EQ_U64(got->file, want->file);
	CHECK_EQ_U64(got->file_dirty, want->file_dirty);
	CHECK_EQ_U64(got->file_writeback, want->file_writeback);
	CHECK_EQ_U64(got->v2_shmem, want->v2_shmem);
}

static void test_memory_stat_captured(void)
{
	for (size_t i = 0; i < sizeof(memstat_cases) / sizeof(memstat_cases[0]); i++) {
		const struct memstat_case *c = &memstat_cases[i];
		size_t len;
		char *buf = tap_data(c->file, &len);
		MemoryStat st;

		printf("# %s\n", c->file);
		if (CHECK_EQ_INT(parse_memory_stat(buf, len, &st), 0)) {
			CHECK_EQ_U64(st.present, c->present);
			check_memstat(&st, &c->want);
		}
		free(buf);
	}
}

/*
 * A second opinion: every "key value" line of a capture read with sscanf,
 * and the value the parser stored for that key compared with it.
 */
static const struct {
	const char *key;
	int field;
	size_t offset;
} naive_keys[] = {
#define K(name, f, m) name, MEMSTAT_##f, offsetof(MemoryStat, m)
	{ K("cache", CACHE, cache) },
	{ K("rss", RSS, rss) },
	{ K("mapped_file", MAPPED_FILE, mapped_file) },
	{ K("dirty", DIRTY, dirty) },
	{ K("writeback", WRITEBACK, writeback) },
	{ K("total_cache", TOTAL_CACHE, total_cache) },
	{ K("total_rss", TOTAL_RSS, total_rss) },
	{ K("total_shmem", TOTAL_SHMEM, total_shmem) },
	{ K("total_dirty", TOTAL_DIRTY, total_dirty) },
	{ K("total_writeback", TOTAL_WRITEBACK, total_writeback) },
	{ K("anon", ANON, anon) },
	{ K("file", FILE, file) },
	{ K("file_dirty", FILE_DIRTY, file_dirty) },
	{ K("file_writeback", FILE_WRITEBACK, file_writeback) },
#undef K
};

static void test_memory_stat_every_line(void)
{
	for (size_t i = 0; i < sizeof(memstat_cases) / sizeof(memstat_cases[0]); i++) {
		size_t len, pos = 0, n, lines = 0, known = 0;
		char *buf = tap_data(memstat_cases[i].file, &len);
		const char *line;
		MemoryStat st;
		bool v2 = false;

		printf("# %s\n", memstat_cases[i].file);
		if (!CHECK_EQ_INT(parse_memory_stat(buf, len, &st), 0)) {
			free(buf);
			continue;
		}
		v2 = st.present & BIT(FILE);
		while (tap_next_line(buf, len, &pos, &line, &n)) {
			char key[64], tail[2];
			unsigned long long v;
			char copy[256];

			if (!CHECK(n < sizeof(copy)))
				break;
			memcpy(copy, line, n);
			copy[n] = '\0';
			/* The kernel's "%s %llu": exactly two fields. */
			if (!CHECK_EQ_INT(sscanf(copy, "%63s %llu %1s", key, &v, tail), 2))
				continue;
			lines++;
			if (strcmp(key, "shmem") == 0) {
				known++;
				CHECK_EQ_U64(v2 ? st.v2_shmem : st.shmem, v);
				continue;
			}
			for (size_t k = 0; k < sizeof(naive_keys) / sizeof(naive_keys[0]); k++) {
				uint64_t got;
				if (strcmp(key, naive_keys[k].key) != 0)
					continue;
				known++;
				memcpy(&got, (const char *)&st + naive_keys[k].offset, sizeof(got));
				CHECK(st.present & MEMSTAT_BIT(naive_keys[k].field));
				CHECK_EQ_U64(got, v);
			}
		}
		/* Each known key once per file, and all of them counted. */
		CHECK_EQ_U64(known, (uint64_t)__builtin_popcount(st.present));
		CHECK(lines > 40);
		free(buf);
	}
}

static void test_memory_stat_edges(void)
{
	MemoryStat st = { .cache = 4242, .present = 1 };

	/* Nothing known: -EINVAL, output untouched. */
	CHECK_EQ_INT(memstat_lit(LIT(""), &st), -EINVAL);
	CHECK_EQ_INT(memstat_lit(LIT("\n"), &st), -EINVAL);
	CHECK_EQ_INT(memstat_lit(LIT("pgfault 5\nswap 0\n"), &st), -EINVAL);
	CHECK_EQ_INT(memstat_lit(LIT("cache\n"), &st), -EINVAL);
	CHECK_EQ_INT(memstat_lit(LIT("cache x\n"), &st), -EINVAL);
	CHECK_EQ_U64(st.cache, 4242);
	CHECK_EQ_U64(st.present, 1);

	/* No final newline. */
	if (CHECK_EQ_INT(memstat_lit(LIT("rss 1\ncache 123"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(RSS) | BIT(CACHE));
		CHECK_EQ_U64(st.cache, 123);
	}
	/* Largest value kept, one more skipped (the earlier value stays). */
	if (CHECK_EQ_INT(memstat_lit(LIT("cache 18446744073709551615\n"), &st), 0))
		CHECK_EQ_U64(st.cache, UINT64_MAX);
	if (CHECK_EQ_INT(memstat_lit(LIT("cache 7\ncache 18446744073709551616\nrss "
					 "99999999999999999999\nanon 1\n"),
				     &st),
			 0)) {
		CHECK_EQ_U64(st.present, BIT(CACHE) | BIT(ANON));
		CHECK_EQ_U64(st.cache, 7);
		CHECK_EQ_U64(st.rss, 0);
	}
	/* Duplicates: the last well-formed line wins. */
	if (CHECK_EQ_INT(memstat_lit(LIT("cache 1\ncache 2\ncache x\n"), &st), 0))
		CHECK_EQ_U64(st.cache, 2);
	/* Whole keys only. */
	if (CHECK_EQ_INT(memstat_lit(LIT("cache_x 1\ncachex 2\ntotal_cache 3\nxcache 4\n "
					 "cache 5\nCACHE 6\nrss 0\n"),
				     &st),
			 0)) {
		CHECK_EQ_U64(st.present, BIT(TOTAL_CACHE) | BIT(RSS));
		CHECK_EQ_U64(st.cache, 0);
		CHECK_EQ_U64(st.total_cache, 3);
	}
	CHECK_EQ_INT(memstat_lit(LIT("file_x 1\nfil 2\nfile_mapped 3\n"), &st), -EINVAL);
	/* Signs, trailing junk, a missing blank, a second number: malformed. */
	CHECK_EQ_INT(
		memstat_lit(LIT("cache -1\ncache +1\ncache 1x\ncache1\ncache 1 2\ncache 0x10\n"),
			    &st),
		-EINVAL);
	/* Blanks: runs of spaces and tabs between, trailing blanks, CRLF. */
	if (CHECK_EQ_INT(memstat_lit(LIT("cache \t 5 \t\r\nrss\t6\r\ndirty 7\r"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(CACHE) | BIT(RSS) | BIT(DIRTY));
		CHECK_EQ_U64(st.cache, 5);
		CHECK_EQ_U64(st.rss, 6);
		CHECK_EQ_U64(st.dirty, 7);
	}
	/* A CR inside the line is not a line end: "1\rcache 5" is not a number. */
	CHECK_EQ_INT(memstat_lit(LIT("rss 1\rcache 5\n"), &st), -EINVAL);
	/* NUL bytes make their line malformed or the key unknown; others still count. */
	if (CHECK_EQ_INT(memstat_lit(LIT("cache 1\0002\nrss\0 3\ndirty 4\n\0"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(DIRTY));
		CHECK_EQ_U64(st.dirty, 4);
	}
	/* Blank lines and unknown keys in between. */
	if (CHECK_EQ_INT(memstat_lit(LIT("\n\nfoo bar\nwriteback 9\n\n"), &st), 0))
		CHECK_EQ_U64(st.writeback, 9);
}

static void test_memory_stat_shmem(void)
{
	MemoryStat st;

	/* v2: "file" and no "cache"; "shmem" may come before "file". */
	if (CHECK_EQ_INT(memstat_lit(LIT("shmem 5\nanon 1\nfile 2\n"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(V2_SHMEM) | BIT(ANON) | BIT(FILE));
		CHECK_EQ_U64(st.v2_shmem, 5);
		CHECK_EQ_U64(st.shmem, 0);
	}
	/* v1: "cache" or "total_cache" wins over "file", wherever it is. */
	if (CHECK_EQ_INT(memstat_lit(LIT("shmem 5\nfile 2\ntotal_cache 3\n"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(SHMEM) | BIT(FILE) | BIT(TOTAL_CACHE));
		CHECK_EQ_U64(st.shmem, 5);
		CHECK_EQ_U64(st.v2_shmem, 0);
	}
	if (CHECK_EQ_INT(memstat_lit(LIT("file 2\nshmem 5\ncache 3\n"), &st), 0))
		CHECK_EQ_U64(st.present, BIT(SHMEM) | BIT(FILE) | BIT(CACHE));
	/* Neither: v1's. */
	if (CHECK_EQ_INT(memstat_lit(LIT("shmem 5\n"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(SHMEM));
		CHECK_EQ_U64(st.shmem, 5);
	}
	/* Only well-formed lines decide the version. */
	if (CHECK_EQ_INT(memstat_lit(LIT("shmem 5\nfile 2\ncache x\ntotal_cache\n"), &st), 0))
		CHECK_EQ_U64(st.present, BIT(V2_SHMEM) | BIT(FILE));
	/* Last shmem wins; a malformed one is skipped; none at all sets neither bit. */
	if (CHECK_EQ_INT(memstat_lit(LIT("file 1\nshmem 5\nshmem 6\nshmem -1\n"), &st), 0))
		CHECK_EQ_U64(st.v2_shmem, 6);
	if (CHECK_EQ_INT(memstat_lit(LIT("file 1\nshmem x\n"), &st), 0))
		CHECK_EQ_U64(st.present, BIT(FILE));
	/* "shmem_thp", "total_shmem" are not "shmem". */
	if (CHECK_EQ_INT(memstat_lit(LIT("file 1\nshmem_thp 5\ntotal_shmem 4\n"), &st), 0)) {
		CHECK_EQ_U64(st.present, BIT(FILE) | BIT(TOTAL_SHMEM));
		CHECK_EQ_U64(st.total_shmem, 4);
	}
}

/* Nothing at or past @len is looked at: a prefix parses as a shorter file. */
static void test_memory_stat_length_bounds(void)
{
	size_t flen;
	char *full = tap_data(DIR "v1-memory-stat-root.txt", &flen);
	const char *want = "cache 9211904\n";
	size_t wl = strlen(want);

	if (!CHECK(flen > wl && memcmp(full, want, wl) == 0)) {
		free(full);
		return;
	}
	for (size_t len = 0; len <= wl + 8; len++) {
		char *b = tap_dup(full, len);
		MemoryStat st;
		int r = parse_memory_stat(b, len, &st);
		if (len <= strlen("cache ")) {
			CHECK_EQ_INT(r, -EINVAL);
		} else if (CHECK_EQ_INT(r, 0) && len <= wl) {
			/* "9", "92", ... as the buffer grows. */
			char digits[16] = { 0 };
			size_t nd = (len < wl ? len : wl - 1) - strlen("cache ");
			memcpy(digits, full + strlen("cache "), nd);
			CHECK_EQ_U64(st.present, BIT(CACHE));
			CHECK_EQ_U64(st.cache, strtoull(digits, NULL, 10));
		}
		free(b);
	}
	free(full);
}

/* ---- cgroup.stat ---- */

static void test_cgroup_stat_captured(void)
{
	size_t len;
	char *buf;
	CgroupStat st;

	/* 6.18 hybrid host: nr_subsys_* for perf_event and hugetlb, memory is on v1. */
	buf = tap_data(DIR "v2-cgroup-stat-root.txt", &len);
	if (CHECK_EQ_INT(parse_cgroup_stat(buf, len, &st), 0)) {
		CHECK(st.has_nr_descendants && st.has_nr_dying_descendants);
		CHECK(!st.has_nr_subsys_memory && !st.has_nr_dying_subsys_memory);
		CHECK_EQ_U64(st.nr_descendants, 0);
		CHECK_EQ_U64(st.nr_dying_descendants, 0);
		CHECK_EQ_U64(st.nr_subsys_memory, 0);
		CHECK_EQ_U64(st.nr_dying_subsys_memory, 0);
	}
	free(buf);

	buf = tap_data(DIR "transcribed-v2-cgroup-stat-6.1.txt", &len);
	if (CHECK_EQ_INT(parse_cgroup_stat(buf, len, &st), 0)) {
		CHECK(st.has_nr_descendants && st.has_nr_dying_descendants);
		CHECK(!st.has_nr_subsys_memory && !st.has_nr_dying_subsys_memory);
		CHECK_EQ_U64(st.nr_descendants, 54);
		CHECK_EQ_U64(st.nr_dying_descendants, 7);
	}
	free(buf);

	buf = tap_data(DIR "transcribed-v2-cgroup-stat-6.12.txt", &len);
	if (CHECK_EQ_INT(parse_cgroup_stat(buf, len, &st), 0)) {
		CHECK(st.has_nr_descendants && st.has_nr_dying_descendants);
		CHECK(st.has_nr_subsys_memory && st.has_nr_dying_subsys_memory);
		CHECK_EQ_U64(st.nr_descendants, 54);
		CHECK_EQ_U64(st.nr_dying_descendants, 7);
		CHECK_EQ_U64(st.nr_subsys_memory, 52);
		CHECK_EQ_U64(st.nr_dying_subsys_memory, 6);
	}
	free(buf);
}

static void test_cgroup_stat_edges(void)
{
	CgroupStat st = { .nr_descendants = 4242 };

	CHECK_EQ_INT(cgstat_lit(LIT(""), &st), -EINVAL);
	CHECK_EQ_INT(cgstat_lit(LIT("nr_subsys_cpu 1\nnr_dying_subsys_io 0\n"), &st), -EINVAL);
	CHECK_EQ_INT(cgstat_lit(LIT("nr_descendants -1\n"), &st), -EINVAL);
	CHECK_EQ_U64(st.nr_descendants, 4242);

	/* Any one key is enough; no final newline. */
	if (CHECK_EQ_INT(cgstat_lit(LIT("nr_dying_subsys_memory 3"), &st), 0)) {
		CHECK(!st.has_nr_descendants && !st.has_nr_dying_descendants);
		CHECK(!st.has_nr_subsys_memory && st.has_nr_dying_subsys_memory);
		CHECK_EQ_U64(st.nr_dying_subsys_memory, 3);
	}
	/* Prefixes and lookalikes; last duplicate wins; overflow skipped; CRLF. */
	if (CHECK_EQ_INT(
		    cgstat_lit(LIT("nr_subsys_memoryx 9\nnr_subsys_memory_x 9\nnr_subsys_mem 9\n"
				   "nr_descendants 1\r\nnr_descendants 2\r\n"
				   "nr_dying_descendants 18446744073709551615\n"
				   "nr_dying_descendants 18446744073709551616\n"
				   "nr_subsys_memory\0 5\n"),
			       &st),
		    0)) {
		CHECK(st.has_nr_descendants && st.has_nr_dying_descendants);
		CHECK(!st.has_nr_subsys_memory && !st.has_nr_dying_subsys_memory);
		CHECK_EQ_U64(st.nr_descendants, 2);
		CHECK_EQ_U64(st.nr_dying_descendants, UINT64_MAX);
	}
}

/* ---- cgroup.controllers / cgroup.subtree_control ---- */

static void test_controllers_captured(void)
{
	size_t len;
	char *buf = tap_data(DIR "v2-cgroup-controllers-root.txt", &len);

	CHECK(cgroup_controllers_has(buf, len, "hugetlb"));
	CHECK(!cgroup_controllers_has(buf, len, "memory"));
	CHECK(!cgroup_controllers_has(buf, len, "huge"));
	CHECK(!cgroup_controllers_has(buf, len, ""));
	free(buf);

	/* Empty: nothing is enabled for the children. */
	buf = tap_data(DIR "v2-cgroup-subtree-control-root.txt", &len);
	CHECK_EQ_U64(len, 0);
	CHECK(!cgroup_controllers_has(buf, len, "hugetlb"));
	CHECK(!cgroup_controllers_has(buf, len, ""));
	free(buf);

	buf = tap_data(DIR "transcribed-v2-cgroup-controllers-6.12.txt", &len);
	static const char *const listed[] = { "cpuset",	 "cpu",	 "io",	 "memory",
					      "hugetlb", "pids", "rdma", "misc" };
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		CHECK(cgroup_controllers_has(buf, len, listed[i]));
	CHECK(!cgroup_controllers_has(buf, len, "perf_event")); /* implicit, never listed */
	CHECK(!cgroup_controllers_has(buf, len, "cpuacct"));
	CHECK(!cgroup_controllers_has(buf, len, "mem"));
	CHECK(!cgroup_controllers_has(buf, len, "cpu io"));
	free(buf);
}

static void test_controllers_edges(void)
{
	CHECK(has_lit(LIT("memory"), "memory"));
	CHECK(has_lit(LIT("cpu memory"), "memory"));
	CHECK(has_lit(LIT("memory cpu\n"), "memory"));
	CHECK(has_lit(LIT("  cpu\t\tmemory \r\n"), "memory"));
	CHECK(has_lit(LIT("cpu\nmemory\n"), "memory"));
	CHECK(!has_lit(LIT(""), "memory"));
	CHECK(!has_lit(LIT("memoryx cpu"), "memory"));
	CHECK(!has_lit(LIT("xmemory"), "memory"));
	CHECK(!has_lit(LIT("+memory"), "memory"));
	CHECK(!has_lit(LIT("memor"), "memory"));
	CHECK(!has_lit(LIT("memory\0"), "memory"));
	CHECK(has_lit(LIT("memory \0"), "memory"));
	CHECK(!has_lit(LIT("mem\0ory"), "memory"));
	CHECK(!has_lit(LIT("  \n "), ""));
	/* A prefix of the buffer: "memory" cut to "memo" is not listed. */
	CHECK(!cgroup_controllers_has("cpu memory", 8, "memory"));
	CHECK(cgroup_controllers_has("cpu memoryx", 10, "memory"));
}

/* /sys/devices/system/cpu/possible and node/possible: "0-1\n" and "0\n" here. */
static void test_range_list(void)
{
	unsigned n = 0;
	CHECK_EQ_INT(parse_range_list_count("0-1\n", 4, &n), 0);
	CHECK_EQ_U64(n, 2);
	CHECK_EQ_INT(parse_range_list_count("0\n", 2, &n), 0);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_INT(parse_range_list_count("0-3,8,10-11", 11, &n), 0);
	CHECK_EQ_U64(n, 7);
	CHECK_EQ_INT(parse_range_list_end("0-3,8,10-11", 11, &n), 0);
	CHECK_EQ_U64(n, 12);
	CHECK_EQ_INT(parse_range_list_end("0\n", 2, &n), 0);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_INT(parse_range_list_end("0,2\n", 4, &n), 0);
	CHECK_EQ_U64(n, 3);
	CHECK_EQ_INT(parse_range_list_count("0-255\n", 6, &n), 0);
	CHECK_EQ_U64(n, 256);
	n = 99;
	CHECK_EQ_INT(parse_range_list_count("", 0, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("\n", 1, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("3-1", 3, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("0-1,", 4, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("0-", 2, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("a", 1, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("1 2", 3, &n), -EINVAL);
	CHECK_EQ_INT(parse_range_list_count("0-9999999999", 12, &n), -EINVAL);
	CHECK_EQ_U64(n, 99);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_proc_cgroups_captured);
	RUN(test_proc_cgroups_edges);
	RUN(test_memory_stat_captured);
	RUN(test_memory_stat_every_line);
	RUN(test_memory_stat_edges);
	RUN(test_memory_stat_shmem);
	RUN(test_memory_stat_length_bounds);
	RUN(test_cgroup_stat_captured);
	RUN(test_cgroup_stat_edges);
	RUN(test_controllers_captured);
	RUN(test_controllers_edges);
	RUN(test_range_list);
	return tap_done();
}
