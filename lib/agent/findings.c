// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Findings of a report and their differences between two scans
 * (findings.h).  Keys are chosen so that a finding that persists keeps
 * its key even when its figures change (a census finding's counts, an
 * orphan's bytes): the agent reports a state change, not every scan.
 */
#include "agent/findings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/container-id.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "render/render.h"

static void finding_free(Finding *f)
{
	free(f->key);
	free(f->text);
	for (size_t i = 0; i < f->n_fields; i++)
		free(f->fields[i].value);
}

void finding_list_done(FindingList *l)
{
	for (size_t i = 0; i < l->n; i++)
		finding_free(&l->items[i]);
	free(l->items);
	*l = (FindingList){ 0 };
}

/* Adding fields: the first allocation failure sticks in *oom, later calls do nothing. */
typedef struct Builder {
	Finding *f;
	bool oom;
} Builder;

_printf_(4, 5) static void field(Builder *b, const char *name, bool number, const char *fmt, ...)
{
	va_list ap;
	FindingField *x;

	if (b->oom || b->f->n_fields == FINDING_FIELDS_MAX)
		return;
	x = &b->f->fields[b->f->n_fields++];
	x->name = name;
	x->number = number;
	if (!fmt)
		return; /* unknown */
	va_start(ap, fmt);
	if (vasprintf(&x->value, fmt, ap) < 0) {
		x->value = NULL;
		b->oom = true;
	}
	va_end(ap);
}

_printf_(3, 4) static void set(Builder *b, char **dst, const char *fmt, ...)
{
	va_list ap;
	if (b->oom)
		return;
	va_start(ap, fmt);
	if (vasprintf(dst, fmt, ap) < 0) {
		*dst = NULL;
		b->oom = true;
	}
	va_end(ap);
}

static Finding *add(FindingList *l, const char *kind, int severity)
{
	Finding *f = ARRAY_PUSH(l->items, l->n, l->cap);
	if (f) {
		f->kind = kind;
		f->severity = severity;
	}
	return f;
}

static int orphan_finding(FindingList *l, const Snapshot *s, const Orphan *o)
{
	Finding *f = add(l, "orphaned_filesystem", o->risk == RISK_DATA_LOSS ? 3 : 4);
	Builder b = { f, !f };
	char dev[32], bytes[32] = "?", cont[CONTAINER_ID_SHORT_MAX] = "";
	const char *fstype = o->sb && o->sb->fstype[0] ? o->sb->fstype : "unknown";
	const Process *p;
	const char *how = orphan_lead(s, o, &p);
	ContainerId c;

	if (!f)
		return -ENOMEM;
	format_dev(o->dev, dev, sizeof(dev));
	if (o->pinned_known)
		format_bytes(o->pinned_bytes, false, bytes, sizeof(bytes));
	if (p && p->cgroup && container_id_parse(p->cgroup, strlen(p->cgroup), &c) == 0)
		container_id_short(&c, cont, sizeof(cont));
	/* Freed device numbers are given out again at once: the superblock's fsid tells them apart. */
	if (o->sb && o->sb->fsid)
		set(&b, &f->key, "orphaned_filesystem %s %016llx", dev,
		    (unsigned long long)o->sb->fsid);
	else
		set(&b, &f->key, "orphaned_filesystem %s", dev);
	set(&b, &f->text, "%s %s %s, pins %s (%s risk): %s", fstype, dev,
	    orphan_state_to_string(o->state), bytes, risk_to_string(o->risk),
	    o->hint ? o->hint : "no holder named");
	field(&b, "dev", false, "%s", dev);
	field(&b, "fstype", false, "%s", fstype);
	field(&b, "state", false, "%s", orphan_state_to_string(o->state));
	field(&b, "risk", false, "%s", risk_to_string(o->risk));
	if (o->pinned_known)
		field(&b, "pinned_bytes", true, "%llu", (unsigned long long)o->pinned_bytes);
	else
		field(&b, "pinned_bytes", true, NULL);
	field(&b, "holders", true, "%zu", orphan_holder_count(o));
	if (p) {
		field(&b, "holder_pid", true, "%d", p->pid);
		field(&b, "holder_comm", false, "%s", p->comm);
	}
	if (how)
		field(&b, "holder_how", false, "%s", how);
	if (cont[0])
		field(&b, "container", false, "%s", cont);
	return b.oom ? -ENOMEM : 0;
}

static int lonely_finding(FindingList *l, const LonelyNs *n)
{
	Finding *f = add(l, "processless_mount_namespace", 4);
	Builder b = { f, !f };
	char bytes[32] = "?";

	if (!f)
		return -ENOMEM;
	if (n->ns->tmpfs_known)
		format_bytes(n->ns->tmpfs_bytes, false, bytes, sizeof(bytes));
	set(&b, &f->key, "processless_mount_namespace %llu", (unsigned long long)n->ns->id);
	set(&b, &f->text,
	    "mount namespace mnt:[%llu] has no process, %u mounts, %s in tmpfs only it mounts: %s",
	    (unsigned long long)n->ns->ino, n->ns->nr_mounts, bytes, n->hint ? n->hint : "");
	if (n->ns->id_is_ino)
		field(&b, "ns_id", true, NULL);
	else
		field(&b, "ns_id", true, "%llu", (unsigned long long)n->ns->id);
	field(&b, "inode", true, "%llu", (unsigned long long)n->ns->ino);
	field(&b, "mounts", true, "%u", n->ns->nr_mounts);
	if (n->ns->tmpfs_known)
		field(&b, "pinned_bytes", true, "%llu", (unsigned long long)n->ns->tmpfs_bytes);
	else
		field(&b, "pinned_bytes", true, NULL);
	return b.oom ? -ENOMEM : 0;
}

static int zombie_finding(FindingList *l, const HostReport *r, const ReportTotals *t)
{
	Finding *f = add(l, "zombie_memcgs", 4);
	Builder b = { f, !f };
	char bytes[32] = "?", kmem[32];
	uint64_t kmem_bytes = t->zombies * r->zombies->kmem_per_zombie;

	if (!f)
		return -ENOMEM;
	if (t->zombie_bytes != ZS_UNKNOWN)
		format_bytes(t->zombie_bytes, false, bytes, sizeof(bytes));
	format_bytes(kmem_bytes, false, kmem, sizeof(kmem));
	set(&b, &f->key, "zombie_memcgs");
	set(&b, &f->text,
	    "%llu zombie memory cgroups (threshold %llu), %s charged to them, about %s of kernel "
	    "memory: residue zombies --parents",
	    (unsigned long long)t->zombies, (unsigned long long)r->zombie_threshold, bytes, kmem);
	field(&b, "zombies", true, "%llu", (unsigned long long)t->zombies);
	field(&b, "threshold", true, "%llu", (unsigned long long)r->zombie_threshold);
	if (t->zombie_bytes != ZS_UNKNOWN)
		field(&b, "charged_bytes", true, "%llu", (unsigned long long)t->zombie_bytes);
	else
		field(&b, "charged_bytes", true, NULL);
	field(&b, "kernel_memory_bytes", true, "%llu", (unsigned long long)kmem_bytes);
	return b.oom ? -ENOMEM : 0;
}

static const char *census_kind(CensusFindingKind k)
{
	static const char *const kinds[_CENSUS_FINDING_MAX] = {
		[CENSUS_OUTLIER] = "mount_outlier",
		[CENSUS_NEAR_MAX] = "near_mount_max",
		[CENSUS_DUPLICATE] = "duplicate_mounts",
		[CENSUS_MASK_TMPFS] = "tmpfs_per_mask",
	};
	return k < _CENSUS_FINDING_MAX ? kinds[k] : "census";
}

static int census_finding(FindingList *l, const CensusFinding *c)
{
	Finding *f = add(l, census_kind(c->kind), c->kind == CENSUS_NEAR_MAX ? 4 : 5);
	Builder b = { f, !f };

	if (!f)
		return -ENOMEM;
	/* The counts in the text change from scan to scan; the key must not. */
	uint64_t key = c->ns ? c->ns->id : 0;
	if (c->dup)
		set(&b, &f->key, "%s %llu %s:%s %s", f->kind, (unsigned long long)key,
		    c->dup->m->source, c->dup->m->root, c->dup->stacked ? c->dup->m->point : "");
	else
		set(&b, &f->key, "%s %llu", f->kind, (unsigned long long)key);
	set(&b, &f->text, "%s", c->text);
	if (c->ns && c->ns->id_is_ino)
		field(&b, "ns_id", true, NULL);
	else if (c->ns)
		field(&b, "ns_id", true, "%llu", (unsigned long long)c->ns->id);
	if (c->ns)
		field(&b, "inode", true, "%llu", (unsigned long long)c->ns->ino);
	return b.oom ? -ENOMEM : 0;
}

/*
 * One kernel-log finding.  Its key holds the first record's sequence number,
 * which never changes while the kernel repeats the report, and tells a later
 * leak on a reused device name apart only by kind and device (they merge).
 */
static int kernel_log_finding(FindingList *l, const KernelLogFinding *k)
{
	Finding *f = add(l, "kernel_log", kernel_log_kind_severity(k->kind));
	Builder b = { f, !f };
	const char *kind = kernel_log_kind_to_string(k->kind);
	char subject[160], when[32];

	if (!f)
		return -ENOMEM;
	kernel_log_subject(k, subject, sizeof(subject));
	format_wall_time(k->wall, when, sizeof(when));
	_cleanup_free_ char *msg = str_escape_text(k->message);
	set(&b, &f->key, "kernel_log %s %s %s %llu", kind, k->dev, k->fstype,
	    (unsigned long long)k->seq);
	set(&b, &f->text, "%s %s at %s: %s: %s", kind, subject, when, msg ? msg : "",
	    kernel_log_kind_meaning(k->kind));
	field(&b, "log_kind", false, "%s", kind);
	field(&b, "dev", false, k->dev[0] ? "%s" : NULL, k->dev);
	field(&b, "fstype", false, k->fstype[0] ? "%s" : NULL, k->fstype);
	if (k->count_known)
		field(&b, "count", true, "%lld", (long long)k->count);
	else
		field(&b, "count", true, NULL);
	field(&b, "records", true, "%u", k->records);
	if (k->pid) {
		field(&b, "pid", true, "%d", (int)k->pid);
		field(&b, "comm", false, "%s", k->comm);
	}
	field(&b, "seq", true, "%llu", (unsigned long long)k->seq);
	field(&b, "boot_usec", true, "%llu", (unsigned long long)k->ts_usec);
	field(&b, "message", false, "%s", k->message);
	return b.oom ? -ENOMEM : 0;
}

/*
 * One finding of the inode audit.  Its key names the dentry by what stays
 * while it lives (device, inode, parent, name; never its kernel address,
 * which logs should not carry), not by its counts, which may change.
 * Severity: a leaked count makes the unmount report busy inodes (a kernel
 * BUG on hardened kernels); a stranded dentry can still be dropped.
 */
static int inode_finding(FindingList *l, const InoFinding *fi)
{
	Finding *f = add(l, "inodes", fi->kind == INO_FIND_STRANDED ? 4 : 3);
	Builder b = { f, !f };
	const char *kind = ino_finding_kind_name(fi->kind), *fstype = ino_fstype(fi->magic);
	char dev[32];

	if (!f)
		return -ENOMEM;
	format_kdev(fi->dev, dev, sizeof(dev));
	_cleanup_free_ char *name = str_escape_text(fi->name);
	set(&b, &f->key, "inodes %s %s %llu %llu %s", kind, dev, (unsigned long long)fi->ino,
	    (unsigned long long)fi->parent_ino, name ? name : "");
	set(&b, &f->text, "%s on %s (%s): inode %llu \"%s\", count %d, %lld unexplained: %s", kind,
	    dev, fstype ? fstype : "?", (unsigned long long)fi->ino, name ? name : "", fi->count,
	    (long long)fi->unexplained, inode_finding_action(fi));
	field(&b, "inode_kind", false, "%s", kind);
	field(&b, "dev", false, "%s", dev);
	field(&b, "fstype", false, fstype ? "%s" : NULL, fstype);
	field(&b, "inode", true, "%llu", (unsigned long long)fi->ino);
	field(&b, "parent_inode", true, "%llu", (unsigned long long)fi->parent_ino);
	field(&b, "name", false, "%s", fi->name);
	field(&b, "count", true, "%d", fi->count);
	field(&b, "unexplained", true, "%lld", (long long)fi->unexplained);
	if (fi->n_pids)
		field(&b, "pid", true, "%u", fi->pids[0]);
	if (fi->mnt_id)
		field(&b, "mnt_id", true, "%llu", (unsigned long long)fi->mnt_id);
	return b.oom ? -ENOMEM : 0;
}

/* A dead superblock: critical (2), for the next sync(2) on the host hangs. */
static int dead_sb_finding(FindingList *l, const Snapshot *s, const DeadSb *d, const KernelLog *log)
{
	Finding *f = add(l, "dead_superblock", 2);
	Builder b = { f, !f };
	const KernelSb *k = d->ksb;
	const LoopDev *lo = d->loop != SIZE_MAX ? &s->loops[d->loop] : NULL;
	const KernelLogFinding *lf = dead_sb_log_finding(log, d);
	char dev[32];

	if (!f)
		return -ENOMEM;
	format_dev(k->dev, dev, sizeof(dev));
	set(&b, &f->key, "dead_superblock %s", dev);
	set(&b, &f->text, "%s: %s", dev, d->hint ? d->hint : "its unmount died in the kernel");
	field(&b, "dev", false, "%s", dev);
	field(&b, "fstype", false, k->named && k->fstype[0] ? "%s" : NULL, k->fstype);
	field(&b, "device", false, k->named && k->s_id[0] ? "%s" : NULL, k->s_id);
	field(&b, "loop", false, lo ? "%s" : NULL, lo ? lo->name : "");
	field(&b, "backing_file", false, lo && lo->backing ? "%s" : NULL,
	      lo && lo->backing ? lo->backing : "");
	if (k->bytes_known)
		field(&b, "busy_inodes", true, "%u", k->inodes);
	else
		field(&b, "busy_inodes", true, NULL);
	if (lf)
		field(&b, "kernel_log_seq", true, "%llu", (unsigned long long)lf->seq);
	else
		field(&b, "kernel_log_seq", true, NULL);
	return b.oom ? -ENOMEM : 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const Finding *)a)->key, ((const Finding *)b)->key);
}

int findings_from_report(const HostReport *r, FindingList *ret)
{
	FindingList l = { 0 };
	ReportTotals t;
	int e = 0;

	report_totals(r, &t);
	for (size_t i = 0; e == 0 && r->orphans && i < r->orphans->n_dead; i++)
		e = dead_sb_finding(&l, r->snap, &r->orphans->dead[i], r->kernel_log);
	for (size_t i = 0; e == 0 && r->orphans && i < r->orphans->n_orphans; i++)
		e = orphan_finding(&l, r->snap, &r->orphans->orphans[i]);
	for (size_t i = 0; e == 0 && r->orphans && i < r->orphans->n_nss; i++)
		e = lonely_finding(&l, &r->orphans->nss[i]);
	if (e == 0 && t.zombies_over)
		e = zombie_finding(&l, r, &t);
	for (size_t i = 0; e == 0 && r->census && i < r->census->n_findings; i++)
		e = census_finding(&l, &r->census->findings[i]);
	for (size_t i = 0; e == 0 && r->kernel_log && i < r->kernel_log->n; i++)
		e = kernel_log_finding(&l, &r->kernel_log->items[i]);
	for (size_t i = 0; e == 0 && r->inodes && i < r->inodes->n_findings; i++)
		e = inode_finding(&l, &r->inodes->findings[i]);
	if (e < 0) {
		finding_list_done(&l);
		return e;
	}
	if (l.n)
		qsort(l.items, l.n, sizeof(*l.items), cmp_key);
	/* Two findings with one key (two duplicates that differ only in counts) are one. */
	size_t keep = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (keep && strcmp(l.items[keep - 1].key, l.items[i].key) == 0) {
			finding_free(&l.items[i]);
			continue;
		}
		l.items[keep++] = l.items[i];
	}
	l.n = keep;
	*ret = l;
	return 0;
}

int findings_diff(const FindingList *old, const FindingList *new,
		  int (*fn)(void *userdata, const Finding *f, bool appeared), void *userdata)
{
	int r;

	/* Gone first: a log reads "orphan gone" before "orphan appeared" when a device is reused. */
	for (size_t i = 0, j = 0; i < old->n; i++) {
		while (j < new->n && strcmp(new->items[j].key, old->items[i].key) < 0)
			j++;
		if (j < new->n && strcmp(new->items[j].key, old->items[i].key) == 0)
			continue;
		if ((r = fn(userdata, &old->items[i], false)) < 0)
			return r;
	}
	for (size_t i = 0, j = 0; i < new->n; i++) {
		while (j < old->n && strcmp(old->items[j].key, new->items[i].key) < 0)
			j++;
		if (j < old->n && strcmp(old->items[j].key, new->items[i].key) == 0)
			continue;
		if ((r = fn(userdata, &new->items[i], true)) < 0)
			return r;
	}
	return 0;
}
