/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of residue inodes' BPF tier: the records inodes.bpf.c wrote
 * (struct rs_ino_rec of the walk, struct rs_holder of the holder passes,
 * inodes.h), as bytes, checked and turned into an InoSample.  No kernel:
 * inodes.c calls this, and so does tests/fuzz/fuzz-inodes.c with any bytes.
 */
#pragma once

#include <stddef.h>

#include "model/inodes.h"

/*
 * Append the walk records of @buf (@len bytes, any alignment) to @s.  A
 * record of an unknown kind, or whose name length is out of range, is
 * -EBADMSG, and so is a length that is not whole records: @s keeps the
 * records before it.  -ENOMEM may leave part added.
 */
int inodes_decode_walk(InoSample *s, const void *buf, size_t len);

/* The same for the holder records of the iterators (struct rs_holder). */
int inodes_decode_holders(InoSample *s, const void *buf, size_t len);
