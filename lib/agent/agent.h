/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent: the scan pipeline in a loop, for `residue serve` and `residue
 * watch`.  Event sources (a period, the kernel's cgroup removal and
 * release records through BPF, fanotify mount events, kernel-log records,
 * SIGHUP) lead to one
 * debounced scan at a time through the same Scanner the one-shot commands
 * use; each report is compared with the last (findings.h) and handed to the
 * caller, who publishes or prints it.  The library does not print: what
 * happens reaches the caller through AgentEvents.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent/findings.h"
#include "agent/scanner.h"
#include "agent/zombie-life.h"

typedef struct AgentOptions {
	ScannerOptions scan;
	double interval_s; /* rescan at least this often */
	double debounce_s; /* after a change, wait for this much quiet (at most 10x) */
	double duration_s; /* 0: until SIGTERM or SIGINT */
	bool zombie_events; /* follow zombie lifetimes (BPF tracepoints) */
	bool mount_events; /* rescan when mounts change (fanotify, 6.15) */
} AgentOptions;

#define AGENT_INTERVAL_S 60.0
/* The inode audit's period (ScannerOptions.inodes_interval_s): one walk of every cached inode. */
/*
 * An hour: make bench measures 0.5-1.2 us of CPU per cached inode and walk, 0.26-0.73 s for
 * this host's 500 000-620 000 inodes: 0.007-0.02 % of a core at this period, up to 0.12 % at
 * 600 s, more than the agent's whole idle budget of 0.1 %.  A leaked reference stays until
 * reboot: an hour late is not too late to name it.
 */
#define AGENT_INODES_INTERVAL_S 3600.0
#define AGENT_DEBOUNCE_S 1.0

typedef struct AgentStats {
	uint64_t scans, failures; /* scans made; scans that failed */
	uint64_t triggered; /* scans an event brought forward */
	double last_ok; /* CLOCK_REALTIME seconds of the last good scan's end, 0: none */
	bool zombie_events, mount_events; /* those sources are working */
} AgentStats;

typedef struct AgentEvents {
	void *userdata;
	/*
	 * A scan ended: @r is its report (valid during the call only), or NULL
	 * and @error (-errno) when it failed.
	 */
	void (*scanned)(void *userdata, const HostReport *r, int error, const AgentStats *st);
	/* A finding appeared or went away; @t seconds since the agent started. */
	void (*finding)(void *userdata, const Finding *f, bool appeared, double t);
	/* A memory cgroup became a zombie or a zombie was freed (with zombie_events). */
	void (*zombie)(void *userdata, const ZombieLifeEvent *e, double t);
	/* The agent's own state changed: a source is unavailable, the tier changed. */
	void (*note)(void *userdata, int priority, const char *text);
} AgentEvents;

/*
 * Block SIGTERM, SIGINT and SIGHUP in the calling thread; threads created
 * afterwards (an HTTP server) inherit the mask, so the agent's signalfd
 * receives them all.  Call before starting such threads.
 */
void agent_block_signals(void);

/* Run until SIGTERM/SIGINT or the duration ends: 0, or -errno of what could not start. */
int agent_run(const AgentOptions *o, const AgentEvents *ev);
