// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The report as Prometheus text exposition format 0.0.4: what GET /metrics
 * serves and `residue --prometheus` prints for node_exporter's textfile
 * collector.  Pure and deterministic, golden-tested like the table and JSON.
 *
 * Conventions (prometheus.io/docs/practices/naming): base units (bytes,
 * seconds), `_total` only on counters, and label sets with a bound that
 * does not grow with the host: orphan_info has at most max_orphan_series
 * series, zombie parents are the top_parents largest plus "other", gap
 * kinds and finding kinds are fixed lists, and (fstype, risk) pairs come
 * from the kernel's filesystem types.  Gauges of a fixed label set are
 * always present, at 0 when there is nothing, so that a query returns 0,
 * not "no data"; docs/METRICS.md says what each metric means.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/zombies.h"
#include "base/container-id.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

#define PAGE 4096ULL

/*
 * A label value: valid UTF-8 with invalid bytes and control characters as
 * the text \xNN (a cgroup or mount point may hold a terminal escape, and
 * /metrics is read on terminals and in logs), then \\ and \" escaped.
 */
static void put_label(FILE *f, const char *name, const char *value, bool first)
{
	_cleanup_free_ char *u = str_escape_text(value ? value : "");
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = u ? u : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A value as Prometheus reads it: integers exactly, NaN for unknown. */
static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v)
		fprintf(f, " %llu\n", (unsigned long long)v);
	else if (fabs(v) >= 1e6)
		fprintf(f, " %.3f\n", v); /* timestamps: keep the milliseconds */
	else
		fprintf(f, " %.9g\n", v);
}

static void sample0(FILE *f, const char *name, double v)
{
	fputs(name, f);
	put_value(f, v);
}

/* A sample with one label. */
static void sample1(FILE *f, const char *name, const char *label, const char *value, double v)
{
	fprintf(f, "%s{", name);
	put_label(f, label, value, true);
	fputc('}', f);
	put_value(f, v);
}

/* "namespaces and mount ids" → "namespaces_and_mount_ids" */
static void phase_label(const char *name, char *buf, size_t size)
{
	size_t n = 0;
	for (const char *p = name; *p && n + 1 < size; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		buf[n++] = alnum || (c >= 'a' && c <= 'z') ? c : '_';
	}
	buf[n] = '\0';
}

/* The phases of lib/collect/scan.c and lib/agent/scanner.c, in the order they run. */
static const char *const phases[] = {
	"namespaces and mount ids",
	"processes and references",
	"mount tables",
	"re-check of unattached references",
	"superblocks of all mounts",
	"probe of unattached references",
	"process-less namespaces",
	"analysis",
	"zombie memory cgroups",
	"zombie page-cache walk",
	"kernel log",
	"inode audit",
};

static const char *const gap_kinds[] = { "privilege", "process", "mount", "cgroup", "other" };
static const char *const risks[] = { "none", "memory", "data-loss" };

void render_prometheus_head(const PromOptions *o, const char *tier, FILE *f)
{
	header(f, "residue_build_info", "gauge",
	       "residue's version, the kernel it runs on and how it reads references "
	       "(tier bpf: BPF iterators; proc: /proc).");
	fputs("residue_build_info{", f);
	put_label(f, "version", o->version, true);
	put_label(f, "kernel", o->kernel, false);
	put_label(f, "tier", tier ? tier : "unknown", false);
	fputs("} 1\n", f);
	header(f, "residue_scans_total", "counter",
	       "Scans of the host made by this process (1 for residue --prometheus).");
	sample0(f, "residue_scans_total", (double)o->scans_total);
	header(f, "residue_scan_failures_total", "counter",
	       "Scans that failed: no report was made (the last good one is still served).");
	sample0(f, "residue_scan_failures_total", (double)o->scan_failures_total);
	header(f, "residue_last_scan_success", "gauge",
	       "1 when the last scan made a report, 0 when it failed (the other metrics are then "
	       "those of the last good scan).");
	sample0(f, "residue_last_scan_success", o->last_scan_failed ? 0 : 1);
	if (o->interval_s > 0) {
		header(f, "residue_scan_interval_seconds", "gauge",
		       "residue serve's period: it rescans at least this often (--interval).");
		sample0(f, "residue_scan_interval_seconds", o->interval_s);
	}
}

static void scan_metrics(const HostReport *r, FILE *f)
{
	header(f, "residue_last_scan_timestamp_seconds", "gauge",
	       "When the last successful scan ended, in seconds since the epoch.");
	sample0(f, "residue_last_scan_timestamp_seconds", r->finished);
	header(f, "residue_scan_duration_seconds", "gauge",
	       "Wall time of each phase of the last scan; phase=\"total\" is the whole scan.");
	/* Every phase a scan can have, at 0 when this one skipped it: no series comes and goes. */
	bool shown[REPORT_PHASES_MAX] = { false };
	for (size_t k = 0; k < ARRAY_SIZE(phases); k++) {
		char p[64];
		double ms = 0;
		for (size_t i = 0; i < r->n_phases; i++)
			if (strcmp(r->phases[i].name, phases[k]) == 0) {
				ms += r->phases[i].ms;
				shown[i] = true;
			}
		phase_label(phases[k], p, sizeof(p));
		sample1(f, "residue_scan_duration_seconds", "phase", p, ms / 1e3);
	}
	for (size_t i = 0; i < r->n_phases; i++) {
		char p[64];
		if (shown[i])
			continue;
		phase_label(r->phases[i].name, p, sizeof(p));
		sample1(f, "residue_scan_duration_seconds", "phase", p, r->phases[i].ms / 1e3);
	}
	sample1(f, "residue_scan_duration_seconds", "phase", "total", r->wall_ms / 1e3);
	header(f, "residue_scan_cpu_seconds", "gauge",
	       "CPU time (user and system) the last scan took in the scanning thread.");
	sample0(f, "residue_scan_cpu_seconds", r->cpu_ms / 1e3);
	header(f, "residue_scan_gaps", "gauge",
	       "Things the last scan could not read, by kind (privilege: a capability is "
	       "missing); the report's gaps say which.");
	size_t counts[ARRAY_SIZE(gap_kinds)] = { 0 };
	const Gap *lists[2] = { r->snap->gaps, r->zombies ? r->zombies->gaps : NULL };
	size_t lens[2] = { r->snap->n_gaps, r->zombies ? r->zombies->n_gaps : 0 };
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lens[l]; i++)
			for (size_t k = 0; k < ARRAY_SIZE(gap_kinds); k++)
				if (strcmp(gap_kind(&lists[l][i]), gap_kinds[k]) == 0)
					counts[k]++;
	for (size_t k = 0; k < ARRAY_SIZE(gap_kinds); k++)
		sample1(f, "residue_scan_gaps", "kind", gap_kinds[k], (double)counts[k]);
}

/* Is @fstype one of the @n first of @list? */
static bool listed(const char *const *list, size_t n, const char *fstype)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], fstype) == 0)
			return true;
	return false;
}

static const char *orphan_fstype(const Orphan * or)
{
	return or->sb && or->sb->fstype[0] ? or->sb->fstype : "unknown";
}

/* Data-loss risk first (an alert lists those), then memory risk, then the most bytes. */
static int cmp_pinned(const void *a, const void *b)
{
	const Orphan *x = *(const Orphan *const *)a, *y = *(const Orphan *const *)b;
	uint64_t px = x->pinned_known ? x->pinned_bytes : 0,
		 py = y->pinned_known ? y->pinned_bytes : 0;
	if (x->risk != y->risk)
		return x->risk > y->risk ? -1 : 1;
	if (px != py)
		return px > py ? -1 : 1;
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static int orphan_metrics(const HostReport *r, const PromOptions *o, FILE *f)
{
	const OrphanReport *rep = r->orphans;
	/* tmpfs always, the kinds seen before (serve), the kinds seen now: each with every risk. */
	const char **types = calloc(1 + o->n_seen_fstypes + rep->n_orphans, sizeof(*types));
	const Orphan **sorted = calloc(rep->n_orphans + 1, sizeof(*sorted));
	size_t nt = 0;

	if (!types || !sorted) {
		free(types);
		free(sorted);
		return -ENOMEM;
	}
	types[nt++] = "tmpfs";
	for (size_t i = 0; i < o->n_seen_fstypes; i++)
		if (!listed(types, nt, o->seen_fstypes[i]))
			types[nt++] = o->seen_fstypes[i];
	for (size_t i = 0; i < rep->n_orphans; i++)
		if (!listed(types, nt, orphan_fstype(&rep->orphans[i])))
			types[nt++] = orphan_fstype(&rep->orphans[i]);

	for (int pass = 0; pass < 2; pass++) {
		const char *name =
			pass ? "residue_orphan_pinned_bytes" : "residue_orphaned_filesystems";
		header(f, name, "gauge",
		       pass ? "Bytes kept by orphaned filesystems (known pinned bytes only), by "
			      "filesystem type and risk." :
			      "Orphaned filesystems: superblocks no mount namespace mounts that "
			      "something still holds, by filesystem type and risk.");
		for (size_t t = 0; t < nt; t++)
			for (size_t k = 0; k < ARRAY_SIZE(risks); k++) {
				double v = 0;
				for (size_t i = 0; i < rep->n_orphans; i++) {
					const Orphan * or = &rep->orphans[i];
					if (strcmp(orphan_fstype(or), types[t]) != 0 ||
					    strcmp(risk_to_string(or->risk), risks[k]) != 0)
						continue;
					v += pass ? (or->pinned_known ? (double) or->pinned_bytes :
									0) :
						    1;
				}
				fprintf(f, "%s{", name);
				put_label(f, "fstype", types[t], true);
				put_label(f, "risk", risks[k], false);
				fputc('}', f);
				put_value(f, v);
			}
	}

	for (size_t i = 0; i < rep->n_orphans; i++)
		sorted[i] = &rep->orphans[i];
	qsort(sorted, rep->n_orphans, sizeof(*sorted), cmp_pinned);
	size_t shown = MIN(rep->n_orphans, (size_t)o->max_orphan_series);
	header(f, "residue_orphan_info", "gauge",
	       "One series per orphaned filesystem (data-loss risk first, then the largest, at "
	       "most --max-orphan-series), its value the bytes it pins (NaN: unknown).");
	for (size_t i = 0; i < shown; i++) {
		const Orphan * or = sorted[i];
		const Process *p;
		(void)orphan_lead(r->snap, or, &p); /* the process a kernel holder is behind, too */
		char dev[32], cont[CONTAINER_ID_SHORT_MAX] = "";
		ContainerId c;
		format_dev(or->dev, dev, sizeof(dev));
		if (p && p->cgroup && container_id_parse(p->cgroup, strlen(p->cgroup), &c) == 0)
			container_id_short(&c, cont, sizeof(cont));
		fputs("residue_orphan_info{", f);
		put_label(f, "dev", dev, true);
		put_label(f, "fstype", orphan_fstype(or), false);
		put_label(f, "state", orphan_state_to_string(or->state), false);
		put_label(f, "risk", risk_to_string(or->risk), false);
		put_label(f, "holder_comm", p ? p->comm : "", false);
		put_label(f, "container", cont, false);
		fputc('}', f);
		put_value(f, or->pinned_known ? (double) or->pinned_bytes : NAN);
	}
	header(f, "residue_orphan_info_omitted", "gauge",
	       "Orphaned filesystems left out of residue_orphan_info by --max-orphan-series.");
	sample0(f, "residue_orphan_info_omitted", (double)(rep->n_orphans - shown));

	uint64_t lonely_bytes = rep->nss_bytes;
	header(f, "residue_processless_mount_namespaces", "gauge",
	       "Mount namespaces no process is in, kept alive by an nsfs fd or bind mount.");
	sample0(f, "residue_processless_mount_namespaces", (double)rep->n_nss);
	header(f, "residue_processless_mount_namespace_pinned_bytes", "gauge",
	       "Bytes in tmpfs superblocks that only process-less mount namespaces mount.");
	sample0(f, "residue_processless_mount_namespace_pinned_bytes", (double)lonely_bytes);
	free(types);
	free(sorted);
	return 0;
}

typedef struct ParentRow {
	const char *path;
	uint64_t zombies, bytes;
} ParentRow;

static int cmp_parent(const void *a, const void *b)
{
	const ParentRow *x = a, *y = b;
	if (x->zombies != y->zombies)
		return x->zombies > y->zombies ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int zombie_metrics(const HostReport *r, const PromOptions *o, FILE *f)
{
	const ZombieScan *z = r->zombies;
	ReportTotals t;
	ParentRow *rows = NULL;
	size_t n = 0;

	report_totals(r, &t);
	if (z && z->used_bpf) {
		rows = calloc(z->n_nodes + 1, sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		for (size_t i = 0; i < z->n_nodes; i++)
			if (!z->nodes[i].dying && z->nodes[i].zombies_below)
				rows[n++] =
					(ParentRow){ z->nodes[i].path, z->nodes[i].zombies_below,
						     z->nodes[i].zombie_pages_below * PAGE };
		qsort(rows, n, sizeof(*rows), cmp_parent);
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *name = pass ? "residue_zombie_charged_bytes" : "residue_zombie_memcgs";
		header(f, name, "gauge",
		       pass ? "Memory charged to zombie memory cgroups, by the live cgroup they died "
			      "under (the largest --top-parents, then \"other\"; \"unknown\" without "
			      "the BPF view)." :
			      "Zombie memory cgroups: removed, but kept by memory charged to them, by "
			      "the live cgroup they died under (the largest --top-parents, then "
			      "\"other\"; \"unknown\" without the BPF view).");
		if (!z || t.zombies == ZS_UNKNOWN)
			continue; /* nothing could count them: absent, and a gap says why */
		if (!z->used_bpf) {
			double v = pass ? (t.zombie_bytes == ZS_UNKNOWN ? NAN :
									  (double)t.zombie_bytes) :
					  (double)t.zombies;
			sample1(f, name, "parent", "unknown", v);
			continue;
		}
		uint64_t other = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t v = pass ? rows[i].bytes : rows[i].zombies;
			if (i < o->top_parents)
				sample1(f, name, "parent", rows[i].path, (double)v);
			else
				other += v;
		}
		sample1(f, name, "parent", "other", (double)other);
	}
	header(f, "residue_zombie_kernel_memory_bytes", "gauge",
	       "Kernel memory the zombie memory cgroups cost, estimated from possible CPUs, "
	       "nodes and the shrinker map (a lower bound without the BPF view).");
	if (z && t.zombies != ZS_UNKNOWN)
		sample0(f, "residue_zombie_kernel_memory_bytes",
			(double)(t.zombies * z->kmem_per_zombie));
	free(rows);
	return 0;
}

static void census_metrics(const HostReport *r, FILE *f)
{
	const CensusReport *c = r->census;
	header(f, "residue_mount_namespaces", "gauge",
	       "Mount namespaces on the host, with or without a process.");
	sample0(f, "residue_mount_namespaces", (double)c->n_rows);
	header(f, "residue_mounts", "gauge", "Mounts in all mount namespaces together.");
	sample0(f, "residue_mounts", (double)c->mounts);
	header(f, "residue_mounts_max_per_namespace", "gauge",
	       "Mounts in the largest mount namespace (fs.mount-max limits each one).");
	sample0(f, "residue_mounts_max_per_namespace", (double)c->max_ns_mounts);
	header(f, "residue_mount_max", "gauge",
	       "fs.mount-max: the most mounts one mount namespace may have (NaN: unread).");
	sample0(f, "residue_mount_max", c->mount_max ? (double)c->mount_max : NAN);
	header(f, "residue_tmpfs_superblocks", "gauge", "Distinct tmpfs superblocks mounted.");
	sample0(f, "residue_tmpfs_superblocks", (double)c->tmpfs_superblocks);
	header(f, "residue_mask_superblocks", "gauge",
	       "tmpfs superblocks made only to mask a path (one per masked directory).");
	sample0(f, "residue_mask_superblocks", (double)c->mask_superblocks);
}

static void finding_metrics(const HostReport *r, FILE *f)
{
	static const char *const census_kinds[_CENSUS_FINDING_MAX] = {
		[CENSUS_OUTLIER] = "mount_outlier",
		[CENSUS_NEAR_MAX] = "near_mount_max",
		[CENSUS_DUPLICATE] = "duplicate_mounts",
		[CENSUS_MASK_TMPFS] = "tmpfs_per_mask",
	};
	size_t census[_CENSUS_FINDING_MAX] = { 0 };
	ReportTotals t;

	report_totals(r, &t);
	for (size_t i = 0; i < r->census->n_findings; i++)
		census[r->census->findings[i].kind]++;
	header(f, "residue_findings", "gauge",
	       "Findings of the last scan by kind, as residue --check counts them (zombie_memcgs: "
	       "1 when zombies reach --zombie-threshold).");
	sample1(f, "residue_findings", "kind", "dead_superblock", (double)t.dead_sbs);
	sample1(f, "residue_findings", "kind", "orphaned_filesystem", (double)t.orphans);
	sample1(f, "residue_findings", "kind", "processless_mount_namespace", (double)t.lonely_nss);
	sample1(f, "residue_findings", "kind", "zombie_memcgs", (double)t.zombies_over);
	for (size_t k = 0; k < _CENSUS_FINDING_MAX; k++)
		sample1(f, "residue_findings", "kind", census_kinds[k], (double)census[k]);
	sample1(f, "residue_findings", "kind", "kernel_log", (double)t.kernel_log);
	sample1(f, "residue_findings", "kind", "inodes", (double)t.inodes);
	header(f, "residue_dead_superblocks", "gauge",
	       "Superblocks whose unmount died in the kernel (half torn down, s_umount held): "
	       "sync(2) hangs on this host until it reboots. NaN: no superblock walk (BPF tier).");
	sample0(f, "residue_dead_superblocks", r->snap->sb_walk ? (double)t.dead_sbs : NAN);
}

/*
 * The inode audit the report carries.  Always residue_inode_audited and the
 * findings by kind (0 when there is no audit: residue_inode_audited says
 * whether 0 means none); the rest only when an audit ran.
 */
static void inode_metrics(const HostReport *r, FILE *f)
{
	const InodeAudit *a = r->inodes && r->inodes->ran ? r->inodes : NULL;

	header(f, "residue_inode_audited", "gauge",
	       "1 when this report carries a dentry and inode audit that ran (residue serve every "
	       "--inodes-interval, residue --inodes), 0 when none did: the default one-shot scan "
	       "runs none.");
	sample0(f, "residue_inode_audited", a ? 1 : 0);
	header(f, "residue_inode_findings", "gauge",
	       "Findings of that audit by kind: stranded dentries, dentry and inode references "
	       "nothing explains (0 without an audit).");
	for (int k = 0; k < _INO_FIND_MAX; k++)
		sample1(f, "residue_inode_findings", "kind", ino_finding_kind_name(k),
			a ? (double)a->n_kind[k] : 0);
	if (!a)
		return;
	header(f, "residue_inode_audit_complete", "gauge",
	       "1 when the audit walked every superblock to its end and dropped nothing, 0 when "
	       "part is unknown.");
	sample0(f, "residue_inode_audit_complete", a->complete ? 1 : 0);
	header(f, "residue_inode_unknown", "gauge",
	       "Counts the audit could not judge: no model for the filesystem, explained beyond "
	       "themselves, or kernel holders not read (never findings).");
	sample0(f, "residue_inode_unknown",
		(double)(a->over_explained + a->unmodeled + a->holders_unknown));
	header(f, "residue_inode_audit_inodes", "gauge", "Inodes the audit's last sample walked.");
	sample0(f, "residue_inode_audit_inodes", (double)a->inodes);
	header(f, "residue_inode_audit_duration_seconds", "gauge",
	       "Wall time of the audit (two samples for the first, one for each later).");
	sample0(f, "residue_inode_audit_duration_seconds", a->ms / 1e3);
	header(f, "residue_inode_audit_age_seconds", "gauge",
	       "Seconds between the audit's last sample and this report.");
	sample0(f, "residue_inode_audit_age_seconds", r->inodes_age_s);
}

/* The kernel log's findings by kind: every kind always, at 0, so that a query returns 0. */
static void kernel_log_metrics(const HostReport *r, FILE *f)
{
	const KernelLog *l = r->kernel_log;
	double findings[_KLOG_KIND_MAX] = { 0 }, records[_KLOG_KIND_MAX] = { 0 };

	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		findings[l->items[i].kind]++;
		records[l->items[i].kind] += l->items[i].records;
	}
	header(f, "residue_kernel_log_readable", "gauge",
	       "1 when residue reads the kernel log (/dev/kmsg), 0 when it cannot (the kernel_log "
	       "metrics are then 0 for want of knowing).");
	sample0(f, "residue_kernel_log_readable", l->readable ? 1 : 0);
	const struct {
		const char *name, *type, *help;
		const double *v;
	} by_kind[] = {
		{ "residue_kernel_log_findings", "gauge",
		  "The kernel's own reports of leaked references and failed teardowns, by kind: one "
		  "per kind and device (superblock_bug: sync(2) will hang on this host).",
		  findings },
		{ "residue_kernel_log_records_total", "counter",
		  "Kernel-log records that made or repeated those findings, by kind (since boot for "
		  "residue --prometheus, since the agent started for residue serve).",
		  records },
	};
	for (size_t i = 0; i < ARRAY_SIZE(by_kind); i++) {
		header(f, by_kind[i].name, by_kind[i].type, by_kind[i].help);
		for (size_t k = 0; k < _KLOG_KIND_MAX; k++)
			sample1(f, by_kind[i].name, "kind",
				kernel_log_kind_to_string((KernelLogKind)k), by_kind[i].v[k]);
	}
	header(f, "residue_kernel_log_lost_records_total", "counter",
	       "Kernel-log records overwritten in the kernel's ring before residue read them.");
	sample0(f, "residue_kernel_log_lost_records_total", (double)l->lost);
}

const char *report_tier(const HostReport *r)
{
	return r->snap->used_bpf ? "bpf" : "proc";
}

int render_prometheus_report(const HostReport *r, const PromOptions *o, FILE *f)
{
	int e;

	scan_metrics(r, f);
	if ((e = orphan_metrics(r, o, f)) < 0 || (e = zombie_metrics(r, o, f)) < 0)
		return e;
	census_metrics(r, f);
	finding_metrics(r, f);
	kernel_log_metrics(r, f);
	inode_metrics(r, f);
	return ferror(f) ? -EIO : 0;
}

int render_prometheus(const HostReport *r, const PromOptions *o, FILE *f)
{
	render_prometheus_head(o, r ? report_tier(r) : NULL, f);
	return r ? render_prometheus_report(r, o, f) : ferror(f) ? -EIO : 0;
}
