// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The agent's loop (agent.h).  One thread: it waits in ppoll() on a
 * signalfd, the BPF ring buffer of cgroup removals and releases, the
 * fanotify group of mount events and /dev/kmsg (a kernel leak report makes
 * a debounced scan, which publishes it), with a timeout that is the earliest of
 * the next periodic scan, the debounced scan an event asked for, and the
 * next zombie to decide.  A scan runs to its end before anything else is
 * looked at, so scans never overlap; what happened meanwhile waits in the
 * kernel (ring buffer, fanotify queue, signal) and is read after it.
 *
 * The inode audit (--inodes-interval) is a step of its own between scans,
 * never part of one: a scan's latency and the events it answers do not wait
 * for a walk of every cached inode.  The loop is busy for that walk (one
 * sample, about 0.4 s per 500 000 inodes) while events queue in the kernel;
 * a debounced scan then publishes its result.
 *
 * Debounce: a change schedules a scan once no other change came for
 * debounce_s, and at the latest 10 x debounce_s after the first one, so a
 * host that never stops churning is still scanned, at most that often
 * because of events.
 */
#include "agent/agent.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/mount-events.h"
#include "base/clock.h"
#include "base/macro.h"
#include "bpf/memcg-watch-loader.h"
#include "collect/privilege.h"
#include "render/render.h"

#define DEBOUNCE_MAX_FACTOR 10

typedef struct Agent {
	const AgentOptions *o;
	const AgentEvents *ev;
	double t0; /* CLOCK_MONOTONIC seconds */
	Scanner *scanner;
	MemcgWatch *watch;
	ZombieLife *life;
	MountEvents *mounts;
	FindingList last;
	AgentStats st;
	double pending_since, last_change; /* 0: no change pending */
	const char *tier; /* "bpf" or "proc" of the last good scan */
	int watch_refused; /* the kernel refused the zombie tracepoints: errno, for the first scan */
	int inodes_refused; /* ... the inode audit's programs: errno, said in the first scan's line */
} Agent;

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

_printf_(3, 4) static void note(Agent *a, int priority, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!a->ev->note)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	a->ev->note(a->ev->userdata, priority, text);
}

static void changed(Agent *a)
{
	double now = mono_s();
	if (!a->pending_since)
		a->pending_since = now;
	a->last_change = now;
}

/* When the scan a change asked for is due; 0 when none is pending. */
static double change_due(const Agent *a)
{
	if (!a->pending_since)
		return 0;
	return MIN(a->last_change + a->o->debounce_s,
		   a->pending_since + DEBOUNCE_MAX_FACTOR * a->o->debounce_s);
}

static int on_zombie(void *userdata, const ZombieLifeEvent *e)
{
	Agent *a = userdata;
	changed(a); /* the zombie count and what pins them changed */
	if (a->ev->zombie)
		a->ev->zombie(a->ev->userdata, e, (double)e->time_ns / 1e9 - a->t0);
	return 0;
}

/* A cgroup removed or freed: a container may have died, and with it a namespace. */
static int on_record(void *userdata, const struct zw_event *e)
{
	Agent *a = userdata;
	changed(a);
	return zombie_life_record(a->life, e);
}

static int on_finding(void *userdata, const Finding *f, bool appeared)
{
	Agent *a = userdata;
	if (a->ev->finding)
		a->ev->finding(a->ev->userdata, f, appeared, mono_s() - a->t0);
	return 0;
}

static void check_tier(Agent *a, const HostReport *r)
{
	const char *tier = r->snap->used_bpf ? "bpf" : "proc";

	if (a->tier && strcmp(a->tier, tier) == 0)
		return;
	if (!r->snap->used_bpf && !a->o->scan.no_bpf)
		note(a, 4, "references are read through /proc: the BPF tier is unavailable (%s)",
		     r->snap->bpf_error ? strerror(r->snap->bpf_error) :
					  "kernel without listmount");
	else if (a->tier)
		note(a, 5, "references are read through the %s tier again", tier);
	a->tier = tier;
}

/*
 * At the first scan: one line for everything the kernel refused of BPF (references, zombie
 * walks, zombie tracepoints, the inode audit's programs, loaded now to know) rather than
 * one per part.  Returns whether it said the references are read through /proc, which
 * check_tier() then need not repeat, or -ENOMEM.
 */
static int note_refusal(Agent *a, const HostReport *r)
{
	char line[512];
	int e = scanner_inodes_load(a->scanner);

	if (e == -ENOMEM)
		return e;
	if (e < 0 && privilege_bpf_refusal(-e))
		a->inodes_refused = -e;
	if (!render_bpf_refusal(r->snap, r->zombies, a->watch_refused, a->inodes_refused, line,
				sizeof(line)))
		return 0;
	note(a, 4, "%s", line);
	return !r->snap->used_bpf && privilege_bpf_refusal(r->snap->bpf_error);
}

static int scan(Agent *a, bool first)
{
	HostReport *r = NULL;
	FindingList now = { 0 };
	int e;

	a->pending_since = a->last_change = 0;
	e = scanner_scan(a->scanner, &r);
	a->st.scans++;
	if (e == -ENOMEM)
		return e;
	if (e < 0) {
		a->st.failures++;
		if (a->ev->scanned)
			a->ev->scanned(a->ev->userdata, NULL, e, &a->st);
		return 0;
	}
	a->st.last_ok = r->finished;
	if (first && (e = note_refusal(a, r)) < 0)
		goto out;
	if (first && e > 0)
		a->tier = "proc";
	check_tier(a, r);
	if (first && a->life && r->zombies && (e = zombie_life_add_before(a->life, r->zombies)) < 0)
		goto out;
	if (a->mounts && (e = mount_events_follow(a->mounts, r->snap)) < 0) {
		note(a, 4, "mount events stop: fanotify_mark: %s; rescanning every %g s",
		     strerror(-e), a->o->interval_s);
		a->mounts = mount_events_free(a->mounts);
		a->st.mount_events = false;
	}
	if ((e = findings_from_report(r, &now)) < 0)
		goto out;
	/* Report the scan first (serve publishes it), then what changed. */
	if (a->ev->scanned)
		a->ev->scanned(a->ev->userdata, r, 0, &a->st);
	e = findings_diff(&a->last, &now, on_finding, a);
	finding_list_done(&a->last);
	a->last = now;
	now = (FindingList){ 0 };
out:
	finding_list_done(&now);
	host_report_free(r);
	return e < 0 ? e : 0;
}

/* Audit dentries and inodes now; a scan soon carries the result. */
static int audit_inodes_now(Agent *a)
{
	const InodeAudit *before = scanner_last_inodes(a->scanner);
	bool ran_before = before && before->ran;
	int r = scanner_audit_inodes(a->scanner);

	if (r < 0)
		return r;
	const InodeAudit *now = scanner_last_inodes(a->scanner);
	/* A refusal the first scan's line already said ("inode audits off") is not said again. */
	bool said = a->inodes_refused && now->error == -a->inodes_refused;
	if (!now->ran && (!before || ran_before) && !said)
		note(a, 5, "inode audits cannot run: %s; the reports say so",
		     strerror(now->error ? -now->error : EAGAIN));
	changed(a);
	return 0;
}

void agent_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static void start_sources(Agent *a)
{
	int r;

	if (a->o->zombie_events && !a->o->scan.no_bpf) {
		r = zombie_life_new(NULL, on_zombie, a, &a->life);
		if (r == 0)
			r = memcg_watch_new(on_record, a, &a->watch);
		if (r < 0 && privilege_bpf_refusal(-r))
			a->watch_refused = -r; /* in the first scan's line about BPF */
		else if (r < 0)
			note(a, 5, "zombie memory cgroups are followed by rescans only: %s",
			     r == -EOPNOTSUPP ? "built without BPF" : strerror(-r));
		if (r < 0)
			a->life = zombie_life_free(a->life);
		a->st.zombie_events = a->watch != NULL;
	}
	if (a->o->mount_events) {
		r = mount_events_new(&a->mounts);
		if (r < 0)
			note(a, 6,
			     "mount changes are seen by rescans every %g s: fanotify mount events %s",
			     a->o->interval_s, r == -EINVAL ? "need Linux 6.15" : strerror(-r));
		a->st.mount_events = a->mounts != NULL;
	}
}

/* Read what woke us: signals (1: stop), cgroup records, mount events. */
static int drain(Agent *a, struct pollfd *pfd, bool *rescan_now)
{
	int r;

	if (pfd[0].revents & POLLIN) {
		struct signalfd_siginfo si;
		while (read(pfd[0].fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP)
				*rescan_now = true;
			else
				return 1;
		}
	}
	if (a->watch && (r = memcg_watch_consume(a->watch)) < 0)
		return r;
	if (a->life && (r = zombie_life_decide(a->life, mono_ns())) < 0)
		return r;
	/* A kernel record: a leak report makes a scan, so that it is published and said soon. */
	if (pfd[3].revents) {
		r = scanner_kmsg_drain(a->scanner);
		if (r < 0)
			return r;
		if (r > 0)
			changed(a);
	}
	if (a->mounts && (pfd[2].revents & POLLIN)) {
		r = mount_events_drain(a->mounts);
		if (r < 0)
			return r;
		if (r > 0)
			changed(a);
	}
	return 0;
}

int agent_run(const AgentOptions *o, const AgentEvents *ev)
{
	Agent a = { .o = o, .ev = ev, .t0 = mono_s() };
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	agent_block_signals();
	_cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return -errno;
	r = scanner_new(&o->scan, &a.scanner);
	if (r < 0)
		return r;
	start_sources(&a);

	double end = o->duration_s > 0 ? a.t0 + o->duration_s : 0;
	double last_start = mono_s();
	r = scan(&a, true);
	for (bool stop = false; r >= 0 && !stop;) {
		struct pollfd pfd[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = a.watch ? memcg_watch_fd(a.watch) : -1, .events = POLLIN },
			{ .fd = a.mounts ? mount_events_fd(a.mounts) : -1, .events = POLLIN },
			{ .fd = scanner_kmsg_fd(a.scanner), .events = POLLIN },
		};
		double now = mono_s(), due = last_start + o->interval_s, ev_due = change_due(&a);
		if (ev_due)
			due = MIN(due, ev_due);
		double inodes_due = scanner_inodes_due(a.scanner);
		if (inodes_due)
			due = MIN(due, inodes_due);
		if (end)
			due = MIN(due, end);
		if (a.life) {
			uint64_t d = zombie_life_next_deadline(a.life);
			if (d != UINT64_MAX)
				due = MIN(due, (double)d / 1e9);
		}
		double wait = due > now ? due - now : 0;
		struct timespec ts = { .tv_sec = (time_t)wait,
				       .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) };
		if (ppoll(pfd, ARRAY_SIZE(pfd), &ts, NULL) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		bool rescan_now = false;
		r = drain(&a, pfd, &rescan_now);
		if (r != 0) {
			stop = r > 0;
			r = r > 0 ? 0 : r;
			continue;
		}
		now = mono_s();
		if (end && now >= end)
			break;
		if (inodes_due && now >= inodes_due) {
			r = audit_inodes_now(&a);
			continue;
		}
		ev_due = change_due(&a);
		if (rescan_now || now >= last_start + o->interval_s || (ev_due && now >= ev_due)) {
			a.st.triggered += !rescan_now && now < last_start + o->interval_s;
			last_start = now;
			r = scan(&a, false);
		}
	}
	finding_list_done(&a.last);
	memcg_watch_free(a.watch);
	zombie_life_free(a.life);
	mount_events_free(a.mounts);
	scanner_free(a.scanner);
	return r;
}
