// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Output of the mount census: the per-namespace table (libsmartcols, the
 * -o/-r/-n/--list-columns habits of findmnt), the host summary and
 * findings as text, and the JSON object {"host", "namespaces",
 * "duplicates", "findings"} (docs/JSON.md).
 */
#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

static const ColumnInfo census_columns[_MCOL_MAX] = {
	[MCOL_NS] = { "NS", 10, SCOLS_FL_RIGHT,
		      "64-bit mount namespace id (mnt:[INODE] before Linux 6.11)" },
	[MCOL_INODE] = { "INODE", 10, SCOLS_FL_RIGHT, "nsfs inode, as mnt:[INODE] in /proc" },
	[MCOL_PROCS] = { "PROCS", 5, SCOLS_FL_RIGHT, "processes in it" },
	[MCOL_PID] = { "PID", 5, SCOLS_FL_RIGHT, "a process in it" },
	[MCOL_COMM] = { "COMMAND", 0.1, SCOLS_FL_TRUNC, "that process's command" },
	[MCOL_CONTAINER] = { "CONTAINER", 0.2, SCOLS_FL_TRUNC,
			     "container, pod or unit, from that process's cgroup" },
	[MCOL_CGROUP] = { "CGROUP", 0.2, SCOLS_FL_TRUNC, "that process's cgroup" },
	[MCOL_MOUNTS] = { "MOUNTS", 6, SCOLS_FL_RIGHT, "mounts in it" },
	[MCOL_TMPFS] = { "TMPFS", 5, SCOLS_FL_RIGHT, "distinct tmpfs superblocks mounted in it" },
	[MCOL_DIRMASKS] = { "DIRMASKS", 4, SCOLS_FL_RIGHT,
			    "directories masked (under /proc, /sys)" },
	[MCOL_FILEMASKS] = { "FILEMASKS", 4, SCOLS_FL_RIGHT, "files masked with /dev/null" },
	[MCOL_MASKSB] = { "MASKSB", 4, SCOLS_FL_RIGHT, "tmpfs superblocks its masks use" },
	[MCOL_MASKING] = { "MASKING", 14, 0, "tmpfs-per-mask, shared-tmpfs, shared-dir or none" },
	[MCOL_TABLE] = { "TABLE", 6, SCOLS_FL_RIGHT, "size of its mount table as mountinfo text" },
};

static const int census_defaults[] = { MCOL_NS,	       MCOL_PROCS,   MCOL_PID,	 MCOL_COMM,
				       MCOL_CONTAINER, MCOL_MOUNTS,  MCOL_TMPFS, MCOL_DIRMASKS,
				       MCOL_FILEMASKS, MCOL_MASKING, MCOL_TABLE };

const ColumnSet census_column_set = {
	census_columns,
	_MCOL_MAX,
	census_defaults,
	ARRAY_SIZE(census_defaults),
};

static const char *row_cell(const NsCensus *row, int col, bool exact, char *buf, size_t size)
{
	switch (col) {
	case MCOL_NS:
		return mount_ns_name(row->ns, buf, size);
	case MCOL_INODE:
		snprintf(buf, size, "%llu", (unsigned long long)row->ns->ino);
		return buf;
	case MCOL_PROCS:
		snprintf(buf, size, "%u", row->ns->nr_procs);
		return buf;
	case MCOL_PID:
		if (!row->rep)
			return "";
		snprintf(buf, size, "%d", row->rep->pid);
		return buf;
	case MCOL_COMM:
		return row->rep ? row->rep->comm : "";
	case MCOL_CONTAINER:
		return row->has_container ? container_id_short(&row->container, buf, size) : "";
	case MCOL_CGROUP:
		return row->rep && row->rep->cgroup ? row->rep->cgroup : "";
	case MCOL_MOUNTS:
		snprintf(buf, size, "%u", row->mounts);
		return buf;
	case MCOL_TMPFS:
		snprintf(buf, size, "%u", row->tmpfs_superblocks);
		return buf;
	case MCOL_DIRMASKS:
		snprintf(buf, size, "%u", row->dir_masks);
		return buf;
	case MCOL_FILEMASKS:
		snprintf(buf, size, "%u", row->file_masks);
		return buf;
	case MCOL_MASKSB:
		snprintf(buf, size, "%u", row->mask_superblocks);
		return buf;
	case MCOL_MASKING:
		return mask_style_to_string(row->style);
	case MCOL_TABLE:
		if (!row->table_bytes)
			return "";
		format_bytes(row->table_bytes, exact, buf, size);
		return buf;
	}
	return "";
}

int render_census_table(const CensusReport *r, const TableOptions *o, FILE *f)
{
	struct libscols_table *tb = table_new(&census_column_set, o, f);
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_rows; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		if (!ln) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t c = 0; c < o->n_cols; c++) {
			char buf[CONTAINER_ID_SHORT_MAX + 32];
			if (scols_line_set_data(ln, c,
						row_cell(&r->rows[i], o->cols[c], o->bytes, buf,
							 sizeof(buf))) < 0) {
				ret = -ENOMEM;
				goto out;
			}
		}
	}
	scols_print_table(tb);
	if (!o->raw && !o->noheadings) {
		fputc('\n', f);
		render_census_text(r, o->bytes, f);
	}
out:
	scols_unref_table(tb);
	return ret;
}

void render_census_text(const CensusReport *r, bool exact, FILE *f)
{
	(void)exact;
	fprintf(f, "Mount namespaces: %zu, %llu mounts (largest %u, median %u", r->n_rows,
		(unsigned long long)r->mounts, r->max_ns_mounts, r->median_ns_mounts);
	if (r->mount_max)
		fprintf(f, "; fs.mount-max %llu per namespace", (unsigned long long)r->mount_max);
	fprintf(f, "), %llu tmpfs superblocks, %llu of them only masking paths\n",
		(unsigned long long)r->tmpfs_superblocks, (unsigned long long)r->mask_superblocks);
	for (size_t i = 0; i < r->n_findings; i++) {
		_cleanup_free_ char *e = str_escape_text(r->findings[i].text);
		fprintf(f, "  %s: %s\n", census_finding_kind_to_string(r->findings[i].kind),
			e ? e : "");
	}
}

/* The namespace's id, or null where the kernel gives none (its inode is then the key). */
static json_object *ns_id_json(const MountNs *ns)
{
	return ns && !ns->id_is_ino ? json_object_new_uint64(ns->id) : NULL;
}

static json_object *str_json(const char *s)
{
	if (!s)
		return NULL;
	_cleanup_free_ char *e = str_escape_utf8(s);
	return e ? json_object_new_string(e) : NULL;
}

json_object *render_census_json(const CensusReport *r)
{
	json_object *root = json_object_new_object();
	json_object *host = json_object_new_object();
	json_object *rows = json_object_new_array();
	json_object *dups = json_object_new_array();
	json_object *finds = json_object_new_array();

	json_object_object_add(host, "namespaces", json_object_new_uint64(r->n_rows));
	json_object_object_add(host, "mounts", json_object_new_uint64(r->mounts));
	json_object_object_add(host, "mount_max",
			       r->mount_max ? json_object_new_uint64(r->mount_max) : NULL);
	json_object_object_add(host, "max_namespace_mounts",
			       json_object_new_uint64(r->max_ns_mounts));
	json_object_object_add(host, "median_namespace_mounts",
			       json_object_new_uint64(r->median_ns_mounts));
	json_object_object_add(host, "tmpfs_superblocks",
			       json_object_new_uint64(r->tmpfs_superblocks));
	json_object_object_add(host, "mask_superblocks",
			       json_object_new_uint64(r->mask_superblocks));
	json_object_object_add(host, "mask_superblocks_saved_if_shared",
			       json_object_new_uint64(r->mask_superblocks_saved));
	json_object_object_add(root, "host", host);

	for (size_t i = 0; i < r->n_rows; i++) {
		const NsCensus *row = &r->rows[i];
		json_object *o = json_object_new_object();
		char buf[CONTAINER_ID_SHORT_MAX];
		json_object_object_add(o, "ns_id", ns_id_json(row->ns));
		json_object_object_add(o, "inode", json_object_new_uint64(row->ns->ino));
		json_object_object_add(o, "processes", json_object_new_uint64(row->ns->nr_procs));
		json_object_object_add(o, "pid",
				       row->rep ? json_object_new_int64(row->rep->pid) : NULL);
		json_object_object_add(o, "comm", row->rep ? str_json(row->rep->comm) : NULL);
		json_object_object_add(o, "cgroup", row->rep ? str_json(row->rep->cgroup) : NULL);
		if (row->has_container) {
			json_object *c = json_object_new_object();
			json_object_object_add(c, "runtime",
					       json_object_new_string(container_runtime_to_string(
						       row->container.runtime)));
			json_object_object_add(
				c, "id", row->container.id[0] ? str_json(row->container.id) : NULL);
			json_object_object_add(
				c, "pod",
				row->container.pod[0] ? str_json(row->container.pod) : NULL);
			json_object_object_add(
				c, "unit",
				row->container.unit[0] ? str_json(row->container.unit) : NULL);
			json_object_object_add(
				c, "name",
				str_json(container_id_short(&row->container, buf, sizeof(buf))));
			json_object_object_add(o, "container", c);
		} else {
			json_object_object_add(o, "container", NULL);
		}
		json_object_object_add(o, "mounts", json_object_new_uint64(row->mounts));
		json_object_object_add(o, "tmpfs_superblocks",
				       json_object_new_uint64(row->tmpfs_superblocks));
		json_object_object_add(o, "dir_masks", json_object_new_uint64(row->dir_masks));
		json_object_object_add(o, "file_masks", json_object_new_uint64(row->file_masks));
		json_object_object_add(o, "mask_superblocks",
				       json_object_new_uint64(row->mask_superblocks));
		json_object_object_add(o, "masking",
				       json_object_new_string(mask_style_to_string(row->style)));
		json_object_object_add(o, "table_bytes",
				       row->table_bytes ? json_object_new_uint64(row->table_bytes) :
							  NULL);
		json_object_array_add(rows, o);
	}
	json_object_object_add(root, "namespaces", rows);

	for (size_t i = 0; i < r->n_dups; i++) {
		const DupMount *d = &r->dups[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ns_id", ns_id_json(d->ns));
		json_object_object_add(o, "inode", json_object_new_uint64(d->ns->ino));
		json_object_object_add(o, "source", str_json(d->m->source));
		json_object_object_add(o, "root", str_json(d->m->root));
		json_object_object_add(o, "fstype", str_json(d->m->fstype));
		json_object_object_add(o, "target", d->stacked ? str_json(d->m->point) : NULL);
		json_object_object_add(o, "count", json_object_new_uint64(d->count));
		json_object_object_add(o, "kind",
				       json_object_new_string(d->stacked ? "stacked" : "repeated"));
		json_object_array_add(dups, o);
	}
	json_object_object_add(root, "duplicates", dups);

	for (size_t i = 0; i < r->n_findings; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(
			o, "kind",
			json_object_new_string(census_finding_kind_to_string(r->findings[i].kind)));
		const MountNs *ns = r->findings[i].ns;
		json_object_object_add(o, "ns_id", ns_id_json(ns));
		json_object_object_add(o, "inode", ns ? json_object_new_uint64(ns->ino) : NULL);
		json_object_object_add(o, "text", str_json(r->findings[i].text));
		json_object_array_add(finds, o);
	}
	json_object_object_add(root, "findings", finds);
	return root;
}
