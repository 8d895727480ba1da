// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for inodes_decode_walk() and inodes_decode_holders()
 * (lib/bpf/inodes-decode.c) and the analysis after them (lib/analyze/
 * inodes.c): arbitrary bytes as the records of inodes.bpf.c's walk and of
 * its holder passes.  The input is a 1-byte header, then the records:
 *
 *   u8 split      the walk's records are the first split * 8 bytes (at most
 *                 all), the holders' the rest
 *
 * Checked: each decoder returns 0, -EBADMSG or -ENOMEM; on success every
 * record became one object (or holder) with a kind in range and a name no
 * longer than 32 bytes.  The decoded sample is then judged against itself
 * (as if both samples were the same): no finding has a kind out of range,
 * a dentry_refs finding has references left over, and their counts add up.
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

#include "analyze/inodes.h"
#include "bpf/inodes-decode.h"
#include "bpf/inodes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t split = (size_t)data[0] * 8;
	size_t len = size - 1;
	if (split > len)
		split = len;
	char *walk = fuzz_dup(data + 1, split, 0);
	char *hold = fuzz_dup(data + 1 + split, len - split, 0);
	InoSample s = { 0 };

	int r = inodes_decode_walk(&s, walk, split);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOMEM);
	if (r == 0)
		FUZZ_ASSERT(s.n_objs == split / sizeof(struct rs_ino_rec) &&
			    split % sizeof(struct rs_ino_rec) == 0);
	for (size_t i = 0; i < s.n_objs; i++) {
		FUZZ_ASSERT(s.objs[i].kind >= INO_OBJ_SB && s.objs[i].kind < _INO_OBJ_MAX);
		FUZZ_ASSERT(strlen(s.objs[i].name) <= 32);
	}
	r = inodes_decode_holders(&s, hold, len - split);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOMEM);
	for (size_t i = 0; i < s.n_holders; i++)
		FUZZ_ASSERT(s.holders[i].kind >= INO_HOLD_FD && s.holders[i].kind < _INO_HOLD_MAX &&
			    s.holders[i].dentry);

	InodeAudit *a = calloc(1, sizeof(*a));
	if (!a)
		abort();
	InoKernelFile kf = { .dev = 0, .ino = 0, .holder = "loop" };
	r = analyze_inodes(&s, &s, &kf, 1, a);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM);
	size_t total = 0;
	for (int k = 0; k < _INO_FIND_MAX; k++)
		total += a->n_kind[k];
	FUZZ_ASSERT(total == a->n_findings);
	for (size_t i = 0; i < a->n_findings; i++) {
		const InoFinding *f = &a->findings[i];
		FUZZ_ASSERT(f->kind < _INO_FIND_MAX);
		FUZZ_ASSERT(f->kind == INO_FIND_STRANDED || f->unexplained > 0);
		FUZZ_ASSERT(f->n_pids <= INO_FINDING_PIDS);
	}
	FUZZ_ASSERT(a->transient == 0); /* a sample against itself has nothing transient */
	inode_audit_free(a);
	ino_sample_clear(&s);
	free(walk);
	free(hold);
	return 0;
}
