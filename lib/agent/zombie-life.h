/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lives of zombie memory cgroups, judged from the kernel's removal and
 * release records (bpf/memcg-watch): one state machine that `residue
 * zombies --watch`, `residue watch` and `residue serve` share.
 *
 * The rule: a removed cgroup is a zombie when it is still there GRACE
 * (0.5 s, by the kernel's clock) after its removal.  An empty cgroup is
 * freed soon after rmdir, after RCU grace periods and two trips through a
 * workqueue (measured on 2 CPUs: about 50 ms idle, up to 260 ms with both
 * CPUs busy); those are counted as quick deaths, with the slowest one's
 * time, and never reported.  A "freed" event gives the zombie's age, rmdir
 * to release.  Zombies from before the watch are known from one scan (the
 * kernel view, made after the programs are attached, so none falls between
 * the two): when they are freed their age is unknown, only that it is more
 * than the watch's age.  Releases of cgroups neither seen removed nor found
 * by that scan (outside the subtree, or removed and freed around the start)
 * are not reported.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/memcg-watch.h"
#include "model/memcg.h"

#define ZOMBIE_GRACE_NS (1000000000ULL / 2)
/*
 * A record is written a few microseconds after the time it carries: a
 * removal is decided only once its grace has passed by this much before a
 * drain of the ring, so its release, if it came in time, was read first.
 */
#define ZOMBIE_MARGIN_NS (1000000000ULL / 20)

typedef enum ZombieLifeEventType {
	ZOMBIE_APPEARED, /* still there GRACE after its removal */
	ZOMBIE_FREED,
} ZombieLifeEventType;

typedef struct ZombieLifeEvent {
	ZombieLifeEventType type;
	uint64_t time_ns; /* CLOCK_MONOTONIC: the removal (APPEARED) or the release (FREED) */
	uint64_t cgroup_id;
	const char *path; /* from the hierarchy's root; "?" when the record had none */
	bool path_cut; /* longer than the record holds */
	bool before_watch; /* a zombie the first scan found */
	double age_s; /* FREED: rmdir to release; < 0 unknown (from before the watch) */
} ZombieLifeEvent;

/* A parent cgroup zombies appeared under. */
typedef struct ZombieCreator {
	char *parent;
	uint64_t created, alive;
} ZombieCreator;

typedef struct ZombieLifeStats {
	uint64_t appeared, freed, quick;
	double age_sum_s, age_max_s;
	uint64_t quick_max_ns; /* the slowest quick death: how near the rule is to its limit */
	bool before_known;
	uint64_t before, before_freed;
} ZombieLifeStats;

typedef struct ZombieLife ZombieLife;

/* An event; a negative return stops the call that produced it and is returned by it. */
typedef int (*zombie_life_fn)(void *userdata, const ZombieLifeEvent *e);

/* Follow cgroups below @subtree ("/" or NULL for all). */
int zombie_life_new(const char *subtree, zombie_life_fn fn, void *userdata, ZombieLife **ret);
ZombieLife *zombie_life_free(ZombieLife *l);

/* "/" or "/a/b": the subtree followed, normalized. */
const char *zombie_life_subtree(const ZombieLife *l);

/* The zombies a scan found (kernel view): freed later, of unknown age.  Sets before_known. */
int zombie_life_add_before(ZombieLife *l, const ZombieScan *z);

/* One record of the ring buffer, as memcg_watch_consume() hands it over. */
int zombie_life_record(ZombieLife *l, const struct zw_event *e);

/* Every removal whose grace ended before @now_ns is a zombie (in order of removal). */
int zombie_life_decide(ZombieLife *l, uint64_t now_ns);

/* When the next pending removal can be decided; UINT64_MAX when none is pending. */
uint64_t zombie_life_next_deadline(const ZombieLife *l);

/* When the last pending removal can be decided; 0 when none is pending. */
uint64_t zombie_life_last_deadline(const ZombieLife *l);

/* Removals after @end_ns are not followed (the end of a watch). */
void zombie_life_set_end(ZombieLife *l, uint64_t end_ns);

const ZombieLifeStats *zombie_life_stats(const ZombieLife *l);

/* The parents the most zombies appeared under, most first: up to @max of them. */
size_t zombie_life_top(ZombieLife *l, const ZombieCreator *ret[], size_t max);
