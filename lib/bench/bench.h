/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the benchmarks share: an error that carries errno and a sentence
 * (the library never prints; the CLI says it once), the facts about the
 * host a result is only meaningful with (kernel release, CPUs), and the
 * scratch directory every benchmark makes under $TMPDIR and removes again.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

typedef struct BenchError {
	int err; /* positive errno */
	char msg[256];
} BenchError;

/* Record @err with a message (printf-style); returns -@err. */
int bench_error(BenchError *e, int err, const char *fmt, ...) _printf_(3, 4);

typedef struct BenchHost {
	char kernel[65]; /* uname -r */
	unsigned cpus; /* configured CPUs, as sysfs lists them (cpu0..cpuN-1) */
	unsigned cpus_online;
} BenchHost;

void bench_host_read(BenchHost *ret);

/*
 * mkdtemp("$TMPDIR/residue-bench.XXXXXX") (or under @tmpdir when not NULL),
 * canonicalised so it matches the mount points /proc/self/mountinfo shows.
 * @ret_path must hold PATH_MAX bytes.
 */
int bench_mkdtemp(const char *tmpdir, char *ret_path, BenchError *e);

/* The maj:min of every mount of the caller's namespace into a U64Set of makedev() values. */
typedef struct U64Set U64Set;
int bench_host_devs(U64Set *ret, BenchError *e);
