// SPDX-License-Identifier: LGPL-2.1-or-later
/* See strescape.h.  UTF-8 is validated per RFC 3629: no overlongs, no surrogates, <= U+10FFFF. */
#include "strescape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at @p (1..4), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static char *escape(const char *s, bool controls)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	char *out = malloc(len * 4 + 1), *w = out;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = utf8_len(p);
		uint32_t cp = 0;
		if (n == 2)
			cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		bool bad = n == 0 || (controls && ((n == 1 && (*p < 0x20 || *p == 0x7f)) ||
						   (n == 2 && cp >= 0x80 && cp <= 0x9f)));
		if (bad) {
			size_t k = n ? n : 1;
			for (size_t i = 0; i < k; i++) {
				*w++ = '\\';
				*w++ = 'x';
				*w++ = hex[p[i] >> 4];
				*w++ = hex[p[i] & 15];
			}
			p += k;
		} else {
			memcpy(w, p, n);
			w += n;
			p += n;
		}
	}
	*w = '\0';
	return out;
}

char *str_escape_utf8(const char *s)
{
	return escape(s, false);
}

char *str_escape_text(const char *s)
{
	return escape(s, true);
}
