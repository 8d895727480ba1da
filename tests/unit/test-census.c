// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The census analyzer on hand-built mount tables: how masks are told from
 * other mounts, the masking style of each runtime, stacked and repeated
 * duplicates, the outlier and fs.mount-max findings, and what sharing would
 * save.  No kernel: every table is written out here line by line.
 */
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "analyze/census.h"
#include "base/array.h"
#include "render/render.h"

static MountNs *ns_new(Snapshot *s, uint64_t id, uint32_t procs)
{
	MountNs *ns = snapshot_add_ns(s);
	if (!ns)
		abort();
	ns->id = id;
	ns->ino = 4026530000ULL + id;
	ns->nr_procs = procs;
	ns->table_read = true;
	return ns;
}

static size_t mcap[64], scap[64];

/* The snapshot owns entry strings through MountNs.strings, as collect's statmount path does. */
static const char *keep(MountNs *ns, const char *str)
{
	char **slot = ARRAY_PUSH(ns->strings, ns->n_strings, scap[ns->id % 64]);
	if (!slot || !(*slot = strdup(str)))
		abort();
	return *slot;
}

static void mnt(MountNs *ns, uint64_t id, uint64_t parent, unsigned minor, bool ro,
		const char *fstype, const char *source, const char *root, const char *point)
{
	size_t *cap = &mcap[ns->id % 64];
	MountEntry *e = ARRAY_PUSH(ns->mounts, ns->n_mounts, *cap);
	if (!e)
		abort();
	*e = (MountEntry){ id, parent, makedev(0, minor), ro };
	e->fstype = keep(ns, fstype);
	e->source = keep(ns, source);
	e->root = keep(ns, root);
	e->point = keep(ns, point);
}

/* A container: root, /proc, /sys, /dev tmpfs; then @n masked dirs and 2 masked files. */
static MountNs *container(Snapshot *s, uint64_t id, const char *style, int n)
{
	static const char *const dirs[] = { "/proc/acpi", "/proc/scsi", "/sys/firmware",
					    "/proc/bus",  "/proc/fs",	"/proc/irq" };
	MountNs *ns = ns_new(s, id, 1);
	mcap[id % 64] = scap[id % 64] = 0;
	mnt(ns, 1, 1, 100, false, "overlay", "overlay", "/", "/");
	mnt(ns, 2, 1, 101, false, "proc", "proc", "/", "/proc");
	mnt(ns, 3, 1, 102, true, "sysfs", "sysfs", "/", "/sys");
	mnt(ns, 4, 1, 103, false, "tmpfs", "tmpfs", "/", "/dev");
	/* Not masks: runc's read-only binds of proc over itself. */
	mnt(ns, 5, 2, 101, true, "proc", "proc", "/sys", "/proc/sys");
	for (int i = 0; i < n; i++) {
		uint64_t parent = strncmp(dirs[i], "/sys", 4) == 0 ? 3 : 2;
		if (!strcmp(style, "tmpfs"))
			mnt(ns, 10 + i, parent, 200 + i, true, "tmpfs", "tmpfs", "/", dirs[i]);
		else if (!strcmp(style, "shared"))
			mnt(ns, 10 + i, parent, 199, true, "tmpfs", "tmpfs", "/", dirs[i]);
		else
			mnt(ns, 10 + i, parent, 1, true, "ext4", "/dev/vda", "/run/crun/empty",
			    dirs[i]);
	}
	mnt(ns, 30, 2, 6, false, "devtmpfs", "udev", "/null", "/proc/kcore");
	mnt(ns, 31, 2, 103, false, "tmpfs", "tmpfs", "/null", "/proc/keys");
	return ns;
}

static CensusReport *census(Snapshot *s, uint64_t max)
{
	CensusReport *r = NULL;
	CHECK_EQ_INT(analyze_census(s, max, &r), 0);
	return r;
}

static const NsCensus *row_of(const CensusReport *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (r->rows[i].ns->id == id)
			return &r->rows[i];
	return NULL;
}

static size_t count_kind(const CensusReport *r, CensusFindingKind k)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		n += r->findings[i].kind == k;
	return n;
}

static void test_styles(void)
{
	Snapshot *s = snapshot_new();
	container(s, 1, "tmpfs", 6);
	container(s, 2, "shared", 6);
	container(s, 3, "dir", 6);
	MountNs *host = ns_new(s, 4, 10);
	mcap[4] = scap[4] = 0;
	mnt(host, 1, 1, 1, false, "ext4", "/dev/vda", "/", "/");
	mnt(host, 2, 1, 2, false, "proc", "proc", "/", "/proc");
	/* binfmt_misc and a rw tmpfs under /proc or /sys are not masks */
	mnt(host, 3, 2, 3, false, "binfmt_misc", "binfmt_misc", "/", "/proc/sys/fs/binfmt_misc");
	mnt(host, 4, 1, 4, false, "sysfs", "sysfs", "/", "/sys");
	mnt(host, 5, 4, 5, false, "tmpfs", "tmpfs", "/", "/sys/fs/cgroup");

	CensusReport *r = census(s, 100000);
	const NsCensus *row;
	if ((row = row_of(r, 1)) && CHECK(row)) {
		CHECK_EQ_INT(row->style, MASK_TMPFS_PER_MASK);
		CHECK_EQ_U64(row->dir_masks, 6);
		CHECK_EQ_U64(row->file_masks, 2);
		CHECK_EQ_U64(row->mask_superblocks, 6);
		CHECK_EQ_U64(row->tmpfs_superblocks, 7); /* /dev + 6 masks */
		CHECK_EQ_U64(row->mounts, 13);
	}
	if ((row = row_of(r, 2)) && CHECK(row)) {
		CHECK_EQ_INT(row->style, MASK_SHARED_TMPFS);
		CHECK_EQ_U64(row->mask_superblocks, 1);
	}
	if ((row = row_of(r, 3)) && CHECK(row)) {
		CHECK_EQ_INT(row->style, MASK_SHARED_DIR);
		CHECK_EQ_U64(row->dir_masks, 6);
		CHECK_EQ_U64(row->mask_superblocks, 0);
	}
	if ((row = row_of(r, 4)) && CHECK(row)) {
		CHECK_EQ_INT(row->style, MASK_NONE);
		CHECK_EQ_U64(row->dir_masks + row->file_masks, 0);
	}
	CHECK_EQ_U64(r->mask_superblocks, 7); /* 6 + the shared one */
	CHECK_EQ_U64(r->mask_superblocks_saved, 5); /* 6 per-mask ones could be 1 */
	CHECK_EQ_U64(count_kind(r, CENSUS_MASK_TMPFS), 1);
	CHECK_EQ_U64(count_kind(r, CENSUS_OUTLIER) + count_kind(r, CENSUS_NEAR_MAX), 0);
	CHECK_EQ_U64(r->n_dups, 0);
	/* Sorted by mounts, most first. */
	for (size_t i = 1; i < r->n_rows; i++)
		CHECK(r->rows[i - 1].mounts >= r->rows[i].mounts);
	census_report_free(r);
	snapshot_free(s);
}

static void test_dups_outlier_max(void)
{
	Snapshot *s = snapshot_new();
	for (uint64_t id = 1; id <= 4; id++)
		container(s, id, "shared", 3);
	MountNs *big = ns_new(s, 9, 1);
	mcap[9] = scap[9] = 0;
	mnt(big, 1, 1, 1, false, "ext4", "/dev/vda", "/", "/");
	/* containerd.sock bound 5 times on itself (buildkit #4812) */
	for (int i = 0; i < 5; i++)
		mnt(big, 2 + i, 1 + i, 1, false, "ext4", "/dev/vda",
		    "/run/containerd/containerd.sock", "/run/containerd/containerd.sock");
	/* one shm tmpfs at 900 places (containerd #5113) */
	for (int i = 0; i < 900; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/run/shm/%d", i);
		mnt(big, 100 + i, 1, 77, false, "tmpfs", "shm", "/", p);
	}
	CensusReport *r = census(s, 1000);
	CHECK_EQ_U64(r->rows[0].ns->id, 9);
	CHECK_EQ_U64(r->max_ns_mounts, 906);
	CHECK_EQ_U64(count_kind(r, CENSUS_OUTLIER), 1);
	CHECK_EQ_U64(count_kind(r, CENSUS_NEAR_MAX), 1);
	CHECK_EQ_U64(count_kind(r, CENSUS_DUPLICATE), 2);
	bool stacked = false, repeated = false;
	for (size_t i = 0; i < r->n_dups; i++) {
		const DupMount *d = &r->dups[i];
		CHECK_EQ_U64(d->ns->id, 9);
		if (d->stacked) {
			stacked = true;
			CHECK_EQ_U64(d->count, 5);
			CHECK_STREQ(d->m->point, "/run/containerd/containerd.sock");
		} else {
			repeated = true;
			CHECK_EQ_U64(d->count, 900);
			CHECK_STREQ(d->m->source, "shm");
		}
	}
	CHECK(stacked && repeated);
	census_report_free(r);
	/* Not near a larger limit; an unknown limit is no finding. */
	r = census(s, 0);
	CHECK_EQ_U64(count_kind(r, CENSUS_NEAR_MAX), 0);
	census_report_free(r);
	snapshot_free(s);
}

static void test_gone_and_unread(void)
{
	Snapshot *s = snapshot_new();
	container(s, 1, "tmpfs", 2)->gone = true;
	MountNs *lonely = ns_new(s, 2, 0);
	lonely->table_read = false;
	lonely->nr_mounts = 7;
	CensusReport *r = census(s, 100);
	CHECK_EQ_U64(r->n_rows, 1);
	if (CHECK_EQ_U64(r->rows[0].ns->id, 2)) {
		CHECK_EQ_U64(r->rows[0].mounts, 7); /* NS_MNT_GET_INFO's count */
		CHECK(r->rows[0].rep == NULL);
	}
	census_report_free(r);
	snapshot_free(s);
}

/*
 * Before 6.11 (no NS_GET_MNTNS_ID) the inode is the key: rows, duplicates
 * and findings work the same, the text names mnt:[INODE], and the JSON
 * says ns_id null beside the inode.
 */
static void test_by_inode(void)
{
	Snapshot *s = snapshot_new();
	MountNs *nss[3];
	for (int i = 0; i < 3; i++)
		nss[i] = container(s, (uint64_t)i + 1, "tmpfs", 3);
	for (int i = 0; i < 3; i++)
		mnt(nss[0], 40 + (uint64_t)i, 1, 300, false, "tmpfs", "dupsrc", "/", "/b");
	for (int i = 0; i < 3; i++) {
		nss[i]->id = nss[i]->ino;
		nss[i]->id_is_ino = true;
	}
	CensusReport *r = census(s, 0);
	CHECK_EQ_U64(r->n_rows, 3);
	CHECK(row_of(r, 4026530001ULL) != NULL);
	if (CHECK_EQ_U64(r->n_dups, 1))
		CHECK(r->dups[0].ns == nss[0]);
	const CensusFinding *dup = NULL, *host = NULL;
	for (size_t i = 0; i < r->n_findings; i++) {
		if (r->findings[i].kind == CENSUS_DUPLICATE)
			dup = &r->findings[i];
		if (r->findings[i].kind == CENSUS_MASK_TMPFS)
			host = &r->findings[i];
	}
	if (CHECK(dup != NULL)) {
		CHECK(dup->ns == nss[0]);
		CHECK(strstr(dup->text, "mount namespace mnt:[4026530001]") != NULL);
	}
	if (CHECK(host != NULL))
		CHECK(host->ns == NULL);

	json_object *o = render_census_json(r);
	json_object *row = json_object_array_get_idx(json_object_object_get(o, "namespaces"), 0);
	json_object *d = json_object_array_get_idx(json_object_object_get(o, "duplicates"), 0);
	json_object *v;
	CHECK(json_object_object_get_ex(row, "ns_id", &v) && v == NULL);
	CHECK(json_object_get_uint64(json_object_object_get(row, "inode")) > 4026530000ULL);
	CHECK(json_object_object_get_ex(d, "ns_id", &v) && v == NULL);
	CHECK_EQ_U64(json_object_get_uint64(json_object_object_get(d, "inode")), 4026530001ULL);
	json_object *fs = json_object_object_get(o, "findings");
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		json_object *f = json_object_array_get_idx(fs, i);
		const char *kind = json_object_get_string(json_object_object_get(f, "kind"));
		CHECK(json_object_object_get_ex(f, "ns_id", &v) && v == NULL);
		CHECK(json_object_object_get_ex(f, "inode", &v));
		if (!strcmp(kind, "duplicate-mounts"))
			CHECK_EQ_U64(json_object_get_uint64(v), 4026530001ULL);
		else
			CHECK(v == NULL);
	}
	json_object_put(o);
	census_report_free(r);
	snapshot_free(s);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_styles);
	RUN(test_dups_outlier_max);
	RUN(test_gone_and_unread);
	RUN(test_by_inode);
	CHECK(census_report_free(NULL) == NULL);
	return tap_done();
}
