// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for sbs_decode(), sbnames_decode(), nsbinds_decode() and
 * fputs_decode() (lib/bpf/sbs-decode.c): arbitrary bytes as the records of
 * refs.bpf.c's superblock walk, and the same bytes as the names of its
 * rootless superblocks, its nsfs bind records and its files being closed.  The input is a 2-byte header, then the records:
 *
 *   u8 page       0: page size 0 (refused); else 1 << (page % 24)
 *   u8 flags      bit 0: one KernelSb (dev 0:41) is already in the snapshot;
 *                 bit 1: a namespace (id 7, inode 7) with no process is listed
 *   records       the rest, copied into a buffer of exactly that size
 *
 * Checked after the call: failure leaves the snapshot as it was; success
 * means whole records, at most one KernelSb per record, no device twice,
 * namespace counts within the array, byte counts in whole pages; and the
 * classification of every entry runs.  For the binds: whole records, at most
 * one per record, no mount id 0 or twice.
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "bpf/refs.h"
#include "bpf/sbs-decode.h"
#include "model/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint64_t page = data[0] ? 1ULL << (data[0] % 24) : 0;
	uint8_t flags = data[1];
	size_t len = size - 2;
	char *recs = fuzz_dup(data + 2, len, 0);

	Snapshot *s = snapshot_new();
	if (!s)
		abort();
	if (flags & 1) {
		s->ksbs = calloc(1, sizeof(*s->ksbs));
		if (!s->ksbs)
			abort();
		s->ksbs[0].dev = makedev(0, 41);
		s->n_ksbs = s->cap_ksbs = 1;
	}
	if (flags & 2) {
		MountNs *ns = snapshot_add_ns(s);
		if (!ns)
			abort();
		ns->id = 7;
		ns->ino = 7;
	}
	size_t before = s->n_ksbs;

	int r = sbs_decode(s, recs, len, page);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG);
	if (r < 0) {
		FUZZ_ASSERT(s->n_ksbs == before);
	} else {
		FUZZ_ASSERT(len % sizeof(struct rs_sb) == 0 && page);
		FUZZ_ASSERT(s->n_ksbs <= before + len / sizeof(struct rs_sb));
		for (size_t i = 0; i < s->n_ksbs; i++) {
			const KernelSb *k = &s->ksbs[i];
			for (size_t j = 0; j < i; j++)
				FUZZ_ASSERT(s->ksbs[j].dev != k->dev);
			FUZZ_ASSERT(k->n_ns <= KSB_NS_MAX);
			FUZZ_ASSERT(!k->bytes_known || k->cached_bytes % page == 0);
			KsbPlace p = ksb_place(s, k);
			FUZZ_ASSERT(p <= KSB_NOWHERE);
			/* Mounted nowhere is a claim only a walk that saw the whole mount list makes. */
			if (ksb_is_unmounted(s, k))
				FUZZ_ASSERT(k->attached == 0 && k->anon == 0 && !k->mounts_cut);
		}
	}
	/* The same bytes as names of rootless superblocks: never past a field, always a C string. */
	r = sbnames_decode(s, recs, len);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG);
	FUZZ_ASSERT(r < 0 || len % sizeof(struct rs_sb_name) == 0);
	for (size_t i = 0; i < s->n_ksbs; i++) {
		const KernelSb *k = &s->ksbs[i];
		FUZZ_ASSERT(!k->named || k->no_root);
		FUZZ_ASSERT(strlen(k->fstype) < sizeof(k->fstype) &&
			    strlen(k->s_id) < sizeof(k->s_id));
		if (ksb_is_dead(k))
			FUZZ_ASSERT(k->no_root && k->s_active == 0 && k->mounts == 0 &&
				    !ksb_is_unmounted(s, k));
	}
	r = nsbinds_decode(s, recs, len);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG);
	FUZZ_ASSERT(r < 0 ? s->n_knsbinds == 0 :
			    len % sizeof(struct rs_nsbind) == 0 &&
				    s->n_knsbinds <= len / sizeof(struct rs_nsbind));
	for (size_t i = 0; i < s->n_knsbinds; i++) {
		FUZZ_ASSERT(s->knsbinds[i].mnt_id != 0);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(s->knsbinds[j].mnt_id != s->knsbinds[i].mnt_id);
	}
	r = fputs_decode(s, recs, len);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG);
	FUZZ_ASSERT(r < 0 || len % sizeof(struct rs_fput) == 0);
	FUZZ_ASSERT(s->fput_devs.len <= len / sizeof(struct rs_fput));
	snapshot_free(s);
	free(recs);
	return 0;
}
