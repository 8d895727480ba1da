// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue zombies --release [--yes]`: drop exactly the page cache that
 * keeps zombie memcgs alive.  Each pinning file the kernel view named is
 * opened through its path here, checked to be the same inode, synced when
 * it has dirty pages, and given posix_fadvise(POSIX_FADV_DONTNEED): the
 * kernel drops its clean, unmapped page cache, the charges go, and the
 * zombie is freed.  Nothing global (never drop_caches), nothing but page
 * cache (tmpfs pages are the files' data and stay).  Pages a live process
 * maps are ones fadvise cannot drop: such a file is kept and its mappers
 * named, unless --pageout-mapped asks for process_madvise(MADV_PAGEOUT) on
 * their mappings first.  The dry run predicts which zombies go, and --yes
 * reports what went.  On cgroup v2 a parent
 * whose zombies' files cannot be reached gets memory.reclaim instead, which
 * also reclaims from its live children: it is listed, and done only with
 * --yes.  Dry run unless --yes; then the scan runs again and says what was
 * freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "analyze/zombies.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/strescape.h"
#include "collect/zombies.h"
#include "render/render.h"
#include "residue.h"

#define PAGE 4096ULL

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440 /* 5.10 */
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21 /* 5.4 */
#endif

typedef struct Plan {
	uint64_t files, bytes, dirty; /* what would be dropped */
	uint64_t skipped_files, skipped_bytes;
	uint64_t mapped_files, mapped_bytes; /* left: mapped by live processes */
	uint64_t pageout_files, pageout_bytes; /* --pageout-mapped */
	uint64_t reclaim_parents, reclaim_bytes;
	uint64_t done_files, failed;
	json_object *actions;
} Plan;

/* One line of the plan; @pin (a file's) adds the processes that map it. */
static void say(Plan *p, bool json, const ZombieScan *z, const CachePin *pin, const char *action,
		const char *what, uint64_t bytes, const char *cgroup, int err, const char *note)
{
	char b[32];
	if (json) {
		json_object *o = json_object_new_object();
		_cleanup_free_ char *w = str_escape_utf8(what);
		_cleanup_free_ char *c = str_escape_utf8(cgroup ? cgroup : "");
		json_object_object_add(o, "action", json_object_new_string(action));
		json_object_object_add(o, "target", json_object_new_string(w ? w : ""));
		json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
		json_object_object_add(o, "cgroup",
				       cgroup ? json_object_new_string(c ? c : "") : NULL);
		json_object_object_add(o, "error",
				       err ? json_object_new_string(strerror(err)) : NULL);
		json_object_object_add(o, "note", note ? json_object_new_string(note) : NULL);
		json_object *mb = NULL;
		if (pin) {
			json_object_object_add(o, "mapped_bytes",
					       json_object_new_uint64(pin->mapped_pages * PAGE));
			mb = json_object_new_array();
			for (size_t i = 0; i < z->n_mappers; i++) {
				const PinMapper *m = &z->mappers[i];
				if (m->dev != pin->dev || m->ino != pin->ino)
					continue;
				json_object *e = json_object_new_object();
				_cleanup_free_ char *mc = str_escape_utf8(m->comm);
				_cleanup_free_ char *mg =
					str_escape_utf8(m->cgroup ? m->cgroup : "");
				json_object_object_add(e, "pid", json_object_new_int(m->pid));
				json_object_object_add(e, "comm",
						       json_object_new_string(mc ? mc : ""));
				json_object_object_add(
					e, "cgroup",
					m->cgroup ? json_object_new_string(mg ? mg : "") : NULL);
				json_object_array_add(mb, e);
			}
		}
		json_object_object_add(o, "mapped_by", mb);
		json_object_array_add(p->actions, o);
		return;
	}
	_cleanup_free_ char *w = str_escape_text(what);
	_cleanup_free_ char *c = str_escape_text(cgroup ? cgroup : "");
	format_bytes(bytes, false, b, sizeof(b));
	printf("%-14s %8s  %s", action, b, w ? w : "");
	if (cgroup)
		printf("  (%s)", c ? c : "");
	if (err)
		printf(": %s", strerror(err));
	if (note)
		printf(": %s", note);
	putchar('\n');
	for (size_t i = 0; pin && i < z->n_mappers; i++) {
		const PinMapper *m = &z->mappers[i];
		if (m->dev != pin->dev || m->ino != pin->ino)
			continue;
		_cleanup_free_ char *mc = str_escape_text(m->comm);
		_cleanup_free_ char *mg = str_escape_text(m->cgroup ? m->cgroup : "?");
		printf("%-14s %8s  mapped by pid %d %s (%s)\n", "", "", m->pid, mc ? mc : "",
		       mg ? mg : "");
	}
}

/* The mapper, not a process that reused its pid. */
static uint64_t starttime_of(int pid)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d", pid);
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? 0 : proc_starttime_at(dfd);
}

/*
 * MADV_PAGEOUT of every mapping @m has of the file.  With @dry, an empty
 * vector: the kernel checks the same rights (ptrace read access and
 * CAP_SYS_NICE) and does nothing.  Returns -errno; a process that is gone
 * is no error (its mappings went with it).
 */
static int pageout_mapper(const PinMapper *m, bool dry)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, m->pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? 0 : -errno;
	if (starttime_of(m->pid) != m->starttime)
		return 0; /* another process now: ours is gone */
	_cleanup_free_ struct iovec *iov = calloc(m->n_ranges ? m->n_ranges : 1, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_ranges; i++) {
		iov[i].iov_base = (void *)(uintptr_t)m->ranges[2 * i];
		iov[i].iov_len = (size_t)(m->ranges[2 * i + 1] - m->ranges[2 * i]);
	}
	/* UIO_MAXIOV (1024) ranges a call. */
	for (size_t i = 0; i < m->n_ranges || (dry && i == 0); i += 1024) {
		size_t n = dry ? 0 : m->n_ranges - i < 1024 ? m->n_ranges - i : 1024;
		if (syscall(SYS_process_madvise, pidfd, iov + i, n, MADV_PAGEOUT, 0U) < 0)
			return errno == ESRCH ? 0 : -errno;
		if (dry)
			break;
	}
	return 0;
}

/*
 * Page out @pin's mappings in every process that maps it.  Returns -errno of
 * the first failure and sets @ret_note to which process and why.
 */
static int pageout_file(const ZombieScan *z, const CachePin *pin, bool dry, char *note,
			size_t note_size)
{
	for (size_t i = 0; i < z->n_mappers; i++) {
		const PinMapper *m = &z->mappers[i];
		if (m->dev != pin->dev || m->ino != pin->ino)
			continue;
		int r = pageout_mapper(m, dry);
		if (r < 0) {
			snprintf(note, note_size, "process_madvise(MADV_PAGEOUT) of pid %d%s",
				 m->pid,
				 r == -EPERM ?
					 " (needs CAP_SYS_NICE and ptrace read access to it)" :
					 "");
			return r;
		}
	}
	return 0;
}

static bool has_mapper(const ZombieScan *z, const CachePin *pin)
{
	for (size_t i = 0; i < z->n_mappers; i++)
		if (z->mappers[i].dev == pin->dev && z->mappers[i].ino == pin->ino)
			return true;
	return false;
}

/*
 * Drop one file's page cache: the same inode as the kernel view saw, synced
 * first if dirty (reclaim does not write file pages back), its mappings
 * paged out of their processes first with @pageout.
 */
static int drop_file(const ZombieScan *z, const CachePin *pin, bool pageout, char *note,
		     size_t note_size)
{
	struct stat st;
	int fd = open(pin->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_ino != pin->ino || st.st_dev != pin->dev)
		r = -ESTALE; /* renamed or replaced since the scan */
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (pin->dirty_pages && fdatasync(fd) < 0)
		r = -errno;
	else if (pageout && (r = pageout_file(z, pin, false, note, note_size)) < 0)
		;
	else
		r = -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return r;
}

/* v2: ask the parent to reclaim what its zombies hold, "memory.reclaim" relative to the hierarchy. */
static int reclaim_parent(const ZombieScan *z, const CgNode *n, uint64_t bytes)
{
	char path[PATH_MAX], val[32];
	snprintf(path, sizeof(path), "%s%s/memory.reclaim", z->mount,
		 strcmp(n->path, "/") == 0 ? "" : n->path);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int len = snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	ssize_t w = write(fd, val, (size_t)len);
	int r = w < 0 ? -errno : 0;
	close(fd);
	return r == -EAGAIN ? 0 : r; /* EAGAIN: reclaimed less than asked */
}

static int rescan(const ZombieOptions *zo, ZombieScan **ret)
{
	int r = scan_zombies(zo, ret);
	if (r == 0)
		r = analyze_zombies(*ret);
	return r;
}

/* Is dying node @id still there? */
static bool still_dying(const ZombieScan *z, uint64_t id)
{
	int32_t i = zombie_scan_index(z, id);
	return i >= 0 && z->nodes[i].dying;
}

int zombies_release(const TableCli *t, const ZombieOptions *zo, bool yes, bool pageout_mapped)
{
	ZombieScan *z = NULL, *after = NULL;
	_cleanup_free_ bool *pin_goes = NULL, *node_goes = NULL;
	Plan p = { 0 };
	int r;

	r = rescan(zo, &z);
	if (r == 0)
		r = memcg_find_mappers(z);
	if (r < 0) {
		fprintf(stderr, "residue: zombie scan failed: %s\n", strerror(-r));
		zombie_scan_free(z);
		return EXIT_ERROR;
	}
	if (!z->used_bpf && z->version != 2) {
		fprintf(stderr,
			"residue: --release needs the kernel view to know which files pin zombies "
			"(%s)\n",
			z->bpf_error ? z->bpf_error : "not available");
		zombie_scan_free(z);
		return EXIT_ERROR;
	}
	pin_goes = calloc(z->n_pins ? z->n_pins : 1, sizeof(*pin_goes));
	node_goes = calloc(z->n_nodes ? z->n_nodes : 1, sizeof(*node_goes));
	if (!pin_goes || !node_goes) {
		zombie_scan_free(z);
		return EXIT_ERROR;
	}
	p.actions = t->json ? json_object_new_array() : NULL;
	if (!t->json)
		printf("%s\n", yes ? "Releasing:" : "Dry run (add --yes to do it):");

	/* 1. Files (one shared by several zombies is dropped again: a no-op). */
	for (size_t k = 0; k < z->n_pins; k++) {
		const CachePin *pin = &z->pins[k];
		const char *cg = z->nodes[pin->node].path;
		PinAction a = pin_action_for(pin, pageout_mapped);
		char note[160] = "";
		if (a == PIN_SHMEM || a == PIN_UNREACHABLE) {
			char name[PATH_MAX + 64];
			snprintf(name, sizeof(name), "%s",
				 pin->path     ? pin->path :
				 pin->rel_path ? pin->rel_path :
						 "?");
			p.skipped_files++;
			p.skipped_bytes += pin->pages * PAGE;
			say(&p, t->json, z, NULL, a == PIN_SHMEM ? "keep-shmem" : "unreachable",
			    name, pin->pages * PAGE, cg, 0, NULL);
			continue;
		}
		/* --pageout-mapped: the mappers must be known, and the kernel must let us. */
		int e = 0;
		if (a == PIN_PAGEOUT && !has_mapper(z, pin)) {
			a = PIN_MAPPED;
			snprintf(note, sizeof(note), "no process found that maps it");
		} else if (a == PIN_PAGEOUT && !yes) {
			e = pageout_file(z, pin, true, note, sizeof(note));
			if (e < 0)
				a = PIN_MAPPED;
		}
		if (a == PIN_MAPPED) {
			if (!*note)
				snprintf(note, sizeof(note), "%s",
					 pin->mapped_shared_pages ?
						 "pages mapped more than once: fadvise and "
						 "MADV_PAGEOUT both skip them" :
						 "mapped pages: fadvise cannot drop them "
						 "(--pageout-mapped)");
			p.mapped_files++;
			p.mapped_bytes += pin->pages * PAGE;
			say(&p, t->json, z, pin, "keep-mapped", pin->path, pin->pages * PAGE, cg,
			    -e, note);
			continue;
		}
		pin_goes[k] = true;
		p.files++;
		p.bytes += pin->pages * PAGE;
		p.dirty += pin->dirty_pages * PAGE;
		if (a == PIN_PAGEOUT) {
			p.pageout_files++;
			p.pageout_bytes += pin->mapped_pages * PAGE;
		}
		e = yes ? drop_file(z, pin, a == PIN_PAGEOUT, note, sizeof(note)) : 0;
		if (e < 0)
			p.failed++;
		else if (yes)
			p.done_files++;
		const char *done = a == PIN_PAGEOUT ? "paged-out" : "dropped";
		say(&p, t->json, z, a == PIN_PAGEOUT ? pin : NULL,
		    yes ? (e < 0 ? "failed" : done) : pin_action_to_string(a), pin->path,
		    pin->pages * PAGE, cg, -e, *note ? note : NULL);
	}
	/* What the plan frees, if every step does what it says. */
	uint64_t predicted = zombies_predict_freed(z, pin_goes, node_goes), targets = 0;

	/* 2. v2 parents whose zombies hold memory no reachable file explains. */
	if (z->version == 2) {
		for (size_t i = 0; i < z->n_nodes; i++) {
			const CgNode *n = &z->nodes[i];
			uint64_t unexplained = 0;
			if (n->dying || n->stuck_bytes == ZS_UNKNOWN)
				continue;
			/*
			 * Page cache (memory.stat) charged to its dying children that the
			 * files we drop do not explain; not what the zombies have charged
			 * besides page cache, which reclaim cannot take.  memory.stat lags
			 * by up to 64 pages a CPU: below that, nothing to do.
			 */
			uint64_t dropped = 0,
				 slack = 64 * PAGE * (uint64_t)(z->nr_cpus > 0 ? z->nr_cpus : 1);
			for (size_t k = 0; k < z->n_pins; k++)
				if (zombie_live_parent(z, z->pins[k].node) == (int32_t)i &&
				    pin_action(&z->pins[k]) != PIN_UNREACHABLE &&
				    pin_action(&z->pins[k]) != PIN_SHMEM)
					dropped += z->pins[k].pages * PAGE;
			if (n->stuck_bytes > dropped + slack)
				unexplained = n->stuck_bytes - dropped;
			if (!unexplained)
				continue;
			p.reclaim_parents++;
			p.reclaim_bytes += unexplained;
			int e = yes ? reclaim_parent(z, n, unexplained) : 0;
			say(&p, t->json, z, NULL,
			    yes ? (e < 0 ? "failed" : "reclaimed") : "memory.reclaim", n->path,
			    unexplained, NULL, -e, NULL);
		}
	}

	/*
	 * 3. Count again: zombies go once their last charge does (after an RCU grace
	 * period).  Wait, up to 2 s, for those the plan frees; not for the rest.
	 */
	uint64_t freed = 0, left = 0, freed_predicted = 0;
	for (size_t i = 0; i < z->n_nodes; i++)
		targets += z->nodes[i].dying;
	if (yes) {
		for (int tries = 0; tries < 20; tries++) {
			zombie_scan_free(after);
			after = NULL;
			if (rescan(zo, &after) < 0)
				break;
			freed = left = freed_predicted = 0;
			for (size_t i = 0; i < z->n_nodes; i++) {
				if (!z->nodes[i].dying)
					continue;
				bool there = still_dying(after, z->nodes[i].id);
				there ? left++ : freed++;
				freed_predicted += !there && node_goes[i];
			}
			if (!left || !after->used_bpf ||
			    (freed_predicted == predicted && !p.reclaim_parents))
				break;
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	/* The prediction counts only what the files explain: memory.reclaim may free more. */
	bool know = z->used_bpf && !p.reclaim_parents;

	char a[32], b[32];
	if (t->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "dry_run", json_object_new_boolean(!yes));
		json_object_object_add(o, "pageout_mapped",
				       json_object_new_boolean(pageout_mapped));
		json_object_object_add(o, "actions", p.actions);
		json_object_object_add(o, "files", json_object_new_uint64(p.files));
		json_object_object_add(o, "bytes", json_object_new_uint64(p.bytes));
		json_object_object_add(o, "mapped_files", json_object_new_uint64(p.mapped_files));
		json_object_object_add(o, "mapped_bytes", json_object_new_uint64(p.mapped_bytes));
		json_object_object_add(o, "paged_out_files",
				       json_object_new_uint64(p.pageout_files));
		json_object_object_add(o, "failed", json_object_new_uint64(p.failed));
		json_object_object_add(
			o, "zombies_before",
			z->nr_zombies == ZS_UNKNOWN ? NULL : json_object_new_uint64(z->nr_zombies));
		json_object_object_add(o, "zombies_after",
				       after && after->nr_zombies != ZS_UNKNOWN ?
					       json_object_new_uint64(after->nr_zombies) :
					       NULL);
		json_object_object_add(o, "predicted_freed",
				       know ? json_object_new_uint64(predicted) : NULL);
		json_object_object_add(
			o, "freed",
			yes ? (after && after->used_bpf ? json_object_new_uint64(freed) : NULL) :
			      (know ? json_object_new_uint64(predicted) : NULL));
		render_json_print(o, stdout);
		json_object_put(o);
	} else {
		format_bytes(p.bytes, false, a, sizeof(a));
		uint64_t nf = yes ? p.done_files : p.files;
		printf("%s %llu file%s, %s of page cache", yes ? "Dropped" : "Would drop",
		       (unsigned long long)nf, nf == 1 ? "" : "s", a);
		if (p.dirty) {
			format_bytes(p.dirty, false, b, sizeof(b));
			printf(" (%s dirty, synced first)", b);
		}
		putchar('\n');
		if (p.pageout_files) {
			format_bytes(p.pageout_bytes, false, a, sizeof(a));
			printf("%s %s mapped by live processes out of them first (MADV_PAGEOUT): they "
			       "fault those pages back in, reading them again, charged to their own "
			       "cgroups\n",
			       yes ? "Paged" : "Would page", a);
		}
		if (p.mapped_files) {
			format_bytes(p.mapped_bytes, false, a, sizeof(a));
			printf("Left mapped: %llu file%s, %s (live processes map their pages; fadvise "
			       "cannot drop mapped pages%s)\n",
			       (unsigned long long)p.mapped_files, p.mapped_files == 1 ? "" : "s",
			       a, pageout_mapped ? "" : "; --pageout-mapped pages them out");
		}
		if (p.skipped_files) {
			format_bytes(p.skipped_bytes, false, a, sizeof(a));
			printf("Left alone: %llu file%s, %s (tmpfs data, or not reachable from this "
			       "mount namespace)\n",
			       (unsigned long long)p.skipped_files, p.skipped_files == 1 ? "" : "s",
			       a);
		}
		if (p.reclaim_parents) {
			format_bytes(p.reclaim_bytes, false, a, sizeof(a));
			printf("%s memory.reclaim on %llu parents, %s (also reclaims their live children's memory)\n",
			       yes ? "Asked" : "Would ask", (unsigned long long)p.reclaim_parents,
			       a);
		}
		if (!yes && know)
			printf("Would free %llu of %llu zombies\n", (unsigned long long)predicted,
			       (unsigned long long)targets);
		if (yes && after) {
			printf("Zombies: %llu before, %llu now", (unsigned long long)z->nr_zombies,
			       (unsigned long long)after->nr_zombies);
			if (after->used_bpf)
				printf("; %llu of them freed, %llu still there",
				       (unsigned long long)freed, (unsigned long long)left);
			if (after->used_bpf && know)
				printf(" (predicted: %llu freed)", (unsigned long long)predicted);
			putchar('\n');
			if (z->stuck_bytes != ZS_UNKNOWN && after->stuck_bytes != ZS_UNKNOWN) {
				format_bytes(z->stuck_bytes, false, a, sizeof(a));
				format_bytes(after->stuck_bytes, false, b, sizeof(b));
				printf("Page cache charged to zombies: %s before, %s now\n", a, b);
			}
		}
	}
	r = p.failed ? EXIT_ERROR : 0;
	zombie_scan_free(after);
	zombie_scan_free(z);
	return r;
}
