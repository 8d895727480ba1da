/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the superblock walk: the records refs.bpf.c's walk_sbs
 * left in its map (struct rs_sb, refs.h), as bytes, turned into the
 * KernelSb entries of a Snapshot.  refs.c reads the map and calls this, and
 * so does the fuzzer tests/fuzz/fuzz-sbs.c, with arbitrary bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h"

/*
 * Append one KernelSb per record of @recs (@len bytes, aligned for struct
 * rs_sb) to @s; @page_size turns page counts into bytes.  A superblock seen
 * twice (the list moved under the walk) is kept once, the first record.
 * -EBADMSG (@len is not whole records, or @page_size is 0) leaves @s
 * untouched; -ENOMEM may leave part added.
 */
int sbs_decode(Snapshot *s, const void *recs, size_t len, uint64_t page_size);

/*
 * Append the nsfs bind mounts of refs.bpf.c's walk (struct rs_nsbind) to
 * @s->knsbinds, each mount once; records without a mount id are skipped.
 * -EBADMSG (@len is not whole records) leaves @s untouched; -ENOMEM may
 * leave part added.
 */
int nsbinds_decode(Snapshot *s, const void *recs, size_t len);

/*
 * Add the device of every file of refs.bpf.c's dump_fputs (struct rs_fput: a
 * task is still closing it) to @s->fput_devs.  -EBADMSG (@len is not whole
 * records) leaves @s untouched; -ENOMEM may leave part added.
 */
int fputs_decode(Snapshot *s, const void *recs, size_t len);

/*
 * Attach the names of refs.bpf.c's rootless superblocks (struct rs_sb_name:
 * fstype, s_id, whether s_umount is write-held) to their KernelSbs of @s, by
 * device; records of superblocks @s does not have are skipped, names are cut
 * at the first unprintable byte.  -EBADMSG (@len is not whole records).
 */
int sbnames_decode(Snapshot *s, const void *recs, size_t len);
