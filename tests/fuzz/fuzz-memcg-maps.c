// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for lib/bpf/memcg-decode.c: arbitrary bytes cut into the
 * entries of memcg.bpf.c's three hash maps, merged into a ZombieScan that
 * already holds a small live tree (ids 1 "/", 2 "/system.slice", 3
 * "/system.slice/a.service", as the cgroupfs walk leaves it), then added up
 * by analyze_zombies() as residue does.  The input is
 *
 *   u16 memcgs_len, u16 pins_len   little-endian, clamped to what is left
 *   memcgs | pins | dentries       (dentries: the rest)
 *
 * each part a run of key-then-value records (a partial last one is
 * dropped), split into key and value arrays of exactly their size, as
 * map_drain() leaves them.  The naming pass's dentries name two pins of
 * three.  Checked: live nodes stay as they were but for their usage; every
 * added node is dying with a path; every pin is of a dying node, and its
 * path, if any, is one asked for, absolute and bounded.
 */
#include "fuzz.h"

#include <errno.h>

#include "analyze/zombies.h"
#include "bpf/memcg-decode.h"
#include "bpf/memcg.h"

static size_t le16(const uint8_t *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8;
}

static MapEntries cut(const uint8_t *p, size_t len, size_t ksize, size_t vsize)
{
	MapEntries e = { .ksize = ksize, .vsize = vsize };

	e.n = e.cap = len / (ksize + vsize);
	e.key = (uint8_t *)fuzz_dup(NULL, 0, e.n * ksize);
	e.val = (uint8_t *)fuzz_dup(NULL, 0, e.n * vsize);
	for (size_t i = 0; i < e.n; i++) {
		memcpy(e.key + i * ksize, p + i * (ksize + vsize), ksize);
		memcpy(e.val + i * vsize, p + i * (ksize + vsize) + ksize, vsize);
	}
	return e;
}

static void add_live(ZombieScan *z, uint64_t id, uint64_t parent_id, const char *path)
{
	CgNode *n = zombie_scan_add_node(z);
	if (!n || !(n->path = strdup(path)))
		abort();
	n->id = id;
	n->parent_id = parent_id;
	n->depth = id - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t left = size - 4, ml = le16(data), pl = le16(data + 2);
	if (ml > left)
		ml = left;
	if (pl > left - ml)
		pl = left - ml;
	const uint8_t *p = data + 4;
	MapEntries memcgs = cut(p, ml, sizeof(uint64_t), sizeof(struct zm_memcg));
	MapEntries pins = cut(p + ml, pl, sizeof(struct zm_pin_key), sizeof(struct zm_pin));
	MapEntries dents =
		cut(p + ml + pl, left - ml - pl, sizeof(uint64_t), sizeof(struct zm_dentry));

	ZombieScan *z = zombie_scan_new();
	if (!z)
		abort();
	add_live(z, 1, 0, "/");
	add_live(z, 2, 1, "/system.slice");
	add_live(z, 3, 2, "/system.slice/a.service");
	if (zombie_scan_link(z) < 0)
		abort();

	int r = memcg_decode_memcgs(z, &memcgs);
	FUZZ_ASSERT(r == 0);
	r = memcg_decode_pins(z, &pins);
	FUZZ_ASSERT(r == 0);
	bool *want = (bool *)fuzz_dup(NULL, 0, z->n_pins + 1);
	for (size_t i = 0; i < z->n_pins; i++)
		want[i] = i % 3 != 2;
	r = memcg_decode_paths(z, &dents, want);
	FUZZ_ASSERT(r == 0);
	for (size_t i = 0; i < z->n_nodes; i++) {
		const CgNode *n = &z->nodes[i];
		FUZZ_ASSERT(n->path);
		if (i < 3) {
			FUZZ_ASSERT(!n->dying && n->id == i + 1);
			continue;
		}
		FUZZ_ASSERT(n->dying);
		FUZZ_ASSERT(n->path[0] == '/' || strcmp(n->path, "?") == 0);
	}
	for (size_t i = 0; i < z->n_pins; i++) {
		const CachePin *c = &z->pins[i];
		FUZZ_ASSERT(c->node < z->n_nodes && z->nodes[c->node].dying);
		FUZZ_ASSERT(!c->path);
		FUZZ_ASSERT(want[i] || !c->rel_path);
		if (c->rel_path) {
			FUZZ_ASSERT(c->rel_path[0] == '/');
			FUZZ_ASSERT(strlen(c->rel_path) <= 64 * ZM_NAME_MAX);
		}
	}
	FUZZ_ASSERT(analyze_zombies(z) == 0);
	for (size_t i = 0; i < z->n_nodes; i++) {
		const CgNode *n = &z->nodes[i];
		FUZZ_ASSERT(n->first_pin + n->n_pins <= z->n_pins);
		FUZZ_ASSERT(n->n_pins == 0 || n->dying);
	}

	zombie_scan_free(z);
	free(want);
	free(memcgs.key);
	free(memcgs.val);
	free(pins.key);
	free(pins.val);
	free(dents.key);
	free(dents.val);
	return 0;
}
