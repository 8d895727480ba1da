// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsers for cgroupfs text (/proc/cgroups, memory.stat, cgroup.stat and
 * the controller lists); see cgfmt.h for the rules they share.  Input is
 * untrusted bytes: no NUL is assumed or honoured as an end, numbers are
 * range checked, nothing is read at or past @len, and nothing is written
 * to the caller's output until the whole input has been read.
 */
#include "cgfmt.h"

#include <errno.h>
#include <string.h>

#include "macro.h"

_Static_assert(_MEMSTAT_MAX <= 32, "MemoryStat.present has 32 bits");

static bool is_blank(char c)
{
	/* '\r': a CRLF capture must parse like the kernel's LF output. */
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

/* A decimal number in [*p, end): at least one digit, no sign, no overflow; advances *p. */
static int take_dec(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (s == *p)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

/* Does the word [p, e) equal the C string @word? */
static bool word_is(const char *p, const char *e, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(e - p) == n && memcmp(p, word, n) == 0;
}

/* A word runs to the next blank or the end of its line. */
static const char *word_end(const char *p, const char *le)
{
	while (p < le && !is_blank(*p))
		p++;
	return p;
}

/*
 * One "key value" line [p, le).  Returns 0 and the key's bounds and value
 * when the line is well formed, -EINVAL otherwise.
 */
static int split_kv(const char *p, const char *le, const char **ret_key, const char **ret_key_end,
		    uint64_t *ret_value)
{
	const char *ke = word_end(p, le);
	const char *v = skip_blanks(ke, le);
	uint64_t x;

	if (ke == p || v == ke || take_dec(&v, le, &x) < 0 || skip_blanks(v, le) != le)
		return -EINVAL;
	*ret_key = p;
	*ret_key_end = ke;
	*ret_value = x;
	return 0;
}

int parse_proc_cgroups(const char *buf, size_t len, const char *subsys, ProcCgroupsRow *ret)
{
	const char *end = buf + len;

	if (!*subsys)
		return -EINVAL;
	for (const char *p = buf; p < end;) {
		const char *le = line_end(p, end);
		const char *ne = word_end(p, le);

		if (p < le && *p != '#' && word_is(p, ne, subsys)) {
			/* "%s\t%d\t%d\t%d\n": name, hierarchy, num_cgroups, enabled. */
			const char *q = ne;
			uint64_t h, n, en;
			const char *b;

			b = q;
			q = skip_blanks(q, le);
			if (q == b || take_dec(&q, le, &h) < 0 || h > UINT32_MAX)
				return -EINVAL;
			b = q;
			q = skip_blanks(q, le);
			if (q == b || take_dec(&q, le, &n) < 0)
				return -EINVAL;
			b = q;
			q = skip_blanks(q, le);
			if (q == b || take_dec(&q, le, &en) < 0 || en > 1)
				return -EINVAL;
			if (skip_blanks(q, le) != le)
				return -EINVAL;
			*ret = (ProcCgroupsRow){
				.hierarchy = (uint32_t)h,
				.num_cgroups = n,
				.enabled = en == 1,
			};
			return 0;
		}
		p = le < end ? le + 1 : end;
	}
	return -ENOENT;
}

struct memstat_key {
	const char *name;
	unsigned field; /* MEMSTAT_* */
	size_t offset; /* of the uint64_t in MemoryStat */
};

/* The fields of one memstat_keys[] entry. */
#define MEMSTAT_KEY(n, f, m) n, MEMSTAT_##f, offsetof(MemoryStat, m)

/* "shmem" is not here: which field it fills depends on the whole file. */
static const struct memstat_key memstat_keys[] = {
	{ MEMSTAT_KEY("cache", CACHE, cache) },
	{ MEMSTAT_KEY("rss", RSS, rss) },
	{ MEMSTAT_KEY("mapped_file", MAPPED_FILE, mapped_file) },
	{ MEMSTAT_KEY("dirty", DIRTY, dirty) },
	{ MEMSTAT_KEY("writeback", WRITEBACK, writeback) },
	{ MEMSTAT_KEY("total_cache", TOTAL_CACHE, total_cache) },
	{ MEMSTAT_KEY("total_rss", TOTAL_RSS, total_rss) },
	{ MEMSTAT_KEY("total_shmem", TOTAL_SHMEM, total_shmem) },
	{ MEMSTAT_KEY("total_dirty", TOTAL_DIRTY, total_dirty) },
	{ MEMSTAT_KEY("total_writeback", TOTAL_WRITEBACK, total_writeback) },
	{ MEMSTAT_KEY("anon", ANON, anon) },
	{ MEMSTAT_KEY("file", FILE, file) },
	{ MEMSTAT_KEY("file_dirty", FILE_DIRTY, file_dirty) },
	{ MEMSTAT_KEY("file_writeback", FILE_WRITEBACK, file_writeback) },
};

int parse_memory_stat(const char *buf, size_t len, MemoryStat *ret)
{
	MemoryStat st = { 0 };
	const char *end = buf + len;
	uint64_t shmem = 0;
	bool has_shmem = false;

	for (const char *p = buf; p < end;) {
		const char *le = line_end(p, end);
		const char *k, *ke;
		uint64_t v;

		if (split_kv(p, le, &k, &ke, &v) == 0) {
			if (word_is(k, ke, "shmem")) {
				shmem = v;
				has_shmem = true;
			} else {
				for (size_t i = 0; i < ARRAY_SIZE(memstat_keys); i++) {
					const struct memstat_key *mk = &memstat_keys[i];
					if (word_is(k, ke, mk->name)) {
						memcpy((char *)&st + mk->offset, &v, sizeof(v));
						st.present |= MEMSTAT_BIT(mk->field);
						break;
					}
				}
			}
		}
		p = le < end ? le + 1 : end;
	}

	if (has_shmem) {
		/* v2 prints "file" and never "cache"; v1 the reverse (see cgfmt.h). */
		bool is_v1 = st.present &
			     (MEMSTAT_BIT(MEMSTAT_CACHE) | MEMSTAT_BIT(MEMSTAT_TOTAL_CACHE));
		if (!is_v1 && (st.present & MEMSTAT_BIT(MEMSTAT_FILE))) {
			st.v2_shmem = shmem;
			st.present |= MEMSTAT_BIT(MEMSTAT_V2_SHMEM);
		} else {
			st.shmem = shmem;
			st.present |= MEMSTAT_BIT(MEMSTAT_SHMEM);
		}
	}
	if (!st.present)
		return -EINVAL;
	*ret = st;
	return 0;
}

int parse_cgroup_stat(const char *buf, size_t len, CgroupStat *ret)
{
	CgroupStat st = { 0 };
	const char *end = buf + len;

	for (const char *p = buf; p < end;) {
		const char *le = line_end(p, end);
		const char *k, *ke;
		uint64_t v;

		if (split_kv(p, le, &k, &ke, &v) == 0) {
			if (word_is(k, ke, "nr_descendants")) {
				st.nr_descendants = v;
				st.has_nr_descendants = true;
			} else if (word_is(k, ke, "nr_dying_descendants")) {
				st.nr_dying_descendants = v;
				st.has_nr_dying_descendants = true;
			} else if (word_is(k, ke, "nr_subsys_memory")) {
				st.nr_subsys_memory = v;
				st.has_nr_subsys_memory = true;
			} else if (word_is(k, ke, "nr_dying_subsys_memory")) {
				st.nr_dying_subsys_memory = v;
				st.has_nr_dying_subsys_memory = true;
			}
		}
		p = le < end ? le + 1 : end;
	}
	if (!st.has_nr_descendants && !st.has_nr_dying_descendants && !st.has_nr_subsys_memory &&
	    !st.has_nr_dying_subsys_memory)
		return -EINVAL;
	*ret = st;
	return 0;
}

bool cgroup_controllers_has(const char *buf, size_t len, const char *name)
{
	const char *end = buf + len;

	if (!*name)
		return false;
	for (const char *p = buf; p < end;) {
		const char *e = p;
		while (e < end && !is_blank(*e) && *e != '\n')
			e++;
		if (word_is(p, e, name))
			return true;
		p = e < end ? e + 1 : end;
	}
	return false;
}

/* Both figures of a range list: how many ids, and one past the highest. */
static int parse_range_list(const char *buf, size_t len, unsigned *ret_count, unsigned *ret_end)
{
	uint64_t total = 0, end = 0;
	size_t i = 0;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	if (len == 0)
		return -EINVAL;
	while (i < len) {
		uint64_t a = 0, b;
		size_t start = i;
		while (i < len && buf[i] >= '0' && buf[i] <= '9' && i - start < 9)
			a = a * 10 + (uint64_t)(buf[i++] - '0');
		if (i == start)
			return -EINVAL;
		b = a;
		if (i < len && buf[i] == '-') {
			size_t s2 = ++i;
			b = 0;
			while (i < len && buf[i] >= '0' && buf[i] <= '9' && i - s2 < 9)
				b = b * 10 + (uint64_t)(buf[i++] - '0');
			if (i == s2 || b < a)
				return -EINVAL;
		}
		total += b - a + 1;
		if (b + 1 > end)
			end = b + 1;
		if (i < len && (buf[i++] != ',' || i == len))
			return -EINVAL; /* not a comma, or a trailing one */
	}
	if (total > UINT32_MAX || end > UINT32_MAX)
		return -EINVAL;
	*ret_count = (unsigned)total;
	*ret_end = (unsigned)end;
	return 0;
}

int parse_range_list_count(const char *buf, size_t len, unsigned *ret)
{
	unsigned n, end;
	int r = parse_range_list(buf, len, &n, &end);
	if (r == 0)
		*ret = n;
	return r;
}

int parse_range_list_end(const char *buf, size_t len, unsigned *ret)
{
	unsigned n, end;
	int r = parse_range_list(buf, len, &n, &end);
	if (r == 0)
		*ret = end;
	return r;
}
