// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Output of residue zombies: three tables (zombies, the live parents they
 * die under, the files that pin them), a text summary, and one JSON object
 * (docs/JSON.md).
 */
#include <errno.h>
#include <libsmartcols.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "analyze/zombies.h"
#include "base/container-id.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

#define BDEVFS_MAGIC 0x62646576 /* a block device's own inode: its page cache is the buffer cache */

static const ColumnInfo zombie_columns[_ZCOL_MAX] = {
	[ZCOL_ID] = { "ID", 10, SCOLS_FL_RIGHT,
		      "cgroup id (the removed directory's inode number)" },
	[ZCOL_PATH] = { "CGROUP", 0.4, SCOLS_FL_TRUNC, "path the cgroup had, in its hierarchy" },
	[ZCOL_PARENT] = { "PARENT", 0.2, SCOLS_FL_TRUNC, "nearest live ancestor" },
	[ZCOL_CONTAINER] = { "CONTAINER", 0.2, SCOLS_FL_TRUNC,
			     "container, pod or unit the path names" },
	[ZCOL_CHARGED] = { "CHARGED", 7, SCOLS_FL_RIGHT,
			   "memory still charged to it (not to its dying children)" },
	[ZCOL_CACHE] = { "CACHE", 7, SCOLS_FL_RIGHT, "of that, page cache found in files" },
	[ZCOL_DIRTY] = { "DIRTY", 6, SCOLS_FL_RIGHT, "of that, dirty or under writeback" },
	[ZCOL_FILES] = { "FILES", 5, SCOLS_FL_RIGHT, "files whose page cache pins it" },
	[ZCOL_TOPFILE] = { "TOP-FILE", 0.3, SCOLS_FL_TRUNC,
			   "the file that pins most of it (path here, else from its fs root)" },
};
static const int zombie_defaults[] = { ZCOL_ID,	   ZCOL_PATH,  ZCOL_CHARGED,
				       ZCOL_CACHE, ZCOL_FILES, ZCOL_TOPFILE };
const ColumnSet zombie_column_set = { zombie_columns, _ZCOL_MAX, zombie_defaults,
				      ARRAY_SIZE(zombie_defaults) };

static const ColumnInfo parent_columns[_PCOL_MAX] = {
	[PCOL_PATH] = { "PARENT", 0.5, SCOLS_FL_TRUNC, "live cgroup that zombies died under" },
	[PCOL_CONTAINER] = { "CONTAINER", 0.2, SCOLS_FL_TRUNC,
			     "container, pod or unit the path names" },
	[PCOL_ZOMBIES] = { "ZOMBIES", 7, SCOLS_FL_RIGHT, "dying memory cgroups below it" },
	[PCOL_BYTES] = { "BYTES", 7, SCOLS_FL_RIGHT,
			 "page cache still charged to them, from memory.stat" },
	[PCOL_KERNEL] = { "CHARGED", 7, SCOLS_FL_RIGHT,
			  "memory charged to them, from the kernel view" },
};
static const int parent_defaults[] = { PCOL_PATH, PCOL_CONTAINER, PCOL_ZOMBIES, PCOL_BYTES,
				       PCOL_KERNEL };
const ColumnSet parent_column_set = { parent_columns, _PCOL_MAX, parent_defaults,
				      ARRAY_SIZE(parent_defaults) };

static const ColumnInfo file_columns[_FCOL_MAX] = {
	[FCOL_ZOMBIE] = { "CGROUP", 0.3, SCOLS_FL_TRUNC, "the zombie's path" },
	[FCOL_ID] = { "ID", 10, SCOLS_FL_RIGHT, "the zombie's cgroup id" },
	[FCOL_DEV] = { "DEV", 6, 0, "device of the file's filesystem" },
	[FCOL_INODE] = { "INODE", 8, SCOLS_FL_RIGHT, "inode number" },
	[FCOL_BYTES] = { "BYTES", 7, SCOLS_FL_RIGHT, "its page cache charged to the zombie" },
	[FCOL_DIRTY] = { "DIRTY", 6, SCOLS_FL_RIGHT, "of that, dirty or under writeback" },
	[FCOL_CACHED] = { "CACHED", 7, SCOLS_FL_RIGHT, "the file's whole page cache" },
	[FCOL_ACTION] = { "RELEASE", 11, 0,
			  "what --release does: drop, sync+drop, unreachable, shmem" },
	[FCOL_FILE] = { "FILE", 0.4, SCOLS_FL_TRUNC,
			"path here; else [dev]:path from its filesystem's root" },
};
static const int file_defaults[] = { FCOL_ZOMBIE, FCOL_BYTES, FCOL_DIRTY, FCOL_ACTION, FCOL_FILE };
const ColumnSet zombie_file_column_set = { file_columns, _FCOL_MAX, file_defaults,
					   ARRAY_SIZE(file_defaults) };

static const char *fmt_bytes(uint64_t b, bool exact, char *buf, size_t size)
{
	if (b == ZS_UNKNOWN)
		return "?";
	format_bytes(b, exact, buf, size);
	return buf;
}

/* A pin's name: its path here, else "[dev]:/path/in/fs", else "[dev]:inode N". */
static const char *pin_name(const CachePin *p, char *buf, size_t size)
{
	char dev[32];
	if (p->path)
		return p->path;
	if (p->fs_magic == BDEVFS_MAGIC) {
		/* A block device's own page cache (a filesystem's metadata); its inode is its dev_t. */
		snprintf(buf, size, "block device %llu:%llu (buffer cache)",
			 (unsigned long long)(p->ino >> 20),
			 (unsigned long long)(p->ino & 0xfffff));
		return buf;
	}
	format_dev(p->dev, dev, sizeof(dev));
	if (p->rel_path)
		snprintf(buf, size, "[%s]:%s%s", dev, p->rel_path, p->nlink ? "" : " (deleted)");
	else
		snprintf(buf, size, "[%s]:inode %llu", dev, (unsigned long long)p->ino);
	return buf;
}

static const char *container_of_path(const char *path, char *buf, size_t size)
{
	ContainerId c;
	if (!path || container_id_parse(path, strlen(path), &c) < 0)
		return "";
	return container_id_short(&c, buf, size);
}

#define PAGE 4096ULL

static const char *zombie_cell(const ZombieScan *z, size_t i, int col, bool exact, char *buf,
			       size_t size)
{
	const CgNode *n = &z->nodes[i];
	int32_t p;

	switch (col) {
	case ZCOL_ID:
		snprintf(buf, size, "%llu", (unsigned long long)n->id);
		return buf;
	case ZCOL_PATH:
		return n->path;
	case ZCOL_PARENT:
		p = zombie_live_parent(z, i);
		return p >= 0 ? z->nodes[p].path : "";
	case ZCOL_CONTAINER:
		return container_of_path(n->path, buf, size);
	case ZCOL_CHARGED:
		return fmt_bytes(zombie_own_pages(z, i) * PAGE, exact, buf, size);
	case ZCOL_CACHE:
		return fmt_bytes(n->cache_pages * PAGE, exact, buf, size);
	case ZCOL_DIRTY:
		return fmt_bytes(n->dirty_pages * PAGE, exact, buf, size);
	case ZCOL_FILES:
		snprintf(buf, size, "%u", n->n_pins);
		return buf;
	case ZCOL_TOPFILE:
		return n->n_pins ? pin_name(&z->pins[n->first_pin], buf, size) : "";
	}
	return "";
}

static const char *parent_cell(const ZombieScan *z, size_t i, int col, bool exact, char *buf,
			       size_t size)
{
	const CgNode *n = &z->nodes[i];

	switch (col) {
	case PCOL_PATH:
		return n->path;
	case PCOL_CONTAINER:
		return container_of_path(n->path, buf, size);
	case PCOL_ZOMBIES:
		if (z->used_bpf)
			snprintf(buf, size, "%llu", (unsigned long long)n->zombies_below);
		else if (n->nr_dying_below != ZS_UNKNOWN)
			snprintf(buf, size, "%llu", (unsigned long long)n->nr_dying_below);
		else
			return "?";
		return buf;
	case PCOL_BYTES:
		return fmt_bytes(n->stuck_bytes, exact, buf, size);
	case PCOL_KERNEL:
		return z->used_bpf ? fmt_bytes(n->zombie_pages_below * PAGE, exact, buf, size) : "";
	}
	return "";
}

static const char *file_cell(const ZombieScan *z, size_t k, int col, bool exact, char *buf,
			     size_t size)
{
	const CachePin *p = &z->pins[k];

	switch (col) {
	case FCOL_ZOMBIE:
		return z->nodes[p->node].path;
	case FCOL_ID:
		snprintf(buf, size, "%llu", (unsigned long long)z->nodes[p->node].id);
		return buf;
	case FCOL_DEV:
		format_dev(p->dev, buf, size);
		return buf;
	case FCOL_INODE:
		snprintf(buf, size, "%llu", (unsigned long long)p->ino);
		return buf;
	case FCOL_BYTES:
		return fmt_bytes(p->pages * PAGE, exact, buf, size);
	case FCOL_DIRTY:
		return fmt_bytes(p->dirty_pages * PAGE, exact, buf, size);
	case FCOL_CACHED:
		return fmt_bytes(p->file_pages * PAGE, exact, buf, size);
	case FCOL_ACTION:
		return pin_action_to_string(pin_action(p));
	case FCOL_FILE:
		return pin_name(p, buf, size);
	}
	return "";
}

/* Is live node @i a parent worth a row: zombies below it, or bytes stuck in dying children? */
static bool parent_row(const ZombieScan *z, size_t i)
{
	const CgNode *n = &z->nodes[i];
	if (n->dying)
		return false;
	if (z->used_bpf)
		return n->zombies_below > 0;
	return n->stuck_bytes != ZS_UNKNOWN && n->stuck_bytes > 0;
}

int render_zombies_table(const ZombieScan *z, ZombieView view, const TableOptions *o, FILE *f)
{
	const ColumnSet *set = view == ZV_FILES	  ? &zombie_file_column_set :
			       view == ZV_PARENTS ? &parent_column_set :
						    &zombie_column_set;
	struct libscols_table *tb = table_new(set, o, f);
	size_t rows = view == ZV_FILES ? z->n_pins : z->n_nodes;
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	for (size_t i = 0; i < rows; i++) {
		if (view == ZV_ZOMBIES && !z->nodes[i].dying)
			continue;
		if (view == ZV_PARENTS && !parent_row(z, i))
			continue;
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		if (!ln) {
			ret = -ENOMEM;
			break;
		}
		for (size_t c = 0; c < o->n_cols; c++) {
			char buf[PATH_MAX + 64];
			const char *cell =
				view == ZV_FILES ?
					file_cell(z, i, o->cols[c], o->bytes, buf, sizeof(buf)) :
				view == ZV_PARENTS ?
					parent_cell(z, i, o->cols[c], o->bytes, buf, sizeof(buf)) :
					zombie_cell(z, i, o->cols[c], o->bytes, buf, sizeof(buf));
			_cleanup_free_ char *e = str_escape_text(cell);
			if (!e || scols_line_set_data(ln, c, e) < 0) {
				ret = -ENOMEM;
				break;
			}
		}
	}
	if (ret == 0)
		scols_print_table(tb);
	scols_unref_table(tb);
	return ret;
}

static const char *count_source_to_string(ZombieCountSource s)
{
	switch (s) {
	case ZC_PROC_CGROUPS:
		return "/proc/cgroups minus live directories";
	case ZC_SUBSYS_MEMORY:
		return "cgroup.stat nr_dying_subsys_memory";
	case ZC_DYING_DESCENDANTS:
		return "cgroup.stat nr_dying_descendants";
	case ZC_BPF:
		return "kernel view";
	case ZC_NONE:
		break;
	}
	return "unknown";
}

/* kernel_view.method: which page-cache walk found the files (docs/JSON.md) */
static const char *walk_method_key(ZombieWalkMethod m)
{
	switch (m) {
	case ZW_LRU:
		return "lru";
	case ZW_INODES:
		return "inodes";
	case ZW_NONE:
	case _ZW_MAX:
		break;
	}
	return NULL;
}

static const char *count_source_key(ZombieCountSource s)
{
	switch (s) {
	case ZC_PROC_CGROUPS:
		return "proc-cgroups";
	case ZC_SUBSYS_MEMORY:
		return "nr_dying_subsys_memory";
	case ZC_DYING_DESCENDANTS:
		return "nr_dying_descendants";
	case ZC_BPF:
		return "bpf";
	case ZC_NONE:
		break;
	}
	return NULL;
}

void render_zombies_text(const ZombieScan *z, bool exact, FILE *f)
{
	char a[32], b[32], c[32];

	if (!z->version) {
		fputs("No memory cgroup controller is mounted in this mount namespace.\n", f);
		return;
	}
	fprintf(f, "Memory cgroups (v%d at %s", z->version, z->mount);
	if (strcmp(z->subtree, "/") != 0)
		fprintf(f, ", below %s", z->subtree);
	fprintf(f, "): %llu live, ", (unsigned long long)z->nr_live);
	if (z->nr_zombies == ZS_UNKNOWN)
		fputs("zombies unknown", f);
	else
		fprintf(f, "%llu zombies", (unsigned long long)z->nr_zombies);
	fprintf(f, " (%s)\n", count_source_to_string(z->count_source));
	if (z->stuck_bytes != ZS_UNKNOWN)
		fprintf(f, "  page cache charged to zombies: %s (memory.stat of their parents)\n",
			fmt_bytes(z->stuck_bytes, exact, a, sizeof(a)));
	if (z->nr_zombies != ZS_UNKNOWN && z->nr_zombies) {
		fprintf(f, "  kernel memory they cost: %s %s (%llu x %s: %ld CPUs, %d node%s",
			z->shrinker_nr_max >= 0 ? "about" : "at least",
			fmt_bytes(z->nr_zombies * z->kmem_per_zombie, exact, a, sizeof(a)),
			(unsigned long long)z->nr_zombies,
			fmt_bytes(z->kmem_per_zombie, exact, b, sizeof(b)), z->nr_cpus, z->nr_nodes,
			z->nr_nodes == 1 ? "" : "s");
		if (z->shrinker_nr_max >= 0)
			fprintf(f, ", shrinker map of %d", z->shrinker_nr_max);
		else
			fputs(", without the shrinker map, which only the kernel view reads", f);
		fputs(")\n", f);
	}
	if (z->used_bpf) {
		uint64_t pages = 0, drop = 0, n_drop = 0;
		for (size_t i = 0; i < z->n_pins; i++) {
			pages += z->pins[i].pages;
			PinAction act = pin_action(&z->pins[i]);
			if (act == PIN_DROP || act == PIN_SYNC_DROP) {
				drop += z->pins[i].pages;
				n_drop++;
			}
		}
		if (z->walk.method != ZW_NONE)
			fprintf(f,
				"  page cache pinning them: %s in %zu files; --release can drop %s "
				"(%llu files)\n",
				fmt_bytes(pages * PAGE, exact, a, sizeof(a)), z->n_pins,
				fmt_bytes(drop * PAGE, exact, b, sizeof(b)),
				(unsigned long long)n_drop);
		if (z->walk.method == ZW_LRU)
			fprintf(f,
				"  kernel view: the LRU lists of %llu zombies, %llu folios walked in "
				"%.0f ms\n",
				(unsigned long long)z->walk.memcgs,
				(unsigned long long)z->walk.folios, z->walk.ms);
		else if (z->walk.method == ZW_INODES)
			fprintf(f,
				"  kernel view: %llu superblocks, %llu inodes, %llu folios walked in "
				"%.0f ms%s%s%s\n",
				(unsigned long long)z->walk.sbs, (unsigned long long)z->walk.inodes,
				(unsigned long long)z->walk.folios, z->walk.ms,
				z->walk.complete ? "" : " (incomplete)",
				z->walk.fallback ? "; not the LRU walk: " : "",
				z->walk.fallback ? z->walk.fallback : "");
		if (z->walk.rejected || z->walk.map_full)
			fprintf(f,
				"  %llu list steps changed under the walk, %llu records dropped\n",
				(unsigned long long)z->walk.rejected,
				(unsigned long long)z->walk.map_full);
	} else {
		fprintf(f,
			"  kernel view unavailable (%s): with BPF (root, BTF) residue names each "
			"zombie and the files whose page cache pins it\n",
			z->bpf_error ? z->bpf_error : "not tried");
	}
	(void)c;
}

static json_object *str_json(const char *s)
{
	if (!s)
		return NULL;
	_cleanup_free_ char *e = str_escape_utf8(s);
	return e ? json_object_new_string(e) : NULL;
}

static json_object *u64_or_null(uint64_t v)
{
	return v == ZS_UNKNOWN ? NULL : json_object_new_uint64(v);
}

static json_object *pin_json(const ZombieScan *z, const CachePin *p)
{
	json_object *o = json_object_new_object();
	char dev[32];
	format_dev(p->dev, dev, sizeof(dev));
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(z->nodes[p->node].id));
	json_object_object_add(o, "cgroup", str_json(z->nodes[p->node].path));
	json_object_object_add(o, "dev", json_object_new_string(dev));
	json_object_object_add(o, "inode", json_object_new_uint64(p->ino));
	json_object_object_add(o, "bytes", json_object_new_uint64(p->pages * PAGE));
	json_object_object_add(o, "dirty_bytes", json_object_new_uint64(p->dirty_pages * PAGE));
	json_object_object_add(o, "cached_bytes", json_object_new_uint64(p->file_pages * PAGE));
	json_object_object_add(o, "path", str_json(p->path));
	json_object_object_add(o, "fs_path", str_json(p->rel_path));
	json_object_object_add(o, "deleted", json_object_new_boolean(p->nlink == 0));
	json_object_object_add(o, "release",
			       json_object_new_string(pin_action_to_string(pin_action(p))));
	return o;
}

json_object *render_zombies_json(const ZombieScan *z, size_t max_files)
{
	json_object *root = json_object_new_object();
	json_object *h = json_object_new_object();
	json_object *cnt = json_object_new_object();
	json_object *km = json_object_new_object();
	json_object *kv = json_object_new_object();
	json_object *zs = json_object_new_array();
	json_object *ps = json_object_new_array();
	json_object *fs = json_object_new_array();

	json_object_object_add(h, "version", z->version ? json_object_new_int(z->version) : NULL);
	json_object_object_add(h, "mount", str_json(z->mount));
	json_object_object_add(h, "subtree", str_json(z->subtree));
	json_object_object_add(root, "hierarchy", h);

	json_object_object_add(cnt, "live", json_object_new_uint64(z->nr_live));
	json_object_object_add(cnt, "zombies", u64_or_null(z->nr_zombies));
	json_object_object_add(cnt, "source",
			       count_source_key(z->count_source) ?
				       json_object_new_string(count_source_key(z->count_source)) :
				       NULL);
	json_object_object_add(cnt, "num_cgroups", u64_or_null(z->num_cgroups));
	json_object_object_add(root, "count", cnt);
	json_object_object_add(root, "stuck_bytes", u64_or_null(z->stuck_bytes));

	json_object_object_add(km, "per_zombie_bytes", json_object_new_uint64(z->kmem_per_zombie));
	json_object_object_add(km, "total_bytes",
			       z->nr_zombies == ZS_UNKNOWN ?
				       NULL :
				       json_object_new_uint64(z->nr_zombies * z->kmem_per_zombie));
	json_object_object_add(km, "cpus", json_object_new_int64(z->nr_cpus));
	json_object_object_add(km, "nodes", json_object_new_int(z->nr_nodes));
	json_object_object_add(km, "shrinker_nr_max",
			       z->shrinker_nr_max >= 0 ? json_object_new_int(z->shrinker_nr_max) :
							 NULL);
	json_object_object_add(root, "kernel_memory", km);

	json_object_object_add(kv, "used", json_object_new_boolean(z->used_bpf));
	json_object_object_add(kv, "error", str_json(z->bpf_error));
	json_object_object_add(kv, "method",
			       walk_method_key(z->walk.method) ?
				       json_object_new_string(walk_method_key(z->walk.method)) :
				       NULL);
	json_object_object_add(kv, "lru_fallback", str_json(z->walk.fallback));
	json_object_object_add(kv, "memcgs", json_object_new_uint64(z->walk.memcgs));
	json_object_object_add(kv, "superblocks", json_object_new_uint64(z->walk.sbs));
	json_object_object_add(kv, "inodes", json_object_new_uint64(z->walk.inodes));
	json_object_object_add(kv, "folios", json_object_new_uint64(z->walk.folios));
	json_object_object_add(kv, "rejected", json_object_new_uint64(z->walk.rejected));
	json_object_object_add(kv, "dropped", json_object_new_uint64(z->walk.map_full));
	json_object_object_add(kv, "complete", json_object_new_boolean(z->walk.complete));
	json_object_object_add(kv, "walk_ms", json_object_new_double(z->walk.ms));
	/* How old the page-cache walk is: residue serve reuses one until zombies appear. */
	json_object_object_add(kv, "files_age_s",
			       z->files_reused		 ? json_object_new_double(z->files_age_s) :
			       z->walk.method != ZW_NONE ? json_object_new_double(0) :
							   NULL);
	json_object_object_add(root, "kernel_view", kv);

	for (size_t i = 0; i < z->n_nodes; i++) {
		const CgNode *n = &z->nodes[i];
		if (parent_row(z, i)) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "cgroup_id", json_object_new_uint64(n->id));
			json_object_object_add(o, "path", str_json(n->path));
			json_object_object_add(o, "zombies",
					       z->used_bpf ?
						       json_object_new_uint64(n->zombies_below) :
						       u64_or_null(n->nr_dying_below));
			json_object_object_add(o, "stuck_bytes", u64_or_null(n->stuck_bytes));
			json_object_object_add(
				o, "charged_bytes",
				z->used_bpf ? json_object_new_uint64(n->zombie_pages_below * PAGE) :
					      NULL);
			json_object_array_add(ps, o);
		}
		if (!n->dying)
			continue;
		json_object *o = json_object_new_object();
		int32_t p = zombie_live_parent(z, i);
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(n->id));
		json_object_object_add(o, "path", str_json(n->path));
		json_object_object_add(o, "parent", p >= 0 ? str_json(z->nodes[p].path) : NULL);
		json_object_object_add(o, "charged_bytes",
				       json_object_new_uint64(zombie_own_pages(z, i) * PAGE));
		json_object_object_add(o, "cache_bytes",
				       json_object_new_uint64(n->cache_pages * PAGE));
		json_object_object_add(o, "dirty_bytes",
				       json_object_new_uint64(n->dirty_pages * PAGE));
		json_object_object_add(o, "files", json_object_new_uint64(n->n_pins));
		json_object_array_add(zs, o);
	}
	uint64_t omitted = 0, omitted_bytes = 0;
	if (max_files == 0) {
		for (size_t k = 0; k < z->n_pins; k++)
			json_object_array_add(fs, pin_json(z, &z->pins[k]));
	} else {
		/* The largest @max_files of each zombie; the rest counted. */
		_cleanup_free_ size_t *order = NULL;
		_cleanup_free_ bool *listed = NULL;
		bool ok = zombie_pins_listed(z, (unsigned)MIN(max_files, (size_t)UINT_MAX), &order,
					     &listed) == 0;
		for (size_t k = 0; ok && k < z->n_pins; k++) {
			const CachePin *pin = &z->pins[order[k]];
			if (listed[order[k]]) {
				json_object_array_add(fs, pin_json(z, pin));
			} else {
				omitted++;
				omitted_bytes += pin->pages * PAGE;
			}
		}
	}
	json_object_object_add(root, "parents", ps);
	json_object_object_add(root, "zombies", zs);
	json_object_object_add(root, "files", fs);
	json_object_object_add(root, "files_omitted", json_object_new_uint64(omitted));
	json_object_object_add(root, "files_omitted_bytes", json_object_new_uint64(omitted_bytes));
	json_object_object_add(root, "gaps", render_gap_list_json(z->gaps, z->n_gaps));
	return root;
}
