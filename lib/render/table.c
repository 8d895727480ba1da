// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Text output: the orphans table (libsmartcols, one row per holder with the
 * orphan's columns repeated, as lsfd does, so -r output stays greppable),
 * the process-less namespaces, the gaps footer and the one-screen summary.
 */
#include <errno.h>
#include <limits.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

/* fputs() for strings from the system: never raw bytes to a terminal. */
static void put_safe(const char *str, FILE *f)
{
	_cleanup_free_ char *e = str ? str_escape_text(str) : NULL;
	if (e)
		fputs(e, f);
}

/* The row of a kernel holder (@h NULL): no process; a loop device (@l), or unnamed. */
static const char *kernel_holder_cell(int col, const LoopDev *l, bool unknown)
{
	switch (col) {
	case COL_COMM:
		return l       ? l->name :
		       unknown ? "unknown (unreadable processes)" :
				 "unnamed (kernel)";
	case COL_HOW:
		return l ? "loop" : unknown ? "unknown" : "kernel";
	case COL_PATH:
		return l && l->backing ? l->backing : "";
	default:
		return "";
	}
}

/* A file in flight: the process that holds its socket, when known, and the socket. */
static const char *inflight_cell(const Snapshot *s, const Inflight *f, int col, char *buf,
				 size_t size)
{
	const Process *p = inflight_owner(s, f);

	switch (col) {
	case COL_PID:
		if (!f->resolved)
			return "";
		snprintf(buf, size, "%d", f->owner_pid);
		return buf;
	case COL_COMM:
		return p && p->comm[0] ? p->comm : f->resolved ? "" : "unnamed (unix socket)";
	case COL_CGROUP:
		return p && p->cgroup ? p->cgroup : "";
	case COL_HOW:
		return inflight_how(f);
	case COL_FD:
		if (!f->resolved)
			return "";
		snprintf(buf, size, "%d", f->owner_fd);
		return buf;
	case COL_PATH:
		if (!f->owner_sock_ino)
			return "";
		snprintf(buf, size, "socket:[%llu]", (unsigned long long)f->owner_sock_ino);
		return buf;
	default:
		return "";
	}
}

/* An io_uring ring, an fsopen context or an overlay: the process, its fd, the file or mount. */
static const char *kholder_cell(const Snapshot *s, const KHolder *k, int col, char *buf,
				size_t size)
{
	const Process *p = kholder_owner(s, k);

	switch (col) {
	case COL_PID:
		if (!k->pid)
			return "";
		snprintf(buf, size, "%d", k->pid);
		return buf;
	case COL_COMM:
		return p ? p->comm : "";
	case COL_CGROUP:
		return p && p->cgroup ? p->cgroup : "";
	case COL_HOW:
		return kholder_how(k);
	case COL_FD:
		if (k->fd < 0)
			return "";
		snprintf(buf, size, "%d", k->fd);
		return buf;
	case COL_PATH:
		return k->path ? k->path : "";
	default:
		return "";
	}
}

static const char *orphan_cell(const Snapshot *s, const Orphan *o, const Holder *h,
			       const LoopDev *loop, const Inflight *fl, const KHolder *kh, int col,
			       bool exact, char *buf, size_t size)
{
	const Process *p = h ? &s->procs[h->proc] : NULL;
	char mode[8];

	if (!h && kh &&
	    (col == COL_PID || col == COL_COMM || col == COL_CGROUP || col == COL_HOW ||
	     col == COL_FD || col == COL_MODE || col == COL_PATH))
		return kholder_cell(s, kh, col, buf, size);
	if (!h && fl &&
	    (col == COL_PID || col == COL_COMM || col == COL_CGROUP || col == COL_HOW ||
	     col == COL_FD || col == COL_MODE || col == COL_PATH))
		return inflight_cell(s, fl, col, buf, size);
	if (!h && (col == COL_PID || col == COL_COMM || col == COL_CGROUP || col == COL_HOW ||
		   col == COL_FD || col == COL_MODE || col == COL_PATH))
		return kernel_holder_cell(col, loop, o->holder_unknown);
	switch (col) {
	case COL_DEV:
		format_dev(o->dev, buf, size);
		return buf;
	case COL_FSTYPE:
		return o->sb ? o->sb->fstype : "";
	case COL_SOURCE:
		return o->sb && o->sb->source ? o->sb->source : "";
	case COL_STATE:
		return orphan_state_to_string(o->state);
	case COL_RISK:
		return risk_to_string(o->risk);
	case COL_PINNED:
		if (!o->pinned_known)
			return "";
		format_bytes(o->pinned_bytes, exact, buf, size);
		return buf;
	case COL_PID:
		snprintf(buf, size, "%d", h->tid ? h->tid : p->pid);
		return buf;
	case COL_COMM:
		return p->comm;
	case COL_CGROUP:
		return p->cgroup ? p->cgroup : "";
	case COL_HOW:
		return holder_how_to_string((HolderHow)h->how);
	case COL_FD:
		if (h->fd < 0)
			return "";
		snprintf(buf, size, "%d", h->fd);
		return buf;
	case COL_MODE: {
		const char *m = holder_mode_string(h, mode);
		snprintf(buf, size, "%s", m ? m : "");
		return buf;
	}
	case COL_PATH:
		return h->path ? h->path : "";
	case COL_TOPFILE:
		if (!o->sb || o->sb->n_files == 0)
			return "";
		snprintf(buf, size, "%s", o->sb->files[0].path);
		return buf;
	case COL_HINT:
		return o->hint ? o->hint : "";
	}
	return "";
}

/*
 * Under a process-less namespace, one line per superblock only it keeps:
 * device, type, bytes (tmpfs; "?" when not measured) and where it is mounted.
 */
static void put_kept(const LonelyNs *l, bool exact, FILE *f)
{
	for (size_t i = 0; i < l->ns->n_kept; i++) {
		const KeptFs *k = &l->ns->kept[i];
		char dev[32], b[32] = "?";
		format_dev(k->dev, dev, sizeof(dev));
		if (k->bytes_known)
			format_bytes(k->bytes, exact, b, sizeof(b));
		fprintf(f, "      %-8s %-9s %6s  ", dev, k->fstype[0] ? k->fstype : "?", b);
		put_safe(k->point, f);
		if (l->kept_shared && l->kept_shared[i])
			fputs("  (another process-less namespace mounts it too)", f);
		fputc('\n', f);
	}
}

int render_orphans_table(const Snapshot *s, const OrphanReport *r, const TableOptions *o, FILE *f)
{
	struct libscols_table *tb = table_new(&orphan_column_set, o, f);
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_orphans; i++) {
		const Orphan * or = &r->orphans[i];
		size_t in_flight = or->n_loops + or->n_inflight;
		size_t named = in_flight + or->n_kholders;
		size_t rows = or->n_holders + (or->kernel_held ? MAX(named, (size_t)1) : 0);
		for (size_t k = 0; k < rows; k++) {
			const Holder *h = k < or->n_holders ? &s->holders[or->holders[k]] : NULL;
			size_t li = k - or->n_holders;
			const LoopDev *loop =
				!h && li < or->n_loops ? &s->loops[or->loops[li]] : NULL;
			const Inflight *fl = !h && li >= or->n_loops && li < in_flight ?
						     &s->inflight[or->inflight[li - or->n_loops]] :
						     NULL;
			const KHolder *kh = !h && li >= in_flight && li < named ?
						    &s->kholders[or->kholders[li - in_flight]] :
						    NULL;
			struct libscols_line *ln = scols_table_new_line(tb, NULL);
			if (!ln) {
				ret = -ENOMEM;
				goto out;
			}
			for (size_t c = 0; c < o->n_cols; c++) {
				char buf[PATH_MAX];
				const char *v = orphan_cell(s, or, h, loop, fl, kh, o->cols[c],
							    o->bytes, buf, sizeof(buf));
				if (scols_line_set_data(ln, c, v) < 0) {
					ret = -ENOMEM;
					goto out;
				}
			}
		}
	}
	if (r->n_orphans > 0)
		scols_print_table(tb);
	/* Footers: hints, largest files, process-less namespaces; not with -r or -n. */
	if (o->raw || o->noheadings)
		goto out;
	for (size_t i = 0; i < r->n_orphans; i++) {
		const Orphan * or = &r->orphans[i];
		char dev[32], b[32];
		format_dev(or->dev, dev, sizeof(dev));
		fprintf(f, "\n%s: ", dev);
		put_safe(or->hint, f);
		fputc('\n', f);
		if (! or->sb)
			continue;
		for (size_t j = 0; j < or->sb->n_files; j++) {
			format_bytes(or->sb->files[j].bytes, o->bytes, b, sizeof(b));
			fprintf(f, "  %8s  ", b);
			put_safe(or->sb->files[j].path, f);
			fputc('\n', f);
		}
		if (or->sb->files_listed && or->sb->nr_files > or->sb->n_files)
			fprintf(f, "  (%llu files in all)\n",
				(unsigned long long) or->sb->nr_files);
		if (or->sb->files_note) {
			fputs("  (", f);
			put_safe(or->sb->files_note, f);
			fputs(")\n", f);
		}
	}
	if (r->n_nss > 0) {
		fprintf(f, "%sMount namespaces with no process:\n", r->n_orphans ? "\n" : "");
		for (size_t i = 0; i < r->n_nss; i++) {
			const LonelyNs *l = &r->nss[i];
			char b[32] = "?";
			if (l->ns->tmpfs_known)
				format_bytes(l->ns->tmpfs_bytes, o->bytes, b, sizeof(b));
			fprintf(f, "  mnt:[%llu] id %llu: %u mount%s, %s in tmpfs; ",
				(unsigned long long)l->ns->ino, (unsigned long long)l->ns->id,
				l->ns->nr_mounts, l->ns->nr_mounts == 1 ? "" : "s", b);
			put_safe(l->hint, f);
			fputc('\n', f);
			put_kept(l, o->bytes, f);
		}
	}
out:
	scols_unref_table(tb);
	return ret;
}

void render_gaps_text(const Snapshot *s, FILE *f)
{
	render_gap_list_text(s->gaps, s->n_gaps, f);
}

void render_gap_list_text(const Gap *gaps, size_t n, FILE *f)
{
	for (size_t i = 0; i < n; i++) {
		const Gap *g = &gaps[i];
		fputs("gap: ", f);
		put_safe(g->what, f);
		fprintf(f, ": %s: %s", g->call, strerror(g->err));
		if (g->count > 1)
			fprintf(f, " (%u times", g->count);
		if (g->example)
			fprintf(f, "%se.g. pid %d", g->count > 1 ? ", " : " (", g->example);
		if (g->count > 1 || g->example)
			fputc(')', f);
		fputc('\n', f);
	}
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void render_dead_sbs_text(const Snapshot *s, const OrphanReport *r, const KernelLog *l, FILE *f)
{
	if (!r->n_dead)
		return;
	fprintf(f, "\nDead superblocks: %zu -- sync(2) hangs on this host, reboot it\n", r->n_dead);
	for (size_t i = 0; i < r->n_dead; i++) {
		const DeadSb *d = &r->dead[i];
		const KernelSb *k = d->ksb;
		const LoopDev *lo = d->loop != SIZE_MAX ? &s->loops[d->loop] : NULL;
		const KernelLogFinding *lf = dead_sb_log_finding(l, d);
		char dev[32];
		format_dev(k->dev, dev, sizeof(dev));
		fprintf(f, "  %-8s %-9s ", dev, k->named && k->fstype[0] ? k->fstype : "?");
		put_safe(k->named && k->s_id[0] ? k->s_id : "?", f);
		if (lo) {
			fprintf(f, " %s", lo->name);
			if (lo->backing) {
				fputs(" -> ", f);
				put_safe(lo->backing, f);
			}
		}
		if (k->bytes_known)
			fprintf(f, ", %u busy %s", k->inodes, plural(k->inodes, "inode", "inodes"));
		if (lf)
			fprintf(f, ", kernel log record %llu", (unsigned long long)lf->seq);
		fputs("\n    ", f);
		put_safe(d->hint, f);
		fputc('\n', f);
	}
}

void render_summary(const Snapshot *s, const OrphanReport *r, double scan_ms, FILE *f)
{
	uint64_t pinned = 0, ns_bytes = r->nss_bytes;
	size_t memory = 0, dataloss = 0, mounts = 0;
	char b[32];

	for (size_t i = 0; i < r->n_orphans; i++) {
		pinned += r->orphans[i].pinned_bytes;
		memory += r->orphans[i].risk == RISK_MEMORY;
		dataloss += r->orphans[i].risk == RISK_DATA_LOSS;
	}
	for (size_t i = 0; i < s->n_nss; i++)
		mounts += s->nss[i].n_mnt_ids;
	size_t refs = MAX((size_t)s->n_refs, s->n_holders);
	fprintf(f, "residue: scanned %zu %s, %zu %s, %zu mount %s, %zu %s in %.0f ms\n", s->n_procs,
		plural(s->n_procs, "process", "processes"), refs,
		plural(refs, "reference", "references"), s->n_nss,
		plural(s->n_nss, "namespace", "namespaces"), mounts,
		plural(mounts, "mount", "mounts"), scan_ms);
	/* First: a host where sync(2) hangs needs a reboot before anything else. */
	render_dead_sbs_text(s, r, NULL, f);

	format_bytes(pinned, false, b, sizeof(b));
	fprintf(f, "\nOrphaned filesystems: %zu", r->n_orphans);
	if (r->n_orphans)
		fprintf(f, ", pinning %s (memory risk: %zu, data-loss risk: %zu)", b, memory,
			dataloss);
	fputc('\n', f);
	for (size_t i = 0; i < r->n_orphans; i++) {
		const Orphan *o = &r->orphans[i];
		char dev[32];
		format_dev(o->dev, dev, sizeof(dev));
		snprintf(b, sizeof(b), "?");
		if (o->pinned_known)
			format_bytes(o->pinned_bytes, false, b, sizeof(b));
		fprintf(f, "  %-8s %-9s %-8s %6s %-9s ", dev, o->sb ? o->sb->fstype : "?",
			orphan_state_to_string(o->state), b, risk_to_string(o->risk));
		put_safe(o->hint, f);
		fputc('\n', f);
	}
	format_bytes(ns_bytes, false, b, sizeof(b));
	fprintf(f, "\nMount namespaces with no process: %zu", r->n_nss);
	if (r->n_nss)
		fprintf(f, ", holding %s in tmpfs only they mount", b);
	fputc('\n', f);
	for (size_t i = 0; i < r->n_nss; i++) {
		const LonelyNs *l = &r->nss[i];
		fprintf(f, "  mnt:[%llu] %u %s: ", (unsigned long long)l->ns->ino, l->ns->nr_mounts,
			plural(l->ns->nr_mounts, "mount", "mounts"));
		put_safe(l->hint, f);
		fputc('\n', f);
		put_kept(l, false, f);
	}
	if (r->n_orphans || r->n_nss)
		fprintf(f, "\nDetails: residue orphans; everything as JSON: residue --json\n");
	if (s->n_gaps) {
		fputc('\n', f);
		render_gaps_text(s, f);
	}
}
