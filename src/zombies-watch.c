// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue zombies --watch [--duration SEC]`: memory cgroups as they become
 * zombies and as they are freed, from two kernel tracepoints (BPF,
 * lib/bpf/memcg-watch.*): cgroup_rmdir when a cgroup is removed, and
 * cgroup_release when the kernel frees it, which for a memory cgroup is
 * when the last page charged to it is gone.
 *
 * The rule: a removed cgroup is a zombie when it is still there GRACE
 * (0.5 s, by the kernel's clock) after its removal.  An empty cgroup is
 * freed soon after rmdir, after RCU grace periods and two trips through a
 * workqueue (measured on 2 CPUs: about 50 ms idle, up to 260 ms with both
 * CPUs busy); those are counted as quick deaths, with the slowest one's
 * time, and never reported.  So a "zombie" line comes 0.5 s after the
 * removal it is stamped with.  A removal in the last 0.5 s of the watch
 * is waited for, so that every removal seen is decided.  A "freed" line gives
 * the zombie's age, rmdir to release.  Zombies from before the watch are
 * known from one scan (the kernel view of `residue zombies`, made after the
 * programs are attached, so none falls between the two): when they are
 * freed their age is unknown, only that it is more than the watch's age.
 * Releases of cgroups neither seen removed nor found by that scan (outside
 * --cgroup, or removed and freed around the start) are not reported.
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
#include <search.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/macro.h"
#include "base/strescape.h"
#include "bpf/memcg-watch-loader.h"
#include "collect/zombies.h"
#include "residue.h"

#define NSEC 1000000000ULL
#define GRACE_NS (NSEC / 2)
/*
 * A record is written a few microseconds after the time it carries: a
 * removal is decided only once its grace has passed by this much before a
 * drain of the ring, so its release, if it came in time, was read first.
 */
#define MARGIN_NS (NSEC / 20)
#define SUMMARY_EVERY_NS (60 * NSEC)
#define TOP_CREATORS 10

/* A parent cgroup zombies appeared under. */
typedef struct Creator {
	char *parent;
	uint64_t created, alive;
} Creator;

/* A removed memory cgroup not yet freed. */
typedef struct Tracked {
	uint64_t id;
	uint64_t rmdir_ns; /* 0 for zombies from before the watch */
	char *path;
	bool cut; /* path cut at ZW_PATH_MAX */
	bool reported; /* its "zombie" line is out */
	Creator *creator;
} Tracked;

typedef struct Watch {
	bool json;
	char *subtree; /* "/" or "/a/b", no trailing slash */
	uint64_t t0_ns, end_ns; /* removals after the end are not followed */
	void *by_id; /* tsearch tree of Tracked, by id */
	Tracked **pending; /* removed, not freed, grace not over: in order of removal */
	size_t n_pending, cap_pending;
	void *by_parent; /* tsearch tree of Creator, by parent path */
	Creator **creators;
	size_t n_creators, cap_creators;
	/* Counts */
	uint64_t appeared, freed, quick;
	double age_sum_s, age_max_s;
	uint64_t quick_max_ns; /* the slowest quick death: how near the rule is to its limit */
	bool before_known;
	uint64_t before, before_freed;
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

static int cmp_tracked(const void *a, const void *b)
{
	const Tracked *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_creator(const void *a, const void *b)
{
	return strcmp(((const Creator *)a)->parent, ((const Creator *)b)->parent);
}

static Tracked *tracked_find(Watch *w, uint64_t id)
{
	Tracked key = { .id = id };
	Tracked **t = tfind(&key, &w->by_id, cmp_tracked);
	return t ? *t : NULL;
}

static void tracked_free(void *p)
{
	Tracked *t = p;
	free(t->path);
	free(t);
}

static void creator_free(void *p)
{
	Creator *c = p;
	free(c->parent);
	free(c);
}

/* Forget @t: out of the tree and the pending list, freed. */
static void tracked_drop(Watch *w, Tracked *t)
{
	for (size_t i = 0; i < w->n_pending; i++)
		if (w->pending[i] == t) {
			memmove(&w->pending[i], &w->pending[i + 1],
				(w->n_pending - i - 1) * sizeof(*w->pending));
			w->n_pending--;
			break;
		}
	tdelete(t, &w->by_id, cmp_tracked);
	tracked_free(t);
}

static Tracked *tracked_add(Watch *w, uint64_t id, const char *path)
{
	Tracked *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->id = id;
	t->path = strdup(path);
	if (!t->path || !tsearch(t, &w->by_id, cmp_tracked)) {
		tracked_free(t);
		return NULL;
	}
	return t;
}

/* Is @path the subtree or below it? */
static bool under_subtree(const Watch *w, const char *path)
{
	size_t n = strlen(w->subtree);
	if (strcmp(w->subtree, "/") == 0)
		return true;
	return strncmp(path, w->subtree, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* "/", "/a", "a/b/" → "/", "/a", "/a/b" */
static char *normalize_subtree(const char *s)
{
	char *r = NULL;
	size_t n;

	if (!s)
		s = "/";
	while (*s == '/')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (asprintf(&r, "/%.*s", (int)n, s) < 0)
		return NULL;
	return r;
}

static Creator *creator_get(Watch *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;
	_cleanup_free_ char *parent = strndup(path, n);
	Creator key = { .parent = parent }, **found, *c;

	if (!parent)
		return NULL;
	found = tfind(&key, &w->by_parent, cmp_creator);
	if (found)
		return *found;
	if (w->n_creators == w->cap_creators) {
		size_t cap = w->cap_creators ? w->cap_creators * 2 : 16;
		Creator **g = realloc(w->creators, cap * sizeof(*g));
		if (!g)
			return NULL;
		w->creators = g;
		w->cap_creators = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->parent = TAKE_PTR(parent);
	if (!tsearch(c, &w->by_parent, cmp_creator)) {
		creator_free(c);
		return NULL;
	}
	w->creators[w->n_creators++] = c;
	return c;
}

/* ---- output ---- */

static void print_json(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		puts(s);
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

/* One "zombie" or "freed" event; @age < 0: unknown (from before the watch, at least -@age). */
static void print_event(const Watch *w, const char *what, uint64_t t_ns, const Tracked *t,
			double age)
{
	bool freed = strcmp(what, "freed") == 0;

	if (w->json) {
		_cleanup_free_ char *p = str_escape_utf8(t->path);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "time", json_fixed(rel_s(w, t_ns), 3));
		json_object_object_add(o, "event", json_object_new_string(what));
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(t->id));
		json_object_object_add(o, "path", json_object_new_string(p ? p : ""));
		json_object_object_add(o, "age_s", freed && age >= 0 ? json_fixed(age, 3) : NULL);
		json_object_object_add(o, "before_watch",
				       json_object_new_boolean(t->rmdir_ns == 0));
		if (freed && age < 0)
			json_object_object_add(o, "min_age_s", json_fixed(-age, 3));
		if (t->cut)
			json_object_object_add(o, "path_cut", json_object_new_boolean(true));
		print_json(o);
	} else {
		_cleanup_free_ char *p = str_escape_text(t->path);
		const char *cut = t->cut ? "..." : "";
		char a[32];
		if (!freed) {
			printf("+ %.3fs zombie %s%s (id %llu)\n", rel_s(w, t_ns), p ? p : "", cut,
			       (unsigned long long)t->id);
		} else if (age >= 0) {
			format_age(age, a, sizeof(a));
			printf("- %.3fs freed  %s%s after %s\n", rel_s(w, t_ns), p ? p : "", cut,
			       a);
		} else {
			format_age(-age, a, sizeof(a));
			printf("- %.3fs freed  %s%s (age unknown: before watch, over %s)\n",
			       rel_s(w, t_ns), p ? p : "", cut, a);
		}
	}
	fflush(stdout);
}

static int cmp_top(const void *a, const void *b)
{
	const Creator *x = *(Creator *const *)a, *y = *(Creator *const *)b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	if (x->alive != y->alive)
		return x->alive > y->alive ? -1 : 1;
	return strcmp(x->parent, y->parent);
}

static void print_summary(Watch *w, uint64_t t_ns, bool final, const struct zw_stats *st)
{
	size_t top = MIN(w->n_creators, (size_t)TOP_CREATORS);
	uint64_t alive = w->appeared - w->freed;
	double mean = w->freed ? w->age_sum_s / (double)w->freed : 0;

	if (w->n_creators)
		qsort(w->creators, w->n_creators, sizeof(*w->creators), cmp_top);
	if (w->json) {
		json_object *o = json_object_new_object(), *cr = json_object_new_array();
		json_object *bw = json_object_new_object();
		json_object_object_add(o, "time", json_fixed(rel_s(w, t_ns), 3));
		json_object_object_add(o, "event", json_object_new_string("summary"));
		json_object_object_add(o, "final", json_object_new_boolean(final));
		json_object_object_add(o, "zombies", json_object_new_uint64(w->appeared));
		json_object_object_add(o, "freed", json_object_new_uint64(w->freed));
		json_object_object_add(o, "alive", json_object_new_uint64(alive));
		json_object_object_add(o, "quick_deaths", json_object_new_uint64(w->quick));
		json_object_object_add(o, "quick_max_s",
				       w->quick ? json_fixed((double)w->quick_max_ns / 1e9, 3) :
						  NULL);
		json_object_object_add(o, "age_mean_s", w->freed ? json_fixed(mean, 3) : NULL);
		json_object_object_add(o, "age_max_s",
				       w->freed ? json_fixed(w->age_max_s, 3) : NULL);
		json_object_object_add(bw, "zombies",
				       w->before_known ? json_object_new_uint64(w->before) : NULL);
		json_object_object_add(bw, "freed", json_object_new_uint64(w->before_freed));
		json_object_object_add(o, "before_watch", bw);
		json_object_object_add(o, "lost_records", json_object_new_uint64(st->dropped));
		for (size_t i = 0; i < top; i++) {
			const Creator *c = w->creators[i];
			_cleanup_free_ char *p = str_escape_utf8(c->parent);
			json_object *e = json_object_new_object();
			json_object_object_add(e, "parent", json_object_new_string(p ? p : ""));
			json_object_object_add(e, "created", json_object_new_uint64(c->created));
			json_object_object_add(e, "alive", json_object_new_uint64(c->alive));
			json_object_array_add(cr, e);
		}
		json_object_object_add(o, "creators", cr);
		print_json(o);
		fflush(stdout);
		return;
	}
	if (!final) {
		printf("= %.3fs %llu zombies appeared, %llu alive; %llu quick deaths",
		       rel_s(w, t_ns), (unsigned long long)w->appeared, (unsigned long long)alive,
		       (unsigned long long)w->quick);
		if (w->before_known)
			printf("; %llu of %llu from before freed",
			       (unsigned long long)w->before_freed, (unsigned long long)w->before);
		if (top) {
			_cleanup_free_ char *p = str_escape_text(w->creators[0]->parent);
			printf("; most under %s: %llu (%llu alive)", p ? p : "",
			       (unsigned long long)w->creators[0]->created,
			       (unsigned long long)w->creators[0]->alive);
		}
		putchar('\n');
		fflush(stdout);
		return;
	}
	_cleanup_free_ char *sub = str_escape_text(w->subtree);
	char a[32], m[32];
	printf("\nWatched %.1f s below %s:\n", rel_s(w, t_ns), sub ? sub : "");
	printf("  zombies appeared  %6llu  (removed, still there %.1f s later)\n",
	       (unsigned long long)w->appeared, (double)GRACE_NS / 1e9);
	if (w->freed) {
		format_age(mean, a, sizeof(a));
		format_age(w->age_max_s, m, sizeof(m));
		printf("    freed since     %6llu  after %s on average, %s at most\n",
		       (unsigned long long)w->freed, a, m);
	} else {
		printf("    freed since     %6llu\n", (unsigned long long)w->freed);
	}
	printf("    still alive     %6llu\n", (unsigned long long)alive);
	printf("  quick deaths      %6llu  (freed within %.1f s of removal: never zombies)",
	       (unsigned long long)w->quick, (double)GRACE_NS / 1e9);
	if (w->quick)
		printf(", the slowest in %.0f ms", (double)w->quick_max_ns / 1e6);
	putchar('\n');
	if (w->before_known)
		printf("  before the watch  %6llu  zombies, %llu of them freed since\n",
		       (unsigned long long)w->before, (unsigned long long)w->before_freed);
	else
		printf("  before the watch       ?  zombies (no kernel view), %llu freed since\n",
		       (unsigned long long)w->before_freed);
	if (st->dropped)
		printf("  lost records      %6llu  (the ring buffer was full: counts are low)\n",
		       (unsigned long long)st->dropped);
	if (!top)
		return;
	printf("Top creators (zombies that appeared under each parent during the watch):\n");
	printf("  %7s %6s  %s\n", "CREATED", "ALIVE", "PARENT");
	for (size_t i = 0; i < top; i++) {
		_cleanup_free_ char *p = str_escape_text(w->creators[i]->parent);
		printf("  %7llu %6llu  %s\n", (unsigned long long)w->creators[i]->created,
		       (unsigned long long)w->creators[i]->alive, p ? p : "");
	}
	fflush(stdout);
}

/* ---- events ---- */

/* @t outlived its grace: it is a zombie. */
static int report_zombie(Watch *w, Tracked *t)
{
	t->creator = creator_get(w, t->path);
	if (!t->creator)
		return -ENOMEM;
	t->creator->created++;
	t->creator->alive++;
	t->reported = true;
	w->appeared++;
	print_event(w, "zombie", t->rmdir_ns, t, 0);
	return 0;
}

static int on_rmdir(Watch *w, const struct zw_event *e)
{
	Tracked *t;

	if (e->time_ns >= w->end_ns)
		return 0;
	if (e->flags & ZW_PATH_NONE) {
		if (strcmp(w->subtree, "/") != 0)
			return 0; /* cannot tell where it was */
	} else if (!under_subtree(w, e->path)) {
		return 0;
	}
	t = tracked_find(w, e->cgroup_id);
	if (t && t->rmdir_ns == 0) {
		/* Removed after the programs were attached, before the scan saw it dying. */
		w->before--;
	} else if (!t) {
		t = tracked_add(w, e->cgroup_id, (e->flags & ZW_PATH_NONE) ? "?" : e->path);
		if (!t)
			return -ENOMEM;
	} else {
		return 0; /* the same id twice: cannot happen, kernfs ids are not reused */
	}
	t->rmdir_ns = e->time_ns ? e->time_ns : 1;
	t->cut = e->flags & ZW_PATH_CUT;
	if (w->n_pending == w->cap_pending) {
		size_t cap = w->cap_pending ? w->cap_pending * 2 : 64;
		Tracked **g = realloc(w->pending, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		w->pending = g;
		w->cap_pending = cap;
	}
	w->pending[w->n_pending++] = t;
	return 0;
}

static int on_release(Watch *w, const struct zw_event *e)
{
	Tracked *t = tracked_find(w, e->cgroup_id);
	int r;

	if (!t)
		return 0; /* not removed during the watch, nor a zombie from before it here */
	if (t->rmdir_ns == 0) {
		w->before_freed++;
		print_event(w, "freed", e->time_ns, t, -rel_s(w, e->time_ns));
	} else if (!t->reported && e->time_ns - t->rmdir_ns < GRACE_NS) {
		w->quick++;
		w->quick_max_ns = MAX(w->quick_max_ns, e->time_ns - t->rmdir_ns);
	} else {
		/* A release read after its grace was over but before the drain that decides it. */
		if (!t->reported && (r = report_zombie(w, t)) < 0)
			return r;
		double age = (double)(e->time_ns - t->rmdir_ns) / 1e9;
		w->freed++;
		w->age_sum_s += age;
		w->age_max_s = MAX(w->age_max_s, age);
		t->creator->alive--;
		print_event(w, "freed", e->time_ns, t, age);
	}
	tracked_drop(w, t);
	return 0;
}

static int on_event(void *userdata, const struct zw_event *e)
{
	Watch *w = userdata;
	/* A negative return stops memcg_watch_consume(), which returns it. */
	return e->type == ZW_RMDIR ? on_rmdir(w, e) : e->type == ZW_RELEASE ? on_release(w, e) : 0;
}

/* Every removal whose grace ended before @horizon is a zombie (in order of removal). */
static int decide(Watch *w, uint64_t horizon)
{
	size_t keep = 0;
	int r = 0;

	for (size_t i = 0; i < w->n_pending; i++) {
		Tracked *t = w->pending[i];
		if (r == 0 && t->rmdir_ns + GRACE_NS + MARGIN_NS <= horizon)
			r = report_zombie(w, t);
		else
			w->pending[keep++] = t;
	}
	w->n_pending = keep;
	return r;
}

/* The zombies the scan found: freed later, of unknown age. */
static int add_before(Watch *w, const ZombieScan *z)
{
	for (size_t i = 0; i < z->n_nodes; i++) {
		const CgNode *n = &z->nodes[i];
		if (!n->dying || tracked_find(w, n->id))
			continue;
		if (!tracked_add(w, n->id, n->path ? n->path : "?"))
			return -ENOMEM;
		w->before++;
	}
	return 0;
}

static void print_start(Watch *w, const ZombieScan *z)
{
	uint64_t t = now_ns();
	_cleanup_free_ char *sub = NULL, *mnt = NULL;

	if (w->json) {
		json_object *o = json_object_new_object(), *h = json_object_new_object();
		sub = str_escape_utf8(w->subtree);
		mnt = str_escape_utf8(z->mount ? z->mount : "");
		json_object_object_add(o, "time", json_fixed(rel_s(w, t), 3));
		json_object_object_add(o, "event", json_object_new_string("start"));
		json_object_object_add(o, "subtree", json_object_new_string(sub ? sub : ""));
		json_object_object_add(h, "version", json_object_new_int(z->version));
		json_object_object_add(h, "mount", json_object_new_string(mnt ? mnt : ""));
		json_object_object_add(o, "hierarchy", h);
		json_object_object_add(o, "zombies_before",
				       w->before_known ? json_object_new_uint64(w->before) : NULL);
		json_object_object_add(o, "grace_s", json_fixed((double)GRACE_NS / 1e9, 3));
		print_json(o);
	} else {
		sub = str_escape_text(w->subtree);
		mnt = str_escape_text(z->mount ? z->mount : "");
		printf("Watching memory cgroups below %s (cgroup v%d at %s), %.3fs: ",
		       sub ? sub : "", z->version, mnt ? mnt : "", rel_s(w, t));
		if (w->before_known)
			printf("%llu zombies already there.\n", (unsigned long long)w->before);
		else
			printf("zombies already there unknown.\n");
		printf("A removed cgroup still there %.1f s later is a zombie.\n",
		       (double)GRACE_NS / 1e9);
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

static void watch_done(Watch *w)
{
	tdestroy(w->by_id, tracked_free);
	tdestroy(w->by_parent, creator_free);
	free(w->pending);
	free(w->creators);
	free(w->subtree);
}

int zombies_watch(const TableCli *t, const ZombieOptions *zo, double duration)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigset_t block, old_mask, wait_mask;
	Watch w = { .json = t->json, .end_ns = UINT64_MAX };
	MemcgWatch *mw = NULL;
	ZombieScan *z = NULL;
	ZombieOptions scan = *zo;
	struct zw_stats st;
	struct pollfd pfd = { .events = POLLIN };
	uint64_t end, next_summary, now;
	int r, rc = EXIT_ERROR;

	w.subtree = normalize_subtree(zo->subtree);
	if (!w.subtree)
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
	r = zo->no_bpf ? -EOPNOTSUPP : memcg_watch_new(on_event, &w, &mw);
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
	w.before_known = z->used_bpf;
	if (!z->used_bpf)
		fprintf(stderr, "residue: zombies from before the watch are unknown (%s)\n",
			z->bpf_error ? z->bpf_error : "no kernel view");
	if (add_before(&w, z) < 0)
		goto out;
	/* 0, or more than 30 years: until a signal. */
	w.end_ns = end =
		duration > 0 && duration < 1e9 ? w.t0_ns + (uint64_t)(duration * 1e9) : UINT64_MAX;
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
		uint64_t wake = MIN(end, next_summary);
		now = now_ns();
		if (stop_signal || now >= end)
			break;
		for (size_t i = 0; i < w.n_pending; i++)
			wake = MIN(wake, w.pending[i]->rmdir_ns + GRACE_NS + MARGIN_NS);
		uint64_t d = wake > now ? wake - now : 0;
		struct timespec ts = { .tv_sec = (time_t)(d / NSEC), .tv_nsec = (long)(d % NSEC) };
		if (ppoll(&pfd, 1, &ts, &wait_mask) < 0 && errno != EINTR) {
			fprintf(stderr, "residue: --watch: poll: %m\n");
			goto out;
		}
		now = now_ns();
		r = memcg_watch_consume(mw);
		if (r >= 0)
			r = decide(&w, now);
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
	w.end_ns = now = now_ns();
	for (r = memcg_watch_consume(mw); r >= 0 && w.n_pending;) {
		uint64_t last = 0, t_now = now_ns();
		for (size_t i = 0; i < w.n_pending; i++)
			last = MAX(last, w.pending[i]->rmdir_ns + GRACE_NS + MARGIN_NS);
		if (t_now < last) {
			struct timespec ts = { .tv_sec = (time_t)((last - t_now) / NSEC),
					       .tv_nsec = (long)((last - t_now) % NSEC) };
			nanosleep(&ts, NULL);
		}
		r = memcg_watch_consume(mw);
		if (r >= 0)
			r = decide(&w, now_ns());
	}
	if (r < 0) {
		fprintf(stderr, "residue: --watch: %s\n", strerror(-r));
		goto out;
	}
	memcg_watch_stats(mw, &st);
	print_summary(&w, now, true, &st);
	rc = t->check && w.appeared > w.freed ? EXIT_FINDINGS : 0;
out:
	memcg_watch_free(mw);
	zombie_scan_free(z);
	watch_done(&w);
	/* A second INT or TERM still pending goes to on_signal(), not to the default action. */
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
