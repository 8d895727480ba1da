/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running a BPF iterator whose link a light skeleton made, for every
 * skeleton that has iterators (refs.c, kholders.c): read its output to the
 * end, or make a link that visits our own process's files only.
 */
#pragma once

#include <stddef.h>

typedef struct BpfBuf {
	char *data;
	size_t len, cap;
} BpfBuf;

/* Run the iterator of @link_fd to its end, appending what it writes to @b (the caller frees). */
int bpf_iter_run(int link_fd, BpfBuf *b);

/* An iter/task_file link of program @prog_fd that visits our own process only; or -errno. */
int bpf_iter_own_files_link(int prog_fd);
