/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI: one file per verb, each turning argv into library calls and an exit code. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "analyze/orphans.h"
#include "base/macro.h"
#include "collect/collect.h"
#include "model/snapshot.h"
#include "render/render.h"

enum {
	EXIT_FINDINGS = 1, /* --check and something was found */
	EXIT_ERROR = 2,
};

typedef struct GlobalOptions {
	bool json;
	bool check;
	bool verbose;
	bool prometheus; /* --prometheus: metrics instead of the screen */
	const char *output; /* --output FILE: where --prometheus writes, atomically */
	uint64_t zombie_threshold; /* --zombie-threshold N, 0: the default */
	/* --max-orphan-series, --top-parents for --prometheus; UINT64_MAX: the default */
	uint64_t max_orphan_series, top_parents;
	bool inodes; /* --inodes: the dentry and inode audit in this scan too (about a second) */
} GlobalOptions;

/* Scan and analyse; prints the error and returns EXIT_ERROR on failure. */
int run_scan(const ScanOptions *so, Snapshot **ret_snap, OrphanReport **ret_rep, double *ret_ms);
void warn_unprivileged(const Snapshot *s);
/* The kernel refused BPF: one line on stderr saying what that costs.  Either may be NULL. */
void warn_bpf_refused(const Snapshot *s, const ZombieScan *z);
/* --verbose: which kernel interfaces this scan used. */
void report_interfaces(const GlobalOptions *g, const Snapshot *s);

/* The options of every table verb (table-cli.c). */
typedef struct TableCli {
	TableOptions to;
	bool json, check, list;
	const char *output;
} TableCli;

#define TABLE_CLI_SHORT "o:Jrnb"
#define TABLE_CLI_LONG                                                                             \
	{ "output", required_argument, NULL, 'o' }, { "list-columns", no_argument, NULL, 'L' },    \
		{ "json", no_argument, NULL, 'J' }, { "raw", no_argument, NULL, 'r' },             \
		{ "noheadings", no_argument, NULL, 'n' }, { "bytes", no_argument, NULL, 'b' },     \
	{                                                                                          \
		"check", no_argument, NULL, 'C'                                                    \
	}

/* Take option @c if it is one of the table options. */
bool table_cli_option(TableCli *t, int c, const char *arg);
/* Resolve -o/--list-columns: 1 go on, 0 done (columns listed), -EXIT_ERROR bad -o. */
int table_cli_columns(TableCli *t, const ColumnSet *set);

/* Seconds (>= @min) and counts (>= @min, < 2^32) from argv: 0, or -EINVAL after saying why. */
int cli_seconds(const char *opt, const char *arg, double min, double *ret);
int cli_count(const char *opt, const char *arg, uint64_t min, uint64_t *ret);

/* The options residue serve and residue watch share (agent-cli.c). */
struct AgentOptions;
enum {
	AGENT_OPT_INTERVAL = 0x200,
	AGENT_OPT_DEBOUNCE,
	AGENT_OPT_DURATION,
	AGENT_OPT_ZOMBIE_THRESHOLD,
	AGENT_OPT_NO_BPF,
	AGENT_OPT_INODES_INTERVAL,
};
#define AGENT_CLI_LONG                                                                             \
	{ "interval", required_argument, NULL, AGENT_OPT_INTERVAL },                               \
		{ "debounce", required_argument, NULL, AGENT_OPT_DEBOUNCE },                       \
		{ "duration", required_argument, NULL, AGENT_OPT_DURATION },                       \
		{ "zombie-threshold", required_argument, NULL, AGENT_OPT_ZOMBIE_THRESHOLD },       \
		{ "inodes-interval", required_argument, NULL, AGENT_OPT_INODES_INTERVAL },         \
	{                                                                                          \
		"no-bpf", no_argument, NULL, AGENT_OPT_NO_BPF                                      \
	}
/* Take option @c if it is one of those: 1 taken, 0 not ours, -EINVAL bad value (said). */
int agent_cli_option(struct AgentOptions *ao, int c, const char *arg);

int cmd_summary(const GlobalOptions *g, int argc, char **argv);
int cmd_orphans(const GlobalOptions *g, int argc, char **argv);
int cmd_release(const GlobalOptions *g, int argc, char **argv);
/* What release DEV --detach-loops / --drain-inflight / --unregister lets go of (release-kernel.c). */
enum {
	RELEASE_LOOPS = 1 << 0,
	RELEASE_INFLIGHT = 1 << 1,
	RELEASE_UNREGISTER = 1 << 2,
};
int release_kernel_holders(const GlobalOptions *g, uint64_t dev, const char *arg, bool execute,
			   bool json, unsigned what, const Snapshot *s, const Orphan *o);
int cmd_mounts(const GlobalOptions *g, int argc, char **argv);
int cmd_bench(const GlobalOptions *g, int argc, char **argv);
int cmd_zombies(const GlobalOptions *g, int argc, char **argv);
int cmd_inodes(const GlobalOptions *g, int argc, char **argv);
int cmd_serve(const GlobalOptions *g, int argc, char **argv);
int cmd_watch(const GlobalOptions *g, int argc, char **argv);

struct ZombieOptions;
/* residue zombies --release [--yes] (zombies-release.c) */
int zombies_release(const TableCli *t, const struct ZombieOptions *zo, bool yes,
		    bool pageout_mapped);
/* residue zombies --watch (zombies-watch.c) */
int zombies_watch(const TableCli *t, const struct ZombieOptions *zo, double duration);
