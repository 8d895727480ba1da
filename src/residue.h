/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI: one file per verb, each turning argv into library calls and an exit code. */
#pragma once

#include <stdbool.h>

#include "analyze/orphans.h"
#include "collect/collect.h"
#include "model/snapshot.h"

enum {
	EXIT_FINDINGS = 1, /* --check and something was found */
	EXIT_ERROR = 2,
};

typedef struct GlobalOptions {
	bool json;
	bool check;
	bool verbose;
} GlobalOptions;

/* Scan and analyse; prints the error and returns EXIT_ERROR on failure. */
int run_scan(const ScanOptions *so, Snapshot **ret_snap, OrphanReport **ret_rep, double *ret_ms);
void warn_unprivileged(const Snapshot *s);
/* --verbose: which kernel interfaces this scan used. */
void report_interfaces(const GlobalOptions *g, const Snapshot *s);

int cmd_summary(const GlobalOptions *g, int argc, char **argv);
int cmd_orphans(const GlobalOptions *g, int argc, char **argv);
int cmd_release(const GlobalOptions *g, int argc, char **argv);
