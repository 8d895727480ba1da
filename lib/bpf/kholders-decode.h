/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the kernel-holder programs (kholders.bpf.c): their records
 * (kholders.h), as bytes, turned into the Inflight and KHolder entries of a
 * Snapshot.  kholders.c reads the iterator and the map and calls these, and
 * so do the fuzzers tests/fuzz/fuzz-inflight.c and fuzz-kholders.c, with
 * arbitrary bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h"

/*
 * Append the records of dump_inflight (struct rs_inflight) to @s->inflight,
 * each once (the iterator may show a socket twice).  Unknown kinds are
 * skipped.  -EBADMSG (@len is not whole records) leaves @s untouched;
 * -ENOMEM may leave part added.
 */
int inflight_decode(Snapshot *s, const void *recs, size_t len);

/*
 * Append the records of dump_kfiles and walk_overlays (struct rs_kholder) to
 * @s->kholders, each once (an iterator's element may run twice), with no
 * process index (-1) and no path yet.  Unknown kinds are skipped; a context
 * has no file (ino 0) and no slot (index 0); an overlay no file, no process
 * (pid 0, fd -1) but its own device.  -EBADMSG (@len is not whole records)
 * leaves @s untouched; -ENOMEM may leave part added.
 */
int kholders_decode(Snapshot *s, const void *recs, size_t len);
