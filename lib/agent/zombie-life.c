// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The zombie-lifetime state machine (zombie-life.h): removed cgroups are
 * tracked by id until they are freed or decided; a removal's grace ends
 * GRACE + MARGIN after it, in order of removal; parents count the zombies
 * that appeared under them.  A long-running agent sees parents come and go
 * (one per pod): those with no zombie alive are forgotten once there are
 * more than CREATORS_MAX, so memory stays bounded.
 */
#include "agent/zombie-life.h"

#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"

#define CREATORS_MAX 4096

/* A removed memory cgroup not yet freed. */
typedef struct Tracked {
	uint64_t id;
	uint64_t rmdir_ns; /* 0 for zombies from before the watch */
	char *path;
	bool cut; /* path cut at ZW_PATH_MAX */
	bool reported; /* its APPEARED event is out */
	ZombieCreator *creator;
} Tracked;

struct ZombieLife {
	zombie_life_fn fn;
	void *userdata;
	char *subtree; /* "/" or "/a/b", no trailing slash */
	uint64_t end_ns; /* removals after the end are not followed */
	void *by_id; /* tsearch tree of Tracked, by id */
	Tracked **pending; /* removed, not freed, grace not over: in order of removal */
	size_t n_pending, cap_pending;
	void *by_parent; /* tsearch tree of ZombieCreator, by parent path */
	ZombieCreator **creators;
	size_t n_creators, cap_creators;
	ZombieLifeStats st;
};

static int cmp_tracked(const void *a, const void *b)
{
	const Tracked *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_creator(const void *a, const void *b)
{
	return strcmp(((const ZombieCreator *)a)->parent, ((const ZombieCreator *)b)->parent);
}

static Tracked *tracked_find(ZombieLife *l, uint64_t id)
{
	Tracked key = { .id = id };
	Tracked **t = tfind(&key, &l->by_id, cmp_tracked);
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
	ZombieCreator *c = p;
	free(c->parent);
	free(c);
}

/* Forget @t: out of the tree and the pending list, freed. */
static void tracked_drop(ZombieLife *l, Tracked *t)
{
	for (size_t i = 0; i < l->n_pending; i++)
		if (l->pending[i] == t) {
			memmove(&l->pending[i], &l->pending[i + 1],
				(l->n_pending - i - 1) * sizeof(*l->pending));
			l->n_pending--;
			break;
		}
	tdelete(t, &l->by_id, cmp_tracked);
	tracked_free(t);
}

static Tracked *tracked_add(ZombieLife *l, uint64_t id, const char *path)
{
	Tracked *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->id = id;
	t->path = strdup(path);
	if (!t->path || !tsearch(t, &l->by_id, cmp_tracked)) {
		tracked_free(t);
		return NULL;
	}
	return t;
}

/* Is @path the subtree or below it? */
static bool under_subtree(const ZombieLife *l, const char *path)
{
	size_t n = strlen(l->subtree);
	if (strcmp(l->subtree, "/") == 0)
		return true;
	return strncmp(path, l->subtree, n) == 0 && (path[n] == '\0' || path[n] == '/');
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

/* Forget the parents no zombie is alive under, when there are too many. */
static void creators_trim(ZombieLife *l)
{
	size_t keep = 0;

	if (l->n_creators < CREATORS_MAX)
		return;
	for (size_t i = 0; i < l->n_creators; i++) {
		ZombieCreator *c = l->creators[i];
		if (c->alive) {
			l->creators[keep++] = c;
			continue;
		}
		tdelete(c, &l->by_parent, cmp_creator);
		creator_free(c);
	}
	l->n_creators = keep;
}

static ZombieCreator *creator_get(ZombieLife *l, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;
	_cleanup_free_ char *parent = strndup(path, n);
	ZombieCreator key = { .parent = parent }, **found, *c;

	if (!parent)
		return NULL;
	found = tfind(&key, &l->by_parent, cmp_creator);
	if (found)
		return *found;
	creators_trim(l);
	if (l->n_creators == l->cap_creators) {
		size_t cap = l->cap_creators ? l->cap_creators * 2 : 16;
		ZombieCreator **g = realloc(l->creators, cap * sizeof(*g));
		if (!g)
			return NULL;
		l->creators = g;
		l->cap_creators = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->parent = TAKE_PTR(parent);
	if (!tsearch(c, &l->by_parent, cmp_creator)) {
		creator_free(c);
		return NULL;
	}
	l->creators[l->n_creators++] = c;
	return c;
}

static int emit(ZombieLife *l, ZombieLifeEventType type, uint64_t t_ns, const Tracked *t,
		double age)
{
	ZombieLifeEvent e = {
		.type = type,
		.time_ns = t_ns,
		.cgroup_id = t->id,
		.path = t->path,
		.path_cut = t->cut,
		.before_watch = t->rmdir_ns == 0,
		.age_s = age,
	};
	return l->fn ? l->fn(l->userdata, &e) : 0;
}

/* @t outlived its grace: it is a zombie. */
static int report_zombie(ZombieLife *l, Tracked *t)
{
	t->creator = creator_get(l, t->path);
	if (!t->creator)
		return -ENOMEM;
	t->creator->created++;
	t->creator->alive++;
	t->reported = true;
	l->st.appeared++;
	return emit(l, ZOMBIE_APPEARED, t->rmdir_ns, t, 0);
}

static int on_rmdir(ZombieLife *l, const struct zw_event *e)
{
	Tracked *t;

	if (e->time_ns >= l->end_ns)
		return 0;
	if (e->flags & ZW_PATH_NONE) {
		if (strcmp(l->subtree, "/") != 0)
			return 0; /* cannot tell where it was */
	} else if (!under_subtree(l, e->path)) {
		return 0;
	}
	t = tracked_find(l, e->cgroup_id);
	if (t && t->rmdir_ns == 0) {
		/* Removed after the programs were attached, before the scan saw it dying. */
		l->st.before--;
	} else if (!t) {
		t = tracked_add(l, e->cgroup_id, (e->flags & ZW_PATH_NONE) ? "?" : e->path);
		if (!t)
			return -ENOMEM;
	} else {
		return 0; /* the same id twice: cannot happen, kernfs ids are not reused */
	}
	t->rmdir_ns = e->time_ns ? e->time_ns : 1;
	t->cut = e->flags & ZW_PATH_CUT;
	if (l->n_pending == l->cap_pending) {
		size_t cap = l->cap_pending ? l->cap_pending * 2 : 64;
		Tracked **g = realloc(l->pending, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		l->pending = g;
		l->cap_pending = cap;
	}
	l->pending[l->n_pending++] = t;
	return 0;
}

static int on_release(ZombieLife *l, const struct zw_event *e)
{
	Tracked *t = tracked_find(l, e->cgroup_id);
	int r = 0;

	if (!t)
		return 0; /* not removed during the watch, nor a zombie from before it here */
	if (t->rmdir_ns == 0) {
		l->st.before_freed++;
		/* The watch's age is a lower bound of this one's: the caller knows it. */
		r = emit(l, ZOMBIE_FREED, e->time_ns, t, -1);
	} else if (!t->reported && e->time_ns - t->rmdir_ns < ZOMBIE_GRACE_NS) {
		l->st.quick++;
		l->st.quick_max_ns = MAX(l->st.quick_max_ns, e->time_ns - t->rmdir_ns);
	} else {
		/* A release read after its grace was over but before the drain that decides it. */
		if (!t->reported && (r = report_zombie(l, t)) < 0)
			return r;
		double age = (double)(e->time_ns - t->rmdir_ns) / 1e9;
		l->st.freed++;
		l->st.age_sum_s += age;
		l->st.age_max_s = MAX(l->st.age_max_s, age);
		t->creator->alive--;
		r = emit(l, ZOMBIE_FREED, e->time_ns, t, age);
	}
	tracked_drop(l, t);
	return r;
}

int zombie_life_record(ZombieLife *l, const struct zw_event *e)
{
	return e->type == ZW_RMDIR ? on_rmdir(l, e) : e->type == ZW_RELEASE ? on_release(l, e) : 0;
}

int zombie_life_decide(ZombieLife *l, uint64_t now_ns)
{
	size_t keep = 0;
	int r = 0;

	for (size_t i = 0; i < l->n_pending; i++) {
		Tracked *t = l->pending[i];
		if (r == 0 && t->rmdir_ns + ZOMBIE_GRACE_NS + ZOMBIE_MARGIN_NS <= now_ns)
			r = report_zombie(l, t);
		else
			l->pending[keep++] = t;
	}
	l->n_pending = keep;
	return r;
}

uint64_t zombie_life_next_deadline(const ZombieLife *l)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < l->n_pending; i++)
		d = MIN(d, l->pending[i]->rmdir_ns + ZOMBIE_GRACE_NS + ZOMBIE_MARGIN_NS);
	return d;
}

uint64_t zombie_life_last_deadline(const ZombieLife *l)
{
	uint64_t d = 0;
	for (size_t i = 0; i < l->n_pending; i++)
		d = MAX(d, l->pending[i]->rmdir_ns + ZOMBIE_GRACE_NS + ZOMBIE_MARGIN_NS);
	return d;
}

void zombie_life_set_end(ZombieLife *l, uint64_t end_ns)
{
	l->end_ns = end_ns;
}

int zombie_life_add_before(ZombieLife *l, const ZombieScan *z)
{
	l->st.before_known = z->used_bpf;
	for (size_t i = 0; i < z->n_nodes; i++) {
		const CgNode *n = &z->nodes[i];
		if (!n->dying || tracked_find(l, n->id))
			continue;
		if (!tracked_add(l, n->id, n->path ? n->path : "?"))
			return -ENOMEM;
		l->st.before++;
	}
	return 0;
}

const ZombieLifeStats *zombie_life_stats(const ZombieLife *l)
{
	return &l->st;
}

const char *zombie_life_subtree(const ZombieLife *l)
{
	return l->subtree;
}

static int cmp_top(const void *a, const void *b)
{
	const ZombieCreator *x = *(ZombieCreator *const *)a, *y = *(ZombieCreator *const *)b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	if (x->alive != y->alive)
		return x->alive > y->alive ? -1 : 1;
	return strcmp(x->parent, y->parent);
}

size_t zombie_life_top(ZombieLife *l, const ZombieCreator *ret[], size_t max)
{
	size_t n = MIN(l->n_creators, max);
	if (l->n_creators)
		qsort(l->creators, l->n_creators, sizeof(*l->creators), cmp_top);
	for (size_t i = 0; i < n; i++)
		ret[i] = l->creators[i];
	return n;
}

int zombie_life_new(const char *subtree, zombie_life_fn fn, void *userdata, ZombieLife **ret)
{
	ZombieLife *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fn = fn;
	l->userdata = userdata;
	l->end_ns = UINT64_MAX;
	l->subtree = normalize_subtree(subtree);
	if (!l->subtree) {
		free(l);
		return -ENOMEM;
	}
	*ret = l;
	return 0;
}

ZombieLife *zombie_life_free(ZombieLife *l)
{
	if (!l)
		return NULL;
	tdestroy(l->by_id, tracked_free);
	tdestroy(l->by_parent, creator_free);
	free(l->pending);
	free(l->creators);
	free(l->subtree);
	free(l);
	return NULL;
}
