/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for the cgroupfs text that residue counts zombie memory cgroups
 * from: /proc/cgroups, memory.stat (v1 and v2), cgroup.stat and the
 * controller lists.  Like procfmt.h they take bytes and a length, never
 * trust either (every one is fuzzed by tests/fuzz/fuzz-cgfmt.c), never
 * allocate, leave their output untouched on failure and return 0 or
 * -EINVAL/-ENOENT.
 *
 * Shared rules of the flat "key value" files (memory.stat, cgroup.stat),
 * which the kernel writes as "%s %llu\n" (mm/memcontrol.c, memcg_stat_format)
 * or "%s %d\n" (kernel/cgroup/cgroup.c, cgroup_stat_show):
 *  - a line is a key, one or more blanks (space or tab), a decimal number
 *    and optional trailing blanks; a '\r' before the '\n' counts as a blank,
 *    so a capture that went through CRLF parses the same;
 *  - keys match whole ("cache_x" and "total_cache" are not "cache") and
 *    only at the start of a line;
 *  - a malformed line (no blank, no digits, a sign, a non-digit after the
 *    number, a NUL byte, a value above UINT64_MAX) is skipped and does not
 *    stop the parse; a malformed line with a known key leaves an earlier
 *    value of that key in place;
 *  - when a key repeats, the last well-formed line wins (as in parse_fdinfo);
 *  - the result is -EINVAL when no known key was parsed at all, an empty
 *    buffer included: the kernel never writes an empty memory.stat or
 *    cgroup.stat, so a caller that gets 0 always has at least one value.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of /proc/cgroups ("#subsys_name hierarchy num_cgroups enabled"). */
typedef struct ProcCgroupsRow {
	uint32_t hierarchy; /* 0 on cgroup v2 / unmounted */
	uint64_t num_cgroups; /* counts live AND dying cgroups of the hierarchy, incl. the root */
	bool enabled;
} ProcCgroupsRow;

/*
 * The row of @subsys ("memory"); -ENOENT when absent, -EINVAL when that row
 * is malformed or @subsys is empty.  The kernel prints each row as
 * "%s\t%d\t%d\t%d\n" (kernel/cgroup/cgroup-v1.c, proc_cgroupstats_show);
 * the parser takes any run of blanks between the four fields, insists on
 * exactly four, on 0 or 1 for enabled and on a hierarchy that fits 32 bits.
 * Lines starting with '#' (the header) are skipped.  The first row named
 * @subsys decides, well-formed or not: the kernel prints each subsystem
 * once, so a second row is not the kernel's.  Rows of other subsystems are
 * never looked at beyond their name, so they cannot make the result fail.
 */
int parse_proc_cgroups(const char *buf, size_t len, const char *subsys, ProcCgroupsRow *ret);

/* memory.stat (v1 and v2) and cgroup.stat: flat "key value\n" files. */
typedef struct MemoryStat {
	/* v1, local to the cgroup */
	uint64_t cache, rss, shmem, mapped_file, dirty, writeback;
	/* v1, hierarchical (total_*) */
	uint64_t total_cache, total_rss, total_shmem, total_dirty, total_writeback;
	/* v2 (always hierarchical) */
	uint64_t anon, file, file_dirty, file_writeback, v2_shmem;
	uint32_t present; /* bit MEMSTAT_<FIELD> set for each key seen */
} MemoryStat;

enum {
	MEMSTAT_CACHE,
	MEMSTAT_RSS,
	MEMSTAT_SHMEM,
	MEMSTAT_MAPPED_FILE,
	MEMSTAT_DIRTY,
	MEMSTAT_WRITEBACK,
	MEMSTAT_TOTAL_CACHE,
	MEMSTAT_TOTAL_RSS,
	MEMSTAT_TOTAL_SHMEM,
	MEMSTAT_TOTAL_DIRTY,
	MEMSTAT_TOTAL_WRITEBACK,
	MEMSTAT_ANON,
	MEMSTAT_FILE,
	MEMSTAT_FILE_DIRTY,
	MEMSTAT_FILE_WRITEBACK,
	MEMSTAT_V2_SHMEM,
	_MEMSTAT_MAX,
};

#define MEMSTAT_BIT(f) (UINT32_C(1) << (f))

/*
 * memory.stat of either version; 0 when at least one known key was parsed.
 * Both versions print a key "shmem": v1's is local to the cgroup (its
 * hierarchical twin is "total_shmem"), v2's is hierarchical.  The file
 * decides, wherever the lines are: "shmem" goes to @v2_shmem
 * (MEMSTAT_V2_SHMEM) when the file has a well-formed "file" line and no
 * well-formed "cache" or "total_cache" line (v2 prints "file" and never
 * "cache"; v1 prints "cache" and "total_cache" and never "file"), and to
 * @shmem (MEMSTAT_SHMEM) otherwise, a file with "shmem" alone included.
 * At most one of the two bits is ever set.  Fields whose bit is clear are 0.
 */
int parse_memory_stat(const char *buf, size_t len, MemoryStat *ret);

typedef struct CgroupStat {
	uint64_t nr_descendants, nr_dying_descendants;
	uint64_t nr_subsys_memory, nr_dying_subsys_memory; /* 6.11+ only */
	bool has_nr_descendants, has_nr_dying_descendants, has_nr_subsys_memory,
		has_nr_dying_subsys_memory;
} CgroupStat;

/*
 * cgroup.stat of a v2 cgroup; 0 when at least one of the four keys was
 * parsed.  The nr_subsys_<ss>/nr_dying_subsys_<ss> lines (Linux 6.11,
 * commit ab0312526867 "cgroup: Show # of subsystem CSSes in cgroup.stat")
 * appear only for controllers bound to v2, so has_nr_subsys_memory is
 * false on a hybrid host whose memory controller is on v1.  Note that
 * nr_subsys_memory counts the cgroup's own css too (css->nr_descendants + 1).
 */
int parse_cgroup_stat(const char *buf, size_t len, CgroupStat *ret);

/*
 * cgroup.controllers / cgroup.subtree_control: space-separated names.  true
 * when @name is listed.  Names are separated by spaces, tabs, '\r' and
 * '\n'; a name matches whole ("memory" is not in "memory_x"), and the
 * empty name is never listed.
 */
bool cgroup_controllers_has(const char *buf, size_t len, const char *name);

/*
 * A kernel range list ("0-3,8,10-11\n", as /sys/devices/system/cpu/possible
 * and node/possible print it): how many ids it names.  -EINVAL when malformed.
 */
int parse_range_list_count(const char *buf, size_t len, unsigned *ret);
/* The same list: one past the highest id (nr_node_ids for node/possible "0,2" is 3). */
int parse_range_list_end(const char *buf, size_t len, unsigned *ret);
