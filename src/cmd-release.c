// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue release DEV --delete-unheld`: free an orphaned memory-backed
 * filesystem without touching its holders.  Through the orphan's own root
 * directory (reached via a holder, never a host path) it deletes every
 * non-directory that no holder has open or mapped and that lies in no
 * directory a holder can reach (cwd, root, an open directory): what is held
 * stays usable, the rest of the memory comes back.  Dry run unless --yes;
 * prints each file, the total, then measures the filesystem again.  What
 * was opened, mapped or entered since the scan is checked again at the moment
 * of deletion (a lease per file, the holders' working directories per
 * directory) and kept.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/bounded.h"
#include "base/macro.h"
#include "base/u64set.h"
#include "render/render.h"
#include "residue.h"

typedef struct Release {
	uint64_t dev;
	bool execute;
	bool json;
	U64Set held; /* inodes some holder has open or mapped */
	U64Set reachable; /* directories a holder can reach: their subtree stays */
	uint64_t bytes, files, kept, failed;
	json_object *list;
} Release;

static void usage(FILE *f)
{
	fputs("Usage: residue release DEV --delete-unheld [--yes] [-J]\n"
	      "       residue release DEV [--detach-loops] [--drain-inflight] [--unregister]\n"
	      "                           [--yes] [-J]\n"
	      "\n"
	      "Delete, through the orphan's own root, every file of the orphaned filesystem\n"
	      "DEV (MAJ:MIN, from 'residue orphans') that no holder has open, mapped or can\n"
	      "reach. The holders keep working. Dry run unless --yes.\n"
	      "\n"
	      "Or let go of the kernel objects that keep DEV when no process does:\n"
	      "  --detach-loops    LOOP_CLR_FD on each loop device bound to a file of it\n"
	      "                    that nothing uses\n"
	      "  --drain-inflight  receive and close the files of it in flight in a unix\n"
	      "                    socket (the owner loses those messages and their data)\n"
	      "  --unregister      unregister ALL fixed files of each io_uring ring that\n"
	      "                    holds a file of it\n"
	      "Dry run unless --yes; --yes scans again and says what came back.\n",
	      f);
}

static void report(Release *rl, const char *path, uint64_t bytes, const char *what)
{
	char b[32];
	if (rl->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
		json_object_object_add(o, "action", json_object_new_string(what));
		json_object_array_add(rl->list, o);
		return;
	}
	format_bytes(bytes, false, b, sizeof(b));
	printf("%-14s %8s  %s\n", what, b, path);
}

/* Not a regular file (symlink, fifo, socket, device node): nothing of it can be open for data. */
static const char *delete_plain(Release *rl, int dfd, const char *name)
{
	if (rl->execute && unlinkat(dfd, name, 0) < 0)
		return "failed";
	return NULL;
}

/*
 * A regular file goes only if nobody has it open or mapped *now*: the scan's
 * holders are a moment old, and a process may have opened the file since
 * (through /proc/PID/fd/N/.. of a holder's directory, say) or be writing it.
 * A write lease is granted only while no other open file (an fd, a mapping)
 * refers to the inode, and while we hold it an open() of the file by anyone
 * waits for us (the lease is broken, which F_GETLEASE then shows).  So each
 * deletable file of a directory is leased and renamed aside; after a pause
 * that lets an open that had already looked the old name up reach the
 * lease, a file whose lease is being broken gets its name back and stays,
 * the others are unlinked.  The dry run asks for the same leases, so it
 * predicts what --yes will do.
 */
typedef struct Doomed {
	int fd;
	uint64_t ino;
	char *name;
	const char *why; /* NULL: deleted (or deletable); else the action to report */
	uint64_t bytes;
} Doomed;

#define DOOMED_BATCH 256
#define DOOMED_PAUSE_US 2000

/* The name a leased file waits under, beside its own. */
static void aside_name(const Doomed *x, char *buf, size_t size)
{
	snprintf(buf, size, ".residue-release.%llu", (unsigned long long)x->ino);
}

static void doomed_lease(Release *rl, int dfd, Doomed *x, const struct stat *st)
{
	struct stat now;
	x->fd = openat(dfd, x->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (x->fd < 0) {
		x->why = errno == EWOULDBLOCK ? "keep-opened" : "failed";
		return;
	}
	if (fstat(x->fd, &now) < 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		x->why = "keep-changed"; /* replaced since it was listed */
		return;
	}
	if (fcntl(x->fd, F_SETLEASE, F_WRLCK) < 0) {
		x->why = errno == EAGAIN ? "keep-opened" : "failed";
		return;
	}
	if (rl->execute) {
		char aside[64];
		aside_name(x, aside, sizeof(aside));
		if (renameat(dfd, x->name, dfd, aside) < 0)
			x->why = "failed";
	}
}

static void doomed_settle(Release *rl, int dfd, Doomed *x, size_t n)
{
	if (rl->execute && n > 0)
		usleep(DOOMED_PAUSE_US);
	for (size_t i = 0; i < n; i++) {
		if (x[i].fd < 0)
			continue;
		if (rl->execute && !x[i].why) {
			char aside[64];
			aside_name(&x[i], aside, sizeof(aside));
			if (fcntl(x[i].fd, F_GETLEASE) != F_WRLCK) {
				/* Someone began to open it: give the name back. */
				x[i].why = renameat(dfd, aside, dfd, x[i].name) < 0 ? "failed" :
										      "keep-opened";
			} else if (unlinkat(dfd, aside, 0) < 0) {
				(void)renameat(dfd, aside, dfd, x[i].name);
				x[i].why = "failed";
			}
		}
		(void)fcntl(x[i].fd, F_SETLEASE, F_UNLCK);
		x[i].fd = safe_close(x[i].fd);
	}
}

/*
 * Is directory @dfd now some process's working or root directory?  Asked
 * again for each directory before anything in it goes: a process may have
 * entered it since the scan (through /proc/PID/cwd/.. of a holder).  statx
 * with AT_STATX_DONT_SYNC, from a child that gets 1.5 s: following a
 * process's cwd link revalidates an NFS inode, so a process sitting on a
 * hung NFS or 9p mount could keep us waiting, and then the directory is
 * kept, as if entered.  Threads with a working directory of their own
 * (unshare(CLONE_FS)) are not asked: the scan's holders cover them.
 */
typedef struct EnteredAsk {
	dev_t dev;
	ino_t ino;
} EnteredAsk;

static int ask_entered(void *arg, void *out)
{
	const EnteredAsk *q = arg;
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = procfd >= 0 ? fdopendir(dup(procfd)) : NULL;
	bool entered = false;

	if (!d)
		return -1;
	for (struct dirent *de; !entered && (de = readdir(d));) {
		char link[300];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		for (unsigned k = 0; k < 2 && !entered; k++) {
			struct statx sx;
			snprintf(link, sizeof(link), "%s/%s", de->d_name, k ? "root" : "cwd");
			entered = statx(procfd, link, AT_STATX_DONT_SYNC, STATX_INO, &sx) == 0 &&
				  sx.stx_ino == q->ino &&
				  makedev(sx.stx_dev_major, sx.stx_dev_minor) == q->dev;
		}
	}
	closedir(d);
	close(procfd);
	*(bool *)out = entered;
	return 0;
}

static bool dir_is_entered(int dfd)
{
	struct stat me;
	bool entered = true; /* what no answer means: keep it */

	if (fstat(dfd, &me) < 0)
		return false;
	EnteredAsk q = { me.st_dev, me.st_ino };
	if (bounded_run(ask_entered, &q, &entered, sizeof(entered), 1500) < 0)
		return true;
	return entered;
}

static void account(Release *rl, const char *path, uint64_t bytes, const char *why)
{
	if (why) {
		report(rl, path, bytes, why);
		if (strcmp(why, "failed") == 0)
			rl->failed++;
		else
			rl->kept++;
		return;
	}
	report(rl, path, bytes, rl->execute ? "deleted" : "would-delete");
	rl->bytes += bytes;
	rl->files++;
}

/* Settle a batch of leased files of the directory at @path (@plen long) and report each. */
static void settle_batch(Release *rl, int dfd, Doomed *x, size_t *n, char *path, size_t plen)
{
	doomed_settle(rl, dfd, x, *n);
	for (size_t i = 0; i < *n; i++) {
		size_t nl = strlen(x[i].name);
		if (plen + 1 + nl < PATH_MAX) {
			path[plen] = '/';
			memcpy(path + plen + 1, x[i].name, nl + 1);
			account(rl, path, x[i].bytes, x[i].why);
		}
		free(x[i].name);
	}
	path[plen] = '\0';
	*n = 0;
}

static int release_dir(Release *rl, int dfd, char *path, size_t plen, unsigned depth)
{
	if (dir_is_entered(dfd)) {
		report(rl, plen ? path : "/", 0, "keep-entered");
		rl->kept++;
		close(dfd);
		return 0;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	_cleanup_free_ Doomed *doomed = calloc(DOOMED_BATCH, sizeof(*doomed));
	size_t n_doomed = 0;
	if (!doomed) {
		closedir(d);
		return -ENOMEM;
	}
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		size_t nl = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (plen + 1 + nl >= PATH_MAX)
			continue;
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nl + 1);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != rl->dev)
			continue; /* gone, or another filesystem mounted here */
		if (S_ISDIR(st.st_mode)) {
			if (u64set_contains(&rl->reachable, st.st_ino)) {
				report(rl, path, 0, "keep-reachable");
				rl->kept++;
				continue;
			}
			if (depth >= 64)
				continue;
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				(void)release_dir(rl, sub, path, plen + 1 + nl, depth + 1);
			continue;
		}
		uint64_t bytes = (uint64_t)st.st_blocks * 512;
		if (u64set_contains(&rl->held, st.st_ino)) {
			report(rl, path, bytes, "keep-held");
			rl->kept++;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			const char *why = delete_plain(rl, dirfd(d), de->d_name);
			account(rl, path, bytes, why);
			continue;
		}
		if (n_doomed == DOOMED_BATCH)
			settle_batch(rl, dirfd(d), doomed, &n_doomed, path, plen);
		Doomed *x = &doomed[n_doomed];
		*x = (Doomed){
			.fd = -EBADF, .ino = st.st_ino, .name = strdup(de->d_name), .bytes = bytes
		};
		if (!x->name)
			continue;
		n_doomed++;
		doomed_lease(rl, dirfd(d), x, &st);
	}
	settle_batch(rl, dirfd(d), doomed, &n_doomed, path, plen);
	path[plen] = '\0';
	closedir(d);
	return 0;
}

static int parse_dev(const char *s, uint64_t *ret)
{
	unsigned maj, min;
	char tail;
	if (sscanf(s, "%u:%u%c", &maj, &min, &tail) != 2)
		return -EINVAL;
	*ret = makedev(maj, min);
	return 0;
}

static uint64_t used_bytes(int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return 0;
	return (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize;
}

int cmd_release(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delete-unheld", no_argument, NULL, 'D' },
		{ "detach-loops", no_argument, NULL, 'L' },
		{ "drain-inflight", no_argument, NULL, 'I' },
		{ "unregister", no_argument, NULL, 'U' },
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	Release rl = { .json = g->json };
	_cleanup_close_ int root = -EBADF;
	bool delete_unheld = false;
	unsigned kernel = 0;
	int c, ret = EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			delete_unheld = true;
			break;
		case 'L':
			kernel |= RELEASE_LOOPS;
			break;
		case 'I':
			kernel |= RELEASE_INFLIGHT;
			break;
		case 'U':
			kernel |= RELEASE_UNREGISTER;
			break;
		case 'y':
			rl.execute = true;
			break;
		case 'J':
			rl.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind + 1 != argc || delete_unheld == (kernel != 0) ||
	    parse_dev(argv[optind], &rl.dev) < 0) {
		usage(stderr);
		return EXIT_ERROR;
	}

	Snapshot *s;
	OrphanReport *rep;
	ScanOptions so = { .want_orphans = true, .max_files = 1 };
	int r = run_scan(&so, &s, &rep, NULL);
	if (r)
		return r;
	warn_unprivileged(s);
	warn_bpf_refused(s, NULL);
	report_interfaces(g, s);

	const Orphan *o = NULL;
	for (size_t i = 0; i < rep->n_orphans && !o; i++)
		if (rep->orphans[i].dev == rl.dev)
			o = &rep->orphans[i];
	if (!o) {
		fprintf(stderr, "residue: %s is not an orphaned filesystem on this host now\n",
			argv[optind]);
		goto out;
	}
	if (kernel) {
		ret = release_kernel_holders(g, rl.dev, argv[optind], rl.execute, rl.json, kernel,
					     s, o);
		goto out;
	}
	if (!o->sb || !o->sb->memory_backed) {
		/* Nothing to delete is an answer, not an error: say what does release it. */
		printf("residue: %s is %s, not memory-backed: deleting its files frees no memory; "
		       "release it by its holders: %s\n",
		       argv[optind], o->sb ? o->sb->fstype : "unknown",
		       o->hint ? o->hint : "unknown");
		ret = 0;
		goto out;
	}

	for (size_t i = 0; i < o->n_holders; i++) {
		const Holder *h = &s->holders[o->holders[i]];
		if (S_ISDIR(h->st_mode))
			(void)u64set_add(&rl.reachable, h->ino);
		else
			(void)u64set_add(&rl.held, h->ino);
		if (root < 0)
			root = probe_open_root(s, h);
	}
	struct stat rst;
	if (root < 0 || fstat(root, &rst) < 0 || rst.st_dev != rl.dev) {
		fprintf(stderr, "residue: cannot reach the root of %s through its holders: %s\n",
			argv[optind], strerror(root < 0 ? -root : EXDEV));
		goto out;
	}
	/* A holder whose cwd or root is the filesystem root keeps everything. */
	if (u64set_contains(&rl.reachable, rst.st_ino)) {
		fprintf(stderr,
			"residue: a holder can reach the whole of %s (its cwd or root is the "
			"top directory); nothing can be deleted safely\n",
			argv[optind]);
		goto out;
	}

	uint64_t before = used_bytes(root);
	if (rl.json)
		rl.list = json_object_new_array();
	char *path = malloc(PATH_MAX);
	int dfd = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (!path || dfd < 0) {
		free(path);
		fprintf(stderr, "residue: out of memory or fds\n");
		goto out;
	}
	path[0] = '\0';
	/* A lease that is broken signals its holder with SIGIO, whose default is to kill. */
	signal(SIGIO, SIG_IGN);
	(void)release_dir(&rl, dfd, path, 0, 0);
	free(path);
	uint64_t after = used_bytes(root);

	if (rl.json) {
		json_object *j = json_object_new_object();
		char dev[32];
		format_dev(rl.dev, dev, sizeof(dev));
		json_object_object_add(j, "dev", json_object_new_string(dev));
		json_object_object_add(j, "dry_run", json_object_new_boolean(!rl.execute));
		json_object_object_add(j, "files", rl.list);
		json_object_object_add(j, "deleted_files",
				       json_object_new_uint64(rl.execute ? rl.files : 0));
		json_object_object_add(j, "deletable_bytes", json_object_new_uint64(rl.bytes));
		json_object_object_add(j, "kept", json_object_new_uint64(rl.kept));
		json_object_object_add(j, "failed", json_object_new_uint64(rl.failed));
		json_object_object_add(j, "pinned_bytes_before", json_object_new_uint64(before));
		json_object_object_add(j, "pinned_bytes_after", json_object_new_uint64(after));
		render_json_print(j, stdout);
		json_object_put(j);
	} else {
		char b1[32], b2[32], b3[32];
		format_bytes(rl.bytes, false, b1, sizeof(b1));
		format_bytes(before, false, b2, sizeof(b2));
		format_bytes(after, false, b3, sizeof(b3));
		if (rl.execute)
			printf("deleted %llu files (%s); pinned before %s, now %s\n",
			       (unsigned long long)rl.files, b1, b2, b3);
		else
			printf("dry run: would delete %llu files (%s) of %s pinned; run again with --yes\n",
			       (unsigned long long)rl.files, b1, b2);
	}
	ret = rl.failed ? EXIT_ERROR : 0;
out:
	u64set_done(&rl.held);
	u64set_done(&rl.reachable);
	orphan_report_free(rep);
	snapshot_free(s);
	return ret;
}
