// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The main() that turns a libFuzzer target into an ordinary test program
 * for builds without -fsanitize=fuzzer (gcc, the ASan build): every
 * argument is a corpus directory (its regular files are replayed in name
 * order) or a single input file, each passed to LLVMFuzzerTestOneInput in a
 * heap buffer of exactly its size.  A crash or abort fails the test; an
 * argument that yields no input at all fails it too, so a mistyped corpus
 * path cannot pass silently.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static int replay_file(int dirfd, const char *name, const char *shown)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", shown, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			fprintf(stderr, "%s: short read\n", shown);
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	/* Say which input is running, so a crash report names it. */
	fprintf(stderr, "replay %s (%zu bytes)\n", shown, got);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

static int only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Returns the number of inputs replayed, or -1. */
static int replay_dir(const char *path)
{
	struct dirent **ents;
	char shown[4096];
	int n, done = 0, r = 0;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	n = scandirat(dfd, ".", &ents, only_files, alphasort);
	if (n < 0) {
		close(dfd);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (r == 0 && fstatat(dfd, ents[i]->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
			snprintf(shown, sizeof(shown), "%s/%s", path, ents[i]->d_name);
			if (replay_file(dfd, ents[i]->d_name, shown) < 0)
				r = -1;
			else
				done++;
		}
		free(ents[i]);
	}
	free(ents);
	close(dfd);
	return r < 0 ? -1 : done;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			n = replay_dir(argv[i]);
		else
			n = replay_file(AT_FDCWD, argv[i], argv[i]) < 0 ? -1 : 1;
		if (n <= 0) {
			fprintf(stderr, "%s: no input replayed\n", argv[i]);
			return 1;
		}
		total += n;
	}
	printf("replayed %d inputs\n", total);
	return 0;
}
