/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering a report: tables through libsmartcols (the -o, -r, -n and
 * --list-columns habits of lsfd and findmnt), JSON through json-c (nested
 * arrays under stable keys, which libsmartcols cannot express).  Pure and
 * deterministic: the same snapshot renders to the same bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "analyze/orphans.h"
#include "model/snapshot.h"

enum {
	COL_DEV,
	COL_FSTYPE,
	COL_SOURCE,
	COL_STATE,
	COL_RISK,
	COL_PINNED,
	COL_PID,
	COL_COMM,
	COL_CGROUP,
	COL_HOW,
	COL_FD,
	COL_MODE,
	COL_PATH,
	COL_TOPFILE,
	COL_HINT,
	_COL_MAX,
};

typedef struct ColumnInfo {
	const char *name;
	double whint;
	int flags; /* SCOLS_FL_* */
	const char *help;
} ColumnInfo;

extern const ColumnInfo orphan_columns[_COL_MAX];

/* Parse "-o DEV,PID" (a leading '+' appends to the defaults) into column ids. */
int columns_parse(const char *spec, int *ret_cols, size_t max, size_t *ret_n);
void columns_default(int *ret_cols, size_t max, size_t *ret_n);
void columns_list(FILE *f, bool raw);

typedef struct TableOptions {
	int cols[_COL_MAX];
	size_t n_cols;
	bool raw, noheadings, bytes;
	unsigned termwidth; /* 0: the terminal's; tests fix it for golden output */
} TableOptions;

int render_orphans_table(const Snapshot *s, const OrphanReport *r, const TableOptions *o, FILE *f);
void render_gaps_text(const Snapshot *s, FILE *f);
void render_summary(const Snapshot *s, const OrphanReport *r, double scan_ms, FILE *f);

/* {"orphans": [...], "namespaces": [...], "gaps": [...]} */
json_object *render_orphans_json(const Snapshot *s, const OrphanReport *r);
int render_json_print(json_object *o, FILE *f);

void format_bytes(uint64_t b, bool exact, char *buf, size_t size);
void format_dev(uint64_t dev, char *buf, size_t size);
