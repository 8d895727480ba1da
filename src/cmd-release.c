// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `residue release DEV --delete-unheld`: free an orphaned memory-backed
 * filesystem without touching its holders.  Through the orphan's own root
 * directory (reached via a holder, never a host path) it deletes every
 * non-directory that no holder has open or mapped and that lies in no
 * directory a holder can reach (cwd, root, an open directory): what is held
 * stays usable, the rest of the memory comes back.  Dry run unless --yes;
 * prints each file, the total, then measures the filesystem again.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

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
	      "\n"
	      "Delete, through the orphan's own root, every file of the orphaned filesystem\n"
	      "DEV (MAJ:MIN, from 'residue orphans') that no holder has open, mapped or can\n"
	      "reach. The holders keep working. Dry run unless --yes.\n",
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

static int release_dir(Release *rl, int dfd, char *path, size_t plen, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
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
		if (rl->execute && unlinkat(dirfd(d), de->d_name, 0) < 0) {
			report(rl, path, bytes, "failed");
			rl->failed++;
			continue;
		}
		report(rl, path, bytes, rl->execute ? "deleted" : "would-delete");
		rl->bytes += bytes;
		rl->files++;
	}
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
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	Release rl = { .json = g->json };
	_cleanup_close_ int root = -EBADF;
	bool delete_unheld = false;
	int c, ret = EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			delete_unheld = true;
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
	if (optind + 1 != argc || !delete_unheld || parse_dev(argv[optind], &rl.dev) < 0) {
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
