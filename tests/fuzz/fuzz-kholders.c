// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for kholders_decode() (lib/bpf/kholders-decode.c):
 * arbitrary bytes as the records kholders.bpf.c's dump_kfiles leaves in its
 * map (struct rs_kholder: io_uring fixed files, fsopen contexts, overlays), decoded
 * twice into one snapshot (an iterator's element may run twice).
 *
 * Checked after each call: failure (not whole records) leaves the snapshot
 * as it was; success keeps at most one entry per record, only known kinds,
 * no entry twice, no process index or path yet, a file only for a ring, a
 * slot for a ring or an overlay, an overlay's device and no process only for
 * an overlay.
 */
#include "fuzz.h"

#include <errno.h>

#include "bpf/kholders-decode.h"
#include "bpf/kholders.h"
#include "model/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *recs = fuzz_dup(data, size, 0);
	Snapshot *s = snapshot_new();
	if (!s)
		abort();

	for (int pass = 0; pass < 2; pass++) {
		size_t before = s->n_kholders;
		int r = kholders_decode(s, recs, size);
		FUZZ_ASSERT(r == 0 || r == -EBADMSG);
		if (r < 0) {
			FUZZ_ASSERT(size % sizeof(struct rs_kholder) != 0);
			FUZZ_ASSERT(s->n_kholders == before);
			break;
		}
		FUZZ_ASSERT(s->n_kholders <= size / sizeof(struct rs_kholder));
		FUZZ_ASSERT(pass == 0 || s->n_kholders == before);
		for (size_t i = 0; i < s->n_kholders; i++) {
			const KHolder *k = &s->kholders[i];
			FUZZ_ASSERT(k->kind == KHOLDER_IO_URING || k->kind == KHOLDER_FSCONTEXT ||
				    k->kind == KHOLDER_OVERLAY);
			FUZZ_ASSERT(k->kind == KHOLDER_IO_URING || k->ino == 0);
			FUZZ_ASSERT(k->kind != KHOLDER_FSCONTEXT || k->index == 0);
			FUZZ_ASSERT(k->kind == KHOLDER_OVERLAY ? k->pid == 0 && k->fd == -1 :
								 k->ovl_dev == 0);
			FUZZ_ASSERT(k->proc == -1 && k->path == NULL);
			for (size_t j = 0; j < i; j++) {
				const KHolder *g = &s->kholders[j];
				FUZZ_ASSERT(!(g->dev == k->dev && g->ino == k->ino &&
					      g->pid == k->pid && g->fd == k->fd &&
					      g->index == k->index && g->kind == k->kind &&
					      g->ovl_dev == k->ovl_dev));
			}
		}
	}
	snapshot_free(s);
	free(recs);
	return 0;
}
