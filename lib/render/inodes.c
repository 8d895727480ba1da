// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Output of residue inodes: the findings table (lsfd-style columns), the
 * text that says what each kind of finding means and what to do, and the
 * "inodes" JSON object (docs/JSON.md) that residue inodes -J and
 * residue --json share.
 */
#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

static const ColumnInfo inode_columns[_ICOL_MAX] = {
	[ICOL_KIND] = { "KIND", 11, 0, "stranded, dentry_refs or inode_refs" },
	[ICOL_DEV] = { "DEV", 7, 0, "device of the filesystem (major:minor)" },
	[ICOL_FSTYPE] = { "FSTYPE", 7, 0, "filesystem type (from its magic number)" },
	[ICOL_INODE] = { "INODE", 8, SCOLS_FL_RIGHT, "inode number (0: a negative dentry)" },
	[ICOL_PARENT] = { "PARENT", 8, SCOLS_FL_RIGHT, "inode number of the parent directory" },
	[ICOL_NAME] = { "NAME", 0.2, SCOLS_FL_TRUNC, "the dentry's name (at most 32 bytes)" },
	[ICOL_COUNT] = { "COUNT", 5, SCOLS_FL_RIGHT, "d_lockref.count, or i_count for inode_refs" },
	[ICOL_UNEXPLAINED] = { "LEAKED", 6, SCOLS_FL_RIGHT, "references no known holder explains" },
	[ICOL_EXPLAINED] = { "EXPLAINED", 0.2, SCOLS_FL_TRUNC,
			     "what explained the rest: children, files, fs (root/cwd), mounts, other" },
	[ICOL_PIDS] = { "PIDS", 0.1, SCOLS_FL_TRUNC, "processes with a known reference to it" },
	[ICOL_MNTID] = { "MNTID", 10, SCOLS_FL_RIGHT, "a mount of its filesystem (0: none)" },
	[ICOL_DENTRY] = { "DENTRY", 18, 0, "the dentry's kernel address (identity only)" },
	[ICOL_ACTION] = { "ACTION", 0.3, SCOLS_FL_TRUNC, "what to do" },
};
static const int inode_defaults[] = { ICOL_KIND,	ICOL_DEV,  ICOL_FSTYPE,
				      ICOL_INODE,	ICOL_NAME, ICOL_COUNT,
				      ICOL_UNEXPLAINED, ICOL_PIDS, ICOL_ACTION };
const ColumnSet inode_column_set = { inode_columns, _ICOL_MAX, inode_defaults,
				     ARRAY_SIZE(inode_defaults) };

void format_kdev(uint64_t kdev, char *buf, size_t size)
{
	snprintf(buf, size, "%llu:%llu", (unsigned long long)(kdev >> 20),
		 (unsigned long long)(kdev & 0xfffff));
}

const char *inode_finding_action(const InoFinding *f)
{
	switch (f->kind) {
	case INO_FIND_STRANDED:
		return "unreferenced, under a root umount never reaches: drop the dentry cache "
		       "(vm.drop_caches=2) before unmounting, or the unmount leaks it";
	case INO_FIND_DENTRY_REFS:
		return f->n_pids ?
			       "a missing dput(), or a holder residue does not walk: check the "
			       "listed processes, then the filesystem's driver; drop_caches "
			       "does not cure it" :
			       "a missing dput(), or a kernel holder residue does not walk "
			       "(io_uring, SCM_RIGHTS, loop, nfsd): drop_caches does not cure it";
	case INO_FIND_INODE_REFS:
		return "a missing iput(), or an in-kernel user residue does not model: unmounting "
		       "will report busy inodes; drop_caches does not cure it";
	default:
		return "";
	}
}

static const char *fstype_of(uint32_t magic, char *buf, size_t size)
{
	const char *t = ino_fstype(magic);
	if (t)
		return t;
	snprintf(buf, size, "0x%x", magic);
	return buf;
}

static const char *pids_of(const InoFinding *f, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < f->n_pids && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%u", i ? "," : "", f->pids[i]);
	return buf;
}

static const char *inode_cell(const InoFinding *f, int col, char *buf, size_t size)
{
	switch (col) {
	case ICOL_KIND:
		return ino_finding_kind_name(f->kind);
	case ICOL_DEV:
		format_kdev(f->dev, buf, size);
		return buf;
	case ICOL_FSTYPE:
		return fstype_of(f->magic, buf, size);
	case ICOL_INODE:
		snprintf(buf, size, "%llu", (unsigned long long)f->ino);
		return buf;
	case ICOL_PARENT:
		snprintf(buf, size, "%llu", (unsigned long long)f->parent_ino);
		return buf;
	case ICOL_NAME: {
		_cleanup_free_ char *e = str_escape_text(f->name);
		snprintf(buf, size, "%s", e ? e : "?");
		return buf;
	}
	case ICOL_COUNT:
		snprintf(buf, size, "%d", f->count);
		return buf;
	case ICOL_UNEXPLAINED:
		snprintf(buf, size, "%lld", (long long)f->unexplained);
		return buf;
	case ICOL_EXPLAINED:
		snprintf(buf, size, "children %u, files %u, fs %u, mounts %u, other %u",
			 f->children, f->files, f->fs_refs, f->mounts, f->other);
		return buf;
	case ICOL_PIDS:
		return pids_of(f, buf, size);
	case ICOL_MNTID:
		snprintf(buf, size, "%llu", (unsigned long long)f->mnt_id);
		return buf;
	case ICOL_DENTRY:
		snprintf(buf, size, "0x%llx", (unsigned long long)f->dentry);
		return buf;
	case ICOL_ACTION:
		return inode_finding_action(f);
	default:
		return "";
	}
}

int render_inodes_table(const InodeAudit *a, const TableOptions *o, FILE *f)
{
	struct libscols_table *tb = table_new(&inode_column_set, o, f);
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	for (size_t i = 0; i < a->n_findings && ret == 0; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		if (!ln) {
			ret = -ENOMEM;
			break;
		}
		for (size_t c = 0; c < o->n_cols; c++) {
			char buf[512];
			if (scols_line_set_data(ln, c,
						inode_cell(&a->findings[i], o->cols[c], buf,
							   sizeof(buf))) < 0) {
				ret = -ENOMEM;
				break;
			}
		}
	}
	if (ret == 0 && a->n_findings)
		scols_print_table(tb);
	scols_unref_table(tb);
	return ret;
}

void render_inodes_text(const InodeAudit *a, FILE *f)
{
	if (!a->ran) {
		fprintf(f,
			"inodes: not audited: %s (the audit needs BPF iterators: root, or "
			"CAP_BPF and CAP_PERFMON, and kernel BTF)\n",
			strerror(-a->error));
		return;
	}
	fprintf(f,
		"inodes: %zu findings (%zu stranded, %zu dentry_refs, %zu inode_refs) in %zu "
		"superblocks, %llu inodes, two samples %.2f s apart; %zu transient, %zu unknown\n",
		a->n_findings, a->n_kind[INO_FIND_STRANDED], a->n_kind[INO_FIND_DENTRY_REFS],
		a->n_kind[INO_FIND_INODE_REFS], a->n_sbs, (unsigned long long)a->inodes,
		a->interval_s, a->transient, a->over_explained + a->unmodeled + a->holders_unknown);
	if (a->holders_unknown)
		fprintf(f,
			"  %zu dentry counts are unknown, not findings: residue could not read the "
			"kernel's holders (io_uring fixed files, files in flight); see the gaps\n",
			a->holders_unknown);
	if (a->n_kind[INO_FIND_STRANDED])
		fputs("  stranded: cached dentries no unmount will free; the unmount that meets them "
		      "reports \"Busy inodes\" (a kernel BUG on hardened kernels, after which sync(2) "
		      "hangs).  Dropping the dentry cache frees them.\n",
		      f);
	if (a->n_kind[INO_FIND_DENTRY_REFS] || a->n_kind[INO_FIND_INODE_REFS])
		fputs("  dentry_refs/inode_refs: references nothing residue knows of explains, in two "
		      "samples: a leaked dget()/iput() in a filesystem or module, or a kernel holder "
		      "residue does not walk.  Dropping caches does not free them; the filesystem "
		      "cannot be unmounted cleanly.\n",
		      f);
}

static json_object *kdev_json(uint64_t kdev)
{
	char b[32];
	format_kdev(kdev, b, sizeof(b));
	return json_object_new_string(b);
}

json_object *render_inodes_json(const InodeAudit *a, bool every_sb)
{
	json_object *root = json_object_new_object();
	json_object *fs = json_object_new_array();
	json_object *sbs = json_object_new_array();
	json_object *cnt = json_object_new_object();

	json_object_object_add(root, "audited", json_object_new_boolean(a->ran));
	json_object_object_add(root, "error",
			       a->error ? json_object_new_string(strerror(-a->error)) : NULL);
	json_object_object_add(root, "dev", a->target_dev ? kdev_json(a->target_dev) : NULL);
	json_object_object_add(root, "complete", json_object_new_boolean(a->complete));
	json_object_object_add(root, "interval_s", json_object_new_double(a->interval_s));
	json_object_object_add(root, "inodes", json_object_new_int64((int64_t)a->inodes));
	json_object_object_add(root, "dentries", json_object_new_int64((int64_t)a->dentries));
	json_object_object_add(root, "superblocks", json_object_new_int64((int64_t)a->n_sbs));
	json_object_object_add(root, "superblocks_skipped",
			       json_object_new_int64((int64_t)a->sbs_skipped));
	for (int k = 0; k < _INO_FIND_MAX; k++)
		json_object_object_add(cnt, ino_finding_kind_name(k),
				       json_object_new_int64((int64_t)a->n_kind[k]));
	json_object_object_add(cnt, "transient", json_object_new_int64((int64_t)a->transient));
	json_object_object_add(cnt, "unknown", json_object_new_int64((int64_t)a->over_explained));
	json_object_object_add(cnt, "unmodeled", json_object_new_int64((int64_t)a->unmodeled));
	json_object_object_add(cnt, "holders_unknown",
			       json_object_new_int64((int64_t)a->holders_unknown));
	json_object_object_add(root, "counts", cnt);
	for (size_t i = 0; i < a->n_findings; i++) {
		const InoFinding *fi = &a->findings[i];
		json_object *o = json_object_new_object();
		char b[64];
		json_object_object_add(o, "kind",
				       json_object_new_string(ino_finding_kind_name(fi->kind)));
		json_object_object_add(o, "dev", kdev_json(fi->dev));
		json_object_object_add(o, "fstype",
				       json_object_new_string(fstype_of(fi->magic, b, sizeof(b))));
		json_object_object_add(o, "inode", json_object_new_int64((int64_t)fi->ino));
		json_object_object_add(o, "parent_inode",
				       json_object_new_int64((int64_t)fi->parent_ino));
		_cleanup_free_ char *name = str_escape_utf8(fi->name);
		json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
		json_object_object_add(o, "count", json_object_new_int(fi->count));
		json_object_object_add(o, "unexplained", json_object_new_int64(fi->unexplained));
		json_object *ex = json_object_new_object();
		json_object_object_add(ex, "children", json_object_new_int64(fi->children));
		json_object_object_add(ex, "files", json_object_new_int64(fi->files));
		json_object_object_add(ex, "fs", json_object_new_int64(fi->fs_refs));
		json_object_object_add(ex, "mounts", json_object_new_int64(fi->mounts));
		json_object_object_add(ex, "other", json_object_new_int64(fi->other));
		json_object_object_add(o, "explained", ex);
		json_object *pids = json_object_new_array();
		for (uint32_t p = 0; p < fi->n_pids; p++)
			json_object_array_add(pids, json_object_new_int64(fi->pids[p]));
		json_object_object_add(o, "pids", pids);
		json_object_object_add(o, "mnt_id",
				       fi->mnt_id ? json_object_new_int64((int64_t)fi->mnt_id) :
						    NULL);
		json_object_object_add(o, "negative", json_object_new_boolean(fi->negative));
		json_object_object_add(o, "unlinked", json_object_new_boolean(fi->unlinked));
		json_object_object_add(o, "path_cut", json_object_new_boolean(fi->path_cut));
		json_object_object_add(o, "action",
				       json_object_new_string(inode_finding_action(fi)));
		json_object_array_add(fs, o);
	}
	json_object_object_add(root, "findings", fs);
	uint64_t omitted = 0;
	for (size_t i = 0; i < a->n_sbs; i++) {
		const InoSbSummary *sb = &a->sbs[i];
		bool cut = sb->flags & (INO_F_INODES_CUT | INO_F_MOUNTS_CUT);
		if (!every_sb && !sb->findings && !cut) {
			omitted++;
			continue;
		}
		json_object *o = json_object_new_object();
		char b[64];
		json_object_object_add(o, "dev", kdev_json(sb->dev));
		json_object_object_add(o, "fstype",
				       json_object_new_string(fstype_of(sb->magic, b, sizeof(b))));
		json_object_object_add(o, "inodes", json_object_new_int64((int64_t)sb->inodes));
		json_object_object_add(o, "findings", json_object_new_int64((int64_t)sb->findings));
		json_object_object_add(o, "walk_cut", json_object_new_boolean(cut));
		json_object_array_add(sbs, o);
	}
	json_object_object_add(root, "superblock_list", sbs);
	json_object_object_add(root, "superblocks_omitted", json_object_new_uint64(omitted));
	json_object *t = json_object_new_object();
	json_object_object_add(t, "total", json_object_new_double(a->ms));
	json_object_object_add(t, "walk", json_object_new_double(a->walk_ms[0] + a->walk_ms[1]));
	json_object_object_add(t, "holders",
			       json_object_new_double(a->holders_ms[0] + a->holders_ms[1]));
	json_object_object_add(root, "ms", t);
	json_object_object_add(root, "gaps", render_gap_list_json(a->gaps, a->n_gaps));
	return root;
}
