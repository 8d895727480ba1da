// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for inflight_decode() (lib/bpf/kholders-decode.c): arbitrary
 * bytes as the records of kholders.bpf.c's unix-socket iterator (struct
 * rs_inflight), decoded twice into one snapshot (an iterator may show a
 * socket twice).
 *
 * Checked after each call: failure (not whole records) leaves the snapshot
 * as it was; success keeps at most one entry per record, only known kinds,
 * no entry twice, and devices and inodes only on files (an embryo has none).
 */
#include "fuzz.h"

#include <errno.h>

#include "bpf/kholders.h"
#include "bpf/kholders-decode.h"
#include "model/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *recs = fuzz_dup(data, size, 0);
	Snapshot *s = snapshot_new();
	if (!s)
		abort();

	for (int pass = 0; pass < 2; pass++) {
		size_t before = s->n_inflight;
		int r = inflight_decode(s, recs, size);
		FUZZ_ASSERT(r == 0 || r == -EBADMSG);
		if (r < 0) {
			FUZZ_ASSERT(size % sizeof(struct rs_inflight) != 0);
			FUZZ_ASSERT(s->n_inflight == before);
			break;
		}
		FUZZ_ASSERT(s->n_inflight <= size / sizeof(struct rs_inflight));
		FUZZ_ASSERT(pass == 0 ||
			    s->n_inflight == before); /* the same records again: nothing new */
		for (size_t i = 0; i < s->n_inflight; i++) {
			const Inflight *f = &s->inflight[i];
			FUZZ_ASSERT(f->kind == INFLIGHT_FILE || f->kind == INFLIGHT_EMBRYO);
			FUZZ_ASSERT(f->kind == INFLIGHT_FILE || (f->dev == 0 && f->ino == 0));
			FUZZ_ASSERT(!f->resolved && f->owner_pid == 0 && f->owner_proc == -1);
			for (size_t j = 0; j < i; j++) {
				const Inflight *g = &s->inflight[j];
				FUZZ_ASSERT(!(g->sk == f->sk && g->dev == f->dev &&
					      g->ino == f->ino && g->file_sk == f->file_sk &&
					      g->kind == f->kind));
			}
		}
	}
	snapshot_free(s);
	free(recs);
	return 0;
}
