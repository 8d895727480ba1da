// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The zombie analyzer and renderer on a hand-built scan: a live parent with
 * a zombie that has a dying child of its own (usage is hierarchical, so
 * each zombie's own charge is its usage minus its dying children's), one
 * more zombie pinned by tmpfs data, pins that are reachable, unreachable,
 * dirty; what --release would do with each; the kernel-memory estimate;
 * the merge of nodes by id; the JSON keys docs/JSON.md promises; and the
 * gaps that say what the kernel view's full BPF maps could not hold.
 */
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "analyze/zombies.h"
#include "bpf/memcg-decode.h"
#include "render/render.h"
#include "snapshot-fixtures.h"

static CachePin *pin(ZombieScan *z, uint64_t id, uint64_t ino, uint64_t pages, const char *path,
		     const char *rel, uint64_t magic)
{
	CachePin *p = zombie_scan_add_pin(z);
	if (!p)
		abort();
	p->node = (uint32_t)zombie_scan_index(z, id);
	p->dev = makedev(254, 0);
	p->ino = ino;
	p->pages = pages;
	p->nlink = 1;
	p->fs_magic = magic;
	p->path = path ? strdup(path) : NULL;
	p->rel_path = rel ? strdup(rel) : NULL;
	return p;
}

#define EXT4 0xEF53
#define TMPFS 0x01021994

/* / (live) -> /a (live) -> z1 (dying, 300 pages) -> z2 (dying, 100); /a -> z3 (dying, 50). */
static ZombieScan *fixture(void)
{
	ZombieScan *z = zombie_scan_new();
	if (!z || !(z->mount = strdup("/sys/fs/cgroup/memory")) || !(z->subtree = strdup("/")))
		abort();
	z->version = 1;
	z->nr_cpus = 4;
	z->nr_nodes = 1;
	z->used_bpf = true;
	/* Out of order on purpose: the BPF merge appends dying nodes after the live ones. */
	fx_cg_node(z, 1, 0, "/", false, 1000);
	fx_cg_node(z, 10, 1, "/a", false, 600);
	fx_cg_node(z, 12, 11, "/a/z1/z2", true, 100);
	fx_cg_node(z, 11, 10, "/a/z1", true, 300);
	fx_cg_node(z, 13, 10, "/a/z3", true, 50);
	if (zombie_scan_link(z) < 0)
		abort();
	pin(z, 11, 100, 150, "/var/lib/x/log", "/lib/x/log", EXT4)->dirty_pages = 10;
	pin(z, 11, 101, 40, "/var/lib/x/db", "/lib/x/db", EXT4);
	pin(z, 12, 102, 100, NULL, "/other/ns/file", EXT4);
	pin(z, 13, 103, 50, NULL, "/run/data", TMPFS);
	z->nr_zombies = 3;
	z->count_source = ZC_BPF;
	z->nr_live = 2;
	if (analyze_zombies(z) < 0)
		abort();
	return z;
}

static void test_link(void)
{
	ZombieScan *z = fixture();
	int32_t a = zombie_scan_index(z, 10), z1 = zombie_scan_index(z, 11),
		z2 = zombie_scan_index(z, 12);
	CHECK(a >= 0 && z1 >= 0 && z2 >= 0);
	CHECK_EQ_INT(z->nodes[z2].parent, z1);
	CHECK_EQ_INT(z->nodes[z1].parent, a);
	CHECK_EQ_INT(z->nodes[0].parent, -1);
	CHECK_EQ_INT(zombie_scan_index(z, 999), -1);
	/* Children in node order: z2's parent z1 has one child; /a has z1 then z3. */
	CHECK_EQ_INT(z->nodes[a].first_child, z1);
	CHECK_EQ_INT(z->nodes[z1].next_sibling, zombie_scan_index(z, 13));
	zombie_scan_free(z);
}

static void test_own_pages(void)
{
	ZombieScan *z = fixture();
	CHECK_EQ_U64(zombie_own_pages(z, (size_t)zombie_scan_index(z, 11)), 200);
	CHECK_EQ_U64(zombie_own_pages(z, (size_t)zombie_scan_index(z, 12)), 100);
	CHECK_EQ_U64(zombie_own_pages(z, (size_t)zombie_scan_index(z, 13)), 50);
	/* A zombie's live parent skips dying ancestors. */
	CHECK_EQ_INT(zombie_live_parent(z, (size_t)zombie_scan_index(z, 12)),
		     zombie_scan_index(z, 10));
	zombie_scan_free(z);
}

static void test_aggregates(void)
{
	ZombieScan *z = fixture();
	const CgNode *a = &z->nodes[zombie_scan_index(z, 10)];
	const CgNode *z1 = &z->nodes[zombie_scan_index(z, 11)];
	CHECK_EQ_U64(a->zombies_below, 3);
	CHECK_EQ_U64(a->zombie_pages_below, 350);
	CHECK_EQ_U64(z->nodes[0].zombies_below, 0);
	CHECK_EQ_U64(z1->n_pins, 2);
	CHECK_EQ_U64(z1->cache_pages, 190);
	CHECK_EQ_U64(z1->dirty_pages, 10);
	/* Pins sorted by zombie, then bytes: z1's largest first. */
	CHECK_EQ_U64(z->pins[z1->first_pin].ino, 100);
	CHECK_EQ_U64(z->pins[z1->first_pin + 1].ino, 101);
	zombie_scan_free(z);
}

static void test_actions(void)
{
	ZombieScan *z = fixture();
	for (size_t k = 0; k < z->n_pins; k++) {
		const CachePin *p = &z->pins[k];
		PinAction want = p->ino == 100 ? PIN_SYNC_DROP :
				 p->ino == 101 ? PIN_DROP :
				 p->ino == 102 ? PIN_UNREACHABLE :
						 PIN_SHMEM;
		CHECK_EQ_INT(pin_action(p), want);
	}
	CHECK_STREQ(pin_action_to_string(PIN_SYNC_DROP), "sync+drop");
	CHECK_STREQ(pin_action_to_string(PIN_SHMEM), "shmem");
	zombie_scan_free(z);
}

/* Which zombies --release frees: a zombie goes with all its pins and all its dying children. */
static uint64_t predict(const ZombieScan *z, bool pageout, bool *goes)
{
	bool pin_goes[8] = { false };
	for (size_t k = 0; k < z->n_pins && k < 8; k++) {
		PinAction a = pin_action_for(&z->pins[k], pageout);
		pin_goes[k] = a == PIN_DROP || a == PIN_SYNC_DROP || a == PIN_PAGEOUT;
	}
	return zombies_predict_freed(z, pin_goes, goes);
}

static CachePin *pin_of(ZombieScan *z, uint64_t ino)
{
	for (size_t k = 0; k < z->n_pins; k++)
		if (z->pins[k].ino == ino)
			return &z->pins[k];
	abort();
}

static void test_predict(void)
{
	ZombieScan *z = fixture();
	bool goes[8];
	int32_t z1 = zombie_scan_index(z, 11), z2 = zombie_scan_index(z, 12),
		z3 = zombie_scan_index(z, 13), a = zombie_scan_index(z, 10);
	/* z2's file is unreachable, so z2 stays, and holds its parent z1; z3 is tmpfs. */
	CHECK_EQ_U64(predict(z, false, goes), 0);
	CHECK(!goes[z1] && !goes[z2] && !goes[z3] && !goes[a]);
	/* Reachable: z2 goes, then z1 with it. */
	pin_of(z, 102)->path = strdup("/other/ns/file");
	CHECK_EQ_U64(predict(z, false, goes), 2);
	CHECK(goes[z1] && goes[z2] && !goes[z3] && !goes[a]);
	/* A page of z1's log mapped by a live process: fadvise cannot drop it. */
	pin_of(z, 100)->mapped_pages = 1;
	CHECK_EQ_INT(pin_action(pin_of(z, 100)), PIN_MAPPED);
	CHECK_EQ_U64(predict(z, false, goes), 1);
	CHECK(!goes[z1] && goes[z2]);
	/* --pageout-mapped pages it out first... */
	CHECK_EQ_INT(pin_action_for(pin_of(z, 100), true), PIN_PAGEOUT);
	CHECK_EQ_U64(predict(z, true, goes), 2);
	/* ...unless it is mapped twice, which MADV_PAGEOUT skips. */
	pin_of(z, 100)->mapped_shared_pages = 1;
	CHECK_EQ_INT(pin_action_for(pin_of(z, 100), true), PIN_MAPPED);
	CHECK_EQ_U64(predict(z, true, goes), 1);
	/* Memory its files do not explain (anon): z1 does not go even with all files dropped. */
	pin_of(z, 100)->mapped_pages = pin_of(z, 100)->mapped_shared_pages = 0;
	z->nodes[z1].usage_pages = 100 + 190 + 190 / 16 + 65;
	CHECK_EQ_U64(predict(z, false, goes), 1);
	CHECK(!goes[z1] && goes[z2]);
	CHECK_STREQ(pin_action_to_string(PIN_MAPPED), "keep-mapped");
	zombie_scan_free(z);
}

/* The model of docs/ZOMBIE-COST.md, with this machine's figures: 2 CPUs, 1 node, map 99456. */
static void test_kmem(void)
{
	/* 9800 + 1564*2 + (1536 + 528*2 + kmalloc(24 + 8*1554) = 16384 + 1024*1554) */
	CHECK_EQ_U64(memcg_kmem_estimate(2, 1, 99456), 1623200);
	/* No map known: a lower bound without it. */
	CHECK_EQ_U64(memcg_kmem_estimate(1, 1, -1), 9800 + 1564 + 1536 + 528);
	/* A second node repeats the per-node part. */
	CHECK_EQ_U64(memcg_kmem_estimate(2, 2, 99456) - memcg_kmem_estimate(2, 1, 99456),
		     1536 + 528 * 2 + 16384 + 1024 * 1554);
	/* 256 CPUs, small map (one unit): the seed article's ~400 KB scale. */
	uint64_t big = memcg_kmem_estimate(256, 1, 64);
	CHECK(big > 500 * 1024 && big < 600 * 1024);
	CHECK_EQ_U64(memcg_kmem_estimate(0, 0, 0), memcg_kmem_estimate(1, 1, 0));
}

static void test_json(void)
{
	ZombieScan *z = fixture();
	json_object *o = render_zombies_json(z, 0);
	static const char *const keys[] = { "hierarchy",     "count",	    "stuck_bytes",
					    "kernel_memory", "kernel_view", "parents",
					    "zombies",	     "files",	    "gaps" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(json_object_object_get_ex(o, keys[i], NULL));
	/* Every kernel_view key of docs/JSON.md, present (values may be null). */
	static const char *const kv_keys[] = {
		"used",	  "error",    "method",	 "lru_fallback", "memcgs",  "superblocks", "inodes",
		"folios", "rejected", "dropped", "complete",	 "walk_ms", "files_age_s"
	};
	json_object *kv = NULL;
	CHECK(json_object_object_get_ex(o, "kernel_view", &kv));
	for (size_t i = 0; kv && i < sizeof(kv_keys) / sizeof(kv_keys[0]); i++)
		if (!CHECK(json_object_object_get_ex(kv, kv_keys[i], NULL)))
			printf("#   kernel_view.%s is missing\n", kv_keys[i]);
	CHECK_EQ_U64(json_object_object_length(kv), sizeof(kv_keys) / sizeof(kv_keys[0]));
	json_object *zs, *fs, *ps, *first;
	CHECK(json_object_object_get_ex(o, "zombies", &zs) && json_object_array_length(zs) == 3);
	CHECK(json_object_object_get_ex(o, "files", &fs) && json_object_array_length(fs) == 4);
	CHECK(json_object_object_get_ex(o, "parents", &ps) && json_object_array_length(ps) == 1);
	first = json_object_array_get_idx(ps, 0);
	CHECK_STREQ(json_object_get_string(json_object_object_get(first, "path")), "/a");
	CHECK_EQ_U64(json_object_get_uint64(json_object_object_get(first, "zombies")), 3);
	CHECK_EQ_U64(json_object_get_uint64(json_object_object_get(first, "charged_bytes")),
		     350 * 4096);
	/* stuck_bytes unknown is null, not 0 */
	CHECK(json_object_object_get(o, "stuck_bytes") == NULL);
	json_object_put(o);
	zombie_scan_free(z);
}

/* kernel_view.method says which walk found the files, and lru_fallback why not the LRU walk. */
static void test_json_walk_method(void)
{
	ZombieScan *z = fixture();
	json_object *o, *kv;

	o = render_zombies_json(z, 0);
	CHECK(json_object_object_get_ex(o, "kernel_view", &kv));
	CHECK(json_object_object_get(kv, "method") == NULL); /* no walk: null */
	CHECK(json_object_object_get(kv, "files_age_s") == NULL);
	json_object_put(o);

	z->walk.method = ZW_LRU;
	z->walk.memcgs = 3;
	o = render_zombies_json(z, 0);
	CHECK(json_object_object_get_ex(o, "kernel_view", &kv));
	CHECK_STREQ(json_object_get_string(json_object_object_get(kv, "method")), "lru");
	CHECK(json_object_object_get(kv, "lru_fallback") == NULL);
	CHECK_EQ_U64(json_object_get_uint64(json_object_object_get(kv, "memcgs")), 3);
	/* A walk made now, whichever: age 0, even with no superblock or inode visited. */
	CHECK(json_object_object_get(kv, "files_age_s") != NULL);
	json_object_put(o);

	z->walk.method = ZW_INODES;
	z->walk.fallback = "multi-gen LRU is on";
	o = render_zombies_json(z, 0);
	CHECK(json_object_object_get_ex(o, "kernel_view", &kv));
	CHECK_STREQ(json_object_get_string(json_object_object_get(kv, "method")), "inodes");
	CHECK_STREQ(json_object_get_string(json_object_object_get(kv, "lru_fallback")),
		    "multi-gen LRU is on");
	json_object_put(o);
	zombie_scan_free(z);
}

static void test_table(void)
{
	ZombieScan *z = fixture();
	TableOptions to = { .raw = true, .termwidth = 200 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	columns_default_in(&zombie_file_column_set, to.cols, 64, &to.n_cols);
	CHECK_EQ_INT(render_zombies_table(z, ZV_FILES, &to, f), 0);
	fclose(f);
	CHECK(strstr(buf, "/a/z1 600K 40K sync+drop /var/lib/x/log") != NULL);
	CHECK(strstr(buf, "/a/z1/z2 400K 0B unreachable [254:0]:/other/ns/file") != NULL);
	CHECK(strstr(buf, "/a/z3 200K 0B shmem [254:0]:/run/data") != NULL);
	free(buf);
	zombie_scan_free(z);
}

/* A full BPF map or a walk cut short is a gap the user sees, with how much was lost. */
static void test_walk_gaps(void)
{
	ZombieScan *z = fixture();
	z->tree_complete = true;
	z->walk.complete = true;
	CHECK_EQ_INT(memcg_tree_gaps(z), 0);
	CHECK_EQ_INT(memcg_walk_gaps(z), 0);
	CHECK_EQ_U64(z->n_gaps, 0);

	z->tree_seen = 70000;
	z->tree_dropped = 70000 - (1 << 16);
	z->walk.pins_dropped = 5;
	z->walk.dentries_dropped = 2;
	z->walk.names_stale = 3;
	z->walk.complete = false;
	CHECK_EQ_INT(memcg_tree_gaps(z), 0);
	CHECK_EQ_INT(memcg_walk_gaps(z), 0);
	CHECK_EQ_U64(z->n_gaps, 5);
	CHECK_STREQ(z->gaps[0].what, "kernel view: 4464 of 70000 memory cgroups not recorded, "
				     "BPF map memcgs full (65536): zombies missing");
	CHECK_EQ_U64(z->gaps[0].count, 4464);
	CHECK(strstr(z->gaps[1].what, "5 files pinning zombie memory cgroups not recorded"));
	CHECK_EQ_U64(z->gaps[1].count, 5);
	CHECK(strstr(z->gaps[2].what, "BPF map dentries full (65536)"));
	CHECK(strstr(z->gaps[3].what, "3 files pinning zombie memory cgroups lost their dentry") &&
	      z->gaps[3].err == ESTALE && z->gaps[3].count == 3);
	CHECK(strstr(z->gaps[4].what, "page-cache walk") && z->gaps[4].err == E2BIG);
	/* Again (the agent reusing that walk in the same report): no second gap. */
	CHECK_EQ_INT(memcg_walk_gaps(z), 0);
	CHECK_EQ_U64(z->n_gaps, 5);
	CHECK_EQ_U64(z->gaps[1].count, 5);

	json_object *o = render_zombies_json(z, 0);
	json_object *gaps = NULL, *g0 = NULL, *cnt = NULL;
	CHECK(json_object_object_get_ex(o, "gaps", &gaps) && json_object_array_length(gaps) == 5);
	g0 = gaps ? json_object_array_get_idx(gaps, 0) : NULL;
	CHECK(g0 && json_object_object_get_ex(g0, "count", &cnt) &&
	      json_object_get_int64(cnt) == 4464);
	json_object_put(o);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	render_gap_list_text(z->gaps, z->n_gaps, f);
	fclose(f);
	CHECK(buf && strstr(buf, "gap: kernel view: 4464 of 70000 memory cgroups not recorded"));
	CHECK(buf && strstr(buf, "(4464 times)"));
	free(buf);

	/* The css tree walk that did not reach its end. */
	ZombieScan *y = fixture();
	y->tree_complete = false;
	CHECK_EQ_INT(memcg_tree_gaps(y), 0);
	CHECK(y->n_gaps == 1 && strstr(y->gaps[0].what, "tree stopped before its end"));
	zombie_scan_free(y);
	zombie_scan_free(z);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_link);
	RUN(test_own_pages);
	RUN(test_aggregates);
	RUN(test_actions);
	RUN(test_predict);
	RUN(test_kmem);
	RUN(test_json);
	RUN(test_json_walk_method);
	RUN(test_table);
	RUN(test_walk_gaps);
	return tap_done();
}
