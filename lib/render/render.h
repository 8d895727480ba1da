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

struct libscols_table;

#include "analyze/census.h"
#include "analyze/orphans.h"
#include "analyze/report.h"
#include "model/inodes.h"
#include "model/memcg.h"
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

/* A table's columns and its default selection: what -o and --list-columns work on. */
typedef struct ColumnSet {
	const ColumnInfo *cols;
	size_t n;
	const int *defaults;
	size_t n_defaults;
} ColumnSet;

extern const ColumnSet orphan_column_set;
void columns_default_in(const ColumnSet *set, int *ret_cols, size_t max, size_t *ret_n);
int columns_parse_in(const ColumnSet *set, const char *spec, int *ret_cols, size_t max,
		     size_t *ret_n);
void columns_list_in(const ColumnSet *set, FILE *f, bool raw);

/* Parse "-o DEV,PID" (a leading '+' appends to the defaults) into column ids. */
int columns_parse(const char *spec, int *ret_cols, size_t max, size_t *ret_n);
void columns_default(int *ret_cols, size_t max, size_t *ret_n);
void columns_list(FILE *f, bool raw);

typedef struct TableOptions {
	int cols[64];
	size_t n_cols;
	bool raw, noheadings, bytes;
	unsigned termwidth; /* 0: the terminal's; tests fix it for golden output */
} TableOptions;

/* A libsmartcols table with @o's columns of @set, raw/noheadings/width as @o says. */
struct libscols_table *table_new(const ColumnSet *set, const TableOptions *o, FILE *f);

int render_orphans_table(const Snapshot *s, const OrphanReport *r, const TableOptions *o, FILE *f);
void render_gaps_text(const Snapshot *s, FILE *f);
void render_summary(const Snapshot *s, const OrphanReport *r, double scan_ms, FILE *f);

/* residue mounts: the census table, the host summary and findings as text. */
enum {
	MCOL_NS,
	MCOL_INODE,
	MCOL_PROCS,
	MCOL_PID,
	MCOL_COMM,
	MCOL_CONTAINER,
	MCOL_CGROUP,
	MCOL_MOUNTS,
	MCOL_TMPFS,
	MCOL_DIRMASKS,
	MCOL_FILEMASKS,
	MCOL_MASKSB,
	MCOL_MASKING,
	MCOL_TABLE,
	_MCOL_MAX,
};
extern const ColumnSet census_column_set;
int render_census_table(const CensusReport *r, const TableOptions *o, FILE *f);
void render_census_text(const CensusReport *r, bool exact, FILE *f);
json_object *render_census_json(const CensusReport *r);

/* residue zombies: three views of one scan, and its text summary and JSON. */
enum {
	ZCOL_ID,
	ZCOL_PATH,
	ZCOL_PARENT,
	ZCOL_CONTAINER,
	ZCOL_CHARGED,
	ZCOL_CACHE,
	ZCOL_DIRTY,
	ZCOL_FILES,
	ZCOL_TOPFILE,
	_ZCOL_MAX,
};
enum {
	PCOL_PATH,
	PCOL_CONTAINER,
	PCOL_ZOMBIES,
	PCOL_BYTES,
	PCOL_KERNEL,
	_PCOL_MAX,
};
enum {
	FCOL_ZOMBIE,
	FCOL_ID,
	FCOL_DEV,
	FCOL_INODE,
	FCOL_BYTES,
	FCOL_DIRTY,
	FCOL_CACHED,
	FCOL_ACTION,
	FCOL_FILE,
	_FCOL_MAX,
};
typedef enum ZombieView {
	ZV_ZOMBIES, /* one row per zombie (the kernel view) */
	ZV_PARENTS, /* one row per live cgroup zombies died under */
	ZV_FILES, /* one row per (zombie, file) */
} ZombieView;
extern const ColumnSet zombie_column_set, parent_column_set, zombie_file_column_set;
int render_zombies_table(const ZombieScan *z, ZombieView view, const TableOptions *o, FILE *f);
void render_zombies_text(const ZombieScan *z, bool exact, FILE *f);
/*
 * `residue zombies -J`; with @max_files, only the largest @max_files files of
 * each zombie, the rest counted in files_omitted (the whole report's bound).
 */
json_object *render_zombies_json(const ZombieScan *z, size_t max_files);

/* residue inodes (inodes.c): the findings table, its text and the "inodes" JSON object. */
enum {
	ICOL_KIND,
	ICOL_DEV,
	ICOL_FSTYPE,
	ICOL_INODE,
	ICOL_PARENT,
	ICOL_NAME,
	ICOL_COUNT,
	ICOL_UNEXPLAINED,
	ICOL_EXPLAINED,
	ICOL_PIDS,
	ICOL_MNTID,
	ICOL_DENTRY,
	ICOL_ACTION,
	_ICOL_MAX,
};
extern const ColumnSet inode_column_set;
int render_inodes_table(const InodeAudit *a, const TableOptions *o, FILE *f);
void render_inodes_text(const InodeAudit *a, FILE *f);
/*
 * With @every_sb, superblock_list has every superblock walked (residue inodes
 * -J); without (the whole report), only those with a finding or a walk cut
 * short, and superblocks_omitted counts the rest: 11 000 of them made
 * /report 2.4 MB at 1 000 containers.
 */
json_object *render_inodes_json(const InodeAudit *a, bool every_sb);
/* What a finding means for the host and what to do about it, in one sentence. */
const char *inode_finding_action(const InoFinding *f);
/* A kernel dev_t (major << 20 | minor) as "MAJ:MIN". */
void format_kdev(uint64_t kdev, char *buf, size_t size);

/* {"orphans": [...], "namespaces": [...], "gaps": [...]} */
json_object *render_orphans_json(const Snapshot *s, const OrphanReport *r);
/* One entry of "dead_superblocks"; @log: its kernel-log finding, NULL when none or not read. */
json_object *render_dead_sb_json(const Snapshot *s, const DeadSb *d, const KernelLogFinding *log);
/* The dead superblocks, one paragraph each, or nothing when there are none. */
void render_dead_sbs_text(const Snapshot *s, const OrphanReport *r, const KernelLog *l, FILE *f);
json_object *render_gaps_json(const Snapshot *s);
json_object *render_gap_list_json(const Gap *gaps, size_t n);
void render_gap_list_text(const Gap *gaps, size_t n, FILE *f);
int render_json_print(json_object *o, FILE *f);
/* @o as render_json_print() prints it, without the newline; malloc'd, NULL without memory. */
char *render_json_text(json_object *o);
/*
 * A value that render_json_print() prints as @text, a render_json_text()
 * made apart (on another thread), with each line indented to where the
 * value is nested.  Takes @text; NULL without memory.
 */
json_object *render_json_preformatted(char *text);
/* One object on one line, flushed (JSON Lines). */
int render_json_line(json_object *o, FILE *f);

/* The whole report (report.c): `residue --json` and GET /report; the one screen; --check's line. */
json_object *render_report_json(const HostReport *r);
/*
 * The same with @census and @zombies rendered already (render_census_json(),
 * render_zombies_json(), or render_json_preformatted() of their text); NULL
 * renders that part now.
 */
json_object *render_report_json_with(const HostReport *r, json_object *census,
				     json_object *zombies);
/* Its "inodes" object: the audit the report carries, or why there is none and how to run one. */
json_object *render_report_inodes_json(const HostReport *r);
void render_report_text(const HostReport *r, FILE *f);
/*
 * One line saying what was found, at most @size - 1 bytes (node-problem-detector
 * shows 80): "residue: 1 orphaned filesystem (40.0M), 1200 zombie memcgs".
 */
void report_check_line(const HostReport *r, char *buf, size_t size);
/*
 * The one line that says the kernel refused BPF and what that cost, from the refusal gaps
 * of @s and @z (either may be NULL) and, for the agent, @watch_err and @inodes_err (the
 * positive errno of the zombie tracepoints and of the dentry and inode audit's programs,
 * refused: collect/privilege.h; 0 otherwise), without "residue: ":
 * "the kernel refused BPF (EPERM: Operation not permitted): references are read through
 * /proc, ...".  False, and @buf empty, when nothing was refused.
 */
bool render_bpf_refusal(const Snapshot *s, const ZombieScan *z, int watch_err, int inodes_err,
			char *buf, size_t size);

/* The Prometheus text exposition (prometheus.c, docs/METRICS.md). */
typedef struct PromOptions {
	const char *version, *kernel; /* residue_build_info */
	unsigned max_orphan_series; /* residue_orphan_info series at most */
	unsigned top_parents; /* zombie parents shown by name; the rest are "other" */
	uint64_t scans_total, scan_failures_total;
	bool last_scan_failed; /* the last scan made no report (the report part is older) */
	double interval_s; /* residue serve's period; 0: not an agent (no such metric) */
	/* Filesystem types orphans had in earlier scans: their series stay, at 0. */
	const char *const *seen_fstypes;
	size_t n_seen_fstypes;
} PromOptions;

#define PROM_MAX_ORPHAN_SERIES 20
#define PROM_TOP_PARENTS 10

/* @r may be NULL (no scan has worked yet): then only the scan counters and build info. */
int render_prometheus(const HostReport *r, const PromOptions *o, FILE *f);
/*
 * The two halves, for an agent that keeps the last good report's part while
 * its counters move: build info and scan counters; everything from @r.
 */
void render_prometheus_head(const PromOptions *o, const char *tier, FILE *f);
int render_prometheus_report(const HostReport *r, const PromOptions *o, FILE *f);
/* "bpf" or "proc": how the report's references were read. */
const char *report_tier(const HostReport *r);

/* The kernel log (kernel-log.c): the "kernel_log" object of the report (NULL: not read), its text. */
json_object *render_kernel_log_json(const KernelLog *l);
void render_kernel_log_text(const KernelLog *l, FILE *f);
/* "loop0 (ext4)": what a kernel-log finding is about, escaped for a terminal. */
void kernel_log_subject(const KernelLogFinding *f, char *buf, size_t size);
/* Seconds since the epoch as "2026-12-05T12:00:01Z" (UTC); "?" when @t <= 0. */
void format_wall_time(double t, char *buf, size_t size);

void format_bytes(uint64_t b, bool exact, char *buf, size_t size);
void format_dev(uint64_t dev, char *buf, size_t size);
