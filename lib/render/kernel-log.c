// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel log's findings (model/kernel-log.h) as the one screen shows
 * them and as the "kernel_log" object of the JSON report (docs/JSON.md).
 * Times are UTC, so that the same report renders to the same bytes
 * anywhere; messages go through the same escaping as every other string
 * from the system.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

void format_wall_time(double t, char *buf, size_t size)
{
	struct tm tm;
	time_t s = (time_t)t;

	if (t <= 0 || !gmtime_r(&s, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
}

static json_object *str_or_null(const char *s)
{
	if (!s || !*s)
		return NULL;
	_cleanup_free_ char *e = str_escape_utf8(s);
	return e ? json_object_new_string(e) : NULL;
}

static json_object *finding_json(const KernelLogFinding *f)
{
	json_object *o = json_object_new_object();
	char when[32];

	format_wall_time(f->wall, when, sizeof(when));
	json_object_object_add(o, "kind",
			       json_object_new_string(kernel_log_kind_to_string(f->kind)));
	json_object_object_add(o, "seq", json_object_new_uint64(f->seq));
	json_object_object_add(o, "boot_usec", json_object_new_uint64(f->ts_usec));
	json_object_object_add(o, "time", f->wall > 0 ? json_object_new_string(when) : NULL);
	json_object_object_add(o, "last_boot_usec", json_object_new_uint64(f->last_ts_usec));
	json_object_object_add(o, "records", json_object_new_uint64(f->records));
	json_object_object_add(o, "dev", str_or_null(f->dev));
	json_object_object_add(o, "fstype", str_or_null(f->fstype));
	json_object_object_add(o, "count", f->count_known ? json_object_new_int64(f->count) : NULL);
	json_object_object_add(o, "pid", f->pid ? json_object_new_int64(f->pid) : NULL);
	json_object_object_add(o, "comm", str_or_null(f->comm));
	json_object_object_add(o, "message", str_or_null(f->message));
	json_object_object_add(o, "meaning",
			       json_object_new_string(kernel_log_kind_meaning(f->kind)));
	return o;
}

json_object *render_kernel_log_json(const KernelLog *l)
{
	json_object *o, *items;

	if (!l)
		return NULL;
	o = json_object_new_object();
	items = json_object_new_array();
	json_object_object_add(o, "readable", json_object_new_boolean(l->readable));
	json_object_object_add(o, "errno",
			       l->error ? json_object_new_string(strerrorname_np(l->error) ?: "?") :
					  NULL);
	json_object_object_add(o, "follow", json_object_new_boolean(l->follow));
	json_object_object_add(o, "records", json_object_new_uint64(l->records));
	json_object_object_add(o, "kernel_records", json_object_new_uint64(l->kernel_records));
	json_object_object_add(o, "lost_records", json_object_new_uint64(l->lost));
	json_object_object_add(o, "first_seq",
			       l->records ? json_object_new_uint64(l->first_seq) : NULL);
	json_object_object_add(o, "malformed_records", json_object_new_uint64(l->malformed));
	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(items, finding_json(&l->items[i]));
	json_object_object_add(o, "findings", items);
	return o;
}

/* "loop0 (ext4)", "eth0", "?" */
void kernel_log_subject(const KernelLogFinding *f, char *buf, size_t size)
{
	_cleanup_free_ char *dev = str_escape_text(f->dev[0] ? f->dev : "?");
	_cleanup_free_ char *fstype = f->fstype[0] ? str_escape_text(f->fstype) : NULL;

	if (fstype)
		snprintf(buf, size, "%s (%s)", dev ? dev : "?", fstype);
	else
		snprintf(buf, size, "%s", dev ? dev : "?");
}

void render_kernel_log_text(const KernelLog *l, FILE *f)
{
	if (!l->readable) {
		fprintf(f, "Kernel log: not read (/dev/kmsg: %s%s)\n", strerror(l->error),
			l->error == EPERM ? "; needs CAP_SYSLOG where kernel.dmesg_restrict is 1" :
					    "");
		return;
	}
	if (!l->n) {
		fprintf(f, "Kernel log: no leak or teardown report in %llu %srecords\n",
			(unsigned long long)l->records, l->follow ? "new " : "");
	} else {
		fprintf(f, "Kernel log: %zu leak or teardown report%s of the kernel\n", l->n,
			l->n == 1 ? "" : "s");
	}
	for (size_t i = 0; i < l->n; i++) {
		const KernelLogFinding *x = &l->items[i];
		char when[32], subject[160];
		_cleanup_free_ char *msg = str_escape_text(x->message);
		_cleanup_free_ char *comm = x->pid ? str_escape_text(x->comm) : NULL;

		format_wall_time(x->wall, when, sizeof(when));
		kernel_log_subject(x, subject, sizeof(subject));
		fprintf(f, "  %s [%llu.%06llu] %s %s", when,
			(unsigned long long)(x->ts_usec / 1000000),
			(unsigned long long)(x->ts_usec % 1000000),
			kernel_log_kind_to_string(x->kind), subject);
		if (x->pid)
			fprintf(f, ", pid %d (%s)", (int)x->pid, comm ? comm : "?");
		if (x->records > 1)
			fprintf(f, ", %u records", x->records);
		fprintf(f, ": %s\n    %s\n", msg ? msg : "", kernel_log_kind_meaning(x->kind));
	}
	if (!l->follow && l->records && l->first_seq > 0)
		fprintf(f,
			"  (the kernel's ring begins at record %llu: the %llu before it were "
			"overwritten, and any report among them with them)\n",
			(unsigned long long)l->first_seq, (unsigned long long)l->first_seq);
	if (l->lost)
		fprintf(f,
			"  (%llu records were overwritten in the kernel's ring before they could "
			"be read)\n",
			(unsigned long long)l->lost);
}
