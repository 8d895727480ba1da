// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The JSON report.  Its keys are a stable contract (docs/JSON.md): add keys,
 * never rename or retype them.  Integers are JSON numbers; devices are
 * "MAJ:MIN" strings as in findmnt; unknown values are null, not "".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/printbuf.h>

#include "base/macro.h"
#include "base/strescape.h"
#include "render.h"

/* Strings from the system may be any bytes: JSON must stay valid UTF-8. */
static json_object *str_or_null(const char *s)
{
	if (!s)
		return NULL;
	_cleanup_free_ char *e = str_escape_utf8(s);
	return e ? json_object_new_string(e) : NULL;
}

static void add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *process_fields(json_object *o, const Process *p)
{
	add(o, "pid", json_object_new_int64(p->pid));
	add(o, "comm", str_or_null(p->comm));
	add(o, "cgroup", str_or_null(p->cgroup));
	return o;
}

static json_object *holder_json(const Snapshot *s, const Holder *h)
{
	json_object *o = json_object_new_object();
	char mode[8];

	process_fields(o, &s->procs[h->proc]);
	add(o, "tid", h->tid ? json_object_new_int64(h->tid) : NULL);
	add(o, "how", json_object_new_string(holder_how_to_string((HolderHow)h->how)));
	add(o, "fd", h->fd >= 0 ? json_object_new_int64(h->fd) : NULL);
	add(o, "path", str_or_null(h->path));
	add(o, "mode", str_or_null(holder_mode_string(h, mode)));
	add(o, "loop", NULL);
	add(o, "index", NULL);
	add(o, "via", NULL);
	return o;
}

/*
 * The kernel objects between an orphan's file and the socket a process holds
 * (the holder's path), from the file outwards; null when there are none.
 */
static json_object *inflight_via_json(const Inflight *fl)
{
	if (fl->n_chain == 0)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < fl->n_chain; i++) {
		const InflightStep *st = &fl->chain[i];
		json_object *v = json_object_new_object();
		char sock[48];
		snprintf(sock, sizeof(sock), "socket:[%llu]", (unsigned long long)st->sock_ino);
		add(v, "kind",
		    json_object_new_string(st->via == INFLIGHT_VIA_EMBRYO ?
						   "unaccepted-connection" :
						   "socket-in-flight"));
		add(v, "socket", st->sock_ino ? json_object_new_string(sock) : NULL);
		add(v, "dev", NULL);
		json_object_array_add(a, v);
	}
	return a;
}

/* An overlay's layer: the overlay itself is the object between the orphan and its mount. */
static json_object *overlay_via_json(const KHolder *kh)
{
	json_object *a = json_object_new_array(), *v = json_object_new_object();
	char dev[32];

	format_dev(kh->ovl_dev, dev, sizeof(dev));
	add(v, "kind", json_object_new_string("overlay"));
	add(v, "socket", NULL);
	add(v, "dev", json_object_new_string(dev));
	json_object_array_add(a, v);
	return a;
}

static json_object *orphan_json(const Snapshot *s, const Orphan * or)
{
	json_object *o = json_object_new_object();
	json_object *files = json_object_new_array();
	json_object *holders = json_object_new_array();
	char dev[32];

	format_dev(or->dev, dev, sizeof(dev));
	add(o, "dev", json_object_new_string(dev));
	add(o, "fstype", str_or_null(or->sb ? or->sb->fstype : NULL));
	add(o, "source", str_or_null(or->sb ? or->sb->source : NULL));
	add(o, "state", json_object_new_string(orphan_state_to_string(or->state)));
	add(o, "pinned_bytes", or->pinned_known ? json_object_new_uint64(or->pinned_bytes) : NULL);
	add(o, "risk", json_object_new_string(risk_to_string(or->risk)));
	add(o, "hint", str_or_null(or->hint));
	const SbProbe *sb = or->sb;
	for (size_t i = 0; sb && i < sb->n_files; i++) {
		json_object *f = json_object_new_object();
		add(f, "path", str_or_null(sb->files[i].path));
		add(f, "bytes", json_object_new_uint64(sb->files[i].bytes));
		add(f, "size", json_object_new_uint64(sb->files[i].size));
		json_object_array_add(files, f);
	}
	add(o, "nr_files", sb && sb->files_listed ? json_object_new_uint64(sb->nr_files) : NULL);
	add(o, "files_note", str_or_null(sb ? sb->files_note : NULL));
	add(o, "files", files);
	for (size_t i = 0; i < or->n_holders; i++)
		json_object_array_add(holders, holder_json(s, &s->holders[or->holders[i]]));
	/* A kernel holder has every key of a holder, so that consumers need no second shape. */
	static const char *const nulls[] = { "pid", "comm", "cgroup", "tid",
					     "fd",  "mode", "index",  "via" };
	size_t n_named = or->n_loops + or->n_inflight + or->n_kholders;
	for (size_t i = 0; or->kernel_held && i < (n_named ? or->n_loops : 1); i++) {
		const LoopDev *l = or->n_loops ? &s->loops[or->loops[i]] : NULL;
		json_object *k = json_object_new_object();
		for (size_t j = 0; j < ARRAY_SIZE(nulls); j++)
			add(k, nulls[j], NULL);
		add(k, "how",
		    json_object_new_string(l ? "loop" : or->holder_unknown ? "unknown" :
									     "kernel"));
		add(k, "loop", l ? json_object_new_string(l->name) : NULL);
		add(k, "path", str_or_null(l ? l->backing : NULL));
		json_object_array_add(holders, k);
	}
	/* A file in flight: the process holding the socket that can receive it, when known. */
	for (size_t i = 0; or->kernel_held && i < or->n_inflight; i++) {
		const Inflight *fl = &s->inflight[or->inflight[i]];
		const Process *p = inflight_owner(s, fl);
		json_object *k = json_object_new_object();
		char sock[48];
		snprintf(sock, sizeof(sock), "socket:[%llu]",
			 (unsigned long long)fl->owner_sock_ino);
		add(k, "pid", fl->resolved ? json_object_new_int(fl->owner_pid) : NULL);
		add(k, "comm", str_or_null(p && p->comm[0] ? p->comm : NULL));
		add(k, "cgroup", str_or_null(p ? p->cgroup : NULL));
		add(k, "tid", NULL);
		add(k, "fd", fl->resolved ? json_object_new_int(fl->owner_fd) : NULL);
		add(k, "mode", NULL);
		add(k, "how", json_object_new_string(inflight_how(fl)));
		add(k, "loop", NULL);
		add(k, "path", fl->owner_sock_ino ? json_object_new_string(sock) : NULL);
		add(k, "index", NULL);
		add(k, "via", inflight_via_json(fl));
		json_object_array_add(holders, k);
	}
	/*
	 * An io_uring ring or an fsopen context: the process and the fd behind it;
	 * an overlay: a process of a namespace it is mounted in, and where.
	 */
	for (size_t i = 0; or->kernel_held && i < or->n_kholders; i++) {
		const KHolder *kh = &s->kholders[or->kholders[i]];
		const Process *p = kholder_owner(s, kh);
		json_object *k = json_object_new_object();
		add(k, "pid", kh->pid ? json_object_new_int(kh->pid) : NULL);
		add(k, "comm", str_or_null(p && p->comm[0] ? p->comm : NULL));
		add(k, "cgroup", str_or_null(p ? p->cgroup : NULL));
		add(k, "tid", NULL);
		add(k, "fd", kh->fd >= 0 ? json_object_new_int(kh->fd) : NULL);
		add(k, "mode", NULL);
		add(k, "how", json_object_new_string(kholder_how(kh)));
		add(k, "loop", NULL);
		add(k, "path", str_or_null(kh->path));
		add(k, "index",
		    kh->kind != KHOLDER_FSCONTEXT ? json_object_new_int64(kh->index) : NULL);
		add(k, "via", kh->kind == KHOLDER_OVERLAY ? overlay_via_json(kh) : NULL);
		json_object_array_add(holders, k);
	}
	add(o, "holders", holders);
	return o;
}

/* The superblocks a process-less namespace alone keeps. */
static json_object *kept_json(const LonelyNs *l)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < l->ns->n_kept; i++) {
		const KeptFs *k = &l->ns->kept[i];
		json_object *o = json_object_new_object();
		char dev[32];
		format_dev(k->dev, dev, sizeof(dev));
		add(o, "dev", json_object_new_string(dev));
		add(o, "fstype", str_or_null(k->fstype[0] ? k->fstype : NULL));
		add(o, "mountpoint", str_or_null(k->point));
		add(o, "pinned_bytes", k->bytes_known ? json_object_new_uint64(k->bytes) : NULL);
		add(o, "shared", json_object_new_boolean(l->kept_shared && l->kept_shared[i]));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *lonely_ns_json(const Snapshot *s, const LonelyNs *l)
{
	json_object *o = json_object_new_object();
	json_object *holders = json_object_new_array();

	add(o, "ns_id", l->ns->id_is_ino ? NULL : json_object_new_uint64(l->ns->id));
	add(o, "inode", json_object_new_uint64(l->ns->ino));
	add(o, "mounts", json_object_new_uint64(l->ns->nr_mounts));
	add(o, "tmpfs_mounts", json_object_new_uint64(l->ns->tmpfs_mounts));
	add(o, "pinned_bytes",
	    l->ns->tmpfs_known ? json_object_new_uint64(l->ns->tmpfs_bytes) : NULL);
	add(o, "hint", str_or_null(l->hint));
	add(o, "filesystems", l->ns->kept_known ? kept_json(l) : NULL);
	for (size_t i = 0; i < l->n_holders; i++) {
		const NsHolder *nh = &l->holders[i];
		json_object *h = json_object_new_object();
		if (nh->kind == NS_HOLDER_FD) {
			const Holder *fh = &s->holders[nh->index];
			add(h, "how", json_object_new_string("ns-fd"));
			process_fields(h, &s->procs[fh->proc]);
			add(h, "fd", json_object_new_int64(fh->fd));
		} else {
			const NsBind *b = &s->nsbinds[nh->index];
			add(h, "how", json_object_new_string("ns-bind"));
			add(h, "ns_id", json_object_new_uint64(b->in_ns_id));
			add(h, "path", str_or_null(b->path));
		}
		json_object_array_add(holders, h);
	}
	add(o, "holders", holders);
	return o;
}

json_object *render_gaps_json(const Snapshot *s)
{
	return render_gap_list_json(s->gaps, s->n_gaps);
}

json_object *render_gap_list_json(const Gap *gaps, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const Gap *g = &gaps[i];
		json_object *o = json_object_new_object();
		add(o, "what", json_object_new_string(g->what));
		add(o, "call", json_object_new_string(g->call));
		add(o, "errno", json_object_new_string(strerrorname_np(g->err) ?: "?"));
		add(o, "message", json_object_new_string(strerror(g->err)));
		add(o, "count", json_object_new_int64(g->count));
		add(o, "example_pid", g->example ? json_object_new_int64(g->example) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

/* A dead superblock (analyze/dead-sbs.c); @log: its "Busy inodes" record, when the log was read. */
json_object *render_dead_sb_json(const Snapshot *s, const DeadSb *d, const KernelLogFinding *log)
{
	const KernelSb *k = d->ksb;
	const LoopDev *l = d->loop != SIZE_MAX ? &s->loops[d->loop] : NULL;
	json_object *o = json_object_new_object();
	char dev[32];

	format_dev(k->dev, dev, sizeof(dev));
	add(o, "dev", json_object_new_string(dev));
	add(o, "fstype", k->named && k->fstype[0] ? str_or_null(k->fstype) : NULL);
	add(o, "device", k->named && k->s_id[0] ? str_or_null(k->s_id) : NULL);
	add(o, "loop", l ? json_object_new_string(l->name) : NULL);
	add(o, "backing_file", str_or_null(l ? l->backing : NULL));
	if (l) {
		format_dev(l->back_dev, dev, sizeof(dev));
		add(o, "backing_dev", json_object_new_string(dev));
		add(o, "backing_ino", json_object_new_uint64(l->back_ino));
	} else {
		add(o, "backing_dev", NULL);
		add(o, "backing_ino", NULL);
	}
	add(o, "busy_inodes", k->bytes_known ? json_object_new_uint64(k->inodes) : NULL);
	add(o, "cached_bytes", k->bytes_known ? json_object_new_uint64(k->cached_bytes) : NULL);
	add(o, "umount_locked", k->named ? json_object_new_boolean(k->umount_locked) : NULL);
	add(o, "kernel_log_seq", log ? json_object_new_uint64(log->seq) : NULL);
	add(o, "hint", str_or_null(d->hint));
	return o;
}

json_object *render_orphans_json(const Snapshot *s, const OrphanReport *r)
{
	json_object *root = json_object_new_object();
	json_object *orphans = json_object_new_array();
	json_object *nss = json_object_new_array();
	json_object *dead = json_object_new_array();

	for (size_t i = 0; i < r->n_orphans; i++)
		json_object_array_add(orphans, orphan_json(s, &r->orphans[i]));
	for (size_t i = 0; i < r->n_nss; i++)
		json_object_array_add(nss, lonely_ns_json(s, &r->nss[i]));
	for (size_t i = 0; i < r->n_dead; i++)
		json_object_array_add(dead, render_dead_sb_json(s, &r->dead[i], NULL));
	add(root, "orphans", orphans);
	add(root, "namespaces", nss);
	add(root, "dead_superblocks", dead);
	add(root, "gaps", render_gaps_json(s));
	return root;
}

#define PRINT_FLAGS                                                                                \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

char *render_json_text(json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, PRINT_FLAGS);
	return text ? strdup(text) : NULL;
}

/*
 * json-c indents a pretty line by two spaces a level: a text rendered at
 * level 0 with PRINT_FLAGS is the same text nested at @level once every line
 * after its first is indented that much more.  No newline is inside a JSON
 * string, so every one of them starts a line.
 */
static int print_preformatted(json_object *o, struct printbuf *pb, int level, int flags)
{
	const char *text = json_object_get_userdata(o);

	(void)flags; /* PRINT_FLAGS: the text was made with them */
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		printbuf_memappend(pb, p, (int)len);
		if (nl)
			printbuf_memset(pb, -1, ' ', 2 * level);
		p += len;
	}
	return 0;
}

static void free_preformatted(json_object *o, void *text)
{
	(void)o;
	free(text);
}

json_object *render_json_preformatted(char *text)
{
	json_object *o = json_object_new_object();

	if (!o) {
		free(text);
		return NULL;
	}
	json_object_set_serializer(o, print_preformatted, text, free_preformatted);
	return o;
}

int render_json_print(json_object *o, FILE *f)
{
	const char *text = json_object_to_json_string_ext(o, PRINT_FLAGS);
	if (!text)
		return -ENOMEM;
	fputs(text, f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int render_json_line(json_object *o, FILE *f)
{
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	fputs(text, f);
	fputc('\n', f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
