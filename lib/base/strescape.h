/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making strings from the system safe to show.  Command names, paths and
 * cgroup names are chosen by whoever runs a container: they may hold
 * invalid UTF-8 (which breaks every JSON parser downstream) or terminal
 * escapes (which rewrite an admin's screen).  Both helpers return a
 * malloc'd string in which every such byte reads as the four characters
 * \xNN, so the output stays valid text and the original recoverable, with
 * one ambiguity: a backslash is not escaped (systemd's own escapes, as in
 * "dev-disk-by\x2duuid", read as they do everywhere else), so a name that
 * holds a literal "\xNN" reads like one that holds that byte.
 * tests/fuzz/fuzz-strescape.c checks the round trip for names without a
 * backslash.
 */
#pragma once

/* Escape bytes that are not valid UTF-8: for JSON, whose encoder handles controls itself. */
char *str_escape_utf8(const char *s);

/* Escape invalid UTF-8, C0 controls, DEL and C1 controls: for terminals. */
char *str_escape_text(const char *s);
