/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A report as a flat list of findings, each with an identity that holds
 * from one scan to the next, so that a long-running agent can say what
 * appeared and what went away: an orphaned filesystem (by device), a
 * process-less mount namespace (by its never-reused id), zombie memory
 * cgroups at or above the threshold (one finding), each census finding,
 * each kernel-log finding (by kind, device and first record; never goes),
 * each finding of the last inode audit (by kind, device, inode, parent, name).
 * The kinds are the `kind` label of residue_findings.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "analyze/report.h"

#define FINDING_FIELDS_MAX 12

/* A named value for logs and JSON Lines: a string, or a number written as one. */
typedef struct FindingField {
	const char *name; /* static */
	char *value; /* NULL: unknown (null in JSON) */
	bool number;
} FindingField;

typedef struct Finding {
	const char *kind; /* "orphaned_filesystem", "processless_mount_namespace", ... */
	char *key; /* "orphaned_filesystem 0:55": the same finding in the next scan has it */
	char *text; /* one line for a person: what, how much, what to do */
	int severity; /* syslog priority: 3 err (data-loss risk), 4 warning, 5 notice */
	FindingField fields[FINDING_FIELDS_MAX];
	size_t n_fields;
} Finding;

typedef struct FindingList {
	Finding *items; /* sorted by key */
	size_t n, cap;
} FindingList;

int findings_from_report(const HostReport *r, FindingList *ret);
void finding_list_done(FindingList *l);

/*
 * Compare two lists: @fn for each finding only in @new (appeared) and each
 * only in @old (gone), gone first.  A negative return of @fn stops the walk.
 */
int findings_diff(const FindingList *old, const FindingList *new,
		  int (*fn)(void *userdata, const Finding *f, bool appeared), void *userdata);
