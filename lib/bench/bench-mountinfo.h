/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `residue bench mountinfo`: what reading a large mount table costs while
 * mounts come and go.  In a private mount namespace with M extra mounts, R
 * reader threads read the whole table again and again with one method at a
 * time while W workers mount and unmount a tmpfs in a loop.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "latency.h"

typedef enum BenchReadMethod {
	BENCH_READ_MOUNTINFO, /* open, read and close /proc/self/mountinfo */
	BENCH_READ_STATMOUNT, /* listmount(2) of every id, statmount(2) SB_BASIC | MNT_BASIC of each */
	BENCH_READ_LISTMOUNT, /* listmount(2) of every id alone: the cheap change check */
	_BENCH_READ_MAX,
} BenchReadMethod;

const char *bench_read_method_to_string(BenchReadMethod m);
/* The method ("listmount+statmount" or "statmount" for BENCH_READ_STATMOUNT), or -EINVAL. */
int bench_read_method_from_string(const char *s);

#define BENCH_READ_DEFAULT ((1U << BENCH_READ_MOUNTINFO) | (1U << BENCH_READ_STATMOUNT))

typedef struct BenchMountinfoOptions {
	unsigned mounts; /* M tmpfs mounts added to the namespace */
	unsigned readers; /* R */
	unsigned workers; /* W churn workers, 0 for none */
	double seconds; /* per method */
	unsigned methods; /* bit 1 << BenchReadMethod; 0 means BENCH_READ_DEFAULT */
	const char *tmpdir; /* NULL: $TMPDIR, else /tmp */
} BenchMountinfoOptions;

typedef struct BenchReadResult {
	BenchReadMethod method;
	bool available;
	int unavailable_err; /* why not (ENOSYS: the kernel lacks listmount/statmount) */
	uint64_t reads; /* whole-table reads completed by all readers */
	LatencyStats read; /* one whole-table read, ms */
	uint64_t entries_min, entries_max; /* mounts one read saw */
	uint64_t churn_pairs; /* mount + umount pairs by all workers */
	double churn_per_s;
	double elapsed_ms;
} BenchReadResult;

typedef struct BenchMountinfoReport {
	uint64_t mounts; /* in the namespace when the readers started (mountinfo lines) */
	double setup_ms; /* making the M mounts */
	double teardown_ms; /* SIGKILL of the namespace's process to reaped: the table torn down */
	size_t n_results;
	BenchReadResult results[_BENCH_READ_MAX];
} BenchMountinfoReport;

/*
 * Run every selected method in one private namespace (a forked child).
 * Needs CAP_SYS_ADMIN; bounded in time (seconds per method plus set-up);
 * removes its directory on every path.  -EINTR when a guarded signal stopped
 * it, other -errno with @e filled on failure.
 */
int bench_mountinfo_run(const BenchMountinfoOptions *o, BenchMountinfoReport *ret, BenchError *e);
