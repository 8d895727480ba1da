// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The census: snapshot (every namespace's mount table) -> rows, totals,
 * duplicates and findings.  Pure: no I/O; fs.mount-max comes in as a
 * number.  How masks are told apart, from mountinfo alone:
 *  - a mask is a mount whose parent is a proc or sysfs mount and which is
 *    not proc or sysfs itself (read-only binds of /proc/sys are not masks);
 *  - a file mask is a bind of a file named "null" (runtimes bind /dev/null);
 *  - a directory mask is read-only and either a whole tmpfs (root "/") or a
 *    bind of a directory (root other than "/").
 * The style follows from the directory masks' superblocks: each its own
 * tmpfs (tmpfs-per-mask), tmpfs shared by several (shared-tmpfs), or binds
 * of one directory (shared-dir).
 */
#include "census.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "base/array.h"
#include "base/macro.h"
#include "base/u64set.h"

static const char *const style_names[_MASK_STYLE_MAX] = {
	[MASK_NONE] = "none",
	[MASK_TMPFS_PER_MASK] = "tmpfs-per-mask",
	[MASK_SHARED_TMPFS] = "shared-tmpfs",
	[MASK_SHARED_DIR] = "shared-dir",
};

static const char *const finding_names[_CENSUS_FINDING_MAX] = {
	[CENSUS_OUTLIER] = "mount-outlier",
	[CENSUS_NEAR_MAX] = "near-mount-max",
	[CENSUS_DUPLICATE] = "duplicate-mounts",
	[CENSUS_MASK_TMPFS] = "tmpfs-per-mask",
};

const char *mask_style_to_string(MaskStyle m)
{
	return m < _MASK_STYLE_MAX ? style_names[m] : "?";
}

const char *census_finding_kind_to_string(CensusFindingKind k)
{
	return k < _CENSUS_FINDING_MAX ? finding_names[k] : "?";
}

static bool is_procfs(const MountEntry *m)
{
	return strcmp(m->fstype, "proc") == 0 || strcmp(m->fstype, "sysfs") == 0;
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

static const MountEntry *find_mount(const MountNs *ns, uint64_t id)
{
	/* Tables are in parent-before-child order: the parent is usually just above. */
	for (size_t i = ns->n_mounts; i-- > 0;)
		if (ns->mounts[i].id == id)
			return &ns->mounts[i];
	return NULL;
}

/* Whether @m, mounted on a procfs or sysfs mount, masks a path there (and how). */
static bool masks_below_procfs(const MountEntry *m, bool *ret_file)
{
	if (is_procfs(m))
		return false;
	if (strcmp(basename_of(m->root), "null") == 0) {
		*ret_file = true;
		return true;
	}
	*ret_file = false;
	if (!m->ro)
		return false;
	return strcmp(m->fstype, "tmpfs") == 0 || strcmp(m->root, "/") != 0;
}

bool mount_is_mask(const MountNs *ns, const MountEntry *m, bool *ret_file)
{
	const MountEntry *parent = m->parent_id != m->id ? find_mount(ns, m->parent_id) : NULL;

	return parent && is_procfs(parent) && masks_below_procfs(m, ret_file);
}

/*
 * The ids of a table's procfs and sysfs mounts, the only parents a mask has: the census asks
 * this set for every mount instead of find_mount(), which walks the table (the census of one
 * namespace of 30 000 binds took 0.8 s, of 99 000 about 9 s).
 */
static int procfs_ids(const MountNs *ns, U64Set *ret)
{
	for (size_t i = 0; i < ns->n_mounts; i++)
		if (is_procfs(&ns->mounts[i]) && u64set_add(ret, ns->mounts[i].id) < 0)
			return -ENOMEM;
	return 0;
}

/* Per namespace: mounts, tmpfs superblocks, masks and their style. */
static int census_row(const Snapshot *s, const MountNs *ns, NsCensus *row, U64Set *host_tmpfs,
		      U64Set *host_masks)
{
	U64Set tmpfs = { 0 }, mask_devs = { 0 }, procfs = { 0 };
	uint32_t tmpfs_masks = 0, dir_binds = 0;
	int r = procfs_ids(ns, &procfs);

	row->ns = ns;
	row->mounts = ns->table_read ? (uint32_t)ns->n_mounts : ns->nr_mounts;
	row->table_bytes = ns->table_bytes;
	for (size_t i = 0; i < s->n_procs && ns->pid > 0; i++)
		if (s->procs[i].pid == ns->pid) {
			row->rep = &s->procs[i];
			break;
		}
	if (row->rep && row->rep->cgroup &&
	    container_id_parse(row->rep->cgroup, strlen(row->rep->cgroup), &row->container) == 0)
		row->has_container = row->container.runtime != CONTAINER_RUNTIME_NONE;

	for (size_t i = 0; i < ns->n_mounts && r >= 0; i++) {
		const MountEntry *m = &ns->mounts[i];
		bool file;
		if (strcmp(m->fstype, "tmpfs") == 0) {
			r = u64set_add(&tmpfs, m->dev);
			if (r >= 0)
				r = u64set_add(host_tmpfs, m->dev);
		}
		if (r < 0 || m->parent_id == m->id || !u64set_contains(&procfs, m->parent_id) ||
		    !masks_below_procfs(m, &file))
			continue;
		if (file) {
			row->file_masks++;
			continue;
		}
		row->dir_masks++;
		if (strcmp(m->fstype, "tmpfs") == 0 && strcmp(m->root, "/") == 0) {
			tmpfs_masks++;
			r = u64set_add(&mask_devs, m->dev);
			if (r >= 0)
				r = u64set_add(host_masks, m->dev);
		} else {
			dir_binds++;
		}
	}
	row->tmpfs_superblocks = (uint32_t)tmpfs.len;
	row->mask_superblocks = (uint32_t)mask_devs.len;
	if (tmpfs_masks > 0)
		row->style = mask_devs.len == tmpfs_masks ? MASK_TMPFS_PER_MASK : MASK_SHARED_TMPFS;
	else if (dir_binds > 0)
		row->style = MASK_SHARED_DIR;
	else
		row->style = MASK_NONE;
	u64set_done(&tmpfs);
	u64set_done(&mask_devs);
	u64set_done(&procfs);
	return r < 0 ? r : 0;
}

static int cmp_entry_key(const MountEntry *a, const MountEntry *b)
{
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	int c = strcmp(a->root, b->root);
	return c ? c : strcmp(a->point, b->point);
}

static int cmp_entry_ptr(const void *x, const void *y)
{
	return cmp_entry_key(*(const MountEntry *const *)x, *(const MountEntry *const *)y);
}

/* The same (device, root) on one point several times, or at very many points. */
static int find_dups(const MountNs *ns, CensusReport *rep, size_t *cap)
{
	if (ns->n_mounts < 2)
		return 0;
	const MountEntry **v = malloc(ns->n_mounts * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ns->n_mounts; i++)
		v[i] = &ns->mounts[i];
	qsort(v, ns->n_mounts, sizeof(*v), cmp_entry_ptr);
	for (size_t i = 0; i < ns->n_mounts;) {
		size_t j = i + 1, same_src = 1;
		/* Runs of one source: inside them, runs of one point. */
		while (j < ns->n_mounts && v[j]->dev == v[i]->dev &&
		       !strcmp(v[j]->root, v[i]->root))
			j++;
		same_src = j - i;
		for (size_t k = i; k < j;) {
			size_t l = k + 1;
			while (l < j && !strcmp(v[l]->point, v[k]->point))
				l++;
			if (l - k >= 2) {
				DupMount *d = ARRAY_PUSH(rep->dups, rep->n_dups, *cap);
				if (!d)
					goto oom;
				*d = (DupMount){ ns, v[k], (uint32_t)(l - k), true };
			}
			k = l;
		}
		if (same_src >= CENSUS_DUP_REPEATED_MIN) {
			DupMount *d = ARRAY_PUSH(rep->dups, rep->n_dups, *cap);
			if (!d)
				goto oom;
			*d = (DupMount){ ns, v[i], (uint32_t)same_src, false };
		}
		i = j;
	}
	free(v);
	return 0;
oom:
	free(v);
	return -ENOMEM;
}

static int cmp_row(const void *x, const void *y)
{
	const NsCensus *a = x, *b = y;
	if (a->mounts != b->mounts)
		return a->mounts > b->mounts ? -1 : 1;
	return a->ns->id < b->ns->id ? -1 : a->ns->id > b->ns->id;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

_printf_(4, 5) static int add_finding(CensusReport *rep, size_t *cap, CensusFindingKind kind,
				      const char *fmt, ...)
{
	CensusFinding *f = ARRAY_PUSH(rep->findings, rep->n_findings, *cap);
	va_list ap;
	int r;

	if (!f)
		return -ENOMEM;
	f->kind = kind;
	va_start(ap, fmt);
	r = vasprintf(&f->text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		f->text = NULL;
		return -ENOMEM;
	}
	return 0;
}

static const char *row_name(const NsCensus *row, char *buf, size_t size)
{
	if (row->has_container)
		return container_id_short(&row->container, buf, size);
	if (row->rep)
		snprintf(buf, size, "pid %d (%s)", row->rep->pid, row->rep->comm);
	else
		snprintf(buf, size, "no process");
	return buf;
}

static int findings(CensusReport *rep)
{
	size_t cap = 0;
	char name[CONTAINER_ID_SHORT_MAX + 32], nsn[MOUNT_NS_NAME_MAX];

	for (size_t i = 0; i < rep->n_rows; i++) {
		const NsCensus *row = &rep->rows[i];
		size_t before = rep->n_findings;
		int r = 0;
		if (rep->n_rows >= 3 && row->mounts > CENSUS_OUTLIER_MIN &&
		    row->mounts > (uint64_t)CENSUS_OUTLIER_FACTOR * rep->median_ns_mounts)
			r = add_finding(rep, &cap, CENSUS_OUTLIER,
					"mount namespace %s (%s) has %u mounts, %.0fx the median "
					"namespace's %u",
					mount_ns_name(row->ns, nsn, sizeof(nsn)),
					row_name(row, name, sizeof(name)), row->mounts,
					(double)row->mounts / MAX(rep->median_ns_mounts, 1u),
					rep->median_ns_mounts);
		if (r == 0 && rep->mount_max &&
		    (uint64_t)row->mounts * 100 >=
			    (uint64_t)CENSUS_NEAR_MAX_PERCENT * rep->mount_max)
			r = add_finding(
				rep, &cap, CENSUS_NEAR_MAX,
				"mount namespace %s (%s) has %u mounts of fs.mount-max %llu: "
				"new mounts in it will fail with ENOSPC",
				mount_ns_name(row->ns, nsn, sizeof(nsn)),
				row_name(row, name, sizeof(name)), row->mounts,
				(unsigned long long)rep->mount_max);
		if (r < 0)
			return r;
		for (size_t k = before; k < rep->n_findings; k++)
			rep->findings[k].ns = row->ns;
	}
	for (size_t i = 0; i < rep->n_dups; i++) {
		const DupMount *d = &rep->dups[i];
		int r;
		if (d->stacked)
			r = add_finding(rep, &cap, CENSUS_DUPLICATE,
					"%s%s%s (%s) is mounted %u times on top of itself at %s in "
					"mount namespace %s: unmount the extra copies and fix what "
					"mounts it again",
					d->m->source, strcmp(d->m->root, "/") ? ":" : "",
					strcmp(d->m->root, "/") ? d->m->root : "", d->m->fstype,
					d->count, d->m->point,
					mount_ns_name(d->ns, nsn, sizeof(nsn)));
		else
			r = add_finding(rep, &cap, CENSUS_DUPLICATE,
					"%s%s%s (%s) is mounted at %u places in mount namespace %s",
					d->m->source, strcmp(d->m->root, "/") ? ":" : "",
					strcmp(d->m->root, "/") ? d->m->root : "", d->m->fstype,
					d->count, mount_ns_name(d->ns, nsn, sizeof(nsn)));
		if (r < 0)
			return r;
		rep->findings[rep->n_findings - 1].ns = d->ns;
		rep->findings[rep->n_findings - 1].dup = d;
	}
	size_t per_mask = 0;
	for (size_t i = 0; i < rep->n_rows; i++)
		per_mask += rep->rows[i].style == MASK_TMPFS_PER_MASK;
	if (per_mask > 0)
		return add_finding(rep, &cap, CENSUS_MASK_TMPFS,
				   "%zu mount namespace%s mask paths with one tmpfs superblock per "
				   "masked directory (%llu superblocks in all); one shared per "
				   "container (runc >= 1.3.6, crun >= 1.24) would save %llu",
				   per_mask, per_mask == 1 ? "" : "s",
				   (unsigned long long)rep->mask_superblocks,
				   (unsigned long long)rep->mask_superblocks_saved);
	return 0;
}

int analyze_census(const Snapshot *s, uint64_t mount_max, CensusReport **ret)
{
	CensusReport *rep = calloc(1, sizeof(*rep));
	U64Set host_tmpfs = { 0 }, host_masks = { 0 };
	size_t dcap = 0;
	uint32_t *counts = NULL;
	int r = -ENOMEM;

	if (!rep)
		return -ENOMEM;
	rep->mount_max = mount_max;
	if (s->n_nss && !(rep->rows = calloc(s->n_nss, sizeof(*rep->rows))))
		goto out;
	for (size_t i = 0; i < s->n_nss; i++) {
		NsCensus *row = &rep->rows[rep->n_rows];
		if (s->nss[i].gone)
			continue;
		r = census_row(s, &s->nss[i], row, &host_tmpfs, &host_masks);
		if (r < 0)
			goto out;
		rep->n_rows++;
		rep->mounts += row->mounts;
		rep->max_ns_mounts = MAX(rep->max_ns_mounts, row->mounts);
		if (row->style == MASK_TMPFS_PER_MASK && row->mask_superblocks > 1)
			rep->mask_superblocks_saved += row->mask_superblocks - 1;
		r = find_dups(&s->nss[i], rep, &dcap);
		if (r < 0)
			goto out;
	}
	rep->tmpfs_superblocks = host_tmpfs.len;
	rep->mask_superblocks = host_masks.len;
	qsort(rep->rows, rep->n_rows, sizeof(*rep->rows), cmp_row);
	if (rep->n_rows) {
		r = -ENOMEM;
		if (!(counts = malloc(rep->n_rows * sizeof(*counts))))
			goto out;
		for (size_t i = 0; i < rep->n_rows; i++)
			counts[i] = rep->rows[i].mounts;
		qsort(counts, rep->n_rows, sizeof(*counts), cmp_u32);
		rep->median_ns_mounts = counts[rep->n_rows / 2];
	}
	r = findings(rep);
out:
	free(counts);
	u64set_done(&host_tmpfs);
	u64set_done(&host_masks);
	if (r < 0) {
		census_report_free(rep);
		return r;
	}
	*ret = rep;
	return 0;
}

CensusReport *census_report_free(CensusReport *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_findings; i++)
		free(r->findings[i].text);
	free(r->findings);
	free(r->dups);
	free(r->rows);
	free(r);
	return NULL;
}
