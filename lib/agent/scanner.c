// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The scanner: scan_host() + analyze_orphans() + analyze_census() +
 * scan_zombies() + analyze_zombies() into one HostReport, with each
 * phase's wall time and the scan's CPU time.
 *
 * Kept programs: with long_running the reference iterators and the memcg walks
 * are loaded at the first scan that needs them and reused (loading costs
 * 15 ms and 60 ms of verifier time here; the walks themselves are cheaper).
 *
 * The zombie page-cache walk visits every cached inode of the host (35 ms
 * here, more with many superblocks), while the css tree alone costs under a
 * millisecond.  With ZOMBIE_FILES_WHEN_NEW the walk runs when a zombie
 * appears that the last walk did not see, or the last walk is older than
 * files_max_age_s; otherwise the zombies still alive keep the pins that walk
 * found, marked with its age (kernel_view.files_age_s): a zombie's pins
 * only shrink as its pages are reclaimed, they never grow, since nothing
 * new is charged to a removed cgroup.
 */
#include "agent/scanner.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analyze/zombies.h"
#include "base/array.h"
#include "base/clock.h"
#include "base/macro.h"
#include "base/u64set.h"
#include "bpf/kholders-loader.h"
#include "bpf/memcg-decode.h"
#include "bpf/memcg-loader.h"
#include "bpf/refs-loader.h"
#include "collect/collect.h"
#include "collect/inodes.h"
#include "collect/kmsg.h"
#include "collect/zombies.h"

/* The pins of the last page-cache walk, by memcg id, to hand on to later scans. */
typedef struct SavedPin {
	uint64_t memcg_id;
	CachePin pin; /* node is meaningless here; strings owned */
} SavedPin;

/* A mount table read is reused for at most this long (remounts do not change the id list). */
#define TABLE_MAX_AGE_S 300.0

struct Scanner {
	ScannerOptions o;
	MountNsCache *ns_cache;
	RefsBpf *refs;
	int refs_error; /* 0: not tried or loaded */
	KholdersBpf *kholders; /* loaded by the first scan or audit that needs it, then kept */
	MemcgBpf *memcg;
	int memcg_error;
	/* The last page-cache walk */
	bool walked;
	double walked_at; /* CLOCK_MONOTONIC seconds */
	U64Set walked_ids; /* the zombies it saw */
	SavedPin *pins;
	size_t n_pins, cap_pins;
	ZombieWalk walk;
	KmsgReader *kmsg; /* with kernel_log */
	/* long_running: the inode auditor, its last audit and when that ended (CLOCK_MONOTONIC s) */
	InodeAuditor *auditor;
	InodeAudit *inodes;
	double inodes_at, created;
};

static double thread_cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void saved_pins_clear(Scanner *sc)
{
	for (size_t i = 0; i < sc->n_pins; i++) {
		free(sc->pins[i].pin.rel_path);
		free(sc->pins[i].pin.path);
	}
	sc->n_pins = 0;
}

int scanner_new(const ScannerOptions *o, Scanner **ret)
{
	Scanner *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->o = *o;
	if (o->long_running && !(sc->ns_cache = mount_ns_cache_new(TABLE_MAX_AGE_S))) {
		free(sc);
		return -ENOMEM;
	}
	if (!sc->o.zombie_threshold)
		sc->o.zombie_threshold = REPORT_ZOMBIE_THRESHOLD;
	sc->created = mono_s();
	/* Opened now: a follower's "new records" are those after the agent started. */
	if (o->kernel_log && kmsg_reader_new(o->kmsg_path, o->long_running, &sc->kmsg) < 0) {
		scanner_free(sc);
		return -ENOMEM;
	}
	*ret = sc;
	return 0;
}

Scanner *scanner_free(Scanner *sc)
{
	if (!sc)
		return NULL;
	refs_bpf_free(sc->refs);
	kholders_bpf_free(sc->kholders);
	memcg_bpf_free(sc->memcg);
	mount_ns_cache_free(sc->ns_cache);
	saved_pins_clear(sc);
	free(sc->pins);
	u64set_done(&sc->walked_ids);
	kmsg_reader_free(sc->kmsg);
	inode_auditor_free(sc->auditor);
	inode_audit_free(sc->inodes);
	free(sc);
	return NULL;
}

double scanner_inodes_due(const Scanner *sc)
{
	if (!sc->o.long_running || sc->o.no_bpf || sc->o.inodes_interval_s <= 0)
		return 0;
	return sc->inodes ? sc->inodes_at + sc->o.inodes_interval_s : sc->created;
}

static int auditor(Scanner *sc)
{
	/* The kernel-holder programs its scans keep: loaded once for both (serve). */
	InodeAuditOptions io = { .kholders_bpf = &sc->kholders };
	return sc->auditor ? 0 : inode_auditor_new(&io, &sc->auditor);
}

int scanner_inodes_load(Scanner *sc)
{
	if (!scanner_inodes_due(sc))
		return 0;
	int r = auditor(sc);
	return r < 0 ? r : inode_auditor_load(sc->auditor);
}

int scanner_audit_inodes(Scanner *sc)
{
	InodeAudit *a = NULL;
	int r;

	if ((r = auditor(sc)) < 0)
		return r;
	if ((r = inode_auditor_run(sc->auditor, &a)) < 0)
		return r;
	inode_audit_free(sc->inodes);
	sc->inodes = a;
	sc->inodes_at = mono_s();
	return 0;
}

const InodeAudit *scanner_last_inodes(const Scanner *sc)
{
	return sc->inodes;
}

/*
 * The inode audit into @rep: a whole one for residue --inodes, the last one
 * kept for an agent, else a note that says why there is none.
 */
static int inodes_into(Scanner *sc, HostReport *rep)
{
	if (!sc->o.long_running) {
		if (!sc->o.inodes) {
			rep->inodes_note = "not run by the default scan (two walks of every cached "
					   "inode, about a second)";
			return 0;
		}
		double t = mono_s();
		rep->inodes_wanted = true;
		int r = audit_inodes(&(InodeAuditOptions){ 0 }, &rep->inodes);
		if (r < 0)
			return r;
		host_report_add_phase(rep, "inode audit", (mono_s() - t) * 1e3);
		return 0;
	}
	if (!sc->inodes) {
		rep->inodes_note = sc->o.no_bpf ? "not run: --no-bpf (the audit needs BPF)" :
				   sc->o.inodes_interval_s > 0 ?
						  "the agent's first audit has not ended yet" :
						  "not run: --inodes-interval 0";
		return 0;
	}
	rep->inodes_age_s = mono_s() - sc->inodes_at;
	return inode_audit_copy(sc->inodes, &rep->inodes);
}

int scanner_kmsg_fd(const Scanner *sc)
{
	return sc->kmsg ? kmsg_reader_fd(sc->kmsg) : -1;
}

int scanner_kmsg_drain(Scanner *sc)
{
	return sc->kmsg ? kmsg_reader_drain(sc->kmsg) : 0;
}

/*
 * The kernel log into @rep: what arrived since the last drain, then a copy of
 * every finding so far.  Touches nothing of @rep but its log and phases: a
 * one-shot scan reads it on the zombies' thread, which is done first.
 */
static int kernel_log_read(Scanner *sc, HostReport *rep)
{
	double t = mono_s();
	int r = kmsg_reader_drain(sc->kmsg);

	if (r < 0)
		return r;
	rep->kernel_log = kernel_log_copy(kmsg_reader_log(sc->kmsg));
	if (!rep->kernel_log)
		return -ENOMEM;
	host_report_add_phase(rep, "kernel log", (mono_s() - t) * 1e3);
	return 0;
}

/*
 * An unreadable log is a gap of the report, never a failure.  No /dev/kmsg
 * at all (a container's /dev) is where residue runs, not a read that failed:
 * the log says so (readable false, ENOENT), and residue_kernel_log_readable is 0.
 */
static int kernel_log_gap(HostReport *rep)
{
	const KernelLog *l = rep->kernel_log;

	if (!l || l->readable || l->error == ENOENT)
		return 0;
	return snapshot_add_gap(
		rep->snap, "kernel log (/dev/kmsg): leak reports of the kernel not read",
		l->error == EPERM || l->error == EACCES ? "open" : "read", l->error);
}

int scanner_bpf_error(const Scanner *sc)
{
	return sc->refs_error;
}

static char *strdup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* Keep what this walk found for the scans that will not walk. */
static int save_walk(Scanner *sc, const ZombieScan *z)
{
	bool oom = false;

	saved_pins_clear(sc);
	u64set_clear(&sc->walked_ids);
	for (size_t i = 0; i < z->n_nodes; i++)
		if (z->nodes[i].dying && u64set_add(&sc->walked_ids, z->nodes[i].id) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < z->n_pins; i++) {
		SavedPin *s = ARRAY_PUSH(sc->pins, sc->n_pins, sc->cap_pins);
		if (!s)
			return -ENOMEM;
		s->memcg_id = z->nodes[z->pins[i].node].id;
		s->pin = z->pins[i];
		s->pin.rel_path = strdup_or_null(z->pins[i].rel_path, &oom);
		s->pin.path = strdup_or_null(z->pins[i].path, &oom);
		if (oom)
			return -ENOMEM;
	}
	sc->walked = true;
	sc->walked_at = mono_s();
	sc->walk = z->walk;
	return 0;
}

/* The last walk's pins of the zombies still alive. */
static int reuse_walk(Scanner *sc, ZombieScan *z)
{
	bool oom = false;

	for (size_t i = 0; i < sc->n_pins; i++) {
		const SavedPin *s = &sc->pins[i];
		int32_t node = zombie_scan_index(z, s->memcg_id);
		if (node < 0 || !z->nodes[node].dying)
			continue; /* freed since */
		CachePin *p = zombie_scan_add_pin(z);
		if (!p)
			return -ENOMEM;
		*p = s->pin;
		p->node = (uint32_t)node;
		p->rel_path = strdup_or_null(s->pin.rel_path, &oom);
		p->path = strdup_or_null(s->pin.path, &oom);
		if (oom)
			return -ENOMEM;
	}
	z->files_reused = true;
	z->files_age_s = mono_s() - sc->walked_at;
	z->walk = sc->walk;
	/* What that walk could not hold is still missing: say so in this report too. */
	return memcg_walk_gaps(z);
}

static bool walk_is_due(const Scanner *sc, const ZombieScan *z)
{
	if (!sc->walked || mono_s() - sc->walked_at >= sc->o.files_max_age_s)
		return true;
	for (size_t i = 0; i < z->n_nodes; i++)
		if (z->nodes[i].dying && !u64set_contains(&sc->walked_ids, z->nodes[i].id))
			return true;
	return false;
}

static int scan_zombies_into(Scanner *sc, HostReport *rep)
{
	bool bpf = !sc->o.no_bpf && !sc->o.zombies_no_bpf;
	bool policy = sc->o.zombie_files == ZOMBIE_FILES_WHEN_NEW && sc->o.long_running;
	ZombieOptions zo = {
		.no_bpf = !bpf,
		.no_files = policy || sc->o.zombie_files == ZOMBIE_FILES_NEVER,
		.named_files = REPORT_ZOMBIE_FILES, /* what the report lists of each */
	};
	double t = mono_s();
	int r;

	if (bpf && sc->o.long_running && !sc->memcg && !sc->memcg_error) {
		r = memcg_bpf_open(&sc->memcg);
		sc->memcg_error = r < 0 ? r : 0;
		if (r == -ENOMEM)
			return r;
	}
	zo.memcg_bpf = sc->memcg;
	if (bpf && sc->o.long_running && !sc->memcg)
		zo.memcg_bpf_error = sc->memcg_error; /* it did not load: count from cgroupfs */
	r = scan_zombies(&zo, &rep->zombies);
	if (r == -ENOMEM)
		return r;
	rep->zombies_error = r < 0 ? r : 0;
	if (!rep->zombies)
		return 0;
	host_report_add_phase(rep, "zombie memory cgroups", (mono_s() - t) * 1e3);
	if (r == 0 && policy && rep->zombies->used_bpf) {
		t = mono_s();
		if (walk_is_due(sc, rep->zombies)) {
			r = scan_zombie_files(&zo, rep->zombies);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				zombie_scan_add_gap(rep->zombies, "zombie page-cache walk (BPF)",
						    "bpf_iter", -r);
			else if ((r = save_walk(sc, rep->zombies)) < 0)
				return r;
			host_report_add_phase(rep, "zombie page-cache walk", (mono_s() - t) * 1e3);
		} else if ((r = reuse_walk(sc, rep->zombies)) < 0) {
			return r;
		}
	}
	return analyze_zombies(rep->zombies);
}

/* CPU time of the whole process, every thread: a one-shot scan runs the zombies on a second one. */
static double process_cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * A one-shot scan's zombies, on their own thread beside scan_host(): the two
 * share nothing (their own programs, maps and reads) and each waits on the
 * kernel much of the time, so on two CPUs `residue --json` takes about the
 * longer of the two.  The thread fills a report of its own; its zombies and
 * phases are moved into the real one after the join.  A long-running scanner
 * keeps them in a row: it reuses state between scans, and its CPU time per
 * scan is reported per thread.
 */
typedef struct ZombieThread {
	Scanner *sc;
	HostReport part;
	int r;
} ZombieThread;

/*
 * The zombies, handed to the caller's zombies_done, then the kernel log:
 * on their own thread in a one-shot scan, in a row otherwise.
 */
static int zombies_then_log(Scanner *sc, HostReport *rep)
{
	int r = 0;

	if (sc->o.zombies && (r = scan_zombies_into(sc, rep)) >= 0 && sc->o.zombies_done)
		sc->o.zombies_done(rep->zombies, sc->o.userdata);
	if (r >= 0 && sc->kmsg)
		r = kernel_log_read(sc, rep);
	return r;
}

static void *zombie_thread(void *userdata)
{
	ZombieThread *z = userdata;
	z->r = zombies_then_log(z->sc, &z->part);
	return NULL;
}

/*
 * A one-shot scan's census, analysed beside the orphans (neither changes the
 * snapshot; its namespace index is built before they start), and handed to
 * the caller there (census_done: `residue --json` renders it on this thread).
 */
typedef struct CensusThread {
	const Scanner *sc;
	const Snapshot *snap;
	CensusReport *census;
	double done; /* mono_s() when analysed */
	int r;
} CensusThread;

static void *census_thread(void *userdata)
{
	CensusThread *c = userdata;
	const ScannerOptions *o = &c->sc->o;

	c->r = analyze_census(c->snap, c->snap->mount_max, &c->census);
	c->done = mono_s();
	if (c->r == 0 && o->census_done)
		o->census_done(c->census, o->userdata);
	return NULL;
}

/* Join and move the thread's zombies into @rep; its error, or 0. */
static int zombie_thread_join(pthread_t thread, ZombieThread *z, HostReport *rep)
{
	pthread_join(thread, NULL);
	rep->zombies = TAKE_PTR(z->part.zombies);
	rep->zombies_error = z->part.zombies_error;
	rep->kernel_log = TAKE_PTR(z->part.kernel_log);
	for (size_t i = 0; i < z->part.n_phases; i++)
		host_report_add_phase(rep, z->part.phases[i].name, z->part.phases[i].ms);
	return z->r;
}

int scanner_scan(Scanner *sc, HostReport **ret)
{
	HostReport *rep = calloc(1, sizeof(*rep));
	bool side = sc->o.zombies && !sc->o.long_running;
	double t0 = mono_s(), c0 = side ? process_cpu_ms() : thread_cpu_ms(), t, orphans_done;
	ZombieThread zt = { .sc = sc };
	CensusThread ct = { .sc = sc };
	pthread_t thread, census;
	bool beside = false;
	int r;

	if (!rep)
		return -ENOMEM;
	rep->zombie_threshold = sc->o.zombie_threshold;
	side = side && pthread_create(&thread, NULL, zombie_thread, &zt) == 0;
	if (!sc->o.no_bpf && sc->o.long_running && !sc->refs && !sc->refs_error) {
		r = refs_bpf_open(&sc->refs);
		sc->refs_error = r < 0 ? r : 0;
		if (r == -ENOMEM)
			goto fail;
	}
	ScanOptions so = {
		.want_orphans = true,
		.want_census = true,
		.no_bpf = sc->o.no_bpf || (sc->o.long_running && !sc->refs),
		.max_files = sc->o.max_files,
		.refs_bpf = sc->refs,
		.refs_bpf_error = sc->o.no_bpf ? 0 : sc->refs_error,
		.ns_cache = sc->ns_cache,
		.kholders_bpf = sc->o.long_running ? &sc->kholders : NULL,
	};
	r = scan_host(&so, &rep->snap);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < rep->snap->n_phases; i++)
		host_report_add_phase(rep, rep->snap->phases[i].name, rep->snap->phases[i].ms);
	/*
	 * The census beside the orphans and everything after them: it reads the
	 * snapshot's tables and processes, which nothing below changes (the
	 * kernel log's gap is added to its gaps), and the namespace index they
	 * share is built now, so that neither builds it then.
	 */
	t = mono_s();
	ct.snap = rep->snap;
	beside = !sc->o.long_running && snapshot_index_nss(rep->snap) == 0 &&
		 pthread_create(&census, NULL, census_thread, &ct) == 0;
	if (!beside)
		census_thread(&ct);
	r = analyze_orphans(rep->snap, &rep->orphans);
	if (r < 0)
		goto fail;
	orphans_done = mono_s();
	if (side) {
		side = false;
		if ((r = zombie_thread_join(thread, &zt, rep)) < 0)
			goto fail;
	} else if ((r = zombies_then_log(sc, rep)) < 0) {
		goto fail;
	}
	if ((r = kernel_log_gap(rep)) < 0)
		goto fail;
	if (beside) {
		beside = false;
		pthread_join(census, NULL);
	}
	rep->census = TAKE_PTR(ct.census);
	if ((r = ct.r) < 0)
		goto fail;
	host_report_add_phase(rep, "analysis", (MAX(orphans_done, ct.done) - t) * 1e3);
	if ((r = inodes_into(sc, rep)) < 0)
		goto fail;
	rep->wall_ms = (mono_s() - t0) * 1e3;
	rep->cpu_ms = (sc->o.long_running ? thread_cpu_ms() : process_cpu_ms()) - c0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	rep->finished = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	*ret = rep;
	return 0;
fail:
	if (side)
		(void)zombie_thread_join(thread, &zt, rep);
	if (beside)
		pthread_join(census, NULL);
	census_report_free(ct.census);
	host_report_free(rep);
	return r;
}
