// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue zombies --watch [--duration SEC]`: memory cgroups as they become
 * zombies and as they are freed, from two kernel tracepoints (BPF,
 * lib/bpf/memcg-watch.*): cgroup_rmdir when a cgroup is removed, and
 * cgroup_release when the kernel frees it, which for a memory cgroup is
 * when the last page charged to it is gone.  The judging is
 * lib/agent/zombie-life.c's (a zombie is a cgroup still there 0.5 s after
 * its removal), shared with `residue watch` and `residue serve`; this file
 * prints.  A removal in the last 0.5 s of the watch is waited for, so that
 * every removal seen is decided.
 *
 * Output: one line per event on stdout, flushed; with -J one JSON object a
 * line (JSON Lines): "start" when the watch is ready, "zombie", "freed",
 * and "summary" every minute and at the end (duration, SIGINT, SIGTERM),
 * with the top creators: the parent cgroups the most zombies appeared under.
 * With --check the exit status is 1 when zombies that appeared during the
 * watch are still alive at its end.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent/zombie-life.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "bpf/memcg-watch-loader.h"
#include "collect/zombies.h"
#include "render/render.h"
#include "residue.h"

#define NSEC 1000000000ULL
#define SUMMARY_EVERY_NS (60 * NSEC)
#define TOP_CREATORS 10

typedef struct Watch {
	bool json;
	uint64_t t0_ns;
	ZombieLife *life;
} Watch;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock of bpf_ktime_get_ns() */
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static double rel_s(const Watch *w, uint64_t t)
{
	return t >= w->t0_ns ? (double)(t - w->t0_ns) / 1e9 : -(double)(w->t0_ns - t) / 1e9;
}

/* ---- output ---- */

static void print_json(json_object *o)
{
	render_json_line(o, stdout);
	json_object_put(o);
}

/* A number with @decimals decimals, written as such (not 2.6600000000000001). */
static json_object *json_fixed(double v, int decimals)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static void format_age(double s, char *buf, size_t size)
{
	if (s < 60)
		snprintf(buf, size, "%.2fs", s);
	else if (s < 3600)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)s % 3600 / 60);
}

/* One "zombie" or "freed" event. */
static int on_event(void *userdata, const ZombieLifeEvent *e)
{
	const Watch *w = userdata;
	bool freed = e->type == ZOMBIE_FREED;
	/* From before the watch: its age is unknown, more than the watch's. */
	double min_age = rel_s(w, e->time_ns);

	if (w->json) {
		_cleanup_free_ char *p = str_escape_utf8(e->path);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "time", json_fixed(rel_s(w, e->time_ns), 3));
		json_object_object_add(o, "event",
				       json_object_new_string(freed ? "freed" : "zombie"));
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(e->cgroup_id));
		json_object_object_add(o, "path", json_object_new_string(p ? p : ""));
		json_object_object_add(o, "age_s",
				       freed && e->age_s >= 0 ? json_fixed(e->age_s, 3) : NULL);
		json_object_object_add(o, "before_watch", json_object_new_boolean(e->before_watch));
		if (freed && e->age_s < 0)
			json_object_object_add(o, "min_age_s", json_fixed(min_age, 3));
		if (e->path_cut)
			json_object_object_add(o, "path_cut", json_object_new_boolean(true));
		print_json(o);
	} else {
		_cleanup_free_ char *p = str_escape_text(e->path);
		const char *cut = e->path_cut ? "..." : "";
		char a[32];
		if (!freed) {
			printf("+ %.3fs zombie %s%s (id %llu)\n", rel_s(w, e->time_ns), p ? p : "",
			       cut, (unsigned long long)e->cgroup_id);
		} else if (e->age_s >= 0) {
			format_age(e->age_s, a, sizeof(a));
			printf("- %.3fs freed  %s%s after %s\n", rel_s(w, e->time_ns), p ? p : "",
			       cut, a);
		} else {
			format_age(min_age, a, sizeof(a));
			printf("- %.3fs freed  %s%s (age unknown: before watch, over %s)\n",
			       rel_s(w, e->time_ns), p ? p : "", cut, a);
		}
	}
	fflush(stdout);
	return 0;
}

static void print_summary(Watch *w, uint64_t t_ns, bool final, const struct zw_stats *zs)
{
	const ZombieCreator *top[TOP_CREATORS];
	size_t n_top = zombie_life_top(w->life, top, TOP_CREATORS);
	const ZombieLifeStats *st = zombie_life_stats(w->life);
	uint64_t alive = st->appeared - st->freed;
	double mean = st->freed ? st->age_sum_s / (double)st->freed : 0;

	if (w->json) {
		json_object *o = json_object_new_object(), *cr = json_object_new_array();
		json_object *bw = json_object_new_object();
		json_object_object_add(o, "time", json_fixed(rel_s(w, t_ns), 3));
		json_object_object_add(o, "event", json_object_new_string("summary"));
		json_object_object_add(o, "final", json_object_new_boolean(final));
		json_object_object_add(o, "zombies", json_object_new_uint64(st->appeared));
		json_object_object_add(o, "freed", json_object_new_uint64(st->freed));
		json_object_object_add(o, "alive", json_object_new_uint64(alive));
		json_object_object_add(o, "quick_deaths", json_object_new_uint64(st->quick));
		json_object_object_add(o, "quick_max_s",
				       st->quick ? json_fixed((double)st->quick_max_ns / 1e9, 3) :
						   NULL);
		json_object_object_add(o, "age_mean_s", st->freed ? json_fixed(mean, 3) : NULL);
		json_object_object_add(o, "age_max_s",
				       st->freed ? json_fixed(st->age_max_s, 3) : NULL);
		json_object_object_add(bw, "zombies",
				       st->before_known ? json_object_new_uint64(st->before) :
							  NULL);
		json_object_object_add(bw, "freed", json_object_new_uint64(st->before_freed));
		json_object_object_add(o, "before_watch", bw);
		json_object_object_add(o, "lost_records", json_object_new_uint64(zs->dropped));
		for (size_t i = 0; i < n_top; i++) {
			_cleanup_free_ char *p = str_escape_utf8(top[i]->parent);
			json_object *e = json_object_new_object();
			json_object_object_add(e, "parent", json_object_new_string(p ? p : ""));
			json_object_object_add(e, "created",
					       json_object_new_uint64(top[i]->created));
			json_object_object_add(e, "alive", json_object_new_uint64(top[i]->alive));
			json_object_array_add(cr, e);
		}
		json_object_object_add(o, "creators", cr);
		print_json(o);
		fflush(stdout);
		return;
	}
	if (!final) {
		printf("= %.3fs %llu zombies appeared, %llu alive; %llu quick deaths",
		       rel_s(w, t_ns), (unsigned long long)st->appeared, (unsigned long long)alive,
		       (unsigned long long)st->quick);
		if (st->before_known)
			printf("; %llu of %llu from before freed",
			       (unsigned long long)st->before_freed,
			       (unsigned long long)st->before);
		if (n_top) {
			_cleanup_free_ char *p = str_escape_text(top[0]->parent);
			printf("; most under %s: %llu (%llu alive)", p ? p : "",
			       (unsigned long long)top[0]->created,
			       (unsigned long long)top[0]->alive);
		}
		putchar('\n');
		fflush(stdout);
		return;
	}
	_cleanup_free_ char *sub = str_escape_text(zombie_life_subtree(w->life));
	char a[32], m[32];
	printf("\nWatched %.1f s below %s:\n", rel_s(w, t_ns), sub ? sub : "");
	printf("  zombies appeared  %6llu  (removed, still there %.1f s later)\n",
	       (unsigned long long)st->appeared, (double)ZOMBIE_GRACE_NS / 1e9);
	if (st->freed) {
		format_age(mean, a, sizeof(a));
		format_age(st->age_max_s, m, sizeof(m));
		printf("    freed since     %6llu  after %s on average, %s at most\n",
		       (unsigned long long)st->freed, a, m);
	} else {
		printf("    freed since     %6llu\n", (unsigned long long)st->freed);
	}
	printf("    still alive     %6llu\n", (unsigned long long)alive);
	printf("  quick deaths      %6llu  (freed within %.1f s of removal: never zombies)",
	       (unsigned long long)st->quick, (double)ZOMBIE_GRACE_NS / 1e9);
	if (st->quick)
		printf(", the slowest in %.0f ms", (double)st->quick_max_ns / 1e6);
	putchar('\n');
	if (st->before_known)
		printf("  before the watch  %6llu  zombies, %llu of them freed since\n",
		       (unsigned long long)st->before, (unsigned long long)st->before_freed);
	else
		printf("  before the watch       ?  zombies (no kernel view), %llu freed since\n",
		       (unsigned long long)st->before_freed);
	if (zs->dropped)
		printf("  lost records      %6llu  (the ring buffer was full: counts are low)\n",
		       (unsigned long long)zs->dropped);
	if (!n_top)
		return;
	printf("Top creators (zombies that appeared under each parent during the watch):\n");
	printf("  %7s %6s  %s\n", "CREATED", "ALIVE", "PARENT");
	for (size_t i = 0; i < n_top; i++) {
		_cleanup_free_ char *p = str_escape_text(top[i]->parent);
		printf("  %7llu %6llu  %s\n", (unsigned long long)top[i]->created,
		       (unsigned long long)top[i]->alive, p ? p : "");
	}
	fflush(stdout);
}

static void print_start(Watch *w, const ZombieScan *z)
{
	uint64_t t = now_ns();
	const ZombieLifeStats *st = zombie_life_stats(w->life);
	const char *subtree = zombie_life_subtree(w->life);
	_cleanup_free_ char *sub = NULL, *mnt = NULL;

	if (w->json) {
		json_object *o = json_object_new_object(), *h = json_object_new_object();
		sub = str_escape_utf8(subtree);
		mnt = str_escape_utf8(z->mount ? z->mount : "");
		json_object_object_add(o, "time", json_fixed(rel_s(w, t), 3));
		json_object_object_add(o, "event", json_object_new_string("start"));
		json_object_object_add(o, "subtree", json_object_new_string(sub ? sub : ""));
		json_object_object_add(h, "version", json_object_new_int(z->version));
		json_object_object_add(h, "mount", json_object_new_string(mnt ? mnt : ""));
		json_object_object_add(o, "hierarchy", h);
		json_object_object_add(o, "zombies_before",
				       st->before_known ? json_object_new_uint64(st->before) :
							  NULL);
		json_object_object_add(o, "grace_s", json_fixed((double)ZOMBIE_GRACE_NS / 1e9, 3));
		print_json(o);
	} else {
		sub = str_escape_text(subtree);
		mnt = str_escape_text(z->mount ? z->mount : "");
		printf("Watching memory cgroups below %s (cgroup v%d at %s), %.3fs: ",
		       sub ? sub : "", z->version, mnt ? mnt : "", rel_s(w, t));
		if (st->before_known)
			printf("%llu zombies already there.\n", (unsigned long long)st->before);
		else
			printf("zombies already there unknown.\n");
		printf("A removed cgroup still there %.1f s later is a zombie.\n",
		       (double)ZOMBIE_GRACE_NS / 1e9);
	}
	fflush(stdout);
}

static const char *why_no_bpf(int r)
{
	if (r == -EOPNOTSUPP)
		return "this residue was built without BPF";
	if (r == -EPERM || r == -EACCES)
		return "not permitted: needs root (CAP_BPF and CAP_PERFMON)";
	return NULL;
}

static int on_record(void *userdata, const struct zw_event *e)
{
	return zombie_life_record(userdata, e);
}

static void sleep_until(uint64_t t)
{
	uint64_t now = now_ns();
	if (t <= now)
		return;
	struct timespec ts = { .tv_sec = (time_t)((t - now) / NSEC),
			       .tv_nsec = (long)((t - now) % NSEC) };
	nanosleep(&ts, NULL);
}

int zombies_watch(const TableCli *t, const ZombieOptions *zo, double duration)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigset_t block, old_mask, wait_mask;
	Watch w = { .json = t->json };
	MemcgWatch *mw = NULL;
	ZombieScan *z = NULL;
	ZombieOptions scan = *zo;
	struct zw_stats st;
	struct pollfd pfd = { .events = POLLIN };
	uint64_t end, next_summary, now;
	int r, rc = EXIT_ERROR;

	if (zombie_life_new(zo->subtree, on_event, &w, &w.life) < 0)
		return EXIT_ERROR;
	/* INT and TERM wait while we work and arrive only inside ppoll(): no wake-up is lost. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	wait_mask = old_mask;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	w.t0_ns = now_ns();
	r = zo->no_bpf ? -EOPNOTSUPP : memcg_watch_new(on_record, w.life, &mw);
	if (r < 0) {
		const char *why = zo->no_bpf ? "--no-bpf was given" : why_no_bpf(r);
		fprintf(stderr,
			"residue: --watch needs BPF (tracepoints cgroup_rmdir, cgroup_release): %s\n",
			why ? why : strerror(-r));
		goto out;
	}
	/* The zombies already there: their ids and paths, without the page-cache walk. */
	scan.no_files = true;
	r = scan_zombies(&scan, &z);
	if (r == -ENOENT && z && !z->version) {
		fputs("residue: no memory cgroup controller is mounted here\n", stderr);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "residue: zombie scan failed: %s\n", strerror(-r));
		goto out;
	}
	if (!z->used_bpf)
		fprintf(stderr, "residue: zombies from before the watch are unknown (%s)\n",
			z->bpf_error ? z->bpf_error : "no kernel view");
	if (zombie_life_add_before(w.life, z) < 0)
		goto out;
	/* 0, or more than 30 years: until a signal. */
	end = duration > 0 && duration < 1e9 ? w.t0_ns + (uint64_t)(duration * 1e9) : UINT64_MAX;
	zombie_life_set_end(w.life, end);
	/* What happened during the scan first: the start line counts what was there before. */
	r = memcg_watch_consume(mw);
	if (r < 0) {
		fprintf(stderr, "residue: --watch: %s\n", strerror(-r));
		goto out;
	}
	print_start(&w, z);

	next_summary = w.t0_ns + SUMMARY_EVERY_NS;
	pfd.fd = memcg_watch_fd(mw);
	for (;;) {
		uint64_t wake = MIN(MIN(end, next_summary), zombie_life_next_deadline(w.life));
		now = now_ns();
		if (stop_signal || now >= end)
			break;
		uint64_t d = wake > now ? wake - now : 0;
		struct timespec ts = { .tv_sec = (time_t)(d / NSEC), .tv_nsec = (long)(d % NSEC) };
		if (ppoll(&pfd, 1, &ts, &wait_mask) < 0 && errno != EINTR) {
			fprintf(stderr, "residue: --watch: poll: %m\n");
			goto out;
		}
		now = now_ns();
		r = memcg_watch_consume(mw);
		if (r >= 0)
			r = zombie_life_decide(w.life, now);
		if (r < 0) {
			fprintf(stderr, "residue: --watch: %s\n", strerror(-r));
			goto out;
		}
		if (now >= next_summary) {
			memcg_watch_stats(mw, &st);
			print_summary(&w, now, false, &st);
			next_summary += SUMMARY_EVERY_NS;
		}
	}
	/*
	 * Decide the removals of the last half second: wait out their grace.
	 * Removals from now on are not followed, so this ends.
	 */
	now = now_ns();
	zombie_life_set_end(w.life, now);
	for (r = memcg_watch_consume(mw); r >= 0 && zombie_life_last_deadline(w.life);) {
		sleep_until(zombie_life_last_deadline(w.life));
		r = memcg_watch_consume(mw);
		if (r >= 0)
			r = zombie_life_decide(w.life, now_ns());
	}
	if (r < 0) {
		fprintf(stderr, "residue: --watch: %s\n", strerror(-r));
		goto out;
	}
	memcg_watch_stats(mw, &st);
	print_summary(&w, now, true, &st);
	const ZombieLifeStats *ls = zombie_life_stats(w.life);
	rc = t->check && ls->appeared > ls->freed ? EXIT_FINDINGS : 0;
out:
	memcg_watch_free(mw);
	zombie_scan_free(z);
	zombie_life_free(w.life);
	/* A second INT or TERM still pending goes to on_signal(), not to the default action. */
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
