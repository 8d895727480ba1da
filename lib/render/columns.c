// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The column table of `residue orphans`: names, width hints and help, which
 * drive -o, --list-columns and the table itself, as in util-linux.
 */
#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "base/macro.h"
#include "render.h"

const ColumnInfo orphan_columns[_COL_MAX] = {
	[COL_DEV] = { "DEV", 6, 0, "device of the orphaned superblock (MAJ:MIN)" },
	[COL_FSTYPE] = { "FSTYPE", 6, 0, "filesystem type" },
	[COL_SOURCE] = { "SOURCE", 0.2, SCOLS_FL_TRUNC, "backing device or image, where known" },
	[COL_STATE] = { "STATE", 8, 0, "orphaned (in no namespace) or detached (never attached)" },
	[COL_RISK] = { "RISK", 6, 0, "memory, data-loss or none" },
	[COL_PINNED] = { "PINNED", 6, SCOLS_FL_RIGHT, "bytes the filesystem keeps in use" },
	[COL_PID] = { "PID", 5, SCOLS_FL_RIGHT, "holder process id" },
	[COL_COMM] = { "COMMAND", 0.1, SCOLS_FL_TRUNC, "holder command name" },
	[COL_CGROUP] = { "CGROUP", 0.2, SCOLS_FL_TRUNC, "holder's (memory) cgroup: its container" },
	[COL_HOW] = { "HOW", 5, 0,
		      "fd, mmap, cwd, root, exe, mount-fd; loop, inflight…, io_uring, fscontext, "
		      "overlay, kernel: held by the kernel" },
	[COL_FD] = { "FD", 3, SCOLS_FL_RIGHT, "file descriptor number" },
	[COL_MODE] = { "MODE", 4, 0, "open mode (r, w, rw, path) or mapping permissions" },
	[COL_PATH] = { "PATH", 0.3, SCOLS_FL_NOEXTREMES,
		       "held file, as a path inside the orphan (socket:[INO] for inflight)" },
	[COL_TOPFILE] = { "TOPFILE", 0.2, SCOLS_FL_TRUNC, "largest file in the orphan" },
	[COL_HINT] = { "HINT", 0.3, SCOLS_FL_WRAP, "how to release it" },
};

static const int default_cols[] = { COL_DEV,  COL_FSTYPE, COL_STATE, COL_RISK, COL_PINNED, COL_PID,
				    COL_COMM, COL_HOW,	  COL_FD,    COL_MODE, COL_PATH };

const ColumnSet orphan_column_set = {
	orphan_columns,
	_COL_MAX,
	default_cols,
	ARRAY_SIZE(default_cols),
};

void columns_default_in(const ColumnSet *set, int *ret_cols, size_t max, size_t *ret_n)
{
	size_t n = MIN(max, set->n_defaults);
	memcpy(ret_cols, set->defaults, n * sizeof(int));
	*ret_n = n;
}

static int column_by_name(const ColumnSet *set, const char *name, size_t len)
{
	for (size_t i = 0; i < set->n; i++)
		if (strlen(set->cols[i].name) == len &&
		    strncasecmp(set->cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int columns_parse_in(const ColumnSet *set, const char *spec, int *ret_cols, size_t max,
		     size_t *ret_n)
{
	int cols[64];
	size_t n = 0;

	max = MIN(max, ARRAY_SIZE(cols));
	if (*spec == '+') {
		columns_default_in(set, cols, max, &n);
		spec++;
	}
	while (*spec) {
		size_t len = strcspn(spec, ",");
		int c = column_by_name(set, spec, len);
		if (c < 0)
			return -EINVAL;
		if (n >= max)
			return -E2BIG;
		cols[n++] = c;
		spec += len;
		if (*spec == ',' && *++spec == '\0')
			return -EINVAL; /* trailing comma */
	}
	if (n == 0)
		return -EINVAL;
	memcpy(ret_cols, cols, n * sizeof(int));
	*ret_n = n;
	return 0;
}

void columns_list_in(const ColumnSet *set, FILE *f, bool raw)
{
	for (size_t i = 0; i < set->n; i++) {
		if (raw)
			fprintf(f, "%s %s\n", set->cols[i].name, set->cols[i].help);
		else
			fprintf(f, "%11s  %s\n", set->cols[i].name, set->cols[i].help);
	}
}

struct libscols_table *table_new(const ColumnSet *set, const TableOptions *o, FILE *f)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		return NULL;
	scols_table_enable_raw(tb, o->raw);
	scols_table_enable_noheadings(tb, o->noheadings);
	scols_table_set_stream(tb, f);
	if (o->termwidth) {
		scols_table_set_termforce(tb, SCOLS_TERMFORCE_ALWAYS);
		scols_table_set_termwidth(tb, o->termwidth);
	}
	for (size_t i = 0; i < o->n_cols; i++) {
		const ColumnInfo *ci = &set->cols[o->cols[i]];
		if (!scols_table_new_column(tb, ci->name, ci->whint, ci->flags)) {
			scols_unref_table(tb);
			return NULL;
		}
	}
	return tb;
}

void columns_default(int *ret_cols, size_t max, size_t *ret_n)
{
	columns_default_in(&orphan_column_set, ret_cols, max, ret_n);
}

int columns_parse(const char *spec, int *ret_cols, size_t max, size_t *ret_n)
{
	return columns_parse_in(&orphan_column_set, spec, ret_cols, max, ret_n);
}

void columns_list(FILE *f, bool raw)
{
	columns_list_in(&orphan_column_set, f, raw);
}

void format_bytes(uint64_t b, bool exact, char *buf, size_t size)
{
	static const char units[] = "BKMGTPE";
	if (exact || b < 1024) {
		snprintf(buf, size, "%llu%s", (unsigned long long)b, exact ? "" : "B");
		return;
	}
	/* util-linux size_to_human_string(): 64M, 1.5G; one decimal, dropped when it is 0. */
	size_t u = 0;
	uint64_t whole = b, rem = 0;
	while (whole >= 1024 && u + 1 < sizeof(units) - 1) {
		rem = whole % 1024;
		whole /= 1024;
		u++;
	}
	unsigned tenth = (unsigned)((rem * 10 + 512) / 1024);
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	if (tenth)
		snprintf(buf, size, "%llu.%u%c", (unsigned long long)whole, tenth, units[u]);
	else
		snprintf(buf, size, "%llu%c", (unsigned long long)whole, units[u]);
}

void format_dev(uint64_t dev, char *buf, size_t size)
{
	snprintf(buf, size, "%u:%u", major(dev), minor(dev));
}
