// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The benchmarks' output: one table row per masking style or read method
 * through libsmartcols (as lib/render/table.c does for scans), a title line
 * with the kernel and the parameters and a short legend (not with -r or -n),
 * and JSON whose latencies are printed with three decimals (milliseconds to
 * the microsecond) rather than json-c's seventeen significant digits.
 */
#include <errno.h>
#include <libsmartcols.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "bench-render.h"

static json_object *json_ms(double ms)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", ms);
	return json_object_new_double_s(ms, buf);
}

static json_object *json_latency(const LatencyStats *s)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "p50", json_ms(s->p50));
	json_object_object_add(o, "p95", json_ms(s->p95));
	json_object_object_add(o, "max", json_ms(s->max));
	return o;
}

static json_object *json_host(const BenchHost *h)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "kernel", json_object_new_string(h->kernel));
	json_object_object_add(o, "cpus", json_object_new_int64(h->cpus));
	return o;
}

json_object *bench_masks_json(const BenchHost *h, const BenchMasksOptions *o,
			      const BenchMasksResult *r, size_t n)
{
	json_object *root = json_host(h), *styles = json_object_new_array();

	if (!root || !styles) {
		json_object_put(root);
		json_object_put(styles);
		return NULL;
	}
	json_object_object_add(root, "containers", json_object_new_int64(o->containers));
	json_object_object_add(root, "masks", json_object_new_int64(o->masks));
	json_object_object_add(root, "workers", json_object_new_int64(o->workers));
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_new_object();
		if (!s)
			break;
		json_object_object_add(
			s, "style", json_object_new_string(bench_mask_style_to_string(r[i].style)));
		json_object_object_add(s, "superblocks",
				       json_object_new_int64((int64_t)r[i].superblocks));
		json_object_object_add(s, "mask_mounts",
				       json_object_new_int64((int64_t)r[i].mask_mounts));
		json_object_object_add(s, "setup_ms", json_latency(&r[i].setup));
		json_object_object_add(s, "mask_ms", json_latency(&r[i].mask));
		json_object_object_add(s, "teardown_ms", json_latency(&r[i].teardown));
		json_object_object_add(s, "total_ms", json_ms(r[i].total_ms));
		json_object_array_add(styles, s);
	}
	json_object_object_add(root, "styles", styles);
	return root;
}

json_object *bench_mountinfo_json(const BenchHost *h, const BenchMountinfoOptions *o,
				  const BenchMountinfoReport *r)
{
	json_object *root = json_host(h), *methods = json_object_new_array();

	if (!root || !methods) {
		json_object_put(root);
		json_object_put(methods);
		return NULL;
	}
	json_object_object_add(root, "mounts", json_object_new_int64((int64_t)r->mounts));
	json_object_object_add(root, "mounts_added", json_object_new_int64(o->mounts));
	json_object_object_add(root, "readers", json_object_new_int64(o->readers));
	json_object_object_add(root, "workers", json_object_new_int64(o->workers));
	json_object_object_add(root, "seconds", json_ms(o->seconds));
	json_object_object_add(root, "setup_ms", json_ms(r->setup_ms));
	json_object_object_add(root, "teardown_ms", json_ms(r->teardown_ms));
	for (size_t i = 0; i < r->n_results; i++) {
		const BenchReadResult *m = &r->results[i];
		json_object *j = json_object_new_object(), *ent;
		if (!j)
			break;
		json_object_object_add(
			j, "method",
			json_object_new_string(bench_read_method_to_string(m->method)));
		json_object_object_add(j, "available", json_object_new_boolean(m->available));
		json_object_object_add(
			j, "error",
			m->available ? NULL : json_object_new_string(strerror(m->unavailable_err)));
		json_object_object_add(j, "reads", json_object_new_int64((int64_t)m->reads));
		json_object_object_add(j, "read_ms",
				       m->available && m->reads ? json_latency(&m->read) : NULL);
		ent = json_object_new_object();
		if (ent) {
			json_object_object_add(ent, "min",
					       json_object_new_int64((int64_t)m->entries_min));
			json_object_object_add(ent, "max",
					       json_object_new_int64((int64_t)m->entries_max));
		}
		json_object_object_add(j, "entries", ent);
		json_object_object_add(j, "churn_pairs",
				       json_object_new_int64((int64_t)m->churn_pairs));
		json_object_object_add(j, "churn_per_s", json_ms(m->churn_per_s));
		json_object_object_add(j, "elapsed_ms", json_ms(m->elapsed_ms));
		json_object_array_add(methods, j);
	}
	json_object_object_add(root, "methods", methods);
	return root;
}

/* All of @cols, in order: the bench tables have no -o. */
static struct libscols_table *new_table(const ColumnInfo *cols, size_t n, const TableOptions *t,
					FILE *f)
{
	const ColumnSet set = { cols, n, NULL, 0 };
	TableOptions all = *t;

	all.n_cols = MIN(n, ARRAY_SIZE(all.cols));
	for (size_t i = 0; i < all.n_cols; i++)
		all.cols[i] = (int)i;
	return table_new(&set, &all, f);
}

/* Set cell @c of @ln to printf(@fmt, ...); -ENOMEM on failure. */
static int cell(struct libscols_line *ln, size_t c, const char *fmt, ...) _printf_(3, 4);
static int cell(struct libscols_line *ln, size_t c, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return scols_line_set_data(ln, c, buf) < 0 ? -ENOMEM : 0;
}

static const ColumnInfo mask_cols[] = {
	{ "STYLE", 0, 0 },
	{ "SUPERBLOCKS", 0, SCOLS_FL_RIGHT },
	{ "SETUP-P50", 0, SCOLS_FL_RIGHT },
	{ "SETUP-P95", 0, SCOLS_FL_RIGHT },
	{ "SETUP-MAX", 0, SCOLS_FL_RIGHT },
	{ "MASK-P50", 0, SCOLS_FL_RIGHT },
	{ "STOP-P50", 0, SCOLS_FL_RIGHT },
	{ "STOP-P95", 0, SCOLS_FL_RIGHT },
	{ "STOP-MAX", 0, SCOLS_FL_RIGHT },
	{ "TOTAL", 0, SCOLS_FL_RIGHT },
};

int bench_masks_table(const BenchHost *h, const BenchMasksOptions *o, const BenchMasksResult *r,
		      size_t n, const TableOptions *t, FILE *f)
{
	struct libscols_table *tb = new_table(mask_cols, ARRAY_SIZE(mask_cols), t, f);
	bool prose = !t->raw && !t->noheadings;
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	if (prose)
		fprintf(f,
			"kernel %s, %u CPUs: %u container%s x %u directory mask%s, %u worker%s "
			"(milliseconds)\n\n",
			h->kernel, h->cpus, o->containers, o->containers == 1 ? "" : "s", o->masks,
			o->masks == 1 ? "" : "s", o->workers, o->workers == 1 ? "" : "s");
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		if (!ln) {
			ret = -ENOMEM;
			break;
		}
		ret = cell(ln, 0, "%s", bench_mask_style_to_string(r[i].style));
		ret = ret ?: cell(ln, 1, "%llu", (unsigned long long)r[i].superblocks);
		ret = ret ?: cell(ln, 2, "%.2f", r[i].setup.p50);
		ret = ret ?: cell(ln, 3, "%.2f", r[i].setup.p95);
		ret = ret ?: cell(ln, 4, "%.2f", r[i].setup.max);
		ret = ret ?: cell(ln, 5, "%.2f", r[i].mask.p50);
		ret = ret ?: cell(ln, 6, "%.2f", r[i].teardown.p50);
		ret = ret ?: cell(ln, 7, "%.2f", r[i].teardown.p95);
		ret = ret ?: cell(ln, 8, "%.2f", r[i].teardown.max);
		ret = ret ?: cell(ln, 9, "%.1f", r[i].total_ms);
	}
	if (ret == 0)
		scols_print_table(tb);
	scols_unref_table(tb);
	if (ret == 0 && prose)
		fputs("\nSUPERBLOCKS: new tmpfs superblocks behind the masks, all containers "
		      "(each also has its root tmpfs)\n"
		      "SETUP: fork to last mask in place; MASK: the masks alone; "
		      "STOP: SIGKILL to reaped (namespace gone)\n",
		      f);
	return ret;
}

static const ColumnInfo read_cols[] = {
	{ "METHOD", 0, 0 },
	{ "READS", 0, SCOLS_FL_RIGHT },
	{ "P50", 0, SCOLS_FL_RIGHT },
	{ "P95", 0, SCOLS_FL_RIGHT },
	{ "MAX", 0, SCOLS_FL_RIGHT },
	{ "MOUNTS", 0, SCOLS_FL_RIGHT },
	{ "CHURN/S", 0, SCOLS_FL_RIGHT },
};

int bench_mountinfo_table(const BenchHost *h, const BenchMountinfoOptions *o,
			  const BenchMountinfoReport *r, const TableOptions *t, FILE *f)
{
	struct libscols_table *tb = new_table(read_cols, ARRAY_SIZE(read_cols), t, f);
	bool prose = !t->raw && !t->noheadings;
	size_t shown = 0;
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	if (prose)
		fprintf(f,
			"kernel %s, %u CPUs: %llu mounts in a private namespace (%u added), "
			"%u reader%s, %u churn worker%s, %.1f s per method (milliseconds)\n\n",
			h->kernel, h->cpus, (unsigned long long)r->mounts, o->mounts, o->readers,
			o->readers == 1 ? "" : "s", o->workers, o->workers == 1 ? "" : "s",
			o->seconds);
	for (size_t i = 0; i < r->n_results && ret == 0; i++) {
		const BenchReadResult *m = &r->results[i];
		struct libscols_line *ln;

		if (!m->available)
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln) {
			ret = -ENOMEM;
			break;
		}
		shown++;
		ret = cell(ln, 0, "%s", bench_read_method_to_string(m->method));
		ret = ret ?: cell(ln, 1, "%llu", (unsigned long long)m->reads);
		ret = ret ?: cell(ln, 2, "%.3f", m->read.p50);
		ret = ret ?: cell(ln, 3, "%.3f", m->read.p95);
		ret = ret ?: cell(ln, 4, "%.3f", m->read.max);
		if (m->entries_min == m->entries_max)
			ret = ret ?: cell(ln, 5, "%llu", (unsigned long long)m->entries_min);
		else
			ret = ret   ?:
				      cell(ln, 5, "%llu-%llu", (unsigned long long)m->entries_min,
					   (unsigned long long)m->entries_max);
		ret = ret ?: cell(ln, 6, "%.0f", m->churn_per_s);
	}
	if (ret == 0 && shown)
		scols_print_table(tb);
	scols_unref_table(tb);
	if (ret || !prose)
		return ret;
	for (size_t i = 0; i < r->n_results; i++)
		if (!r->results[i].available)
			fprintf(f, "%s: unavailable on this kernel: %s\n",
				bench_read_method_to_string(r->results[i].method),
				strerror(r->results[i].unavailable_err));
	fprintf(f,
		"\nMOUNTS: mounts one read saw; CHURN/S: mount+umount pairs per second while "
		"reading\nset-up of %u mounts %.1f ms; namespace teardown (SIGKILL to reaped) "
		"%.1f ms\n",
		o->mounts, r->setup_ms, r->teardown_ms);
	return 0;
}
