// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for lib/base/strescape.c, which every command name,
 * path and cgroup name goes through before it is shown: the input, up to
 * its first NUL, is escaped both ways.  Checked against a reference UTF-8
 * decoder written here from RFC 3629: str_escape_utf8() gives valid UTF-8,
 * str_escape_text() also no C0, DEL or C1 control, and both give back the
 * input when each \xNN is read as its byte (for inputs without a
 * backslash: a literal "\x41" is shown as it is, see strescape.h).
 */
#include "fuzz.h"

#include <stdbool.h>

#include "base/strescape.h"

/* The code point of the valid UTF-8 sequence at @p, its length in *ret_n; false if invalid. */
static bool decode(const unsigned char *p, size_t left, uint32_t *ret_cp, size_t *ret_n)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = 0;
	uint32_t cp;

	if (p[0] < 0x80)
		n = 1;
	else if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if ((p[0] >> 4) == 0xe)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;

	if (!n || n > left)
		return false;
	cp = n == 1 ? p[0] : p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	*ret_cp = cp;
	*ret_n = n;
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void check(const char *in, char *out, bool text)
{
	const unsigned char *o = (const unsigned char *)out;
	size_t len = strlen(out), inlen = strlen(in);

	FUZZ_ASSERT(len <= inlen * 4);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;
		FUZZ_ASSERT(decode(o + i, len - i, &cp, &n));
		if (text)
			FUZZ_ASSERT(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f));
		i += n;
	}
	if (strchr(in, '\\'))
		return;
	/* Unescape in place and compare. */
	size_t w = 0;
	for (size_t i = 0; i < len; w++) {
		if (out[i] == '\\') {
			FUZZ_ASSERT(i + 3 < len && out[i + 1] == 'x');
			int h = hexval(out[i + 2]), l = hexval(out[i + 3]);
			FUZZ_ASSERT(h >= 0 && l >= 0);
			out[w] = (char)(h << 4 | l);
			i += 4;
		} else {
			out[w] = out[i++];
		}
	}
	FUZZ_ASSERT(w == inlen && memcmp(out, in, inlen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size, 1);
	char *u = str_escape_utf8(in), *t = str_escape_text(in);

	FUZZ_ASSERT(u && t);
	check(in, u, false);
	check(in, t, true);
	free(u);
	free(t);
	free(in);
	return 0;
}
